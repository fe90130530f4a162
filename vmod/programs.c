/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Programs of one VCL: lazy loading (on first use, or start()), the pool
 * of request VMs, invalidation.  A loaded program is a vinstance that
 * requests hold a reference to, so replacing or unloading it never takes
 * VMs from a running request.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tinykvm_vmod.h"
#include "source.h"
#include "unpack.h"
#include "vtim.h"

#define DEFAULT_RESERVE_TIMEOUT 5.0

struct vmod_state *
state_get(VRT_CTX, struct vmod_priv *priv)
{
	struct vmod_state *st;

	(void)ctx;
	if (priv->priv != NULL) {
		CAST_OBJ_NOTNULL(st, priv->priv, VMOD_STATE_MAGIC);
		return st;
	}
	ALLOC_OBJ(st, VMOD_STATE_MAGIC);
	AN(st);
	AZ(pthread_mutex_init(&st->mtx, NULL));
	AZ(pthread_rwlock_init(&st->lib_lock, NULL));
	st->self_max = 50;
	remote_settings_init(&st->remote);
	priv->priv = st;
	return st;
}

void
instance_destroy(struct vinstance *vi)
{
	tkvm_program_destroy(vi->prog);
	free(vi->busy);
	free(vi->vm_stats);
	free(vi->marks);
	FREE_OBJ(vi);
}

/* Drops a reference; the caller holds vp->mtx. */
static void
instance_unref_locked(struct vinstance *vi)
{
	AN(vi->refcnt);
	if (--vi->refcnt == 0)
		instance_destroy(vi);
}

void
instance_release(struct vinstance *vi)
{
	struct vprogram *vp = vi->vp;

	AZ(pthread_mutex_lock(&vp->mtx));
	instance_unref_locked(vi);
	if (vp->switching)	/* a live update waits for the last request */
		AZ(pthread_cond_broadcast(&vp->cond));
	AZ(pthread_mutex_unlock(&vp->mtx));
}

void
state_free(struct vmod_state *st)
{
	struct vprogram *vp, *next;

	for (vp = st->programs; vp != NULL; vp = next) {
		next = vp->next;
		/* Wait for an asynchronous load to finish. */
		AZ(pthread_mutex_lock(&vp->mtx));
		while (vp->ls == VP_LOADING)
			AZ(pthread_cond_wait(&vp->cond, &vp->mtx));
		if (vp->current != NULL)
			instance_unref_locked(vp->current);
		AZ(pthread_mutex_unlock(&vp->mtx));
		for (char **a = vp->main_args; a && *a; a++)
			free(*a);
		free(vp->main_args);
		free(vp->storage);
		free(vp->name);
		FREE_OBJ(vp);
	}
	/* After the loads above: a load counts itself in the counters. */
	counters_destroy(st);
	if (st->library != NULL)
		library_free(st->library);
	free(st->self_socket);
	free(st->self_prefix);
	remote_settings_free(&st->remote);
	AZ(pthread_rwlock_destroy(&st->lib_lock));
	FREE_OBJ(st);
}

const struct program_def *
state_find(struct vmod_state *st, const char *name)
{
	const struct program_def *d;

	AZ(pthread_rwlock_rdlock(&st->lib_lock));
	d = st->library != NULL ? library_find(st->library, name) : NULL;
	AZ(pthread_rwlock_unlock(&st->lib_lock));
	return d;
}

/* A definition stays valid after later changes (program_config.h). */
const struct program_def *
program_def(const struct vprogram *vp)
{
	return state_find(vp->state, vp->name);
}

/* The vprogram of a defined program, created on first use. */
struct vprogram *
program_get(VRT_CTX, struct vmod_state *st, const char *name)
{
	struct vprogram *vp;

	if (name == NULL || state_find(st, name) == NULL) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "program '%s' is not defined "
		    "(no library or configure() entry)", name ? name : "(null)");
		return NULL;
	}
	AZ(pthread_mutex_lock(&st->mtx));
	for (vp = st->programs; vp != NULL; vp = vp->next)
		if (strcmp(vp->name, name) == 0)
			break;
	if (vp == NULL) {
		ALLOC_OBJ(vp, VPROGRAM_MAGIC);
		AN(vp);
		vp->name = strdup(name);
		AN(vp->name);
		vp->state = st;
		AZ(pthread_mutex_init(&vp->mtx, NULL));
		AZ(pthread_mutex_init(&vp->update_mtx, NULL));
		AZ(pthread_cond_init(&vp->cond, NULL));
		vp->next = st->programs;
		st->programs = vp;
	}
	AZ(pthread_mutex_unlock(&st->mtx));
	return vp;
}

static void
guest_output(void *opaque, int fd, const char *data, size_t len)
{
	struct vprogram *vp = opaque;

	/* Program output goes to varnishd's stderr, one prefix per write. */
	fprintf(stderr, "[%s:%d] %.*s", vp->name, fd, (int)len, data);
}

static void
guest_log(void *opaque, const char *text, size_t len)
{
	struct vprogram *vp = opaque;

	fprintf(stderr, "[%s] %.*s\n", vp->name, (int)len, text);
}

/* Testing only: TINYKVM_TEST_FAIL_RESET_IOCTL=N in varnishd's environment
 * makes every Nth ioctl of a request VM's reset fail (engine.h), so the
 * replacement path can be tested through Varnish. */
static unsigned
test_fail_reset_ioctl(void)
{
	const char *v = getenv("TINYKVM_TEST_FAIL_RESET_IOCTL");

	return v != NULL ? (unsigned)strtoul(v, NULL, 10) : 0;
}

/* Builds and loads a new instance (no lock held). */
static struct vinstance *
instance_create(struct vprogram *vp, const struct program_def *def,
    const void *image, size_t len, const void *storage, size_t storage_len,
    char *err, size_t errlen)
{
	struct tkvm_program_config cfg;
	struct program_engine_config owned;
	struct vinstance *vi;
	struct vdebug dbg;
	double t0 = VTIM_mono();

	if (program_def_to_engine(def, (const char *const *)vp->main_args,
	    &cfg, &owned, err, errlen) != 0)
		return NULL;
	/* Program output reaches varnishd's stderr only when asked for. */
	cfg.vm.output = def->print_stdout ? guest_output : NULL;
	cfg.vm.opaque = vp;
	cfg.vm.regex = &vmod_regex_ops;
	cfg.log = guest_log;
	cfg.log_opaque = vp;
	cfg.test_fail_reset_ioctl = test_fail_reset_ioctl();
	cfg.debug = debug_config(vp, def, &dbg);
	ALLOC_OBJ(vi, VINSTANCE_MAGIC);
	AN(vi);
	cfg.debug_on_exception = debug_crash_config(vp, def, &vi->crash_debug);
	cfg.storage_image = def->storage ? storage : NULL;
	cfg.storage_image_len = def->storage ? storage_len : 0;
	vi->vp = vp;
	vi->refcnt = 1;
	vi->prog = tkvm_program_load(&cfg, image, len, err, errlen);
	program_engine_config_free(&owned);
	if (vi->prog == NULL) {
		FREE_OBJ(vi);
		return NULL;
	}
	vi->nvms = tkvm_program_concurrency(vi->prog);
	vi->busy = calloc(vi->nvms, sizeof *vi->busy);
	vi->vm_stats = calloc(vi->nvms, sizeof *vi->vm_stats);
	vi->marks = calloc(vi->nvms, sizeof *vi->marks);
	AN(vi->busy);
	AN(vi->vm_stats);
	AN(vi->marks);
	vi->loaded_at = VTIM_real();
	vi->load_time = VTIM_mono() - t0;
	return vi;
}

/* vp->current with a reference taken, or NULL. */
static struct vinstance *
current_ref(struct vprogram *vp)
{
	struct vinstance *vi;

	AZ(pthread_mutex_lock(&vp->mtx));
	vi = vp->current;
	if (vi != NULL)
		vi->refcnt++;
	AZ(pthread_mutex_unlock(&vp->mtx));
	return vi;
}

int
program_load_now(VRT_CTX, struct vprogram *vp, const void *image, size_t len,
    struct vupdate *up, char *err, size_t errlen)
{
	const struct program_def *def = program_def(vp);
	struct vinstance *vi = NULL, *old, *prev;
	struct vupdate local;
	struct program_source src;
	const struct unpack_limits lim = { vp->state->remote.max_entries,
	    vp->state->remote.max_unpacked };
	struct unpacked u = { 0 };
	const void *storage = NULL;
	size_t storage_len = 0;
	bool own = false;
	double t0 = VTIM_mono();

	if (up == NULL)
		up = &local;
	memset(up, 0, sizeof *up);
	AZ(pthread_mutex_lock(&vp->update_mtx));
	old = current_ref(vp);
	if (def == NULL)
		snprintf(err, errlen, "program is no longer defined");
	else if (image == NULL && source_program(ctx, vp->state, def, &src,
	    err, errlen) != 0)
		;
	else if (image != NULL && unpack_program(image, len, &lim, &u, err,
	    errlen) != 0)
		;
	else {
		if (image == NULL) {
			own = true;
			image = src.image;
			len = src.len;
			storage = src.storage;
			storage_len = src.storage_len;
		} else {
			/* New bytes without a storage program keep the one
			 * that runs now. */
			image = u.image;
			len = u.len;
			storage = u.storage ? u.storage : vp->storage;
			storage_len = u.storage ? u.storage_len : vp->storage_len;
		}
		vi = instance_create(vp, def, image, len, storage, storage_len,
		    err, errlen);
	}
	up->load_s = VTIM_mono() - t0;
	/* The new program is whole before the old one is touched. */
	if (vi != NULL && old != NULL &&
	    live_transfer(ctx, vp, old, vi, up, err, errlen) != 0) {
		instance_destroy(vi);
		vi = NULL;
	}
	/* The storage program the instance that took over runs stays for
	 * live updates that bring none: vp takes the buffer over. */
	if (vi != NULL && (!def->storage || storage != vp->storage)) {
		free(vp->storage);
		vp->storage = def->storage ? (void *)(uintptr_t)storage : NULL;
		vp->storage_len = vp->storage ? storage_len : 0;
		if (vp->storage != NULL && vp->storage == u.storage)
			u.storage = NULL;
		if (vp->storage != NULL && own && vp->storage == src.storage)
			src.storage_taken = true;
	}
	free(u.image);
	free(u.storage);
	/* Only a program that took over is kept in the download cache. */
	if (own)
		source_program_done(ctx, &src, def->name, vi != NULL);
	if (vp->state->vsc != NULL && vi != NULL)
		COUNT_ADD(vp->state->vsc->programs_loaded, 1);
	else if (vp->state->vsc != NULL)
		COUNT_ADD(vp->state->vsc->load_failures, 1);
	AZ(pthread_mutex_lock(&vp->mtx));
	if (vi != NULL) {
		prev = vp->current;
		vp->current = vi;
		vp->ls = VP_READY;
		if (old != NULL) {
			vi->received_at = t0;
			vp->live_updates++;
			vp->last_live = up->live;
			up->replaced = true;
		}
		if (prev != NULL)
			instance_unref_locked(prev);
	} else if (vp->current == NULL) {
		vp->ls = VP_FAILED;
		snprintf(vp->error, sizeof vp->error, "%s", err);
	} else {
		vp->ls = VP_READY;	/* the old program keeps serving */
	}
	vp->switching = false;
	up->switch_s = VTIM_mono() - t0;
	if (old != NULL)
		instance_unref_locked(old);	/* retired when its last request ends */
	AZ(pthread_cond_broadcast(&vp->cond));
	AZ(pthread_mutex_unlock(&vp->mtx));
	AZ(pthread_mutex_unlock(&vp->update_mtx));
	return vi != NULL ? 0 : -1;
}

static void *
async_loader(void *arg)
{
	struct vprogram *vp = arg;
	char err[256], name[128];

	/* Once loaded, vp may be freed by a VCL discard: copy the name. */
	snprintf(name, sizeof name, "%s", vp->name);
	if (program_load_now(NULL, vp, NULL, 0, NULL, err, sizeof err) != 0) {
		fprintf(stderr, VMOD_LOG_PREFIX "program '%s' failed to load: %s\n",
		    name, err);
		/* No task here: the shared log, vxid 0 (varnishlog -g raw). */
		vlog(NULL, SLT_Error, VMOD_LOG_PREFIX "program '%s' failed to "
		    "load: %s", name, err);
	}
	return NULL;
}

void
program_start_async(struct vprogram *vp)
{
	pthread_t t;

	AZ(pthread_mutex_lock(&vp->mtx));
	if (vp->ls == VP_LOADING || vp->ls == VP_READY) {
		AZ(pthread_mutex_unlock(&vp->mtx));
		return;
	}
	vp->ls = VP_LOADING;
	AZ(pthread_mutex_unlock(&vp->mtx));
	if (pthread_create(&t, NULL, async_loader, vp) != 0) {
		async_loader(vp);
		return;
	}
	AZ(pthread_detach(t));
}

struct vinstance *
program_acquire(VRT_CTX, struct vprogram *vp)
{
	struct vinstance *vi = NULL;
	char err[256];
	bool load = false;

	AZ(pthread_mutex_lock(&vp->mtx));
	if (vp->ls == VP_UNLOADED) {
		vp->ls = VP_LOADING;
		load = true;
	}
	if (load) {
		AZ(pthread_mutex_unlock(&vp->mtx));
		(void)program_load_now(ctx, vp, NULL, 0, NULL, err, sizeof err);
		AZ(pthread_mutex_lock(&vp->mtx));
	}
	/* A switch with state is short: wait for the new program. */
	while (vp->ls == VP_LOADING || vp->switching)
		AZ(pthread_cond_wait(&vp->cond, &vp->mtx));
	if (vp->ls == VP_READY && vp->current != NULL) {
		vi = vp->current;
		vi->refcnt++;
	} else {
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "program '%s' failed to "
		    "load: %s", vp->name, vp->error);
		/* Try again at the next request. */
		vp->ls = VP_UNLOADED;
	}
	AZ(pthread_mutex_unlock(&vp->mtx));
	return vi;
}

int
instance_reserve(struct vinstance *vi, double timeout)
{
	struct vprogram *vp = vi->vp;
	struct timespec until;
	double t = VTIM_real() + (timeout > 0 ? timeout : DEFAULT_RESERVE_TIMEOUT);
	int slot = -1;

	until.tv_sec = (time_t)t;
	until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
	AZ(pthread_mutex_lock(&vp->mtx));
	for (;;) {
		for (unsigned i = 0; i < vi->nvms; i++)
			if (!vi->busy[i]) {
				vi->busy[i] = true;
				slot = (int)i;
				break;
			}
		if (slot >= 0)
			break;
		if (pthread_cond_timedwait(&vp->cond, &vp->mtx, &until) == ETIMEDOUT)
			break;
	}
	AZ(pthread_mutex_unlock(&vp->mtx));
	return slot;
}

void
instance_free_vm(struct vinstance *vi, int slot)
{
	struct vprogram *vp = vi->vp;

	AZ(pthread_mutex_lock(&vp->mtx));
	vi->busy[slot] = false;
	if (vi->received_at > 0 && vi->first_served == 0)
		vi->first_served = VTIM_mono() - vi->received_at;
	AZ(pthread_cond_broadcast(&vp->cond));
	AZ(pthread_mutex_unlock(&vp->mtx));
}

/* Unloads vp; returns 1 if it was loaded. */
int
program_invalidate(struct vprogram *vp)
{
	struct vinstance *vi;

	/* Not under update_mtx: a loader that set VP_LOADING is waiting for
	 * it.  An update running meanwhile installs its program anyway. */
	AZ(pthread_mutex_lock(&vp->mtx));
	while (vp->ls == VP_LOADING)
		AZ(pthread_cond_wait(&vp->cond, &vp->mtx));
	vi = vp->current;
	vp->current = NULL;
	vp->ls = VP_UNLOADED;
	if (vi != NULL)
		instance_unref_locked(vi);
	AZ(pthread_mutex_unlock(&vp->mtx));
	return vi != NULL;
}
