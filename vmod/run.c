/*
 * Running one request on a program, for every entry point (backend,
 * chain, to_string, synth), and the bridge that lets the program read and
 * edit Varnish's header sets (sys_http_*).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinykvm_vmod.h"
#include "vtim.h"

static struct http *
pick(void *ctx, int where)
{
	struct vhttp *hb = ctx;

	return where == 0 ? hb->req : hb->resp;
}

static bool
bridge_has(void *ctx, int where)
{
	return pick(ctx, where) != NULL;
}

/* Slots and workspace a program's headers leave to Varnish and to us
 * (Content-Type, Content-Length, Date, Via, X-Varnish, ...). */
#define HEADER_SLOTS_KEPT	12
#define HEADER_WS_KEPT		2048

/* Whether one more header of len bytes fits: a header table or workspace
 * nearly full refuses it instead of failing the whole task. */
static bool
room_for(const struct http *hp, size_t len)
{
	return hp->nhd + HEADER_SLOTS_KEPT < hp->shd &&
	    ws_fits(hp->ws, len + 1 + HEADER_WS_KEPT);
}

/* The index of the first header named key, or 0. */
static unsigned
find_index(const struct http *hp, const char *key, size_t klen)
{
	for (unsigned u = HTTP_HDR_FIRST; u < hp->nhd; u++) {
		const txt *t = &hp->hd[u];
		if (t->b == NULL || (size_t)(t->e - t->b) <= klen ||
		    t->b[klen] != ':' || strncasecmp(t->b, key, klen) != 0)
			continue;
		return u;
	}
	return 0;
}

/* Returns the new header's index (Varnish's own), 0 when it has no room. */
static long
bridge_append(void *ctx, int where, const char *field, size_t len)
{
	struct http *hp = pick(ctx, where);
	unsigned before;

	if (hp == NULL || !room_for(hp, len))
		return 0;
	before = hp->nhd;
	http_PrintfHeader(hp, "%.*s", (int)len, field);
	return hp->nhd > before ? (long)hp->nhd - 1 : 0;
}

/* Removes header u, keeping the order of the others. */
static void
unset_at(struct http *hp, unsigned u)
{
	const unsigned after = hp->nhd - u - 1;

	memmove(&hp->hd[u], &hp->hd[u + 1], after * sizeof *hp->hd);
	memmove(&hp->hdf[u], &hp->hdf[u + 1], after * sizeof *hp->hdf);
	hp->nhd--;
}

/* A copy of field in hp's workspace for header u.  When header u is our
 * previous copy and nothing was allocated after it, its room is reused:
 * a program setting one header over and over uses the workspace once. */
static char *
header_copy(struct vhttp *hb, struct http *hp, unsigned u, const char *field,
    size_t len)
{
	uintptr_t below;
	char *copy;

	if (hb->copy != NULL && hp->hd[u].b == hb->copy && hb->copy_ws == hp->ws &&
	    WS_Snapshot(hp->ws) == hb->copy_top)
		WS_Reset(hp->ws, hb->copy_below);
	below = WS_Snapshot(hp->ws);
	if (!ws_fits(hp->ws, len + 1 + HEADER_WS_KEPT))
		return NULL;
	copy = WS_Alloc(hp->ws, (unsigned)len + 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, field, len);
	copy[len] = '\0';
	hb->copy = copy;
	hb->copy_ws = hp->ws;
	hb->copy_below = below;
	hb->copy_top = WS_Snapshot(hp->ws);
	return copy;
}

static long
bridge_set(void *ctx, int where, const char *field, size_t len)
{
	struct http *hp = pick(ctx, where);
	const char *colon = memchr(field, ':', len);
	unsigned u;
	char *copy;

	if (hp == NULL)
		return 0;
	u = find_index(hp, field, colon ? (size_t)(colon - field) : len);
	if (colon == NULL) {
		if (u != 0)
			unset_at(hp, u);
		return u;
	}
	if (u == 0)
		return bridge_append(ctx, where, field, len);
	copy = header_copy(ctx, hp, u, field, len);
	if (copy == NULL)
		return 0;
	http_SetH(hp, u, copy);
	return u;
}

static long
bridge_find(void *ctx, int where, const char *key, size_t klen,
    const char **field)
{
	struct http *hp = pick(ctx, where);
	unsigned u = hp ? find_index(hp, key, klen) : 0;

	if (u == 0)
		return -1;
	*field = hp->hd[u].b;
	return hp->hd[u].e - hp->hd[u].b;
}

static long
bridge_field(void *ctx, int where, unsigned i, const char **field)
{
	struct http *hp = pick(ctx, where);
	unsigned u = HTTP_HDR_FIRST + i;

	if (hp == NULL || u >= hp->nhd || hp->hd[u].b == NULL)
		return -1;
	*field = hp->hd[u].b;
	return hp->hd[u].e - hp->hd[u].b;
}

static void
bridge_log(void *ctx, const char *text, size_t len)
{
	struct vhttp *hb = ctx;

	reqlog_text(&hb->log, text, len);
}

static void
bridge_output(void *ctx, int fd, const char *data, size_t len)
{
	struct vhttp *hb = ctx;

	reqlog_output(&hb->log, fd, data, len);
}

/* A failed sys_fetch/sys_request: one Error line, one count. */
static int
fetch_failed(struct vhttp *hb, const struct tkvm_fetch *f)
{
	vlog(hb->ctx, SLT_Error, VMOD_LOG_PREFIX "fetch of '%s' for a "
	    "program failed: %s", f->url, f->error);
	if (hb->st->vsc != NULL)
		COUNT_ADD(hb->st->vsc->fetch_errors, 1);
	return -1;
}

/* sys_fetch/sys_request: the same client as the chain's fetch step. */
static int
bridge_fetch(void *ctx, struct tkvm_fetch *f)
{
	struct vhttp *hb = ctx;
	int status;

	if (f->self && f->url[0] != '/') {
		snprintf(f->error, sizeof f->error, "sys_request takes a path "
		    "(a self-request), not '%.100s'", f->url);
		return fetch_failed(hb, f);
	}
	if (f->timeout < 0) {
		snprintf(f->error, sizeof f->error, "timed out: the request's "
		    "time limit has passed");
		return fetch_failed(hb, f);
	}
	if (f->self && !self_enter(hb->st)) {
		f->errcode = EBUSY;
		snprintf(f->error, sizeof f->error, "%ld self-requests already "
		    "in flight", hb->st->self_max);
		status = -1;
	} else {
		status = fetch_url(hb->st, f);
		if (f->self)
			self_leave(hb->st);
	}
	return status < 0 ? fetch_failed(hb, f) : 0;
}

const struct tkvm_http_ops vmod_http_ops = {
	bridge_has, bridge_append, bridge_set, bridge_find, bridge_field,
	bridge_log, bridge_fetch, bridge_output,
};

/* Chain steps: no header sets (the header calls return 0), but logging
 * and fetching. */
static const struct tkvm_http_ops vmod_bare_ops = {
	NULL, NULL, NULL, NULL, NULL, bridge_log, bridge_fetch, bridge_output,
};

static void
count(struct vstats *s, const struct vrun *run, const struct tkvm_request *req,
    double reserve)
{
	const struct tkvm_response *r = &run->resp;

	s->invocations++;
	s->reservation_time += reserve;
	s->run_time += VTIM_mono() - run->t0;
	s->input_bytes += req->body_len;
	s->output_bytes += r->body_len;
	if (run->rc != 0) {
		s->failures++;
		s->timeouts += r->stop == TKVM_STOP_TIMEOUT;
		s->exceptions += r->stop == TKVM_STOP_EXCEPTION;
	}
	if (r->status >= 100 && r->status < 600)
		s->status[r->status / 100]++;
	else
		s->status[0]++;
}

/*
 * Reserves a request VM of vp and runs req on it.  Returns 0 with
 * run->resp (possibly a failed one: run->rc != 0) and the VM still
 * reserved until run_finish(); -1 when no VM could be had (logged).
 */
/* A streamed response pulled whole into run->streamed, at most max bytes;
 * the run fails when it cannot be. */
static void
drain_stream(struct vrun *run, size_t max)
{
	struct tkvm_response *r = &run->resp;
	size_t len = 0, cap = 0, n;
	const void *chunk;
	char why[sizeof r->reason];
	uint8_t *buf = NULL, *nb;
	int rc;

	while ((rc = tkvm_stream_pull(run->vm, 65536, &chunk, &n, why,
	    sizeof why)) == 1) {
		if (n > max - len) {
			snprintf(why, sizeof why, "streamed body larger than "
			    "%zu bytes", max);
			rc = -1;
			break;
		}
		if (len + n > cap) {
			cap = (len + n) * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				snprintf(why, sizeof why, "out of memory");
				rc = -1;
				break;
			}
			buf = nb;
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	if (rc != 0) {
		free(buf);
		memset(r, 0, sizeof *r);
		r->stop = TKVM_STOP_ERROR;
		memcpy(r->reason, why, sizeof r->reason);
		run->rc = -1;
		return;
	}
	run->streamed = buf;
	r->body = buf != NULL ? (const void *)buf : "";
	r->body_len = len;
	r->streaming = false;
}

int
run_request(VRT_CTX, struct vprogram *vp, struct tkvm_request *req,
    struct vhttp *hb, struct vrun *run, bool stream)
{
	const struct program_def *def = program_def(vp);
	struct vhttp bare = { .ctx = ctx };
	double t0 = VTIM_mono(), reserve;

	memset(run, 0, sizeof *run);
	run->slot = -1;
	run->vi = program_acquire(ctx, vp);
	if (run->vi == NULL)
		return -1;
	run->slot = instance_reserve(run->vi, def ? def->max_queue_time : 0);
	reserve = VTIM_mono() - t0;
	if (run->slot < 0) {
		AZ(pthread_mutex_lock(&vp->mtx));
		run->vi->vm_stats[0].reservation_timeouts++;
		AZ(pthread_mutex_unlock(&vp->mtx));
		if (vp->state->vsc != NULL)
			COUNT_ADD(vp->state->vsc->reservation_timeouts, 1);
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "program '%s': no free "
		    "request VM within %.1f s (all %u busy)", vp->name, reserve,
		    run->vi->nvms);
		instance_release(run->vi);
		run->vi = NULL;
		return -1;
	}
	run->vm = tkvm_program_reqvm(run->vi->prog, (unsigned)run->slot);
	run->vsl = ctx->vsl;
	run->name = vp->name;
	req->http = hb != NULL ? &vmod_http_ops : &vmod_bare_ops;
	if (hb == NULL)
		hb = &bare;	/* chain steps: no header sets, fetch works */
	hb->st = vp->state;
	req->http_ctx = hb;
	req->backend = ctx->bo != NULL;	/* where 4 and 5: bereq, beresp */
	reqlog_init(&hb->log, ctx, vp->name, vp->state->vsc);
	run->t0 = VTIM_mono();
	run->rc = tkvm_request_run(run->vm, req, &run->resp);
	reqlog_finish(&hb->log);
	if (run->resp.streaming && !stream)	/* on_error's may stream */
		drain_stream(run, (size_t)(def && def->max_memory ?
		    def->max_memory : 64) << 20);
	if (run->rc != 0)
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "program '%s': %s%s",
		    vp->name, run->resp.reason, run->resp.from_on_error ?
		    " (response from on_error)" : "");
	count(&run->vi->vm_stats[run->slot], run, req, reserve);
	counters_request(vp->state, &run->resp, run->rc);
	return 0;
}

/* Resets the VM and gives it back; the response is gone after this. */
void
run_finish(struct vrun *run)
{
	double t0 = VTIM_mono();
	char why[256];

	if (run->vi == NULL)
		return;
	if (tkvm_request_end(run->vm, why, sizeof why) != 0)
		VSLb(run->vsl, SLT_Error, VMOD_LOG_PREFIX "program '%s': %s",
		    run->name, why);
	run->vi->vm_stats[run->slot].reset_time += VTIM_mono() - t0;
	counters_vm_end(run->vi->vp->state, run->vi, run->slot, run->vm);
	counters_storage(run->vi->vp->state, run->vi);
	instance_free_vm(run->vi, run->slot);
	instance_release(run->vi);
	run->vi = NULL;
	free(run->streamed);
	run->streamed = NULL;
}

/* Whether len bytes fit in the workspace, without marking it overflowed
 * when they do not (WS_Alloc would, failing the whole task). */
bool
ws_fits(struct ws *ws, size_t len)
{
	unsigned avail = WS_ReserveAll(ws);

	WS_Release(ws, 0);
	return len < avail;
}
