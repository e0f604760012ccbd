// SPDX-License-Identifier: GPL-2.0
/*
 * json_test: json.c's reader and writer, on the host (make -C tools/vtcp
 * test). TAP: one case per line read, or written and read back.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* What the reader gave: "key=value" (number) or "key:value" (string). */
static char got[512];
static const char *refuse;	/* a key the callback fails for */

static int collect(void *ctx, const char *key, const char *val,
		   bool is_string)
{
	size_t n = strlen(got);

	(void)ctx;
	snprintf(got + n, sizeof(got) - n, "%s%s%c%s", n ? " " : "", key,
		 is_string ? ':' : '=', val);
	return refuse && !strcmp(key, refuse) ? -5 : 0;
}

/* A line, what json_read_object() returns for it and what it reported. */
static const struct read_case {
	const char *line;
	int rc;
	const char *got;
	const char *refuse;
} read_cases[] = {
	{ "{\"a\":1,\"b\":\"x y\",\"c\":true,\"d\":null,\"e\":-2.5}", 0,
	  "a=1 b:x y c=true d=null e=-2.5", NULL },
	{ " { \"a\" : 1 , \"b\" : \"\" } ", 0, "a=1 b:", NULL },
	{ "{}", 0, "", NULL },
	{ "{\"a\":{\"x\":[1,{\"y\":\"}]\"}]},\"b\":[],\"c\":2}", 0, "c=2", NULL },
	{ "{\"s\":\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\fu\\u0041\\u00e9\"}", 0,
	  "s:q\"b\\s/n\nt\tr\rb\bf\fuA?", NULL },
	{ "", -1, "", NULL },
	{ "[1]", -1, "", NULL },
	{ "{\"a\":1", -1, "a=1", NULL },
	{ "{\"a\"}", -1, "", NULL },
	{ "{\"a\":1,}", -1, "a=1", NULL },
	{ "{\"a\":1} x", -1, "a=1", NULL },
	{ "{\"a\":\"\\x\"}", -1, "", NULL },
	{ "{\"a\":\"\\u12\"}", -1, "", NULL },
	{ "{\"a\":\"open}", -1, "", NULL },
	{ "{\"a\":1,\"b\":2,\"c\":3}", -5, "a=1 b=2", "b" },
};

/* The writer's line for an object of every kind of member... */
static const char written_line[] =
	"{\"s\":\"q\\\"b\\\\\\u0001\\u000a\",\"n\":18446744073709551615,"
	"\"o\":{\"t\":true},\"f\":false}";
/* ...and what the reader makes of it. */
static const char written_got[] =
	"s:q\"b\\\x01\n n=18446744073709551615 f=false";

static int cases, fails;

static void report(bool ok, const char *what)
{
	cases++;
	if (!ok)
		fails++;
	printf("%s %d %s\n", ok ? "ok" : "not ok", cases, what);
}

static void check(const char *line, int want_rc, const char *want)
{
	int rc;

	got[0] = '\0';
	rc = json_read_object(line, collect, NULL);
	if (rc != want_rc || strcmp(got, want))
		printf("# got %d [%s], want %d [%s]\n", rc, got, want_rc,
		       want);
	report(rc == want_rc && !strcmp(got, want), line);
}

/* The writer's line, without its newline; NULL if it could not be had. */
static char *written(void)
{
	FILE *saved = stdout;
	char *buf = NULL;
	size_t len = 0;

	stdout = open_memstream(&buf, &len);
	if (!stdout) {
		stdout = saved;
		return NULL;
	}
	json_begin(NULL);
	json_str("s", "q\"b\\\x01\n");
	json_u64("n", UINT64_MAX);
	json_begin("o");
	json_bool("t", true);
	json_end();
	json_bool("f", false);
	json_end();
	fclose(stdout);
	stdout = saved;
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return buf;
}

int main(void)
{
	const struct read_case *c;
	char *line;

	printf("TAP version 13\n1..%zu\n", ARRAY_SIZE(read_cases) + 2);
	for (c = read_cases; c < read_cases + ARRAY_SIZE(read_cases); c++) {
		refuse = c->refuse;
		check(c->line, c->rc, c->got);
	}
	refuse = NULL;
	line = written();
	if (line && strcmp(line, written_line))
		printf("# wrote %s\n", line);
	report(line && !strcmp(line, written_line),
	       "the writer's line, escapes and a u64 past INT64_MAX");
	check(line ? line : "", 0, written_got);
	free(line);
	printf("# Totals: pass:%d fail:%d skip:0\n", cases - fails, fails);
	return fails ? 1 : 0;
}
