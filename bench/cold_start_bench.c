/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cold start and memory benchmark.  Counts and times every ioctl the
 * engine makes (this program defines ioctl(), so the engine's calls come
 * here before going to the kernel) and prints, all measured in this run:
 *   - the ioctls of one VM creation by kind, with the time each kind
 *     took, and the share of creation time they make up;
 *   - the first run of a hello VM: its time and the host page faults it
 *     took (PVM's first-touch cost), against a second VM's first run;
 *   - program load with 8 request VMs: time, ioctls per request VM, and
 *     the RSS the load adds;
 *   - RSS per request VM after REQUESTS requests (private pages the
 *     engine holds, and what the process RSS grew by);
 *   - process RSS with 1, 16 and 64 request VMs of a 64 MiB program.
 * usage: cold_start_bench GUEST_DIR [REQUESTS]
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tinykvm/engine.h"
#include "bench_util.h"

#define CREATIONS_MAX	20
#define LOADS_MAX	5
/* "counts" as the third argument: fewer rounds and no memory table, for
 * tests that check counts only (tests/engine/creation_ioctls.sh), where
 * everything may run emulated (the hardware-KVM rig). */
static int creations = CREATIONS_MAX, loads = LOADS_MAX;

static const struct {
	unsigned long code;
	const char *name;
} kinds[] = {
	{ KVM_GET_API_VERSION, "GET_API_VERSION" },
	{ KVM_CHECK_EXTENSION, "CHECK_EXTENSION" },
	{ KVM_CREATE_VM, "CREATE_VM" },
	{ KVM_SET_TSS_ADDR, "SET_TSS_ADDR" },
	{ KVM_ENABLE_CAP, "ENABLE_CAP" },
	{ KVM_SET_USER_MEMORY_REGION, "SET_USER_MEMORY_REGION" },
	{ KVM_CREATE_VCPU, "CREATE_VCPU" },
	{ KVM_GET_VCPU_MMAP_SIZE, "GET_VCPU_MMAP_SIZE" },
	{ KVM_SET_SIGNAL_MASK, "SET_SIGNAL_MASK" },
	{ KVM_GET_SREGS, "GET_SREGS" },
	{ KVM_SET_SREGS, "SET_SREGS" },
	{ KVM_SET_MSRS, "SET_MSRS" },
	{ KVM_GET_SUPPORTED_CPUID, "GET_SUPPORTED_CPUID" },
	{ KVM_SET_CPUID2, "SET_CPUID2" },
	{ KVM_SET_XCRS, "SET_XCRS" },
	{ KVM_SET_FPU, "SET_FPU" },
	{ KVM_RUN, "RUN" },
	{ KVM_GET_DIRTY_LOG, "GET_DIRTY_LOG" },
	{ KVM_CLEAR_DIRTY_LOG, "CLEAR_DIRTY_LOG" },
	{ KVM_SET_REGS, "SET_REGS" },
	{ KVM_GET_REGS, "GET_REGS" },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* Per kind (and one slot for any other request): calls and ns. */
struct tally {
	unsigned long calls[NKINDS + 1];
	double ns[NKINDS + 1];
};
static struct tally tally;

/* While runs.on, each KVM_RUN's duration in order (the first few). */
static struct {
	bool on;
	unsigned n;
	double ns[64];
} runs;

int
ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;
	double t0;
	long r;
	size_t k;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	t0 = now_ns();
	r = syscall(SYS_ioctl, fd, request, arg);
	for (k = 0; k < NKINDS && kinds[k].code != request; k++)
		;
	double ns = now_ns() - t0;
	__atomic_add_fetch(&tally.calls[k], 1, __ATOMIC_RELAXED);
	tally.ns[k] += ns;	/* the engine creates VMs on one thread */
	if (runs.on && request == KVM_RUN && runs.n < 64)
		runs.ns[runs.n++] = ns;
	return (int)r;
}

/* kB of the process's resident memory: RSS, and the proportional set
 * size, anonymous and shmem (the memfd that holds guest memory).  RSS
 * counts a page of the main VM's memfd once per VM that maps it; PSS
 * counts it once in all, so PSS is the memory really used. */
struct rss {
	long total, pss, anon, shmem;
};

static struct rss
rss_now(void)
{
	struct rss r = { 0, 0, 0, 0 };
	char line[256];
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		sscanf(line, "Rss: %ld", &r.total);
		sscanf(line, "Pss: %ld", &r.pss);
		sscanf(line, "Pss_Anon: %ld", &r.anon);
		sscanf(line, "Pss_Shmem: %ld", &r.shmem);
	}
	if (f != NULL)
		fclose(f);
	return r;
}

static long
minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* 1 and 2: creation by ioctl kind, then the first run. */
static void
creation_breakdown(const char *dir)
{
	const char *argv[] = { "hello_world", NULL };
	struct tkvm_config cfg = { .argv = argv };
	double create[CREATIONS_MAX], run[CREATIONS_MAX], faults[CREATIONS_MAX];
	double first_entry[CREATIONS_MAX], later[CREATIONS_MAX], n_later = 0;
	struct tally before, during;
	struct tkvm_result res;
	unsigned long total = 0;
	double ioctl_ns = 0;
	char err[256];
	size_t len, k;
	void *img = load_guest(dir, "hello_world", &len);

	memset(&during, 0, sizeof during);
	for (int i = 0; i < creations; i++) {
		before = tally;
		double t0 = now_ns();
		struct tkvm_vm *vm = tkvm_vm_create(&cfg, img, len, err, sizeof err);
		create[i] = now_ns() - t0;
		if (vm == NULL)
			die("hello_world", err);
		for (k = 0; k <= NKINDS; k++) {
			during.calls[k] += tally.calls[k] - before.calls[k];
			during.ns[k] += tally.ns[k] - before.ns[k];
		}
		long f0 = minor_faults();
		runs.n = 0;
		runs.on = true;
		t0 = now_ns();
		tkvm_vm_run(vm, &res);
		run[i] = now_ns() - t0;
		runs.on = false;
		faults[i] = (double)(minor_faults() - f0);
		/* The first entry runs the startup up to the first system
		 * call; every later KVM_RUN is one system call's exit. */
		first_entry[i] = runs.ns[0];
		later[i] = 0;
		for (unsigned j = 1; j < runs.n; j++)
			later[i] += runs.ns[j];
		later[i] /= runs.n > 1 ? runs.n - 1 : 1;
		n_later = runs.n - 1;
		if (res.stop != TKVM_STOP_EXIT)
			die("hello_world", res.reason);
		tkvm_vm_destroy(vm);
	}
	free(img);
	for (k = 0; k <= NKINDS; k++) {
		total += during.calls[k];
		ioctl_ns += during.ns[k];
	}
	double c = median(create, creations);
	printf("vm_creation_ioctls: %.1f per VM (hello_world, %d creations); "
	    "creation %.3f ms median, ioctls %.3f ms of it on average\n",
	    (double)total / creations, creations, c / 1e6,
	    ioctl_ns / creations / 1e6);
	for (k = 0; k <= NKINDS; k++)
		if (during.calls[k] != 0)
			printf("  ioctl %-22s %5.2f per VM, %7.1f us each\n",
			    k < NKINDS ? kinds[k].name : "other",
			    (double)during.calls[k] / creations,
			    during.ns[k] / during.calls[k] / 1e3);
	printf("vm_first_run: %.3f ms median (hello_world to exit), %.0f host "
	    "minor page faults median\n", median(run, creations) / 1e6,
	    median(faults, creations));
	printf("vm_first_run_split: first KVM_RUN (startup to the first "
	    "system call) %.3f ms median, then %.0f KVM_RUN of %.1f us median "
	    "each (one system call exit each)\n", median(first_entry,
	    creations) / 1e6, n_later, median(later, creations) / 1e3);
}

static struct tkvm_program *
load_program(const void *img, size_t len, unsigned n, uint64_t mib)
{
	const char *argv[] = { "hello_get", NULL };
	struct tkvm_program_config cfg = { .vm.argv = argv,
	    .vm.memory_mib = mib, .concurrency = n };
	char err[256];
	struct tkvm_program *p = tkvm_program_load(&cfg, img, len, err,
	    sizeof err);

	if (p == NULL)
		die("hello_get", err);
	return p;
}

static unsigned long
all_ioctls(void)
{
	unsigned long n = 0;

	for (size_t k = 0; k <= NKINDS; k++)
		n += tally.calls[k];
	return n;
}

/* 3. Program load with 8 request VMs, and with 1 for the cost of each
 * further request VM. */
static void
program_load(const void *img, size_t len)
{
	double t[LOADS_MAX], t1[LOADS_MAX], per_vm_ioctls = 0, reqvm_ioctls = 0;
	struct tally a0, a1, b0, b1;
	struct rss r0, r1;
	long added = 0, rss_added = 0, shmem = 0, anon = 0;

	for (int i = 0; i < loads; i++) {
		unsigned long c0 = all_ioctls();
		double t0 = now_ns();
		a0 = tally;
		struct tkvm_program *p = load_program(img, len, 1, 0);
		a1 = tally;
		t1[i] = now_ns() - t0;
		reqvm_ioctls = (double)(all_ioctls() - c0);
		tkvm_program_destroy(p);
	}
	for (int i = 0; i < loads; i++) {
		if (i == 0)
			b0 = tally;
		unsigned long before = 0, after = 0;
		for (size_t k = 0; k <= NKINDS; k++)
			before += tally.calls[k];
		r0 = rss_now();
		double t0 = now_ns();
		struct tkvm_program *p = load_program(img, len, 8, 0);
		t[i] = now_ns() - t0;
		r1 = rss_now();
		for (size_t k = 0; k <= NKINDS; k++)
			after += tally.calls[k];
		if (i == 0)
			b1 = tally;
		per_vm_ioctls = (double)(after - before) / 9;
		reqvm_ioctls = i == 0 ? ((double)(after - before) -
		    reqvm_ioctls) / 7 : reqvm_ioctls;
		added = r1.pss - r0.pss;
		rss_added = r1.total - r0.total;
		anon = r1.anon - r0.anon;
		shmem = r1.shmem - r0.shmem;
		tkvm_program_destroy(p);
	}
	printf("program_load_8_request_vms: %.3f ms median of %d (hello_get, "
	    "64 MiB), %.1f ioctls per VM (main + 8), PSS added %ld kB "
	    "(anon %ld, guest memory %ld), RSS added %ld kB\n",
	    median(t, loads) / 1e6, loads, per_vm_ioctls, added, anon, shmem,
	    rss_added);
	double m8 = median(t, loads), m1 = median(t1, loads);
	printf("program_load_per_request_vm: %.3f ms and %.1f ioctls per "
	    "further request VM ((load with 8 - load with 1) / 7; load with 1: "
	    "%.3f ms)\n", (m8 - m1) / 7 / 1e6, reqvm_ioctls, m1 / 1e6);
	printf("request_vm_ioctls:");
	for (size_t k = 0; k <= NKINDS; k++) {
		unsigned long d = (b1.calls[k] - b0.calls[k]) -
		    (a1.calls[k] - a0.calls[k]);
		if (d != 0)
			printf(" %s %.2f", k < NKINDS ? kinds[k].name : "other",
			    (double)d / 7);
	}
	printf("\n");
}

/* 4. After n requests on each of 2 request VMs: what one holds. */
static void
rss_per_request_vm(const char *dir, unsigned n)
{
	const char *names[] = { "hello_get", "dirty_pages" };

	for (int g = 0; g < 2; g++) {
		struct tkvm_request req = { .method = "GET", .url = "/" };
		struct tkvm_reqvm_stats st;
		struct tkvm_response resp;
		char err[256];
		size_t len;
		void *img = load_guest(dir, names[g], &len);
		const char *argv[] = { names[g], NULL };
		struct tkvm_program_config cfg = { .vm.argv = argv,
		    .concurrency = 2 };
		struct tkvm_program *p = tkvm_program_load(&cfg, img, len, err,
		    sizeof err);
		struct rss r0, r1;
		uint64_t priv = 0, restores = 0;

		free(img);
		if (p == NULL)
			die(names[g], err);
		r0 = rss_now();
		for (unsigned v = 0; v < 2; v++) {
			struct tkvm_reqvm *rv = tkvm_program_reqvm(p, v);
			for (unsigned i = 0; i < n; i++) {
				if (tkvm_request_run(rv, &req, &resp) != 0)
					die(names[g], resp.reason);
				tkvm_request_end(rv, err, sizeof err);
			}
			tkvm_reqvm_stats(rv, &st);
			priv += st.private_pages;
			restores += st.segment_restores;
		}
		r1 = rss_now();
		printf("rss_per_request_vm_%s: after %u requests each, %.0f "
		    "private pages (%.0f kB) per request VM; process PSS grew "
		    "%.0f kB (RSS %.0f kB) per request VM during the requests; "
		    "%llu segment restores from the first request on\n",
		    names[g], n, (double)priv / 2, (double)priv * 4 / 2,
		    (double)(r1.pss - r0.pss) / 2,
		    (double)(r1.total - r0.total) / 2,
		    (unsigned long long)restores);
		tkvm_program_destroy(p);
	}
}

/* 5. A 64 MiB program with 1, 16 and 64 request VMs, one request each. */
static void
rss_by_request_vms(const void *img, size_t len)
{
	static const unsigned counts[] = { 1, 16, 64 };
	struct rss base = rss_now();

	for (int i = 0; i < 3; i++) {
		struct tkvm_request req = { .method = "GET", .url = "/" };
		struct tkvm_response resp;
		char err[256];
		struct tkvm_program *p = load_program(img, len, counts[i], 64);

		for (unsigned v = 0; v < counts[i]; v++) {
			struct tkvm_reqvm *rv = tkvm_program_reqvm(p, v);
			if (tkvm_request_run(rv, &req, &resp) != 0)
				die("hello_get", resp.reason);
			tkvm_request_end(rv, err, sizeof err);
		}
		struct rss r = rss_now();
		printf("memory_64mib_program_%u_request_vms: PSS %ld kB above "
		    "the process's base (anon %ld, guest memory %ld), RSS %ld "
		    "kB above\n", counts[i], r.pss - base.pss,
		    r.anon - base.anon, r.shmem - base.shmem,
		    r.total - base.total);
		tkvm_program_destroy(p);
	}
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench/guests";
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 10000;
	bool counts = argc > 3 && strcmp(argv[3], "counts") == 0;
	size_t len;
	void *img;

	if (counts) {
		creations = 3;
		loads = 2;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	creation_breakdown(dir);
	img = load_guest(dir, "hello_get", &len);
	program_load(img, len);
	if (!counts)
		rss_by_request_vms(img, len);
	free(img);
	rss_per_request_vm(dir, n);
	return 0;
}
