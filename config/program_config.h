/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Program definitions.  A library is a JSON object mapping names to
 * objects of settings.  An object with a "uri", "filename" or "group"
 * key is a program; any other object is a group of settings.  A program
 * starts from the defaults, takes its group's settings, then its own:
 * a program key overrides the group's.  As published, a program without
 * "group" is in the group "test", which always exists (the defaults,
 * with the settings of a group entry named "test" if there is one).  configure() (library_apply_json)
 * lays more settings on top of one entry, or defines a new entry: a
 * program or a group, told apart by the same keys.
 *
 * Every key is checked (the keys: program_keys.h).  An unknown key is a
 * warning (library_take_warnings) and is ignored, as published; a wrong
 * type or a value out of range is an error naming the entry and the key,
 * for example
 *   program 'hello': 'max_memory' must be a number from 0 to 1048576 (MiB), not a string
 * A change that would leave any entry invalid is refused as a whole and
 * leaves the library as it was.
 *
 * Threads: a library may be read (library_find, library_program) from
 * many threads at once, but must not be read while it is changed.  A
 * definition returned by library_find() stays valid, unchanged, until
 * library_free(), even after later changes (which make new definitions).
 */
#ifndef TKVM_PROGRAM_CONFIG_H
#define TKVM_PROGRAM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tinykvm/engine.h"

struct json_value;
struct program_library;

/* One "allowed_paths" entry: a path string, or an object. */
struct allowed_path_def {
	char *real;		/* host path (absolute) */
	char *virt;		/* guest path; NULL when the same as real */
	bool prefix;		/* everything under it */
	bool writable;
	bool symlink;
};

/* A resolved program: defaults, then its group, then its own settings. */
struct program_def {
	char *name;
	char *group;			/* default "test", as published */
	char *uri, *filename;		/* NULL when not given */
	char *key;			/* live-update password; NULL: none */
	unsigned concurrency;		/* request VMs, 0..255; default 2; 0
					 * fails the program's load */
	unsigned max_threads;		/* guest threads, 1..1024; default 64 */
	bool storage, start;
	double max_boot_time;		/* seconds, > 0; default 20 */
	double max_request_time;	/* seconds, > 0; default 8 */
	double max_storage_time;	/* seconds per storage call; default 10 */
	double max_queue_time;		/* seconds, > 0; default 5 */
	/* MiB: */
	uint64_t max_memory;		/* default 64 */
	uint64_t max_request_memory;	/* default 32 */
	uint64_t limit_workmem_after_req; /* also "req_mem_limit_after_reset" */
	uint64_t shared_memory, address_space;
	uint64_t hugepage_arena_size, request_hugepage_arena_size;
	bool ephemeral;			/* default true */
	bool ephemeral_keep_working_memory, control_ephemeral;
	bool hugepages, split_hugepages;
	char **main_arguments;		/* NULL-terminated, never NULL */
	char **environment;		/* "K=V", NULL-terminated, never NULL */
	struct allowed_path_def *allowed; /* nallowed entries */
	unsigned nallowed;
	char *cwd;			/* current_working_directory, or NULL */
	unsigned warmup_requests;	/* warmup.num_requests */
	char *warmup_url, *warmup_method; /* NULL when not given */
	char **warmup_headers;		/* NULL-terminated, never NULL */
	bool allow_debug, remote_debug_on_exception;
	/* start(debug = true): where gdb connects (PORT, HOST:PORT or a
	 * socket path; NULL: 2159) and how long a debug session may wait
	 * for it (seconds, default 300). */
	char *remote_debug_listen;
	double remote_debug_timeout;
	bool verbose, verbose_syscalls;
	bool print_stdout;		/* "stdout" */
	unsigned smp;			/* 0..16 (more is 16, as published) */
	/* Accepted and type-checked, not used yet: the JSON as given. */
	struct json_value *remapping;	/* array or object, or NULL */
	struct json_value *blackout_area; /* array or object, or NULL */
	bool mmap_backed_files;		/* default true */
	/* The keys it takes (own or from its group) that are accepted but
	 * not acted on (config/program_keys.c), e.g. "server" or
	 * "warmup.headers"; NULL-terminated, never NULL. */
	char **unused;
	/* Warnings about its settings (or its group's): unknown keys and
	 * members, ignored values, each "KIND 'NAME': ...; ignored";
	 * NULL-terminated, never NULL. */
	char **warnings;
};

/* Parses a library; NULL with the reason in err. */
struct program_library *library_parse(const char *text, size_t len,
    char *err, size_t errlen);
/* Adds the entries of another library text; an entry of the same name
 * is replaced as a whole.  0, or -1 with err and the library unchanged. */
int library_merge_text(struct program_library *lib, const char *text,
    size_t len, char *err, size_t errlen);
/*
 * configure(program, json): json is an object of settings, laid over the
 * entry's own (key by key).  A new name becomes a program when json has
 * "uri", "filename" or "group", and a group of settings otherwise; a
 * group's name changes the group, hence its programs.  0, or -1 with err
 * and the library unchanged.
 */
int library_apply_json(struct program_library *lib, const char *program,
    const char *json, size_t len, char *err, size_t errlen);
/* The definition of a program, or NULL (no such name, or a group). */
const struct program_def *library_find(const struct program_library *lib,
    const char *name);
/*
 * Takes the warnings of the changes made so far, each given once in the
 * library's life: one per program and key accepted but not acted on, and
 * one per unknown key or member and ignored value of a program or group:
 *   program 'hello': 'server' is accepted but not supported yet; ignored
 *   group 'g': 'max_time' is not a known setting (did you mean 'max_request_time'?); ignored
 * fn is called for each, in library order; then they are forgotten.
 */
void library_take_warnings(struct program_library *lib,
    void (*fn)(void *opaque, const char *warning), void *opaque);
/* The number of programs, and the i-th in library order (or NULL). */
size_t library_count(const struct program_library *lib);
const struct program_def *library_program(const struct program_library *lib,
    size_t i);
void library_free(struct program_library *lib);

/* The published host's default address space (and max_memory), MiB. */
#define PUBLISHED_ADDRESS_SPACE_MIB	256
/* The least address space here, shared memory included, MiB: room for
 * what the published host's bump allocator hands out past its 256 MiB
 * (docs/DESIGN.md, "Address space and max_memory"); a storage program
 * linked at 1 GiB (the lowest floor elf_user_floor() gives) stays out. */
#define ADDRESS_SPACE_FLOOR_MIB		1024

/* The arrays an engine config points into, owned by the caller. */
struct program_engine_config {
	const char **argv, **envp, **allowed;
	char *extra[4];		/* [3]: the state file's path */
};

/*
 * Fills an engine program config from a definition: vm.memory_mib =
 * max_memory, vm.address_space_mib = the largest of address_space,
 * max_memory, PUBLISHED_ADDRESS_SPACE_MIB and ADDRESS_SPACE_FLOOR_MIB
 * less shared_memory, vm.shared_memory_mib,
 * vm.max_threads, vm.argv = { name, main_arguments...
 * } (main_args, when not NULL, replaces main_arguments), vm.envp =
 * environment then KVM_NAME, KVM_GROUP, KVM_TYPE, KVM_STATE, KVM_DEBUG,
 * vm.allowed_paths = the real paths, vm.cwd, vm.verbose, max_boot_time,
 * max_request_time, storage, max_storage_time, concurrency,
 * max_request_memory_mib,
 * limit_workmem_after_req_mib, persistent = !ephemeral,
 * control_ephemeral and warmup.  cfg points into def and owned: keep
 * both until the engine has taken the config, then call
 * program_engine_config_free(owned).  Fails (-1, err) when the engine
 * cannot honour the definition: a 'virtual' path other than the real one,
 * or a writable path (the sandbox's files are read-only); or out of memory.
 */
int program_def_to_engine(const struct program_def *def,
    const char *const *main_args, struct tkvm_program_config *cfg,
    struct program_engine_config *owned, char *err, size_t errlen);
/* Frees what owned holds; safe on a zeroed or already freed one. */
void program_engine_config_free(struct program_engine_config *owned);

#endif
