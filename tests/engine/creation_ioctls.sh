# SPDX-License-Identifier: BSD-2-Clause
# VM creation makes no redundant vCPU ioctl (counts, not times): the
# probe's segment registers come with its exit, so a main VM reads them
# twice (once fresh, once as KVM made them for requests), not four times;
# a request VM reads them never: it takes its main VM's copies, and the
# vCPU mmap size and CPUID table too.  Those copies must be right: fresh
# request VMs then serve requests without one segment restore.  Counted by
# bench/cold_start_bench, which sees every ioctl the engine makes.
. "$(dirname "$0")/../lib/common.sh"

BENCH="$ROOT/${BUILD:-build}/bench/cold_start_bench"
[ -x "$BENCH" ] || die "$BENCH is missing (run make)"
for g in hello_world hello_get dirty_pages; do
	gcc -static -O2 -I"$ROOT/engine/include" -I"$ROOT/bench/guests" \
		-o "$WORK/$g" "$ROOT/bench/guests/$g.c" || die "cannot compile $g"
done
"$BENCH" "$WORK" 10 counts >"$WORK/out" 2>"$WORK/err" || die "cold_start_bench: $(cat "$WORK/err")"
OUT=$(cat "$WORK/out")

line() { printf '%s\n' "$OUT" | grep -m1 "$1" || die "no line [$1] in [$OUT]"; }
per_vm() {	# per_vm KIND -> calls per VM creation
	line "^  ioctl $1 " | awk '{ print $3 }'
}
[ "$(per_vm GET_SREGS)" = "2.00" ] || die "GET_SREGS per VM: $(per_vm GET_SREGS), expected 2.00"
[ "$(per_vm SET_SREGS)" = "2.00" ] || die "SET_SREGS per VM: $(per_vm SET_SREGS), expected 2.00"
[ "$(per_vm RUN)" = "1.00" ] || die "KVM_RUN per VM creation: $(per_vm RUN), expected 1.00 (the probe)"
req=$(line "^request_vm_ioctls:")
case "$req" in
*GET_VCPU_MMAP_SIZE*|*GET_SUPPORTED_CPUID*|*GET_SREGS*)
	die "a request VM asks KVM again for what its main VM knows: $req" ;;
esac
case "$req" in
*" SET_SREGS 2.00 "*) ;;
*) die "a request VM's SET_SREGS is not 2: $req" ;;
esac
for g in hello_get dirty_pages; do
	case "$(line "^rss_per_request_vm_$g:")" in
	*"; 0 segment restores from the first request on") ;;
	*) die "fresh request VMs had to restore segments: $(line "^rss_per_request_vm_$g:")" ;;
	esac
done
echo ok
