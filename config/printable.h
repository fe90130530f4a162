/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one helper that makes untrusted text fit for a message (error
 * messages of the JSON reader and the program library, log lines).
 */
#ifndef TKVM_PRINTABLE_H
#define TKVM_PRINTABLE_H

#include <stddef.h>

/*
 * s copied into buf (n bytes) for a message: at most 60 bytes, "..."
 * when cut, control characters as '?'.  Returns buf.
 */
const char *printable(const char *s, char *buf, size_t n);

#endif
