// SPDX-License-Identifier: GPL-2.0
/*
 * vtcp: look at the vtcp module's connections, counters and events.
 *
 *   vtcp [-P PROTO] ss | stats | monitor | ladder | run [ARGS...]
 *
 * Exit status: 0, 1 for bad usage, 2 when a request fails.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int vtcp_proto = IPPROTO_VTCP;
bool vtcp_proto_given;	/* -P was given: run must not pick the module's */

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
};

static const struct command commands[] = {
	{ "ss", do_ss, "list connections, as ss -tanoie does for TCP" },
	{ "stats", do_stats, "print (and reset) the counters" },
	{ "monitor", do_monitor, "print state changes, timers, segments live" },
	{ "ladder", do_ladder, "draw one connection's life as a ladder" },
	{ "run", do_run, "run a program whose TCP sockets are vtcp's" },
};

static void print_usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "usage: vtcp [-P PROTO] COMMAND [ARGS...]\n"
		   "       vtcp COMMAND --help\n"
		   "       vtcp --version\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n  -P, --proto PROTO  IP protocol number of vtcp (default %d, the module's proto=)\n",
		IPPROTO_VTCP);
}

int usage_error(void (*usage_fn)(FILE *), const char *fmt, ...)
{
	va_list ap;

	fputs("vtcp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (usage_fn)
		usage_fn(stderr);
	return EXIT_USAGE;
}

/* getopt has said what was wrong with an option. */
int bad_option(void (*usage_fn)(FILE *))
{
	usage_fn(stderr);
	return EXIT_USAGE;
}

int error_exit(const char *fmt, ...)
{
	va_list ap;

	fputs("vtcp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ERROR;
}

/* A whole decimal (or 0x hex) number no larger than @max. */
bool parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end && *v <= max;
}

bool parse_seconds(const char *s, double *secs)
{
	char *end;

	errno = 0;
	*secs = strtod(s, &end);
	return !errno && end != s && !*end && *secs > 0 && *secs < 1e7;
}

/* "vtcp CMD help" and "vtcp CMD --help"/"-h" anywhere. */
bool wants_help(int argc, char **argv)
{
	int i;

	if (argc > 1 && !strcmp(argv[1], "help"))
		return true;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	}
	return false;
}

/* A command by its name or a prefix of it; @ambiguous if two share it. */
static const struct command *find_command(const char *name, bool *ambiguous)
{
	const struct command *found = NULL;
	unsigned int i;

	*ambiguous = false;
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
		if (!strncmp(commands[i].name, name, strlen(name))) {
			*ambiguous = !!found;
			found = &commands[i];
		}
	}
	return *ambiguous ? NULL : found;
}

static int parse_proto(const char *arg)
{
	uint64_t v;

	if (!parse_u64(arg, 254, &v) || !v)
		return usage_error(print_usage, "bad protocol number \"%s\"", arg);
	vtcp_proto = v;
	vtcp_proto_given = true;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "proto", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ }
	};
	const struct command *cmd;
	static char name[32];
	bool ambiguous;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	argv[0] = "vtcp";
	while ((c = getopt_long(argc, argv, "+P:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (parse_proto(optarg))
				return EXIT_USAGE;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		case 'V':
			printf("vtcp %s (uapi genl version %d)\n",
			       VTCP_VERSION, VTCP_GENL_VERSION);
			return 0;
		default:
			return bad_option(print_usage);
		}
	}
	if (optind >= argc)
		return usage_error(print_usage, "no command given");
	if (!strcmp(argv[optind], "help")) {
		print_usage(stdout);
		return 0;
	}
	cmd = find_command(argv[optind], &ambiguous);
	if (!cmd)
		return usage_error(print_usage, "%s command \"%s\"",
				   ambiguous ? "ambiguous" : "unknown",
				   argv[optind]);
	argv += optind;
	argc -= optind;
	/* getopt's messages then read "vtcp ss: unrecognized option..." */
	snprintf(name, sizeof(name), "vtcp %s", cmd->name);
	argv[0] = name;
	optind = 0;	/* glibc: start over for the command's options */
	return cmd->run(argc, argv);
}
