/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ELF loading: x86-64 executables, static, static-PIE or dynamically
 * linked (their PT_INTERP is loaded by interp.c), and the interpreter
 * itself.  Every field is validated before use; a refused image gets a
 * one-line reason.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "vm.h"

#define MAX_PHNUM 64

static int
refuse(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "invalid ELF: %s", why);
	return -1;
}

int
elf_check_header(const void *img, size_t len, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = img;

	if (len < EI_NIDENT || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return refuse(err, errlen, "not an ELF file (bad magic)");
	if (len < sizeof *eh)
		return refuse(err, errlen, "truncated ELF header");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return refuse(err, errlen, "not a 64-bit ELF (32-bit programs are not supported)");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return refuse(err, errlen, "not little-endian");
	if (eh->e_ident[EI_VERSION] != EV_CURRENT)
		return refuse(err, errlen, "unknown ELF version");
	if (eh->e_machine != EM_X86_64)
		return refuse(err, errlen, "not an x86-64 program");
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return refuse(err, errlen, "not an executable (ELF type is not EXEC or DYN)");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return refuse(err, errlen, "bad program header entry size");
	if (eh->e_phnum == 0 || eh->e_phnum > MAX_PHNUM)
		return refuse(err, errlen, "bad number of program headers");
	if (eh->e_phoff > len ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return refuse(err, errlen, "program headers outside the file (truncated?)");
	if (eh->e_phoff % 8 != 0)
		return refuse(err, errlen, "misaligned program headers");
	return 0;
}

static int
check_segment(const struct tkvm_vm *vm, const Elf64_Phdr *ph, uint64_t base,
    size_t len, char *err, size_t errlen)
{
	uint64_t start = base + ph->p_vaddr, limit = vm_stack_guard(vm);

	if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
		return refuse(err, errlen, "segment data outside the file (truncated?)");
	if (ph->p_filesz > ph->p_memsz)
		return refuse(err, errlen, "segment file size larger than memory size");
	if (ph->p_vaddr > UINT64_MAX - base || start < USER_BASE ||
	    start >= limit || ph->p_memsz > limit - start)
		return refuse(err, errlen, "segment outside the guest address space");
	if (ph->p_align > 1 && (ph->p_align & (ph->p_align - 1)) == 0 &&
	    (ph->p_offset % ph->p_align) != (ph->p_vaddr % ph->p_align))
		return refuse(err, errlen, "segment offset and address disagree on alignment");
	return 0;
}

static int
scan_segments(const struct tkvm_vm *vm, const uint8_t *img, size_t len,
    const Elf64_Ehdr *eh, uint64_t base, struct elf_image *out,
    char *err, size_t errlen)
{
	const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff);
	bool entry_ok = false;
	unsigned i, nload = 0;

	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP) {
			if (out->interp_len != 0)
				return refuse(err, errlen, "more than one PT_INTERP");
			if (ph[i].p_offset > len || ph[i].p_filesz > len - ph[i].p_offset ||
			    ph[i].p_filesz < 2 || ph[i].p_filesz > ELF_INTERP_MAX ||
			    img[ph[i].p_offset + ph[i].p_filesz - 1] != '\0' ||
			    img[ph[i].p_offset] != '/')
				return refuse(err, errlen, "bad interpreter path (PT_INTERP)");
			/* As Linux: the path ends at its first NUL. */
			out->interp_off = ph[i].p_offset;
			out->interp_len = strlen((const char *)img + ph[i].p_offset);
		}
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (check_segment(vm, &ph[i], base, len, err, errlen))
			return -1;
		nload++;
		if (eh->e_entry >= ph[i].p_vaddr &&
		    eh->e_entry - ph[i].p_vaddr < ph[i].p_memsz && (ph[i].p_flags & PF_X))
			entry_ok = true;
		if (eh->e_phoff >= ph[i].p_offset &&
		    eh->e_phoff - ph[i].p_offset < ph[i].p_filesz)
			out->phdr_addr = base + ph[i].p_vaddr +
			    (eh->e_phoff - ph[i].p_offset);
		uint64_t end = base + ph[i].p_vaddr + ph[i].p_memsz;
		if (end > out->end)
			out->end = end;
	}
	if (nload == 0)
		return refuse(err, errlen, "no loadable segment");
	if (!entry_ok)
		return refuse(err, errlen, "entry point outside executable segments");
	if (out->phdr_addr == 0)
		return refuse(err, errlen, "program headers not in a loaded segment");
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC && eh->e_type == ET_EXEC &&
		    out->interp_len == 0)
			return refuse(err, errlen, "dynamic section without an interpreter (PT_INTERP)");
	return 0;
}

static void
copy_segments(struct tkvm_vm *vm, const uint8_t *img, const Elf64_Ehdr *eh,
    uint64_t base)
{
	const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff);
	unsigned i;

	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		uint8_t *dst = gmem_at(vm, base + ph[i].p_vaddr, ph[i].p_memsz);
		memcpy(dst, img + ph[i].p_offset, ph[i].p_filesz);
		memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
	}
}

uint64_t
elf_user_floor(const void *image, size_t len)
{
	const Elf64_Ehdr *eh = image;
	const Elf64_Phdr *ph;
	uint64_t low = UINT64_MAX;
	char err[8];

	if (elf_check_header(eh, len, err, sizeof err) != 0 || eh->e_type != ET_EXEC)
		return 0;	/* elf_load() says what is wrong; PIE: no floor */
	ph = (const void *)((const uint8_t *)image + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < low)
			low = ph[i].p_vaddr;
	if (low == UINT64_MAX || low >= (uint64_t)PD_MAX_PAGES << 30)
		return 0;	/* elf_load() refuses these segments */
	return low & ~((1ULL << 30) - 1);
}

int
elf_place(struct tkvm_vm *vm, const uint8_t *img, size_t len, uint64_t base,
    struct elf_image *out, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const void *)img;

	memset(out, 0, sizeof *out);
	if (elf_check_header(eh, len, err, errlen))
		return -1;
	if (eh->e_type != ET_DYN)
		base = 0;
	if (scan_segments(vm, img, len, eh, base, out, err, errlen))
		return -1;
	copy_segments(vm, img, eh, base);
	out->base = base;
	out->entry = base + eh->e_entry;
	out->phnum = eh->e_phnum;
	out->end = (out->end + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
	return 0;
}

int
elf_span(const uint8_t *img, size_t len, uint64_t *size, uint64_t *align)
{
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff);
	uint64_t lo = UINT64_MAX, hi = 0;

	(void)len;	/* elf_check_header() has checked the headers */
	*align = PAGE_SIZE_4K;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_vaddr > UINT64_MAX / 2 || ph[i].p_memsz > UINT64_MAX / 4)
			return -1;
		if (ph[i].p_vaddr < lo)
			lo = ph[i].p_vaddr;
		if (ph[i].p_vaddr + ph[i].p_memsz > hi)
			hi = ph[i].p_vaddr + ph[i].p_memsz;
		if (ph[i].p_align > *align && ph[i].p_align <= PAGE_SIZE_2M &&
		    (ph[i].p_align & (ph[i].p_align - 1)) == 0)
			*align = ph[i].p_align;
	}
	if (lo == UINT64_MAX || (lo & ~(PAGE_SIZE_4K - 1)) != 0)
		return -1;	/* a shared object starts at 0 */
	*size = (hi + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
	return 0;
}

int
elf_load(struct tkvm_vm *vm, const uint8_t *img, size_t len,
    struct elf_image *out, char *err, size_t errlen)
{
	return elf_place(vm, img, len, PIE_BASE, out, err, errlen);
}
