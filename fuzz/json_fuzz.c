/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the JSON reader and writer (config/json*.c).
 * Whatever parses is written back, minified and indented, and read
 * again: the document must come back equal, and writing it a second
 * time must give the same text.  A clone must be equal too.  The same
 * bytes also drive the writer as a list of calls, in any order: what
 * it completes must parse.  Any difference aborts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fatal(const char *what, const char *text)
{
	fprintf(stderr, "json_fuzz: %s\n%s\n", what, text != NULL ? text : "");
	abort();
}

/* Integers the writer can give back as integers: -0 cannot. */
static bool
writes_as_int(const struct json_value *v)
{
	return v->is_integer && v->number >= -9223372036854775808.0 &&
	    v->number < 9223372036854775808.0 &&
	    !(v->number == 0 && signbit(v->number));
}

static void
write_value(struct json_writer *w, const struct json_value *v)
{
	switch (v->type) {
	case JSON_NULL:
		json_write_null(w);
		break;
	case JSON_BOOL:
		json_write_bool(w, v->boolean);
		break;
	case JSON_NUMBER:
		if (writes_as_int(v))
			json_write_int(w, (int64_t)v->number);
		else
			json_write_double(w, v->number);
		break;
	case JSON_STRING:
		json_write_string_len(w, v->string, v->len);
		break;
	case JSON_ARRAY:
		json_begin_array(w);
		for (size_t i = 0; i < v->len; i++)
			write_value(w, v->items[i]);
		json_end_array(w);
		break;
	case JSON_OBJECT:
		json_begin_object(w);
		for (size_t i = 0; i < v->len; i++) {
			json_key(w, v->keys[i]);
			write_value(w, v->items[i]);
		}
		json_end_object(w);
		break;
	}
}

static bool
same_number(const struct json_value *a, const struct json_value *b)
{
	if (memcmp(&a->number, &b->number, sizeof a->number) != 0)
		return false;
	/* The integer flag survives when written as an integer. */
	return !writes_as_int(a) || b->is_integer;
}

static bool
equal(const struct json_value *a, const struct json_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case JSON_NULL:
		return true;
	case JSON_BOOL:
		return a->boolean == b->boolean;
	case JSON_NUMBER:
		return same_number(a, b);
	case JSON_STRING:
		return a->len == b->len && strlen(a->string) == a->len &&
		    memcmp(a->string, b->string, a->len + 1) == 0;
	case JSON_ARRAY:
	case JSON_OBJECT:
		if (a->len != b->len)
			return false;
		for (size_t i = 0; i < a->len; i++) {
			if (a->type == JSON_OBJECT &&
			    strcmp(a->keys[i], b->keys[i]) != 0)
				return false;
			if (!equal(a->items[i], b->items[i]))
				return false;
		}
		return true;
	}
	return false;
}

/* Writes v with indent, reads it back, checks it; returns the text. */
static char *
round_trip(const struct json_value *v, int indent)
{
	struct json_writer w;
	struct json_value *back;
	char err[256], *text;
	size_t len;

	json_writer_init(&w, indent);
	write_value(&w, v);
	text = json_writer_finish(&w, &len);
	if (text == NULL)
		fatal("the writer refused a parsed document", NULL);
	if (strlen(text) != len)
		fatal("the writer's length is wrong", text);
	back = json_parse(text, len, err, sizeof err);
	if (back == NULL)
		fatal(err, text);
	if (!equal(v, back))
		fatal("the document read back differs", text);
	json_free(back);
	return text;
}

/* One writer call per byte (operands from the bytes after it). */
static void
writer_calls(const uint8_t *data, size_t size)
{
	struct json_writer w;
	struct json_value *v;
	char err[128], key[32], str[8], *text;
	unsigned nkeys = 0;
	size_t len;
	double d;

	json_writer_init(&w, size > 0 ? (int)(data[0] % 6) - 1 : -1);
	for (size_t i = 1; i < size; i++) {
		size_t left = size - i - 1, n;
		switch (data[i] % 12) {
		case 0: json_begin_object(&w); break;
		case 1: json_end_object(&w); break;
		case 2: json_begin_array(&w); break;
		case 3: json_end_array(&w); break;
		case 4:		/* keys unique: the reader refuses duplicates */
			snprintf(key, sizeof key, "k%u", nkeys++);
			json_key(&w, key);
			break;
		case 5:		/* any bytes but NUL, which the reader refuses */
			n = left < data[i] / 12 % 8 ? left : data[i] / 12 % 8;
			for (size_t j = 0; j < n; j++)
				str[j] = data[i + 1 + j] ? (char)data[i + 1 + j] : ' ';
			json_write_string_len(&w, str, n);
			i += n;
			break;
		case 6: json_write_int(&w, (int64_t)(data[i] * 0x8102030405060708ULL)); break;
		case 7: json_write_uint(&w, UINT64_MAX - data[i]); break;
		case 8:
			if (left < sizeof d)
				break;
			memcpy(&d, data + i + 1, sizeof d);
			json_write_double(&w, d);
			i += sizeof d;
			break;
		case 9: json_write_bool(&w, data[i] & 0x80); break;
		case 10: json_write_null(&w); break;
		case 11: json_key(&w, NULL); break;
		}
	}
	if ((text = json_writer_finish(&w, &len)) == NULL)
		return;
	if ((v = json_parse(text, len, err, sizeof err)) == NULL)
		fatal(err, text);
	json_free(v);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_value *v, *copy, *again;
	char err[128], *min, *ind, *min2;

	writer_calls(data, size);
	v = json_parse((const char *)data, size, err, sizeof err);
	if (v == NULL) {
		if (strncmp(err, "line ", 5) != 0)
			fatal("an error without its position", err);
		return 0;
	}
	min = round_trip(v, -1);
	ind = round_trip(v, (int)(size % 5));
	/* The minified text is a fixed point. */
	again = json_parse(min, strlen(min), err, sizeof err);
	if (again == NULL)
		fatal(err, min);
	min2 = round_trip(again, -1);
	if (strcmp(min, min2) != 0)
		fatal("writing a read-back document changed it", min2);
	copy = json_clone(v);
	if (copy == NULL || !equal(v, copy))
		fatal("json_clone() differs", min);
	json_free(copy);
	json_free(again);
	json_free(v);
	free(min);
	free(ind);
	free(min2);
	return 0;
}
