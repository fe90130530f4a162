/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * GDB's remote serial protocol on one socket: a TCP port on the loopback
 * (or a given host) or a unix socket.  Packets are $payload#checksum,
 * acknowledged with '+' or refused with '-' until gdb asks for no acks.
 * Every wait is bounded by wait_s, so an abandoned session ends.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "debug/debug.h"

/* A client that keeps sending packets with bad checksums is dropped. */
#define RSP_MAX_BAD_PACKETS 64

static const char hexdigits[] = "0123456789abcdef";

void
hex_encode(char *dst, const void *src, size_t len)
{
	const uint8_t *s = src;

	for (size_t i = 0; i < len; i++) {
		dst[2 * i] = hexdigits[s[i] >> 4];
		dst[2 * i + 1] = hexdigits[s[i] & 15];
	}
	dst[2 * len] = '\0';
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(void *dst, const char *src, size_t len)
{
	uint8_t *d = dst;

	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(src[2 * i]), lo;
		if (hi < 0 || (lo = hex_value(src[2 * i + 1])) < 0)
			return -1;
		d[i] = (uint8_t)(hi << 4 | lo);
	}
	return src[2 * len] == '\0' || src[2 * len] == ':' ||
	    src[2 * len] == ';' ? 0 : -1;
}

static int
listen_unix(struct rsp_conn *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "gdb socket path too long: %s", path);
		return -1;
	}
	/* A stale socket of an earlier run goes; any other file stays. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	strcpy(sa.sun_path, path);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&sa,
	    sizeof sa) != 0 || listen(c->listen_fd, 1) != 0) {
		snprintf(err, errlen, "cannot listen for gdb on %s: %s", path,
		    strerror(errno));
		return -1;
	}
	snprintf(c->unix_path, sizeof c->unix_path, "%s", path);
	snprintf(c->target, sizeof c->target, "%s", path);
	return 0;
}

/* "PORT" (loopback), "HOST:PORT"; port 0 picks a free one. */
static int
listen_tcp(struct rsp_conn *c, const char *where, char *err, size_t errlen)
{
	const char *colon = strrchr(where, ':');
	char host[128] = "127.0.0.1", port[16];
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV }, *ai = NULL;
	struct sockaddr_in bound;
	socklen_t blen = sizeof bound;
	const int one = 1;
	char *end;
	long n;
	int rc;

	if (colon != NULL) {
		if ((size_t)(colon - where) >= sizeof host || colon == where) {
			snprintf(err, errlen, "bad gdb address '%s'", where);
			return -1;
		}
		memcpy(host, where, (size_t)(colon - where));
		host[colon - where] = '\0';
		where = colon + 1;
	}
	n = strtol(where, &end, 10);
	if (end == where || *end != '\0' || n < 0 || n > 65535) {
		snprintf(err, errlen, "bad gdb port '%s' (want PORT, HOST:PORT "
		    "or a socket path with a '/')", where);
		return -1;
	}
	snprintf(port, sizeof port, "%ld", n);
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "gdb address %s: %s", host, gai_strerror(rc));
		return -1;
	}
	c->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->listen_fd >= 0)
		(void)setsockopt(c->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof one);
	if (c->listen_fd < 0 || bind(c->listen_fd, ai->ai_addr,
	    ai->ai_addrlen) != 0 || listen(c->listen_fd, 1) != 0 ||
	    getsockname(c->listen_fd, (struct sockaddr *)&bound, &blen) != 0) {
		snprintf(err, errlen, "cannot listen for gdb on %s:%s: %s", host,
		    port, strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	snprintf(c->target, sizeof c->target, "%s:%u",
	    strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host,
	    ntohs(bound.sin_port));
	return 0;
}

int
rsp_listen(struct rsp_conn *c, const char *where, char *err, size_t errlen)
{
	c->listen_fd = c->fd = -1;
	if (where == NULL || *where == '\0') {
		snprintf(err, errlen, "no gdb address given");
		return -1;
	}
	if (strchr(where, '/') != NULL)
		return listen_unix(c, where, err, errlen);
	return listen_tcp(c, where, err, errlen);
}

/* Waits for fd to become readable: 1, 0 on the time limit, -1 on error. */
static int
wait_readable(int fd, double wait_s)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ms = wait_s > 0 ? (int)(wait_s * 1000) + 1 : -1, rc;

	do
		rc = poll(&p, 1, ms);
	while (rc < 0 && errno == EINTR);
	return rc;
}

int
rsp_accept(struct rsp_conn *c, char *why, size_t whylen)
{
	const int one = 1;
	int rc;

	if (c->fd >= 0)
		return 0;
	if (c->listen_fd < 0) {
		snprintf(why, whylen, "the debugger left");
		return -1;
	}
	rc = wait_readable(c->listen_fd, c->wait_s);
	if (rc == 0) {
		snprintf(why, whylen, "no debugger connected within %.3g s",
		    c->wait_s);
		return -1;
	}
	if (rc < 0) {
		snprintf(why, whylen, "waiting for a debugger: %s",
		    strerror(errno));
		return -1;
	}
	c->fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c->fd < 0) {
		snprintf(why, whylen, "accepting the debugger: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->no_ack = false;
	return 0;
}

/* One byte from the client: the byte, -2 when it left, -1 on a timeout. */
static int
read_byte(struct rsp_conn *c)
{
	uint8_t b;
	ssize_t n;
	int rc = wait_readable(c->fd, c->wait_s);

	if (rc == 0)
		return -1;
	if (rc < 0)
		return -2;
	do
		n = read(c->fd, &b, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? b : -2;
}

static int
write_all(struct rsp_conn *c, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int
rsp_read(struct rsp_conn *c, bool *oversized, char *why, size_t whylen)
{
	unsigned bad = 0;
	int b = 0;

	for (;;) {
		uint8_t sum = 0;
		char hex[3] = { 0 };
		int i;

		*oversized = false;
		c->in_len = 0;
		/* Acks, interrupts (0x03, meaningless while stopped) and noise
		 * before '$' are skipped. */
		while ((b = read_byte(c)) != '$')
			if (b < 0)
				goto gone;
		while ((b = read_byte(c)) != '#') {
			if (b < 0)
				goto gone;
			sum += (uint8_t)b;
			if (c->in_len < RSP_PACKET_MAX)
				c->in[c->in_len++] = (char)b;
			else
				*oversized = true;
		}
		for (i = 0; i < 2; i++)
			if ((b = read_byte(c)) < 0)
				goto gone;
			else
				hex[i] = (char)b;
		c->in[c->in_len] = '\0';
		if (c->no_ack)
			break;
		uint8_t want;
		if (hex_decode(&want, hex, 1) == 0 && want == sum) {
			if (write_all(c, "+", 1) != 0)
				return 0;
			break;
		}
		if (++bad > RSP_MAX_BAD_PACKETS) {
			snprintf(why, whylen, "the debugger sent %u packets with "
			    "bad checksums", bad);
			return -1;
		}
		if (write_all(c, "-", 1) != 0)
			return 0;
	}
	if (*oversized) {
		c->in_len = 0;
		c->in[0] = '\0';
	}
	return 1;
gone:
	if (b == -1) {
		snprintf(why, whylen, "the debugger sent nothing for %.3g s",
		    c->wait_s);
		return -1;
	}
	return 0;
}

int
rsp_send(struct rsp_conn *c, const char *data, size_t len)
{
	size_t n = 0;
	uint8_t sum = 0;

	c->out[n++] = '$';
	for (size_t i = 0; i < len && n + 5 < sizeof c->out; i++) {
		char ch = data[i];
		if (ch == '$' || ch == '#' || ch == '}' || ch == '*') {
			c->out[n++] = '}';
			sum += '}';
			ch ^= 0x20;
		}
		c->out[n++] = ch;
		sum += (uint8_t)ch;
	}
	c->out[n++] = '#';
	c->out[n++] = hexdigits[sum >> 4];
	c->out[n++] = hexdigits[sum & 15];
	if (write_all(c, c->out, n) != 0)
		return -1;
	/* The ack is not waited for: a '-' would only make us resend, and
	 * rsp_read() skips any ack before the next packet. */
	return 0;
}

int
rsp_send_str(struct rsp_conn *c, const char *s)
{
	return rsp_send(c, s, strlen(s));
}

void
rsp_close_client(struct rsp_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void
rsp_close(struct rsp_conn *c)
{
	rsp_close_client(c);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	c->listen_fd = -1;
	if (c->unix_path[0] != '\0')
		unlink(c->unix_path);
	c->unix_path[0] = '\0';
}
