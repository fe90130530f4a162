/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef RUNNER_REGEX_H
#define RUNNER_REGEX_H

#include "tinykvm/engine.h"

/* sys_regex_* for tinykvm-run, with PCRE2 (the library Varnish's VRE
 * wraps), following VRE's match and substitution rules. */
extern const struct tkvm_regex_ops runner_regex_ops;

#endif
