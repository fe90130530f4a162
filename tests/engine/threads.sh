# SPDX-License-Identifier: BSD-2-Clause
# Guest threads under tinykvm-run: pthreads with a mutex and a condition
# variable (glibc and musl), C++ std::thread, std::async and friends, each
# giving the output of its native run; vector registers, the rounding mode
# and TLS kept per thread across switches; futex(2) and clone at their
# edges with Linux's errno; the thread limit; a deadlock; the main thread
# ending first; exit_group from a thread.
. "$(dirname "$0")/../lib/common.sh"

native_vs_guest() {	# NAME ARGS...: the guest prints what the native run does
	local name=$1; shift
	"$WORK/$name" "$@" >"$WORK/native" 2>&1 || die "$name failed natively"
	run_guest "$WORK/$name" "$@"
	expect_rc 0
	expect_out "$(cat "$WORK/native")"
}

build_guest threads threads.c gcc -static -pthread -lm
native_vs_guest threads
expect_out_has "relay 0 1 2 3 0 1 2 3 0 1 2 3"
expect_out_has "tids distinct yes"

build_guest threads_cxx threads_cxx.cc g++ -static -pthread
native_vs_guest threads_cxx
expect_out "consumed 30300
async total 332833500
deferred 285"

# A thread blocked on a pipe or an eventfd (poll, read) lets the others
# run until they satisfy it, instead of the run ending as a deadlock.
# Timed waits beside a thread blocked with no timeout end at their own
# timeout (a restarted wait keeps its deadline: before, each switch
# started it again and they ran to the time limit).
build_guest threads_wait threads_wait.c gcc -static -pthread
native_vs_guest threads_wait
expect_out "poll=1 revents=1
read=5 hello
eventfd total=3
poll 80 ms beside a blocked thread: 0, waited enough: yes
ppoll 80 ms: 0, waited enough: yes
select 80 ms: 0, waited enough: yes
epoll_wait 80 ms: 0, waited enough: yes
done"
# ... and the blocked thread is not run again and again meanwhile: it
# waits until another thread makes a system call (about 30 switches in
# all; the two took turns through each 80 ms before).
run_guest --verbose "$WORK/threads_wait"
expect_rc 0
n=$(sed -n 's/^\[tinykvm\] threads: \([0-9]*\) switches$/\1/p' "$WORK/err")
[ -n "$n" ] && [ "$n" -le 100 ] || die "threads_wait: ${n:-no} switches"
# Every thread waits on an fd nobody else can write: a deadlock, named.
run_guest "$WORK/threads_wait" deadlock
expect_rc 125
expect_err "tinykvm-run: guest deadlocked: all 2 threads wait with no timeout (2 on fds)"

command -v musl-gcc >/dev/null || die "musl-gcc is missing (scripts/install-deps.sh)"
build_guest threads_musl threads.c musl-gcc -static
native_vs_guest threads_musl
expect_out_has "counter 10000"

# Vector state (xmm8, ymm15, MXCSR rounding) and TLS per thread.
run_guest "$WORK/threads" vector
expect_rc 0
expect_out "vector thread 0: kept
vector thread 1: kept
vector thread 2: kept
main rounding: nearest"

# The main thread ends first; a thread's exit() ends the process.
run_guest "$WORK/threads" mainexit
expect_rc 7
expect_out "worker outlives main"
run_guest "$WORK/threads" groupexit
expect_rc 7
expect_out "worker outlives main"

# The thread limit: 64 by default, --max-threads N; then EAGAIN.
run_guest "$WORK/threads" bomb
expect_rc 0
expect_out "bomb: 63 threads, then Resource temporarily unavailable"
run_guest --max-threads 5 "$WORK/threads" bomb
expect_rc 0
expect_out "bomb: 4 threads, then Resource temporarily unavailable"

# Every thread waits with no timeout: the run fails with the reason.
run_guest "$WORK/threads" deadlock
expect_rc 125
expect_out ""
expect_err "tinykvm-run: guest deadlocked: all 2 threads wait on futexes with no timeout"

# futex and clone at their edges: what Linux answers, errno for errno.
build_guest futex futex.c gcc -static -pthread
native_vs_guest futex 1
expect_out_has "wait 50 ms: ETIMEDOUT, waited enough: yes"
expect_out_has "wait_bitset realtime: ETIMEDOUT, until the deadline: yes"
# Threads that wait at known points (only under tinykvm-run).
run_guest "$WORK/futex" 2
expect_rc 0
expect_out "fork: Function not implemented
wake bitset 4: 0
wake bitset 2: 1
bit waiter 2 woke: 0
wake bitset 3: 1
bit waiter 1 woke: 0
cmp_requeue: 3
waiter 0 woke: 0
wake on wa after requeue: 0
wake on wb: 2
waiter 1 woke: 0
waiter 2 woke: 0
requeue onto itself: 2
wake them: 2
waiter 3 woke: 0
waiter 4 woke: 0
wake the forever waiter: 1
forever waiter woke: 0
timed waiter: ETIMEDOUT
main woken by the timed thread
robust lock: EOWNERDEAD
sleeper done
tgkill other thread 0: 0
waiter 9 woke: 0"

# A single thread's futex wait with no timeout is a deadlock too.
cat > "$WORK/wait.c" <<'C'
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) { static int w; return syscall(SYS_futex, &w, FUTEX_WAIT, 0, 0, 0, 0); }
C
gcc -O2 -static -o "$WORK/wait" "$WORK/wait.c" || die "cannot compile wait.c"
run_guest "$WORK/wait"
expect_rc 125
expect_err "tinykvm-run: guest deadlocked: futex wait with no other thread"
echo ok
