/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-namespace counters, shown in /proc/net/vtcp_stats (stats.c).
 */
#ifndef _VTCP_STATS_H
#define _VTCP_STATS_H

#include "vtcp.h"

int vtcp_stats_net_init(struct net *net);
void vtcp_stats_net_exit(struct net *net);
const char *vtcp_stat_name(int mib);
u64 vtcp_stat_read(struct net *net, int mib);
void vtcp_stats_reset(struct net *net);
void vtcp_count_timeout_retrans(struct sock *sk, const struct sk_buff *skb);

#endif /* _VTCP_STATS_H */
