/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config/printable.c: text shortened for error messages (60 bytes, "..."
 * when cut, control characters as '?') and escaped for log lines (\xHH,
 * \\, never a split escape, the count of bytes that fit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printable.h"

static int failures;

static void
check_str(int line, const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "line %d: got [%s], want [%s]\n", line, got, want);
		failures++;
	}
}

static void
check_size(int line, size_t got, size_t want)
{
	if (got != want) {
		fprintf(stderr, "line %d: got %zu, want %zu\n", line, got, want);
		failures++;
	}
}

static void
test_printable(void)
{
	char buf[80], small[8];
	char longer[100];

	check_str(__LINE__, printable("plain", buf, sizeof buf), "plain");
	check_str(__LINE__, printable("a\tb\nc\x1f", buf, sizeof buf), "a?b?c?");
	/* Bytes from 0x7f up are kept (UTF-8 names stay readable). */
	check_str(__LINE__, printable("\xc3\xa9\x7f", buf, sizeof buf), "\xc3\xa9\x7f");
	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	printable(longer, buf, sizeof buf);
	check_size(__LINE__, strlen(buf), 63);
	check_str(__LINE__, buf + 60, "...");
	/* A small buffer: what fits, then "...". */
	check_str(__LINE__, printable("abcdefghij", small, sizeof small), "abcd...");
}

static void
test_escape(void)
{
	char out[32];
	size_t olen = 0, fit;

	fit = printable_escape(out, &olen, sizeof out, "a\\b\x01\xff" "c", 6);
	out[olen] = '\0';
	check_str(__LINE__, out, "a\\\\b\\x01\\xffc");
	check_size(__LINE__, fit, 6);
	/* Room for "ab" and not the whole "\x01": the escape is not split. */
	olen = 0;
	fit = printable_escape(out, &olen, 5, "ab\x01" "cd", 5);
	out[olen] = '\0';
	check_str(__LINE__, out, "ab");
	check_size(__LINE__, fit, 2);
	/* Appends after what is there. */
	olen = 1;
	out[0] = '>';
	fit = printable_escape(out, &olen, sizeof out, "ok", 2);
	out[olen] = '\0';
	check_str(__LINE__, out, ">ok");
	check_size(__LINE__, fit, 2);
}

int
main(void)
{
	test_printable();
	test_escape();
	if (failures != 0) {
		fprintf(stderr, "printable_test: %d checks failed\n", failures);
		return 1;
	}
	printf("printable_test: all checks passed\n");
	return 0;
}
