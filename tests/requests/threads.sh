# SPDX-License-Identifier: BSD-2-Clause
# Threads and request VMs: a pool started during initialization is in the
# snapshot every request VM starts from, and serves each request as if it
# were the first; threads a request starts die at the reset, their ids,
# TLS and futex waits with them.  Hostile requests (a thread bomb, a
# thread still running at the response, a deadlock, a thread that never
# makes a system call, one on a bad stack) fail or end cleanly, and the
# next request is served.  10,000 requests on two VMs give identical
# responses.
. "$(dirname "$0")/../lib/common.sh"

build_guest rq req_threads.c gcc -static -pthread "-I$ROOT/engine/include"
resp() { printf 'HTTP 200\nContent-Type: text/plain\n\n%s\n' "$1"; }
pool="pool: result 1049 jobs 1 by 0 tids 2 3 4 mine 0"
spawn="spawn: sum 26030 mine 0"
fail500=$'HTTP 500\nContent-Type: \n\n'	# a failed request: no body
fail504=$'HTTP 504\nContent-Type: \n\n'

run_guest --timeout 2 --request GET /pool --request GET /pool \
	--request GET /spawn --request GET /spawn --request GET /bomb \
	--request GET /spawn --request GET /spin --request GET /pool \
	--request GET /deadlock --request GET /pool --request GET /hog \
	--request GET /spawn "$WORK/rq"
expect_rc 125
expect_out "$(resp "$pool")
$(resp "$pool")
$(resp "$spawn")
$(resp "$spawn")
$(resp "bomb: 60 threads, then Resource temporarily unavailable")
$(resp "$spawn")
$(resp "spin: responded")
$(resp "$pool")
$fail500
$(resp "$pool")
$fail504
$(resp "$spawn")"
expect_err_has "tinykvm-run: request 9 (GET /deadlock) failed: guest deadlocked: all 5 threads wait on futexes with no timeout
tinykvm-run: request 11 (GET /hog) failed: guest exceeded its 2 s time limit at rip 0x"
expect_err_has "
tinykvm-run: 12 requests on 1 VMs: 2 failed, 0 differed from the first round"
[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 3 ] || die "stderr has more: $ERR"

# A raw thread on a bad stack faults when it runs: the request fails with
# the fault, and the next one is clean.
run_guest --request GET /badstack --request GET /pool "$WORK/rq"
expect_rc 125
expect_out "$fail500
$(resp "$pool")"
expect_err_has "tinykvm-run: request 1 (GET /badstack) failed: guest page fault: read of 0x10 at rip 0x"
expect_err_has "tinykvm-run: 2 requests on 1 VMs: 1 failed, 0 differed from the first round"

# The library's max_threads bounds the pool and a request's threads.
cat > "$WORK/lib.json" <<JSON
{
	"limited": { "filename": "$WORK/rq", "max_threads": 10 },
	"persistent": { "filename": "$WORK/rq", "ephemeral": false }
}
JSON
run_guest --config "$WORK/lib.json" --program limited --request GET /bomb \
	--request GET /spawn
expect_rc 0
expect_out "$(resp "bomb: 6 threads, then Resource temporarily unavailable")
$(resp "$spawn")"

# Not ephemeral: the pool's state does carry over (so the above can tell).
run_guest --config "$WORK/lib.json" --program persistent --request GET /pool \
	--request GET /pool --request GET /pool
expect_rc 0
expect_out "$(resp "$pool")
$(resp "pool: result 1049 jobs 2 by 1 tids 2 3 4 mine 0")
$(resp "pool: result 1049 jobs 3 by 2 tids 2 3 4 mine 0")"

run_guest --request GET /pool --repeat 10000 --concurrency 2 "$WORK/rq"
expect_rc 0
expect_out "$(resp "$pool")"
expect_err "tinykvm-run: 10000 requests on 2 VMs: 0 failed, 0 differed from the first round"
run_guest --request GET /spawn --repeat 10000 --concurrency 2 "$WORK/rq"
expect_rc 0
expect_out "$(resp "$spawn")"
expect_err "tinykvm-run: 10000 requests on 2 VMs: 0 failed, 0 differed from the first round"
echo ok
