/*
 * A small strict JSON parser: objects keep their key order, // and
 * block comments are allowed, trailing commas and duplicate keys are not.
 * Errors carry the line and column.
 */
#ifndef TKVM_JSON_H
#define TKVM_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY,
	JSON_OBJECT };

struct json_value {
	enum json_type type;
	bool boolean;
	double number;
	bool is_integer;
	char *string;			/* JSON_STRING, NUL-terminated */
	size_t len;			/* string length, or member count */
	char **keys;			/* JSON_OBJECT */
	struct json_value **items;	/* JSON_ARRAY and JSON_OBJECT values */
	unsigned line, column;		/* where the value starts */
};

struct json_value *json_parse(const char *text, size_t len, char *err,
    size_t errlen);
void json_free(struct json_value *v);
/* The member named key of an object, or NULL. */
const struct json_value *json_get(const struct json_value *obj, const char *key);
const char *json_type_name(enum json_type t);

#endif
