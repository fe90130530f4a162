# SPDX-License-Identifier: BSD-2-Clause
# The guest API in callback style: GET, POST and request callbacks, the
# sys_http_* calls against the runner's header sets, cacheability (call
# and BackendResponseExtra), sys_log, get_meminfo, the small calls, and
# an unknown call number (-ENOSYS).  Built with glibc, static-pie, musl.
. "$(dirname "$0")/../lib/common.sh"

I="-I$ROOT/engine/include"
build_guest api req_api.c gcc -static $I
build_guest api_pie req_api.c gcc -static-pie $I
build_guest api_musl req_api.c musl-gcc -static $I
printf 'body-bytes' > "$WORK/body"

for g in api api_pie api_musl; do
	run_guest --request GET /path --arg A1 --header "User-Agent: curl/8" "$WORK/$g"
	expect_rc 0
	expect_out "HTTP 200
Content-Type: text/plain
X-Appended: 1
X-Set: b
X-TinyKVM-Cache: cached ttl=60 grace=5 keep=1

GET url=/path arg=A1 method=GET/3 ua=User-Agent: curl/8 need=18 tiny=0 missing=0 gone=0 maxmem=1 storage=0 debug=0 ephemeral=-1 shm=0-0 unknown=-38 vm=0"
	expect_err "[log] hello from the guest"
done

run_guest --request PUT /p --arg A2 --body "$WORK/body" --content-type text/x "$WORK/api"
expect_rc 0
expect_out "HTTP 201
Content-Type: application/x-test
X-One: 1
X-Two: 2
X-TinyKVM-Cache: cached ttl=30 grace=10 keep=5

POST url=/p arg=A2 ctype=text/x len=10 sum=3036204160"

run_guest --request DELETE /d --header "A: b" --header "Cc:  d" "$WORK/api" request
expect_rc 0
expect_out "HTTP 200
Content-Type: text/plain

REQ DELETE /d arg= ctype= len=0 warmup=0 headers=2: [A: b|1] [Cc:  d|2]"

# Big bodies and many headers reach the program intact.
head -c $((2 << 20)) /dev/urandom > "$WORK/big"
hdrs=()
for i in $(seq 1 200); do hdrs+=(--header "X-H$i: v$i"); done
run_guest --request POST /big --body "$WORK/big" "${hdrs[@]}" "$WORK/api" request
expect_rc 0
expect_out_has "REQ POST /big arg= ctype= len=2097152 warmup=0 headers=200: [X-H1: v1|4]"
expect_out_has "[X-H150: v150|6]"

# Request VMs are numbered: vcpureqid() with --concurrency.
run_guest --request GET /x --repeat 4 --concurrency 2 "$WORK/api"
expect_rc 0
expect_err_has "4 requests on 2 VMs: 0 failed, 1 differed from the first round"
echo ok
