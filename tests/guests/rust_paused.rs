// SPDX-License-Identifier: BSD-2-Clause
// Calls made the way the published Rust binding makes them (its
// rust/static example): the paused mode into a request structure of its
// own, declared without #[repr(C)] and without the prng and reserved
// fields (88 bytes: the host writes all 104 of struct kvm_request, as the
// published host does, so the buffer here has room after it, which the
// host's zeroed reserved1 overwrites), and sys_backend_response with an
// extra whose num_headers is a usize: tests/requests/published_examples.sh.
// Only the pointers are read back: Rust may reorder the other fields.
use std::arch::asm;
use std::ffi::CStr;
use std::os::raw::c_char;

#[allow(dead_code)]
struct Request {
	method: *const c_char,
	url: *const c_char,
	arg: *const c_char,
	content_type: *const c_char,
	method_len: u16,
	url_len: u16,
	arg_len: u16,
	content_type_len: u16,
	content: *const u8,
	content_len: usize,
	headers: *const u8,
	num_headers: u16,
	flags: u16,
	reserved: u32,
	reserved2: u64,
	reserved3: u64,
}

#[allow(dead_code)]
struct Header {
	data: *const u8,
	len: usize,
}

#[allow(dead_code)]
struct Extra {
	headers: *const Header,
	num_headers: usize,
	cached: bool,
	ttl: f32,
	grace: f32,
	keep: f32,
}

// Room for what the host writes past an 88-byte structure.
#[repr(C)]
struct Slot {
	req: std::mem::MaybeUninit<Request>,
	spare: [u64; 2],
}

fn main() {
	let mut n = 0;
	loop {
		let mut slot = Slot { req: std::mem::MaybeUninit::uninit(),
		    spare: [u64::MAX; 2] };
		unsafe {
			asm!("out 0x0, eax", inout("eax") 0x10002 => _,
			    in("rdi") slot.req.as_mut_ptr(), clobber_abi("C"));
		}
		let req = unsafe { slot.req.assume_init_ref() };
		let url = unsafe { CStr::from_ptr(req.url) }.to_str().unwrap();
		n += 1;
		let body = format!("paused {} url={} spare={:?}", n, url, slot.spare);
		let h1 = "X-Header: Header value";
		let h2 = "X-Header2: Header value";
		let headers = [Header { data: h1.as_ptr(), len: h1.len() },
		    Header { data: h2.as_ptr(), len: h2.len() }];
		let extra = Extra { headers: headers.as_ptr(), num_headers: headers.len(),
		    cached: false, ttl: 10.0, grace: 0.0, keep: 0.0 };
		let ct = "text/plain";
		unsafe {
			asm!("out 0x0, eax", inout("eax") 0x10010 => _, in("rdi") 200,
			    in("rsi") ct.as_ptr(), in("rdx") ct.len(), in("rcx") body.as_ptr(),
			    in("r8") body.len(), in("r9") &extra as *const Extra,
			    clobber_abi("C"));
		}
	}
}
