/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sys_regex_* for programs: Varnish's own regex engine (VRE, PCRE2 with
 * JIT), so that a program matches and substitutes exactly as VCL does.
 * Expressions compiled in a program's main VM are shared by its request
 * VMs on several threads: VRE_match and VRE_sub without limits only read
 * the compiled code.
 */
#include <stdlib.h>
#include <string.h>

#include "tinykvm_vmod.h"
#include "vre.h"
#include "vsb.h"

#define MAX_RESULT	(1 << 20)	/* a substitution result, bytes */

static void *
re_compile(const char *pattern, char *err, size_t errlen)
{
	struct vsb vsb[1];
	int code, off;
	vre_t *re = VRE_compile(pattern, 0, &code, &off, 1);

	if (re == NULL) {
		AN(VSB_init(vsb, err, (ssize_t)errlen));
		(void)VRE_error(vsb, code);
		(void)VSB_printf(vsb, " (at offset %d)", off);
		(void)VSB_finish(vsb);
		VSB_fini(vsb);
	}
	return re;
}

static void
re_free(void *re)
{
	vre_t *v = re;

	VRE_free(&v);
}

static int
re_match(void *re, const char *subject, size_t len)
{
	/* VRE reads a length of 0 as "NUL-terminated": the engine passes "". */
	return VRE_match(re, subject, len, 0, NULL);
}

static char *
re_subst(void *re, const char *subject, const char *subst, bool all)
{
	struct vsb vsb[1];
	char *buf = malloc(MAX_RESULT);
	int rc;

	if (buf == NULL)
		return NULL;
	AN(VSB_init(vsb, buf, MAX_RESULT));
	rc = VRE_sub(re, subject, subst, vsb, NULL, all);
	if (rc == VRE_ERROR_NOMATCH) {
		VSB_fini(vsb);
		free(buf);
		return strdup(subject);
	}
	if (rc < VRE_ERROR_NOMATCH || VSB_finish(vsb) != 0) {
		VSB_fini(vsb);
		free(buf);
		return NULL;
	}
	VSB_fini(vsb);
	return buf;
}

const struct tkvm_regex_ops vmod_regex_ops = {
	re_compile, re_free, re_match, re_subst,
};
