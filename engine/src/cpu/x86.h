/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86-64 architectural constants the engine's CPU code uses: page-table
 * bits, control-register and EFER bits, MSR numbers, XSAVE components.
 */
#ifndef TKVM_X86_H
#define TKVM_X86_H

#define PTE_P	0x1ULL
#define PTE_W	0x2ULL
#define PTE_U	0x4ULL
#define PTE_PS	0x80ULL

#define CR0_PE	0x1ULL
#define CR0_MP	0x2ULL
#define CR0_ET	0x10ULL
#define CR0_NE	0x20ULL
#define CR0_WP	0x10000ULL
#define CR0_PG	0x80000000ULL
#define CR4_PAE	0x20ULL
#define CR4_OSFXSR 0x200ULL
#define CR4_OSXMMEXCPT 0x400ULL
#define CR4_OSXSAVE 0x40000ULL
#define EFER_SCE 0x1ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL
#define EFER_NXE 0x800ULL

/* RFLAGS: bit 1 is always set; IOPL (bits 12-13) is the host's choice
 * (cpu/probe.c); RFLAGS_USER are the flags a user program may hold and
 * the host takes from guest-controlled copies (r11, a frame). */
#define RFLAGS_FIXED	0x2ULL
#define RFLAGS_IOPL3	0x3000ULL
#define RFLAGS_USER	0x3c4fd5ULL

#define MSR_STAR	0xC0000081
#define MSR_LSTAR	0xC0000082
#define MSR_CSTAR	0xC0000083
#define MSR_SFMASK	0xC0000084
#define MSR_KERNEL_GS_BASE 0xC0000102

/* XSAVE state components (bits of XCR0). */
#define XFEATURE_X87		0
#define XFEATURE_SSE		1
#define XFEATURE_AVX		2
#define XFEATURE_OPMASK		5
#define XFEATURE_ZMM_HI256	6
#define XFEATURE_HI16_ZMM	7
#define XFEATURE_PKRU		9
#define XFEATURE_TILECFG	17
#define XFEATURE_TILEDATA	18
#define XSAVE_LEGACY_SIZE	512	/* x87 + SSE area */
#define XSAVE_HEADER_SIZE	64	/* XSTATE_BV, XCOMP_BV, reserved */

#endif
