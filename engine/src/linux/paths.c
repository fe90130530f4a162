/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * File access for the guest: read-only, and only to paths on the
 * allow-list.  A guest path is first normalized lexically ("." and ".."
 * cannot climb out) and checked; the host then opens it and the real path
 * of what was opened (symlinks resolved by the kernel) is checked again,
 * so neither ".." nor a symlink can escape the list.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm.h"

/* Collapses "//", "." and ".." of an absolute path in place. */
static void
normalize(char *path)
{
	char *out = path, *in = path;

	while (*in != '\0') {
		while (*in == '/')
			in++;
		char *seg = in;
		while (*in != '\0' && *in != '/')
			in++;
		size_t len = (size_t)(in - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, len);
		out += len;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

static bool
under(const char *path, const char *entry, bool prefix)
{
	size_t n = strlen(entry);

	if (strcmp(path, entry) == 0)
		return true;
	if (!prefix || strncmp(path, entry, n) != 0)
		return false;
	return path[n] == '/' || (n > 0 && entry[n - 1] == '/');
}

static bool
allowed(const struct tkvm_vm *vm, const char *path, bool real)
{
	for (unsigned i = 0; i < vm->nallowed; i++)
		if (under(path, real ? vm->allowed[i].real : vm->allowed[i].path,
		    vm->allowed[i].prefix))
			return true;
	return false;
}

/* Whether the directory path leads to an allowed entry: "/", "/srv" for
 * "/srv/app/x".  Linux lets any process look up (stat) the directories
 * on the way to a file it may open; runtimes resolving real paths
 * (Node.js's realpathSync) do so component by component. */
static bool
leads_to_allowed(const struct tkvm_vm *vm, const char *path, bool real)
{
	const size_t n = strlen(path);

	for (unsigned i = 0; i < vm->nallowed; i++) {
		const char *e = real ? vm->allowed[i].real : vm->allowed[i].path;
		if (strncmp(e, path, n) == 0 && strlen(e) > n &&
		    (e[n] == '/' || (n > 0 && path[n - 1] == '/')))
			return true;
	}
	return false;
}

int
paths_add(struct tkvm_vm *vm, const char *path, bool quiet, char *err,
    size_t errlen)
{
	struct allowed_path *a = &vm->allowed[vm->nallowed];
	char real[PATH_MAX];
	struct stat st;

	if (vm->nallowed == TKVM_MAX_ALLOWED) {
		snprintf(err, errlen, "more than %d allowed paths",
		    TKVM_MAX_ALLOWED);
		return -1;
	}
	if (path[0] != '/' || strlen(path) >= PATH_MAX) {
		snprintf(err, errlen, "allowed path '%.100s' is not absolute",
		    path);
		return -1;
	}
	if (realpath(path, real) == NULL || stat(real, &st) != 0) {
		if (quiet)
			return 0;
		snprintf(err, errlen, "allowed path '%.100s': %s", path,
		    strerror(errno));
		return -1;
	}
	a->path = strdup(path);
	a->real = strdup(real);
	if (a->path == NULL || a->real == NULL) {
		free(a->path);
		free(a->real);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	normalize(a->path);
	a->prefix = S_ISDIR(st.st_mode);
	vm->nallowed++;
	return 0;
}

int
paths_init(struct tkvm_vm *vm, char *err, size_t errlen)
{
	const char *const *list = vm->cfg.allowed_paths;

	snprintf(vm->cwd, sizeof vm->cwd, "/");
	for (unsigned i = 0; list != NULL && list[i] != NULL; i++)
		if (paths_add(vm, list[i], false, err, errlen) != 0)
			return -1;
	return 0;
}

int
paths_copy(struct tkvm_vm *vm, const struct tkvm_vm *from)
{
	for (unsigned i = 0; i < from->nallowed; i++) {
		struct allowed_path *a = &vm->allowed[i];
		*a = from->allowed[i];
		a->path = strdup(from->allowed[i].path);
		a->real = strdup(from->allowed[i].real);
		vm->nallowed = i + 1;
		if (a->path == NULL || a->real == NULL)
			return -1;
	}
	snprintf(vm->cwd, sizeof vm->cwd, "%s", from->cwd);
	return 0;
}

void
paths_fini(struct tkvm_vm *vm)
{
	for (unsigned i = 0; i < vm->nallowed; i++) {
		free(vm->allowed[i].path);
		free(vm->allowed[i].real);
	}
	vm->nallowed = 0;
}

static int
host_path_of_fd(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n < 0 || (size_t)n >= len - 1)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* The absolute, normalized guest path, or -errno. */
static int
absolute_path(struct tkvm_vm *vm, const char *guest_path, int dirfd,
    char *out, size_t outlen)
{
	char base[PATH_MAX];
	int n;

	snprintf(base, sizeof base, "%s", vm->cwd);
	if (guest_path[0] == '\0')
		return -ENOENT;
	if (guest_path[0] != '/' && dirfd != AT_FDCWD) {
		struct guest_fd *f = fds_get(vm, dirfd);
		if (f == NULL || f->host_fd < 0)
			return -EBADF;
		if (!f->is_dir)
			return -ENOTDIR;
		if (host_path_of_fd(f->host_fd, base, sizeof base) != 0)
			return -EACCES;
	}
	n = guest_path[0] == '/' ? snprintf(out, outlen, "%s", guest_path) :
	    snprintf(out, outlen, "%s/%s", base, guest_path);
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	normalize(out);
	return 0;
}

/* paths_open(); with meta, also the directories on the way to an
 * allowed entry, for their metadata only (the fd never reaches the
 * guest). */
static int
open_checked(struct tkvm_vm *vm, const char *guest_path, int dirfd,
    bool want_dir, bool meta)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct stat st;
	int r, fd;
	bool listed, on_way;

	r = absolute_path(vm, guest_path, dirfd, path, sizeof path);
	if (r != 0)
		return r;
	fd = procfs_open(vm, path);
	if (fd != PROCFS_NOT_OURS) {
		if (fd >= 0 && want_dir) {
			close(fd);
			return -ENOTDIR;
		}
		return fd;
	}
	listed = allowed(vm, path, false);
	on_way = meta && !listed && leads_to_allowed(vm, path, false);
	if (!listed && !on_way) {
		vm_verbose(vm, "refused access to %s (not in allowed paths)", path);
		return -EACCES;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
	    (want_dir || on_way ? O_DIRECTORY : 0));
	if (fd < 0)
		return -errno;
	/* The host's own /proc/PID (an allowed /proc, a symlink): never. */
	if (host_path_of_fd(fd, real, sizeof real) != 0 ||
	    !(on_way ? leads_to_allowed(vm, real, true) : allowed(vm, real, true)) ||
	    procfs_is_process(real)) {
		vm_verbose(vm, "refused access to %s (resolves outside allowed paths)",
		    path);
		close(fd);
		return -EACCES;
	}
	/* A FIFO or socket is a channel to another process, and reading it
	 * can wait on that process: never part of the sandbox. */
	if (fstat(fd, &st) != 0 || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		vm_verbose(vm, "refused access to %s (a FIFO or socket)", path);
		close(fd);
		return -EACCES;
	}
	return fd;
}

int
paths_open(struct tkvm_vm *vm, const char *guest_path, int dirfd, bool want_dir)
{
	return open_checked(vm, guest_path, dirfd, want_dir, false);
}

int
paths_open_meta(struct tkvm_vm *vm, const char *guest_path, int dirfd)
{
	return open_checked(vm, guest_path, dirfd, false, true);
}

int
paths_chdir(struct tkvm_vm *vm, const char *guest_path)
{
	char path[PATH_MAX];
	int r = absolute_path(vm, guest_path, AT_FDCWD, path, sizeof path);
	int fd;

	if (r != 0)
		return r;
	if (strlen(path) >= sizeof vm->cwd)
		return -ENAMETOOLONG;
	if (strcmp(path, "/") != 0) {
		fd = paths_open(vm, path, AT_FDCWD, true);
		if (fd < 0)
			return fd;
		close(fd);
	}
	snprintf(vm->cwd, sizeof vm->cwd, "%s", path);
	return 0;
}
