/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libkvm_api.so: the guest API for Python (and any language with a C FFI).
 * kvm_api.h emits each call's stub (register_func, wait_for_requests,
 * sys_backend_response, sys_http_*, sys_log, ...) as an exported function
 * of this shared object; varnish.py loads it with ctypes.
 */
#include <tinykvm/kvm_api.h>
