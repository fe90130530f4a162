/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VCL entry points for definitions and program lifecycle: the event
 * function, library(), configure(), main_arguments(), start(),
 * invalidate_programs(), init_self_requests(), stats().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tinykvm_vmod.h"
#include "source.h"
#include "vre.h"
#include "vcc_if.h"

/*
 * varnishd's worker must be able to open /dev/kvm; when it cannot, the
 * VCL load fails with the cause and the command that fixes it.
 */
static int
check_kvm(VRT_CTX)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	char why[1024];

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	tkvm_kvm_open_error(errno, "varnishd's worker", "restart varnishd "
	    "(systemctl restart varnish)", why, sizeof why);
	VSB_printf(ctx->msg, VMOD_LOG_PREFIX "%s\n", why);
	return -1;
}

int v_matchproto_(vmod_event_f)
vmod_event(VRT_CTX, struct vmod_priv *priv, enum vcl_event_e e)
{
	struct vmod_state *st;

	switch (e) {
	case VCL_EVENT_LOAD:
		if (check_kvm(ctx) != 0)
			return -1;
		counters_create(ctx, state_get(ctx, priv));
		return 0;
	case VCL_EVENT_WARM:
	case VCL_EVENT_COLD:
		if (priv->priv != NULL) {
			CAST_OBJ_NOTNULL(st, priv->priv, VMOD_STATE_MAGIC);
			counters_show(st, e == VCL_EVENT_WARM);
		}
		return 0;
	case VCL_EVENT_DISCARD:
		if (priv->priv != NULL) {
			CAST_OBJ_NOTNULL(st, priv->priv, VMOD_STATE_MAGIC);
			for (struct vprogram *vp = st->programs; vp; vp = vp->next) {
				if (vp->director != NULL)
					VRT_DelDirector(&vp->director);
				if (vp->live_director != NULL)
					VRT_DelDirector(&vp->live_director);
			}
			state_free(st);
			priv->priv = NULL;
		}
		return 0;
	default:
		return 0;
	}
}

static bool
in_init(VRT_CTX, const char *fn)
{
	if (ctx->method == VCL_MET_INIT)
		return true;
	VRT_fail(ctx, VMOD_LOG_PREFIX "%s() must be called from vcl_init", fn);
	return false;
}

/* A library warning: in the Varnish log and, as published, on stderr. */
static void
warn(void *opaque, const char *warning)
{
	vlog(opaque, SLT_VCL_Log, VMOD_LOG_PREFIX "warning: %s", warning);
	fprintf(stderr, VMOD_LOG_PREFIX "warning: %s\n", warning);
}

/*
 * After a change to the definitions: one log line per key accepted but
 * not acted on (once per program and key) and per unknown key or ignored
 * value (once per entry and key), and the programs defined with
 * "start": true begin loading, as start() would.
 */
static void
definitions_changed(VRT_CTX, struct vmod_state *st)
{
	const struct program_def *d;
	struct vprogram *vp;

	AZ(pthread_rwlock_wrlock(&st->lib_lock));
	library_take_warnings(st->library, warn, (void *)(uintptr_t)ctx);
	AZ(pthread_rwlock_unlock(&st->lib_lock));
	for (size_t i = 0; i < library_count(st->library); i++) {
		d = library_program(st->library, i);
		if (d->start && (vp = program_get(ctx, st, d->name)) != NULL)
			program_start_async(vp);
	}
}

VCL_BOOL
vmod_library(VRT_CTX, struct vmod_priv *priv, VCL_STRING uri)
{
	struct vmod_state *st = state_get(ctx, priv);
	struct remote_file f;
	char err[1024];
	const char *text;
	bool read;

	err[0] = '\0';
	if (!in_init(ctx, "library"))
		return 0;
	if (uri == NULL || *uri == '\0') {
		VRT_fail(ctx, VMOD_LOG_PREFIX "library(): empty URI");
		return 0;
	}
	read = source_read(ctx, st, uri, NULL, "library", "library",
	    16 << 20, &f, err, sizeof err) == 0;
	if (read) {
		text = f.data;
		AZ(pthread_rwlock_wrlock(&st->lib_lock));
		if (st->library == NULL)
			st->library = library_parse(text, f.len, err, sizeof err);
		else if (library_merge_text(st->library, text, f.len, err, sizeof err) != 0)
			err[sizeof err - 1] = '\0';
		else
			err[0] = '\0';
		AZ(pthread_rwlock_unlock(&st->lib_lock));
	}
	if (!read || st->library == NULL || err[0] != '\0') {
		if (read)
			remote_file_free(&f);
		VRT_fail(ctx, VMOD_LOG_PREFIX "library '%s': %s", uri, err);
		return 0;
	}
	source_saved(ctx, &f, f.data, f.len, 0644, "library");
	remote_file_free(&f);
	definitions_changed(ctx, st);
	return 1;
}

VCL_BOOL
vmod_configure(VRT_CTX, struct vmod_priv *priv, VCL_STRING program,
    VCL_STRING json)
{
	struct vmod_state *st = state_get(ctx, priv);
	char err[512];
	int rc;

	if (!in_init(ctx, "configure"))
		return 0;
	if (program == NULL || *program == '\0' || json == NULL) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "configure(): program name and "
		    "JSON are required");
		return 0;
	}
	AZ(pthread_rwlock_wrlock(&st->lib_lock));
	if (st->library == NULL)
		st->library = library_parse("{}", 2, err, sizeof err);
	AN(st->library);
	rc = library_apply_json(st->library, program, json, strlen(json), err,
	    sizeof err);
	AZ(pthread_rwlock_unlock(&st->lib_lock));
	if (rc != 0) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "configure('%s'): %s", program, err);
		return 0;
	}
	definitions_changed(ctx, st);
	return 1;
}

VCL_BOOL
vmod_main_arguments(VRT_CTX, struct vmod_priv *priv, VCL_STRING program,
    VCL_STRANDS args)
{
	struct vprogram *vp = program_get(ctx, state_get(ctx, priv), program);
	char **list;

	if (vp == NULL)
		return 0;
	if (args == NULL || args->n == 0) {
		vlog(ctx, SLT_VCL_Log, VMOD_LOG_PREFIX "main_arguments('%s'): no "
		    "arguments given; the program's arguments stay as they were",
		    program);
		return 0;
	}
	/* Each strand ("a" + b + "c" in VCL) is one argv entry. */
	list = calloc((size_t)args->n + 1, sizeof *list);
	AN(list);
	for (int i = 0; i < args->n; i++) {
		list[i] = strdup(args->p[i] ? args->p[i] : "");
		AN(list[i]);
	}
	AZ(pthread_mutex_lock(&vp->mtx));
	char **old = vp->main_args;
	vp->main_args = list;
	AZ(pthread_mutex_unlock(&vp->mtx));
	for (char **a = old; a && *a; a++)
		free(*a);
	free(old);
	return 1;
}

VCL_BOOL
vmod_start(VRT_CTX, struct vmod_priv *priv, VCL_STRING program,
    VCL_BOOL async, VCL_BOOL debug)
{
	struct vprogram *vp;
	char err[256];

	if (!in_init(ctx, "start"))
		return 0;
	vp = program_get(ctx, state_get(ctx, priv), program);
	if (vp == NULL)
		return 0;
	if (debug)
		return debug_start(ctx, vp);
	if (async) {
		program_start_async(vp);
		return 1;
	}
	AZ(pthread_mutex_lock(&vp->mtx));
	vp->ls = VP_LOADING;
	AZ(pthread_mutex_unlock(&vp->mtx));
	if (program_load_now(ctx, vp, NULL, 0, NULL, err, sizeof err) != 0) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "program '%s' failed to start: %s",
		    program, err);
		return 0;
	}
	return 1;
}

/* A program with on_live_update is reloaded at once and its state moved
 * ("immediate reload"); if that fails it keeps serving as it was. */
static int
reload_live(VRT_CTX, struct vprogram *vp)
{
	struct vupdate up;
	char err[256], what[300];

	if (program_load_now(ctx, vp, NULL, 0, &up, err, sizeof err) != 0) {
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "invalidate_programs(): "
		    "reloading '%s' failed, the old program keeps serving: %s",
		    vp->name, err);
		return 0;
	}
	vupdate_describe(&up, what, sizeof what);
	vlog(ctx, SLT_VCL_Log, VMOD_LOG_PREFIX "'%s' reloaded: %s", vp->name,
	    what);
	return 1;
}

VCL_INT
vmod_invalidate_programs(VRT_CTX, struct vmod_priv *priv, VCL_STRING regex)
{
	struct vmod_state *st = state_get(ctx, priv);
	struct vprogram *first;
	vre_t *re = NULL;
	int error, off, n = 0;

	if (regex != NULL && *regex != '\0') {
		re = VRE_compile(regex, 0, &error, &off, 1);
		if (re == NULL) {
			VRT_fail(ctx, VMOD_LOG_PREFIX "invalidate_programs(): bad "
			    "regex '%s' at offset %d", regex, off);
			return 0;
		}
	}
	/* New programs go in front and none leaves before the VCL does:
	 * the list from here on is stable without the lock, which a reload
	 * must not hold. */
	AZ(pthread_mutex_lock(&st->mtx));
	first = st->programs;
	AZ(pthread_mutex_unlock(&st->mtx));
	for (struct vprogram *vp = first; vp != NULL; vp = vp->next) {
		if (re != NULL && VRE_match(re, vp->name, 0, 0, NULL) < 0)
			continue;
		if (program_has_live_state(vp))
			n += reload_live(ctx, vp);
		else
			n += program_invalidate(vp);
	}
	if (re != NULL)
		VRE_free(&re);
	return n;
}

VCL_BOOL
vmod_init_self_requests(VRT_CTX, struct vmod_priv *priv, VCL_STRING unix_socket,
    VCL_STRING http_prefix, VCL_INT max_concurrent)
{
	struct vmod_state *st = state_get(ctx, priv);

	if (!in_init(ctx, "init_self_requests"))
		return 0;
	if (max_concurrent < 1) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "init_self_requests(): "
		    "max_concurrent_requests must be at least 1");
		return 0;
	}
	free(st->self_socket);
	free(st->self_prefix);
	st->self_socket = unix_socket && *unix_socket ? strdup(unix_socket) : NULL;
	st->self_prefix = http_prefix ? strdup(http_prefix) : NULL;
	st->self_max = max_concurrent;
	return 1;
}

VCL_STRING
vmod_stats(VRT_CTX, struct vmod_priv *priv, VCL_STRING pattern,
    VCL_INT indentation)
{
	return stats_json(ctx, state_get(ctx, priv), pattern, indentation);
}

VCL_BOOL
vmod_remote_settings(VRT_CTX, struct vmod_priv *priv, VCL_STRING cache_directory,
    VCL_DURATION timeout, VCL_BYTES max_size, VCL_INT max_entries,
    VCL_BYTES max_unpacked_size, VCL_STRING ca_file)
{
	struct remote_settings *s = &state_get(ctx, priv)->remote;

	if (!in_init(ctx, "remote_settings"))
		return 0;
	/* Programs may already be loading on other threads, with the old
	 * settings in hand. */
	if (state_get(ctx, priv)->library != NULL) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "remote_settings() must come "
		    "before library(), configure() and start()");
		return 0;
	}
	if (timeout <= 0 || max_size <= 0 || max_entries < 1 ||
	    max_unpacked_size <= 0) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "remote_settings(): timeout, "
		    "max_size, max_entries and max_unpacked_size must be "
		    "positive");
		return 0;
	}
	free(s->cache_dir);
	free(s->ca_file);
	s->cache_dir = cache_directory && *cache_directory ?
	    strdup(cache_directory) : NULL;
	s->ca_file = ca_file && *ca_file ? strdup(ca_file) : NULL;
	s->timeout = timeout;
	s->max_size = (size_t)max_size;
	s->max_entries = (size_t)max_entries;
	s->max_unpacked = (size_t)max_unpacked_size;
	return 1;
}
