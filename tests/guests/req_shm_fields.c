/* Response metadata and header fields that live in shared memory, which
 * other request VMs may write at any time: the host copies them before it
 * checks them.  /respond answers with its content type and an extra
 * header in shared memory; /append appends a response header from shared
 * memory; /flip rewrites those bytes for a while, alternating a clean
 * value and one with CR/LF, as a concurrent attacker would.
 * With tinykvm-run --test-flip-shared the host itself overwrites shared
 * bytes with '\n' right after copying them, deterministically: /c/...
 * puts clean values first, then makes the call (respond, append, set,
 * find) and reports whether the bytes it passed were overwritten
 * ("armed": the host took them through its copy); /check tells, after a
 * response, whether its content type and header bytes were. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <tinykvm/kvm_api.h>

static char *shm;

static void
put(size_t off, const char *s)
{
	memcpy(shm + off, s, strlen(s) + 1);
}

static int
flipped(size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (shm[off + i] != '\n')
			return 0;
	return 1;
}

static void
clean_call(const char *what)
{
	char out[200], found[64];
	long r = -1;

	put(0, "text/shm              ");
	put(64, "X-Shm: yes              ");
	put(128, "X-Shm");
	if (strcmp(what, "respond") == 0) {
		struct ResponseHeader h = { shm + 64, 10 };
		struct BackendResponseExtra x = { &h, 1, false, 0, 0, 0, { 0 } };
		sys_backend_response(200, shm, 8, "ok", 2, &x);
	}
	if (strcmp(what, "append") == 0)
		r = sys_http_append(RESP, shm + 64, 10);
	if (strcmp(what, "set") == 0)
		r = sys_http_set(RESP, shm + 64, 10);
	if (strcmp(what, "find") == 0) {
		r = sys_http_find(REQ, shm + 128, 5, found, sizeof found);
		snprintf(out, sizeof out, "%s r=%ld field=%.*s",
		    flipped(128, 5) ? "armed" : "NOT ARMED", r,
		    r > 0 && r < 64 ? (int)r : 0, found);
		backend_response_str(200, "text/plain", out);
	}
	snprintf(out, sizeof out, "%s r=%ld", flipped(64, 10) ? "armed" :
	    "NOT ARMED", r);
	backend_response_str(200, "text/plain", out);
}

static void
on_get(const char *url, const char *arg)
{
	(void)arg;
	if (strncmp(url, "/c/", 3) == 0)
		clean_call(url + 3);
	if (strcmp(url, "/check") == 0) {
		char out[64];
		snprintf(out, sizeof out, "ctype=%s header=%s",
		    flipped(0, 8) ? "flipped" : "clean",
		    flipped(64, 10) ? "flipped" : "clean");
		backend_response_str(200, "text/plain", out);
	}
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
