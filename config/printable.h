/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Untrusted text made fit for a message, in one place: shortened with
 * control characters replaced (error messages of the JSON reader and the
 * program library), or escaped in full (a program's log lines in the
 * Varnish log, vmod/reqlog.c).
 */
#ifndef TKVM_PRINTABLE_H
#define TKVM_PRINTABLE_H

#include <stddef.h>

/*
 * s copied into buf (n bytes) for a message: at most 60 bytes, "..."
 * when cut, control characters as '?'.  Returns buf.
 */
const char *printable(const char *s, char *buf, size_t n);

/*
 * Appends text[0..len) to out (at *olen, at most room bytes in all) with
 * every byte that is not printable ASCII written as \xHH and a backslash
 * as \\; an escape is never split.  Returns how many bytes of text fit.
 */
size_t printable_escape(char *out, size_t *olen, size_t room,
    const char *text, size_t len);

#endif
