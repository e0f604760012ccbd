// SPDX-License-Identifier: GPL-2.0
/*
 * Segments out: building headers, sending the write queue within the
 * windows, retransmitting its head, bare ACKs and RSTs, and replies for
 * segments that have no socket (sent from a per-namespace control socket).
 */
#include <linux/random.h>
#include <linux/siphash.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "ipv6.h"
#include "memory.h"
#include "netlink.h"
#include "options.h"
#include "output.h"
#include "pmtu.h"
#include "recovery.h"
#include "rtx.h"
#include "socket.h"
#include "stream.h"
#include "timers.h"
#include "trace.h"
#include "wire.h"

/* A full software checksum: replies from the control socket. */
static void set_checksum(struct sk_buff *skb, __be32 saddr, __be32 daddr)
{
	struct tcphdr *th = vtcp_hdr(skb);

	th->check = 0;
	th->check = csum_tcpudp_magic(saddr, daddr, skb->len, vtcp_protocol,
				      skb_checksum(skb, 0, skb->len, 0));
	skb->ip_summed = CHECKSUM_NONE;
}

/*
 * Our segments leave with CHECKSUM_PARTIAL: the pseudo-header sum is in
 * place and the device (NETIF_F_HW_CSUM, as veth) or the stack's software
 * fallback before the driver finishes it. No per-byte work here.
 */
static void set_checksum_partial(struct sk_buff *skb, __be32 saddr,
				 __be32 daddr)
{
	struct tcphdr *th = vtcp_hdr(skb);

	th->check = ~csum_tcpudp_magic(saddr, daddr, skb->len, vtcp_protocol, 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
}

/* Fill in our header and options in front of @skb's payload. */
static struct tcphdr *push_header(struct sk_buff *skb, __be16 sport,
				  __be16 dport, u32 seq, u32 ack, u8 flags,
				  u16 win, const struct vtcp_opts *opts)
{
	unsigned int len = VTCP_HDR_MIN + (opts ? vtcp_options_len(opts) : 0);
	struct tcphdr *th;

	th = skb_push(skb, len);
	skb_reset_transport_header(skb);
	memset(th, 0, VTCP_HDR_MIN);
	th->source = sport;
	th->dest = dport;
	th->seq = htonl(seq);
	th->ack_seq = (flags & TCPHDR_ACK) ? htonl(ack) : 0;
	th->doff = len / 4;
	tcp_flag_byte(th) = flags;
	th->window = htons(win);
	if (opts)
		vtcp_write_options((u8 *)(th + 1), opts);
	return th;
}

/**
 * vtcp_ts_clock() - the clock our timestamps count
 *
 * Context: any context.
 * Return: milliseconds of the monotonic clock, truncated to 32 bits.
 */
u32 vtcp_ts_clock(void)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_MSEC);
}

/**
 * vtcp_ts_now() - a socket's timestamp clock now (RFC 7323 5.4)
 * @sk: the socket
 *
 * Context: any context.
 * Return: vtcp_ts_clock() from the socket's random start, ts_offset.
 */
u32 vtcp_ts_now(const struct sock *sk)
{
	return vtcp_ts_clock() + vtcp_sk(sk)->ts_offset;
}

/* SACK blocks that fit beside @len bytes of payload and the timestamps. */
static unsigned int sack_room(const struct vtcp_sock *vsk, unsigned int len)
{
	unsigned int room = vsk->mss > len ? vsk->mss - len : 0;
	unsigned int max = (vsk->opts & VTCP_OPT_TIMESTAMPS) ?
			   TCP_NUM_SACKS - 1 : TCP_NUM_SACKS;

	return room < TCPOLEN_SACK_BASE_ALIGNED + TCPOLEN_SACK_PERBLOCK ? 0 :
	       min(max, (room - TCPOLEN_SACK_BASE_ALIGNED) /
			TCPOLEN_SACK_PERBLOCK);
}

/*
 * The options of a segment with @flags and @len bytes of payload: on
 * SYNs what we offer or accept, then timestamps and SACK blocks.
 */
static void build_options(struct sock *sk, u8 flags, unsigned int len,
			  struct vtcp_opts *o)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	o->has = vsk->opts & VTCP_OPT_TIMESTAMPS;
	o->nr_sacks = 0;
	if (flags & TCPHDR_SYN) {
		o->has = vsk->opts | VTCP_OPT_MSS;
		o->mss = vsk->advmss;
		o->wscale = vsk->rcv_wscale;
	} else if ((vsk->opts & VTCP_OPT_SACK) &&
		   (!RB_EMPTY_ROOT(&vsk->ooo_queue) || vsk->dsack)) {
		/* A D-SACK goes once, so never on what GSO would copy. */
		o->nr_sacks = vtcp_sack_blocks(sk, o->sacks, sack_room(vsk, len),
					       !len);
		if (o->nr_sacks)
			o->has |= VTCP_OPT_SACK_BLOCKS;
	}
	o->tsval = vtcp_ts_now(sk);
	o->tsecr = vsk->ts_recent;
}

/**
 * vtcp_window_room() - how much window a socket could offer now
 * @sk: the socket
 *
 * Context: @sk locked.
 * Return: half its free receive buffer, in bytes, at most what the window
 * field can say at its scale.
 */
u32 vtcp_window_room(const struct sock *sk)
{
	int space = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);

	return min_t(u32, max(space / 2, 0),
		     (u32)U16_MAX << vtcp_sk(sk)->rcv_wscale);
}

/*
 * The window field of our next segment (RFC 7323 2.3: scaled except on
 * SYNs). A window once offered is never taken back (RFC 9293 3.8.6).
 */
static u16 select_window(struct sock *sk, bool syn)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u8 shift = syn ? 0 : vsk->rcv_wscale;
	u32 win = seq_choose_window(vtcp_window_room(sk), vsk->rcv_nxt,
				    vsk->rcv_wup, vsk->rcv_wnd, shift);

	vsk->rcv_wnd = win;
	vsk->rcv_wup = vsk->rcv_nxt;
	return win >> shift;
}

/* A queued segment longer than the MSS leaves as one GSO packet. */
static void mark_for_gso(const struct sock *sk, struct sk_buff *skb)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	u16 mss = vtcp_sk(sk)->mss;

	if (skb_cloned(skb))
		return;		/* shared with a copy in flight: as it was */
	if (skb->len <= mss || VTCP_SKB_CB(skb)->mtu_probe) {
		shinfo->gso_size = 0;
		shinfo->gso_segs = 1;
		shinfo->gso_type = 0;
		return;
	}
	shinfo->gso_size = mss;
	shinfo->gso_segs = DIV_ROUND_UP(skb->len, mss);
	shinfo->gso_type = sk->sk_gso_type;
}

/* Send @skb (a queued segment, which stays queued: we send a copy). */
static int transmit(struct sock *sk, struct sk_buff *skb, bool queued)
{
	struct inet_sock *inet = inet_sk(sk);
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	u8 flags = cb->flags;
	struct sk_buff *out = skb;
	gfp_t gfp = gfp_any();
	struct vtcp_opts opts;
	int err;

	if (queued) {
		mark_for_gso(sk, skb);
		out = skb_cloned(skb) ? pskb_copy(skb, gfp) : skb_clone(skb, gfp);
		if (!out)
			return -ENOBUFS;
		out->dev = NULL;	/* the queue's rbnode, copied */
		cb->sent_ns = ktime_get_ns();
	}
	if (sk->sk_state != TCP_SYN_SENT)
		flags |= TCPHDR_ACK;
	build_options(sk, flags, skb->len, &opts);
	push_header(out, inet->inet_sport, inet->inet_dport, cb->seq,
		    vsk->rcv_nxt, flags, select_window(sk, flags & TCPHDR_SYN),
		    &opts);
	vtcp_event_seg_out(sk, out);
	skb_set_owner_w(out, sk);
	if (flags & TCPHDR_ACK) {
		vsk->acks_pending = 0;
		vtcp_clear_timer(sk, VTCP_TIMER_DELACK);
	}
	vsk->segs_out++;
	vsk->bytes_sent += skb->len;
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_OUT_SEGS);
	/* IP reads its own control block (options for an ICMP error). */
	memset(out->cb, 0, max(sizeof(struct inet_skb_parm),
			       sizeof(struct inet6_skb_parm)));
	skb_set_hash_from_sk(out, sk);	/* IPv6's flow label comes from it */
	err = vsk->af->queue_xmit(sk, out);
	err = net_xmit_eval(err);	/* a macro: its argument goes twice */
	if (queued && !err)
		vtcp_rtx_sent(sk, skb);
	return err;
}

static struct sk_buff *alloc_ctl_skb(struct sock *sk, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(VTCP_MAX_HEADER, gfp);

	if (skb)
		skb_reserve(skb, VTCP_MAX_HEADER);
	return skb;
}

/**
 * vtcp_alloc_queued_skb() - allocate a segment for the write queue
 * @gfp: the allocation's flags
 *
 * With a companion clone (fclone), so that sending it, which clones it,
 * allocates nothing more; room for every header is reserved.
 *
 * Context: as @gfp allows.
 * Return: the segment, or NULL.
 */
struct sk_buff *vtcp_alloc_queued_skb(gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb_fclone(VTCP_MAX_HEADER, gfp);

	if (skb)
		skb_reserve(skb, VTCP_MAX_HEADER);
	return skb;
}

/* A segment with no payload that is not queued: ACK, RST, probe. */
static void send_bare(struct sock *sk, u32 seq, u8 flags)
{
	struct sk_buff *skb = alloc_ctl_skb(sk, GFP_ATOMIC);

	if (!skb)
		return;
	VTCP_SKB_CB(skb)->seq = seq;
	VTCP_SKB_CB(skb)->flags = flags;
	transmit(sk, skb, false);
}

/**
 * vtcp_send_ack() - send a bare ACK of where a connection is
 * @sk: the socket
 *
 * Context: @sk locked.
 */
void vtcp_send_ack(struct sock *sk)
{
	send_bare(sk, vtcp_sk(sk)->snd_nxt, TCPHDR_ACK);
}

/**
 * vtcp_send_probe() - send an ACK of an old sequence number
 * @sk: the socket
 *
 * The peer must answer it with an ACK of its own state: a zero-window or
 * keepalive probe.
 *
 * Context: @sk locked.
 */
void vtcp_send_probe(struct sock *sk)
{
	send_bare(sk, vtcp_sk(sk)->snd_una - 1, TCPHDR_ACK);
}

/**
 * vtcp_send_active_reset() - send an RST for a connection
 * @sk: the socket; callers know that its state wants one
 *
 * Context: @sk locked.
 */
void vtcp_send_active_reset(struct sock *sk)
{
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_RESETS_OUT);
	send_bare(sk, vtcp_sk(sk)->snd_nxt, TCPHDR_RST | TCPHDR_ACK);
}

static void enqueue(struct sock *sk, struct sk_buff *skb)
{
	__skb_queue_tail(&sk->sk_write_queue, skb);
	vtcp_charge_write(sk, skb);
}

/**
 * vtcp_queue_ctl() - queue a SYN or a FIN and send it
 * @sk: the socket
 * @flags: TCPHDR_SYN or TCPHDR_FIN
 *
 * It takes one sequence number and carries no data; it is queued even beyond
 * the send buffer.
 *
 * Context: @sk locked; may sleep in process context (__GFP_NOFAIL).
 * Return: 0, or -ENOBUFS in softirq when no memory is left.
 */
int vtcp_queue_ctl(struct sock *sk, u8 flags)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *skb;

	skb = vtcp_alloc_queued_skb(in_softirq() ? GFP_ATOMIC :
				    sk->sk_allocation | __GFP_NOFAIL);
	if (!skb)
		return -ENOBUFS;
	sk_wmem_schedule(sk, skb->truesize);	/* a SYN or FIN goes anyway */
	VTCP_SKB_CB(skb)->seq = vsk->write_seq;
	VTCP_SKB_CB(skb)->end_seq = ++vsk->write_seq;
	VTCP_SKB_CB(skb)->flags = flags;
	enqueue(sk, skb);
	vtcp_push(sk);
	return 0;
}

/**
 * vtcp_queue_data() - queue a segment of the user's data, not yet sent
 * @sk: the socket
 * @skb: the segment, its payload in place and charged
 *
 * It takes the next sequence numbers of the stream; vtcp_push() sends it.
 *
 * Context: @sk locked.
 */
void vtcp_queue_data(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	VTCP_SKB_CB(skb)->seq = vsk->write_seq;
	vsk->write_seq += skb->len;
	VTCP_SKB_CB(skb)->end_seq = vsk->write_seq;
	VTCP_SKB_CB(skb)->flags = TCPHDR_PSH;
	enqueue(sk, skb);
}

/* Does the peer's window keep @skb (data) from going out? */
static bool peer_window_closed(const struct sock *sk, const struct sk_buff *skb)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);

	return skb->len &&
	       seq_after(VTCP_SKB_CB(skb)->end_seq, vsk->snd_una + vsk->snd_wnd);
}

/*
 * The most one transmit may carry: about a millisecond of the connection's
 * rate (its window over its RTT, doubled in slow start as TCP paces), two
 * segments at least. A lossy or slow path then sees small bursts, as it
 * does from TCP (tcp_tso_autosize()); a fast one sees 64 KB.
 */
static u32 burst_limit(const struct vtcp_sock *vsk)
{
	u64 rate;

	if (!vsk->srtt_us)
		return U32_MAX;
	rate = div_u64((u64)vsk->cwnd * USEC_PER_MSEC *
		       (vsk->cwnd < vsk->ssthresh ? 2 : 1), vsk->srtt_us);
	return max_t(u32, rounddown(min_t(u64, rate, GSO_LEGACY_MAX_SIZE),
					 vsk->mss),
		     2 * vsk->mss);
}

/*
 * How many bytes of @skb may go out now, as the peer's window, the
 * congestion window and the burst limit allow: all of it, whole segments of it, or nothing.
 * Less than a segment goes only when nothing is in flight and it is half
 * the largest window the peer ever offered (sender-side silly window
 * avoidance, RFC 9293 3.8.6.2.1).
 */
static u32 send_allowance(const struct sock *sk, const struct sk_buff *skb)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 seq = VTCP_SKB_CB(skb)->seq, pipe = vtcp_in_flight(sk);
	u32 wnd = seq_after(vsk->snd_una + vsk->snd_wnd, seq) ?
		  vsk->snd_una + vsk->snd_wnd - seq : 0;
	u32 cwnd = !pipe ? max_t(u32, vsk->cwnd, vsk->mss) :
		   vsk->cwnd > pipe ? vsk->cwnd - pipe : 0;
	u32 allow = min3(wnd, cwnd, burst_limit(vsk));

	if (!skb->len || allow >= skb->len)
		return skb->len ?: 1;
	if (allow >= vsk->mss)
		return rounddown(allow, vsk->mss);
	if (allow && vsk->snd_nxt == vsk->snd_una && allow >= vsk->max_window / 2)
		return allow;
	return 0;
}

/**
 * vtcp_split_segment() - cut a queued segment in two
 * @sk: the socket
 * @skb: a segment of the write or the retransmit queue
 * @len: the bytes it keeps
 *
 * The rest follows it in its queue, with the same marks (the scoreboard's
 * sums count bytes, so they stand).
 *
 * Context: @sk locked.
 * Return: 0, -EINVAL if @len does not fall inside @skb, or -ENOBUFS.
 */
int vtcp_split_segment(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	struct sk_buff *rest;

	if (!len || len >= skb->len)
		return -EINVAL;
	rest = vtcp_alloc_queued_skb(gfp_any());
	if (!rest)
		return -ENOBUFS;
	vtcp_uncharge_write(sk, skb);	/* before unclone may change truesize */
	if (skb_unclone(skb, gfp_any())) {
		vtcp_charge_write(sk, skb);
		kfree_skb(rest);
		return -ENOBUFS;
	}
	skb_split(skb, rest, len);
	rest->truesize += rest->len;
	skb->truesize -= rest->len;
	*VTCP_SKB_CB(rest) = *cb;
	VTCP_SKB_CB(rest)->seq = cb->seq + len;
	cb->end_seq = cb->seq + len;
	cb->flags &= ~(TCPHDR_FIN | TCPHDR_PSH);
	vtcp_charge_write(sk, skb);
	vtcp_charge_write(sk, rest);
	if (cb->on_rtx)
		vtcp_rtx_insert_after(sk, skb, rest);
	else
		__skb_queue_after(&sk->sk_write_queue, skb, rest);
	return 0;
}

/*
 * Should a small last segment wait for more data? While corked, yes;
 * else Nagle (RFC 896): while earlier data is unacknowledged, unless
 * VTCP_NODELAY. The segment still grows as the user writes.
 */
static bool hold_small(const struct sock *sk, const struct sk_buff *skb)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);

	if (!skb->len || skb->len >= vsk->mss ||
	    (VTCP_SKB_CB(skb)->flags & TCPHDR_FIN) ||
	    !skb_queue_is_last(&sk->sk_write_queue, skb))
		return false;
	if (vsk->cork)
		return true;
	return !vsk->nodelay && vsk->snd_nxt != vsk->snd_una;
}

/**
 * vtcp_transmit_queued() - send a copy of a queued segment again
 * @sk: the socket
 * @skb: a segment of the retransmit queue
 *
 * Context: @sk locked.
 * Return: 0, or a negative errno (no memory, or IP's error).
 */
int vtcp_transmit_queued(struct sock *sk, struct sk_buff *skb)
{
	return transmit(sk, skb, true);
}

/*
 * Make the head of what is unsent an MTU probe (pmtu.c), one segment
 * larger than the MSS, if one is due and the window lets it go now.
 */
static void make_mtu_probe(struct sock *sk, struct sk_buff *skb)
{
	u32 size = vtcp_mtu_probe_size(sk);

	if (likely(!size) || skb->len < size || send_allowance(sk, skb) < size ||
	    (skb->len > size && vtcp_split_segment(sk, skb, size)))
		return;
	VTCP_SKB_CB(skb)->mtu_probe = 1;
	vtcp_mtu_probe_sent(sk, size);
}

/**
 * vtcp_push() - send what the windows allow
 * @sk: the socket
 *
 * Lost segments first, then new ones, within the congestion and the peer's
 * windows, Nagle and cork; arms the timers that what went needs.
 *
 * Context: @sk locked.
 */
void vtcp_push(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *skb;

	vtcp_check_pmtu(sk);
	vtcp_retransmit_lost(sk);
	if (vtcp_send_head(sk))
		make_mtu_probe(sk, vtcp_send_head(sk));
	while ((skb = vtcp_send_head(sk))) {
		bool idle = vsk->snd_una == vsk->snd_nxt;
		u32 allow = send_allowance(sk, skb);

		if (!allow ||
		    (allow < skb->len && vtcp_split_segment(sk, skb, allow)))
			break;
		if (hold_small(sk, skb) || transmit(sk, skb, true))
			break;
		if (seq_after(VTCP_SKB_CB(skb)->end_seq, vsk->snd_nxt))
			vsk->snd_nxt = VTCP_SKB_CB(skb)->end_seq;
		if (idle || !vtcp_timer_pending(sk, VTCP_TIMER_RTX))
			vtcp_arm_rtx(sk);	/* not a probe's timer any more */
	}
	vtcp_note_cwnd_use(sk);
	/*
	 * Nothing in flight but something to send: a closed peer window, or
	 * a transmit that failed (no memory). The RTX timer probes the
	 * window, or tries again; else nothing would.
	 */
	skb = vtcp_send_head(sk);
	if (skb && vsk->snd_una == vsk->snd_nxt &&
	    (peer_window_closed(sk, skb) || !hold_small(sk, skb)) &&
	    !vtcp_timer_pending(sk, VTCP_TIMER_RTX))
		vtcp_arm_rtx(sk);
}

/**
 * vtcp_window_blocks() - does the peer's window keep the next new segment
 * back?
 * @sk: the socket
 *
 * Context: @sk locked.
 * Return: true if a segment waits and the window has no room for it.
 */
bool vtcp_window_blocks(const struct sock *sk)
{
	const struct sk_buff *skb = vtcp_send_head(sk);

	return skb && peer_window_closed(sk, skb);
}

/**
 * vtcp_probe_window() - the zero-window probe timer's work
 * @sk: the socket
 *
 * Sends what fits of the next segment if the window has room for any of it
 * (RFC 9293 3.8.6.2.1, the override timeout), else a probe that the peer must
 * answer.
 *
 * Context: @sk locked.
 */
void vtcp_probe_window(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *skb = vtcp_send_head(sk);
	u32 room;

	if (!skb || !seq_after(vsk->snd_una + vsk->snd_wnd, VTCP_SKB_CB(skb)->seq)) {
		trace_vtcp_retransmit(sk, NULL, VTCP_RETRANS_PROBE);
		vtcp_send_probe(sk);
		return;
	}
	room = vsk->snd_una + vsk->snd_wnd - VTCP_SKB_CB(skb)->seq;
	if (room < skb->len && vtcp_split_segment(sk, skb, room)) {
		trace_vtcp_retransmit(sk, NULL, VTCP_RETRANS_PROBE);
		vtcp_send_probe(sk);
		return;
	}
	if (transmit(sk, skb, true))
		return;
	trace_vtcp_retransmit(sk, skb, VTCP_RETRANS_PROBE);
	vsk->snd_nxt = VTCP_SKB_CB(skb)->end_seq;
}

/**
 * vtcp_retransmit_head() - resend the oldest segment in flight now
 * @sk: the socket
 *
 * For a SYN-ACK in a simultaneous open; with nothing in flight, a push.
 *
 * Context: @sk locked.
 * Return: 0, or a negative errno from sending.
 */
int vtcp_retransmit_head(struct sock *sk)
{
	struct sk_buff *skb = vtcp_rtx_head(sk);
	int err;

	if (!skb) {
		vtcp_push(sk);
		return 0;
	}
	VTCP_SKB_CB(skb)->retransmitted = 1;
	err = transmit(sk, skb, true);
	if (!err)
		trace_vtcp_retransmit(sk, skb, VTCP_RETRANS_SYNACK);
	vtcp_arm_rtx(sk);
	return err;
}

/* A connection's segment to IPv4: checksummed as the device can, routed. */
static int ipv4_queue_xmit(struct sock *sk, struct sk_buff *skb)
{
	struct inet_sock *inet = inet_sk(sk);

	set_checksum_partial(skb, inet->inet_saddr, inet->inet_daddr);
	return ip_queue_xmit(sk, skb, &inet->cork.fl);
}

const struct vtcp_af_ops vtcp_ipv4_ops = {
	.net_header_len	= sizeof(struct iphdr),
	.queue_xmit	= ipv4_queue_xmit,
	.update_pmtu	= inet_csk_update_pmtu,
};

/*
 * The route back to the source of @in, from the address it came to: for
 * the replies of listener @sk, or of nobody (NULL).
 */
static int reply_route(struct net *net, struct sock *sk,
		       const struct sk_buff *in, struct vtcp_reply *r)
{
	const struct iphdr *iph = ip_hdr(in);
	const struct tcphdr *th = vtcp_hdr(in);
	struct rtable *rt;

	if (vtcp_skb_is_v6(in))
		return vtcp6_reply_route(net, sk, in, r);
	rt = ip_route_output_ports(net, &r->fl.u.ip4, sk, iph->saddr,
				   iph->daddr, th->source, th->dest,
				   vtcp_protocol, 0, inet_iif(in));
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	r->dst = &rt->dst;
	return 0;
}

/* Send the reply @skb to @in's source, from the namespace's control socket. */
static void reply_xmit(struct net *net, struct sk_buff *skb,
		       const struct sk_buff *in, struct vtcp_reply *r)
{
	struct flowi4 *fl4 = &r->fl.u.ip4;
	struct sock *ctl = vtcp_pernet(net)->ctl_sk;

	vtcp_event_reply(net, skb, in);
	if (vtcp_skb_is_v6(in)) {
		vtcp6_reply_xmit(net, skb, r);
		return;
	}
	set_checksum(skb, fl4->saddr, fl4->daddr);
	skb_dst_set(skb, r->dst);
	/*
	 * Softirq takes this lock too: a caller in process context (the
	 * backlog, at release_sock()) must keep softirqs off meanwhile.
	 */
	local_bh_disable();
	bh_lock_sock(ctl);
	ip_build_and_send_pkt(skb, ctl, fl4->saddr, fl4->daddr, NULL, 0);
	bh_unlock_sock(ctl);
	local_bh_enable();
	VTCP_INC_STATS(net, VTCP_MIB_OUT_SEGS);
}

/**
 * vtcp_send_reply() - send a segment that no socket sends
 * @net: the namespace
 * @in: the segment it answers, whose addresses and ports it swaps
 * @flags: its TCPHDR_* flags
 * @seq: its sequence number
 * @ack: its acknowledgment number
 * @win: its window field
 *
 * RSTs and the ACKs of TIME-WAIT, sent from the namespace's control socket.
 * Nothing is reported if it cannot go.
 *
 * Context: softirq, or process context (the backlog).
 */
void vtcp_send_reply(struct net *net, const struct sk_buff *in, u8 flags,
		     u32 seq, u32 ack, u16 win)
{
	const struct tcphdr *ith = vtcp_hdr(in);
	struct vtcp_reply r;
	struct sk_buff *skb;

	if (reply_route(net, NULL, in, &r))
		return;
	skb = alloc_ctl_skb(vtcp_pernet(net)->ctl_sk, GFP_ATOMIC);
	if (!skb) {
		dst_release(r.dst);
		return;
	}
	push_header(skb, ith->dest, ith->source, seq, ack, flags, win, NULL);
	reply_xmit(net, skb, in, &r);
}

/**
 * vtcp_send_synack() - answer a SYN with a SYN-ACK that no socket keeps
 * @sk: the listener the SYN came to
 * @syn: the SYN
 * @isn: our initial sequence number: a SYN cookie
 * @win: the window to offer
 * @opts: our options; the MSS is filled in here, from the route
 *
 * A SYN cookie's SYN-ACK: nothing is allocated for it but the segment, which
 * leaves from the namespace's control socket, as RSTs do.
 *
 * Context: softirq, or process context (the backlog); the listener locked.
 * Return: 0, or a negative errno (no route, no memory).
 */
int vtcp_send_synack(struct sock *sk, const struct sk_buff *syn, u32 isn,
		     u16 win, struct vtcp_opts *opts)
{
	const struct tcphdr *th = vtcp_hdr(syn);
	struct net *net = sock_net(sk);
	struct vtcp_reply r;
	struct sk_buff *skb;
	int err;

	err = reply_route(net, sk, syn, &r);
	if (err)
		return err;
	skb = alloc_ctl_skb(vtcp_pernet(net)->ctl_sk, GFP_ATOMIC);
	if (!skb) {
		dst_release(r.dst);
		return -ENOBUFS;
	}
	opts->mss = vtcp_user_advmss(sk, r.dst);
	push_header(skb, th->dest, th->source, isn, VTCP_SKB_CB(syn)->seq + 1,
		    TCPHDR_SYN | TCPHDR_ACK, win, opts);
	reply_xmit(net, skb, syn, &r);
	return 0;
}

/**
 * vtcp_send_reset_for() - send the RST for a segment nobody can take
 * @net: the namespace
 * @in: the segment; none answers an RST
 *
 * As RFC 9293 section 3.10.7.1 says: at its ACK number, or acknowledging it
 * when it has none.
 *
 * Context: softirq, or process context (the backlog).
 */
void vtcp_send_reset_for(struct net *net, const struct sk_buff *in)
{
	const struct tcphdr *th = vtcp_hdr(in);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(in);

	if (th->rst)
		return;
	VTCP_INC_STATS(net, VTCP_MIB_RESETS_OUT);
	if (th->ack)
		vtcp_send_reply(net, in, TCPHDR_RST, cb->ack_seq, 0, 0);
	else
		vtcp_send_reply(net, in, TCPHDR_RST | TCPHDR_ACK, 0,
				cb->end_seq, 0);
}

static siphash_aligned_key_t seq_key;

/* IPv4 addresses hash as their v4-mapped forms: one hash for both. */
static u32 hash_4tuple(const struct in6_addr *saddr,
		       const struct in6_addr *daddr, __be16 sport,
		       __be16 dport, u32 purpose)
{
	const struct {
		struct in6_addr saddr, daddr;
		__be16 sport, dport;
		u32 purpose;
	} __aligned(SIPHASH_ALIGNMENT) in = {
		.saddr = *saddr, .daddr = *daddr,
		.sport = sport, .dport = dport, .purpose = purpose,
	};

	net_get_random_once(&seq_key, sizeof(seq_key));
	return siphash(&in, sizeof(in), &seq_key);
}

/**
 * vtcp_skb_addrs() - the addresses of a segment, as it came
 * @skb: the segment
 * @saddr: its source, IPv4's v4-mapped
 * @daddr: its destination, IPv4's v4-mapped
 *
 * Context: any context.
 */
void vtcp_skb_addrs(const struct sk_buff *skb, struct in6_addr *saddr,
		    struct in6_addr *daddr)
{
	if (vtcp_skb_is_v6(skb)) {
		*saddr = ipv6_hdr(skb)->saddr;
		*daddr = ipv6_hdr(skb)->daddr;
		return;
	}
	ipv6_addr_set_v4mapped(ip_hdr(skb)->saddr, saddr);
	ipv6_addr_set_v4mapped(ip_hdr(skb)->daddr, daddr);
}

/**
 * vtcp_ts_offset() - where a connection's timestamp clock starts
 * @saddr: our address
 * @daddr: the peer's
 * @sport: our port
 * @dport: the peer's
 *
 * A keyed hash of the 4-tuple, the same for every incarnation of it (RFC 7323
 * 7.1, RFC 6191), and for a SYN cookie's SYN-ACK and the connection its ACK
 * makes.
 *
 * Context: any context.
 * Return: the offset added to vtcp_ts_clock().
 */
u32 vtcp_ts_offset(const struct in6_addr *saddr, const struct in6_addr *daddr,
		   __be16 sport, __be16 dport)
{
	return hash_4tuple(saddr, daddr, sport, dport, 1);
}

/**
 * vtcp_init_sequence() - start a connection's sequence space and timestamp
 * clock
 * @sk: the socket, its addresses and ports set
 * @iss: the initial sequence number, or 0 to make one
 *
 * At @iss if not 0, else at an RFC 6528 initial sequence number (a keyed hash
 * of the 4-tuple plus a clock ticking every 4 microseconds, RFC 9293 3.4.1).
 * The timestamp clock starts at another hash of the 4-tuple (RFC 7323 7.1),
 * so that each incarnation of a 4-tuple carries on the clock of the last, and
 * a SYN can show a TIME-WAIT entry that it is new (RFC 6191).
 *
 * Context: @sk locked.
 */
void vtcp_init_sequence(struct sock *sk, u32 iss)
{
	const struct inet_sock *inet = inet_sk(sk);
	struct vtcp_sock *vsk = vtcp_sk(sk);
	__be16 sport = inet->inet_sport, dport = inet->inet_dport;
	struct in6_addr saddr, daddr;

	if (vtcp_sends_ipv6(sk)) {
		saddr = sk->sk_v6_rcv_saddr;
		daddr = sk->sk_v6_daddr;
	} else {
		ipv6_addr_set_v4mapped(inet->inet_saddr, &saddr);
		ipv6_addr_set_v4mapped(inet->inet_daddr, &daddr);
	}

	vsk->iss = iss ?: seq_isn(hash_4tuple(&saddr, &daddr, sport, dport, 0),
				  ktime_get_real_ns());
	vsk->ts_offset = vtcp_ts_offset(&saddr, &daddr, sport, dport);
	vsk->snd_una = vsk->iss;
	vsk->snd_nxt = vsk->iss;
	vsk->write_seq = vsk->iss;
	vsk->recover = vsk->iss;
}

/**
 * vtcp_output_net_init() - create a namespace's control sockets, IPv4's and
 * IPv6's
 * @net: the namespace
 *
 * They send the replies that no socket sends.
 *
 * Context: process context, as the namespace is set up.
 * Return: 0, or a negative errno.
 */
int vtcp_output_net_init(struct net *net)
{
	int err;

	err = inet_ctl_sock_create(&vtcp_pernet(net)->ctl_sk, PF_INET,
				   SOCK_RAW, vtcp_protocol, net);
	if (err)
		return err;
	err = vtcp6_net_init(net);
	if (err)
		inet_ctl_sock_destroy(vtcp_pernet(net)->ctl_sk);
	return err;
}

/**
 * vtcp_output_net_exit() - destroy a namespace's control sockets
 * @net: the namespace
 *
 * Context: process context, as the namespace is dismantled.
 */
void vtcp_output_net_exit(struct net *net)
{
	vtcp6_net_exit(net);
	inet_ctl_sock_destroy(vtcp_pernet(net)->ctl_sk);
}
