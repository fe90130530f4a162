# SPDX-License-Identifier: BSD-2-Clause
# The request programs of examples/ that need guest threads (clone,
# futex).  examples/rust/threads.rs (Debian's rustc) runs 4 threads with a
# mutex and a channel in main(), then answers GET with their result and
# POST with the body.  examples/go (cgo over kvm_api.h, linked
# statically, Debian's golang-go; the Go runtime also makes large
# PROT_NONE reservations) ends initialization in the paused mode and
# answers GET and POST with the exact responses; goroutines, a channel and
# runtime.GC() ran during initialization (sum=30) and every request starts
# from the frozen state (counter=42 each time).
. "$(dirname "$0")/../lib/common.sh"

[ -x /usr/bin/rustc ] || die "Debian's rustc is missing (scripts/install-deps.sh)"
RUSTC=/usr/bin/rustc "$ROOT/examples/rust/build.sh" "$WORK/threads_rust" threads.rs ||
	die "cannot build examples/rust/threads.rs"
printf 'posted data' > "$WORK/body"
run_guest --request GET /t "$WORK/threads_rust"
expect_rc 0
expect_out "Rust threads program ready
HTTP 200
Content-Type: text/plain

Rust threads: url=/t threads=4 parts=[(0, 31375), (1, 93875), (2, 156375), (3, 218875)] sum=500500"
run_guest --body "$WORK/body" --request POST /p "$WORK/threads_rust"
expect_rc 0
expect_out "Rust threads program ready
HTTP 201
Content-Type: text/plain

posted data"
run_guest --request GET /x --repeat 1000 --concurrency 2 "$WORK/threads_rust"
expect_rc 0
expect_err "tinykvm-run: 1000 requests on 2 VMs: 0 failed, 0 differed from the first round"

[ -x /usr/bin/go ] || die "Debian's golang-go is missing (scripts/install-deps.sh)"
GOCACHE="$WORK/gocache" GO=/usr/bin/go "$ROOT/examples/go/build.sh" "$WORK/hello_go" ||
	die "cannot build examples/go"
[ "$("$WORK/hello_go")" = "run me in tinykvm-run or under varnishd" ] || die "go: native run"

run_guest --memory 1024 --header 'User-Agent: langs-test' --arg an-arg \
	--request GET /first --request GET /second "$WORK/hello_go"
expect_rc 0
expect_out "Go program ready
HTTP 200
Content-Type: text/plain
X-Language: Go
X-TinyKVM-Cache: uncached ttl=1 grace=0 keep=0

Hello from Go! url=/first arg=an-arg User-Agent: langs-test sum=30 counter=42

HTTP 200
Content-Type: text/plain
X-Language: Go
X-TinyKVM-Cache: uncached ttl=1 grace=0 keep=0

Hello from Go! url=/second arg=an-arg User-Agent: langs-test sum=30 counter=42"
run_guest --memory 1024 --body "$WORK/body" --content-type text/plain --request POST /post "$WORK/hello_go"
expect_rc 0
expect_out "Go program ready
HTTP 201
Content-Type: text/plain
X-Language: Go

Go got 11 bytes of text/plain at /post: posted data"
run_guest --memory 1024 --request GET /x --repeat 1000 --concurrency 2 "$WORK/hello_go"
expect_rc 0
expect_err "tinykvm-run: 1000 requests on 2 VMs: 0 failed, 0 differed from the first round"
echo ok
