/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Engine benchmark.  Every figure is a ratio of two measurements taken in
 * this run, interleaved, medians over several rounds (timing here is noisy):
 *   - a CPU-bound loop in the guest vs the same code natively;
 *   - a guest system call (getpid) vs a bare KVM exit round trip of a
 *     minimal VM built here with raw KVM ioctls;
 *   - VM creation + load + run + teardown of a hello program vs a native
 *     posix_spawn + wait of the same static binary.
 * usage: engine_bench [GUEST_DIR]   (bench/run.sh builds the guests)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tinykvm/engine.h"
#include "bench_util.h"
#include "guests/cpu_kernel.h"

#define ROUNDS		5
#define CPU_ITERATIONS	200000000ULL	/* about 0.3 s here */
#define EXITS		20000		/* per round, syscalls and bare exits */
#define SPAWNS		50

extern char **environ;

/* Runs a guest that prints a number (and maybe a second, into *second)
 * and exits; returns the number.  *run_ns (if not NULL) gets the host's
 * time for tkvm_vm_run alone. */
static double
guest_figure(const void *img, size_t len, const char *name, const char *arg,
    double *run_ns, uint64_t *second)
{
	const char *argv[] = { name, arg, NULL };
	struct capture out = { .len = 0 };
	struct tkvm_config cfg = { .argv = argv, .output = capture_output,
	    .opaque = &out };
	struct tkvm_result res;
	struct tkvm_vm *vm;
	char err[256];
	double t0;

	vm = tkvm_vm_create(&cfg, img, len, err, sizeof err);
	if (vm == NULL)
		die(name, err);
	t0 = now_ns();
	tkvm_vm_run(vm, &res);
	if (run_ns != NULL)
		*run_ns = now_ns() - t0;
	if (res.stop != TKVM_STOP_EXIT || res.status != 0)
		die(name, res.stop == TKVM_STOP_EXIT ? "non-zero exit" : res.reason);
	tkvm_vm_destroy(vm);
	char *end;
	double v = strtod(out.text, &end);
	if (end == out.text)
		die(name, "printed no figure");
	if (second != NULL)
		*second = strtoull(end, NULL, 10);
	return v;
}

/* 1. The same kernel (guests/cpu_kernel.h) natively and in the guest; the
 * guest times itself, so VM creation is not counted. */
static void
cpu_ratio(const char *dir)
{
	double guest[ROUNDS], native[ROUNDS], host_run[ROUNDS];
	volatile uint64_t iterations = CPU_ITERATIONS;
	uint64_t native_result = 0, guest_result = 0;
	char arg[32];
	size_t len;
	void *img = load_guest(dir, "cpu_loop", &len);

	snprintf(arg, sizeof arg, "%llu", (unsigned long long)CPU_ITERATIONS);
	for (int i = 0; i < ROUNDS; i++) {
		double t0 = now_ns();
		native_result = cpu_kernel(iterations);	/* n unknown at compile time */
		native[i] = now_ns() - t0;
		guest[i] = guest_figure(img, len, "cpu_loop", arg, &host_run[i],
		    &guest_result);
		if (guest_result != native_result)
			die("cpu_loop", "result differs from the native one");
	}
	free(img);
	double g = median(guest, ROUNDS), n = median(native, ROUNDS);
	printf("guest_cpu_vs_native: ratio %.3f (guest %.1f ms, native %.1f ms; "
	    "speed = native/guest, target >= 0.95; host-timed guest run %.1f ms)\n",
	    n / g, g / 1e6, n / 1e6, median(host_run, ROUNDS) / 1e6);
}

/*
 * A minimal raw KVM VM for the bare exit baseline: 2 MiB of memory, one
 * vCPU in 64-bit mode at CPL 3 (as engine guests run) looping on
 * `out %al,$0x10; jmp .-2`, port 0x10 allowed by the TSS I/O bitmap.
 * Each KVM_RUN is then exactly one exit round trip with no work around it.
 * (Real mode would be cheaper here: PVM emulates it without leaving the
 * kernel's emulator, so it is not the same exit path as a CPL 3 guest.)
 */
struct raw_vm {
	int kvm, vm, vcpu;
	uint8_t *mem;
	struct kvm_run *run;
	size_t run_size;
};

#define RAW_MEM		(2u << 20)
#define RAW_GDT		0x1000
#define RAW_PML4	0x2000
#define RAW_PDPT	0x3000
#define RAW_PD		0x4000
#define RAW_TSS		0x5000
#define RAW_CODE	0x6000
#define RAW_PORT	0x10
#define RAW_TSS_LIMIT	(104 + 32)	/* I/O bitmap for ports 0-255 */

static void
raw_segment(struct kvm_segment *s, uint16_t sel, int code)
{
	memset(s, 0, sizeof *s);
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = code ? 11 : 3;
	s->present = 1;
	s->dpl = 3;
	s->s = 1;
	s->l = code;
	s->db = !code;
	s->g = 1;
}

/* Page tables, GDT, TSS and the loop, all in guest memory. */
static void
raw_build_memory(uint8_t *mem)
{
	uint64_t *gdt = (uint64_t *)(void *)(mem + RAW_GDT);
	uint64_t *pml4 = (uint64_t *)(void *)(mem + RAW_PML4);
	uint64_t *pdpt = (uint64_t *)(void *)(mem + RAW_PDPT);
	uint64_t *pd = (uint64_t *)(void *)(mem + RAW_PD);
	uint8_t *tss = mem + RAW_TSS;
	uint16_t iomap = 104;
	static const uint8_t loop[] = { 0xe6, RAW_PORT, 0xeb, 0xfc };

	/* Identity map of the first 2 MiB, one user-accessible large page. */
	pml4[0] = RAW_PDPT | 0x7;
	pdpt[0] = RAW_PD | 0x7;
	pd[0] = 0x87;
	gdt[1] = 0x00af9b000000ffffULL;		/* 0x08 kernel code */
	gdt[2] = 0x00cf93000000ffffULL;		/* 0x10 kernel data */
	gdt[3] = 0x00cff3000000ffffULL;		/* 0x18 user data */
	gdt[4] = 0x00affb000000ffffULL;		/* 0x20 user code, 64-bit */
	gdt[5] = (RAW_TSS_LIMIT & 0xffff) | ((uint64_t)RAW_TSS << 16) |
	    (0x89ULL << 40);			/* 0x28 available 64-bit TSS */
	gdt[6] = 0;
	memcpy(tss + 102, &iomap, 2);
	memset(tss + 104, 0xff, 32 + 1);	/* deny all, then allow one */
	tss[104 + RAW_PORT / 8] &= (uint8_t)~(1u << (RAW_PORT % 8));
	memcpy(mem + RAW_CODE, loop, sizeof loop);
}

static void
raw_vm_create(struct raw_vm *r)
{
	struct kvm_userspace_memory_region region = { .slot = 0,
	    .memory_size = RAW_MEM };
	struct kvm_sregs sr;
	struct kvm_regs regs = { .rip = RAW_CODE, .rsp = RAW_MEM - 4096,
	    .rflags = 0x2 };
	int size;

	r->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (r->kvm < 0)
		die("/dev/kvm", strerror(errno));
	r->vm = ioctl(r->kvm, KVM_CREATE_VM, 0);
	r->mem = mmap(NULL, RAW_MEM, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->vm < 0 || r->mem == MAP_FAILED)
		die("raw VM", strerror(errno));
	raw_build_memory(r->mem);
	region.userspace_addr = (uint64_t)(uintptr_t)r->mem;
	if (ioctl(r->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("raw VM memory", strerror(errno));
	r->vcpu = ioctl(r->vm, KVM_CREATE_VCPU, 0);
	size = ioctl(r->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r->vcpu < 0 || size <= 0)
		die("raw VM vCPU", strerror(errno));
	r->run_size = (size_t)size;
	r->run = mmap(NULL, r->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    r->vcpu, 0);
	if (r->run == MAP_FAILED || ioctl(r->vcpu, KVM_GET_SREGS, &sr) < 0)
		die("raw VM vCPU", strerror(errno));
	raw_segment(&sr.cs, 0x20 | 3, 1);
	raw_segment(&sr.ss, 0x18 | 3, 0);
	sr.ds = sr.es = sr.fs = sr.gs = sr.ss;
	memset(&sr.tr, 0, sizeof sr.tr);
	sr.tr.base = RAW_TSS;
	sr.tr.limit = RAW_TSS_LIMIT;
	sr.tr.selector = 0x28;
	sr.tr.type = 11;
	sr.tr.present = 1;
	sr.gdt.base = RAW_GDT;
	sr.gdt.limit = 7 * 8 - 1;
	sr.cr0 = 0x80050033;	/* PG WP NE ET MP PE */
	sr.cr3 = RAW_PML4;
	sr.cr4 = 0x20;		/* PAE */
	sr.efer = 0x500;	/* LMA LME */
	if (ioctl(r->vcpu, KVM_SET_SREGS, &sr) < 0 ||
	    ioctl(r->vcpu, KVM_SET_REGS, &regs) < 0)
		die("raw VM registers", strerror(errno));
}

/* Times n KVM_RUN round trips; returns ns per exit. */
static double
raw_vm_exits(struct raw_vm *r, int n)
{
	double t0 = now_ns();

	for (int i = 0; i < n; i++) {
		if (ioctl(r->vcpu, KVM_RUN, 0) < 0 && errno != EINTR)
			die("raw VM KVM_RUN", strerror(errno));
		if (r->run->exit_reason != KVM_EXIT_IO ||
		    r->run->io.port != RAW_PORT)
			die("raw VM", "unexpected exit");
	}
	return (now_ns() - t0) / n;
}

static void
raw_vm_destroy(struct raw_vm *r)
{
	munmap(r->run, r->run_size);
	munmap(r->mem, RAW_MEM);
	close(r->vcpu);
	close(r->vm);
	close(r->kvm);
}

/* 2. getpid in the guest (guest-timed, per call) vs a raw bare exit; the
 * engine's own bare exit (an unknown guest API call) for reference. */
static void
syscall_ratio(const char *dir)
{
	double sys[ROUNDS], bare[ROUNDS], api[ROUNDS];
	size_t plen, elen;
	void *pimg = load_guest(dir, "getpid_loop", &plen);
	void *eimg = load_guest(dir, "exit_loop", &elen);
	struct raw_vm raw;
	char arg[32];

	snprintf(arg, sizeof arg, "%d", EXITS);
	raw_vm_create(&raw);
	raw_vm_exits(&raw, 100);	/* warm up */
	for (int i = 0; i < ROUNDS; i++) {
		sys[i] = guest_figure(pimg, plen, "getpid_loop", arg, NULL, NULL);
		bare[i] = raw_vm_exits(&raw, EXITS);
		api[i] = guest_figure(eimg, elen, "exit_loop", arg, NULL, NULL);
	}
	raw_vm_destroy(&raw);
	free(pimg);
	free(eimg);
	double s = median(sys, ROUNDS), b = median(bare, ROUNDS);
	double a = median(api, ROUNDS);
	printf("guest_syscall_vs_bare_exit: ratio %.3f (getpid %.2f us, "
	    "raw KVM exit %.2f us; expected 1.0-1.3)\n", s / b, s / 1e3, b / 1e3);
	printf("guest_api_exit_vs_bare_exit: ratio %.3f (engine no-op API call "
	    "%.2f us, raw KVM exit %.2f us)\n", a / b, a / 1e3, b / 1e3);
}

/* 3. A whole hello run (create + load, run to exit, destroy), output
 * discarded, vs posix_spawn + wait of the same binary. */
static void
creation_ratio(const char *dir)
{
	double total[SPAWNS], create[SPAWNS], run[SPAWNS], destroy[SPAWNS];
	double native[SPAWNS];
	const char *gargv[] = { "hello_world", NULL };
	struct tkvm_config cfg = { .argv = gargv, .output = NULL };
	struct tkvm_counters c;
	char path[512], err[256];
	size_t len;
	void *img = load_guest(dir, "hello_world", &len);

	snprintf(path, sizeof path, "%s/hello_world", dir);
	for (int i = 0; i < SPAWNS; i++) {
		char *argv[] = { path, NULL };
		posix_spawn_file_actions_t fa;
		struct tkvm_result res;
		pid_t pid;
		int status = -1;
		double t0 = now_ns(), t1, t2;

		struct tkvm_vm *vm = tkvm_vm_create(&cfg, img, len, err, sizeof err);
		if (vm == NULL)
			die("hello_world", err);
		t1 = now_ns();
		tkvm_vm_run(vm, &res);
		t2 = now_ns();
		if (res.stop != TKVM_STOP_EXIT || res.status != 0)
			die("hello_world", res.reason);
		tkvm_vm_counters(vm, &c);
		tkvm_vm_destroy(vm);
		total[i] = now_ns() - t0;
		create[i] = t1 - t0;
		run[i] = t2 - t1;
		destroy[i] = t0 + total[i] - t2;

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		t0 = now_ns();
		if (posix_spawn(&pid, path, &fa, NULL, argv, environ) != 0 ||
		    waitpid(pid, &status, 0) != pid || status != 0)
			die(path, "posix_spawn failed");
		native[i] = now_ns() - t0;
		posix_spawn_file_actions_destroy(&fa);
	}
	free(img);
	double v = median(total, SPAWNS), n = median(native, SPAWNS);
	printf("vm_hello_vs_posix_spawn: ratio %.2f (vm create+run+destroy "
	    "%.3f ms [medians: create %.3f, run %.3f, destroy %.3f], native "
	    "posix_spawn+wait %.3f ms)\n", v / n, v / 1e6,
	    median(create, SPAWNS) / 1e6, median(run, SPAWNS) / 1e6,
	    median(destroy, SPAWNS) / 1e6, n / 1e6);
	printf("hello_counters: %llu KVM_RUN calls, %llu vCPU/VM ioctls after "
	    "creation, %llu system calls\n", (unsigned long long)c.kvm_run_calls,
	    (unsigned long long)c.kvm_ioctls, (unsigned long long)c.syscalls);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench/guests";

	setvbuf(stdout, NULL, _IOLBF, 0);
	cpu_ratio(dir);
	syscall_ratio(dir);
	creation_ratio(dir);
	return 0;
}
