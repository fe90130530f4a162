# SPDX-License-Identifier: BSD-2-Clause
# Request VMs and virtual memory (docs/DESIGN.md, "Address space and
# max_memory"): a request that changes protections, unmaps part of the
# main VM's mappings and maps PROT_NONE and 512 MiB leaves none of it
# for the next request: the main VM's guard page and read-only page fault
# again, its unmapped page is back, the 512 MiB are gone (reading them
# faults), and every round answers the same.
. "$(dirname "$0")/../lib/common.sh"

build_guest rv req_vma.c gcc -static "-I$ROOT/engine/include"
cat > "$WORK/lib.json" <<JSON
{
	"vma": { "filename": "$WORK/rv", "max_memory": 64, "address_space": 2048,
		"concurrency": 1 },
	"dflt": { "filename": "$WORK/rv", "concurrency": 1 }
}
JSON
run_library vma /change
expect_rc 0
big=$(sed -n 's/^before=main\/ro\/g r=0 none=0x[0-9a-f]* big=\(0x[0-9a-f]*\)$/\1/p' "$WORK/out")
[ -n "$big" ] || die "change: [$OUT]"

rounds() {
	local prog=$1 n=$2; shift 2
	local args=() u
	for u in "$@"; do args+=(--request GET "$u"); done
	run_guest --config "$WORK/lib.json" --program "$prog" "${args[@]}" \
		--repeat "$n"
}
# One round: /guard, /rowrite and /far fault, each with its line.
rounds vma 1 /change /guard /rowrite "/far/$big" /kept
expect_rc 125
expect_err_has "request 2 (GET /guard) failed: guest page fault: read of 0x"
expect_err_has "request 3 (GET /rowrite) failed: guest page fault: write to 0x"
expect_err_has "request 4 (GET /far/$big) failed: guest page fault: read of $big at rip"
expect_out_has "before=main/ro/g r=0 none="
expect_out_has "kept: gk"
# Many rounds: they fault every time, and nothing else fails or differs.
rounds vma 40 /change /guard /rowrite "/far/$big" /kept
expect_rc 125
[ "$(tail -1 "$WORK/err")" = "tinykvm-run: 200 requests on 1 VMs: 120 failed, 0 differed from the first round" ] ||
	die "rounds: $(tail -1 "$WORK/err")"

# The default address space (1 GiB): the 512 MiB mapping fits there
# too, and is gone as well at every reset.
run_library dflt /change
expect_rc 0
bigd=$(sed -n 's/^before=main\/ro\/g r=0 none=0x[0-9a-f]* big=\(0x[0-9a-f]*\)$/\1/p' "$WORK/out")
[ -n "$bigd" ] || die "dflt change: [$OUT]"
rounds dflt 30 /change /guard /rowrite "/far/$bigd" /kept
expect_rc 125
expect_out_has "before=main/ro/g r=0 none=0x"
expect_out_has " big=$bigd"
[ "$(tail -1 "$WORK/err")" = "tinykvm-run: 150 requests on 1 VMs: 90 failed, 0 differed from the first round" ] ||
	die "dflt: $(tail -1 "$WORK/err")"
echo ok
