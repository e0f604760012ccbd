// SPDX-License-Identifier: GPL-2.0
/*
 * CUBIC (RFC 9438): after a loss the window follows a cubic function of
 * the time since, plateauing near the size it had when the loss came, and
 * never grows slower than Reno would (its "Reno-friendly" estimate).
 * Windows are in bytes here, the function in segments and milliseconds.
 */
#include <linux/math64.h>

#include "vtcp.h"
#include "cong.h"

#define CUBIC_BETA	717		/* 0.7, in 1024ths */
#define CUBIC_C_DIV	(5ULL * 1000 * 1000 * 1000 / 2)	/* 1/C = 2.5, ms^3 */

struct cubic {
	u64 epoch_ns;		/* start of this growth period; 0: none */
	u32 w_max;		/* window before the last reduction */
	u32 w_last_max;		/* the one before, for fast convergence */
	u32 w_est;		/* what Reno would have by now */
	u32 k_ms;		/* time to climb back to w_max */
};

static struct cubic *cubic_of(struct sock *sk)
{
	BUILD_BUG_ON(sizeof(struct cubic) > sizeof(vtcp_sk(sk)->cc_priv));
	return (struct cubic *)vtcp_sk(sk)->cc_priv;
}

static u32 cube_root(u64 x)
{
	u32 lo = 0, hi = 2097152;	/* 2^21: its cube exceeds 2^63 */

	while (lo < hi) {
		u32 mid = lo + (hi - lo + 1) / 2;

		if ((u64)mid * mid * mid <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* RFC 9438 4.6, with fast convergence (4.7). */
static void cubic_on_loss(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct cubic *c = cubic_of(sk);

	if (vsk->cwnd < c->w_last_max)
		c->w_max = (u32)((u64)vsk->cwnd * (1024 + CUBIC_BETA) / 2048);
	else
		c->w_max = vsk->cwnd;
	c->w_last_max = vsk->cwnd;
	c->epoch_ns = 0;
}

static u32 cubic_ssthresh(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	return max_t(u32, (u64)vsk->cwnd * CUBIC_BETA / 1024, 2U * vsk->mss);
}

static void start_epoch(struct sock *sk, u64 now)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct cubic *c = cubic_of(sk);
	u32 gap;

	c->epoch_ns = now;
	c->w_est = vsk->cwnd;
	if (c->w_max <= vsk->cwnd) {
		c->w_max = vsk->cwnd;
		c->k_ms = 0;
		return;
	}
	gap = (c->w_max - vsk->cwnd) / vsk->mss;	/* segments */
	c->k_ms = cube_root((u64)gap * CUBIC_C_DIV);
}

/* W_cubic(t) of RFC 9438 4.2, in bytes, for @t_ms since the epoch. */
static u32 cubic_target(struct sock *sk, u64 t_ms)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct cubic *c = cubic_of(sk);
	s64 d = clamp_t(s64, (s64)t_ms - c->k_ms, -2000000, 2000000);
	s64 segs = div64_s64(d * d * d, (s64)CUBIC_C_DIV);
	s64 w = (s64)c->w_max + segs * vsk->mss;

	return clamp_t(s64, w, 2 * vsk->mss, U32_MAX / 2);
}

static void cubic_cong_avoid(struct sock *sk, u32 acked)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct cubic *c = cubic_of(sk);
	u64 now = ktime_get_ns();
	u32 target, grow;

	if (vsk->cwnd < vsk->ssthresh) {
		acked = vtcp_slow_start(sk, acked);
		if (!acked)
			return;
	}
	if (!c->epoch_ns)
		start_epoch(sk, now);
	target = cubic_target(sk, div_u64(now - c->epoch_ns, NSEC_PER_MSEC) +
				  vsk->min_rtt_us / 1000);
	if (target > vsk->cwnd)
		grow = min_t(u64, (u64)(target - vsk->cwnd) * acked / vsk->cwnd,
			     acked / 2);
	else
		grow = (u64)vsk->mss * acked / (100ULL * vsk->cwnd);
	/* Reno-friendly: alpha = 3 (1 - beta) / (1 + beta) = 0.53. */
	c->w_est += max_t(u32, (u64)vsk->mss * acked * 542 / 1024 / vsk->cwnd, 1);
	if (c->w_est > vsk->cwnd + grow)
		grow = c->w_est - vsk->cwnd;
	vsk->cwnd += max_t(u32, grow, 1);
}

struct vtcp_cong_ops vtcp_cubic = {
	.name		= "cubic",
	.ssthresh	= cubic_ssthresh,
	.cong_avoid	= cubic_cong_avoid,
	.on_loss	= cubic_on_loss,
};
