/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The core of vtcp that every file of the module uses: the socket and its
 * TIME-WAIT twin, the control block of a segment, the per-namespace state
 * and its counters. What a file shares with the others is declared in its
 * own header (foo.h for foo.c); this one is also main.c's.
 */
#ifndef _VTCP_H
#define _VTCP_H

#include <linux/hrtimer.h>
#include <linux/module.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/ipv6.h>
#include <net/netns/generic.h>
#include <net/snmp.h>
#include <net/tcp.h>
#include <net/tcp_states.h>

#include <uapi/linux/vtcp.h>

#include "seq.h"

/* The IP protocol number we registered, from the "proto" parameter. */
extern u8 vtcp_protocol;

/*
 * What differs between the families for a connection's own segments:
 * IPv4, and IPv6 (ipv6.c). An AF_INET6 socket talking to an IPv4 peer
 * (a v4-mapped address) uses IPv4's, as TCP's ipv6_mapped does.
 */
struct vtcp_af_ops {
	u16 net_header_len;	/* the IP header in front of ours */
	/* Checksum @skb (our header pushed) and hand it to IP. */
	int (*queue_xmit)(struct sock *sk, struct sk_buff *skb);
	/* Teach the route a smaller MTU: the route, or NULL. */
	struct dst_entry *(*update_pmtu)(struct sock *sk, u32 mtu);
};

/* A segment's family: IP hands us both, each to its own handler. */
static inline bool vtcp_skb_is_v6(const struct sk_buff *skb)
{
	return skb->protocol == htons(ETH_P_IPV6);
}

/* The timers of a socket, all soft hrtimers (they run in softirq). */
enum vtcp_timer {
	VTCP_TIMER_RTX,		/* SYN, SYN-ACK, FIN, data; zero-window probe */
	VTCP_TIMER_DELACK,	/* delayed ACK */
	VTCP_TIMER_KEEPALIVE,	/* keepalive, or FIN-WAIT-2 timeout of orphans */
	VTCP_NR_TIMERS
};

/* A vtcp socket: the kernel's connection socket plus our own state. */
struct vtcp_sock {
	struct inet_connection_sock icsk;

	/* Options set by the user (0: the default); kept by children. */
	u8 nodelay;
	u8 cork;
	u8 keepalive_cnt;
	u32 keepalive_idle_ms;
	u32 keepalive_intvl_ms;
	u16 user_mss;		/* MAXSEG: bounds both MSSes; 0: none */
	u8 quickack;		/* ACK each in-order segment at once */
	u8 defer_accept;	/* listener: in SYN-ACK timeouts, as TCP */
	u32 user_timeout_ms;	/* longest wait for an ACK; 0: retries */
	u32 notsent_lowat;	/* writable below; 0: any room */

	u32 syncookie_sent;		/* a listener's last SYN cookie, jiffies */
	const struct vtcp_af_ops *af;	/* the family of our segments */
	const struct vtcp_cong_ops *cc;	/* congestion control */

	struct list_head children;	/* a listener's half-open, oldest first */
	struct rb_root ooo_queue;	/* received out of order, by seq */
	struct hrtimer timers[VTCP_NR_TIMERS];
	u64 timer_due_ns[VTCP_NR_TIMERS]; /* deadlines (lazy timers); 0: none */
	unsigned long deferred;		/* timers that fired while owned, */
					/* and VTCP_DEFER_MTU */
	spinlock_t timer_lock;		/* timer_refs vs. queueing */
	u8 timer_refs;			/* timers holding a socket reference */

	/* The connection, from iss to the end: cleared for each one. */
	u32 iss;
	u32 snd_una;		/* oldest unacknowledged */
	u32 snd_nxt;		/* next to send */
	u32 write_seq;		/* after the last byte queued by the user */
	u32 snd_wnd;		/* peer's window */
	u32 max_window;		/* largest window the peer offered */
	u32 snd_wl1, snd_wl2;	/* segment seq/ack of the last window update */
	u16 mss;		/* largest payload we send */
	u16 advmss;		/* largest payload we accept */
	u16 mss_clamp;		/* the peer's MSS option: mss never exceeds it */
	u32 mtu_info;		/* MTU of a "fragmentation needed" deferred */
	u32 last_oow_ack;	/* jiffies: see vtcp_oow_rate_limited() */

	u32 irs;
	u32 rcv_nxt;		/* next expected */
	u32 copied_seq;		/* next byte the user reads */
	u32 rcv_wnd;		/* window last advertised */
	u32 rcv_wup;		/* rcv_nxt when rcv_wnd was advertised */

	u32 cwnd;		/* congestion window, bytes */
	u32 ssthresh;
	u32 max_out;		/* most sent and unacked this round trip */
	u32 cwnd_usage_seq;	/* snd_nxt when that round trip began */
	bool cwnd_limited;	/* the window was full this round trip */
	u32 srtt_us;		/* smoothed RTT, 0 until the first sample */
	u32 rttvar_us;
	u32 rto_us;
	u32 min_rtt_us;
	u32 recover;		/* snd_nxt when loss recovery began */
	u64 rcv_tstamp_ns;	/* when a segment last arrived */
	u64 rtx_start_ns;	/* the head's first timeout: when it was sent */

	/* Options (RFC 7323, RFC 2018): offered, then agreed by both. */
	u8 opts;		/* VTCP_OPT_* */
	u8 snd_wscale;		/* the peer's window is shifted by this */
	u8 rcv_wscale;		/* ours */
	u32 ts_offset;		/* our timestamp clock's random start */
	u32 ts_recent;		/* the peer's TSval we echo */
	u32 ts_recent_stamp;	/* seconds, when ts_recent was taken (PAWS) */

	/* Loss recovery (recovery.c): the scoreboard's sums, in bytes. */
	u8 ca_state;		/* VTCP_CA_* */
	u32 sacked_out;		/* SACKed above snd_una */
	u32 lost_out;		/* marked lost, not yet SACKed or acked */
	u32 retrans_out;	/* retransmitted, not yet SACKed or acked */
	u32 high_sacked;	/* end of the highest SACKed byte */
	u16 reordering;		/* segments out of order seen, 0: none */
	u8 rtx_mode;		/* what the RTX timer runs for: VTCP_RTX_* */
	u8 tlp_out;		/* the flight's probe is spent, until tlp_high_seq */
	u32 tlp_high_seq;	/* snd_nxt when the probe was due */
	u32 rack_end_seq;	/* RACK (RFC 8985): the most recently sent */
	u64 rack_sent_ns;	/* segment delivered, when it went, */
	u64 rack_rtt_ns;	/* and its round trip */
	u64 reo_at_ns;		/* RACK's next verdict is due, 0: none */
	u32 prior_cwnd;		/* before this recovery or loss episode, */
	u32 prior_ssthresh;	/* to restore if it was spurious; 0: none */
	u32 undo_marker;	/* snd_una when it began */
	u32 undo_tsval;		/* TSval of its first retransmission, */
	u8 undo_ts_set;		/* if one went */
	u8 undo_state;		/* VTCP_CA_RECOVERY, or _LOSS after an RTO */
	u16 undo_retrans;	/* segments it resent, less those D-SACKed */

	/* Receive side: SACK blocks and buffer autotuning. */
	u32 ooo_last_seq;	/* start of the last out-of-order arrival */
	u32 dsack_start;	/* a duplicate to report (RFC 2883), */
	u32 dsack_end;		/* if dsack */
	u8 dsack;
	u32 rcvq_space_copied;	/* read by the user this interval */
	u64 rcvq_space_ns;	/* start of the interval */

	/* What getsockopt(VTCP_INFO) and sock_diag report. */
	u64 bytes_sent;
	u64 bytes_acked;
	u64 bytes_received;
	u64 bytes_retrans;
	u64 segs_in;
	u64 segs_out;
	u32 retrans_segs;
	u32 fast_retrans;

	u64 cc_priv[8];		/* the congestion control's own state */

	struct rb_root rtx_queue;	/* sent, not yet acked, by seq (rtx.c) */
	struct list_head tsorted;	/* of those, in flight, by send time */
	u32 lost_hint;			/* none below it waits to be resent */
	struct request_sock *req;	/* passive open, until accept queue */
	struct list_head child_node;	/* in the listener's children */
	u8 retries;			/* timeouts of the current head */
	u8 probes;			/* zero-window probes unanswered */
	u8 dupacks;			/* duplicate ACKs in a row */
	u8 fin_rcvd;			/* the peer's FIN is in rcv_nxt */
	u8 keepalive_probes;		/* unanswered keepalive probes */
	u8 acks_pending;		/* segments received, not yet ACKed */
};

static inline struct vtcp_sock *vtcp_sk(const struct sock *sk)
{
	return (struct vtcp_sock *)sk;
}

/*
 * TIME-WAIT: the kernel's small timewait socket plus what we need. It
 * waits on its namespace's 2MSL queue (timewait.c), in expiry order.
 */
struct vtcp_tw_sock {
	struct inet_timewait_sock tw;	/* with snd_nxt, rcv_nxt: see below */
	u32 expires_ms;			/* when 2MSL ends, vtcp_tw_clock() */
	u32 ts_recent;			/* the peer's last TSval, if had_ts */
	u16 window;			/* our ACKs' window field */
	bool had_ts;			/* the connection used timestamps */
	u32 last_oow_ack;		/* see vtcp_oow_rate_limited() */
	struct list_head queue;		/* in vtcp_net.tw_queue */
};

/*
 * The sequence numbers live where TCP keeps its own, in sock_common slots
 * that only full sockets use otherwise: the entry stays TCP's size.
 */
#define vtw_snd_nxt	tw.__tw_common.skc_tw_snd_nxt
#define vtw_rcv_nxt	tw.__tw_common.skc_tw_rcv_nxt

static inline struct vtcp_tw_sock *vtcp_tw_sk(const struct sock *sk)
{
	return (struct vtcp_tw_sock *)sk;
}

/* The same from the kernel's type, which a full socket is not. */
static inline struct vtcp_tw_sock *vtcp_twsk(struct inet_timewait_sock *tw)
{
	return container_of(tw, struct vtcp_tw_sock, tw);
}

/* The control block of our segments in skb->cb. */
struct vtcp_skb_cb {
	u32 seq;		/* first sequence number */
	u32 end_seq;		/* seq + SYN + FIN + data length */
	union {
		struct {
			u32 ack_seq;
			u32 tsval;	/* in: the timestamp option, if has_ts */
			u32 tsecr;
			u32 tw_isn;	/* in: SYN that ended a TIME-WAIT: our ISN */
		};
		struct list_head tsorted; /* out: in vsk->tsorted, if in flight */
	};
	u64 sent_ns;		/* when last sent, for RTT samples */
	u8 flags;		/* TCPHDR_* */
	u8 retransmitted:1;	/* ever: no RTT sample from its ACK (Karn) */
	u8 sacked:1;		/* out: covered by a SACK block */
	u8 lost:1;		/* out: deemed lost, to be resent */
	u8 rexmit:1;		/* out: resent, counted in retrans_out */
	u8 has_ts:1;		/* in: carried a timestamp option */
	u8 has_sacks:1;		/* in: carried SACK blocks */
	u8 mtu_probe:1;		/* out: an RFC 4821 probe, one segment */
	u8 on_rtx:1;		/* out: sent, on the retransmit queue */
	u8 lost_by;		/* out: what marked it lost, VTCP_RETRANS_* */
	int iif;		/* in: the interface it came in on */
};

/* Why a segment is resent: the vtcp_retransmit tracepoint's reason. */
enum vtcp_retrans_reason {
	VTCP_RETRANS_RTO,	/* the retransmission timer (SYN, FIN, data) */
	VTCP_RETRANS_FAST,	/* duplicate ACKs or SACKs (RFC 6675, 6582) */
	VTCP_RETRANS_RACK,	/* lost by time (RFC 8985) */
	VTCP_RETRANS_TLP,	/* a tail loss probe (RFC 8985 section 7) */
	VTCP_RETRANS_PROBE,	/* a zero-window probe */
	VTCP_RETRANS_PMTU,	/* too large for a smaller path MTU */
	VTCP_RETRANS_SYNACK,	/* our SYN again, as a SYN-ACK (simultaneous open) */
};

/*
 * Why a received segment is dropped: the vtcp_drop tracepoint's reason,
 * with the counter it counts in. trace.c gives each the kernel's closest
 * reason, which skb:kfree_skb shows.
 */
enum vtcp_drop_reason {
	VTCP_DROP_OTHERHOST,	/* not for this host */
	VTCP_DROP_HEADER,	/* InHdrErrors */
	VTCP_DROP_CSUM,		/* InCsumErrors */
	VTCP_DROP_NO_SOCKET,	/* InNoSocket */
	VTCP_DROP_XFRM,		/* IPsec policy */
	VTCP_DROP_FILTER,	/* InFilterDrop */
	VTCP_DROP_BACKLOG,	/* BacklogDrop */
	VTCP_DROP_PAWS,		/* InPawsDrop */
	VTCP_DROP_OUT_OF_WINDOW, /* InOutOfWindow */
	VTCP_DROP_BAD_ACK,	/* InBadAck */
	VTCP_DROP_RCVBUF,	/* RcvbufDrop */
	VTCP_DROP_MEMORY,	/* RcvbufDrop: PressureDrop, or the proto's limit */
	VTCP_DROP_TIME_WAIT_RST, /* TimeWaitRstIgnored */
	VTCP_DROP_LISTEN,	/* AttemptFails: ListenOverflows, or no child */
	VTCP_DROP_LISTEN_ACK,	/* an ACK at a listener: no cookie of ours */
	VTCP_DROP_DEFER_ACCEPT,	/* DeferAcceptDrop */
	VTCP_NR_DROPS
};

/* What the RTX timer is armed for (timers.c, recovery.c). */
enum vtcp_rtx_mode {
	VTCP_RTX_RTO,		/* the retransmission timeout */
	VTCP_RTX_REO,		/* RACK's reordering window ends */
	VTCP_RTX_TLP,		/* a tail loss probe is due */
};

/* Where loss recovery stands (recovery.c). */
enum vtcp_ca_state {
	VTCP_CA_OPEN,		/* no loss seen */
	VTCP_CA_RECOVERY,	/* fast recovery (RFC 6675 / RFC 6582) */
	VTCP_CA_LOSS,		/* after a retransmission timeout */
};

#define VTCP_CONG_NAME_MAX	TCP_CA_NAME_MAX

#define VTCP_SKB_CB(skb) ((struct vtcp_skb_cb *)&((skb)->cb[0]))

/* stats.c: per-namespace counters, shown in /proc/net/vtcp_stats. */
enum vtcp_mib {
	VTCP_MIB_IN_SEGS,		/* every segment IP handed us */
	VTCP_MIB_OUT_SEGS,		/* every segment we sent */
	VTCP_MIB_IN_HDR_ERRS,		/* dropped: truncated or bad offset */
	VTCP_MIB_IN_CSUM_ERRS,		/* dropped: bad checksum */
	VTCP_MIB_IN_NO_SOCKET,		/* dropped: nobody to take it */
	VTCP_MIB_IN_OUT_OF_WINDOW,	/* dropped: not acceptable (RFC 9293) */
	VTCP_MIB_IN_BAD_ACK,		/* dropped: ACK of data never sent */
	VTCP_MIB_BACKLOG_DROP,		/* dropped: socket backlog full */
	VTCP_MIB_RCVBUF_DROP,		/* dropped: receive buffer full */
	VTCP_MIB_ACTIVE_OPENS,
	VTCP_MIB_PASSIVE_OPENS,
	VTCP_MIB_ATTEMPT_FAILS,
	VTCP_MIB_ESTAB_RESETS,
	VTCP_MIB_RESETS_IN,
	VTCP_MIB_RESETS_OUT,
	VTCP_MIB_RETRANS_SEGS,
	VTCP_MIB_TIMEOUTS,
	VTCP_MIB_CHALLENGE_ACKS,
	VTCP_MIB_LISTEN_OVERFLOWS,
	VTCP_MIB_TW_CREATED,
	VTCP_MIB_TW_EXPIRED,
	VTCP_MIB_TW_RESTARTED,
	VTCP_MIB_IN_PAWS_DROP,		/* dropped: old timestamp (RFC 7323) */
	VTCP_MIB_CHALLENGE_ACK_LIMITED,	/* challenge ACKs not sent: rate */
	VTCP_MIB_SYN_EVICTED,		/* half-open children dropped for new */
	VTCP_MIB_ORPHAN_ABORTS,		/* orphans reset: too many */
	VTCP_MIB_FAST_RETRANS,		/* fast recoveries begun */
	VTCP_MIB_PRESSURE_DROP,		/* dropped: namespace memory pressure */
	VTCP_MIB_TIMEOUT_RETRANS,	/* resent by the retransmission timer */
	VTCP_MIB_SYN_RETRANS,		/* SYN or SYN-ACK resent by the timer */
	VTCP_MIB_FIN_RETRANS,		/* FIN resent by the timer */
	VTCP_MIB_TW_RST_IGNORED,	/* dropped: RST in TIME-WAIT (RFC 1337) */
	VTCP_MIB_DIAG_DESTROYED,	/* sockets ended by SOCK_DESTROY */
	VTCP_MIB_RACK_LOST,		/* segments found lost by time (RACK) */
	VTCP_MIB_REORDER_SEEN,		/* holes filled by a first copy */
	VTCP_MIB_LOSS_PROBES,		/* tail loss probes sent (TLP) */
	VTCP_MIB_TW_REOPENED,		/* TIME-WAIT ended by a new SYN */
	VTCP_MIB_RECOVERY_UNDO,		/* fast recoveries found spurious */
	VTCP_MIB_LOSS_UNDO,		/* timeouts found spurious */
	VTCP_MIB_DSACK_SENT,		/* duplicates reported (RFC 2883) */
	VTCP_MIB_DSACK_RECV,		/* duplicates the peer reported */
	VTCP_MIB_ICMP_IN,		/* ICMP errors quoting our segments */
	VTCP_MIB_ICMP_NO_SOCKET,	/* ignored: no connection */
	VTCP_MIB_ICMP_OUT_OF_WINDOW,	/* ignored: seq not in flight */
	VTCP_MIB_ICMP_IGNORED,		/* ignored: type, code or state */
	VTCP_MIB_ICMP_LOCKED,		/* hard error kept soft: socket owned */
	VTCP_MIB_ICMP_UNREACH,		/* accepted: destination unreachable */
	VTCP_MIB_ICMP_FRAG_NEEDED,	/* accepted: fragmentation needed */
	VTCP_MIB_ICMP_TIME_EXCEEDED,	/* accepted: time exceeded */
	VTCP_MIB_ICMP_PARAM_PROB,	/* accepted: parameter problem */
	VTCP_MIB_ICMP_REDIRECT,		/* accepted: redirect */
	VTCP_MIB_ICMP_ABORTS,		/* opening connections ended by one */
	VTCP_MIB_PMTU_REDUCED,		/* the MSS fell to a smaller path MTU */
	VTCP_MIB_MTU_BLACK_HOLE,	/* timeouts that lowered the MSS */
	VTCP_MIB_MTU_PROBES,		/* RFC 4821 probes sent */
	VTCP_MIB_MTU_PROBE_FAILS,	/* and lost */
	VTCP_MIB_ACK_SKIPPED_SEQ,	/* answers not sent: out of window */
	VTCP_MIB_ACK_SKIPPED_PAWS,	/* answers not sent: old timestamp */
	VTCP_MIB_ACK_SKIPPED_BAD_ACK,	/* answers not sent: ACK beyond SND.NXT */
	VTCP_MIB_ACK_SKIPPED_TIME_WAIT,	/* answers not sent: TIME-WAIT */
	VTCP_MIB_ACK_SKIPPED_CHALLENGE,	/* challenge ACKs not sent: per socket */
	VTCP_MIB_WQUEUE_TOO_BIG,	/* SACK splits refused: queue too big */
	VTCP_MIB_IN_FILTER_DROP,	/* dropped: sk_filter() (filter, LSM) */
	VTCP_MIB_SYNCOOKIES_SENT,	/* SYN-ACKs that carried a cookie */
	VTCP_MIB_SYNCOOKIES_RECV,	/* ACKs with a good cookie */
	VTCP_MIB_SYNCOOKIES_FAILED,	/* ACKs with a bad or expired cookie */
	VTCP_MIB_DEFER_ACCEPT_DROP,	/* bare ACKs held back: TCP_DEFER_ACCEPT */
	VTCP_MIB_SACK_RENEGING,		/* timeouts with the head SACKed */
	__VTCP_MIB_MAX
};

struct vtcp_mib_set {
	unsigned long mibs[__VTCP_MIB_MAX];
};

/* sysctl.c: the settings of /proc/sys/net/vtcp/, one set per namespace. */
struct vtcp_sysctl {
	int syn_retries;
	int synack_retries;
	int fin_retries;
	int data_retries;
	int msl_ms;
	int rto_initial_ms;
	int rto_min_ms;
	int rto_max_ms;
	int fin_timeout_ms;
	int delack_ms;
	int accept_tcp_csum;
	int timestamps;
	int sack;
	int window_scaling;
	int rmem_max;
	int mem_max_kb;
	int max_orphans;		/* the host's: init_net's alone is read */
	int challenge_ack_limit;
	int invalid_ratelimit_ms;
	int rack;
	int mtu_probing;
	int syncookies;
	char congestion_control[VTCP_CONG_NAME_MAX];
};

/* Per-network-namespace state. */
struct vtcp_net {
	struct vtcp_mib_set __percpu *mib;
	struct vtcp_sysctl sysctl;
	struct ctl_table_header *sysctl_hdr;
	struct sock *ctl_sk;		/* sends replies that have no socket */
	struct sock *ctl6_sk;		/* and those of IPv6 */
	struct inet_timewait_death_row tw_row;
	struct list_head tw_queue;	/* TIME-WAIT sockets, oldest first */
	spinlock_t tw_lock;
	struct hrtimer tw_timer;	/* fires for the oldest */
	atomic_long_t mem_bytes;	/* charged to the sockets of the netns */
	u32 challenge_second;		/* challenge ACK budget (RFC 5961 7) */
	atomic_t challenge_budget;	/* what is left of it this second */
};

extern unsigned int vtcp_net_id;

static inline struct vtcp_net *vtcp_pernet(const struct net *net)
{
	return net_generic(net, vtcp_net_id);
}

#define VTCP_INC_STATS(net, field) \
	SNMP_INC_STATS(vtcp_pernet(net)->mib, field)

/* A setting of a namespace, read once. */
#define vtcp_sysctl(net, name) READ_ONCE(vtcp_pernet(net)->sysctl.name)

/*
 * A time constant of TCP's, in jiffies, in milliseconds as vtcp keeps
 * times: a constant expression (jiffies_to_msecs() is not one), exact
 * for each of them at every HZ the kernel offers (100, 250, 300, 1000).
 */
#define VTCP_JIFFIES_MS(j)	((j) * MSEC_PER_SEC / HZ)

#endif /* _VTCP_H */
