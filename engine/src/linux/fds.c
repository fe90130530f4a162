/*
 * Guest file descriptors.  0, 1 and 2 start as the console (stdin reads
 * as empty, stdout and stderr go to the embedder's output callback);
 * files are read-only host descriptors opened through the allow-list.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "vm.h"

static void
release(struct guest_fd *f)
{
	if (f->host_fd >= 0)
		close(f->host_fd);
	f->used = false;
	f->console = -1;
	f->host_fd = -1;
	f->is_dir = false;
	f->writable = false;
}

void
fds_init(struct tkvm_vm *vm)
{
	for (unsigned i = 0; i < TKVM_MAX_FDS; i++) {
		vm->fds[i].host_fd = -1;
		vm->fds[i].used = i < 3;
		vm->fds[i].console = i < 3 ? (int)i : -1;
		vm->fds[i].is_dir = false;
		vm->fds[i].writable = false;
	}
}

void
fds_close_all(struct tkvm_vm *vm)
{
	for (unsigned i = 0; i < TKVM_MAX_FDS; i++)
		release(&vm->fds[i]);
}

static int
lowest_free(struct tkvm_vm *vm, int64_t min)
{
	for (int64_t i = min < 0 ? 0 : min; i < TKVM_MAX_FDS; i++)
		if (!vm->fds[i].used)
			return (int)i;
	return -EMFILE;
}

int
fds_install(struct tkvm_vm *vm, int host_fd, bool is_dir)
{
	int fd = lowest_free(vm, 0);

	if (fd < 0) {
		close(host_fd);
		return fd;
	}
	vm->fds_changed = true;
	vm->fds[fd].used = true;
	vm->fds[fd].host_fd = host_fd;
	vm->fds[fd].is_dir = is_dir;
	return fd;
}

struct guest_fd *
fds_get(struct tkvm_vm *vm, int64_t fd)
{
	if (fd < 0 || fd >= TKVM_MAX_FDS || !vm->fds[fd].used)
		return NULL;
	return &vm->fds[fd];
}

static int
copy_into(struct tkvm_vm *vm, const struct guest_fd *src, int newfd)
{
	struct guest_fd *dst = &vm->fds[newfd];
	int host = -1;

	if (src->host_fd >= 0) {
		host = fcntl(src->host_fd, F_DUPFD_CLOEXEC, 0);
		if (host < 0)
			return -errno;
	}
	vm->fds_changed = true;
	release(dst);
	*dst = *src;
	dst->host_fd = host;
	return newfd;
}

int
fds_dup(struct tkvm_vm *vm, int64_t fd, int64_t min)
{
	struct guest_fd *src = fds_get(vm, fd);
	int newfd;

	if (src == NULL)
		return -EBADF;
	if (min < 0 || min >= TKVM_MAX_FDS)
		return -EINVAL;
	newfd = lowest_free(vm, min);
	return newfd < 0 ? newfd : copy_into(vm, src, newfd);
}

int
fds_dup_to(struct tkvm_vm *vm, int64_t fd, int64_t newfd)
{
	struct guest_fd *src = fds_get(vm, fd);

	if (src == NULL || newfd < 0 || newfd >= TKVM_MAX_FDS)
		return -EBADF;
	if (newfd == fd)
		return (int)newfd;
	return copy_into(vm, src, (int)newfd);
}

int
fds_close(struct tkvm_vm *vm, int64_t fd)
{
	struct guest_fd *f = fds_get(vm, fd);

	if (f == NULL)
		return -EBADF;
	vm->fds_changed = true;
	release(f);
	return 0;
}
