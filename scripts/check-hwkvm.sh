#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `make check-hwkvm`: the engine, requests, debug and vmod suites on
# hardware KVM (scripts/hwkvm.sh: kvm_amd under QEMU's emulator), after a
# build on this machine.  Prints the rig's --host-info and
# "N passed, N failed"; fails, never skips, when the rig cannot boot or
# is not hardware KVM.  Everything runs emulated there (gcc, varnishd,
# the tests), so each test gets HWKVM_TEST_TIMEOUT seconds (default 900)
# and the whole run HWKVM_TIMEOUT (default 3600); guest programs the
# host's suite already compiled come from TKVM_CC_CACHE when it is set
# (tests/lib/cc-cache.sh).  Timings inside mean nothing.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
[ -x "$BUILD/tinykvm-run" ] && [ -f "$BUILD/vmod/libvmod_tinykvm.so" ] ||
	{ echo "check-hwkvm: build first (make)" >&2; exit 1; }
inside=$(cat <<'EOS'
set -u
info=$("$BUILD/tinykvm-run" --host-info) || { echo "FATAL: no KVM in the rig"; exit 1; }
case "$info" in
*"kvm: hardware"*) ;;
*) echo "$info"; echo "FATAL: the rig's KVM is not hardware KVM"; exit 1 ;;
esac
exec tests/run-all.sh engine/ requests/ debug/ vmod/
EOS
)
export BUILD TEST_TIMEOUT=${HWKVM_TEST_TIMEOUT:-900}
exec scripts/hwkvm.sh -t "${HWKVM_TIMEOUT:-3600}" bash -c "$inside"
