/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to the engine: programs and their request VMs.
 */
#ifndef TKVM_PROGRAM_H
#define TKVM_PROGRAM_H

#include <pthread.h>

#include "abi.h"
#include "vm.h"

#define CALLBACK_SLOTS 16
#define CALL_ARGS	6	/* a guest function's register arguments */
#define CB_GET		1
#define CB_POST		2
#define CB_REQUEST	3
#define CB_STREAM_POST	4
#define CB_ERROR	5
#define CB_LIVE_UPDATE	6	/* on_live_update: serialize */
#define CB_LIVE_RESTORE	7	/* on_live_restore(len) */

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
	struct storage *storage;	/* storage.c; NULL without storage */
};

/* The storage VM of a program (storage.c). */
#define STORAGE_MAX_ALLOW	256
struct storage {
	struct tkvm_vm *base;		/* booted, frozen: the reset source */
	struct tkvm_vm *vm;		/* forked from base; runs the calls */
	bool ready;			/* base initialized: allow-list closed */
	bool own_program;		/* runs a separate storage program */
	uint64_t live_cb[CALLBACK_SLOTS]; /* its live-update callbacks */
	/* A separate storage program linked high: a request VM executing
	 * in [direct_lo, direct_hi) makes a direct call; 0 = none. */
	uint64_t direct_lo, direct_hi;
	struct kvm_regs frozen_regs;	/* base at wait_for_requests */
	uint64_t stack_top;		/* storage functions' fresh stacks */
	uint64_t allow[STORAGE_MAX_ALLOW];
	unsigned nallow;
	pthread_mutex_t lock;		/* one call or task at a time */
	pthread_mutex_t stats_lock;
	struct tkvm_storage_stats stats;
	struct storage_tasks *tasks;	/* storage_task.c; NULL if none yet */
	bool serving;			/* created: tasks may run */
	char out_of_service[160];	/* why vm is gone, or "" */
};

/* What a storage_return means (live_update.c for the last two). */
enum scall_kind {
	SCALL_CALL = 0,		/* storage_callv or a task */
	SCALL_SERIALIZE,	/* on_live_update: the run stops at the result */
	SCALL_RESTORE,		/* on_live_restore: the old state is copied in */
};

/* The call running in the storage VM (storage.c, api.c), or a live
 * update callback in whatever VM runs it. */
struct storage_call {
	struct tkvm_vm *caller;		/* NULL for a task */
	uint64_t dst, dstlen;
	int64_t result;			/* what storage_callv returns */
	bool returned;			/* storage_return was called */
	enum scall_kind kind;
	/* SCALL_SERIALIZE fills data/len; SCALL_RESTORE copies from there. */
	struct tkvm_vm *from;
	uint64_t data, len;
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
/* fetch.c */
api_fn api_fetch, api_request;
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
/* A VM forked copy-on-write from master (the frozen main VM, or the
 * storage base), entering at entry. */
struct tkvm_vm *program_fork_vm(struct tkvm_program *p, struct tkvm_vm *master,
    uint64_t entry, unsigned index, char *err, size_t errlen);

/* storage.c */
int storage_create(struct tkvm_program *p, const void *elf, size_t elf_len,
    char *err, size_t errlen);
void storage_destroy(struct tkvm_program *p);
api_fn api_storage_callv, api_storage_return, api_storage_noreturn;
api_fn api_storage_allow, api_is_storage;
/* Bytes below the storage stack top that data for a call may take: the
 * stack less 64 KiB for the function itself.  s->vm is not NULL. */
uint64_t storage_stack_room(const struct storage *s);
/* fn is on the allow-list, or there is none (as published). */
bool storage_allowed(const struct storage *s, uint64_t fn);
/* Runs fn(args) in the storage VM for budget seconds; the lock is held.
 * named: the limit a time-out names when budget is what is left of a
 * request's (0: budget).  0, or -1 with why (the storage VM was then
 * reset). */
int storage_run(struct tkvm_program *p, uint64_t fn,
    const uint64_t args[CALL_ARGS],
    uint64_t rsp, struct storage_call *call, double budget, double named,
    enum tkvm_stop *stop, char *why, size_t whylen);
/* live_update.c: the on_live_update or on_live_restore function of p: the
 * separate storage program's when it has one, else the main VM's. */
uint64_t live_callback(const struct tkvm_program *p, unsigned slot);
/* live_update.c: storage_return during on_live_update/on_live_restore. */
int64_t live_give(struct tkvm_vm *vm, struct storage_call *c, uint64_t data,
    uint64_t len);
/* storage_task.c */
api_fn api_storage_task, api_stop_storage_task;
void storage_tasks_begin(struct storage *s);
void storage_tasks_stop(struct storage *s);
/* Replaces a broken request VM by a fresh fork, in place (same handle,
 * statistics kept, replacements counted); -1 and why if it cannot. */
int program_replace_vm(struct tkvm_vm *vm, char *why, size_t whylen);

/* request.c */
/* Enters fn(args) through the entry stub on the stack at rsp (16-byte
 * aligned); fn returns into the return stub (HALT_RETURNED).  The six
 * arguments go in rdi, rsi, rdx, rcx, r8 and r9. */
int enter_function(struct tkvm_vm *vm, uint64_t rsp, uint64_t fn,
    const uint64_t args[CALL_ARGS]);
int warmup_run(struct tkvm_program *p, char *err, size_t errlen);

/* stream.c: records a streamed response's callback (registers of the
 * begin_streaming_response call). */
void stream_begin(struct tkvm_vm *vm, const struct kvm_regs *r);

/* reset.c */
int reset_init(struct tkvm_vm *vm, char *err, size_t errlen);
/* Fetches KVM's dirty log: pages dirtied since the last reset.  On
 * failure (-1) vm->broken says why and the VM must be replaced. */
int reset_collect(struct tkvm_vm *vm, uint64_t *pages);
/* Pages the request VM holds privately (tkvm_reqvm_stats). */
uint64_t reset_private_pages(const struct tkvm_vm *vm);
/* Restores memory and guest OS state to the frozen main VM's; -1 and
 * vm->broken set when it could not. */
int reset_restore(struct tkvm_vm *vm);
/* Writes the VM's own info page (%gs: vcpuid 0, request VM index), which
 * it has since its fork and keeps across resets. */
void reset_vcpu_info(struct tkvm_vm *vm);
/* Copies the frozen main VM's guest OS state (mm, fds, signals). */
int reset_os_state(struct tkvm_vm *vm);

#endif
