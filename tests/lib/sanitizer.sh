# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/run-all.sh when $BUILD holds a sanitizer build (make
# SANITIZE=..., seen from the sanitizer runtimes tinykvm-run needs).
# Every sanitizer error stops the process.  ASan writes its reports to
# files in $SAN_LOGS; UBSan writes to stderr.  varnishd is not built
# with ASan, so the VMOD's ASan runtime must be loaded first: a varnishd
# wrapper, first in PATH (varnishtest starts "varnishd" from PATH),
# preloads it, turns leak detection off (varnishd's own allocations are
# not ours) and copies its stderr, where the child's output ends up,
# into $SAN_LOGS.  san_check fails a test that left a report there or
# in its own log.
SAN_LOGS=$PWD/$BUILD/sanitizer-logs
rm -rf "$SAN_LOGS"
mkdir -p "$SAN_LOGS/seen"
export ASAN_OPTIONS="halt_on_error=1:log_path=$SAN_LOGS/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

san_preload=
if readelf -d "$BUILD/vmod/libvmod_tinykvm.so" | grep -q 'NEEDED.*libasan\.'; then
	san_preload=$(gcc -print-file-name=libasan.so)
	[ -f "$san_preload" ] || { echo "FATAL: no libasan.so from gcc" >&2; exit 1; }
fi
san_varnishd=$(command -v varnishd || echo /usr/sbin/varnishd)
mkdir -p "$BUILD/san-bin"
cat >"$BUILD/san-bin/varnishd" <<WRAP
#!/usr/bin/env bash
# Made by tests/lib/sanitizer.sh: varnishd with the ASan runtime first.
[ -n "$san_preload" ] && export LD_PRELOAD="$san_preload"
export ASAN_OPTIONS="\$ASAN_OPTIONS:detect_leaks=0"
exec "$san_varnishd" "\$@" 2> >(tee -a "$SAN_LOGS/varnishd.\$\$" >&2)
WRAP
chmod +x "$BUILD/san-bin/varnishd"
export PATH="$PWD/$BUILD/san-bin:$PATH"

san_pattern='runtime error:|ERROR: [A-Za-z]*Sanitizer|WARNING: [A-Za-z]*Sanitizer'

# Fails (and shows them) if reports appeared since the last call, in
# $SAN_LOGS or in the test's log $1.
san_check() {
	local f found=0
	if grep -Eq "$san_pattern" "$1"; then
		echo "sanitizer report in the test's output (above)"
		found=1
	fi
	for f in "$SAN_LOGS"/asan.* "$SAN_LOGS"/varnishd.*; do
		[ -f "$f" ] || continue
		case "$f" in
		*/asan.*) ;;			# a report, whatever it says
		*) grep -Eq "$san_pattern" "$f" || { mv "$f" "$SAN_LOGS/seen/"; continue; } ;;
		esac
		echo "sanitizer report $f:"
		cat "$f"
		found=1
		mv "$f" "$SAN_LOGS/seen/"
	done
	[ "$found" -eq 0 ]
}
