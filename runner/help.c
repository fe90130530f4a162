/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What tinykvm-run says about itself (--help) and about the host
 * (--host-info).
 */
#include <stdio.h>

#include "gdb.h"
#include "help.h"
#include "tinykvm/engine.h"

void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tinykvm-run [--timeout SECONDS] [--memory MIB] [--address-space MIB]\n"
	    "                   [--allow PATH]... [--env KEY=VALUE]... [--max-threads N]\n"
	    "                   [--verbose] PROGRAM [ARG...]\n"
	    "       tinykvm-run [options] --request METHOD URL [--arg ARG] [--body FILE]\n"
	    "                   [--content-type T] [--header 'K: V']... [--repeat N]\n"
	    "                   [--concurrency N] [--storage] [--storage-program FILE]\n"
	    "                   [--self-request URL-PREFIX]\n"
	    "                   PROGRAM [ARG...]\n"
	    "       tinykvm-run [options] --config FILE --program NAME [PROGRAM [ARG...]]\n"
	    "                   takes the program's settings from a JSON library\n"
	    "       tinykvm-run --gdb[=PORT|HOST:PORT|PATH] [--gdb-wait SECONDS] PROGRAM\n"
	    "                   stops PROGRAM at its entry and waits for gdb on that\n"
	    "                   port (default " GDB_DEFAULT_PORT ", loopback) or unix socket; prints\n"
	    "                   the `gdb -ex 'target remote ...' PROGRAM` line to use\n"
	    "       tinykvm-run --gdb-on-crash[=PORT|HOST:PORT|PATH] PROGRAM\n"
	    "                   runs PROGRAM; if it crashes, waits for gdb at the\n"
	    "                   faulting instruction (and prints the same line).\n"
	    "                   With --gdb, sys_breakpoint() stops for gdb and\n"
	    "                   sys_is_debug() returns 1; --gdb-wait bounds the wait\n"
	    "                   for gdb and for each of its packets (docs/DEBUGGING.md)\n"
	    "       tinykvm-run --host-info\n"
	    "                   describes this host: CPU, KVM kind, guest ring for\n"
	    "                   syscalls, XCR0 and XSAVE size, cost of a VM exit\n"
	    "Runs an x86-64 Linux PROGRAM (static or dynamically linked; the system's\n"
	    "loader and library directories are readable for a dynamic one) inside a\n"
	    "KVM sandbox.  With --request, initializes PROGRAM to wait_for_requests()\n"
	    "and sends it requests, printing the response (status, headers, body) of\n"
	    "the first.  sys_fetch and sys_request use libcurl; a self-request (a\n"
	    "path) goes to URL-PREFIX.\n"
	    "Exit status: the program's (0 for requests); 124 on timeout; 125 on a\n"
	    "sandbox failure or a failed request.\n");
}

int
host_info(void)
{
	struct tkvm_host_info h;
	char err[256];

	if (tkvm_host_info(&h, err, sizeof err) != 0) {
		fprintf(stderr, "tinykvm-run: %s\n", err);
		return 125;	/* EXIT_SANDBOX */
	}
	printf("cpu: %s\n", h.cpu_model);
	printf("kvm: %s\n", h.kvm_kind);
	printf("syscall_ring: %d\n", h.syscall_ring);
	printf("xcr0: 0x%llx\n", (unsigned long long)h.xcr0);
	printf("xsave_size: %u\n", h.xsave_size);
	printf("xsave_components: %s\n", h.components);
	printf("bare_exit_us: %.1f\n", h.exit_us);
	return 0;
}
