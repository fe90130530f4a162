# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers for the shell tests.  Source it: . tests/lib/common.sh
# Each test compiles its guest programs into $WORK (a fresh temp dir) and
# checks exact outcomes; any failed check ends the test with status 1.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN="$ROOT/${BUILD:-build}/tinykvm-run"
WORK=$(mktemp -d /tmp/tinykvm-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
GUESTS="$ROOT/tests/guests"

die() { echo "FAILED: $*" >&2; exit 1; }

# build_guest NAME SOURCE [CC FLAGS...]: compiles tests/guests/SOURCE
build_guest() {
	local out=$1 src=$2; shift 2
	local cc=${1:-gcc}; [ $# -gt 0 ] && shift
	"$cc" -O2 -Wall -o "$WORK/$out" "$GUESTS/$src" "${@:--static}" ||
		die "cannot compile $src"
}

# run_guest ARGS...: runs tinykvm-run, capturing OUT, ERR and RC
run_guest() {
	set +e
	"$RUN" "$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	set -e
	OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
}

# run_library PROG URL...: GETs each URL from program PROG of the library
# $WORK/lib.json in one tinykvm-run, as run_guest does
run_library() {
	local prog=$1 u; shift
	local args=()
	for u in "$@"; do args+=(--request GET "$u"); done
	run_guest --config "$WORK/lib.json" --program "$prog" "${args[@]}"
}

# kvm_kind: "hardware" (SYSCALL enters CPL 0) or "software" (PVM), from
# tinykvm-run --host-info.  Where the safe outcome differs by host, a test
# asserts the one for the host it sees and says which with a NOTE line.
kvm_kind() {
	[ -n "${KVM_KIND:-}" ] || KVM_KIND=$("$RUN" --host-info | sed -n 's/^kvm: \([a-z]*\):.*/\1/p')
	case "$KVM_KIND" in
	hardware|software) echo "$KVM_KIND" ;;
	*) die "tinykvm-run --host-info names no kind of KVM" ;;
	esac
}

expect_rc() { [ "$RC" -eq "$1" ] || die "exit status $RC, expected $1 (stderr: $ERR)"; }
expect_out() { [ "$OUT" = "$1" ] || die "stdout was [$OUT], expected [$1]"; }
expect_err() { [ "$ERR" = "$1" ] || die "stderr was [$ERR], expected [$1]"; }
expect_err_has() { case "$ERR" in *"$1"*) ;; *) die "stderr [$ERR] lacks [$1]" ;; esac; }
expect_out_has() { case "$OUT" in *"$1"*) ;; *) die "stdout [$OUT] lacks [$1]" ;; esac; }
set -e
