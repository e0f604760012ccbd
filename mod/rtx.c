// SPDX-License-Identifier: GPL-2.0
/*
 * The retransmit queue: segments sent and not yet acknowledged, kept in
 * an rbtree by sequence number as TCP keeps tcp_rtx_queue, so that an ACK
 * or a SACK block finds its segment in O(log n) however much is in
 * flight. A receiver that SACKs scattered single bytes then costs the
 * sender the segments each block touches, not a walk of the queue.
 *
 * Those still in flight (neither SACKed nor waiting to be resent) are also
 * on a list by the time they last went out, oldest first (TCP's
 * tsorted_sent_queue): RACK stops at the first one sent after the segment
 * it measures, so it looks only at what may be lost.
 *
 * Unsent segments wait on sk_write_queue; the first transmit moves each
 * here. An skb's rbnode shares its memory with next, prev and dev.
 */
#include <net/tcp.h>

#include "vtcp.h"
#include "memory.h"
#include "rtx.h"

/**
 * vtcp_rtx_init() - an empty retransmit queue
 * @sk: the socket
 *
 * Context: @sk locked, or not yet visible to others.
 */
void vtcp_rtx_init(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	BUILD_BUG_ON(sizeof(struct vtcp_skb_cb) > sizeof_field(struct sk_buff, cb));
	vsk->rtx_queue = RB_ROOT;
	INIT_LIST_HEAD(&vsk->tsorted);
}

/**
 * vtcp_tsorted_skb() - the segment of an entry of the send-time list
 * @node: its tsorted node, in its control block
 *
 * Context: any context.
 * Return: the segment.
 */
struct sk_buff *vtcp_tsorted_skb(struct list_head *node)
{
	return (struct sk_buff *)((char *)node -
				  offsetof(struct vtcp_skb_cb, tsorted) -
				  offsetof(struct sk_buff, cb));
}

static void link_at(struct sock *sk, struct sk_buff *skb,
		    struct rb_node *parent, struct rb_node **link)
{
	rb_link_node(&skb->rbnode, parent, link);
	rb_insert_color(&skb->rbnode, &vtcp_sk(sk)->rtx_queue);
}

/* The newest segment sent: it goes last, being the highest in sequence. */
static void insert_last(struct sock *sk, struct sk_buff *skb)
{
	struct rb_node **link = &vtcp_sk(sk)->rtx_queue.rb_node;
	struct rb_node *parent = NULL;

	while (*link) {
		parent = *link;
		link = &parent->rb_right;
	}
	link_at(sk, skb, parent, link);
}

/**
 * vtcp_rtx_sent() - a segment went out: the most recently sent in flight
 * @sk: the socket
 * @skb: the segment, for the first time (it leaves the write queue) or again
 *
 * Context: @sk locked.
 */
void vtcp_rtx_sent(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	if (!cb->on_rtx) {
		__skb_unlink(skb, &sk->sk_write_queue);
		insert_last(sk, skb);
		INIT_LIST_HEAD(&cb->tsorted);
		cb->on_rtx = 1;
	}
	list_move_tail(&cb->tsorted, &vtcp_sk(sk)->tsorted);
}

/**
 * vtcp_rtx_insert_after() - put a split-off segment after its first part
 * @sk: the socket
 * @skb: a segment of the retransmit queue
 * @rest: split off its end; it follows @skb in both orders
 *
 * Context: @sk locked.
 */
void vtcp_rtx_insert_after(struct sock *sk, struct sk_buff *skb,
			   struct sk_buff *rest)
{
	struct rb_node *node = &skb->rbnode;
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	if (node->rb_right) {
		node = node->rb_right;
		while (node->rb_left)
			node = node->rb_left;
		link_at(sk, rest, node, &node->rb_left);
	} else {
		link_at(sk, rest, node, &node->rb_right);
	}
	if (list_empty(&cb->tsorted))
		INIT_LIST_HEAD(&VTCP_SKB_CB(rest)->tsorted);
	else
		list_add(&VTCP_SKB_CB(rest)->tsorted, &cb->tsorted);
}

/**
 * vtcp_rtx_find() - look up a sequence number in the retransmit queue
 * @sk: the socket
 * @seq: the sequence number
 *
 * Context: @sk locked.
 * Return: the first segment sent that ends after @seq, or NULL.
 */
struct sk_buff *vtcp_rtx_find(const struct sock *sk, u32 seq)
{
	struct rb_node *node = vtcp_sk(sk)->rtx_queue.rb_node;
	struct sk_buff *found = NULL;

	while (node) {
		struct sk_buff *skb = rb_to_skb(node);

		if (seq_after(VTCP_SKB_CB(skb)->end_seq, seq)) {
			found = skb;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return found;
}

/**
 * vtcp_rtx_leave_flight() - a segment is no longer in flight until resent
 * @skb: a segment of the retransmit queue, SACKed or deemed lost
 *
 * Context: its socket locked.
 */
void vtcp_rtx_leave_flight(struct sk_buff *skb)
{
	list_del_init(&VTCP_SKB_CB(skb)->tsorted);
}

/**
 * vtcp_rtx_rejoin_flight() - a segment is in flight again without being
 * resent
 * @sk: the socket
 * @skb: the segment (a loss undone)
 *
 * Back in its place by the time it went, found from the oldest end, where
 * such segments belong.
 *
 * Context: @sk locked.
 */
void vtcp_rtx_rejoin_flight(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	struct list_head *pos;

	if (!list_empty(&cb->tsorted))
		return;
	list_for_each(pos, &vtcp_sk(sk)->tsorted)
		if (VTCP_SKB_CB(vtcp_tsorted_skb(pos))->sent_ns > cb->sent_ns)
			break;
	list_add_tail(&cb->tsorted, pos);
}

/**
 * vtcp_rtx_unlink() - take a segment off the retransmit queue
 * @sk: the socket
 * @skb: the segment: acknowledged, or the socket is done
 *
 * Context: @sk locked.
 */
void vtcp_rtx_unlink(struct sock *sk, struct sk_buff *skb)
{
	list_del(&VTCP_SKB_CB(skb)->tsorted);
	rb_erase(&skb->rbnode, &vtcp_sk(sk)->rtx_queue);
	skb->dev = NULL;	/* it shared rbnode's memory */
}

/**
 * vtcp_rtx_purge() - free the whole retransmit queue
 * @sk: the socket, done
 *
 * Context: @sk locked.
 */
void vtcp_rtx_purge(struct sock *sk)
{
	struct sk_buff *skb;

	while ((skb = vtcp_rtx_head(sk))) {
		vtcp_rtx_unlink(sk, skb);
		vtcp_uncharge_write(sk, skb);
		kfree_skb(skb);
	}
}
