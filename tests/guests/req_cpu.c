/* SPDX-License-Identifier: BSD-2-Clause */
/* CPU state a request can change, and what the next request sees.
 *
 *   /info            XCR0 and the components it enables
 *   /fill/NAME       puts a pattern in one state component (x87, sse, avx,
 *                    avx512, amx, mxcsr, fcw) and says whether XSAVE then
 *                    reports it in use
 *   /check           XSAVEs every component and says, per component,
 *                    whether it is in its initial state
 *   /seg/fs, /seg/gs loads a user data selector into FS or GS (the base
 *                    goes to 0 with it)
 *   /wrbase/fs, /wrbase/gs   WRFSBASE/WRGSBASE with a wild base
 *   /ac              leaves RFLAGS.AC set
 *   /stub/syscall    jumps into the syscall stub at CPL 3 with getpid's
 *                    number, as if SYSCALL had been executed
 *   /stub/sysret     jumps to the stub's SYSRET
 *   /stub/exception  jumps into the page-fault stub
 *   /port/1          executes the syscall stub's `out` outside the stub
 *   /priv/NAME       tries one CPL 0 instruction (control, debug and
 *                    model-specific registers, descriptor tables, XCR0,
 *                    SWAPGS, an interrupt gate): each must fault
 *   /state           CS, vcpuid(), a TLS variable, getpid() and an
 *                    unaligned load: what an earlier request could break
 *
 * argv[1], argv[2]: the syscall stub and exception stub addresses (the
 * engine's layout, engine/src/layout.h). */
#include <cpuid.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tinykvm/kvm_api.h>

static uint64_t syscall_stub, exception_stub;
static __thread char tls_word[8] = "tls-ok";
static uint8_t area[65536] __attribute__((aligned(64)));
static char out[4096];

static const char *const names[19] = {
	"x87", "SSE", "AVX", "MPX0", "MPX1", "opmask", "ZMM_Hi256",
	"Hi16_ZMM", "bit8", "PKRU", "bit10", "bit11", "bit12", "bit13",
	"bit14", "bit15", "bit16", "TILECFG", "TILEDATA",
};

static uint64_t
xcr0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* XSAVEs every enabled component; returns XSTATE_BV (within XCR0).  No
 * library call may run before it in a request: glibc's string functions
 * use vector registers themselves. */
static inline __attribute__((always_inline)) uint64_t
xsave_all(void)
{
	uint64_t bv;

	uint32_t lo, hi;

	__asm__ volatile("xsave64 %0" : "+m"(area) : "a"(~0u), "d"(~0u) : "memory");
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	memcpy(&bv, area + 512, 8);
	return bv & (((uint64_t)hi << 32) | lo);
}

static void
respond(int n)
{
	sys_backend_response(200, "text/plain", 10, out, (size_t)n, NULL);
}

static int
append(int n, const char *fmt, const char *a, const char *b)
{
	return n + snprintf(out + n, sizeof out - (size_t)n, fmt, a, b);
}

/* Whether component bit is in its initial state in the XSAVE image. */
static const char *
component_state(unsigned bit, uint64_t bv)
{
	unsigned size, off, c, d;
	static const uint8_t zero[8192];

	if (bit == 0) {
		uint16_t fcw, fsw; uint8_t ftw;
		memcpy(&fcw, area, 2); memcpy(&fsw, area + 2, 2); ftw = area[4];
		if (fcw != 0x37f)
			return "dirty(fcw)";
		if (!(bv & 1))
			return "clean";
		return fsw == 0 && ftw == 0 &&
		    memcmp(area + 32, zero, 128) == 0 ? "clean" : "dirty";
	}
	if (bit == 1) {
		uint32_t mxcsr;
		memcpy(&mxcsr, area + 24, 4);
		if (mxcsr != 0x1f80)
			return "dirty(mxcsr)";
		return !(bv & 2) || memcmp(area + 160, zero, 256) == 0 ?
		    "clean" : "dirty";
	}
	if (!(bv & (1ULL << bit)))
		return "clean";
	__cpuid_count(0xd, bit, size, off, c, d);
	if (size == 0 || size > sizeof zero || off + size > sizeof area)
		return "dirty(in use)";	/* XINUSE set: not in its initial state */
	return memcmp(area + off, zero, size) == 0 ? "clean" : "dirty";
}

static void
check(uint64_t bv)
{
	uint64_t x = xcr0();
	int n = snprintf(out, sizeof out, "check");

	for (unsigned bit = 0; bit < 19; bit++)
		if (x & (1ULL << bit))
			n = append(n, " %s=%s", names[bit], component_state(bit, bv));
	n = append(n, "%s%s\n", "", "");
	respond(n);
}

static void
info(void)
{
	uint64_t x = xcr0();
	int n = snprintf(out, sizeof out, "xcr0=%llx", (unsigned long long)x);

	for (unsigned bit = 0; bit < 19; bit++)
		if (x & (1ULL << bit))
			n = append(n, " %s%s", names[bit], "");
	respond(n);
}

/* The fills are plain inline assembly in functions the compiler does not
 * compile for AVX, so it adds no VZEROUPPER that would undo them, and
 * nothing between a fill and the response touches vector state. */
static void fill_x87(void) {
	__asm__ volatile("fld1; fldpi; fldl2t; fldlg2" ::: "memory");
}
static void fill_fcw(void) {
	uint16_t cw = 0x0c7f;	/* round toward zero, 64-bit precision */
	__asm__ volatile("fldcw %0" :: "m"(cw));
}
static void fill_mxcsr(void) {
	uint32_t m = 0xffc0;	/* FTZ, DAZ, round toward zero, masks */
	__asm__ volatile("ldmxcsr %0" :: "m"(m));
}
static const uint64_t pattern[8] __attribute__((aligned(64))) = {
	0x5345435245543031ULL, 0x5345435245543032ULL, 0x5345435245543033ULL,
	0x5345435245543034ULL, 0x5345435245543035ULL, 0x5345435245543036ULL,
	0x5345435245543037ULL, 0x5345435245543038ULL,
};
static void fill_sse(void) {
	__asm__ volatile("movdqu %0, %%xmm0; movdqu %0, %%xmm7; movdqu %0, %%xmm15"
	    :: "m"(pattern) : "xmm0", "xmm7", "xmm15");
}
static void fill_avx(void) {
	__asm__ volatile("vmovdqu %0, %%ymm1; vmovdqu %0, %%ymm14" :: "m"(pattern));
}
static void fill_avx512(void) {
	__asm__ volatile("vmovdqu64 %0, %%zmm2; vmovdqu64 %0, %%zmm31;"
	    "kmovw %1, %%k3" :: "m"(pattern), "r"(0x5a5a));
}
static void fill_pkru(void) {
	/* Keys 1-15: no access; key 0, which every page has, untouched. */
	__asm__ volatile("wrpkru" :: "a"(0x55555550), "c"(0), "d"(0) : "memory");
}
static void fill_amx(void) {
	static uint8_t cfg[64] __attribute__((aligned(64)));
	cfg[0] = 1;				/* palette 1 */
	for (int t = 0; t < 8; t++) {
		cfg[16 + 2 * t] = 64;		/* bytes per row */
		cfg[48 + t] = 1;		/* rows */
	}
	__asm__ volatile("ldtilecfg %0" :: "m"(cfg));
	__asm__ volatile("tileloadd (%0,%1,1), %%tmm0" :: "r"(pattern), "r"(0L) : "memory");
	__asm__ volatile("tileloadd (%0,%1,1), %%tmm7" :: "r"(pattern), "r"(0L) : "memory");
}

/* /fill/NAME leaves the pattern behind; /selftest/NAME fills and checks
 * in the same request, so it must find the component dirty: proof that
 * /check can see the pattern on this CPU. */
static void
fill(const char *what, bool selftest)
{
	static const struct { const char *name; void (*fn)(void); } t[] = {
		{ "x87", fill_x87 }, { "fcw", fill_fcw }, { "mxcsr", fill_mxcsr },
		{ "sse", fill_sse }, { "avx", fill_avx }, { "avx512", fill_avx512 },
		{ "amx", fill_amx }, { "pkru", fill_pkru },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (strcmp(what, t[i].name) != 0)
			continue;
		t[i].fn();
		if (selftest)
			check(xsave_all());
		sys_backend_response(200, "text/plain", 10, "filled", 6, NULL);
	}
	backend_response_str(404, "text/plain", "no such component");
}

/* Instructions only CPL 0 may execute; none may succeed here. */
static void
privileged(const char *what)
{
	static const uint8_t gdt[10];
	uint64_t v = 0;

	if (!strcmp(what, "cr3")) __asm__ volatile("mov %0, %%cr3" :: "r"(v));
	if (!strcmp(what, "cr0")) __asm__ volatile("mov %0, %%cr0" :: "r"(v));
	if (!strcmp(what, "cr4")) __asm__ volatile("mov %0, %%cr4" :: "r"(v));
	if (!strcmp(what, "dr7")) __asm__ volatile("mov %0, %%dr7" :: "r"(0x3ffULL));
	if (!strcmp(what, "wrmsr")) __asm__ volatile("wrmsr" :: "c"(0xc0000082), "a"(0), "d"(0));
	if (!strcmp(what, "rdmsr")) __asm__ volatile("rdmsr" :: "c"(0xc0000082) : "rax", "rdx");
	if (!strcmp(what, "xsetbv")) __asm__ volatile("xsetbv" :: "c"(0), "a"(3), "d"(0));
	if (!strcmp(what, "lgdt")) __asm__ volatile("lgdt %0" :: "m"(gdt));
	if (!strcmp(what, "lidt")) __asm__ volatile("lidt %0" :: "m"(gdt));
	if (!strcmp(what, "ltr")) __asm__ volatile("ltr %w0" :: "r"(0x30));
	if (!strcmp(what, "swapgs")) __asm__ volatile("swapgs");
	if (!strcmp(what, "int80")) __asm__ volatile("int $0x80");
	if (!strcmp(what, "invlpg")) __asm__ volatile("invlpg (%0)" :: "r"(0x400000UL));
	backend_response_str(200, "text/plain", "privileged instruction allowed");
}

static long
jump_into_syscall_stub(void)
{
	long ret;

	__asm__ volatile(
	    "lea 1f(%%rip), %%rcx\n\t"
	    "pushfq\n\tpop %%r11\n\t"
	    "mov $39, %%eax\n\t"		/* getpid */
	    "jmp *%1\n"
	    "1:"
	    : "=&a"(ret) : "r"(syscall_stub) : "rcx", "r11", "memory");
	return ret;
}

static void
state(void)
{
	uint16_t cs;
	volatile uint64_t words[2] = { 0x1122334455667788ULL, 0 };
	uint64_t unaligned;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	memcpy(&unaligned, (const char *)words + 3, 8);
	snprintf(out, sizeof out, "cs=%#x vcpuid=%d tls=%s pid=%d unaligned=%llx",
	    cs, vcpuid(), tls_word, (int)getpid(),
	    (unsigned long long)(unaligned & 0xff));
	respond((int)strlen(out));
}

static void
on_get(const char *url, const char *arg)
{
	uint64_t bv = xsave_all();	/* first: what the request found */

	(void)arg;
	if (strcmp(url, "/info") == 0)
		info();
	else if (strcmp(url, "/check") == 0)
		check(bv);
	else if (strncmp(url, "/fill/", 6) == 0)
		fill(url + 6, false);
	else if (strncmp(url, "/selftest/", 10) == 0)
		fill(url + 10, true);
	else if (strcmp(url, "/seg/fs") == 0)
		__asm__ volatile("mov %0, %%fs" :: "r"(0x23) : "memory");
	else if (strcmp(url, "/seg/gs") == 0)
		__asm__ volatile("mov %0, %%gs" :: "r"(0x23) : "memory");
	else if (strcmp(url, "/wrbase/fs") == 0)
		__asm__ volatile("wrfsbase %0" :: "r"(0x7777000ULL) : "memory");
	else if (strcmp(url, "/wrbase/gs") == 0)
		__asm__ volatile("wrgsbase %0" :: "r"(0x7777000ULL) : "memory");
	else if (strcmp(url, "/ac") == 0)
		__asm__ volatile("pushfq; orq $0x40000, (%%rsp); popfq" ::: "memory", "cc");
	else if (strcmp(url, "/stub/syscall") == 0) {
		long pid = jump_into_syscall_stub();
		uint16_t cs;
		__asm__ volatile("mov %%cs, %0" : "=r"(cs));
		snprintf(out, sizeof out, "stub getpid=%ld cs=%#x", pid, cs);
		respond((int)strlen(out));
	} else if (strcmp(url, "/stub/sysret") == 0)
		__asm__ volatile("jmp *%0" :: "r"(syscall_stub + 2));
	else if (strcmp(url, "/stub/exception") == 0)
		__asm__ volatile("jmp *%0" :: "r"(exception_stub));
	else if (strncmp(url, "/priv/", 6) == 0)
		privileged(url + 6);
	else if (strcmp(url, "/port/1") == 0)
		__asm__ volatile("out %%al, $1" :: "a"(0));
	else
		state();
	/* The state-changing requests answer after the change. */
	backend_response_str(200, "text/plain", "changed");
}

int
main(int argc, char **argv)
{
	syscall_stub = argc > 1 ? strtoull(argv[1], NULL, 0) : 0;
	exception_stub = argc > 2 ? strtoull(argv[2], NULL, 0) : 0;
	set_backend_get(on_get);
	wait_for_requests();
}
