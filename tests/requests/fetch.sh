# SPDX-License-Identifier: BSD-2-Clause
# sys_fetch and sys_request under tinykvm-run (tests/guests/req_fetch.c),
# through the VMOD's HTTP client, against a local Python HTTP server: a
# fetch gets status, content type and body; a self-request goes to
# --self-request URL-PREFIX, and without it fails with -ENOSYS and a
# message; sys_request with a full URL is -EINVAL; a refused connection
# is -ECONNREFUSED; a body goes into the program's content buffer when it
# gives one (-EFBIG when larger), and no room for a new buffer is -ENOMEM.
. "$(dirname "$0")/../lib/common.sh"

build_guest fetcher req_fetch.c gcc -static "-I$ROOT/engine/include"
mkdir -p "$WORK/www"
printf 'hi there' >"$WORK/www/hello.txt"
python3 - "$WORK/www" "$WORK/port" <<'PY' &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
class Quiet(handler.func):
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", 0),
    functools.partial(Quiet, directory=sys.argv[1]))
open(sys.argv[2] + ".tmp", "w").write(str(srv.server_port))
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
PY
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port") || die "the test server did not start"
OK="HTTP 200
Content-Type: text/plain

r=0 status=200 ct=text/plain body=hi there"

run_guest --request GET /fetch --arg "http://127.0.0.1:$PORT/hello.txt" "$WORK/fetcher"
expect_rc 0
expect_out "$OK"

run_guest --self-request "http://127.0.0.1:$PORT" --request GET /request \
	--arg /hello.txt "$WORK/fetcher"
expect_rc 0
expect_out "$OK"

# A path given to sys_fetch is a self-request too.
run_guest --self-request "http://127.0.0.1:$PORT" --request GET /fetch \
	--arg /hello.txt "$WORK/fetcher"
expect_rc 0
expect_out "$OK"

run_guest --verbose --request GET /request --arg /hello.txt "$WORK/fetcher"
expect_rc 0
expect_out_has "r=-38 status=0"
expect_err_has "a self-request (/hello.txt) needs --self-request URL-PREFIX"

run_guest --request GET /request --arg "http://127.0.0.1:$PORT/hello.txt" "$WORK/fetcher"
expect_rc 0
expect_out_has "r=-22 status=0"

# A content buffer of the program's gets the body, as published; a body
# larger than it fails the fetch (-EFBIG) and the program goes on, as it
# does when no buffer can be mapped for the body (-ENOMEM).
run_guest --request GET /into --arg "http://127.0.0.1:$PORT/hello.txt" "$WORK/fetcher"
expect_rc 0
expect_out_has "r=0 status=200 ct=text/plain body=hi there (into its buffer)"
run_guest --request GET /small --arg "http://127.0.0.1:$PORT/hello.txt" "$WORK/fetcher"
expect_rc 0
expect_out_has "r=-27 status=0 ct= body="
run_guest --request GET /nomem --arg "http://127.0.0.1:$PORT/hello.txt" "$WORK/fetcher"
expect_rc 0
expect_out_has "r=-12 status=0 ct= body="

kill $SERVER; wait $SERVER 2>/dev/null || true
run_guest --request GET /fetch --arg "http://127.0.0.1:$PORT/hello.txt" "$WORK/fetcher"
expect_rc 0
expect_out_has "r=-111 status=0"
echo "sys_fetch and sys_request under tinykvm-run: as expected"
