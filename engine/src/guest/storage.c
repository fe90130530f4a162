/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The storage VM (docs/DESIGN.md, "Storage"): a second VM booted from the
 * program with KVM_TYPE=storage, frozen at wait_for_requests() like the
 * main VM, and one VM forked from it that runs every storage call and
 * task and is never reset, except after a storage function failed.
 * Calls are serialized by storage->lock.  The calls themselves are in
 * storage_call.c, the task thread in storage_task.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "program.h"

#define STACK_SPARE	(64 * 1024)	/* left to the storage function */

/* The program's environment with KVM_TYPE=storage instead of request. */
static const char **
storage_envp(const char *const *envp)
{
	size_t n = 0, j = 0;
	const char **out;

	while (envp != NULL && envp[n] != NULL)
		n++;
	out = calloc(n + 2, sizeof *out);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], "KVM_TYPE=", 9) != 0)
			out[j++] = envp[i];
	out[j] = "KVM_TYPE=storage";
	return out;
}

static void
forget_strings(struct tkvm_vm *vm)
{
	vm->cfg.argv = vm->cfg.envp = vm->cfg.allowed_paths = NULL;
	vm->cfg.cwd = NULL;
}

static int
boot_base(struct tkvm_program *p, struct storage *s, char *err, size_t errlen)
{
	struct tkvm_result res;
	enum vm_halt h = vm_run(s->base, p->cfg.max_boot_time, &res);

	if (h == HALT_WAITING) {
		vm_capture_resume(s->base, &s->frozen_regs);
		s->stack_top = (s->frozen_regs.rsp - 256) & ~15ULL;
		s->ready = true;
		return 0;
	}
	if (h == HALT_EXIT)
		snprintf(err, errlen, "storage VM: program exited with status %d "
		    "during initialization", res.status);
	else if (res.stop == TKVM_STOP_TIMEOUT)
		snprintf(err, errlen, "storage VM: program did not call "
		    "wait_for_requests() within max_boot_time (%.3g s)",
		    p->cfg.max_boot_time);
	else if (h == HALT_RETURNED || h == HALT_RESPONDED)
		snprintf(err, errlen, "storage VM: program used the request API "
		    "during initialization");
	else
		snprintf(err, errlen, "storage VM: initialization failed: %s",
		    res.reason);
	return -1;
}

static struct tkvm_vm *
fork_storage(struct tkvm_program *p, char *err, size_t errlen)
{
	struct storage *s = p->storage;
	struct tkvm_vm *vm = program_fork_vm(p, s->base, s->frozen_regs.rip,
	    p->cfg.concurrency, err, errlen);

	if (vm == NULL)
		return NULL;
	vm->is_storage = true;
	vm->ephemeral = false;
	forget_strings(vm);
	return vm;
}

int
storage_create(struct tkvm_program *p, const void *elf, size_t elf_len,
    char *err, size_t errlen)
{
	struct tkvm_config vmcfg = p->cfg.vm;
	struct storage *s = calloc(1, sizeof *s);
	struct tkvm_vm *vm;
	const char **envp;

	if (s == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->stats_lock, NULL);
	p->storage = s;
	envp = storage_envp(p->cfg.vm.envp);
	if (envp == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	vmcfg.envp = envp;
	vmcfg.timeout_s = 0;
	s->own_program = elf == p->cfg.storage_image;
	s->base = tkvm_vm_create(&vmcfg, elf, elf_len, err, errlen);
	free(envp);
	if (s->base == NULL && s->own_program) {
		char why[256];
		snprintf(why, sizeof why, "%s", err);
		snprintf(err, errlen, "storage program: %s", why);
	}
	if (s->base == NULL)
		return -1;
	forget_strings(s->base);
	s->base->program = p;
	s->base->is_storage = true;
	/* Before its main() runs: a storage program the request VMs could
	 * reach is refused with nothing done. */
	if (!s->own_program || s->base->user_floor == 0)
		;	/* the program itself, or linked low: no direct calls */
	else if (p->main->mem_size + p->main->shm_size > s->base->user_floor) {
		snprintf(err, errlen, "the storage program is linked at %llu "
		    "MiB, inside the request program's address space (%llu "
		    "MiB with shared memory): lower address_space or link the "
		    "storage program higher",
		    (unsigned long long)(s->base->user_floor >> 20),
		    (unsigned long long)((p->main->mem_size +
		    p->main->shm_size) >> 20));
		return -1;
	} else {
		s->direct_lo = s->base->user_floor;
		s->direct_hi = s->base->mem_size;
	}
	if (boot_base(p, s, err, errlen) != 0 ||
	    mm_check_resident(s->base, "the storage VM", err, errlen) != 0)
		return -1;
	mm_map_data(s->base);
	err[0] = '\0';
	vm = fork_storage(p, err, errlen);
	if (vm == NULL) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot create the storage VM");
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	s->vm = vm;
	pthread_mutex_unlock(&s->lock);
	storage_tasks_begin(s);
	return 0;
}

void
storage_destroy(struct tkvm_program *p)
{
	struct storage *s = p->storage;

	if (s == NULL)
		return;
	storage_tasks_stop(s);
	tkvm_vm_destroy(s->vm);
	tkvm_vm_destroy(s->base);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->stats_lock);
	free(s);
	p->storage = NULL;
}

/* Back to the state right after initialization; a fresh fork when the
 * reset itself fails.  The lock is held. */
static void
storage_reset(struct tkvm_program *p, char *why, size_t whylen)
{
	struct storage *s = p->storage;
	char err[160] = "";
	size_t used = strlen(why);

	pthread_mutex_lock(&s->stats_lock);
	s->stats.resets++;
	pthread_mutex_unlock(&s->stats_lock);
	if (reset_restore(s->vm) == 0) {
		snprintf(why + used, whylen - used, "; the storage VM was reset");
		return;
	}
	tkvm_vm_destroy(s->vm);
	s->vm = fork_storage(p, err, sizeof err);
	if (s->vm == NULL)
		snprintf(s->out_of_service, sizeof s->out_of_service,
		    "it could not be recreated: %s", err);
	snprintf(why + used, whylen - used, "; the storage VM %s",
	    s->vm ? "was recreated" : "is out of service");
}

int
storage_run(struct tkvm_program *p, uint64_t fn,
    const uint64_t args[CALL_ARGS], uint64_t rsp, struct storage_call *call,
    double budget, double named, enum tkvm_stop *stop, char *why,
    size_t whylen)
{
	struct storage *s = p->storage;
	struct tkvm_vm *sv = s->vm;
	struct tkvm_result res;
	enum vm_halt h;

	*stop = TKVM_STOP_ERROR;
	if (enter_function(sv, rsp, fn, args) != 0) {
		snprintf(why, whylen, "cannot enter the storage VM");
		return -1;
	}
	sv->scall = call;
	sv->limit_named = named;
	h = vm_run(sv, budget, &res);
	sv->limit_named = 0;
	sv->scall = NULL;
	pthread_mutex_lock(&s->stats_lock);
	s->stats.kvm_run_calls = sv->counters.kvm_run_calls;
	pthread_mutex_unlock(&s->stats_lock);
	if (h == HALT_RETURNED)
		return 0;
	if (h == HALT_EXIT)
		snprintf(why, whylen, "the storage program exited with status %d",
		    res.status);
	else if (h == HALT_WAITING)
		snprintf(why, whylen, "the storage function waited for requests");
	else
		snprintf(why, whylen, "%s", res.reason);
	if (h == HALT_FAULT)
		*stop = res.stop;
	storage_reset(p, why, whylen);
	return -1;
}

uint64_t
storage_stack_room(const struct storage *s)
{
	const struct tkvm_vm *sv = s->vm;
	const uint64_t floor = sv->mem_size - vm_stack_size(sv) + STACK_SPARE;

	return s->stack_top > floor ? s->stack_top - floor : 0;
}

int
tkvm_program_storage_stats(struct tkvm_program *p,
    struct tkvm_storage_stats *out)
{
	struct storage *s;

	TKVM_CHECK_OBJ(p, TKVM_PROGRAM_MAGIC);
	s = p->storage;
	if (s == NULL)
		return -1;
	pthread_mutex_lock(&s->stats_lock);
	*out = s->stats;
	pthread_mutex_unlock(&s->stats_lock);
	return 0;
}
