/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Live update with state (docs/DESIGN.md, "Live update"): the program
 * being replaced serializes its state in on_live_update(), handing it
 * over with storage_return(data, len); the new program's
 * on_live_restore(len) answers with storage_return(dst, dstlen), the
 * host copies min(len, dstlen) bytes from the old VM into dst and lets
 * the restorer go on to its end, as published.
 *
 * Where they run: the storage VM when the program has one (that is
 * where its state lives), else a temporary fork of the old main VM (so
 * the frozen state requests are forked from is never touched) and the
 * new main VM, whose request VMs are then forked again from it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "program.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The VM one side's callback runs in. */
struct live_vm {
	struct tkvm_vm *vm;
	uint64_t rsp;			/* the callback's fresh stack */
	pthread_mutex_t *lock;		/* the storage lock, when held */
	bool temporary;			/* a fork made for this, destroyed after */
};

static int
live_vm_take(struct tkvm_program *p, bool serialize, struct live_vm *lv,
    const char *side, char *err, size_t errlen)
{
	struct storage *s = p->storage;
	struct timespec until;

	memset(lv, 0, sizeof *lv);
	if (s != NULL) {
		/* Storage calls and tasks of that program wait meanwhile. */
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)p->cfg.max_storage_time + 1;
		if (pthread_mutex_clocklock(&s->lock, CLOCK_MONOTONIC, &until)) {
			snprintf(err, errlen, "the %s program's storage VM stayed "
			    "busy", side);
			return -1;
		}
		if (s->vm == NULL) {
			pthread_mutex_unlock(&s->lock);
			snprintf(err, errlen, "the %s program's storage VM is out "
			    "of service: %s", side, s->out_of_service);
			return -1;
		}
		lv->vm = s->vm;
		lv->rsp = s->stack_top;
		lv->lock = &s->lock;
		return 0;
	}
	lv->rsp = p->request_stack_top;
	if (!serialize) {
		lv->vm = p->main;	/* not serving yet: request VMs re-forked */
		return 0;
	}
	err[0] = '\0';
	lv->vm = program_fork_vm(p, p->main, p->frozen_regs.rip, p->nreqvms,
	    err, errlen);
	if (lv->vm == NULL) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot fork the old main VM");
		return -1;
	}
	lv->temporary = true;
	return 0;
}

static void
live_vm_release(struct live_vm *lv)
{
	if (lv->lock != NULL)
		pthread_mutex_unlock(lv->lock);
	if (lv->temporary)
		tkvm_vm_destroy(lv->vm);
	lv->vm = NULL;
}

/* Runs fn(arg) to its end (or, serializing, to its storage_return). */
static int
live_run(const struct live_vm *lv, uint64_t fn, uint64_t arg,
    struct storage_call *c, double budget, const char *what, char *err,
    size_t errlen)
{
	const uint64_t args[CALL_ARGS] = { arg };
	struct tkvm_vm *vm = lv->vm;
	struct tkvm_result res;
	enum vm_halt h;

	if (enter_function(vm, lv->rsp, fn, args) != 0) {
		snprintf(err, errlen, "%s: cannot enter it", what);
		return -1;
	}
	vm->scall = c;
	h = vm_run(vm, budget, &res);
	vm->scall = NULL;
	if (h == HALT_RETURNED)
		return 0;
	if (h == HALT_EXIT)
		snprintf(err, errlen, "%s: the program exited with status %d",
		    what, res.status);
	else if (h == HALT_WAITING)
		snprintf(err, errlen, "%s waited for requests", what);
	else if (h == HALT_RESPONDED)
		snprintf(err, errlen, "%s sent a response", what);
	else
		snprintf(err, errlen, "%s failed: %s", what, res.reason);
	return -1;
}

int64_t
live_give(struct tkvm_vm *vm, struct storage_call *c, uint64_t data,
    uint64_t len)
{
	uint64_t n;
	const void *src;
	void *dst;

	if (c->returned) {
		vm->halt = HALT_RETURNED;	/* a second result ends it */
		return 0;
	}
	c->returned = true;
	if (c->kind == SCALL_SERIALIZE) {
		if (data != 0 && len != 0 && gmem_at(vm, data, len) == NULL) {
			vm_fail(vm, TKVM_STOP_ERROR, "storage_return(0x%llx, "
			    "%llu) is outside the program's memory",
			    (unsigned long long)data,
			    (unsigned long long)len);
			return -EFAULT;
		}
		c->data = data;
		c->len = data != 0 ? len : 0;
		vm->halt = HALT_RETURNED;	/* the old VM stops here */
		return 0;
	}
	n = len < c->len ? len : c->len;
	if (data == 0 || n == 0)
		return 0;
	src = gmem_at(c->from, c->data, n);
	dst = gmem_wr(vm, data, n);
	if (src == NULL || dst == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "storage_return(0x%llx, %llu) is "
		    "outside the program's memory", (unsigned long long)data,
		    (unsigned long long)len);
		return -EFAULT;
	}
	memcpy(dst, src, n);
	c->result = (int64_t)n;
	return (int64_t)n;
}

/* The new main VM changed: request VMs forked before would not see it.
 * Its map of pages holding data changed too: the restored state may lie
 * in pages that were empty at the load, and mm_zero()/mm_trim_master()
 * treat pages outside the map as zeros that may be given back. */
static int
refork_reqvms(struct tkvm_program *p, char *err, size_t errlen)
{
	mm_map_data(p->main);
	for (unsigned i = 0; i < p->nreqvms; i++) {
		struct tkvm_vm *fresh;
		err[0] = '\0';
		fresh = program_fork_vm(p, p->main, p->frozen_regs.rip, i, err,
		    errlen);
		if (fresh == NULL) {
			if (err[0] == '\0')
				snprintf(err, errlen, "cannot fork request VMs");
			return -1;
		}
		tkvm_vm_destroy(p->reqvms[i]);
		p->reqvms[i] = fresh;
	}
	return 0;
}

uint64_t
live_callback(const struct tkvm_program *p, unsigned slot)
{
	if (p->storage != NULL && p->storage->own_program)
		return p->storage->live_cb[slot];
	return p->callbacks[slot];
}

static int
transfer(struct tkvm_program *from, struct tkvm_program *to,
    struct tkvm_live_result *res, char *err, size_t errlen)
{
	struct storage_call ser = { .kind = SCALL_SERIALIZE, .result = -1 };
	struct storage_call rst = { .kind = SCALL_RESTORE };
	struct live_vm old, fresh;
	double t0 = now_s();
	char why[200];
	int rc = -1;

	if (live_vm_take(from, true, &old, "old", err, errlen) != 0)
		return -1;
	if (live_run(&old, live_callback(from, CB_LIVE_UPDATE), 0, &ser,
	    from->cfg.max_storage_time, "on_live_update", why,
	    sizeof why) != 0) {
		snprintf(err, errlen, "the old program could not hand over its "
		    "state: %s", why);
		goto out;
	}
	res->serialize_s = now_s() - t0;
	if (!ser.returned || ser.data == 0) {
		snprintf(res->note, sizeof res->note, "on_live_update gave no "
		    "data (storage_return): nothing moved");
		rc = 0;
		goto out;
	}
	t0 = now_s();
	if (live_vm_take(to, false, &fresh, "new", err, errlen) != 0)
		goto out;
	rst.from = old.vm;
	rst.data = ser.data;
	rst.len = ser.len;
	rc = live_run(&fresh, live_callback(to, CB_LIVE_RESTORE), ser.len, &rst,
	    to->cfg.max_storage_time, "on_live_restore", why, sizeof why);
	live_vm_release(&fresh);
	if (rc != 0)
		snprintf(err, errlen, "the new program could not take the "
		    "state (%llu bytes): %s", (unsigned long long)ser.len, why);
	else if (to->storage == NULL)
		rc = refork_reqvms(to, err, errlen);
	res->restore_s = now_s() - t0;
	if (rc == 0) {
		res->moved = true;
		res->bytes = rst.result > 0 ? (uint64_t)rst.result : 0;
		res->offered = ser.len;
	}
out:
	live_vm_release(&old);
	return rc;
}

int
tkvm_program_live_transfer(struct tkvm_program *from, struct tkvm_program *to,
    struct tkvm_live_result *res, char *err, size_t errlen)
{
	TKVM_CHECK_OBJ(from, TKVM_PROGRAM_MAGIC);
	TKVM_CHECK_OBJ(to, TKVM_PROGRAM_MAGIC);
	memset(res, 0, sizeof *res);
	if (live_callback(from, CB_LIVE_UPDATE) == 0) {
		snprintf(res->note, sizeof res->note, "the old program has no "
		    "on_live_update: nothing moved");
		return 0;
	}
	if (live_callback(to, CB_LIVE_RESTORE) == 0) {
		snprintf(res->note, sizeof res->note, "the new program has no "
		    "on_live_restore: nothing moved");
		return 0;
	}
	return transfer(from, to, res, err, errlen);
}

bool
tkvm_program_live_serializer(const struct tkvm_program *p)
{
	TKVM_CHECK_OBJ(p, TKVM_PROGRAM_MAGIC);
	return live_callback(p, CB_LIVE_UPDATE) != 0;
}

bool
tkvm_program_has_storage(const struct tkvm_program *p)
{
	TKVM_CHECK_OBJ(p, TKVM_PROGRAM_MAGIC);
	return p->storage != NULL;
}
