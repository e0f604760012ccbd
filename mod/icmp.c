// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP errors about our segments (RFC 1122 4.2.3.9, RFC 5927), as Linux
 * TCP reads them: each is checked against the connection it quotes, then
 * "fragmentation needed" lowers the path MTU (pmtu.c), a redirect moves
 * the route, and the other errors end a connection still opening or are
 * kept as its soft error, which a later timeout reports.
 *
 * vtcp_err() runs in softirq, from the ICMP receive path.
 */
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <net/icmp.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "compat.h"
#include "fsm.h"
#include "hash.h"
#include "icmp.h"
#include "ipv6.h"
#include "pmtu.h"

/*
 * The quoted segment must be one in flight: off-path attackers who guess
 * the 4-tuple still have to hit [snd_una, snd_nxt] (RFC 5927 4.1).
 */
static bool quotes_our_flight(const struct sock *sk, u32 seq)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);

	return seq_geq(seq, vsk->snd_una) && seq_leq(seq, vsk->snd_nxt);
}

/* IPv6 routes are checked against the cookie they were stored with. */
static void follow_redirect(struct sock *sk, struct sk_buff *skb)
{
	u32 cookie = vtcp_sends_ipv6(sk) ? inet6_sk(sk)->dst_cookie : 0;
	struct dst_entry *dst = __sk_dst_check(sk, cookie);

	if (dst)
		dst->ops->redirect(dst, sk, skb);
}

/* Fragmentation needed (DF set): now, or when the owner releases it. */
static void frag_needed(struct sock *sk, u32 mtu)
{
	WRITE_ONCE(vtcp_sk(sk)->mtu_info, mtu);
	if (!sock_owned_by_user(sk))
		vtcp_mtu_reduced(sk);
	else
		set_bit(VTCP_DEFER_MTU, &vtcp_sk(sk)->deferred);
}

/*
 * What an ICMP error asks: the errno by Linux's mapping (icmp_err_convert[])
 * and whether RFC 1122 counts it hard. Counted once it passed the checks.
 */
static void classify(int type, int code, u32 info, struct vtcp_icmp *e)
{
	memset(e, 0, sizeof(*e));
	switch (type) {
	case ICMP_DEST_UNREACH:
		if (code == ICMP_FRAG_NEEDED) {
			e->action = VTCP_ICMP_PMTU;
			e->info = info;
		} else if (code <= NR_ICMP_UNREACH) {
			e->action = VTCP_ICMP_ERROR;
			e->fatal = icmp_err_convert[code].fatal;
			e->err = icmp_err_convert[code].errno;
		}
		return;
	case ICMP_TIME_EXCEEDED:
		e->action = VTCP_ICMP_ERROR;
		e->err = EHOSTUNREACH;
		return;
	case ICMP_PARAMETERPROB:
		e->action = VTCP_ICMP_ERROR;
		e->fatal = true;
		e->err = EPROTO;
		return;
	case ICMP_REDIRECT:
		e->action = VTCP_ICMP_REDIRECT;
		return;
	}
	/* source quench (RFC 6633) and the rest: ignored */
}

/* The counter of an error that a connection takes, by its ICMP type. */
static void count(struct net *net, bool v6, int type)
{
	enum vtcp_mib mib = VTCP_MIB_ICMP_UNREACH;

	if (v6 ? type == ICMPV6_TIME_EXCEED : type == ICMP_TIME_EXCEEDED)
		mib = VTCP_MIB_ICMP_TIME_EXCEEDED;
	else if (v6 ? type == ICMPV6_PARAMPROB : type == ICMP_PARAMETERPROB)
		mib = VTCP_MIB_ICMP_PARAM_PROB;
	VTCP_INC_STATS(net, mib);
}

/* IP_RECVERR for ICMP's errors, IPV6_RECVERR for ICMPv6's (as TCP). */
static bool wants_errors(const struct sock *sk, const struct sk_buff *skb)
{
	return vtcp_skb_is_v6(skb) ? vtcp_recverr6(sk) : vtcp_recverr(sk);
}

/*
 * With IP_RECVERR, the error goes on the socket's error queue too, where
 * recvmsg(MSG_ERRQUEUE) finds it with the offender's address and what it
 * quoted (ip(7)). Our own copy of ip_icmp_error(): 6.1 does not export it.
 */
static void queue_error(struct sock *sk, struct sk_buff *skb, int err,
			const struct tcphdr *th, u32 info)
{
	bool v6 = vtcp_skb_is_v6(skb);
	struct sock_exterr_skb *serr;
	const u8 *daddr;

	if (!wants_errors(sk, skb))
		return;
	daddr = v6 ? (const u8 *)&((const struct ipv6hdr *)skb->data)->daddr :
		     (const u8 *)&((const struct iphdr *)skb->data)->daddr;
	skb = skb_clone(skb, GFP_ATOMIC);
	if (!skb)
		return;
	serr = SKB_EXT_ERR(skb);
	memset(serr, 0, sizeof(*serr));
	serr->ee.ee_errno = err;
	serr->ee.ee_origin = v6 ? SO_EE_ORIGIN_ICMP6 : SO_EE_ORIGIN_ICMP;
	serr->ee.ee_type = icmp_hdr(skb)->type;	/* icmp6hdr's, the same */
	serr->ee.ee_code = icmp_hdr(skb)->code;
	serr->ee.ee_info = info;
	serr->addr_offset = daddr - skb_network_header(skb);
	serr->port = th->dest;
	if (skb_pull(skb, (const u8 *)th - skb->data)) {
		skb_reset_transport_header(skb);
		if (!sock_queue_err_skb(sk, skb))
			return;
	}
	kfree_skb(skb);
}

/*
 * An error for @sk: a connection still opening ends with it (as TCP, any
 * error in SYN-SENT; in SYN-RECEIVED a hard one); an established one keeps
 * it as its soft error, or reports it at once under IP_RECVERR.
 */
static void report_error(struct sock *sk, struct sk_buff *skb,
			 const struct tcphdr *th, int err, bool fatal, u32 info)
{
	bool owned = sock_owned_by_user(sk);

	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		if (sk->sk_state == TCP_SYN_RECV && !fatal)
			goto soft;
		queue_error(sk, skb, err, th, info);
		WRITE_ONCE(sk->sk_err_soft, err);
		if (owned)
			VTCP_INC_STATS(sock_net(sk), VTCP_MIB_ICMP_LOCKED);
		else
			vtcp_fsm(sk, VTCP_EV_ICMP_ERROR, NULL);
		return;
	}
	if (!owned && wants_errors(sk, skb)) {
		WRITE_ONCE(sk->sk_err, err);
		sk_error_report(sk);
		return;
	}
soft:
	WRITE_ONCE(sk->sk_err_soft, err);
}

/*
 * The same checks and actions for both families: the state, the quoted
 * sequence number, then a smaller MTU, a redirect, or an error to report.
 */
static void handle(struct sock *sk, struct sk_buff *skb,
		   const struct tcphdr *th, const struct vtcp_icmp *e)
{
	struct net *net = sock_net(sk);

	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)) {
		VTCP_INC_STATS(net, VTCP_MIB_ICMP_IGNORED);
		return;
	}
	if (!quotes_our_flight(sk, ntohl(th->seq))) {
		VTCP_INC_STATS(net, VTCP_MIB_ICMP_OUT_OF_WINDOW);
		return;
	}
	switch (e->action) {
	case VTCP_ICMP_PMTU:
		VTCP_INC_STATS(net, VTCP_MIB_ICMP_FRAG_NEEDED);
		frag_needed(sk, e->info);
		return;
	case VTCP_ICMP_REDIRECT:
		VTCP_INC_STATS(net, VTCP_MIB_ICMP_REDIRECT);
		if (!sock_owned_by_user(sk))
			follow_redirect(sk, skb);
		return;
	case VTCP_ICMP_ERROR:
		count(net, vtcp_skb_is_v6(skb), icmp_hdr(skb)->type);
		report_error(sk, skb, th, e->err, e->fatal, e->info);
		return;
	default:
		VTCP_INC_STATS(net, VTCP_MIB_ICMP_IGNORED);
	}
}

/**
 * vtcp_icmp_deliver() - an ICMP or ICMPv6 error to the connection it quotes
 * @sk: what the family's lookup found (a reference, dropped here), or NULL
 * @skb: the error, its data at the IP header it quotes
 * @th: our header, as quoted
 * @e: what the error asks, by its family's rules
 *
 * Context: softirq.
 * Return: 0, or -ENOENT when it quotes no connection of ours.
 */
int vtcp_icmp_deliver(struct sock *sk, struct sk_buff *skb,
		      const struct tcphdr *th, const struct vtcp_icmp *e)
{
	struct net *net = dev_net(skb->dev);

	VTCP_INC_STATS(net, VTCP_MIB_ICMP_IN);
	if (!sk) {
		VTCP_INC_STATS(net, VTCP_MIB_ICMP_NO_SOCKET);
		return -ENOENT;
	}
	if (sk->sk_state == TCP_TIME_WAIT) {
		VTCP_INC_STATS(net, VTCP_MIB_ICMP_IGNORED);
		inet_twsk_put(inet_twsk(sk));
		return 0;
	}
	bh_lock_sock(sk);
	handle(sk, skb, th, e);
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;
}

/**
 * vtcp_err() - IPv4's error handler: an ICMP error that quotes our segment
 * @skb: the error; skb->data is the IP header we sent, as the error quotes
 * it, and at least 8 bytes after it: the ports and our sequence number
 * @info: the ICMP error's info (the MTU of "fragmentation needed")
 *
 * Context: softirq.
 * Return: 0, or -ENOENT when it quotes no connection of ours.
 */
int vtcp_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct tcphdr *th = (void *)iph + (iph->ihl << 2);
	struct vtcp_icmp e;
	struct sock *sk;

	sk = __inet_lookup_established(dev_net(skb->dev), &vtcp_hashinfo,
				       iph->daddr, th->dest, iph->saddr,
				       ntohs(th->source), inet_iif(skb), 0);
	classify(icmp_hdr(skb)->type, icmp_hdr(skb)->code, info, &e);
	return vtcp_icmp_deliver(sk, skb, th, &e);
}
