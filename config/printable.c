/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
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

size_t
printable_escape(char *out, size_t *olen, size_t room, const char *text,
    size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		char e[5];
		size_t n;

		if (c == '\\')
			n = (size_t)snprintf(e, sizeof e, "\\\\");
		else if (c < 0x20 || c >= 0x7f)
			n = (size_t)snprintf(e, sizeof e, "\\x%02x", c);
		else {
			e[0] = (char)c;
			n = 1;
		}
		if (*olen + n > room)
			break;
		memcpy(out + *olen, e, n);
		*olen += n;
	}
	return i;
}
