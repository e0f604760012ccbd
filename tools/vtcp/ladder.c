// SPDX-License-Identifier: GPL-2.0
/*
 * vtcp ladder: follow one connection and draw its life (draw.c).
 */
#include <getopt.h>
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
		"  ADDR | ADDR:PORT | :PORT    either end\n");
}

int do_ladder(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct conn_match match;
	struct ladder *l;
	uint64_t count = 0;
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
	while ((c = getopt_long(argc, argv, "c:t:f:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!parse_u64(optarg, UINT64_MAX, &count) || !count)
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
	if (conn_match_parse(&match, argc - optind, argv + optind, print_usage))
		return EXIT_USAGE;
	l = ladder_new(&match, count);
	if (!l)
		return error_exit("out of memory");
	if (nfiles)
		ret = events_from_files(files, nfiles, ladder_feed, l);
	else
		ret = events_live(seconds, ladder_feed, l);
	free(files);
	if (!ret && !ladder_matched(l))
		ret = error_exit("no connection matched");
	ladder_finish(l);
	return ret;
}
