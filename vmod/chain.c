/*
 * chain(): programs queued for this task run in order before the final
 * program() or to_string(); each response body is POSTed to the next.
 * As in the published VMOD, chain(program, arg, config) hands the program
 * url = arg and arg = config.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinykvm_vmod.h"
#include "vcc_if.h"
#include "http_client.h"

static const int chain_key;

struct chain *
chain_get(VRT_CTX, bool create)
{
	struct vmod_priv *task;
	struct chain *c;

	task = create ? VRT_priv_task(ctx, &chain_key) :
	    VRT_priv_task_get(ctx, &chain_key);
	if (task == NULL)
		return NULL;
	if (task->priv == NULL && create) {
		c = WS_Alloc(ctx->ws, sizeof *c);
		if (c == NULL)
			return NULL;
		INIT_OBJ(c, CHAIN_MAGIC);
		task->priv = c;
	}
	CAST_OBJ(c, task->priv, CHAIN_MAGIC);
	return c;
}

/*
 * "fetch" is the built-in step (GET the URL, no VM reserved) for a path,
 * or when no program is named "fetch"; a program named "fetch" takes the
 * other URLs, as in the published VMOD.
 */
static bool
builtin_fetch(struct vmod_state *st, const char *program, const char *url)
{
	if (strcmp(program, "fetch") != 0)
		return false;
	return url[0] == '/' || library_find(st->library, "fetch") == NULL;
}

VCL_BOOL
vmod_chain(VRT_CTX, struct vmod_priv *priv, VCL_STRING program,
    VCL_STRING arg, VCL_STRING config, VCL_INT error_treshold)
{
	struct vmod_state *st = state_get(ctx, priv);
	const char *url = arg != NULL ? arg : "";
	struct vprogram *vp = NULL;
	struct chain *c;

	if (program == NULL || *program == '\0') {
		VRT_fail(ctx, VMOD_LOG_PREFIX "chain(): no program name");
		return 0;
	}
	if (builtin_fetch(st, program, url)) {
		if (*url == '\0') {
			VRT_fail(ctx, VMOD_LOG_PREFIX "chain(\"fetch\"): no URL");
			return 0;
		}
	} else if ((vp = program_get(ctx, st, program)) == NULL)
		return 0;
	c = chain_get(ctx, true);
	if (c == NULL) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "chain(): out of workspace");
		return 0;
	}
	if (c->n == CHAIN_MAX) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "chain(): more than %d programs",
		    CHAIN_MAX);
		return 0;
	}
	c->items[c->n].vp = vp;
	c->items[c->n].st = st;
	c->items[c->n].url = url;
	c->items[c->n].arg = config != NULL ? config : "";
	c->items[c->n].error_treshold = (int)error_treshold;
	c->n++;
	return 1;
}

/* Counts a self-request in; false when max_concurrent_requests are in
 * flight already. */
bool
self_enter(struct vmod_state *st)
{
	bool ok;

	AZ(pthread_mutex_lock(&st->mtx));
	ok = st->self_max <= 0 || st->self_active < (unsigned)st->self_max;
	if (ok)
		st->self_active++;
	AZ(pthread_mutex_unlock(&st->mtx));
	return ok;
}

void
self_leave(struct vmod_state *st)
{
	AZ(pthread_mutex_lock(&st->mtx));
	st->self_active--;
	AZ(pthread_mutex_unlock(&st->mtx));
}

int
fetch_url(struct vmod_state *st, struct tkvm_fetch *f)
{
	const struct http_client hc = { st->self_socket, st->self_prefix };

	return http_fetch(&hc, f);
}

/* The built-in fetch step, bounded by max_concurrent_requests. */
static int
fetch_step(VRT_CTX, const struct chain_item *it, void **data, size_t *len,
    char *ctype, size_t ctlen)
{
	struct vmod_state *st = it->st;
	struct tkvm_fetch f;
	int rc;

	if (!self_enter(st)) {
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "fetch of '%s' refused: "
		    "%ld self-requests already in flight", it->url, st->self_max);
		if (st->vsc != NULL)
			COUNT_ADD(st->vsc->fetch_errors, 1);
		return -1;
	}
	memset(&f, 0, sizeof f);
	f.url = it->url;
	f.follow_location = true;
	rc = fetch_url(st, &f);
	self_leave(st);
	if (rc < 0) {
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "fetch of '%s' failed: %s",
		    it->url, f.error);
		if (st->vsc != NULL)
			COUNT_ADD(st->vsc->fetch_errors, 1);
		return -1;
	}
	*data = f.body;
	*len = f.body_len;
	snprintf(ctype, ctlen, "%s", f.ctype);
	free(f.headers);
	return f.status;
}

/*
 * Runs every queued program.  The first gets a GET (or the task's method)
 * with no body, the rest a POST of the previous body.  Returns the last
 * status; a failed program counts as 500, a missing VM as -1.
 */
int
chain_run(VRT_CTX, struct chain *c, const char *method, void **body,
    size_t *len, char *ctype, size_t ctlen)
{
	void *data = NULL;
	size_t dlen = 0;
	int status = 200;

	for (unsigned i = 0; i < c->n; i++) {
		struct chain_item *it = &c->items[i];
		struct tkvm_request req = {
			.method = i == 0 ? method : "POST",
			.url = it->url,
			.arg = it->arg,
			.content_type = i == 0 ? NULL : ctype,
			.body = i == 0 ? NULL : (data ? data : ""),
			.body_len = dlen,
		};
		struct vrun run;

		if (it->vp == NULL) {
			free(data);
			data = NULL;
			status = fetch_step(ctx, it, &data, &dlen, ctype, ctlen);
			if (status < 0)
				return -1;
			if (status >= it->error_treshold) {
				vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "chain "
				    "stopped at fetch of '%s' (step %u): status %d",
				    it->url, i + 1, status);
				break;
			}
			continue;
		}
		if (run_request(ctx, it->vp, &req, NULL, &run, false) != 0) {
			free(data);
			return -1;
		}
		status = run.rc != 0 && !run.resp.from_on_error ? 500 :
		    run.resp.status;
		free(data);
		dlen = run.rc != 0 && !run.resp.from_on_error ? 0 : run.resp.body_len;
		data = malloc(dlen ? dlen : 1);
		AN(data);
		memcpy(data, run.resp.body, dlen);
		snprintf(ctype, ctlen, "%.*s", (int)run.resp.content_type_len,
		    run.resp.content_type ? run.resp.content_type : "");
		run_finish(&run);
		if (status >= it->error_treshold) {
			vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "chain stopped at "
			    "'%s' (step %u): status %d >= %d", it->vp->name, i + 1,
			    status, it->error_treshold);
			break;
		}
	}
	*body = data;
	*len = dlen;
	return status;
}
