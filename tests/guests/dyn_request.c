/* SPDX-License-Identifier: BSD-2-Clause */
/* A dynamically linked request program: libm and a dlopen()ed plugin
 * (argv[1]) loaded during initialization, used by every request; a
 * counter shows each request starts from the state main() left. */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

static int counter;
static int (*answer)(int);

static void
on_get(const char *url, const char *arg)
{
	char out[256];
	volatile double x = (double)strlen(url);
	int n;

	(void)arg;
	n = snprintf(out, sizeof out, "dyn %s sqrt=%.6f counter=%d answer=%d",
	    url, sqrt(x), counter++, answer ? answer(1) : -1);
	sys_backend_response(200, "text/plain", 10, out, (size_t)n, NULL);
}

int
main(int argc, char **argv)
{
	void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;

	if (argc > 1 && h == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	if (h != NULL)
		answer = (int (*)(int))dlsym(h, "plugin_answer");
	set_backend_get(on_get);
	wait_for_requests();
}
