# SPDX-License-Identifier: BSD-2-Clause
# Nothing of one request survives into the next on the same VM: globals,
# heap, stack, a new mmap, brk, an open file, a signal handler, TLS (FS
# base), vector registers and cwd are all back to the frozen state.  The
# same program with "ephemeral": false does keep them (so this test can
# tell), and 10,000 requests give identical responses.
. "$(dirname "$0")/../lib/common.sh"

build_guest iso req_isolation.c gcc -static "-I$ROOT/engine/include"
printf 'data\n' > "$WORK/allowed.txt"
clean="global=clean heap=clean tls=clean stack=clean mmap=clean brk=0x4cf000 fd=3 sig=default xmm=0 cwd=/"
run_guest --allow "$WORK" --request GET /a --request GET /b --request GET /c \
	"$WORK/iso" "$WORK/allowed.txt" "$WORK"
expect_rc 0
expect_out "HTTP 200
Content-Type: text/plain

$clean
HTTP 200
Content-Type: text/plain

$clean
HTTP 200
Content-Type: text/plain

$clean"

cat > "$WORK/lib.json" <<JSON
{
	"persistent": { "filename": "$WORK/iso", "ephemeral": false,
		"allowed_paths": ["$WORK"], "main_arguments": ["$WORK/allowed.txt", "$WORK"] }
}
JSON
run_guest --config "$WORK/lib.json" --program persistent --request GET /a --request GET /b
expect_rc 0
expect_out_has "global=SECRET heap=SECRET tls=SECRET stack=SECRET mmap=clean brk=0x4d0000 fd=4 sig=SET xmm=0 cwd=$WORK"

run_guest --allow "$WORK" --request GET /x --repeat 10000 "$WORK/iso" "$WORK/allowed.txt" "$WORK"
expect_rc 0
expect_err "tinykvm-run: 10000 requests on 1 VMs: 0 failed, 0 differed from the first round"
echo ok
