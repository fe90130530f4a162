/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Redeclares, after our header, every function, helper, typedef and
 * constant of the published guest header with the published types: any
 * signature of ours that differs makes this file fail to compile (C and
 * C++).  Compiled by tests/requests/compat_header.sh.
 */
#include <tinykvm/kvm_api.h>

#ifdef __cplusplus
#define SAME_TYPE(x, T) static_assert(sizeof(x) == sizeof(T) && \
	__is_same(__typeof__(x), T), #x)
#else
#define SAME_TYPE(x, T) _Static_assert( \
	__builtin_types_compatible_p(__typeof__(x), T), #x)
#endif

SAME_TYPE(REQ, const int);
SAME_TYPE(RESP, const int);
SAME_TYPE(REQUEST, const int);
SAME_TYPE(RESPONSE, const int);
SAME_TYPE(BEREQ, const int);
SAME_TYPE(BERESP, const int);
SAME_TYPE(HTTP_FMT_SIZE, const unsigned);

typedef struct streaming_content (*content_stream_func)(void *, size_t,
    size_t, size_t);
typedef void (*storage_func)(size_t, struct virtbuffer[], size_t);
typedef void (*storage_task_func)(void *, size_t);
typedef void (*multiprocess_t)(void *);
typedef void (*multiprocess_array_t)(int, void *, size_t);

extern void register_func(int, ...);
extern void wait_for_requests(void);
extern void wait_for_requests_paused(struct kvm_request *);
extern void sys_backend_response(int16_t, const void *, size_t, const void *,
    size_t, const struct BackendResponseExtra *);
extern void begin_streaming_response(int16_t, const void *, size_t, size_t,
    content_stream_func, const void *);
extern long sys_http_append(int, const char *, size_t);
extern long sys_http_set(int, const char *, size_t);
extern unsigned sys_http_find(int, const char *, size_t, char *, size_t);
extern unsigned long sys_http_method(char *, size_t);
extern int sys_regex_compile(const char *, size_t);
extern void sys_regex_free(int);
extern int sys_regex_match(int, const char *, size_t);
extern long sys_regex_subst(int, const char *, const char *, char *, size_t,
    int);
extern int sys_regex_copyto(int, int, int);
extern long sys_set_cacheable(bool, long, long, long);
extern int sys_is_storage(void);
extern long storage_callv(storage_func, size_t, const struct virtbuffer[],
    void *, size_t);
extern long sys_storage_task(storage_task_func, const void *, size_t,
    uint64_t, uint64_t);
extern long stop_storage_task(long);
extern void storage_return(const void *, size_t);
extern void storage_noreturn(const void *, size_t);
extern long sys_storage_allow(void (*)(void));
extern long multiprocess(size_t, multiprocess_t, void *);
extern long multiprocess_array(size_t, multiprocess_array_t, void *, size_t);
extern long multiprocess_clone(size_t, void *, size_t);
extern long multiprocess_wait(void);
extern int vcpuid(void);
extern struct shared_memory_info shared_memory_area(void);
extern int sys_make_ephemeral(int);
extern void get_meminfo(struct meminfo *);
extern void sys_log(const char *, size_t);
extern int sys_is_debug(void);
extern void sys_breakpoint(void);
extern long sys_fetch(const char *, size_t, struct curl_op *,
    struct curl_fields *, struct curl_options *);
extern long sys_request(const char *, size_t, struct curl_op *,
    struct curl_fields *, struct curl_options *);
extern int wait_for_socket_events_paused(struct kvm_socket_event *, size_t);
extern void sys_sockets_write(struct kvm_socket_event *, size_t);

static inline void set_backend_get(void (*)(const char *, const char *));
static inline void set_backend_post(void (*)(const char *, const char *,
    const char *, const uint8_t *, size_t));
static inline void set_backend_request(void (*)(const struct kvm_request *));
static inline void set_backend_stream_post(long (*)(const char *,
    const char *, const char *, const uint8_t *, size_t, size_t));
static inline void set_on_error(void (*)(const char *, const char *,
    const char *));
static inline void set_on_live_update(void (*)(void));
static inline void set_on_live_restore(void (*)(size_t));
static inline void backend_response(int16_t, const void *, size_t,
    const void *, size_t);
static inline void backend_response_str(int16_t, const char *, const char *);
static inline void backend_response_extra(int16_t, const void *, size_t,
    const void *, size_t, const struct BackendResponseExtra *);
static inline void http_append_str(int, const char *);
static inline void http_appendf(int, const char *, ...);
static inline void http_set_str(int, const char *);
static inline void http_setf(int, const char *, ...);
static inline long http_unset_str(int, const char *);
static inline long http_unset(int, const char *, size_t);
static inline unsigned http_find_str(int, const char *, char *, size_t);
static inline unsigned http_find_strlen(int, const char *);
static inline const char *http_alloc_find(int, const char *);
static inline const char *http_alloc_method(void);
static inline long set_cacheable(bool, float, float, float);
static inline long storage_call(storage_func, const void *, size_t, void *,
    size_t);
static inline long storage_task(storage_task_func, const void *, size_t);
static inline long schedule_storage_task(storage_task_func, const void *,
    size_t, float, float);
static inline void storage_return_nothing(void);
static inline void *internal_shm_alloc(size_t, size_t);
static inline void vlogf(const char *, ...);
static inline void set_socket_prepare_for_pause(void (*)(int));
static inline void wait_for_socket_event_paused(struct kvm_socket_event *);

#if !defined(IS_SANDBOXED_MAIN) || !defined(IS_LINUX_MAIN) || \
    !defined(IS_STORAGE) || !defined(IS_REQUEST) || !defined(IS_DEBUG) || \
    !defined(IS_WARMUP_REQUEST) || !defined(HAS_BUILTIN_MALLOC) || \
    !defined(SHM_ALLOC_BYTES) || !defined(SHM_ALLOC_TYPE) || \
    !defined(SHM_ALLOC) || !defined(STORAGE_ALLOW) || \
    !defined(CURL_FIELDS_COUNT) || !defined(CURL_SETFIELD) || \
    !defined(EMBED_BINARY) || !defined(TRUST_ME)
#error a published macro is missing
#endif

int protos_checked(void);

int
protos_checked(void)
{
	return SOCKET_CONNECT + SOCKET_READ + SOCKET_WRITABLE + SOCKET_DISCONNECT;
}
