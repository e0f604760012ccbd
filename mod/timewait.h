/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TIME-WAIT (timewait.c).
 */
#ifndef _VTCP_TIMEWAIT_H
#define _VTCP_TIMEWAIT_H

#include "vtcp.h"

void vtcp_enter_timewait(struct sock *sk);
int vtcp_tw_reack(struct vtcp_tw_sock *vtw, struct sk_buff *skb);
int vtcp_tw_ack(struct vtcp_tw_sock *vtw, struct sk_buff *skb);
int vtcp_tw_kill(struct vtcp_tw_sock *vtw, struct sk_buff *skb);
int vtcp_tw_reopen(struct vtcp_tw_sock *vtw, struct sk_buff *skb);
struct sock *vtcp_tw_rcv(struct inet_timewait_sock *tw, struct sk_buff *skb,
			 int sdif);
void vtcp_tw_net_init(struct net *net);
void vtcp_tw_net_exit(struct net *net);
u32 vtcp_tw_remaining_ms(const struct inet_timewait_sock *tw);
extern struct timewait_sock_ops vtcp_timewait_sock_ops;
extern struct timewait_sock_ops vtcp6_timewait_sock_ops;

#endif /* _VTCP_TIMEWAIT_H */
