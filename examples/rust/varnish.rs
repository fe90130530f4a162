// SPDX-License-Identifier: BSD-2-Clause
//! The guest API (engine/include/tinykvm/kvm_api.h) for Rust programs,
//! with no crates: each call is `out %eax, $0` with the call number in
//! eax and the arguments in the System V registers, the result in rax.
//! The host may change any register a C call may (clobber_abi("C")).
#![allow(dead_code)]

use std::arch::asm;
use std::ffi::CStr;
use std::os::raw::c_char;

/// Header sets of sys_http_append/set/find.
pub const REQ: i32 = 0;
pub const RESP: i32 = 1;

const REGISTER_FUNC: u64 = 0x10000;
const WAIT_FOR_REQUESTS: u64 = 0x10001;
const WAIT_FOR_REQUESTS_PAUSED: u64 = 0x10002;
const SET_CACHEABLE: u64 = 0x10005;
const BACKEND_RESPONSE: u64 = 0x10010;
const HTTP_APPEND: u64 = 0x10020;
const HTTP_SET: u64 = 0x10021;
const HTTP_FIND: u64 = 0x10022;
const LOG: u64 = 0x7F000;

#[inline(always)]
unsafe fn call3(nr: u64, a: u64, b: u64, c: u64) -> u64 {
	let ret: u64;
	asm!("out 0, eax", inout("rax") nr => ret, in("rdi") a, in("rsi") b,
	    in("rdx") c, clobber_abi("C"));
	ret
}

#[inline(always)]
unsafe fn call6(nr: u64, a: u64, b: u64, c: u64, d: u64, e: u64, f: u64) -> u64 {
	let ret: u64;
	asm!("out 0, eax", inout("rax") nr => ret, in("rdi") a, in("rsi") b,
	    in("rdx") c, in("rcx") d, in("r8") e, in("r9") f, clobber_abi("C"));
	ret
}

/// One extra response field, "Key: value" (struct ResponseHeader).
#[repr(C)]
pub struct ResponseHeader {
	pub field: *const u8,
	pub len: usize,
}

/// struct BackendResponseExtra.
#[repr(C)]
pub struct ResponseExtra {
	pub headers: *const ResponseHeader,
	pub num_headers: u16,
	pub cached: bool,
	pub ttl: f32,
	pub grace: f32,
	pub keep: f32,
	pub reserved: [u64; 4],
}

/// struct kvm_request_header.
#[repr(C)]
pub struct RequestHeader {
	pub field: *const c_char,
	pub colon: u32,
	pub len: u32,
}

/// struct kvm_request (104 bytes), filled in by wait_for_requests_paused.
#[repr(C)]
pub struct Request {
	pub method: *const c_char,
	pub url: *const c_char,
	pub arg: *const c_char,
	pub content_type: *const c_char,
	pub method_len: u16,
	pub url_len: u16,
	pub arg_len: u16,
	pub content_type_len: u16,
	pub content: *const u8,
	pub content_len: usize,
	pub headers: *const RequestHeader,
	pub num_headers: u16,
	pub info_flags: u16,
	pub reserved0: u32,
	pub prng: [u64; 2],
	pub reserved1: [u64; 2],
}

unsafe fn bytes<'a>(p: *const u8, len: usize) -> &'a [u8] {
	if p.is_null() || len == 0 {
		&[]
	} else {
		std::slice::from_raw_parts(p, len)
	}
}

impl Request {
	pub fn method(&self) -> &[u8] {
		unsafe { bytes(self.method as *const u8, self.method_len as usize) }
	}
	pub fn url(&self) -> &[u8] {
		unsafe { bytes(self.url as *const u8, self.url_len as usize) }
	}
	pub fn arg(&self) -> &[u8] {
		unsafe { bytes(self.arg as *const u8, self.arg_len as usize) }
	}
	pub fn content_type(&self) -> &[u8] {
		unsafe { bytes(self.content_type as *const u8, self.content_type_len as usize) }
	}
	pub fn content(&self) -> &[u8] {
		unsafe { bytes(self.content, self.content_len) }
	}
}

/// A C string the host handed over, lossily as text (NULL is "").
pub fn cstr(p: *const c_char) -> String {
	if p.is_null() {
		return String::new();
	}
	unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

pub type GetCallback = extern "C" fn(url: *const c_char, arg: *const c_char);
pub type PostCallback = extern "C" fn(url: *const c_char, arg: *const c_char,
    ctype: *const c_char, data: *const u8, len: usize);

pub fn set_backend_get(cb: GetCallback) {
	unsafe { call3(REGISTER_FUNC, 1, cb as usize as u64, 0) };
}

pub fn set_backend_post(cb: PostCallback) {
	unsafe { call3(REGISTER_FUNC, 2, cb as usize as u64, 0) };
}

/// Ends initialization: each request then runs a callback in a fresh copy
/// of the program.
pub fn wait_for_requests() -> ! {
	unsafe {
		asm!("out 0, eax", in("rax") WAIT_FOR_REQUESTS, options(noreturn));
	}
}

/// Ends initialization (first call), then returns once per request.
pub fn wait_for_requests_paused(req: &mut Request) {
	unsafe { call3(WAIT_FOR_REQUESTS_PAUSED, req as *mut Request as u64, 0, 0) };
}

/// Delivers the response; the request ends there.
pub fn backend_response(status: u16, ctype: &str, body: &[u8]) {
	unsafe {
		call6(BACKEND_RESPONSE, status as u64, ctype.as_ptr() as u64,
		    ctype.len() as u64, body.as_ptr() as u64, body.len() as u64, 0)
	};
}

pub fn backend_response_extra(status: u16, ctype: &str, body: &[u8],
    extra: &ResponseExtra) {
	unsafe {
		call6(BACKEND_RESPONSE, status as u64, ctype.as_ptr() as u64,
		    ctype.len() as u64, body.as_ptr() as u64, body.len() as u64,
		    extra as *const ResponseExtra as u64)
	};
}

pub fn set_cacheable(cached: bool, ttl: f32, grace: f32, keep: f32) -> i64 {
	let ms = |s: f32| (s * 1000.0) as i64 as u64;
	unsafe {
		call6(SET_CACHEABLE, cached as u64, ms(ttl), ms(grace), ms(keep), 0, 0)
		    as i64
	}
}

/// Appends "Key: value" to a header set; the new field's index, 0 if full.
pub fn http_append(set: i32, field: &str) -> i64 {
	unsafe { call3(HTTP_APPEND, set as u64, field.as_ptr() as u64, field.len() as u64) as i64 }
}

/// Replaces (or adds) the field of that name; a bare key removes it.
pub fn http_set(set: i32, field: &str) -> i64 {
	unsafe { call3(HTTP_SET, set as u64, field.as_ptr() as u64, field.len() as u64) as i64 }
}

/// The whole field "Key: value" named key, if there is one.
pub fn http_find(set: i32, key: &str) -> Option<String> {
	let mut buf = vec![0u8; 4096];
	let n = unsafe {
		call6(HTTP_FIND, set as u64, key.as_ptr() as u64, key.len() as u64,
		    buf.as_mut_ptr() as u64, buf.len() as u64, 0)
	} as u32 as usize;
	if n == 0 || n > buf.len() {
		return None;
	}
	buf.truncate(n);
	Some(String::from_utf8_lossy(&buf).into_owned())
}

/// A line in the Varnish log (stderr under tinykvm-run).
pub fn log(text: &str) {
	unsafe { call3(LOG, text.as_ptr() as u64, text.len() as u64, 0) };
}
