// SPDX-License-Identifier: GPL-2.0
/*
 * Passive open. A SYN at a listener becomes a full child socket in
 * SYN-RECEIVED at once, hashed by its 4-tuple, with its own timers for
 * the SYN-ACK. The request_sock that TCP would hash instead is only the
 * ticket that carries the child through the listener's queues: it counts
 * in the SYN queue until the handshake completes, then takes the child to
 * the accept queue, where inet_csk_accept() finds it.
 *
 * With TCP_DEFER_ACCEPT on the listener, the handshake's bare ACK does not
 * complete it: the child stays in SYN-RECEIVED until data comes, or until
 * the deferral's SYN-ACK timeouts have passed and an ACK comes again, as
 * TCP's request socket does.
 *
 * Or the SYN gets a SYN cookie (syncookies.c) and nothing is made: then
 * the ACK that echoes it makes the child, ESTABLISHED, straight for the
 * accept queue.
 */
#include <linux/security.h>
#include <net/inet_connection_sock.h>
#include <net/request_sock.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "cong.h"
#include "fsm.h"
#include "input.h"
#include "ipv6.h"
#include "netlink.h"
#include "offload.h"
#include "options.h"
#include "output.h"
#include "pmtu.h"
#include "request.h"
#include "socket.h"
#include "syncookies.h"
#include "timers.h"
#include "wire.h"

static void vtcp_reqsk_destructor(struct request_sock *req)
{
}

struct request_sock_ops vtcp_request_sock_ops = {
	.family		= PF_INET,
	.obj_size	= sizeof(struct inet_request_sock),
	.destructor	= vtcp_reqsk_destructor,
};

struct request_sock_ops vtcp6_request_sock_ops = {
	.family		= PF_INET6,
	.obj_size	= sizeof(struct inet_request_sock),
	.destructor	= vtcp_reqsk_destructor,
};

/*
 * What both handshakes learn of the peer, @skb being its SYN, or the ACK
 * of a SYN cookie: the options we offered stay only if it offered them
 * too (@opts), its window scale, MSS and window; and our first estimates.
 */
static void take_peer(struct sock *sk, const struct sk_buff *skb, u8 opts,
		      u8 wscale, u16 mss_clamp, u32 window)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	vsk->opts &= opts;
	vsk->snd_wscale = (vsk->opts & VTCP_OPT_WSCALE) ? wscale : 0;
	if (!(vsk->opts & VTCP_OPT_WSCALE))
		vsk->rcv_wscale = 0;
	if (vsk->opts & VTCP_OPT_TIMESTAMPS) {
		vsk->ts_recent = cb->tsval;
		vsk->ts_recent_stamp = ktime_get_seconds();
	}
	vsk->snd_wnd = window;
	vsk->max_window = vsk->snd_wnd;
	vsk->snd_wl1 = cb->seq;
	vsk->snd_wl2 = cb->ack_seq;
	vsk->mss_clamp = min_not_zero(mss_clamp, vsk->user_mss);
	vtcp_mtup_init(sk);
	vsk->cwnd = TCP_INIT_CWND * vsk->mss;
	vsk->rcv_tstamp_ns = ktime_get_ns();
}

/**
 * vtcp_init_from_syn() - start a connection from the peer's SYN
 * @sk: the socket that answers the SYN (a child, or a simultaneous open)
 * @skb: the SYN
 *
 * Sequence numbers, sizes and options: the options we offered stay only if
 * the peer offered them too.
 *
 * Context: @sk locked.
 */
void vtcp_init_from_syn(struct sock *sk, const struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	struct vtcp_opts o;

	vtcp_parse_options(vtcp_hdr(skb), &o);
	vsk->irs = cb->seq;
	vsk->rcv_nxt = cb->seq + 1;
	vsk->copied_seq = vsk->rcv_nxt;
	vsk->rcv_wup = vsk->rcv_nxt;
	/* RFC 9293 3.7.1: 536 without the option. */
	take_peer(sk, skb, o.has, o.wscale,
		  (o.has & VTCP_OPT_MSS) ? max_t(u16, o.mss, VTCP_MIN_MSS) :
					   TCP_MSS_DEFAULT,
		  ntohs(vtcp_hdr(skb)->window));
}

/*
 * The same from the ACK that echoes a SYN cookie, and what the cookie
 * kept: both initial sequence numbers are one below the ACK's, the SYNs
 * are acknowledged, and our window is what the cookie's SYN-ACK offered.
 */
static void init_from_cookie(struct sock *sk, const struct sk_buff *skb,
			     const struct vtcp_syncookie *c)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	u32 iss = cb->ack_seq - 1;

	vsk->irs = cb->seq - 1;
	vsk->rcv_nxt = cb->seq;
	vsk->copied_seq = vsk->rcv_nxt;
	vsk->rcv_wup = vsk->rcv_nxt;
	vsk->rcv_wnd = c->window;
	take_peer(sk, skb, c->opts, c->snd_wscale, c->mss,
		  (u32)ntohs(vtcp_hdr(skb)->window) << c->snd_wscale);
	vtcp_init_sequence(sk, iss);	/* and the timestamp clock */
	vsk->iss = iss;
	vsk->snd_una = iss + 1;
	vsk->snd_nxt = iss + 1;
	vsk->write_seq = iss + 1;
	vsk->bytes_acked = 1;		/* our SYN, as on any passive open */
}

static struct request_sock *ticket_for(struct sock *sk, struct sk_buff *skb)
{
	struct request_sock *req;
	struct inet_request_sock *ireq;

	req = inet_reqsk_alloc(sk->sk_family == AF_INET6 ?
			       &vtcp6_request_sock_ops : &vtcp_request_sock_ops,
			       sk, true);
	if (!req)
		return NULL;
	refcount_set(&req->rsk_refcnt, 1);	/* the ticket's one owner */
	ireq = inet_rsk(req);
	if (vtcp_skb_is_v6(skb)) {
		vtcp6_init_ticket(req, skb);
	} else {
		sk_rcv_saddr_set(req_to_sk(req), ip_hdr(skb)->daddr);
		sk_daddr_set(req_to_sk(req), ip_hdr(skb)->saddr);
		ireq->ir_iif = VTCP_SKB_CB(skb)->iif;
	}
	ireq->ir_rmt_port = vtcp_hdr(skb)->source;
	ireq->ir_num = ntohs(vtcp_hdr(skb)->dest);
	ireq->ir_mark = inet_request_mark(sk, skb);
	ireq->acked = 0;	/* no ACK held back yet (TCP_DEFER_ACCEPT) */
	req->syncookie = 0;	/* a SYN's ticket, until a cookie's says so */
	return req;
}

/* A child that cannot be finished: it goes without a word on the wire. */
static void discard_child(struct sock *child)
	__releases(&child->sk_lock.slock)
{
	vtcp_sk(child)->req = NULL;
	inet_csk_prepare_forced_close(child);	/* unlocks it */
	__release(&child->sk_lock.slock);
	vtcp_fsm(child, VTCP_EV_OPEN_FAILED, NULL);
}

static struct sock *listener_of(const struct request_sock *req)
{
	return req->rsk_listener;
}

/*
 * A listener knows its half-open children, so that closing it can abort
 * them (as BSD does) rather than leave them resending SYN-ACKs for a
 * socket that is gone. The list is under the accept queue's lock.
 */
static spinlock_t *children_lock(struct sock *listener)
{
	return &inet_csk(listener)->icsk_accept_queue.rskq_lock;
}

static void adopt(struct sock *listener, struct sock *child)
{
	spin_lock(children_lock(listener));
	list_add_tail(&vtcp_sk(child)->child_node, &vtcp_sk(listener)->children);
	spin_unlock(children_lock(listener));
}

static void disown(struct sock *listener, struct sock *child)
{
	spin_lock_bh(children_lock(listener));
	list_del_init(&vtcp_sk(child)->child_node);
	spin_unlock_bh(children_lock(listener));
}

/* The oldest half-open child of @listener, held, or NULL. */
static struct sock *hold_oldest_child(struct sock *listener)
{
	struct vtcp_sock *vsk;
	struct sock *child = NULL;

	spin_lock_bh(children_lock(listener));
	vsk = list_first_entry_or_null(&vtcp_sk(listener)->children,
				       struct vtcp_sock, child_node);
	if (vsk) {
		child = &vsk->icsk.icsk_inet.sk;
		list_del_init(&vsk->child_node);
		sock_hold(child);
	}
	spin_unlock_bh(children_lock(listener));
	return child;
}

/* Abort @child (held) unless its handshake completed meanwhile. */
static void abort_child(struct sock *child)
{
	local_bh_disable();
	bh_lock_sock(child);
	if (vtcp_sk(child)->req)
		vtcp_fsm(child, VTCP_EV_ABORT, NULL);
	bh_unlock_sock(child);
	local_bh_enable();
	sock_put(child);
}

/**
 * vtcp_abort_children() - abort the half-open children of a listener
 * @listener: the listener, owned by its closing user
 *
 * Context: process context, @listener owned.
 */
void vtcp_abort_children(struct sock *listener)
{
	struct sock *child;

	while ((child = hold_oldest_child(listener)))
		abort_child(child);
}

/*
 * A SYN at a full SYN queue: the oldest half-open child makes room, as a
 * BSD syncache does. A flood of spoofed SYNs thus holds at most the
 * backlog's worth of children, and a real client, whose handshake takes
 * one round trip, completes unless a backlog of SYNs arrives meanwhile.
 */
static bool evict_oldest_child(struct sock *listener)
{
	struct sock *child = hold_oldest_child(listener);

	if (!child)
		return false;
	abort_child(child);
	VTCP_INC_STATS(sock_net(listener), VTCP_MIB_SYN_EVICTED);
	return !inet_csk_reqsk_queue_is_full(listener);
}

/* An IPv4 child: of an AF_INET listener, or v4-mapped of an AF_INET6 one. */
static struct dst_entry *setup_child_v4(struct sock *sk, struct sock *child,
					struct request_sock *req)
{
	/* The clone has the listener's addresses: take the request's. */
	sk_daddr_set(child, inet_rsk(req)->ir_rmt_addr);
	sk_rcv_saddr_set(child, inet_rsk(req)->ir_loc_addr);
	inet_sk(child)->inet_saddr = inet_rsk(req)->ir_loc_addr;
	vtcp_sk(child)->af = &vtcp_ipv4_ops;
	return inet_csk_route_child_sock(sk, child, req);
}

/* The child's addresses, state and route, as its ticket says. */
static int setup_child(struct sock *sk, struct sock *child,
		       struct request_sock *req, const struct sk_buff *skb)
{
	struct dst_entry *dst;
	int err;

	if (sk->sk_family == AF_INET6)
		vtcp6_adopt_pinfo(child, sk);
	vtcp_init_sock_state(child);
	if (vtcp_skb_is_v6(skb)) {
		err = vtcp6_setup_child(sk, child, req, skb);
		if (err)
			return err;
		dst = __sk_dst_get(child);	/* stored with our caps */
	} else {
		dst = setup_child_v4(sk, child, req);
		if (!dst)
			return -EHOSTUNREACH;
		vtcp_setup_caps(child, dst);
	}
	vtcp_sk(child)->advmss = vtcp_user_advmss(child, dst);
	vtcp_offer_options(child);
	return 0;
}

/* The child takes the listener's port, then its place in the hash. */
static int hash_child(struct sock *sk, struct sock *child)
{
	bool dup = false;

	atomic_set(&inet_sk(child)->inet_id, get_random_u16());
	sk_set_txhash(child);
	if (__inet_inherit_port(sk, child) < 0)
		return -EADDRINUSE;
	if (!inet_ehash_nolisten(child, NULL, &dup))
		return -EEXIST;	/* a twin won: the kernel destroyed this one */
	return 0;
}

/* A child that setup_child() or hash_child() failed to finish goes. */
static void drop_child(struct sock *child, struct request_sock *req, int err)
	__releases(&child->sk_lock.slock)
{
	reqsk_put(req);
	if (err != -EEXIST) {
		discard_child(child);
		return;
	}
	bh_unlock_sock(child);
	sock_put(child);
}

/* The child of a SYN: half-open, its SYN-ACK on its own write queue. */
static void half_open(struct sock *sk, struct sock *child,
		      struct request_sock *req)
{
	struct net *net = sock_net(sk);

	vtcp_sk(child)->req = req;
	adopt(sk, child);
	vtcp_event_state(child, TCP_LISTEN, TCP_SYN_RECV, VTCP_EV_SYN);
	inet_csk_reqsk_queue_added(sk);
	VTCP_INC_STATS(net, VTCP_MIB_PASSIVE_OPENS);
	if (vtcp_queue_ctl(child, TCPHDR_SYN)) {	/* SYN-RECEIVED: a SYN-ACK */
		VTCP_INC_STATS(net, VTCP_MIB_ATTEMPT_FAILS);
		vtcp_fsm(child, VTCP_EV_ABORT, NULL);	/* no memory for it */
	}
}

/*
 * A child of @sk for @skb, locked, its ticket in *@reqp; or an ERR_PTR.
 * The LSM labels the request, inet_csk_clone_lock() the child.
 */
static struct sock *clone_child(struct sock *sk, struct sk_buff *skb,
				struct request_sock **reqp)
{
	struct request_sock *req = ticket_for(sk, skb);
	struct sock *child;

	if (!req)
		return ERR_PTR(-ENOMEM);
	if (security_inet_conn_request(sk, skb, req)) {
		reqsk_put(req);
		return ERR_PTR(-EPERM);
	}
	child = inet_csk_clone_lock(sk, req, GFP_ATOMIC);
	if (!child) {
		reqsk_put(req);
		return ERR_PTR(-ENOMEM);
	}
	*reqp = req;
	return child;
}

/**
 * vtcp_listen_rcv_syn() - LISTEN x SYN: make the child and send its SYN-ACK
 * @sk: the listener
 * @skb: the SYN
 *
 * Or, under a SYN flood, a SYN cookie instead of a child.
 *
 * Context: @sk locked.
 * Return: 0, -ENOBUFS when the queues are full, or another negative errno
 * when the child could not be made.
 */
int vtcp_listen_rcv_syn(struct sock *sk, struct sk_buff *skb)
{
	struct request_sock *req;
	struct sock *child;
	int err;

	if (sk_acceptq_is_full(sk))
		goto overflow;
	if (vtcp_want_syncookie(sk, skb))
		return vtcp_send_syncookie(sk, skb);
	if (inet_csk_reqsk_queue_is_full(sk) && !evict_oldest_child(sk))
		goto overflow;
	child = clone_child(sk, skb, &req);
	if (IS_ERR(child))
		return PTR_ERR(child);
	__acquire(&child->sk_lock.slock);	/* inet_csk_clone_lock() locked it */
	err = setup_child(sk, child, req, skb);
	if (!err) {
		vtcp_init_from_syn(child, skb);
		vtcp_cong_start(child);
		vtcp_init_sequence(child, VTCP_SKB_CB(skb)->tw_isn);
		err = hash_child(sk, child);
	}
	if (err) {
		drop_child(child, req, err);
		return err;
	}
	half_open(sk, child, req);
	bh_unlock_sock(child);
	sock_put(child);
	return 0;
overflow:
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_LISTEN_OVERFLOWS);
	return -ENOBUFS;
}

/*
 * The child of a cookie, born in SYN-RECEIVED as any child, is
 * established at once by the ACK that made it: straight to the accept
 * queue.
 */
static void cookie_established(struct sock *child, struct request_sock *req,
			       struct sk_buff *skb)
{
	req->syncookie = 1;
	vtcp_sk(child)->req = req;
	vtcp_event_state(child, TCP_LISTEN, TCP_SYN_RECV, VTCP_EV_ACK_OF_SYN);
	vtcp_fsm(child, VTCP_EV_ACK_OF_SYN, skb);
}

/**
 * vtcp_listen_rcv_cookie() - LISTEN x ACK: the ACK of a SYN cookie
 * @sk: the listener
 * @skb: an ACK without SYN or RST
 *
 * When @skb echoes one of our cookies, makes the child it stands for,
 * ESTABLISHED, with what the cookie kept, queues it for accept(), and hands
 * it @skb, whose data and window are the connection's first.
 * TCP_DEFER_ACCEPT does not hold a bare ACK back here, as TCP's
 * cookie_v4_check() does not: nothing was kept that would send the SYN-ACK
 * again, so a client that waits for the server to speak would wait for ever.
 *
 * Context: @sk locked.
 * Return: 0 when the child took @skb; -ENOENT when @skb is no cookie's ACK
 * (the caller answers it with an RST); another negative errno when the child
 * could not be made (the peer's next segment tries again).
 */
int vtcp_listen_rcv_cookie(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_syncookie c;
	struct request_sock *req;
	struct sock *child;
	int err;

	if (!vtcp_syncookie_check(sk, skb, &c))
		return -ENOENT;
	if (sk_acceptq_is_full(sk)) {
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_LISTEN_OVERFLOWS);
		return -ENOBUFS;
	}
	child = clone_child(sk, skb, &req);
	if (IS_ERR(child))
		return PTR_ERR(child);
	__acquire(&child->sk_lock.slock);	/* inet_csk_clone_lock() locked it */
	err = setup_child(sk, child, req, skb);
	if (!err) {
		init_from_cookie(child, skb, &c);
		vtcp_cong_start(child);
		err = hash_child(sk, child);
	}
	if (err) {
		drop_child(child, req, err);
		return err;
	}
	cookie_established(child, req, skb);
	vtcp_do_rcv(child, skb);
	bh_unlock_sock(child);
	sock_put(child);
	return 0;
}

/**
 * vtcp_child_established() - SYN-RECEIVED x ACK: into the accept queue
 * @child: the child whose handshake completed
 *
 * Out of the SYN queue (a cookie's child was never in it), into the
 * listener's accept queue; if the listener is gone, the child is reset.
 *
 * Context: @child locked.
 */
void vtcp_child_established(struct sock *child)
{
	struct request_sock *req = vtcp_sk(child)->req;
	struct sock *listener = listener_of(req);

	vtcp_sk(child)->req = NULL;
	if (req->syncookie) {
		VTCP_INC_STATS(sock_net(listener), VTCP_MIB_PASSIVE_OPENS);
	} else {
		disown(listener, child);
		reqsk_queue_removed(&inet_csk(listener)->icsk_accept_queue,
				    req);
	}
	vtcp_arm_keepalive(child);
	if (inet_csk_reqsk_queue_add(listener, req, child))
		listener->sk_data_ready(listener);
	else
		reqsk_put(req);		/* the listener is gone: child reset */
}

/*
 * TCP_DEFER_ACCEPT: the listener's, in SYN-ACK timeouts (socket.c). Read at
 * each use, as TCP reads its rskq_defer_accept, so that a change applies
 * to the children already half-open too.
 */
static u8 defer_accept(const struct sock *child)
{
	return READ_ONCE(vtcp_sk(listener_of(vtcp_sk(child)->req))->defer_accept);
}

/* Did @child hold the handshake's bare ACK back, to wait for data? */
static bool ack_held_back(const struct sock *child)
{
	return inet_rsk(vtcp_sk(child)->req)->acked;
}

/**
 * vtcp_child_defers() - is this ACK of our SYN held back by TCP_DEFER_ACCEPT?
 * @child: a socket in SYN-RECEIVED
 * @skb: an acceptable ACK that covers our SYN
 *
 * While fewer of its SYN-ACK's timeouts have passed than the listener's
 * TCP_DEFER_ACCEPT, a child's handshake is completed by data (or a FIN), not
 * by a bare ACK; after them, by any ACK (TCP's tcp_check_req()).
 *
 * Context: @child locked.
 * Return: true when @skb is to be dropped and the child to wait.
 */
bool vtcp_child_defers(const struct sock *child, const struct sk_buff *skb)
{
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);

	return vtcp_sk(child)->req && cb->end_seq == cb->seq &&
	       vtcp_sk(child)->retries < defer_accept(child);
}

/**
 * vtcp_child_wait_for_data() - SYN-RECEIVED x BARE_ACK: wait for the peer's
 * data
 * @child: the child, whose bare ACK was held back
 *
 * The peer is known to be there; its data is waited for.
 *
 * Context: @child locked.
 */
void vtcp_child_wait_for_data(struct sock *child)
{
	inet_rsk(vtcp_sk(child)->req)->acked = 1;
	VTCP_INC_STATS(sock_net(child), VTCP_MIB_DEFER_ACCEPT_DROP);
}

/**
 * vtcp_child_synack_retries() - the SYN-ACK timeouts after which a child
 * gives up
 * @child: a socket in SYN-RECEIVED
 *
 * synack_retries, or, once an ACK was held back, the deferral if it is
 * longer: the peer is known to be there, and its data may come still.
 *
 * Context: @child locked.
 * Return: the number of timeouts.
 */
unsigned int vtcp_child_synack_retries(const struct sock *child)
{
	unsigned int n = vtcp_sysctl(sock_net(child), synack_retries);

	if (ack_held_back(child))
		n = max_t(unsigned int, n, defer_accept(child));
	return n;
}

/**
 * vtcp_child_synack_waits() - does a child's SYN-ACK timeout pass without
 * resending?
 * @child: a socket in SYN-RECEIVED
 *
 * Once an ACK was held back, another SYN-ACK would only bring another that is
 * held back too: none goes until the deferral's last timeout, whose SYN-ACK
 * asks for the ACK that then completes the handshake (TCP's
 * syn_ack_recalc()).
 *
 * Context: @child locked.
 * Return: true if the timeout is to pass quietly.
 */
bool vtcp_child_synack_waits(const struct sock *child)
{
	return vtcp_sk(child)->req && ack_held_back(child) &&
	       vtcp_sk(child)->retries + 1 < defer_accept(child);
}

/**
 * vtcp_child_drop_req() - a child dies before its handshake completes
 * @child: the child, which becomes nobody's: an orphan
 *
 * Context: @child locked.
 */
void vtcp_child_drop_req(struct sock *child)
{
	struct request_sock *req = vtcp_sk(child)->req;

	vtcp_sk(child)->req = NULL;
	disown(listener_of(req), child);
	reqsk_queue_removed(&inet_csk(listener_of(req))->icsk_accept_queue, req);
	reqsk_put(req);
	sock_orphan(child);
	this_cpu_inc(*child->sk_prot->orphan_count);
}
