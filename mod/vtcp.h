/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtcp internals shared by the files of the module.
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
#include <net/tcp_states.h>

#include <uapi/linux/vtcp.h>

/* The IP protocol number we registered, from the "proto" parameter. */
extern u8 vtcp_protocol;

extern struct inet_hashinfo vtcp_hashinfo;
extern struct proto vtcp_prot;
extern const struct proto_ops vtcp_stream_ops;

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

extern const struct vtcp_af_ops vtcp_ipv4_ops;
extern const struct vtcp_af_ops vtcp_ipv6_ops;

/* A segment's family: IP hands us both, each to its own handler. */
static inline bool vtcp_skb_is_v6(const struct sk_buff *skb)
{
	return skb->protocol == htons(ETH_P_IPV6);
}

/* Sequence space arithmetic (RFC 9293 section 3.4), wrap-safe. */
static inline bool seq_before(u32 a, u32 b) { return (s32)(a - b) < 0; }
static inline bool seq_after(u32 a, u32 b) { return seq_before(b, a); }
static inline bool seq_leq(u32 a, u32 b) { return !seq_after(a, b); }
static inline bool seq_geq(u32 a, u32 b) { return !seq_before(a, b); }

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
	u8 tlp_out;		/* a loss probe is out, until tlp_high_seq */
	u32 tlp_high_seq;	/* snd_nxt when the probe went */
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

/* Does @sk send IPv6 (not IPv4, as AF_INET and v4-mapped sockets do)? */
static inline bool vtcp_sends_ipv6(const struct sock *sk)
{
	return vtcp_sk(sk)->af == &vtcp_ipv6_ops;
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

/* trace.c: the tracepoints' own helpers. */
void vtcp_drop(const struct sock *sk, struct sk_buff *skb,
	       enum vtcp_drop_reason why);

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

/*
 * A congestion control algorithm (cong.c, newreno.c, cubic.c). Windows
 * are in bytes. ssthresh() is asked on loss; cong_avoid() on each ACK of
 * new data outside recovery; the rest are optional.
 */
struct vtcp_cong_ops {
	struct list_head list;
	char name[16];
	struct module *owner;
	void (*init)(struct sock *sk);
	u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, u32 acked);
	void (*on_loss)(struct sock *sk);	/* entering recovery or loss */
};

#define VTCP_CONG_NAME_MAX	16

/* cong.c, newreno.c, cubic.c */
int vtcp_cong_register(struct vtcp_cong_ops *ops);
void vtcp_cong_unregister(struct vtcp_cong_ops *ops);
bool vtcp_cong_exists(const char *name);
int vtcp_cong_set(struct sock *sk, const char *name);
void vtcp_cong_init_sock(struct sock *sk);
void vtcp_cong_release_sock(struct sock *sk);
void vtcp_cong_start(struct sock *sk);
u32 vtcp_slow_start(struct sock *sk, u32 acked);
u32 vtcp_reno_ssthresh(struct sock *sk);
int vtcp_cong_init(void);
void vtcp_cong_exit(void);
extern struct vtcp_cong_ops vtcp_newreno, vtcp_cubic;

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

void vtcp_default_cong(struct net *net, char *name);
int vtcp_stats_net_init(struct net *net);
void vtcp_stats_net_exit(struct net *net);
const char *vtcp_stat_name(int mib);
u64 vtcp_stat_read(struct net *net, int mib);
void vtcp_stats_reset(struct net *net);
void vtcp_count_timeout_retrans(struct sock *sk, const struct sk_buff *skb);
unsigned int vtcp_orphans(void);
int vtcp_sysctl_net_init(struct net *net);
void vtcp_sysctl_net_exit(struct net *net);

/* memory.c: accounting, per socket and per namespace. */
int vtcp_memory_init(struct proto *prot);
void vtcp_memory_exit(void);
bool vtcp_under_pressure(const struct sock *sk);
void vtcp_expand_sndbuf(struct sock *sk);
bool vtcp_wmem_schedule(struct sock *sk, int size);
void vtcp_charge_write(struct sock *sk, struct sk_buff *skb);
void vtcp_charge_bytes(struct sock *sk, int n);
void vtcp_uncharge_write(struct sock *sk, struct sk_buff *skb);
int vtcp_charge_read(struct sock *sk, struct sk_buff *skb, bool in_order);
void vtcp_charge_coalesced(struct sock *sk, int delta);

/* pmtu.c: path MTU discovery (RFC 1191, RFC 4821) and the MSS. */
#define VTCP_DEFER_MTU	VTCP_NR_TIMERS	/* bit in vtcp_sock.deferred */
void vtcp_mtup_init(struct sock *sk);
void vtcp_sync_mss(struct sock *sk, u32 pmtu);
void vtcp_check_pmtu(struct sock *sk);
void vtcp_mtu_reduced(struct sock *sk);
void vtcp_mtu_black_hole(struct sock *sk);
u32 vtcp_mtu_probe_size(const struct sock *sk);
void vtcp_mtu_probe_sent(struct sock *sk, u32 size);
void vtcp_mtu_probe_acked(struct sock *sk);
void vtcp_mtu_probe_lost(struct sock *sk, struct sk_buff *skb);

/* offload.c: segmentation offload. */
int vtcp_offload_init(void);
void vtcp_offload_exit(void);

/* hash.c: the connection, listen and bind hash tables. */
int vtcp_hashinfo_init(void);
void vtcp_hashinfo_destroy(void);

/* fsm.c: the state machine; its events are in the uapi header. */

int vtcp_fsm(struct sock *sk, enum vtcp_fsm_event ev, struct sk_buff *skb);
const char *vtcp_state_name(int state);

/* socket.c */
void vtcp_init_sock_state(struct sock *sk);
u16 vtcp_advmss(const struct dst_entry *dst);
u16 vtcp_user_advmss(const struct sock *sk, const struct dst_entry *dst);
int vtcp_listen(struct socket *sock, int backlog);
__poll_t vtcp_poll(struct file *file, struct socket *sock, poll_table *wait);
void vtcp_connect_prepare(struct sock *sk);
int vtcp_connect_routed(struct sock *sk, int err);
int vtcp_connect_v4(struct sock *sk, struct sockaddr *uaddr, int addr_len);
void vtcp_set_state(struct sock *sk, int state);
void vtcp_done(struct sock *sk);
void vtcp_reset_sock(struct sock *sk, int err);

/* input.c: segments from IP. */
int vtcp_rcv(struct sk_buff *skb);
int vtcp_do_rcv(struct sock *sk, struct sk_buff *skb);
bool vtcp_rcv_checks(struct sk_buff *skb, struct net *net);
int vtcp_rcv_segment(struct net *net, struct sk_buff *skb, struct sock *sk,
		     bool refcounted);
void vtcp_rcv_no_socket(struct net *net, struct sk_buff *skb);

/* ratelimit.c: answers to segments we drop. */
bool vtcp_oow_rate_limited(struct net *net, const struct sk_buff *skb,
			   enum vtcp_mib skipped, u32 *last);
void vtcp_challenge_ack(struct sock *sk);

/* icmp.c: ICMP errors about our segments. */
int vtcp_err(struct sk_buff *skb, u32 info);

/* What an ICMP or ICMPv6 error asks of a connection. */
enum vtcp_icmp_action {
	VTCP_ICMP_IGNORE,
	VTCP_ICMP_PMTU,		/* fragmentation needed, packet too big */
	VTCP_ICMP_REDIRECT,
	VTCP_ICMP_ERROR,	/* report err, hard if fatal */
};

struct vtcp_icmp {
	enum vtcp_icmp_action action;
	int err;		/* positive errno, for VTCP_ICMP_ERROR */
	bool fatal;
	u32 info;		/* the MTU, for VTCP_ICMP_PMTU */
};

int vtcp_icmp_deliver(struct sock *sk, struct sk_buff *skb,
		      const struct tcphdr *th, const struct vtcp_icmp *e);

/* output.c: segments to IP. */
struct vtcp_opts;
int vtcp_queue_ctl(struct sock *sk, u8 flags);
struct sk_buff *vtcp_alloc_queued_skb(gfp_t gfp);
void vtcp_queue_data(struct sock *sk, struct sk_buff *skb);
void vtcp_push(struct sock *sk);
int vtcp_retransmit_head(struct sock *sk);
int vtcp_transmit_queued(struct sock *sk, struct sk_buff *skb);
int vtcp_split_segment(struct sock *sk, struct sk_buff *skb, u32 len);
bool vtcp_window_blocks(const struct sock *sk);
void vtcp_probe_window(struct sock *sk);
u32 vtcp_ts_clock(void);
u32 vtcp_ts_now(const struct sock *sk);
u32 vtcp_ts_offset(const struct in6_addr *saddr, const struct in6_addr *daddr,
		   __be16 sport, __be16 dport);
void vtcp_skb_addrs(const struct sk_buff *skb, struct in6_addr *saddr,
		    struct in6_addr *daddr);
u32 vtcp_window_room(const struct sock *sk);
void vtcp_offer_options(struct sock *sk);
u8 vtcp_wscale_for(const struct sock *sk);
void vtcp_send_ack(struct sock *sk);
void vtcp_send_active_reset(struct sock *sk);
void vtcp_send_probe(struct sock *sk);
void vtcp_send_reply(struct net *net, const struct sk_buff *in, u8 flags,
		     u32 seq, u32 ack, u16 win);
void vtcp_send_reset_for(struct net *net, const struct sk_buff *in);
int vtcp_send_synack(struct sock *sk, const struct sk_buff *syn, u32 isn,
		     u16 win, struct vtcp_opts *opts);
void vtcp_init_sequence(struct sock *sk, u32 iss);
int vtcp_output_net_init(struct net *net);
void vtcp_output_net_exit(struct net *net);

/* A reply that no socket sends: its route, from the segment it answers. */
struct vtcp_reply {
	struct flowi fl;
	struct dst_entry *dst;
};

/* ipv6.c: AF_INET6 sockets, and IPv6 for all sockets. */
int vtcp_ipv6_init(void);
void vtcp_ipv6_exit(void);
int vtcp6_net_init(struct net *net);
void vtcp6_net_exit(struct net *net);
int vtcp6_reply_route(struct net *net, struct sock *sk,
		      const struct sk_buff *in, struct vtcp_reply *r);
void vtcp6_reply_xmit(struct net *net, struct sk_buff *skb,
		      struct vtcp_reply *r);
int vtcp6_setup_child(struct sock *sk, struct sock *child,
		      struct request_sock *req, const struct sk_buff *skb);
void vtcp6_init_ticket(struct request_sock *req, const struct sk_buff *skb);
struct sock *vtcp6_lookup_listener(struct sk_buff *skb, int sdif);
void vtcp6_adopt_pinfo(struct sock *child, const struct sock *listener);

/* rtx.c: the retransmit queue, by sequence and by send time. */
void vtcp_rtx_init(struct sock *sk);
void vtcp_rtx_sent(struct sock *sk, struct sk_buff *skb);
void vtcp_rtx_insert_after(struct sock *sk, struct sk_buff *skb,
			   struct sk_buff *rest);
struct sk_buff *vtcp_rtx_find(const struct sock *sk, u32 seq);
void vtcp_rtx_unlink(struct sock *sk, struct sk_buff *skb);
void vtcp_rtx_purge(struct sock *sk);
void vtcp_rtx_leave_flight(struct sk_buff *skb);
void vtcp_rtx_rejoin_flight(struct sock *sk, struct sk_buff *skb);
struct sk_buff *vtcp_tsorted_skb(struct list_head *node);

/* The first segment never sent, or NULL. */
static inline struct sk_buff *vtcp_send_head(const struct sock *sk)
{
	return skb_peek(&sk->sk_write_queue);
}

/* The oldest segment in flight (at snd_una), or NULL. */
static inline struct sk_buff *vtcp_rtx_head(const struct sock *sk)
{
	return skb_rb_first(&vtcp_sk(sk)->rtx_queue);
}

/* The last segment sent, or NULL. */
static inline struct sk_buff *vtcp_rtx_tail(const struct sock *sk)
{
	return skb_rb_last(&vtcp_sk(sk)->rtx_queue);
}

/* Nothing sent unacknowledged, nothing waiting to be sent. */
static inline bool vtcp_queues_empty(const struct sock *sk)
{
	return !vtcp_rtx_head(sk) && !vtcp_send_head(sk);
}

/* recovery.c: loss detection and recovery. */
u32 vtcp_in_flight(const struct sock *sk);
void vtcp_forget_acked(struct sock *sk, struct sk_buff *skb, bool first);
void vtcp_ack_no_progress(struct sock *sk, const struct vtcp_opts *o,
			  bool dupack);
void vtcp_note_cwnd_use(struct sock *sk);
void vtcp_ack_progress(struct sock *sk, const struct sk_buff *skb,
		       const struct vtcp_opts *o, u32 acked);
void vtcp_retransmit_lost(struct sock *sk);
void vtcp_enter_loss(struct sock *sk);
void vtcp_resend_oversized(struct sock *sk);
void vtcp_setup_caps(struct sock *sk, struct dst_entry *dst);
void vtcp_reo_timeout(struct sock *sk);
void vtcp_tlp_timeout(struct sock *sk);
u64 vtcp_probe_timeout_ns(const struct sock *sk);

/* stream.c: the byte stream, user side. */
int vtcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t len);
int vtcp_sendpage(struct sock *sk, struct page *page, int offset,
		  size_t size, int flags);
ssize_t vtcp_splice_read(struct socket *sock, loff_t *ppos,
			 struct pipe_inode_info *pipe, size_t len,
			 unsigned int flags);
int vtcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		 int *addr_len);
void vtcp_queue_rcv(struct sock *sk, struct sk_buff *skb);
void vtcp_purge_queues(struct sock *sk);
struct vtcp_sack_block;
unsigned int vtcp_sack_blocks(struct sock *sk, struct vtcp_sack_block *out,
			      unsigned int max, bool dsack);
void vtcp_note_old_data(struct sock *sk, const struct vtcp_skb_cb *cb);

/* timers.c */
void vtcp_init_timers(struct sock *sk);
void vtcp_arm_timer(struct sock *sk, enum vtcp_timer t, u64 ns);
void vtcp_clear_timer(struct sock *sk, enum vtcp_timer t);
void vtcp_stop_timer(struct sock *sk, enum vtcp_timer t);
void vtcp_stop_timers(struct sock *sk);
bool vtcp_timer_pending(const struct sock *sk, enum vtcp_timer t);
u64 vtcp_timer_remaining_ns(const struct sock *sk, enum vtcp_timer t);
void vtcp_arm_rtx(struct sock *sk);
void vtcp_arm_keepalive(struct sock *sk);
void vtcp_arm_keepalive_idle(struct sock *sk);
void vtcp_release_cb(struct sock *sk);
void vtcp_rtt_sample(struct sock *sk, u32 rtt_us);

/* request.c: passive open. */
void vtcp_init_from_syn(struct sock *sk, const struct sk_buff *skb);
int vtcp_listen_rcv_syn(struct sock *sk, struct sk_buff *skb);
int vtcp_listen_rcv_cookie(struct sock *sk, struct sk_buff *skb);
void vtcp_child_established(struct sock *child);
bool vtcp_child_defers(const struct sock *child, const struct sk_buff *skb);
void vtcp_child_wait_for_data(struct sock *child);
unsigned int vtcp_child_synack_retries(const struct sock *child);
bool vtcp_child_synack_waits(const struct sock *child);
void vtcp_child_drop_req(struct sock *child);
void vtcp_abort_children(struct sock *listener);
extern struct request_sock_ops vtcp_request_sock_ops;
extern struct request_sock_ops vtcp6_request_sock_ops;

/* syncookies.c: SYN cookies (RFC 4987). */
struct vtcp_syncookie {
	u16 mss;		/* the peer's MSS, rounded down to the table */
	u8 opts;		/* VTCP_OPT_* the peer offered and we take */
	u8 snd_wscale;		/* the peer's window scale, with VTCP_OPT_WSCALE */
	u16 window;		/* the window our SYN-ACK offered */
};

void vtcp_syncookies_listen(struct sock *sk);
bool vtcp_want_syncookie(struct sock *sk, const struct sk_buff *skb);
int vtcp_send_syncookie(struct sock *sk, const struct sk_buff *skb);
bool vtcp_syncookie_check(struct sock *sk, const struct sk_buff *skb,
			  struct vtcp_syncookie *c);
u16 vtcp_syncookie_window(const struct sock *sk);

/* Keepalive defaults, as TCP's (tcp(7)). */
#define VTCP_KEEPIDLE_DEFAULT_MS	(7200 * 1000)
#define VTCP_KEEPINTVL_DEFAULT_MS	(75 * 1000)
#define VTCP_KEEPCNT_DEFAULT		9

/* timewait.c */
void vtcp_enter_timewait(struct sock *sk);
int vtcp_tw_reack(struct sock *sk, struct sk_buff *skb);
int vtcp_tw_ack(struct sock *sk, struct sk_buff *skb);
int vtcp_tw_kill(struct sock *sk, struct sk_buff *skb);
int vtcp_tw_reopen(struct sock *sk, struct sk_buff *skb);
struct sock *vtcp_tw_rcv(struct inet_timewait_sock *tw, struct sk_buff *skb,
			 int sdif);
void vtcp_tw_net_init(struct net *net);
void vtcp_tw_net_exit(struct net *net);
u32 vtcp_tw_remaining_ms(const struct inet_timewait_sock *tw);
extern struct timewait_sock_ops vtcp_timewait_sock_ops;
extern struct timewait_sock_ops vtcp6_timewait_sock_ops;

/* info.c: a connection as getsockopt(VTCP_INFO) and sock_diag show it. */
struct vtcp_timer_state {
	u8 kind;		/* enum vtcp_timer_kind */
	u8 retries;		/* expiries so far without progress */
	u32 expires_ms;		/* from now */
};

u8 vtcp_timer_kind(const struct sock *sk, enum vtcp_timer t);
u8 vtcp_timer_retries(const struct sock *sk, u8 kind);
void vtcp_next_timer(const struct sock *sk, struct vtcp_timer_state *ts);
void vtcp_get_info(const struct sock *sk, struct vtcp_info *info);
int vtcp_getsockopt_info(struct sock *sk, char __user *optval,
			 int __user *optlen, int len);
int vtcp_getsockopt_tcp_info(struct sock *sk, char __user *optval,
			     int __user *optlen, int len);

/* diag.c: sock_diag (inet_diag) dumps, lookups and SOCK_DESTROY. */
int vtcp_diag_init(void);
void vtcp_diag_exit(void);
u64 vtcp_cookie(struct sock *sk);
int vtcp_abort(struct sock *sk, int err);

/* netlink.c: the generic netlink family, its counters and events. */
int vtcp_genl_init(void);
void vtcp_genl_exit(void);
void vtcp_event_state(struct sock *sk, int old, int new, int ev);
void vtcp_event_timer(struct sock *sk, enum vtcp_timer t);
void vtcp_event_seg_in(struct sock *sk, const struct sk_buff *skb);
void vtcp_event_seg_out(struct sock *sk, const struct sk_buff *skb);
void vtcp_event_pmtu(struct sock *sk);
void vtcp_event_reply(struct net *net, const struct sk_buff *skb,
		      const struct sk_buff *in);

#endif /* _VTCP_H */
