// SPDX-License-Identifier: GPL-2.0
/*
 * vtcp monitor: the events of the namespace's connections, one per line.
 */
#include <stdlib.h>

#include "cli.h"

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: vtcp monitor [-j] [-c COUNT] [-t SECONDS] [--from FILE]...\n"
		"\n"
		"Prints every state change, timer firing, segment and path MTU change\n"
		"of the vtcp connections of this network namespace as it happens:\n"
		"  TIME LOCAL PEER sk:COOKIE state OLD -> NEW on EVENT\n"
		"  TIME LOCAL PEER sk:COOKIE timer KIND fired, retries N\n"
		"  TIME LOCAL PEER sk:COOKIE out|in [FLAGS] seq S ack A len L win W\n"
		"  TIME LOCAL PEER sk:COOKIE pmtu MTU mss MSS\n"
		"LOCAL and PEER are ADDR:PORT, [ADDR]:PORT for IPv6.\n"
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
	struct stream_opts o;
	struct monitor m = { 0 };
	int ret;

	if (wants_help(argc, argv)) {
		print_usage(stdout);
		return 0;
	}
	ret = stream_opts_parse(&o, argc, argv, true, print_usage);
	if (ret)
		return ret;
	if (optind < argc) {
		free(o.files);
		return usage_error(print_usage, "unexpected \"%s\"",
				   argv[optind]);
	}
	m.json = o.json;
	m.count = o.count;
	return stream_run(&o, print_event, &m);
}
