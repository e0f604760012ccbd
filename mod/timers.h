/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-socket timers and RTO estimation (timers.c).
 */
#ifndef _VTCP_TIMERS_H
#define _VTCP_TIMERS_H

#include <net/tcp.h>

#include "vtcp.h"

void vtcp_init_timers(struct sock *sk);
void vtcp_arm_timer(struct sock *sk, enum vtcp_timer t, u64 ns);
void vtcp_clear_timer(struct sock *sk, enum vtcp_timer t);
void vtcp_stop_timer(struct sock *sk, enum vtcp_timer t);
void vtcp_stop_timers(struct sock *sk);
bool vtcp_timer_pending(const struct sock *sk, enum vtcp_timer t);
u64 vtcp_timer_remaining_ns(const struct sock *sk, enum vtcp_timer t);
void vtcp_arm_rtx(struct sock *sk);
void vtcp_arm_keepalive(struct sock *sk);
void vtcp_arm_keepalive_idle(struct sock *sk);
void vtcp_release_cb(struct sock *sk);
void vtcp_rtt_sample(struct sock *sk, u32 rtt_us);

/* Keepalive defaults, TCP's (tcp(7)). */
#define VTCP_KEEPIDLE_DEFAULT_MS	VTCP_JIFFIES_MS(TCP_KEEPALIVE_TIME)
#define VTCP_KEEPINTVL_DEFAULT_MS	VTCP_JIFFIES_MS(TCP_KEEPALIVE_INTVL)
#define VTCP_KEEPCNT_DEFAULT		TCP_KEEPALIVE_PROBES

/*
 * The most times an RTO doubles: from the smallest, more than any
 * rto_max_ms (an hour at most), and no overflow of its nanoseconds.
 */
#define VTCP_BACKOFF_MAX		20

#endif /* _VTCP_TIMERS_H */
