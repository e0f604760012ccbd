/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vtcp: a TCP-style transport on its own IP protocol number.
 *
 * This is the user ABI: everything a program or tool needs to talk to the
 * vtcp module. It builds both in the kernel and in userspace.
 */
#ifndef _UAPI_LINUX_VTCP_H
#define _UAPI_LINUX_VTCP_H

#include <linux/types.h>

/*
 * Default IP protocol number (RFC 3692: 253 and 254 are for experiments).
 * The module parameter "proto" can move it; sockets are then created with
 * socket(AF_INET, SOCK_STREAM, <proto>).
 */
#define IPPROTO_VTCP		253

/*
 * Socket options at level SOL_VTCP (the protocol number, as SOL_TCP is
 * TCP's). Numbers and meanings follow TCP's, see tcp(7). Level
 * IPPROTO_TCP takes the same numbers, so that programs written for TCP
 * work unchanged; there, TCP_INFO (11) gives struct tcp_info.
 */
#define SOL_VTCP		IPPROTO_VTCP

#define VTCP_NODELAY		1	/* no Nagle: send small segments at once */
#define VTCP_MAXSEG		2	/* the send MSS; set: a bound for both */
#define VTCP_CORK		3	/* hold partial segments until uncorked */
#define VTCP_KEEPIDLE		4	/* seconds idle before probes */
#define VTCP_KEEPINTVL		5	/* seconds between probes */
#define VTCP_KEEPCNT		6	/* probes before giving up */
#define VTCP_DEFER_ACCEPT	9	/* listener: seconds, rounded as TCP's */
#define VTCP_INFO		11	/* read only: struct vtcp_info */
#define VTCP_QUICKACK		12	/* ACK every segment at once while set */
#define VTCP_CONGESTION		13	/* congestion control, by name */
#define VTCP_USER_TIMEOUT	18	/* ms data may stay unacked, 0: default */
#define VTCP_NOTSENT_LOWAT	25	/* writable below this many unsent bytes */

/* Per-network-namespace statistics, one "Name Value" pair per line. */
#define VTCP_PROC_STATS		"vtcp_stats"
/* What is alive now, one line as /proc/net/sockstat's "TCP:" line. */
#define VTCP_PROC_SOCKSTAT	"vtcp_sockstat"

/*
 * Connection states carry TCP's numbers (TCP_ESTABLISHED = 1 ...
 * TCP_LISTEN = 10, TCP_CLOSING = 11) so that inet_diag state masks and
 * existing tools read them right.
 */

/* The events of the state machine (the columns of its table). */
enum vtcp_fsm_event {
	VTCP_EV_CONNECT,	/* user: connect() */
	VTCP_EV_LISTEN,		/* user: listen() */
	VTCP_EV_CLOSE,		/* user: close() or shutdown(SHUT_WR) */
	VTCP_EV_ABORT,		/* user: abortive close (RST) */
	VTCP_EV_SYN,		/* segment: SYN without ACK */
	VTCP_EV_SYNACK,		/* segment: SYN with an acceptable ACK */
	VTCP_EV_ACK_OF_SYN,	/* segment: ACK covering our SYN */
	VTCP_EV_ACK_OF_FIN,	/* segment: ACK covering our FIN */
	VTCP_EV_FIN,		/* segment: FIN, in sequence */
	VTCP_EV_RST,		/* segment: acceptable RST */
	VTCP_EV_TIMEOUT,	/* timer: retransmissions exhausted */
	VTCP_EV_2MSL,		/* timer: TIME-WAIT over */
	VTCP_EV_FW2_TIMEOUT,	/* timer: orphan idle in FIN-WAIT-2 */
	VTCP_EV_NEW_SYN,	/* segment: SYN newer than TIME-WAIT's (RFC 6191) */
	VTCP_EV_ICMP_ERROR,	/* ICMP: a hard error for a connection opening */
	VTCP_EV_BARE_ACK,	/* segment: bare ACK of SYN, accept deferred */
	VTCP_EV_OPEN_FAILED,	/* connect() or a listener's child: no route, */
				/* port or memory to go on with */
	VTCP_EV_DISCONNECT,	/* user: connect(AF_UNSPEC), or an unaccepted */
				/* child dropped: reset, keep the socket */
	VTCP_EV_KEEPALIVE_TIMEOUT, /* timer: keepalive probes unanswered */
	VTCP_NR_EVENTS
};

/* What a pending timer is for, as struct vtcp_info and events show it. */
enum vtcp_timer_kind {
	VTCP_TK_NONE,
	VTCP_TK_SYN,		/* SYN or SYN-ACK retransmission */
	VTCP_TK_FIN,		/* FIN retransmission */
	VTCP_TK_RETRANS,	/* data retransmission */
	VTCP_TK_PROBE,		/* zero-window probe */
	VTCP_TK_DELACK,		/* delayed ACK */
	VTCP_TK_KEEPALIVE,	/* keepalive */
	VTCP_TK_FIN_WAIT2,	/* orphan FIN-WAIT-2 timeout */
	VTCP_TK_TIME_WAIT,	/* 2MSL */
	VTCP_NR_TK
};

/* vtcp_info.options */
#define VTCP_OPT_TIMESTAMPS	(1 << 0)
#define VTCP_OPT_SACK		(1 << 1)
#define VTCP_OPT_WSCALE		(1 << 2)

/*
 * One connection, as getsockopt(VTCP_INFO) and the INET_DIAG_INFO
 * attribute of a sock_diag dump give it. Fields are only ever added at
 * the end; the length returned says how much the kernel filled. There is
 * no implicit padding: 32- and 64-bit programs see one layout. A dump
 * without CAP_NET_ADMIN has snd_una, snd_nxt and rcv_nxt 0.
 */
struct vtcp_info {
	__u8	state;		/* TCP_* number */
	__u8	options;	/* VTCP_OPT_* negotiated */
	__u8	snd_wscale;	/* shift of the peer's window */
	__u8	rcv_wscale;	/* shift of ours */
	__u8	timer;		/* enum vtcp_timer_kind of the next timer */
	__u8	retransmits;	/* timeouts of the current segment */
	__u8	backoff;	/* RTO doublings in force */
	__u8	probes;		/* zero-window or keepalive probes unanswered */
	__u32	timer_expires_ms; /* when the next timer fires, from now */

	__u32	rto_us;
	__u32	rtt_us;		/* smoothed RTT */
	__u32	rttvar_us;
	__u32	min_rtt_us;
	__u32	snd_mss;
	__u32	rcv_mss;

	__u32	snd_cwnd;	/* bytes */
	__u32	snd_ssthresh;	/* bytes */
	__u32	snd_una;
	__u32	snd_nxt;
	__u32	rcv_nxt;
	__u32	snd_wnd;	/* peer's window, bytes */
	__u32	rcv_wnd;	/* ours, bytes */
	__u32	unacked;	/* bytes in flight */
	__u32	sacked;		/* bytes SACKed by the peer, not yet acked */
	__u32	lost;		/* bytes marked lost */
	__u32	pad0;		/* 0: no hole for 32-bit programs to miss */

	__u64	bytes_sent;	/* including retransmissions */
	__u64	bytes_acked;
	__u64	bytes_received;
	__u64	bytes_retrans;
	__u64	segs_in;
	__u64	segs_out;
	__u32	retrans_segs;	/* total retransmitted segments */
	__u32	fast_retrans;	/* of which by fast retransmit/SACK recovery */
	char	congestion[16];	/* congestion control algorithm */
	__u32	pmtu;		/* path MTU the MSS follows */
	__u32	mtu_probe_low;	/* RFC 4821 search: an MTU known to work, */
	__u32	mtu_probe_high;	/* the largest that may; 0: no search */
	__u32	soft_error;	/* errno of the last ICMP soft error, or 0 */
};

/*
 * Generic netlink family "vtcp": counters and live events.
 *
 * VTCP_CMD_GET_STATS (doit): reply carries VTCP_A_STATS, a nest of
 *   VTCP_A_STAT nests, each { VTCP_A_STAT_NAME, VTCP_A_STAT_VALUE }, for
 *   the caller's network namespace. VTCP_A_STATS_RESET (flag) in the
 *   request zeroes the counters after reading (CAP_NET_ADMIN).
 * VTCP_CMD_EVENT: multicast on group "events", one message per state
 *   transition (VTCP_EVT_STATE), timer firing (VTCP_EVT_TIMER), segment
 *   sent/received (VTCP_EVT_SEG_OUT/IN) or path MTU change (VTCP_EVT_PMTU,
 *   with VTCP_A_EV_MTU and VTCP_A_EV_MSS) of the namespace's connections.
 */
#define VTCP_GENL_NAME		"vtcp"
#define VTCP_GENL_VERSION	1
#define VTCP_GENL_MCGRP_EVENTS	"events"

enum vtcp_genl_cmd {
	VTCP_CMD_UNSPEC,
	VTCP_CMD_GET_STATS,
	VTCP_CMD_EVENT,
	__VTCP_CMD_MAX
};

#define VTCP_CMD_MAX (__VTCP_CMD_MAX - 1)

enum vtcp_event_type {
	VTCP_EVT_STATE = 1,	/* old state -> new state, by fsm event */
	VTCP_EVT_TIMER,		/* a timer fired */
	VTCP_EVT_SEG_OUT,	/* a segment was sent */
	VTCP_EVT_SEG_IN,	/* a segment arrived at the socket */
	VTCP_EVT_PMTU,		/* the path MTU, and so the MSS, changed */
};

enum vtcp_genl_attr {
	VTCP_A_UNSPEC,
	VTCP_A_STATS,		/* nest of VTCP_A_STAT */
	VTCP_A_STAT,		/* nest: NAME, VALUE */
	VTCP_A_STAT_NAME,	/* string */
	VTCP_A_STAT_VALUE,	/* u64 */
	VTCP_A_STATS_RESET,	/* flag */
	VTCP_A_EV_TYPE,		/* u8, enum vtcp_event_type */
	VTCP_A_EV_TIME_NS,	/* u64, CLOCK_REALTIME */
	VTCP_A_EV_COOKIE,	/* u64, the socket's cookie (as sock_diag) */
	VTCP_A_EV_SADDR,	/* be32, local address */
	VTCP_A_EV_DADDR,	/* be32, remote address */
	VTCP_A_EV_SPORT,	/* be16, local port */
	VTCP_A_EV_DPORT,	/* be16, remote port */
	VTCP_A_EV_OLD_STATE,	/* u8, TCP_* */
	VTCP_A_EV_NEW_STATE,	/* u8, TCP_* */
	VTCP_A_EV_FSM_EVENT,	/* u8, enum vtcp_fsm_event */
	VTCP_A_EV_TIMER,	/* u8, enum vtcp_timer_kind */
	VTCP_A_EV_RETRIES,	/* u8, retry count of the timer */
	VTCP_A_EV_SEQ,		/* u32 */
	VTCP_A_EV_ACK,		/* u32 */
	VTCP_A_EV_FLAGS,	/* u8, TCP header flags */
	VTCP_A_EV_LEN,		/* u32, payload bytes */
	VTCP_A_EV_WIN,		/* u32, window in bytes (scaled) */
	VTCP_A_PAD,
	VTCP_A_EV_MTU,		/* u32, the new path MTU */
	VTCP_A_EV_MSS,		/* u32, the new MSS */
	VTCP_A_EV_SADDR6,	/* in6_addr, local address of an AF_INET6 */
				/* socket (v4-mapped for IPv4 peers), or */
				/* of an IPv6 reply: then no EV_SADDR */
	VTCP_A_EV_DADDR6,	/* in6_addr, remote address, likewise */
	__VTCP_A_MAX
};

#define VTCP_A_MAX (__VTCP_A_MAX - 1)

#endif /* _UAPI_LINUX_VTCP_H */
