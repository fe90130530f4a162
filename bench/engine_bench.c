/*
 * Engine benchmark, every figure a ratio measured in this run:
 *   - a CPU-bound loop in the guest vs the same code natively;
 *   - a guest system call (getpid) vs a bare VM exit round trip;
 *   - VM creation + load + run of a hello program vs a native
 *     posix_spawn + wait of the same static binary.
 * usage: engine_bench GUEST_DIR (bench/run.sh builds the guests)
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "tinykvm/engine.h"
#include "bench_util.h"
#include "guests/cpu_kernel.h"

#define ROUNDS 5
#define CPU_ITERATIONS "50000000"
#define SPAWNS 50

extern char **environ;

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* Runs a guest to its exit; returns what it printed. */
static void
run_guest(const char *dir, const char *name, const char *arg,
    struct capture *out, struct tkvm_counters *counters)
{
	char path[512], err[256];
	const char *argv[] = { name, arg, NULL };
	struct tkvm_config cfg = { .argv = argv, .output = capture_output,
	    .opaque = out };
	struct tkvm_result res;
	struct tkvm_vm *vm;
	size_t len;
	void *img;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	img = tkvm_read_file(path, 1 << 30, &len, err, sizeof err);
	vm = img ? tkvm_vm_create(&cfg, img, len, err, sizeof err) : NULL;
	free(img);
	if (vm == NULL) {
		fprintf(stderr, "engine_bench: %s: %s\n", name, err);
		exit(1);
	}
	out->len = 0;
	out->text[0] = '\0';
	tkvm_vm_run(vm, &res);
	if (res.stop != TKVM_STOP_EXIT) {
		fprintf(stderr, "engine_bench: %s: %s\n", name, res.reason);
		exit(1);
	}
	if (counters != NULL)
		tkvm_vm_counters(vm, counters);
	tkvm_vm_destroy(vm);
}

static void
cpu_ratio(const char *dir)
{
	double guest[ROUNDS], native[ROUNDS];
	struct capture out;

	for (int i = 0; i < ROUNDS; i++) {
		double t0 = now_ns();
		volatile uint64_t r = cpu_kernel(strtoull(CPU_ITERATIONS, NULL, 10));
		(void)r;
		native[i] = now_ns() - t0;
		run_guest(dir, "cpu_loop", CPU_ITERATIONS, &out, NULL);
		guest[i] = atof(out.text);
	}
	double g = median(guest, ROUNDS), n = median(native, ROUNDS);
	printf("guest_cpu_vs_native: ratio %.3f (native %.1f ms, guest %.1f ms; "
	    "speed = native/guest, target >= 0.95)\n", n / g, n / 1e6, g / 1e6);
}

static void
syscall_ratio(const char *dir)
{
	double sys[ROUNDS], bare[ROUNDS];
	struct capture out;

	for (int i = 0; i < ROUNDS; i++) {
		run_guest(dir, "getpid_loop", "20000", &out, NULL);
		sys[i] = atof(out.text);
		run_guest(dir, "exit_loop", "20000", &out, NULL);
		bare[i] = atof(out.text);
	}
	double s = median(sys, ROUNDS), b = median(bare, ROUNDS);
	printf("guest_syscall_vs_bare_exit: ratio %.3f (getpid %.2f us, bare exit "
	    "%.2f us)\n", s / b, s / 1000, b / 1000);
}

static void
creation_ratio(const char *dir)
{
	double vm[SPAWNS], native[SPAWNS];
	struct tkvm_counters c;
	struct capture out;
	char path[512];

	snprintf(path, sizeof path, "%s/hello_world", dir);
	for (int i = 0; i < SPAWNS; i++) {
		char *argv[] = { path, NULL };
		posix_spawn_file_actions_t fa;
		pid_t pid;
		int status;
		double t0 = now_ns();

		run_guest(dir, "hello_world", NULL, &out, &c);
		vm[i] = now_ns() - t0;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
		t0 = now_ns();
		if (posix_spawn(&pid, path, &fa, NULL, argv, environ) == 0)
			waitpid(pid, &status, 0);
		native[i] = now_ns() - t0;
		posix_spawn_file_actions_destroy(&fa);
	}
	double v = median(vm, SPAWNS), n = median(native, SPAWNS);
	printf("vm_create_load_run_hello: %.3f ms; native posix_spawn+wait %.3f ms; "
	    "ratio vm/native %.2f\n", v / 1e6, n / 1e6, v / n);
	printf("hello_counters: %llu KVM_RUN, %llu ioctls after creation, "
	    "%llu system calls\n", (unsigned long long)c.kvm_run_calls,
	    (unsigned long long)c.kvm_ioctls, (unsigned long long)c.syscalls);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench/guests";

	cpu_ratio(dir);
	syscall_ratio(dir);
	creation_ratio(dir);
	return 0;
}
