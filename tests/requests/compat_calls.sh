# The header and regex calls return what the published VMOD returns
# (docs/GUEST_API.md), and a program built against a second header written
# to the published prototypes (tests/guests/published/kvm_api.h) behaves
# exactly like the same program built against ours.
. "$(dirname "$0")/../lib/common.sh"

W="-O2 -Wall -Wextra -Werror -static"
gcc $W -I"$ROOT/engine/include/tinykvm" -o "$WORK/ours" "$GUESTS/compat_calls.c" ||
	die "cannot build against our header"
gcc $W -I"$GUESTS/published" -o "$WORK/published" "$GUESTS/compat_calls.c" ||
	die "cannot build against the second header"
H=(--header "X-In: yes" --header "X-Copy1: a" --header "X-Copy2: b")

for g in ours published; do
	run_guest --request GET /http "${H[@]}" "$WORK/$g"
	expect_rc 0
	expect_out "HTTP 200
Content-Type: text/plain
X-A: 3
X-C: 4
X-Five: 5

append=1,1 set=1,1 find=6:X-A: 3 null=6 small=0 exact=6 none=0 unset=1,0 empty=0 where4=X-In: yes where5=1 bereq=1 method=GET/3/0"

	# The handle compiled in main() is used by requests; the same pattern
	# gives the same handle; substitution follows Varnish's regsub.
	run_guest --request GET /regex "${H[@]}" --repeat 3 "$WORK/$g"
	expect_rc 0
	expect_out "HTTP 200
Content-Type: text/plain
X-Copy1: a
X-Copy2: b

handle=1 same=1 match=1 nomatch=-1 empty=1 subst=13:X-Value: 666 all=9:1a 2b 3c first=14:<a1||q> b2 c3 nomatch=5:none cut=4:X-Va# copied=2 again=1"
	expect_err_has "3 requests on 1 VMs: 0 failed, 0 differed"
	# Request VMs on several threads share main()'s compiled expression.
	run_guest --request GET /regex "${H[@]}" --repeat 40 --concurrency 4 "$WORK/$g"
	expect_rc 0
	expect_err_has "40 requests on 4 VMs: 0 failed, 0 differed"

	# A request's handles are gone after it: handle 1 (the first after
	# main's 0) is unknown to the next request on the same VM.
	run_guest --request GET /leak --request GET /use1 "$WORK/$g"
	expect_out_has "handle=1"
	expect_out_has "on_error /use1: sys_regex_match: bad regex handle 1"

	fails() {
		run_guest --request GET "$1" --request GET /leak "${H[@]}" "$WORK/$g"
		expect_rc 125
		expect_err_has "request 1 (GET $1) failed: $2"
		expect_out_has "on_error $1: $2"
		expect_out_has "handle=1"	# the next request is served
	}
	fails /limit "sys_regex_compile: more than 64 regex handles"
	fails /badpattern "sys_regex_compile: the pattern '(' did not compile: missing closing parenthesis"
	fails /badhandle "sys_regex_match: bad regex handle 99"
	fails /badfree "sys_regex_free: bad regex handle 99"
	fails /badsubst "sys_regex_subst: bad regex handle -1"
	fails /badcopy "sys_regex_copyto: bad regex handle 42"
	fails /where9 "sys_http_find: header set 9 is not available here"
	fails /storage 'storage_callv: the program has no storage VM ("storage": true in its settings)'
	# No extra vCPUs: -1 (the published host without "smp"), the
	# request goes on.
	run_guest --request GET /multiprocess "${H[@]}" "$WORK/$g"
	expect_rc 0
	expect_out_has "multiprocess=-1 wait=0"
	fails /stream "begin_streaming_response given a bad content type or no callback"
	fails /noreturn "storage_noreturn called outside a storage call"
done

# Both builds answer every request byte for byte alike.
for u in /http /regex /leak /limit /badpattern /storage; do
	run_guest --request GET "$u" "${H[@]}" "$WORK/ours"; a=$OUT
	run_guest --request GET "$u" "${H[@]}" "$WORK/published"; b=$OUT
	[ "$a" = "$b" ] || die "$u differs: [$a] vs [$b]"
done
echo ok
