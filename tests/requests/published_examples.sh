# SPDX-License-Identifier: BSD-2-Clause
# Behaviour the published example programs depend on, checked with our own
# guest (tests/guests/req_examples.c) under tinykvm-run against a local
# Python origin: a zeroed curl_op collects no header fields; asking with
# headers_length >= 64 and no buffer gives the fields in a new mapping with
# a NUL after them, and the body as the origin encoded it (gzip stays
# gzip); a response field with an empty value ends the request, as on the
# published host; a bare key unsets a field; a program built with the
# older five-argument backend_response (tests/guests/old_counter.c) counts.
# The published Rust binding's paused mode and response extra, with
# tests/guests/rust_paused.rs.
. "$(dirname "$0")/../lib/common.sh"

build_guest examples req_examples.c gcc -static "-I$ROOT/engine/include"
python3 - "$WORK/port" <<'PY' &
import gzip, http.server, os, sys
class Origin(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"plain text"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", 0), Origin)
open(sys.argv[1] + ".tmp", "w").write(str(srv.server_port))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
PY
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port") || die "the test server did not start"

run_guest --request GET /noheaders --arg "http://127.0.0.1:$PORT/" "$WORK/examples"
expect_rc 0
expect_out "HTTP 200
Content-Type: text/plain

r=0 status=200 headers=none hlen=0"

run_guest --request GET /gzip --arg "http://127.0.0.1:$PORT/" "$WORK/examples"
expect_rc 0
expect_out "HTTP 200
Content-Type: text/plain

r=0 status=200 encoding=gzip raw=1f8b nul=1"

run_guest --request GET /empty "$WORK/examples"
expect_rc 125
expect_out_has "HTTP 500"
expect_err_has "request 1 (GET /empty) failed: sys_http_append: the field is not 'Key: value'"

run_guest --request GET /unset "$WORK/examples"
expect_rc 0
expect_out "HTTP 200
Content-Type: text/plain

unset"
# Built as the shipped c/counter and c/scounter are: the five-argument
# backend_response of an older header, the counter left in r9.
build_guest old_counter old_counter.c gcc -static "-I$ROOT/engine/include"
# Its library has the older keys: warned about (its group's too), ignored.
echo '{ "old": { "max_time": 4 }, "counter": { "group": "old", "shared_memory": 2,
    "ephemeral": false, "max_work_memory": 64 } }' > "$WORK/counter.json"
run_guest --config "$WORK/counter.json" --program counter --request GET / \
    --request GET / --request GET / "$WORK/old_counter"
expect_rc 0
expect_out "HTTP 200
Content-Type: text/plain

Hello 1 World!
HTTP 200
Content-Type: text/plain

Hello 2 World!
HTTP 200
Content-Type: text/plain

Hello 3 World!"
expect_err_has "tinykvm-run: warning: group 'old': 'max_time' is not a known setting (did you mean 'max_request_time'?); ignored"
expect_err_has "tinykvm-run: warning: program 'counter': 'max_work_memory' is not a known setting (did you mean 'max_request_memory'?); ignored"

# The published Rust binding (rust/static): the paused mode into its own
# 88-byte structure (the host writes 104 bytes, the last 16 zero, as the
# published host does) and an extra whose num_headers is a usize; each
# request starts from the paused point (n is 1 each time).
[ -x /usr/bin/rustc ] || die "Debian's rustc is missing (scripts/install-deps.sh)"
/usr/bin/rustc --edition 2021 -O -C target-feature=+crt-static -o "$WORK/rust_paused" \
	"$GUESTS/rust_paused.rs" || die "cannot compile rust_paused.rs"
run_guest --request GET /one --request GET /two "$WORK/rust_paused"
expect_rc 0
expect_out "HTTP 200
Content-Type: text/plain
X-Header: Header value
X-Header2: Header value

paused 1 url=/one spare=[0, 0]
HTTP 200
Content-Type: text/plain
X-Header: Header value
X-Header2: Header value

paused 1 url=/two spare=[0, 0]"
echo "calls as the published examples make them: as expected"
