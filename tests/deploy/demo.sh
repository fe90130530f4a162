#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# scripts/demo.sh as the README tells a new user to run it: make install
# gives /dev/kvm to group kvm and vcache to that group, and varnishd with
# its default jail (worker user vcache, no -j none) serves the examples.
# As in tests/deploy/deb.sh, everything runs in a mount namespace with
# its own root-only /dev/kvm node so the real device is never changed;
# make uninstall and the kvm group as it was leave the machine as found.
set -u
if [ -z "${TKVM_DEMO_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "FAILED: needs root (make install, unshare)" >&2; exit 1; }
	exec env TKVM_DEMO_NS=1 unshare -m bash "$0" "$@"
fi
. "$(dirname "$0")/../lib/common.sh"

. "$(dirname "$0")/../lib/private_kvm.sh"
private_kvm_node
demo_pid=
cleanup() {
	[ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" uninstall >/dev/null 2>&1
	private_kvm_restore
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
echo ok
