// SPDX-License-Identifier: GPL-2.0
/*
 * sock_diag for vtcp, through the kernel's inet_diag as DCCP and SCTP
 * plug into it: dumps of a namespace's sockets (SOCK_DIAG_BY_FAMILY with
 * NLM_F_DUMP), one socket by 4-tuple and cookie, and SOCK_DESTROY.
 *
 * A dump walks the listening table, then the established one, which holds
 * SYN-RECEIVED children (full sockets: state 3, which a request for
 * TCP_NEW_SYN_RECV (12) also matches), connections and TIME-WAIT. It
 * fills many messages, and sockets come and go between two of them, so
 * it resumes by bucket and cookie, not by position: within a bucket,
 * sockets go out in the order of their cookies, and the next message
 * starts above the last cookie sent. No socket is sent twice, and every
 * socket that lives through the whole dump is in it.
 */
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <net/netlink.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "compat.h"
#include "diag.h"
#include "fsm.h"
#include "hash.h"
#include "info.h"
#include "netlink.h"
#include "timewait.h"

/* Sockets held at once, out of the bucket lock, per pass over a bucket. */
#define VTCP_DIAG_BATCH		16

enum { PHASE_LISTEN, PHASE_ESTABLISHED, PHASE_DONE };

/* Where a dump resumes, kept in cb->args between messages. */
struct vtcp_dump_pos {
	u32 phase;
	u32 bucket;
	u64 after;		/* the bucket's last cookie sent */
};

struct vtcp_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	const struct inet_diag_req_v2 *req;
	const struct nlattr *bc;
	struct net *net;
	u32 states;
	bool net_admin;
};

/* The lowest cookies of a bucket above a mark, in order. */
struct vtcp_batch {
	struct sock *sk[VTCP_DIAG_BATCH];
	u64 cookie[VTCP_DIAG_BATCH];
	int n;
};

/**
 * vtcp_cookie() - the socket cookie that sock_diag shows for a socket
 * @sk: a full, request or timewait socket
 *
 * sock_gen_cookie() needs __sock_gen_cookie(), which is not exported: the
 * cookie is taken through sock_diag_save_cookie() instead.
 *
 * Context: any context.
 * Return: the cookie, made on first use.
 */
u64 vtcp_cookie(struct sock *sk)
{
	u32 cookie[2];

	sock_diag_save_cookie(sk, cookie);
	return (u64)cookie[1] << 32 | cookie[0];
}

static struct vtcp_dump_pos *dump_pos(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct vtcp_dump_pos) > sizeof(cb->args));
	return (struct vtcp_dump_pos *)cb->args;
}

static int diag_state(const struct sock *sk)
{
	if (sk->sk_state == TCP_TIME_WAIT)
		return READ_ONCE(inet_twsk(sk)->tw_substate);
	return sk->sk_state;
}

static bool wanted(const struct vtcp_dump *d, struct sock *sk)
{
	const struct inet_diag_req_v2 *r = d->req;

	if (!net_eq(sock_net(sk), d->net) ||
	    !(d->states & (1 << diag_state(sk))))
		return false;
	if (r->sdiag_family != AF_UNSPEC && sk->sk_family != r->sdiag_family)
		return false;
	if (r->id.idiag_sport && r->id.idiag_sport != htons(sk->sk_num))
		return false;
	if (r->id.idiag_dport && r->id.idiag_dport != sk->sk_dport)
		return false;
	return inet_diag_bc_sk(d->bc, sk);
}

static void batch_offer(struct vtcp_batch *b, struct sock *sk, u64 cookie)
{
	int i;

	if (b->n < VTCP_DIAG_BATCH)
		i = b->n++;
	else if (cookie < b->cookie[VTCP_DIAG_BATCH - 1])
		i = VTCP_DIAG_BATCH - 1;	/* the highest makes room */
	else
		return;
	for (; i > 0 && b->cookie[i - 1] > cookie; i--) {
		b->sk[i] = b->sk[i - 1];
		b->cookie[i] = b->cookie[i - 1];
	}
	b->sk[i] = sk;
	b->cookie[i] = cookie;
}

/* INET_DIAG_INFO and the timer fields of inet_diag_msg, as TCP's. */
static void vtcp_diag_get_info(struct sock *sk, struct inet_diag_msg *r,
			       void *info)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	static const u8 idiag_timer[VTCP_NR_TK] = {
		[VTCP_TK_SYN] = 1, [VTCP_TK_FIN] = 1, [VTCP_TK_RETRANS] = 1,
		[VTCP_TK_KEEPALIVE] = 2, [VTCP_TK_FIN_WAIT2] = 2,
		[VTCP_TK_TIME_WAIT] = 3, [VTCP_TK_PROBE] = 4,
	};
	struct vtcp_timer_state ts;
	bool slow;

	if (inet_sk_state_load(sk) == TCP_LISTEN) {
		r->idiag_rqueue = READ_ONCE(sk->sk_ack_backlog);
		r->idiag_wqueue = READ_ONCE(sk->sk_max_ack_backlog);
		if (info)
			vtcp_get_info(sk, info);
		return;
	}
	slow = lock_sock_fast(sk);
	r->idiag_rqueue = max_t(int, vsk->rcv_nxt - vsk->copied_seq -
				vsk->fin_rcvd, 0);
	r->idiag_wqueue = 0;	/* the SYN is not data */
	if (!((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)))
		r->idiag_wqueue = vsk->write_seq - vsk->snd_una;
	vtcp_next_timer(sk, &ts);
	if (idiag_timer[ts.kind]) {	/* ss knows no delayed ACK timer */
		r->idiag_timer = idiag_timer[ts.kind];
		r->idiag_retrans = ts.retries;
		r->idiag_expires = ts.expires_ms;
	}
	if (info)
		vtcp_get_info(sk, info);
	unlock_sock_fast(sk, slow);
}

/* inet_diag's own would show the kernel's backstop timer, not our 2MSL. */
static int fill_timewait(struct sock *sk, struct sk_buff *skb,
			 struct netlink_callback *cb,
			 const struct inet_diag_req_v2 *req, u16 flags,
			 bool net_admin)
{
	struct inet_diag_msg *r;
	struct vtcp_timer_state ts;
	struct nlmsghdr *nlh;
	struct nlattr *attr;

	nlh = nlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			cb->nlh->nlmsg_type, sizeof(*r), flags);
	if (!nlh)
		return -EMSGSIZE;
	r = nlmsg_data(nlh);
	inet_diag_msg_common_fill(r, sk);
	vtcp_next_timer(sk, &ts);
	r->idiag_state = diag_state(sk);
	r->idiag_timer = 3;
	r->idiag_retrans = 0;
	r->idiag_expires = ts.expires_ms;
	r->idiag_rqueue = 0;
	r->idiag_wqueue = 0;
	r->idiag_uid = 0;
	r->idiag_inode = 0;
	if (net_admin &&
	    nla_put_u32(skb, INET_DIAG_MARK, inet_twsk(sk)->tw_mark))
		goto cancel;
	if (req->idiag_ext & (1 << (INET_DIAG_INFO - 1))) {
		attr = nla_reserve_64bit(skb, INET_DIAG_INFO,
					 sizeof(struct vtcp_info), INET_DIAG_PAD);
		if (!attr)
			goto cancel;
		vtcp_get_info(sk, nla_data(attr));
	}
	nlmsg_end(skb, nlh);
	return 0;

cancel:
	nlmsg_cancel(skb, nlh);
	return -EMSGSIZE;
}

/*
 * Without CAP_NET_ADMIN, the INET_DIAG_INFO of the message at @nlh tells
 * no sequence number (tcp_info has none): with them, any local user could
 * inject into the connection. Every other field stays.
 */
static void hide_sequence(struct nlmsghdr *nlh)
{
	struct nlattr *attr;
	struct vtcp_info *info;

	attr = nlmsg_find_attr(nlh, sizeof(struct inet_diag_msg),
			       INET_DIAG_INFO);
	if (!attr || nla_len(attr) < sizeof(*info))
		return;
	info = nla_data(attr);
	info->snd_una = 0;
	info->snd_nxt = 0;
	info->rcv_nxt = 0;
}

static int fill(struct sock *sk, struct sk_buff *skb,
		struct netlink_callback *cb, const struct inet_diag_req_v2 *req,
		u16 flags, bool net_admin)
{
	/* Both add it at the tail, complete when they return 0. */
	struct nlmsghdr *nlh = (struct nlmsghdr *)skb_tail_pointer(skb);
	int err;

	if (sk->sk_state == TCP_TIME_WAIT)
		err = fill_timewait(sk, skb, cb, req, flags, net_admin);
	else
		err = inet_sk_diag_fill(sk, inet_csk(sk), skb, cb, req, flags,
					net_admin);
	if (!err && !net_admin)
		hide_sequence(nlh);
	return err;
}

/*
 * Send the wanted sockets of one bucket whose cookies are above *@after,
 * VTCP_DIAG_BATCH at a time, moving *@after along. False when the
 * message is full.
 */
static bool dump_bucket(const struct vtcp_dump *d, struct hlist_nulls_head *head,
			spinlock_t *lock, u64 *after)
{
	struct hlist_nulls_node *node;
	struct vtcp_batch b;
	struct sock *sk;
	int i, err = 0;

	do {
		b.n = 0;
		spin_lock_bh(lock);
		sk_nulls_for_each(sk, node, head) {
			u64 cookie;

			if (!wanted(d, sk))
				continue;
			cookie = vtcp_cookie(sk);
			if (cookie > *after)
				batch_offer(&b, sk, cookie);
		}
		for (i = 0; i < b.n; i++)
			if (!refcount_inc_not_zero(&b.sk[i]->sk_refcnt))
				b.sk[i] = NULL;		/* on its way out */
		spin_unlock_bh(lock);

		for (i = 0; i < b.n; i++) {
			if (b.sk[i]) {
				if (!err)
					err = fill(b.sk[i], d->skb, d->cb, d->req,
						   NLM_F_MULTI, d->net_admin);
				sock_gen_put(b.sk[i]);
			}
			if (!err)
				*after = b.cookie[i];
		}
		cond_resched();
	} while (!err && b.n == VTCP_DIAG_BATCH);
	return !err;
}

static bool dump_listeners(const struct vtcp_dump *d, struct vtcp_dump_pos *pos)
{
	struct inet_hashinfo *h = &vtcp_hashinfo;
	struct inet_listen_hashbucket *ilb;

	for (; pos->bucket <= h->lhash2_mask; pos->bucket++, pos->after = 0) {
		ilb = &h->lhash2[pos->bucket];
		if (hlist_nulls_empty(&ilb->nulls_head))
			continue;
		if (!dump_bucket(d, &ilb->nulls_head, &ilb->lock, &pos->after))
			return false;
	}
	return true;
}

static bool dump_established(const struct vtcp_dump *d,
			     struct vtcp_dump_pos *pos)
{
	struct inet_hashinfo *h = &vtcp_hashinfo;
	struct inet_ehash_bucket *head;

	for (; pos->bucket <= h->ehash_mask; pos->bucket++, pos->after = 0) {
		head = &h->ehash[pos->bucket];
		if (hlist_nulls_empty(&head->chain))
			continue;
		if (!dump_bucket(d, &head->chain,
				 inet_ehash_lockp(h, pos->bucket), &pos->after))
			return false;
	}
	return true;
}

static void vtcp_diag_dump(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct inet_diag_req_v2 *req)
{
	struct inet_diag_dump_data *data = cb->data;
	struct vtcp_dump_pos *pos = dump_pos(cb);
	struct vtcp_dump d = {
		.skb = skb,
		.cb = cb,
		.req = req,
		.bc = data->inet_diag_nla_bc,
		.net = sock_net(skb->sk),
		.states = req->idiag_states,
		.net_admin = netlink_net_capable(cb->skb, CAP_NET_ADMIN),
	};

	if (d.states & TCPF_NEW_SYN_RECV)
		d.states |= TCPF_SYN_RECV;	/* our children are full sockets */
	if (pos->phase == PHASE_LISTEN) {
		if ((d.states & TCPF_LISTEN) && !req->id.idiag_dport &&
		    !dump_listeners(&d, pos))
			return;
		pos->phase = PHASE_ESTABLISHED;
		pos->bucket = 0;
		pos->after = 0;
	}
	if (pos->phase == PHASE_ESTABLISHED) {
		if ((d.states & ~TCPF_LISTEN) && !dump_established(&d, pos))
			return;
		pos->phase = PHASE_DONE;
	}
}

static size_t vtcp_diag_msg_size(void)
{
	return NLMSG_ALIGN(sizeof(struct inet_diag_msg)) +
	       inet_diag_msg_attrs_size() +
	       nla_total_size(sizeof(struct inet_diag_meminfo)) +
	       nla_total_size(SK_MEMINFO_VARS * sizeof(u32)) +
	       nla_total_size_64bit(sizeof(struct vtcp_info)) +
	       64;
}

static int vtcp_diag_dump_one(struct netlink_callback *cb,
			      const struct inet_diag_req_v2 *req)
{
	struct sk_buff *in_skb = cb->skb;
	struct net *net = sock_net(in_skb->sk);
	struct sk_buff *rep;
	struct sock *sk;
	int err;

	sk = inet_diag_find_one_icsk(net, &vtcp_hashinfo, req);
	if (IS_ERR(sk))
		return PTR_ERR(sk);
	rep = nlmsg_new(vtcp_diag_msg_size(), GFP_KERNEL);
	if (!rep) {
		err = -ENOMEM;
		goto out;
	}
	err = fill(sk, rep, cb, req, 0,
		   netlink_net_capable(in_skb, CAP_NET_ADMIN));
	if (err) {
		nlmsg_free(rep);
		goto out;
	}
	err = nlmsg_unicast(net->diag_nlsk, rep, NETLINK_CB(in_skb).portid);
out:
	sock_gen_put(sk);
	return err;
}

/* SOCK_DESTROY: sock_diag_destroy() checks CAP_NET_ADMIN, then vtcp_abort(). */
static int vtcp_diag_destroy(struct sk_buff *in_skb,
			     const struct inet_diag_req_v2 *req)
{
	struct net *net = sock_net(in_skb->sk);
	struct sock *sk;
	int err;

	sk = inet_diag_find_one_icsk(net, &vtcp_hashinfo, req);
	if (IS_ERR(sk))
		return PTR_ERR(sk);
	err = sock_diag_destroy(sk, ECONNABORTED);
	sock_gen_put(sk);
	return err;
}

static void abort_timewait(struct sock *sk)
{
	local_bh_disable();
	vtcp_tw_fsm(vtcp_twsk(inet_twsk(sk)), VTCP_EV_ABORT, NULL);
	local_bh_enable();
}

/**
 * vtcp_abort() - end a connection for SOCK_DESTROY (proto->diag_destroy)
 * @sk: the socket: full, listening or timewait; its caller holds a reference
 * @err: the positive errno its user is told
 *
 * Ends the connection as an abortive close does (an RST where the state wants
 * one), telling its user @err, as tcp_abort(). Orphans go too. A listener is
 * stopped owned but not spinlocked: it locks its children.
 *
 * Context: process context; takes the socket lock.
 * Return: 0.
 */
int vtcp_abort(struct sock *sk, int err)
{
	bool aborted = false;

	if (sk->sk_state == TCP_TIME_WAIT) {
		abort_timewait(sk);
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_DIAG_DESTROYED);
		return 0;
	}
	lock_sock(sk);
	if (sk->sk_state != TCP_CLOSE && !sock_flag(sk, SOCK_DEAD))
		WRITE_ONCE(sk->sk_err, err);
	if (sk->sk_state == TCP_LISTEN) {
		aborted = !vtcp_fsm(sk, VTCP_EV_ABORT, NULL);
	} else {
		local_bh_disable();
		bh_lock_sock(sk);
		if (sk->sk_state != TCP_CLOSE)
			aborted = !vtcp_fsm(sk, VTCP_EV_ABORT, NULL);
		bh_unlock_sock(sk);
		local_bh_enable();
	}
	if (aborted) {
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_DIAG_DESTROYED);
		if (!sock_flag(sk, SOCK_DEAD))
			sk_error_report(sk);
	}
	release_sock(sk);
	return 0;
}

static struct inet_diag_handler vtcp_diag_handler = {
#if VTCP_HAVE_DIAG_HANDLER_OWNER
	.owner		 = THIS_MODULE,
#endif
	.dump		 = vtcp_diag_dump,
	.dump_one	 = vtcp_diag_dump_one,
	.idiag_get_info	 = vtcp_diag_get_info,
	.destroy	 = vtcp_diag_destroy,
	.idiag_info_size = sizeof(struct vtcp_info),
};

/**
 * vtcp_diag_init() - register the sock_diag handler for our protocol number
 *
 * Context: process context, at module load.
 * Return: 0, or the negative errno of inet_diag_register().
 */
int vtcp_diag_init(void)
{
	vtcp_diag_handler.idiag_type = vtcp_protocol;
	return inet_diag_register(&vtcp_diag_handler);
}

/**
 * vtcp_diag_exit() - unregister the sock_diag handler
 *
 * Context: process context, at module unload.
 */
void vtcp_diag_exit(void)
{
	inet_diag_unregister(&vtcp_diag_handler);
}

/* inet_diag asks for net-pf-16-proto-4-type-2-<protocol> when it has none. */
MODULE_ALIAS("net-pf-" __stringify(PF_NETLINK) "-proto-"
	     __stringify(NETLINK_SOCK_DIAG) "-type-" __stringify(AF_INET) "-"
	     __stringify(IPPROTO_VTCP));
MODULE_ALIAS("net-pf-" __stringify(PF_NETLINK) "-proto-"
	     __stringify(NETLINK_SOCK_DIAG) "-type-" __stringify(AF_INET6) "-"
	     __stringify(IPPROTO_VTCP));
