/* SPDX-License-Identifier: BSD-2-Clause */
/* Response metadata and header fields that live in shared memory, which
 * other request VMs may write at any time: the host copies them before it
 * checks them.  /respond answers with its content type and an extra
 * header in shared memory; /append appends a response header from shared
 * memory; /flip rewrites those bytes for a while, alternating a clean
 * value and one with CR/LF, as a concurrent attacker would. */
#include <string.h>
#include <time.h>
#include <tinykvm/kvm_api.h>

static char *shm;

static void
put(size_t off, const char *s)
{
	memcpy(shm + off, s, strlen(s) + 1);
}

static void
on_get(const char *url, const char *arg)
{
	(void)arg;
	if (strcmp(url, "/flip") == 0) {
		struct timespec t0, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			put(0, "text/x\r\nX-Injected: 1");
			put(64, "X-Shm: a\r\nX-Injected: 1");
			put(0, "text/shm              ");
			put(64, "X-Shm: yes              ");
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec < 300000000L);
		backend_response_str(200, "text/plain", "flipped");
	}
	if (strcmp(url, "/append") == 0)
		sys_http_append(RESP, shm + 64, 10);
	struct ResponseHeader h = { shm + 64, 10 };
	struct BackendResponseExtra x = { &h, 1, false, 0, 0, 0, { 0 } };
	sys_backend_response(200, shm, 8, "ok", 2, &x);
}

int
main(void)
{
	shm = (char *)shared_memory_area().ptr;
	put(0, "text/shm              ");
	put(64, "X-Shm: yes              ");
	set_backend_get(on_get);
	wait_for_requests();
}
