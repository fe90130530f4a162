/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gdb's packets, answered from a stopped VM: registers (in the order of
 * target_xml.h), memory through the checked accessors, software
 * breakpoints, and the queries gdb makes when it attaches.  Anything
 * else gets the empty reply, which tells gdb it is not supported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"
#include "debug/debug.h"
#include "debug/target_xml.h"

#define NREGS		60
#define REG_RIP		16
#define REG_EFLAGS	17
#define REG_CS		18
#define REG_ST0		24
#define REG_FCTRL	32
#define REG_XMM0	40
#define REG_MXCSR	56
#define REG_ORIG_RAX	57
#define REG_FS_BASE	58
#define REG_GS_BASE	59

/* Flags gdb may change: arithmetic flags, TF, DF, AC and ID.  IOPL, IF,
 * NT, RF and VM stay as the guest had them. */
#define EFLAGS_WRITABLE	0x254dd5ULL

static unsigned
reg_size(unsigned n)
{
	if (n <= REG_RIP || n >= REG_ORIG_RAX)
		return 8;
	if (n >= REG_ST0 && n < REG_FCTRL)
		return 10;
	if (n >= REG_XMM0 && n < REG_MXCSR)
		return 16;
	return 4;
}

static __u64 *
gpr(struct kvm_regs *r, unsigned n)
{
	__u64 *const order[17] = { &r->rax, &r->rbx, &r->rcx, &r->rdx,
	    &r->rsi, &r->rdi, &r->rbp, &r->rsp, &r->r8, &r->r9, &r->r10,
	    &r->r11, &r->r12, &r->r13, &r->r14, &r->r15, &r->rip };
	return order[n];
}

/* The FPU state, read once per stop when gdb first asks for it. */
struct fpu_cache {
	bool valid, dirty;
	struct kvm_fpu fpu;
};

static int
fpu_get(struct tkvm_vm *vm, struct fpu_cache *f)
{
	if (!f->valid) {
		vm->counters.kvm_ioctls++;
		if (ioctl(vm->vcpu_fd, KVM_GET_FPU, &f->fpu) != 0)
			return -1;
		f->valid = true;
	}
	return 0;
}

static int
reg_read(struct tkvm_vm *vm, struct fpu_cache *f, unsigned n, uint8_t *out)
{
	struct kvm_regs *r = &vm->run->s.regs.regs;
	const struct kvm_sregs *s = &vm->run->s.regs.sregs;
	const struct kvm_segment *seg[6] = { &s->cs, &s->ss, &s->ds, &s->es,
	    &s->fs, &s->gs };
	uint64_t v = 0;
	bool scalar = true;

	memset(out, 0, reg_size(n));
	if (n <= REG_RIP)
		v = *gpr(r, n);
	else if (n == REG_EFLAGS)
		v = r->rflags;
	else if (n < REG_ST0)
		v = seg[n - REG_CS]->selector;
	else if (n == REG_ORIG_RAX)
		v = (uint64_t)-1;
	else if (n == REG_FS_BASE)
		v = s->fs.base;
	else if (n == REG_GS_BASE)
		v = s->gs.base;
	else if (fpu_get(vm, f) != 0)
		return -1;
	else if (n < REG_FCTRL) {
		memcpy(out, f->fpu.fpr[n - REG_ST0], 10);
		scalar = false;
	} else if (n < REG_XMM0) {
		/* fctrl fstat ftag fiseg fioff foseg fooff fop; KVM keeps
		 * the abridged tag byte and flat 64-bit pointers. */
		const uint64_t fx[8] = { f->fpu.fcw, f->fpu.fsw, f->fpu.ftwx, 0,
		    f->fpu.last_ip & 0xffffffff, 0, f->fpu.last_dp & 0xffffffff,
		    f->fpu.last_opcode };
		v = fx[n - REG_FCTRL];
	} else if (n < REG_MXCSR) {
		memcpy(out, f->fpu.xmm[n - REG_XMM0], 16);
		scalar = false;
	} else
		v = f->fpu.mxcsr;
	if (scalar)
		memcpy(out, &v, reg_size(n));
	return 0;
}

/* Segment selectors, gs_base and orig_rax are accepted but kept: the
 * guest's segments are the host's business (cpu/vcpu.c). */
static int
reg_write(struct tkvm_vm *vm, struct fpu_cache *f, unsigned n,
    const uint8_t *in)
{
	struct kvm_regs *r = &vm->run->s.regs.regs;
	uint64_t v = 0;

	memcpy(&v, in, reg_size(n) < 8 ? reg_size(n) : 8);
	if (n <= REG_RIP) {
		*gpr(r, n) = v;
	} else if (n == REG_EFLAGS) {
		r->rflags = (r->rflags & ~EFLAGS_WRITABLE) | (v & EFLAGS_WRITABLE);
	} else if (n == REG_FS_BASE) {
		if (v != vm->fs_base)
			cpu_set_fs_base(vm, v);
		return 0;
	} else if (n < REG_ST0 || n >= REG_ORIG_RAX) {
		return 0;
	} else {
		if (fpu_get(vm, f) != 0)
			return -1;
		if (n < REG_FCTRL)
			memcpy(f->fpu.fpr[n - REG_ST0], in, 10);
		else if (n == REG_FCTRL)
			f->fpu.fcw = (uint16_t)v;
		else if (n == REG_FCTRL + 1)
			f->fpu.fsw = (uint16_t)v;
		else if (n >= REG_XMM0 && n < REG_MXCSR)
			memcpy(f->fpu.xmm[n - REG_XMM0], in, 16);
		else if (n == REG_MXCSR)
			f->fpu.mxcsr = (uint32_t)v & 0xffff;
		f->dirty = true;
		return 0;
	}
	vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	return 0;
}

static int
fpu_flush(struct tkvm_vm *vm, struct fpu_cache *f)
{
	if (!f->dirty)
		return 0;
	f->dirty = false;
	vm->counters.kvm_ioctls++;
	return ioctl(vm->vcpu_fd, KVM_SET_FPU, &f->fpu);
}

static bool
parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	unsigned n = 0;

	for (; n < 17; s++, n++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		x = x << 4 | d;
	}
	if (n == 0 || n > 16)
		return false;
	*p = s;
	*v = x;
	return true;
}

/* "ADDR,LEN" followed by end (or ':' for M). */
static bool
parse_range(const char *p, uint64_t *addr, uint64_t *len, char end,
    const char **rest)
{
	if (!parse_hex(&p, addr) || *p++ != ',' || !parse_hex(&p, len) ||
	    *p != end)
		return false;
	if (rest != NULL)
		*rest = p + (end != '\0');
	return true;
}

static void
read_memory(struct debug_session *d, struct tkvm_vm *vm, const char *args)
{
	uint64_t addr, len, avail = 0;
	const uint8_t *src;

	if (!parse_range(args, &addr, &len, '\0', NULL)) {
		rsp_send_str(&d->conn, "E16");
		return;
	}
	if (len > (RSP_PACKET_MAX - 8) / 2)
		len = (RSP_PACKET_MAX - 8) / 2;	/* gdb asks again for the rest */
	/* The readable prefix: user memory is one contiguous range. */
	while (avail < len && gmem_at(vm, addr + avail, 1) != NULL)
		avail++;
	src = avail ? gmem_at(vm, addr, avail) : NULL;
	if (src == NULL || len == 0) {
		rsp_send_str(&d->conn, len == 0 ? "" : "E0e");
		return;
	}
	char *hex = malloc(2 * avail + 1);
	if (hex == NULL) {
		rsp_send_str(&d->conn, "E0c");
		return;
	}
	hex_encode(hex, src, avail);
	rsp_send(&d->conn, hex, 2 * avail);
	free(hex);
}

static void
write_memory(struct debug_session *d, struct tkvm_vm *vm, const char *args)
{
	uint64_t addr, len;
	const char *data;
	uint8_t *dst;

	if (!parse_range(args, &addr, &len, ':', &data) ||
	    strlen(data) != 2 * len) {
		rsp_send_str(&d->conn, "E16");
		return;
	}
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL || hex_decode(buf, data, len) != 0) {
		rsp_send_str(&d->conn, buf == NULL ? "E0c" : "E16");
		free(buf);
		return;
	}
	if ((dst = gmem_wr(vm, addr, len)) == NULL) {
		rsp_send_str(&d->conn, "E0e");
		free(buf);
		return;
	}
	memcpy(dst, buf, len);
	free(buf);
	rsp_send_str(&d->conn, "OK");
}

static void
read_all_registers(struct debug_session *d, struct tkvm_vm *vm,
    struct fpu_cache *f)
{
	char hex[2 * 16 * NREGS + 1];
	uint8_t buf[16];
	size_t n = 0;

	for (unsigned i = 0; i < NREGS; i++) {
		if (reg_read(vm, f, i, buf) != 0) {
			rsp_send_str(&d->conn, "E05");
			return;
		}
		hex_encode(hex + n, buf, reg_size(i));
		n += 2 * reg_size(i);
	}
	rsp_send(&d->conn, hex, n);
}

static void
write_all_registers(struct debug_session *d, struct tkvm_vm *vm,
    struct fpu_cache *f, const char *hex)
{
	uint8_t buf[16];
	size_t off = 0;

	for (unsigned i = 0; i < NREGS && hex[off] != '\0'; i++) {
		char one[2 * 16 + 1];
		size_t w = 2 * reg_size(i);
		if (strlen(hex + off) < w)
			break;
		memcpy(one, hex + off, w);
		one[w] = '\0';
		if (hex_decode(buf, one, reg_size(i)) != 0 ||
		    reg_write(vm, f, i, buf) != 0) {
			rsp_send_str(&d->conn, "E16");
			return;
		}
		off += w;
	}
	rsp_send_str(&d->conn, hex[off] == '\0' ? "OK" : "E16");
}

static void
one_register(struct debug_session *d, struct tkvm_vm *vm, struct fpu_cache *f,
    const char *args, bool write)
{
	const char *p = args;
	uint64_t n;
	uint8_t buf[16];
	char hex[2 * 16 + 1];

	if (!parse_hex(&p, &n) || n >= NREGS || *p != (write ? '=' : '\0')) {
		rsp_send_str(&d->conn, "E16");
		return;
	}
	if (!write) {
		if (reg_read(vm, f, (unsigned)n, buf) != 0) {
			rsp_send_str(&d->conn, "E05");
			return;
		}
		hex_encode(hex, buf, reg_size((unsigned)n));
		rsp_send_str(&d->conn, hex);
		return;
	}
	if (strlen(p + 1) != 2 * reg_size((unsigned)n) ||
	    hex_decode(buf, p + 1, reg_size((unsigned)n)) != 0 ||
	    reg_write(vm, f, (unsigned)n, buf) != 0) {
		rsp_send_str(&d->conn, "E16");
		return;
	}
	rsp_send_str(&d->conn, "OK");
}

/* Z0/z0: the table only; debug.c writes int3 when the guest runs. */
static void
breakpoint(struct debug_session *d, struct tkvm_vm *vm, const char *pkt)
{
	const char *p = pkt + 3;
	uint64_t addr, kind;
	unsigned i;

	if (pkt[1] != '0') {
		rsp_send_str(&d->conn, "");	/* no hardware breakpoints */
		return;
	}
	if (pkt[2] != ',' || !parse_hex(&p, &addr) || *p++ != ',' ||
	    !parse_hex(&p, &kind) || (*p != '\0' && *p != ';')) {
		rsp_send_str(&d->conn, "E16");
		return;
	}
	for (i = 0; i < d->nbp && d->bp[i].addr != addr; i++)
		;
	if (pkt[0] == 'z') {
		if (i < d->nbp)
			d->bp[i] = d->bp[--d->nbp];
		rsp_send_str(&d->conn, "OK");
		return;
	}
	if (gmem_at(vm, addr, 1) == NULL) {
		rsp_send_str(&d->conn, "E0e");
		return;
	}
	if (i == d->nbp) {
		if (d->nbp == DEBUG_MAX_BREAKPOINTS) {
			rsp_send_str(&d->conn, "E1c");
			return;
		}
		d->bp[d->nbp++] = (struct debug_bp){ .addr = addr };
	}
	rsp_send_str(&d->conn, "OK");
}

static void
send_target_xml(struct debug_session *d, const char *annex)
{
	static const char xml[] = TARGET_XML;
	const size_t total = sizeof xml - 1;
	const char *p = annex;
	uint64_t off, len;
	char reply[RSP_PACKET_MAX];

	if (strncmp(p, "target.xml:", 11) != 0) {
		rsp_send_str(&d->conn, "E00");
		return;
	}
	p += 11;
	if (!parse_range(p, &off, &len, '\0', NULL)) {
		rsp_send_str(&d->conn, "E16");
		return;
	}
	if (off >= total) {
		rsp_send_str(&d->conn, "l");
		return;
	}
	if (len > sizeof reply - 1)
		len = sizeof reply - 1;
	if (len > total - off)
		len = total - off;
	reply[0] = off + len < total ? 'm' : 'l';
	memcpy(reply + 1, xml + off, len);
	rsp_send(&d->conn, reply, len + 1);
}

static void
send_stop_reply(struct debug_session *d)
{
	char reply[64];

	snprintf(reply, sizeof reply, "T%02xthread:1;%s", d->signal,
	    d->swbreak ? "swbreak:;" : "");
	rsp_send_str(&d->conn, reply);
}

/* c, C, s, S: an optional resume address is honoured. */
static enum debug_action
resume(struct debug_session *d, struct tkvm_vm *vm, const char *pkt)
{
	const char *p = pkt + 1;
	uint64_t v;

	d->resume_signal = 0;
	if (pkt[0] == 'C' || pkt[0] == 'S') {
		if (!parse_hex(&p, &v))
			return DEBUG_CONTINUE;
		d->resume_signal = (int)v;
		if (*p == ';')
			p++;
	}
	if (*p != '\0' && parse_hex(&p, &v)) {
		vm->run->s.regs.regs.rip = v;
		vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	}
	return pkt[0] == 's' || pkt[0] == 'S' ? DEBUG_STEP : DEBUG_CONTINUE;
}

static bool
query(struct debug_session *d, const char *pkt)
{
	static const struct { const char *q, *reply; } fixed[] = {
		{ "qC", "QC1" }, { "qAttached", "1" }, { "qfThreadInfo", "m1" },
		{ "qsThreadInfo", "l" }, { "qSymbol", "OK" },
		{ "qOffsets", "Text=0;Data=0;Bss=0" },
	};
	char reply[160];

	if (strncmp(pkt, "qSupported", 10) == 0) {
		snprintf(reply, sizeof reply, "PacketSize=%x;qXfer:features:"
		    "read+;QStartNoAckMode+;swbreak+", RSP_PACKET_MAX);
		rsp_send_str(&d->conn, reply);
		return true;
	}
	if (strncmp(pkt, "qXfer:features:read:", 20) == 0) {
		send_target_xml(d, pkt + 20);
		return true;
	}
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		size_t n = strlen(fixed[i].q);
		if (strncmp(pkt, fixed[i].q, n) == 0 &&
		    (pkt[n] == '\0' || pkt[n] == ':')) {
			rsp_send_str(&d->conn, fixed[i].reply);
			return true;
		}
	}
	return false;
}

enum debug_action
gdbstub_serve(struct tkvm_vm *vm, struct debug_session *d, char *why,
    size_t whylen)
{
	struct fpu_cache fpu = { 0 };
	enum debug_action act;
	bool oversized;
	int rc;

	for (;;) {
		rc = rsp_read(&d->conn, &oversized, why, whylen);
		if (rc <= 0) {
			if (rc == 0)
				snprintf(why, whylen, "the debugger disconnected");
			return DEBUG_KILL;
		}
		const char *pkt = d->conn.in;
		if (oversized) {
			rsp_send_str(&d->conn, "E01");
			continue;
		}
		switch (pkt[0]) {
		case '?': send_stop_reply(d); continue;
		case 'g': read_all_registers(d, vm, &fpu); continue;
		case 'G': write_all_registers(d, vm, &fpu, pkt + 1); continue;
		case 'p': one_register(d, vm, &fpu, pkt + 1, false); continue;
		case 'P': one_register(d, vm, &fpu, pkt + 1, true); continue;
		case 'm': read_memory(d, vm, pkt + 1); continue;
		case 'M': write_memory(d, vm, pkt + 1); continue;
		case 'Z': case 'z': breakpoint(d, vm, pkt); continue;
		case 'H': case 'T': rsp_send_str(&d->conn, "OK"); continue;
		case 'c': case 'C': case 's': case 'S':
			act = resume(d, vm, pkt);
			break;
		case 'D':
			rsp_send_str(&d->conn, "OK");
			act = DEBUG_DETACH;
			break;
		case 'k':
			snprintf(why, whylen, "killed by the debugger");
			act = DEBUG_KILL;
			break;
		case 'v':
			if (strncmp(pkt, "vKill", 5) == 0) {
				rsp_send_str(&d->conn, "OK");
				snprintf(why, whylen, "killed by the debugger");
				act = DEBUG_KILL;
				break;
			}
			rsp_send_str(&d->conn, "");	/* vCont? and the rest */
			continue;
		case 'Q':
			if (strcmp(pkt, "QStartNoAckMode") == 0) {
				rsp_send_str(&d->conn, "OK");
				d->conn.no_ack = true;
			} else {
				rsp_send_str(&d->conn, "");
			}
			continue;
		case 'q':
			if (!query(d, pkt))
				rsp_send_str(&d->conn, "");
			continue;
		default:
			rsp_send_str(&d->conn, "");
			continue;
		}
		if (fpu_flush(vm, &fpu) != 0) {
			snprintf(why, whylen, "cannot set the FPU state gdb wrote: %s",
			    strerror(errno));
			return DEBUG_KILL;
		}
		return act;
	}
}
