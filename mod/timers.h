/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-socket timers and RTO estimation (timers.c).
 */
#ifndef _VTCP_TIMERS_H
#define _VTCP_TIMERS_H

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

/* Keepalive defaults, as TCP's (tcp(7)). */
#define VTCP_KEEPIDLE_DEFAULT_MS	(7200 * 1000)
#define VTCP_KEEPINTVL_DEFAULT_MS	(75 * 1000)
#define VTCP_KEEPCNT_DEFAULT		9

#endif /* _VTCP_TIMERS_H */
