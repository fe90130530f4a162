/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TinyKVM sandbox engine: runs an x86-64 Linux program inside a
 * KVM virtual machine, at CPL 3, emulating the Linux system calls it makes.
 *
 * This header is the whole interface between the engine and its embedders
 * (the terminal runner, the Varnish module).  It includes no Varnish header
 * and the engine keeps no mutable global state: everything lives in the
 * objects below.
 */
#ifndef TINYKVM_ENGINE_H
#define TINYKVM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tkvm_vm;
struct tkvm_regex_ops;

/* Where guest output (stdout = 1, stderr = 2) goes. */
typedef void tkvm_output_f(void *opaque, int fd, const char *data, size_t len);

/* Settings for one VM.  Zeroed fields take the documented defaults. */
struct tkvm_config {
	uint64_t memory_mib;		/* guest memory, 2 MiB granules; 0 = 64 */
	/* Guest address space, 2 MiB granules; 0 or below memory_mib = the
	 * same as memory_mib.  Above it, the guest may map that much, only
	 * touched pages cost memory, and memory_mib bounds what a program's
	 * main VM holds after initialization (docs/DESIGN.md, "Address
	 * space and max_memory"). */
	uint64_t address_space_mib;
	double timeout_s;		/* per tkvm_vm_run(); 0 = no limit */
	const char *const *allowed_paths; /* read-only files/prefixes, NULL-terminated */
	const char *const *argv;	/* guest argv, argv[0] included */
	const char *const *envp;	/* guest environment, NULL-terminated */
	const char *cwd;		/* working directory (allowed); NULL = "/" */
	uint64_t shared_memory_mib;	/* memory shared by a program's VMs */
	/* Guest threads alive at once, the first included (clone beyond
	 * it fails with EAGAIN); 0 = 64, at most 1024. */
	unsigned max_threads;
	tkvm_output_f *output;		/* NULL discards guest output */
	void *opaque;			/* passed to output */
	int verbose;			/* log unhandled syscalls to stderr */
	const struct tkvm_regex_ops *regex; /* sys_regex_*; NULL: they fail */
	/* The host file the guest path "state" opens (KVM_STATE=state), the
	 * program's own; NULL = none.  Written only by the VM that boots
	 * (main() of the main and storage VMs) and the storage VM; request
	 * VMs may read it. */
	const char *state_file;
	/* Testing only: once the host has copied bytes from shared memory to
	 * check and use them, it overwrites them there with '\n', as another
	 * VM could at that moment; what the host uses must not change. */
	bool test_flip_shared;
};

/*
 * Regular expressions for sys_regex_* (docs/GUEST_API.md), from the
 * embedder: the engine has none of its own.  An expression compiled by a
 * program's main VM is used by all its request VMs at once, so match and
 * subst must be safe to call from several threads on one expression.
 */
struct tkvm_regex_ops {
	/* Compiles a NUL-terminated pattern; NULL and a reason in err. */
	void *(*compile)(const char *pattern, char *err, size_t errlen);
	void (*free)(void *re);
	/* > 0 when subject[0..len) matches, negative when not (len 0: ""). */
	int (*match)(void *re, const char *subject, size_t len);
	/* subject with the first (all: every) match replaced by subst, where
	 * \0 .. \9 stand for groups; a copy of subject when nothing matches.
	 * malloc'd and NUL-terminated; NULL on an error. */
	char *(*subst)(void *re, const char *subject, const char *subst,
	    bool all);
};
#define TKVM_MAX_REGEX	64	/* handles per VM, as published */

/* Why a run stopped. */
enum tkvm_stop {
	TKVM_STOP_EXIT = 0,	/* exit/exit_group; see status */
	TKVM_STOP_TIMEOUT,	/* ran past timeout_s */
	TKVM_STOP_EXCEPTION,	/* a CPU exception in the guest */
	TKVM_STOP_ERROR,	/* the engine could not go on */
	TKVM_STOP_MEMORY,	/* a request dirtied more than max_request_memory */
};

struct tkvm_result {
	enum tkvm_stop stop;
	int status;		/* exit status when stop == TKVM_STOP_EXIT */
	char reason[160];	/* one line, for anything but a clean exit */
};

/*
 * Loads an ELF image (x86-64: static, static-PIE or dynamically linked,
 * whose PT_INTERP is read through allowed_paths) into a new VM.
 * Returns NULL and a one-line reason in err when the image or the
 * configuration is refused or KVM is unusable.  The image is copied:
 * the caller may free it afterwards.
 */
struct tkvm_vm *tkvm_vm_create(const struct tkvm_config *cfg,
    const void *elf, size_t elf_len, char *err, size_t errlen);

/* Runs the guest until it exits, faults or times out. */
void tkvm_vm_run(struct tkvm_vm *vm, struct tkvm_result *res);

void tkvm_vm_destroy(struct tkvm_vm *vm);

/*
 * Remote debugging with gdb (docs/DEBUGGING.md).  Once a VM has a debug
 * session, its runs stop where gdb wants (breakpoints, single steps,
 * sys_breakpoint()) and, with on_crash, at a faulting instruction; at a
 * stop the run waits for gdb, which then owns the VM until it continues,
 * detaches or kills it.  With stop_at_entry the program is being
 * debugged: sys_is_debug() returns 1 and sys_breakpoint() stops.  A
 * session that only waits for a crash leaves both as without gdb.
 */
typedef void tkvm_debug_wait_f(void *opaque, const char *target,
    const char *why);
struct tkvm_debug_config {
	const char *listen;		/* "PORT" (loopback), "HOST:PORT", or a
					 * unix socket path (with a '/') */
	bool stop_at_entry;		/* stop before the first instruction */
	bool on_crash;			/* an exception stops for gdb instead of
					 * ending the run at once */
	double wait_s;			/* for gdb to connect and for each of its
					 * packets; 0 = no limit */
	tkvm_debug_wait_f *waiting;	/* called before waiting for gdb, with
					 * what `target remote` takes */
	void *opaque;
};
/* 0 when listening, or -1 with a reason (bad address, bind failed). */
int tkvm_vm_debug(struct tkvm_vm *vm, const struct tkvm_debug_config *cfg,
    char *err, size_t errlen);
/* What `target remote` takes, or NULL without a debug session. */
const char *tkvm_vm_debug_target(const struct tkvm_vm *vm);
/* What sys_is_debug() returns: a session with stop_at_entry. */
bool tkvm_vm_is_debug(const struct tkvm_vm *vm);

/* Counters, for benchmarks and statistics. */
struct tkvm_counters {
	uint64_t kvm_run_calls;	/* KVM_RUN ioctls */
	uint64_t kvm_ioctls;	/* all vCPU/VM ioctls after creation */
	uint64_t syscalls;	/* emulated Linux system calls */
	uint64_t segment_restores; /* entries that had to undo segment changes */
};
void tkvm_vm_counters(const struct tkvm_vm *vm, struct tkvm_counters *out);

/*
 * Programs serving requests (docs/GUEST_API.md).  A program's main VM runs
 * main() until wait_for_requests() or the first wait_for_requests_paused();
 * that state is frozen and `concurrency` request VMs are forked from it,
 * sharing its memory copy-on-write.  Each request runs in one request VM,
 * which is reset to the frozen state afterwards (unless not ephemeral).
 * A request VM is used by one thread at a time; different request VMs of
 * one program may run concurrently.
 */
struct tkvm_program;
struct tkvm_reqvm;

typedef void tkvm_log_f(void *opaque, const char *text, size_t len);

struct tkvm_program_config {
	struct tkvm_config vm;		/* memory_mib = max_memory; argv, envp,
					 * allowed_paths, output, verbose */
	double max_boot_time;		/* seconds for main(); 0 = 10 */
	double max_request_time;	/* seconds per request; 0 = 8 */
	unsigned concurrency;		/* request VMs; 0 = 1 */
	uint64_t max_request_memory_mib; /* pages a request may dirty; 0 = memory */
	uint64_t limit_workmem_after_req_mib; /* kept after reset; 0 = no limit */
	bool persistent;		/* not ephemeral: keep state between requests */
	bool control_ephemeral;		/* the guest may call sys_make_ephemeral */
	unsigned warmup_requests;	/* mock requests to the main VM before forking */
	const char *warmup_url;		/* "/" if NULL */
	const char *warmup_method;	/* "GET" if NULL */
	bool storage;			/* a persistent storage VM (below) */
	double max_storage_time;	/* seconds per storage call; 0 = 10 */
	/* With storage: the storage VM's own program (the published
	 * "filename_storage", or an archive's storage entry); NULL = the
	 * program itself.  Linked at or above 1 GiB, request VMs may call
	 * its allowed functions directly (docs/DESIGN.md, "Direct storage
	 * calls").  Used only during tkvm_program_load(). */
	const void *storage_image;
	size_t storage_image_len;
	/* The main VM's initialization under gdb (tkvm_vm_debug()); the
	 * session ends when main() reaches wait_for_requests(), which gdb
	 * sees as an exit with status 0.  NULL: no debugging. */
	const struct tkvm_debug_config *debug;
	/* A request VM that crashes waits for gdb at the faulting
	 * instruction (listen, wait_s, waiting are used), then the request
	 * fails as it would have.  NULL: no. */
	const struct tkvm_debug_config *debug_on_exception;
	tkvm_log_f *log;		/* sys_log during initialization */
	void *log_opaque;
	/* Testing only: every Nth ioctl on a request VM's reset path fails
	 * as if KVM had refused it (0 = never). */
	unsigned test_fail_reset_ioctl;
};

/* "Key: value", not NUL-terminated. */
struct tkvm_header {
	const char *field;
	size_t len;
};

/* What sys_fetch/sys_request ask the embedder for. */
struct tkvm_fetch {
	const char *url;		/* NUL-terminated */
	bool self;			/* sys_request: into the embedder itself */
	const void *post;		/* POST body, or NULL for a GET */
	size_t post_len;
	const char *fields[12];		/* extra "Key: value" request headers */
	unsigned nfields;
	double timeout;			/* seconds left of the request's time
					 * limit: the fetch must end by then;
					 * 0 = no limit, < 0 = already past */
	char post_ctype[128];		/* Content-Type of a POST, or "" */
	bool follow_location;		/* follow redirects */
	bool no_verify_host;		/* https: skip the host name check */
	bool want_headers;		/* collect the response header fields */
	/* Filled by the embedder: */
	int status;
	void *body;			/* malloc'd; the engine frees it */
	size_t body_len;
	char *headers;			/* malloc'd header block, or NULL */
	size_t headers_len;
	char ctype[128];
	int errcode;			/* errno value for the guest, on -1 */
	char error[160];		/* why, when it returns -1 */
};

/*
 * The embedder's header sets for sys_http_* and sys_regex_copyto: where
 * 0 = the request (bereq or req), 1 = the response (beresp or resp).  The
 * engine checks and maps what the program gives (4 and 5 in a backend)
 * and validates every field before calling these.
 */
struct tkvm_http_ops {
	/* Whether this set exists here; a program asking for one that does
	 * not fails.  NULL when there are no header sets at all: append,
	 * set, find and copyto then return 0 (only log and fetch are used). */
	bool (*has)(void *ctx, int where);
	/* Appends "Key: value": the new field's index (> 0), 0 when full. */
	long (*append)(void *ctx, int where, const char *field, size_t len);
	/* "Key: value" replaces the first field of that name in place or is
	 * appended: its index, 0 when full.  A bare key removes the first
	 * field of that name: the index it had, 0 when there was none. */
	long (*set)(void *ctx, int where, const char *field, size_t len);
	/* The whole first field named key (case-insensitive): its length
	 * and *field, or -1 when there is none. */
	long (*find)(void *ctx, int where, const char *key, size_t key_len,
	    const char **field);
	/* Field i (0 = the first header): its length and *field, or -1
	 * past the last. */
	long (*field)(void *ctx, int where, unsigned i, const char **field);
	/* sys_log during a request. */
	void (*log)(void *ctx, const char *text, size_t len);
	/* sys_fetch and sys_request; NULL when the embedder has none.
	 * Returns 0 with f->status and f->body filled, or -1. */
	int (*fetch)(void *ctx, struct tkvm_fetch *f);
	/* Program output (fd 1 stdout, 2 stderr) during a request, as the
	 * program wrote it (any length, lines split anywhere); only when the
	 * VM has an output callback (tkvm_config.output), which gets it
	 * instead when this is NULL. */
	void (*output)(void *ctx, int fd, const char *data, size_t len);
};

#define TKVM_REQ_WARMUP 0x1

struct tkvm_request {
	const char *method;
	const char *url;
	const char *arg;		/* NULL = "" */
	const char *content_type;	/* NULL = "" */
	const void *body;		/* NULL for none */
	size_t body_len;
	const struct tkvm_header *headers;
	unsigned num_headers;
	uint16_t info_flags;
	const struct tkvm_http_ops *http;	/* NULL: no header sets */
	void *http_ctx;
	bool backend;			/* where 4 and 5 name sets 0 and 1 */
};

#define TKVM_MAX_RESPONSE_HEADERS 64

/* A response; pointers are into the request VM and stay valid until
 * tkvm_request_end(). */
struct tkvm_response {
	int status;
	const char *content_type;
	size_t content_type_len;
	const void *body;
	size_t body_len;
	struct tkvm_header headers[TKVM_MAX_RESPONSE_HEADERS];
	unsigned num_headers;
	bool cache_set;			/* sys_set_cacheable or extra given */
	bool cached;
	double ttl, grace, keep;	/* seconds */
	/* When the request failed: */
	enum tkvm_stop stop;
	char reason[160];
	bool from_on_error;		/* produced by the on_error callback */
	/* begin_streaming_response: no body; tkvm_stream_pull() gives it
	 * chunk by chunk; body_len is the content length (0 = unknown). */
	bool streaming;
};

/* Per request VM counters. */
struct tkvm_reqvm_stats {
	uint64_t requests, resets, failures, timeouts;
	uint64_t pages_dirtied_last, pages_dirtied_total;
	uint64_t private_pages;		/* copies of main VM pages it holds */
	uint64_t replacements;		/* times a failed reset replaced it */
	uint64_t kvm_run_calls, kvm_ioctls;
	uint64_t segment_restores;	/* entries that undid segment changes */
};

struct tkvm_program *tkvm_program_load(const struct tkvm_program_config *cfg,
    const void *elf, size_t elf_len, char *err, size_t errlen);
void tkvm_program_destroy(struct tkvm_program *p);
unsigned tkvm_program_concurrency(const struct tkvm_program *p);
struct tkvm_reqvm *tkvm_program_reqvm(struct tkvm_program *p, unsigned i);

/* Runs one request; 0 with a response, or -1 with resp->stop/reason set
 * (resp may still hold an on_error response: check resp->status). */
int tkvm_request_run(struct tkvm_reqvm *rv, const struct tkvm_request *req,
    struct tkvm_response *resp);
/* Ends the request: the VM is reset for the next one.  Returns 0, or -1
 * with why when the reset failed: the VM was then replaced by a fresh one
 * (counted in its statistics), or, if even that failed, stays out of
 * service and its next request fails until a replacement succeeds. */
int tkvm_request_end(struct tkvm_reqvm *rv, char *why, size_t whylen);
void tkvm_reqvm_stats(const struct tkvm_reqvm *rv, struct tkvm_reqvm_stats *out);
/*
 * The next chunk of a streamed response (resp->streaming), between
 * tkvm_request_run() and tkvm_request_end(): runs the program's stream
 * callback with the request time limit and gives at most max bytes in
 * *data, valid until the next pull or the end.  1 with a chunk, 0 at the
 * end of the body, -1 with why when the callback failed (and afterwards).
 */
int tkvm_stream_pull(struct tkvm_reqvm *rv, size_t max, const void **data,
    size_t *len, char *why, size_t whylen);

/*
 * The storage VM (docs/GUEST_API.md, docs/DESIGN.md): with cfg.storage,
 * a second VM is booted from the same program with KVM_TYPE=storage and
 * kept for the program's life.  Request VMs call functions in it with
 * storage_callv(), one call at a time; tasks run there on an engine
 * thread.  A storage function that crashes or runs out of time fails its
 * caller and the storage VM is reset to its state after initialization.
 */
struct tkvm_storage_stats {
	uint64_t calls;		/* storage_callv calls that ran */
	uint64_t failures;	/* of those, the ones that failed the caller */
	uint64_t resets;	/* storage VM reset to its initialized state */
	uint64_t tasks;		/* task runs */
	uint64_t task_failures;
	uint64_t bytes_in, bytes_out;
	double run_s;		/* time storage calls took, waits excluded */
	double task_s;		/* time task runs took */
	double wait_s;		/* time callers waited for it */
	uint64_t kvm_run_calls;
};
/* 0 and the counters, or -1 when the program has no storage VM. */
int tkvm_program_storage_stats(struct tkvm_program *p,
    struct tkvm_storage_stats *out);

/*
 * Live update with state (docs/DESIGN.md, "Live update"): the old
 * program's on_live_update() serializes its state in its storage VM (a
 * temporary fork of its main VM without storage), the bytes are copied
 * into the new program's storage VM (its main VM without storage, whose
 * request VMs are then forked again) and its on_live_restore(len) takes
 * them.  `to` must be loaded and not serving yet.  When `from` has a
 * storage VM, call this while none of its requests run: what they would
 * store afterwards would not move.  0 with res (moved false and a note
 * when a side has no callback or nothing was handed over), or -1 and
 * why: `to` must then be destroyed; `from` keeps its state either way
 * (a storage VM is not reset after a failed on_live_update).
 */
struct tkvm_live_result {
	bool moved;		/* both callbacks ran */
	uint64_t offered;	/* bytes on_live_update handed over */
	uint64_t bytes;		/* bytes on_live_restore took */
	double serialize_s, restore_s;
	char note[160];		/* why nothing moved, when moved is false */
};
int tkvm_program_live_transfer(struct tkvm_program *from,
    struct tkvm_program *to, struct tkvm_live_result *res, char *err,
    size_t errlen);
/* Whether p registered on_live_update; whether it has a storage VM. */
bool tkvm_program_live_serializer(const struct tkvm_program *p);
bool tkvm_program_has_storage(const struct tkvm_program *p);

/*
 * What the engine finds on this host (a bare VM is created, probed and
 * destroyed): for logs, so every test run says what it ran on.
 */
struct tkvm_host_info {
	char cpu_model[96];	/* CPUID brand string, family, model */
	char kvm_kind[96];	/* hardware or software KVM, and the module */
	int syscall_ring;	/* CPL at which SYSCALL lands in the guest */
	uint64_t xcr0;		/* XSAVE components the guest runs with */
	uint32_t xsave_size;	/* bytes of their save area */
	char components[256];	/* their names */
	double exit_us;		/* one bare VM exit round trip, median */
};
int tkvm_host_info(struct tkvm_host_info *out, char *err, size_t errlen);

/*
 * Why /dev/kvm could not be opened (err: the open's errno) and what fixes
 * it, for this process: its user and groups, the device's owner, group
 * and mode, whether the kernel and the CPU have KVM, the systemd unit it
 * runs in.  who names the process ("varnishd's worker"); restart says how
 * it gets a new group ("restart varnishd ...").  docs/DEPLOY.md lists the
 * messages.
 */
void tkvm_kvm_open_error(int err, const char *who, const char *restart,
    char *buf, size_t len);

/* Reads a whole file into memory (for embedders); NULL and err on failure. */
void *tkvm_read_file(const char *path, size_t max, size_t *len,
    char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
