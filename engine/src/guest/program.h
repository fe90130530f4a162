/*
 * Private to the engine: programs and their request VMs.
 */
#ifndef TKVM_PROGRAM_H
#define TKVM_PROGRAM_H

#include "abi.h"
#include "vm.h"

#define CALLBACK_SLOTS 16
#define CB_GET		1
#define CB_POST		2
#define CB_REQUEST	3
#define CB_ERROR	5

struct tkvm_program {
	unsigned magic;
#define TKVM_PROGRAM_MAGIC 0x70726f67
	struct tkvm_program_config cfg;
	struct tkvm_vm *main;
	struct tkvm_vm **reqvms;
	unsigned nreqvms;
	uint64_t callbacks[CALLBACK_SLOTS];
	bool frozen;			/* initialization is over */
	bool paused_mode;		/* wait_for_requests_paused() */
	uint64_t paused_req;		/* its struct kvm_request pointer */
	struct kvm_regs frozen_regs;	/* at the freeze, rip past the call */
	uint64_t request_stack_top;	/* callback mode: fresh stacks here */
	uint64_t max_request_pages;
	uint64_t keep_pages;		/* limit_workmem_after_req */
};

/* A request in flight on one VM. */
struct request_ctx {
	const struct tkvm_request *in;
	struct tkvm_response *out;
	bool responded;
	bool on_error;			/* running the on_error callback */
};

/* Guest API handlers: the result goes to rax (api.c dispatches). */
typedef int64_t api_fn(struct tkvm_vm *vm, struct kvm_regs *r);
/* api_http.c */
api_fn api_http_append, api_http_set, api_http_find, api_http_method;
api_fn api_regex_copyto;
/* The name before ':' (or a whole bare key) is a non-empty HTTP token;
 * text has no CR, LF or NUL. */
bool valid_name(const char *field, size_t len);
bool clean_text(const char *p, size_t len);
/* regex.c */
api_fn api_regex_compile, api_regex_free, api_regex_match, api_regex_subst;
/* The expression behind a guest handle; NULL (and the request failed,
 * naming call) when the handle is not in use. */
void *regex_get(struct tkvm_vm *vm, uint64_t handle, const char *call);

/* program.c */
void program_capture_regs(struct tkvm_program *p);
/* Replaces a broken request VM by a fresh fork, in place (same handle,
 * statistics kept, replacements counted); -1 and why if it cannot. */
int program_replace_vm(struct tkvm_vm *vm, char *why, size_t whylen);

/* request.c */
int warmup_run(struct tkvm_program *p, char *err, size_t errlen);

/* reset.c */
int reset_init(struct tkvm_vm *vm, char *err, size_t errlen);
/* Fetches KVM's dirty log: pages dirtied since the last reset.  On
 * failure (-1) vm->broken says why and the VM must be replaced. */
int reset_collect(struct tkvm_vm *vm, uint64_t *pages);
/* Restores memory and guest OS state to the frozen main VM's; -1 and
 * vm->broken set when it could not. */
int reset_restore(struct tkvm_vm *vm);
/* Copies the frozen main VM's guest OS state (mm, fds, signals). */
int reset_os_state(struct tkvm_vm *vm);

#endif
