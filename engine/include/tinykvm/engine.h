/*
 * The TinyKVM sandbox engine: runs a static x86-64 Linux program inside a
 * KVM virtual machine, at CPL 3, emulating the Linux system calls it makes.
 *
 * This header is the whole interface between the engine and its embedders
 * (the terminal runner, the Varnish module).  It includes no Varnish header
 * and the engine keeps no mutable global state: everything lives in the
 * objects below.
 */
#ifndef TINYKVM_ENGINE_H
#define TINYKVM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tkvm_vm;

/* Where guest output (stdout = 1, stderr = 2) goes. */
typedef void tkvm_output_f(void *opaque, int fd, const char *data, size_t len);

/* Settings for one VM.  Zeroed fields take the documented defaults. */
struct tkvm_config {
	uint64_t memory_mib;		/* guest memory, 2 MiB granules; 0 = 64 */
	double timeout_s;		/* per tkvm_vm_run(); 0 = no limit */
	const char *const *allowed_paths; /* read-only files/prefixes, NULL-terminated */
	const char *const *argv;	/* guest argv, argv[0] included */
	const char *const *envp;	/* guest environment, NULL-terminated */
	tkvm_output_f *output;		/* NULL discards guest output */
	void *opaque;			/* passed to output */
	int verbose;			/* log unhandled syscalls to stderr */
};

/* Why a run stopped. */
enum tkvm_stop {
	TKVM_STOP_EXIT = 0,	/* exit/exit_group; see status */
	TKVM_STOP_TIMEOUT,	/* ran past timeout_s */
	TKVM_STOP_EXCEPTION,	/* a CPU exception in the guest */
	TKVM_STOP_ERROR,	/* the engine could not go on */
};

struct tkvm_result {
	enum tkvm_stop stop;
	int status;		/* exit status when stop == TKVM_STOP_EXIT */
	char reason[160];	/* one line, for anything but a clean exit */
};

/*
 * Loads an ELF image (static or static-PIE, x86-64) into a new VM.
 * Returns NULL and a one-line reason in err when the image or the
 * configuration is refused or KVM is unusable.  The image is copied:
 * the caller may free it afterwards.
 */
struct tkvm_vm *tkvm_vm_create(const struct tkvm_config *cfg,
    const void *elf, size_t elf_len, char *err, size_t errlen);

/* Runs the guest until it exits, faults or times out. */
void tkvm_vm_run(struct tkvm_vm *vm, struct tkvm_result *res);

void tkvm_vm_destroy(struct tkvm_vm *vm);

/* Counters, for benchmarks and statistics. */
struct tkvm_counters {
	uint64_t kvm_run_calls;	/* KVM_RUN ioctls */
	uint64_t kvm_ioctls;	/* all vCPU/VM ioctls after creation */
	uint64_t syscalls;	/* emulated Linux system calls */
};
void tkvm_vm_counters(const struct tkvm_vm *vm, struct tkvm_counters *out);

/* Reads a whole file into memory (for embedders); NULL and err on failure. */
void *tkvm_read_file(const char *path, size_t max, size_t *len,
    char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
