/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stats(): JSON statistics of loaded programs, written with the JSON
 * writer of config/json_write.c.
 * indentation -1 gives minified JSON, N indents by N spaces per level.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinykvm_vmod.h"
#include "vre.h"
#include "json.h"

/*
 * Thin helpers over the project's JSON writer (config/json_write.c):
 * key and value in one call, as every member here has a name.
 */
static void
open_obj(struct json_writer *w, const char *k)
{
	if (k != NULL)
		json_key(w, k);
	json_begin_object(w);
}

static void
close_obj(struct json_writer *w)
{
	json_end_object(w);
}

static void
num(struct json_writer *w, const char *k, uint64_t v)
{
	json_key(w, k);
	json_write_uint(w, v);
}

static void
dbl(struct json_writer *w, const char *k, double v)
{
	json_key(w, k);
	json_write_fixed(w, v, 6);
}

static void
str(struct json_writer *w, const char *k, const char *v)
{
	json_key(w, k);
	json_write_string(w, v);
}

static void
counters(struct json_writer *w, const struct vstats *s)
{
	static const char *const classes[6] = { "other", "1xx", "2xx", "3xx",
	    "4xx", "5xx" };

	num(w, "invocations", s->invocations);
	num(w, "failures", s->failures);
	num(w, "exceptions", s->exceptions);
	num(w, "timeouts", s->timeouts);
	num(w, "resets", s->resets);
	num(w, "replacements", s->replacements);
	num(w, "reservation_timeouts", s->reservation_timeouts);
	dbl(w, "reservation_time", s->reservation_time);
	dbl(w, "cpu_time", s->run_time);
	dbl(w, "reset_time", s->reset_time);
	num(w, "input_bytes", s->input_bytes);
	num(w, "output_bytes", s->output_bytes);
	open_obj(w, "status");
	for (int i = 0; i < 6; i++)
		num(w, classes[i], s->status[i]);
	close_obj(w);
}

static void
add(struct vstats *t, const struct vstats *s)
{
	t->invocations += s->invocations;
	t->failures += s->failures;
	t->exceptions += s->exceptions;
	t->timeouts += s->timeouts;
	t->resets += s->resets;
	t->replacements += s->replacements;
	t->reservation_timeouts += s->reservation_timeouts;
	t->reservation_time += s->reservation_time;
	t->run_time += s->run_time;
	t->reset_time += s->reset_time;
	t->input_bytes += s->input_bytes;
	t->output_bytes += s->output_bytes;
	for (int i = 0; i < 6; i++)
		t->status[i] += s->status[i];
}

/* The storage VM's counters, when the program has one. */
static void
storage_stats(struct json_writer *w, struct vinstance *vi)
{
	struct tkvm_storage_stats ss;

	if (tkvm_program_storage_stats(vi->prog, &ss) != 0)
		return;
	open_obj(w, "storage");
	num(w, "invocations", ss.calls);
	num(w, "failures", ss.failures);
	num(w, "resets", ss.resets);
	num(w, "tasks", ss.tasks);
	num(w, "task_failures", ss.task_failures);
	num(w, "input_bytes", ss.bytes_in);
	num(w, "output_bytes", ss.bytes_out);
	dbl(w, "cpu_time", ss.run_s);
	dbl(w, "task_time", ss.task_s);
	dbl(w, "wait_time", ss.wait_s);
	close_obj(w);
}

static void
program_stats(struct json_writer *w, struct vprogram *vp, struct vinstance *vi)
{
	struct vstats total;
	unsigned busy = 0;
	char name[32];

	memset(&total, 0, sizeof total);
	for (unsigned i = 0; i < vi->nvms; i++)
		busy += vi->busy[i];
	open_obj(w, vp->name);
	open_obj(w, "program");
	str(w, "name", vp->name);
	dbl(w, "load_time", vi->load_time);
	dbl(w, "loaded_at", vi->loaded_at);
	/* Names as published: switches to a new binary, and the bytes the
	 * last one moved through on_live_update/on_live_restore. */
	num(w, "live_updates", vp->live_updates);
	num(w, "live_update_transfer_bytes", vp->last_live.bytes);
	/* The switch time of the live update that loaded this binary: in
	 * hand to the end of the first request it served. */
	dbl(w, "live_update_first_request", vi->first_served);
	num(w, "request_vms", vi->nvms);
	num(w, "busy_vms", busy);
	close_obj(w);
	open_obj(w, "request_vms");
	for (unsigned i = 0; i < vi->nvms; i++) {
		struct tkvm_reqvm_stats es;
		tkvm_reqvm_stats(tkvm_program_reqvm(vi->prog, i), &es);
		snprintf(name, sizeof name, "%u", i);
		open_obj(w, name);
		vi->vm_stats[i].resets = es.resets;
		vi->vm_stats[i].replacements = es.replacements;
		counters(w, &vi->vm_stats[i]);
		num(w, "pages_dirtied_last", es.pages_dirtied_last);
		num(w, "memory_in_use", es.private_pages * 4096);
		num(w, "pages_restored_total", es.pages_dirtied_total);
		num(w, "busy", vi->busy[i]);
		close_obj(w);
		add(&total, &vi->vm_stats[i]);
	}
	close_obj(w);
	open_obj(w, "totals");
	counters(w, &total);
	close_obj(w);
	storage_stats(w, vi);
	close_obj(w);
}

VCL_STRING
stats_json(VRT_CTX, struct vmod_state *st, const char *pattern, long indent)
{
	struct json_writer w;
	vre_t *re = NULL;
	int error, off;
	char *doc, *out;
	size_t len;

	if (pattern != NULL && *pattern != '\0') {
		re = VRE_compile(pattern, 0, &error, &off, 1);
		if (re == NULL) {
			VRT_fail(ctx, VMOD_LOG_PREFIX "stats(): bad regex '%s'", pattern);
			return NULL;
		}
	}
	json_writer_init(&w, indent < 0 ? -1 : indent > INT_MAX ? INT_MAX :
	    (int)indent);
	open_obj(&w, NULL);
	AZ(pthread_mutex_lock(&st->mtx));
	for (struct vprogram *vp = st->programs; vp != NULL; vp = vp->next) {
		if (re != NULL && VRE_match(re, vp->name, 0, 0, NULL) < 0)
			continue;
		AZ(pthread_mutex_lock(&vp->mtx));
		if (vp->current != NULL && vp->ls == VP_READY)
			program_stats(&w, vp, vp->current);
		AZ(pthread_mutex_unlock(&vp->mtx));
	}
	AZ(pthread_mutex_unlock(&st->mtx));
	close_obj(&w);
	if (re != NULL)
		VRE_free(&re);
	doc = json_writer_finish(&w, &len);
	if (doc == NULL) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "stats(): out of memory");
		return NULL;
	}
	out = WS_Copy(ctx->ws, doc, (int)len + 1);
	free(doc);
	if (out == NULL)
		VRT_fail(ctx, VMOD_LOG_PREFIX "stats(): out of workspace");
	return out;
}
