/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The few /proc and /sys files programs and their runtimes read at start,
 * answered from the VM, never from the host: a guest must not see the
 * process it runs in (varnishd, tinykvm-run).  Everything under
 * /proc/self, /proc/thread-self and /proc/PID is the guest's own:
 * exe (the program's image, kept by interp.c for a dynamic program) and
 * maps are answered, anything else is refused with EACCES, as a sandbox
 * would, and logged with --verbose.  A few /sys files describing the
 * machine are answered as the VM is (one CPU, 2 MiB pages).  Any other
 * /proc or /sys path goes through the allow-list like any file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

/* Files whose content is fixed. */
static const struct {
	const char *path, *text;
} fixed_files[] = {
	{ "/sys/devices/system/cpu/online", "0\n" },
	{ "/sys/devices/system/cpu/possible", "0\n" },
	{ "/sys/devices/system/cpu/present", "0\n" },
	{ "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "2097152\n" },
};

/* The part after "/proc/self" (or thread-self, or a PID), or NULL. */
static const char *
process_part(const char *path)
{
	const char *p;

	if (strncmp(path, "/proc/", 6) != 0)
		return NULL;
	p = path + 6;
	if (strncmp(p, "self", 4) == 0)
		p += 4;
	else if (strncmp(p, "thread-self", 11) == 0)
		p += 11;
	else if (*p >= '0' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	return *p == '\0' || *p == '/' ? p : NULL;
}

bool
procfs_is_process(const char *path)
{
	return process_part(path) != NULL;
}

/* A memfd holding text, at offset 0; -errno on failure. */
static int
text_fd(const char *text, size_t len)
{
	int fd = memfd_create("tinykvm-proc", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

static int
line(char *buf, size_t size, size_t *used, uint64_t start, uint64_t end,
    const char *perm, const char *name)
{
	int n;

	if (start >= end)
		return 0;
	n = snprintf(buf + *used, size - *used, "%08llx-%08llx %s 00000000 "
	    "00:00 0%s%s\n", (unsigned long long)start, (unsigned long long)end,
	    perm, name[0] ? "                          " : "", name);
	if (n < 0 || (size_t)n >= size - *used)
		return -1;
	*used += (size_t)n;
	return 0;
}

/* The guest's address space as /proc/self/maps shows it: the image, the
 * heap, the mmap area's ranges and the stack. */
static int
maps_fd(const struct tkvm_vm *vm)
{
	static const size_t size = TKVM_MAX_MAPPINGS * 64 + 1024;
	const struct guest_mm *mm = &vm->mm;
	const uint64_t floor = vm->user_floor ? vm->user_floor : USER_BASE;
	const uint64_t heap_end = (mm->brk_cur + PAGE_SIZE_4K - 1) &
	    ~(PAGE_SIZE_4K - 1);
	char name[300];
	size_t used = 0;
	int r = 0, fd;
	char *buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return -ENOMEM;
	snprintf(name, sizeof name, "/%s", vm->program_name);
	r |= line(buf, size, &used, floor, mm->brk_start, "r-xp", name);
	r |= line(buf, size, &used, mm->brk_start, heap_end, "rw-p", "[heap]");
	for (unsigned i = 0; i < mm->nmaps && r == 0; i++)
		r |= line(buf, size, &used, mm->maps[i].start, mm->maps[i].end,
		    "rwxp", "");
	r |= line(buf, size, &used, vm->mem_size - vm_stack_size(vm),
	    vm->mem_size, "rw-p", "[stack]");
	fd = r == 0 ? text_fd(buf, used) : -ENOMEM;
	munmap(buf, size);
	return fd;
}

static int
exe_fd(const struct tkvm_vm *vm)
{
	const struct tkvm_vm *owner = vm->master ? vm->master : vm;
	char link[64];
	int fd;

	if (owner->exe_fd < 0)
		return -ENOENT;
	/* A new open file description: an offset of its own. */
	snprintf(link, sizeof link, "/proc/self/fd/%d", owner->exe_fd);
	fd = open(link, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int
procfs_open(struct tkvm_vm *vm, const char *path)
{
	const char *part = process_part(path);
	int fd = PROCFS_NOT_OURS;

	for (size_t i = 0; i < sizeof fixed_files / sizeof fixed_files[0]; i++)
		if (strcmp(path, fixed_files[i].path) == 0)
			return text_fd(fixed_files[i].text,
			    strlen(fixed_files[i].text));
	if (part == NULL)
		return PROCFS_NOT_OURS;
	if (strcmp(part, "/exe") == 0)
		fd = exe_fd(vm);
	else if (strcmp(part, "/maps") == 0)
		fd = maps_fd(vm);
	if (fd == PROCFS_NOT_OURS || fd == -ENOENT) {
		vm_verbose(vm, "refused access to %s (%s)", path,
		    fd == -ENOENT ? "a static program's image is not kept" :
		    "process information is not emulated");
		return -EACCES;
	}
	return fd;
}
