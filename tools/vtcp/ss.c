// SPDX-License-Identifier: GPL-2.0
/*
 * vtcp ss: the namespace's vtcp sockets from a sock_diag dump, shaped as
 * ss -tanoie shapes TCP's, with struct vtcp_info for the details.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <string.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>

#include "cli.h"
#include "sock.h"

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: vtcp ss [-l|-a] [-4|-6] [-e] [-i] [-m] [-o] [-K] [-j] [-H]\n"
		"               [-P PROTO] [FILTER...]\n"
		"\n"
		"Lists the vtcp sockets of this network namespace, IPv4 and IPv6,\n"
		"as ss -tan does for TCP (addresses and ports are always numeric).\n"
		"\n"
		"  -l, --listening    listening sockets only\n"
		"  -a, --all          sockets in every state\n"
		"                     (default: connected, i.e. all but LISTEN,\n"
		"                     SYN-RECV, TIME-WAIT and CLOSED)\n"
		"  -o, --options      the pending timer: timer:(KIND,LEFT,RETRIES)\n"
		"  -e, --extended     uid, inode, cookie (sk:) and shutdown state\n"
		"  -i, --info         RTO, RTT, windows, bytes and segments\n"
		"  -m, --memory       socket memory, skmem:(...)\n"
		"  -K, --kill         destroy the sockets that match (CAP_NET_ADMIN)\n"
		"  -j, --json         one JSON object per socket, with every field\n"
		"  -H, --no-header    no header line\n"
		"  -4, --ipv4         IPv4 sockets only (AF_INET)\n"
		"  -6, --ipv6         IPv6 sockets only (AF_INET6, v4-mapped ones too)\n"
		"  -P, --proto PROTO  vtcp's IP protocol number (default 253)\n"
		"  -n, -t             accepted for ss's sake; change nothing\n"
		"\n"
		"FILTER, all of which must hold:\n"
		"  state NAME | exclude NAME\n"
		"      established, syn-sent, syn-recv, fin-wait-1, fin-wait-2,\n"
		"      time-wait, closed, close-wait, last-ack, listening, closing,\n"
		"      or all, connected, synchronized, bucket, big\n"
		"  sport [OP] PORT | dport [OP] PORT\n"
		"      OP: = != < <= > >= (or eq ne lt le gt ge); PORT may be :PORT\n"
		"  src ADDR[/LEN][:PORT] | dst ADDR[/LEN][:PORT]\n"
		"      IPv6: [ADDR[/LEN]][:PORT] or ADDR/LEN[:PORT], e.g. dst [fd00::2]:5001,\n"
		"      src fd00::/64; an IPv4 ADDR also matches v4-mapped addresses;\n"
		"      *:PORT or :PORT for any address\n");
}

static void put_req(struct nlmsghdr *nlh, const struct ss_opts *o,
		    int family, const struct inet_diag_sockid *id)
{
	struct inet_diag_req_v2 *req;

	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = vtcp_proto;
	req->idiag_states = id ? ~0u : o->filter.states;
	req->idiag_ext = 1 << (INET_DIAG_INFO - 1) |
			 1 << (INET_DIAG_SKMEMINFO - 1);
	if (id)
		req->id = *id;
	else
		memset(req->id.idiag_cookie, 0xff,
		       sizeof(req->id.idiag_cookie));	/* INET_DIAG_NOCOOKIE */
}

static int destroy(struct ss_opts *o, const struct inet_diag_msg *msg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __aligned(8);
	struct nlmsghdr *nlh;
	int err;

	if (!o->kill_nl.sock) {
		err = nl_open(&o->kill_nl, NETLINK_SOCK_DIAG);
		if (err)
			return err;
	}
	nlh = nl_request(&o->kill_nl, buf, SOCK_DESTROY, NLM_F_ACK);
	put_req(nlh, o, msg->idiag_family, &msg->id);
	return nl_talk(&o->kill_nl, nlh, NULL, NULL);
}

/* The header comes with the first socket (none before an error). */
static void print_header_once(struct ss_opts *o)
{
	if (!o->json && !o->no_header && !o->header_done)
		sock_print_header(o);
	o->header_done = true;
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct ss_sock *s = data;
	unsigned int len = mnl_attr_get_payload_len(attr);

	switch (mnl_attr_get_type(attr)) {
	case INET_DIAG_INFO:
		s->info_len = len < sizeof(s->info) ? len : sizeof(s->info);
		memcpy(&s->info, mnl_attr_get_payload(attr), s->info_len);
		break;
	case INET_DIAG_SKMEMINFO:
		if (len > sizeof(s->skmem))
			len = sizeof(s->skmem);
		memcpy(s->skmem, mnl_attr_get_payload(attr), len);
		s->skmem_len = len / sizeof(uint32_t);
		break;
	case INET_DIAG_SHUTDOWN:
		if (len >= 1)
			s->shutdown = *(const uint8_t *)mnl_attr_get_payload(attr);
		break;
	case INET_DIAG_SKV6ONLY:
		if (len >= 1)
			s->v6only = *(const uint8_t *)mnl_attr_get_payload(attr);
		break;
	}
	return MNL_CB_OK;
}

static int sock_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ss_opts *o = data;
	struct ss_sock s = { .shutdown = -1, .v6only = -1 };
	int err;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*s.msg)))
		return MNL_CB_OK;
	s.msg = mnl_nlmsg_get_payload(nlh);
	mnl_attr_parse(nlh, sizeof(*s.msg), attr_cb, &s);
	if (o->kill) {
		err = destroy(o, s.msg);
		if (err) {
			sock_print_error(&s, "cannot destroy", err);
			o->failed = true;
			return MNL_CB_OK;
		}
	}
	print_header_once(o);
	sock_print(o, &s);
	return MNL_CB_OK;
}

static int dump_family(struct nl *nl, struct ss_opts *o, int family)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __aligned(8);
	struct nlmsghdr *nlh;

	nlh = nl_request(nl, buf, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP);
	put_req(nlh, o, family, NULL);
	if (o->filter.bytecode_len)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE,
			     o->filter.bytecode_len, o->filter.bytecode);
	return nl_talk(nl, nlh, sock_cb, o);
}

/* As ss(8): one dump per family, IPv4's first. */
static int dump(struct ss_opts *o)
{
	struct nl nl = { 0 };
	int err;

	err = nl_open(&nl, NETLINK_SOCK_DIAG);
	if (err)
		return nl_fail("cannot open a sock_diag socket", err);
	err = o->ipv4 ? dump_family(&nl, o, AF_INET) : 0;
	if (!err && o->ipv6) {
		err = dump_family(&nl, o, AF_INET6);
		/* IPv4 was listed: a kernel without IPv6 has no such sockets. */
		if (err == -ENOENT && o->ipv4)
			err = 0;
	}
	nl_close(&nl);
	nl_close(&o->kill_nl);
	if (err == -ENOENT)
		return error_exit("no sock_diag handler for IP protocol %d: is the vtcp module loaded (with proto=%d)?",
				  vtcp_proto, vtcp_proto);
	if (err)
		return nl_fail("cannot list the sockets", err);
	print_header_once(o);
	return o->failed ? EXIT_ERROR : 0;
}

static int parse_options(struct ss_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listening", no_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "extended", no_argument, NULL, 'e' },
		{ "info", no_argument, NULL, 'i' },
		{ "memory", no_argument, NULL, 'm' },
		{ "options", no_argument, NULL, 'o' },
		{ "kill", no_argument, NULL, 'K' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-header", no_argument, NULL, 'H' },
		{ "proto", required_argument, NULL, 'P' },
		{ "tcp", no_argument, NULL, 't' },
		{ "ipv4", no_argument, NULL, '4' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	static const char flags[] = "eimoKjH";
	bool *fields[] = { &o->extended, &o->info, &o->memory, &o->timers,
			   &o->kill, &o->json, &o->no_header };
	const char *flag;
	uint64_t proto;
	int c;

	while ((c = getopt_long(argc, argv, "laneimoKjHP:t46", opts,
				NULL)) != -1) {
		switch (c) {
		case 'l':
			o->filter.states = 1u << TCP_LISTEN | 1u << TCP_CLOSE;
			break;
		case 'a':
			o->filter.states = VTCP_ALL_STATES;
			break;
		case 'n': case 't':
			break;
		case '4':
			o->ipv4 = true;
			break;
		case '6':
			o->ipv6 = true;
			break;
		case 'P':
			if (!parse_u64(optarg, 254, &proto) || !proto)
				return usage_error(print_usage, "bad protocol number \"%s\"",
						   optarg);
			vtcp_proto = proto;
			break;
		default:
			flag = strchr(flags, c);
			if (!flag)
				return bad_option(print_usage);
			*fields[flag - flags] = true;
		}
	}
	if (!o->ipv4 && !o->ipv6)
		o->ipv4 = o->ipv6 = true;
	return 0;
}

int do_ss(int argc, char **argv)
{
	struct ss_opts o = { 0 };
	uint32_t default_states;

	if (wants_help(argc, argv)) {
		print_usage(stdout);
		return 0;
	}
	o.filter.states = ss_state_group("connected");
	if (parse_options(&o, argc, argv))
		return EXIT_USAGE;
	default_states = o.filter.states;
	if (ss_filter_parse(&o.filter, argc - optind, argv + optind))
		return EXIT_USAGE;
	if (!o.filter.states_given)
		o.filter.states = default_states;
	return dump(&o);
}
