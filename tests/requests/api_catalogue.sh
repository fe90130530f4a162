# SPDX-License-Identifier: BSD-2-Clause
# The hostile-input catalogue of guest API calls (tests/guests/
# api_catalogue.c): every pointer argument of every served call gets each
# bad pointer (NULL, first page, system area, kernel half, wrapping,
# straddling the end of memory), every length 0, 1, huge and negative,
# and lengths wider than the published host reads them (wide, wide32) or
# longer than it takes (long). The outcomes are the published host's
# (docs/COMPATIBILITY.md, "Guest calls with bad arguments"): where it
# throws, the request ends with a reason; where it returns a value, the
# program gets that value and goes on.
# Each is one request on the same VM; its outcome, a result or the reason
# the request ended, is asserted exactly against api_catalogue.expected,
# and the VM keeps serving after every one of them.
. "$(dirname "$0")/../lib/common.sh"

build_guest apicat api_catalogue.c gcc -static "-I$ROOT/engine/include"
ptrs="null page1 system kernel wrap straddle"
lens="len0 len1 huge negative"
args=()
add() {	# CALL "POINTER ARGS" "LENGTH ARGS" ["ARG:CASE ..."]
	for a in $2; do for c in $ptrs; do args+=(--request GET "/$1/arg$a/$c"); done; done
	for a in $3; do for c in $lens; do args+=(--request GET "/$1/arg$a/$c"); done; done
	for x in ${4:-}; do args+=(--request GET "/$1/arg${x%%:*}/${x#*:}"); done
}
add backend_response "1 3 5" "2 4" "2:wide"
add http_append 1 2 "2:wide"
add http_set 1 2 "2:wide"
add http_find "1 3" "2 4" "2:wide 4:wide"
add http_method 0 1
add regex_compile 0 1 "1:wide"
add regex_compile0 0 ""
add regex_match 1 2 "2:wide32"
add regex_match0 1 ""
add regex_subst "1 2 3" 4 "1:long 4:wide32"
add log 0 1 "1:wide"
add log0 0 ""
add get_meminfo 0 ""
add fetch "0 2 3 4" 1 "1:long"
add fetch_field 0 1
add storage_callv "2 3" "1 4"
add storage_buffer 0 1
add storage_task 1 2
args+=(--request GET /make_ephemeral/arg0/valid)
args+=(--request GET /set_cacheable/arg9/valid)
args+=(--request GET /wait_for_requests/arg9/valid)
args+=(--request GET /http_method/arg9/valid)	# still serving at the end

run_guest --storage --header "X-Cat: yes" "${args[@]}" "$WORK/apicat"
# One line per request, in order: the body, or why it failed.
{
	grep -v '^HTTP \|^Content-Type: \|^X-Cat: \|^X-TinyKVM-Cache: \|^$' "$WORK/out"
	sed -n 's/^tinykvm-run: request [0-9]* (GET \(.*\)) failed: \(.*\)/\1 -> \2/p' "$WORK/err"
} | sort > "$WORK/got"
diff -u "$(dirname "$0")/api_catalogue.expected" "$WORK/got" ||
	die "outcomes differ from api_catalogue.expected"
grep -q '^http_method arg9=valid: 3$' "$WORK/got" || die "the VM stopped serving"
echo "$(wc -l < "$WORK/got") cases as expected"

# At initialization: a callback at an address outside the program, or in a
# slot the published host does not have, fails the load (it throws).
for a in register:"register_func: invalid address 0x1000 for slot 5" \
    slot:"register_func: no callback slot 13"; do
	run_guest --request GET /http_method/arg9/valid "$WORK/apicat" "${a%%:*}"
	[ "$RC" -ne 0 ] || die "${a%%:*}: the program loaded"
	expect_err_has "${a#*:}"
done
echo ok
