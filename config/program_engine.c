/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The engine's program settings made from a definition
 * (program_def_to_engine in program_config.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program_settings.h"

static size_t
list_len(const char *const *l)
{
	size_t n = 0;

	while (l != NULL && l[n] != NULL)
		n++;
	return n;
}

/* Refuses what the engine cannot give as asked: allowed paths, and (at
 * the load, as published) no request VM. */
static int
check_for_engine(const struct program_def *d, char *err, size_t errlen)
{
	const struct ctx c = { "program", d->name, err, errlen, NULL };

	if (d->concurrency < 1)
		return pc_error(&c, "'concurrency' must be at least 1");
	for (unsigned i = 0; i < d->nallowed; i++) {
		const struct allowed_path_def *a = &d->allowed[i];
		if (a->virt != NULL)
			return pc_error(&c, "allowed path '%s': a 'virtual' path "
			    "other than the real one is not supported", a->real);
		if (a->writable)
			return pc_error(&c, "allowed path '%s': writable paths "
			    "are not supported (guest files are read-only)", a->real);
	}
	return 0;
}

/* The environment: the program's, then what tells it where it runs. */
static int
build_envp(const struct program_def *d, struct program_engine_config *o)
{
	size_t n = 0, nenv = list_len((const char *const *)d->environment);

	if ((o->envp = calloc(nenv + 6, sizeof *o->envp)) == NULL)
		return -1;
	for (size_t i = 0; i < nenv; i++)
		o->envp[n++] = d->environment[i];
	/* What every program can see of where it runs (docs/GUEST_API.md). */
	if (asprintf(&o->extra[0], "KVM_NAME=%s", d->name) < 0) {
		o->extra[0] = NULL;
		return -1;
	}
	if (asprintf(&o->extra[1], "KVM_GROUP=%s", d->group ? d->group : "") < 0) {
		o->extra[1] = NULL;
		return -1;
	}
	if (asprintf(&o->extra[2], "KVM_DEBUG=%d", d->allow_debug) < 0) {
		o->extra[2] = NULL;
		return -1;
	}
	o->envp[n++] = o->extra[0];
	o->envp[n++] = o->extra[1];
	o->envp[n++] = "KVM_TYPE=request";
	o->envp[n++] = "KVM_STATE=state";
	o->envp[n++] = o->extra[2];
	return 0;
}

/* argv = { name, args... }, envp and the allowed real paths. */
static int
build_arrays(const struct program_def *d, const char *const *args,
    struct program_engine_config *o)
{
	size_t nargs = list_len(args);

	o->argv = calloc(nargs + 2, sizeof *o->argv);
	o->allowed = calloc(d->nallowed + 1, sizeof *o->allowed);
	if (o->argv == NULL || o->allowed == NULL || build_envp(d, o) != 0)
		return -1;
	o->argv[0] = d->name;
	for (size_t i = 0; i < nargs; i++)
		o->argv[i + 1] = args[i];
	for (unsigned i = 0; i < d->nallowed; i++)
		o->allowed[i] = d->allowed[i].real;
	return 0;
}

int
program_def_to_engine(const struct program_def *d, const char *const *main_args,
    struct tkvm_program_config *cfg, struct program_engine_config *owned,
    char *err, size_t errlen)
{
	const char *const *args = main_args != NULL ? main_args :
	    (const char *const *)d->main_arguments;
	uint64_t floor, shm;

	memset(cfg, 0, sizeof *cfg);
	memset(owned, 0, sizeof *owned);
	if (check_for_engine(d, err, errlen) != 0)
		return -1;
	if (build_arrays(d, args, owned) != 0) {
		program_engine_config_free(owned);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cfg->vm.memory_mib = d->max_memory;
	/* As published: the address space is address_space, raised to
	 * max_memory, and at least 256 MiB; mappings are not counted against
	 * max_memory, touched pages are (docs/DESIGN.md).  Where the
	 * published host hands out mappings past the end of its address
	 * space, here it is at least 1 GiB with shared memory. */
	cfg->vm.address_space_mib = d->address_space > d->max_memory ?
	    d->address_space : d->max_memory;
	shm = (d->shared_memory + 1) & ~1ULL;	/* in 2 MiB pages, as mapped */
	floor = shm < ADDRESS_SPACE_FLOOR_MIB - PUBLISHED_ADDRESS_SPACE_MIB ?
	    ADDRESS_SPACE_FLOOR_MIB - shm : PUBLISHED_ADDRESS_SPACE_MIB;
	if (cfg->vm.address_space_mib < floor)
		cfg->vm.address_space_mib = floor;
	cfg->vm.shared_memory_mib = d->shared_memory;
	cfg->vm.max_threads = d->max_threads;
	cfg->vm.argv = owned->argv;
	cfg->vm.envp = owned->envp;
	cfg->vm.allowed_paths = owned->allowed;
	cfg->vm.cwd = d->cwd;
	/* "state" opens filename + ".state", as published. */
	if (d->filename != NULL &&
	    asprintf(&owned->extra[3], "%s.state", d->filename) < 0) {
		owned->extra[3] = NULL;
		program_engine_config_free(owned);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cfg->vm.state_file = owned->extra[3];
	cfg->vm.verbose = d->verbose || d->verbose_syscalls;
	cfg->max_boot_time = d->max_boot_time;
	cfg->max_request_time = d->max_request_time;
	cfg->storage = d->storage;
	cfg->max_storage_time = d->max_storage_time;
	cfg->concurrency = d->concurrency;
	cfg->max_request_memory_mib = d->max_request_memory;
	cfg->limit_workmem_after_req_mib = d->limit_workmem_after_req;
	cfg->persistent = !d->ephemeral;
	cfg->control_ephemeral = d->control_ephemeral;
	cfg->warmup_requests = d->warmup_requests;
	cfg->warmup_url = d->warmup_url;
	cfg->warmup_method = d->warmup_method;
	return 0;
}

void
program_engine_config_free(struct program_engine_config *owned)
{
	free(owned->argv);
	free(owned->envp);
	free(owned->allowed);
	for (int i = 0; i < 4; i++)
		free(owned->extra[i]);
	memset(owned, 0, sizeof *owned);
}
