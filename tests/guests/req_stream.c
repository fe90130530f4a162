/* SPDX-License-Identifier: BSD-2-Clause */
/* begin_streaming_response: /len/N streams N bytes with a content length,
 * /chunked/N without one (the callback ends with len 0); byte o of the
 * body is 'a' + o % 26, in chunks of at most 64 KiB.  /crash and /loop
 * fail after 1 MiB; /fail crashes before responding and on_error streams
 * 4 bytes.  The callback's state is in the request callback's
 * stack frame, which the host keeps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

#define CHUNK	65536
static char pattern[CHUNK + 26];
static int *volatile nowhere;

struct state {
	size_t size;		/* bytes to give */
	int mode;		/* 0 normal, 1 crash, 2 loop */
	unsigned magic;
};

static struct streaming_content
on_chunk(void *arg, size_t max, size_t written, size_t total)
{
	struct state *st = arg;
	struct streaming_content c = { NULL, 0 };
	size_t n = st->size - written;

	if (st->magic != 0x5eed || written > st->size ||
	    (total != 0 && total != st->size))
		abort();
	if (st->mode != 0 && written >= (1 << 20)) {
		volatile int *bad = (volatile int *)(uintptr_t)st->mode;
		if (st->mode == 1)
			*bad = 1;
		for (;;)
			__asm__ volatile("");
	}
	if (n > max)
		n = max;
	if (n > CHUNK)
		n = CHUNK;
	c.data = pattern + written % 26;
	c.len = n;
	return c;
}

static void
on_get(const char *url, const char *arg)
{
	struct state st = { 0, 0, 0x5eed };
	int chunked = 0;

	(void)arg;
	if (!strncmp(url, "/len/", 5))
		st.size = strtoul(url + 5, NULL, 10);
	else if (!strncmp(url, "/chunked/", 9)) {
		st.size = strtoul(url + 9, NULL, 10);
		chunked = 1;
	} else if (!strcmp(url, "/fail")) {
		*nowhere = 0;
	} else {
		st.size = 4 << 20;
		st.mode = !strcmp(url, "/crash") ? 1 : 2;
	}
	begin_streaming_response(200, "text/plain", 10,
	    chunked ? 0 : st.size, on_chunk, &st);
}

static void
on_error(const char *url, const char *arg, const char *exception)
{
	struct state st = { 4, 0, 0x5eed };

	(void)url; (void)arg; (void)exception;
	begin_streaming_response(500, "text/plain", 10, 0, on_chunk, &st);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof pattern; i++)
		pattern[i] = (char)('a' + i % 26);
	set_backend_get(on_get);
	set_on_error(on_error);
	wait_for_requests();
}
