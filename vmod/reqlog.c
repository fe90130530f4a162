/*
 * A program's log during one request: sys_log text and, when the
 * program's "stdout" setting is on, what it writes to stdout and stderr
 * go to the request's Varnish log as VCL_Log records, one per line:
 *
 *   tinykvm: NAME log: TEXT       sys_log
 *   tinykvm: NAME stdout: TEXT    write(1, ...)  (stderr: write(2, ...))
 *
 * A program controls all of it, so everything is bounded: a line is cut
 * at LOG_LINE_MAX bytes (or less when varnishd's vsl_reclen is smaller,
 * so Varnish never cuts it silently) and ends with a marker saying how
 * much was cut; bytes that are not printable ASCII, and backslashes, are
 * escaped (\xHH, \\); a request logs at most LOG_LINES_MAX lines, and one
 * more line says how many it dropped.  Output arrives in writes of any
 * size: a partial line waits in one buffer of LOG_LINE_MAX bytes (more
 * of it is only counted) until its newline or the end of the request.
 */
#include <stdio.h>
#include <string.h>

#include "tinykvm_vmod.h"

static const char *const source_name[3] = { "log", "stdout", "stderr" };

void
reqlog_init(struct vreqlog *lg, VRT_CTX, const char *name,
    struct VSC_tinykvm *vsc)
{
	memset(lg, 0, sizeof *lg);
	lg->ctx = ctx;
	lg->name = name;
	lg->vsc = vsc;
}

/* Appends text escaped to out (at most room bytes, escapes never split);
 * returns how many bytes of text fit. */
static size_t
escape(char *out, size_t *olen, size_t room, const char *text, size_t len)
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

/* How many bytes of escaped text one record may carry. */
static size_t
line_room(const struct vreqlog *lg, int source)
{
	size_t reclen = cache_param->vsl_reclen;
	size_t overhead = strlen(VMOD_LOG_PREFIX) + strlen(lg->name) +
	    strlen(source_name[source]) + 3 + LOG_MARKER_MAX;

	if (reclen <= overhead + 16)
		return 16;
	return reclen - overhead < LOG_LINE_MAX ? reclen - overhead :
	    LOG_LINE_MAX;
}

/* One line (without its newline); cut more bytes were already left out. */
static void
emit(struct vreqlog *lg, int source, const char *text, size_t len,
    size_t cut)
{
	char line[LOG_LINE_MAX + LOG_MARKER_MAX + 1];
	size_t olen = 0, fit;

	if (len > 0 && text[len - 1] == '\r')
		len--;		/* CRLF line ends */
	if (lg->lines >= LOG_LINES_MAX) {
		lg->dropped++;
		if (lg->vsc != NULL)
			COUNT_ADD(lg->vsc->log_lines_dropped, 1);
		return;
	}
	lg->lines++;
	if (lg->vsc != NULL)
		COUNT_ADD(lg->vsc->log_lines, 1);
	fit = escape(line, &olen, line_room(lg, source), text, len);
	cut += len - fit;
	if (cut > 0)
		olen += (size_t)snprintf(line + olen, sizeof line - olen,
		    " [truncated: %zu more bytes]", cut);
	vlog(lg->ctx, SLT_VCL_Log, VMOD_LOG_PREFIX "%s %s: %.*s", lg->name,
	    source_name[source], (int)olen, line);
}

/* sys_log: each line of the text is a record ("" is one empty line). */
void
reqlog_text(struct vreqlog *lg, const char *text, size_t len)
{
	const char *nl;

	do {
		nl = memchr(text, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - text) : len;
		emit(lg, 0, text, n, 0);
		if (nl == NULL)
			break;
		len -= n + 1;
		text = nl + 1;
	} while (len > 0);
}

static void
flush_partial(struct vreqlog *lg)
{
	if (lg->part_fd == 0)
		return;
	emit(lg, lg->part_fd, lg->part, lg->part_len, lg->part_cut);
	lg->part_fd = 0;
	lg->part_len = 0;
	lg->part_cut = 0;
}

/* stdout/stderr as written: complete lines go out, the rest waits. */
void
reqlog_output(struct vreqlog *lg, int fd, const char *data, size_t len)
{
	const char *nl;
	size_t n, keep;

	if (fd != 1 && fd != 2)
		return;
	if (lg->part_fd != 0 && lg->part_fd != fd)
		flush_partial(lg);
	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) : len;
		lg->part_fd = fd;
		keep = sizeof lg->part - lg->part_len;
		if (keep > n)
			keep = n;
		memcpy(lg->part + lg->part_len, data, keep);
		lg->part_len += keep;
		lg->part_cut += n - keep;
		if (nl == NULL)
			break;
		flush_partial(lg);
		len -= n + 1;
		data = nl + 1;
	}
}

/* The end of the request: a pending partial line, then what was dropped. */
void
reqlog_finish(struct vreqlog *lg)
{
	flush_partial(lg);
	if (lg->dropped > 0)
		vlog(lg->ctx, SLT_VCL_Log, VMOD_LOG_PREFIX "%s: %u more log "
		    "lines dropped (at most %d per request)", lg->name,
		    lg->dropped, LOG_LINES_MAX);
	lg->dropped = 0;
}
