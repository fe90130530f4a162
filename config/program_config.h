/*
 * Program definitions: a library maps names to groups of settings or to
 * programs; a program takes its group's settings, then its own, then any
 * configure() overrides.  Every key is checked: an unknown key or a wrong
 * type is an error naming the entry and the key.
 */
#ifndef TKVM_PROGRAM_CONFIG_H
#define TKVM_PROGRAM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tinykvm/engine.h"

struct program_library;

struct allowed_path_def {
	char *real;		/* host path */
	char *virt;		/* guest path, when different (not supported yet) */
	bool prefix, writable, symlink;
};

struct program_def {
	char *name, *group;
	char *uri, *filename, *key;
	unsigned concurrency;
	bool storage, start;
	double max_boot_time, max_request_time, max_queue_time;
	uint64_t max_memory, max_request_memory, limit_workmem_after_req;
	uint64_t shared_memory, address_space;
	uint64_t hugepage_arena_size, request_hugepage_arena_size;
	bool ephemeral, ephemeral_keep_working_memory, control_ephemeral;
	bool hugepages, split_hugepages;
	char **main_arguments;		/* NULL-terminated */
	char **environment;		/* "K=V", NULL-terminated */
	struct allowed_path_def *allowed;
	unsigned nallowed;
	char *cwd;
	unsigned warmup_requests;
	char *warmup_url, *warmup_method;
	char **warmup_headers;
	bool allow_debug, remote_debug_on_exception, verbose, verbose_syscalls;
	bool print_stdout;
	unsigned smp;
};

struct program_library *library_parse(const char *text, size_t len,
    char *err, size_t errlen);
/* Adds the entries of another library text; same names are replaced. */
int library_merge_text(struct program_library *lib, const char *text,
    size_t len, char *err, size_t errlen);
/* Applies a JSON object of settings to program (created if new). */
int library_apply_json(struct program_library *lib, const char *program,
    const char *json, size_t len, char *err, size_t errlen);
/* The resolved definition of a program, or NULL if there is none. */
const struct program_def *library_find(const struct program_library *lib,
    const char *name);
void library_free(struct program_library *lib);

/* Arrays an engine config points into, owned by the caller. */
struct program_engine_config {
	const char **argv, **envp, **allowed;
	char *extra[3];
};
/*
 * Fills an engine program config from a definition.  main_args, when not
 * NULL, replaces the definition's main_arguments.  Free owned afterwards.
 */
int program_def_to_engine(const struct program_def *def,
    const char *const *main_args, struct tkvm_program_config *cfg,
    struct program_engine_config *owned, char *err, size_t errlen);
void program_engine_config_free(struct program_engine_config *owned);

#endif
