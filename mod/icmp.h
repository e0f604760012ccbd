/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ICMP errors about our segments (icmp.c).
 */
#ifndef _VTCP_ICMP_H
#define _VTCP_ICMP_H

#include "vtcp.h"

int vtcp_err(struct sk_buff *skb, u32 info);

/* What an ICMP or ICMPv6 error asks of a connection. */
enum vtcp_icmp_action {
	VTCP_ICMP_IGNORE,
	VTCP_ICMP_PMTU,		/* fragmentation needed, packet too big */
	VTCP_ICMP_REDIRECT,
	VTCP_ICMP_ERROR,	/* report err, hard if fatal */
};

struct vtcp_icmp {
	enum vtcp_icmp_action action;
	int err;		/* positive errno, for VTCP_ICMP_ERROR */
	bool fatal;
	u32 info;		/* the MTU, for VTCP_ICMP_PMTU */
};

int vtcp_icmp_deliver(struct sock *sk, struct sk_buff *skb,
		      const struct tcphdr *th, const struct vtcp_icmp *e);

#endif /* _VTCP_ICMP_H */
