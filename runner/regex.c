/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Regular expressions for tinykvm-run: PCRE2 directly, with the rules of
 * Varnish's VRE so that a program sees the same results as under the
 * VMOD: match returns pcre2_match()'s result (> 0 on a match, -1 when
 * none); substitution writes \0 .. \9 as groups (an unset group as
 * nothing), drops the backslash of any other escape, copies the rest,
 * and with `all` goes on after each match with PCRE2_NOTEMPTY.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"

#define MAX_RESULT	(1 << 20)	/* a substitution result, bytes */

static void *
rx_compile(const char *pattern, char *err, size_t errlen)
{
	PCRE2_UCHAR msg[96];
	PCRE2_SIZE off;
	pcre2_code *re;
	int code;

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code,
	    &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(code, msg, sizeof msg);
		snprintf(err, errlen, "%s (at offset %zu)", (char *)msg, (size_t)off);
		return NULL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);	/* optional */
	return re;
}

static void
rx_free(void *re)
{
	pcre2_code_free(re);
}

static int
rx_match(void *re, const char *subject, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc;

	if (md == NULL)
		return PCRE2_ERROR_NOMEMORY;
	rc = pcre2_match(re, (PCRE2_SPTR)subject, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc;
}

struct out {
	char *p;
	size_t len, size;
	bool bad;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->bad || n == 0)
		return;
	if (o->len + n + 1 > MAX_RESULT) {
		o->bad = true;
		return;
	}
	if (o->len + n + 1 > o->size) {
		size_t size = (o->len + n + 1) * 2;
		char *p = realloc(o->p, size < MAX_RESULT ? size : MAX_RESULT);
		if (p == NULL) {
			o->bad = true;
			return;
		}
		o->p = p;
		o->size = size < MAX_RESULT ? size : MAX_RESULT;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* The replacement for one match: \0 .. \9 are groups (unset or beyond
 * the pattern's: nothing), a backslash before any other character is
 * dropped, a final one kept. */
static void
put_replacement(struct out *o, const char *subject, const char *subst,
    pcre2_match_data *md)
{
	const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	const unsigned pairs = pcre2_get_ovector_count(md);

	for (const char *p = subst; *p != '\0'; p++) {
		if (p[0] != '\\' || p[1] == '\0') {
			put(o, p, 1);
			continue;
		}
		p++;
		if (*p < '0' || *p > '9') {
			put(o, p, 1);
			continue;
		}
		unsigned g = (unsigned)(*p - '0');
		if (g < pairs && ov[2 * g] != PCRE2_UNSET)
			put(o, subject + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
}

static char *
rx_subst(void *re, const char *subject, const char *subst, bool all)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	const size_t len = strlen(subject);
	struct out o = { NULL, 0, 0, false };
	size_t off = 0;
	int rc;

	if (md == NULL)
		return NULL;
	rc = pcre2_match(re, (PCRE2_SPTR)subject, len, 0, 0, md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH) {
		pcre2_match_data_free(md);
		return strdup(subject);
	}
	while (rc > 0) {
		const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (ov[0] > off)
			put(&o, subject + off, ov[0] - off);
		put_replacement(&o, subject, subst, md);
		if (ov[1] > off)
			off = ov[1];
		if (!all)
			break;
		rc = pcre2_match(re, (PCRE2_SPTR)subject, len, off,
		    PCRE2_NOTEMPTY, md, NULL);
		if (rc == PCRE2_ERROR_NOMATCH)
			rc = 0;
	}
	pcre2_match_data_free(md);
	put(&o, subject + off, len - off);
	if (rc < 0 || o.bad) {
		free(o.p);
		return NULL;
	}
	if (o.p == NULL)
		return strdup("");
	o.p[o.len] = '\0';
	return o.p;
}

const struct tkvm_regex_ops runner_regex_ops = {
	rx_compile, rx_free, rx_match, rx_subst,
};
