// SPDX-License-Identifier: GPL-2.0
/*
 * Where monitor and ladder get their events: the "events" multicast group
 * of the caller's network namespace, or files written by monitor -j
 * (several of them are merged in time order, e.g. one per namespace).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "cli.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Ctrl-C ends the stream cleanly, so what is pending gets printed. */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int join_events(struct nl *nl)
{
	int rcvbuf = 8 << 20, err;
	uint32_t group;
	uint16_t family;

	err = nl_open(nl, NETLINK_GENERIC);
	if (err)
		return nl_fail("cannot open a generic netlink socket", err);
	err = nl_genl_family(nl, VTCP_GENL_NAME, &family,
			     VTCP_GENL_MCGRP_EVENTS, &group);
	if (err == -ENOENT)
		return no_family();
	if (err == -ESRCH)
		return error_exit("family \"%s\" has no group \"%s\": module and tool do not match",
				  VTCP_GENL_NAME, VTCP_GENL_MCGRP_EVENTS);
	if (err)
		return nl_fail("cannot resolve the vtcp family", err);
	/* Bursts of segment events must not overflow the socket. */
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET,
		       SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET,
			   SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)))
		return nl_fail("cannot join the events group", -errno);
	return 0;
}

struct live {
	event_fn fn;
	void *ctx;
};

static int live_cb(const struct nlmsghdr *nlh, void *data)
{
	struct live *live = data;
	struct vtcp_event ev;

	if (event_from_netlink(nlh, &ev))
		return MNL_CB_OK;
	return live->fn(live->ctx, &ev) ? MNL_CB_STOP : MNL_CB_OK;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Events as they happen, until @fn says stop, @seconds pass or a signal. */
int events_live(double seconds, event_fn fn, void *ctx)
{
	struct live live = { fn, ctx };
	double end = now() + seconds;
	struct nl nl = { 0 };
	int ret;

	ret = join_events(&nl);
	if (ret) {
		nl_close(&nl);
		return ret;
	}
	catch_signals();
	while (!interrupted) {
		int wait_ms = -1;

		if (seconds > 0) {
			if (now() >= end)
				break;
			wait_ms = (int)((end - now()) * 1000) + 1;
		}
		ret = nl_receive(&nl, wait_ms, live_cb, &live);
		if (ret == -ENOBUFS) {
			fprintf(stderr, "vtcp: events lost: the socket's receive buffer overflowed\n");
			continue;
		}
		if (ret < 0) {
			nl_close(&nl);
			return nl_fail("receiving events", ret);
		}
		if (ret > 0)
			break;
	}
	nl_close(&nl);
	return 0;
}

/* Events read from files, with their order of reading to keep ties. */
struct stored {
	struct vtcp_event ev;
	size_t order;
};

struct store {
	struct stored *v;
	size_t n, cap;
};

static int store_add(struct store *s, const struct vtcp_event *ev)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct stored *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].ev = *ev;
	s->v[s->n].order = s->n;
	s->n++;
	return 0;
}

static int read_file(struct store *s, const char *name)
{
	FILE *f = strcmp(name, "-") ? fopen(name, "r") : stdin;
	unsigned long lineno = 0, bad = 0;
	size_t cap = 0;
	char *line = NULL;
	int err = 0;

	if (!f)
		return error_exit("cannot open %s: %s", name, strerror(errno));
	while (!err && getline(&line, &cap, f) > 0) {
		struct vtcp_event ev;

		lineno++;
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (event_from_json(line, &ev)) {
			if (bad++ < 3)
				fprintf(stderr, "vtcp: %s:%lu: not an event of monitor -j, skipped\n",
					name, lineno);
			continue;
		}
		err = store_add(s, &ev);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (err)
		return error_exit("%s: %s", name, strerror(-err));
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct stored *x = a, *y = b;

	if (x->ev.time_ns != y->ev.time_ns)
		return x->ev.time_ns < y->ev.time_ns ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int events_from_files(char **files, int nfiles, event_fn fn, void *ctx)
{
	struct store s = { 0 };
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < (size_t)nfiles; i++)
		ret = read_file(&s, files[i]);
	if (!ret && nfiles > 1)
		qsort(s.v, s.n, sizeof(*s.v), by_time);
	for (i = 0; !ret && i < s.n; i++)
		if (fn(ctx, &s.v[i].ev))
			break;
	free(s.v);
	return ret;
}

static int parse_one(struct stream_opts *o, int c, void (*usage)(FILE *))
{
	switch (c) {
	case 'j':
		o->json = true;
		return 0;
	case 'c':
		if (!parse_u64(optarg, UINT64_MAX, &o->count) || !o->count)
			return usage_error(usage, "bad count \"%s\"", optarg);
		return 0;
	case 't':
		if (!parse_seconds(optarg, &o->seconds))
			return usage_error(usage, "bad timeout \"%s\"", optarg);
		return 0;
	case 'f':
		o->files[o->nfiles++] = optarg;
		return 0;
	}
	return bad_option(usage);
}

/* Leaves optind at the first word that is no option; frees on error. */
int stream_opts_parse(struct stream_opts *o, int argc, char **argv,
		      bool json_ok, void (*usage)(FILE *))
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ }
	};
	int c, err = 0;

	memset(o, 0, sizeof(*o));
	o->files = calloc(argc, sizeof(*o->files));
	if (!o->files)
		return error_exit("out of memory");
	while (!err && (c = getopt_long(argc, argv, json_ok ? "jc:t:f:" :
					"c:t:f:", opts, NULL)) != -1)
		err = c == 'j' && !json_ok ? bad_option(usage) :
		      parse_one(o, c, usage);
	if (err) {
		free(o->files);
		o->files = NULL;
	}
	return err;
}

/* Runs @fn on the events of the files, or live; frees the options. */
int stream_run(const struct stream_opts *o, event_fn fn, void *ctx)
{
	int ret;

	if (o->nfiles)
		ret = events_from_files(o->files, o->nfiles, fn, ctx);
	else
		ret = events_live(o->seconds, fn, ctx);
	free(o->files);
	return ret;
}
