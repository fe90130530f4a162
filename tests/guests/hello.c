/* SPDX-License-Identifier: BSD-2-Clause */
/* Prints its arguments, an environment variable and floating point. */
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	const char *e = getenv("GREETING");

	printf("argv0=%s argc=%d\n", argv[0], argc);
	for (int i = 1; i < argc; i++)
		printf("arg%d=%s\n", i, argv[i]);
	printf("env=%s\n", e ? e : "(none)");
	printf("pi=%.6f e=%.4e\n", 3.14159265358979, 2.718281828e-3);
	return argc > 1 ? atoi(argv[argc - 1]) : 0;
}
