/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Requests: place the request in the request VM, enter the program at its
 * callback (or resume it in wait_for_requests_paused), run until it
 * responds, and reset the VM afterwards.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "program.h"
#include "debug/debug.h"

#define ON_ERROR_BUDGET	1.0	/* seconds for the on_error callback */
#define MAX_REQUEST_HEADERS 1024
/* A streaming POST callback (slot 4) receives the body in pieces of at
 * most this size, each in the same buffer of the request area. */
#define STREAM_POST_PIECE (64u << 10)

/* Copies request data into the guest, in a mapping of the mmap area
 * that the reset takes away again. */
struct placer {
	struct tkvm_vm *vm;
	uint64_t base, used, size;
};

static uint64_t
place(struct placer *pl, const void *data, size_t len, bool nul)
{
	uint64_t addr = pl->base + pl->used;
	uint8_t *dst = gmem_wr(pl->vm, addr, len + nul);

	if (len)
		memcpy(dst, data, len);
	if (nul)
		dst[len] = '\0';
	pl->used += (len + nul + 15) & ~15ULL;
	return addr;
}

/* Room for len bytes written later (the streamed body's pieces). */
static uint64_t
reserve(struct placer *pl, size_t len)
{
	uint64_t addr = pl->base + pl->used;

	pl->used += (len + 15) & ~15ULL;
	return addr;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool
has_body(const struct tkvm_request *req)
{
	return req->body != NULL || (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0);
}

/* The body goes to the streaming POST callback piece by piece, then
 * on_post runs with no data and the total length (as published). */
static bool
streams_body(const struct tkvm_program *p, const struct tkvm_request *req)
{
	return !p->paused_mode && p->callbacks[CB_REQUEST] == 0 &&
	    p->callbacks[CB_STREAM_POST] != 0 && p->callbacks[CB_POST] != 0 &&
	    req->body_len > 0 && has_body(req);
}

/* Bytes of the body that the request area holds. */
static size_t
body_room(const struct tkvm_program *p, const struct tkvm_request *req)
{
	if (streams_body(p, req) && req->body_len > STREAM_POST_PIECE)
		return STREAM_POST_PIECE;
	return req->body_len;
}

static size_t
request_size(const struct tkvm_program *p, const struct tkvm_request *req)
{
	/* 256 spare bytes hold on_error's exception text. */
	size_t n = sizeof(struct kvm_request_abi) + 6 * 16 + 256 +
	    strlen(req->method) + strlen(req->url) +
	    (req->arg ? strlen(req->arg) : 0) +
	    (req->content_type ? strlen(req->content_type) : 0) +
	    body_room(p, req) +
	    req->num_headers * (sizeof(struct kvm_request_header_abi) + 16);

	for (unsigned i = 0; i < req->num_headers; i++)
		n += req->headers[i].len;
	return n;
}

static uint64_t
next_random(struct tkvm_vm *vm)
{
	/* splitmix64 over a per-VM seed: fresh bits, no system call. */
	uint64_t z = (vm->prng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Writes strings, body, headers and a struct kvm_request into the guest. */
static int
place_request(struct tkvm_vm *vm, const struct tkvm_request *req,
    struct kvm_request_abi *out, uint64_t *out_addr)
{
	struct placer pl = { vm, 0, 0, request_size(vm->program, req) };
	struct kvm_request_header_abi *hdrs;
	int64_t base;

	if (req->num_headers > MAX_REQUEST_HEADERS)
		return -E2BIG;
	base = mm_map(vm, 0, pl.size, false);
	if (base < 0)
		return (int)base;
	pl.base = (uint64_t)base;
	vm->req_area = pl.base;
	vm->req_area_len = pl.size;
	memset(out, 0, sizeof *out);
	out->method = place(&pl, req->method, strlen(req->method), true);
	out->url = place(&pl, req->url, strlen(req->url), true);
	out->arg = place(&pl, req->arg ? req->arg : "",
	    req->arg ? strlen(req->arg) : 0, true);
	out->content_type = place(&pl, req->content_type ? req->content_type : "",
	    req->content_type ? strlen(req->content_type) : 0, true);
	out->method_len = (uint16_t)strlen(req->method);
	out->url_len = (uint16_t)strlen(req->url);
	out->arg_len = (uint16_t)(req->arg ? strlen(req->arg) : 0);
	out->content_type_len = (uint16_t)(req->content_type ?
	    strlen(req->content_type) : 0);
	if (streams_body(vm->program, req))
		out->content = reserve(&pl, body_room(vm->program, req));
	else if (req->body != NULL)
		out->content = place(&pl, req->body, req->body_len, false);
	out->content_len = req->body_len;
	out->headers = pl.base + pl.used;
	hdrs = gmem_wr(vm, out->headers, req->num_headers * sizeof *hdrs);
	pl.used += req->num_headers * sizeof *hdrs;
	for (unsigned i = 0; i < req->num_headers; i++) {
		const struct tkvm_header *h = &req->headers[i];
		const char *colon = memchr(h->field, ':', h->len);
		hdrs[i].field = place(&pl, h->field, h->len, true);
		hdrs[i].field_colon = colon ? (uint32_t)(colon - h->field) : 0;
		hdrs[i].field_len = (uint32_t)h->len;
	}
	out->num_headers = (uint16_t)req->num_headers;
	out->info_flags = req->info_flags;
	out->prng[0] = next_random(vm);
	out->prng[1] = next_random(vm);
	*out_addr = place(&pl, out, sizeof *out, false);
	return 0;
}

/* Sets the registers to enter target through the entry stub. */
static void
enter_at(struct tkvm_vm *vm, const struct kvm_regs *base, uint64_t target)
{
	struct kvm_regs *r = &vm->run->s.regs.regs;

	cpu_restore_segments(vm);
	*r = *base;
	r->r10 = base->rdx;
	r->r11 = target;
	r->rax = r->rdx = ~0ULL;	/* XRSTOR: every component */
	r->rip = STUB_ADDR + STUB_ENTRY;
	r->rflags = vm->user_rflags;
	vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

int
enter_function(struct tkvm_vm *vm, uint64_t rsp, uint64_t fn,
    const uint64_t args[CALL_ARGS])
{
	const uint64_t ret = STUB_ADDR + STUB_RETURN;
	struct kvm_regs r;

	rsp -= 8;
	if (gmem_put(vm, rsp, &ret, sizeof ret) != 0)
		return -EFAULT;
	memset(&r, 0, sizeof r);
	r.rsp = rsp;
	r.rdi = args[0];
	r.rsi = args[1];
	r.rdx = args[2];
	r.rcx = args[3];
	r.r8 = args[4];
	r.r9 = args[5];
	enter_at(vm, &r, fn);
	return 0;
}

/* Enters a callback on a fresh stack that returns into the return stub. */
static int
enter_callback(struct tkvm_vm *vm, uint64_t fn, const uint64_t args[CALL_ARGS])
{
	return enter_function(vm, vm->program->request_stack_top, fn, args);
}

/* Runs the streaming POST callback on each piece of the body, within
 * *budget seconds (what is left goes back).  0 when the whole body was
 * taken, 1 when the program responded already, -1 with why and *stop. */
static int
feed_body(struct tkvm_vm *vm, const struct tkvm_request *req,
    const struct kvm_request_abi *kr, double *budget, enum tkvm_stop *stop,
    char *why, size_t whylen)
{
	const struct kvm_regs *r = &vm->run->s.regs.regs;
	const uint64_t fn = vm->program->callbacks[CB_STREAM_POST];
	uint64_t args[CALL_ARGS] = { kr->url, kr->arg, kr->content_type,
	    kr->content, 0, 0 };
	struct tkvm_result res;
	size_t off, n;

	for (off = 0; off < req->body_len; off += n) {
		double t0 = now_s();
		enum vm_halt h;
		uint8_t *dst;

		n = req->body_len - off;
		if (n > STREAM_POST_PIECE)
			n = STREAM_POST_PIECE;
		/* The program may have unmapped or protected the buffer. */
		dst = gmem_wr(vm, kr->content, n);
		if (dst == NULL) {
			snprintf(why, whylen, "streaming POST: the body buffer "
			    "at 0x%llx is no longer writable",
			    (unsigned long long)kr->content);
			return -1;
		}
		memcpy(dst, (const uint8_t *)req->body + off, n);
		args[4] = n;
		args[5] = off;
		if (enter_callback(vm, fn, args) != 0) {
			snprintf(why, whylen, "streaming POST: cannot enter the callback");
			return -1;
		}
		vm->limit_named = vm->program->cfg.max_request_time;
		h = vm_run(vm, *budget, &res);
		vm->limit_named = 0;
		if (vm->program->cfg.max_request_time > 0)
			*budget -= now_s() - t0;	/* 0: no limit */
		if (h == HALT_RESPONDED)
			return 1;
		if (h != HALT_RETURNED) {
			if (h == HALT_FAULT)
				*stop = res.stop;
			if (res.stop == TKVM_STOP_TIMEOUT)
				vm->stats.timeouts++;
			snprintf(why, whylen, "streaming POST callback at offset "
			    "%zu: %.96s", off, h == HALT_FAULT ? res.reason :
			    h == HALT_EXIT ? "the program exited" :
			    "it did not return");
			return -1;
		}
		if (r->rax != n) {
			snprintf(why, whylen, "streaming POST callback took %lld "
			    "of %zu bytes at offset %zu", (long long)r->rax, n, off);
			return -1;
		}
		if (vm->program->cfg.max_request_time > 0 && *budget <= 0) {
			*stop = TKVM_STOP_TIMEOUT;
			vm->stats.timeouts++;
			snprintf(why, whylen, "streaming POST: guest exceeded its "
			    "%g s time limit", vm->program->cfg.max_request_time);
			return -1;
		}
	}
	return 0;
}

/* Places the request and sets up the entry: 0, 1 when the program has
 * responded already (while taking a streamed body), or -errno with a
 * reason and *stop. */
static int
start_request(struct tkvm_vm *vm, const struct tkvm_request *req,
    double *budget, enum tkvm_stop *stop, char *why, size_t whylen)
{
	struct tkvm_program *p = vm->program;
	struct kvm_request_abi kr;
	uint64_t kr_addr, args[CALL_ARGS] = { 0 };
	int r = place_request(vm, req, &kr, &kr_addr);

	if (r != 0) {
		snprintf(why, whylen, "request does not fit in guest memory (%s)",
		    strerror(-r));
		return r;
	}
	if (p->paused_mode) {
		struct kvm_request_abi *dst = gmem_wr(vm, p->paused_req, sizeof kr);
		if (dst == NULL)
			return -EFAULT;
		memcpy(dst, &kr, sizeof kr);
		if (vm->resumable)
			enter_at(vm, &vm->paused_regs, vm->paused_regs.rip);
		else
			enter_at(vm, &p->frozen_regs, p->frozen_regs.rip);
		return 0;
	}
	if (p->callbacks[CB_REQUEST]) {
		args[0] = kr_addr;
		return enter_callback(vm, p->callbacks[CB_REQUEST], args);
	}
	args[0] = kr.url;
	args[1] = kr.arg;
	if (has_body(req) && p->callbacks[CB_POST]) {
		args[2] = kr.content_type;
		args[3] = kr.content;
		args[4] = kr.content_len;
		if (streams_body(p, req)) {
			r = feed_body(vm, req, &kr, budget, stop, why, whylen);
			if (r != 0)
				return r;
			args[3] = 0;	/* the pieces went to the callback */
		}
		return enter_callback(vm, p->callbacks[CB_POST], args);
	}
	if (!has_body(req) && p->callbacks[CB_GET])
		return enter_callback(vm, p->callbacks[CB_GET], args);
	snprintf(why, whylen, "program has no callback for %s requests",
	    req->method);
	return -ENOSYS;
}

/* A failed request has no response, only a reason. */
static void
fail_response(struct tkvm_response *resp, enum tkvm_stop stop, const char *why)
{
	memset(resp, 0, sizeof *resp);
	resp->stop = stop;
	snprintf(resp->reason, sizeof resp->reason, "%s", why);
}

/* Runs the VM until it responds; 0 or -1 with resp->reason set. */
static int
run_to_response(struct tkvm_vm *vm, double budget, struct tkvm_response *resp)
{
	struct tkvm_result res;
	enum vm_halt h = vm_run(vm, budget, &res);
	char why[160];

	if (h == HALT_RESPONDED)
		return 0;
	if (h == HALT_FAULT && vm->program->cfg.debug_on_exception != NULL)
		debug_hold_crash(vm, vm->program->cfg.debug_on_exception, &res);
	if (h == HALT_RETURNED)
		snprintf(why, sizeof why, "request callback returned without a response");
	else if (h == HALT_EXIT)
		snprintf(why, sizeof why, "program exited with status %d during a request",
		    res.status);
	else if (h == HALT_WAITING)
		snprintf(why, sizeof why, "program waited for requests without responding");
	else
		snprintf(why, sizeof why, "%s", res.reason);
	fail_response(resp, h == HALT_FAULT ? res.stop : TKVM_STOP_ERROR, why);
	if (res.stop == TKVM_STOP_TIMEOUT)
		vm->stats.timeouts++;
	return -1;
}

static void
try_on_error(struct tkvm_vm *vm, const struct tkvm_request *req,
    struct tkvm_response *resp)
{
	const uint64_t fn = vm->program->callbacks[CB_ERROR];
	struct tkvm_response alt;
	struct request_ctx ctx = { req, &alt, false, true };
	struct kvm_request_abi kr;
	uint64_t kr_addr, args[CALL_ARGS] = { 0 };

	if (fn == 0 || vm->program->paused_mode || vm->broken[0] != '\0')
		return;
	if (reset_restore(vm) != 0)
		return;
	memset(&alt, 0, sizeof alt);
	if (place_request(vm, req, &kr, &kr_addr) != 0)
		return;
	args[0] = kr.url;
	args[1] = kr.arg;
	args[2] = place(&(struct placer){ vm, kr_addr + sizeof kr, 0, 0 },
	    resp->reason, strlen(resp->reason), true);
	vm->req = &ctx;
	if (enter_callback(vm, fn, args) == 0 &&
	    run_to_response(vm, ON_ERROR_BUDGET, &alt) == 0) {
		alt.stop = resp->stop;
		memcpy(alt.reason, resp->reason, sizeof alt.reason);
		alt.from_on_error = true;
		*resp = alt;
	}
	vm->req = NULL;
}

/* A persistent program in paused mode finishes the previous request and
 * comes back to wait_for_requests_paused() before the next one. */
static int
resume_to_wait(struct tkvm_vm *vm, struct tkvm_response *resp)
{
	struct tkvm_result res;
	struct kvm_regs *r = &vm->run->s.regs.regs;

	vm_capture_resume(vm, r);
	vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	if (vm_run(vm, vm->program->cfg.max_request_time, &res) != HALT_WAITING) {
		fail_response(resp, TKVM_STOP_ERROR, res.reason[0] ? res.reason :
		    "program did not return to wait_for_requests_paused()");
		return -1;
	}
	vm_capture_resume(vm, &vm->paused_regs);
	return 0;
}

int
tkvm_request_run(struct tkvm_reqvm *rv, const struct tkvm_request *req,
    struct tkvm_response *resp)
{
	struct tkvm_vm *vm = (struct tkvm_vm *)rv;
	const struct tkvm_program *p = vm->program;
	struct request_ctx ctx = { req, resp, false, false };
	double budget = p->cfg.max_request_time;
	enum tkvm_stop stop = TKVM_STOP_ERROR;
	char why[160] = "";
	int ok, started;

	TKVM_CHECK_OBJ(vm, TKVM_VM_MAGIC);
	TKVM_AN(p);			/* a request VM, not a plain one */
	TKVM_ASSERT(vm->req == NULL);	/* one request at a time */
	TKVM_AN(req);
	TKVM_AN(resp);
	memset(resp, 0, sizeof *resp);
	if (vm->needs_reset || vm->broken[0] != '\0') {
		if (tkvm_request_end(rv, why, sizeof why) != 0 &&
		    vm->broken[0] != '\0') {
			fail_response(resp, TKVM_STOP_ERROR, why);
			return -1;
		}
	}
	if (vm->resumable && resume_to_wait(vm, resp) != 0) {
		vm->stats.failures++;
		vm->needs_reset = true;
		vm->ephemeral = true;
		return -1;
	}
	vm->stats.requests++;
	vm->needs_reset = true;
	vm->stable_used = 0;
	vm->req = &ctx;
	started = start_request(vm, req, &budget, &stop, why, sizeof why);
	if (started < 0) {
		fail_response(resp, stop, why[0] ? why : "cannot enter the program");
		ok = -1;
	} else if (started > 0) {
		ok = 0;		/* answered while taking the body */
	} else {
		ok = run_to_response(vm, budget, resp);
	}
	vm->req = NULL;
	if (reset_collect(vm, &vm->pages_dirtied) != 0) {
		/* What the request wrote is unknown: its response may not
		 * leave, and the VM does not serve again. */
		fail_response(resp, TKVM_STOP_ERROR, vm->broken);
		vm->stats.failures++;
		return -1;
	}
	vm->stats.pages_dirtied_last = vm->pages_dirtied;
	vm->stats.pages_dirtied_total += vm->pages_dirtied;
	if (ok == 0 && vm->pages_dirtied > p->max_request_pages) {
		snprintf(why, sizeof why, "request used %llu KiB of working memory, "
		    "more than max_request_memory (%llu KiB)",
		    (unsigned long long)vm->pages_dirtied * 4,
		    (unsigned long long)p->max_request_pages * 4);
		fail_response(resp, TKVM_STOP_MEMORY, why);
		ok = -1;
	}
	if (ok != 0) {
		vm->stats.failures++;
		vm->ephemeral = true;	/* a failed VM is always reset */
		try_on_error(vm, req, resp);
	}
	vm->stats.kvm_run_calls = vm->counters.kvm_run_calls;
	vm->stats.kvm_ioctls = vm->counters.kvm_ioctls;
	return ok;
}

int
tkvm_request_end(struct tkvm_reqvm *rv, char *why, size_t whylen)
{
	struct tkvm_vm *vm = (struct tkvm_vm *)rv;

	TKVM_CHECK_OBJ(vm, TKVM_VM_MAGIC);
	TKVM_AN(vm->program);
	TKVM_ASSERT(vm->req == NULL);
	memset(&vm->stream, 0, sizeof vm->stream);
	if (vm->needs_reset && vm->broken[0] == '\0') {
		vm->needs_reset = false;
		vm->resumable = false;
		if (!vm->ephemeral) {
			/* Persistent: the state stays, the request data goes. */
			mm_unmap(vm, vm->req_area, vm->req_area_len);
			mm_trim_master(vm);
			vm->resumable = vm->program->paused_mode;
			return 0;
		}
		if (reset_restore(vm) == 0)
			return 0;
	}
	vm->needs_reset = false;
	if (vm->broken[0] == '\0')
		return 0;
	/* A reset that failed, now or before: never serve from this VM. */
	program_replace_vm(vm, why, whylen);
	return -1;
}

/* Warmup: mock requests to the main VM before it is forked, so what the
 * program learns or caches in them is in every request VM. */
int
warmup_run(struct tkvm_program *p, char *err, size_t errlen)
{
	struct tkvm_vm *vm = p->main;
	struct tkvm_request req = {
		.method = p->cfg.warmup_method ? p->cfg.warmup_method : "GET",
		.url = p->cfg.warmup_url ? p->cfg.warmup_url : "/",
		.info_flags = TKVM_REQ_WARMUP,
	};
	struct tkvm_response resp;
	struct tkvm_result res;

	for (unsigned i = 0; i < p->cfg.warmup_requests; i++) {
		struct request_ctx ctx = { &req, &resp, false, false };
		char why[160] = "";
		memset(&resp, 0, sizeof resp);
		vm->req = &ctx;
		double budget = p->cfg.max_request_time;
		enum tkvm_stop stop;
		if (start_request(vm, &req, &budget, &stop, why, sizeof why) != 0 ||
		    run_to_response(vm, budget, &resp) != 0) {
			vm->req = NULL;
			snprintf(err, errlen, "warmup request %u failed: %s", i + 1,
			    why[0] ? why : resp.reason);
			return -1;
		}
		vm->req = NULL;
		mm_unmap(vm, vm->req_area, vm->req_area_len);
		if (!p->paused_mode)
			continue;
		/* Let the program come back to wait_for_requests_paused(). */
		if (vm_run(vm, p->cfg.max_request_time, &res) != HALT_WAITING) {
			snprintf(err, errlen, "after warmup request %u the program "
			    "did not return to wait_for_requests_paused()", i + 1);
			return -1;
		}
		program_capture_regs(p);
	}
	return 0;
}

void
tkvm_reqvm_stats(const struct tkvm_reqvm *rv, struct tkvm_reqvm_stats *out)
{
	const struct tkvm_vm *vm = (const struct tkvm_vm *)rv;

	TKVM_CHECK_OBJ(vm, TKVM_VM_MAGIC);
	*out = vm->stats;
	/* The VMOD reads this after every request: no walk of the bitmaps. */
	out->private_pages = reset_private_pages(vm);
	out->kvm_run_calls = vm->counters.kvm_run_calls;
	out->kvm_ioctls = vm->counters.kvm_ioctls;
	out->segment_restores = vm->counters.segment_restores;
}
