/* SPDX-License-Identifier: BSD-2-Clause */
/* gzip: compresses the POSTed body with zlib (Debian's libz, linked
 * statically) and answers it gzip-encoded. */
#include <string.h>
#include <zlib.h>
#include <tinykvm/kvm_api.h>

static unsigned char out[32 << 20];

static void
on_post(const char *url, const char *arg, const char *ctype,
    const uint8_t *data, size_t len)
{
	z_stream z;
	int level = *arg ? arg[0] - '0' : 6;

	(void)url; (void)ctype;
	memset(&z, 0, sizeof z);
	if (level < 0 || level > 9)
		level = 6;
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		backend_response_str(500, "text/plain", "zlib init failed\n");
	z.next_in = (unsigned char *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = sizeof out;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		backend_response_str(413, "text/plain", "body too large\n");
	deflateEnd(&z);
	http_append_str(HTTP_RESP, "Content-Encoding: gzip");
	sys_backend_response(200, "application/octet-stream", 24, out,
	    z.total_out, NULL);
}

int
main(void)
{
	set_backend_post(on_post);
	wait_for_requests();
}
