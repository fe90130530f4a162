/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest physical (= virtual) memory layout.
 *
 *   [0, 2 MiB)            system area, 4 KiB pages, supervisor-only except
 *                         the stubs, vCPU info and XSAVE image (read-only);
 *                         page 0 is not mapped
 *   [2 MiB, ...)          ELF image, then brk (grows up)
 *   ...                   mmap area (grows down)
 *   [top-stack-2M, top-stack)  unmapped guard (stack overflow faults here)
 *   [top-stack, top)      main stack
 *
 * User memory above 2 MiB is mapped with 2 MiB pages, built once.
 */
#ifndef TKVM_LAYOUT_H
#define TKVM_LAYOUT_H

#define PAGE_SIZE_4K	0x1000ULL
#define PAGE_SIZE_2M	0x200000ULL

#define GDT_ADDR	0x1000ULL
#define IDT_ADDR	0x2000ULL
#define TSS_ADDR	0x3000ULL
#define STUB_ADDR	0x4000ULL	/* user stubs: request entry/return, probe */
#define IST_BOTTOM	0x5000ULL	/* exception stack: 4 pages */
#define IST_TOP		0x9000ULL
#define PML4_ADDR	0x9000ULL
#define PDPT_ADDR	0xA000ULL
#define PT0_ADDR	0xB000ULL	/* 4 KiB entries for [0, 2 MiB) */
#define PD_ADDR		0xC000ULL	/* one page per GiB */
#define PD_MAX_PAGES	16		/* so at most 16 GiB of guest memory */
/* Where SYSCALL lands, and the exception stubs.  User-accessible only
 * when SYSCALL stays at CPL 3 (software KVM); supervisor-only otherwise,
 * so a guest cannot jump into it.  Decided by the probe (cpu/probe.c). */
#define SYSCALL_STUB_ADDR 0x1C000ULL
#define VCPU_INFO_ADDR	0x1D000ULL	/* user read-only: %gs:0 vcpuid, %gs:4 VM */
/* The probe's own page tables, mapping only [0, 2 MiB), with the
 * syscall stub user-accessible: they let the probe run before the
 * final tables know which ring SYSCALL enters. */
#define PROBE_PML4_ADDR	0x1E000ULL
#define PROBE_PDPT_ADDR	0x1F000ULL
#define PROBE_PD_ADDR	0x20000ULL
#define PROBE_PT0_ADDR	0x21000ULL
/* The clean XSAVE image each request restores, user read-only.  Its
 * size depends on the CPU and XCR0 (AMX alone needs 8 KiB); VM creation
 * refuses a CPU whose image would not fit. */
#define XSAVE_CLEAN_ADDR 0x30000ULL
#define XSAVE_CLEAN_MAX	0x10000ULL
/* 4 KiB page tables for 2 MiB regions with mixed protections
 * (memory/vma.c), up to the end of the system area. */
#define PT_POOL_ADDR	0x40000ULL
#define PT_POOL_PAGES	((PAGE_SIZE_2M - PT_POOL_ADDR) / PAGE_SIZE_4K)

#define USER_BASE	PAGE_SIZE_2M
#define PIE_BASE	0x400000ULL

/* Offsets inside the stub page. */
#define STUB_PROBE	0x000	/* host-owned boot probe (cpu/probe.c) */
#define STUB_RETURN	0x040	/* return address of request callbacks */
#define STUB_ENTRY	0x080	/* request entry: clean XSAVE state, jmp *%r11 */
/* Offsets inside the syscall stub page. */
#define STUB_SYSCALL	0x000	/* LSTAR */
#define STUB_EXCEPTION	0x100	/* 32 stubs of 16 bytes */
#define STUB_EXCEPTION_SIZE 16

/* I/O ports the guest uses to leave. */
#define PORT_API	0x0	/* guest API calls (docs/GUEST_API.md) */
#define PORT_SYSCALL	0x1	/* the syscall stub */
#define PORT_RETURN	0x2	/* a request callback returned */
#define PORT_EXCEPTION	0x80	/* + vector, from ring 0 stubs */

#define GUEST_STACK_SIZE_MAX	(8ULL << 20)

/* The TSS ends with an I/O bitmap for ports 0..255; above it, denied. */
#define TSS_IOMAP_OFFSET 104
#define TSS_IOMAP_BYTES	32
#define TSS_LIMIT	(TSS_IOMAP_OFFSET + TSS_IOMAP_BYTES)

#define SEL_KERNEL_CS	0x08
#define SEL_KERNEL_DS	0x10
#define SEL_USER32_CS	0x18
#define SEL_USER_DS	0x20
#define SEL_USER_CS	0x28
#define SEL_TSS		0x30

#endif
