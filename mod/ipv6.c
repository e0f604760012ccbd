// SPDX-License-Identifier: GPL-2.0
/*
 * IPv6 (RFC 8200): AF_INET6 sockets and the segments that IPv6 carries,
 * as net/ipv6/tcp_ipv6.c serves TCP. What is the family's own is here:
 * the socket and its connect(), the input handler, ICMPv6 errors, the
 * replies that no socket sends, and passive children. The state machine,
 * timers and data path are the same for both families.
 *
 * An AF_INET6 socket that is not IPV6_V6ONLY also speaks IPv4, with
 * v4-mapped addresses (::ffff:a.b.c.d): then its segments are IPv4's
 * (vtcp_ipv4_ops), as TCP's ipv6_mapped, and one listener on [::] takes
 * both families.
 */
#include <linux/icmpv6.h>
#include <net/addrconf.h>
#include <net/inet6_connection_sock.h>
#include <net/inet6_hashtables.h>
#include <net/inet_common.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/protocol.h>
#include <net/tcp.h>
#include <net/transp_v6.h>

#include "vtcp.h"
#include "compat.h"
#include "hash.h"
#include "icmp.h"
#include "input.h"
#include "ipv6.h"
#include "offload.h"
#include "output.h"
#include "request.h"
#include "socket.h"
#include "stream.h"
#include "timewait.h"
#include "wire.h"

/* An AF_INET6 socket: ipv6_pinfo last, where 6.1's inet6_create() looks. */
struct vtcp6_sock {
	struct vtcp_sock vsk;
	struct ipv6_pinfo inet6;
};

static struct ipv6_pinfo *pinfo_of(struct sock *sk)
{
	return &((struct vtcp6_sock *)sk)->inet6;
}

/* ---- out ----------------------------------------------------------------- */

static void set_checksum_partial(struct sk_buff *skb,
				 const struct in6_addr *saddr,
				 const struct in6_addr *daddr)
{
	struct tcphdr *th = vtcp_hdr(skb);

	th->check = ~csum_ipv6_magic(saddr, daddr, skb->len, vtcp_protocol, 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
}

/* The socket's route, flow label, traffic class and options: IPv6's. */
static int ipv6_queue_xmit(struct sock *sk, struct sk_buff *skb)
{
	set_checksum_partial(skb, &inet6_sk(sk)->saddr, &sk->sk_v6_daddr);
	return inet6_csk_xmit(sk, skb, NULL);
}

const struct vtcp_af_ops vtcp_ipv6_ops = {
	.net_header_len	= sizeof(struct ipv6hdr),
	.queue_xmit	= ipv6_queue_xmit,
	.update_pmtu	= inet6_csk_update_pmtu,
};

/**
 * vtcp6_reply_route() - the route of a reply to the IPv6 segment @in
 * @net: the namespace
 * @sk: the listener that answers (a SYN cookie), or NULL
 * @in: the segment
 * @r: filled with the flow and the route
 *
 * From the address @in came to, back to its source; on the interface it came
 * in on when the peer's address is link-local, through the VRF it came in by
 * if any (the route is in the VRF's table), as TCP.
 *
 * Context: softirq, or process context (the backlog).
 * Return: 0, or a negative errno.
 */
int vtcp6_reply_route(struct net *net, struct sock *sk,
		      const struct sk_buff *in, struct vtcp_reply *r)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(in);
	const struct tcphdr *th = vtcp_hdr(in);
	struct flowi6 *fl6 = &r->fl.u.ip6;
	struct sock *ctl = vtcp_pernet(net)->ctl6_sk;
	struct dst_entry *dst;

	memset(fl6, 0, sizeof(*fl6));
	fl6->daddr = ip6h->saddr;
	fl6->saddr = ip6h->daddr;
	fl6->flowi6_proto = vtcp_protocol;
	fl6->fl6_sport = th->dest;
	fl6->fl6_dport = th->source;
	fl6->flowi6_mark = sk ? READ_ONCE(sk->sk_mark) : 0;
	if (rt6_need_strict(&fl6->daddr))
		fl6->flowi6_oif = VTCP_SKB_CB(in)->iif;
	else if (netif_index_is_l3_master(net, in->skb_iif))
		fl6->flowi6_oif = in->skb_iif;	/* back through its VRF */
	fl6->flowi6_uid = sock_net_uid(net, sk);
	security_skb_classify_flow((struct sk_buff *)in,
				   flowi6_to_flowi_common(fl6));
	dst = ip6_dst_lookup_flow(net, ctl, fl6, NULL);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	r->dst = dst;
	return 0;
}

/**
 * vtcp6_reply_xmit() - send a reply that has no socket, over IPv6
 * @net: the namespace
 * @skb: the reply, our header built
 * @r: its route, from vtcp6_reply_route(); @skb takes its reference
 *
 * Sent from the namespace's control socket.
 *
 * Context: softirq, or process context (the backlog).
 */
void vtcp6_reply_xmit(struct net *net, struct sk_buff *skb,
		      struct vtcp_reply *r)
{
	struct flowi6 *fl6 = &r->fl.u.ip6;
	struct sock *ctl = vtcp_pernet(net)->ctl6_sk;
	struct tcphdr *th = vtcp_hdr(skb);

	th->check = 0;
	th->check = csum_ipv6_magic(&fl6->saddr, &fl6->daddr, skb->len,
				    vtcp_protocol,
				    skb_checksum(skb, 0, skb->len, 0));
	skb->ip_summed = CHECKSUM_NONE;
	skb_dst_set(skb, r->dst);
	/* From process context too (the backlog): softirqs off, as IPv4's. */
	local_bh_disable();
	ip6_xmit(ctl, skb, fl6, fl6->flowi6_mark, NULL, 0,
		 READ_ONCE(ctl->sk_priority));
	local_bh_enable();
	VTCP_INC_STATS(net, VTCP_MIB_OUT_SEGS);
}

/* ---- in ------------------------------------------------------------------ */

static int vtcp6_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	const struct tcphdr *th;
	bool refcounted;
	struct sock *sk;

	if (!vtcp_rcv_checks(skb, net))
		return 0;
	th = vtcp_hdr(skb);
	sk = __inet6_lookup(net, &vtcp_hashinfo, skb, vtcp_hdr_len(th),
			    &ipv6_hdr(skb)->saddr, th->source,
			    &ipv6_hdr(skb)->daddr, ntohs(th->dest),
			    inet6_iif(skb), inet6_sdif(skb), &refcounted);
	if (!sk) {
		vtcp_rcv_no_socket(net, skb);
		return 0;
	}
	return vtcp_rcv_segment(net, skb, sk, refcounted);
}

/**
 * vtcp6_lookup_listener() - the listener an IPv6 segment is for
 * @skb: the segment, its control block already ours
 * @sdif: the slave interface, read before our control block hid IPv6's (the
 * iif is in ours)
 *
 * Context: softirq, in an RCU read-side section.
 * Return: the listener, or NULL; RCU protects it, no reference is taken.
 */
struct sock *vtcp6_lookup_listener(struct sk_buff *skb, int sdif)
{
	const struct tcphdr *th = vtcp_hdr(skb);

	return inet6_lookup_listener(dev_net(skb->dev), &vtcp_hashinfo, skb,
				     vtcp_hdr_len(th), &ipv6_hdr(skb)->saddr,
				     th->source, &ipv6_hdr(skb)->daddr,
				     ntohs(th->dest), VTCP_SKB_CB(skb)->iif,
				     sdif);
}

/* ---- ICMPv6 -------------------------------------------------------------- */

/* What an ICMPv6 error asks, by Linux's mapping (icmpv6_err_convert()). */
static void classify(u8 type, u8 code, __be32 info, struct vtcp_icmp *e)
{
	memset(e, 0, sizeof(*e));
	if (type == ICMPV6_PKT_TOOBIG) {
		e->action = VTCP_ICMP_PMTU;
		e->info = ntohl(info);
		if (e->info < IPV6_MIN_MTU)	/* RFC 8201 4: no lower */
			e->action = VTCP_ICMP_IGNORE;
		return;
	}
	if (type == NDISC_REDIRECT) {
		e->action = VTCP_ICMP_REDIRECT;
		return;
	}
	if (type == ICMPV6_DEST_UNREACH || type == ICMPV6_TIME_EXCEED ||
	    type == ICMPV6_PARAMPROB) {
		e->action = VTCP_ICMP_ERROR;
		e->fatal = icmpv6_err_convert(type, code, &e->err);
		e->info = ntohl(info);
	}
}

/* skb->data is the IPv6 header we sent, as the error quotes it. */
static int vtcp6_err(struct sk_buff *skb, struct inet6_skb_parm *opt,
		     u8 type, u8 code, int offset, __be32 info)
{
	const struct ipv6hdr *hdr = (const struct ipv6hdr *)skb->data;
	const struct tcphdr *th = (const struct tcphdr *)(skb->data + offset);
	struct vtcp_icmp e;
	struct sock *sk;

	sk = __inet6_lookup_established(dev_net(skb->dev), &vtcp_hashinfo,
					&hdr->daddr, th->dest, &hdr->saddr,
					ntohs(th->source), skb->dev->ifindex,
					inet6_sdif(skb));
	classify(type, code, info, &e);
	return vtcp_icmp_deliver(sk, skb, th, &e);
}

/*
 * Make @dst the route of @sk, as ip6_dst_store() would, but through
 * vtcp_setup_caps(), which stores it (and takes our reference) with our
 * offload caps: both would drop the reference twice.
 */
static void store_route(struct sock *sk, struct dst_entry *dst)
{
	struct ipv6_pinfo *np = inet6_sk(sk);

	np->dst_cookie = rt6_get_cookie(container_of(dst, struct rt6_info, dst));
	np->daddr_cache = NULL;
#ifdef CONFIG_IPV6_SUBTREES
	np->saddr_cache = NULL;
#endif
	vtcp_setup_caps(sk, dst);
}

/* ---- passive open -------------------------------------------------------- */

/**
 * vtcp6_init_ticket() - the IPv6 part of the request of a SYN
 * @req: the request
 * @skb: the SYN
 *
 * As TCP, a listener bound to no device answers through the VRF the SYN came
 * in by (tcp_l3mdev_accept), and a link-local peer on the interface the SYN
 * came in on.
 *
 * Context: softirq.
 */
void vtcp6_init_ticket(struct request_sock *req, const struct sk_buff *skb)
{
	struct inet_request_sock *ireq = inet_rsk(req);
	const struct sock *listener = req->rsk_listener;

	ireq->ir_v6_rmt_addr = ipv6_hdr(skb)->saddr;
	ireq->ir_v6_loc_addr = ipv6_hdr(skb)->daddr;
	ireq->ir_iif = inet_request_bound_dev_if(listener,
						 (struct sk_buff *)skb);
	if (!ireq->ir_iif &&
	    ipv6_addr_type(&ireq->ir_v6_rmt_addr) & IPV6_ADDR_LINKLOCAL)
		ireq->ir_iif = VTCP_SKB_CB(skb)->iif;
}

/**
 * vtcp6_adopt_pinfo() - give the child of an AF_INET6 listener its ipv6_pinfo
 * @child: the listener's clone
 * @listener: the listener
 *
 * The clone shares the listener's ipv6_pinfo until it has its own copy,
 * without the lists and options that are the listener's alone.
 *
 * Context: softirq, the listener locked.
 */
void vtcp6_adopt_pinfo(struct sock *child, const struct sock *listener)
{
	struct ipv6_pinfo *np = pinfo_of(child);

	inet_sk(child)->pinet6 = np;
	memcpy(np, pinfo_of((struct sock *)listener), sizeof(*np));
	np->ipv6_mc_list = NULL;
	np->ipv6_ac_list = NULL;
	RCU_INIT_POINTER(vtcp_fl_list(child), NULL);
	np->pktoptions = NULL;
	np->rxpmtu = NULL;
	RCU_INIT_POINTER(np->opt, NULL);
	inet_sk(child)->inet_opt = NULL;
}

/**
 * vtcp6_setup_child() - the addresses, route and options of an IPv6 child
 * @sk: the listener
 * @child: its clone, locked, with its own ipv6_pinfo
 * @req: the request, with the SYN's addresses
 * @skb: the SYN (or a cookie's ACK)
 *
 * Context: softirq, the listener locked.
 * Return: 0 with the route stored in @child, or a negative errno.
 */
int vtcp6_setup_child(struct sock *sk, struct sock *child,
		      struct request_sock *req, const struct sk_buff *skb)
{
	struct inet_request_sock *ireq = inet_rsk(req);
	struct ipv6_pinfo *np = pinfo_of(child);
	struct ipv6_txoptions *opt;
	struct dst_entry *dst;
	struct flowi6 fl6;

	child->sk_v6_daddr = ireq->ir_v6_rmt_addr;
	child->sk_v6_rcv_saddr = ireq->ir_v6_loc_addr;
	np->saddr = ireq->ir_v6_loc_addr;
	inet_sk(child)->inet_daddr = LOOPBACK4_IPV6;
	inet_sk(child)->inet_saddr = LOOPBACK4_IPV6;
	inet_sk(child)->inet_rcv_saddr = LOOPBACK4_IPV6;
	child->sk_bound_dev_if = ireq->ir_iif;
	np->mcast_oif = VTCP_SKB_CB(skb)->iif;
	np->mcast_hops = ipv6_hdr(skb)->hop_limit;
	np->rcv_flowinfo = ip6_flowinfo(ipv6_hdr(skb));
	vtcp_sk(child)->af = &vtcp_ipv6_ops;

	rcu_read_lock();
	opt = rcu_dereference(pinfo_of(sk)->opt);
	if (opt) {
		opt = ipv6_dup_options(child, opt);
		RCU_INIT_POINTER(np->opt, opt);
	}
	rcu_read_unlock();
	inet_csk(child)->icsk_ext_hdr_len = opt ? opt->opt_nflen +
						  opt->opt_flen : 0;

	dst = inet6_csk_route_req(sk, &fl6, req, vtcp_protocol);
	if (!dst)
		return -EHOSTUNREACH;
	store_route(child, dst);
	return 0;
}

/* ---- the socket ---------------------------------------------------------- */

/* connect() to a v4-mapped address: IPv4, the socket staying AF_INET6. */
static int connect_mapped(struct sock *sk, struct sockaddr_in6 *usin)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 exthdrlen = inet_csk(sk)->icsk_ext_hdr_len;
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = usin->sin6_port,
		.sin_addr.s_addr = usin->sin6_addr.s6_addr32[3],
	};
	int err;

	if (ipv6_only_sock(sk))
		return -ENETUNREACH;
	vsk->af = &vtcp_ipv4_ops;
	err = vtcp_connect_v4(sk, (struct sockaddr *)&sin, sizeof(sin));
	if (err) {
		inet_csk(sk)->icsk_ext_hdr_len = exthdrlen;
		vsk->af = &vtcp_ipv6_ops;
		return err;
	}
	inet6_sk(sk)->saddr = sk->sk_v6_rcv_saddr;
	return 0;
}

/* Where connect() to @usin goes from: the socket's address, or the route's. */
static struct dst_entry *route_connect(struct sock *sk,
				       struct sockaddr_in6 *usin,
				       struct flowi6 *fl6)
{
	struct ipv6_pinfo *np = inet6_sk(sk);
	struct in6_addr *final_p, final;
	struct ipv6_txoptions *opt;

	memset(fl6, 0, sizeof(*fl6));
	fl6->flowi6_proto = vtcp_protocol;
	fl6->daddr = sk->sk_v6_daddr;
	fl6->saddr = ipv6_addr_any(&sk->sk_v6_rcv_saddr) ? np->saddr :
							    sk->sk_v6_rcv_saddr;
	fl6->flowlabel = ip6_make_flowinfo(np->tclass, np->flow_label);
	fl6->flowi6_oif = sk->sk_bound_dev_if;
	fl6->flowi6_mark = READ_ONCE(sk->sk_mark);
	fl6->fl6_dport = usin->sin6_port;
	fl6->fl6_sport = inet_sk(sk)->inet_sport;
	fl6->flowi6_uid = sk->sk_uid;
	opt = rcu_dereference_protected(np->opt, lockdep_sock_is_held(sk));
	final_p = fl6_update_dst(fl6, opt, &final);
	security_sk_classify_flow(sk, flowi6_to_flowi_common(fl6));
	return ip6_dst_lookup_flow(sock_net(sk), sk, fl6, final_p);
}

/* The flow label asked for with IPV6_FLOWINFO_SEND: ours to use? */
static int take_flowlabel(struct sock *sk, const struct sockaddr_in6 *usin)
{
	struct ip6_flowlabel *fl;
	__be32 label = 0;

	if (vtcp_sndflow(sk)) {
		label = usin->sin6_flowinfo & IPV6_FLOWINFO_MASK;
		if (label & IPV6_FLOWLABEL_MASK) {
			fl = fl6_sock_lookup(sk, label);
			if (IS_ERR(fl))
				return -EINVAL;
			fl6_sock_release(fl);
		}
	}
	inet6_sk(sk)->flow_label = label;
	return 0;
}

/* A link-local peer needs an interface: the scope id, or the bound one. */
static int take_scope(struct sock *sk, const struct sockaddr_in6 *usin,
		      int addr_len)
{
	if (addr_len >= (int)sizeof(*usin) && usin->sin6_scope_id) {
		if (!sk_dev_equal_l3scope(sk, usin->sin6_scope_id))
			return -EINVAL;
		sk->sk_bound_dev_if = usin->sin6_scope_id;
	}
	return sk->sk_bound_dev_if ? 0 : -EINVAL;
}

static int route_and_hash(struct sock *sk, struct sockaddr_in6 *usin)
{
	struct ipv6_pinfo *np = inet6_sk(sk);
	struct ipv6_txoptions *opt;
	struct dst_entry *dst;
	struct flowi6 fl6;
	int err;

	dst = route_connect(sk, usin, &fl6);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	if (ipv6_addr_any(&sk->sk_v6_rcv_saddr)) {
		err = inet_bhash2_update_saddr(sk, &fl6.saddr, AF_INET6);
		if (err) {
			dst_release(dst);
			return err;
		}
	}
	np->saddr = sk->sk_v6_rcv_saddr;
	inet_sk(sk)->inet_rcv_saddr = LOOPBACK4_IPV6;
	store_route(sk, dst);
	opt = rcu_dereference_protected(np->opt, lockdep_sock_is_held(sk));
	inet_csk(sk)->icsk_ext_hdr_len = opt ? opt->opt_flen + opt->opt_nflen : 0;
	inet_sk(sk)->inet_dport = usin->sin6_port;
	return inet6_hash_connect(&vtcp_pernet(sock_net(sk))->tw_row, sk);
}

static int vtcp6_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	struct sockaddr_in6 *usin = (struct sockaddr_in6 *)uaddr;
	int addr_type, err;

	if (addr_len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (usin->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	err = take_flowlabel(sk, usin);
	if (err)
		return err;
	if (ipv6_addr_any(&usin->sin6_addr)) {	/* BSD: the loopback */
		if (ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
			ipv6_addr_set_v4mapped(htonl(INADDR_LOOPBACK),
					       &usin->sin6_addr);
		else
			usin->sin6_addr = in6addr_loopback;
	}
	addr_type = ipv6_addr_type(&usin->sin6_addr);
	if (addr_type & IPV6_ADDR_MULTICAST)
		return -ENETUNREACH;
	if (addr_type & IPV6_ADDR_LINKLOCAL) {
		err = take_scope(sk, usin, addr_len);
		if (err)
			return err;
	}
	sk->sk_v6_daddr = usin->sin6_addr;
	if (addr_type & IPV6_ADDR_MAPPED)
		return connect_mapped(sk, usin);

	vtcp_connect_prepare(sk);
	return vtcp_connect_routed(sk, route_and_hash(sk, usin));
}

static struct proto vtcpv6_prot;

static const struct proto_ops vtcp6_stream_ops = {
	.family		= PF_INET6,
	.owner		= THIS_MODULE,
	.release	= inet6_release,
	.bind		= inet6_bind,
	.connect	= inet_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= inet_accept,
	.getname	= inet6_getname,
	.poll		= vtcp_poll,
	.ioctl		= inet6_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= vtcp_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
#if !VTCP_HAVE_SPLICE_PAGES
	.sendpage	= inet_sendpage,
#endif
	.recvmsg	= sock_common_recvmsg,
	.splice_read	= vtcp_splice_read,
	.mmap		= sock_no_mmap,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= inet6_compat_ioctl,
#endif
};

static struct inet_protosw vtcpv6_protosw = {
	.type		= SOCK_STREAM,
	.prot		= &vtcpv6_prot,
	.ops		= &vtcp6_stream_ops,
	.flags		= INET_PROTOSW_ICSK,
};

static const struct inet6_protocol vtcpv6_protocol = {
	.handler	= vtcp6_rcv,
	.err_handler	= vtcp6_err,
	.flags		= INET6_PROTO_NOPOLICY | INET6_PROTO_FINAL,
};

/* IPv4's proto, with what differs for AF_INET6. */
static void make_v6_protos(void)
{
	BUILD_BUG_ON(offsetof(struct vtcp6_sock, inet6) +
		     sizeof(struct ipv6_pinfo) != sizeof(struct vtcp6_sock));
	vtcpv6_prot = vtcp_prot;
	strscpy(vtcpv6_prot.name, "VTCPv6", sizeof(vtcpv6_prot.name));
	vtcpv6_prot.obj_size = sizeof(struct vtcp6_sock);
#if VTCP_HAVE_IPV6_PINFO_OFFSET
	vtcpv6_prot.ipv6_pinfo_offset = offsetof(struct vtcp6_sock, inet6);
#endif
	vtcpv6_prot.connect = vtcp6_connect;
	vtcpv6_prot.rsk_prot = &vtcp6_request_sock_ops;
	vtcpv6_prot.twsk_prot = &vtcp6_timewait_sock_ops;
	memset(&vtcpv6_prot.node, 0, sizeof(vtcpv6_prot.node));
}

/**
 * vtcp6_net_init() - create a namespace's control socket for IPv6 replies
 * @net: the namespace
 *
 * Context: process context, as the namespace is set up.
 * Return: 0, or a negative errno.
 */
int vtcp6_net_init(struct net *net)
{
	return inet_ctl_sock_create(&vtcp_pernet(net)->ctl6_sk, PF_INET6,
				    SOCK_RAW, vtcp_protocol, net);
}

/**
 * vtcp6_net_exit() - destroy a namespace's control socket for IPv6 replies
 * @net: the namespace
 *
 * Context: process context, as the namespace is dismantled.
 */
void vtcp6_net_exit(struct net *net)
{
	inet_ctl_sock_destroy(vtcp_pernet(net)->ctl6_sk);
}

/**
 * vtcp_ipv6_init() - register vtcp with IPv6: AF_INET6 sockets and segments
 *
 * Context: process context, at module load.
 * Return: 0, or a negative errno, with nothing left registered.
 */
int vtcp_ipv6_init(void)
{
	int err;

	make_v6_protos();
	err = proto_register(&vtcpv6_prot, 1);
	if (err)
		return err;
	if (inet6_add_protocol(&vtcpv6_protocol, vtcp_protocol) < 0) {
		pr_err("vtcp: IPv6 next header %d is already taken\n",
		       vtcp_protocol);
		proto_unregister(&vtcpv6_prot);
		return -EBUSY;
	}
	vtcpv6_protosw.protocol = vtcp_protocol;
	err = inet6_register_protosw(&vtcpv6_protosw);
	if (err) {
		inet6_del_protocol(&vtcpv6_protocol, vtcp_protocol);
		proto_unregister(&vtcpv6_prot);
	}
	return err;
}

/**
 * vtcp_ipv6_exit() - unregister vtcp from IPv6
 *
 * Context: process context, at module unload.
 */
void vtcp_ipv6_exit(void)
{
	inet6_unregister_protosw(&vtcpv6_protosw);
	inet6_del_protocol(&vtcpv6_protocol, vtcp_protocol);
	proto_unregister(&vtcpv6_prot);
}
