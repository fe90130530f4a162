/* SPDX-License-Identifier: BSD-2-Clause */
/* Opens each path argument and reports what happened, one line each:
 * "PATH: ok SIZE FIRSTLINE" or "PATH: errno NAME". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *
ename(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EROFS: return "EROFS";
	case ENOTDIR: return "ENOTDIR";
	default: return strerror(e);
	}
}

static void
try_file(const char *path)
{
	char buf[128] = "";
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("%s: errno %s\n", path, ename(errno));
		return;
	}
	fstat(fd, &st);
	if (S_ISDIR(st.st_mode)) {
		DIR *d = fdopendir(fd);
		struct dirent *de;
		int n = 0;
		while ((de = readdir(d)) != NULL)
			n += de->d_name[0] != '.';
		printf("%s: dir %d entries\n", path, n);
		closedir(d);
		return;
	}
	ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
	buf[r > 0 ? r : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("%s: ok %lld %s mmap=%s lseek=%lld\n", path, (long long)st.st_size,
	    buf, m != MAP_FAILED && memcmp(m, buf, strlen(buf)) == 0 ? "same" : "bad",
	    (long long)lseek(fd, 0, SEEK_END));
	close(fd);
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == 'w' && argv[i][1] == ':') {
			int fd = open(argv[i] + 2, O_WRONLY | O_CREAT, 0644);
			printf("write %s: %s\n", argv[i] + 2, fd < 0 ? ename(errno) : "opened");
			continue;
		}
		try_file(argv[i]);
	}
	return 0;
}
