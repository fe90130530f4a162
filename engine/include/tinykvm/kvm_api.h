/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kvm_api.h: the guest side of TinyKVM.  Include it in a program that
 * serves requests from Varnish, build the program with `gcc -static` (or
 * -static-pie, musl-gcc, or plain gcc: dynamically linked programs load
 * their libraries in main()), and it runs unmodified on this project and on
 * the published TinyKVM VMOD: every name, type, helper and call number of
 * the published guest header is defined here (docs/GUEST_API.md lists
 * them), so a program written for it also builds against this file.
 *
 * Every call is a tiny stub that leaves the VM with `out %eax, $0`, the
 * call number in eax and the arguments in the System V registers.
 *
 * A program registers callbacks, then calls wait_for_requests(): the host
 * freezes the initialized program there and runs each request in a fresh
 * copy of it.  Alternatively it loops on wait_for_requests_paused().
 */
#ifndef TINYKVM_KVM_API_H
#define TINYKVM_KVM_API_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Where the program runs ------------------------------------------ */

/* The sandbox sets KVM_NAME, KVM_TYPE ("request" or "storage") and
 * KVM_DEBUG in the environment; a terminal run has none of them.  The
 * program includes <stdlib.h> and <string.h> to use these. */
#define IS_SANDBOXED_MAIN()	(getenv("KVM_NAME") != NULL)
#define IS_LINUX_MAIN()		(!IS_SANDBOXED_MAIN())
#define KVM_API_ENV_IS(name, value) \
	(getenv(name) != NULL && strcmp(getenv(name), value) == 0)
#define IS_STORAGE()		KVM_API_ENV_IS("KVM_TYPE", "storage")
#define IS_REQUEST()		KVM_API_ENV_IS("KVM_TYPE", "request")
#define IS_DEBUG()		KVM_API_ENV_IS("KVM_DEBUG", "1")

/* ---- Callbacks --------------------------------------------------------- */

/* Callback slots for register_func(). */
#define KVM_CB_GET		1
#define KVM_CB_POST		2
#define KVM_CB_REQUEST		3
#define KVM_CB_STREAM_POST	4
#define KVM_CB_ERROR		5
#define KVM_CB_LIVE_SERIALIZE	6
#define KVM_CB_LIVE_RESTORE	7
#define KVM_CB_SOCKET_PAUSE	12

/* Registers fn in a slot (KVM_CB_*); only before initialization ends. */
extern void register_func(int slot, ...);

/* One request header, "Key: value"; field_colon is the index of ':'. */
struct kvm_request_header {
	const char *field;
	uint32_t field_colon;
	uint32_t field_len;		/* of the whole "Key: value" */
};

/* Everything about a request, for the request callback and paused mode. */
struct kvm_request {
	const char *method;
	const char *url;
	const char *arg;
	const char *content_type;
	uint16_t method_len;
	uint16_t url_len;
	uint16_t arg_len;
	uint16_t content_type_len;
	const uint8_t *content;		/* request body, may be NULL */
	size_t content_len;
	struct kvm_request_header *headers;
	uint16_t num_headers;
	uint16_t info_flags;		/* KVM_REQ_IS_WARMUP */
	uint32_t reserved0;
	uint64_t prng[2];		/* fresh random bits per request */
	uint64_t reserved1[2];
};

#define KVM_REQ_IS_WARMUP	0x1
#define IS_WARMUP_REQUEST(req)	((req)->info_flags & KVM_REQ_IS_WARMUP)

static inline bool
is_warmup_request(const struct kvm_request *req)
{
	return (req->info_flags & KVM_REQ_IS_WARMUP) != 0;
}

static inline void
set_backend_get(void (*fn)(const char *url, const char *arg))
{
	register_func(KVM_CB_GET, fn);
}

static inline void
set_backend_post(void (*fn)(const char *url, const char *arg,
    const char *ctype, const uint8_t *data, size_t len))
{
	register_func(KVM_CB_POST, fn);
}

static inline void
set_backend_request(void (*fn)(const struct kvm_request *req))
{
	register_func(KVM_CB_REQUEST, fn);
}

/* Called with each piece of a POST body (at most 64 KiB, offset = bytes
 * before it) before on_post, which then gets data NULL and the total
 * length.  Returns len when it took the piece; anything else fails the
 * request.  It may respond already (for example 413). */
static inline void
set_backend_stream_post(long (*fn)(const char *url, const char *arg,
    const char *ctype, const uint8_t *data, size_t len, size_t offset))
{
	register_func(KVM_CB_STREAM_POST, fn);
}

/* Runs after a request failed, with about a second to answer instead of
 * the plain 500; exception says why the request failed. */
static inline void
set_on_error(void (*fn)(const char *url, const char *arg,
    const char *exception))
{
	register_func(KVM_CB_ERROR, fn);
}

/* State handed from a program to its replacement (live update): the old
 * program's on_live_update calls storage_return(data, len) (the run stops
 * there); the new program's on_live_restore(len) calls
 * storage_return(dst, dstlen), gets min(len, dstlen) bytes copied into
 * dst and runs on.  Both run in the storage VM when there is one. */
static inline void
set_on_live_update(void (*fn)(void))
{
	register_func(KVM_CB_LIVE_SERIALIZE, fn);
}

static inline void
set_on_live_restore(void (*fn)(size_t datalen))
{
	register_func(KVM_CB_LIVE_RESTORE, fn);
}

/* Ends initialization; requests then run the registered callbacks, each
 * on a fresh stack in a fresh copy of the program. */
extern void wait_for_requests(void) __attribute__((noreturn));
/* Ends initialization (first call), then returns once per request with
 * *req filled in. */
extern void wait_for_requests_paused(struct kvm_request *req);

/* ---- Responses ----------------------------------------------------------- */

/* An extra response header given to sys_backend_response. */
struct ResponseHeader {
	const char *field;		/* "Key: value" */
	size_t field_len;
};

/* Optional extras of a response: headers and cacheability. */
struct BackendResponseExtra {
	const struct ResponseHeader *headers;
	uint16_t num_headers;
	bool cached;
	float ttl;			/* seconds */
	float grace;
	float keep;
	uint64_t reserved[4];
};

/* Delivers the response and ends the request (status 200-599; extra may
 * be NULL). */
extern void sys_backend_response(int16_t status, const void *ctype,
    size_t ctype_len, const void *body, size_t body_len,
    const struct BackendResponseExtra *extra);

static inline void
backend_response(int16_t status, const void *ctype, size_t ctype_len,
    const void *body, size_t body_len)
{
	sys_backend_response(status, ctype, ctype_len, body, body_len, NULL);
}

static inline void
backend_response_str(int16_t status, const char *ctype, const char *body)
{
	sys_backend_response(status, ctype, __builtin_strlen(ctype), body,
	    __builtin_strlen(body), NULL);
}

static inline void
backend_response_extra(int16_t status, const void *ctype, size_t ctype_len,
    const void *body, size_t body_len, const struct BackendResponseExtra *extra)
{
	sys_backend_response(status, ctype, ctype_len, body, body_len, extra);
}

/* A streamed response: the host calls back for the body piece by piece,
 * cb(arg, max, written, total) each time, until total bytes (total 0:
 * until a chunk of len 0); docs/GUEST_API.md, "Streamed responses". */
struct streaming_content {
	const void *data;
	size_t len;
};
typedef struct streaming_content (*content_stream_func)(void *arg,
    size_t max, size_t written, size_t total);
extern void begin_streaming_response(int16_t status, const void *ctype,
    size_t ctype_len, size_t content_length, content_stream_func callback,
    const void *arg) __attribute__((noreturn));

/* ---- Header fields --------------------------------------------------------- */

/* Header sets: the request (bereq in a backend, req elsewhere) and the
 * response (beresp or resp).  In a backend the host also takes 4 for the
 * request and 5 for the response. */
static const int REQ = 0;
static const int RESP = 1;
static const int REQUEST = 0;
static const int RESPONSE = 1;
static const int BEREQ = 0;
static const int BERESP = 1;
#define HTTP_REQ	0
#define HTTP_RESP	1
/* The buffer http_appendf and http_setf format into. */
#define KVM_API_FMT_SIZE 4096
static const unsigned HTTP_FMT_SIZE = KVM_API_FMT_SIZE;

/* Appends "Key: value"; returns the new field's index (> 0), 0 when the
 * set is full.  A malformed field ends the request. */
extern long sys_http_append(int where, const char *field, size_t len);
/* Replaces the first field of that name (or appends): returns its index.
 * A bare key (no colon) removes the first field of that name and returns
 * the index it had, 0 when there was none. */
extern long sys_http_set(int where, const char *field, size_t len);
/* Copies the whole field "Key: value" named key into outb and returns its
 * length; 0 when there is none or outl is too small; with outb NULL,
 * returns the length it needs. */
extern unsigned sys_http_find(int where, const char *key, size_t key_len,
    char *outb, size_t outl);
/* The request method, like sys_http_find (outb NULL: the length). */
extern unsigned long sys_http_method(char *outb, size_t outl);

static inline void
http_append_str(int where, const char *field)
{
	sys_http_append(where, field, __builtin_strlen(field));
}

static inline void
http_set_str(int where, const char *field)
{
	sys_http_set(where, field, __builtin_strlen(field));
}

/* vsnprintf's result, or the bytes that fit when it was cut short. */
static inline size_t
kvm_api_fmt(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = __builtin_vsnprintf(buf, size, fmt, ap);

	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

static inline void
http_appendf(int where, const char *fmt, ...)
{
	char buf[KVM_API_FMT_SIZE];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	len = kvm_api_fmt(buf, sizeof buf, fmt, ap);
	va_end(ap);
	sys_http_append(where, buf, len);
}

static inline void
http_setf(int where, const char *fmt, ...)
{
	char buf[KVM_API_FMT_SIZE];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	len = kvm_api_fmt(buf, sizeof buf, fmt, ap);
	va_end(ap);
	sys_http_set(where, buf, len);
}

static inline long
http_unset(int where, const char *key, size_t len)
{
	return sys_http_set(where, key, len);
}

static inline long
http_unset_str(int where, const char *key)
{
	return sys_http_set(where, key, __builtin_strlen(key));
}

static inline unsigned
http_find_str(int where, const char *key, char *outb, size_t outl)
{
	return sys_http_find(where, key, __builtin_strlen(key), outb, outl);
}

/* The length of the field named key, 0 when there is none. */
static inline unsigned
http_find_strlen(int where, const char *key)
{
	return sys_http_find(where, key, __builtin_strlen(key), NULL, 0);
}

/* The helpers below allocate with the compiler's malloc built-in. */
#if defined(__GNUC__) && (__GNUC__ > 7 || defined(__clang__))
#define HAS_BUILTIN_MALLOC
#elif defined(__has_builtin)
#if __has_builtin(__builtin_malloc)
#define HAS_BUILTIN_MALLOC
#endif
#endif

#ifdef HAS_BUILTIN_MALLOC
/* A malloc'd, NUL-terminated copy of the field named key ("" if none). */
static inline const char *
http_alloc_find(int where, const char *key)
{
	const size_t klen = __builtin_strlen(key);
	unsigned len = sys_http_find(where, key, klen, NULL, 0);
	char *s = (char *)__builtin_malloc(len + 1);

	if (s == NULL)
		return NULL;
	if (len > 0 && sys_http_find(where, key, klen, s, len) != len)
		len = 0;
	s[len] = '\0';
	return s;
}

/* A malloc'd, NUL-terminated copy of the request method. */
static inline const char *
http_alloc_method(void)
{
	unsigned long len = sys_http_method(NULL, 0);
	char *s = (char *)__builtin_malloc(len + 1);

	if (s == NULL)
		return NULL;
	if (len > 0 && sys_http_method(s, len) != len)
		len = 0;
	s[len] = '\0';
	return s;
}
#endif

/* ---- Regular expressions (Varnish's flavour: PCRE2) ------------------ */

/* Compiles pattern; returns a handle (>= 0).  Compiling the same pattern
 * again returns the same handle; a bad pattern, or more than 64 handles,
 * ends the request.  Handles made during initialization stay valid in
 * every request; those made in a request are gone after it. */
extern int sys_regex_compile(const char *pattern, size_t len);
extern void sys_regex_free(int handle);
/* > 0 when subject matches, negative when it does not. */
extern int sys_regex_match(int handle, const char *subject, size_t len);
/* Replaces the first match in the string buf (every match with flags 0x1)
 * by subst, where \0 .. \9 stand for the groups; writes the result and its
 * NUL (cut to dstlen) to dst and returns the bytes written, or -1. */
extern long sys_regex_subst(int handle, const char *buf, const char *subst,
    char *dst, size_t dstlen, int flags);
/* Appends to set dst every field of set src that matches; returns how
 * many. */
extern int sys_regex_copyto(int handle, int src, int dst);

/* ---- Caching ------------------------------------------------------------- */

/* Cacheability and durations in milliseconds. */
extern long sys_set_cacheable(bool cached, long ttl_ms, long grace_ms,
    long keep_ms);

/* The same in seconds. */
static inline long
set_cacheable(bool cached, float ttl, float grace, float keep)
{
	return sys_set_cacheable(cached, (long)(ttl * 1000), (long)(grace * 1000),
	    (long)(keep * 1000));
}

/* ---- Storage (not served by this host yet: the request fails) ---------- */

struct virtbuffer {
	const void *data;
	size_t len;
};

/* A storage function: n buffers in, room for res bytes of result. */
typedef void (*storage_func)(size_t n, struct virtbuffer buffers[],
    size_t res);
typedef void (*storage_task_func)(void *data, size_t len);

/* 1 in the storage VM, 0 in a request VM. */
extern int sys_is_storage(void);
extern long storage_callv(storage_func fn, size_t n,
    const struct virtbuffer buffers[], void *dst, size_t dstlen);
extern long sys_storage_task(storage_task_func fn, const void *data,
    size_t len, uint64_t start_ms, uint64_t period_ms);
extern long stop_storage_task(long task);
/* From a storage function: hands data back, then the function goes on. */
extern void storage_return(const void *data, size_t len);
/* The same, but the storage function never continues. */
extern void storage_noreturn(const void *data, size_t len)
    __attribute__((noreturn));
/* Limits which functions storage_callv may run (-1 outside storage). */
extern long sys_storage_allow(void (*fn)(void));
#define STORAGE_ALLOW(fn) sys_storage_allow((void (*)(void))(fn))

static inline long
storage_call(storage_func fn, const void *src, size_t len, void *dst,
    size_t dstlen)
{
	const struct virtbuffer one = { src, len };

	return storage_callv(fn, 1, &one, dst, dstlen);
}

static inline long
storage_task(storage_task_func fn, const void *data, size_t len)
{
	return sys_storage_task(fn, data, len, 0, 0);
}

/* start and period in seconds. */
static inline long
schedule_storage_task(storage_task_func fn, const void *data, size_t len,
    float start, float period)
{
	return sys_storage_task(fn, data, len, (uint64_t)(start * 1000),
	    (uint64_t)(period * 1000));
}

static inline void
storage_return_nothing(void)
{
	storage_return(NULL, 0);
}

/* ---- Extra vCPUs (not served by this host yet: the request fails) ----- */

typedef void (*multiprocess_t)(void *arg);
typedef void (*multiprocess_array_t)(int vcpu, void *array,
    size_t element_size);
/* n is the total vCPU count, including the calling one. */
extern long multiprocess(size_t n, multiprocess_t fn, void *arg);
extern long multiprocess_array(size_t n, multiprocess_array_t fn,
    void *array, size_t element_size);
extern long multiprocess_clone(size_t n, void *stack_base, size_t stack_size);
/* Waits for the extra vCPUs; 0 at once when none run. */
extern long multiprocess_wait(void);
/* The vCPU and request VM numbers, read without leaving the VM. */
extern int vcpuid(void) __attribute__((const));
extern int vcpureqid(void);

/* ---- Shared memory ------------------------------------------------------- */

/* [ptr, end): memory every VM of the program sees; both 0 when none. */
struct shared_memory_info {
	uint64_t ptr;
	uint64_t end;
};
extern struct shared_memory_info shared_memory_area(void);

/* A bump allocator over the shared area: NULL once it is used up. */
static inline void *
internal_shm_alloc(size_t size, size_t align)
{
	static struct shared_memory_info area;
	uint64_t p;

	if (area.ptr == 0)
		area = shared_memory_area();
	p = (area.ptr + (align - 1)) & ~(uint64_t)(align - 1);
	area.ptr = p + size;
	return p + size <= area.end ? (void *)(uintptr_t)p : NULL;
}

#define SHM_ALLOC_BYTES(n)	internal_shm_alloc((n), 8)
#ifdef __cplusplus
#define SHM_ALLOC_TYPE(T)	((T *)internal_shm_alloc(sizeof(T), alignof(T)))
#define SHM_ALLOC(x)		((decltype(x) *)internal_shm_alloc(sizeof(x), alignof(x)))
#else
#define SHM_ALLOC_TYPE(T)	((T *)internal_shm_alloc(sizeof(T), _Alignof(T)))
#define SHM_ALLOC(x)		((typeof(x) *)internal_shm_alloc(sizeof(x), _Alignof(x)))
#endif

/* ---- Memory, logging, debugging ------------------------------------------ */

/* Whether request VMs are reset after each request: 0 when the program's
 * settings allow the program to choose (control_ephemeral), -1 if not. */
extern int sys_make_ephemeral(int ephemeral);

struct meminfo {
	uint64_t max_memory;	/* bytes of guest memory */
	uint64_t max_reqmem;	/* bytes a request may dirty */
	uint64_t reqmem_upper;	/* most ever dirtied by a request */
	uint64_t reqmem_current; /* dirtied so far in this request */
};
extern void get_meminfo(struct meminfo *info);

/* To the Varnish log (stderr under tinykvm-run). */
extern void sys_log(const char *text, size_t len);

static inline void
vlogf(const char *fmt, ...)
{
	static const char cut[] = "vlogf: message longer than 2047 bytes, not logged";
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = __builtin_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof buf)
		sys_log(buf, (size_t)n);
	else
		sys_log(cut, sizeof cut - 1);
}

/* 1 for a program uploaded for debugging; this host has none: 0. */
extern int sys_is_debug(void);
/* Opens remote debugging in a debug program; elsewhere it does nothing. */
extern void sys_breakpoint(void);

/* ---- HTTP requests made by the host ------------------------------------- */

struct curl_op {
	uint32_t status;
	uint32_t post_buflen;		/* POST when non-zero */
	const void *post_buffer;
	char *headers;
	uint32_t headers_length;
	uint32_t unused1;
	void *content;			/* the response body, host-allocated */
	uint32_t content_length;
	uint32_t ctlen;
	char ctype[128];
};

#define CURL_FIELDS_COUNT 12u
/* Extra request headers, "Key: value". */
struct curl_fields {
	const char *ptr[CURL_FIELDS_COUNT];
	uint16_t len[CURL_FIELDS_COUNT];
};
#define CURL_SETFIELD(f, idx, value) \
	{ (f).ptr[idx] = (value); (f).len[idx] = __builtin_strlen(value); }

struct curl_options {
	const char *interface;
	const char *unused;
	int8_t follow_location;
	int8_t dummy_fetch;
	int8_t tcp_fast_open;
	int8_t dont_verify_host;
	uint32_t unused_opt5;
};

/* Fetches url (fields and opts may be NULL); 0, or non-zero on failure. */
extern long sys_fetch(const char *url, size_t url_len, struct curl_op *op,
    struct curl_fields *fields, struct curl_options *opts);
/* The same, as a request into Varnish itself. */
extern long sys_request(const char *url, size_t url_len, struct curl_op *op,
    struct curl_fields *fields, struct curl_options *opts);

/* ---- Sockets (not served by this host yet) ------------------------------ */

enum SocketEvent {
	SOCKET_CONNECT = 0,
	SOCKET_READ,
	SOCKET_WRITABLE,
	SOCKET_DISCONNECT,
};

struct kvm_socket_event {
	int fd;
	enum SocketEvent event;
	const char *remote;
	const char *arg;
	const uint8_t *data;
	size_t data_len;
};

static inline void
set_socket_prepare_for_pause(void (*fn)(int fd))
{
	register_func(KVM_CB_SOCKET_PAUSE, fn);
}

/* Shares its call number with wait_for_requests_paused. */
extern int wait_for_socket_events_paused(struct kvm_socket_event *events,
    size_t n);
extern void sys_sockets_write(struct kvm_socket_event *events, size_t n);

static inline void
wait_for_socket_event_paused(struct kvm_socket_event *event)
{
	wait_for_socket_events_paused(event, 1);
}

/* ---- Utilities ------------------------------------------------------------ */

/* Puts a file's bytes in the program: name[] and name_size (unaligned). */
#define EMBED_BINARY(name, filename) \
	__asm__(".pushsection .rodata\n" \
	    ".global " #name "\n" #name ":\n" \
	    "\t.incbin " #filename "\n" #name "_end:\n\t.int 0\n" \
	    ".global " #name "_size\n.type " #name "_size, @object\n" \
	    "\t.align 4\n" #name "_size:\n\t.int " #name "_end - " #name "\n" \
	    ".popsection\n"); \
	extern char name[]; \
	extern unsigned name##_size;

/* A guest address as a pointer. */
#define TRUST_ME(ptr)	((void *)(uintptr_t)(ptr))

/* ---- The call stubs ------------------------------------------------------- */

/*
 * KVM_API_CALL defines a function that puts its number in eax and leaves
 * through port 0; the host puts the result in rax.  The NORETURN kind
 * never comes back.  The stubs are emitted by every translation unit that
 * includes this header; in a program of several files, define
 * KVM_API_ALREADY_DEFINED (or KVM_API_NO_IMPLEMENTATION) before including
 * it in all files but one.
 */
#define KVM_API_STR2(x) #x
#define KVM_API_STR(x) KVM_API_STR2(x)
#define KVM_API_CALL(name, number) \
	__asm__(".pushsection .text\n.global " #name "\n.type " #name ", @function\n" \
	    #name ":\n\tmov $" KVM_API_STR(number) ", %eax\n\tout %eax, $0\n\tret\n" \
	    ".size " #name ", . - " #name "\n.popsection\n")
#define KVM_API_CALL_NORETURN(name, number) \
	__asm__(".pushsection .text\n.global " #name "\n.type " #name ", @function\n" \
	    #name ":\n\tmov $" KVM_API_STR(number) ", %eax\n\tout %eax, $0\n\tud2\n" \
	    ".size " #name ", . - " #name "\n.popsection\n")
/* A 32-bit value at %gs:offset, without leaving the VM. */
#define KVM_API_GS_READ(name, offset) \
	__asm__(".pushsection .text\n.global " #name "\n.type " #name ", @function\n" \
	    #name ":\n\tmovl %gs:" #offset ", %eax\n\tret\n" \
	    ".size " #name ", . - " #name "\n.popsection\n")

#if !defined(KVM_API_ALREADY_DEFINED) && !defined(KVM_API_NO_IMPLEMENTATION)
KVM_API_CALL(register_func, 0x10000);
KVM_API_CALL_NORETURN(wait_for_requests, 0x10001);
KVM_API_CALL(wait_for_requests_paused, 0x10002);
KVM_API_CALL(wait_for_socket_events_paused, 0x10002);
KVM_API_CALL(sys_set_cacheable, 0x10005);
KVM_API_CALL(sys_backend_response, 0x10010);
KVM_API_CALL(storage_return, 0x10011);
KVM_API_CALL_NORETURN(begin_streaming_response, 0x10012);
KVM_API_CALL_NORETURN(storage_noreturn, 0x10013);
KVM_API_CALL(sys_http_append, 0x10020);
KVM_API_CALL(sys_http_set, 0x10021);
KVM_API_CALL(sys_http_find, 0x10022);
KVM_API_CALL(sys_http_method, 0x10023);
KVM_API_CALL(sys_regex_compile, 0x10030);
KVM_API_CALL(sys_regex_free, 0x10031);
KVM_API_CALL(sys_regex_match, 0x10032);
KVM_API_CALL(sys_regex_subst, 0x10033);
KVM_API_CALL(sys_regex_copyto, 0x10035);
KVM_API_CALL(sys_sockets_write, 0x10500);
KVM_API_CALL(shared_memory_area, 0x10700);
KVM_API_CALL(sys_make_ephemeral, 0x10703);
KVM_API_CALL(sys_is_storage, 0x10706);
KVM_API_CALL(sys_storage_allow, 0x10707);
KVM_API_CALL(storage_callv, 0x10708);
KVM_API_CALL(sys_storage_task, 0x10709);
KVM_API_CALL(stop_storage_task, 0x1070A);
KVM_API_CALL(multiprocess, 0x10710);
KVM_API_CALL(multiprocess_array, 0x10711);
KVM_API_CALL(multiprocess_clone, 0x10712);
KVM_API_CALL(multiprocess_wait, 0x10713);
KVM_API_GS_READ(vcpuid, 0);
KVM_API_GS_READ(vcpureqid, 4);
KVM_API_CALL(get_meminfo, 0x10A00);
KVM_API_CALL(sys_fetch, 0x20000);
KVM_API_CALL(sys_request, 0x20001);
KVM_API_CALL(sys_log, 0x7F000);
KVM_API_CALL(sys_is_debug, 0x7FDEB);
KVM_API_CALL(sys_breakpoint, 0x7F7F7);
#endif

#ifdef __cplusplus
}
#endif
#endif
