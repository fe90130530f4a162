# The streaming POST callback (register_func slot 4) through tinykvm-run
# (tests/guests/req_stream_post.c): a body of 1 MiB + 1000 bytes arrives
# in 17 pieces of at most 64 KiB, in order, with their offsets, and
# on_post then gets no data and the total length; nothing of a request's
# pieces survives into the next one.  A callback that takes less than
# its piece, crashes or loops fails its request with the reason; one
# that answers early (413) ends the request there.
. "$(dirname "$0")/../lib/common.sh"

build_guest spost req_stream_post.c gcc -static "-I$ROOT/engine/include"
SIZE=$(((1 << 20) + 1000))
FNV=$(python3 - "$WORK/body" "$SIZE" <<'PY'
import os, sys
n = int(sys.argv[2])
body = os.urandom(n)
open(sys.argv[1], "wb").write(body)
h = 0xcbf29ce484222325
for b in body:
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)
PY
)
EXPECT="pieces=17 bytes=$SIZE fnv=$FNV max=65536 first=0"

run_guest --request POST /sum --body "$WORK/body" --request POST /sum \
	--body "$WORK/body" "$WORK/spost"
expect_rc 0
expect_out "HTTP 200
Content-Type: text/plain

$EXPECT
HTTP 200
Content-Type: text/plain

$EXPECT"

# A body of one byte: one piece; a GET has no body and no pieces.
printf x >"$WORK/one"
run_guest --request POST /sum --body "$WORK/one" "$WORK/spost"
expect_rc 0
expect_out "HTTP 200
Content-Type: text/plain

pieces=1 bytes=1 fnv=af63f54c86021707 max=1 first=0"
run_guest --request GET /sum "$WORK/spost"
expect_rc 0
expect_out "HTTP 200
Content-Type: text/plain

get"

run_guest --request POST /short --body "$WORK/body" --request POST /sum \
	--body "$WORK/body" "$WORK/spost"
expect_rc 125
expect_err_has "request 1 (POST /short) failed: streaming POST callback took 65535 of 65536 bytes at offset 0"
expect_out_has "$EXPECT"

run_guest --timeout 1 --request POST /crash --body "$WORK/body" \
	--request POST /loop --body "$WORK/body" \
	--request POST /sum --body "$WORK/body" "$WORK/spost"
expect_rc 125
expect_err_has "request 1 (POST /crash) failed: streaming POST callback at offset 65536: guest page fault: write to 0x8"
expect_err_has "request 2 (POST /loop) failed: streaming POST callback at offset 65536: guest exceeded its 1 s time limit"
expect_out_has "$EXPECT"

run_guest --request POST /reject --body "$WORK/body" "$WORK/spost"
expect_rc 0
expect_out "HTTP 413
Content-Type: text/plain

too much"
echo "streaming POST: $SIZE bytes in 17 pieces, failures and early answer as expected"
