/* SPDX-License-Identifier: BSD-2-Clause */
/* Benchmark guest: GET streams the number of bytes in its URL ("/N") in
 * chunks of at most 64 KiB, with a content length. */
#include <stdlib.h>
#include <tinykvm/kvm_api.h>

static char chunk[65536];

static struct streaming_content
on_chunk(void *arg, size_t max, size_t written, size_t total)
{
	struct streaming_content c = { chunk, total - written };

	(void)arg;
	if (c.len > max)
		c.len = max;
	if (c.len > sizeof chunk)
		c.len = sizeof chunk;
	return c;
}

static void
on_get(const char *url, const char *arg)
{
	(void)arg;
	begin_streaming_response(200, "application/octet-stream", 24,
	    strtoul(url + 1, NULL, 10), on_chunk, NULL);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof chunk; i++)
		chunk[i] = (char)i;
	set_backend_get(on_get);
	wait_for_requests();
}
