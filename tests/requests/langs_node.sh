# SPDX-License-Identifier: BSD-2-Clause
# The guest API from JavaScript: examples/node (the system's Node.js with
# an N-API addon over kvm_api.h, in the paused mode) answers GET and POST
# with the exact responses; a worker thread and a timer ran during
# initialization, and every request starts from the frozen state
# (counter=42 each time): 2,000 requests on 2 VMs give the first round's
# response.  V8 reserves more than 1 GiB at start-up: --address-space.
. "$(dirname "$0")/../lib/common.sh"

[ -x /usr/bin/node ] || die "node is missing (scripts/install-deps.sh installs nodejs)"
"$ROOT/examples/node/build.sh" "$WORK/js" || die "cannot build examples/node"
[ "$(/usr/bin/node "$WORK/js/hello.js")" = "run me in tinykvm-run or under varnishd" ] ||
	die "node: native run"
printf 'posted data' > "$WORK/body"
JS=(--memory 1024 --address-space 4096 --allow "$WORK/js" --allow /etc/ssl)
run_guest "${JS[@]}" --header 'User-Agent: langs-test' --arg an-arg \
	--request GET /first --request GET /second /usr/bin/node "$WORK/js/hello.js"
expect_rc 0
expect_out 'Node.js program ready
HTTP 200
Content-Type: text/plain
X-Language: JavaScript
X-TinyKVM-Cache: uncached ttl=1 grace=0 keep=0

Hello from Node.js! url=/first arg=an-arg langs-test {"counter":42,"seen":["/first"],"fromWorker":42,"timer":"ran"}

HTTP 200
Content-Type: text/plain
X-Language: JavaScript
X-TinyKVM-Cache: uncached ttl=1 grace=0 keep=0

Hello from Node.js! url=/second arg=an-arg langs-test {"counter":42,"seen":["/second"],"fromWorker":42,"timer":"ran"}'
run_guest "${JS[@]}" --body "$WORK/body" --content-type text/plain --request POST /post \
	/usr/bin/node "$WORK/js/hello.js"
expect_rc 0
expect_out "Node.js program ready
HTTP 201
Content-Type: text/plain
X-Language: JavaScript

Node.js got 11 bytes of text/plain at /post sha256=4923263c3b987ae03ad7c467039512e43564a9af88fe6ff72d9b102a57685367: posted data"
run_guest "${JS[@]}" --request GET /x --repeat 2000 --concurrency 2 /usr/bin/node "$WORK/js/hello.js"
expect_rc 0
expect_err "tinykvm-run: 2000 requests on 2 VMs: 0 failed, 0 differed from the first round"

# In 1 GiB V8 cannot reserve its code range: the load fails with Node's
# own message, not a hang or a crash of the host.
run_guest --memory 1024 --allow "$WORK/js" --allow /etc/ssl --request GET / \
	/usr/bin/node "$WORK/js/hello.js"
expect_rc 125
expect_err_has "Fatal process OOM in Failed to reserve virtual memory for CodeRange"
expect_err_has "tinykvm-run: initialization failed: guest breakpoint (vector 3) at rip 0x"
echo ok
