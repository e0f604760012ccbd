// SPDX-License-Identifier: GPL-2.0
/*
 * JSON: objects written one per line (JSON Lines), and the flat objects
 * of such lines read back (what ladder --from needs).
 *
 * By hand rather than with a library: the reader takes one shape, the
 * flat objects written here, whose u64s (cookies, times) may pass
 * INT64_MAX, which jansson (Debian's smallest) refuses to parse; json-c
 * reads them, but would be a dependency of the package for ladder --from
 * alone. tests/json_test checks both halves.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define JSON_DEPTH 8

static bool first[JSON_DEPTH];
static int depth;

static void put_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void put_key(const char *key)
{
	if (!first[depth])
		putchar(',');
	first[depth] = false;
	if (key) {
		put_string(key);
		putchar(':');
	}
}

/* An object: the line's outermost one when @key is NULL at depth 0. */
void json_begin(const char *key)
{
	if (depth > 0)
		put_key(key);
	putchar('{');
	if (depth < JSON_DEPTH - 1)
		depth++;
	first[depth] = true;
}

void json_end(void)
{
	putchar('}');
	if (depth > 0)
		depth--;
	if (!depth) {
		putchar('\n');
		fflush(stdout);
	}
}

void json_str(const char *key, const char *val)
{
	put_key(key);
	put_string(val);
}

void json_u64(const char *key, uint64_t val)
{
	put_key(key);
	printf("%" PRIu64, val);
}

void json_bool(const char *key, bool val)
{
	put_key(key);
	fputs(val ? "true" : "false", stdout);
}

/* Reading. @p walks the line; strings are unescaped into @out. */
static const char *skip_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* \uXXXX's four digits at @p into @u; NULL if they are not four. */
static const char *read_hex4(const char *p, unsigned int *u)
{
	int i;

	*u = 0;
	for (i = 0; i < 4; i++, p++) {
		if (!isxdigit((unsigned char)*p))
			return NULL;
		*u = *u * 16 + (isdigit((unsigned char)*p) ? *p - '0' :
				(*p | 0x20) - 'a' + 10);
	}
	return p;
}

/*
 * The character an escape stands for, @p just after its backslash; past
 * ASCII (and \u0000), '?': the tool's names and addresses are ASCII.
 */
static const char *read_escape(const char *p, char *c)
{
	static const char plain[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	unsigned int u, i;

	if (*p == 'u') {
		p = read_hex4(p + 1, &u);
		*c = u && u < 0x80 ? (char)u : '?';
		return p;
	}
	for (i = 0; plain[i]; i += 2) {
		if (*p == plain[i]) {
			*c = plain[i + 1];
			return p + 1;
		}
	}
	return NULL;
}

/* A string at @p, unescaped into @out (cut to @len); NULL if malformed. */
static const char *read_string(const char *p, char *out, size_t len)
{
	size_t n = 0;
	char c;

	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if (*p == '\\')
			p = read_escape(p + 1, &c);
		else
			c = *p++;
		if (!p)
			return NULL;
		if (n + 1 < len)
			out[n++] = c;
	}
	if (*p != '"')
		return NULL;
	out[n] = '\0';
	return p + 1;
}

/* A number, true, false or null, copied as its text. */
static const char *read_scalar(const char *p, char *out, size_t len)
{
	size_t n = 0;

	while (*p && (isalnum((unsigned char)*p) || strchr("+-.", *p))) {
		if (n + 1 < len)
			out[n++] = *p;
		p++;
	}
	out[n] = '\0';
	return n ? p : NULL;
}

/* Skips a nested object or array, strings and all. */
static const char *skip_nested(const char *p)
{
	char tmp[8];
	int level = 0;

	do {
		if (*p == '"') {
			p = read_string(p, tmp, sizeof(tmp));
			if (!p)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			level++;
		else if (*p == '}' || *p == ']')
			level--;
		else if (!*p)
			return NULL;
		p++;
	} while (level > 0);
	return p;
}

static const char *read_member(const char *p, json_field_fn fn, void *ctx,
			       int *err)
{
	char key[64], val[256];
	bool is_string;

	p = read_string(skip_space(p), key, sizeof(key));
	if (!p)
		return NULL;
	p = skip_space(p);
	if (*p++ != ':')
		return NULL;
	p = skip_space(p);
	if (*p == '{' || *p == '[')
		return skip_nested(p);
	is_string = *p == '"';
	p = is_string ? read_string(p, val, sizeof(val)) :
			read_scalar(p, val, sizeof(val));
	if (p && !*err)
		*err = fn(ctx, key, val, is_string);
	return p;
}

/*
 * Calls @fn for each member of the object on @line whose value is not an
 * object or array. Returns 0, -1 when the line is not one JSON object, or
 * what @fn returned first when not 0.
 */
int json_read_object(const char *line, json_field_fn fn, void *ctx)
{
	const char *p = skip_space(line);
	int err = 0;

	if (*p++ != '{')
		return -1;
	p = skip_space(p);
	if (*p == '}')
		return *skip_space(p + 1) ? -1 : 0;
	for (;;) {
		p = read_member(p, fn, ctx, &err);
		if (!p)
			return -1;
		p = skip_space(p);
		if (*p == '}')
			break;
		if (*p++ != ',')
			return -1;
	}
	if (*skip_space(p + 1))
		return -1;
	return err;
}
