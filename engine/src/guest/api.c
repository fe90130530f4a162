/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest API calls (docs/GUEST_API.md): `out %eax, $0` with the call number
 * in eax; results go in rax.  The header calls are in api_http.c, the
 * regex calls in regex.c, the storage calls in storage_call.c and
 * storage_task.c.  A known call this host does not serve ends the
 * request (or the initialization) with a reason naming it; an unknown
 * number returns -ENOSYS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "program.h"
#include "debug/debug.h"

#define MAX_CTYPE_LEN	0xFFF		/* published: 16 bits, below 0x1000 */
#define MAX_FIELD_LEN	(64 * 1024)
#define PUBLISHED_SLOTS	13		/* its ProgramEntryIndex: 0 .. 12 */

static int64_t
api_register_func(struct tkvm_vm *vm, struct kvm_regs *r)
{
	struct tkvm_program *p = vm->program;

	if (p != NULL && vm->is_storage && p->storage != NULL &&
	    p->storage->own_program && !p->storage->ready &&
	    (r->rdi == CB_LIVE_UPDATE || r->rdi == CB_LIVE_RESTORE)) {
		/* A separate storage program keeps the state, so its own
		 * live-update callbacks move it (live_update.c). */
		if (r->rsi != 0 && gmem_at(vm, r->rsi, 1) == NULL)
			return -EFAULT;
		p->storage->live_cb[r->rdi] = r->rsi;
		return 0;
	}
	if (p == NULL || vm->is_storage)
		return 0;	/* callbacks are the main VM's */
	if (p->frozen) {
		vm_fail(vm, TKVM_STOP_ERROR,
		    "register_func called after initialization");
		return -EPERM;
	}
	/* As published, a slot it does not have (13 and up) and an address
	 * outside the program's memory (0 included) end the initialization. */
	if (r->rdi >= PUBLISHED_SLOTS) {
		vm_fail(vm, TKVM_STOP_ERROR, "register_func: no callback slot %llu",
		    (unsigned long long)r->rdi);
		return -EINVAL;
	}
	if (gmem_at(vm, r->rsi, 1) == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "register_func: invalid address "
		    "0x%llx for slot %llu", (unsigned long long)r->rsi,
		    (unsigned long long)r->rdi);
		return -EFAULT;
	}
	p->callbacks[r->rdi] = r->rsi;
	return 0;
}

static int64_t
api_wait_for_requests(struct tkvm_vm *vm, struct kvm_regs *r)
{
	(void)r;
	if (vm->req != NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "wait_for_requests called during a request");
		return -EINVAL;
	}
	vm->halt = HALT_WAITING;
	return 0;
}

static int64_t
api_wait_for_requests_paused(struct tkvm_vm *vm, struct kvm_regs *r)
{
	struct tkvm_program *p = vm->program;

	if (vm->req != NULL && !vm->req->responded) {
		vm_fail(vm, TKVM_STOP_ERROR,
		    "wait_for_requests_paused called without a response");
		return -EINVAL;
	}
	if (p != NULL && !p->frozen && !vm->is_storage) {
		if (gmem_at(vm, r->rdi, sizeof(struct kvm_request_abi)) == NULL) {
			vm_fail(vm, TKVM_STOP_ERROR,
			    "wait_for_requests_paused given a bad request pointer");
			return -EFAULT;
		}
		p->paused_mode = true;
		p->paused_req = r->rdi;
	}
	vm->halt = HALT_WAITING;
	return 0;
}

static double
clamp_ms(uint64_t ms)
{
	const int64_t max = 10LL * 365 * 86400 * 1000;
	int64_t v = (int64_t)ms;

	return (double)(v < 0 ? 0 : v > max ? max : v) / 1000.0;
}

static int64_t
api_set_cacheable(struct tkvm_vm *vm, struct kvm_regs *r)
{
	struct tkvm_response *out;

	if (vm->req == NULL)
		return -EINVAL;
	if (!vm->req->in->backend)
		return -1;	/* published: only in a backend fetch */
	out = vm->req->out;
	out->cache_set = true;
	out->cached = r->rdi & 1;
	/* Milliseconds from the guest, kept within 0 .. 10 years. */
	out->ttl = clamp_ms(r->rsi);
	out->grace = clamp_ms(r->rdx);
	out->keep = clamp_ms(r->rcx);
	return 0;
}

static bool
valid_seconds(float v)
{
	return v == v && v >= 0 && v < 1e9f;	/* not NaN, not absurd */
}

/*
 * The sixth argument of sys_backend_response (r9): a struct
 * BackendResponseExtra, or 0.  A program built with the older
 * five-argument header (the published examples' prebuilt c/counter and
 * c/scounter) leaves whatever r9 held, often a small number or a stack
 * address.  A value that does not point at a whole structure in guest
 * user memory is therefore no extra, as on the published host before
 * the argument existed (docs/GUEST_API.md); nothing outside the guest is
 * read.  A structure that is there must be valid, and its headers are
 * looked for only when it has some.  -1: the request fails.
 */
static int
collect_extra(struct tkvm_vm *vm, uint64_t addr, struct tkvm_response *out)
{
	struct backend_response_extra_abi x;
	struct response_header_abi h;

	/* Copies first: nothing the guest holds is read twice. */
	if (gmem_copy(vm, &x, addr, sizeof x) != 0)
		return 0;
	if (x.num_headers > TKVM_MAX_RESPONSE_HEADERS || (x.num_headers > 0 &&
	    gmem_at(vm, x.headers, (uint64_t)x.num_headers * sizeof h) == NULL))
		return -1;
	for (unsigned i = 0; i < x.num_headers; i++) {
		const char *f;
		if (gmem_copy(vm, &h, x.headers + i * sizeof h, sizeof h) != 0 ||
		    h.field_len == 0 || h.field_len > MAX_FIELD_LEN)
			return -1;
		f = gmem_stable(vm, h.field, h.field_len);
		if (f == NULL || memchr(f, ':', h.field_len) == NULL ||
		    !clean_text(f, h.field_len) || !valid_name(f, h.field_len))
			return -1;
		out->headers[i].field = f;
		out->headers[i].len = h.field_len;
	}
	out->num_headers = x.num_headers;
	if (x.cached) {
		if (!valid_seconds(x.ttl) || !valid_seconds(x.grace) ||
		    !valid_seconds(x.keep))
			return -1;
		out->cache_set = true;
		out->cached = true;
		out->ttl = x.ttl;
		out->grace = x.grace;
		out->keep = x.keep;
	}
	return 0;
}

static int64_t
api_backend_response(struct tkvm_vm *vm, struct kvm_regs *r)
{
	struct tkvm_response *out;
	const int16_t status = (int16_t)r->rdi;
	const uint64_t tlen = (uint16_t)r->rdx;	/* published: 16 bits */
	const char *ctype;
	const void *body;

	if (vm->req == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "sys_backend_response outside a request");
		return -EINVAL;
	}
	out = vm->req->out;
	ctype = tlen <= MAX_CTYPE_LEN ? gmem_stable(vm, r->rsi, tlen) : NULL;
	body = gmem_at(vm, r->rcx, r->r8);
	if (status < 200 || status > 599) {
		vm_fail(vm, TKVM_STOP_ERROR, "invalid response status %d", status);
		return -EINVAL;
	}
	if ((ctype == NULL && tlen != 0) || tlen > MAX_CTYPE_LEN ||
	    (ctype != NULL && !clean_text(ctype, tlen)) ||
	    (body == NULL && r->r8 != 0)) {
		vm_fail(vm, TKVM_STOP_ERROR,
		    "sys_backend_response given a bad content type or body");
		return -EFAULT;
	}
	if (r->r9 != 0 && collect_extra(vm, r->r9, out) != 0) {
		vm_fail(vm, TKVM_STOP_ERROR,
		    "sys_backend_response given bad extra headers or cache settings");
		return -EFAULT;
	}
	out->status = status;
	out->content_type = ctype ? ctype : "";
	out->content_type_len = tlen;
	out->body = body ? body : "";
	out->body_len = r->r8;
	vm->req->responded = true;
	vm->halt = HALT_RESPONDED;
	return 0;
}

/* status, ctype, ctype_len, content length (0 = unknown), callback, arg:
 * the response begins; its body comes from the callback (stream.c). */
static int64_t
api_begin_streaming(struct tkvm_vm *vm, struct kvm_regs *r)
{
	const int16_t status = (int16_t)r->rdi;
	struct tkvm_response *out;
	const uint64_t tlen = (uint16_t)r->rdx;	/* published: 16 bits */
	const char *ctype;

	if (vm->req == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR,
		    "begin_streaming_response outside a request");
		return -EINVAL;
	}
	out = vm->req->out;
	ctype = tlen <= MAX_CTYPE_LEN ? gmem_stable(vm, r->rsi, tlen) : NULL;
	if (status < 200 || status > 599) {
		vm_fail(vm, TKVM_STOP_ERROR, "invalid response status %d", status);
		return -EINVAL;
	}
	if ((ctype == NULL && tlen != 0) || tlen > MAX_CTYPE_LEN ||
	    (ctype != NULL && !clean_text(ctype, tlen)) || r->r8 == 0) {
		vm_fail(vm, TKVM_STOP_ERROR, "begin_streaming_response given "
		    "a bad content type or no callback");
		return -EFAULT;
	}
	out->status = status;
	out->content_type = ctype ? ctype : "";
	out->content_type_len = tlen;
	out->body = "";
	out->body_len = r->rcx;
	out->streaming = true;
	stream_begin(vm, r);
	vm->req->responded = true;
	vm->halt = HALT_RESPONDED;
	return 0;
}

/* rax = start, rdx = end; both 0 when none is configured. */
static int64_t
api_shared_memory_area(struct tkvm_vm *vm, struct kvm_regs *r)
{
	if (vm->shm_size == 0) {
		r->rdx = 0;
		return 0;
	}
	r->rdx = vm->mem_size + vm->shm_size;
	return (int64_t)vm->mem_size;
}

/* During initialization, with control_ephemeral: whether the request VMs
 * are reset after each request (as published, it changes the program's
 * setting); -1 without control_ephemeral.  During a request it ends the
 * request, as published. */
static int64_t
api_make_ephemeral(struct tkvm_vm *vm, struct kvm_regs *r)
{
	struct tkvm_program *p = vm->program;

	if (vm->req != NULL || (p != NULL && p->frozen && !vm->is_storage)) {
		vm_fail(vm, TKVM_STOP_ERROR,
		    "sys_make_ephemeral called after initialization");
		return -EPERM;
	}
	if (p == NULL || !p->cfg.control_ephemeral)
		return -1;
	if (!vm->is_storage) {
		p->cfg.persistent = r->rdi == 0;
		vm->ephemeral = r->rdi != 0;
	}
	return 0;
}

static int64_t
api_get_meminfo(struct tkvm_vm *vm, struct kvm_regs *r)
{
	const struct tkvm_program *p = vm->program;
	struct meminfo_abi mi = {
		.max_memory = vm->mem_limit,
		.max_reqmem = p ? p->max_request_pages * PAGE_SIZE_4K : 0,
	};

	if (vm->dirty_ever != NULL) {
		mi.reqmem_upper = vm->ever_pages * PAGE_SIZE_4K;
		mi.reqmem_current = vm->stats.pages_dirtied_last * PAGE_SIZE_4K;
	}
	if (gmem_put(vm, r->rdi, &mi, sizeof mi) != 0) {
		/* Published: the copy to the guest throws. */
		vm_fail(vm, TKVM_STOP_ERROR, "get_meminfo: bad meminfo pointer");
		return -EFAULT;
	}
	return 0;
}

static int64_t
api_log(struct tkvm_vm *vm, struct kvm_regs *r)
{
	const size_t len = (uint16_t)r->rsi;	/* published: 16 bits */
	/* Published: the text's first page is read even for length 0. */
	const char *text = gmem_at(vm, r->rdi, len != 0 ? len : 1);
	char *copy = NULL;

	if (text == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "sys_log: bad text pointer or length");
		return -EFAULT;
	}
	if (r->rdi + len > vm->mem_size) {
		/* Shared memory: the embedder checks what it writes, so it
		 * gets bytes no other VM can change meanwhile. */
		if ((copy = malloc(len + 1)) == NULL)
			return -ENOMEM;
		memcpy(copy, text, len);
		text = copy;
	}
	if (vm->req != NULL && vm->req->in->http && vm->req->in->http->log)
		vm->req->in->http->log(vm->req->in->http_ctx, text, len);
	else if (vm->program != NULL && vm->program->cfg.log != NULL)
		vm->program->cfg.log(vm->program->cfg.log_opaque, text, len);
	else
		vm_output(vm, 2, text, len);
	free(copy);
	return (int64_t)len;
}

static int64_t
api_is_debug(struct tkvm_vm *vm, struct kvm_regs *r)
{
	(void)r;
	return tkvm_vm_is_debug(vm);
}

/*
 * Extra vCPUs are not provided (docs/DESIGN.md, "Multiprocess"): starting
 * them fails with -1, which is what the published host answers a program
 * whose settings give no `smp` (its default), so a program written for it
 * goes on, on its one vCPU.  No extra vCPUs ever run, so there is nothing
 * to wait for: multiprocess_wait() returns 0, as published.
 */
static int64_t
api_multiprocess(struct tkvm_vm *vm, struct kvm_regs *r)
{
	vm_verbose(vm, "multiprocess (0x%llx) with %llu vCPUs: no extra vCPUs "
	    "here, returned -1", (unsigned long long)r->rax,
	    (unsigned long long)r->rdi);
	return -1;
}

static int64_t
api_multiprocess_wait(struct tkvm_vm *vm, struct kvm_regs *r)
{
	(void)vm; (void)r;
	return 0;
}

/* Under gdb the run stops here (debug/debug.c); otherwise, a VM that only
 * waits for gdb on a crash included, it does nothing, as in a program
 * that may not be debugged. */
static int64_t
api_breakpoint(struct tkvm_vm *vm, struct kvm_regs *r)
{
	(void)r;
	if (debug_is_session(vm)) {
		vm->halt = HALT_DEBUG;
		return 0;
	}
	vm_verbose(vm, "sys_breakpoint ignored: not debugging");
	return 0;
}

struct api_entry {
	uint32_t number;
	const char *name;
	api_fn *fn;		/* NULL: known, not served: the request fails */
};

static const struct api_entry api_table[] = {
	{ 0x10000, "register_func", api_register_func },
	{ 0x10001, "wait_for_requests", api_wait_for_requests },
	{ 0x10002, "wait_for_requests_paused", api_wait_for_requests_paused },
	{ 0x10005, "sys_set_cacheable", api_set_cacheable },
	{ 0x10010, "sys_backend_response", api_backend_response },
	{ 0x10011, "storage_return", api_storage_return },
	{ 0x10012, "begin_streaming_response", api_begin_streaming },
	{ 0x10013, "storage_noreturn", api_storage_noreturn },
	{ 0x10020, "sys_http_append", api_http_append },
	{ 0x10021, "sys_http_set", api_http_set },
	{ 0x10022, "sys_http_find", api_http_find },
	{ 0x10023, "sys_http_method", api_http_method },
	{ 0x10030, "sys_regex_compile", api_regex_compile },
	{ 0x10031, "sys_regex_free", api_regex_free },
	{ 0x10032, "sys_regex_match", api_regex_match },
	{ 0x10033, "sys_regex_subst", api_regex_subst },
	{ 0x10035, "sys_regex_copyto", api_regex_copyto },
	{ 0x10500, "sys_sockets_write", NULL },
	{ 0x10700, "shared_memory_area", api_shared_memory_area },
	{ 0x10703, "sys_make_ephemeral", api_make_ephemeral },
	{ 0x10706, "sys_is_storage", api_is_storage },
	{ 0x10707, "sys_storage_allow", api_storage_allow },
	{ 0x10708, "storage_callv", api_storage_callv },
	{ 0x10709, "sys_storage_task", api_storage_task },
	{ 0x1070A, "stop_storage_task", api_stop_storage_task },
	{ 0x10710, "multiprocess", api_multiprocess },
	{ 0x10711, "multiprocess_array", api_multiprocess },
	{ 0x10712, "multiprocess_clone", api_multiprocess },
	{ 0x10713, "multiprocess_wait", api_multiprocess_wait },
	{ 0x10A00, "get_meminfo", api_get_meminfo },
	{ 0x20000, "sys_fetch", api_fetch },
	{ 0x20001, "sys_request", api_request },
	{ 0x7F000, "sys_log", api_log },
	{ 0x7FDEB, "sys_is_debug", api_is_debug },
	{ 0x7F7F7, "sys_breakpoint", api_breakpoint },
};

void
api_dispatch(struct tkvm_vm *vm, struct kvm_regs *regs)
{
	const uint32_t nr = (uint32_t)regs->rax;

	for (size_t i = 0; i < sizeof api_table / sizeof api_table[0]; i++) {
		const struct api_entry *e = &api_table[i];
		if (e->number != nr)
			continue;
		if (e->fn != NULL) {
			regs->rax = (uint64_t)e->fn(vm, regs);
			return;
		}
		/* Some of these stubs have no ret: never return into them. */
		vm_fail(vm, TKVM_STOP_ERROR, "guest call %s (0x%x) is not "
		    "supported by this host", e->name, nr);
		regs->rax = (uint64_t)-ENOSYS;
		return;
	}
	vm_verbose(vm, "unhandled guest API call 0x%x", nr);
	regs->rax = (uint64_t)-ENOSYS;
}
