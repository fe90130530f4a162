# SPDX-License-Identifier: BSD-2-Clause
# Every XSAVE component the guest runs with is back in its initial state
# for the next request: a request fills one component (x87 stack, FCW,
# MXCSR, XMM, YMM, ZMM and opmask, AMX tiles, PKRU), the next request XSAVEs
# everything and checks it.  A self-test request first proves that the
# check sees the pattern on this CPU.  A component this host's XCR0 does
# not enable is named as not tested (a NOTE line), never counted as passed.
. "$(dirname "$0")/../lib/common.sh"

build_guest cpu req_cpu.c gcc -static "-I$ROOT/engine/include"
# Stub addresses: engine/src/layout.h (SYSCALL_STUB_ADDR, STUB_EXCEPTION).
STUBS="0x1c000 0x1c1e0"

body() { sed -n '4p' "$WORK/out"; }	# the first response's body

run_guest --request GET /info "$WORK/cpu" $STUBS
expect_rc 0
info=$(body)
echo "host: $info"
case "$info" in *" x87 SSE"*) ;; *) die "XCR0 lacks x87/SSE: $info" ;; esac

tested=0
for group in x87:x87 fcw:x87 mxcsr:SSE sse:SSE avx:AVX \
    avx512:opmask,ZMM_Hi256,Hi16_ZMM amx:TILECFG,TILEDATA pkru:PKRU; do
	name=${group%%:*}; comps=${group#*:}
	missing=""
	for c in ${comps//,/ }; do
		case "$info " in *" $c "*) ;; *) missing="$missing $c" ;; esac
	done
	if [ -n "$missing" ]; then
		echo "NOTE: cpu_state: $name not tested: component(s)$missing not enabled in XCR0 on this host"
		continue
	fi
	run_guest --request GET "/selftest/$name" "$WORK/cpu" $STUBS
	if [ "$RC" -ne 0 ]; then
		# AMX may be disabled for the guest (XFD), PKRU by CR4.PKE.
		case $name in amx|pkru) ;; *) die "filling $name failed: $ERR" ;; esac
		echo "NOTE: cpu_state: $name not tested: the fill faulted here ($ERR)"
		continue
	fi
	for c in ${comps//,/ }; do
		case "$(body) " in *" $c=dirty"*) ;;
		*) die "self-test: $name fill not visible in $c: $(body)" ;; esac
	done
	run_guest --request GET "/fill/$name" --request GET /check "$WORK/cpu" $STUBS
	expect_rc 0
	check=$(sed -n '8p' "$WORK/out")
	case "$check" in check*) ;; *) die "no check response: $OUT" ;; esac
	case "$check" in *dirty*) die "after /fill/$name: $check" ;; esac
	echo "$name: reset verified ($comps)"
	tested=$((tested + 1))
done
[ "$tested" -ge 5 ] || die "only $tested component groups could be tested"
echo ok
