/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Programs: boot the main VM to wait_for_requests(), freeze it, and fork
 * the request VMs that share its memory copy-on-write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "program.h"
#include "debug/debug.h"

#define DEFAULT_BOOT_TIME	10.0
#define DEFAULT_REQUEST_TIME	8.0
#define DEFAULT_STORAGE_TIME	10.0	/* as published */
#define MAX_CONCURRENCY		256

static void
apply_defaults(struct tkvm_program_config *c)
{
	if (c->max_boot_time <= 0)
		c->max_boot_time = DEFAULT_BOOT_TIME;
	if (c->max_request_time <= 0)
		c->max_request_time = DEFAULT_REQUEST_TIME;
	if (c->concurrency == 0)
		c->concurrency = 1;
	if (c->max_storage_time <= 0)
		c->max_storage_time = DEFAULT_STORAGE_TIME;
}

/* Why initialization did not reach wait_for_requests(). */
static void
explain_boot_failure(const struct tkvm_program *p, enum vm_halt h,
    const struct tkvm_result *res, char *err, size_t errlen)
{
	if (h == HALT_EXIT)
		snprintf(err, errlen, "program exited with status %d during "
		    "initialization, before wait_for_requests()", res->status);
	else if (res->stop == TKVM_STOP_TIMEOUT)
		snprintf(err, errlen, "program did not call wait_for_requests() "
		    "within max_boot_time (%.3g s)", p->cfg.max_boot_time);
	else if (h == HALT_RETURNED || h == HALT_RESPONDED)
		snprintf(err, errlen, "program used the request API during "
		    "initialization");
	else
		snprintf(err, errlen, "initialization failed: %s", res->reason);
}

/* Takes the registers at a wait_for_requests exit as the state requests
 * start from.  KVM completes the `out` only on the next KVM_RUN, so the
 * resume point is stepped past it here. */
void
program_capture_regs(struct tkvm_program *p)
{
	vm_capture_resume(p->main, &p->frozen_regs);
	p->request_stack_top = (p->frozen_regs.rsp - 256) & ~15ULL;
}

static int
freeze(struct tkvm_program *p, char *err, size_t errlen)
{
	program_capture_regs(p);
	if (!p->paused_mode && p->callbacks[CB_GET] == 0 &&
	    p->callbacks[CB_POST] == 0 && p->callbacks[CB_REQUEST] == 0) {
		snprintf(err, errlen, "program called wait_for_requests() without "
		    "registering a GET, POST or request callback");
		return -1;
	}
	p->frozen = true;
	return 0;
}

static int
boot(struct tkvm_program *p, char *err, size_t errlen)
{
	struct tkvm_result res;
	enum vm_halt h = vm_run(p->main, p->cfg.max_boot_time, &res);

	/* Request VMs are forked without the debugger. */
	debug_fini(p->main);
	if (h != HALT_WAITING) {
		explain_boot_failure(p, h, &res, err, errlen);
		return -1;
	}
	return freeze(p, err, errlen);
}

struct tkvm_vm *
program_fork_vm(struct tkvm_program *p, struct tkvm_vm *main, uint64_t entry,
    unsigned index, char *err, size_t errlen)
{
	struct tkvm_vm *vm = calloc(1, sizeof *vm);

	if (vm == NULL)
		return snprintf(err, errlen, "out of memory"), NULL;
	vm->magic = TKVM_VM_MAGIC;
	vm->vm_fd = vm->vcpu_fd = vm->memfd = vm->shm_fd = vm->exe_fd = -1;
	vm->kvm_fd = fcntl(main->kvm_fd, F_DUPFD_CLOEXEC, 0);
	vm->cfg = main->cfg;
	vm->program = p;
	vm->master = main;
	vm->index = index;
	vm->ephemeral = !p->cfg.persistent;
	vm->syscall_ring = main->syscall_ring;
	vm->entry = entry;
	vm->fs_base = main->fs_base;
	vm->mem_size = main->mem_size;
	vm->user_floor = main->user_floor;
	vm->mem_limit = main->mem_limit;
	vm->shm_size = main->shm_size;
	if (getrandom(&vm->prng_state, sizeof vm->prng_state, 0) != 8)
		vm->prng_state = (uint64_t)(uintptr_t)vm;
	fds_init(vm);
	vm->program_name = strdup(main->program_name);
	vm->state_file = main->state_file ? strdup(main->state_file) : NULL;
	if (vm_map_memory(vm, main->memfd, main->shm_fd, true) != 0) {
		snprintf(err, errlen, "cannot map request VM memory: %s",
		    strerror(errno));
		goto fail;
	}
	reset_vcpu_info(vm);
	vm->mm.maps = calloc(TKVM_MAX_MAPPINGS, sizeof *vm->mm.maps);
	if (vm->kvm_fd < 0 || vm->program_name == NULL || vm->mm.maps == NULL ||
	    (main->state_file != NULL && vm->state_file == NULL) ||
	    paths_copy(vm, main) != 0 || reset_init(vm, err, errlen) ||
	    reset_os_state(vm) != 0 || vm_create_machine(vm, err, errlen) ||
	    vm_create_vcpu(vm, err, errlen)) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot create request VM: %s",
			    strerror(errno));
		goto fail;
	}
	return vm;
fail:
	tkvm_vm_destroy(vm);
	return NULL;
}

int
program_replace_vm(struct tkvm_vm *vm, char *why, size_t whylen)
{
	struct tkvm_vm *fresh, old;
	char err[160] = "";

	fresh = program_fork_vm(vm->program, vm->program->main,
	    vm->program->frozen_regs.rip, vm->index, err, sizeof err);
	if (fresh == NULL) {
		snprintf(why, whylen, "%s; the request VM could not be "
		    "recreated: %s", vm->broken, err);
		return -1;
	}
	snprintf(why, whylen, "%s; the request VM was replaced", vm->broken);
	TKVM_CHECK_OBJ(vm, TKVM_VM_MAGIC);
	TKVM_AN(vm->program);
	fresh->stats = vm->stats;
	fresh->stats.replacements++;
	fresh->counters = vm->counters;
	/* Swap contents so the embedder's handle stays valid, then destroy
	 * what was the broken VM. */
	old = *vm;
	*vm = *fresh;
	*fresh = old;
	tkvm_vm_destroy(fresh);
	return 0;
}

static int
make_reqvms(struct tkvm_program *p, char *err, size_t errlen)
{
	p->reqvms = calloc(p->cfg.concurrency, sizeof *p->reqvms);
	if (p->reqvms == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	for (unsigned i = 0; i < p->cfg.concurrency; i++) {
		err[0] = '\0';
		p->reqvms[i] = program_fork_vm(p, p->main, p->frozen_regs.rip, i,
		    err, errlen);
		if (p->reqvms[i] == NULL)
			return -1;
		p->nreqvms++;
	}
	return 0;
}

/* The config's argv, environment, paths and cwd belong to the embedder,
 * who may free them once the program is loaded: nothing may use them
 * later (request VMs made afterwards copy the main VM's state). */
static void
forget_embedder_strings(struct tkvm_program *p)
{
	struct tkvm_config *c[] = { &p->cfg.vm, &p->main->cfg };

	p->cfg.storage_image = NULL;
	p->cfg.storage_image_len = 0;
	for (unsigned i = 0; i < 2; i++) {
		c[i]->argv = NULL;
		c[i]->envp = NULL;
		c[i]->allowed_paths = NULL;
		c[i]->cwd = NULL;
	}
	for (unsigned i = 0; i < p->nreqvms; i++) {
		p->reqvms[i]->cfg.argv = p->reqvms[i]->cfg.envp = NULL;
		p->reqvms[i]->cfg.allowed_paths = NULL;
		p->reqvms[i]->cfg.cwd = NULL;
	}
}

struct tkvm_program *
tkvm_program_load(const struct tkvm_program_config *cfg, const void *elf,
    size_t elf_len, char *err, size_t errlen)
{
	struct tkvm_program *p = calloc(1, sizeof *p);
	struct tkvm_config vmcfg = cfg->vm;

	if (p == NULL)
		return snprintf(err, errlen, "out of memory"), NULL;
	p->magic = TKVM_PROGRAM_MAGIC;
	p->cfg = *cfg;
	apply_defaults(&p->cfg);
	if (p->cfg.concurrency > MAX_CONCURRENCY) {
		snprintf(err, errlen, "concurrency above %d", MAX_CONCURRENCY);
		goto fail;
	}
	vmcfg.timeout_s = 0;
	p->main = tkvm_vm_create(&vmcfg, elf, elf_len, err, errlen);
	if (p->main == NULL)
		goto fail;
	p->main->program = p;
	if (cfg->debug != NULL && tkvm_vm_debug(p->main, cfg->debug, err, errlen))
		goto fail;
	p->max_request_pages = p->cfg.max_request_memory_mib ?
	    (p->cfg.max_request_memory_mib << 20) / PAGE_SIZE_4K :
	    p->main->mem_limit / PAGE_SIZE_4K;
	p->keep_pages = (p->cfg.limit_workmem_after_req_mib << 20) / PAGE_SIZE_4K;
	/* Storage first: main() and warmup requests may call it. */
	if ((p->cfg.storage && storage_create(p, cfg->storage_image ?
	    cfg->storage_image : elf, cfg->storage_image ?
	    cfg->storage_image_len : elf_len, err, errlen)) ||
	    boot(p, err, errlen) || warmup_run(p, err, errlen) ||
	    mm_check_resident(p->main, "the main VM", err, errlen) ||
	    (mm_map_data(p->main), make_reqvms(p, err, errlen)))
		goto fail;
	forget_embedder_strings(p);
	return p;
fail:
	tkvm_program_destroy(p);
	return NULL;
}

void
tkvm_program_destroy(struct tkvm_program *p)
{
	if (p == NULL)
		return;
	TKVM_CHECK_OBJ(p, TKVM_PROGRAM_MAGIC);
	storage_destroy(p);
	for (unsigned i = 0; i < p->nreqvms; i++)
		tkvm_vm_destroy(p->reqvms[i]);
	free(p->reqvms);
	tkvm_vm_destroy(p->main);
	free(p);
}

unsigned
tkvm_program_concurrency(const struct tkvm_program *p)
{
	TKVM_CHECK_OBJ(p, TKVM_PROGRAM_MAGIC);
	return p->nreqvms;
}

struct tkvm_reqvm *
tkvm_program_reqvm(struct tkvm_program *p, unsigned i)
{
	TKVM_CHECK_OBJ(p, TKVM_PROGRAM_MAGIC);
	return i < p->nreqvms ? (struct tkvm_reqvm *)p->reqvms[i] : NULL;
}
