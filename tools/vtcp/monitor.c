// SPDX-License-Identifier: GPL-2.0
/*
 * vtcp monitor: the events of the namespace's connections, one per line.
 */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: vtcp monitor [-j] [-c COUNT] [-t SECONDS] [--from FILE]...\n"
		"\n"
		"Prints every state change, timer firing and segment of the vtcp\n"
		"connections of this network namespace as it happens:\n"
		"  TIME LOCAL PEER sk:COOKIE state OLD -> NEW on EVENT\n"
		"  TIME LOCAL PEER sk:COOKIE timer KIND fired, retries N\n"
		"  TIME LOCAL PEER sk:COOKIE out|in [FLAGS] seq S ack A len L win W\n"
		"\n"
		"  -j, --json           one JSON object per event\n"
		"  -c, --count COUNT    stop after COUNT events\n"
		"  -t, --timeout SECS   stop after SECS seconds\n"
		"      --from FILE      print the events saved by monitor -j in FILE\n"
		"                       (\"-\": standard input) instead\n");
}

struct monitor {
	bool json;
	uint64_t count, seen;
};

static int print_event(void *ctx, const struct vtcp_event *ev)
{
	struct monitor *m = ctx;

	event_print(ev, m->json);
	return m->count && ++m->seen >= m->count;
}

int do_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct monitor m = { 0 };
	double seconds = 0;
	char **files;
	int nfiles = 0, c, ret;

	if (wants_help(argc, argv)) {
		print_usage(stdout);
		return 0;
	}
	files = calloc(argc, sizeof(*files));
	if (!files)
		return error_exit("out of memory");
	while ((c = getopt_long(argc, argv, "jc:t:f:", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			m.json = true;
			break;
		case 'c':
			if (!parse_u64(optarg, UINT64_MAX, &m.count) || !m.count)
				return usage_error(print_usage, "bad count \"%s\"",
						   optarg);
			break;
		case 't':
			if (!parse_seconds(optarg, &seconds))
				return usage_error(print_usage, "bad timeout \"%s\"",
						   optarg);
			break;
		case 'f':
			files[nfiles++] = optarg;
			break;
		default:
			return bad_option(print_usage);
		}
	}
	if (optind < argc)
		return usage_error(print_usage, "unexpected \"%s\"", argv[optind]);
	if (nfiles)
		ret = events_from_files(files, nfiles, print_event, &m);
	else
		ret = events_live(seconds, print_event, &m);
	free(files);
	return ret;
}
