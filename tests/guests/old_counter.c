/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A guest built as the published examples' prebuilt c/counter and
 * c/scounter are (tests/vmod/compat_old_header.vtc): a counter in shared
 * memory, answered with the five-argument backend_response() of an older
 * header, so the sixth register (r9, the extra) holds whatever was left
 * there: here, on purpose, the counter's value.
 */
#include <tinykvm/kvm_api.h>
#include <stdio.h>

static int *counter;

/* backend_response(status, ctype, len, body, len) of the older header,
 * with left in r9. */
static void __attribute__((noreturn))
old_backend_response(int16_t status, const char *ctype, size_t ctype_len,
    const char *body, size_t body_len, uint64_t left)
{
	register size_t r8 __asm__("r8") = body_len;
	register uint64_t r9 __asm__("r9") = left;

	__asm__ volatile("call sys_backend_response" : : "D"((long)status),
	    "S"(ctype), "d"(ctype_len), "c"(body), "r"(r8), "r"(r9) : "memory");
	__builtin_unreachable();
}

static void
on_get(const char *url, const char *arg)
{
	char buf[64];
	int n;

	(void)url;
	(void)arg;
	__sync_fetch_and_add(counter, 1);
	n = snprintf(buf, sizeof buf, "Hello %d World!", *counter);
	old_backend_response(200, "text/plain", 10, buf, (size_t)n,
	    (uint64_t)*counter);
}

int
main(void)
{
	counter = SHM_ALLOC(*counter);
	set_backend_get(on_get);
	wait_for_requests();
}
