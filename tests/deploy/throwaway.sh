#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The throwaway copy of the system the installing deploy tests run in
# (tests/lib/throwaway_root.sh), in each state a machine can be found in:
# no group kvm (a fresh machine), group kvm without vcache, vcache in
# kvm, and with the files of an earlier make install.  In each, a test
# doing what an install does (deploy/kvm-access.sh: group kvm, vcache in
# it, /dev/kvm's group and mode; make uninstall; files overwritten)
# passes and leaves the state exactly as it was; one failing midway and
# one ended by SIGTERM (as the time limit ends it) fail and leave it as
# it was too; and a test that does change the state fails saying so.
# This test itself runs in such a copy, where it makes those states.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/throwaway_root.sh"
throwaway_root_run TKVM_THROWAWAY_TEST_NS "$@"

# The test inside, MODE ok, fail, term or leak.
cat >"$WORK/inner.sh" <<'EOF'
set -u
. "$TKVM_ROOT/tests/lib/common.sh"
. "$TKVM_ROOT/tests/lib/throwaway_root.sh"
throwaway_root_run TKVM_INNER_NS "$@"
sh "$TKVM_ROOT/deploy/kvm-access.sh" >/dev/null
[ "$(stat -c '%U:%G %a' /dev/kvm)" = "root:kvm 660" ] || die "kvm-access left /dev/kvm as $(stat -c '%U:%G %a' /dev/kvm)"
id -nG vcache | tr ' ' '\n' | grep -qx kvm || die "vcache is not in group kvm"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TKVM_ROOT" uninstall >/dev/null 2>&1
if [ -e /usr/local/bin/tinykvm-run ]; then die "make uninstall left tinykvm-run"; fi
mkdir -p /usr/local/bin
echo "the test's own" >/usr/local/bin/tinykvm-run
case "$1" in
ok) echo "inner ok" ;;
fail) die "failing midway on purpose" ;;
# The time limit signals the whole process group: the outside waits.
term) kill -TERM "$PPID" "$$"; sleep 5; die "still running after SIGTERM" ;;
# Past the copy: the file below the copy's overlay changes.
leak) echo "leaked" >>"$TKVM_MIDDLE/usr.upper/local/bin/tinykvm-run" ;;
esac
EOF

# inner MODE RC EXPECTED: runs the inner test, expecting exit status RC
# and EXPECTED in what it printed; the state must be as before.
inner() {
	local mode=$1 rc=0
	throwaway_state >"$WORK/state.before"
	env TKVM_ROOT="$ROOT" TKVM_MIDDLE="$TKVM_THROWAWAY" bash "$WORK/inner.sh" "$mode" \
		>"$WORK/inner.log" 2>&1 || rc=$?
	[ "$rc" -eq "$2" ] || { cat "$WORK/inner.log"; die "$state/$mode: exit status $rc, expected $2"; }
	grep -qF -- "$3" "$WORK/inner.log" || { cat "$WORK/inner.log"; die "$state/$mode: no [$3]"; }
	throwaway_state >"$WORK/state.after"
	if [ "$mode" != leak ]; then
		diff -u "$WORK/state.before" "$WORK/state.after" ||
			die "$state/$mode: the state changed"
	fi
	echo "ok $state/$mode"
}

# The states, one after the other, starting from a fresh machine's.
if dpkg-query -W vmod-tinykvm >/dev/null 2>&1; then
	dpkg -P vmod-tinykvm >/dev/null 2>&1 || die "cannot purge vmod-tinykvm in the copy"
fi
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" uninstall >/dev/null 2>&1
if getent group kvm >/dev/null; then groupdel kvm; fi
all_modes() {
	inner ok 0 "inner ok"
	inner fail 1 "FAILED: failing midway on purpose"
	inner term 1 "FAILED: got SIGTERM"
}
state=fresh all_modes
groupadd --system kvm
state=kvm_without_vcache all_modes
usermod -aG kvm vcache
state=vcache_in_kvm all_modes
# An earlier make install's files (any content: only bytes count).
while IFS= read -r f; do
	mkdir -p "$(dirname "$f")"
	echo "installed before: $f" >"$f"
done < <(throwaway_install_files)
state=installed all_modes
grep -q "9 installed files byte-identical" "$WORK/inner.log" ||
	{ cat "$WORK/inner.log"; die "the installed files were not compared"; }
state=installed inner leak 1 "FAILED: the test changed the system"
grep -q '^+/usr/local/bin/tinykvm-run: ' "$WORK/inner.log" ||
	{ cat "$WORK/inner.log"; die "the change is not shown"; }
echo ok
