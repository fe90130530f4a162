# SPDX-License-Identifier: BSD-2-Clause
# The guest API from Rust and Python: examples/rust (inline asm, Debian's
# rustc, no crates) and examples/python (Debian's python3 with ctypes over
# libkvm_api.so, callbacks through CFUNCTYPE re-entering the interpreter)
# answer GET and POST with the exact responses; the state built during
# initialization is what every request starts from (counter=42 each
# time), and 10,000 Python requests on 2 VMs all give the first round's
# response.  A Python exception in a callback fails only that request.
# Go (examples/go) and examples/rust/threads.rs, which need guest threads,
# are tests/requests/langs_threads.sh.
. "$(dirname "$0")/../lib/common.sh"

[ -x /usr/bin/rustc ] || die "Debian's rustc is missing (scripts/install-deps.sh)"
[ -x /usr/bin/python3 ] || die "Debian's python3 is missing (scripts/install-deps.sh)"
RUSTC=/usr/bin/rustc "$ROOT/examples/rust/build.sh" "$WORK/hello_rust" ||
	die "cannot build examples/rust"
"$ROOT/examples/python/build.sh" "$WORK/py" || die "cannot build examples/python"
printf 'posted data' > "$WORK/body"

# Natively they only say where to run them.
[ "$("$WORK/hello_rust")" = "run me in tinykvm-run or under varnishd" ] ||
	die "rust: native run"
[ "$(/usr/bin/python3 "$WORK/py/hello.py")" = "run me in tinykvm-run or under varnishd" ] ||
	die "python: native run"

# --- Rust ------------------------------------------------------------------
run_guest --header 'User-Agent: langs-test' --arg an-arg \
	--request GET /first --request GET /second "$WORK/hello_rust"
expect_rc 0
expect_out "Rust program ready
HTTP 200
Content-Type: text/plain
X-Language: Rust
X-TinyKVM-Cache: uncached ttl=1 grace=0 keep=0

Hello from Rust! url=/first arg=an-arg User-Agent: langs-test counter=42

HTTP 200
Content-Type: text/plain
X-Language: Rust
X-TinyKVM-Cache: uncached ttl=1 grace=0 keep=0

Hello from Rust! url=/second arg=an-arg User-Agent: langs-test counter=42"
run_guest --body "$WORK/body" --content-type text/plain --request POST /post "$WORK/hello_rust"
expect_rc 0
expect_out "Rust program ready
HTTP 201
Content-Type: text/plain
X-Language: Rust

Rust got 11 bytes of text/plain at /post: posted data"

# --- Python ----------------------------------------------------------------
pystd=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
PY=(--allow "$WORK/py" --allow "$pystd")
run_guest "${PY[@]}" --header 'User-Agent: langs-test' --arg an-arg \
	--request GET /first --request GET /second /usr/bin/python3 "$WORK/py/hello.py"
expect_rc 0
expect_out 'Python program ready
HTTP 200
Content-Type: text/plain
X-Language: Python
X-TinyKVM-Cache: uncached ttl=1 grace=0 keep=0

Hello from Python! url=/first arg=an-arg User-Agent: langs-test {"counter": 42, "seen": ["/first"]}

HTTP 200
Content-Type: text/plain
X-Language: Python
X-TinyKVM-Cache: uncached ttl=1 grace=0 keep=0

Hello from Python! url=/second arg=an-arg User-Agent: langs-test {"counter": 42, "seen": ["/second"]}'
run_guest "${PY[@]}" --body "$WORK/body" --content-type text/plain --request POST /post \
	/usr/bin/python3 "$WORK/py/hello.py"
expect_rc 0
expect_out "Python program ready
HTTP 201
Content-Type: text/plain
X-Language: Python

Python got 11 bytes of text/plain at /post sha256=$(printf 'posted data' | sha256sum | cut -d' ' -f1): posted data"

run_guest "${PY[@]}" --request GET /x --repeat 10000 --concurrency 2 \
	/usr/bin/python3 "$WORK/py/hello.py"
expect_rc 0
expect_err "tinykvm-run: 10000 requests on 2 VMs: 0 failed, 0 differed from the first round"

# A callback that raises: ctypes prints the traceback and returns without
# a response, so that request fails; the next one is served.
cat > "$WORK/py/raises.py" <<'PY'
import varnish
def on_get(url, arg):
    if url == "/raise":
        raise ValueError("on purpose")
    varnish.backend_response(200, "text/plain", "fine " + url)
varnish.set_backend_get(on_get)
varnish.wait_for_requests()
PY
run_guest "${PY[@]}" --request GET /raise --request GET /after /usr/bin/python3 "$WORK/py/raises.py"
expect_rc 125
expect_out "HTTP 500
Content-Type: 


HTTP 200
Content-Type: text/plain

fine /after"
expect_err_has "ValueError: on purpose"
expect_err_has "request 1 (GET /raise) failed: "
echo ok
