/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Dynamically linked programs.  As Linux does for a program with
 * PT_INTERP, the engine loads the interpreter it names (ld-linux-x86-64.so.2)
 * next to the program, at the top of the mmap area, and starts it; the
 * interpreter finds the program through the auxiliary vector (stack.c)
 * and loads the libraries itself with open(), mmap() and mprotect().
 *
 * The interpreter is read through the allow-list like any guest file.
 * A dynamic program cannot start without the system's loader and C
 * library, so for such a program the places they live in are allowed
 * read-only implicitly (system_paths[]); anything else (an interpreter
 * elsewhere, Python's standard library, a plugin to dlopen) must be in
 * the program's allowed paths.  A static program gets nothing implicit.
 *
 * The program's own image is kept in a sealed memfd for /proc/self/exe.
 * All of this happens when the main VM is created: request VMs fork with
 * the interpreter and the libraries main() loaded, copy-on-write.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm.h"

#define INTERP_MAX_SIZE	(64ULL << 20)

/* Debian's (and most distributions') x86-64 loader and library
 * directories; those missing on the host are skipped. */
static const char *const system_paths[] = {
	"/lib64/ld-linux-x86-64.so.2",
	"/lib/x86_64-linux-gnu",
	"/usr/lib/x86_64-linux-gnu",
	"/usr/lib64/ld-linux-x86-64.so.2",
	"/etc/ld.so.cache",
	NULL
};

int
interp_allow_system(struct tkvm_vm *vm, char *err, size_t errlen)
{
	for (unsigned i = 0; system_paths[i] != NULL; i++)
		if (paths_add(vm, system_paths[i], true, err, errlen) != 0)
			return -1;
	return 0;
}

/* Reads the whole interpreter file; NULL and a reason in err. */
static uint8_t *
read_interp(struct tkvm_vm *vm, const char *path, size_t *len, char *err,
    size_t errlen)
{
	struct stat st;
	uint8_t *data;
	size_t got = 0;
	int fd = paths_open(vm, path, AT_FDCWD, false);

	if (fd == -EACCES) {
		snprintf(err, errlen, "interpreter %.200s: not in the allowed "
		    "paths (or not readable)", path);
		return NULL;
	}
	if (fd < 0) {
		snprintf(err, errlen, "interpreter %.200s: %s", path,
		    strerror(-fd));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > INTERP_MAX_SIZE) {
		snprintf(err, errlen, "interpreter %.200s: not a regular file "
		    "of at most %llu MiB", path, INTERP_MAX_SIZE >> 20);
		close(fd);
		return NULL;
	}
	*len = (size_t)st.st_size;
	data = malloc(*len ? *len : 1);
	while (data != NULL && got < *len) {
		ssize_t n = pread(fd, data + got, *len - got, (off_t)got);
		if (n <= 0) {
			free(data);
			data = NULL;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (data == NULL)
		snprintf(err, errlen, "interpreter %.200s: cannot read it",
		    path);
	return data;
}

/* A copy of the program's image for open("/proc/self/exe"). */
static int
keep_image(struct tkvm_vm *vm, const uint8_t *prog, size_t len)
{
	int fd = memfd_create("tinykvm-exe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t n = write(fd, prog + done, len - done);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	(void)fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW |
	    F_SEAL_SHRINK | F_SEAL_SEAL);
	vm->exe_fd = fd;
	return 0;
}

/* Checks the interpreter's image and loads it at a base of its own. */
static int
place_interp(struct tkvm_vm *vm, const char *path, const uint8_t *data,
    size_t len, struct elf_image *out, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const void *)data;
	uint64_t size, align, base, mapped;
	int64_t addr;
	char why[160];

	if (elf_check_header(data, len, why, sizeof why) != 0)
		goto refused;
	if (eh->e_type != ET_DYN) {
		snprintf(why, sizeof why, "invalid ELF: not a shared object "
		    "(an interpreter is ET_DYN)");
		goto refused;
	}
	if (elf_span(data, len, &size, &align) != 0 || size == 0 ||
	    size > vm->mem_size) {
		snprintf(why, sizeof why, "invalid ELF: segments do not start "
		    "at address 0 or are too large");
		goto refused;
	}
	mapped = size + align - PAGE_SIZE_4K;
	addr = mm_map(vm, 0, mapped, false);
	if (addr < 0) {
		snprintf(err, errlen, "interpreter %.200s does not fit in the "
		    "guest's memory", path);
		return -1;
	}
	base = ((uint64_t)addr + align - 1) & ~(align - 1);
	if (base > (uint64_t)addr)
		mm_unmap(vm, (uint64_t)addr, base - (uint64_t)addr);
	if ((uint64_t)addr + mapped > base + size)
		mm_unmap(vm, base + size, (uint64_t)addr + mapped - base - size);
	if (elf_place(vm, data, len, base, out, why, sizeof why) != 0)
		goto refused;
	if (out->interp_len != 0) {
		snprintf(why, sizeof why, "has an interpreter itself (PT_INTERP)");
		goto refused;
	}
	return 0;
refused:
	snprintf(err, errlen, "interpreter %.200s: %s", path, why);
	return -1;
}

int
interp_load(struct tkvm_vm *vm, const uint8_t *prog, size_t len,
    struct elf_image *img, char *err, size_t errlen)
{
	char path[ELF_INTERP_MAX];
	struct elf_image ii;
	uint8_t *data;
	size_t dlen;
	int r;

	if (img->interp_len == 0)
		return 0;
	memcpy(path, prog + img->interp_off, img->interp_len);
	path[img->interp_len] = '\0';
	if (interp_allow_system(vm, err, errlen) != 0)
		return -1;
	data = read_interp(vm, path, &dlen, err, errlen);
	if (data == NULL)
		return -1;
	r = place_interp(vm, path, data, dlen, &ii, err, errlen);
	free(data);
	if (r != 0)
		return -1;
	if (keep_image(vm, prog, len) != 0) {
		snprintf(err, errlen, "cannot keep the program's image: %s",
		    strerror(errno));
		return -1;
	}
	img->interp_base = ii.base;
	img->interp_entry = ii.entry;
	vm_verbose(vm, "dynamically linked: interpreter %s at 0x%llx, "
	    "program at 0x%llx", path, (unsigned long long)ii.base,
	    (unsigned long long)img->base);
	return 0;
}
