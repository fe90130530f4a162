# SPDX-License-Identifier: BSD-2-Clause
# Hostile programs: bad pointers and huge lengths in system calls get
# errors and the program goes on; faults, loops and wild jumps end the run
# with one precise line and status 125 (124 for the time limit).
. "$(dirname "$0")/../lib/common.sh"

build_guest hostile hostile.c
run_guest "$WORK/hostile" syscalls
expect_rc 0
expect_out "write_null=-14
write_low=-14
write_wild=-14
write_huge=-14
write_wrap=-14
read_wild=-14
openat_null=-14
openat_wild=-14
mmap_huge=-12
mmap_zero=-22
munmap_wild=-22
munmap_wrap=-22
mremap_wrap=-22
mremap_wild=-14
madvise_wrap=-12
fstat_wild=-14
clock_null=-14
getrandom_huge=-14
writev_wild=-14
uname_low=-14
unknown=-38
still alive"

fault() {
	run_guest "$WORK/hostile" "$1"
	expect_rc 125
	case "$ERR" in
	tinykvm-run:\ $2) ;;
	*) die "$1: stderr [$ERR] does not match [tinykvm-run: $2]" ;;
	esac
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || die "$1: more than one line"
}
fault null "guest page fault: read of 0x0 at rip 0x4*"
fault wild "guest page fault: execute at 0xdead0000 at rip 0xdead0000"
fault jumpnull "guest page fault: execute at 0x0 at rip 0x0"
fault stack "guest page fault: write to 0x* at rip 0x4* (stack overflow)"
fault ud2 "guest invalid opcode (vector 6) at rip 0x4*"
fault div "guest divide error (vector 0) at rip 0x4*"
fault abort "guest killed itself with signal 6 (Aborted)"
fault hlt "guest general protection fault (vector 13) at rip 0x4*"
# Port I/O and cli: PVM runs user code at IOPL 0 (the TSS I/O bitmap
# admits the API ports only), hardware KVM at IOPL 3 (docs/DESIGN.md,
# "I/O permission"), where the host refuses every port but the API's and
# a cli changes nothing the host relies on: the time limit still ends it.
if [ "$(kvm_kind)" = hardware ]; then
	echo "NOTE: hardware KVM: port I/O reaches the host, which refuses it; cli does not fault"
	fault port "guest wrote to unexpected I/O port 0x70"
	fault fakeexc "guest wrote to exception port 0x8d outside its stub, at rip 0x4*"
	run_guest "$WORK/hostile" cli
	expect_rc 0
	run_guest --timeout 0.5 "$WORK/hostile" cliloop
	expect_rc 124
	expect_err_has "guest exceeded its 0.5 s time limit at rip 0x4"
else
	echo "NOTE: software KVM: port I/O outside the API ports and cli fault (#GP)"
	fault cli "guest general protection fault (vector 13) at rip 0x4*"
	fault cliloop "guest general protection fault (vector 13) at rip 0x4*"
	fault port "guest general protection fault (vector 13) at rip 0x4*"
	fault fakeexc "guest general protection fault (vector 13) at rip 0x4*"
fi

run_guest --timeout 0.5 "$WORK/hostile" loop
expect_rc 124
case "$ERR" in
"tinykvm-run: guest exceeded its 0.5 s time limit at rip 0x4"*) ;;
*) die "loop: [$ERR]" ;;
esac


# --verbose names what the sandbox refused.
run_guest --verbose "$WORK/hostile" syscalls
expect_rc 0
expect_err_has "[tinykvm] unhandled system call 999 (unknown)"
echo ok
