/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * File system calls: console output, read-only files from the allow-list,
 * directories, descriptors.  No call can write to a host file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "vm.h"

#define MAX_IOV 1024
#define GUEST_PATH_MAX PATH_MAX

static int64_t
neg_errno(void)
{
	return -(int64_t)errno;
}

/* Copies a guest path argument; -EFAULT or -ENAMETOOLONG on failure. */
static int
guest_path(struct tkvm_vm *vm, uint64_t addr, char *buf)
{
	const uint64_t end = vm->mem_size + vm->shm_size;

	if (gmem_at(vm, addr, 1) == NULL)
		return -EFAULT;
	if (gmem_string(vm, addr, buf, GUEST_PATH_MAX) >= 0)
		return 0;
	/* No NUL: within the limit it ran off guest memory (as Linux, EFAULT). */
	return end - addr < GUEST_PATH_MAX ? -EFAULT : -ENAMETOOLONG;
}

static int64_t
write_console(struct tkvm_vm *vm, const struct guest_fd *f, const void *data,
    uint64_t len)
{
	if (f->obj >= 0)	/* pipe, eventfd ... (fdobj.c) */
		return fds_obj_write(vm, (struct guest_fd *)f, data, len);
	if (f->writable && f->host_fd >= 0) {	/* the "state" file */
		ssize_t n = write(f->host_fd, data, len);
		return n < 0 ? neg_errno() : (int64_t)n;
	}
	if (f->console != 1 && f->console != 2)
		return -EBADF;
	vm_output(vm, f->console, data, len);
	return (int64_t)len;
}

int64_t
sys_write(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct guest_fd *f = fds_get(vm, (int64_t)a[0]);
	const void *data = gmem_at(vm, a[1], a[2]);

	if (f == NULL)
		return -EBADF;
	if (a[2] == 0)
		return 0;
	if (data == NULL)
		return -EFAULT;
	return write_console(vm, f, data, a[2]);
}

int64_t
sys_writev(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct guest_fd *f = fds_get(vm, (int64_t)a[0]);
	struct iovec iov;
	int64_t total = 0;

	if (f == NULL)
		return -EBADF;
	if (a[2] > MAX_IOV)
		return -EINVAL;
	if (a[2] != 0 && gmem_at(vm, a[1], a[2] * sizeof iov) == NULL)
		return -EFAULT;
	for (uint64_t i = 0; i < a[2]; i++) {
		gmem_copy(vm, &iov, a[1] + i * sizeof iov, sizeof iov);
		uint64_t base = (uint64_t)(uintptr_t)iov.iov_base;
		uint64_t len = iov.iov_len;
		const void *data = gmem_at(vm, base, len);
		if (len == 0)
			continue;
		if (data == NULL)
			return total ? total : -EFAULT;
		int64_t r = write_console(vm, f, data, len);
		if (r < 0)
			return total ? total : r;
		total += r;
	}
	return total;
}

static int64_t
read_into(struct tkvm_vm *vm, int64_t fd, uint64_t buf, uint64_t len,
    int64_t offset)
{
	struct guest_fd *f = fds_get(vm, fd);
	void *dst = gmem_wr(vm, buf, len);
	ssize_t n;

	if (f == NULL)
		return -EBADF;
	if (len == 0)
		return 0;
	if (dst == NULL)
		return -EFAULT;
	if (f->obj >= 0 && offset < 0)
		return fds_obj_read(vm, f, dst, len);
	if (f->obj >= 0)
		return -ESPIPE;
	if (f->console == 0)
		return 0;	/* stdin is empty */
	if (f->host_fd < 0)
		return -EBADF;
	if (f->is_dir)
		return -EISDIR;
	vm->fds_changed |= offset < 0;
	n = offset < 0 ? read(f->host_fd, dst, len) :
	    pread(f->host_fd, dst, len, offset);
	return n < 0 ? neg_errno() : n;
}

int64_t
sys_read(struct tkvm_vm *vm, const uint64_t a[6])
{
	return read_into(vm, (int64_t)a[0], a[1], a[2], -1);
}

int64_t
sys_pread64(struct tkvm_vm *vm, const uint64_t a[6])
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return read_into(vm, (int64_t)a[0], a[1], a[2], (int64_t)a[3]);
}

int64_t
sys_readv(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct guest_fd *f = fds_get(vm, (int64_t)a[0]);
	const bool nonblock = f != NULL && f->nonblock;
	struct iovec iov;
	int64_t total = 0, r = 0;

	if (a[2] > MAX_IOV)
		return -EINVAL;
	if (a[2] != 0 && gmem_at(vm, a[1], a[2] * sizeof iov) == NULL)
		return -EFAULT;
	for (uint64_t i = 0; i < a[2]; i++) {
		gmem_copy(vm, &iov, a[1] + i * sizeof iov, sizeof iov);
		/* Once some bytes are in, an empty pipe ends the call. */
		if (f != NULL && total != 0)
			f->nonblock = true;
		r = read_into(vm, (int64_t)a[0],
		    (uint64_t)(uintptr_t)iov.iov_base, iov.iov_len, -1);
		if (r < 0)
			break;
		total += r;
		if ((uint64_t)r < iov.iov_len)
			break;
	}
	if (f != NULL)
		f->nonblock = nonblock;
	return r < 0 && total == 0 ? r : total;
}

int64_t
sys_lseek(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct guest_fd *f = fds_get(vm, (int64_t)a[0]);
	off_t r;

	if (f == NULL)
		return -EBADF;
	if (f->host_fd < 0)
		return -ESPIPE;
	vm->fds_changed = true;
	r = lseek(f->host_fd, (off_t)a[1], (int)a[2]);
	return r < 0 ? neg_errno() : r;
}

int64_t
sys_close(struct tkvm_vm *vm, const uint64_t a[6])
{
	return fds_close(vm, (int64_t)a[0]);
}

/*
 * The path "state" (KVM_STATE=state) opens the program's own state file
 * (cfg.state_file), as published: the only file a program may write,
 * and only from the VM that boots (main() of the main or storage VM) and
 * the storage VM.  Request VMs may read it.
 */
static int64_t
open_state(struct tkvm_vm *vm, uint64_t flags)
{
	const uint64_t allowed = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW | 0100000 /* O_LARGEFILE as the kernel sees it */;
	const bool writes = (flags & O_ACCMODE) != O_RDONLY ||
	    (flags & (O_CREAT | O_TRUNC | O_APPEND)) != 0;
	struct stat st;
	int fd, r;

	if (vm->state_file == NULL)
		return -ENOENT;
	if ((flags & ~allowed) != 0 || (flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (writes && !vm->is_storage && vm->master != NULL) {
		vm_verbose(vm, "refused writing \"state\" from a request VM");
		return -EROFS;
	}
	fd = open(vm->state_file, (int)(flags & (O_ACCMODE | O_CREAT | O_TRUNC |
	    O_APPEND)) | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EACCES;
	}
	r = fds_install(vm, fd, false);
	if (r >= 0)
		vm->fds[r].writable = (flags & O_ACCMODE) != O_RDONLY;
	return r;
}

static int64_t
open_common(struct tkvm_vm *vm, int64_t dirfd, uint64_t path_addr,
    uint64_t flags)
{
	char path[GUEST_PATH_MAX];
	struct stat st;
	int r, fd;

	r = guest_path(vm, path_addr, path);
	if (r != 0)
		return r;
	if (strcmp(path, "state") == 0)
		return open_state(vm, flags);
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
		return -EROFS;
	fd = paths_open(vm, path, (int)dirfd, (flags & O_DIRECTORY) != 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) != 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fds_install(vm, fd, S_ISDIR(st.st_mode));
}

int64_t
sys_open(struct tkvm_vm *vm, const uint64_t a[6])
{
	return open_common(vm, AT_FDCWD, a[0], a[1]);
}

int64_t
sys_openat(struct tkvm_vm *vm, const uint64_t a[6])
{
	return open_common(vm, (int64_t)(int32_t)a[0], a[1], a[2]);
}

/* stat of a console stream: a character device, as a terminal would be. */
static void
console_stat(struct stat *st, int which)
{
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFCHR | 0620;
	st->st_rdev = 0x8800 + which;
	st->st_blksize = 4096;
	st->st_nlink = 1;
}

static int64_t
stat_fd(struct tkvm_vm *vm, int64_t fd, uint64_t out)
{
	struct guest_fd *f = fds_get(vm, fd);
	struct stat *dst = gmem_wr(vm, out, sizeof *dst), st;

	if (f == NULL)
		return -EBADF;
	if (dst == NULL)
		return -EFAULT;
	if (f->obj >= 0) {
		console_stat(&st, 0);
		st.st_mode = (mode_t)fds_obj_mode(vm, f);
		st.st_rdev = 0;
	} else if (f->host_fd < 0)
		console_stat(&st, f->console);
	else if (fstat(f->host_fd, &st) != 0)
		return neg_errno();
	memcpy(dst, &st, sizeof st);
	return 0;
}

static int64_t
stat_path(struct tkvm_vm *vm, int64_t dirfd, uint64_t path_addr, uint64_t out,
    uint64_t flags)
{
	char path[GUEST_PATH_MAX];
	struct stat st, *dst = gmem_wr(vm, out, sizeof st);
	int r, fd;

	r = guest_path(vm, path_addr, path);
	if (r != 0)
		return r;
	if (path[0] == '\0' && (flags & AT_EMPTY_PATH))
		return stat_fd(vm, dirfd, out);
	if (dst == NULL)
		return -EFAULT;
	fd = paths_open_meta(vm, path, (int)dirfd);
	if (fd < 0)
		return fd;
	r = fstat(fd, &st) == 0 ? 0 : -errno;
	close(fd);
	if (r == 0)
		memcpy(dst, &st, sizeof st);
	return r;
}

int64_t
sys_fstat(struct tkvm_vm *vm, const uint64_t a[6])
{
	return stat_fd(vm, (int64_t)a[0], a[1]);
}

int64_t
sys_stat(struct tkvm_vm *vm, const uint64_t a[6])
{
	return stat_path(vm, AT_FDCWD, a[0], a[1], 0);
}

int64_t
sys_lstat(struct tkvm_vm *vm, const uint64_t a[6])
{
	return stat_path(vm, AT_FDCWD, a[0], a[1], 0);
}

int64_t
sys_newfstatat(struct tkvm_vm *vm, const uint64_t a[6])
{
	return stat_path(vm, (int64_t)(int32_t)a[0], a[1], a[2], a[3]);
}

int64_t
sys_getdents64(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct guest_fd *f = fds_get(vm, (int64_t)a[0]);
	void *dst = gmem_wr(vm, a[1], a[2]);
	long n;

	if (f == NULL)
		return -EBADF;
	if (!f->is_dir)
		return -ENOTDIR;
	if (dst == NULL)
		return -EFAULT;
	vm->fds_changed = true;
	n = syscall(SYS_getdents64, f->host_fd, dst, (size_t)a[2]);
	return n < 0 ? neg_errno() : n;
}

static int64_t
readlink_common(struct tkvm_vm *vm, int64_t dirfd, uint64_t path_addr,
    uint64_t buf, uint64_t size)
{
	char path[GUEST_PATH_MAX], exe[GUEST_PATH_MAX];
	char *dst = gmem_wr(vm, buf, size);
	int r, fd;
	size_t len;

	r = guest_path(vm, path_addr, path);
	if (r != 0)
		return r;
	if (size == 0 || (int64_t)size < 0)
		return -EINVAL;
	if (dst == NULL)
		return -EFAULT;
	if (strcmp(path, "/proc/self/exe") != 0) {
		/* Allowed paths are presented with symlinks resolved. */
		fd = paths_open_meta(vm, path, (int)dirfd);
		if (fd < 0)
			return fd;
		close(fd);
		return -EINVAL;
	}
	snprintf(exe, sizeof exe, "/%s", vm->program_name);
	len = strlen(exe);
	if (len > size)
		len = size;
	memcpy(dst, exe, len);
	return (int64_t)len;
}

int64_t
sys_readlink(struct tkvm_vm *vm, const uint64_t a[6])
{
	return readlink_common(vm, AT_FDCWD, a[0], a[1], a[2]);
}

int64_t
sys_readlinkat(struct tkvm_vm *vm, const uint64_t a[6])
{
	return readlink_common(vm, (int64_t)(int32_t)a[0], a[1], a[2], a[3]);
}

static int64_t
access_common(struct tkvm_vm *vm, int64_t dirfd, uint64_t path_addr,
    uint64_t mode)
{
	char path[GUEST_PATH_MAX];
	int r, fd;

	r = guest_path(vm, path_addr, path);
	if (r != 0)
		return r;
	if (mode & ~7ULL)
		return -EINVAL;
	fd = paths_open_meta(vm, path, (int)dirfd);
	if (fd < 0)
		return fd;
	close(fd);
	return (mode & W_OK) ? -EROFS : 0;
}

int64_t
sys_access(struct tkvm_vm *vm, const uint64_t a[6])
{
	return access_common(vm, AT_FDCWD, a[0], a[1]);
}

int64_t
sys_faccessat(struct tkvm_vm *vm, const uint64_t a[6])
{
	return access_common(vm, (int64_t)(int32_t)a[0], a[1], a[2]);
}

int64_t
sys_faccessat2(struct tkvm_vm *vm, const uint64_t a[6])
{
	return access_common(vm, (int64_t)(int32_t)a[0], a[1], a[2]);
}

int64_t
sys_fcntl(struct tkvm_vm *vm, const uint64_t a[6])
{
	struct guest_fd *f = fds_get(vm, (int64_t)a[0]);

	if (f == NULL)
		return -EBADF;
	switch (a[1]) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return fds_dup(vm, (int64_t)a[0], (int64_t)a[2]);
	case F_GETFD:
	case F_SETFD:
		return 0;
	case F_SETFL:
		f->nonblock = (a[2] & O_NONBLOCK) != 0;
		return 0;
	case F_GETFL:
		if (f->console == 1 || f->console == 2 || f->pipe_writer)
			return O_WRONLY | (f->nonblock ? O_NONBLOCK : 0);
		return (f->obj >= 0 && fds_obj_mode(vm, f) == 0600 ? O_RDWR :
		    O_RDONLY) |
		    (f->nonblock ? O_NONBLOCK : 0);
	default:
		return -EINVAL;
	}
}

int64_t
sys_dup(struct tkvm_vm *vm, const uint64_t a[6])
{
	return fds_dup(vm, (int64_t)a[0], 0);
}

int64_t
sys_dup2(struct tkvm_vm *vm, const uint64_t a[6])
{
	return fds_dup_to(vm, (int64_t)a[0], (int64_t)a[1]);
}

int64_t
sys_dup3(struct tkvm_vm *vm, const uint64_t a[6])
{
	if (a[0] == a[1])
		return -EINVAL;
	return fds_dup_to(vm, (int64_t)a[0], (int64_t)a[1]);
}

int64_t
sys_ioctl(struct tkvm_vm *vm, const uint64_t a[6])
{
	if (fds_get(vm, (int64_t)a[0]) == NULL)
		return -EBADF;
	return -ENOTTY;	/* no terminals here: TCGETS and friends */
}

int64_t
sys_getcwd(struct tkvm_vm *vm, const uint64_t a[6])
{
	size_t len = strlen(vm->cwd) + 1;
	char *dst = gmem_wr(vm, a[0], len);

	if (a[1] < len)
		return -ERANGE;
	if (dst == NULL)
		return -EFAULT;
	memcpy(dst, vm->cwd, len);
	return (int64_t)len;
}

/* Only an allowed directory can become the working directory. */
int64_t
sys_chdir(struct tkvm_vm *vm, const uint64_t a[6])
{
	char path[GUEST_PATH_MAX];
	int r = guest_path(vm, a[0], path);

	if (r != 0)
		return r;
	return paths_chdir(vm, path);
}
