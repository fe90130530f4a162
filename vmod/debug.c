/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * start(program, debug = true): the program's next load runs its
 * initialization under gdb (docs/DEBUGGING.md).  Only programs with
 * "allow_debug" may be debugged.  The load is always asynchronous, so
 * waiting for gdb never holds up the VCL load, other programs or their
 * requests; requests to the debugged program wait for it as for any
 * asynchronous start.  A session gdb never comes to, or leaves silent,
 * ends after "remote_debug_timeout" and the load fails.
 */
#include <stdio.h>

#include "tinykvm_vmod.h"

#define DEBUG_DEFAULT_LISTEN "2159"

static void
debug_waiting(void *opaque, const char *target, const char *why)
{
	const struct vdebug *n = opaque;

	vlog(NULL, SLT_VCL_Log, VMOD_LOG_PREFIX "program '%s': %s; waiting "
	    "for gdb on %s: gdb -ex 'target remote %s' %s", n->name, why,
	    target, target, n->path);
	fprintf(stderr, VMOD_LOG_PREFIX "program '%s': %s; waiting for gdb: "
	    "gdb -ex 'target remote %s' %s\n", n->name, why, target, n->path);
}

/* The strings are copied: a crash may come after the library changed. */
static void
fill(struct vprogram *vp, const struct program_def *def, struct vdebug *n,
    bool at_entry)
{
	snprintf(n->path_copy, sizeof n->path_copy, "%s", def->filename ?
	    def->filename : def->uri ? def->uri : "PROGRAM");
	snprintf(n->listen, sizeof n->listen, "%s", def->remote_debug_listen ?
	    def->remote_debug_listen : DEBUG_DEFAULT_LISTEN);
	n->name = vp->name;
	n->path = n->path_copy;
	n->cfg = (struct tkvm_debug_config){
		.listen = n->listen,
		.stop_at_entry = at_entry,
		.on_crash = !at_entry,
		.wait_s = def->remote_debug_timeout,
		.waiting = debug_waiting,
		.opaque = n,
	};
}

const struct tkvm_debug_config *
debug_config(struct vprogram *vp, const struct program_def *def,
    struct vdebug *n)
{
	bool debug;

	AZ(pthread_mutex_lock(&vp->mtx));
	debug = vp->debug;
	vp->debug = false;		/* one debugged load per start() */
	AZ(pthread_mutex_unlock(&vp->mtx));
	if (!debug || !def->allow_debug)
		return NULL;
	fill(vp, def, n, true);
	return &n->cfg;
}

const struct tkvm_debug_config *
debug_crash_config(struct vprogram *vp, const struct program_def *def,
    struct vdebug *n)
{
	if (!def->remote_debug_on_exception)
		return NULL;
	fill(vp, def, n, false);
	return &n->cfg;
}

int
debug_start(VRT_CTX, struct vprogram *vp)
{
	const struct program_def *def = program_def(vp);

	if (def == NULL || !def->allow_debug) {
		VRT_fail(ctx, VMOD_LOG_PREFIX "start('%s', debug = true): the "
		    "program does not allow debugging (its settings need "
		    "\"allow_debug\": true)", vp->name);
		return 0;
	}
	AZ(pthread_mutex_lock(&vp->mtx));
	vp->debug = true;
	AZ(pthread_mutex_unlock(&vp->mtx));
	vlog(ctx, SLT_VCL_Log, VMOD_LOG_PREFIX "start('%s'): debugging; the "
	    "program waits for gdb on %s", vp->name,
	    def->remote_debug_listen ? def->remote_debug_listen :
	    DEBUG_DEFAULT_LISTEN);
	program_start_async(vp);
	return 1;
}
