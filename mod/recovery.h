/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loss detection and recovery (recovery.c).
 */
#ifndef _VTCP_RECOVERY_H
#define _VTCP_RECOVERY_H

#include "vtcp.h"

struct vtcp_opts;
u32 vtcp_in_flight(const struct sock *sk);
void vtcp_forget_acked(struct sock *sk, struct sk_buff *skb, bool first);
void vtcp_ack_no_progress(struct sock *sk, const struct vtcp_opts *o,
			  bool dupack);
void vtcp_note_cwnd_use(struct sock *sk);
void vtcp_ack_progress(struct sock *sk, const struct sk_buff *skb,
		       const struct vtcp_opts *o, u32 acked);
void vtcp_retransmit_lost(struct sock *sk);
void vtcp_enter_loss(struct sock *sk);
void vtcp_resend_oversized(struct sock *sk);
void vtcp_reo_timeout(struct sock *sk);
void vtcp_tlp_timeout(struct sock *sk);
u64 vtcp_probe_timeout_ns(const struct sock *sk);

#endif /* _VTCP_RECOVERY_H */
