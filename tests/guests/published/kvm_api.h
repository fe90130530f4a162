/*
 * A second guest header, written for the tests from the published
 * prototypes (their types, argument order and call numbers), independent
 * of engine/include/tinykvm/kvm_api.h: its stubs are naked C functions
 * instead of file-level assembly.  A program built against it and against
 * ours must behave the same under our host (tests/requests/compat_calls.sh,
 * tests/vmod/compat_calls.vtc).  Only the calls and helpers those tests
 * use have bodies here; the rest are declared.
 */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEST_STUB(ret, name, number, ...) \
	__attribute__((naked, noinline, used)) ret name(__VA_ARGS__) \
	{ __asm__ volatile("movl $" #number ", %eax\n\toutl %eax, $0\n\tret"); }
/* The two published stubs that end without `ret`: a host returning into
 * them would run whatever follows (here a trap). */
#define TEST_STUB_NORET(name, number, ...) \
	__attribute__((naked, noinline, used)) void name(__VA_ARGS__) \
	{ __asm__ volatile("movl $" #number ", %eax\n\toutl %eax, $0\n\tint3"); }

struct kvm_request_header {
	const char *field;
	uint32_t field_colon, field_len;
};
struct kvm_request {
	const char *method, *url, *arg, *content_type;
	uint16_t method_len, url_len, arg_len, content_type_len;
	const uint8_t *content;
	size_t content_len;
	struct kvm_request_header *headers;
	uint16_t num_headers, info_flags;
	uint32_t reserved0;
	uint64_t prng[2], reserved1[2];
};
struct ResponseHeader {
	const char *field;
	size_t field_len;
};
struct BackendResponseExtra {
	const struct ResponseHeader *headers;
	uint16_t num_headers;
	bool cached;
	float ttl, grace, keep;
	uint64_t reserved[4];
};
struct virtbuffer {
	const void *data;
	size_t len;
};
struct meminfo {
	uint64_t max_memory, max_reqmem, reqmem_upper, reqmem_current;
};
struct shared_memory_info {
	uint64_t ptr, end;
};

/* Header sets, as the published header names them. */
static const int REQ = 0, RESP = 1, BEREQ = 0, BERESP = 1;

void register_func(int, ...);
void wait_for_requests();
void wait_for_requests_paused(struct kvm_request *);
long sys_set_cacheable(bool, long, long, long);
void sys_backend_response(int16_t, const void *, size_t, const void *, size_t,
    const struct BackendResponseExtra *);
long sys_http_append(int, const char *, size_t);
long sys_http_set(int, const char *, size_t);
unsigned sys_http_find(int, const char *, size_t, char *, size_t);
unsigned long sys_http_method(char *, size_t);
int sys_regex_compile(const char *, size_t);
void sys_regex_free(int);
int sys_regex_match(int, const char *, size_t);
long sys_regex_subst(int, const char *, const char *, char *, size_t, int);
int sys_regex_copyto(int, int, int);
void sys_log(const char *, size_t);
int sys_is_storage();
long storage_callv(void (*)(size_t, struct virtbuffer[], size_t), size_t,
    const struct virtbuffer[], void *, size_t);
void storage_return(const void *, size_t);
long multiprocess(size_t, void (*)(void *), void *);
long multiprocess_wait();
struct shared_memory_info shared_memory_area();
int sys_make_ephemeral(int);
void get_meminfo(struct meminfo *);
int sys_is_debug();
int vcpuid();
struct streaming_content {
	const void *data;
	size_t len;
};
typedef struct streaming_content (*content_stream_func)(void *, size_t,
    size_t, size_t);
void begin_streaming_response(int16_t, const void *, size_t, size_t,
    content_stream_func, const void *) __attribute__((noreturn));
void storage_noreturn(const void *, size_t) __attribute__((noreturn));

static inline void
set_backend_get(void (*f)(const char *, const char *))
{
	register_func(1, f);
}

static inline void
set_on_error(void (*f)(const char *, const char *, const char *))
{
	register_func(5, f);
}

static inline void
backend_response_str(int16_t status, const char *ctype, const char *body)
{
	sys_backend_response(status, ctype, __builtin_strlen(ctype), body,
	    __builtin_strlen(body), (const struct BackendResponseExtra *)0);
}

#ifndef KVM_API_ALREADY_DEFINED
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
TEST_STUB(void, register_func, 0x10000, int a, ...)
TEST_STUB(void, wait_for_requests, 0x10001, void)
TEST_STUB(void, wait_for_requests_paused, 0x10002, struct kvm_request *a)
TEST_STUB(long, sys_set_cacheable, 0x10005, bool a, long b, long c, long d)
TEST_STUB(void, sys_backend_response, 0x10010, int16_t a, const void *b,
    size_t c, const void *d, size_t e, const struct BackendResponseExtra *f)
TEST_STUB(long, sys_http_append, 0x10020, int a, const char *b, size_t c)
TEST_STUB(long, sys_http_set, 0x10021, int a, const char *b, size_t c)
TEST_STUB(unsigned, sys_http_find, 0x10022, int a, const char *b, size_t c,
    char *d, size_t e)
TEST_STUB(unsigned long, sys_http_method, 0x10023, char *a, size_t b)
TEST_STUB(int, sys_regex_compile, 0x10030, const char *a, size_t b)
TEST_STUB(void, sys_regex_free, 0x10031, int a)
TEST_STUB(int, sys_regex_match, 0x10032, int a, const char *b, size_t c)
TEST_STUB(long, sys_regex_subst, 0x10033, int a, const char *b,
    const char *c, char *d, size_t e, int f)
TEST_STUB(int, sys_regex_copyto, 0x10035, int a, int b, int c)
TEST_STUB(void, sys_log, 0x7F000, const char *a, size_t b)
TEST_STUB(int, sys_is_storage, 0x10706, void)
TEST_STUB(long, storage_callv, 0x10708,
    void (*a)(size_t, struct virtbuffer[], size_t), size_t b,
    const struct virtbuffer c[], void *d, size_t e)
TEST_STUB(void, storage_return, 0x10011, const void *a, size_t b)
TEST_STUB(long, multiprocess, 0x10710, size_t a, void (*b)(void *), void *c)
TEST_STUB(long, multiprocess_wait, 0x10713, void)
TEST_STUB(struct shared_memory_info, shared_memory_area, 0x10700, void)
TEST_STUB(int, sys_make_ephemeral, 0x10703, int a)
TEST_STUB(void, get_meminfo, 0x10A00, struct meminfo *a)
TEST_STUB(int, sys_is_debug, 0x7FDEB, void)
TEST_STUB_NORET(begin_streaming_response, 0x10012, int16_t a, const void *b,
    size_t c, size_t d, content_stream_func e, const void *f)
TEST_STUB_NORET(storage_noreturn, 0x10013, const void *a, size_t b)
__attribute__((naked, noinline, used)) int
vcpuid(void)
{
	__asm__ volatile("movl %gs:0, %eax\n\tret");
}
#pragma GCC diagnostic pop
#endif
