# SPDX-License-Identifier: BSD-2-Clause
# The guest API from Go: examples/go (cgo over kvm_api.h, linked
# statically, Debian's golang-go) ends initialization in the paused mode
# and answers GET and POST with the exact responses; goroutines and a
# channel ran during initialization (sum=30) and every request starts
# from the frozen state (counter=42 each time).  Needs guest threads
# (clone, futex) and Go's large PROT_NONE reservations.
. "$(dirname "$0")/../lib/common.sh"

[ -x /usr/bin/go ] || die "Debian's golang-go is missing (scripts/install-deps.sh)"
GOCACHE="$WORK/gocache" GO=/usr/bin/go "$ROOT/examples/go/build.sh" "$WORK/hello_go" ||
	die "cannot build examples/go"
printf 'posted data' > "$WORK/body"
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
