/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The JSON reader and writer: accepted documents (comments, escapes,
 * numbers, key order), every kind of error with its exact message and
 * position, and the writer's minified and indented output.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#include "unit_check.h"

static struct json_value *
parse(const char *text)
{
	char err[256] = "";
	struct json_value *v = json_parse(text, strlen(text), err, sizeof err);

	if (v == NULL) {
		fprintf(stderr, "parse failed: %s\n  for [%s]\n", err, text);
		failures++;
	}
	return v;
}

/* text (len bytes) must fail with exactly the message want. */
static void
error_len(int line, const char *text, size_t len, const char *want)
{
	char err[256] = "";
	struct json_value *v = json_parse(text, len, err, sizeof err);

	if (v != NULL) {
		fprintf(stderr, "%s:%d: accepted [%s]\n", __FILE__, line, text);
		failures++;
		json_free(v);
		return;
	}
	check_str(line, text, err, want);
}

#define ERROR(text, want) error_len(__LINE__, (text), strlen(text), (want))

static void
test_document(void)
{
	const char *doc =
	    "// a comment line\n"
	    "{ \"z\": [1, 2.5, -3e2, 0, -0.5e-1, 1E+2], /* a block\n"
	    "   comment */ \"b\": \"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\\b\\f\\r\","
	    "  \"a\": true, \"f\": false, \"n\": null,  // end of line\n"
	    "  \"o\": { \"deep\": [ {} , [ ] ] }, \"raw\": \"caf\xc3\xa9 \xe2\x82\xac\" }";
	struct json_value *v = parse(doc);
	const struct json_value *z, *b;

	if (v == NULL)
		return;
	CHECK(json_typeof(v) == JSON_OBJECT && json_length(v) == 7);
	/* Key order is kept. */
	CHECK_STR(json_key_at(v, 0), "z");
	CHECK_STR(json_key_at(v, 1), "b");
	CHECK_STR(json_key_at(v, 2), "a");
	CHECK_STR(json_key_at(v, 6), "raw");
	CHECK(json_key_at(v, 7) == NULL);
	z = json_get(v, "z");
	CHECK(json_is(z, JSON_ARRAY) && json_length(z) == 6);
	CHECK(json_is_integer(json_at(z, 0)) && json_number(json_at(z, 0)) == 1);
	CHECK(!json_is_integer(json_at(z, 1)) && json_number(json_at(z, 1)) == 2.5);
	CHECK(!json_is_integer(json_at(z, 2)) && json_number(json_at(z, 2)) == -300);
	CHECK(json_is_integer(json_at(z, 3)) && json_number(json_at(z, 3)) == 0);
	CHECK(json_number(json_at(z, 4)) == -0.05);
	CHECK(json_number(json_at(z, 5)) == 100);
	CHECK(json_at(z, 6) == NULL);
	b = json_get(v, "b");
	CHECK_STR(json_string(b), "\xc3\xa9\xf0\x9f\x98\x80\n\t\"\\/\b\f\r");
	CHECK(json_string_len(b) == 14);
	CHECK(json_bool(json_get(v, "a")) && !json_bool(json_get(v, "f")));
	CHECK(json_is(json_get(v, "f"), JSON_BOOL));
	CHECK(json_typeof(json_get(v, "n")) == JSON_NULL && json_get(v, "n") != NULL);
	CHECK(json_get(v, "missing") == NULL);
	CHECK_STR(json_string(json_get(v, "raw")), "caf\xc3\xa9 \xe2\x82\xac");
	CHECK(json_length(json_get(json_get(v, "o"), "deep")) == 2);
	CHECK(json_get(v, "o")->line == 4);
	/* Accessors on the wrong type or on NULL. */
	CHECK(json_string(z) == NULL && json_number(b) == 0 && !json_bool(b));
	CHECK(json_length(b) == 0 && json_at(b, 0) == NULL);
	CHECK(json_get(z, "x") == NULL && json_get(NULL, "x") == NULL);
	CHECK(json_typeof(NULL) == JSON_NULL && !json_is(NULL, JSON_NULL));
	CHECK_STR(json_type_name(JSON_ARRAY), "an array");

	/* A deep copy is equal and independent. */
	struct json_value *c = json_clone(v);
	CHECK(c != NULL && c != v && json_length(c) == 7);
	CHECK_STR(json_string(json_get(c, "b")), json_string(b));
	CHECK(json_get(c, "b")->string != b->string);
	CHECK(json_number(json_at(json_get(c, "z"), 1)) == 2.5);
	json_free(c);
	json_free(v);

	/* Scalars at the top, a byte order mark, white space around. */
	v = parse("\xef\xbb\xbf  42 ");
	CHECK(json_is_integer(v) && json_number(v) == 42);
	json_free(v);
	v = parse("\"\"");
	CHECK_STR(json_string(v), "");
	json_free(v);
	v = parse("/**/[]/**/");
	CHECK(json_is(v, JSON_ARRAY) && json_length(v) == 0);
	json_free(v);
	v = parse("1e-400");	/* underflows to 0: fine */
	CHECK(json_is(v, JSON_NUMBER) && json_number(v) == 0);
	json_free(v);
}

static void
test_depth(void)
{
	char text[2 * 66 + 1];

	/* 64 nested arrays are fine, 65 are not. */
	for (int i = 0; i < 64; i++) {
		text[i] = '[';
		text[64 + i] = ']';
	}
	text[128] = '\0';
	json_free(parse(text));
	for (int i = 0; i < 65; i++) {
		text[i] = '[';
		text[65 + i] = ']';
	}
	text[130] = '\0';
	ERROR(text, "line 1, column 65: nested deeper than 64 levels");
	/* Objects count too: 4 containers, then 61 arrays. */
	strcpy(text, "{\"a\":[{\"b\":[");
	memset(text + 12, '[', 61);
	text[73] = '\0';
	ERROR(text, "line 1, column 73: nested deeper than 64 levels");
}

static void
test_errors(void)
{
	/* Structure. */
	ERROR("{\"a\": 1,}", "line 1, column 9: trailing comma in object");
	ERROR("[1, 2,]", "line 1, column 7: trailing comma in array");
	ERROR("[1, 2, /* x */ ]", "line 1, column 16: trailing comma in array");
	ERROR("{\"a\": 1, \"a\": 2}", "line 1, column 10: duplicate key 'a'");
	ERROR("{\"a\" 1}", "line 1, column 6: expected ':' after key 'a'");
	ERROR("{\"a\": 1 \"b\": 2}",
	    "line 1, column 9: expected ',' or '}' after object member");
	ERROR("[1 2]", "line 1, column 4: expected ',' or ']' after array element");
	ERROR("{a: 1}", "line 1, column 2: expected a string key or '}'");
	ERROR("{\"a\": 1,, \"b\": 2}", "line 1, column 9: expected a string key");
	ERROR("[1,,2]", "line 1, column 4: unexpected character ','");
	ERROR("{} x", "line 1, column 4: unexpected text after the JSON value");
	ERROR("{}{}", "line 1, column 3: unexpected text after the JSON value");
	ERROR("", "line 1, column 1: unexpected end of input");
	ERROR("  // nothing", "line 1, column 13: unexpected end of input");
	ERROR("{\"a\": 1", "line 1, column 8: unexpected end of input, expected "
	    "',' or '}' after object member");
	ERROR("[1,", "line 1, column 4: unexpected end of input");
	ERROR("{\"a\":", "line 1, column 6: unexpected end of input");
	ERROR("\x01", "line 1, column 1: unexpected byte 0x01");
	ERROR("'a'", "line 1, column 1: unexpected character '''");
	/* Positions: lines, comments, UTF-8 characters count as one column. */
	ERROR("{\n  \"a\": 1,\n  \"b\": 2 \"c\"\n}",
	    "line 3, column 10: expected ',' or '}' after object member");
	ERROR("// c\n/* a\n b */ [1 2]",
	    "line 3, column 10: expected ',' or ']' after array element");
	ERROR("{\"\xc3\xa9\xe2\x82\xac\": 1 x}",
	    "line 1, column 10: expected ',' or '}' after object member");
	ERROR("\xef\xbb\xbf[1 2]",
	    "line 1, column 4: expected ',' or ']' after array element");
	/* Comments and strings that do not end. */
	ERROR("[1] /* x", "line 1, column 5: unterminated comment");
	ERROR("[\n\"abc", "line 2, column 1: unterminated string");
	ERROR("\"ab\\", "line 1, column 1: unterminated string");
	ERROR("\"ab\ncd\"", "line 1, column 4: newline in string (unterminated string?)");
	ERROR("\"a\tb\"", "line 1, column 3: control character 0x09 in string (escape it)");
	/* Escapes. */
	ERROR("\"\\x\"", "line 1, column 2: invalid escape: backslash followed by "
	    "character 'x'");
	ERROR("\"ok\\'\"", "line 1, column 4: invalid escape: backslash followed by "
	    "character '''");
	ERROR("\"\\u12\"", "line 1, column 2: expected 4 hex digits after \\u");
	ERROR("\"\\u12g4\"", "line 1, column 2: expected 4 hex digits after \\u");
	ERROR("\"\\u0000\"", "line 1, column 2: \\u0000 is not allowed in strings");
	ERROR("\"a\\udc00\"", "line 1, column 3: unpaired UTF-16 surrogate \\udc00");
	ERROR("\"\\ud800\"", "line 1, column 2: unpaired UTF-16 surrogate \\ud800");
	ERROR("\"\\ud800x\"", "line 1, column 2: unpaired UTF-16 surrogate \\ud800");
	ERROR("\"\\ud800\\u0041\"", "line 1, column 2: unpaired UTF-16 surrogate \\ud800");
	ERROR("\"\\ud800\\ud800\"", "line 1, column 2: unpaired UTF-16 surrogate \\ud800");
	/* Raw UTF-8 in strings. */
	ERROR("\"\xff\"", "line 1, column 2: invalid UTF-8 in string (byte 0xff)");
	ERROR("\"a\xc0\xaf\"", "line 1, column 3: invalid UTF-8 in string (byte 0xc0)");
	ERROR("\"\xed\xa0\x80\"", "line 1, column 2: invalid UTF-8 in string (byte 0xed)");
	ERROR("\"\xe2\x82\"", "line 1, column 2: invalid UTF-8 in string (byte 0xe2)");
	ERROR("\"\xf4\x90\x80\x80\"", "line 1, column 2: invalid UTF-8 in string (byte 0xf4)");
	/* Numbers and literals. */
	ERROR("01", "line 1, column 1: leading zero in number");
	ERROR("[-012]", "line 1, column 3: leading zero in number");
	ERROR("-", "line 1, column 2: expected a digit");
	ERROR("-x", "line 1, column 2: expected a digit");
	ERROR("1.", "line 1, column 3: expected a digit after '.'");
	ERROR("1.e5", "line 1, column 3: expected a digit after '.'");
	ERROR(".5", "line 1, column 1: unexpected character '.'");
	ERROR("+1", "line 1, column 1: unexpected character '+'");
	ERROR("1e", "line 1, column 3: expected a digit in the exponent");
	ERROR("1e+", "line 1, column 4: expected a digit in the exponent");
	ERROR("[1e999]", "line 1, column 2: number out of range");
	ERROR("0x10", "line 1, column 2: unexpected text after the JSON value");
	ERROR("NaN", "line 1, column 1: unexpected character 'N'");
	ERROR("\n\n  {\"a\": tru}", "line 3, column 9: invalid literal (did you mean true?)");
	ERROR("nulls", "line 1, column 1: invalid literal (did you mean null?)");
	ERROR("[fals]", "line 1, column 2: invalid literal (did you mean false?)");
	/* Only the given length is read. */
	error_len(__LINE__, "[1, 2]", 5, "line 1, column 6: unexpected end of input, "
	    "expected ',' or ']' after array element");
	error_len(__LINE__, "\"abc\"", 4, "line 1, column 1: unterminated string");

	/* A small error buffer is cut, not overrun; none at all is fine. */
	char small[12];
	memset(small, 'x', sizeof small);
	CHECK(json_parse("[1,]", 4, small, 10) == NULL);
	CHECK_STR(small, "line 1, c");
	CHECK(small[10] == 'x');
	CHECK(json_parse("[1,]", 4, NULL, 0) == NULL);
	CHECK(json_parse(NULL, 0, small, sizeof small) == NULL);
}

/* Writes the same document with the given indentation. */
static char *
write_doc(int indent)
{
	struct json_writer w;

	json_writer_init(&w, indent);
	json_begin_object(&w);
	json_key(&w, "name");
	json_write_string(&w, "a\"b\\c\n\t\x01/\xc3\xa9");
	json_key(&w, "n");
	json_write_int(&w, -5);
	json_key(&w, "u");
	json_write_uint(&w, 18446744073709551615ULL);
	json_key(&w, "d");
	json_begin_array(&w);
	json_write_double(&w, 2.5);
	json_write_double(&w, 2);
	json_write_double(&w, 0.1);
	json_write_double(&w, 1e300);
	json_write_double(&w, NAN);
	json_end_array(&w);
	json_key(&w, "flags");
	json_begin_array(&w);
	json_write_bool(&w, true);
	json_write_bool(&w, false);
	json_write_null(&w);
	json_write_string(&w, NULL);
	json_end_array(&w);
	json_key(&w, "empty");
	json_begin_object(&w);
	json_end_object(&w);
	json_key(&w, "nest");
	json_begin_array(&w);
	json_begin_array(&w);
	json_end_array(&w);
	json_begin_object(&w);
	json_key(&w, "k");
	json_write_string_len(&w, "xyz", 2);
	json_end_object(&w);
	json_end_array(&w);
	json_end_object(&w);
	return json_writer_finish(&w, NULL);
}

/* Fixed decimals, as tinykvm.stats() writes its times. */
static void
test_fixed(void)
{
	struct json_writer w;
	char *doc;

	json_writer_init(&w, -1);
	json_begin_array(&w);
	json_write_fixed(&w, 0.5, 6);
	json_write_fixed(&w, 2, 0);
	json_write_fixed(&w, -1.75, 1);
	json_write_fixed(&w, NAN, 3);
	json_write_fixed(&w, 1.0 / 3, 40);	/* capped at 16 */
	json_end_array(&w);
	doc = json_writer_finish(&w, NULL);
	CHECK_STR(doc, "[0.500000,2,-1.8,null,0.3333333333333333]");
	free(doc);
}

static void
test_writer(void)
{
	char *min = write_doc(-1), *ind = write_doc(2);
	struct json_value *v;
	struct json_writer w;
	size_t len = 0;

	CHECK_STR(min, "{\"name\":\"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa9\",\"n\":-5,"
	    "\"u\":18446744073709551615,\"d\":[2.5,2.0,0.1,1e+300,null],"
	    "\"flags\":[true,false,null,null],\"empty\":{},\"nest\":[[],"
	    "{\"k\":\"xy\"}]}");
	CHECK_STR(ind,
	    "{\n"
	    "  \"name\": \"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa9\",\n"
	    "  \"n\": -5,\n"
	    "  \"u\": 18446744073709551615,\n"
	    "  \"d\": [\n"
	    "    2.5,\n"
	    "    2.0,\n"
	    "    0.1,\n"
	    "    1e+300,\n"
	    "    null\n"
	    "  ],\n"
	    "  \"flags\": [\n"
	    "    true,\n"
	    "    false,\n"
	    "    null,\n"
	    "    null\n"
	    "  ],\n"
	    "  \"empty\": {},\n"
	    "  \"nest\": [\n"
	    "    [],\n"
	    "    {\n"
	    "      \"k\": \"xy\"\n"
	    "    }\n"
	    "  ]\n"
	    "}");
	/* What the writer writes, the reader reads back. */
	v = min ? parse(min) : NULL;
	CHECK(v != NULL && json_length(v) == 7);
	CHECK_STR(json_string(json_get(v, "name")), "a\"b\\c\n\t\x01/\xc3\xa9");
	CHECK(json_number(json_at(json_get(v, "d"), 2)) == 0.1);
	json_free(v);
	v = ind ? parse(ind) : NULL;
	CHECK(v != NULL && json_number(json_get(v, "n")) == -5);
	json_free(v);
	free(min);
	free(ind);

	/* Indentation 0: one member per line, no spaces; a scalar alone. */
	json_writer_init(&w, 0);
	json_begin_array(&w);
	json_write_int(&w, 1);
	json_write_int(&w, 2);
	json_end_array(&w);
	min = json_writer_finish(&w, &len);
	CHECK_STR(min, "[\n1,\n2\n]");
	CHECK(len == 8);
	free(min);
	json_writer_init(&w, 4);
	json_write_double(&w, -0.25);
	min = json_writer_finish(&w, &len);
	CHECK_STR(min, "-0.25");
	free(min);

	/* Invalid UTF-8 becomes U+FFFD; valid multi-byte text is kept. */
	json_writer_init(&w, -1);
	json_write_string(&w, "a\xff" "b\xe2\x82\xac\xc0\xaf");
	min = json_writer_finish(&w, NULL);
	CHECK_STR(min, "\"a\xef\xbf\xbd" "b\xe2\x82\xac\xef\xbf\xbd\xef\xbf\xbd\"");
	free(min);
}

/* A misused writer finishes with NULL. */
static void
test_writer_misuse(void)
{
	struct json_writer w;

	json_writer_init(&w, -1);
	json_key(&w, "top");			/* a key outside an object */
	CHECK(json_writer_failed(&w) && json_writer_finish(&w, NULL) == NULL);

	json_writer_init(&w, -1);
	json_begin_object(&w);
	json_write_int(&w, 1);			/* a value without a key */
	CHECK(json_writer_finish(&w, NULL) == NULL);

	json_writer_init(&w, -1);
	json_begin_array(&w);
	json_key(&w, "k");			/* a key in an array */
	CHECK(json_writer_finish(&w, NULL) == NULL);

	json_writer_init(&w, -1);
	json_begin_array(&w);
	json_end_object(&w);			/* the wrong end */
	CHECK(json_writer_finish(&w, NULL) == NULL);

	json_writer_init(&w, -1);
	json_begin_object(&w);
	json_key(&w, "k");
	json_end_object(&w);			/* a key without its value */
	CHECK(json_writer_finish(&w, NULL) == NULL);

	json_writer_init(&w, -1);
	json_begin_object(&w);			/* never ended */
	CHECK(!json_writer_failed(&w) && json_writer_finish(&w, NULL) == NULL);

	json_writer_init(&w, -1);
	json_write_int(&w, 1);
	json_write_int(&w, 2);			/* two top-level values */
	CHECK(json_writer_finish(&w, NULL) == NULL);

	json_writer_init(&w, -1);
	CHECK(json_writer_finish(&w, NULL) == NULL);	/* nothing */

	json_writer_init(&w, -1);
	for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
		json_begin_array(&w);		/* too deep */
	CHECK(json_writer_failed(&w));
	json_writer_free(&w);
}

int
main(void)
{
	test_document();
	test_depth();
	test_errors();
	test_writer();
	test_fixed();
	test_writer_misuse();
	if (failures) {
		fprintf(stderr, "json_test: %d check(s) failed\n", failures);
		return 1;
	}
	printf("json_test: all checks passed\n");
	return 0;
}
