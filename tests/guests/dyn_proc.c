/* SPDX-License-Identifier: BSD-2-Clause */
/* What a dynamically linked program finds in /proc and /sys. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
show(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		printf("%s: %s\n", path, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	printf("%s: %s", path, buf);
}

int
main(void)
{
	char link[256], head[4];
	struct stat st;
	ssize_t n = readlink("/proc/self/exe", link, sizeof link - 1);
	int fd;

	printf("readlink: %.*s\n", (int)(n > 0 ? n : 0), link);
	fd = open("/proc/self/exe", O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0 || read(fd, head, 4) != 4)
		printf("exe: %s\n", strerror(errno));
	else
		printf("exe: size %lld elf %d\n", (long long)st.st_size,
		    memcmp(head, "\177ELF", 4) == 0);
	show("/sys/devices/system/cpu/online");
	show("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
	fd = open("/proc/self/maps", O_RDONLY);
	if (fd >= 0) {
		static char maps[1 << 16];
		n = read(fd, maps, sizeof maps - 1);
		maps[n > 0 ? n : 0] = '\0';
		printf("maps: stack %d heap %d\n", strstr(maps, "[stack]\n") != NULL,
		    strstr(maps, "[heap]\n") != NULL);
		close(fd);
	}
	show("/proc/self/status");
	show("/proc/1/environ");
	show("/proc/self/fd");
	printf("cpus: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	return 0;
}
