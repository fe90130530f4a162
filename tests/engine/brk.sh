# SPDX-License-Identifier: BSD-2-Clause
# brk() at its edges (tests/guests/brk_edges.c): every out-of-range break
# is refused (the break stays), near 2^64 included, where rounding up once
# wrapped to 0 and zeroed the system area (a crash of the host process in
# a request VM); shrinking zeroes what is given back.
. "$(dirname "$0")/../lib/common.sh"

build_guest brk brk_edges.c gcc -static "-I$ROOT/engine/include"
expected="start_is_page_aligned=1 below=+0 wrap=+0 max=+0 half=+0 past_memory=+0 grow=+8192 shrink=+1 regrow=+8192 second_page=zeroed"

run_guest "$WORK/brk"
expect_rc 0
expect_out "$expected"

# The request leaves the break grown and tries the wrap again; the next
# request finds the frozen break.
run_guest --request GET /break --request GET /edges --request GET /edges \
	--request GET /break "$WORK/brk" request
expect_rc 0
[ "$(grep -c "^$expected\$" "$WORK/out")" -eq 2 ] || die "request mode: $OUT"
[ "$(grep '^break=' "$WORK/out" | sort -u | wc -l)" -eq 1 ] || die "break moved: $OUT"
echo ok
