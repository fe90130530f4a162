# SPDX-License-Identifier: BSD-2-Clause
# wait_for_requests_paused(): the program loops, each request fills its
# struct kvm_request; state is reset after every request (served=0), a
# crash or a loop fails only that request.
. "$(dirname "$0")/../lib/common.sh"

build_guest paused req_paused.c gcc -static "-I$ROOT/engine/include"
printf 'xyz' > "$WORK/body"
run_guest --timeout 0.5 --request POST /one --arg a --body "$WORK/body" --header "K: v" \
	--request GET /crash --request GET /two --request GET /loop --request GET /three \
	"$WORK/paused"
expect_rc 125
expect_out "HTTP 200
Content-Type: text/plain

paused POST /one arg=a body=xyz headers=1 served=0
HTTP 500
Content-Type: 


HTTP 200
Content-Type: text/plain

paused GET /two arg=a body=xyz headers=1 served=0
HTTP 504
Content-Type: 


HTTP 200
Content-Type: text/plain

paused GET /three arg=a body=xyz headers=1 served=0"
expect_err_has "request 2 (GET /crash) failed: guest page fault: write to 0x0 at rip 0x"
expect_err_has "request 4 (GET /loop) failed: guest exceeded its 0.5 s time limit"

run_guest --request GET /r --repeat 1000 "$WORK/paused"
expect_rc 0
expect_err "tinykvm-run: 1000 requests on 1 VMs: 0 failed, 0 differed from the first round"
echo ok
