# SPDX-License-Identifier: BSD-2-Clause
# The reset's own failure paths.  A KVM ioctl on the reset path that fails
# (injected with --test-fail-reset-ioctl) fails the request it belongs to
# with the ioctl named, the request VM is replaced, and the next request
# on it succeeds; the replacements are counted.  Pages written by on_error
# after a failed request are restored before the next request.  File
# descriptors and mappings are bounded per request and given back.  And the
# runner gives a program the same KVM_* environment as the VMOD.
. "$(dirname "$0")/../lib/common.sh"

build_guest env req_env.c gcc -static "-I$ROOT/engine/include"

# Every 2nd reset ioctl fails: requests 2 and 4 (one GET_DIRTY_LOG each).
run_guest --test-fail-reset-ioctl 2 --request GET /a --request GET /b \
	--request GET /c --request GET /d "$WORK/env"
expect_rc 125
expect_err_has "tinykvm-run: request 2 (GET /b) failed: reset failed: KVM_GET_DIRTY_LOG: Input/output error"
expect_err_has "tinykvm-run: after request 2 (GET /b): reset failed: KVM_GET_DIRTY_LOG: Input/output error; the request VM was replaced"
expect_err_has "tinykvm-run: request 4 (GET /d) failed: reset failed: KVM_GET_DIRTY_LOG"
expect_err_has "tinykvm-run: 4 requests on 1 VMs: 2 failed, 0 differed from the first round"
expect_err_has "tinykvm-run: 2 request VMs replaced after a failed reset"
[ "$(grep -c '^HTTP 200' "$WORK/out")" -eq 2 ] || die "2 responses expected: $OUT"

# Without injection nothing is replaced.
run_guest --request GET /a --repeat 50 "$WORK/env"
expect_rc 0
case "$ERR" in *replaced*) die "unexpected replacement: $ERR" ;; esac

# on_error's writes do not reach the next request.
run_guest --request GET /crash --request GET /global "$WORK/env"
expect_out_has "on_error ran"
expect_out_has "HTTP 200
Content-Type: text/plain

clean"

# A guest's descriptors and mappings are bounded, and the next request
# has them all again.
run_guest --memory 128 --request GET /fds --request GET /fds --request GET /maps \
	--request GET /maps "$WORK/env"
expect_rc 0
[ "$(grep -c '^dup=61 then EMFILE$' "$WORK/out")" -eq 2 ] || die "fds: $OUT"
[ "$(grep -c '^maps=4095 then ENOMEM$' "$WORK/out")" -eq 2 ] || die "maps: $OUT"

# The environment without --config, as the VMOD sets it.
run_guest --env EXTRA=1 --request GET /env "$WORK/env"
expect_rc 0
expect_out_has "KVM_NAME=env KVM_GROUP= KVM_TYPE=request KVM_STATE=state KVM_DEBUG=0 EXTRA=1"
echo ok
