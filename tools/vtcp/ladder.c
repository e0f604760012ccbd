// SPDX-License-Identifier: GPL-2.0
/*
 * vtcp ladder: follow one connection and draw its life (draw.c).
 */
#include <stdlib.h>

#include "cli.h"

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: vtcp ladder [-c COUNT] [-t SECONDS] [--from FILE]... [FILTER...]\n"
		"\n"
		"Follows the first connection whose events match FILTER and draws\n"
		"its life as a sequence (ladder) diagram: this end on the left, the\n"
		"peer on the right, one arrow per segment, the states as they\n"
		"change, until it is CLOSED (after TIME-WAIT).\n"
		"\n"
		"  -c, --count COUNT    stop after COUNT events of the connection\n"
		"  -t, --timeout SECS   stop after SECS seconds\n"
		"      --from FILE      read events saved by monitor -j (\"-\": standard\n"
		"                       input) instead of listening; given twice, e.g.\n"
		"                       one file per namespace, both ends are drawn\n"
		"\n"
		"FILTER, all of which must hold (none: the first connection seen):\n"
		"  sport PORT | dport PORT | cookie COOKIE\n"
		"  ADDR | ADDR:PORT | :PORT    either end; an IPv6 ADDR in brackets\n"
		"                              before a port: [fd00::1]:5001\n");
}

int do_ladder(int argc, char **argv)
{
	struct conn_match match;
	struct stream_opts o;
	struct ladder *l;
	int ret;

	if (wants_help(argc, argv)) {
		print_usage(stdout);
		return 0;
	}
	ret = stream_opts_parse(&o, argc, argv, false, print_usage);
	if (ret)
		return ret;
	l = conn_match_parse(&match, argc - optind, argv + optind,
			     print_usage) ? NULL : ladder_new(&match, o.count);
	if (!l) {
		free(o.files);
		return EXIT_USAGE;
	}
	ret = stream_run(&o, ladder_feed, l);
	if (!ret && !ladder_matched(l))
		ret = error_exit("no connection matched");
	ladder_finish(l);
	return ret;
}
