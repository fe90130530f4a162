/* SPDX-License-Identifier: BSD-2-Clause */
/* Benchmark guest: prints one line and exits. */
#include <stdio.h>

int
main(void)
{
	printf("Hello World\n");
	return 0;
}
