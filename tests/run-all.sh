#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs every test: tests/unit/* binaries (built by make) and every
# tests/*/*.sh script.  A test passes only by exiting 0; anything else,
# a "skip" included, is a failure.  Usage: tests/run-all.sh [PATTERN...]
# runs the tests whose path contains any PATTERN (all without one).
# BUILD (default build) is the build directory tested, TEST_TIMEOUT
# (default 600) each test's limit in seconds; a sanitizer build
# (make SANITIZE=... check) also fails a test that left a report.
set -u
cd "$(dirname "$0")/.."
patterns=("$@")
selected() {	# NAME: whether a pattern (or none) selects it
	local p
	[ ${#patterns[@]} -eq 0 ] && return 0
	for p in "${patterns[@]}"; do
		case "$1" in *"$p"*) return 0 ;; esac
	done
	return 1
}
# TKVM_CC_CACHE=DIR: the tests' compilers go through tests/lib/cc-cache.sh.
if [ -n "${TKVM_CC_CACHE:-}" ]; then
	export TKVM_CC_CACHE PATH="$PWD/tests/lib/cc-cache:$PATH"
fi
export BUILD=${BUILD:-build}
# Each test's time limit in seconds (a test over it fails); the
# hardware-KVM rig, where everything runs emulated, raises it.
TEST_TIMEOUT=${TEST_TIMEOUT:-600}
san_check() { return 0; }	# tests/lib/sanitizer.sh redefines it
if readelf -d "$BUILD/tinykvm-run" 2>/dev/null | grep -q 'NEEDED.*lib[a-z]*san\.'; then
	. tests/lib/sanitizer.sh
fi
pass=0; fail=0; failed=()

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "FATAL: /dev/kvm is not usable by $(id -un); every test needs KVM" >&2
	exit 1
fi

# Every log says what it ran on: machines differ by CPU and KVM kind.
echo "== host (tinykvm-run --host-info)"
if ! "$BUILD/tinykvm-run" --host-info; then
	echo "FATAL: the engine cannot describe this host" >&2
	exit 1
fi
echo

run_one() {
	local name=$1; shift
	local log=$BUILD/test-logs/${name//\//_}.log
	mkdir -p "$BUILD/test-logs"
	local rc=0 t0=$SECONDS
	"$@" >"$log" 2>&1 || rc=$?
	[ "$rc" -eq 124 ] && echo "timed out after $TEST_TIMEOUT s" >>"$log"
	san_check "$log" >>"$log" 2>&1 || rc=1
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1)); echo "PASS $name ($((SECONDS - t0)) s)"
		# What a test could not check on this host, it says in a NOTE.
		grep '^NOTE:' "$log" | sed 's/^/    /' || true
	else
		fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name ($((SECONDS - t0)) s, log: $log)"
		sed 's/^/    /' "$log" | tail -n 30
		# varnishtest says why on its "---- " lines, often far above the end.
		grep -a -- "^---- " "$log" | head -n 5 | sed "s/^/    why: /" || true
	fi
}

for t in "$BUILD"/unit/*; do
	[ -x "$t" ] || continue
	selected "$t" || continue
	run_one "unit/$(basename "$t")" "$t"
done
for t in tests/*/*.sh; do
	[ -f "$t" ] || continue
	case "$t" in tests/lib/*) continue ;; esac
	selected "$t" || continue
	run_one "${t#tests/}" timeout -k 10 "$TEST_TIMEOUT" bash "$t"
done

# varnishtest: a skipped test is a failure, so the log is checked too.
run_vtc() {
	local out
	out=$(varnishtest -t "$TEST_TIMEOUT" -p vmod_path="$PWD/$BUILD/vmod:$(pkg-config --variable=vmoddir varnishapi)" \
		-Dtkvm_include="$PWD/engine/include" -Dtkvm_run="$PWD/$BUILD/tinykvm-run" \
		-Dtkvm_tests="$PWD/tests" \
		"$1" 2>&1)
	local rc=$?
	echo "$out"
	if grep -q "TEST .* skipped" <<<"$out"; then
		echo "varnishtest skipped $1: counted as a failure"
		return 1
	fi
	return $rc
}

for t in tests/*/*.vtc; do
	[ -f "$t" ] || continue
	selected "$t" || continue
	run_one "${t#tests/}" run_vtc "$t"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
