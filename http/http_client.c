/*
 * HTTP requests for programs (sys_fetch, sys_request) and for the chain's
 * "fetch" step, with libcurl: http and https (the system CA store), GET
 * and POST.  A relative URL is a self-request into Varnish, through the
 * Unix socket or the prefix given to init_self_requests() (tinykvm-run:
 * --self-request).  No Varnish headers: the VMOD and tinykvm-run share
 * it.  Every fetch
 * has a deadline for the whole exchange (a program's is what is left of
 * its max_request_time), so a peer that trickles bytes cannot hold a
 * worker: tests/vmod/trickle_fetch.vtc.  A failure sets an errno value
 * the program gets negated: tests/vmod/curl_fetch.vtc.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http_client.h"

#define FETCH_MAX (256UL << 20)	/* bytes of a body, as published */
#define FETCH_HEADERS_MAX (64 << 10)
#define FETCH_TIMEOUT 10.0	/* seconds for a whole fetch without a limit */

struct sink {
	char *buf;
	size_t len, cap, max;
	bool too_big;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static CURLcode curl_init_rc;

static void
curl_start(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t
sink_add(struct sink *s, const char *p, size_t n)
{
	if (n > s->max - s->len) {
		s->too_big = true;
		return 0;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *nb = realloc(s->buf, cap);
		if (nb == NULL)
			return 0;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

static size_t
on_body(char *p, size_t size, size_t n, void *priv)
{
	return sink_add(priv, p, size * n);
}

/* Keeps the header fields of the last response only (after redirects). */
static size_t
on_header(char *p, size_t size, size_t n, void *priv)
{
	struct sink *s = priv;

	if (size * n >= 5 && memcmp(p, "HTTP/", 5) == 0)
		s->len = 0;
	return sink_add(s, p, size * n);
}

static int
errno_of(CURLcode rc, const struct sink *body)
{
	if (body->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return EFBIG;
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return EHOSTUNREACH;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return EINVAL;
	case CURLE_TOO_MANY_REDIRECTS:
		return ELOOP;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
		return ECONNABORTED;
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
		return EPROTO;
	default:
		return EIO;
	}
}

static void
set_options(CURL *c, const struct http_client *hc, const struct tkvm_fetch *f,
    double limit, char *url, size_t ulen)
{
	const char *u = f->url;

	if (u[0] == '/' && hc->self_socket != NULL) {
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, hc->self_socket);
		snprintf(url, ulen, "http://localhost%s", u);
	} else if (u[0] == '/') {
		snprintf(url, ulen, "%s%s", hc->self_prefix ?
		    hc->self_prefix : "http://127.0.0.1:6081", u);
	} else {
		snprintf(url, ulen, "%s", u);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, f->follow_location ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 20L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FETCH_MAX);
	if (f->no_verify_host)
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(limit * 1e3) + 1);
	if (f->post != NULL) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, f->post);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)f->post_len);
	}
}

int
http_fetch(const struct http_client *hc, struct tkvm_fetch *f)
{
	struct sink body = { .max = FETCH_MAX };
	struct sink head = { .max = FETCH_HEADERS_MAX };
	struct curl_slist *list = NULL;
	char url[8400], ct[160];
	const char *type = NULL;
	double limit = f->timeout > 0 ? f->timeout : FETCH_TIMEOUT;
	long status = 0;
	CURLcode rc;
	CURL *c;

	(void)pthread_once(&curl_once, curl_start);
	c = curl_init_rc == CURLE_OK ? curl_easy_init() : NULL;
	if (c == NULL) {
		f->errcode = ENOMEM;
		snprintf(f->error, sizeof f->error, "cannot start libcurl");
		return -1;
	}
	set_options(c, hc, f, limit, url, sizeof url);
	list = curl_slist_append(list, "X-TinyKVM-Fetch: 1");
	for (unsigned i = 0; i < f->nfields; i++)
		list = curl_slist_append(list, f->fields[i]);
	if (f->post != NULL && f->post_ctype[0] != '\0') {
		snprintf(ct, sizeof ct, "Content-Type: %s", f->post_ctype);
		list = curl_slist_append(list, ct);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	if (f->want_headers) {
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
		snprintf(f->ctype, sizeof f->ctype, "%s", type ? type : "");
		f->status = (int)status;
		f->body = body.buf ? body.buf : calloc(1, 1);
		f->body_len = body.len;
		f->headers = head.buf;
		f->headers_len = head.len;
	} else {
		f->errcode = errno_of(rc, &body);
		if (f->errcode == ETIMEDOUT)
			snprintf(f->error, sizeof f->error, "timed out after "
			    "%.1f s without a complete response", limit);
		else
			snprintf(f->error, sizeof f->error, "%s", body.too_big ?
			    "the body is over the size limit" :
			    curl_easy_strerror(rc));
		free(body.buf);
		free(head.buf);
	}
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}
