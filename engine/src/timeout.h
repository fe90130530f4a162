/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Execution time limits.  A POSIX timer aimed at the running thread sends
 * TIMEOUT_SIGNAL, which interrupts KVM_RUN (EINTR).  The signal is blocked
 * in the thread while the timer is armed, so it can only land inside
 * KVM_RUN (whose signal mask lets it through) or stay pending until the
 * run ends, when an empty handler swallows it.
 */
#ifndef TKVM_TIMEOUT_H
#define TKVM_TIMEOUT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define TIMEOUT_SIGNAL SIGUSR2

struct timeout {
	bool armed;
	timer_t timer;
	struct timespec deadline;
	sigset_t saved_mask;
};

/* Installs the empty handler for TIMEOUT_SIGNAL if nothing handles it. */
int timeout_init(char *err, size_t errlen);
/* seconds <= 0: no limit. */
int timeout_start(struct timeout *t, double seconds);
bool timeout_expired(const struct timeout *t);
void timeout_stop(struct timeout *t);

#endif
