/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * to_string() and synth(): run a program (after any chain) and use its
 * response as a string or as the synthetic response.  The program is
 * handed url and arg as given ("" by default), as in the published VMOD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinykvm_vmod.h"
#include "vcc_if.h"

/* The request's (or backend request's) header sets, for sys_http_*. */
static void
bridge_for(VRT_CTX, struct vhttp *hb)
{
	memset(hb, 0, sizeof *hb);
	hb->ctx = ctx;
	hb->req = ctx->http_req ? ctx->http_req : ctx->http_bereq;
	hb->resp = ctx->http_resp ? ctx->http_resp : ctx->http_beresp;
}

/* Runs the chain, then the program; *run holds the final response. */
static int
run_final(VRT_CTX, struct vmod_priv *priv, const char *program,
    const char *url, const char *arg, struct vrun *run, void **chain_body)
{
	struct vprogram *vp = program_get(ctx, state_get(ctx, priv), program);
	struct chain *c = chain_get(ctx, false);
	struct tkvm_request req = { .method = "GET", .url = url ? url : "",
	    .arg = arg ? arg : "" };
	struct vhttp hb;
	char ctype[256] = "";
	size_t len = 0;

	*chain_body = NULL;
	if (vp == NULL)
		return -1;
	if (c != NULL && c->n > 0) {
		int status = chain_run(ctx, c, "GET", chain_body, &len, ctype,
		    sizeof ctype);
		c->n = 0;
		if (status < 0 || status >= 400)
			return -1;
		req.method = "POST";
		req.body = *chain_body;
		req.body_len = len;
		req.content_type = ctype;
	}
	bridge_for(ctx, &hb);
	return run_request(ctx, vp, &req, &hb, run, false);
}

VCL_STRING
vmod_to_string(VRT_CTX, struct vmod_priv *priv, VCL_STRING program,
    VCL_STRING url, VCL_STRING arg, VCL_STRING on_error,
    VCL_INT error_treshold, VCL_INT soft_reset)
{
	struct vrun run;
	void *chain_body;
	char *out = NULL;
	const struct tkvm_response *r = &run.resp;

	(void)soft_reset;
	if (run_final(ctx, priv, program, url, arg, &run, &chain_body) != 0) {
		free(chain_body);
		return on_error;
	}
	free(chain_body);
	if (run.rc != 0 && !r->from_on_error) {
		run_finish(&run);
		return on_error;
	}
	if (r->status >= error_treshold) {
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "to_string('%s'): status "
		    "%d >= %ld", program, r->status, (long)error_treshold);
	} else if (memchr(r->body, '\0', r->body_len) != NULL) {
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "to_string('%s'): the "
		    "response body contains a NUL byte", program);
	} else if (!ws_fits(ctx->ws, r->body_len + 1) ||
	    (out = WS_Alloc(ctx->ws, (unsigned)r->body_len + 1)) == NULL) {
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "to_string('%s'): out of "
		    "workspace for a %zu-byte response", program, r->body_len);
	} else {
		memcpy(out, r->body, r->body_len);
		out[r->body_len] = '\0';
	}
	run_finish(&run);
	return out != NULL ? out : on_error;
}

VCL_INT
vmod_synth(VRT_CTX, struct vmod_priv *priv, VCL_INT status, VCL_STRING program,
    VCL_STRING url, VCL_STRING arg, VCL_INT soft_reset)
{
	struct http *hp = ctx->http_resp ? ctx->http_resp : ctx->http_beresp;
	struct vrt_blob blob;
	struct vrun run;
	void *chain_body;
	int final;

	(void)soft_reset;
	if (ctx->method != VCL_MET_SYNTH && ctx->method != VCL_MET_BACKEND_ERROR) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "synth() must be called from "
		    "vcl_synth or vcl_backend_error");
		return 0;
	}
	if (run_final(ctx, priv, program, url, arg, &run, &chain_body) != 0) {
		free(chain_body);
		return 0;
	}
	free(chain_body);
	if (run.rc != 0 && !run.resp.from_on_error) {
		run_finish(&run);
		return 0;
	}
	/* As published: a status from 200 to 699 overrides the program's;
	 * a program status outside that range gives 500. */
	final = status >= 200 && status < 700 ? (int)status : run.resp.status;
	if (final < 200 || final >= 700)
		final = 500;
	http_PutResponse(hp, "HTTP/1.1", (uint16_t)final, NULL);
	http_Unset(hp, H_Content_Type);
	if (run.resp.content_type_len)
		http_PrintfHeader(hp, "Content-Type: %.*s",
		    (int)run.resp.content_type_len, run.resp.content_type);
	blob.type = 0;
	blob.len = run.resp.body_len;
	blob.blob = run.resp.body;
	VRT_synth_blob(ctx, &blob);
	run_finish(&run);
	return final;
}
