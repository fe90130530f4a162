/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tinykvm-run --gdb and --gdb-on-crash: puts the VM under a debug session
 * (engine.h, docs/DEBUGGING.md) and prints the gdb command line to use
 * whenever the program waits for gdb.
 */
#include <stdio.h>
#include <string.h>

#include "gdb.h"

struct gdb_notice {
	const char *program;
};

static void
waiting(void *opaque, const char *target, const char *why)
{
	const struct gdb_notice *n = opaque;

	fflush(stdout);
	fprintf(stderr, "tinykvm-run: %s; waiting for gdb on %s:\n"
	    "    gdb -ex 'target remote %s' %s\n", why, target, target,
	    n->program);
	fflush(stderr);
}

int
gdb_attach(struct tkvm_vm *vm, const struct gdb_options *g, char *err,
    size_t errlen)
{
	static struct gdb_notice notice;	/* one VM per tinykvm-run */
	struct tkvm_debug_config dc = {
		.listen = g->listen ? g->listen : GDB_DEFAULT_PORT,
		.stop_at_entry = g->at_entry,
		.on_crash = g->on_crash,
		.wait_s = g->wait_s,
		.waiting = waiting,
		.opaque = &notice,
	};

	notice.program = g->program;
	return tkvm_vm_debug(vm, &dc, err, errlen);
}
