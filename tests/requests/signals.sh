# SPDX-License-Identifier: BSD-2-Clause
# Signal and wait state across requests: handlers, mask, pending
# signals, the sigaltstack, a pipe's and an eventfd's contents set in one
# request are back to their init-time state in the next (ephemeral), and
# kept with "ephemeral": false (so the test can tell).  A request that
# catches its own SIGSEGV answers; one whose handler faults fails with
# the reason and the next request is served.
. "$(dirname "$0")/../lib/common.sh"

build_guest reqsig req_signals.c gcc -static "-I$ROOT/engine/include"
cat > "$WORK/lib.json" <<JSON
{
	"eph": { "filename": "$WORK/reqsig", "concurrency": 1 },
	"keep": { "filename": "$WORK/reqsig", "concurrency": 1, "ephemeral": false }
}
JSON
INIT="handler=A mask_usr2=0 pending_usr2=0 altstack=off pipe_ready=1 eventfd=3 raised=A"
CHANGED="handler=B mask_usr2=1 pending_usr2=1 altstack=on pipe_ready=0 eventfd=4 raised=B"
bodies() { grep -E '^(handler=|caught$)' "$WORK/out" | tr '\n' '|'; }

run_library eph / /change / /segv /nested /
expect_rc 125
[ "$(bodies)" = "$INIT|$CHANGED|$INIT|caught|$INIT|" ] || die "eph: $(bodies)"
case "$ERR" in
*"request 5 (GET /nested) failed: guest "*", with SIGSEGV blocked (a fault in its handler)"*) ;;
*) die "nested: [$ERR]" ;;
esac
expect_err_has "6 requests on 1 VMs: 1 failed"

run_library keep / /change /
expect_rc 0
[ "$(bodies)" = "$INIT|$CHANGED|$CHANGED|" ] || die "keep: $(bodies)"
echo ok
