/* SPDX-License-Identifier: BSD-2-Clause */
/* tinykvm-run's --help and --host-info (runner/help.c). */
#ifndef TINYKVM_RUN_HELP_H
#define TINYKVM_RUN_HELP_H

#include <stdio.h>

void usage(FILE *f);
/* Prints what the engine finds on this host; the exit status. */
int host_info(void);

#endif
