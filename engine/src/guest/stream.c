/*
 * Streamed responses (docs/GUEST_API.md, begin_streaming_response): the
 * request callback names a stream callback and stops; each pull enters
 * that callback, cb(arg, max, written, total), on a stack below the
 * stopped request callback's frame (which arg may point into), and takes
 * the struct streaming_content it returns in rax:rdx.
 */
#include <stdio.h>
#include <string.h>

#include "program.h"

#define RED_ZONE	128

void
stream_begin(struct tkvm_vm *vm, const struct kvm_regs *r)
{
	memset(&vm->stream, 0, sizeof vm->stream);
	vm->stream.on = true;
	vm->stream.total = r->rcx;
	vm->stream.fn = r->r8;
	vm->stream.arg = r->r9;
	vm->stream.rsp = (r->rsp - RED_ZONE) & ~15ULL;
	/* A paused program cannot resume where it stopped: reset it. */
	if (vm->program->paused_mode)
		vm->ephemeral = true;
}

static int
stream_fail(struct tkvm_vm *vm, char *why, size_t whylen, const char *text)
{
	vm->stream.failed = true;
	vm->ephemeral = true;
	vm->stats.failures++;
	snprintf(why, whylen, "stream: %s", text);
	return -1;
}

int
tkvm_stream_pull(struct tkvm_reqvm *rv, size_t max, const void **data,
    size_t *len, char *why, size_t whylen)
{
	struct tkvm_vm *vm = (struct tkvm_vm *)rv;
	const struct kvm_regs *r = &vm->run->s.regs.regs;
	uint64_t args[CALL_ARGS], got;
	struct tkvm_result res;
	enum vm_halt h;
	char text[160];

	TKVM_CHECK_OBJ(vm, TKVM_VM_MAGIC);
	TKVM_ASSERT(vm->req == NULL);
	*data = NULL;
	*len = 0;
	if (!vm->stream.on || vm->stream.failed || vm->broken[0] != '\0') {
		snprintf(why, whylen, "stream: %s", vm->broken[0] ? vm->broken :
		    vm->stream.on ? "failed earlier" : "no streamed response");
		return -1;
	}
	if (vm->stream.total != 0 && vm->stream.written == vm->stream.total)
		return 0;
	if (max == 0)
		return 1;
	if (vm->stream.total != 0 && max > vm->stream.total - vm->stream.written)
		max = vm->stream.total - vm->stream.written;
	args[0] = vm->stream.arg;
	args[1] = max;
	args[2] = vm->stream.written;
	args[3] = vm->stream.total;
	args[4] = 0;
	args[5] = 0;
	if (enter_function(vm, vm->stream.rsp, vm->stream.fn, args) != 0)
		return stream_fail(vm, why, whylen, "cannot enter the callback");
	h = vm_run(vm, vm->program->cfg.max_request_time, &res);
	if (h != HALT_RETURNED) {
		if (res.stop == TKVM_STOP_TIMEOUT)
			vm->stats.timeouts++;
		snprintf(text, sizeof text, "%s", h == HALT_FAULT ? res.reason :
		    "the callback did not return");
		return stream_fail(vm, why, whylen, text);
	}
	got = r->rdx < max ? r->rdx : max;
	if (got == 0) {
		if (vm->stream.total == 0)
			return 0;
		snprintf(text, sizeof text, "the callback ended the body after "
		    "%llu of %llu bytes", (unsigned long long)vm->stream.written,
		    (unsigned long long)vm->stream.total);
		return stream_fail(vm, why, whylen, text);
	}
	*data = gmem_at(vm, r->rax, got);
	if (*data == NULL)
		return stream_fail(vm, why, whylen,
		    "the callback returned a bad chunk");
	*len = got;
	vm->stream.written += got;
	return 1;
}
