/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the size of the address space costs (docs/DESIGN.md, "Address
 * space and max_memory"): for 256 MiB (the baseline), 1 GiB (a library
 * program's least) and 4 GiB (a plain run's), all in this run, with the
 * sizes interleaved over ROUNDS rounds so that other load hits each alike:
 *   - the request cycle of hello_get and dirty_pages (256 pages) on one
 *     request VM: time per request, KVM_RUN and ioctls per request;
 *   - the load of the hello program with 8 request VMs: its time, and
 *     the kernel memory (VmallocUsed, where KVM keeps a memslot's
 *     metadata) it adds per VM.
 * Each figure is printed with its ratio to 256 MiB.
 * usage: address_space_bench GUEST_DIR [REQUESTS] [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinykvm/engine.h"
#include "bench_util.h"

#define SIZES	3
#define LOAD_VMS 8
static const uint64_t sizes[SIZES] = { 256, 1024, 4096 };

struct figures {
	double hello_ns, dirty_ns, hello_ioctls, dirty_ioctls, runs;
	double load_ms, vmalloc_kib;	/* per load; per VM */
};

static struct tkvm_program *
load(const char *dir, const char *name, uint64_t space, unsigned vms)
{
	const char *argv[] = { name, NULL };
	struct tkvm_program_config cfg = { .vm.argv = argv, .concurrency = vms,
	    .vm.address_space_mib = space };
	struct tkvm_program *p;
	char err[256];
	size_t len;
	void *img = load_guest(dir, name, &len);

	p = tkvm_program_load(&cfg, img, len, err, sizeof err);
	free(img);
	if (p == NULL)
		die(name, err);
	return p;
}

/* ns per request; *ioctls and *runs per request. */
static double
cycle(const char *dir, const char *name, uint64_t space, unsigned n,
    double *ioctls, double *runs)
{
	struct tkvm_program *p = load(dir, name, space, 1);
	struct tkvm_reqvm *rv = tkvm_program_reqvm(p, 0);
	struct tkvm_request req = { .method = "GET", .url = "/" };
	struct tkvm_reqvm_stats before, after;
	struct tkvm_response resp;
	char err[256];
	double t0, ns;

	tkvm_request_run(rv, &req, &resp);	/* first touches not counted */
	tkvm_request_end(rv, err, sizeof err);
	tkvm_reqvm_stats(rv, &before);
	t0 = now_ns();
	for (unsigned i = 0; i < n; i++) {
		if (tkvm_request_run(rv, &req, &resp) != 0 || resp.status != 200)
			die(name, resp.reason);
		tkvm_request_end(rv, err, sizeof err);
	}
	ns = (now_ns() - t0) / n;
	tkvm_reqvm_stats(rv, &after);
	*ioctls = (double)(after.kvm_ioctls - before.kvm_ioctls) / n;
	*runs = (double)(after.kvm_run_calls - before.kvm_run_calls) / n;
	tkvm_program_destroy(p);
	return ns;
}

static long
vmalloc_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kib = -1;

	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmallocUsed: %ld kB", &kib) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kib;
}

static void
measure(const char *dir, uint64_t space, unsigned n, struct figures *f)
{
	double ioctls, runs, t0;
	struct tkvm_program *p;
	long before;

	f->hello_ns += cycle(dir, "hello_get", space, n, &ioctls, &runs);
	f->hello_ioctls = ioctls;
	f->runs = runs;
	f->dirty_ns += cycle(dir, "dirty_pages", space, n, &ioctls, &runs);
	f->dirty_ioctls = ioctls;
	before = vmalloc_kib();
	t0 = now_ns();
	p = load(dir, "hello_get", space, LOAD_VMS);
	f->load_ms += (now_ns() - t0) / 1e6;
	/* The main VM and LOAD_VMS request VMs. */
	f->vmalloc_kib += (double)(vmalloc_kib() - before) / (LOAD_VMS + 1);
	tkvm_program_destroy(p);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench/guests";
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 2000;
	unsigned rounds = argc > 3 ? (unsigned)atoi(argv[3]) : 3;
	struct figures f[SIZES];
	const struct figures *b = &f[0];

	if (n == 0 || rounds == 0)
		die("usage", "address_space_bench GUEST_DIR [REQUESTS] [ROUNDS]");
	memset(f, 0, sizeof f);
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned i = 0; i < SIZES; i++)
			measure(dir, sizes[i], n, &f[i]);
	for (unsigned i = 0; i < SIZES; i++) {
		f[i].hello_ns /= rounds;
		f[i].dirty_ns /= rounds;
		f[i].load_ms /= rounds;
		f[i].vmalloc_kib /= rounds;
	}
	printf("address spaces against 256 MiB, %u rounds of %u requests each\n",
	    rounds, n);
	for (unsigned i = 0; i < SIZES; i++)
		printf("address_space_%llu_mib: hello %.2f us (ratio %.2f), "
		    "dirty256 %.2f us (ratio %.2f), %.3f KVM_RUN and %.3f/%.3f "
		    "ioctls per request; load with %u request VMs %.1f ms "
		    "(ratio %.2f), kernel vmalloc %+.0f KiB per VM\n",
		    (unsigned long long)sizes[i], f[i].hello_ns / 1000,
		    f[i].hello_ns / b->hello_ns, f[i].dirty_ns / 1000,
		    f[i].dirty_ns / b->dirty_ns, f[i].runs, f[i].hello_ioctls,
		    f[i].dirty_ioctls, LOAD_VMS, f[i].load_ms,
		    f[i].load_ms / b->load_ms, f[i].vmalloc_kib);
	return 0;
}
