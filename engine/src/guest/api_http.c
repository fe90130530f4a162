/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Header calls 0x10020-0x10023 and sys_regex_copyto 0x10035
 * (docs/GUEST_API.md), with the published results and limits: append and
 * set return the field's index (> 0) or 0; find copies the whole field and
 * never returns a negative length.  A malformed field, a header set that
 * does not exist here or a bad guest pointer ends the request, naming the
 * call.  Without header sets (warmup, chain steps, outside a request)
 * the calls do nothing and return 0.
 */
#include <errno.h>
#include <string.h>

#include "program.h"

#define MAX_FIELD_LEN	0xFFFF		/* published: 16-bit lengths */

/* The embedder's header sets, or NULL when there are none. */
static const struct tkvm_http_ops *
http_ops(struct tkvm_vm *vm)
{
	const struct tkvm_http_ops *ops = vm->req ? vm->req->in->http : NULL;

	return ops != NULL && ops->has != NULL ? ops : NULL;
}

static void *
http_ctx(struct tkvm_vm *vm)
{
	return vm->req->in->http_ctx;
}

/* The set a program names: 0 or 1, and 4 or 5 in a backend; -1 (and the
 * request failed) when it does not exist here. */
static int
http_where(struct tkvm_vm *vm, uint64_t arg, const char *call)
{
	const int given = (int)(uint32_t)arg;	/* an int argument */
	int where = given;

	if (vm->req->in->backend && (where == 4 || where == 5))
		where -= 4;
	if ((where == 0 || where == 1) &&
	    http_ops(vm)->has(http_ctx(vm), where))
		return where;
	vm_fail(vm, TKVM_STOP_ERROR, "%s: header set %d is not available here",
	    call, given);
	return -1;
}

/* The name before ':' (or the whole bare key) is a non-empty HTTP token. */
bool
valid_name(const char *field, size_t len)
{
	size_t n = 0;

	while (n < len && field[n] != ':') {
		unsigned char c = (unsigned char)field[n];
		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;\\\"/[]?={}", c))
			return false;
		n++;
	}
	return n > 0;
}

/* No CR, LF or NUL: nothing may split a header line. */
bool
clean_text(const char *p, size_t len)
{
	return memchr(p, '\r', len) == NULL && memchr(p, '\n', len) == NULL &&
	    memchr(p, '\0', len) == NULL;
}

/* "Key: value" as published ("X: Y" at least, one space after the colon,
 * none at either end), with a token name and no CR/LF/NUL. */
static const char *
field_problem(const char *f, size_t len)
{
	const char *colon = memchr(f, ':', len);

	if (!clean_text(f, len))
		return "CR, LF or NUL in the field";
	if (colon == NULL)
		return "the field has no colon";
	if (len < 4 || colon == f || colon == f + len - 1 || colon[1] != ' ' ||
	    f[0] == ' ' || f[len - 1] == ' ')
		return "the field is not 'Key: value'";
	if (!valid_name(f, len))
		return "the field name is not an HTTP token";
	return NULL;
}

/* The guest's field: NULL (and the request failed) when unreadable,
 * longer than 64 KiB - 1 or malformed; a bare key when bare_ok. */
static const char *
guest_field(struct tkvm_vm *vm, struct kvm_regs *r, const char *call,
    bool bare_ok)
{
	const char *f = r->rdx <= MAX_FIELD_LEN ? gmem_stable(vm, r->rsi, r->rdx) : NULL;
	const char *why;

	if (f == NULL || r->rdx == 0) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: bad field pointer or length", call);
		return NULL;
	}
	if (bare_ok && memchr(f, ':', r->rdx) == NULL)
		why = clean_text(f, r->rdx) && valid_name(f, r->rdx) ? NULL :
		    "the key is not an HTTP token";
	else
		why = field_problem(f, r->rdx);
	if (why != NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: %s", call, why);
		return NULL;
	}
	return f;
}

static int64_t
index_or_zero(long idx)
{
	return idx > 0 ? idx : 0;
}

/* sys_http_append(where, field, len) -> index, 0 when full. */
int64_t
api_http_append(struct tkvm_vm *vm, struct kvm_regs *r)
{
	static const char call[] = "sys_http_append";
	const struct tkvm_http_ops *ops = http_ops(vm);
	const char *field;
	int where;

	if (ops == NULL)
		return 0;
	if ((where = http_where(vm, r->rdi, call)) < 0 ||
	    (field = guest_field(vm, r, call, false)) == NULL)
		return 0;
	return index_or_zero(ops->append(http_ctx(vm), where, field, r->rdx));
}

/* sys_http_set(where, field, len) -> index; a bare key unsets. */
int64_t
api_http_set(struct tkvm_vm *vm, struct kvm_regs *r)
{
	static const char call[] = "sys_http_set";
	const struct tkvm_http_ops *ops = http_ops(vm);
	const char *field;
	int where;

	if (ops == NULL || r->rdx == 0)
		return 0;
	if ((where = http_where(vm, r->rdi, call)) < 0 ||
	    (field = guest_field(vm, r, call, true)) == NULL)
		return 0;
	return index_or_zero(ops->set(http_ctx(vm), where, field, r->rdx));
}

/* Copies text to the guest: its length, 0 when outl is too small, the
 * length alone when outb is 0; 0 (and the request failed) when outb is
 * not writable guest memory. */
static int64_t
copy_out(struct tkvm_vm *vm, uint64_t outb, uint64_t outl, const char *text,
    size_t len, const char *call)
{
	char *dst;

	if (outb == 0)
		return (int64_t)len;
	if (len > outl)
		return 0;
	dst = gmem_wr(vm, outb, len);
	if (dst == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: bad output buffer", call);
		return 0;
	}
	memcpy(dst, text, len);
	return (int64_t)len;
}

/* sys_http_find(where, key, key_len, outb, outl) -> the whole field's
 * length, or 0. */
int64_t
api_http_find(struct tkvm_vm *vm, struct kvm_regs *r)
{
	static const char call[] = "sys_http_find";
	const struct tkvm_http_ops *ops = http_ops(vm);
	/* Published: both lengths are 16 bits (so 0x10005 is 5). */
	const uint64_t klen = r->rdx & 0xFFFF, outl = (uint16_t)r->r8;
	const char *key, *field = NULL;
	long len;
	int where;

	if (ops == NULL)
		return 0;
	if ((where = http_where(vm, r->rdi, call)) < 0)
		return 0;
	key = gmem_stable(vm, r->rsi, klen);
	if (key == NULL || klen == 0 || !clean_text(key, klen) ||
	    !valid_name(key, klen) || memchr(key, ':', klen) != NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: bad key", call);
		return 0;
	}
	len = ops->find(http_ctx(vm), where, key, klen, &field);
	if (len <= 0 || field == NULL)
		return 0;
	return copy_out(vm, r->rcx, outl, field, (size_t)len, call);
}

/* sys_http_method(outb, outl) -> its length, or 0; outb 0 -> the length. */
int64_t
api_http_method(struct tkvm_vm *vm, struct kvm_regs *r)
{
	const char *m;

	if (vm->req == NULL)
		return 0;
	if (http_ops(vm) != NULL && !vm->req->in->backend) {
		/* Published: it reads the backend request, which a client
		 * side call (to_string, synth) does not have. */
		vm_fail(vm, TKVM_STOP_ERROR, "sys_http_method: there is no "
		    "backend request here");
		return 0;
	}
	m = vm->req->in->method;
	return copy_out(vm, r->rdi, r->rsi & 0x7FFFFFFF, m, strlen(m),
	    "sys_http_method");
}

/* sys_regex_copyto(handle, src, dst) -> fields of src that match the
 * expression, appended to dst; those counted that found room. */
int64_t
api_regex_copyto(struct tkvm_vm *vm, struct kvm_regs *r)
{
	static const char call[] = "sys_regex_copyto";
	const struct tkvm_http_ops *ops = http_ops(vm);
	const char *f;
	void *re;
	int src, dst;
	unsigned n = 0, copied = 0;

	if ((re = regex_get(vm, r->rdi, call)) == NULL || ops == NULL)
		return 0;
	if ((src = http_where(vm, r->rsi, call)) < 0 ||
	    (dst = http_where(vm, r->rdx, call)) < 0)
		return 0;
	/* Counted first: copying a set into itself must end. */
	while (ops->field(http_ctx(vm), src, n, &f) >= 0)
		n++;
	for (unsigned i = 0; i < n; i++) {
		long len = ops->field(http_ctx(vm), src, i, &f);
		if (len <= 0 || vm->cfg.regex->match(re, f, (size_t)len) < 0 ||
		    field_problem(f, (size_t)len) != NULL)
			continue;
		copied += ops->append(http_ctx(vm), dst, f, (size_t)len) > 0;
	}
	return copied;
}
