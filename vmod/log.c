/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Log lines from any VCL method.  vcl_init and vcl_fini run in the CLI
 * context, which has no VSL buffer (ctx->vsl is NULL): their lines go
 * to the shared log directly, with vxid 0 (see varnishlog -g raw).
 */
#include <stdarg.h>

#include "tinykvm_vmod.h"

void
vlog(VRT_CTX, enum VSL_tag_e tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (ctx != NULL && ctx->vsl != NULL)
		VSLbv(ctx->vsl, tag, fmt, ap);
	else
		VSLv(tag, 0, fmt, ap);
	va_end(ap);
}
