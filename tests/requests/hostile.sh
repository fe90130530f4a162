# SPDX-License-Identifier: BSD-2-Clause
# Hostile request handlers: crashes, loops, returning without a response,
# invalid status codes, bad pointers, huge and wrapped lengths, too many or
# malformed extra headers (an extra pointer that points at no structure is
# none).  Each request fails with one precise reason and
# the next request on the same VM succeeds; bad arguments to the header
# calls end the request as they do under the published VMOD, to the
# others they are refused; on_error gets the reason.
. "$(dirname "$0")/../lib/common.sh"

build_guest hostile req_hostile.c gcc -static "-I$ROOT/engine/include"

fails() {
	run_guest --timeout 0.5 --request GET "$1" --request GET /ok "$WORK/hostile"
	expect_rc "${3:-125}"
	expect_err_has "tinykvm-run: request 1 (GET $1) failed: $2"
	expect_out_has "HTTP 200
Content-Type: text/plain

ok"
}
fails /crash "guest page fault: write to 0x0 at rip 0x"
fails /loop "guest exceeded its 0.5 s time limit at rip 0x" 124
fails /ud2 "guest invalid opcode (vector 6) at rip 0x"
fails /return "request callback returned without a response"
fails /status0 "invalid response status 0"
fails /status199 "invalid response status 199"
fails /status600 "invalid response status 600"
fails /status-1 "invalid response status -1"
fails /ctype-null "sys_backend_response given a bad content type or body"
fails /body-wild "sys_backend_response given a bad content type or body"
fails /body-huge "sys_backend_response given a bad content type or body"
fails /body-wrap "sys_backend_response given a bad content type or body"
fails /extra-many "sys_backend_response given bad extra headers or cache settings"
fails /extra-nocolon "sys_backend_response given bad extra headers or cache settings"
fails /extra-crlf "sys_backend_response given bad extra headers or cache settings"
fails /extra-badname "sys_backend_response given bad extra headers or cache settings"
fails /ctype-crlf "sys_backend_response given a bad content type or body"
fails /append-wild "sys_http_append: bad field pointer or length"
fails /append-huge "sys_http_append: bad field pointer or length"
fails /append-64k "sys_http_append: bad field pointer or length"
fails /append-nocolon "sys_http_append: the field has no colon"
fails /append-where "sys_http_append: header set 7 is not available here"
fails /set-wild "sys_http_set: bad field pointer or length"
fails /find-wild "sys_http_find: bad key"
fails /find-out-wild "sys_http_find: bad output buffer"
fails /method-wild "sys_http_method: bad output buffer"
fails /meminfo-wild "get_meminfo: bad meminfo pointer"
fails /log-wild "sys_log: bad text pointer or length"

# A sixth register that does not point at a structure in guest memory
# (a wild or small value, as the older five-argument header leaves it)
# is no extra; a structure with no headers needs no header pointer.
for u in /extra-wild /extra-small /extra-zero; do
	run_guest --request GET "$u" "$WORK/hostile"
	expect_rc 0
	expect_out_has "HTTP 200
Content-Type: a

b"
done

run_guest --request GET /bad-calls "$WORK/hostile"
expect_rc 0
expect_out_has "all refused"

run_guest --timeout 0.5 --request GET /crash --request GET /loop "$WORK/hostile" on_error
expect_out_has "HTTP 500
Content-Type: text/plain

on_error for /crash: guest page fault: write to 0x0 at rip 0x"
expect_out_has "on_error for /loop: guest exceeded its 0.5 s time limit"
echo ok
