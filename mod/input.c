// SPDX-License-Identifier: GPL-2.0
/*
 * Segments in: checked, counted, found a socket, and turned into events
 * for the state machine (RFC 9293 section 3.10.7, "SEGMENT ARRIVES").
 *
 * vtcp_rcv() runs in softirq. It takes the socket's spinlock; when a user
 * context owns the socket the segment waits on the backlog and
 * vtcp_do_rcv() runs at release_sock(), as for TCP.
 */
#include <linux/filter.h>
#include <linux/security.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/xfrm.h>

#include "vtcp.h"
#include "fsm.h"
#include "hash.h"
#include "input.h"
#include "memory.h"
#include "netlink.h"
#include "options.h"
#include "output.h"
#include "pmtu.h"
#include "ratelimit.h"
#include "recovery.h"
#include "request.h"
#include "rtx.h"
#include "stream.h"
#include "timers.h"
#include "timewait.h"
#include "trace.h"
#include "wire.h"

/* Count @skb in @mib and drop it, saying @why. */
static void drop(struct sock *sk, struct sk_buff *skb, struct net *net,
		 enum vtcp_mib mib, enum vtcp_drop_reason why)
{
	VTCP_INC_STATS(net, mib);
	vtcp_drop(sk, skb, why);
}

/* Pull the whole header into the linear area, or say why not. */
static bool header_is_sane(struct sk_buff *skb)
{
	unsigned int len;

	if (!pskb_may_pull(skb, VTCP_HDR_MIN))
		return false;
	len = vtcp_hdr_len(vtcp_hdr(skb));
	return len >= VTCP_HDR_MIN && len <= skb->len && pskb_may_pull(skb, len);
}

/* The sum over @skb and its family's pseudo-header with protocol @proto. */
static __sum16 pseudo_csum(const struct sk_buff *skb, u8 proto, __wsum sum)
{
	if (vtcp_skb_is_v6(skb))	/* RFC 8200 8.1 */
		return csum_ipv6_magic(&ipv6_hdr(skb)->saddr,
				       &ipv6_hdr(skb)->daddr, skb->len, proto,
				       sum);
	return csum_tcpudp_magic(ip_hdr(skb)->saddr, ip_hdr(skb)->daddr,
				 skb->len, proto, sum);
}

/*
 * The checksum covers a pseudo-header with our protocol number. With
 * accept_tcp_csum, one made with TCP's (6) passes too: what a Linux TCP
 * peer sends through a tc rewrite of the protocol field.
 */
static bool checksum_is_good(struct sk_buff *skb, struct net *net)
{
	__wsum sum;

	if (skb_csum_unnecessary(skb))
		return true;
	sum = skb->ip_summed == CHECKSUM_COMPLETE ? skb->csum :
		skb_checksum(skb, 0, skb->len, 0);
	if (!pseudo_csum(skb, vtcp_protocol, sum))
		return true;
	return vtcp_sysctl(net, accept_tcp_csum) &&
	       !pseudo_csum(skb, IPPROTO_TCP, sum);
}

/**
 * vtcp_rcv_checks() - the checks every segment passes first
 * @skb: a segment from IP or IPv6, its data at our header
 * @net: its namespace
 *
 * For this host, a whole header, a good checksum: counted in InSegs, and
 * then, if it fails, dropped and counted (InHdrErrors, InCsumErrors).
 *
 * Context: softirq.
 * Return: true when @skb may go on to its socket.
 */
bool vtcp_rcv_checks(struct sk_buff *skb, struct net *net)
{
	if (skb->pkt_type != PACKET_HOST) {
		vtcp_drop(NULL, skb, VTCP_DROP_OTHERHOST);
		return false;
	}
	VTCP_INC_STATS(net, VTCP_MIB_IN_SEGS);
	if (!header_is_sane(skb)) {
		drop(NULL, skb, net, VTCP_MIB_IN_HDR_ERRS, VTCP_DROP_HEADER);
		return false;
	}
	if (!checksum_is_good(skb, net)) {
		drop(NULL, skb, net, VTCP_MIB_IN_CSUM_ERRS, VTCP_DROP_CSUM);
		return false;
	}
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	return true;
}

/* The interface @skb came in on, from IP's control block. */
static int skb_iif(const struct sk_buff *skb)
{
	return vtcp_skb_is_v6(skb) ? inet6_iif(skb) : inet_iif(skb);
}

static int skb_sdif(const struct sk_buff *skb)
{
	return vtcp_skb_is_v6(skb) ? inet6_sdif(skb) : inet_sdif(skb);
}

static unsigned short skb_family(const struct sk_buff *skb)
{
	return vtcp_skb_is_v6(skb) ? AF_INET6 : AF_INET;
}

static void fill_cb(struct sk_buff *skb)
{
	const struct tcphdr *th = vtcp_hdr(skb);
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	int iif = skb_iif(skb);
	struct vtcp_opts o;

	memset(cb, 0, sizeof(*cb));
	cb->iif = iif;
	cb->seq = ntohl(th->seq);
	cb->end_seq = cb->seq + th->syn + th->fin + skb->len - vtcp_hdr_len(th);
	cb->ack_seq = ntohl(th->ack_seq);
	cb->flags = tcp_flag_byte(th);
	if (th->doff > VTCP_HDR_MIN / 4) {
		vtcp_parse_options(th, &o);
		if (o.has & VTCP_OPT_TIMESTAMPS) {
			cb->has_ts = 1;
			cb->tsval = o.tsval;
			cb->tsecr = o.tsecr;
		}
		cb->has_sacks = !!(o.has & VTCP_OPT_SACK_BLOCKS);
	}
}

/*
 * The lookup reads IP's control block (inet_sdif(): the VRF slave a
 * segment came in on), which fill_cb() overwrites: it comes first.
 */
static struct sock *lookup(struct net *net, struct sk_buff *skb,
			   bool *refcounted)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct tcphdr *th = vtcp_hdr(skb);

	return __inet_lookup(net, &vtcp_hashinfo, skb, vtcp_hdr_len(th),
			     iph->saddr, th->source, iph->daddr, th->dest,
			     inet_iif(skb), inet_sdif(skb), refcounted);
}

/*
 * A segment for a TIME-WAIT entry: returns the listener that is to take
 * it (a SYN that ends TIME-WAIT), else NULL with the segment consumed.
 * vtcp_tw_rcv() needs our control block, the listener's path IP's: it
 * is put back, and the ISN chosen for the successor kept in @isn (as
 * tcp_v4_restore_cb()).
 */
static struct sock *time_wait(struct sock *sk, struct sk_buff *skb, u32 *isn)
{
	union {
		struct inet_skb_parm h4;
		struct inet6_skb_parm h6;
	} ipcb;
	int sdif = skb_sdif(skb);

	if (vtcp_skb_is_v6(skb))
		ipcb.h6 = *IP6CB(skb);
	else
		ipcb.h4 = *IPCB(skb);
	if (!xfrm_policy_check(NULL, XFRM_POLICY_IN, skb, skb_family(skb))) {
		vtcp_drop(sk, skb, VTCP_DROP_XFRM);
		inet_twsk_put(inet_twsk(sk));
		return NULL;
	}
	fill_cb(skb);
	sk = vtcp_tw_rcv(inet_twsk(sk), skb, sdif);
	if (sk) {
		*isn = VTCP_SKB_CB(skb)->tw_isn;
		if (vtcp_skb_is_v6(skb))
			*IP6CB(skb) = ipcb.h6;
		else
			*IPCB(skb) = ipcb.h4;
	}
	return sk;
}

/**
 * vtcp_rcv_no_socket() - answer a segment that no socket takes
 * @net: its namespace
 * @skb: the segment, freed here
 *
 * An RST, unless IPsec policy wants it dropped.
 *
 * Context: softirq.
 */
void vtcp_rcv_no_socket(struct net *net, struct sk_buff *skb)
{
	if (xfrm_policy_check(NULL, XFRM_POLICY_IN, skb, skb_family(skb))) {
		fill_cb(skb);
		vtcp_send_reset_for(net, skb);
	}
	drop(NULL, skb, net, VTCP_MIB_IN_NO_SOCKET, VTCP_DROP_NO_SOCKET);
}

/*
 * May @sk have @skb? IPsec policy, the socket's own or else the
 * namespace's (IP leaves it to us: no_policy), then sk_filter(): the
 * LSM, cgroup BPF and the socket's filter, which may also trim the data
 * (never the header). In tcp_v4_rcv()'s order; both read IP's control
 * block. Takes @skb if not.
 */
static bool admitted(struct sock *sk, struct sk_buff *skb)
{
	if (!xfrm_policy_check(sk, XFRM_POLICY_IN, skb, skb_family(skb))) {
		sk_drops_add(sk, skb);
		vtcp_drop(sk, skb, VTCP_DROP_XFRM);
		return false;
	}
	nf_reset_ct(skb);
	if (sk_filter_trim_cap(sk, skb, vtcp_hdr_len(vtcp_hdr(skb)))) {
		sk_drops_add(sk, skb);
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_IN_FILTER_DROP);
		vtcp_drop(sk, skb, VTCP_DROP_FILTER);
		return false;
	}
	return true;
}

/**
 * vtcp_rcv() - IPv4's handler for our protocol number
 * @skb: a segment from IP
 *
 * IPv6's is in ipv6.c; both go on in vtcp_rcv_segment().
 *
 * Context: softirq.
 * Return: 0 (the segment is always taken).
 */
int vtcp_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	bool refcounted;
	struct sock *sk;

	if (!vtcp_rcv_checks(skb, net))
		return 0;
	sk = lookup(net, skb, &refcounted);
	if (!sk) {
		vtcp_rcv_no_socket(net, skb);
		return 0;
	}
	return vtcp_rcv_segment(net, skb, sk, refcounted);
}

/**
 * vtcp_rcv_segment() - hand a checked segment to the socket the lookup found
 * @net: its namespace
 * @skb: the segment, of either family, past vtcp_rcv_checks()
 * @sk: its socket, or a timewait socket
 * @refcounted: whether the lookup took a reference on @sk (else RCU protects
 * it)
 *
 * Processed at once, or queued to the backlog when a user owns @sk.
 *
 * Context: softirq, in an RCU read-side section.
 * Return: what vtcp_do_rcv() returned, or 0.
 */
int vtcp_rcv_segment(struct net *net, struct sk_buff *skb, struct sock *sk,
		     bool refcounted)
{
	u32 isn = 0;
	int ret = 0;

	if (sk->sk_state == TCP_TIME_WAIT) {
		sk = time_wait(sk, skb, &isn);
		if (!sk)
			return 0;
		refcounted = false;	/* a listener, as lookups return them */
	}
	if (!admitted(sk, skb))
		goto put;
	fill_cb(skb);
	VTCP_SKB_CB(skb)->tw_isn = isn;

	bh_lock_sock_nested(sk);
	if (!sock_owned_by_user(sk)) {
		ret = vtcp_do_rcv(sk, skb);
	} else if (sk_add_backlog(sk, skb, READ_ONCE(sk->sk_rcvbuf) +
					   READ_ONCE(sk->sk_sndbuf))) {
		bh_unlock_sock(sk);
		drop(sk, skb, net, VTCP_MIB_BACKLOG_DROP, VTCP_DROP_BACKLOG);
		goto put;
	}
	bh_unlock_sock(sk);
put:
	if (refcounted)
		sock_put(sk);
	return ret;
}

/* RFC 9293: is any part of the segment inside the receive window? */
static bool seg_acceptable(const struct vtcp_sock *vsk,
			   const struct vtcp_skb_cb *cb)
{
	return seq_acceptable(vsk->rcv_nxt,
			      seq_window_left(vsk->rcv_wup, vsk->rcv_wnd,
					      vsk->rcv_nxt),
			      cb->seq, cb->end_seq);
}

/* An ACK of where we are, unless one went out too recently. */
static void answer_invalid(struct sock *sk, const struct sk_buff *skb,
			   enum vtcp_mib skipped)
{
	if (!vtcp_oow_rate_limited(sock_net(sk), skb, skipped,
				   &vtcp_sk(sk)->last_oow_ack))
		vtcp_send_ack(sk);
}

/*
 * Free what @ack covers from the write queue; true if it covered a FIN.
 * The newest segment freed that was sent once gives an RTT sample.
 */
static bool clean_acked(struct sock *sk, u32 ack, bool *sampled)
{
	struct sk_buff *skb;
	bool fin = false, first = true;
	u64 sent_ns = 0;

	skb = vtcp_rtx_head(sk);
	if (skb && seq_after(ack, VTCP_SKB_CB(skb)->seq) &&
	    seq_before(ack, VTCP_SKB_CB(skb)->end_seq))
		vtcp_split_segment(sk, skb, ack - VTCP_SKB_CB(skb)->seq);
	while ((skb = vtcp_rtx_head(sk)) &&
	       seq_leq(VTCP_SKB_CB(skb)->end_seq, ack)) {
		vtcp_rtx_unlink(sk, skb);
		vtcp_uncharge_write(sk, skb);
		vtcp_forget_acked(sk, skb, first);
		first = false;
		fin |= VTCP_SKB_CB(skb)->flags & TCPHDR_FIN;
		if (unlikely(VTCP_SKB_CB(skb)->mtu_probe))
			vtcp_mtu_probe_acked(sk);
		sent_ns = VTCP_SKB_CB(skb)->retransmitted ? 0 :
			  VTCP_SKB_CB(skb)->sent_ns;
		consume_skb(skb);
	}
	sk_mem_reclaim(sk);
	*sampled = sent_ns;
	if (sent_ns)
		vtcp_rtt_sample(sk, max_t(u64, div_u64(ktime_get_ns() - sent_ns,
						       NSEC_PER_USEC), 1));
	return fin;
}

/* The peer's window, scaled (RFC 7323 2.3; never on a SYN). */
static u32 peer_window(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcphdr *th = vtcp_hdr(skb);

	return th->syn ? ntohs(th->window) :
			 (u32)ntohs(th->window) << vtcp_sk(sk)->snd_wscale;
}

static void update_window(struct sock *sk, const struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	if (seq_before(vsk->snd_wl1, cb->seq) ||
	    (vsk->snd_wl1 == cb->seq && seq_leq(vsk->snd_wl2, cb->ack_seq))) {
		vsk->snd_wnd = peer_window(sk, skb);
		vsk->max_window = max(vsk->max_window, vsk->snd_wnd);
		vsk->snd_wl1 = cb->seq;
		vsk->snd_wl2 = cb->ack_seq;
	}
}

/* RFC 5681: nothing new acknowledged, no data, same window, data out. */
static bool is_dupack(struct sock *sk, const struct sk_buff *skb)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	return cb->end_seq == cb->seq && vsk->snd_nxt != vsk->snd_una &&
	       peer_window(sk, skb) == vsk->snd_wnd;
}

/* The SACK blocks of @skb, when both sides agreed to them. */
static const struct vtcp_opts *sack_option(struct sock *sk,
					   const struct sk_buff *skb,
					   struct vtcp_opts *o)
{
	if (!(vtcp_sk(sk)->opts & VTCP_OPT_SACK) ||
	    !VTCP_SKB_CB(skb)->has_sacks)
		return NULL;
	vtcp_parse_options(vtcp_hdr(skb), o);
	return o;
}

/* An echoed timestamp measures the round trip of any segment (RFC 7323 4). */
static void rtt_from_timestamp(struct sock *sk, const struct sk_buff *skb)
{
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	u32 ms;

	if (!cb->has_ts || !cb->tsecr || !(vtcp_sk(sk)->opts & VTCP_OPT_TIMESTAMPS))
		return;
	ms = vtcp_ts_now(sk) - cb->tsecr;
	if (ms < 60 * MSEC_PER_SEC)
		vtcp_rtt_sample(sk, max(ms, 1U) * USEC_PER_MSEC);
}

/*
 * RFC 5961 5.2: an ACK more than a window below SND.UNA is blind. The
 * window counts only bytes that were acknowledged: less was never sent.
 */
static u32 never_sent_below(const struct vtcp_sock *vsk)
{
	return min_t(u64, vsk->max_window, vsk->bytes_acked);
}

/*
 * The ACK of an acceptable segment. Returns false to drop the segment;
 * then *@why says why, if it counts as a drop.
 */
static bool rcv_ack(struct sock *sk, struct sk_buff *skb,
		    enum vtcp_drop_reason *why)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 ack = VTCP_SKB_CB(skb)->ack_seq;
	const struct vtcp_opts *sacks;
	struct vtcp_opts opts;
	bool fin_acked, sampled;
	u32 acked;

	if (seq_after(ack, vsk->snd_nxt)) {
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_IN_BAD_ACK);
		answer_invalid(sk, skb, VTCP_MIB_ACK_SKIPPED_BAD_ACK);
		*why = VTCP_DROP_BAD_ACK;
		return false;
	}
	if (sk->sk_state == TCP_SYN_RECV) {
		if (!seq_after(ack, vsk->snd_una)) {
			vtcp_send_reset_for(sock_net(sk), skb);
			return false;
		}
		if (vtcp_child_defers(sk, skb)) {
			vtcp_fsm(sk, VTCP_EV_BARE_ACK, skb);
			*why = VTCP_DROP_DEFER_ACCEPT;
			return false;		/* TCP_DEFER_ACCEPT waits for data */
		}
		vtcp_fsm(sk, VTCP_EV_ACK_OF_SYN, skb);
		if (sk->sk_state == TCP_CLOSE)
			return false;	/* the listener was gone */
	}
	if (seq_before(ack, vsk->snd_una - never_sent_below(vsk))) {
		vtcp_challenge_ack(sk);		/* RFC 5961 5.2: blind data */
		return false;
	}
	if (seq_before(ack, vsk->snd_una))
		return true;			/* old: ignore it */
	sacks = sack_option(sk, skb, &opts);
	if (ack == vsk->snd_una) {
		vtcp_ack_no_progress(sk, sacks, is_dupack(sk, skb));
		update_window(sk, skb);
		if (!vtcp_window_blocks(sk))
			vsk->probes = 0;	/* else the probes back off */
		vtcp_push(sk);			/* the window may have opened */
		return true;
	}
	update_window(sk, skb);
	vsk->probes = 0;
	fin_acked = clean_acked(sk, ack, &sampled);
	if (!sampled)
		rtt_from_timestamp(sk, skb);
	acked = ack - vsk->snd_una;
	vsk->bytes_acked += acked;
	vsk->snd_una = ack;
	vsk->retries = 0;
	WRITE_ONCE(sk->sk_err_soft, 0);		/* the path works */
	vtcp_ack_progress(sk, skb, sacks, acked);
	if (vtcp_queues_empty(sk))
		vtcp_clear_timer(sk, VTCP_TIMER_RTX);
	else
		vtcp_arm_rtx(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		vtcp_expand_sndbuf(sk);
		sk->sk_write_space(sk);
	}
	if (fin_acked)
		vtcp_fsm(sk, VTCP_EV_ACK_OF_FIN, skb);
	if (sk->sk_state != TCP_CLOSE)
		vtcp_push(sk);
	return true;
}

/* A SYN-ACK for our SYN: both sides are synchronized. */
static void syn_acked(struct sock *sk, const struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 ack = VTCP_SKB_CB(skb)->ack_seq;

	bool sampled;

	clean_acked(sk, ack, &sampled);
	vsk->snd_una = ack;
	vsk->retries = 0;
	vtcp_stop_timer(sk, VTCP_TIMER_RTX);
	if (!vtcp_fsm(sk, VTCP_EV_SYNACK, (struct sk_buff *)skb))
		vtcp_push(sk);
}

/*
 * New data for a socket its user has closed: RFC 1122 4.2.2.13 says
 * reset, as TCP and BSD do, so the sender learns nobody reads it.
 */
static bool closed_for_data(struct sock *sk, const struct sk_buff *skb)
{
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	return (1 << sk->sk_state) & (TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2) &&
	       (sk->sk_shutdown & RCV_SHUTDOWN) &&
	       seq_after(cb->end_seq - !!(cb->flags & TCPHDR_FIN),
			 vtcp_sk(sk)->rcv_nxt);
}

/*
 * A pure ACK that only came out of order: no data, no SYN or FIN, at
 * rcv_nxt, its timestamp behind by less than an RTO. Two ACKs sent from
 * two CPUs, or a path that reorders, do that; dropping it would throw its
 * SACK blocks away and answer it with an ACK. PAWS guards data, which this
 * has none of (Linux exempts these too).
 */
static bool disordered_ack(const struct sock *sk, const struct sk_buff *skb)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	u32 rto_ms = vsk->rto_us / USEC_PER_MSEC +
		     vtcp_sysctl(sock_net(sk), rto_min_ms);

	return !(cb->flags & (TCPHDR_SYN | TCPHDR_FIN)) &&
	       cb->end_seq == cb->seq && cb->seq == vsk->rcv_nxt &&
	       vsk->ts_recent - cb->tsval <= rto_ms;
}

/*
 * RFC 7323 5.5: a ts_recent this old (seconds) may have wrapped, so it
 * says nothing. 6.1 calls it TCP_PAWS_24DAYS; 6.12 dropped the name (its
 * TCP_PAWS_WRAP is the bound for microsecond timestamps).
 */
#define VTCP_PAWS_24DAYS	(60 * 60 * 24 * 24)

/*
 * RFC 7323 5.3 (PAWS): a timestamp older than the last one echoed marks
 * an old duplicate, unless that one is more than 24 days old. RSTs pass.
 */
static bool paws_rejects(const struct sock *sk, const struct sk_buff *skb)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	return cb->has_ts && (vsk->opts & VTCP_OPT_TIMESTAMPS) &&
	       !(cb->flags & TCPHDR_RST) &&
	       (s32)(cb->tsval - vsk->ts_recent) < 0 &&
	       (u32)ktime_get_seconds() - vsk->ts_recent_stamp < VTCP_PAWS_24DAYS &&
	       !disordered_ack(sk, skb);
}

/* RFC 7323 4.3: echo the timestamp of the segment our next ACK covers. */
static void remember_timestamp(struct sock *sk, const struct vtcp_skb_cb *cb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	if (cb->has_ts && seq_leq(cb->seq, vsk->rcv_wup) &&
	    (s32)(cb->tsval - vsk->ts_recent) >= 0) {
		vsk->ts_recent = cb->tsval;
		vsk->ts_recent_stamp = ktime_get_seconds();
	}
}

/* Segment arrives in a synchronized state, or SYN-RECEIVED. */
static void rcv_established(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	const struct tcphdr *th = vtcp_hdr(skb);
	enum vtcp_drop_reason why = VTCP_NR_DROPS;	/* none */

	/* Our SYN-ACK was lost (their SYN again), or simultaneous open. */
	if (sk->sk_state == TCP_SYN_RECV && th->syn && cb->seq == vsk->irs) {
		if (!th->ack)
			vtcp_fsm(sk, VTCP_EV_SYN, skb);
		else if (cb->ack_seq == vsk->snd_nxt && !vsk->req)
			syn_acked(sk, skb);
		goto drop;
	}
	if (paws_rejects(sk, skb)) {
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_IN_PAWS_DROP);
		vtcp_note_old_data(sk, cb);
		answer_invalid(sk, skb, VTCP_MIB_ACK_SKIPPED_PAWS);
		why = VTCP_DROP_PAWS;
		goto drop;
	}
	if (!seg_acceptable(vsk, cb)) {
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_IN_OUT_OF_WINDOW);
		if (th->syn) {
			vtcp_challenge_ack(sk);	/* RFC 5961 4.2: any SYN */
		} else if (!th->rst) {
			vtcp_note_old_data(sk, cb);
			answer_invalid(sk, skb, VTCP_MIB_ACK_SKIPPED_SEQ);
		}
		why = VTCP_DROP_OUT_OF_WINDOW;
		goto drop;
	}
	remember_timestamp(sk, cb);
	vsk->rcv_tstamp_ns = ktime_get_ns();
	vsk->keepalive_probes = 0;
	if (th->rst) {
		if (cb->seq == vsk->rcv_nxt) {
			VTCP_INC_STATS(sock_net(sk), VTCP_MIB_RESETS_IN);
			vtcp_fsm(sk, VTCP_EV_RST, skb);
		} else {
			vtcp_challenge_ack(sk);	/* RFC 5961 section 3 */
		}
		goto drop;
	}
	if (th->syn) {
		vtcp_challenge_ack(sk);		/* RFC 5961 section 4 */
		goto drop;
	}
	if (!th->ack || !rcv_ack(sk, skb, &why) || sk->sk_state == TCP_CLOSE)
		goto drop;
	trace_vtcp_probe(sk, skb);

	if (cb->end_seq == cb->seq)
		goto drop;			/* a bare ACK */
	if (closed_for_data(sk, skb)) {
		vtcp_fsm(sk, VTCP_EV_ABORT, skb);
		goto drop;
	}
	if ((1 << sk->sk_state) &
	    (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)) {
		__skb_pull(skb, vtcp_hdr_len(th));
		vtcp_queue_rcv(sk, skb);
		return;
	}
	if (th->fin && cb->seq == vsk->rcv_nxt)
		vtcp_fsm(sk, VTCP_EV_FIN, skb);	/* FIN again after ours */
	else
		vtcp_send_ack(sk);
drop:
	if (why != VTCP_NR_DROPS)
		vtcp_drop(sk, skb, why);
	else
		consume_skb(skb);
}

/* RFC 9293 3.10.7.3: SYN-SENT. */
static void rcv_syn_sent(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	const struct tcphdr *th = vtcp_hdr(skb);

	if (th->ack && (seq_leq(cb->ack_seq, vsk->iss) ||
			seq_after(cb->ack_seq, vsk->snd_nxt))) {
		vtcp_send_reset_for(sock_net(sk), skb);	/* not for our SYN */
		goto drop;
	}
	if (th->rst) {
		if (th->ack) {
			VTCP_INC_STATS(sock_net(sk), VTCP_MIB_RESETS_IN);
			vtcp_fsm(sk, VTCP_EV_RST, skb);
		}
		goto drop;
	}
	if (!th->syn)
		goto drop;
	vtcp_init_from_syn(sk, skb);
	if (th->ack) {
		security_inet_conn_established(sk, skb);
		syn_acked(sk, skb);
	} else {
		vtcp_fsm(sk, VTCP_EV_SYN, skb);	/* simultaneous open */
	}
drop:
	consume_skb(skb);
}

/* LISTEN x SYN: a child, or a SYN cookie. */
static void listen_syn(struct sock *sk, struct sk_buff *skb)
{
	if (!vtcp_fsm(sk, VTCP_EV_SYN, skb)) {
		consume_skb(skb);
		return;
	}
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_ATTEMPT_FAILS);
	vtcp_drop(sk, skb, VTCP_DROP_LISTEN);
}

/*
 * LISTEN x ACK: the ACK of a SYN cookie makes a child, which takes @skb;
 * any other is answered with an RST (RFC 9293 3.10.7.2).
 */
static void listen_ack(struct sock *sk, struct sk_buff *skb)
{
	int err = vtcp_fsm(sk, VTCP_EV_ACK_OF_SYN, skb);

	if (!err)
		return;
	if (err == -ENOENT) {
		vtcp_send_reset_for(sock_net(sk), skb);
		vtcp_drop(sk, skb, VTCP_DROP_LISTEN_ACK);
		return;
	}
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_ATTEMPT_FAILS);
	vtcp_drop(sk, skb, VTCP_DROP_LISTEN);
}

static void rcv_listen(struct sock *sk, struct sk_buff *skb)
{
	const struct tcphdr *th = vtcp_hdr(skb);

	if (th->rst || !(th->syn || th->ack)) {
		consume_skb(skb);
		return;
	}
	if (th->syn && th->ack) {
		vtcp_send_reset_for(sock_net(sk), skb);
		consume_skb(skb);
		return;
	}
	if (th->syn && th->fin) {	/* no stack sends it: as TCP, drop */
		consume_skb(skb);
		return;
	}
	/*
	 * From the backlog this runs with BHs on, and the new child is
	 * locked (a BH lock) while its SYN-ACK goes out: a softirq on this
	 * CPU with the peer's answer would spin on it forever. And out of
	 * softirq there is no RCU read side, which routing the child needs.
	 */
	local_bh_disable();
	rcu_read_lock();
	if (th->syn)
		listen_syn(sk, skb);
	else
		listen_ack(sk, skb);
	rcu_read_unlock();
	local_bh_enable();
}

/**
 * vtcp_do_rcv() - process a segment for a socket that we hold
 * @sk: the socket, locked (bh_lock_sock()) or owned (its backlog)
 * @skb: the segment, taken by this function
 *
 * Context: softirq, or process context from release_sock().
 * Return: 0.
 */
int vtcp_do_rcv(struct sock *sk, struct sk_buff *skb)
{
	vtcp_sk(sk)->segs_in++;
	vtcp_event_seg_in(sk, skb);
	switch (sk->sk_state) {
	case TCP_LISTEN:
		rcv_listen(sk, skb);
		break;
	case TCP_SYN_SENT:
		rcv_syn_sent(sk, skb);
		break;
	case TCP_CLOSE:
		vtcp_send_reset_for(sock_net(sk), skb);
		consume_skb(skb);
		break;
	default:
		rcv_established(sk, skb);
	}
	return 0;
}
