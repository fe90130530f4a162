/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VM lifecycle: creation (KVM objects, guest memory, loading) and
 * teardown.  The run loop is in run.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"
#include "linux/threads.h"
#include "guest/program.h"
#include "timeout.h"
#include "debug/debug.h"

#define MEMORY_DEFAULT_MIB	64
#define MEMORY_MIN_MIB		8

void
vm_verbose(const struct tkvm_vm *vm, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!vm->cfg.verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "[tinykvm] %s\n", line);
}

/* Console output: discarded unless the embedder set an output callback;
 * during a request it goes to the request's own output op when the
 * embedder has one (the Varnish module logs it with that request). */
void
vm_output(struct tkvm_vm *vm, int fd, const char *data, size_t len)
{
	const struct tkvm_http_ops *ops = vm->req ? vm->req->in->http : NULL;

	if (vm->cfg.output == NULL)
		return;
	if (ops != NULL && ops->output != NULL)
		ops->output(vm->req->in->http_ctx, fd, data, len);
	else
		vm->cfg.output(vm->cfg.opaque, fd, data, len);
}

static int
open_kvm(struct tkvm_vm *vm, char *err, size_t errlen)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		tkvm_kvm_open_error(errno, "this process", "start it again "
		    "from a new login session", err, errlen);
		return -1;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm has an unsupported API version");
		return -1;
	}
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) <= 0) {
		snprintf(err, errlen, "KVM lacks KVM_CAP_SYNC_REGS");
		return -1;
	}
	return 0;
}

int
vm_create_machine(struct tkvm_vm *vm, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0,
		/* Request VMs log guest writes for their reset. */
		.flags = vm->master ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		.memory_size = vm->mem_size,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem,
	};

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM failed: %s", strerror(errno));
		return -1;
	}
	(void)ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	if (vm->master != NULL) {
		/* Pages written often stay writable across resets (reset.c). */
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			.args[0] = 1,	/* KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE */
		};
		vm->manual_protect = ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) == 0;
	}
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		goto fail;
	if (vm->shm_size) {
		region.slot = 1;
		region.flags = 0;
		region.guest_phys_addr = vm->mem_size;
		region.memory_size = vm->shm_size;
		region.userspace_addr = (uint64_t)(uintptr_t)(vm->mem + vm->mem_size);
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot map guest memory: %s", strerror(errno));
	return -1;
}

int
vm_create_vcpu(struct tkvm_vm *vm, char *err, size_t errlen)
{
	struct {
		struct kvm_signal_mask hdr;
		uint8_t set[8];
	} mask = { .hdr.len = 8 };
	int size;

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	/* The size is the same for every vCPU of this host: a request VM
	 * takes its main VM's. */
	size = vm->master ? (int)vm->master->run_size :
	    ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_fd < 0 || size <= 0) {
		snprintf(err, errlen, "cannot create vCPU: %s", strerror(errno));
		return -1;
	}
	vm->run_size = (size_t)size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		snprintf(err, errlen, "cannot map vCPU state: %s", strerror(errno));
		return -1;
	}
	/* Every signal may interrupt KVM_RUN, the timeout signal included. */
	if (ioctl(vm->vcpu_fd, KVM_SET_SIGNAL_MASK, &mask) < 0) {
		snprintf(err, errlen, "cannot set vCPU signal mask: %s",
		    strerror(errno));
		return -1;
	}
	return cpu_setup_vcpu(vm, err, errlen);
}

/*
 * Maps guest memory at vm->mem: main memory from memfd (shared in the
 * main VM, copy-on-write in a request VM), then shared memory right
 * above it, always shared.
 */
int
vm_map_memory(struct tkvm_vm *vm, int memfd, int shm_fd, bool cow)
{
	const size_t total = vm->mem_size + vm->shm_size;
	uint8_t *base = mmap(NULL, total, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (base == MAP_FAILED)
		return -1;
	if (mmap(base, vm->mem_size, PROT_READ | PROT_WRITE, MAP_FIXED |
	    MAP_NORESERVE | (cow ? MAP_PRIVATE : MAP_SHARED), memfd, 0) == MAP_FAILED ||
	    (vm->shm_size && mmap(base + vm->mem_size, vm->shm_size,
	    PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED, shm_fd, 0) == MAP_FAILED)) {
		munmap(base, total);
		return -1;
	}
	vm->mem = base;
	return 0;
}

static int
make_memfd(const char *name, uint64_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, (off_t)size) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
alloc_memory(struct tkvm_vm *vm, uint64_t floor, char *err, size_t errlen)
{
	uint64_t mib = vm->cfg.memory_mib ? vm->cfg.memory_mib : MEMORY_DEFAULT_MIB;
	uint64_t space = vm->cfg.address_space_mib > mib ?
	    vm->cfg.address_space_mib : mib;
	const uint64_t floor_mib = floor >> 20;

	if (mib < MEMORY_MIN_MIB || mib > PD_MAX_PAGES * 1024ULL ||
	    vm->cfg.shared_memory_mib > PD_MAX_PAGES * 1024ULL - mib) {
		snprintf(err, errlen, "memory limit must be %d to %d MiB, "
		    "shared memory included", MEMORY_MIN_MIB, PD_MAX_PAGES * 1024);
		return -1;
	}
	if (space > PD_MAX_PAGES * 1024ULL ||
	    vm->cfg.shared_memory_mib > PD_MAX_PAGES * 1024ULL - space) {
		snprintf(err, errlen, "address space must be at most %d MiB, "
		    "shared memory included", PD_MAX_PAGES * 1024);
		return -1;
	}
	/* A program linked at floor has its address space above it. */
	if (floor_mib > PD_MAX_PAGES * 1024ULL - space - vm->cfg.shared_memory_mib) {
		snprintf(err, errlen, "the program is linked at %llu MiB: with "
		    "its address space (%llu MiB) and shared memory it would "
		    "end above %d MiB", (unsigned long long)floor_mib,
		    (unsigned long long)space, PD_MAX_PAGES * 1024);
		return -1;
	}
	space += floor_mib;
	vm->user_floor = floor;
	/* The memfd is sparse: a page costs memory once touched, so a large
	 * address space is cheap (page tables map it with 2 MiB pages). */
	vm->mem_limit = ((mib << 20) + PAGE_SIZE_2M - 1) & ~(PAGE_SIZE_2M - 1);
	vm->mem_size = ((space << 20) + PAGE_SIZE_2M - 1) & ~(PAGE_SIZE_2M - 1);
	vm->shm_size = ((vm->cfg.shared_memory_mib << 20) + PAGE_SIZE_2M - 1) &
	    ~(PAGE_SIZE_2M - 1);
	/* memfds, so request VMs can map main memory copy-on-write and
	 * shared memory shared. */
	vm->memfd = make_memfd("tinykvm-guest", vm->mem_size);
	if (vm->shm_size)
		vm->shm_fd = make_memfd("tinykvm-shared", vm->shm_size);
	if (vm->memfd < 0 || (vm->shm_size && vm->shm_fd < 0) ||
	    vm_map_memory(vm, vm->memfd, vm->shm_fd, false) != 0) {
		snprintf(err, errlen, "cannot create %llu MiB of guest memory: %s",
		    (unsigned long long)mib, strerror(errno));
		return -1;
	}
	return 0;
}

static char *
base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return strdup(slash ? slash + 1 : path ? path : "program");
}

static int
initial_cwd(struct tkvm_vm *vm, char *err, size_t errlen)
{
	int r = vm->cfg.cwd ? paths_chdir(vm, vm->cfg.cwd) : 0;

	if (r != 0)
		snprintf(err, errlen, "working directory '%.100s': %s",
		    vm->cfg.cwd, strerror(-r));
	return r;
}

/* A VM object with its memory; nothing loaded, no KVM objects yet. */
static struct tkvm_vm *
vm_new(const struct tkvm_config *cfg, uint64_t floor, char *err, size_t errlen)
{
	struct tkvm_vm *vm = calloc(1, sizeof *vm);

	if (vm == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vm->magic = TKVM_VM_MAGIC;
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = vm->memfd = vm->shm_fd = -1;
	vm->exe_fd = -1;
	vm->cfg = *cfg;
	fds_init(vm);
	vm->program_name = base_name(cfg->argv ? cfg->argv[0] : NULL);
	vm->state_file = cfg->state_file ? strdup(cfg->state_file) : NULL;
	vm->cfg.state_file = NULL;	/* the embedder's: use the copy */
	if (vm->program_name == NULL ||
	    (cfg->state_file != NULL && vm->state_file == NULL)) {
		snprintf(err, errlen, "out of memory");
		tkvm_vm_destroy(vm);
		return NULL;
	}
	if (alloc_memory(vm, floor, err, errlen) != 0) {
		tkvm_vm_destroy(vm);
		return NULL;
	}
	return vm;
}

/* System tables, the KVM VM and its vCPU (which runs the probe). */
static int
vm_start_kvm(struct tkvm_vm *vm, uint64_t entry, char *err, size_t errlen)
{
	if (cpu_build_tables(vm, err, errlen) || timeout_init(err, errlen) ||
	    open_kvm(vm, err, errlen) || vm_create_machine(vm, err, errlen))
		return -1;
	vm->entry = entry;
	return vm_create_vcpu(vm, err, errlen);
}

struct tkvm_vm *
tkvm_vm_create(const struct tkvm_config *cfg, const void *elf, size_t elf_len,
    char *err, size_t errlen)
{
	struct tkvm_vm *vm = vm_new(cfg, elf_user_floor(elf, elf_len), err, errlen);
	struct elf_image img;

	if (vm == NULL)
		return NULL;
	if (paths_init(vm, err, errlen) || initial_cwd(vm, err, errlen) ||
	    elf_load(vm, elf, elf_len, &img, err, errlen) ||
	    mm_init(vm, img.end, err, errlen) ||
	    interp_load(vm, elf, elf_len, &img, err, errlen) ||
	    stack_build(vm, &img, err, errlen) ||
	    vm_start_kvm(vm, img.interp_len ? img.interp_entry : img.entry,
	    err, errlen)) {
		tkvm_vm_destroy(vm);
		return NULL;
	}
	return vm;
}

struct tkvm_vm *
vm_create_bare(char *err, size_t errlen)
{
	const struct tkvm_config cfg = { .memory_mib = 8 };
	struct tkvm_vm *vm = vm_new(&cfg, 0, err, errlen);

	if (vm != NULL && vm_start_kvm(vm, 0, err, errlen) != 0) {
		tkvm_vm_destroy(vm);
		return NULL;
	}
	return vm;
}

void
tkvm_vm_destroy(struct tkvm_vm *vm)
{
	if (vm == NULL)
		return;
	TKVM_CHECK_OBJ(vm, TKVM_VM_MAGIC);
	vm->magic = 0;
	debug_fini(vm);
	regex_fini(vm);
	threads_fini(vm);
	fds_close_all(vm);
	paths_fini(vm);
	mm_fini(vm);
	if (vm->run != NULL)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->mem != NULL)
		munmap(vm->mem, vm->mem_size + vm->shm_size);
	if (vm->memfd >= 0)
		close(vm->memfd);
	if (vm->shm_fd >= 0)
		close(vm->shm_fd);
	if (vm->exe_fd >= 0)
		close(vm->exe_fd);
	free(vm->stable);
	free(vm->cpuid);
	free(vm->dirty_kvm);
	free(vm->data_map);
	free(vm->dirty_host);
	free(vm->dirty_ever);
	free(vm->dirty_hot);
	free(vm->dirty_sum);
	free(vm->program_name);
	free(vm->state_file);
	free(vm);
}

void
tkvm_vm_counters(const struct tkvm_vm *vm, struct tkvm_counters *out)
{
	TKVM_CHECK_OBJ(vm, TKVM_VM_MAGIC);
	*out = vm->counters;
}
