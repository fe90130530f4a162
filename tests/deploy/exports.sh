#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The VMOD's shared object exports exactly one symbol, the data varnishd
# looks up (vmod/exports.map): the engine, the configuration code and
# everything else linked into it stay local, so they cannot clash with
# varnishd's or another VMOD's symbols.
. "$(dirname "$0")/../lib/common.sh"
so="$ROOT/${BUILD:-build}/vmod/libvmod_tinykvm.so"
[ -f "$so" ] || die "$so is not built"
syms=$(nm -D --defined-only "$so" | awk '{ print $3 }')
[ "$syms" = "Vmod_tinykvm_Data" ] || die "exported: [$syms], expected only Vmod_tinykvm_Data"
# And the engine's own entry points are really gone from the dynamic table.
if nm -D "$so" | grep -q ' T tkvm_'; then
	die "engine functions are exported"
fi
echo ok
