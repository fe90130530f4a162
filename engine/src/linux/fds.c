/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest file descriptors.  0, 1 and 2 start as the console (stdin reads
 * as empty, stdout and stderr go to the embedder's output callback);
 * files are read-only host descriptors opened through the allow-list;
 * pipes, eventfds, timerfds and epolls are objects emulated in host
 * memory (fdobj.h), counted against the same table of TKVM_MAX_FDS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm.h"
#include "linux/fdobj.h"


static void
obj_free(struct fd_obj *o)
{
	if (o == NULL)
		return;
	free(o->buf);
	free(o->items);
	free(o);
}

static void
release(struct tkvm_vm *vm, struct guest_fd *f)
{
	if (f->host_fd >= 0)
		close(f->host_fd);
	if (f->obj >= 0 && vm->fobj[f->obj] != NULL) {
		struct fd_obj *o = vm->fobj[f->obj];
		if (o->kind == OBJ_PIPE && f->pipe_writer)
			o->writers--;
		else if (o->kind == OBJ_PIPE)
			o->readers--;
		o->gen++;
		if (--o->refs == 0) {
			obj_free(o);
			vm->fobj[f->obj] = NULL;
		}
	}
	if (f->used)
		epoll_forget(vm, (int)(f - vm->fds));
	f->used = false;
	f->console = -1;
	f->host_fd = -1;
	f->is_dir = false;
	f->writable = false;
	f->obj = -1;
	f->pipe_writer = false;
	f->nonblock = false;
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
		vm->fds[i].obj = -1;
		vm->fds[i].pipe_writer = false;
		vm->fds[i].nonblock = false;
		vm->fobj[i] = NULL;
	}
}

void
fds_close_all(struct tkvm_vm *vm)
{
	for (unsigned i = 0; i < TKVM_MAX_FDS; i++)
		release(vm, &vm->fds[i]);
	for (unsigned i = 0; i < TKVM_MAX_FDS; i++) {
		obj_free(vm->fobj[i]);
		vm->fobj[i] = NULL;
	}
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
	struct guest_fd copy = *src;
	int host = -1;

	if (src->host_fd >= 0) {
		host = fcntl(src->host_fd, F_DUPFD_CLOEXEC, 0);
		if (host < 0)
			return -errno;
	}
	if (copy.obj >= 0 && vm->fobj[copy.obj] != NULL) {
		struct fd_obj *o = vm->fobj[copy.obj];
		o->refs++;	/* before dst's release could drop the last */
		if (o->kind == OBJ_PIPE && copy.pipe_writer)
			o->writers++;
		else if (o->kind == OBJ_PIPE)
			o->readers++;
	}
	vm->fds_changed = true;
	release(vm, dst);
	*dst = copy;
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
	release(vm, f);
	return 0;
}

/* Emulated objects. */

int
fdobj_new(struct tkvm_vm *vm, enum fdobj_kind kind)
{
	struct fd_obj *o;
	int i;

	for (i = 0; i < TKVM_MAX_FDS && vm->fobj[i] != NULL; i++)
		;
	if (i == TKVM_MAX_FDS)
		return -ENFILE;
	o = calloc(1, sizeof *o);
	if (o == NULL)
		return -ENOMEM;
	o->kind = kind;
	if (kind == OBJ_PIPE)
		o->buf = malloc(PIPE_CAPACITY);
	if (kind == OBJ_EPOLL) {
		o->items = calloc(EPOLL_MAX_ITEMS, sizeof *o->items);
		for (unsigned k = 0; o->items != NULL && k < EPOLL_MAX_ITEMS; k++)
			o->items[k].fd = -1;
	}
	if ((kind == OBJ_PIPE && o->buf == NULL) ||
	    (kind == OBJ_EPOLL && o->items == NULL)) {
		obj_free(o);
		return -ENOMEM;
	}
	vm->fobj[i] = o;
	vm->fds_changed = true;
	return i;
}

int
fdobj_install(struct tkvm_vm *vm, int idx, bool writer, bool nonblock)
{
	struct fd_obj *o = vm->fobj[idx];
	int fd = lowest_free(vm, 0);

	if (fd < 0) {
		if (o->refs == 0) {
			obj_free(o);
			vm->fobj[idx] = NULL;
		}
		return fd;
	}
	o->refs++;
	if (o->kind == OBJ_PIPE && writer)
		o->writers++;
	else if (o->kind == OBJ_PIPE)
		o->readers++;
	vm->fds_changed = true;
	vm->fds[fd] = (struct guest_fd){ .used = true, .console = -1,
	    .host_fd = -1, .obj = idx, .pipe_writer = writer,
	    .nonblock = nonblock };
	return fd;
}

struct fd_obj *
fdobj_of(struct tkvm_vm *vm, const struct guest_fd *f)
{
	if (f == NULL || f->obj < 0 || f->obj >= TKVM_MAX_FDS)
		return NULL;
	/* Whatever is done with it may change it: a request VM then gets
	 * its main VM's objects back at the next reset. */
	vm->fds_changed = true;
	return vm->fobj[f->obj];
}

int
fds_obj_copy(struct tkvm_vm *vm, const struct tkvm_vm *from)
{
	for (unsigned i = 0; i < TKVM_MAX_FDS; i++) {
		const struct fd_obj *src = from->fobj[i];
		struct fd_obj *o;

		obj_free(vm->fobj[i]);
		vm->fobj[i] = NULL;
		if (src == NULL)
			continue;
		o = malloc(sizeof *o);
		if (o == NULL)
			return -ENOMEM;
		*o = *src;
		o->buf = NULL;
		o->items = NULL;
		vm->fobj[i] = o;
		if (src->buf != NULL && (o->buf = malloc(PIPE_CAPACITY)) == NULL)
			return -ENOMEM;
		if (src->buf != NULL)
			memcpy(o->buf, src->buf, PIPE_CAPACITY);
		if (src->items != NULL && (o->items = malloc(EPOLL_MAX_ITEMS *
		    sizeof *o->items)) == NULL)
			return -ENOMEM;
		if (src->items != NULL)
			memcpy(o->items, src->items, EPOLL_MAX_ITEMS *
			    sizeof *o->items);
	}
	return 0;
}

