/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * varnish.node: the guest API for Node.js, as an N-API addon over
 * kvm_api.h (whose call stubs this object carries).  It uses the paused
 * mode: next() ends initialization at its first call and returns once
 * per request, in a fresh copy of the program, so the host never calls
 * into JavaScript: V8 is only entered by this native function returning.
 * respond() delivers the response and the request ends there.
 */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

#define CHECK(call) do { if ((call) != napi_ok) return NULL; } while (0)

static napi_value
str(napi_env env, const char *p, size_t n)
{
	napi_value v;

	if (napi_create_string_utf8(env, p != NULL ? p : "", p != NULL ? n : 0,
	    &v) != napi_ok)
		return NULL;
	return v;
}

/* A JS string or Buffer argument as bytes (malloc'd, NUL-terminated). */
static char *
bytes_arg(napi_env env, napi_value v, size_t *len)
{
	bool is_buffer = false;
	char *out;
	void *data;

	if (napi_is_buffer(env, v, &is_buffer) == napi_ok && is_buffer) {
		if (napi_get_buffer_info(env, v, &data, len) != napi_ok)
			return NULL;
		if ((out = malloc(*len + 1)) == NULL)
			return NULL;
		memcpy(out, data, *len);
		out[*len] = '\0';
		return out;
	}
	if (napi_get_value_string_utf8(env, v, NULL, 0, len) != napi_ok)
		return NULL;
	if ((out = malloc(*len + 1)) == NULL)
		return NULL;
	if (napi_get_value_string_utf8(env, v, out, *len + 1, len) != napi_ok) {
		free(out);
		return NULL;
	}
	return out;
}

static napi_value
js_sandboxed(napi_env env, napi_callback_info info)
{
	napi_value v;

	(void)info;
	CHECK(napi_get_boolean(env, getenv("KVM_NAME") != NULL, &v));
	return v;
}

/* next(): { method, url, arg, contentType, body: Buffer, headers: [] } */
static napi_value
js_next(napi_env env, napi_callback_info info)
{
	struct kvm_request req;
	napi_value obj, body, headers;
	void *copy;

	(void)info;
	memset(&req, 0, sizeof req);
	wait_for_requests_paused(&req);
	CHECK(napi_create_object(env, &obj));
	CHECK(napi_set_named_property(env, obj, "method",
	    str(env, req.method, req.method_len)));
	CHECK(napi_set_named_property(env, obj, "url",
	    str(env, req.url, req.url_len)));
	CHECK(napi_set_named_property(env, obj, "arg",
	    str(env, req.arg, req.arg_len)));
	CHECK(napi_set_named_property(env, obj, "contentType",
	    str(env, req.content_type, req.content_type_len)));
	CHECK(napi_create_buffer_copy(env, req.content ? req.content_len : 0,
	    req.content ? (const void *)req.content : "", &copy, &body));
	CHECK(napi_set_named_property(env, obj, "body", body));
	CHECK(napi_create_array_with_length(env, req.num_headers, &headers));
	for (uint32_t i = 0; req.headers != NULL && i < req.num_headers; i++)
		CHECK(napi_set_element(env, headers, i, str(env,
		    req.headers[i].field, req.headers[i].field_len)));
	CHECK(napi_set_named_property(env, obj, "headers", headers));
	return obj;
}

/* respond(status, contentType, body): the request ends there. */
static napi_value
js_respond(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	size_t argc = 3, ctlen = 0, blen = 0;
	int32_t status = 500;
	char *ct, *body;

	CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 3) {
		napi_throw_type_error(env, NULL, "respond(status, contentType, body)");
		return NULL;
	}
	CHECK(napi_get_value_int32(env, argv[0], &status));
	ct = bytes_arg(env, argv[1], &ctlen);
	body = bytes_arg(env, argv[2], &blen);
	if (ct == NULL || body == NULL) {
		napi_throw_type_error(env, NULL, "respond: a string or Buffer");
		return NULL;
	}
	sys_backend_response((int16_t)status, ct, ctlen, body, blen, NULL);
	return NULL;	/* not reached: the request ended */
}

/* httpSet(where, "Field: value") and httpAppend(...): the call's result. */
static napi_value
header_call(napi_env env, napi_callback_info info, bool append)
{
	napi_value argv[2], v;
	size_t argc = 2, len = 0;
	int32_t where = 0;
	char *field;
	long r;

	CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2 || napi_get_value_int32(env, argv[0], &where) != napi_ok ||
	    (field = bytes_arg(env, argv[1], &len)) == NULL) {
		napi_throw_type_error(env, NULL, "(where, field)");
		return NULL;
	}
	r = append ? sys_http_append(where, field, len) :
	    sys_http_set(where, field, len);
	free(field);
	CHECK(napi_create_int64(env, r, &v));
	return v;
}

static napi_value
js_http_set(napi_env env, napi_callback_info info)
{
	return header_call(env, info, false);
}

static napi_value
js_http_append(napi_env env, napi_callback_info info)
{
	return header_call(env, info, true);
}

/* httpFind(where, "Name"): the field's value, or null. */
static napi_value
js_http_find(napi_env env, napi_callback_info info)
{
	napi_value argv[2], v;
	size_t argc = 2, len = 0;
	int32_t where = 0;
	char *name, out[4096];
	unsigned n;
	const char *val;

	CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2 || napi_get_value_int32(env, argv[0], &where) != napi_ok ||
	    (name = bytes_arg(env, argv[1], &len)) == NULL) {
		napi_throw_type_error(env, NULL, "httpFind(where, name)");
		return NULL;
	}
	n = sys_http_find(where, name, len, out, sizeof out);
	free(name);
	if (n == 0 || n >= sizeof out) {
		CHECK(napi_get_null(env, &v));
		return v;
	}
	val = memchr(out, ':', n);
	val = val != NULL ? val + 1 : out + n;
	while (val < out + n && *val == ' ')
		val++;
	return str(env, val, (size_t)(out + n - val));
}

/* setCacheable(cached, ttl): the call's result. */
static napi_value
js_set_cacheable(napi_env env, napi_callback_info info)
{
	napi_value argv[2], v;
	size_t argc = 2;
	bool cached = false;
	double ttl = 0;

	CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2 || napi_get_value_bool(env, argv[0], &cached) != napi_ok ||
	    napi_get_value_double(env, argv[1], &ttl) != napi_ok) {
		napi_throw_type_error(env, NULL, "setCacheable(cached, ttl)");
		return NULL;
	}
	CHECK(napi_create_int64(env, sys_set_cacheable(cached, (long)(ttl * 1000),
	    0, 0), &v));
	return v;
}

NAPI_MODULE_INIT()
{
	static const struct { const char *name; napi_callback fn; } fns[] = {
		{ "sandboxed", js_sandboxed }, { "next", js_next },
		{ "respond", js_respond }, { "httpSet", js_http_set },
		{ "httpAppend", js_http_append }, { "httpFind", js_http_find },
		{ "setCacheable", js_set_cacheable },
	};
	napi_value fn, v;

	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH,
		    fns[i].fn, NULL, &fn) != napi_ok ||
		    napi_set_named_property(env, exports, fns[i].name, fn) != napi_ok)
			return NULL;
	}
	if (napi_create_int32(env, 0, &v) != napi_ok ||
	    napi_set_named_property(env, exports, "REQ", v) != napi_ok ||
	    napi_create_int32(env, 1, &v) != napi_ok ||
	    napi_set_named_property(env, exports, "RESP", v) != napi_ok)
		return NULL;
	return exports;
}
