/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The program inside a downloaded file: an ELF executable as it is, or
 * the one executable in a tar archive (plain, gzip, xz or zstd) with
 * optionally a separate storage program beside it, found as
 * the published VMOD finds it (docs/COMPATIBILITY.md, "Remote programs").
 * Needs only libc and libarchive, so fuzz/archive_fuzz.c runs it alone (unpack.c).
 */
#ifndef TKVM_VMOD_UNPACK_H
#define TKVM_VMOD_UNPACK_H

#include <stddef.h>

struct unpack_limits {
	size_t max_entries;	/* entries of any kind, directories included */
	size_t max_total;	/* bytes of all entries once unpacked */
};

struct unpacked {
	void *image;		/* malloc'd: the program */
	size_t len;
	char entry[256];	/* its name in the archive; "" for a bare ELF */
	void *storage;		/* malloc'd: an entry named "...storage", */
	size_t storage_len;	/* the separate storage program, or NULL */
	char storage_entry[256];
};

/*
 * 0 with out filled (free out->image), or -1 with a precise reason in err:
 * an entry with an absolute name or a ".." component, a link, a device,
 * FIFO or socket, more than max_entries entries, more than max_total
 * bytes unpacked, two candidate programs, none, or data that is neither
 * an ELF executable nor a tar archive.
 */
int unpack_program(const void *data, size_t len,
    const struct unpack_limits *lim, struct unpacked *out, char *err,
    size_t errlen);

#endif
