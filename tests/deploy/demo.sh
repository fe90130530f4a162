#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# scripts/demo.sh as the README tells a new user to run it: make install
# gives /dev/kvm to group kvm and vcache to that group, and varnishd with
# its default jail (worker user vcache, no -j none) serves the examples;
# make uninstall then removes every file make install put in place.
# It runs in a throwaway copy of the system (tests/lib/throwaway_root.sh):
# an earlier make install, the vmod-tinykvm package, the kvm group and
# /dev/kvm are found afterwards exactly as they were, which is checked.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/throwaway_root.sh"
throwaway_root_run TKVM_DEMO_NS "$@"

demo_pid=
cleanup() {
	[ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid"
	rm -rf "$WORK"
}
trap cleanup EXIT

# varnishd reads the VCL as vcache: the demo directory must be reachable.
chmod 755 "$WORK"
# A free port: the kernel picks one, then it is handed to the demo.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL DEMO_DIR="$WORK/demo" \
	DEMO_LISTEN="127.0.0.1:$port" "$ROOT/scripts/demo.sh" >"$WORK/demo.log" 2>&1 &
demo_pid=$!
body=
for _ in $(seq 1200); do
	kill -0 "$demo_pid" 2>/dev/null || { tail -n 30 "$WORK/demo.log"; die "the demo exited"; }
	body=$(curl -s "http://127.0.0.1:$port/" 2>/dev/null) && [ -n "$body" ] && break
	sleep 0.1
done
[ -n "$body" ] || { tail -n 30 "$WORK/demo.log"; die "the demo does not answer"; }
grep -q -- '-j none' "$ROOT/scripts/demo.sh" && die "the demo runs with -j none"
[ "$(stat -c '%G %a' /dev/kvm)" = "kvm 660" ] || die "make install left /dev/kvm as $(stat -c '%U:%G %a' /dev/kvm)"
pgrep -P "$demo_pid" -u vcache >/dev/null || die "the demo's worker is not vcache"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
[ "$status" = 200 ] || die "GET / gave $status: $body"
echo "GET / -> $status: $body"
kill "$demo_pid"; wait "$demo_pid" || true; demo_pid=

# Every file make install wrote is one the state check watches, and make
# uninstall removes them all (in this copy: the real ones stay).
vmoddir=$(pkg-config --variable=vmoddir varnishapi)
{ throwaway_written /usr; throwaway_written /etc; } |
    grep -E "^(/usr/local/|$vmoddir/|/etc/systemd/|/etc/udev/)" | sort >"$WORK/installed"
[ -s "$WORK/installed" ] || die "make install wrote nothing"
throwaway_install_files | sort >"$WORK/watched"
unwatched=$(comm -23 "$WORK/installed" "$WORK/watched")
[ -z "$unwatched" ] || die "make install wrote files throwaway_install_files lacks: $unwatched"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" uninstall >"$WORK/uninstall.log" 2>&1 ||
	{ cat "$WORK/uninstall.log"; die "make uninstall failed"; }
while IFS= read -r f; do
	if [ -e "$f" ]; then die "make uninstall left $f"; fi
done <"$WORK/watched"
echo "make install wrote $(wc -l <"$WORK/installed") files, make uninstall removed them"
echo ok
