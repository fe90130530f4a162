/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sys_fetch (0x20000) and sys_request (0x20001), docs/GUEST_API.md: the
 * embedder makes the HTTP request (tkvm_http_ops.fetch); the engine reads
 * the guest's arguments and puts the response back.
 *
 * Bad arguments have the published outcomes (docs/COMPATIBILITY.md, "Guest
 * calls with bad arguments"): a URL, curl_op or curl_fields (or one of its
 * fields) that cannot be read, or a URL over 1024 bytes, ends the request;
 * an unreadable curl_options, an unwritable header buffer and the like
 * make the call return -1; a body larger than the content buffer the
 * program gave returns -EFBIG, and the program goes on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "program.h"

#define MAX_URL_LEN	1024		/* published: CURL_REQ_URL_MAX_LENGTH */
#define MAX_REQ_FIELD	0x10000		/* a 16-bit length, and its NUL */
#define NFIELDS		12

/* The request fields of curl_fields, each up to its first NUL (as
 * published): 0, -EINVAL for a field that is not a clean "Key: value",
 * -EFAULT (and the request failed) if unreadable. */
static int
fetch_fields(struct tkvm_vm *vm, const char *call, uint64_t addr,
    struct tkvm_fetch *f, char fields[NFIELDS][MAX_REQ_FIELD])
{
	struct curl_fields_abi cf;

	if (gmem_copy(vm, &cf, addr, sizeof cf) != 0) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: bad curl_fields pointer", call);
		return -EFAULT;
	}
	for (unsigned i = 0; i < NFIELDS; i++) {
		size_t len = cf.len[i];
		char *dst = fields[f->nfields];

		if (cf.ptr[i] == 0 || len == 0)
			continue;	/* as published: no field there */
		if (gmem_at(vm, cf.ptr[i], len) == NULL) {
			vm_fail(vm, TKVM_STOP_ERROR, "%s: bad pointer or length "
			    "of request field %u", call, i);
			return -EFAULT;
		}
		gmem_copy(vm, dst, cf.ptr[i], len);
		dst[len] = '\0';
		if ((len = strlen(dst)) == 0)
			continue;
		if (!clean_text(dst, len) || !valid_name(dst, len) ||
		    !memchr(dst, ':', len))
			return -EINVAL;
		f->fields[f->nfields] = dst;
		f->nfields++;
	}
	return 0;
}

/* The guest's arguments, read in the published order: 0, or the call's
 * result (the request failed when it is -EFAULT from a vm_fail()). */
static int
fetch_arguments(struct tkvm_vm *vm, struct kvm_regs *r, struct tkvm_fetch *f,
    char *url, char fields[NFIELDS][MAX_REQ_FIELD], const char *call)
{
	struct curl_op_abi op;
	int rc;

	/* Copies first: nothing the guest holds is read twice. */
	if (r->rsi > MAX_URL_LEN) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: the URL is longer than %d "
		    "bytes", call, MAX_URL_LEN);
		return -EFAULT;
	}
	if (r->rsi != 0 && gmem_copy(vm, url, r->rdi, r->rsi) != 0) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: bad URL pointer", call);
		return -EFAULT;
	}
	url[r->rsi] = '\0';
	if (gmem_copy(vm, &op, r->rdx, sizeof op) != 0) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: bad curl_op pointer", call);
		return -EFAULT;
	}
	if (r->rcx != 0 && (rc = fetch_fields(vm, call, r->rcx, f, fields)) != 0)
		return rc;
	if (r->rsi == 0 || !clean_text(url, r->rsi) ||
	    memchr(url, ' ', r->rsi) != NULL)
		return -EINVAL;
	f->url = url;
	if (op.post_buflen != 0) {
		f->post = gmem_at(vm, op.post_buffer, op.post_buflen);
		if (f->post == NULL)
			return -EFAULT;
		f->post_len = op.post_buflen;
		/* A POST sends the curl_op's content type, as published. */
		if (op.ctlen > 0 && op.ctlen < sizeof op.ctype) {
			size_t n = strnlen(op.ctype, op.ctlen);
			memcpy(f->post_ctype, op.ctype, n);
			if (!clean_text(f->post_ctype, n))
				return -EINVAL;
		}
	}
	/* Header fields are collected into a buffer of 64 bytes or more. */
	f->want_headers = op.headers_length >= 64;
	f->follow_location = true;	/* the default without options */
	if (r->r8 != 0) {
		struct curl_options_abi o;
		if (gmem_copy(vm, &o, r->r8, sizeof o) != 0)
			return -1;	/* published: its catch-all result */
		f->follow_location = o.follow_location != 0;
		f->no_verify_host = o.dont_verify_host != 0;
	}
	return 0;
}

/* The body goes into the program's content buffer, at most its
 * content_length bytes, or without one into a new mapping. */
static int64_t
put_body(struct tkvm_vm *vm, struct curl_op_abi *op, const struct tkvm_fetch *f)
{
	int64_t addr;
	void *dst;

	if (op->content != 0) {
		if (f->body_len > op->content_length)
			return -EFBIG;	/* published: a failed write */
		dst = gmem_wr(vm, op->content, f->body_len);
		if (dst == NULL)
			return -EFAULT;
		memcpy(dst, f->body, f->body_len);
		op->content_length = (uint32_t)f->body_len;
		return 0;
	}
	addr = 0;
	if (f->body_len > 0) {
		addr = mm_map(vm, 0, f->body_len, false);
		if (addr < 0)
			return addr;
		memcpy(gmem_wr(vm, (uint64_t)addr, f->body_len), f->body, f->body_len);
	}
	op->content = (uint64_t)addr;
	op->content_length = (uint32_t)f->body_len;
	return 0;
}

/* Fills the curl_op: body, status, content type, header fields. */
static int64_t
fetch_result(struct tkvm_vm *vm, uint64_t op_addr, const struct tkvm_fetch *f)
{
	struct curl_op_abi op;
	size_t ctlen = strnlen(f->ctype, sizeof op.ctype - 1);
	int64_t rc;

	if (f->body_len > UINT32_MAX)
		return -EFBIG;
	if (gmem_copy(vm, &op, op_addr, sizeof op) != 0)
		return -1;
	if ((rc = put_body(vm, &op, f)) != 0)
		return rc;
	op.status = (uint32_t)f->status;
	if (f->headers_len > 0 && f->headers_len < UINT32_MAX) {
		/* Into the guest's buffer (cut to fit with its NUL) or a new
		 * mapping; headers_length counts the bytes before the NUL. */
		size_t n = f->headers_len;
		if (op.headers != 0 && n >= op.headers_length)
			n = op.headers_length - 1;
		if (op.headers == 0) {
			int64_t h = mm_map(vm, 0, n + 1, false);
			if (h < 0)
				return h;
			op.headers = (uint64_t)h;
		}
		if (gmem_put(vm, op.headers, f->headers, n) != 0 ||
		    gmem_put(vm, op.headers + n, "", 1) != 0)
			return -1;	/* published: its catch-all result */
		op.headers_length = (uint32_t)n;
	} else {
		op.headers_length = 0;
	}
	memcpy(op.ctype, f->ctype, ctlen);
	op.ctype[ctlen] = '\0';
	op.ctlen = (uint32_t)ctlen;
	return gmem_put(vm, op_addr, &op, sizeof op) == 0 ? 0 : -1;
}

/* Seconds before the run's deadline (0: none; -1 when already past). */
static double
time_left(const struct tkvm_vm *vm)
{
	struct timespec now;
	double left;

	if (vm->deadline == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left = (double)(vm->deadline->tv_sec - now.tv_sec) +
	    (double)(vm->deadline->tv_nsec - now.tv_nsec) * 1e-9;
	return left > 0 ? left : -1;
}

static int64_t
fetch_common(struct tkvm_vm *vm, struct kvm_regs *r, bool self)
{
	const struct tkvm_http_ops *ops = vm->req ? vm->req->in->http : NULL;
	const char *call = self ? "sys_request" : "sys_fetch";
	char url[MAX_URL_LEN + 1], (*fields)[MAX_REQ_FIELD];
	struct tkvm_fetch f;
	int64_t rc;

	if (ops == NULL || ops->fetch == NULL)
		return -ENOSYS;
	if ((fields = malloc(NFIELDS * sizeof *fields)) == NULL)
		return -ENOMEM;
	memset(&f, 0, sizeof f);
	f.self = self;
	f.timeout = time_left(vm);
	rc = fetch_arguments(vm, r, &f, url, fields, call);
	if (rc != 0)
		goto out;
	if (ops->fetch(vm->req->in->http_ctx, &f) != 0) {
		vm_verbose(vm, "fetch of %s failed: %s", url, f.error);
		rc = f.errcode > 0 ? -f.errcode : -EIO;
		goto out;
	}
	rc = fetch_result(vm, r->rdx, &f);
out:
	free(f.body);
	free(f.headers);
	free(fields);
	return rc;
}

int64_t
api_fetch(struct tkvm_vm *vm, struct kvm_regs *r)
{
	return fetch_common(vm, r, false);
}

int64_t
api_request(struct tkvm_vm *vm, struct kvm_regs *r)
{
	return fetch_common(vm, r, true);
}
