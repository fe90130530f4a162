/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Uses every name of the published guest header through ours (built with
 * -Wall -Wextra -Werror, C and C++), see docs/GUEST_API.md.  GET /all
 * runs the helpers this host serves and prints what they gave; the other
 * URLs make one call this host does not serve (the request must fail,
 * naming it).  compat_all2.c is a second file of the same program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

EMBED_BINARY(blob, "compat_blob.txt")

#ifdef __cplusplus
extern "C"
#endif
int second_file(void);	/* compat_all2.c */
/* Published as a symbol only, without a prototype. */
extern int vcpureqid(void);

struct pair {
	int a, b;
};

static char out[8192];
static size_t n;
static int ephemeral;	/* sys_make_ephemeral() is for main() */

#define SAY(...) (n += (size_t)snprintf(out + n, sizeof out - n, __VA_ARGS__))

static void
on_storage(size_t nbuf, struct virtbuffer bufs[], size_t res)
{
	(void)nbuf; (void)bufs; (void)res;
	storage_return_nothing();
}

static void
on_task(void *data, size_t len)
{
	(void)data; (void)len;
}

static void
on_vcpu(void *arg)
{
	(void)arg;
}

static void
on_vcpu_array(int cpu, void *array, size_t size)
{
	(void)cpu; (void)array; (void)size;
}

static struct streaming_content
on_stream(void *arg, size_t max, size_t written, size_t total)
{
	struct streaming_content c = { "x", 1 };

	(void)arg; (void)max; (void)written; (void)total;
	return c;
}

/* One call this host does not serve, chosen by the URL. */
static void
unserved(const char *url)
{
	struct virtbuffer vb[1] = { { "a", 1 } };
	struct kvm_socket_event ev = { 0, SOCKET_READ, NULL, NULL, NULL, 0 };
	char res[16];
	content_stream_func cb = on_stream;
	storage_func sf = on_storage;
	storage_task_func tf = on_task;
	multiprocess_t mf = on_vcpu;
	multiprocess_array_t af = on_vcpu_array;

	if (!strcmp(url, "/stream"))
		begin_streaming_response(200, "text/plain", 10, 1, cb, NULL);
	if (!strcmp(url, "/noreturn"))
		storage_noreturn("x", 1);
	if (!strcmp(url, "/return"))
		storage_return_nothing();
	if (!strcmp(url, "/call"))
		storage_call(sf, "a", 1, res, sizeof res);
	if (!strcmp(url, "/callv"))
		storage_callv(sf, 1, vb, res, sizeof res);
	if (!strcmp(url, "/task"))
		storage_task(tf, "a", 1);
	if (!strcmp(url, "/schedule"))
		schedule_storage_task(tf, "a", 1, 1.0f, 2.0f);
	if (!strcmp(url, "/stoptask"))
		stop_storage_task(1);
	/* No extra vCPUs: -1, as the published host without "smp". */
	if (!strcmp(url, "/mp"))
		SAY("mp=%ld wait=%ld ", multiprocess(2, mf, NULL),
		    multiprocess_wait());
	if (!strcmp(url, "/mparray"))
		SAY("mparray=%ld wait=%ld ", multiprocess_array(2, af, res, 1),
		    multiprocess_wait());
	if (!strcmp(url, "/mpclone"))
		SAY("mpclone=%ld wait=%ld ", multiprocess_clone(2, res, sizeof res),
		    multiprocess_wait());
	if (!strcmp(url, "/sockets"))
		sys_sockets_write(&ev, 1);
}

static void
on_get(const char *url, const char *arg)
{
	struct meminfo mi;
	struct shared_memory_info shm = shared_memory_area();
	struct ResponseHeader rh[1] = { { "X-Extra: 1", 10 } };
	struct BackendResponseExtra ex = { rh, 1, true, 10.0f, 2.0f, 1.0f, { 0 } };
	struct curl_fields cf;
	struct curl_op op;
	struct curl_options co;
	char buf[64];
	const char *found, *method;
	unsigned len;

	(void)arg;
	n = 0;
	unserved(url);
	memset(&cf, 0, sizeof cf);
	memset(&op, 0, sizeof op);
	memset(&co, 0, sizeof co);
	CURL_SETFIELD(cf, 0, "X-A: b");
	SAY("sandboxed=%d linux=%d storage=%d request=%d debug=%d ",
	    IS_SANDBOXED_MAIN(), IS_LINUX_MAIN(), IS_STORAGE(), IS_REQUEST(),
	    IS_DEBUG());
	SAY("sets=%d%d%d%d%d%d fmt=%u fields=%u/%u ", REQ, RESP, REQUEST,
	    RESPONSE, BEREQ, BERESP, HTTP_FMT_SIZE, CURL_FIELDS_COUNT, cf.len[0]);
	http_append_str(RESP, "X-Str: 1");
	http_appendf(RESP, "X-Fmt: %d", 42);
	http_set_str(RESP, "X-Set: a");
	http_setf(RESP, "X-Set: %s", "b");
	http_set_str(RESP, "X-Gone1: 1");
	http_set_str(RESP, "X-Gone2: 2");
	SAY("unset=%ld,", http_unset_str(RESP, "X-Gone1"));
	SAY("%ld,", http_unset(RESP, "X-Gone2", 7));
	SAY("%ld ", http_unset_str(RESP, "X-Gone1"));
	len = http_find_str(RESP, "X-Fmt", buf, sizeof buf);
	SAY("find=%.*s strlen=%u ", (int)len, buf, http_find_strlen(RESP, "X-Set"));
#ifdef HAS_BUILTIN_MALLOC
	found = http_alloc_find(REQ, "X-In");
	method = http_alloc_method();
	SAY("alloc=[%s][%s][%s] ", found, method, http_alloc_find(REQ, "X-None"));
#endif
	SAY("cache=%ld ", set_cacheable(true, 1.5f, 2.0f, 3.0f));
	SAY("shm=%d ", SHM_ALLOC_BYTES(8) == NULL && SHM_ALLOC_TYPE(struct pair) ==
	    NULL && SHM_ALLOC(mi) == NULL && internal_shm_alloc(1, 1) == NULL &&
	    shm.ptr == 0);
	get_meminfo(&mi);
	SAY("mem=%d eph=%d storage=%d allow=%ld debug=%d wait=%ld ",
	    mi.max_memory > 0, ephemeral, sys_is_storage(),
	    STORAGE_ALLOW(on_storage), sys_is_debug(), multiprocess_wait());
	sys_breakpoint();
	SAY("vcpu=%d/%d blob=%.*s/%u trust=%d second=%d",
	    vcpuid(), vcpureqid(), (int)blob_size, blob, blob_size,
	    TRUST_ME(out) == (void *)out, second_file());
	vlogf("logged %d", 7);
	backend_response_extra(200, "text/plain", 10, out, n, &ex);
}

static void
on_post(const char *url, const char *arg, const char *ctype,
    const uint8_t *data, size_t len)
{
	(void)arg; (void)ctype; (void)data;
	n = 0;
	SAY("post %s %zu", url, len);
	backend_response(201, "text/plain", 10, out, n);
}

static void
on_request(const struct kvm_request *req)
{
	n = 0;
	SAY("request %.*s warmup=%d", req->url_len, req->url,
	    IS_WARMUP_REQUEST(req) != 0);
	backend_response_str(200, "text/plain", out);
}

static long
on_stream_post(const char *url, const char *arg, const char *ctype,
    const uint8_t *data, size_t len, size_t off)
{
	(void)url; (void)arg; (void)ctype; (void)data; (void)off;
	return (long)len;
}

static void
on_error(const char *url, const char *arg, const char *exception)
{
	(void)arg;
	n = 0;
	SAY("on_error %s: %s", url, exception);
	backend_response_str(500, "text/plain", out);
}

static void
on_live_update(void)
{
}

static void
on_live_restore(size_t len)
{
	(void)len;
}

static void
on_socket_pause(int fd)
{
	(void)fd;
}

int
main(int argc, char **argv)
{
	/* The paused styles (one call number for both) are only named. */
	void (*paused)(struct kvm_request *) = wait_for_requests_paused;
	void (*socket_paused)(struct kvm_socket_event *) =
	    wait_for_socket_event_paused;
	int (*sockets_paused)(struct kvm_socket_event *, size_t) =
	    wait_for_socket_events_paused;

	(void)argv; (void)paused; (void)socket_paused; (void)sockets_paused;
	if (IS_LINUX_MAIN()) {
		printf("not in the sandbox\n");
		return 0;
	}
	ephemeral = sys_make_ephemeral(1);
	set_backend_get(on_get);
	set_backend_post(on_post);
	set_backend_stream_post(on_stream_post);
	set_on_error(on_error);
	set_on_live_update(on_live_update);
	set_on_live_restore(on_live_restore);
	set_socket_prepare_for_pause(on_socket_pause);
	if (argc > 1)
		set_backend_request(on_request);
	wait_for_requests();
}
