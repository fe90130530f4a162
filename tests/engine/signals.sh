# SPDX-License-Identifier: BSD-2-Clause
# Signals delivered to the guest's handlers (engine/src/linux/signals.c):
# synchronous faults (SIGSEGV on a sigaltstack with SA_SIGINFO, SIGFPE,
# SIGILL, SIGTRAP, SIGSEGV for #GP and SIGBUS for #SS), raise()/kill() to itself with masks and pending
# signals, SA_NODEFER, SA_RESETHAND, abort() with a handler, the FPU
# state and uc_mcontext restored by rt_sigreturn: each prints what a
# native run prints.  Then the clean failures: a fault inside its own
# handler, a forged rt_sigreturn frame, a handler without SA_RESTORER
# or at a non-canonical address, a signal with no handler; and forged flags and selectors, which the
# host reduces to user flags and the user selectors.
. "$(dirname "$0")/../lib/common.sh"

KIND=$("$RUN" --host-info | sed -n 's/^kvm: \([a-z]*\).*/\1/p')
echo "host: kvm: $KIND"
build_guest sig signals.c

# same MODE EXPECTED: stdout of tinykvm-run and of the native run
same() {
	local native
	run_guest "$WORK/sig" "$1"
	native=$("$WORK/sig" "$1" 2>/dev/null) || true
	[ "$native" = "$2" ] || die "$1: native run printed [$native], expected [$2]"
	expect_out "$2"
}

# A NULL-page write is #PF on hardware KVM; the software backend may
# report it as #GP, whose si_addr is 0.  Either way SIGSEGV, handled.
run_guest "$WORK/sig" segv
expect_rc 0
case "$KIND:$OUT" in
hardware:"SIGSEGV caught: signo=11 on_altstack=1 altstack_flags=0 addr=0x10
again: caught") echo "segv: #PF (si_addr 0x10)" ;;
software:"SIGSEGV caught: signo=11 on_altstack=1 altstack_flags=0 addr=0x10
again: caught") echo "segv: #PF (si_addr 0x10)" ;;
software:"SIGSEGV caught: signo=11 on_altstack=1 altstack_flags=0 addr=0
again: caught") echo "segv: #GP (si_addr 0)" ;;
*) die "segv on $KIND: [$OUT]" ;;
esac

same fpe "SIGFPE: signo=8 code=1 (FPE_INTDIV=1)
SIGILL: signo=4 code=2 (ILL_ILLOPN=2)
SIGTRAP: signo=5 code=128"
expect_rc 0
# A non-canonical stack address is #SS (SIGBUS) on silicon; QEMU's
# emulated CPU (the hardware-KVM rig) raises #GP (SIGSEGV) for it, natively
# as in the guest.  The guest must print what this CPU's native run does.
native=$("$WORK/sig" gpss 2>/dev/null) || true
case "$native" in
"non-canonical data: SIGSEGV code=128 addr=(nil)
non-canonical stack: SIGBUS code=128 on_altstack=1") ;;
"non-canonical data: SIGSEGV code=128 addr=(nil)
non-canonical stack: SIGSEGV code=128 on_altstack=1")
	echo "NOTE: this CPU raises #GP, not #SS, for a non-canonical stack address (natively too)" ;;
*) die "gpss: native run printed [$native]" ;;
esac
run_guest "$WORK/sig" gpss
expect_out "$native"
expect_rc 0
same raise "raise: count=1 code=SI_TKILL
kill: count=2 code=SI_USER
blocked: count=2 pending=1
unblocked: count=3 pending=0
nodefer: count=3 max_depth=3
resethand: count=1 handler_now=SIG_DFL
ignored: alive, mask_has_usr1=0"
expect_rc 125
expect_err "tinykvm-run: guest killed itself with signal 10 (User defined signal 1)"
same abort "abort: handler ran, longjmp out"
expect_rc 125
expect_err "tinykvm-run: guest killed itself with signal 6 (Aborted)"
same fpu "fpu: mxcsr=0x1f80 handler_saw=0.3333 b=2.0"
expect_rc 0
same ucontext "ucontext: resumed after ud2, rax=1234"
expect_rc 0
# The frame asks IOPL 1: natively and on PVM the guest gets IOPL 0, on
# hardware KVM the host's IOPL 3 (docs/DESIGN.md, "I/O permission").
if [ "$KIND" = hardware ]; then
	iopl=3
	run_guest "$WORK/sig" forgedfl
	expect_out "forged flags: resumed, iopl=3 nt=0 cpl=3 ss_rpl=3"
else
	iopl=0
	same forgedfl "forged flags: resumed, iopl=0 nt=0 cpl=3 ss_rpl=3"
fi
expect_rc 0

# Kernel CS and SS in the frame (natively SIGSEGV): the guest resumes at
# CPL 3 with the user selectors and the host's IOPL.
run_guest "$WORK/sig" forgedcs
expect_rc 0
expect_out "forged flags: resumed, iopl=$iopl nt=0 cpl=3 ss_rpl=3"
# A kernel rip: refused, the run ends with the reason.
run_guest "$WORK/sig" forged
expect_rc 125
case "$ERR" in
"tinykvm-run: guest rt_sigreturn with a forged frame: rip 0xffffffff81000000, rsp 0x"*) ;;
*) die "forged: [$ERR]" ;;
esac
# A fault in the SIGSEGV handler, with SIGSEGV blocked.
run_guest "$WORK/sig" nested
expect_rc 125
expect_out "nested: faulting"
case "$ERR" in
"tinykvm-run: guest "*", with SIGSEGV blocked (a fault in its handler)") ;;
*) die "nested: [$ERR]" ;;
esac
echo "nested: $ERR"
run_guest "$WORK/sig" noret
expect_rc 125
expect_out "noret: sigaction=0"
expect_err "tinykvm-run: cannot deliver signal 10 (User defined signal 1): its handler was set without SA_RESTORER"
run_guest "$WORK/sig" badhandler
expect_rc 125
expect_out "badhandler: sigaction=0"
expect_err "tinykvm-run: cannot deliver signal 10 (User defined signal 1): its handler is not at a user address"

# Without a handler a fault ends the run as before: tests/engine/hostile.sh.
echo ok
