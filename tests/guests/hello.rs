// SPDX-License-Identifier: BSD-2-Clause
// Rust's std at start-up polls fds 0-2 (and installs its stack-overflow
// handlers on a sigaltstack) before main: tests/engine/poll.sh.
use std::io::Write;

fn main() {
    println!("hello from rust: {}", (1..=10).sum::<u32>());
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!("args: {:?}", args);
    std::io::stderr().write_all(b"to stderr\n").unwrap();
    if args.first().map(String::as_str) == Some("panic") {
        panic!("on purpose");
    }
}
