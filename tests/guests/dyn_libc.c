/* SPDX-License-Identifier: BSD-2-Clause */
/* Dynamically linked against libc and libm: the same output natively and
 * in the sandbox. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
main(int argc, char **argv)
{
	const char *words[] = { "varnish", "kvm", "sandbox", "cache", "elf" };
	volatile double x = 2.0;
	const char *v = getenv("DYN_VALUE");
	char *buf = malloc(1 << 20);

	qsort(words, 5, sizeof words[0], cmp);
	printf("sqrt=%.9f sin=%.9f exp=%.9f\n", sqrt(x), sin(x), exp(x));
	printf("sorted: %s %s %s %s %s\n", words[0], words[1], words[2],
	    words[3], words[4]);
	memset(buf, 'a', 1 << 20);
	printf("malloc: %d DYN_VALUE=%s argc=%d last=%s\n", buf[12345] == 'a',
	    v ? v : "(unset)", argc, argv[argc - 1]);
	free(buf);
	return 3;
}
