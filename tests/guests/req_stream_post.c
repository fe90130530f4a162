/* The streaming POST callback (slot 4).  /sum hashes the pieces in
 * order (FNV-1a), checks each offset and that on_post gets no data and
 * the total; it answers "pieces=N bytes=M fnv=H max=P first=F" where F
 * is what the counter was before the first piece (0: nothing of an
 * earlier request survived).  /short takes one byte less than given,
 * /crash faults on the second piece, /loop spins on it, /reject answers
 * 413 from the callback once 64 KiB have arrived. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

static size_t pieces, bytes, max_piece, first_seen = (size_t)-1;
static uint64_t fnv = 0xcbf29ce484222325ULL;
static int bad_offset;
static volatile int *volatile nowhere = (volatile int *)8;

static long
on_piece(const char *url, const char *arg, const char *ctype,
    const uint8_t *data, size_t len, size_t offset)
{
	(void)arg;
	(void)ctype;
	if (first_seen == (size_t)-1)
		first_seen = pieces;
	if (offset != bytes)
		bad_offset = 1;
	if (strcmp(url, "/short") == 0)
		return (long)len - 1;
	if (pieces == 1 && strcmp(url, "/crash") == 0)
		*nowhere = 1;
	if (pieces == 1 && strcmp(url, "/loop") == 0)
		for (;;)
			__asm__ volatile("");
	if (bytes >= 65536 && strcmp(url, "/reject") == 0)
		backend_response_str(413, "text/plain", "too much");
	for (size_t i = 0; i < len; i++)
		fnv = (fnv ^ data[i]) * 0x100000001b3ULL;
	pieces++;
	bytes += len;
	if (len > max_piece)
		max_piece = len;
	return (long)len;
}

static void
on_post(const char *url, const char *arg, const char *ctype,
    const uint8_t *data, size_t len)
{
	char out[200];

	(void)url;
	(void)arg;
	(void)ctype;
	if (data != NULL || len != bytes || bad_offset)
		backend_response_str(500, "text/plain", "bad on_post arguments");
	snprintf(out, sizeof out, "pieces=%zu bytes=%zu fnv=%016llx max=%zu first=%zu",
	    pieces, bytes, (unsigned long long)fnv, max_piece, first_seen);
	backend_response_str(200, "text/plain", out);
}

static void
on_get(const char *url, const char *arg)
{
	(void)url;
	(void)arg;
	backend_response_str(200, "text/plain", "get");
}

int
main(void)
{
	set_backend_get(on_get);
	set_backend_post(on_post);
	set_backend_stream_post(on_piece);
	wait_for_requests();
	return 0;
}
