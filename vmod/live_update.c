/*
 * Replacing a running program: live_update() (backend.c),
 * live_update_file() and invalidate_programs() of a program with
 * on_live_update.  program_load_now() (programs.c) loads the new binary
 * whole while the old one serves; here the old program's state moves
 * into it (the engine's tkvm_program_live_transfer()).  When that state
 * lives in a storage VM, new requests wait (vp->switching) and the old
 * program's requests end first, so nothing it stores after the
 * serialization is lost; the wait is bounded and a failure leaves the
 * old program serving with its state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tinykvm_vmod.h"
#include "vcc_if.h"
#include "vtim.h"

/* References on old that are no request: the updater's, and
 * vp->current's unless an invalidation dropped it meanwhile. */
static unsigned
own_refs(const struct vprogram *vp, const struct vinstance *old)
{
	return vp->current == old ? 2 : 1;
}

static int
drain(struct vprogram *vp, struct vinstance *old, double limit,
    struct vupdate *up, char *err, size_t errlen)
{
	const double t0 = VTIM_mono();
	double until = VTIM_real() + limit;
	struct timespec ts;
	unsigned left;

	ts.tv_sec = (time_t)until;
	ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
	AZ(pthread_mutex_lock(&vp->mtx));
	vp->switching = true;
	while (old->refcnt > own_refs(vp, old) &&
	    pthread_cond_timedwait(&vp->cond, &vp->mtx, &ts) == 0)
		;
	left = old->refcnt - own_refs(vp, old);
	AZ(pthread_mutex_unlock(&vp->mtx));
	up->drain_s = VTIM_mono() - t0;
	if (left == 0)
		return 0;
	/* program_load_now() clears vp->switching. */
	snprintf(err, errlen, "%u request%s still ran on the old program "
	    "after %.1f s; its state was not moved", left, left > 1 ? "s" : "",
	    limit);
	return -1;
}

int
live_transfer(VRT_CTX, struct vprogram *vp, struct vinstance *old,
    struct vinstance *vi, struct vupdate *up, char *err, size_t errlen)
{
	const struct program_def *def = program_def(vp);
	double limit = def != NULL ? def->max_request_time : 8;

	(void)ctx;
	if (!tkvm_program_live_serializer(old->prog)) {
		snprintf(up->live.note, sizeof up->live.note, "the old program "
		    "has no on_live_update: nothing moved");
		return 0;
	}
	/* A request still running ends within its own time limit. */
	if (tkvm_program_has_storage(old->prog) &&
	    drain(vp, old, limit + 2.0, up, err, errlen) != 0)
		return -1;
	return tkvm_program_live_transfer(old->prog, vi->prog, &up->live, err,
	    errlen);
}

bool
program_has_live_state(struct vprogram *vp)
{
	bool has;

	AZ(pthread_mutex_lock(&vp->mtx));
	has = vp->current != NULL &&
	    tkvm_program_live_serializer(vp->current->prog);
	AZ(pthread_mutex_unlock(&vp->mtx));
	return has;
}

void
vupdate_describe(const struct vupdate *up, char *out, size_t outlen)
{
	const struct tkvm_live_result *l = &up->live;

	if (l->moved)
		snprintf(out, outlen, "state moved (%llu of %llu bytes, "
		    "serialize %.3f ms, restore %.3f ms); load %.3f ms, "
		    "drain %.3f ms, switch %.3f ms",
		    (unsigned long long)l->bytes, (unsigned long long)l->offered,
		    l->serialize_s * 1e3, l->restore_s * 1e3, up->load_s * 1e3,
		    up->drain_s * 1e3, up->switch_s * 1e3);
	else
		snprintf(out, outlen, "%s; load %.3f ms, switch %.3f ms",
		    l->note[0] ? l->note : "no state to move", up->load_s * 1e3,
		    up->switch_s * 1e3);
}

VCL_BOOL
vmod_live_update_file(VRT_CTX, struct vmod_priv *priv, VCL_STRING program,
    VCL_STRING filename)
{
	struct vprogram *vp = program_get(ctx, state_get(ctx, priv), program);
	struct vupdate up;
	char err[256], what[300];
	size_t len;
	void *image;

	if (vp == NULL)
		return 0;
	if (filename == NULL || *filename == '\0') {
		VRT_fail(ctx, VMOD_LOG_PREFIX "live_update_file(): no file name");
		return 0;
	}
	image = tkvm_read_file(filename, 1ULL << 30, &len, err, sizeof err);
	if (image == NULL || program_load_now(ctx, vp, image, len, &up, err,
	    sizeof err) != 0) {
		vlog(ctx, SLT_Error, VMOD_LOG_PREFIX "live update of '%s' "
		    "from %s failed, the old program keeps serving: %s", program,
		    filename, err);
		live_update_counted(vp->state, false);
		free(image);
		return 0;
	}
	free(image);
	vupdate_describe(&up, what, sizeof what);
	vlog(ctx, SLT_VCL_Log, VMOD_LOG_PREFIX "'%s' updated from %s: %s",
	    program, filename, what);
	live_update_counted(vp->state, true);
	return 1;
}
