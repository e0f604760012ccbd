/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vtcp trace system: tracepoints as the kernel's own transports have
 * them, for perf, bpftrace and trace-cmd (Documentation/vtcp.7 lists them
 * and their fields). Static keys: a call costs a branch while its event
 * is off, and its fields are only computed when it is on.
 *
 * trace.c alone defines CREATE_TRACE_POINTS; the other files include
 * this header for the trace_vtcp_*() calls.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vtcp

#ifndef _VTCP_TRACE_HELPERS
#define _VTCP_TRACE_HELPERS

#include <linux/in.h>
#include <linux/in6.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "diag.h"
#include "info.h"
#include "recovery.h"
#include "wire.h"

void vtcp_drop(const struct sock *sk, struct sk_buff *skb,
	       enum vtcp_drop_reason why);

/*
 * A socket's addresses and ports as two sockaddrs, which %pISpc prints.
 * Only struct sock_common is read: it may be a timewait socket.
 */
static inline void vtcp_trace_sk_addrs(const struct sock *sk, void *src,
				       void *dst)
{
	struct sockaddr_in *s4 = src, *d4 = dst;

	memset(src, 0, sizeof(struct sockaddr_in6));
	memset(dst, 0, sizeof(struct sockaddr_in6));
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		struct sockaddr_in6 *s6 = src, *d6 = dst;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(sk->sk_num);
		s6->sin6_addr = sk->sk_v6_rcv_saddr;
		d6->sin6_family = AF_INET6;
		d6->sin6_port = sk->sk_dport;
		d6->sin6_addr = sk->sk_v6_daddr;
		return;
	}
#endif
	s4->sin_family = AF_INET;
	s4->sin_port = htons(sk->sk_num);
	s4->sin_addr.s_addr = sk->sk_rcv_saddr;
	d4->sin_family = AF_INET;
	d4->sin_port = sk->sk_dport;
	d4->sin_addr.s_addr = sk->sk_daddr;
}

/* Our header, if the linear part of @skb holds all of it. */
static inline const struct tcphdr *vtcp_trace_hdr(const struct sk_buff *skb)
{
	const struct tcphdr *th = vtcp_hdr(skb);

	if (skb_tail_pointer(skb) - (const unsigned char *)th <
	    (long)sizeof(*th))
		return NULL;
	return th;
}

/* A received segment's addresses and ports, the sender's first. */
static inline void vtcp_trace_skb_addrs(const struct sk_buff *skb, void *src,
					void *dst)
{
	const struct tcphdr *th = vtcp_trace_hdr(skb);
	__be16 sport = th ? th->source : 0, dport = th ? th->dest : 0;
	struct sockaddr_in *s4 = src, *d4 = dst;

	memset(src, 0, sizeof(struct sockaddr_in6));
	memset(dst, 0, sizeof(struct sockaddr_in6));
	if (vtcp_skb_is_v6(skb)) {
		struct sockaddr_in6 *s6 = src, *d6 = dst;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = sport;
		s6->sin6_addr = ipv6_hdr(skb)->saddr;
		d6->sin6_family = AF_INET6;
		d6->sin6_port = dport;
		d6->sin6_addr = ipv6_hdr(skb)->daddr;
		return;
	}
	s4->sin_family = AF_INET;
	s4->sin_port = sport;
	s4->sin_addr.s_addr = ip_hdr(skb)->saddr;
	d4->sin_family = AF_INET;
	d4->sin_port = dport;
	d4->sin_addr.s_addr = ip_hdr(skb)->daddr;
}

/* What the RTX timer of @sk fires for; VTCP_TRACE_NO_MODE for the others. */
#define VTCP_TRACE_NO_MODE	0xff

static inline u8 vtcp_trace_timer_mode(const struct sock *sk, int t)
{
	if (sk->sk_state == TCP_TIME_WAIT || t != VTCP_TIMER_RTX)
		return VTCP_TRACE_NO_MODE;
	return vtcp_sk(sk)->rtx_mode;
}

static inline u8 vtcp_trace_timer_kind(const struct sock *sk, int t)
{
	if (sk->sk_state == TCP_TIME_WAIT)
		return VTCP_TK_TIME_WAIT;
	return vtcp_timer_kind(sk, t);
}

static inline u8 vtcp_trace_timer_retries(const struct sock *sk, int t)
{
	if (sk->sk_state == TCP_TIME_WAIT)
		return 0;
	return vtcp_timer_retries(sk, vtcp_timer_kind(sk, t));
}

#endif /* _VTCP_TRACE_HELPERS */

#if !defined(_VTCP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VTCP_TRACE_H

#include <linux/tracepoint.h>

/* Names as RFC 9293 and the vtcp tool spell them. */
#define VTCP_TRACE_STATES(FN)						\
	FN(TCP_ESTABLISHED,	"ESTABLISHED")				\
	FN(TCP_SYN_SENT,	"SYN-SENT")				\
	FN(TCP_SYN_RECV,	"SYN-RECEIVED")				\
	FN(TCP_FIN_WAIT1,	"FIN-WAIT-1")				\
	FN(TCP_FIN_WAIT2,	"FIN-WAIT-2")				\
	FN(TCP_TIME_WAIT,	"TIME-WAIT")				\
	FN(TCP_CLOSE,		"CLOSED")				\
	FN(TCP_CLOSE_WAIT,	"CLOSE-WAIT")				\
	FN(TCP_LAST_ACK,	"LAST-ACK")				\
	FN(TCP_LISTEN,		"LISTEN")				\
	FN(TCP_CLOSING,		"CLOSING")

#define VTCP_TRACE_EVENTS(FN)						\
	FN(VTCP_EV_CONNECT,	"connect")				\
	FN(VTCP_EV_LISTEN,	"listen")				\
	FN(VTCP_EV_CLOSE,	"close")				\
	FN(VTCP_EV_ABORT,	"abort")				\
	FN(VTCP_EV_SYN,		"syn")					\
	FN(VTCP_EV_SYNACK,	"synack")				\
	FN(VTCP_EV_ACK_OF_SYN,	"ack-of-syn")				\
	FN(VTCP_EV_ACK_OF_FIN,	"ack-of-fin")				\
	FN(VTCP_EV_FIN,		"fin")					\
	FN(VTCP_EV_RST,		"rst")					\
	FN(VTCP_EV_TIMEOUT,	"timeout")				\
	FN(VTCP_EV_2MSL,	"2msl")					\
	FN(VTCP_EV_FW2_TIMEOUT,	"fin-wait-2-timeout")			\
	FN(VTCP_EV_NEW_SYN,	"new-syn")				\
	FN(VTCP_EV_ICMP_ERROR,	"icmp-error")				\
	FN(VTCP_EV_BARE_ACK,	"bare-ack")				\
	FN(VTCP_NR_EVENTS,	"none")

#define VTCP_TRACE_TIMERS(FN)						\
	FN(VTCP_TK_NONE,	"none")					\
	FN(VTCP_TK_SYN,		"syn")					\
	FN(VTCP_TK_FIN,		"fin")					\
	FN(VTCP_TK_RETRANS,	"retrans")				\
	FN(VTCP_TK_PROBE,	"persist")				\
	FN(VTCP_TK_DELACK,	"delack")				\
	FN(VTCP_TK_KEEPALIVE,	"keepalive")				\
	FN(VTCP_TK_FIN_WAIT2,	"finwait2")				\
	FN(VTCP_TK_TIME_WAIT,	"timewait")

#define VTCP_TRACE_MODES(FN)						\
	FN(VTCP_RTX_RTO,	"rto")					\
	FN(VTCP_RTX_REO,	"rack")					\
	FN(VTCP_RTX_TLP,	"tlp")

#define VTCP_TRACE_CA_STATES(FN)					\
	FN(VTCP_CA_OPEN,	"open")					\
	FN(VTCP_CA_RECOVERY,	"recovery")				\
	FN(VTCP_CA_LOSS,	"loss")

#define VTCP_TRACE_DROPS(FN)						\
	FN(VTCP_DROP_OTHERHOST,		"OTHERHOST")			\
	FN(VTCP_DROP_HEADER,		"HEADER")			\
	FN(VTCP_DROP_CSUM,		"CSUM")				\
	FN(VTCP_DROP_NO_SOCKET,		"NO_SOCKET")			\
	FN(VTCP_DROP_XFRM,		"XFRM")				\
	FN(VTCP_DROP_FILTER,		"FILTER")			\
	FN(VTCP_DROP_BACKLOG,		"BACKLOG")			\
	FN(VTCP_DROP_PAWS,		"PAWS")				\
	FN(VTCP_DROP_OUT_OF_WINDOW,	"OUT_OF_WINDOW")		\
	FN(VTCP_DROP_BAD_ACK,		"BAD_ACK")			\
	FN(VTCP_DROP_RCVBUF,		"RCVBUF")			\
	FN(VTCP_DROP_MEMORY,		"MEMORY")			\
	FN(VTCP_DROP_TIME_WAIT_RST,	"TIME_WAIT_RST")		\
	FN(VTCP_DROP_LISTEN,		"LISTEN")			\
	FN(VTCP_DROP_LISTEN_ACK,	"LISTEN_ACK")			\
	FN(VTCP_DROP_DEFER_ACCEPT,	"DEFER_ACCEPT")

#define VTCP_TRACE_RETRANS(FN)						\
	FN(VTCP_RETRANS_RTO,		"RTO")				\
	FN(VTCP_RETRANS_FAST,		"FAST")				\
	FN(VTCP_RETRANS_RACK,		"RACK")				\
	FN(VTCP_RETRANS_TLP,		"TLP")				\
	FN(VTCP_RETRANS_PROBE,		"PROBE")			\
	FN(VTCP_RETRANS_PMTU,		"PMTU")				\
	FN(VTCP_RETRANS_SYNACK,		"SYNACK")

/* Enum values the print formats name, for perf and trace-cmd to read. */
#define VTCP_TRACE_DEFINE(value, name)	TRACE_DEFINE_ENUM(value);

VTCP_TRACE_STATES(VTCP_TRACE_DEFINE)
VTCP_TRACE_EVENTS(VTCP_TRACE_DEFINE)
VTCP_TRACE_TIMERS(VTCP_TRACE_DEFINE)
VTCP_TRACE_MODES(VTCP_TRACE_DEFINE)
VTCP_TRACE_CA_STATES(VTCP_TRACE_DEFINE)
VTCP_TRACE_DROPS(VTCP_TRACE_DEFINE)
VTCP_TRACE_RETRANS(VTCP_TRACE_DEFINE)

/* { value, "name" } pairs for __print_symbolic(), each list closed. */
#define VTCP_TRACE_SYM(value, name)	{ value, name },

#define vtcp_show_state(s) __print_symbolic(s,				\
	VTCP_TRACE_STATES(VTCP_TRACE_SYM) { 0, "-" })
#define vtcp_show_event(e) __print_symbolic(e,				\
	VTCP_TRACE_EVENTS(VTCP_TRACE_SYM) { -1, "?" })
#define vtcp_show_timer(k) __print_symbolic(k,				\
	VTCP_TRACE_TIMERS(VTCP_TRACE_SYM) { -1, "?" })
#define vtcp_show_mode(m) __print_symbolic(m,				\
	VTCP_TRACE_MODES(VTCP_TRACE_SYM) { VTCP_TRACE_NO_MODE, "-" })
#define vtcp_show_ca_state(c) __print_symbolic(c,			\
	VTCP_TRACE_CA_STATES(VTCP_TRACE_SYM) { -1, "?" })
#define vtcp_show_drop(r) __print_symbolic(r,				\
	VTCP_TRACE_DROPS(VTCP_TRACE_SYM) { -1, "?" })
#define vtcp_show_retrans(r) __print_symbolic(r,			\
	VTCP_TRACE_RETRANS(VTCP_TRACE_SYM) { -1, "?" })
#define vtcp_show_flags(f) __print_flags(f, "|",			\
	{ TCPHDR_FIN, "FIN" }, { TCPHDR_SYN, "SYN" },			\
	{ TCPHDR_RST, "RST" }, { TCPHDR_PSH, "PSH" },			\
	{ TCPHDR_ACK, "ACK" }, { TCPHDR_URG, "URG" },			\
	{ TCPHDR_ECE, "ECE" }, { TCPHDR_CWR, "CWR" })

/* The fields every event of a connection starts with. */
#define VTCP_TRACE_SK_FIELDS						\
	__field(const void *, skaddr)					\
	__field(__u16, family)						\
	__field(__u16, sport)						\
	__field(__u16, dport)						\
	__array(__u8, saddr, sizeof(struct sockaddr_in6))		\
	__array(__u8, daddr, sizeof(struct sockaddr_in6))

#define vtcp_trace_store_sk(__entry, sk)				\
	do {								\
		__entry->skaddr = sk;					\
		__entry->family = sk->sk_family;			\
		__entry->sport = sk->sk_num;				\
		__entry->dport = ntohs(sk->sk_dport);			\
		vtcp_trace_sk_addrs(sk, __entry->saddr, __entry->daddr); \
	} while (0)

/*
 * A connection changes state: @ev, an enum vtcp_fsm_event, or
 * VTCP_NR_EVENTS for a change the table did not make. TIME-WAIT is the
 * state machine's: the full socket gives way to a timewait socket, and
 * the two events name TIME-WAIT (sock:inet_sock_set_state shows the full
 * socket going to CLOSED instead).
 */
TRACE_EVENT(vtcp_state,

	TP_PROTO(const struct sock *sk, int old, int new, int ev),

	TP_ARGS(sk, old, new, ev),

	TP_STRUCT__entry(
		VTCP_TRACE_SK_FIELDS
		__field(int, oldstate)
		__field(int, newstate)
		__field(int, event)
	),

	TP_fast_assign(
		vtcp_trace_store_sk(__entry, sk);
		__entry->oldstate = old;
		__entry->newstate = new;
		__entry->event = ev;
	),

	TP_printk("src=%pISpc dst=%pISpc old=%s new=%s event=%s",
		  __entry->saddr, __entry->daddr,
		  vtcp_show_state(__entry->oldstate),
		  vtcp_show_state(__entry->newstate),
		  vtcp_show_event(__entry->event))
);

/*
 * A segment goes out again, for @reason. @skb is NULL for a zero-window
 * probe that carries no data (sequence number snd_una - 1).
 */
TRACE_EVENT(vtcp_retransmit,

	TP_PROTO(const struct sock *sk, const struct sk_buff *skb, int reason),

	TP_ARGS(sk, skb, reason),

	TP_STRUCT__entry(
		VTCP_TRACE_SK_FIELDS
		__field(const void *, skbaddr)
		__field(int, state)
		__field(__u32, seq)
		__field(__u32, len)
		__field(__u8, flags)
		__field(__u8, retries)
		__field(int, reason)
	),

	TP_fast_assign(
		const struct vtcp_sock *vsk = vtcp_sk(sk);

		vtcp_trace_store_sk(__entry, sk);
		__entry->skbaddr = skb;
		__entry->state = sk->sk_state;
		__entry->seq = skb ? VTCP_SKB_CB(skb)->seq : vsk->snd_una - 1;
		__entry->len = skb ? VTCP_SKB_CB(skb)->end_seq -
				     VTCP_SKB_CB(skb)->seq : 0;
		__entry->flags = skb ? VTCP_SKB_CB(skb)->flags : TCPHDR_ACK;
		__entry->retries = vsk->retries;
		__entry->reason = reason;
	),

	TP_printk("src=%pISpc dst=%pISpc state=%s seq=%u len=%u flags=%s retries=%u reason=%s",
		  __entry->saddr, __entry->daddr,
		  vtcp_show_state(__entry->state), __entry->seq, __entry->len,
		  vtcp_show_flags(__entry->flags), __entry->retries,
		  vtcp_show_retrans(__entry->reason))
);

/*
 * A received segment is dropped, for @reason. @sk is the socket it was
 * for, if any (state 0, "-", when none); the addresses and ports are the
 * segment's, its sender's first.
 */
TRACE_EVENT(vtcp_drop,

	TP_PROTO(const struct sock *sk, const struct sk_buff *skb, int reason),

	TP_ARGS(sk, skb, reason),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(const void *, skbaddr)
		__field(__u16, family)
		__field(__u16, sport)
		__field(__u16, dport)
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
		__field(int, state)
		__field(__u32, seq)
		__field(__u32, ack)
		__field(__u8, flags)
		__field(int, reason)
	),

	TP_fast_assign(
		const struct tcphdr *th = vtcp_trace_hdr(skb);

		__entry->skaddr = sk;
		__entry->skbaddr = skb;
		__entry->family = vtcp_skb_is_v6(skb) ? AF_INET6 : AF_INET;
		__entry->sport = th ? ntohs(th->source) : 0;
		__entry->dport = th ? ntohs(th->dest) : 0;
		vtcp_trace_skb_addrs(skb, __entry->saddr, __entry->daddr);
		__entry->state = sk ? sk->sk_state : 0;
		__entry->seq = th ? ntohl(th->seq) : 0;
		__entry->ack = th ? ntohl(th->ack_seq) : 0;
		__entry->flags = th ? tcp_flag_byte(th) : 0;
		__entry->reason = reason;
	),

	TP_printk("src=%pISpc dst=%pISpc state=%s seq=%u ack=%u flags=%s reason=%s skbaddr=%p",
		  __entry->saddr, __entry->daddr,
		  vtcp_show_state(__entry->state), __entry->seq, __entry->ack,
		  vtcp_show_flags(__entry->flags),
		  vtcp_show_drop(__entry->reason), __entry->skbaddr)
);

/*
 * An acceptable ACK was processed (tcp:tcp_probe's counterpart): the
 * sender's windows and estimates after it. Windows in bytes, times in
 * microseconds, in_flight as RFC 6675's pipe.
 */
TRACE_EVENT(vtcp_probe,

	TP_PROTO(struct sock *sk, const struct sk_buff *skb),

	TP_ARGS(sk, skb),

	TP_STRUCT__entry(
		VTCP_TRACE_SK_FIELDS
		__field(__u64, sock_cookie)
		__field(__u32, ack)
		__field(__u32, snd_una)
		__field(__u32, snd_nxt)
		__field(__u32, snd_wnd)
		__field(__u32, cwnd)
		__field(__u32, ssthresh)
		__field(__u32, in_flight)
		__field(__u32, srtt)
		__field(__u32, rto)
		__field(__u16, mss)
		__field(__u8, ca_state)
	),

	TP_fast_assign(
		const struct vtcp_sock *vsk = vtcp_sk(sk);

		vtcp_trace_store_sk(__entry, sk);
		__entry->sock_cookie = vtcp_cookie(sk);
		__entry->ack = VTCP_SKB_CB(skb)->ack_seq;
		__entry->snd_una = vsk->snd_una;
		__entry->snd_nxt = vsk->snd_nxt;
		__entry->snd_wnd = vsk->snd_wnd;
		__entry->cwnd = vsk->cwnd;
		__entry->ssthresh = vsk->ssthresh;
		__entry->in_flight = vtcp_in_flight(sk);
		__entry->srtt = vsk->srtt_us;
		__entry->rto = vsk->rto_us;
		__entry->mss = vsk->mss;
		__entry->ca_state = vsk->ca_state;
	),

	TP_printk("src=%pISpc dst=%pISpc ack=%u snd_una=%u snd_nxt=%u snd_wnd=%u cwnd=%u ssthresh=%u in_flight=%u srtt=%u rto=%u mss=%u ca_state=%s sock_cookie=%llx",
		  __entry->saddr, __entry->daddr, __entry->ack,
		  __entry->snd_una, __entry->snd_nxt, __entry->snd_wnd,
		  __entry->cwnd, __entry->ssthresh, __entry->in_flight,
		  __entry->srtt, __entry->rto, __entry->mss,
		  vtcp_show_ca_state(__entry->ca_state), __entry->sock_cookie)
);

/*
 * A timer of @sk fired: @t, an enum vtcp_timer, for a full socket; the
 * 2MSL timer for a timewait one. timer= is what it fired for (as struct
 * vtcp_info names it), mode= what the RTX timer ran for.
 */
TRACE_EVENT(vtcp_timer,

	TP_PROTO(const struct sock *sk, int t),

	TP_ARGS(sk, t),

	TP_STRUCT__entry(
		VTCP_TRACE_SK_FIELDS
		__field(int, state)
		__field(__u8, timer)
		__field(__u8, mode)
		__field(__u8, retries)
	),

	TP_fast_assign(
		vtcp_trace_store_sk(__entry, sk);
		__entry->state = sk->sk_state;
		__entry->timer = vtcp_trace_timer_kind(sk, t);
		__entry->mode = vtcp_trace_timer_mode(sk, t);
		__entry->retries = vtcp_trace_timer_retries(sk, t);
	),

	TP_printk("src=%pISpc dst=%pISpc state=%s timer=%s mode=%s retries=%u",
		  __entry->saddr, __entry->daddr,
		  vtcp_show_state(__entry->state),
		  vtcp_show_timer(__entry->timer),
		  vtcp_show_mode(__entry->mode), __entry->retries)
);

#endif /* _VTCP_TRACE_H */

/* This part must be outside the protection above. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
