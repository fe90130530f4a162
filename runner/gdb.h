/* SPDX-License-Identifier: BSD-2-Clause */
/* tinykvm-run's remote debugging options (runner/gdb.c). */
#ifndef TINYKVM_RUN_GDB_H
#define TINYKVM_RUN_GDB_H

#include <stdbool.h>
#include "tinykvm/engine.h"

#define GDB_DEFAULT_PORT "2159"

struct gdb_options {
	const char *listen;	/* PORT, HOST:PORT or a socket path; NULL: default */
	bool at_entry;		/* --gdb */
	bool on_crash;		/* --gdb-on-crash */
	double wait_s;		/* --gdb-wait; 0 = no limit */
	const char *program;	/* the path gdb should load */
};

int gdb_attach(struct tkvm_vm *vm, const struct gdb_options *g, char *err,
    size_t errlen);

#endif
