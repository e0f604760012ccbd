// SPDX-License-Identifier: GPL-2.0
/*
 * How often a segment we drop may make us answer.
 *
 * An answer to a segment that is not acceptable (out of the window, an
 * old timestamp, an ACK of data never sent, a stray segment in TIME-WAIT)
 * is what a blind attacker fishes for, and two ends that each find the
 * other's ACKs unacceptable can bounce them forever. So such answers go
 * out at most once per invalid_ratelimit_ms per connection, as TCP's do
 * (tcp_invalid_ratelimit). Segments that carry data are exempt: they are
 * no ACK loop, and a peer's spurious retransmission deserves its DSACK.
 *
 * Challenge ACKs (RFC 5961) pass the same per-connection limit first. The
 * namespace-wide budget of RFC 5961 section 7 is a side channel
 * (CVE-2016-5696): an off-path attacker who spends it can count the
 * challenges other connections drew. So it is off by default
 * (challenge_ack_limit at INT_MAX, as in Linux since 6.0), and when set,
 * each second's budget is drawn at random around the limit.
 */
#include <linux/jiffies.h>
#include <linux/random.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "output.h"
#include "ratelimit.h"

/* True if the last answer, at *@last (jiffies), is too recent. */
static bool too_soon(struct net *net, u32 *last, enum vtcp_mib skipped)
{
	u32 gap = msecs_to_jiffies(vtcp_sysctl(net, invalid_ratelimit_ms));
	u32 then = READ_ONCE(*last), now = (u32)jiffies;

	if (then && (s32)(now - then) >= 0 && now - then < gap) {
		VTCP_INC_STATS(net, skipped);
		return true;
	}
	WRITE_ONCE(*last, now ?: 1);
	return false;
}

/**
 * vtcp_oow_rate_limited() - may we answer this unacceptable segment?
 * @net: its namespace
 * @skb: the segment
 * @skipped: the counter of answers held back for this reason
 * @last: when this connection last answered one (jiffies; 0: never)
 *
 * Segments with data (not SYNs) are always answered: they are no ACK loop.
 *
 * Context: softirq, or process context (the backlog).
 * Return: true if the answer is to be skipped.
 */
bool vtcp_oow_rate_limited(struct net *net, const struct sk_buff *skb,
			   enum vtcp_mib skipped, u32 *last)
{
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	if (cb->end_seq != cb->seq && !(cb->flags & TCPHDR_SYN))
		return false;
	return too_soon(net, last, skipped);
}

/* This second's share of the namespace's budget, drawn at random. */
static bool namespace_allows(struct net *net)
{
	struct vtcp_net *vn = vtcp_pernet(net);
	u32 limit = vtcp_sysctl(net, challenge_ack_limit);
	u32 now = (u32)(jiffies / HZ), half;
	int left;

	if (limit == INT_MAX)
		return true;
	if (READ_ONCE(vn->challenge_second) != now) {
		half = (limit + 1) / 2;
		WRITE_ONCE(vn->challenge_second, now);
		atomic_set(&vn->challenge_budget,
			   half + get_random_u32_below(limit));
	}
	left = atomic_dec_if_positive(&vn->challenge_budget);
	return left >= 0;
}

/**
 * vtcp_challenge_ack() - answer a segment that may be blind (RFC 5961)
 * @sk: the connection it claims to belong to
 *
 * Sends an ACK of where we are, unless this connection sent one within
 * invalid_ratelimit_ms or the namespace's budget for this second is spent.
 *
 * Context: @sk locked.
 */
void vtcp_challenge_ack(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (too_soon(net, &vtcp_sk(sk)->last_oow_ack,
		     VTCP_MIB_ACK_SKIPPED_CHALLENGE))
		return;
	if (!namespace_allows(net)) {
		VTCP_INC_STATS(net, VTCP_MIB_CHALLENGE_ACK_LIMITED);
		return;
	}
	VTCP_INC_STATS(net, VTCP_MIB_CHALLENGE_ACKS);
	vtcp_send_ack(sk);
}
