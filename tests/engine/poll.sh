# SPDX-License-Identifier: BSD-2-Clause
# Waiting on fds (engine/src/linux/poll.c, epoll.c, fdobj.c): poll, ppoll, select,
# pselect6 and epoll over the console, pipes, eventfds and timerfds,
# each mode printing exactly what a native run prints (stdout a pipe and
# stdin empty there, as the console is here); the fd table limit; waits
# nothing could end stop the run with the reason instead of hanging; a
# Rust println! program (std polls fds 0-2 at start-up) prints as natively.
. "$(dirname "$0")/../lib/common.sh"

build_guest poll poll.c

# same MODE: stdout of tinykvm-run and of the native run
same() {
	local native
	native=$("$WORK/poll" "$1" </dev/null 2>/dev/null | cat)
	run_guest "$WORK/poll" "$1"
	[ -n "$native" ] || die "$1: the native run printed nothing"
	expect_out "$native"
}

for m in basic epoll timerfd timeout sigsuspend sigpoll; do
	same "$m"
	expect_rc 0
done
expect_out "pending
handler ran
ppoll: -1 EINTR
mask restored: 1"
same pipe
expect_rc 125
expect_err "tinykvm-run: guest killed itself with signal 13 (Broken pipe)"
expect_out_has "no reader: -1 EPIPE sigpipes=1
ignored: -1 EPIPE sigpipes=1"

# The objects count against the 64-entry fd table: 0-2 and 30 pipes.
run_guest "$WORK/poll" limit
expect_rc 0
expect_out "pipes: 30 errno=EMFILE"

# Single-threaded, nothing could ever end these waits.
run_guest "$WORK/poll" block
expect_rc 125
expect_out "reading"
expect_err "tinykvm-run: guest deadlocked: read from an empty pipe, with no other thread"
run_guest "$WORK/poll" forever
expect_rc 125
expect_out "waiting"
expect_err "tinykvm-run: guest deadlocked: poll with no timeout and nothing ready, with no other thread"
run_guest "$WORK/poll" pause
expect_rc 125
expect_out "pausing"
expect_err "tinykvm-run: guest deadlocked: pause, with no other thread"
# A timeout past the time limit ends at the limit (status 124).
run_guest --timeout 0.3 "$WORK/poll" timeout
expect_out "timeout: 0"
cat > "$WORK/late.c" <<'C'
#include <poll.h>
#include <stdio.h>
int main(void) { puts("sleeping"); fflush(stdout); return poll(NULL, 0, 60000); }
C
gcc -O2 -static -o "$WORK/late" "$WORK/late.c" || die "cannot compile late.c"
run_guest --timeout 0.3 "$WORK/late"
expect_rc 124
expect_out "sleeping"
expect_err_has "guest exceeded its 0.3 s time limit"

# Rust: std's start-up poll(fds 0-2) and its signal handlers.
PATH=$PATH:${HOME:-/nonexistent}/.cargo/bin	# Debian's rustc, else rustup's
RUSTC=$(command -v rustc) || die "no rustc (the Rust toolchain, static with crt-static, is needed)"
"$RUSTC" -C target-feature=+crt-static -O -o "$WORK/hello_rs" \
    "$GUESTS/hello.rs" || die "cannot compile hello.rs"
native=$("$WORK/hello_rs" one two 2>&1 </dev/null | cat)
run_guest "$WORK/hello_rs" one two
expect_rc 0
expect_out "hello from rust: 55
args: [\"one\", \"two\"]"
expect_err "to stderr"
[ "$native" = "$OUT
$ERR" ] || die "rust: native run printed [$native]"
run_guest "$WORK/hello_rs" panic
expect_rc 101
expect_err_has "panicked at"
expect_err_has "on purpose"
echo ok
