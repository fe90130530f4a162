# SPDX-License-Identifier: BSD-2-Clause
# Memory limits: allocating close to --memory works; with the address space
# equal to --memory, allocating beyond it fails inside the guest (malloc
# NULL, mmap ENOMEM) without touching the host; with the default (larger)
# address space, touching beyond --memory ends the run with one clear line,
# as the kernel's OOM killer would; freed memory is reused; a memory bomb
# ends cleanly.
. "$(dirname "$0")/../lib/common.sh"

build_guest memory memory.c
run_guest --memory 64 "$WORK/memory" alloc 40
expect_rc 0
expect_out "got 40 of 40 MiB"
run_guest --memory 64 --address-space 64 "$WORK/memory" alloc 80
expect_rc 3
expect_out_has "of 80 MiB"
got=$(sed -n 's/^got \([0-9]*\) of 80 MiB$/\1/p' "$WORK/out")
[ "$got" -ge 40 ] && [ "$got" -lt 64 ] || die "got $got MiB of a 64 MiB guest"
run_guest --memory 32 "$WORK/memory" churn 10
expect_rc 0
expect_out "churned 1000"
run_guest --memory 48 --address-space 48 "$WORK/memory" bomb 0
expect_rc 4
expect_out_has "bomb stopped: malloc NULL, mmap ENOMEM"
# The default address space: the pages touched count, checked at every
# exit (here at the malloc after the limit was crossed).
over() {
	case "$ERR" in
	"tinykvm-run: guest uses "*" KiB of memory, more than its memory limit ($1 KiB)") ;;
	*) die "over the limit: [$ERR]" ;;
	esac
}
run_guest --memory 64 "$WORK/memory" alloc 80
expect_rc 125
over 65536
run_guest --memory 48 "$WORK/memory" bomb 0
expect_rc 125
over 49152
# The limit itself is checked.
run_guest --memory 2 "$WORK/memory" alloc 1
expect_rc 125
expect_err "tinykvm-run: memory limit must be 8 to 16384 MiB, shared memory included"
echo ok
