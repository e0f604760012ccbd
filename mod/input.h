/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Segments from IP (input.c).
 */
#ifndef _VTCP_INPUT_H
#define _VTCP_INPUT_H

#include "vtcp.h"

int vtcp_rcv(struct sk_buff *skb);
int vtcp_do_rcv(struct sock *sk, struct sk_buff *skb);
bool vtcp_rcv_checks(struct sk_buff *skb, struct net *net);
int vtcp_rcv_segment(struct net *net, struct sk_buff *skb, struct sock *sk,
		     bool refcounted);
void vtcp_rcv_no_socket(struct net *net, struct sk_buff *skb);

#endif /* _VTCP_INPUT_H */
