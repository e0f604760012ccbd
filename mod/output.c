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
#include "wire.h"

static void set_checksum(struct sk_buff *skb, __be32 saddr, __be32 daddr)
{
	struct tcphdr *th = vtcp_hdr(skb);

	th->check = 0;
	th->check = csum_tcpudp_magic(saddr, daddr, skb->len, vtcp_protocol,
				      skb_checksum(skb, 0, skb->len, 0));
	skb->ip_summed = CHECKSUM_NONE;
}

/* Fill in our header in front of @skb's payload. */
static struct tcphdr *push_header(struct sk_buff *skb, __be16 sport,
				  __be16 dport, u32 seq, u32 ack, u8 flags,
				  u16 win, u16 mss_option)
{
	unsigned int len = VTCP_HDR_MIN + (mss_option ? TCPOLEN_MSS : 0);
	struct tcphdr *th;

	th = skb_push(skb, len);
	skb_reset_transport_header(skb);
	memset(th, 0, len);
	th->source = sport;
	th->dest = dport;
	th->seq = htonl(seq);
	th->ack_seq = (flags & TCPHDR_ACK) ? htonl(ack) : 0;
	th->doff = len / 4;
	tcp_flag_byte(th) = flags;
	th->window = htons(win);
	if (mss_option) {
		u8 *opt = (u8 *)(th + 1);

		opt[0] = TCPOPT_MSS;
		opt[1] = TCPOLEN_MSS;
		put_unaligned_be16(mss_option, opt + 2);
	}
	return th;
}

/* The window to advertise: half the free receive buffer, never shrunk. */
u16 vtcp_select_window(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	int space = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);
	u32 win = clamp(space / 2, 0, 65535);
	u32 promised = vsk->rcv_wup + vsk->rcv_wnd - vsk->rcv_nxt;

	if (seq_after(vsk->rcv_wup + vsk->rcv_wnd, vsk->rcv_nxt + win))
		win = min_t(u32, promised, 65535);
	vsk->rcv_wnd = win;
	vsk->rcv_wup = vsk->rcv_nxt;
	return win;
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

	if (queued) {
		out = skb_cloned(skb) ? pskb_copy(skb, gfp) : skb_clone(skb, gfp);
		if (!out)
			return -ENOBUFS;
		cb->sent_ns = ktime_get_ns();
	}
	if (sk->sk_state != TCP_SYN_SENT)
		flags |= TCPHDR_ACK;
	push_header(out, inet->inet_sport, inet->inet_dport, cb->seq,
		    vsk->rcv_nxt, flags, vtcp_select_window(sk),
		    (flags & TCPHDR_SYN) ? vsk->advmss : 0);
	set_checksum(out, inet->inet_saddr, inet->inet_daddr);
	vtcp_event_seg_out(sk, out);
	skb_set_owner_w(out, sk);
	if (flags & TCPHDR_ACK) {
		vsk->acks_pending = 0;
		vtcp_stop_timer(sk, VTCP_TIMER_DELACK);
	}
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_OUT_SEGS);
	return ip_queue_xmit(sk, out, &inet->cork.fl);
}

static struct sk_buff *alloc_ctl_skb(struct sock *sk, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(VTCP_MAX_HEADER, gfp);

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

void vtcp_send_ack(struct sock *sk)
{
	send_bare(sk, vtcp_sk(sk)->snd_nxt, TCPHDR_ACK);
}

/* An ACK of an old sequence number: the peer answers with its state. */
void vtcp_send_probe(struct sock *sk)
{
	send_bare(sk, vtcp_sk(sk)->snd_una - 1, TCPHDR_ACK);
}

/* An RST for our connection; callers know the state wants one. */
void vtcp_send_active_reset(struct sock *sk)
{
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_RESETS_OUT);
	send_bare(sk, vtcp_sk(sk)->snd_nxt, TCPHDR_RST | TCPHDR_ACK);
}

static void enqueue(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	__skb_queue_tail(&sk->sk_write_queue, skb);
	sk_wmem_queued_add(sk, skb->truesize);
	if (!vsk->send_head)
		vsk->send_head = skb;
}

/* Queue a SYN or FIN (one sequence number, no data) and send it. */
int vtcp_queue_ctl(struct sock *sk, u8 flags)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *skb;

	skb = alloc_ctl_skb(sk, in_softirq() ? GFP_ATOMIC :
				sk->sk_allocation | __GFP_NOFAIL);
	if (!skb)
		return -ENOBUFS;
	VTCP_SKB_CB(skb)->seq = vsk->write_seq;
	VTCP_SKB_CB(skb)->end_seq = ++vsk->write_seq;
	VTCP_SKB_CB(skb)->flags = flags;
	enqueue(sk, skb);
	vtcp_push(sk);
	return 0;
}

void vtcp_queue_data(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	VTCP_SKB_CB(skb)->seq = vsk->write_seq;
	vsk->write_seq += skb->len;
	VTCP_SKB_CB(skb)->end_seq = vsk->write_seq;
	VTCP_SKB_CB(skb)->flags = TCPHDR_PSH;
	enqueue(sk, skb);
}

/* May @skb go out now, given the peer's window and ours (cwnd)? */
static bool window_allows(struct sock *sk, const struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	u32 in_flight = vsk->snd_nxt - vsk->snd_una;

	if (!skb->len)
		return true;		/* SYN or FIN alone */
	if (seq_after(cb->end_seq, vsk->snd_una + vsk->snd_wnd))
		return false;
	return !in_flight || in_flight + skb->len <= vsk->cwnd;
}

/* Send what the windows allow from the write queue. */
void vtcp_push(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	bool idle = vsk->snd_una == vsk->snd_nxt;
	struct sk_buff *skb;

	while ((skb = vsk->send_head) && window_allows(sk, skb)) {
		if (transmit(sk, skb, true))
			break;
		if (seq_after(VTCP_SKB_CB(skb)->end_seq, vsk->snd_nxt))
			vsk->snd_nxt = VTCP_SKB_CB(skb)->end_seq;
		vsk->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
				 NULL : skb->next;
		if (idle || !vtcp_timer_pending(sk, VTCP_TIMER_RTX))
			vtcp_arm_rtx(sk);	/* not a probe's timer any more */
		idle = false;
	}
	/* A closed peer window with nothing in flight: probe it. */
	if (vsk->send_head && vsk->snd_una == vsk->snd_nxt &&
	    !vtcp_timer_pending(sk, VTCP_TIMER_RTX))
		vtcp_arm_rtx(sk);
}

int vtcp_retransmit_head(struct sock *sk)
{
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);
	int err;

	if (!skb)
		return 0;
	if (skb == vtcp_sk(sk)->send_head) {
		vtcp_push(sk);
		return 0;
	}
	VTCP_SKB_CB(skb)->retransmitted = 1;
	err = transmit(sk, skb, true);
	vtcp_arm_rtx(sk);
	return err;
}

/*
 * A loss, seen by the timer or by three duplicate ACKs: halve ssthresh
 * (RFC 5681), set cwnd (@cwnd, or ssthresh when 0), remember what was in
 * flight for NewReno's partial ACKs (RFC 6582), and resend the head.
 */
void vtcp_recover_loss(struct sock *sk, u32 cwnd)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	vsk->ssthresh = max_t(u32, (vsk->snd_nxt - vsk->snd_una) / 2,
			      2U * vsk->mss);
	vsk->cwnd = cwnd ?: vsk->ssthresh;
	vsk->recover = vsk->snd_nxt;
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_RETRANS_SEGS);
	vtcp_retransmit_head(sk);
}

/*
 * A reply for a segment that has no socket, or only a timewait socket:
 * RSTs and the ACKs of TIME-WAIT. Sent from the namespace's control
 * socket, with addresses and ports taken from @in.
 */
void vtcp_send_reply(struct net *net, const struct sk_buff *in, u8 flags,
		     u32 seq, u32 ack, u16 win)
{
	const struct iphdr *iph = ip_hdr(in);
	const struct tcphdr *ith = vtcp_hdr(in);
	struct sock *ctl = vtcp_pernet(net)->ctl_sk;
	struct flowi4 fl4;
	struct rtable *rt;
	struct sk_buff *skb;

	rt = ip_route_output_ports(net, &fl4, NULL, iph->saddr, iph->daddr,
				   ith->source, ith->dest, vtcp_protocol,
				   0, inet_iif(in));
	if (IS_ERR(rt))
		return;
	skb = alloc_ctl_skb(ctl, GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(rt);
		return;
	}
	push_header(skb, ith->dest, ith->source, seq, ack, flags, win, 0);
	set_checksum(skb, fl4.saddr, fl4.daddr);
	vtcp_event_reply(net, skb, fl4.saddr, fl4.daddr);
	skb_dst_set(skb, &rt->dst);
	bh_lock_sock(ctl);
	ip_build_and_send_pkt(skb, ctl, fl4.saddr, fl4.daddr, NULL, 0);
	bh_unlock_sock(ctl);
	VTCP_INC_STATS(net, VTCP_MIB_OUT_SEGS);
}

/* RFC 9293 section 3.10.7.1: the RST for a segment nobody can take. */
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

/*
 * RFC 6528 initial sequence numbers: a keyed hash of the connection's
 * 4-tuple plus a clock ticking every 4 microseconds (RFC 9293 3.4.1).
 */
u32 vtcp_new_isn(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport)
{
	static siphash_aligned_key_t isn_key;
	u32 hash;

	net_get_random_once(&isn_key, sizeof(isn_key));
	hash = siphash_3u32((__force u32)saddr, (__force u32)daddr,
			    (__force u32)sport << 16 | (__force u32)dport,
			    &isn_key);
	return hash + (u32)(ktime_get_real_ns() >> 12);
}

int vtcp_output_net_init(struct net *net)
{
	return inet_ctl_sock_create(&vtcp_pernet(net)->ctl_sk, PF_INET,
				    SOCK_RAW, vtcp_protocol, net);
}

void vtcp_output_net_exit(struct net *net)
{
	inet_ctl_sock_destroy(vtcp_pernet(net)->ctl_sk);
}
