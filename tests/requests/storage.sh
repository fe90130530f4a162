# SPDX-License-Identifier: BSD-2-Clause
# The storage VM (docs/DESIGN.md, "Storage"): state kept across requests
# and request VMs, calls serialized, results of every size, the allow-list,
# failing storage functions (the request fails, the storage VM is reset
# and counted, the next request works), misuse, and tasks.
. "$(dirname "$0")/../lib/common.sh"

build_guest storage req_storage.c gcc -static "-I$ROOT/engine/include"
P="$WORK/storage"

# 10,000 increments over 8 request VMs: none lost, none doubled.
run_guest --storage --request GET /incr --repeat 10000 --concurrency 8 "$P"
expect_rc 0
expect_out "HTTP 200
Content-Type: text/plain

ok
storage counter: 10000 increments"
expect_err_has "tinykvm-run: 10000 requests on 8 VMs: 0 failed, 0 differed from the first round"
expect_err_has "tinykvm-run: storage: 10000 calls (0 failed), 0 resets,"

# Results: 0 bytes, 1 byte, 16 MiB, a dst too small, no dst; buffers in;
# storage_noreturn; a function that gives no result; storage state and
# environment; calls from inside the storage VM; allow-list outside it.
run_guest --storage --memory 128 --request GET /state --request GET /incr \
	--request GET /state --request GET /sized/0 --request GET /sized/1 \
	--request GET /sized/16777216/16777216 --request GET /sized/100/10 \
	--request GET /nodst --request GET /echo --request GET /noreturn \
	--request GET /nothing --request GET /nested --request GET /allow \
	--request GET /toomany --request GET /state "$P"
expect_rc 0
for r in "r=56 out=counter=1000 after=0 storage=1 type=storage late_allow=9" \
	"r=56 out=counter=1001 after=1 storage=1 type=storage late_allow=9" \
	"r=0 out=want=0 ok=1 first=" "r=1 out=want=1 ok=1 first=a" \
	"r=16777216 out=want=16777216 ok=1 first=abcd" \
	"r=10 out=want=100 ok=1 first=abcd" "r=100 out=" \
	"r=19 out=ab||cde|n=3 res=256" "r=2 out=nr" "r=-1 out=" \
	"r=9 out=nested=-1" "r=18 out=main=-1 request=-1" \
	"r=57 out=counter=1001 after=1 storage=1 type=storage late_allow=-1"; do
	expect_out_has "$r"
done
[ "$(grep -c '^r=-1 out=$' "$WORK/out")" = 2 ] || die "nothing/toomany: [$OUT]"
expect_err_has "tinykvm-run: 15 requests on 1 VMs: 0 failed"
expect_err_has "tinykvm-run: storage: 13 calls (0 failed), 0 resets,"

# A buffer the storage VM cannot be given ends the request, as published
# (it throws); the next request is served.
run_guest --storage --request GET /badbuf --request GET /state "$P"
expect_rc 125
expect_err_has "request 1 (GET /badbuf) failed: storage_callv: bad pointer or length of buffer 0"
expect_out_has "r=56 out=counter=1000 after=0 storage=1 type=storage late_allow=9"

# A crash, a loop, an exit: the request fails naming the function, the
# storage VM is reset (counter back to 1000), the next request works.
run_guest --storage --timeout 0.5 --request GET /incr --request GET /crash \
	--request GET /state --request GET /incr --request GET /loop \
	--request GET /state --request GET /exit --request GET /disallowed \
	--request GET /return --request GET /incr --request GET /state "$P"
expect_rc 125
expect_err_has "request 2 (GET /crash) failed: storage function 0x"
expect_err_has "failed: guest page fault: write to 0x0 at rip 0x"
expect_err_has "request 5 (GET /loop) failed: storage function 0x"
expect_err_has "failed: guest exceeded its 0.5 s time limit at rip 0x"
expect_err_has "request 7 (GET /exit) failed: storage function 0x"
expect_err_has "failed: the storage program exited with status 3; the storage VM was reset"
expect_err_has "request 8 (GET /disallowed) failed: storage_callv: function 0x"
expect_err_has "is not allowed by sys_storage_allow()"
expect_err_has "request 9 (GET /return) failed: storage_return called outside a storage call"
expect_err_has "tinykvm-run: 11 requests on 1 VMs: 5 failed"
expect_err_has "tinykvm-run: storage: 9 calls (3 failed), 3 resets,"
[ "$(grep -c 'counter=1000 after=0' "$WORK/out")" = 2 ] || die "reset: [$OUT]"
expect_out_has "r=56 out=counter=1001 after=1 storage=1"
[ "$(grep -c '^HTTP 504' "$WORK/out")" = 1 ] || die "loop status: [$OUT]"

# Tasks: periodic until stopped, once with its data; never with a call.
run_guest --storage --request GET /tasks "$P"
expect_rc 0
expect_out_has "once=1:abc id>0=1 once=0 stop=1,0 many=1 still=1"
expect_err_has "task runs (0 failed)"
# A task scheduled by the storage VM's main() starts once it is ready.
run_guest --storage --env STORAGE_INIT_TASK=1 --request GET /taskruns "$P"
expect_rc 0
expect_out_has "r=1 out=runs="
# A task that crashes resets the storage VM; no request fails.
run_guest --storage --request GET /incr --request GET /taskcrash "$P"
expect_rc 0
expect_out_has "r=0 out=counter=1000 after=0 storage=1"
expect_err_has "tinykvm-run: storage: 2 calls (0 failed), 1 resets, 1 task runs (1 failed)"

# The storage VM's initialization fails: the program does not load.
run_guest --storage --env STORAGE_INIT_CRASH=1 --request GET /incr "$P"
expect_rc 125
expect_err "tinykvm-run: storage VM: initialization failed: guest page fault: write to 0x0 at rip ${ERR##*rip }"
run_guest --storage --env STORAGE_INIT_RETURN=1 --request GET /incr "$P"
expect_rc 125
expect_err "tinykvm-run: storage VM: initialization failed: storage_return called outside a storage call"

# From a library: "storage": true (no warning), max_storage_time.
cat > "$WORK/lib.json" <<EOF
{ "st": { "filename": "$P", "storage": true, "max_storage_time": 0.2 },
  "plain": { "filename": "$P" } }
EOF
run_guest --config "$WORK/lib.json" --program st --request GET /loop --request GET /incr
expect_rc 124	# every failure was a timeout
expect_err_has "request 1 (GET /loop) failed: storage function 0x"
expect_err_has "failed: guest exceeded its 0.2 s time limit at rip 0x"
case "$ERR" in *warning*) die "warned: $ERR" ;; esac
expect_out_has "ok"
run_guest --config "$WORK/lib.json" --program plain --request GET /state
expect_rc 125
expect_err_has 'request 1 (GET /state) failed: storage_callv: the program has no storage VM ("storage": true in its settings)'
echo ok
