/* SPDX-License-Identifier: BSD-2-Clause */
/* dlopen()s argv[1] and calls its plugin_answer(), or prints dlerror(). */
#include <dlfcn.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
	void *h;
	int (*fn)(int);

	if (argc < 2)
		return 2;
	h = dlopen(argv[1], RTLD_NOW);
	if (h == NULL) {
		printf("dlopen failed: %s\n", dlerror());
		return 1;
	}
	fn = (int (*)(int))dlsym(h, "plugin_answer");
	if (fn == NULL) {
		printf("dlsym failed: %s\n", dlerror());
		return 1;
	}
	printf("result %d\n", fn(7));
	return dlclose(h);
}
