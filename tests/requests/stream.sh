# SPDX-License-Identifier: BSD-2-Clause
# begin_streaming_response through tinykvm-run (tests/guests/req_stream.c):
# 64 MiB in 64 KiB chunks with and without a content length arrive whole
# and in order; a callback that crashes or loops midway fails its request
# with the reason, and the next request on the same VM is served.
. "$(dirname "$0")/../lib/common.sh"

build_guest stream req_stream.c gcc -static "-I$ROOT/engine/include"
BIG=$((64 << 20))
python3 - "$WORK/expected" "$BIG" <<'PY'
import sys
n = int(sys.argv[2])
body = (b"abcdefghijklmnopqrstuvwxyz" * (n // 26 + 1))[:n]
open(sys.argv[1], "wb").write(b"HTTP 200\nContent-Type: text/plain\n\n" + body + b"\n")
PY
for u in /len/$BIG /chunked/$BIG; do
	"$RUN" --request GET "$u" "$WORK/stream" >"$WORK/big" 2>"$WORK/err" ||
		die "GET $u: exit status $? ($(cat "$WORK/err"))"
	cmp "$WORK/big" "$WORK/expected" || die "GET $u: the body differs"
done

# on_error's response streams too.
run_guest --request GET /fail --request GET /len/3 "$WORK/stream"
expect_rc 125
expect_out "HTTP 500
Content-Type: text/plain

abcd
HTTP 200
Content-Type: text/plain

abc"

run_guest --timeout 1 --request GET /crash --request GET /len/30 \
	--request GET /loop --request GET /chunked/3 "$WORK/stream"
expect_rc 125
expect_err_has "request 1 (GET /crash) failed: stream: guest page fault: write to 0x1"
expect_err_has "request 3 (GET /loop) failed: stream: guest exceeded its 1 s time limit"
expect_out_has "abcdefghijklmnopqrstuvwxyzabcd
HTTP 500"
case "$OUT" in *"HTTP 200
Content-Type: text/plain

abc") ;; *) die "stdout [$OUT] does not end with the chunked body" ;; esac
