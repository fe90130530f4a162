# SPDX-License-Identifier: BSD-2-Clause
# kvm_api.h matches docs/GUEST_API.md: struct sizes and offsets, and each call
# stub puts the documented number in eax before `out %eax, $0`.
. "$(dirname "$0")/../lib/common.sh"

cat > "$WORK/layout.c" <<'SRC'
#include <stddef.h>
#include <tinykvm/kvm_api.h>
#define CHECK(c) _Static_assert(c, #c)
CHECK(sizeof(struct kvm_request_header) == 16);
CHECK(sizeof(struct kvm_request) == 104);
CHECK(offsetof(struct kvm_request, method) == 0);
CHECK(offsetof(struct kvm_request, url) == 8);
CHECK(offsetof(struct kvm_request, arg) == 16);
CHECK(offsetof(struct kvm_request, content_type) == 24);
CHECK(offsetof(struct kvm_request, method_len) == 32);
CHECK(offsetof(struct kvm_request, url_len) == 34);
CHECK(offsetof(struct kvm_request, arg_len) == 36);
CHECK(offsetof(struct kvm_request, content_type_len) == 38);
CHECK(offsetof(struct kvm_request, content) == 40);
CHECK(offsetof(struct kvm_request, content_len) == 48);
CHECK(offsetof(struct kvm_request, headers) == 56);
CHECK(offsetof(struct kvm_request, num_headers) == 64);
CHECK(offsetof(struct kvm_request, info_flags) == 66);
CHECK(offsetof(struct kvm_request, reserved0) == 68);
CHECK(offsetof(struct kvm_request, prng) == 72);
CHECK(offsetof(struct kvm_request, reserved1) == 88);
CHECK(offsetof(struct kvm_request_header, field_colon) == 8);
CHECK(offsetof(struct kvm_request_header, field_len) == 12);
CHECK(sizeof(struct ResponseHeader) == 16);
CHECK(offsetof(struct BackendResponseExtra, num_headers) == 8);
CHECK(offsetof(struct BackendResponseExtra, cached) == 10);
CHECK(offsetof(struct BackendResponseExtra, ttl) == 12);
CHECK(offsetof(struct BackendResponseExtra, grace) == 16);
CHECK(offsetof(struct BackendResponseExtra, keep) == 20);
CHECK(offsetof(struct BackendResponseExtra, reserved) == 24);
CHECK(sizeof(struct BackendResponseExtra) == 56);
CHECK(sizeof(struct streaming_content) == 16);
CHECK(sizeof(struct virtbuffer) == 16);
CHECK(sizeof(struct meminfo) == 32);
CHECK(sizeof(struct shared_memory_info) == 16);
CHECK(offsetof(struct curl_op, post_buffer) == 8);
CHECK(offsetof(struct curl_op, headers) == 16);
CHECK(offsetof(struct curl_op, headers_length) == 24);
CHECK(offsetof(struct curl_op, content) == 32);
CHECK(offsetof(struct curl_op, content_length) == 40);
CHECK(offsetof(struct curl_op, ctlen) == 44);
CHECK(offsetof(struct curl_op, ctype) == 48);
CHECK(sizeof(struct curl_op) == 176);
CHECK(offsetof(struct curl_fields, len) == 96);
CHECK(sizeof(struct curl_fields) == 120);
CHECK(offsetof(struct curl_options, follow_location) == 16);
CHECK(offsetof(struct curl_options, unused_opt5) == 20);
CHECK(sizeof(struct curl_options) == 24);
int main(void) { return 0; }
SRC
gcc -Wall -Werror -I"$ROOT/engine/include" -o "$WORK/layout" "$WORK/layout.c" ||
	die "layout assertions failed"
"$WORK/layout" || die "layout program failed"

objdump -d "$WORK/layout" > "$WORK/dis"
stub() {
	grep -A3 "<$1>:" "$WORK/dis" | tr -s ' \t' ' ' > "$WORK/stub"
	grep -q "mov \$$2,%eax" "$WORK/stub" || die "$1: no mov \$$2,%eax"
	grep -q "out %eax,\$0x0" "$WORK/stub" || die "$1: no out %eax,\$0x0"
}
stub register_func 0x10000
stub wait_for_requests 0x10001
stub wait_for_requests_paused 0x10002
stub wait_for_socket_events_paused 0x10002
stub sys_set_cacheable 0x10005
stub sys_backend_response 0x10010
stub storage_return 0x10011
stub begin_streaming_response 0x10012
stub storage_noreturn 0x10013
stub sys_http_append 0x10020
stub sys_http_set 0x10021
stub sys_http_find 0x10022
stub sys_http_method 0x10023
stub sys_regex_compile 0x10030
stub sys_regex_free 0x10031
stub sys_regex_match 0x10032
stub sys_regex_subst 0x10033
stub sys_regex_copyto 0x10035
stub sys_sockets_write 0x10500
stub shared_memory_area 0x10700
stub sys_make_ephemeral 0x10703
stub sys_is_storage 0x10706
stub sys_storage_allow 0x10707
stub storage_callv 0x10708
stub sys_storage_task 0x10709
stub stop_storage_task 0x1070a
stub multiprocess 0x10710
stub multiprocess_array 0x10711
stub multiprocess_clone 0x10712
stub multiprocess_wait 0x10713
stub get_meminfo 0x10a00
stub sys_fetch 0x20000
stub sys_request 0x20001
stub sys_log 0x7f000
stub sys_is_debug 0x7fdeb
stub sys_breakpoint 0x7f7f7
echo ok
