// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control (mod/cong.c, newreno.c, cubic.c) against the RFCs'
 * own formulas, computed here in floating point: RFC 5681's slow start,
 * congestion avoidance and ssthresh, and RFC 9438's W_cubic(t), K, beta,
 * fast convergence and Reno-friendly region.
 */
#include <math.h>

#include "ktap.h"
#include "../mod/cubic.c"

#define MSS	1460

static struct net net;
static struct vtcp_sock vsk;
static struct sock *const sk = (struct sock *)&vsk;

static void new_conn(struct vtcp_cong_ops *cc, u32 cwnd, u32 ssthresh)
{
	memset(&vsk, 0, sizeof(vsk));
	sk->sk_net = &net;
	vsk.cc = cc;
	vsk.mss = MSS;
	vsk.cwnd = cwnd;
	vsk.ssthresh = ssthresh;
	mock_ns = NSEC_PER_SEC;	/* ktime is never 0 */
	if (cc->init)
		cc->init(sk);
}

/* One round trip: @rtt_ms pass, then a window's worth of ACKs, MSS each. */
static void round_trip(u32 rtt_ms)
{
	u32 acks = vsk.cwnd / MSS, i;

	mock_ns += rtt_ms * NSEC_PER_MSEC;
	for (i = 0; i < acks; i++)
		vsk.cc->cong_avoid(sk, MSS);
}

/* RFC 5681 3.1: in slow start cwnd grows by what is acked, to ssthresh. */
TEST(newreno_slow_start)
{
	new_conn(&vtcp_newreno, 10 * MSS, 64 * MSS);
	vtcp_newreno.cong_avoid(sk, MSS);
	EXPECT_EQ(vsk.cwnd, 11 * MSS);
	vtcp_newreno.cong_avoid(sk, 3 * MSS);	/* one ACK of three (RFC 3465) */
	EXPECT_EQ(vsk.cwnd, 14 * MSS);
	round_trip(100);
	EXPECT_EQ(vsk.cwnd, 28 * MSS);		/* doubles each round trip */
	round_trip(100);
	round_trip(100);			/* left slow start at ssthresh */
	EXPECT_GE(vsk.cwnd, 64 * MSS);
	EXPECT_LT(vsk.cwnd, 66 * MSS);
}

/* Slow start ends at ssthresh mid-ACK: the rest counts as avoidance. */
TEST(newreno_crosses_ssthresh)
{
	new_conn(&vtcp_newreno, 100000 - 500, 100000);
	vtcp_newreno.cong_avoid(sk, 1000);
	EXPECT_EQ(vsk.cwnd, 100000 + MSS * 500 / 100000);
}

/* RFC 5681 eq. 3: cwnd += SMSS*SMSS/cwnd per ACK; about an SMSS per RTT. */
TEST(newreno_congestion_avoidance)
{
	double ref = 20 * MSS;
	int rtt, i;

	new_conn(&vtcp_newreno, 20 * MSS, 10 * MSS);
	vtcp_newreno.cong_avoid(sk, MSS);
	EXPECT_EQ(vsk.cwnd, 20 * MSS + MSS / 20);
	new_conn(&vtcp_newreno, 20 * MSS, 10 * MSS);
	for (rtt = 0; rtt < 50; rtt++) {
		u32 acks = vsk.cwnd / MSS;

		for (i = 0; i < (int)acks; i++)
			ref += (double)MSS * MSS / ref;
		round_trip(100);
	}
	/* Each ACK's share truncated to whole bytes: within an SMSS. */
	EXPECT_NEAR(vsk.cwnd, ref, MSS);
	/* 50 round trips, about 50 SMSS more. */
	EXPECT_NEAR(vsk.cwnd, 70 * MSS, 2 * MSS);
}

/* RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS). */
TEST(newreno_ssthresh)
{
	new_conn(&vtcp_newreno, 40 * MSS, 64 * MSS);
	vsk.snd_una = 0xfffff000;
	vsk.snd_nxt = vsk.snd_una + 30 * MSS;	/* across the wrap */
	EXPECT_EQ(vtcp_newreno.ssthresh(sk), 15 * MSS);
	vsk.snd_nxt = vsk.snd_una + 3 * MSS;
	EXPECT_EQ(vtcp_newreno.ssthresh(sk), 2 * MSS);
}

TEST(cube_root)
{
	u64 x;

	EXPECT_EQ(cube_root(0), 0);
	EXPECT_EQ(cube_root(1), 1);
	EXPECT_EQ(cube_root(7), 1);
	EXPECT_EQ(cube_root(8), 2);
	EXPECT_EQ(cube_root(999999999999ULL), 9999);
	EXPECT_EQ(cube_root(1000000000000ULL), 10000);
	for (x = 3; x < (1ULL << 62); x = x * 3 + 1) {
		u64 r = cube_root(x);

		if (r * r * r > x || (r + 1) * (r + 1) * (r + 1) <= x)
			UNIT_FAIL("cube_root(%llu) = %llu",
				  (unsigned long long)x, (unsigned long long)r);
	}
}

/* RFC 9438 4.6: beta_cubic = 0.7; never under two segments. */
TEST(cubic_ssthresh)
{
	new_conn(&vtcp_cubic, 100 * MSS, 200 * MSS);
	EXPECT_NEAR(vtcp_cubic.ssthresh(sk), 0.7 * 100 * MSS, 100 * MSS / 1000);
	vsk.cwnd = 2 * MSS;
	EXPECT_EQ(vtcp_cubic.ssthresh(sk), 2 * MSS);
}

/* RFC 9438 4.2: K = cbrt((W_max - cwnd_epoch) / C), C = 0.4, in seconds. */
TEST(cubic_k)
{
	static const u32 w_max[] = { 10, 100, 1000, 10000 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(w_max); i++) {
		u32 epoch = w_max[i] * 7 / 10;
		double k = cbrt((w_max[i] - epoch) / 0.4);

		new_conn(&vtcp_cubic, epoch * MSS, epoch * MSS);
		cubic_of(sk)->w_max = w_max[i] * MSS;
		start_epoch(sk, mock_ns);
		EXPECT_NEAR(cubic_of(sk)->k_ms, k * 1000, 1);
	}
	/* W_max = 100 segments, cut to 70: K = cbrt(75) = 4.2172 s. */
	new_conn(&vtcp_cubic, 70 * MSS, 70 * MSS);
	cubic_of(sk)->w_max = 100 * MSS;
	start_epoch(sk, mock_ns);
	EXPECT_EQ(cubic_of(sk)->k_ms, 4217);
	EXPECT_EQ(cubic_of(sk)->epoch_ns, mock_ns);
	/* At or above W_max: no wait, K = 0. */
	new_conn(&vtcp_cubic, 120 * MSS, 70 * MSS);
	cubic_of(sk)->w_max = 100 * MSS;
	start_epoch(sk, mock_ns);
	EXPECT_EQ(cubic_of(sk)->k_ms, 0);
	EXPECT_EQ(cubic_of(sk)->w_max, 120 * MSS);
}

/* RFC 9438 eq. 1: W_cubic(t) = C (t - K)^3 + W_max, whole segments. */
TEST(cubic_w_cubic)
{
	static const int t_ms[] = { 0, 1000, 2000, 4000, 4217, 5000, 6217,
				    8000, 10000, 20000 };
	unsigned int i;
	double k = cbrt(30 / 0.4);

	new_conn(&vtcp_cubic, 70 * MSS, 70 * MSS);
	cubic_of(sk)->w_max = 100 * MSS;
	start_epoch(sk, mock_ns);
	for (i = 0; i < ARRAY_SIZE(t_ms); i++) {
		double t = t_ms[i] / 1000.0;
		double w = 0.4 * (t - k) * (t - k) * (t - k) + 100;

		EXPECT_NEAR(cubic_target(sk, t_ms[i]), w * MSS, MSS);
	}
	/* From cwnd_epoch (a segment's rounding, toward W_max). */
	EXPECT_NEAR(cubic_target(sk, 0), 70 * MSS, MSS);
	EXPECT_EQ(cubic_target(sk, cubic_of(sk)->k_ms), 100 * MSS); /* W_max at K */
	EXPECT_EQ(cubic_target(sk, 1000000000), U32_MAX / 2);	/* bounded */
}

/* RFC 9438 4.7: a loss below the last W_max remembers W_max (1+beta)/2. */
TEST(cubic_fast_convergence)
{
	new_conn(&vtcp_cubic, 100 * MSS, 100 * MSS);
	vtcp_cubic.on_loss(sk);
	EXPECT_EQ(cubic_of(sk)->w_max, 100 * MSS);
	vsk.cwnd = 80 * MSS;
	vtcp_cubic.on_loss(sk);
	EXPECT_NEAR(cubic_of(sk)->w_max, 80 * MSS * 1.7 / 2, 80 * MSS / 1000);
	vsk.cwnd = 90 * MSS;			/* above the last: no convergence */
	vtcp_cubic.on_loss(sk);
	EXPECT_EQ(cubic_of(sk)->w_max, 90 * MSS);
	EXPECT_EQ(cubic_of(sk)->epoch_ns, 0);
}

/*
 * After a loss at 100 segments (cwnd 70, RTT 100 ms): concave up to W_max
 * at K = 4.22 s, never above W_cubic(t + RTT) (RFC 9438 4.4), a plateau
 * there, then convex beyond it (4.5).
 */
TEST(cubic_window_after_loss)
{
	double k = cbrt(30 / 0.4);
	int rtt, over = 0;

	new_conn(&vtcp_cubic, 100 * MSS, 100 * MSS);
	vtcp_cubic.on_loss(sk);
	vsk.ssthresh = vtcp_cubic.ssthresh(sk);
	vsk.cwnd = vsk.ssthresh;
	vsk.min_rtt_us = 100000;
	for (rtt = 1; rtt <= 80; rtt++) {
		double t = rtt / 10.0, w;

		round_trip(100);
		w = 0.4 * (t + 0.1 - k) * (t + 0.1 - k) * (t + 0.1 - k) + 100;
		if (vsk.cwnd > w * MSS + MSS && over++ < 3)
			UNIT_FAIL("t %.1f s: cwnd %.2f segments over W_cubic %.2f",
				  t, (double)vsk.cwnd / MSS, w);
		if (rtt == 42)
			EXPECT_NEAR(vsk.cwnd, 100 * MSS, 3 * MSS);
		if (rtt == 80)
			EXPECT_NEAR(vsk.cwnd, w * MSS, 3 * MSS);
	}
}

/*
 * RFC 9438 4.3: where Reno would do better (W_max small, K near 0), CUBIC
 * grows as Reno with alpha_cubic = 3 (1 - beta) / (1 + beta) = 0.53
 * segments per round trip.
 */
TEST(cubic_reno_friendly)
{
	int rtt;

	new_conn(&vtcp_cubic, 10 * MSS, 10 * MSS);
	vsk.min_rtt_us = 100000;
	for (rtt = 0; rtt < 20; rtt++)
		round_trip(100);
	/* W_cubic would be 10 + 0.4 * 2.1^3 = 13.7; Reno's 10 + 20 * 0.53. */
	EXPECT_NEAR(vsk.cwnd, (10 + 20 * 0.529) * MSS, MSS);
}

/* Registration by name, the default, and the fallback. */
TEST(cong_by_name)
{
	static struct vtcp_cong_ops bad = { .name = "bad" };

	ASSERT_EQ(vtcp_cong_init(), 0);
	EXPECT_TRUE(vtcp_cong_exists("cubic"));
	EXPECT_TRUE(vtcp_cong_exists("newreno"));
	EXPECT_FALSE(vtcp_cong_exists("bbr"));
	EXPECT_EQ(vtcp_cong_register(&vtcp_cubic), -EEXIST);
	EXPECT_EQ(vtcp_cong_register(&bad), -EINVAL);
	new_conn(&vtcp_newreno, MSS, MSS);
	EXPECT_EQ(vtcp_cong_set(sk, "bbr"), -ENOENT);
	EXPECT_EQ(vtcp_cong_set(sk, "cubic"), 0);
	EXPECT_TRUE(vsk.cc == &vtcp_cubic);
	vsk.cc = NULL;
	vtcp_cong_init_sock(sk);		/* the namespace's: cubic */
	EXPECT_TRUE(vsk.cc == &vtcp_cubic);
	vsk.cc = NULL;
	snprintf(mock_vtcp_net_sysctl()->congestion_control,
		 sizeof(mock_vtcp_net_sysctl()->congestion_control), "gone");
	vtcp_cong_init_sock(sk);
	EXPECT_TRUE(vsk.cc == &vtcp_newreno);
	vtcp_cong_exit();
	EXPECT_FALSE(vtcp_cong_exists("cubic"));
}
