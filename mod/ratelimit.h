/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Answers to segments we drop (ratelimit.c).
 */
#ifndef _VTCP_RATELIMIT_H
#define _VTCP_RATELIMIT_H

#include "vtcp.h"

bool vtcp_oow_rate_limited(struct net *net, const struct sk_buff *skb,
			   enum vtcp_mib skipped, u32 *last);
void vtcp_challenge_ack(struct sock *sk);

#endif /* _VTCP_RATELIMIT_H */
