// SPDX-License-Identifier: GPL-2.0
/*
 * cli_netlink: events as the kernel sends them, built here as generic
 * netlink messages and decoded by tools/vtcp's event_from_netlink(), then
 * printed as vtcp monitor prints them (text, then -j), one line each, with
 * event_from_netlink()'s return value first. cli.sh compiles it with the
 * tool's sources (main() renamed) and compares what it prints.
 */
#include <arpa/inet.h>
#include <string.h>
#include <linux/genetlink.h>

#include "cli.h"

enum addrs { V4, V6, V6_SHORT };

static void put_addrs(struct nlmsghdr *nlh, enum addrs kind, const char *s,
		      const char *d)
{
	struct in6_addr a, b;
	struct in_addr a4, b4;

	if (kind == V4) {
		inet_pton(AF_INET, s, &a4);
		inet_pton(AF_INET, d, &b4);
		mnl_attr_put(nlh, VTCP_A_EV_SADDR, sizeof(a4), &a4);
		mnl_attr_put(nlh, VTCP_A_EV_DADDR, sizeof(b4), &b4);
		return;
	}
	inet_pton(AF_INET6, s, &a);
	inet_pton(AF_INET6, d, &b);
	mnl_attr_put(nlh, VTCP_A_EV_SADDR6, kind == V6_SHORT ? 4 : sizeof(a),
		     &a);
	mnl_attr_put(nlh, VTCP_A_EV_DADDR6, sizeof(b), &b);
}

static void event(enum addrs kind, const char *s, const char *d,
		  uint64_t cookie)
{
	char buf[1024] __aligned(8);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct vtcp_event ev;
	int ret;

	g->cmd = VTCP_CMD_EVENT;
	g->version = VTCP_GENL_VERSION;
	mnl_attr_put_u8(nlh, VTCP_A_EV_TYPE, VTCP_EVT_SEG_OUT);
	mnl_attr_put_u64(nlh, VTCP_A_EV_TIME_NS, 1795623860807262721ULL);
	mnl_attr_put_u64(nlh, VTCP_A_EV_COOKIE, cookie);
	put_addrs(nlh, kind, s, d);
	mnl_attr_put_u16(nlh, VTCP_A_EV_SPORT, htons(47780));
	mnl_attr_put_u16(nlh, VTCP_A_EV_DPORT, htons(7));
	mnl_attr_put_u8(nlh, VTCP_A_EV_FLAGS, 0x12);
	mnl_attr_put_u32(nlh, VTCP_A_EV_SEQ, 100);
	mnl_attr_put_u32(nlh, VTCP_A_EV_ACK, 200);
	mnl_attr_put_u32(nlh, VTCP_A_EV_WIN, 65535);
	ret = event_from_netlink(nlh, &ev);
	if (ret) {
		printf("%d\n", ret);
		return;
	}
	printf("%d ", ret);
	event_print(&ev, false);
	printf("%d ", ret);
	event_print(&ev, true);
}

int main(void)
{
	event(V4, "10.0.0.1", "10.0.0.2", 2);
	event(V6, "fd00::1", "fd00::2", 3);
	event(V6, "::ffff:10.0.0.2", "::ffff:10.0.0.1", 4);
	event(V6, "fe80::1", "fe80::2", 0);	/* a reply without a socket */
	event(V6_SHORT, "fd00::1", "fd00::2", 5);
	return 0;
}
