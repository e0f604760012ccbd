/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Segments to IP (output.c).
 */
#ifndef _VTCP_OUTPUT_H
#define _VTCP_OUTPUT_H

#include "vtcp.h"

extern const struct vtcp_af_ops vtcp_ipv4_ops;

struct vtcp_opts;
int vtcp_queue_ctl(struct sock *sk, u8 flags);
struct sk_buff *vtcp_alloc_queued_skb(gfp_t gfp);
void vtcp_queue_data(struct sock *sk, struct sk_buff *skb);
void vtcp_push(struct sock *sk);
int vtcp_retransmit_head(struct sock *sk);
int vtcp_transmit_queued(struct sock *sk, struct sk_buff *skb);
int vtcp_split_segment(struct sock *sk, struct sk_buff *skb, u32 len);
bool vtcp_window_blocks(const struct sock *sk);
void vtcp_probe_window(struct sock *sk);
u32 vtcp_ts_clock(void);
u32 vtcp_ts_now(const struct sock *sk);
u32 vtcp_ts_offset(const struct in6_addr *saddr, const struct in6_addr *daddr,
		   __be16 sport, __be16 dport);
void vtcp_skb_addrs(const struct sk_buff *skb, struct in6_addr *saddr,
		    struct in6_addr *daddr);
u32 vtcp_window_room(const struct sock *sk);
void vtcp_send_ack(struct sock *sk);
void vtcp_send_active_reset(struct sock *sk);
void vtcp_send_probe(struct sock *sk);
void vtcp_send_reply(struct net *net, const struct sk_buff *in, u8 flags,
		     u32 seq, u32 ack, u16 win);
void vtcp_send_reset_for(struct net *net, const struct sk_buff *in);
int vtcp_send_synack(struct sock *sk, const struct sk_buff *syn, u32 isn,
		     u16 win, struct vtcp_opts *opts);
void vtcp_init_sequence(struct sock *sk, u32 iss);
int vtcp_output_net_init(struct net *net);
void vtcp_output_net_exit(struct net *net);

/* A reply that no socket sends: its route, from the segment it answers. */
struct vtcp_reply {
	struct flowi fl;
	struct dst_entry *dst;
};

#endif /* _VTCP_OUTPUT_H */
