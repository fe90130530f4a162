/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the program unpacker (vmod/unpack.c): any bytes,
 * read as an ELF file or a tar archive (plain, gzip, xz, zstd).  What is
 * accepted is one non-empty program no bigger than the unpack limit,
 * named by a printable entry name free of ".." and leading "/"; what is
 * refused leaves nothing allocated and says why.  Any breach aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fatal(const char *what, const char *detail)
{
	fprintf(stderr, "archive_fuzz: %s: %s\n", what, detail);
	abort();
}

static void
check_name(const char *name)
{
	for (const char *p = name; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f)
			fatal("unprintable entry name", name);
	if (name[0] == '/')
		fatal("absolute entry accepted", name);
	if (strcmp(name, "..") == 0 || strncmp(name, "../", 3) == 0 ||
	    strstr(name, "/../") != NULL ||
	    (strlen(name) >= 3 && strcmp(name + strlen(name) - 3, "/..") == 0))
		fatal("'..' entry accepted", name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct unpack_limits lim = { 64, 1 << 20 };
	struct unpacked u;
	char err[512];

	err[0] = '\0';
	if (unpack_program(data, size, &lim, &u, err, sizeof err) != 0) {
		if (err[0] == '\0')
			fatal("refused without a reason", "");
		if (u.image != NULL || u.len != 0 || u.storage != NULL)
			fatal("refused but an image is left", err);
		return 0;
	}
	if (u.image == NULL || u.len == 0)
		fatal("accepted without a program", u.entry);
	if (u.entry[0] == '\0') {
		/* A bare ELF file: the same bytes. */
		if (u.len != size || memcmp(u.image, data, size) != 0)
			fatal("an ELF file came back changed", "");
	} else {
		if (u.len > lim.max_total)
			fatal("program over the unpack limit", u.entry);
		check_name(u.entry);
	}
	if (u.storage != NULL && (u.storage_len == 0 ||
	    u.storage_len > lim.max_total))
		fatal("storage program of a wrong size", u.storage_entry);
	check_name(u.storage_entry);
	free(u.image);
	free(u.storage);
	return 0;
}
