// SPDX-License-Identifier: GPL-2.0
/*
 * TIME-WAIT: the 4-tuple is held for 2MSL by a small timewait socket
 * (the kernel's inet_timewait_sock plus our sequence numbers), not by the
 * full socket, which is freed at once.
 *
 * The 2MSL clock. Every timewait socket of a namespace waits on one
 * queue in the order it will expire (a restart moves it to the end, as
 * 2MSL is the same for all until msl_ms changes), and one soft hrtimer
 * per namespace fires for the first. A socket costs a list node and an expiry instead of a timer of
 * its own, which keeps it no larger than TCP's.
 *
 * Lifetime. The kernel's timewait code owns the references (ehash, bind
 * hash, and its own timer_list, which it insists on arming: we arm it as
 * a late backstop and move it along with ours). The queue owns none: the
 * destructor takes a dying socket off it, and the hrtimer takes a
 * reference, under the queue's lock, before it acts on one. A socket is
 * queued before it is hashed, under that lock, and never touched by its
 * creator once hashed: a SYN or a SOCK_DESTROY on another CPU may end it
 * at once.
 */
#include <net/inet_timewait_sock.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "compat.h"
#include "fsm.h"
#include "hash.h"
#include "ipv6.h"
#include "netlink.h"
#include "output.h"
#include "ratelimit.h"
#include "socket.h"
#include "timewait.h"
#include "trace.h"
#include "wire.h"

/* Milliseconds, wrapping: enough for expiries at most hours away. */
static u32 vtcp_tw_clock(void)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_MSEC);
}

static u32 two_msl_ms(const struct net *net)
{
	return 2 * (u32)vtcp_sysctl(net, msl_ms);
}

/* The kernel's timer, well after ours: it only matters if ours is lost. */
static int backstop_jiffies(const struct net *net)
{
	return msecs_to_jiffies(4 * vtcp_sysctl(net, msl_ms)) + HZ;
}

static struct vtcp_net *twsk_vtcp_net(const struct inet_timewait_sock *tw)
{
	return vtcp_pernet(twsk_net(tw));
}

/* Wake the namespace's timer for the oldest socket; under tw_lock. */
static void arm_for_oldest(struct vtcp_net *vn)
{
	struct vtcp_tw_sock *oldest;
	s32 wait;

	oldest = list_first_entry_or_null(&vn->tw_queue, struct vtcp_tw_sock,
					  queue);
	if (!oldest)
		return;
	wait = max_t(s32, oldest->expires_ms - vtcp_tw_clock(), 0);
	hrtimer_start(&vn->tw_timer, ms_to_ktime(wait), HRTIMER_MODE_REL_SOFT);
}

/*
 * Queue @vtw to expire 2MSL from now: at the end, unless msl_ms was made
 * shorter since the last ones came (then it walks back past them). Under
 * vn->tw_lock.
 */
static void queue_locked(struct vtcp_net *vn, struct vtcp_tw_sock *vtw)
{
	struct list_head *pos = &vn->tw_queue;
	struct vtcp_tw_sock *it;

	list_del(&vtw->queue);
	vtw->expires_ms = vtcp_tw_clock() + two_msl_ms(twsk_net(&vtw->tw));
	list_for_each_entry_reverse(it, &vn->tw_queue, queue) {
		if ((s32)(it->expires_ms - vtw->expires_ms) <= 0) {
			pos = &it->queue;
			break;
		}
	}
	list_add(&vtw->queue, pos);
	if (vn->tw_queue.next == &vtw->queue)
		arm_for_oldest(vn);
}

static void queue_for_2msl(struct vtcp_tw_sock *vtw)
{
	struct vtcp_net *vn = twsk_vtcp_net(&vtw->tw);

	spin_lock_bh(&vn->tw_lock);
	queue_locked(vn, vtw);
	spin_unlock_bh(&vn->tw_lock);
}

static void dequeue(struct vtcp_tw_sock *vtw)
{
	struct vtcp_net *vn = twsk_vtcp_net(&vtw->tw);

	spin_lock_bh(&vn->tw_lock);
	list_del_init(&vtw->queue);
	spin_unlock_bh(&vn->tw_lock);
}

/* The oldest socket whose 2MSL is over, held and dequeued, or NULL. */
static struct vtcp_tw_sock *take_expired(struct vtcp_net *vn)
{
	struct vtcp_tw_sock *vtw;

	spin_lock_bh(&vn->tw_lock);
	while ((vtw = list_first_entry_or_null(&vn->tw_queue,
					       struct vtcp_tw_sock, queue))) {
		if ((s32)(vtw->expires_ms - vtcp_tw_clock()) > 0) {
			arm_for_oldest(vn);
			vtw = NULL;
			break;
		}
		list_del_init(&vtw->queue);
		if (refcount_inc_not_zero(&vtw->tw.tw_refcnt))
			break;		/* else it is being freed */
	}
	spin_unlock_bh(&vn->tw_lock);
	return vtw;
}

static enum hrtimer_restart tw_timer_fired(struct hrtimer *h)
{
	struct vtcp_net *vn = container_of(h, struct vtcp_net, tw_timer);
	struct vtcp_tw_sock *vtw;

	while ((vtw = take_expired(vn))) {
		VTCP_INC_STATS(twsk_net(&vtw->tw), VTCP_MIB_TW_EXPIRED);
		trace_vtcp_timer((struct sock *)&vtw->tw, 0);
		vtcp_event_timer((struct sock *)&vtw->tw, 0);
		vtcp_tw_fsm(vtw, VTCP_EV_2MSL, NULL);
		inet_twsk_put(&vtw->tw);
	}
	return HRTIMER_NORESTART;
}

static void vtcp_tw_destructor(struct sock *sk)
{
	dequeue(vtcp_tw_sk(sk));
	module_put(THIS_MODULE);
}

struct timewait_sock_ops vtcp_timewait_sock_ops = {
	.twsk_obj_size		= sizeof(struct vtcp_tw_sock),
	.twsk_destructor	= vtcp_tw_destructor,
};

/* AF_INET6's: the same, in a slab of its own (proto_register() makes it). */
struct timewait_sock_ops vtcp6_timewait_sock_ops = {
	.twsk_obj_size		= sizeof(struct vtcp_tw_sock),
	.twsk_destructor	= vtcp_tw_destructor,
};

/*
 * Hash @tw in @sk's place, queued for 2MSL first: once hashed, it is
 * public (the hashdance sets its references) and may be freed at once. The
 * queue's lock keeps our timer and the destructor off it until then.
 */
static void publish(struct inet_timewait_sock *tw, struct sock *sk)
{
	struct vtcp_net *vn = twsk_vtcp_net(tw);
	int timeo = backstop_jiffies(sock_net(sk));

	spin_lock_bh(&vn->tw_lock);
	queue_locked(vn, vtcp_twsk(tw));
#if VTCP_HAVE_HASHDANCE_SCHEDULE
	inet_twsk_hashdance_schedule(tw, sk, &vtcp_hashinfo, timeo);
#else
	inet_twsk_schedule(tw, timeo);
	inet_twsk_hashdance(tw, sk, &vtcp_hashinfo);
#endif
	spin_unlock_bh(&vn->tw_lock);
}

/* The window field of TIME-WAIT's ACKs: what is left of the last offer. */
static u16 window_left(const struct vtcp_sock *vsk)
{
	s32 left = vsk->rcv_wup + vsk->rcv_wnd - vsk->rcv_nxt;

	return max(left, 0) >> vsk->rcv_wscale;
}

/**
 * vtcp_enter_timewait() - move a connection into TIME-WAIT
 * @sk: the socket: its connection (4-tuple and port) goes to a timewait
 * socket; vtcp_fsm() then closes @sk
 *
 * If no timewait socket can be allocated, the connection just ends.
 *
 * Context: @sk locked.
 */
void vtcp_enter_timewait(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct net *net = sock_net(sk);
	struct inet_timewait_sock *tw;
	struct vtcp_tw_sock *vtw;

	tw = inet_twsk_alloc(sk, &vtcp_pernet(net)->tw_row, TCP_TIME_WAIT);
	if (tw) {
		vtw = vtcp_twsk(tw);
		vtw->vtw_snd_nxt = vsk->snd_nxt;
		vtw->vtw_rcv_nxt = vsk->rcv_nxt;
		vtw->window = window_left(vsk);
		tw->tw_rcv_wscale = vsk->rcv_wscale;
		vtw->ts_recent = vsk->ts_recent;
		vtw->had_ts = !!(vsk->opts & VTCP_OPT_TIMESTAMPS);
		vtw->last_oow_ack = 0;
#if IS_ENABLED(CONFIG_IPV6)
		if (tw->tw_family == AF_INET6) {
			tw->tw_v6_daddr = sk->sk_v6_daddr;
			tw->tw_v6_rcv_saddr = sk->sk_v6_rcv_saddr;
			tw->tw_ipv6only = sk->sk_ipv6only;
		}
#endif
		INIT_LIST_HEAD(&vtw->queue);
		__module_get(THIS_MODULE);
		VTCP_INC_STATS(net, VTCP_MIB_TW_CREATED);
		publish(tw, sk);		/* and forget it */
	} else {
		/* TIME-WAIT, as reported, is over at once: no socket holds it. */
		vtcp_event_state(sk, TCP_TIME_WAIT, TCP_CLOSE, VTCP_NR_EVENTS);
	}
}

/**
 * vtcp_tw_remaining_ms() - how long a timewait socket has left
 * @tw: the timewait socket
 *
 * Context: any context; a racy read.
 * Return: milliseconds, 0 if its time is up.
 */
u32 vtcp_tw_remaining_ms(const struct inet_timewait_sock *tw)
{
	s32 left = vtcp_tw_sk((const struct sock *)tw)->expires_ms -
		   vtcp_tw_clock();

	return max(left, 0);
}

static void send_ack(struct vtcp_tw_sock *vtw, struct sk_buff *skb)
{
	vtcp_send_reply(twsk_net(&vtw->tw), skb, TCPHDR_ACK, vtw->vtw_snd_nxt,
			vtw->vtw_rcv_nxt, vtw->window);
}

/**
 * vtcp_tw_ack() - TIME-WAIT x segment: ACK it, rate limited
 * @vtw: the timewait socket
 * @skb: the segment
 *
 * An action of TIME-WAIT's table (fsm.c), and the answer to old data.
 *
 * Context: softirq.
 * Return: 0.
 */
int vtcp_tw_ack(struct vtcp_tw_sock *vtw, struct sk_buff *skb)
{
	if (!vtcp_oow_rate_limited(twsk_net(&vtw->tw), skb,
				   VTCP_MIB_ACK_SKIPPED_TIME_WAIT,
				   &vtw->last_oow_ack))
		send_ack(vtw, skb);
	return 0;
}

/**
 * vtcp_tw_reack() - TIME-WAIT x FIN: our ACK was lost
 * @vtw: the timewait socket
 * @skb: the retransmitted FIN
 *
 * ACK again, and restart 2MSL.
 *
 * Context: softirq.
 * Return: 0.
 */
int vtcp_tw_reack(struct vtcp_tw_sock *vtw, struct sk_buff *skb)
{
	struct inet_timewait_sock *tw = &vtw->tw;

	send_ack(vtw, skb);
	queue_for_2msl(vtw);
	inet_twsk_reschedule(tw, backstop_jiffies(twsk_net(tw)));
	VTCP_INC_STATS(twsk_net(tw), VTCP_MIB_TW_RESTARTED);
	return 0;
}

/**
 * vtcp_tw_kill() - end a TIME-WAIT entry now
 * @vtw: the timewait socket
 * @skb: the segment that ended it, or NULL
 *
 * Unhashes and releases it; the caller keeps (and later drops) its reference.
 *
 * Context: softirq, or process context (SOCK_DESTROY).
 * Return: 0.
 */
int vtcp_tw_kill(struct vtcp_tw_sock *vtw, struct sk_buff *skb)
{
	dequeue(vtw);
	refcount_inc(&vtw->tw.tw_refcnt);
	inet_twsk_deschedule_put(&vtw->tw);
	return 0;
}

/*
 * A new SYN ends TIME-WAIT early (RFC 6191). The entry exists so that old
 * duplicates die, and a SYN that shows it is newer than anything the old
 * connection sent cannot be one: a later timestamp, if the connection had
 * them, else a sequence number past the old one's.
 */
static bool syn_is_newer(const struct vtcp_tw_sock *vtw,
			 const struct vtcp_skb_cb *cb)
{
	if (cb->flags & (TCPHDR_ACK | TCPHDR_RST | TCPHDR_FIN))
		return false;
	if (vtw->had_ts && cb->has_ts && cb->tsval != vtw->ts_recent)
		return (s32)(cb->tsval - vtw->ts_recent) > 0;
	return seq_after(cb->seq, vtw->vtw_rcv_nxt);
}

/* @sdif: inet_sdif() of @skb, read before our control block hid IP's. */
static struct sock *listener_for(struct sk_buff *skb, int sdif)
{
	const struct tcphdr *th = vtcp_hdr(skb);

	if (vtcp_skb_is_v6(skb))
		return vtcp6_lookup_listener(skb, sdif);
	return inet_lookup_listener(dev_net(skb->dev), &vtcp_hashinfo, skb,
				    vtcp_hdr_len(th), ip_hdr(skb)->saddr,
				    th->source, ip_hdr(skb)->daddr, th->dest,
				    inet_iif(skb), sdif);
}

/*
 * Our ISN for the old connection's successor: a window past everything
 * the old one sent, so that none of its duplicates fits the new window.
 * (0 would mean "none": then the usual hash decides.)
 */
static u32 successor_isn(const struct vtcp_tw_sock *vtw)
{
	return vtw->vtw_snd_nxt + BIT(16);
}

/**
 * vtcp_tw_reopen() - TIME-WAIT x new SYN: make way for it
 * @vtw: the timewait socket
 * @skb: the SYN, newer than the old connection (see syn_is_newer())
 *
 * Context: softirq.
 * Return: 0.
 */
int vtcp_tw_reopen(struct vtcp_tw_sock *vtw, struct sk_buff *skb)
{
	VTCP_INC_STATS(twsk_net(&vtw->tw), VTCP_MIB_TW_REOPENED);
	return vtcp_tw_kill(vtw, skb);
}

/**
 * vtcp_tw_rcv() - a segment for a TIME-WAIT 4-tuple
 * @tw: the timewait socket the lookup found, with a reference
 * @skb: the segment
 * @sdif: the VRF slave it came in on, or 0
 *
 * Consumes the lookup reference, and the segment unless it is a SYN that ends
 * TIME-WAIT.
 *
 * Context: softirq.
 * Return: the listener that is to take that SYN (under RCU, not held), or
 * NULL.
 */
struct sock *vtcp_tw_rcv(struct inet_timewait_sock *tw, struct sk_buff *skb,
			 int sdif)
{
	struct vtcp_tw_sock *vtw = vtcp_twsk(tw);
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	const struct tcphdr *th = vtcp_hdr(skb);
	struct sock *listener = NULL;

	vtcp_event_seg_in((struct sock *)tw, skb);
	if (th->rst) {		/* RFC 1337: no TIME-WAIT assassination */
		VTCP_INC_STATS(twsk_net(tw), VTCP_MIB_TW_RST_IGNORED);
		vtcp_drop((struct sock *)tw, skb, VTCP_DROP_TIME_WAIT_RST);
		inet_twsk_put(tw);
		return NULL;
	}
	if (th->syn && syn_is_newer(vtw, cb))
		listener = listener_for(skb, sdif);
	if (listener) {
		cb->tw_isn = successor_isn(vtw);
		vtcp_tw_fsm(vtw, VTCP_EV_NEW_SYN, skb);
	} else if (th->syn) {
		vtcp_tw_fsm(vtw, VTCP_EV_SYN, skb);
	} else if (th->fin && cb->end_seq == vtw->vtw_rcv_nxt) {
		vtcp_tw_fsm(vtw, VTCP_EV_FIN, skb);
	} else if (cb->end_seq != cb->seq) {
		vtcp_tw_ack(vtw, skb);	/* old data: tell them where we are */
	}
	inet_twsk_put(tw);
	if (!listener)
		consume_skb(skb);
	return listener;
}

/* Namespace exit: no timewait socket may outlive its namespace. */
static void vtcp_tw_purge(struct net *net)
{
	struct inet_hashinfo *h = &vtcp_hashinfo;
	struct hlist_nulls_node *node;
	unsigned int slot;
	struct sock *sk;

	for (slot = 0; slot <= h->ehash_mask; slot++) {
		if (hlist_nulls_empty(&h->ehash[slot].chain))
			continue;
restart:
		rcu_read_lock();
		sk_nulls_for_each_rcu(sk, node, &h->ehash[slot].chain) {
			if (sk->sk_state != TCP_TIME_WAIT ||
			    !net_eq(sock_net(sk), net) ||
			    !refcount_inc_not_zero(&sk->sk_refcnt))
				continue;
			rcu_read_unlock();
			if (sk->sk_state != TCP_TIME_WAIT ||
			    !net_eq(sock_net(sk), net)) {	/* reused meanwhile */
				sock_gen_put(sk);
				goto restart;
			}
			local_bh_disable();
			vtcp_tw_fsm(vtcp_twsk(inet_twsk(sk)), VTCP_EV_ABORT, NULL);
			local_bh_enable();
			inet_twsk_put(inet_twsk(sk));
			goto restart;
		}
		rcu_read_unlock();
		cond_resched();
	}
	synchronize_net();	/* callbacks still running finish first */
}

/**
 * vtcp_tw_net_init() - set up a namespace's 2MSL queue and timer
 * @net: the namespace
 *
 * Context: process context, as the namespace is set up.
 */
void vtcp_tw_net_init(struct net *net)
{
	struct vtcp_net *vn = vtcp_pernet(net);

	INIT_LIST_HEAD(&vn->tw_queue);
	spin_lock_init(&vn->tw_lock);
	hrtimer_init(&vn->tw_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	vn->tw_timer.function = tw_timer_fired;
}

/**
 * vtcp_tw_net_exit() - end a namespace's TIME-WAIT entries
 * @net: the namespace
 *
 * Context: process context, as the namespace is dismantled.
 */
void vtcp_tw_net_exit(struct net *net)
{
	struct vtcp_net *vn = vtcp_pernet(net);

	vtcp_tw_purge(net);
	hrtimer_cancel(&vn->tw_timer);
	WARN_ON_ONCE(!list_empty(&vn->tw_queue));
}
