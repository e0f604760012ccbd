// SPDX-License-Identifier: GPL-2.0
/*
 * Loss detection and recovery: the SACK scoreboard (RFC 2018), losses
 * inferred from it (RFC 6675) or from duplicate ACKs and partial ACKs
 * without it (RFC 6582, NewReno), and the retransmission timeout.
 *
 * Each segment on the write queue between snd_una and snd_nxt may be
 * SACKed, lost or resent; the socket keeps the sums of those in bytes, so
 * the data in the network ("pipe", RFC 6675 section 4) is one expression.
 *
 * With SACK, losses are also found by time, as RACK does (RFC 8985): a
 * segment sent before one that was delivered, and out for longer than
 * that one's round trip plus a reordering window, is lost. That finds a
 * lost retransmission, and a loss in a window too small for three
 * duplicate ACKs, without waiting for the retransmission timeout.
 *
 * An episode, a fast recovery or a timeout, may prove spurious: the hole
 * was only late. Echoed timestamps (RFC 3522) or D-SACK blocks (RFC 3708)
 * tell, and the window comes back (RFC 4015).
 */
#include <net/tcp.h>

#include "vtcp.h"
#include "cong.h"
#include "output.h"
#include "pmtu.h"
#include "recovery.h"
#include "rtx.h"
#include "timers.h"
#include "trace.h"
#include "wire.h"

/* Sequence space a queued segment takes: data, SYN and FIN. */
static u32 seg_len(const struct sk_buff *skb)
{
	return VTCP_SKB_CB(skb)->end_seq - VTCP_SKB_CB(skb)->seq;
}

/**
 * vtcp_in_flight() - the data in the network, RFC 6675's pipe
 * @sk: the socket
 *
 * Context: @sk locked.
 * Return: bytes sent and not acked, SACKed or lost, plus those resent.
 */
u32 vtcp_in_flight(const struct sock *sk)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	s64 pipe = (s64)(vsk->snd_nxt - vsk->snd_una) - vsk->sacked_out -
		   vsk->lost_out + vsk->retrans_out;

	return max_t(s64, pipe, 0);
}

static void unmark_lost(struct vtcp_sock *vsk, struct sk_buff *skb)
{
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	if (cb->lost)
		vsk->lost_out -= seg_len(skb);
	if (cb->rexmit)
		vsk->retrans_out -= seg_len(skb);
	cb->lost = 0;
	cb->rexmit = 0;
}

/* The lowest segment waiting to be resent starts at or above @seq. */
static void note_lost_at(struct vtcp_sock *vsk, u32 seq)
{
	if (!vsk->lost_out || seq_before(seq, vsk->lost_hint))
		vsk->lost_hint = seq;
}

/* @skb is lost, as @by (a VTCP_RETRANS_* reason) found. */
static void mark_lost(struct vtcp_sock *vsk, struct sk_buff *skb, u8 by)
{
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	if (cb->lost || cb->sacked)
		return;
	if (unlikely(cb->mtu_probe))
		vtcp_mtu_probe_lost((struct sock *)vsk, skb);
	note_lost_at(vsk, cb->seq);
	cb->lost = 1;
	cb->lost_by = by;
	vsk->lost_out += seg_len(skb);
	vtcp_rtx_leave_flight(skb);
}

/* The head, one MSS of it, is lost (NewReno: the next hole is one segment). */
static void mark_head_lost(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *head = vtcp_rtx_head(sk);

	if (!head)
		return;
	if (head->len > vsk->mss)
		vtcp_split_segment(sk, head, vsk->mss);
	mark_lost(vsk, head, VTCP_RETRANS_FAST);
}

/* What the write queue may exceed twice the send buffer by, in splits. */
#define VTCP_SPLIT_SLACK	(128 * 1024)

/* The most segments out of order that the recovery code believes. */
#define VTCP_MAX_REORDERING 300

/* Segments that may come out of order before the one below is lost. */
static u32 dupthresh(const struct vtcp_sock *vsk)
{
	return max_t(u32, vsk->reordering, TCP_FASTRETRANS_THRESH);
}

/* RFC 8985: did (@t1, @seq1) go out after (@t2, @seq2)? */
static bool sent_after(u64 t1, u32 seq1, u64 t2, u32 seq2)
{
	return t1 > t2 || (t1 == t2 && seq_after(seq1, seq2));
}

/* The path reorders by @segs segments: widen the loss thresholds. */
static void learn_reordering(struct sock *sk, u32 segs)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	vsk->reordering = clamp_t(u32, segs, max_t(u32, vsk->reordering, 1),
				  VTCP_MAX_REORDERING);
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_REORDER_SEEN);
}

/*
 * A segment sent once came @distance bytes below the highest SACKed one.
 * A lost SACK block looks the same, so only a distance beyond what the
 * thresholds allow already counts (as Linux does).
 */
static void note_reordering(struct sock *sk, u32 distance)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 segs = DIV_ROUND_UP(distance, vsk->mss);

	if (segs > dupthresh(vsk))
		learn_reordering(sk, segs);
}

/*
 * @cb reached the peer (SACKed or acknowledged). A hole filled by a
 * segment sent once means the path reorders; RACK keeps the most recently
 * sent delivered segment, but not a retransmission acked sooner than a
 * round trip after it went: that ACK may be the first copy's.
 */
static void note_delivered(struct sock *sk, const struct vtcp_skb_cb *cb,
			   bool may_reorder)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u64 rtt = ktime_get_ns() - cb->sent_ns;

	if (may_reorder && !cb->retransmitted && vsk->sacked_out &&
	    seq_before(cb->end_seq, vsk->high_sacked))
		note_reordering(sk, vsk->high_sacked - cb->seq);
	if (cb->retransmitted && rtt < (u64)vsk->min_rtt_us * NSEC_PER_USEC)
		return;
	if (sent_after(cb->sent_ns, cb->end_seq, vsk->rack_sent_ns,
		       vsk->rack_end_seq)) {
		vsk->rack_sent_ns = cb->sent_ns;
		vsk->rack_end_seq = cb->end_seq;
		vsk->rack_rtt_ns = rtt;
	}
}

/**
 * vtcp_forget_acked() - a segment leaves the retransmit queue, acknowledged
 * @sk: the socket
 * @skb: the segment
 * @first: whether it was at snd_una
 *
 * Drops it from the scoreboard's sums. Only the one at snd_una can tell of
 * reordering: those after it may have had their SACK blocks lost.
 *
 * Context: @sk locked.
 */
void vtcp_forget_acked(struct sock *sk, struct sk_buff *skb, bool first)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	if (!cb->sacked && (vsk->opts & VTCP_OPT_SACK))
		note_delivered(sk, cb, first);
	unmark_lost(vsk, skb);
	if (cb->sacked)
		vsk->sacked_out -= seg_len(skb);
	cb->sacked = 0;
}

static void undo_episode(struct sock *sk, u32 prior_una);

/* RFC 2883: a first block below the ACK, or inside the second, is a D-SACK. */
static bool has_dsack(const struct vtcp_sock *vsk, const struct vtcp_opts *o)
{
	const struct vtcp_sack_block *b = o->sacks;

	return o->nr_sacks && seq_before(b[0].start, b[0].end) &&
	       (seq_before(b[0].start, vsk->snd_una) ||
		(o->nr_sacks > 1 && seq_geq(b[0].start, b[1].start) &&
		 seq_leq(b[0].end, b[1].end)));
}

/* Was what @b covers, still queued, ever resent? Below snd_una: assume so. */
static bool dsack_of_resent(struct sock *sk, const struct vtcp_sack_block *b)
{
	struct sk_buff *skb;

	if (seq_before(b->start, vtcp_sk(sk)->snd_una))
		return true;
	skb = vtcp_rtx_find(sk, b->start);
	return skb && VTCP_SKB_CB(skb)->retransmitted;
}

/*
 * The peer got @b twice. A retransmission of the episode's was not needed
 * then; when none of them was, the episode is undone (RFC 3708).
 */
static void dsack_received(struct sock *sk, const struct vtcp_sack_block *b)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 segs = DIV_ROUND_UP(b->end - b->start, vsk->mss);

	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_DSACK_RECV);
	if (!vsk->prior_ssthresh || !vsk->undo_retrans ||
	    seq_before(b->start, vsk->undo_marker) || !dsack_of_resent(sk, b))
		return;
	vsk->undo_retrans -= min_t(u32, segs, vsk->undo_retrans);
	if (!vsk->undo_retrans)
		undo_episode(sk, vsk->snd_una);
}

static bool sack_block_valid(const struct vtcp_sock *vsk,
			     const struct vtcp_sack_block *b)
{
	return seq_before(b->start, b->end) && seq_geq(b->start, vsk->snd_una) &&
	       seq_leq(b->end, vsk->snd_nxt);
}

/*
 * A SACK block's edge between two segments that went out together: cut
 * them apart there, unless the queue already takes more than twice the
 * send buffer plus 128 KiB (as TCP refuses, since CVE-2019-11478). The
 * segments then stay together and unSACKed, which only costs a resend.
 */
static int split_for_sack(struct sock *sk, struct sk_buff *skb, u32 len)
{
	if (unlikely(READ_ONCE(sk->sk_wmem_queued) >> 1 >
		     READ_ONCE(sk->sk_sndbuf) + VTCP_SPLIT_SLACK)) {
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_WQUEUE_TOO_BIG);
		return -ENOMEM;
	}
	return vtcp_split_segment(sk, skb, len);
}

/* The size of the segments @skb went out in. */
static u32 wire_mss(const struct vtcp_sock *vsk, const struct sk_buff *skb)
{
	return skb_shinfo(skb)->gso_size ?: vsk->mss;
}

/*
 * Mark what the SACK blocks of @o cover; returns the bytes newly SACKed.
 * Each block costs a search and the segments it covers. A segment counts
 * only whole, as TCP's tcp_match_skb_to_sack() rounds: a block edge inside
 * one is taken to its edge, so that tiny blocks neither cut the queue into
 * pieces nor prove a byte delivered that RACK would then take as a reason
 * to resend all that went before it.
 */
static u32 sack_update(struct sock *sk, const struct vtcp_opts *o)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 newly = 0;
	unsigned int i;
	struct sk_buff *skb;

	if (!vsk->sacked_out)
		vsk->high_sacked = vsk->snd_una;
	if (has_dsack(vsk, o))
		dsack_received(sk, &o->sacks[0]);
	for (i = 0; i < o->nr_sacks; i++) {
		const struct vtcp_sack_block *b = &o->sacks[i];

		if (!sack_block_valid(vsk, b))
			continue;	/* D-SACK (RFC 2883) or bogus */
		skb = vtcp_rtx_find(sk, b->start);
		for (; skb; skb = skb_rb_next(skb)) {
			struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
			u32 mss = wire_mss(vsk, skb);

			if (seq_geq(cb->seq, b->end))
				break;
			if (cb->sacked || seq_leq(cb->end_seq, b->start))
				continue;
			/* It starts inside: cut at its first whole segment. */
			if (seq_before(cb->seq, b->start)) {
				u32 len = roundup(b->start - cb->seq, mss);

				if (len < skb->len)
					split_for_sack(sk, skb, len);
				continue;
			}
			/* It ends inside: the whole segments it covers. */
			if (seq_after(cb->end_seq, b->end)) {
				u32 len = rounddown(b->end - cb->seq, mss);

				if (!len || split_for_sack(sk, skb, len))
					continue;
			}
			note_delivered(sk, cb, true);
			unmark_lost(vsk, skb);
			vtcp_rtx_leave_flight(skb);
			cb->sacked = 1;
			vsk->sacked_out += seg_len(skb);
			newly += seg_len(skb);
			if (seq_after(cb->end_seq, vsk->high_sacked))
				vsk->high_sacked = cb->end_seq;
		}
	}
	return newly;
}

/*
 * RFC 6675 IsLost(): a hole with more than (DupThresh - 1) * SMSS bytes
 * SACKed above it is lost. A walk of all in flight: only without RACK,
 * whose verdicts include these (as Linux uses it only then).
 */
static void mark_lost_by_sack(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 above = 0, thresh = (dupthresh(vsk) - 1) * vsk->mss;
	struct sk_buff *skb;

	if (vsk->sacked_out <= thresh)
		return;
	for (skb = vtcp_rtx_tail(sk); skb; skb = skb_rb_prev(skb)) {
		if (VTCP_SKB_CB(skb)->sacked)
			above += seg_len(skb);
		else if (above > thresh)
			mark_lost(vsk, skb, VTCP_RETRANS_FAST);
	}
}

/*
 * The reordering window (RFC 8985 6.2): a quarter of the minimum RTT, none
 * in recovery or with enough SACKed for RFC 6675 to judge, unless the path
 * has shown it reorders; then a whole smoothed RTT (D-SACK undoes
 * recoveries here, it does not tune the window).
 */
static u64 reo_wnd_ns(const struct vtcp_sock *vsk)
{
	if (vsk->reordering)
		return (u64)vsk->srtt_us * NSEC_PER_USEC;
	if (vsk->ca_state != VTCP_CA_OPEN ||
	    vsk->sacked_out >= dupthresh(vsk) * vsk->mss)
		return 0;
	return (u64)vsk->min_rtt_us * NSEC_PER_USEC / 4;
}

/* Lost, or if resent already, lost again: it is to be sent once more. */
static void mark_lost_again(struct vtcp_sock *vsk, struct sk_buff *skb,
			    u8 by)
{
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	if (cb->rexmit) {
		cb->rexmit = 0;
		vsk->retrans_out -= seg_len(skb);
	}
	if (!cb->lost) {
		mark_lost(vsk, skb, by);
		return;
	}
	cb->lost_by = by;
	note_lost_at(vsk, cb->seq);
	vtcp_rtx_leave_flight(skb);
}

/*
 * RACK (RFC 8985 6.2 step 5): what went out before the most recently sent
 * delivered segment, and has been out for longer than that segment's
 * round trip plus the reordering window, is lost. For what is not out
 * that long yet, the RTX timer is set to look again (reo_at_ns). Those in
 * flight are walked oldest first, up to the first sent after that one.
 */
static void rack_mark_lost(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u64 now = ktime_get_ns(), due, wait = 0;
	struct list_head *pos, *tmp;

	if (!vsk->rack_sent_ns)
		return;
	due = vsk->rack_rtt_ns + reo_wnd_ns(vsk);
	list_for_each_safe(pos, tmp, &vsk->tsorted) {
		struct sk_buff *skb = vtcp_tsorted_skb(pos);
		struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

		if (!sent_after(vsk->rack_sent_ns, vsk->rack_end_seq,
				cb->sent_ns, cb->end_seq))
			break;
		if (now - cb->sent_ns >= due) {
			VTCP_INC_STATS(sock_net(sk), VTCP_MIB_RACK_LOST);
			mark_lost_again(vsk, skb, VTCP_RETRANS_RACK);
		} else {
			wait = max(wait, due - (now - cb->sent_ns));
		}
	}
	if (wait) {
		vsk->reo_at_ns = now + wait;
		vtcp_arm_rtx(sk);
	}
}

/*
 * A loss episode begins, fast recovery or a timeout from Open: keep the
 * window about to be cut, in case the episode proves spurious.
 */
static void begin_episode(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	vsk->prior_cwnd = vsk->cwnd;
	vsk->prior_ssthresh = vsk->ssthresh;
	vsk->undo_marker = vsk->snd_una;
	vsk->undo_retrans = 0;
	vsk->undo_ts_set = 0;
}

static void enter_recovery(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	begin_episode(sk);
	if (vsk->cc->on_loss)
		vsk->cc->on_loss(sk);
	vsk->ssthresh = vsk->cc->ssthresh(sk);
	vsk->cwnd = vsk->ssthresh;
	vsk->recover = vsk->snd_nxt;
	vsk->ca_state = VTCP_CA_RECOVERY;
	vsk->undo_state = VTCP_CA_RECOVERY;
	vsk->fast_retrans++;
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_FAST_RETRANS);
}

/* Without SACK, the peer's duplicate ACKs count as segments that left. */
static void count_dupack(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 flight = vsk->snd_nxt - vsk->snd_una;

	vsk->dupacks++;
	if (!(vsk->opts & VTCP_OPT_SACK) &&
	    vsk->sacked_out + vsk->mss < flight)
		vsk->sacked_out += vsk->mss;
}

/* Has a loss shown itself? Then enter fast recovery, once per window. */
static void detect_loss(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	vsk->reo_at_ns = 0;	/* rack_mark_lost() sets it again if due */
	if (vsk->opts & VTCP_OPT_SACK) {
		if (!vtcp_sysctl(sock_net(sk), rack))
			mark_lost_by_sack(sk);
		else if (vsk->sacked_out || vsk->ca_state != VTCP_CA_OPEN)
			rack_mark_lost(sk);
	}
	if (vsk->ca_state != VTCP_CA_OPEN || !vtcp_rtx_head(sk))
		return;
	if (vsk->dupacks >= TCP_FASTRETRANS_THRESH && seq_geq(vsk->snd_una, vsk->recover))
		mark_head_lost(sk);
	if (vsk->lost_out)
		enter_recovery(sk);
}

/**
 * vtcp_ack_no_progress() - an ACK that acknowledged nothing new
 * @sk: the socket
 * @o: the ACK's options (SACK blocks), or NULL
 * @dupack: whether it counts as a duplicate ACK
 *
 * Counts duplicates and SACK news, and looks for losses.
 *
 * Context: @sk locked.
 */
void vtcp_ack_no_progress(struct sock *sk, const struct vtcp_opts *o,
			  bool dupack)
{
	u32 newly = o ? sack_update(sk, o) : 0;

	if (dupack || newly)
		count_dupack(sk);
	detect_loss(sk);
}

/* Leave recovery: the window is ssthresh, or what is in flight plus one. */
static void exit_recovery(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	if (vsk->ca_state == VTCP_CA_RECOVERY)
		vsk->cwnd = clamp_t(u32, vsk->snd_nxt - vsk->snd_una + vsk->mss,
				    vsk->mss, vsk->ssthresh);
	vsk->ca_state = VTCP_CA_OPEN;
	if (!(vsk->opts & VTCP_OPT_SACK))
		vsk->sacked_out = 0;
}

/*
 * Was the episode spurious (RFC 3522)? @skb moved snd_una and echoes a
 * timestamp older than the episode's first retransmission, so a first
 * copy filled the hole; or nothing was resent at all. Not while a
 * retransmission is still out: that one may yet be needed (as Linux).
 */
static bool episode_was_spurious(const struct sock *sk,
				 const struct sk_buff *skb)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	if (vsk->ca_state == VTCP_CA_OPEN || !vsk->prior_ssthresh ||
	    vsk->retrans_out)
		return false;
	if (!vsk->undo_ts_set)
		return true;
	return (vsk->opts & VTCP_OPT_TIMESTAMPS) && cb->has_ts && cb->tsecr &&
	       (s32)(cb->tsecr - vsk->undo_tsval) < 0;
}

/*
 * Undo a spurious episode (RFC 4015), during it or after: the window and
 * threshold it cut come back, the loss marks go, and a fast recovery
 * teaches that the path reorders by as much as was SACKed above the hole
 * (@prior_una).
 */
static void undo_episode(struct sock *sk, u32 prior_una)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *skb;

	for (skb = vtcp_rtx_head(sk); skb; skb = skb_rb_next(skb)) {
		struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

		if (cb->lost && !cb->rexmit)
			vtcp_rtx_rejoin_flight(sk, skb);
		cb->lost = 0;
	}
	vsk->lost_out = 0;
	vsk->cwnd = max(vsk->cwnd, vsk->prior_cwnd);
	vsk->ssthresh = max(vsk->ssthresh, vsk->prior_ssthresh);
	vsk->prior_ssthresh = 0;
	if (vsk->undo_state == VTCP_CA_RECOVERY) {
		learn_reordering(sk, seq_after(vsk->high_sacked, prior_una) ?
				 DIV_ROUND_UP(vsk->high_sacked - prior_una,
					      vsk->mss) : 1);
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_RECOVERY_UNDO);
	} else {
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_LOSS_UNDO);
	}
	vsk->ca_state = VTCP_CA_OPEN;
	if (!(vsk->opts & VTCP_OPT_SACK))
		vsk->sacked_out = 0;
}

/**
 * vtcp_note_cwnd_use() - note how much of the window a push used
 * @sk: the socket, after a push
 *
 * Was the window full, or how much of it was used, this round trip? As TCP's
 * tcp_cwnd_validate(), so that a sender limited by its application, its send
 * buffer or the peer's window does not grow a window it never fills (RFC
 * 7661, RFC 5681 4.1).
 *
 * Context: @sk locked.
 */
void vtcp_note_cwnd_use(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 out = vsk->snd_nxt - vsk->snd_una;
	bool limited = vtcp_in_flight(sk) + vsk->mss > vsk->cwnd;

	if (!seq_before(vsk->snd_una, vsk->cwnd_usage_seq) || limited ||
	    (!vsk->cwnd_limited && out > vsk->max_out)) {
		vsk->cwnd_limited = limited;
		vsk->max_out = out;
		vsk->cwnd_usage_seq = vsk->snd_nxt;
	}
}

/* May the window grow? In slow start up to twice what was in flight. */
static bool window_was_used(const struct vtcp_sock *vsk)
{
	if (vsk->cwnd < vsk->ssthresh)
		return vsk->cwnd < 2 * vsk->max_out;
	return vsk->cwnd_limited;
}

/**
 * vtcp_ack_progress() - an ACK that moved snd_una
 * @sk: the socket
 * @skb: the ACK
 * @o: its options (SACK blocks), or NULL
 * @acked: the bytes snd_una moved by (the queue is cleaned already)
 *
 * Grows the window, ends recovery, undoes it, or goes on with it.
 *
 * Context: @sk locked.
 */
void vtcp_ack_progress(struct sock *sk, const struct sk_buff *skb,
		       const struct vtcp_opts *o, u32 acked)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	if (o)
		sack_update(sk, o);
	vsk->dupacks = 0;
	if (vsk->tlp_out && seq_geq(vsk->snd_una, vsk->tlp_high_seq))
		vsk->tlp_out = 0;
	if (!(vsk->opts & VTCP_OPT_SACK))
		vsk->sacked_out -= min(vsk->sacked_out, acked);
	if (episode_was_spurious(sk, skb))
		undo_episode(sk, vsk->snd_una - acked);
	if (vsk->ca_state != VTCP_CA_OPEN && seq_geq(vsk->snd_una, vsk->recover))
		exit_recovery(sk);
	switch (vsk->ca_state) {
	case VTCP_CA_OPEN:
	case VTCP_CA_LOSS:
		if (window_was_used(vsk))
			vsk->cc->cong_avoid(sk, acked);
		break;
	case VTCP_CA_RECOVERY:
		/* RFC 6582: a partial ACK shows the next hole. */
		if (!(vsk->opts & VTCP_OPT_SACK))
			mark_head_lost(sk);
		break;
	}
	detect_loss(sk);
}

/* Resend @skb, one that was lost. */
static int resend(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	int err;

	if (skb->len > vsk->mss)	/* one segment at a time */
		vtcp_split_segment(sk, skb, vsk->mss);

	if (!vsk->undo_ts_set) {	/* no later than the copy's TSval */
		vsk->undo_tsval = vtcp_ts_now(sk);
		vsk->undo_ts_set = 1;
	}
	err = vtcp_transmit_queued(sk, skb);
	if (err)
		return err;
	if (vsk->undo_retrans < U16_MAX)
		vsk->undo_retrans++;
	cb->retransmitted = 1;
	if (!cb->rexmit) {
		cb->rexmit = 1;
		vsk->retrans_out += seg_len(skb);
	}
	vsk->retrans_segs++;
	vsk->bytes_retrans += skb->len;
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_RETRANS_SEGS);
	trace_vtcp_retransmit(sk, skb, cb->lost_by);
	if (!vtcp_timer_pending(sk, VTCP_TIMER_RTX))
		vtcp_arm_rtx(sk);
	return 0;
}

/**
 * vtcp_retransmit_lost() - resend lost segments while the window allows
 * @sk: the socket
 *
 * Oldest first; the search starts where the last one stopped (lost_hint), not
 * at snd_una.
 *
 * Context: @sk locked.
 */
void vtcp_retransmit_lost(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *skb;

	if (!vsk->lost_out)
		return;
	skb = vtcp_rtx_find(sk, vsk->lost_hint);
	for (; skb; skb = skb_rb_next(skb)) {
		struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
		u32 pipe = vtcp_in_flight(sk);

		if (!cb->lost || cb->rexmit)
			continue;
		vsk->lost_hint = cb->seq;
		if (pipe && pipe + min_t(u32, seg_len(skb), vsk->mss) > vsk->cwnd)
			return;
		if (resend(sk, skb)) {
			/* No memory: the timer tries again. */
			if (!vtcp_timer_pending(sk, VTCP_TIMER_RTX))
				vtcp_arm_rtx(sk);
			return;
		}
	}
	vsk->lost_hint = vsk->snd_nxt;
}

/**
 * vtcp_probe_timeout_ns() - when a tail loss probe is due (RFC 8985 section
 * 7)
 * @sk: the socket
 *
 * When the last segments of a flight are lost, no ACK comes to tell it. Two
 * round trips on (plus a delayed ACK's worth when one segment is out), well
 * before the RTO, the last segment goes again; its ACK or SACK lets RACK find
 * what else was lost. One probe per flight; none in recovery, after a
 * timeout, without SACK, or for a SYN or a FIN (their timer backs off as the
 * RTO does).
 *
 * Context: @sk locked.
 * Return: the delay in nanoseconds, or 0 for no probe.
 */
u64 vtcp_probe_timeout_ns(const struct sock *sk)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	u64 pto;

	if (!(vsk->opts & VTCP_OPT_SACK) || vsk->ca_state != VTCP_CA_OPEN ||
	    !vsk->srtt_us || vsk->tlp_out || vsk->snd_una == vsk->snd_nxt ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) ||
	    !vtcp_sysctl(sock_net(sk), rack))
		return 0;
	pto = 2ULL * vsk->srtt_us * NSEC_PER_USEC + 10 * NSEC_PER_MSEC;
	if (vsk->snd_nxt - vsk->snd_una <= vsk->mss)
		pto += (u64)TCP_DELACK_MAX * NSEC_PER_SEC / HZ;
	return pto;
}

/**
 * vtcp_tlp_timeout() - the tail loss probe is due
 * @sk: the socket
 *
 * Resends the last segment sent, one MSS of it, unless it is SACKed. Sent or
 * not, that was the flight's probe: the RTX timer runs for the RTO next (RFC
 * 8985 section 7.3), or a flight whose every segment the peer SACKed, and
 * whose head it never acknowledges, would wait for a probe forever.
 *
 * Context: @sk locked.
 */
void vtcp_tlp_timeout(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *skb = vtcp_rtx_tail(sk);

	if (skb && skb->len > vsk->mss &&
	    !vtcp_split_segment(sk, skb, skb->len - vsk->mss))
		skb = vtcp_rtx_tail(sk);
	if (skb && !VTCP_SKB_CB(skb)->sacked &&
	    !vtcp_transmit_queued(sk, skb)) {
		VTCP_SKB_CB(skb)->retransmitted = 1;
		vsk->retrans_segs++;
		vsk->bytes_retrans += skb->len;
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_RETRANS_SEGS);
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_LOSS_PROBES);
		trace_vtcp_retransmit(sk, skb, VTCP_RETRANS_TLP);
	}
	vsk->tlp_out = 1;
	vsk->tlp_high_seq = vsk->snd_nxt;
	vtcp_arm_rtx(sk);
}

/**
 * vtcp_reo_timeout() - RACK's reordering window ended
 * @sk: the socket
 *
 * The RTX timer ran for it: looks for losses again, resends them.
 *
 * Context: @sk locked.
 */
void vtcp_reo_timeout(struct sock *sk)
{
	detect_loss(sk);
	vtcp_retransmit_lost(sk);
	vtcp_arm_rtx(sk);
}

/**
 * vtcp_resend_oversized() - resend what no longer fits the path MTU
 * @sk: the socket
 *
 * The path MTU fell below segments in flight, which were dropped on the way:
 * resend them at the new size at once. The window stays, since the network
 * did not say it was congested (as tcp_simple_retransmit()).
 *
 * Context: @sk locked.
 */
void vtcp_resend_oversized(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *skb;

	for (skb = vtcp_rtx_head(sk); skb; skb = skb_rb_next(skb)) {
		struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

		if (skb->len <= vsk->mss || cb->sacked)
			continue;
		/* if resent, at the old size */
		mark_lost_again(vsk, skb, VTCP_RETRANS_PMTU);
	}
	if (!vsk->lost_out)
		return;
	if (vsk->ca_state != VTCP_CA_LOSS) {
		vsk->prior_ssthresh = 0;	/* nothing to undo */
		vsk->recover = vsk->snd_nxt;
		vsk->ca_state = VTCP_CA_LOSS;
	}
	vtcp_retransmit_lost(sk);
}

/**
 * vtcp_enter_loss() - the retransmission timer expired: everything is lost
 * @sk: the socket
 *
 * Everything in flight that was not SACKed is lost, and the window starts
 * again from one segment (RFC 5681 3.1). SACK marks stand the first time, as
 * Linux keeps them (resending what the peer holds only costs time under heavy
 * loss). They are forgotten, in case the peer reneged (RFC 2018 section 8:
 * vtcp's own receiver drops out-of-order data when in-order data needs the
 * room), from the second timeout in a row, or at once when the head itself
 * is SACKed: a peer that holds it would have acknowledged it, so its SACKs
 * are not to be trusted (reneged, or forged), and the head must go again
 * (as tcp_timeout_mark_lost()).
 *
 * Context: @sk locked.
 */
void vtcp_enter_loss(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *skb = vtcp_rtx_head(sk);
	bool reneged = skb && VTCP_SKB_CB(skb)->sacked;
	bool keep_sacks = vsk->retries <= 1 && !reneged;

	if (reneged)
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_SACK_RENEGING);
	if (vsk->ca_state == VTCP_CA_OPEN)
		begin_episode(sk);
	if (vsk->ca_state != VTCP_CA_LOSS) {
		if (vsk->cc->on_loss)
			vsk->cc->on_loss(sk);
		vsk->ssthresh = vsk->cc->ssthresh(sk);
	}
	vsk->lost_out = 0;
	vsk->retrans_out = 0;
	if (!keep_sacks) {
		vsk->sacked_out = 0;
		vsk->high_sacked = vsk->snd_una;
	}
	vsk->lost_hint = vsk->snd_una;
	for (skb = vtcp_rtx_head(sk); skb; skb = skb_rb_next(skb)) {
		struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

		cb->rexmit = 0;
		if (cb->sacked && keep_sacks)
			continue;
		if (unlikely(cb->mtu_probe))
			vtcp_mtu_probe_lost(sk, skb);
		cb->sacked = 0;
		cb->lost = 1;
		cb->lost_by = VTCP_RETRANS_RTO;
		vsk->lost_out += seg_len(skb);
		vtcp_rtx_leave_flight(skb);
	}
	vsk->cwnd = vsk->mss;
	vsk->recover = vsk->snd_nxt;
	vsk->dupacks = 0;
	vsk->reo_at_ns = 0;
	vsk->tlp_out = 0;
	vsk->ca_state = VTCP_CA_LOSS;
	vsk->undo_state = VTCP_CA_LOSS;
	vtcp_retransmit_lost(sk);
}
