/*
 * varnishstat counters (vmod/tinykvm.vsc): one VSC segment per VCL that
 * imports the VMOD, TINYKVM.<vcl>.*, made at VCL load and destroyed at
 * discard.  Requests of many threads add to them at once, so every
 * update is atomic; a state without a segment counts nothing.
 */
#include "tinykvm_vmod.h"

void
counters_create(VRT_CTX, struct vmod_state *st)
{
	AZ(st->vsc);
	st->vsc = VSC_tinykvm_New(NULL, &st->vsc_seg, "%s", VCL_Name(ctx->vcl));
}

void
counters_destroy(struct vmod_state *st)
{
	if (st->vsc == NULL)
		return;
	VSC_tinykvm_Destroy(&st->vsc_seg);
	st->vsc = NULL;
}

/* A cold VCL's counters are hidden from varnishstat, as its backends'. */
void
counters_show(struct vmod_state *st, bool show)
{
	if (st->vsc_seg == NULL)
		return;
	if (show)
		VRT_VSC_Reveal(st->vsc_seg);
	else
		VRT_VSC_Hide(st->vsc_seg);
}

void
live_update_counted(struct vmod_state *st, bool ok)
{
	if (st->vsc == NULL)
		return;
	if (ok)
		COUNT_ADD(st->vsc->live_updates, 1);
	else
		COUNT_ADD(st->vsc->live_update_failures, 1);
}

/* One finished request: its outcome by kind. */
void
counters_request(struct vmod_state *st, const struct tkvm_response *r, int rc)
{
	struct VSC_tinykvm *c = st->vsc;

	if (c == NULL)
		return;
	COUNT_ADD(c->requests, 1);
	if (rc == 0)
		return;
	COUNT_ADD(c->request_failures, 1);
	switch (r->stop) {
	case TKVM_STOP_EXCEPTION:
		COUNT_ADD(c->crashes, 1);
		break;
	case TKVM_STOP_TIMEOUT:
		COUNT_ADD(c->timeouts, 1);
		break;
	case TKVM_STOP_MEMORY:
		COUNT_ADD(c->memory_limits, 1);
		break;
	default:
		COUNT_ADD(c->other_failures, 1);
		break;
	}
}

/*
 * After a request VM's reset: what the engine counted for that VM since
 * the last look (resets, replacements).  The caller still holds the VM,
 * so nothing else reads or changes its marks.
 */
void
counters_vm_end(struct vmod_state *st, struct vinstance *vi, int slot,
    struct tkvm_reqvm *vm)
{
	struct VSC_tinykvm *c = st->vsc;
	struct tkvm_reqvm_stats es;
	struct vmarks *m = &vi->marks[slot];

	if (c == NULL)
		return;
	tkvm_reqvm_stats(vm, &es);
	COUNT_ADD(c->resets, es.resets - m->resets);
	COUNT_ADD(c->vm_replacements, es.replacements - m->replacements);
	m->resets = es.resets;
	m->replacements = es.replacements;
}

/*
 * Storage calls are counted by the engine per program, and the storage
 * VM is shared by all request VMs: the difference since the last look
 * is taken under the program's lock so no call is counted twice.
 */
void
counters_storage(struct vmod_state *st, struct vinstance *vi)
{
	struct tkvm_storage_stats ss;
	struct vprogram *vp = vi->vp;

	if (st->vsc == NULL || tkvm_program_storage_stats(vi->prog, &ss) != 0)
		return;
	AZ(pthread_mutex_lock(&vp->mtx));
	COUNT_ADD(st->vsc->storage_calls, ss.calls - vi->storage_calls_seen);
	vi->storage_calls_seen = ss.calls;
	AZ(pthread_mutex_unlock(&vp->mtx));
}
