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

# Deterministic: the host overwrites each shared byte it copied right
# after the copy (--test-flip-shared).  Every call still uses the clean
# bytes, and each reports that its bytes were overwritten, so each took
# them through the copy.  A call that read shared memory again after
# checking it would answer with newlines (or fail); one that did not
# copy at all would say NOT ARMED.
run_guest --config "$WORK/lib.json" --program shm --test-flip-shared \
	--header "X-Shm: in-request" \
	--request GET /c/respond --request GET /check --request GET /c/append \
	--request GET /c/set --request GET /c/find
expect_rc 0
expect_out "HTTP 200
Content-Type: text/shm
X-Shm: yes

ok
HTTP 200
Content-Type: text/plain

ctype=flipped header=flipped
HTTP 200
Content-Type: text/plain
X-Shm: yes

armed r=1
HTTP 200
Content-Type: text/plain
X-Shm: yes

armed r=1
HTTP 200
Content-Type: text/plain

armed r=17 field=X-Shm: in-request"
echo ok
