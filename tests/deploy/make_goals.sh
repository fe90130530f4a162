#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `make` as the README gives it builds everything `make all` builds
# (tinykvm-run and the VMOD among it), and `make vmod` only the VMOD:
# what make would run for each goal, in an empty build directory.
. "$(dirname "$0")/../lib/common.sh"
goal() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -n -C "$ROOT" --no-print-directory \
		BUILD="$WORK/b" "$@" >"$WORK/goal.out" 2>&1 || { cat "$WORK/goal.out"; die "make -n $* failed"; }
	cat "$WORK/goal.out"
}
default=$(goal)
all=$(goal all)
vmod=$(goal vmod)
[ "$default" = "$all" ] || die "make and make all differ: $(diff <(echo "$default") <(echo "$all"))"
for out in "$WORK/b/tinykvm-run" "$WORK/b/vmod/libvmod_tinykvm.so" \
    "$WORK/b/vmod/vmod_tinykvm.3" "$WORK/b/tinykvm-run.1"; do
	grep -qF -- " $out" <<<"$default" || die "make does not build $out"
done
grep -qF -- "-o $WORK/b/vmod/libvmod_tinykvm.so" <<<"$vmod" || die "make vmod does not link the VMOD"
if grep -qF -- "$WORK/b/tinykvm-run" <<<"$vmod"; then die "make vmod builds tinykvm-run"; fi
echo ok
