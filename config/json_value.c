/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The parsed JSON document: freeing, deep copies and the typed
 * accessors declared in json.h.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"

void
json_free(struct json_value *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->len && v->items != NULL; i++) {
		json_free(v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
	free(v);
}

/* Copies the members or elements of container v into c. */
static int
clone_items(const struct json_value *v, struct json_value *c)
{
	size_t n = v->len ? v->len : 1;

	c->len = 0;
	c->items = calloc(n, sizeof *c->items);
	if (c->items == NULL)
		return -1;
	if (v->type == JSON_OBJECT && (c->keys = calloc(n, sizeof *c->keys)) == NULL)
		return -1;
	for (size_t i = 0; i < v->len; i++) {
		c->items[i] = json_clone(v->items[i]);
		if (c->keys != NULL)
			c->keys[i] = strdup(v->keys[i]);
		c->len = i + 1;		/* so json_free() sees what is there */
		if (c->items[i] == NULL || (c->keys != NULL && c->keys[i] == NULL))
			return -1;
	}
	return 0;
}

struct json_value *
json_clone(const struct json_value *v)
{
	struct json_value *c;

	if (v == NULL || (c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	*c = *v;
	c->string = NULL;
	c->keys = NULL;
	c->items = NULL;
	if (v->type == JSON_STRING) {
		c->string = malloc(v->len + 1);
		if (c->string != NULL)
			memcpy(c->string, v->string, v->len + 1);
		else
			c->len = 0;
		if (c->string == NULL)
			goto oom;
	} else if ((v->type == JSON_ARRAY || v->type == JSON_OBJECT) &&
	    clone_items(v, c) != 0) {
		goto oom;
	}
	return c;
oom:
	json_free(c);
	return NULL;
}

const char *
json_type_name(enum json_type t)
{
	static const char *const names[] = { "null", "a boolean", "a number",
	    "a string", "an array", "an object" };

	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

enum json_type
json_typeof(const struct json_value *v)
{
	return v != NULL ? v->type : JSON_NULL;
}

bool
json_is(const struct json_value *v, enum json_type t)
{
	return v != NULL && v->type == t;
}

bool
json_bool(const struct json_value *v)
{
	return json_is(v, JSON_BOOL) && v->boolean;
}

double
json_number(const struct json_value *v)
{
	return json_is(v, JSON_NUMBER) ? v->number : 0;
}

bool
json_is_integer(const struct json_value *v)
{
	return json_is(v, JSON_NUMBER) && v->is_integer;
}

const char *
json_string(const struct json_value *v)
{
	return json_is(v, JSON_STRING) ? v->string : NULL;
}

size_t
json_string_len(const struct json_value *v)
{
	return json_is(v, JSON_STRING) ? v->len : 0;
}

size_t
json_length(const struct json_value *v)
{
	return json_is(v, JSON_ARRAY) || json_is(v, JSON_OBJECT) ? v->len : 0;
}

const struct json_value *
json_at(const struct json_value *v, size_t i)
{
	return i < json_length(v) ? v->items[i] : NULL;
}

const char *
json_key_at(const struct json_value *obj, size_t i)
{
	return json_is(obj, JSON_OBJECT) && i < obj->len ? obj->keys[i] : NULL;
}

const struct json_value *
json_get(const struct json_value *obj, const char *key)
{
	if (!json_is(obj, JSON_OBJECT) || key == NULL)
		return NULL;
	for (size_t i = 0; i < obj->len; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}
