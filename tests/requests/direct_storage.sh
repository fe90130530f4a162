# SPDX-License-Identifier: BSD-2-Clause
# A separate storage program and direct calls into it (docs/DESIGN.md,
# "Direct storage calls"): the storage program is linked at 0x40200000,
# the request program links against its symbols and calls its functions
# as plain C functions; each call runs in the storage VM, serialized, with
# the six argument registers in and rax out.  Failures end the request
# with a reason and reset the storage VM; the next request works.
. "$(dirname "$0")/../lib/common.sh"

gcc -O2 -Wall -static "-I$ROOT/engine/include" -Wl,-Ttext-segment=0x40200000 \
	-o "$WORK/storage" "$GUESTS/direct_storage.c" || die "cannot build storage"
objcopy -w --extract-symbol --strip-symbol='!direct_*' --strip-symbol='*' \
	"$WORK/storage" "$WORK/storage.syms" || die "objcopy"
gcc -O2 -Wall -static "-I$ROOT/engine/include" \
	"-Wl,--just-symbols=$WORK/storage.syms" \
	-o "$WORK/request" "$GUESTS/direct_request.c" || die "cannot build request"
S=(--storage-program "$WORK/storage")

# 4000 direct calls over 4 request VMs: one counter, none lost.
run_guest "${S[@]}" --request GET /add --repeat 4000 --concurrency 4 "$WORK/request"
expect_rc 0
expect_out_has "direct counter: 4000 calls"
expect_err_has "tinykvm-run: 4000 requests on 4 VMs: 0 failed"
expect_err_has "tinykvm-run: storage: 4000 calls (0 failed), 0 resets,"

# Six arguments and the result; the caller's registers and stack after
# the call; the function runs in the storage VM, on its own heap above
# 1 GiB; storage_callv into the separate program too.
run_guest "${S[@]}" --request GET /add --request GET /add --request GET /sum \
	--request GET /where --request GET /callv "$WORK/request"
expect_rc 0
expect_out_has "counter=1001"
expect_out_has "counter=1002"
expect_out_has "sum=654321 keep=77"
expect_out_has "high=1 storage=1 heap=1"
expect_out_has "r=20 echo hi counter=1002"

# Every failure names the function and what happened; the storage VM is
# reset to its initialized state (counter 1000 again) and the next
# request is served.
run_guest "${S[@]}" --timeout 0.5 --request GET /add --request GET /deref \
	--request GET /add --request GET /crash --request GET /loop \
	--request GET /exit --request GET /secret --request GET /middle \
	--request GET /add "$WORK/request"
expect_rc 125
expect_err_has "request 2 (GET /deref) failed: direct storage call to 0x"
expect_err_has "failed: guest page fault: read of 0x"
expect_err_has "request 4 (GET /crash) failed: direct storage call to 0x"
expect_err_has "failed: guest page fault: write to 0x10 at rip 0x"
expect_err_has "request 5 (GET /loop) failed: direct storage call to 0x"
expect_err_has "failed: guest exceeded its 0.5 s time limit at rip 0x"
expect_err_has "request 6 (GET /exit) failed: direct storage call to 0x"
expect_err_has "failed: the storage program exited with status 7; the storage VM was reset"
expect_err_has "request 7 (GET /secret) failed: direct storage call to 0x"
expect_err_has ": not a function allowed by sys_storage_allow()"
expect_err_has "request 8 (GET /middle) failed: direct storage call to 0x"
expect_err_has "tinykvm-run: 9 requests on 1 VMs: 6 failed"
expect_err_has "tinykvm-run: storage: 7 calls (4 failed), 4 resets,"
[ "$(grep -c '^v=1 counter=1001$' "$WORK/out")" = 3 ] || die "resets: [$OUT]"
[ "$(grep -c '^HTTP 504' "$WORK/out")" = 1 ] || die "loop status: [$OUT]"

# Without the storage program the same call is an ordinary crash.
run_guest --request GET /add "$WORK/request"
expect_rc 125
expect_err_has "request 1 (GET /add) failed: guest page fault: execute at 0x40201"

# The request program may not reach into the storage program's gigabyte.
run_guest "${S[@]}" --memory 1100 --request GET /add "$WORK/request"
expect_rc 125
expect_err "tinykvm-run: the storage program is linked at 1024 MiB, inside the request program's address space (1100 MiB with shared memory): lower address_space or link the storage program higher"

# A bad storage program is refused as such.
run_guest --storage-program /etc/hostname --request GET /add "$WORK/request"
expect_rc 125
expect_err "tinykvm-run: storage program: invalid ELF: not an ELF file (bad magic)"
run_guest --storage-program "$WORK/none" --request GET /add "$WORK/request"
expect_rc 125
expect_err_has "tinykvm-run: storage program: cannot open "

# Any program linked above 1 GiB has all its memory there.
gcc -O2 -Wall -static -Wl,-Ttext-segment=0x40200000 -o "$WORK/high" \
	"$GUESTS/high_hello.c" || die "cannot build high_hello"
run_guest "$WORK/high"
expect_rc 0
expect_out "code=1 heap=1 big=1 map=1 stack=1"
run_guest --memory 15800 "$WORK/high"
expect_rc 125
expect_err "tinykvm-run: the program is linked at 1024 MiB: with its address space (15800 MiB) and shared memory it would end above 16384 MiB"
echo ok
