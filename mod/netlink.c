// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "vtcp" (include/uapi/linux/vtcp.h): the
 * caller's namespace's counters on request, and the multicast group
 * "events", which tells every state transition, timer expiry and segment
 * of a namespace's connections to that namespace's listeners (with
 * CAP_NET_ADMIN there), so that a tool can follow a connection's life.
 *
 * Events are built only when somebody listens (one bit test otherwise),
 * in whatever context they happen (softirq, or a socket's owner), so with
 * GFP_ATOMIC: one that cannot be built is lost, as a listener's overflow
 * loses them. They name sockets by cookie, as sock_diag does.
 */
#include <net/genetlink.h>
#include <net/ip.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "diag.h"
#include "info.h"
#include "netlink.h"
#include "output.h"
#include "stats.h"
#include "trace.h"
#include "wire.h"

enum { VTCP_GRP_EVENTS };

static int vtcp_genl_get_stats(struct sk_buff *skb, struct genl_info *info);

static const struct nla_policy vtcp_stats_policy[VTCP_A_STATS_RESET + 1] = {
	[VTCP_A_STATS_RESET]	= { .type = NLA_FLAG },
};

static const struct genl_ops vtcp_genl_ops[] = {
	{
		.cmd		= VTCP_CMD_GET_STATS,
		.doit		= vtcp_genl_get_stats,
		.policy		= vtcp_stats_policy,
		.maxattr	= VTCP_A_STATS_RESET,
	},
};

/*
 * Events carry the sequence numbers of every segment: joining needs
 * CAP_NET_ADMIN in the namespace's user namespace, or fails with EPERM
 * (genl_bind(); the flag is in 6.12 and was backported to 6.1's stable
 * series: Debian's 6.1.0-57 has it).
 */
static const struct genl_multicast_group vtcp_mcgrps[] = {
	[VTCP_GRP_EVENTS]	= {
		.name	= VTCP_GENL_MCGRP_EVENTS,
		.flags	= GENL_MCAST_CAP_NET_ADMIN,
	},
};

static struct genl_family vtcp_genl_family __ro_after_init = {
	.name		= VTCP_GENL_NAME,
	.version	= VTCP_GENL_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= vtcp_genl_ops,
	.n_ops		= ARRAY_SIZE(vtcp_genl_ops),
	.mcgrps		= vtcp_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vtcp_mcgrps),
};

/* ---- VTCP_CMD_GET_STATS ------------------------------------------------ */

static size_t stats_size(void)
{
	size_t size = nla_total_size(0);
	int i;

	for (i = 0; i < __VTCP_MIB_MAX; i++)
		size += nla_total_size(0) +
			nla_total_size(strlen(vtcp_stat_name(i)) + 1) +
			nla_total_size_64bit(sizeof(u64));
	return size;
}

static int put_stats(struct sk_buff *msg, struct net *net)
{
	struct nlattr *stats, *stat;
	int i;

	stats = nla_nest_start(msg, VTCP_A_STATS);
	if (!stats)
		return -EMSGSIZE;
	for (i = 0; i < __VTCP_MIB_MAX; i++) {
		stat = nla_nest_start(msg, VTCP_A_STAT);
		if (!stat ||
		    nla_put_string(msg, VTCP_A_STAT_NAME, vtcp_stat_name(i)) ||
		    nla_put_u64_64bit(msg, VTCP_A_STAT_VALUE,
				      vtcp_stat_read(net, i), VTCP_A_PAD))
			return -EMSGSIZE;
		nla_nest_end(msg, stat);
	}
	nla_nest_end(msg, stats);
	return 0;
}

static int vtcp_genl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	bool reset = nla_get_flag(info->attrs[VTCP_A_STATS_RESET]);
	struct net *net = genl_info_net(info);
	struct sk_buff *msg;
	void *hdr;

	if (reset && !netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN)) {
		GENL_SET_ERR_MSG(info, "resetting counters needs CAP_NET_ADMIN");
		return -EPERM;
	}
	msg = genlmsg_new(stats_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vtcp_genl_family, 0,
				VTCP_CMD_GET_STATS);
	if (!hdr || put_stats(msg, net)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	if (reset)
		vtcp_stats_reset(net);
	return genlmsg_reply(msg, info);
}

/* ---- VTCP_CMD_EVENT ------------------------------------------------------ */

/*
 * Who an event is about: a socket's cookie (0: none) and its 4-tuple,
 * IPv4 addresses v4-mapped; @v6 for AF_INET6 sockets and IPv6 segments.
 */
struct vtcp_event_id {
	u64 cookie;
	struct in6_addr saddr, daddr;
	__be16 sport, dport;
	bool v6;
};

static bool events_wanted(struct net *net)
{
	return genl_has_listeners(&vtcp_genl_family, net, VTCP_GRP_EVENTS) > 0;
}

static void id_of_sock(struct sock *sk, struct vtcp_event_id *id)
{
	id->cookie = vtcp_cookie(sk);
	id->v6 = sk->sk_family == AF_INET6;
	if (id->v6) {
		id->saddr = sk->sk_v6_rcv_saddr;
		id->daddr = sk->sk_v6_daddr;
	} else {
		ipv6_addr_set_v4mapped(sk->sk_rcv_saddr, &id->saddr);
		ipv6_addr_set_v4mapped(sk->sk_daddr, &id->daddr);
	}
	/*
	 * A full socket's port, not sk_num: going to CLOSED gives the port
	 * back and zeroes sk_num before the action's RST goes.
	 */
	id->sport = sk_fullsock(sk) ? inet_sk(sk)->inet_sport :
				      htons(sk->sk_num);
	id->dport = sk->sk_dport;
}

static size_t event_size(void)
{
	return nla_total_size(sizeof(u8)) +		/* TYPE */
	       2 * nla_total_size_64bit(sizeof(u64)) +	/* TIME_NS, COOKIE */
	       2 * nla_total_size(sizeof(struct in6_addr)) + /* [SD]ADDR[6] */
	       2 * nla_total_size(sizeof(__be16)) +	/* SPORT, DPORT */
	       5 * nla_total_size(sizeof(u8)) +		/* states ... FLAGS */
	       4 * nla_total_size(sizeof(u32));		/* SEQ ... WIN */
}

static int put_addrs(struct sk_buff *msg, const struct vtcp_event_id *id)
{
	if (id->v6)
		return nla_put_in6_addr(msg, VTCP_A_EV_SADDR6, &id->saddr) ?:
		       nla_put_in6_addr(msg, VTCP_A_EV_DADDR6, &id->daddr);
	return nla_put_in_addr(msg, VTCP_A_EV_SADDR, id->saddr.s6_addr32[3]) ?:
	       nla_put_in_addr(msg, VTCP_A_EV_DADDR, id->daddr.s6_addr32[3]);
}

/* The 4-tuple of the connection @skb (a segment that came) belongs to. */
static void id_of_segment(const struct sk_buff *skb, struct vtcp_event_id *id)
{
	const struct tcphdr *th = vtcp_hdr(skb);

	vtcp_skb_addrs(skb, &id->daddr, &id->saddr);
	id->v6 = vtcp_skb_is_v6(skb);
	id->sport = th->dest;
	id->dport = th->source;
}

static struct sk_buff *event_new(u8 type, const struct vtcp_event_id *id,
				 void **hdr)
{
	struct sk_buff *msg = genlmsg_new(event_size(), GFP_ATOMIC);

	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &vtcp_genl_family, 0, VTCP_CMD_EVENT);
	if (!*hdr ||
	    nla_put_u8(msg, VTCP_A_EV_TYPE, type) ||
	    nla_put_u64_64bit(msg, VTCP_A_EV_TIME_NS, ktime_get_real_ns(),
			      VTCP_A_PAD) ||
	    nla_put_u64_64bit(msg, VTCP_A_EV_COOKIE, id->cookie, VTCP_A_PAD) ||
	    put_addrs(msg, id) ||
	    nla_put_be16(msg, VTCP_A_EV_SPORT, id->sport) ||
	    nla_put_be16(msg, VTCP_A_EV_DPORT, id->dport)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void event_send(struct net *net, struct sk_buff *msg, void *hdr)
{
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&vtcp_genl_family, net, msg, 0,
				VTCP_GRP_EVENTS, GFP_ATOMIC);
}

/**
 * vtcp_event_state() - tell the netlink listeners a state change
 * @sk: a full or timewait socket
 * @old: the state it leaves
 * @new: the state it enters
 * @ev: the enum vtcp_fsm_event that caused it, or VTCP_NR_EVENTS for a change
 * the table did not make
 *
 * Context: any context.
 */
void vtcp_event_state(struct sock *sk, int old, int new, int ev)
{
	struct net *net = sock_net(sk);
	struct vtcp_event_id id;
	struct sk_buff *msg;
	void *hdr;

	if (old == new)
		return;
	trace_vtcp_state(sk, old, new, ev);
	if (!events_wanted(net))
		return;
	id_of_sock(sk, &id);
	msg = event_new(VTCP_EVT_STATE, &id, &hdr);
	if (!msg)
		return;
	if (nla_put_u8(msg, VTCP_A_EV_OLD_STATE, old) ||
	    nla_put_u8(msg, VTCP_A_EV_NEW_STATE, new) ||
	    (ev < VTCP_NR_EVENTS &&
	     nla_put_u8(msg, VTCP_A_EV_FSM_EVENT, ev))) {
		nlmsg_free(msg);
		return;
	}
	event_send(net, msg, hdr);
}

/**
 * vtcp_event_pmtu() - tell the netlink listeners the path MTU of a socket
 * changed
 * @sk: the socket; the MSS changed with it (pmtu.c)
 *
 * Context: @sk locked.
 */
void vtcp_event_pmtu(struct sock *sk)
{
	struct net *net = sock_net(sk);
	struct vtcp_event_id id;
	struct sk_buff *msg;
	void *hdr;

	if (!events_wanted(net))
		return;
	id_of_sock(sk, &id);
	msg = event_new(VTCP_EVT_PMTU, &id, &hdr);
	if (!msg)
		return;
	if (nla_put_u32(msg, VTCP_A_EV_MTU, inet_csk(sk)->icsk_pmtu_cookie) ||
	    nla_put_u32(msg, VTCP_A_EV_MSS, vtcp_sk(sk)->mss)) {
		nlmsg_free(msg);
		return;
	}
	event_send(net, msg, hdr);
}

/**
 * vtcp_event_timer() - tell the netlink listeners a timer fired
 * @sk: a full or timewait socket
 * @t: the timer (unused for a timewait socket: its 2MSL)
 *
 * Context: softirq, or process context for a timer deferred to
 * release_sock().
 */
void vtcp_event_timer(struct sock *sk, enum vtcp_timer t)
{
	struct net *net = sock_net(sk);
	struct vtcp_event_id id;
	struct sk_buff *msg;
	u8 kind, retries = 0;
	void *hdr;

	if (!events_wanted(net))
		return;
	if (sk->sk_state == TCP_TIME_WAIT) {
		kind = VTCP_TK_TIME_WAIT;
	} else {
		kind = vtcp_timer_kind(sk, t);
		retries = vtcp_timer_retries(sk, kind);
	}
	if (kind == VTCP_TK_NONE)
		return;		/* nothing for it to do */
	id_of_sock(sk, &id);
	msg = event_new(VTCP_EVT_TIMER, &id, &hdr);
	if (!msg)
		return;
	if (nla_put_u8(msg, VTCP_A_EV_TIMER, kind) ||
	    nla_put_u8(msg, VTCP_A_EV_RETRIES, retries)) {
		nlmsg_free(msg);
		return;
	}
	event_send(net, msg, hdr);
}

/*
 * The header of @skb (data at or before it), as it is on the wire; the
 * window in bytes, scaled by @wscale except on SYNs (RFC 7323 2.3).
 */
static int put_segment(struct sk_buff *msg, const struct sk_buff *skb,
		       u8 wscale)
{
	const struct tcphdr *th = vtcp_hdr(skb);
	u32 len = skb->len - skb_transport_offset(skb) - vtcp_hdr_len(th);
	u32 win = (u32)ntohs(th->window) << (th->syn ? 0 : wscale);

	return nla_put_u32(msg, VTCP_A_EV_SEQ, ntohl(th->seq)) ||
	       nla_put_u32(msg, VTCP_A_EV_ACK, ntohl(th->ack_seq)) ||
	       nla_put_u8(msg, VTCP_A_EV_FLAGS, tcp_flag_byte(th)) ||
	       nla_put_u32(msg, VTCP_A_EV_LEN, len) ||
	       nla_put_u32(msg, VTCP_A_EV_WIN, win);
}

static void event_segment(struct net *net, u8 type,
			  const struct vtcp_event_id *id,
			  const struct sk_buff *skb, u8 wscale)
{
	struct sk_buff *msg;
	void *hdr;

	msg = event_new(type, id, &hdr);
	if (!msg)
		return;
	if (put_segment(msg, skb, wscale)) {
		nlmsg_free(msg);
		return;
	}
	event_send(net, msg, hdr);
}

/**
 * vtcp_event_seg_in() - tell the netlink listeners a segment arrived
 * @sk: the socket that takes it (full, listening or timewait)
 * @skb: the segment
 *
 * The 4-tuple is the segment's, so that a SYN at a listener names the
 * connection it starts (with the listener's cookie).
 *
 * Context: softirq, or process context from the backlog.
 */
void vtcp_event_seg_in(struct sock *sk, const struct sk_buff *skb)
{
	struct vtcp_event_id id;

	if (!events_wanted(sock_net(sk)))
		return;
	id_of_segment(skb, &id);
	id.cookie = vtcp_cookie(sk);
	/* A socket's events all name its family: v4-mapped, if AF_INET6. */
	id.v6 |= sk->sk_family == AF_INET6;
	event_segment(sock_net(sk), VTCP_EVT_SEG_IN, &id, skb,
		      sk->sk_state == TCP_TIME_WAIT ? 0 : vtcp_sk(sk)->snd_wscale);
}

/**
 * vtcp_event_seg_out() - tell the netlink listeners a socket sends a segment
 * @sk: the socket
 * @skb: the segment, its header built
 *
 * Context: @sk locked.
 */
void vtcp_event_seg_out(struct sock *sk, const struct sk_buff *skb)
{
	struct vtcp_event_id id;

	if (!events_wanted(sock_net(sk)))
		return;
	id_of_sock(sk, &id);
	event_segment(sock_net(sk), VTCP_EVT_SEG_OUT, &id, skb,
		      vtcp_sk(sk)->rcv_wscale);
}

/**
 * vtcp_event_reply() - tell the netlink listeners a reply went without a
 * socket
 * @net: the namespace
 * @skb: the reply (an RST, or an ACK from TIME-WAIT)
 * @in: the segment it answers
 *
 * Reported with cookie 0.
 *
 * Context: softirq, or process context.
 */
void vtcp_event_reply(struct net *net, const struct sk_buff *skb,
		      const struct sk_buff *in)
{
	struct vtcp_event_id id = {};

	if (!events_wanted(net))
		return;
	id_of_segment(in, &id);
	event_segment(net, VTCP_EVT_SEG_OUT, &id, skb, 0);
}

/**
 * vtcp_genl_init() - register the generic netlink family "vtcp"
 *
 * Context: process context, at module load.
 * Return: 0, or a negative errno.
 */
int vtcp_genl_init(void)
{
	return genl_register_family(&vtcp_genl_family);
}

/**
 * vtcp_genl_exit() - unregister the generic netlink family
 *
 * Context: process context, at module unload.
 */
void vtcp_genl_exit(void)
{
	genl_unregister_family(&vtcp_genl_family);
}

MODULE_ALIAS_GENL_FAMILY(VTCP_GENL_NAME);
