/*
 * stats(): JSON statistics of loaded programs, written with a VSB.
 * indentation -1 gives minified JSON, N indents by N spaces per level.
 */
#include <stdio.h>
#include <string.h>

#include "tinykvm_vmod.h"
#include "vre.h"
#include "vsb.h"

struct jw {
	struct vsb *vsb;
	long indent;
	int depth;
	bool first;
};

static void
newline(struct jw *w)
{
	if (w->indent < 0)
		return;
	VSB_putc(w->vsb, '\n');
	for (long i = 0; i < w->depth * w->indent; i++)
		VSB_putc(w->vsb, ' ');
}

static void
key(struct jw *w, const char *k)
{
	if (!w->first)
		VSB_putc(w->vsb, ',');
	w->first = false;
	newline(w);
	VSB_printf(w->vsb, "\"%s\":%s", k, w->indent < 0 ? "" : " ");
}

static void
open_obj(struct jw *w, const char *k)
{
	if (k != NULL)
		key(w, k);
	VSB_putc(w->vsb, '{');
	w->depth++;
	w->first = true;
}

static void
close_obj(struct jw *w)
{
	w->depth--;
	if (!w->first)
		newline(w);
	VSB_putc(w->vsb, '}');
	w->first = false;
}

static void
num(struct jw *w, const char *k, uint64_t v)
{
	key(w, k);
	VSB_printf(w->vsb, "%ju", (uintmax_t)v);
}

static void
dbl(struct jw *w, const char *k, double v)
{
	key(w, k);
	VSB_printf(w->vsb, "%.6f", v);
}

static void
str(struct jw *w, const char *k, const char *v)
{
	key(w, k);
	VSB_putc(w->vsb, '"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			VSB_printf(w->vsb, "\\%c", *v);
		else if ((unsigned char)*v < 0x20)
			VSB_printf(w->vsb, "\\u%04x", *v);
		else
			VSB_putc(w->vsb, *v);
	}
	VSB_putc(w->vsb, '"');
}

static void
counters(struct jw *w, const struct vstats *s)
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
storage_stats(struct jw *w, struct vinstance *vi)
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
program_stats(struct jw *w, struct vprogram *vp, struct vinstance *vi)
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
	struct jw w = { VSB_new_auto(), indent, 0, true };
	vre_t *re = NULL;
	int error, off;
	char *out;

	AN(w.vsb);
	if (pattern != NULL && *pattern != '\0') {
		re = VRE_compile(pattern, 0, &error, &off, 1);
		if (re == NULL) {
			VRT_fail(ctx, VMOD_LOG_PREFIX "stats(): bad regex '%s'", pattern);
			VSB_destroy(&w.vsb);
			return NULL;
		}
	}
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
	AZ(VSB_finish(w.vsb));
	out = WS_Copy(ctx->ws, VSB_data(w.vsb), (int)VSB_len(w.vsb) + 1);
	VSB_destroy(&w.vsb);
	if (out == NULL)
		VRT_fail(ctx, VMOD_LOG_PREFIX "stats(): out of workspace");
	return out;
}
