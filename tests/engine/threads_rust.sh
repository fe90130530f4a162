# SPDX-License-Identifier: BSD-2-Clause
# A static Rust program with 4 threads, a channel and a mutex gives the
# output of its native run.  Rust's start-up polls fds 0-2
# (engine/src/linux/poll.c).  The toolchain is rustup's
# (~/.cargo/bin) or one on PATH; without one the test fails.
. "$(dirname "$0")/../lib/common.sh"

PATH=$PATH:${HOME:-/nonexistent}/.cargo/bin
command -v rustc >/dev/null || die "rustc is missing (rustup, or Debian's rustc)"
rustc -O -C target-feature=+crt-static -o "$WORK/threads_rs" "$GUESTS/threads.rs" ||
	die "cannot compile threads.rs"
"$WORK/threads_rs" >"$WORK/native" || die "threads_rs failed natively"
run_guest "$WORK/threads_rs"
expect_rc 0
expect_out "$(cat "$WORK/native")"
expect_out "thread 0 sum 499500
thread 1 sum 999000
thread 2 sum 1498500
thread 3 sum 1998000
total 4995000"
echo ok
