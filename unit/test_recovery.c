// SPDX-License-Identifier: GPL-2.0
/*
 * Loss recovery (mod/recovery.c, on the retransmit queue of mod/rtx.c):
 * the SACK scoreboard (RFC 2018) and RFC 6675's pipe and IsLost(), D-SACK
 * (RFC 2883), RACK's time-based marking and reordering window (RFC 8985),
 * NewReno without SACK (RFC 6582), the retransmission timeout (RFC 5681
 * 3.1), and the undo of a spurious recovery (RFC 3708, RFC 4015).
 */
#include "ktap.h"
#include "../mod/recovery.c"

#define MSS	1000
#define ISS	0xfffff000u	/* the sequence space wraps in every test */
#define MS	NSEC_PER_MSEC

static struct net net;
static struct vtcp_sock vsk;
static struct sock *const sk = (struct sock *)&vsk;

/* A connection that agreed to SACK (or not), nothing sent yet. */
static void new_conn(bool sack)
{
	memset(&vsk, 0, sizeof(vsk));
	sk->sk_net = &net;
	sk->sk_sndbuf = 1 << 20;
	sk->sk_state = TCP_ESTABLISHED;
	vtcp_rtx_init(sk);
	vsk.cc = &vtcp_newreno;
	vsk.opts = sack ? VTCP_OPT_SACK : 0;
	vsk.mss = MSS;
	vsk.cwnd = 10 * MSS;
	vsk.ssthresh = 64 * MSS;
	vsk.snd_una = ISS;
	vsk.snd_nxt = ISS;
	vsk.recover = ISS;
	vsk.high_sacked = ISS;
	vsk.min_rtt_us = 10000;
	vsk.srtt_us = 10000;
	mock_ns = NSEC_PER_SEC;
}

/* Send @n segments of one MSS, a millisecond apart. */
static void send_segments(int n)
{
	while (n--) {
		struct sk_buff *skb = mock_skb(vsk.snd_nxt, MSS);

		VTCP_SKB_CB(skb)->sent_ns = mock_ns;
		vtcp_rtx_sent(sk, skb);
		vsk.snd_nxt += MSS;
		mock_ns += MS;
	}
}

/* Segment @i: the one at ISS + i * MSS. */
static struct vtcp_skb_cb *seg(int i)
{
	struct sk_buff *skb = vtcp_rtx_find(sk, ISS + i * MSS);

	return skb && VTCP_SKB_CB(skb)->seq == ISS + i * MSS ?
	       VTCP_SKB_CB(skb) : NULL;
}

/* An ACK at snd_una with SACK blocks of segments [a, b), pairs in @blk. */
static void sack(int n, const int *blk)
{
	struct vtcp_opts o = { .has = VTCP_OPT_SACK_BLOCKS, .nr_sacks = n };
	int i;

	for (i = 0; i < n; i++) {
		o.sacks[i].start = ISS + blk[2 * i] * MSS;
		o.sacks[i].end = ISS + blk[2 * i + 1] * MSS;
	}
	vtcp_ack_no_progress(sk, &o, true);
	vtcp_retransmit_lost(sk);	/* input.c's vtcp_push() */
}

/* A duplicate ACK without SACK, and what input.c does after it. */
static void dupack(void)
{
	vtcp_ack_no_progress(sk, NULL, true);
	vtcp_retransmit_lost(sk);
}

#define SACK(...) ({ static const int _b[] = { __VA_ARGS__ };	\
	sack(ARRAY_SIZE(_b) / 2, _b); })

/* A cumulative ACK of the segments below @end, as input.c's clean_acked(). */
static void ack(int end)
{
	u32 to = ISS + end * MSS, acked = to - vsk.snd_una;
	struct sk_buff *skb, *in = mock_skb(0, 0);
	bool first = true;

	while ((skb = vtcp_rtx_head(sk)) &&
	       seq_leq(VTCP_SKB_CB(skb)->end_seq, to)) {
		vtcp_rtx_unlink(sk, skb);
		vtcp_forget_acked(sk, skb, first);
		first = false;
		consume_skb(skb);
	}
	vsk.snd_una = to;
	vsk.bytes_acked += acked;
	vtcp_ack_progress(sk, in, NULL, acked);
	consume_skb(in);
	vtcp_retransmit_lost(sk);
}

static void free_queue(void)
{
	struct sk_buff *skb;

	while ((skb = vtcp_rtx_head(sk))) {
		vtcp_rtx_unlink(sk, skb);
		consume_skb(skb);
	}
}

/* Bytes of segments marked @what, by walking the queue: the sums' truth. */
static u32 walk_sum(int what)
{
	struct sk_buff *skb;
	u32 sum = 0;

	for (skb = vtcp_rtx_head(sk); skb; skb = skb_rb_next(skb)) {
		struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

		if ((what == 0 && cb->sacked) || (what == 1 && cb->lost) ||
		    (what == 2 && cb->rexmit))
			sum += cb->end_seq - cb->seq;
	}
	return sum;
}

#define EXPECT_SUMS() do {						\
		EXPECT_EQ(vsk.sacked_out, walk_sum(0));			\
		EXPECT_EQ(vsk.lost_out, walk_sum(1));			\
		EXPECT_EQ(vsk.retrans_out, walk_sum(2));		\
	} while (0)

TEST(scoreboard_marks_blocks)
{
	new_conn(true);
	send_segments(10);
	mock_sysctl_rack(0);
	SACK(2, 4);
	EXPECT_TRUE(seg(2)->sacked && seg(3)->sacked);
	EXPECT_FALSE(seg(1)->sacked || seg(4)->sacked);
	EXPECT_EQ(vsk.sacked_out, 2 * MSS);
	EXPECT_EQ(vsk.high_sacked, ISS + 4 * MSS);
	/* RFC 6675 4: pipe = what is out, less SACKed and lost, plus resent. */
	EXPECT_EQ(vtcp_in_flight(sk), 8 * MSS);
	EXPECT_EQ(vsk.ca_state, VTCP_CA_OPEN);	/* 2 MSS above: no loss */
	SACK(2, 4);				/* the same again: nothing new */
	EXPECT_EQ(vsk.sacked_out, 2 * MSS);
	SACK(6, 8, 2, 5);			/* two blocks, any order */
	EXPECT_EQ(vsk.sacked_out, 5 * MSS);
	EXPECT_EQ(vsk.high_sacked, ISS + 8 * MSS);
	EXPECT_SUMS();
	EXPECT_EQ(vsk.ca_state, VTCP_CA_RECOVERY);	/* 5 MSS above 0, 1 */
	EXPECT_TRUE(seg(0)->lost && seg(1)->lost && !seg(5)->lost);
	free_queue();
}

/* Blocks out of [snd_una, snd_nxt], or empty, mark nothing. */
TEST(scoreboard_ignores_bogus_blocks)
{
	new_conn(true);
	send_segments(10);
	ack(2);
	SACK(0, 2);			/* below snd_una: a D-SACK */
	SACK(9, 11);			/* past snd_nxt */
	SACK(5, 5);			/* empty */
	SACK(6, 4);			/* backwards */
	EXPECT_EQ(vsk.sacked_out, 0);
	EXPECT_EQ(mock_mib[VTCP_MIB_DSACK_RECV], 1);
	SACK(9, 10);
	EXPECT_EQ(vsk.sacked_out, MSS);
	EXPECT_SUMS();
	free_queue();
}

/*
 * A segment sent as one GSO packet of three: blocks cut it at packet
 * edges, and only whole packets count SACKed (tcp_match_skb_to_sack()).
 */
TEST(scoreboard_splits_at_packet_edges)
{
	struct sk_buff *skb;
	struct vtcp_opts o = { .has = VTCP_OPT_SACK_BLOCKS, .nr_sacks = 1 };

	new_conn(true);
	send_segments(1);
	skb = mock_skb(vsk.snd_nxt, 3 * MSS);
	skb_shinfo(skb)->gso_size = MSS;
	VTCP_SKB_CB(skb)->sent_ns = mock_ns;
	vtcp_rtx_sent(sk, skb);
	vsk.snd_nxt += 3 * MSS;
	/* A block from the middle of the first packet into the third. */
	o.sacks[0].start = ISS + MSS + 500;
	o.sacks[0].end = ISS + 3 * MSS + 500;
	vtcp_ack_no_progress(sk, &o, true);
	EXPECT_EQ(vsk.sacked_out, MSS);		/* the second packet alone */
	EXPECT_TRUE(seg(2) && seg(2)->sacked);
	EXPECT_TRUE(seg(1) && !seg(1)->sacked);
	EXPECT_TRUE(seg(3) && !seg(3)->sacked);
	/* A block inside one packet: nothing. */
	o.sacks[0].start = ISS + 3 * MSS + 100;
	o.sacks[0].end = ISS + 3 * MSS + 200;
	vtcp_ack_no_progress(sk, &o, true);
	EXPECT_EQ(vsk.sacked_out, MSS);
	EXPECT_SUMS();
	free_queue();
}

/*
 * RFC 6675 IsLost() (RACK off): a hole is lost once more than
 * (DupThresh - 1) * SMSS bytes above it are SACKed; then fast recovery,
 * with ssthresh = cwnd = max(FlightSize / 2, 2 SMSS) (RFC 5681 eq. 4).
 */
TEST(rfc6675_is_lost)
{
	new_conn(true);
	mock_sysctl_rack(0);
	send_segments(10);
	SACK(1, 3);
	EXPECT_EQ(vsk.lost_out, 0);
	EXPECT_EQ(vsk.ca_state, VTCP_CA_OPEN);
	SACK(1, 4);
	EXPECT_TRUE(seg(0)->lost);
	EXPECT_EQ(vsk.lost_out, MSS);
	EXPECT_EQ(vsk.ca_state, VTCP_CA_RECOVERY);
	EXPECT_EQ(vsk.ssthresh, 5 * MSS);
	EXPECT_EQ(vsk.cwnd, 5 * MSS);
	EXPECT_EQ(vsk.recover, ISS + 10 * MSS);
	EXPECT_EQ(mock_mib[VTCP_MIB_FAST_RETRANS], 1);
	/* Holes above the SACKed: 4..9 have nothing SACKed above them. */
	SACK(1, 4, 6, 7);
	EXPECT_FALSE(seg(4)->lost || seg(5)->lost);
	SACK(1, 4, 6, 9);
	EXPECT_TRUE(seg(4)->lost && seg(5)->lost);
	EXPECT_FALSE(seg(9)->lost);
	/* Pipe 1 MSS left room for the three: resent, pipe 10 - 6 - 3 + 3. */
	EXPECT_TRUE(seg(0)->rexmit && seg(4)->rexmit && seg(5)->rexmit);
	EXPECT_EQ(vtcp_in_flight(sk), 4 * MSS);
	EXPECT_EQ(vsk.retrans_segs, 3);
	EXPECT_SUMS();
	free_queue();
	/* More than (DupThresh - 1) SMSS: 2 MSS above a hole is not lost. */
	new_conn(true);
	send_segments(10);
	SACK(1, 2, 3, 5);
	EXPECT_TRUE(seg(0)->lost);
	EXPECT_FALSE(seg(2)->lost);
	free_queue();
}

/*
 * RFC 8985 6.2 step 5: a segment sent before the most recently sent one
 * delivered is lost once RACK.rtt + reo_wnd has passed since it went;
 * the others are looked at again when theirs will have.
 */
TEST(rack_marks_by_time)
{
	new_conn(true);
	vsk.min_rtt_us = 10000;
	send_segments(10);		/* sent at 0, 1, ... 9 ms */
	mock_ns = NSEC_PER_SEC + 20 * MS;
	mock_log[0] = 0;
	SACK(5, 6);
	/* RACK.rtt = 20 - 5 = 15 ms, reo_wnd = min_RTT / 4 = 2.5 ms. */
	EXPECT_EQ(vsk.rack_rtt_ns, 15 * MS);
	EXPECT_EQ(vsk.rack_end_seq, ISS + 6 * MSS);
	EXPECT_TRUE(seg(0)->lost && seg(1)->lost && seg(2)->lost);
	EXPECT_FALSE(seg(3)->lost || seg(4)->lost);	/* 17, 16 ms < 17.5 */
	EXPECT_FALSE(seg(6)->lost || seg(9)->lost);	/* sent after */
	EXPECT_EQ(mock_mib[VTCP_MIB_RACK_LOST], 3);
	/* Seg 4 is due 17.5 - 16 = 1.5 ms from now. */
	EXPECT_EQ(vsk.reo_at_ns, mock_ns + 1500000);
	EXPECT_TRUE(strstr(mock_log, "vtcp_arm_rtx"));
	EXPECT_EQ(vsk.ca_state, VTCP_CA_RECOVERY);
	/* In recovery, reo_wnd is 0: the timer finds 3 and 4 lost. */
	mock_ns = vsk.reo_at_ns;
	vtcp_reo_timeout(sk);
	EXPECT_TRUE(seg(3)->lost && seg(4)->lost);
	EXPECT_FALSE(seg(6)->lost);
	EXPECT_SUMS();
	free_queue();
}

/* RFC 8985 6.2 step 5: "RACK.rtt + RACK.reo_wnd - (now - S.xmit_ts) <= 0". */
TEST(rack_due_exactly)
{
	new_conn(true);
	vsk.min_rtt_us = 8000;		/* reo_wnd 2 ms */
	send_segments(10);
	mock_ns = NSEC_PER_SEC + 20 * MS;
	SACK(5, 6);			/* due 15 + 2 = 17 ms after sending */
	EXPECT_TRUE(seg(3)->lost);	/* out for 17 ms */
	EXPECT_FALSE(seg(4)->lost);	/* 16 */
	EXPECT_EQ(vsk.reo_at_ns, mock_ns + MS);
	EXPECT_FALSE(seg(6)->lost);
	EXPECT_SUMS();
	free_queue();
}

/* RFC 8985 6.2 step 4: the reordering window. */
TEST(rack_reo_wnd)
{
	new_conn(true);
	EXPECT_EQ(reo_wnd_ns(&vsk), 10000 * NSEC_PER_USEC / 4);
	vsk.sacked_out = 3 * MSS;		/* DupThresh SACKed: none */
	EXPECT_EQ(reo_wnd_ns(&vsk), 0);
	vsk.sacked_out = 0;
	vsk.ca_state = VTCP_CA_RECOVERY;	/* in recovery: none */
	EXPECT_EQ(reo_wnd_ns(&vsk), 0);
	vsk.reordering = 4;			/* reordering seen: SRTT */
	vsk.srtt_us = 30000;
	EXPECT_EQ(reo_wnd_ns(&vsk), 30 * MS);
}

/*
 * RFC 8985 6.2 step 2: a retransmission delivered sooner than min_RTT
 * after it went may be the first copy's ACK: it does not move RACK.
 */
TEST(rack_skips_ambiguous_retransmission)
{
	struct vtcp_skb_cb cb = { .seq = ISS + 5 * MSS, .end_seq = ISS + 6 * MSS };

	new_conn(true);
	cb.retransmitted = 1;
	cb.sent_ns = mock_ns - 5 * MS;		/* 5 ms ago, min_RTT 10 */
	note_delivered(sk, &cb, false);
	EXPECT_EQ(vsk.rack_sent_ns, 0);
	cb.sent_ns = mock_ns - 12 * MS;
	note_delivered(sk, &cb, false);
	EXPECT_EQ(vsk.rack_sent_ns, mock_ns - 12 * MS);
	EXPECT_EQ(vsk.rack_rtt_ns, 12 * MS);
	/* A first copy is never ambiguous, however soon it is delivered. */
	cb.retransmitted = 0;
	cb.end_seq += MSS;
	cb.sent_ns = mock_ns - 2 * MS;
	note_delivered(sk, &cb, false);
	EXPECT_EQ(vsk.rack_rtt_ns, 2 * MS);
	/* RFC 8985 6.1: sent at the same time, the higher sequence is later. */
	EXPECT_TRUE(sent_after(5, ISS + 2, 5, ISS + 1));
	EXPECT_FALSE(sent_after(5, ISS + 1, 5, ISS + 2));
	EXPECT_TRUE(sent_after(6, 0, 5, ISS));
}

/* RFC 2883 4: a first block below the ACK, or within the second. */
TEST(dsack_detection)
{
	struct vtcp_opts o = { .nr_sacks = 1 };

	new_conn(true);
	vsk.snd_una = ISS + 10 * MSS;
	o.sacks[0].start = ISS + 8 * MSS;
	o.sacks[0].end = ISS + 9 * MSS;
	EXPECT_TRUE(has_dsack(&vsk, &o));
	o.sacks[0].start = ISS + 12 * MSS;
	o.sacks[0].end = ISS + 13 * MSS;
	EXPECT_FALSE(has_dsack(&vsk, &o));
	o.nr_sacks = 2;
	o.sacks[1].start = ISS + 11 * MSS;
	o.sacks[1].end = ISS + 14 * MSS;
	EXPECT_TRUE(has_dsack(&vsk, &o));
	o.sacks[1].start = ISS + 12 * MSS + 1;
	EXPECT_FALSE(has_dsack(&vsk, &o));
}

/*
 * RFC 6582 without SACK: duplicate ACKs count as segments gone (RFC 6675
 * pipe); the third marks the first hole lost, resent once the pipe leaves
 * room (RFC 6675 step C: cwnd - pipe >= 1 SMSS); a partial ACK marks the
 * next; the full ACK ends recovery with cwnd = min(ssthresh,
 * max(FlightSize, SMSS) + SMSS) (3.2 step 3, option 1).
 */
TEST(newreno_recovery)
{
	new_conn(false);
	send_segments(8);
	dupack();
	dupack();
	EXPECT_EQ(vsk.ca_state, VTCP_CA_OPEN);
	dupack();
	EXPECT_EQ(vsk.ca_state, VTCP_CA_RECOVERY);
	EXPECT_TRUE(seg(0)->lost);
	EXPECT_EQ(vsk.ssthresh, 4 * MSS);
	EXPECT_EQ(vsk.cwnd, 4 * MSS);
	EXPECT_EQ(vsk.recover, ISS + 8 * MSS);
	EXPECT_EQ(vtcp_in_flight(sk), 8 * MSS - 3 * MSS - MSS);
	EXPECT_FALSE(seg(0)->rexmit);		/* pipe + SMSS > cwnd */
	dupack();
	EXPECT_TRUE(seg(0)->rexmit);
	EXPECT_EQ(vtcp_in_flight(sk), 8 * MSS - 4 * MSS - MSS + MSS);
	send_segments(1);			/* new data during recovery */
	ack(4);					/* partial: below recover */
	EXPECT_EQ(vsk.ca_state, VTCP_CA_RECOVERY);
	EXPECT_TRUE(seg(4)->lost);
	EXPECT_FALSE(seg(5)->lost);
	ack(8);					/* full: one segment still out */
	EXPECT_EQ(vsk.ca_state, VTCP_CA_OPEN);
	EXPECT_EQ(vsk.cwnd, 2 * MSS);
	EXPECT_EQ(vsk.sacked_out, 0);
	EXPECT_EQ(mock_mib[VTCP_MIB_FAST_RETRANS], 1);
	free_queue();
}

/*
 * RFC 5681 3.1 and RFC 6298 5.5: on a timeout, cwnd is one segment and
 * ssthresh max(FlightSize / 2, 2 SMSS); all not SACKed is lost. SACK marks
 * stand the first time, and go from the second timeout in a row.
 */
TEST(timeout)
{
	new_conn(true);
	mock_sysctl_rack(0);
	send_segments(10);
	SACK(7, 9);
	vsk.retries = 1;
	mock_transmits = 0;
	vtcp_enter_loss(sk);
	EXPECT_EQ(vsk.ca_state, VTCP_CA_LOSS);
	EXPECT_EQ(vsk.cwnd, MSS);
	EXPECT_EQ(vsk.ssthresh, 5 * MSS);
	EXPECT_EQ(vsk.lost_out, 8 * MSS);
	EXPECT_EQ(vsk.sacked_out, 2 * MSS);
	EXPECT_EQ(mock_transmits, 1);		/* one segment: cwnd */
	EXPECT_TRUE(seg(0)->rexmit && !seg(1)->rexmit);
	EXPECT_SUMS();
	vsk.retries = 2;
	vtcp_enter_loss(sk);
	EXPECT_EQ(vsk.sacked_out, 0);
	EXPECT_EQ(vsk.lost_out, 10 * MSS);
	EXPECT_EQ(vsk.ssthresh, 5 * MSS);	/* not cut again in Loss */
	EXPECT_SUMS();
	free_queue();
}

/*
 * A peer that SACKs a whole flight, its head included, but never
 * acknowledges it: it reneged (RFC 2018 section 8), or the SACKs were
 * forged. The tail loss probe has nothing to send (its segment is SACKed);
 * the RTO must come next, not another probe (RFC 8985 7.3), and the RTO
 * must forget the SACKs and resend the head at once.
 */
TEST(reneged_head)
{
	new_conn(true);
	mock_sysctl_rack(1);
	send_segments(10);
	SACK(0, 10);
	EXPECT_EQ(vsk.sacked_out, 10 * MSS);
	EXPECT_EQ(vsk.ca_state, VTCP_CA_OPEN);
	EXPECT_TRUE(vtcp_probe_timeout_ns(sk) > 0);
	mock_transmits = 0;
	vtcp_tlp_timeout(sk);
	EXPECT_EQ(mock_transmits, 0);		/* its segment is SACKed */
	EXPECT_EQ(vtcp_probe_timeout_ns(sk), 0);	/* the RTO is next */
	mock_mib[VTCP_MIB_SACK_RENEGING] = 0;
	vsk.retries = 1;			/* the first timeout */
	vtcp_enter_loss(sk);
	EXPECT_EQ(mock_mib[VTCP_MIB_SACK_RENEGING], 1);
	EXPECT_EQ(vsk.sacked_out, 0);
	EXPECT_EQ(vsk.lost_out, 10 * MSS);
	EXPECT_EQ(mock_transmits, 1);		/* the head, as cwnd allows */
	EXPECT_TRUE(seg(0)->rexmit && !seg(0)->sacked);
	EXPECT_SUMS();
	ack(10);
	EXPECT_EQ(vtcp_probe_timeout_ns(sk), 0);	/* nothing in flight */
	EXPECT_EQ(vsk.ca_state, VTCP_CA_OPEN);
	send_segments(2);
	EXPECT_TRUE(vtcp_probe_timeout_ns(sk) > 0);	/* a new flight's */
	free_queue();
}

/*
 * RFC 3708 and RFC 4015: when D-SACKs show every retransmission of a fast
 * recovery was a duplicate, the recovery was spurious: cwnd and ssthresh
 * come back, and the path is taken to reorder.
 */
TEST(dsack_undoes_recovery)
{
	new_conn(true);
	mock_sysctl_rack(0);
	vsk.cwnd = 10 * MSS;
	send_segments(10);
	SACK(1, 6);
	ASSERT_EQ(vsk.ca_state, VTCP_CA_RECOVERY);
	EXPECT_EQ(vsk.undo_retrans, 1);
	EXPECT_TRUE(seg(0)->retransmitted);
	EXPECT_EQ(vtcp_in_flight(sk), 10 * MSS - 5 * MSS - MSS + MSS);
	/* The ACK of the first copy; recovery goes on (recover is 10). */
	ack(6);
	EXPECT_EQ(vsk.ca_state, VTCP_CA_RECOVERY);
	EXPECT_EQ(mock_mib[VTCP_MIB_RECOVERY_UNDO], 0);
	/* Then the D-SACK of the retransmission: it was not needed. */
	SACK(0, 1);
	EXPECT_EQ(mock_mib[VTCP_MIB_DSACK_RECV], 1);
	EXPECT_EQ(mock_mib[VTCP_MIB_RECOVERY_UNDO], 1);
	EXPECT_EQ(vsk.ca_state, VTCP_CA_OPEN);
	EXPECT_EQ(vsk.cwnd, 10 * MSS);
	EXPECT_EQ(vsk.ssthresh, 64 * MSS);
	EXPECT_GT(vsk.reordering, 0);
	free_queue();
}

/* The tsorted list, as the sequence numbers of its segments, in order. */
static int tsorted_seqs(u32 *out, int max)
{
	struct list_head *pos;
	int n = 0;

	list_for_each(pos, &vsk.tsorted)
		if (n < max)
			out[n++] = VTCP_SKB_CB(vtcp_tsorted_skb(pos))->seq - ISS;
	return n;
}

/* Is the tsorted list in the order segments went out (times only)? */
static bool sent_in_order(void)
{
	struct list_head *pos;
	u64 last = 0;

	list_for_each(pos, &vsk.tsorted) {
		u64 t = VTCP_SKB_CB(vtcp_tsorted_skb(pos))->sent_ns;

		if (t < last)
			return false;
		last = t;
	}
	return true;
}

/* rtx.c: by sequence for finding, by send time for RACK; splits keep both. */
TEST(rtx_queue_orders)
{
	struct sk_buff *skb;
	u32 seqs[8];

	new_conn(true);
	send_segments(4);
	EXPECT_TRUE(vtcp_rtx_find(sk, ISS + 2500) == vtcp_rtx_find(sk, ISS + 2000));
	EXPECT_EQ(VTCP_SKB_CB(vtcp_rtx_find(sk, ISS + 2999))->seq, ISS + 2000);
	EXPECT_TRUE(!vtcp_rtx_find(sk, ISS + 4000));
	EXPECT_EQ(VTCP_SKB_CB(vtcp_rtx_find(sk, ISS - 5))->seq, ISS);
	/* A split: the rest follows it, in the tree and in the list. */
	skb = vtcp_rtx_find(sk, ISS + 1000);
	ASSERT_EQ(vtcp_split_segment(sk, skb, 400), 0);
	ASSERT_EQ(tsorted_seqs(seqs, 8), 5);
	EXPECT_TRUE(seqs[0] == 0 && seqs[1] == 1000 && seqs[2] == 1400 &&
		    seqs[3] == 2000 && seqs[4] == 3000);
	EXPECT_EQ(VTCP_SKB_CB(skb_rb_next(skb))->seq, ISS + 1400);
	EXPECT_EQ(VTCP_SKB_CB(vtcp_rtx_find(sk, ISS + 1400))->seq, ISS + 1400);
	/* Out of flight and back: its place by the time it went. */
	vtcp_rtx_leave_flight(skb);
	ASSERT_EQ(tsorted_seqs(seqs, 8), 4);
	vtcp_rtx_rejoin_flight(sk, skb);
	ASSERT_EQ(tsorted_seqs(seqs, 8), 5);
	EXPECT_TRUE(sent_in_order());
	EXPECT_EQ(seqs[0], 0);
	EXPECT_EQ(seqs[3], 2000);
	/* Resent: the newest in flight, last. */
	mock_ns += MS;
	VTCP_SKB_CB(vtcp_rtx_head(sk))->sent_ns = mock_ns;
	vtcp_rtx_sent(sk, vtcp_rtx_head(sk));
	ASSERT_EQ(tsorted_seqs(seqs, 8), 5);
	EXPECT_EQ(seqs[4], 0);
	EXPECT_TRUE(sent_in_order());
	/* Unlinked from the middle: both orders close up. */
	vtcp_rtx_unlink(sk, skb);
	consume_skb(skb);
	ASSERT_EQ(tsorted_seqs(seqs, 8), 4);
	EXPECT_EQ(VTCP_SKB_CB(skb_rb_next(vtcp_rtx_head(sk)))->seq, ISS + 1400);
	free_queue();
	EXPECT_TRUE(RB_EMPTY_ROOT(&vsk.rtx_queue));
}
