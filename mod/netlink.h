/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink family, its counters and events (netlink.c).
 */
#ifndef _VTCP_NETLINK_H
#define _VTCP_NETLINK_H

#include "vtcp.h"

int vtcp_genl_init(void);
void vtcp_genl_exit(void);
void vtcp_event_state(struct sock *sk, int old, int new, int ev);
void vtcp_event_timer(struct sock *sk, enum vtcp_timer t);
void vtcp_event_seg_in(struct sock *sk, const struct sk_buff *skb);
void vtcp_event_seg_out(struct sock *sk, const struct sk_buff *skb);
void vtcp_event_pmtu(struct sock *sk);
void vtcp_event_reply(struct net *net, const struct sk_buff *skb,
		      const struct sk_buff *in);

#endif /* _VTCP_NETLINK_H */
