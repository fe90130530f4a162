/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Regex calls 0x10030-0x10033 (docs/GUEST_API.md).  The expressions come
 * from the embedder (tkvm_config.regex); the engine keeps the handles: a
 * table of TKVM_MAX_REGEX slots per VM.  Handles compiled by the main VM
 * during initialization are borrowed by every request VM; those a request
 * VM compiles are its own and are freed when its memory is reset, so
 * nothing of one request reaches the next.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "program.h"

#define MAX_SUBST_TEXT	0xFFFF		/* each string of sys_regex_subst */

/*
 * Lengths are cut to the width the published host reads them with (16 bits
 * for a pattern, 32 for a subject and dstlen), and as there, a pointer with
 * length 0 must still point into the program's memory: it reads the first
 * page whatever the length (docs/COMPATIBILITY.md).
 */
static const char *
guest_bytes(struct tkvm_vm *vm, uint64_t addr, uint64_t len)
{
	const char *p = gmem_at(vm, addr, len != 0 ? len : 1);

	return p;
}

static const struct tkvm_regex_ops *
regex_ops(struct tkvm_vm *vm, const char *call)
{
	if (vm->cfg.regex == NULL)
		vm_fail(vm, TKVM_STOP_ERROR, "%s: no regular expressions here", call);
	return vm->cfg.regex;
}

static void
slot_clear(struct tkvm_vm *vm, struct regex_slot *s)
{
	if (s->owned) {
		vm->cfg.regex->free(s->re);
		free(s->pattern);
	}
	memset(s, 0, sizeof *s);
}

void
regex_fini(struct tkvm_vm *vm)
{
	for (unsigned i = 0; i < vm->nregex; i++)
		slot_clear(vm, &vm->regex[i]);
	vm->nregex = 0;
}

void
regex_reset(struct tkvm_vm *vm)
{
	const struct tkvm_vm *main = vm->master;

	regex_fini(vm);
	if (main == NULL)
		return;
	for (unsigned i = 0; i < main->nregex; i++) {
		vm->regex[i] = main->regex[i];
		vm->regex[i].owned = false;
	}
	vm->nregex = main->nregex;
}

void *
regex_get(struct tkvm_vm *vm, uint64_t handle, const char *call)
{
	const uint32_t h = (uint32_t)handle;	/* an int argument */

	if (h >= vm->nregex || vm->regex[h].re == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: bad regex handle %d", call, (int)h);
		return NULL;
	}
	return vm->regex[h].re;
}

/* A slot for a new handle: the next unused one, then freed ones. */
static int
slot_new(struct tkvm_vm *vm)
{
	if (vm->nregex < TKVM_MAX_REGEX)
		return (int)vm->nregex++;
	for (unsigned i = 0; i < TKVM_MAX_REGEX; i++)
		if (vm->regex[i].re == NULL)
			return (int)i;
	return -1;
}

/* sys_regex_compile(pattern, len) -> handle; the same pattern again gives
 * the same handle. */
int64_t
api_regex_compile(struct tkvm_vm *vm, struct kvm_regs *r)
{
	static const char call[] = "sys_regex_compile";
	const struct tkvm_regex_ops *ops = regex_ops(vm, call);
	const uint64_t len = (uint16_t)r->rsi;
	const char *src = guest_bytes(vm, r->rdi, len);
	char *pattern, err[96] = "";
	int h;

	if (ops == NULL)
		return -ENOSYS;
	if (src == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: bad pattern pointer or length", call);
		return -EFAULT;
	}
	/* Up to a NUL, as published (it compiles the C string). */
	pattern = strndup(src, len);
	if (pattern == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: out of memory", call);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < vm->nregex; i++)
		if (vm->regex[i].re != NULL && !strcmp(vm->regex[i].pattern, pattern)) {
			free(pattern);
			return i;
		}
	h = slot_new(vm);
	if (h < 0) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: more than %d regex handles", call,
		    TKVM_MAX_REGEX);
		free(pattern);
		return -ENOSPC;
	}
	vm->regex[h].re = ops->compile(pattern, err, sizeof err);
	if (vm->regex[h].re == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: the pattern '%.40s' did not "
		    "compile: %s", call, pattern, err);
		free(pattern);
		return -EINVAL;
	}
	vm->regex[h].pattern = pattern;
	vm->regex[h].owned = true;
	return h;
}

/* sys_regex_free(handle): a borrowed handle only leaves this VM's table. */
int64_t
api_regex_free(struct tkvm_vm *vm, struct kvm_regs *r)
{
	const uint32_t h = (uint32_t)r->rdi;

	if (h >= vm->nregex) {
		vm_fail(vm, TKVM_STOP_ERROR, "sys_regex_free: bad regex handle %d",
		    (int)h);
		return -EINVAL;
	}
	slot_clear(vm, &vm->regex[h]);
	return 0;
}

/* sys_regex_match(handle, subject, len) -> > 0 on a match, else < 0. */
int64_t
api_regex_match(struct tkvm_vm *vm, struct kvm_regs *r)
{
	static const char call[] = "sys_regex_match";
	const struct tkvm_regex_ops *ops = regex_ops(vm, call);
	void *re = ops ? regex_get(vm, r->rdi, call) : NULL;
	uint64_t len = (uint32_t)r->rdx;
	const char *subject;

	if (re == NULL)
		return -EINVAL;
	if ((subject = guest_bytes(vm, r->rsi, len)) == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: bad subject pointer or length", call);
		return -EFAULT;
	}
	if (len == 0) {
		/* Length 0 is a C string to Varnish's VRE_match(), which the
		 * published host calls; it would read on past the program's
		 * memory, so the NUL must be found inside it. */
		const char *nul = memchr(subject, '\0',
		    vm->mem_size + vm->shm_size - r->rsi);
		if (nul == NULL) {
			vm_fail(vm, TKVM_STOP_ERROR, "%s: the subject (length 0: "
			    "up to its NUL) runs out of memory", call);
			return -EFAULT;
		}
		len = (uint64_t)(nul - subject);
	}
	return ops->match(re, subject, len);
}

/* A guest C string, malloc'd: its first MAX_SUBST_TEXT bytes when it is
 * longer (as published); NULL and the request failed when it runs out of
 * the program's memory first (where the published host reads on past the
 * guest page). */
static char *
guest_text(struct tkvm_vm *vm, uint64_t addr, const char *what)
{
	const char *src = gmem_at(vm, addr, 1);
	const uint64_t end = vm->mem_size + vm->shm_size;
	uint64_t avail = src != NULL ? end - addr : 0;
	const char *nul;
	char *s;

	if (avail > MAX_SUBST_TEXT)
		avail = MAX_SUBST_TEXT;
	nul = src != NULL ? memchr(src, '\0', avail) : NULL;
	if (src == NULL || (nul == NULL && avail < MAX_SUBST_TEXT)) {
		vm_fail(vm, TKVM_STOP_ERROR, "sys_regex_subst: %s is not a "
		    "readable string", what);
		return NULL;
	}
	if (nul != NULL)
		avail = (uint64_t)(nul - src);
	if ((s = malloc(avail + 1)) == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "sys_regex_subst: out of memory");
		return NULL;
	}
	memcpy(s, src, avail);	/* shared memory: copied once, then used */
	s[avail] = '\0';
	return s;
}

/* sys_regex_subst(handle, buf, subst, dst, dstlen, flags): writes the
 * result and its NUL, cut to dstlen, and returns the bytes written;
 * -1 when the substitution fails. */
int64_t
api_regex_subst(struct tkvm_vm *vm, struct kvm_regs *r)
{
	static const char call[] = "sys_regex_subst";
	const struct tkvm_regex_ops *ops = regex_ops(vm, call);
	void *re = ops ? regex_get(vm, r->rdi, call) : NULL;
	char *buf = NULL, *subst = NULL, *out = NULL, *dst;
	int64_t rc = -EINVAL;
	size_t n;

	if (re == NULL)
		return rc;
	buf = guest_text(vm, r->rsi, "the subject");
	subst = buf ? guest_text(vm, r->rdx, "the substitution") : NULL;
	if (subst == NULL)
		goto out;
	out = ops->subst(re, buf, subst, ((uint32_t)r->r9 & 1) != 0);
	if (out == NULL) {
		rc = -1;
		goto out;
	}
	n = strlen(out) + 1;
	if (n > (uint32_t)r->r8)	/* published: 32 bits */
		n = (uint32_t)r->r8;
	dst = gmem_wr(vm, r->rcx, n);
	if (dst == NULL && n != 0) {
		vm_fail(vm, TKVM_STOP_ERROR, "%s: bad destination buffer", call);
		rc = -EFAULT;
		goto out;
	}
	if (n != 0)
		memcpy(dst, out, n);
	rc = (int64_t)n;
out:
	free(buf);
	free(subst);
	free(out);
	return rc;
}
