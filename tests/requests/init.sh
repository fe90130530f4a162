# SPDX-License-Identifier: BSD-2-Clause
# A program that does not reach wait_for_requests() fails to load with a
# precise reason: it exits, crashes, registers no callback, or hands
# wait_for_requests_paused() a bad pointer, or loops past max_boot_time.
. "$(dirname "$0")/../lib/common.sh"

build_guest init req_init.c gcc -static "-I$ROOT/engine/include"
init_fails() {
	run_guest --request GET / "$WORK/init" "$1"
	expect_rc 125
	expect_err "tinykvm-run: $2"
}
init_fails exit "program exited with status 7 during initialization, before wait_for_requests()"
init_fails nocallback "program called wait_for_requests() without registering a GET, POST or request callback"
init_fails badpaused "initialization failed: wait_for_requests_paused given a bad request pointer"
run_guest --request GET / "$WORK/init" crash
expect_rc 125
case "$ERR" in
"tinykvm-run: initialization failed: guest page fault: write to 0x0 at rip 0x4"*) ;;
*) die "crash: [$ERR]" ;;
esac
cat > "$WORK/lib.json" <<JSON
{ "slow": { "filename": "$WORK/init", "main_arguments": ["loop"], "max_boot_time": 0.5 } }
JSON
run_guest --config "$WORK/lib.json" --program slow --request GET /
expect_rc 125
expect_err "tinykvm-run: program did not call wait_for_requests() within max_boot_time (0.5 s)"
run_guest --request GET / "$WORK/init" fine
expect_rc 0
expect_out_has "ok"
echo ok
