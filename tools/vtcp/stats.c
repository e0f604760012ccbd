// SPDX-License-Identifier: GPL-2.0
/*
 * vtcp stats: the namespace's counters, as nstat shows the kernel's.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <linux/genetlink.h>

#include "cli.h"

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: vtcp stats [-j] [-z]\n"
		"\n"
		"Prints the counters of this network namespace, \"NAME VALUE\".\n"
		"\n"
		"  -j, --json    one JSON object, {\"NAME\": VALUE, ...}\n"
		"  -z, --zero    zero the counters after reading them (CAP_NET_ADMIN)\n");
}

struct counter {
	char name[48];
	uint64_t value;
};

/* The counters of one reply, printed once it is all in. */
struct stats {
	struct counter *v;
	unsigned int n, cap;
	int err;
};

static void add_counter(struct stats *s, const struct nlattr *stat)
{
	const struct nlattr *a, *name = NULL, *value = NULL;

	mnl_attr_for_each_nested(a, stat) {
		if (mnl_attr_get_type(a) == VTCP_A_STAT_NAME &&
		    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			name = a;
		if (mnl_attr_get_type(a) == VTCP_A_STAT_VALUE &&
		    !mnl_attr_validate(a, MNL_TYPE_U64))
			value = a;
	}
	if (!name || !value)
		return;
	if (s->n == s->cap) {
		unsigned int cap = s->cap ? 2 * s->cap : 64;
		struct counter *v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			s->err = -ENOMEM;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	snprintf(s->v[s->n].name, sizeof(s->v[s->n].name), "%s",
		 mnl_attr_get_str(name));
	s->v[s->n++].value = mnl_attr_get_u64(value);
}

static void print_counters(const struct stats *s, bool json)
{
	unsigned int i;

	if (json)
		json_begin(NULL);
	for (i = 0; i < s->n; i++) {
		if (json)
			json_u64(s->v[i].name, s->v[i].value);
		else
			printf("%-24s %" PRIu64 "\n", s->v[i].name,
			       s->v[i].value);
	}
	if (json)
		json_end();
}

static int stats_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr *stat;

	if (mnl_attr_get_type(attr) != VTCP_A_STATS)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(stat, attr)
		if (mnl_attr_get_type(stat) == VTCP_A_STAT)
			add_counter(data, stat);
	return MNL_CB_OK;
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct genlmsghdr)))
		return MNL_CB_OK;
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), stats_attr_cb,
			      data);
}

static int get_stats(struct nl *nl, struct stats *s, bool reset)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __aligned(8);
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	uint16_t family;
	int err;

	err = nl_genl_family(nl, VTCP_GENL_NAME, &family, NULL, NULL);
	if (err == -ENOENT)
		return no_family();
	if (err)
		return nl_fail("cannot resolve the vtcp family", err);
	nlh = nl_request(nl, buf, family, NLM_F_ACK);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = VTCP_CMD_GET_STATS;
	g->version = VTCP_GENL_VERSION;
	if (reset)
		mnl_attr_put(nlh, VTCP_A_STATS_RESET, 0, NULL);
	err = nl_talk(nl, nlh, stats_cb, s);
	if (!err)
		err = s->err;
	if (err)
		return nl_fail(reset ? "cannot read and zero the counters" :
			       "cannot read the counters", err);
	if (!s->n)
		return error_exit("the kernel sent no counters");
	return 0;
}

int do_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "zero", no_argument, NULL, 'z' },
		{ "reset", no_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct stats s = { 0 };
	struct nl nl = { 0 };
	bool reset = false, json = false;
	int c, err;

	if (wants_help(argc, argv)) {
		print_usage(stdout);
		return 0;
	}
	while ((c = getopt_long(argc, argv, "jz", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'z':
			reset = true;
			break;
		default:
			return bad_option(print_usage);
		}
	}
	if (optind < argc)
		return usage_error(print_usage, "unexpected \"%s\"", argv[optind]);
	err = nl_open(&nl, NETLINK_GENERIC);
	if (err)
		return nl_fail("cannot open a generic netlink socket", err);
	err = get_stats(&nl, &s, reset);
	nl_close(&nl);
	if (!err)
		print_counters(&s, json);
	free(s.v);
	return err;
}
