/*
 * kvm_api.h: the guest side of TinyKVM.  Include it in a program that
 * serves requests from Varnish, build the program with `gcc -static` (or
 * -static-pie, or musl-gcc), and it runs unmodified on this project and on
 * the published TinyKVM VMOD.  The numbers and layouts below are a fixed
 * binary contract; every call is a three-instruction stub that leaves the
 * VM with `out` on port 0, the call number in eax and arguments in the
 * System V registers.
 *
 * A program registers callbacks, then calls wait_for_requests(): the host
 * freezes the initialized program there and runs each request in a fresh
 * copy of it.  Alternatively it loops on wait_for_requests_paused().
 */
#ifndef TINYKVM_KVM_API_H
#define TINYKVM_KVM_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Callback slots for register_func(). */
#define KVM_CB_GET		1
#define KVM_CB_POST		2
#define KVM_CB_REQUEST		3
#define KVM_CB_STREAM_POST	4
#define KVM_CB_ERROR		5
#define KVM_CB_LIVE_SERIALIZE	6
#define KVM_CB_LIVE_RESTORE	7
#define KVM_CB_SOCKET_PAUSE	12

/* Header sets for the sys_http_* calls. */
#define HTTP_REQ	0	/* the request (bereq or req) */
#define HTTP_RESP	1	/* the response (beresp or resp) */

/* kvm_request.info_flags */
#define KVM_REQ_IS_WARMUP	0x1

/* One request header, "Key: value"; field_colon is the index of ':'. */
struct kvm_request_header {
	const char *field;
	uint32_t field_colon;
	uint32_t field_len;
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

/* An extra response header given to sys_backend_response. */
struct ResponseHeader {
	const char *field;
	size_t field_len;
};

/* Optional extras of a response: headers and cacheability. */
struct BackendResponseExtra {
	const struct ResponseHeader *headers;
	uint16_t num_headers;
	bool cached;
	float ttl;		/* seconds */
	float grace;
	float keep;
	uint64_t reserved[4];
};

struct streaming_content {
	const void *data;
	size_t len;
};

struct virtbuffer {
	const void *data;
	size_t len;
};

struct meminfo {
	uint64_t max_memory;	/* bytes of guest memory */
	uint64_t max_reqmem;	/* bytes a request may dirty */
	uint64_t reqmem_upper;	/* most ever dirtied by a request */
	uint64_t reqmem_current; /* dirtied so far in this request */
};

struct shared_memory_info {
	uint64_t ptr, end;
};

struct curl_op {
	uint32_t status;
	uint32_t post_buflen;
	const void *post_buffer;
	char *headers;
	uint32_t headers_length;
	uint32_t unused1;
	void *content;
	uint32_t content_length;
	uint32_t ctlen;
	char ctype[128];
};

struct curl_fields {
	const char *ptr[12];
	uint16_t len[12];
};

struct curl_options {
	const char *interface;
	const char *unused;
	int8_t follow_location;
	int8_t dummy_fetch;
	int8_t tcp_fast_open;
	int8_t dont_verify_host;
	uint32_t unused_opt5;
};

/*
 * The call stubs.  KVM_API_CALL defines a function that puts its number in
 * eax and leaves through port 0; the host puts the result in rax.
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

/* Registers a callback (KVM_CB_*); only before initialization ends. */
extern void register_func(int index, ...);
/* Ends initialization; requests then run the registered callbacks. */
extern void wait_for_requests(void) __attribute__((noreturn));
/* Ends initialization (first call), then returns once per request. */
extern long wait_for_requests_paused(struct kvm_request *req);

extern void sys_set_cacheable(bool cached, long ttl_ms, long grace_ms,
    long keep_ms);
/* Delivers the response and ends the request (status 200-599). */
extern void sys_backend_response(int16_t status, const void *ctype,
    size_t ctype_len, const void *body, size_t body_len,
    const struct BackendResponseExtra *extra);
extern void storage_return(const void *data, size_t len);
extern void begin_streaming_response(int16_t status, const void *ctype,
    size_t ctype_len, size_t content_length,
    struct streaming_content (*callback)(void *, size_t, size_t, size_t),
    void *arg) __attribute__((noreturn));
extern void storage_noreturn(const void *data, size_t len)
    __attribute__((noreturn));

extern long sys_http_append(int where, const char *field, size_t len);
extern long sys_http_set(int where, const char *field, size_t len);
extern long sys_http_find(int where, const char *key, size_t key_len,
    char *outb, size_t outl);
extern long sys_http_method(char *outb, size_t outl);

extern long sys_regex_compile(const char *pattern, size_t len);
extern void sys_regex_free(long handle);
extern long sys_regex_match(long handle, const char *subject, size_t len);
extern long sys_regex_subst(long handle, const char *buf, const char *subst,
    char *dst, size_t dstlen, int flags);
extern long sys_regex_copyto(long handle, int src_where, int dst_where);

extern long sys_sockets_write(const void *events, size_t n);

/* [rax, rdx): memory shared by every VM of the program. */
extern struct shared_memory_info shared_memory_area(void);
extern long sys_make_ephemeral(int ephemeral);
extern long sys_is_storage(void);
extern long sys_storage_allow(void (*fn)(void));
extern long storage_callv(void (*fn)(size_t, struct virtbuffer *, size_t),
    size_t n, const struct virtbuffer *bufs, void *dst, size_t dstlen);
extern long sys_storage_task(void (*fn)(void *, size_t), const void *data,
    size_t len, uint64_t start_ms, uint64_t period_ms);
extern long stop_storage_task(long id);
extern long multiprocess(unsigned n, void (*fn)(void *), void *arg,
    size_t stack_size);
extern long multiprocess_array(unsigned n, void (*fn)(void *), void *array,
    size_t element_size);
extern long multiprocess_clone(unsigned n, void (*fn)(void *), void *arg);
extern long multiprocess_wait(void);
extern long get_meminfo(struct meminfo *info);

extern long sys_fetch(const char *url, size_t url_len, struct curl_op *op,
    const struct curl_fields *fields, const struct curl_options *opts);
extern long sys_request(const char *url, size_t url_len, struct curl_op *op,
    const struct curl_fields *fields, const struct curl_options *opts);

extern void sys_log(const char *text, size_t len);
extern long sys_is_debug(void);
extern void sys_breakpoint(void);

/* The vCPU and request VM numbers, read without leaving the VM. */
static inline int
vcpuid(void)
{
	int id;
	__asm__ volatile("movl %%gs:0, %0" : "=r"(id));
	return id;
}

static inline int
vcpureqid(void)
{
	int id;
	__asm__ volatile("movl %%gs:4, %0" : "=r"(id));
	return id;
}

/* Convenience wrappers. */
static inline void
set_backend_get(void (*fn)(const char *, const char *))
{
	register_func(KVM_CB_GET, fn);
}

static inline void
set_backend_post(void (*fn)(const char *, const char *, const char *,
    const uint8_t *, size_t))
{
	register_func(KVM_CB_POST, fn);
}

static inline void
set_backend_request(void (*fn)(const struct kvm_request *))
{
	register_func(KVM_CB_REQUEST, fn);
}

static inline void
set_on_error(void (*fn)(const char *, const char *, const char *))
{
	register_func(KVM_CB_ERROR, fn);
}

static inline void
backend_response(int16_t status, const void *ctype, size_t ctype_len,
    const void *body, size_t body_len)
{
	sys_backend_response(status, ctype, ctype_len, body, body_len, NULL);
}

static inline void
backend_response_str(int16_t status, const char *ctype, const char *body)
{
	size_t cl = 0, bl = 0;

	while (ctype[cl] != '\0')
		cl++;
	while (body[bl] != '\0')
		bl++;
	sys_backend_response(status, ctype, cl, body, bl, NULL);
}

static inline void
http_append_str(int where, const char *field)
{
	size_t len = 0;

	while (field[len] != '\0')
		len++;
	sys_http_append(where, field, len);
}

static inline bool
is_warmup_request(const struct kvm_request *req)
{
	return (req->info_flags & KVM_REQ_IS_WARMUP) != 0;
}

/*
 * The stubs are emitted by every translation unit that includes this
 * header, which suits the usual one-file program.  In a program of several
 * files, define KVM_API_NO_IMPLEMENTATION before including it in all files
 * but one.
 */
#ifndef KVM_API_NO_IMPLEMENTATION
KVM_API_CALL(register_func, 0x10000);
KVM_API_CALL_NORETURN(wait_for_requests, 0x10001);
KVM_API_CALL(wait_for_requests_paused, 0x10002);
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
