/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest ABI structures (docs/GUEST_API.md) as the host sees them: guest
 * pointers are plain 64-bit addresses that must go through gmem_at().
 * The layouts are checked at compile time.
 */
#ifndef TKVM_ABI_H
#define TKVM_ABI_H

#include <stddef.h>
#include <stdint.h>

struct kvm_request_header_abi {
	uint64_t field;
	uint32_t field_colon;
	uint32_t field_len;
};

struct kvm_request_abi {
	uint64_t method, url, arg, content_type;
	uint16_t method_len, url_len, arg_len, content_type_len;
	uint64_t content;
	uint64_t content_len;
	uint64_t headers;
	uint16_t num_headers;
	uint16_t info_flags;
	uint32_t reserved0;
	uint64_t prng[2];
	uint64_t reserved1[2];
};

struct response_header_abi {
	uint64_t field;
	uint64_t field_len;
};

struct backend_response_extra_abi {
	uint64_t headers;
	uint16_t num_headers;
	uint8_t cached;
	float ttl, grace, keep;
	uint64_t reserved[4];
};

struct curl_op_abi {
	uint32_t status;
	uint32_t post_buflen;
	uint64_t post_buffer;
	uint64_t headers;
	uint32_t headers_length;
	uint32_t unused1;
	uint64_t content;
	uint32_t content_length;
	uint32_t ctlen;
	char ctype[128];
};

struct curl_fields_abi {
	uint64_t ptr[12];
	uint16_t len[12];
};

struct curl_options_abi {
	uint64_t interface, unused;
	int8_t follow_location, dummy_fetch, tcp_fast_open, dont_verify_host;
	uint32_t unused_opt5;
};

struct meminfo_abi {
	uint64_t max_memory, max_reqmem, reqmem_upper, reqmem_current;
};

_Static_assert(sizeof(struct kvm_request_header_abi) == 16, "header size");
_Static_assert(sizeof(struct kvm_request_abi) == 104, "kvm_request size");
_Static_assert(offsetof(struct kvm_request_abi, method_len) == 32, "method_len");
_Static_assert(offsetof(struct kvm_request_abi, content) == 40, "content");
_Static_assert(offsetof(struct kvm_request_abi, headers) == 56, "headers");
_Static_assert(offsetof(struct kvm_request_abi, num_headers) == 64, "num_headers");
_Static_assert(offsetof(struct kvm_request_abi, info_flags) == 66, "info_flags");
_Static_assert(offsetof(struct kvm_request_abi, prng) == 72, "prng");
_Static_assert(offsetof(struct backend_response_extra_abi, cached) == 10, "cached");
_Static_assert(offsetof(struct backend_response_extra_abi, ttl) == 12, "ttl");
_Static_assert(sizeof(struct backend_response_extra_abi) == 56, "extra size");
_Static_assert(sizeof(struct curl_op_abi) == 176, "curl_op size");
_Static_assert(offsetof(struct curl_op_abi, content) == 32, "curl_op content");
_Static_assert(sizeof(struct curl_fields_abi) == 120, "curl_fields size");
_Static_assert(sizeof(struct curl_options_abi) == 24, "curl_options size");

#endif
