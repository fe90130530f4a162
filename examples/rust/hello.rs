// SPDX-License-Identifier: BSD-2-Clause
// A request program in Rust: GET answers with the URL, the argument and a
// request field; POST gives back the body with its length.  A counter set
// during initialization shows every request starts from the same state.
mod varnish;

use std::os::raw::c_char;

static mut COUNTER: u32 = 0;

extern "C" fn on_get(url: *const c_char, arg: *const c_char) {
	let n = unsafe {
		COUNTER += 1;
		COUNTER
	};
	let agent = varnish::http_find(varnish::REQ, "User-Agent")
	    .unwrap_or_else(|| "none".to_string());
	let body = format!("Hello from Rust! url={} arg={} {} counter={}\n",
	    varnish::cstr(url), varnish::cstr(arg), agent, n);
	varnish::http_set(varnish::RESP, "X-Language: Rust");
	varnish::set_cacheable(false, 1.0, 0.0, 0.0);
	varnish::backend_response(200, "text/plain", body.as_bytes());
}

extern "C" fn on_post(url: *const c_char, _arg: *const c_char,
    ctype: *const c_char, data: *const u8, len: usize) {
	let body = if data.is_null() || len == 0 {
		&[][..]
	} else {
		unsafe { std::slice::from_raw_parts(data, len) }
	};
	let mut out = format!("Rust got {} bytes of {} at {}: ", len,
	    varnish::cstr(ctype), varnish::cstr(url)).into_bytes();
	out.extend_from_slice(body);
	varnish::http_set(varnish::RESP, "X-Language: Rust");
	varnish::backend_response(201, "text/plain", &out);
}

fn main() {
	if std::env::var_os("KVM_NAME").is_none() {
		println!("run me in tinykvm-run or under varnishd");
		return;
	}
	unsafe { COUNTER = 41 };
	varnish::set_backend_get(on_get);
	varnish::set_backend_post(on_post);
	println!("Rust program ready");
	varnish::wait_for_requests();
}
