// SPDX-License-Identifier: BSD-2-Clause
// A request program in Rust that uses threads while it initializes: 4
// threads sum parts of a range under a mutex and report through a
// channel; requests then answer with the result (and POST with the body).
// Needs guest threads (clone, futex).
mod varnish;

use std::os::raw::c_char;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

static mut SUMMARY: String = String::new();

extern "C" fn on_get(url: *const c_char, _arg: *const c_char) {
	let body = format!("Rust threads: url={} {}\n", varnish::cstr(url),
	    unsafe { &SUMMARY });
	varnish::backend_response(200, "text/plain", body.as_bytes());
}

extern "C" fn on_post(_url: *const c_char, _arg: *const c_char,
    _ctype: *const c_char, data: *const u8, len: usize) {
	let body = if data.is_null() || len == 0 {
		&[][..]
	} else {
		unsafe { std::slice::from_raw_parts(data, len) }
	};
	varnish::backend_response(201, "text/plain", body);
}

fn main() {
	if std::env::var_os("KVM_NAME").is_none() {
		println!("run me in tinykvm-run or under varnishd");
		return;
	}
	let total = Arc::new(Mutex::new(0u64));
	let (tx, rx) = mpsc::channel();
	let mut handles = Vec::new();
	for t in 0..4u64 {
		let total = Arc::clone(&total);
		let tx = tx.clone();
		handles.push(thread::spawn(move || {
			let part: u64 = (t * 250 + 1..=(t + 1) * 250).sum();
			*total.lock().unwrap() += part;
			tx.send((t, part)).unwrap();
		}));
	}
	drop(tx);
	let mut parts: Vec<(u64, u64)> = rx.iter().collect();
	for h in handles {
		h.join().unwrap();
	}
	parts.sort();
	let sum = *total.lock().unwrap();
	unsafe {
		SUMMARY = format!("threads=4 parts={:?} sum={}", parts, sum);
	}
	varnish::set_backend_get(on_get);
	varnish::set_backend_post(on_post);
	println!("Rust threads program ready");
	varnish::wait_for_requests();
}
