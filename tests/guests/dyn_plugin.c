/* SPDX-License-Identifier: BSD-2-Clause */
/* A shared object dyn_dlopen.c loads. */
#include <stdio.h>
#include <string.h>

static char greeting[64] = "plugin";

int plugin_answer(int x);

int
plugin_answer(int x)
{
	strcat(greeting, " says");
	printf("%s %d\n", greeting, x * 6);
	return x * 6;
}
