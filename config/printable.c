/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "printable.h"

const char *
printable(const char *s, char *buf, size_t n)
{
	size_t i = 0;

	for (; s[i] != '\0' && i < 60 && i + 4 < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	if (s[i] != '\0' && i + 4 <= n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}
