// SPDX-License-Identifier: BSD-2-Clause

// Package varnish is the guest API (engine/include/tinykvm/kvm_api.h) for
// Go, through cgo.  The program ends initialization with Next(), which
// returns once per request in a fresh copy of the program (the paused
// mode, wait_for_requests_paused): the host never calls into Go, whose
// runtime is only entered by a C function returning to it.
package varnish

// #cgo CFLAGS: -O2 -I${SRCDIR}/../../../engine/include
// #cgo LDFLAGS: -static
// #define KVM_API_ALREADY_DEFINED 1
// #include <tinykvm/kvm_api.h>
// #include <stdlib.h>
import "C"

import (
	"os"
	"unsafe"
)

// Header sets of HTTPSet and HTTPFind.
const (
	Req  = 0
	Resp = 1
)

// Request is one request, as wait_for_requests_paused gives it.
type Request struct {
	Method, URL, Arg, ContentType string
	Body                          []byte
	Headers                       []string
}

// Sandboxed tells a run in TinyKVM from a terminal run.
func Sandboxed() bool {
	_, ok := os.LookupEnv("KVM_NAME")
	return ok
}

func gostr(p *C.char, n C.uint16_t) string {
	if p == nil || n == 0 {
		return ""
	}
	return C.GoStringN(p, C.int(n))
}

// Next ends initialization (first call) and returns the next request.
func Next() *Request {
	var req C.struct_kvm_request
	C.wait_for_requests_paused(&req)
	r := &Request{
		Method:      gostr(req.method, req.method_len),
		URL:         gostr(req.url, req.url_len),
		Arg:         gostr(req.arg, req.arg_len),
		ContentType: gostr(req.content_type, req.content_type_len),
	}
	if req.content != nil && req.content_len > 0 {
		r.Body = C.GoBytes(unsafe.Pointer(req.content), C.int(req.content_len))
	}
	if req.num_headers > 0 && req.headers != nil {
		hs := unsafe.Slice(req.headers, int(req.num_headers))
		for _, h := range hs {
			r.Headers = append(r.Headers, C.GoStringN(h.field, C.int(h.field_len)))
		}
	}
	return r
}

// Respond delivers the response; the request ends there.
func Respond(status int, ctype string, body []byte) {
	ct := C.CString(ctype)
	defer C.free(unsafe.Pointer(ct))
	var p unsafe.Pointer
	if len(body) > 0 {
		p = C.CBytes(body)
		defer C.free(p)
	}
	C.sys_backend_response(C.int16_t(status), unsafe.Pointer(ct), C.size_t(len(ctype)),
		p, C.size_t(len(body)), nil)
}

// HTTPSet replaces (or adds) a "Key: value" field; a bare key removes it.
func HTTPSet(where int, field string) int {
	f := C.CString(field)
	defer C.free(unsafe.Pointer(f))
	return int(C.sys_http_set(C.int(where), f, C.size_t(len(field))))
}

// HTTPFind gives the whole field "Key: value" named key, or "".
func HTTPFind(where int, key string) string {
	k := C.CString(key)
	defer C.free(unsafe.Pointer(k))
	var buf [4096]C.char
	n := C.sys_http_find(C.int(where), k, C.size_t(len(key)), &buf[0], C.size_t(len(buf)))
	if n == 0 || int(n) > len(buf) {
		return ""
	}
	return C.GoStringN(&buf[0], C.int(n))
}

// SetCacheable sets the response's cacheability, in seconds.
func SetCacheable(cached bool, ttl, grace, keep float32) {
	C.sys_set_cacheable(C.bool(cached), C.long(ttl*1000), C.long(grace*1000), C.long(keep*1000))
}
