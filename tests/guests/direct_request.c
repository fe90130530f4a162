/* SPDX-License-Identifier: BSD-2-Clause */
/* The request program of tests/requests/direct_storage.sh: it calls the
 * functions of the separate storage program direct_storage.c as plain C
 * functions (their addresses come from that program's symbols at link
 * time); the host runs each in the storage VM.  -DVERSION=N says which
 * build answers (tests/vmod/direct_storage.vtc). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

#ifndef VERSION
#define VERSION 1
#endif

extern long direct_add(long n);
extern long direct_sum6(long, long, long, long, long, long);
extern long direct_where(void);
extern long direct_crash(void);
extern long direct_loop(void);
extern long direct_deref(const long *p);
extern long direct_secret(void);
extern long direct_exit(void);
extern void direct_echo(size_t n, struct virtbuffer b[], size_t res);

#define STR_(x) #x
#define STR(x) STR_(x)

static long local_value = 5;

static void
reply(const char *fmt, long v)
{
	char out[128];

	snprintf(out, sizeof out, fmt, v);
	backend_response_str(200, "text/plain", out);
}

static void
on_get(const char *url, const char *arg)
{
	char buf[64];
	long r;

	(void)arg;
	if (strcmp(url, "/add") == 0) {
		reply("v=" STR(VERSION) " counter=%ld", direct_add(1));
	} else if (strcmp(url, "/sum") == 0) {
		/* Callee-saved registers and the stack survive the call. */
		volatile long keep = 77;
		r = direct_sum6(1, 2, 3, 4, 5, 6);
		snprintf(buf, sizeof buf, "sum=%ld keep=%ld", r, keep);
		backend_response_str(200, "text/plain", buf);
	} else if (strcmp(url, "/where") == 0) {
		r = direct_where();
		snprintf(buf, sizeof buf, "high=%d storage=%ld heap=%ld",
		    (r & ~7L) >= 0x40000000L, r & 1, (r >> 1) & 1);
		backend_response_str(200, "text/plain", buf);
	} else if (strcmp(url, "/crash") == 0) {
		reply("crash=%ld", direct_crash());
	} else if (strcmp(url, "/loop") == 0) {
		reply("loop=%ld", direct_loop());
	} else if (strcmp(url, "/deref") == 0) {
		reply("deref=%ld", direct_deref(&local_value));
	} else if (strcmp(url, "/secret") == 0) {
		reply("secret=%ld", direct_secret());
	} else if (strcmp(url, "/exit") == 0) {
		reply("exit=%ld", direct_exit());
	} else if (strcmp(url, "/middle") == 0) {
		long (*mid)(long) = (long (*)(long))((uintptr_t)direct_add + 1);
		reply("middle=%ld", mid(1));
	} else if (strcmp(url, "/callv") == 0) {
		char out[64] = "";
		r = storage_call(direct_echo, "hi", 2, out, sizeof out - 1);
		snprintf(buf, sizeof buf, "r=%ld %s", r, out);
		backend_response_str(200, "text/plain", buf);
	} else {
		backend_response_str(404, "text/plain", "no such test");
	}
}

int main(void)
{
	set_backend_get(on_get);
	wait_for_requests();
}
