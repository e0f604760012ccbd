// SPDX-License-Identifier: GPL-2.0
/*
 * struct vtcp_info: one connection as getsockopt(VTCP_INFO) and the
 * INET_DIAG_INFO attribute of sock_diag show it, and which of its timers
 * is pending, as those and the timer events of netlink.c name it.
 *
 * Callers hold the socket (its lock, or ownership); a timewait socket
 * needs nothing, its fields never change.
 */
#include <net/tcp.h>

#include "vtcp.h"
#include "compat.h"
#include "cong.h"
#include "info.h"
#include "rtx.h"
#include "timers.h"
#include "timewait.h"

/* What the retransmission timer guards, from the head of the write queue. */
static u8 rtx_kind(const struct sock *sk)
{
	const struct sk_buff *head = vtcp_rtx_head(sk) ?: vtcp_send_head(sk);
	u8 flags;

	if (!head || (1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		return VTCP_TK_NONE;
	flags = VTCP_SKB_CB(head)->flags;
	if (flags & TCPHDR_SYN)
		return VTCP_TK_SYN;
	if (!VTCP_SKB_CB(head)->on_rtx)
		return VTCP_TK_PROBE;		/* nothing in flight, data waits */
	if (flags & TCPHDR_FIN)
		return VTCP_TK_FIN;		/* all data acked, only our FIN */
	return VTCP_TK_RETRANS;
}

/**
 * vtcp_timer_kind() - what a timer of a full socket would be if it fired now
 * @sk: the socket
 * @t: the timer
 *
 * Context: any context; a racy read.
 * Return: its enum vtcp_timer_kind.
 */
u8 vtcp_timer_kind(const struct sock *sk, enum vtcp_timer t)
{
	switch (t) {
	case VTCP_TIMER_RTX:
		return rtx_kind(sk);
	case VTCP_TIMER_DELACK:
		return VTCP_TK_DELACK;
	case VTCP_TIMER_KEEPALIVE:
		if (sk->sk_state == TCP_FIN_WAIT2 && sock_flag(sk, SOCK_DEAD))
			return VTCP_TK_FIN_WAIT2;
		return VTCP_TK_KEEPALIVE;
	default:
		return VTCP_TK_NONE;
	}
}

/**
 * vtcp_timer_retries() - how often a timer of this kind expired without
 * progress
 * @sk: the socket
 * @kind: an enum vtcp_timer_kind
 *
 * Context: any context; a racy read.
 * Return: the count: retries, zero-window or keepalive probes.
 */
u8 vtcp_timer_retries(const struct sock *sk, u8 kind)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);

	switch (kind) {
	case VTCP_TK_SYN:
	case VTCP_TK_FIN:
	case VTCP_TK_RETRANS:
		return vsk->retries;
	case VTCP_TK_PROBE:
		return vsk->probes;
	case VTCP_TK_KEEPALIVE:
		return vsk->keepalive_probes;
	default:
		return 0;
	}
}

/**
 * vtcp_next_timer() - the timer of a socket that matters most, for ss and
 * events
 * @sk: a full or timewait socket
 * @ts: filled with its kind, its expiries and when it fires
 *
 * Not always the next to fire: the retransmission timer, else keepalive (or
 * FIN-WAIT-2), else the delayed ACK; 2MSL for a timewait socket.
 *
 * Context: any context; a racy read.
 */
void vtcp_next_timer(const struct sock *sk, struct vtcp_timer_state *ts)
{
	static const enum vtcp_timer order[] = {
		VTCP_TIMER_RTX, VTCP_TIMER_KEEPALIVE, VTCP_TIMER_DELACK,
	};
	unsigned int i;

	memset(ts, 0, sizeof(*ts));
	if (sk->sk_state == TCP_TIME_WAIT) {
		ts->kind = VTCP_TK_TIME_WAIT;
		ts->expires_ms = vtcp_tw_remaining_ms(inet_twsk(sk));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		if (!vtcp_timer_pending(sk, order[i]))
			continue;
		ts->kind = vtcp_timer_kind(sk, order[i]);
		if (ts->kind == VTCP_TK_NONE)
			continue;
		ts->retries = vtcp_timer_retries(sk, ts->kind);
		ts->expires_ms = DIV_ROUND_UP_ULL(vtcp_timer_remaining_ns(sk, order[i]),
						  NSEC_PER_MSEC);
		return;
	}
}

static u8 backoff(const struct vtcp_sock *vsk)
{
	return min_t(u32, vsk->retries + vsk->probes, VTCP_BACKOFF_MAX);
}

/* The RTO the next arming uses, backoff and bounds in (as timers.c). */
static u32 current_rto_us(const struct sock *sk)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	struct net *net = sock_net(sk);
	u64 rto, max = (u64)vtcp_sysctl(net, rto_max_ms) * USEC_PER_MSEC;

	if (vsk->srtt_us)
		rto = max_t(u64, vsk->rto_us,
			    (u64)vtcp_sysctl(net, rto_min_ms) * USEC_PER_MSEC);
	else
		rto = (u64)vtcp_sysctl(net, rto_initial_ms) * USEC_PER_MSEC;
	return min(rto << backoff(vsk), max);
}

static void get_timewait_info(const struct sock *sk, struct vtcp_info *info)
{
	const struct vtcp_tw_sock *vtw = vtcp_tw_sk(sk);

	info->snd_nxt = vtw->vtw_snd_nxt;
	info->snd_una = vtw->vtw_snd_nxt;
	info->rcv_nxt = vtw->vtw_rcv_nxt;
	info->rcv_wnd = (u32)vtw->window << vtw->tw.tw_rcv_wscale;
}

static void get_conn_info(const struct sock *sk, struct vtcp_info *info)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);

	info->retransmits = vsk->retries;
	info->backoff = backoff(vsk);
	info->probes = min_t(u32, vsk->probes + vsk->keepalive_probes, U8_MAX);
	info->rto_us = current_rto_us(sk);
	info->rtt_us = vsk->srtt_us;
	info->rttvar_us = vsk->rttvar_us;
	info->snd_mss = vsk->mss;
	info->rcv_mss = vsk->advmss;
	info->snd_cwnd = vsk->cwnd;
	info->snd_ssthresh = vsk->ssthresh;
	info->snd_una = vsk->snd_una;
	info->snd_nxt = vsk->snd_nxt;
	info->rcv_nxt = vsk->rcv_nxt;
	info->snd_wnd = vsk->snd_wnd;
	info->rcv_wnd = vsk->rcv_wnd;
	info->unacked = vsk->snd_nxt - vsk->snd_una;
	info->options = vsk->opts;
	info->snd_wscale = vsk->snd_wscale;
	info->rcv_wscale = vsk->rcv_wscale;
	info->min_rtt_us = vsk->min_rtt_us;
	info->sacked = vsk->sacked_out;
	info->lost = vsk->lost_out;
	info->bytes_sent = vsk->bytes_sent;
	info->bytes_acked = vsk->bytes_acked;
	info->bytes_received = vsk->bytes_received;
	info->bytes_retrans = vsk->bytes_retrans;
	info->segs_in = vsk->segs_in;
	info->segs_out = vsk->segs_out;
	info->retrans_segs = vsk->retrans_segs;
	info->fast_retrans = vsk->fast_retrans;
	if (vsk->cc)
		strscpy(info->congestion, vsk->cc->name, sizeof(info->congestion));
	info->pmtu = inet_csk(sk)->icsk_pmtu_cookie;
	if (inet_csk(sk)->icsk_mtup.enabled) {
		info->mtu_probe_low = inet_csk(sk)->icsk_mtup.search_low;
		info->mtu_probe_high = inet_csk(sk)->icsk_mtup.search_high;
	}
	info->soft_error = READ_ONCE(sk->sk_err_soft);
}

/*
 * The uapi struct has no implicit padding, so 32-bit programs see the
 * layout 64-bit ones always had: the __u64s right after pad0, at 80.
 */
static void check_info_layout(void)
{
	BUILD_BUG_ON(offsetofend(struct vtcp_info, pad0) !=
		     offsetof(struct vtcp_info, bytes_sent));
	BUILD_BUG_ON(offsetof(struct vtcp_info, bytes_sent) != 80);
	BUILD_BUG_ON(offsetof(struct vtcp_info, bytes_acked) != 88);
	BUILD_BUG_ON(offsetof(struct vtcp_info, bytes_received) != 96);
	BUILD_BUG_ON(offsetof(struct vtcp_info, bytes_retrans) != 104);
	BUILD_BUG_ON(offsetof(struct vtcp_info, segs_in) != 112);
	BUILD_BUG_ON(offsetof(struct vtcp_info, segs_out) != 120);
	BUILD_BUG_ON(offsetofend(struct vtcp_info, soft_error) !=
		     sizeof(struct vtcp_info));
	BUILD_BUG_ON(sizeof(struct vtcp_info) != 168);
}

/**
 * vtcp_get_info() - fill struct vtcp_info for a socket
 * @sk: a full, listening or timewait socket
 * @info: what getsockopt(VTCP_INFO) and sock_diag report
 *
 * Context: @sk locked, or a racy read (sock_diag dumps).
 */
void vtcp_get_info(const struct sock *sk, struct vtcp_info *info)
{
	struct vtcp_timer_state ts;

	check_info_layout();
	memset(info, 0, sizeof(*info));
	info->state = sk->sk_state;
	if (sk->sk_state == TCP_LISTEN)
		return;
	vtcp_next_timer(sk, &ts);
	info->timer = ts.kind;
	info->timer_expires_ms = ts.expires_ms;
	if (sk->sk_state == TCP_TIME_WAIT)
		get_timewait_info(sk, info);
	else
		get_conn_info(sk, info);
}

/* As much of @info as @len asks, and how much that was, as TCP_INFO. */
static int put_info(const void *info, size_t size, char __user *optval,
		    int __user *optlen, int len)
{
	len = min_t(unsigned int, len, size);
	if (put_user(len, optlen) || copy_to_user(optval, info, len))
		return -EFAULT;
	return 0;
}

/**
 * vtcp_getsockopt_info() - getsockopt(VTCP_INFO): struct vtcp_info
 * @sk: the socket
 * @optval: the user's buffer
 * @optlen: the user's length, set to what was copied
 * @len: the length the user asked for
 *
 * Context: process context; takes the socket lock.
 * Return: 0, or -EFAULT.
 */
int vtcp_getsockopt_info(struct sock *sk, char __user *optval,
			 int __user *optlen, int len)
{
	struct vtcp_info info;

	lock_sock(sk);
	vtcp_get_info(sk, &info);
	release_sock(sk);
	return put_info(&info, sizeof(info), optval, optlen, len);
}

/* Bytes, as TCP counts them in struct tcp_info: segments of the MSS. */
static u32 in_segments(const struct vtcp_sock *vsk, u32 bytes)
{
	return DIV_ROUND_UP(bytes, max_t(u32, vsk->mss, 1));
}

static u8 tcp_ca_state(const struct vtcp_sock *vsk)
{
	switch (vsk->ca_state) {
	case VTCP_CA_RECOVERY:
		return TCP_CA_Recovery;
	case VTCP_CA_LOSS:
		return TCP_CA_Loss;
	default:
		return TCP_CA_Open;
	}
}

static u8 tcp_options(const struct vtcp_sock *vsk)
{
	return (vsk->opts & VTCP_OPT_TIMESTAMPS ? TCPI_OPT_TIMESTAMPS : 0) |
	       (vsk->opts & VTCP_OPT_SACK ? TCPI_OPT_SACK : 0) |
	       (vsk->opts & VTCP_OPT_WSCALE ? TCPI_OPT_WSCALE : 0);
}

/* What TCP's ssthresh would read: "infinite" until the first loss. */
static u32 tcp_ssthresh(const struct vtcp_sock *vsk)
{
	if (vsk->ssthresh >= TCP_INFINITE_SSTHRESH)
		return TCP_INFINITE_SSTHRESH;
	return in_segments(vsk, vsk->ssthresh);
}

static u64 pacing_rate(unsigned long rate)
{
	return rate != ~0UL ? rate : ~0ULL;
}

/* The sender's side: windows, timers and estimates. */
static void get_tcp_send_info(const struct sock *sk, struct tcp_info *ti)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);

	ti->tcpi_ca_state = tcp_ca_state(vsk);
	ti->tcpi_retransmits = vsk->retries;
	ti->tcpi_probes = min_t(u32, vsk->probes + vsk->keepalive_probes, U8_MAX);
	ti->tcpi_backoff = backoff(vsk);
	ti->tcpi_options = tcp_options(vsk);
	ti->tcpi_snd_wscale = vsk->snd_wscale;
	ti->tcpi_rcv_wscale = vsk->rcv_wscale;
	ti->tcpi_rto = current_rto_us(sk);
	ti->tcpi_ato = vtcp_sysctl(sock_net(sk), delack_ms) * USEC_PER_MSEC;
	ti->tcpi_snd_mss = vsk->mss;
	ti->tcpi_rcv_mss = vsk->advmss;
	ti->tcpi_advmss = vsk->advmss;
	ti->tcpi_unacked = in_segments(vsk, vsk->snd_nxt - vsk->snd_una);
	ti->tcpi_sacked = in_segments(vsk, vsk->sacked_out);
	ti->tcpi_lost = in_segments(vsk, vsk->lost_out);
	ti->tcpi_retrans = in_segments(vsk, vsk->retrans_out);
	ti->tcpi_pmtu = inet_csk(sk)->icsk_pmtu_cookie;
	ti->tcpi_rtt = vsk->srtt_us;
	ti->tcpi_rttvar = vsk->rttvar_us;
	ti->tcpi_min_rtt = vsk->min_rtt_us ?: ~0U;
	ti->tcpi_snd_cwnd = in_segments(vsk, vsk->cwnd);
	ti->tcpi_snd_ssthresh = tcp_ssthresh(vsk);
	ti->tcpi_reordering = vsk->reordering ?: TCP_FASTRETRANS_THRESH;
	ti->tcpi_snd_wnd = vsk->snd_wnd;
	ti->tcpi_notsent_bytes = max_t(s32, vsk->write_seq - vsk->snd_nxt, 0);
}

/* What was moved, and what we offer. */
static void get_tcp_counts(const struct sock *sk, struct tcp_info *ti)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);

	ti->tcpi_last_ack_recv = vsk->rcv_tstamp_ns ?
		div_u64(ktime_get_ns() - vsk->rcv_tstamp_ns, NSEC_PER_MSEC) : 0;
	ti->tcpi_rcv_ssthresh = vsk->rcv_wnd;
	ti->tcpi_rcv_space = vsk->rcv_wnd;
	ti->tcpi_total_retrans = vsk->retrans_segs;
	ti->tcpi_bytes_acked = vsk->bytes_acked;
	ti->tcpi_bytes_received = vsk->bytes_received;
	ti->tcpi_bytes_sent = vsk->bytes_sent;
	ti->tcpi_bytes_retrans = vsk->bytes_retrans;
	ti->tcpi_segs_out = min_t(u64, vsk->segs_out, U32_MAX);
	ti->tcpi_segs_in = min_t(u64, vsk->segs_in, U32_MAX);
#if VTCP_HAVE_TCPI_RCV_WND
	ti->tcpi_rcv_wnd = vsk->rcv_wnd;
#endif
}

/**
 * vtcp_get_tcp_info() - a connection in struct tcp_info's layout
 * @sk: the socket, held by the caller (its lock)
 * @ti: filled; what vtcp does not keep is 0, windows are in segments
 *
 * For programs written for TCP (iperf3, ss-like readers): TCP's units
 * and conventions, from the state struct vtcp_info shows in bytes.
 */
static void vtcp_get_tcp_info(struct sock *sk, struct tcp_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	ti->tcpi_state = inet_sk_state_load(sk);
	ti->tcpi_pacing_rate = pacing_rate(READ_ONCE(sk->sk_pacing_rate));
	ti->tcpi_max_pacing_rate = pacing_rate(READ_ONCE(sk->sk_max_pacing_rate));
	if (ti->tcpi_state == TCP_LISTEN) {
		ti->tcpi_unacked = READ_ONCE(sk->sk_ack_backlog);
		ti->tcpi_sacked = READ_ONCE(sk->sk_max_ack_backlog);
		return;
	}
	get_tcp_send_info(sk, ti);
	get_tcp_counts(sk, ti);
}

/**
 * vtcp_getsockopt_tcp_info() - getsockopt(IPPROTO_TCP, TCP_INFO)
 * @sk: the socket
 * @optval: the user's buffer
 * @optlen: the user's length, set to what was copied
 * @len: the length the user asked for
 *
 * TCP's struct tcp_info and its length rules, for programs that ask a vtcp
 * socket as they would a TCP one.
 *
 * Context: process context; takes the socket lock.
 * Return: 0, or -EFAULT.
 */
int vtcp_getsockopt_tcp_info(struct sock *sk, char __user *optval,
			     int __user *optlen, int len)
{
	struct tcp_info ti;

	lock_sock(sk);
	vtcp_get_tcp_info(sk, &ti);
	release_sock(sk);
	return put_info(&ti, sizeof(ti), optval, optlen, len);
}
