# SPDX-License-Identifier: BSD-2-Clause
# Linux-like virtual memory (docs/DESIGN.md, "Address space and
# max_memory"; engine/src/memory/vma.c): a 4 GiB PROT_NONE reservation
# with --memory 64 (in an 8 GiB address space) costs only the pages
# touched; malloc(512 MiB) at the default address space; the limit on
# touched pages; mprotect enforced (W^X, read-only, no-execute, guard
# pages fault with one precise line, also on pages never used before);
# MADV_DONTNEED zeroes; mremap; munmap of a middle part; brk into the
# absent middle of the address space and back; hostile ranges refused.
. "$(dirname "$0")/../lib/common.sh"

build_guest vma vma.c
vma() { run_guest --memory 64 "$WORK/vma" "$@"; }

run_guest --memory 64 --address-space 8192 "$WORK/vma" reserve
expect_rc 0
expect_out "reserved 4096 MiB, touched 3 pages: ok
rss grew by the touched pages only
sysinfo: total 64 MiB, free below it: 1"
# The same reservation does not fit an address space of the memory size.
run_guest --memory 64 --address-space 64 "$WORK/vma" reserve
expect_rc 2
expect_out "mmap 4294967296 failed: Cannot allocate memory"

vma malloc512
expect_rc 0
expect_out "malloc(512 MiB) ok, touched 1 MiB, sum 2"

vma over 40
expect_rc 0
expect_out "malloc(40 MiB) ok
touched 40 MiB: 1"
vma over 100
expect_rc 125
expect_out "malloc(100 MiB) ok"
case "$ERR" in
"tinykvm-run: guest uses "*" KiB of memory, more than its memory limit (65536 KiB)") ;;
*) die "over: [$ERR]" ;;
esac

# fault MODE WHAT OFFSET: the run ends at the page fault on the address
# the guest printed last (plus OFFSET), with one line.
fault() {
	local addr
	addr=$(sed -n 's/^.* \(0x[0-9a-f]*\)$/\1/p' "$WORK/out" | tail -1)
	[ -n "$addr" ] || die "$1: no address in [$OUT]"
	addr=$(printf '0x%x' $((addr + $3)))
	expect_rc 125
	case "$ERR" in
	"tinykvm-run: guest page fault: $2 $addr at rip 0x"*) ;;
	*) die "$1: stderr [$ERR], expected a fault: $2 $addr" ;;
	esac
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || die "$1: more than one line"
}
vma wx
fault wx "write to" 1
expect_out_has "mprotect RX: 0
call: 42
mprotect RW: 0
mprotect RX: 0
call: 7
write to 0x"
vma ro
fault ro "write to" 0
expect_out_has "mprotect R: 0
read: kept
write to 0x"
vma noexec
fault noexec "execute at" 0
expect_out_has "mprotect R: 0
call 0x"
vma guard
fault guard "read of" 0
expect_out_has "mprotect NONE: 0
neighbours: 1 2
read of 0x"
# The same on pages never used before (their change needs no flush).
vma fresh_ro
fault fresh_ro "write to" 0
vma fresh_none
fault fresh_none "read of" 0

vma dontneed
expect_rc 0
expect_out "DONTNEED big: 0 zero 1
DONTNEED small: 0 zero 1
untouched page kept: 1
FREE: 0 zero 1
HUGEPAGE: 0 NOHUGEPAGE: 0 WILLNEED: 0
bad advice: 22
writable after: 1"

vma mremap
expect_rc 0
expect_out "grown: yes kept 1 new zero 1
shrunk: 1, tail unmapped 1
wall: 1
no room, no move: 12
moved: 1 kept 1 old unmapped 1
fixed: 1 kept 1
bad flags: 22, fixed without maymove: 22, unmapped: 14"

vma unmap
expect_rc 0
expect_out "munmap middle: 0
others kept: 1
mprotect of the hole: 12
mprotect across the hole: 12
noreplace over a mapping: 17
noreplace into the hole: 1 zero 1
mprotect all: 0
munmap all: 0"

vma hostile
expect_rc 0
expect_out "mprotect stubs: 12
mprotect page tables: 12
mprotect page 0: 12
mprotect system area: 12
mprotect up from system area: 12
mprotect unaligned: 22
mprotect wrapping: 12
mprotect huge: 12
mprotect bad prot: 22
mprotect beyond memory: 12
mmap fixed into system area: 1
mmap hint into system area: placed above it
mmap huge: 12
mmap wrapping: 12
mmap fixed wrapping: 12
munmap wrapping: 22
madvise system area: 12
mremap huge: 22
mremap fixed into system area: 1
mremap fixed to 0: 1
still running: 1"

# A wild access into the unmapped middle of the address space faults
# instead of costing memory.
vma wild
fault wild "read of" 0
# brk grows into it, and a shrinking brk gives it back.
vma brk
fault brk "read of" 0
expect_out_has "grown: f"
echo ok
