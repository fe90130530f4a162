# SPDX-License-Identifier: BSD-2-Clause
# Content type and header fields in shared memory are copied by the host
# before it checks them, so a concurrent VM rewriting them cannot slip a
# CR/LF past the check: every response is either clean or refused, never
# injected.  (tests/guests/req_shm_fields.c)
. "$(dirname "$0")/../lib/common.sh"

build_guest shm req_shm_fields.c gcc -static "-I$ROOT/engine/include"
cat > "$WORK/lib.json" <<JSON
{ "shm": { "filename": "$WORK/shm", "shared_memory": 2, "concurrency": 2 } }
JSON

run_guest --config "$WORK/lib.json" --program shm --request GET /respond --request GET /append
expect_rc 0
expect_out "HTTP 200
Content-Type: text/shm
X-Shm: yes

ok
HTTP 200
Content-Type: text/shm
X-Shm: yes
X-Shm: yes

ok"

# Two VMs: one keeps flipping the bytes while the other responds with
# them, many times.  No output line may carry the injected header.
run_guest --config "$WORK/lib.json" --program shm --concurrency 2 \
	--request GET /flip --request GET /respond --request GET /respond \
	--request GET /append --repeat 16
case "$OUT$ERR" in *X-Injected*) die "injected: $OUT" ;; esac
echo ok
