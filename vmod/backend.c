/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * program(): a director whose backend fetch runs a program.  As in the
 * published VMOD, program(name, arg, config) hands the program url = arg
 * and arg = config; method, headers and body are the backend request's.
 * The chain queued by chain() runs first; the request body (bereq body or
 * the client's) is the first program's POST body.  The response goes into
 * beresp, its body through a fetch processor reading from a copy in the
 * workspace or, for larger bodies, straight from the request VM, which
 * then stays reserved until the fetch finishes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinykvm_vmod.h"
#include "vtim.h"
#include "vcc_if.h"

#define SMALL_BODY	(8 * 1024)	/* copied to the workspace */

/* What program() recorded for this task. */
struct backend_args {
	unsigned magic;
#define BACKEND_ARGS_MAGIC 0x5b1e2d05
	const char *url, *arg;
};

/* A fetch in flight, on the backend workspace. */
struct fetch {
	unsigned magic;
#define FETCH_MAGIC 0x5b1e2d06
	struct vrun run;
	const uint8_t *body;
	size_t len, done;
	void *owned;			/* malloc'd body from a chain */
	double keep;			/* from the program, or -1 */
	bool stream;			/* the body comes from tkvm_stream_pull */
};

struct body_buf {
	uint8_t *data;
	size_t len, cap, max;
};

static int v_matchproto_(objiterate_f)
append_body(void *priv, unsigned flush, const void *ptr, ssize_t l)
{
	struct body_buf *b = priv;

	(void)flush;
	if (l <= 0)
		return 0;
	if ((size_t)l > b->max - b->len)
		return -1;
	if (b->len + (size_t)l > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16384;
		while (cap < b->len + (size_t)l)
			cap *= 2;
		uint8_t *n = realloc(b->data, cap);
		if (n == NULL)
			return -1;
		b->data = n;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, (size_t)l);
	b->len += (size_t)l;
	return 0;
}

/* Collects the request body; -1 when too large or unreadable. */
static int
collect_body(struct busyobj *bo, struct body_buf *b)
{
	if (bo->bereq_body != NULL)
		return ObjIterate(bo->wrk, bo->bereq_body, b, append_body, 0) < 0 ?
		    -1 : 0;
	if (bo->req != NULL && bo->req->req_body_status != BS_NONE &&
	    bo->req->req_body_status != NULL)
		return VRB_Iterate(bo->wrk, bo->vsl, bo->req, append_body, b) < 0 ?
		    -1 : 0;
	return 0;
}

static enum vfp_status v_matchproto_(vfp_pull_f)
fetch_pull(struct vfp_ctx *vc, struct vfp_entry *vfe, void *p, ssize_t *lp)
{
	struct fetch *f;
	size_t n;

	(void)vc;
	CAST_OBJ_NOTNULL(f, vfe->priv1, FETCH_MAGIC);
	n = f->len - f->done;
	if (n > (size_t)*lp)
		n = (size_t)*lp;
	memcpy(p, f->body + f->done, n);
	f->done += n;
	*lp = (ssize_t)n;
	return f->done == f->len ? VFP_END : VFP_OK;
}

/* A streamed response: one chunk from the program per pull, so that what
 * it gives reaches the object (and a streaming client) at once; a failing
 * program fails the object. */
static enum vfp_status v_matchproto_(vfp_pull_f)
stream_pull(struct vfp_ctx *vc, struct vfp_entry *vfe, void *p, ssize_t *lp)
{
	struct fetch *f;
	const void *chunk;
	size_t n = 0;
	char why[200];
	int rc;

	CAST_OBJ_NOTNULL(f, vfe->priv1, FETCH_MAGIC);
	rc = tkvm_stream_pull(f->run.vm, (size_t)*lp, &chunk, &n, why,
	    sizeof why);
	if (rc < 0)
		return VFP_Error(vc, VMOD_LOG_PREFIX "program '%s': %s",
		    f->run.name, why);
	if (n > 0)
		memcpy(p, chunk, n);
	*lp = (ssize_t)n;
	f->done += n;
	return rc == 0 ? VFP_END : VFP_OK;
}

/* Opened after vcl_backend_response: keep has no Cache-Control form, so
 * the program's keep is applied to the object here. */
static enum vfp_status v_matchproto_(vfp_init_f)
fetch_init(VRT_CTX, struct vfp_ctx *vc, struct vfp_entry *vfe)
{
	struct fetch *f;

	(void)ctx;
	CAST_OBJ_NOTNULL(f, vfe->priv1, FETCH_MAGIC);
	if (f->keep >= 0 && vc->oc != NULL)
		vc->oc->keep = f->keep;
	return VFP_OK;
}

static const struct vfp fetch_vfp = {
	.name = "tinykvm",
	.init = fetch_init,
	.pull = fetch_pull,
};

static const struct vfp stream_vfp = {
	.name = "tinykvm_stream",
	.init = fetch_init,
	.pull = stream_pull,
};

static void
set_cacheability(struct http *hp, const struct tkvm_response *r)
{
	if (!r->cache_set)
		return;
	http_Unset(hp, H_Cache_Control);
	if (!r->cached)
		http_SetHeader(hp, "Cache-Control: private, no-store");
	else if (r->grace > 0)
		http_PrintfHeader(hp, "Cache-Control: max-age=%.0f, "
		    "stale-while-revalidate=%.0f", r->ttl, r->grace);
	else
		http_PrintfHeader(hp, "Cache-Control: max-age=%.0f", r->ttl);
}

/* beresp from a program's response; body_len bytes follow via the VFP. */
static void
write_beresp(struct busyobj *bo, int status, const struct tkvm_response *r,
    size_t body_len)
{
	struct http *hp = bo->beresp;

	http_PutResponse(hp, "HTTP/1.1", (uint16_t)status, NULL);
	if (r != NULL) {
		http_Unset(hp, H_Content_Type);
		if (r->content_type_len > 0)
			http_PrintfHeader(hp, "Content-Type: %.*s",
			    (int)r->content_type_len, r->content_type);
		for (unsigned i = 0; i < r->num_headers; i++)
			http_PrintfHeader(hp, "%.*s", (int)r->headers[i].len,
			    r->headers[i].field);
		set_cacheability(hp, r);
	}
	http_Unset(hp, H_Content_Length);
	if (r == NULL || !r->streaming || body_len > 0)
		http_PrintfHeader(hp, "Content-Length: %zu", body_len);
}

static int
start_body(struct busyobj *bo, struct fetch *f)
{
	struct vfp_entry *vfe;

	bo->htc = WS_Alloc(bo->ws, sizeof *bo->htc);
	if (bo->htc == NULL)
		return -1;
	INIT_OBJ(bo->htc, HTTP_CONN_MAGIC);
	bo->htc->doclose = SC_REM_CLOSE;
	bo->htc->content_length = f->stream && f->len == 0 ? -1 :
	    (ssize_t)f->len;
	bo->htc->body_status = f->stream ? (f->len ? BS_LENGTH : BS_CHUNKED) :
	    f->len ? BS_LENGTH : BS_NONE;
	bo->htc->priv = f;
	if (f->len == 0 && !f->stream)
		return 0;
	vfe = VFP_Push(bo->vfc, f->stream ? &stream_vfp : &fetch_vfp);
	if (vfe == NULL)
		return -1;
	vfe->priv1 = f;
	return 0;
}

/* A response with no body and this status: 500 or 503. */
static int
error_response(struct busyobj *bo, struct fetch *f, int status)
{
	write_beresp(bo, status, NULL, 0);
	f->len = 0;
	return start_body(bo, f);
}

static void
prepare_request(struct busyobj *bo, struct tkvm_request *req,
    struct tkvm_header *hdrs, unsigned max)
{
	struct http *hp = bo->bereq;
	unsigned n = 0;

	req->method = hp->hd[HTTP_HDR_METHOD].b;
	for (unsigned u = HTTP_HDR_FIRST; u < hp->nhd && n < max; u++) {
		if (hp->hd[u].b == NULL)
			continue;
		hdrs[n].field = hp->hd[u].b;
		hdrs[n].len = Tlen(hp->hd[u]);
		n++;
	}
	req->headers = hdrs;
	req->num_headers = n;
	(void)http_GetHdr(hp, H_Content_Type, &req->content_type);
}

static size_t
body_limit(const struct vprogram *vp)
{
	const struct program_def *def = program_def(vp);
	uint64_t mib = def && def->max_memory ? def->max_memory : 64;

	return (size_t)(mib << 20) / 2;
}

static int v_matchproto_(vdi_gethdrs_f)
backend_gethdrs(VRT_CTX, VCL_BACKEND dir)
{
	struct busyobj *bo = ctx->bo;
	struct vprogram *vp;
	struct backend_args *ba;
	struct vmod_priv *task;
	struct tkvm_header hdrs[128];
	struct tkvm_request req;
	struct vhttp hb = { .ctx = ctx };
	struct body_buf body = { NULL, 0, 0, 0 };
	struct fetch *f;
	struct chain *chain;
	char ctype[256] = "";
	int status;

	CHECK_OBJ_NOTNULL(bo, BUSYOBJ_MAGIC);
	CAST_OBJ_NOTNULL(vp, dir->priv, VPROGRAM_MAGIC);
	AZ(bo->htc);
	f = WS_Alloc(bo->ws, sizeof *f);
	if (f == NULL) {
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "out of workspace");
		return -1;
	}
	INIT_OBJ(f, FETCH_MAGIC);
	f->keep = -1;
#ifdef TKVM_BENCH_NO_VM
	/* `make BENCH_NO_VM=1`: Varnish's own cost of this backend fetch,
	 * without a VM, as the baseline of bench/load.sh. */
	{
		static const char hello[] = "Hello World";
		struct tkvm_response r = { .status = 200,
		    .content_type = "text/plain", .content_type_len = 10 };
		f->body = (const uint8_t *)hello;
		f->len = sizeof hello - 1;
		write_beresp(bo, 200, &r, f->len);
		return start_body(bo, f);
	}
#endif
	task = VRT_priv_task_get(ctx, vp);
	ba = task ? task->priv : NULL;
	memset(&req, 0, sizeof req);
	prepare_request(bo, &req, hdrs, 128);
	req.url = ba && ba->url ? ba->url : "";
	req.arg = ba && ba->arg ? ba->arg : "";
	body.max = body_limit(vp);
	if (collect_body(bo, &body) != 0) {
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "program '%s': request "
		    "body unreadable or larger than %zu bytes", vp->name, body.max);
		free(body.data);
		return error_response(bo, f, 413);
	}
	chain = chain_get(ctx, false);
	if (chain != NULL && chain->n > 0) {
		void *out = NULL;
		size_t len = 0;
		status = chain_run(ctx, chain, req.method, &out, &len, ctype,
		    sizeof ctype);
		chain->n = 0;
		free(body.data);
		body.data = out;
		body.len = len;
		if (status < 0)
			return error_response(bo, f, 503);
		if (status >= 400) {
			/* The chain stopped: its response is the response. */
			struct tkvm_response r = { .status = status };
			r.content_type = ctype;
			r.content_type_len = strlen(ctype);
			f->owned = out;
			f->body = out;
			f->len = len;
			write_beresp(bo, status, &r, len);
			return start_body(bo, f);
		}
		req.method = "POST";
		req.content_type = ctype;
	}
	if (body.len > 0 || body.data != NULL) {
		req.body = body.data ? body.data : (const uint8_t *)"";
		req.body_len = body.len;
	}
	hb.req = bo->bereq;
	hb.resp = bo->beresp;
	if (run_request(ctx, vp, &req, &hb, &f->run, true) != 0) {
		free(body.data);
		return error_response(bo, f, 503);
	}
	free(body.data);
	if (f->run.rc != 0 && !f->run.resp.from_on_error) {
		run_finish(&f->run);
		return error_response(bo, f, 500);
	}
	f->len = f->run.resp.body_len;
	f->body = f->run.resp.body;
	if (f->run.resp.cache_set && f->run.resp.cached && f->run.resp.keep > 0)
		f->keep = f->run.resp.keep;
	write_beresp(bo, f->run.resp.status, &f->run.resp, f->len);
	if (f->run.resp.streaming) {
		f->stream = true;	/* the VM stays reserved until finish */
	} else if (f->len == 0) {
		/* WS_Copy() asserts on a length of 0: nothing to copy. */
		f->body = (const void *)"";
		run_finish(&f->run);
	} else if (f->len <= SMALL_BODY && ws_fits(bo->ws, f->len + 1)) {
		void *copy = WS_Copy(bo->ws, f->body, (int)f->len);
		if (copy != NULL) {
			f->body = copy;
			run_finish(&f->run);
		}
	}
	return start_body(bo, f);
}

static void v_matchproto_(vdi_finish_f)
backend_finish(VRT_CTX, VCL_BACKEND dir)
{
	struct busyobj *bo = ctx->bo;
	struct fetch *f;

	(void)dir;
	CHECK_OBJ_NOTNULL(bo, BUSYOBJ_MAGIC);
	if (bo->htc == NULL)
		return;
	CAST_OBJ_NOTNULL(f, bo->htc->priv, FETCH_MAGIC);
	run_finish(&f->run);
	free(f->owned);
	f->owned = NULL;
	bo->htc->priv = NULL;
	bo->htc = NULL;
}

static void v_matchproto_(vdi_panic_f)
backend_panic(VCL_BACKEND dir, struct vsb *vsb)
{
	struct vprogram *vp;

	CAST_OBJ_NOTNULL(vp, dir->priv, VPROGRAM_MAGIC);
	VSB_printf(vsb, "tinykvm program = %s,\n", vp->name);
}

static const struct vdi_methods program_methods[1] = {{
	.magic = VDI_METHODS_MAGIC,
	.type = "tinykvm",
	.gethdrs = backend_gethdrs,
	.finish = backend_finish,
	.panic = backend_panic,
}};

VCL_BACKEND
vmod_program(VRT_CTX, struct vmod_priv *priv, VCL_STRING program,
    VCL_STRING arg, VCL_STRING config)
{
	struct vprogram *vp = program_get(ctx, state_get(ctx, priv), program);
	struct vmod_priv *task;
	struct backend_args *ba;

	if (vp == NULL)
		return NULL;
	task = VRT_priv_task(ctx, vp);
	if (task == NULL) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "out of workspace");
		return NULL;
	}
	ba = WS_Alloc(ctx->ws, sizeof *ba);
	if (ba == NULL) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "out of workspace");
		return NULL;
	}
	INIT_OBJ(ba, BACKEND_ARGS_MAGIC);
	ba->url = arg != NULL ? arg : "";
	ba->arg = config != NULL ? config : "";
	task->priv = ba;
	AZ(pthread_mutex_lock(&vp->mtx));
	if (vp->director == NULL)
		vp->director = VRT_AddDirector(ctx, program_methods, vp,
		    "tinykvm.%s", vp->name);
	AZ(pthread_mutex_unlock(&vp->mtx));
	return vp->director;
}

/*
 * live_update(): the request body is a new binary for the program.  The
 * answers are the published VMOD's (docs/COMPATIBILITY.md): a wrong or
 * missing key fails the VCL at the live_update() call, a body over
 * max_size fails the fetch (both: a 503), and everything else answers
 * 201 with what happened in the body, "Update successful" first when it
 * worked.  Ours adds the figures of a switch in X-TinyKVM-Update.
 */
#define LIVE_MAX_NO_LIMIT	(1ULL << 30)	/* max_size 0: as a file */

struct live_args {
	unsigned magic;
#define LIVE_ARGS_MAGIC 0x5b1e2d07
	size_t max_size;
};

static int
text_response(struct busyobj *bo, struct fetch *f, int status, const char *text,
    const char *header)
{
	struct tkvm_response r = { .status = status };

	r.content_type = "text/plain";
	r.content_type_len = 10;
	if (header != NULL) {
		r.headers[0].field = header;
		r.headers[0].len = strlen(header);
		r.num_headers = 1;
	}
	f->len = strlen(text);
	f->body = f->len ? (const void *)WS_Copy(bo->ws, text, (int)f->len) : "";
	if (f->body == NULL)
		f->len = 0;
	write_beresp(bo, status, &r, f->len);
	return start_body(bo, f);
}

static int v_matchproto_(vdi_gethdrs_f)
live_gethdrs(VRT_CTX, VCL_BACKEND dir)
{
	struct busyobj *bo = ctx->bo;
	struct vprogram *vp;
	struct vmod_priv *task;
	struct live_args *la;
	struct body_buf body = { NULL, 0, 0, 0 };
	struct fetch *f;
	char err[256], msg[700], what[300], hdr[340];
	struct vupdate up;

	CHECK_OBJ_NOTNULL(bo, BUSYOBJ_MAGIC);
	CAST_OBJ_NOTNULL(vp, dir->priv, VPROGRAM_MAGIC);
	f = WS_Alloc(bo->ws, sizeof *f);
	if (f == NULL)
		return -1;
	INIT_OBJ(f, FETCH_MAGIC);
	task = VRT_priv_task_get(ctx, &vp->live_director);
	CAST_OBJ_NOTNULL(la, task ? task->priv : NULL, LIVE_ARGS_MAGIC);
	body.max = la->max_size;
	if (collect_body(bo, &body) != 0) {
		free(body.data);
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "live update of '%s' "
		    "refused: the request body is unreadable or larger than %zu "
		    "bytes", vp->name, la->max_size);
		live_update_counted(vp->state, false);
		return -1;
	}
	if (body.len == 0) {
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "live update of '%s' "
		    "refused: the request body is empty", vp->name);
		live_update_counted(vp->state, false);
		return text_response(bo, f, 201, "Empty file received", NULL);
	}
	if (program_load_now(ctx, vp, body.data, body.len, &up, err,
	    sizeof err) != 0) {
		free(body.data);
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "live update of '%s' "
		    "failed, the old program keeps serving: %s", vp->name, err);
		live_update_counted(vp->state, false);
		snprintf(msg, sizeof msg, "Live update failed: %s\n", err);
		return text_response(bo, f, 201, msg, NULL);
	}
	free(body.data);
	vupdate_describe(&up, what, sizeof what);
	vlog(ctx, SLT_VCL_Log, VMOD_LOG_PREFIX "'%s' updated (%zu bytes): %s",
	    vp->name, body.len, what);
	live_update_counted(vp->state, true);
	snprintf(hdr, sizeof hdr, "X-TinyKVM-Update: %s", what);
	/* Not stored: the program's file is left as it is. */
	return text_response(bo, f, 201, "Update successful (not stored)\n", hdr);
}

static const struct vdi_methods live_methods[1] = {{
	.magic = VDI_METHODS_MAGIC,
	.type = "tinykvm_live_update",
	.gethdrs = live_gethdrs,
	.finish = backend_finish,
	.panic = backend_panic,
}};

VCL_BACKEND
vmod_live_update(VRT_CTX, struct vmod_priv *priv, VCL_STRING program,
    VCL_STRING key, VCL_BYTES max_size)
{
	struct vprogram *vp = program_get(ctx, state_get(ctx, priv), program);
	const struct program_def *def;
	struct vmod_priv *task;
	struct live_args *la;

	if (vp == NULL)
		return NULL;
	/* As published: no key, or not the program's, fails here.  A
	 * program without a key ("key" missing or "") takes none. */
	def = program_def(vp);
	if (key == NULL || def == NULL || def->key == NULL ||
	    strcmp(def->key, key) != 0) {
		live_update_counted(vp->state, false);
		VRT_fail(ctx, VMOD_LOG_PREFIX "live update of '%s' refused: %s",
		    vp->name, key == NULL ? "no key given" : def == NULL ||
		    def->key == NULL ? "the program takes no live update (no "
		    "'key')" : "wrong key");
		return NULL;
	}
	task = VRT_priv_task(ctx, &vp->live_director);
	la = WS_Alloc(ctx->ws, sizeof *la);
	if (task == NULL || la == NULL) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "out of workspace");
		return NULL;
	}
	INIT_OBJ(la, LIVE_ARGS_MAGIC);
	la->max_size = max_size > 0 ? (size_t)max_size : LIVE_MAX_NO_LIMIT;
	task->priv = la;
	AZ(pthread_mutex_lock(&vp->mtx));
	if (vp->live_director == NULL)
		vp->live_director = VRT_AddDirector(ctx, live_methods, vp,
		    "tinykvm.live.%s", vp->name);
	AZ(pthread_mutex_unlock(&vp->mtx));
	return vp->live_director;
}
