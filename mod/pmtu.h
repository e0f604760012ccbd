/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Path MTU discovery (RFC 1191, RFC 4821) and the MSS (pmtu.c).
 */
#ifndef _VTCP_PMTU_H
#define _VTCP_PMTU_H

#include "vtcp.h"

#define VTCP_DEFER_MTU	VTCP_NR_TIMERS	/* bit in vtcp_sock.deferred */

/*
 * The smallest MSS we take from a peer or a route, and the floor of a
 * black hole search: one floor for both, where TCP has two, the
 * TCP_MIN_SND_MSS (48) that a peer may ask and the TCP_MIN_MSS (88) that
 * its own probing goes down to.
 */
#define VTCP_MIN_MSS	64
void vtcp_mtup_init(struct sock *sk);
void vtcp_sync_mss(struct sock *sk, u32 pmtu);
void vtcp_check_pmtu(struct sock *sk);
void vtcp_mtu_reduced(struct sock *sk);
void vtcp_mtu_black_hole(struct sock *sk);
u32 vtcp_mtu_probe_size(const struct sock *sk);
void vtcp_mtu_probe_sent(struct sock *sk, u32 size);
void vtcp_mtu_probe_acked(struct sock *sk);
void vtcp_mtu_probe_lost(struct sock *sk, struct sk_buff *skb);

#endif /* _VTCP_PMTU_H */
