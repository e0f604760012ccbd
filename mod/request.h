/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Passive open (request.c).
 */
#ifndef _VTCP_REQUEST_H
#define _VTCP_REQUEST_H

#include "vtcp.h"

void vtcp_init_from_syn(struct sock *sk, const struct sk_buff *skb);
int vtcp_listen_rcv_syn(struct sock *sk, struct sk_buff *skb);
int vtcp_listen_rcv_cookie(struct sock *sk, struct sk_buff *skb);
void vtcp_child_established(struct sock *child);
bool vtcp_child_defers(const struct sock *child, const struct sk_buff *skb);
void vtcp_child_wait_for_data(struct sock *child);
unsigned int vtcp_child_synack_retries(const struct sock *child);
bool vtcp_child_synack_waits(const struct sock *child);
void vtcp_child_drop_req(struct sock *child);
void vtcp_abort_children(struct sock *listener);
extern struct request_sock_ops vtcp_request_sock_ops;
extern struct request_sock_ops vtcp6_request_sock_ops;

#endif /* _VTCP_REQUEST_H */
