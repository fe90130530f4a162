# SPDX-License-Identifier: BSD-2-Clause
# A request that changes what it can of the vCPU from CPL 3 (segment
# selectors, FS/GS base by WRFSBASE/WRGSBASE, RFLAGS.AC) leaves nothing
# behind: the next request on the same VM has its TLS, vcpuid() (GS) and
# CS as always.  A guest that jumps into the host's stubs, or leaves
# through the syscall port itself, gets an ordinary result or a clean
# failure, and never runs at CPL 0 (it reads CS).
. "$(dirname "$0")/../lib/common.sh"

build_guest cpu req_cpu.c gcc -static "-I$ROOT/engine/include"
# Stub addresses: engine/src/layout.h (SYSCALL_STUB_ADDR, STUB_EXCEPTION
# + 14 * STUB_EXCEPTION_SIZE, the page-fault stub).
STUBS="0x1c000 0x1c1e0"
clean_state='cs=0x[0-9a-f]*[37b] vcpuid=0 tls=tls-ok pid=1 unaligned=55'

# second_is_clean: the request after $1 on the same VM sees a clean vCPU.
second_is_clean() {
	local second
	second=$(sed -n '/^cs=/p' "$WORK/out" | tail -n 1)
	[[ "$second" =~ ^$clean_state$ ]] || die "after $1: [$second] (all: $OUT $ERR)"
}

for u in /seg/fs /seg/gs /ac; do
	run_guest --request GET "$u" --request GET /state "$WORK/cpu" $STUBS
	expect_rc 0
	expect_out_has "changed"
	second_is_clean "$u"
done

# WRFSBASE/WRGSBASE work at CPL 3 where the real CR4.FSGSBASE is set
# (software KVM runs the guest under the host's CR4); elsewhere they fault.
for u in /wrbase/fs /wrbase/gs; do
	run_guest --request GET "$u" --request GET /state "$WORK/cpu" $STUBS
	case "$OUT$ERR" in
	*changed*) echo "$u: the base was written and undone" ;;
	*"guest invalid opcode"*) echo "$u: the instruction faults on this host" ;;
	*) die "$u: $OUT $ERR" ;;
	esac
	second_is_clean "$u"
done

# Into the syscall stub at CPL 3: with SYSCALL at ring 3 (software KVM)
# the stub is user code and acts as a syscall; with ring 0 (hardware
# KVM) it is supervisor-only and the jump faults.  Each host has one safe
# outcome, asserted for the host this runs on.
kind=$(kvm_kind)
echo "NOTE: $kind KVM: the stub outcomes asserted are this kind's"
run_guest --request GET /stub/syscall --request GET /state "$WORK/cpu" $STUBS
if [ "$kind" = software ]; then
	[[ "$OUT" =~ "stub getpid=1 cs=0x"[0-9a-f]*[37b] ]] ||
		die "stub/syscall: expected an ordinary result at CPL 3: $OUT $ERR"
else
	expect_err_has "request 1 (GET /stub/syscall) failed: guest page fault: execute at 0x1c000 at rip 0x1c000"
fi
second_is_clean /stub/syscall

# The same before the program's first system call ever (no libc): the
# ring was decided by the host's probe, not by what the guest did first.
build_guest first stub_first.c gcc -static -nostdlib
run_guest "$WORK/first"
if [ "$kind" = software ]; then
	expect_rc 0
	[[ "$OUT" =~ ^"stub=0x1 cs=0x"[0-9a-f]*[37b]" real=0x1 cs=0x"[0-9a-f]*[37b]$ ]] ||
		die "stub before the first syscall: [$OUT] [$ERR]"
else
	expect_rc 125
	expect_err_has "guest page fault: execute at 0x1c000 at rip 0x1c000"
fi

fails_then_clean() {
	run_guest --request GET "$1" --request GET /state "$WORK/cpu" $STUBS
	expect_rc 125
	case "$ERR" in
	*"request 1 (GET $1) failed: "$2*) ;;
	*) die "$1: stderr [$ERR] lacks [$2]" ;;
	esac
	second_is_clean "$1"
}
if [ "$kind" = software ]; then
	fails_then_clean /stub/sysret "guest general protection fault (vector 13) at rip 0x1c002"
	fails_then_clean /stub/exception "guest general protection fault (vector 13) at rip 0x1c1e0"
else
	fails_then_clean /stub/sysret "guest page fault: execute at 0x1c002 at rip 0x1c002"
	fails_then_clean /stub/exception "guest page fault: execute at 0x1c1e0 at rip 0x1c1e0"
fi
# What only CPL 0 may change: control, debug and model-specific
# registers, XCR0, descriptor tables; none can be changed from the guest.
for i in cr3 cr0 cr4 dr7 wrmsr rdmsr xsetbv lgdt lidt ltr swapgs invlpg; do
	fails_then_clean "/priv/$i" "guest general protection fault (vector 13) at rip 0x"
done
# int $0x80 meets a DPL 0 gate (#GP); software KVM turns it into #UD.
if [ "$kind" = software ]; then
	fails_then_clean /priv/int80 "guest invalid opcode (vector 6) at rip 0x"
else
	fails_then_clean /priv/int80 "guest general protection fault (vector 13) at rip 0x"
fi
fails_then_clean /port/1 "guest used the syscall port outside the syscall entry, at rip 0x"
echo ok
