// SPDX-License-Identifier: GPL-2.0
/*
 * NewReno (RFC 5681 and RFC 6582): halve on loss, one segment per round
 * trip in congestion avoidance. Recovery itself is in recovery.c.
 */
#include "vtcp.h"
#include "cong.h"

/**
 * vtcp_reno_ssthresh() - the slow start threshold after a loss, RFC 5681's
 * @sk: the socket
 *
 * Context: @sk locked.
 * Return: half the data in flight, two segments at least.
 */
u32 vtcp_reno_ssthresh(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	return max((vsk->snd_nxt - vsk->snd_una) / 2, 2U * vsk->mss);
}

/* Congestion avoidance by bytes acked (RFC 3465): cwnd grows by one MSS per cwnd. */
static void newreno_cong_avoid(struct sock *sk, u32 acked)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	if (vsk->cwnd < vsk->ssthresh)
		acked = vtcp_slow_start(sk, acked);
	if (acked)
		vsk->cwnd += max_t(u32, (u64)vsk->mss * acked / vsk->cwnd, 1);
}

struct vtcp_cong_ops vtcp_newreno = {
	.name		= "newreno",
	.ssthresh	= vtcp_reno_ssthresh,
	.cong_avoid	= newreno_cong_avoid,
};
