/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Signals of a single-threaded guest, delivered to its handlers as Linux
 * on x86-64 does: a struct rt_sigframe (return address = sa_restorer,
 * ucontext with uc_mcontext, siginfo, then the XSAVE state with its
 * fpx_sw_bytes) on the stack or the sigaltstack, the handler entered with
 * (sig, &info, &uc).  Synchronous faults come from the exception stubs
 * (run.c), signals the guest sends itself are delivered when the call
 * returns (run.c handle_syscall), and rt_sigreturn restores a frame,
 * which the host checks: only user flags, the user selectors, a user rip.
 * Without a handler a signal ends the run as before.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"
#include "linux/fdobj.h"
#include "cpu/x86.h"

#define GUEST_PID	1
#define K_SA_RESTORER	0x04000000ULL
#define BIT(sig)	(1ULL << ((sig) - 1))
#define UNBLOCKABLE	(BIT(SIGKILL) | BIT(SIGSTOP))
/* Default action "ignore": the rest end the program. */
#define DFL_IGNORED	(BIT(SIGCHLD) | BIT(SIGCONT) | BIT(SIGURG) | BIT(SIGWINCH))
/* rflags a frame may set (Linux's FIX_EFLAGS): AC OF DF TF SF ZF AF PF
 * CF RF; IF, IOPL, NT and the rest stay as they are. */
#define FIX_FLAGS	0x50dd5ULL

/* Offsets in the frame (arch/x86/include/asm/sigframe.h of Linux). */
#define F_UC		8		/* struct ucontext */
#define UC_STACK	16
#define UC_MCONTEXT	40		/* struct sigcontext, 256 bytes */
#define UC_SIGMASK	296
#define F_INFO		312		/* siginfo, 128 bytes */
#define FRAME_SIZE	440
#define FP_MAGIC1	0x46505853U
#define FP_MAGIC2	0x46505845U
#define FP_SW_BYTES	464		/* in the legacy area */
#define UC_FLAGS	0x7		/* FP_XSTATE, SIGCONTEXT_SS, STRICT_RESTORE_SS */
#define SIG_XSAVE_MAX	4096		/* struct kvm_xsave */
#define SS_AUTODISARM_	(1U << 31)

/* struct sigcontext, as the guest reads it. */
struct sigctx {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, flags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate, reserved[8];
};
_Static_assert(sizeof(struct sigctx) == 256, "struct sigcontext");

struct ksiginfo {
	int32_t signo, err, code, pad;
	uint64_t a, b;		/* si_addr, or si_pid + si_uid */
	uint8_t rest[96];
};

static bool
handler_set(const struct tkvm_vm *vm, int sig)
{
	return vm->sigactions[sig][0] > 1;	/* neither SIG_DFL nor SIG_IGN */
}

static bool
ignored(const struct tkvm_vm *vm, int sig)
{
	return vm->sigactions[sig][0] == 1 ||
	    (vm->sigactions[sig][0] == 0 && (DFL_IGNORED & BIT(sig)));
}

void
signals_raise(struct tkvm_vm *vm, int sig, int code)
{
	if (!(vm->sigmask & BIT(sig)) && ignored(vm, sig))
		return;
	vm->sigpending |= BIT(sig);
	if (code == SI_USER)
		vm->sigpending_user |= BIT(sig);
	else
		vm->sigpending_user &= ~BIT(sig);
}

void
signals_reset(struct tkvm_vm *vm, const struct tkvm_vm *from)
{
	memcpy(vm->sigactions, from->sigactions, sizeof vm->sigactions);
	vm->sigmask = from->sigmask;
	memcpy(vm->altstack, from->altstack, sizeof vm->altstack);
	vm->sigpending = vm->sigpending_user = 0;
	vm->sigsaved_on = false;
}

static bool
on_altstack(const struct tkvm_vm *vm, uint64_t sp)
{
	return vm->altstack[2] != 0 && sp > vm->altstack[0] &&
	    sp - vm->altstack[0] <= vm->altstack[2];
}

static uint32_t
altstack_flags(const struct tkvm_vm *vm, uint64_t sp)
{
	const uint32_t fl = (uint32_t)vm->altstack[1];

	if (vm->altstack[2] == 0 || (fl & SS_DISABLE))
		return SS_DISABLE;
	return on_altstack(vm, sp) ? SS_ONSTACK : (fl & SS_AUTODISARM_);
}

/* sigaltstack(2) with the stack pointer of the caller; 0 or -errno. */
static int
set_altstack(struct tkvm_vm *vm, const uint64_t ss[3], uint64_t sp)
{
	const uint32_t fl = (uint32_t)ss[1];

	if (on_altstack(vm, sp))
		return -EPERM;
	if (fl & ~(uint32_t)(SS_DISABLE | SS_ONSTACK | SS_AUTODISARM_))
		return -EINVAL;
	if (fl & SS_DISABLE) {
		vm->altstack[0] = vm->altstack[2] = 0;
		vm->altstack[1] = SS_DISABLE;
		return 0;
	}
	if (ss[2] < 2048)	/* MINSIGSTKSZ */
		return -ENOMEM;
	vm->altstack[0] = ss[0];
	vm->altstack[1] = fl & SS_AUTODISARM_;
	vm->altstack[2] = ss[2];
	return 0;
}

static void
to_sigctx(const struct kvm_regs *r, struct sigctx *sc)
{
	memset(sc, 0, sizeof *sc);
	sc->r8 = r->r8; sc->r9 = r->r9; sc->r10 = r->r10; sc->r11 = r->r11;
	sc->r12 = r->r12; sc->r13 = r->r13; sc->r14 = r->r14; sc->r15 = r->r15;
	sc->rdi = r->rdi; sc->rsi = r->rsi; sc->rbp = r->rbp; sc->rbx = r->rbx;
	sc->rdx = r->rdx; sc->rax = r->rax; sc->rcx = r->rcx; sc->rsp = r->rsp;
	sc->rip = r->rip; sc->flags = r->rflags;
	sc->cs = SEL_USER_CS | 3;
	sc->ss = SEL_USER_DS | 3;
}

static void
from_sigctx(const struct tkvm_vm *vm, struct kvm_regs *r,
    const struct sigctx *sc)
{
	r->r8 = sc->r8; r->r9 = sc->r9; r->r10 = sc->r10; r->r11 = sc->r11;
	r->r12 = sc->r12; r->r13 = sc->r13; r->r14 = sc->r14; r->r15 = sc->r15;
	r->rdi = sc->rdi; r->rsi = sc->rsi; r->rbp = sc->rbp; r->rbx = sc->rbx;
	r->rdx = sc->rdx; r->rax = sc->rax; r->rcx = sc->rcx; r->rsp = sc->rsp;
	r->rip = sc->rip;
	r->rflags = ((r->rflags & ~FIX_FLAGS) | (sc->flags & FIX_FLAGS)) &
	    RFLAGS_USER;
	r->rflags |= vm->user_rflags;
}

/* The XSAVE state the frame carries: up to SIG_XSAVE_MAX bytes. */
static uint32_t
xsave_bytes(const struct tkvm_vm *vm)
{
	uint32_t n = vm->xsave_size;

	if (n < 512 + 64)
		n = 512 + 64;
	return n > SIG_XSAVE_MAX ? SIG_XSAVE_MAX : n;
}

static int
get_xsave(struct tkvm_vm *vm, struct kvm_xsave *xs)
{
	vm->counters.kvm_ioctls++;
	return ioctl(vm->vcpu_fd, KVM_GET_XSAVE, xs);
}

/*
 * Builds sig's frame over ctx (where the guest was) and points ctx at
 * the handler.  info: signo, code, si_addr or si_pid.  False (the run
 * fails with the reason) if it cannot.
 */
static bool
setup_frame(struct tkvm_vm *vm, struct kvm_regs *ctx, int sig,
    const struct ksiginfo *info, uint64_t trapno, uint64_t err, uint64_t cr2)
{
	uint8_t buf[FRAME_SIZE + 16 + 64 + SIG_XSAVE_MAX + 4];	/* 4.6 KiB */
	uint64_t *act = vm->sigactions[sig];
	const uint64_t guard = vm_stack_guard(vm);
	const uint32_t xn = xsave_bytes(vm);
	uint64_t sp = ctx->rsp, fx, frame, total, mask, ucflags;
	uint64_t ustack[3] = { vm->altstack[0], altstack_flags(vm, sp),
	    vm->altstack[2] };
	struct kvm_xsave xs;
	struct sigctx sc;

	/* Linux would kill the program: it cannot return, or the handler
	 * is no user address (KVM could not even enter it). */
	if (!(act[1] & K_SA_RESTORER) || act[0] < USER_BASE ||
	    act[0] >= (1ULL << 47)) {
		vm_fail(vm, TKVM_STOP_EXCEPTION, "cannot deliver signal %d "
		    "(%s): its handler %s", sig, strsignal(sig),
		    !(act[1] & K_SA_RESTORER) ? "was set without SA_RESTORER" :
		    "is not at a user address");
		return false;
	}
	if ((act[1] & SA_ONSTACK) && !(ustack[1] & (SS_DISABLE | SS_ONSTACK)))
		sp = vm->altstack[0] + vm->altstack[2];
	else
		sp -= 128;	/* the red zone */
	fx = (sp - xn - 4) & ~63ULL;
	frame = ((fx - FRAME_SIZE) & ~15ULL) - 8;
	total = fx + xn + 4 - frame;
	if (frame > sp || total > sizeof buf ||
	    gmem_at(vm, frame, total) == NULL ||
	    (frame < guard + PAGE_SIZE_2M && frame + total > guard)) {
		vm_fail(vm, TKVM_STOP_EXCEPTION, "cannot deliver signal %d "
		    "(%s): its stack at 0x%llx is not writable", sig,
		    strsignal(sig), (unsigned long long)frame);
		return false;
	}
	mask = vm->sigsaved_on ? vm->sigsaved : vm->sigmask;
	memset(buf, 0, total);
	memcpy(buf, &act[2], 8);			/* pretcode */
	memcpy(buf + F_UC + UC_STACK, ustack, sizeof ustack);
	to_sigctx(ctx, &sc);
	sc.err = err;
	sc.trapno = trapno;
	sc.oldmask = mask;
	sc.cr2 = cr2;
	if (get_xsave(vm, &xs) == 0) {
		uint8_t *x = buf + (fx - frame);
		const uint32_t sw[4] = { FP_MAGIC1, xn + 4, 0, xn };
		memcpy(x, xs.region, xn);
		memcpy(x + FP_SW_BYTES, sw, 8);
		memcpy(x + FP_SW_BYTES + 8, &vm->xcr0, 8);
		memcpy(x + FP_SW_BYTES + 16, &sw[3], 4);
		memcpy(x + xn, &(uint32_t){ FP_MAGIC2 }, 4);
		sc.fpstate = fx;
	}
	ucflags = sc.fpstate ? UC_FLAGS : UC_FLAGS & ~1ULL;	/* FP_XSTATE */
	memcpy(buf + F_UC, &ucflags, 8);
	memcpy(buf + F_UC + UC_MCONTEXT, &sc, sizeof sc);
	memcpy(buf + F_UC + UC_SIGMASK, &mask, 8);
	memcpy(buf + F_INFO, info, sizeof *info);
	gmem_put(vm, frame, buf, total);

	if ((act[1] & SA_ONSTACK) && (ustack[1] & SS_AUTODISARM_)) {
		vm->altstack[0] = vm->altstack[2] = 0;
		vm->altstack[1] = SS_DISABLE;
	}
	ctx->rsp = frame;
	ctx->rip = act[0];
	ctx->rdi = (uint64_t)sig;
	ctx->rsi = frame + F_INFO;
	ctx->rdx = frame + F_UC;
	ctx->rax = 0;
	ctx->rflags &= ~0x10500ULL & RFLAGS_USER;	/* TF DF RF */
	ctx->rflags |= vm->user_rflags;
	vm->sigsaved_on = false;
	vm->sigmask |= act[3] | ((act[1] & SA_NODEFER) ? 0 : BIT(sig));
	vm->sigmask &= ~UNBLOCKABLE;
	if (act[1] & SA_RESETHAND)
		act[0] = 0;
	return true;
}

/* Delivers the lowest pending, unblocked signal; true if it went to a
 * handler (ctx changed). */
static bool
deliver_pending(struct tkvm_vm *vm, struct kvm_regs *ctx)
{
	for (int sig = 1; sig <= 64; sig++) {
		struct ksiginfo info;

		if (!(vm->sigpending & ~vm->sigmask & BIT(sig)))
			continue;
		vm->sigpending &= ~BIT(sig);
		if (ignored(vm, sig))
			continue;
		if (!handler_set(vm, sig)) {
			vm_fail(vm, TKVM_STOP_EXCEPTION, "guest killed itself "
			    "with signal %d (%s)", sig, strsignal(sig));
			return false;
		}
		memset(&info, 0, sizeof info);
		info.signo = sig;
		info.code = (vm->sigpending_user & BIT(sig)) ? SI_USER : SI_TKILL;
		info.a = GUEST_PID;	/* si_pid; si_uid 0 */
		return setup_frame(vm, ctx, sig, &info, 0, 0, 0);
	}
	if (vm->sigsaved_on) {
		vm->sigmask = vm->sigsaved;
		vm->sigsaved_on = false;
	}
	return false;
}

/* rt_sigreturn: the frame's ucontext is at the stack pointer (the
 * handler's ret popped the return address).  False: the run fails. */
static bool
restore_frame(struct tkvm_vm *vm, struct kvm_regs *ctx)
{
	const uint64_t uc = ctx->rsp;
	struct kvm_xsave xs;
	struct sigctx sc;
	uint64_t mask, ustack[3];
	uint32_t sw[2];

	if (gmem_copy(vm, &sc, uc + UC_MCONTEXT, sizeof sc) != 0 ||
	    gmem_copy(vm, &mask, uc + UC_SIGMASK, 8) != 0 ||
	    gmem_copy(vm, ustack, uc + UC_STACK, sizeof ustack) != 0) {
		vm_fail(vm, TKVM_STOP_EXCEPTION, "guest rt_sigreturn with an "
		    "unreadable frame at 0x%llx", (unsigned long long)uc);
		return false;
	}
	/* Nothing the guest could not do itself: a user rip and rsp in the
	 * lower half, above the system area; CS and SS are always the user
	 * selectors (run.c); only the flags FIX_FLAGS names change. */
	if (sc.rip < USER_BASE || sc.rip >= (1ULL << 47) ||
	    sc.rsp >= (1ULL << 47)) {
		vm_fail(vm, TKVM_STOP_EXCEPTION, "guest rt_sigreturn with a "
		    "forged frame: rip 0x%llx, rsp 0x%llx",
		    (unsigned long long)sc.rip, (unsigned long long)sc.rsp);
		return false;
	}
	if (sc.fpstate != 0 && get_xsave(vm, &xs) == 0) {
		const uint32_t xn = xsave_bytes(vm);
		bool whole = (sc.fpstate & 63) == 0 &&
		    gmem_copy(vm, sw, sc.fpstate + FP_SW_BYTES, 8) == 0 &&
		    sw[0] == FP_MAGIC1 && sw[1] == xn + 4;
		uint64_t bv;

		if (gmem_copy(vm, xs.region, sc.fpstate, whole ? xn : 512) != 0) {
			vm_fail(vm, TKVM_STOP_EXCEPTION, "guest rt_sigreturn "
			    "with an unreadable FPU state at 0x%llx",
			    (unsigned long long)sc.fpstate);
			return false;
		}
		if (!whole) {	/* the legacy area only: x87 and SSE */
			memcpy(&bv, (uint8_t *)xs.region + 512, 8);
			bv |= 3;
			memcpy((uint8_t *)xs.region + 512, &bv, 8);
		}
		vm->counters.kvm_ioctls++;
		/* KVM refuses reserved MXCSR bits, unknown or compacted
		 * components and a bad header. */
		if (ioctl(vm->vcpu_fd, KVM_SET_XSAVE, &xs) != 0) {
			vm_fail(vm, TKVM_STOP_EXCEPTION, "guest rt_sigreturn "
			    "with an invalid FPU state at 0x%llx",
			    (unsigned long long)sc.fpstate);
			return false;
		}
	} else if (sc.fpstate == 0 && get_xsave(vm, &xs) == 0) {
		/* No FPU state: Linux gives the initial one. */
		memset(xs.region, 0, 512 + 64);
		memcpy(xs.region, &(uint16_t){ 0x37f }, 2);
		memcpy((uint8_t *)xs.region + 24, &(uint32_t){ 0x1f80 }, 4);
		vm->counters.kvm_ioctls++;
		ioctl(vm->vcpu_fd, KVM_SET_XSAVE, &xs);
	}
	from_sigctx(vm, ctx, &sc);
	vm->sigmask = mask & ~UNBLOCKABLE;
	(void)set_altstack(vm, ustack, ctx->rsp);	/* errors ignored */
	return true;
}

bool
signals_syscall_return(struct tkvm_vm *vm, struct kvm_regs *regs,
    bool sigreturn)
{
	struct kvm_regs ctx;
	bool full = false;

	if (!sigreturn && (vm->fault[0] != '\0' || vm->halt != HALT_NONE ||
	    ((vm->sigpending & ~vm->sigmask) == 0 && !vm->sigsaved_on)))
		return false;	/* every other call: nothing to do */
	/* Where the guest goes on: after SYSCALL, rcx and r11 hold its rip
	 * and rflags (both rings, see run.c). */
	ctx = *regs;
	ctx.rip = regs->rcx;
	ctx.rflags = (regs->r11 & RFLAGS_USER) | vm->user_rflags;
	if (sigreturn) {
		if (!restore_frame(vm, &ctx))
			return false;
		full = true;
	}
	if (deliver_pending(vm, &ctx))
		full = true;
	if (vm->fault[0] != '\0' || !full)
		return false;
	*regs = ctx;
	return true;
}

/* The signal of an exception vector, with si_code and whether si_addr
 * is the faulting instruction; 0 for vectors no signal stands for. */
static int
fault_signal(unsigned vector, const struct cpu_fault *f, int *code,
    uint64_t *addr)
{
	*addr = 0;
	*code = SI_KERNEL;
	switch (vector) {
	case 0: *code = FPE_INTDIV; *addr = f->rip; return SIGFPE;
	case 1: *code = TRAP_TRACE; return SIGTRAP;
	case 3: return SIGTRAP;
	case 4: case 5: case 13: return SIGSEGV;
	case 6: *code = ILL_ILLOPN; *addr = f->rip; return SIGILL;
	case 12: return SIGBUS;
	case 14:
		*code = (f->code & 1) ? SEGV_ACCERR : SEGV_MAPERR;
		*addr = f->cr2;
		return SIGSEGV;
	case 16: case 19: *code = FPE_FLTINV; *addr = f->rip; return SIGFPE;
	case 17: *code = BUS_ADRALN; *addr = f->cr2; return SIGBUS;
	default: return 0;
	}
}

bool
signals_fault(struct tkvm_vm *vm, unsigned vector)
{
	struct kvm_regs *regs = &vm->run->s.regs.regs;
	struct kvm_regs ctx = *regs;
	struct ksiginfo info;
	struct cpu_fault f;
	char what[160];
	int sig, code;
	uint64_t addr;

	/* Under gdb the debugger sees every fault (docs/DEBUGGING.md). */
	if (vm->dbg != NULL || cpu_user_fault(vm, vector, &f) != 0)
		return false;
	sig = fault_signal(vector, &f, &code, &addr);
	if (sig == 0 || !handler_set(vm, sig))
		return false;
	if (vm->sigmask & BIT(sig)) {
		/* Linux kills the program: a fault in the handler itself, or
		 * with the signal blocked. */
		cpu_describe_exception(vm, vector, what, sizeof what);
		vm_fail(vm, TKVM_STOP_EXCEPTION, "%s, with SIG%s blocked (a "
		    "fault in its handler)", what, sigabbrev_np(sig));
		return false;
	}
	memset(&info, 0, sizeof info);
	info.signo = sig;
	info.code = code;
	info.a = addr;
	ctx.rip = f.rip;
	ctx.rsp = f.rsp;
	ctx.rflags = (f.rflags & RFLAGS_USER) | vm->user_rflags;
	if (!setup_frame(vm, &ctx, sig, &info, vector, vector == 14 ?
	    f.code : 0, vector == 14 ? f.cr2 : 0))
		return false;
	*regs = ctx;
	vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	cpu_restore_segments(vm);	/* CS and SS were the stub's */
	return true;
}

/* The calls. */

int64_t
sys_rt_sigreturn(struct tkvm_vm *vm, const uint64_t a[6])
{	/* never called: run.c restores the frame */
	(void)vm; (void)a;
	return -ENOSYS;
}

int64_t
sys_rt_sigaction(struct tkvm_vm *vm, const uint64_t a[6])
{
	const uint64_t sig = a[0], size = sizeof vm->sigactions[0];
	uint64_t act[4];

	if (sig == 0 || sig > 64 || a[3] != 8)
		return -EINVAL;
	if ((a[1] && gmem_copy(vm, act, a[1], size) != 0) ||
	    (a[2] && gmem_at(vm, a[2], size) == NULL))
		return -EFAULT;
	if (a[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (a[2])
		gmem_put(vm, a[2], vm->sigactions[sig], size);
	if (a[1] == 0)
		return 0;
	act[3] &= ~UNBLOCKABLE;
	memcpy(vm->sigactions[sig], act, size);
	if (ignored(vm, (int)sig))	/* Linux drops it, blocked or not */
		vm->sigpending &= ~BIT(sig);
	return 0;
}

int64_t
sys_rt_sigprocmask(struct tkvm_vm *vm, const uint64_t a[6])
{
	uint64_t set;

	if (a[3] != 8)
		return -EINVAL;
	if ((a[1] && gmem_copy(vm, &set, a[1], 8) != 0) ||
	    (a[2] && gmem_at(vm, a[2], 8) == NULL))
		return -EFAULT;
	if (a[1] && a[0] > SIG_SETMASK)
		return -EINVAL;
	if (a[2])
		gmem_put(vm, a[2], &vm->sigmask, 8);
	if (a[1] == 0)
		return 0;
	switch (a[0]) {
	case SIG_BLOCK: vm->sigmask |= set; break;
	case SIG_UNBLOCK: vm->sigmask &= ~set; break;
	default: vm->sigmask = set; break;
	}
	vm->sigmask &= ~UNBLOCKABLE;
	return 0;	/* what it unblocked is delivered on the way back */
}

int64_t
sys_rt_sigpending(struct tkvm_vm *vm, const uint64_t a[6])
{
	if (a[1] > 8)	/* Linux copies out sizes up to its sigset_t */
		return -EINVAL;
	return gmem_put(vm, a[0], &vm->sigpending, a[1]) == 0 ? 0 : -EFAULT;
}

int64_t
sys_rt_sigsuspend(struct tkvm_vm *vm, const uint64_t a[6])
{
	uint64_t set;

	if (a[1] != 8)
		return -EINVAL;
	if (gmem_copy(vm, &set, a[0], 8) != 0)
		return -EFAULT;
	vm->sigsaved = vm->sigmask;
	vm->sigsaved_on = true;
	vm->sigmask = set & ~UNBLOCKABLE;
	if ((vm->sigpending & ~vm->sigmask) != 0)
		return -EINTR;
	vm->sigmask = vm->sigsaved;
	vm->sigsaved_on = false;
	return wait_blocked(vm, "sigsuspend");
}

int64_t
sys_sigaltstack(struct tkvm_vm *vm, const uint64_t a[6])
{
	const uint64_t sp = vm->run->s.regs.regs.rsp;
	uint64_t ss[3], old[3] = { vm->altstack[0], altstack_flags(vm, sp),
	    vm->altstack[2] };
	int r = 0;

	if ((a[0] && gmem_copy(vm, ss, a[0], sizeof ss) != 0) ||
	    (a[1] && gmem_at(vm, a[1], sizeof old) == NULL))
		return -EFAULT;
	if (a[0])
		r = set_altstack(vm, ss, sp);
	if (r == 0 && a[1])
		gmem_put(vm, a[1], old, sizeof old);
	return r;
}
