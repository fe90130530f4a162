/*
 * The "fetch" chain step: a GET of a URL whose body feeds the next
 * program.  A relative URL is a self-request into Varnish, through the
 * Unix socket or the prefix given to init_self_requests().  A minimal
 * HTTP/1.1 client: Content-Length, chunked and read-to-close bodies.
 * Every fetch has a deadline for the whole exchange (a program's is what
 * is left of its max_request_time), so a peer that trickles bytes cannot
 * hold a worker: tests/vmod/trickle_fetch.vtc.
 */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "tinykvm_vmod.h"
#include "vtim.h"

#define FETCH_MAX (64 << 20)
#define FETCH_TIMEOUT 10.0	/* seconds for a whole fetch without a limit */

struct target {
	char host[256], port[16], path[2048];
	const char *unix_path;
};

static int
split_url(const char *url, struct target *t, char *err, size_t errlen)
{
	const char *p = url, *slash, *colon;
	size_t hl;

	if (strncmp(p, "http://", 7) != 0) {
		snprintf(err, errlen, "only http:// URLs can be fetched: '%s'", url);
		return -1;
	}
	p += 7;
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	colon = memchr(p, ':', (size_t)(slash - p));
	hl = (size_t)((colon ? colon : slash) - p);
	if (hl == 0 || hl >= sizeof t->host) {
		snprintf(err, errlen, "bad host in '%s'", url);
		return -1;
	}
	memcpy(t->host, p, hl);
	t->host[hl] = '\0';
	snprintf(t->port, sizeof t->port, "%.*s", colon ? (int)(slash - colon - 1) : 2,
	    colon ? colon + 1 : "80");
	snprintf(t->path, sizeof t->path, "%s", *slash ? slash : "/");
	return 0;
}

/* Socket timeouts of limit seconds: connect and send never outlast it. */
static int
open_socket(int family, double limit)
{
	struct timeval tv;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	tv.tv_sec = (time_t)limit;
	tv.tv_usec = (suseconds_t)((limit - (double)tv.tv_sec) * 1e6);
	if (tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1;
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	return fd;
}

static int
connect_target(const struct target *t, double limit, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int fd = -1;

	if (t->unix_path != NULL) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		snprintf(sun.sun_path, sizeof sun.sun_path, "%s", t->unix_path);
		fd = open_socket(AF_UNIX, limit);
		if (fd >= 0 && connect(fd, (void *)&sun, sizeof sun) != 0) {
			close(fd);
			fd = -1;
		}
	} else if (getaddrinfo(t->host, t->port, &hints, &ai) == 0) {
		fd = open_socket(ai->ai_family, limit);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", t->unix_path ?
		    t->unix_path : t->host, strerror(errno));
		return -1;
	}
	return fd;
}

/* Reads the whole response into a malloc'd, NUL-terminated buffer, by
 * the deadline (VTIM_mono()): a peer that trickles bytes cannot hold the
 * caller past it.  NULL with *timed_out set when it did. */
static char *
read_all(int fd, double deadline, size_t *len, bool *timed_out)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (buf != NULL) {
		double left = deadline - VTIM_mono();
		ssize_t r;
		int ready = left > 0 ? poll(&pfd, 1, (int)ceil(left * 1e3)) : 0;
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready == 0) {
			*timed_out = true;
			free(buf);
			return NULL;
		}
		if (n == cap) {
			char *nb = cap < FETCH_MAX ? realloc(buf, cap * 2 + 1) : NULL;
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (buf != NULL) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* Decodes a chunked body in place; -1 if malformed. */
static long
dechunk(char *b, size_t len)
{
	char *in = b, *end = b + len, *out = b;

	for (;;) {
		char *nl;
		unsigned long sz = strtoul(in, &nl, 16);
		if (nl == in || (nl = memchr(nl, '\n', (size_t)(end - nl))) == NULL)
			return -1;
		in = nl + 1;
		if (sz == 0)
			return out - b;
		if (sz > (size_t)(end - in))
			return -1;
		memmove(out, in, sz);
		out += sz;
		in += sz;
		if (in < end && *in == '\r')
			in++;
		if (in < end && *in == '\n')
			in++;
	}
}

static const char *
header(const char *head, const char *name, size_t *vlen)
{
	size_t n = strlen(name);

	for (const char *l = strchr(head, '\n'); l != NULL; l = strchr(l + 1, '\n')) {
		if (strncasecmp(l + 1, name, n) == 0 && l[1 + n] == ':') {
			const char *v = l + 2 + n;
			while (*v == ' ')
				v++;
			*vlen = strcspn(v, "\r\n");
			return v;
		}
	}
	return NULL;
}

int
fetch_url(struct vmod_state *st, const char *url, const void *post,
    size_t post_len, const char *const *fields, unsigned nfields,
    double limit, void **body, size_t *len, char *ctype, size_t ctlen,
    char *err, size_t errlen)
{
	bool timed_out = false;
	double deadline;
	struct target t;
	char req[16384], *resp, *sep;
	size_t rlen = 0, vlen;
	const char *v;
	int fd, status;

	memset(&t, 0, sizeof t);
	if (url[0] == '/') {
		if (st->self_socket != NULL) {
			t.unix_path = st->self_socket;
			snprintf(t.host, sizeof t.host, "localhost");
			snprintf(t.path, sizeof t.path, "%s", url);
		} else {
			char full[2400];
			snprintf(full, sizeof full, "%s%s", st->self_prefix ?
			    st->self_prefix : "http://127.0.0.1:6081", url);
			if (split_url(full, &t, err, errlen) != 0)
				return -1;
		}
	} else if (split_url(url, &t, err, errlen) != 0) {
		return -1;
	}
	if (limit <= 0)
		limit = FETCH_TIMEOUT;
	deadline = VTIM_mono() + limit;
	fd = connect_target(&t, limit, err, errlen);
	if (fd < 0)
		return -1;
	int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\nX-TinyKVM-Fetch: 1\r\n", post ? "POST" : "GET",
	    t.path, t.host);
	for (unsigned i = 0; i < nfields && n < (int)sizeof req - 1100; i++)
		n += snprintf(req + n, sizeof req - (size_t)n, "%.1000s\r\n", fields[i]);
	if (post != NULL)
		n += snprintf(req + n, sizeof req - (size_t)n,
		    "Content-Length: %zu\r\n", post_len);
	n += snprintf(req + n, sizeof req - (size_t)n, "\r\n");
	if (n >= (int)sizeof req || write(fd, req, (size_t)n) != n ||
	    (post_len > 0 && write(fd, post, post_len) != (ssize_t)post_len)) {
		snprintf(err, errlen, "cannot send the request: %s", strerror(errno));
		close(fd);
		return -1;
	}
	resp = read_all(fd, deadline, &rlen, &timed_out);
	close(fd);
	if (timed_out) {
		snprintf(err, errlen, "timed out after %.1f s without a "
		    "complete response", limit);
		return -1;
	}
	if (resp == NULL || sscanf(resp, "HTTP/1.%*d %d", &status) != 1 ||
	    (sep = strstr(resp, "\r\n\r\n")) == NULL) {
		snprintf(err, errlen, "no HTTP response from %s", url);
		free(resp);
		return -1;
	}
	*sep = '\0';
	v = header(resp, "Content-Type", &vlen);
	snprintf(ctype, ctlen, "%.*s", v ? (int)vlen : 0, v ? v : "");
	v = header(resp, "Transfer-Encoding", &vlen);
	char *b = sep + 4;
	size_t blen = rlen - (size_t)(b - resp);
	if (v != NULL && vlen >= 7 && strncasecmp(v, "chunked", 7) == 0) {
		long d = dechunk(b, blen);
		if (d < 0) {
			snprintf(err, errlen, "malformed chunked body from %s", url);
			free(resp);
			return -1;
		}
		blen = (size_t)d;
	}
	*body = malloc(blen ? blen : 1);
	AN(*body);
	memcpy(*body, b, blen);
	*len = blen;
	free(resp);
	return status;
}
