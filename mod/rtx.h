/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The retransmit queue, by sequence and by send time (rtx.c).
 */
#ifndef _VTCP_RTX_H
#define _VTCP_RTX_H

#include "vtcp.h"

void vtcp_rtx_init(struct sock *sk);
void vtcp_rtx_sent(struct sock *sk, struct sk_buff *skb);
void vtcp_rtx_insert_after(struct sock *sk, struct sk_buff *skb,
			   struct sk_buff *rest);
struct sk_buff *vtcp_rtx_find(const struct sock *sk, u32 seq);
void vtcp_rtx_unlink(struct sock *sk, struct sk_buff *skb);
void vtcp_rtx_purge(struct sock *sk);
void vtcp_rtx_leave_flight(struct sk_buff *skb);
void vtcp_rtx_rejoin_flight(struct sock *sk, struct sk_buff *skb);
struct sk_buff *vtcp_tsorted_skb(struct list_head *node);

/* The first segment never sent, or NULL. */
static inline struct sk_buff *vtcp_send_head(const struct sock *sk)
{
	return skb_peek(&sk->sk_write_queue);
}

/* The oldest segment in flight (at snd_una), or NULL. */
static inline struct sk_buff *vtcp_rtx_head(const struct sock *sk)
{
	return skb_rb_first(&vtcp_sk(sk)->rtx_queue);
}

/* The last segment sent, or NULL. */
static inline struct sk_buff *vtcp_rtx_tail(const struct sock *sk)
{
	return skb_rb_last(&vtcp_sk(sk)->rtx_queue);
}

/* Nothing sent unacknowledged, nothing waiting to be sent. */
static inline bool vtcp_queues_empty(const struct sock *sk)
{
	return !vtcp_rtx_head(sk) && !vtcp_send_head(sk);
}

#endif /* _VTCP_RTX_H */
