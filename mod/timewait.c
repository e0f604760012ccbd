// SPDX-License-Identifier: GPL-2.0
/*
 * TIME-WAIT: the 4-tuple is held for 2MSL by a small timewait socket
 * (the kernel's inet_timewait_sock plus our sequence numbers), not by the
 * full socket, which is freed at once.
 *
 * Lifetime. The kernel's timewait code owns the references (ehash, bind
 * hash, and its own timer_list, which it insists on arming: we arm it as
 * a late backstop and move it along with ours). Our 2MSL clock is a
 * pinned soft hrtimer that owns no reference: it is started before the
 * timewait socket is published, and the destructor cancels it, so it can
 * never fire on freed memory. Its callback takes a reference before it
 * does anything; when its own put frees the socket, the destructor must
 * not wait for the callback it is running in, hence vtcp_tw_firing.
 */
#include <net/inet_timewait_sock.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "compat.h"
#include "wire.h"

static DEFINE_PER_CPU(struct vtcp_tw_sock *, vtcp_tw_firing);

static u64 two_msl_ns(const struct net *net)
{
	return 2 * (u64)vtcp_sysctl(net, msl_ms) * NSEC_PER_MSEC;
}

/* The kernel's timer, well after ours: it only matters if ours is lost. */
static int backstop_jiffies(const struct net *net)
{
	return msecs_to_jiffies(4 * vtcp_sysctl(net, msl_ms)) + HZ;
}

static void publish(struct inet_timewait_sock *tw, struct sock *sk)
{
	int timeo = backstop_jiffies(sock_net(sk));

#if VTCP_HAVE_HASHDANCE_SCHEDULE
	inet_twsk_hashdance_schedule(tw, sk, &vtcp_hashinfo, timeo);
#else
	inet_twsk_schedule(tw, timeo);
	inet_twsk_hashdance(tw, sk, &vtcp_hashinfo);
#endif
}

static enum hrtimer_restart tw_timer_fired(struct hrtimer *h)
{
	struct vtcp_tw_sock *vtw = container_of(h, struct vtcp_tw_sock, timer);
	struct inet_timewait_sock *tw = &vtw->tw;

	if (!refcount_inc_not_zero(&tw->tw_refcnt))
		return HRTIMER_NORESTART;	/* being freed: it waits for us */
	this_cpu_write(vtcp_tw_firing, vtw);
	VTCP_INC_STATS(twsk_net(tw), VTCP_MIB_TW_EXPIRED);
	vtcp_event_timer((struct sock *)tw, 0);
	vtcp_fsm((struct sock *)tw, VTCP_EV_2MSL, NULL);
	inet_twsk_put(tw);
	this_cpu_write(vtcp_tw_firing, NULL);
	return HRTIMER_NORESTART;
}

static void vtcp_tw_destructor(struct sock *sk)
{
	struct vtcp_tw_sock *vtw = vtcp_tw_sk(sk);

	if (this_cpu_read(vtcp_tw_firing) != vtw)
		hrtimer_cancel(&vtw->timer);
	module_put(THIS_MODULE);
}

struct timewait_sock_ops vtcp_timewait_sock_ops = {
	.twsk_obj_size		= sizeof(struct vtcp_tw_sock),
	.twsk_destructor	= vtcp_tw_destructor,
};

/* Move @sk's connection into a timewait socket, then finish @sk. */
void vtcp_enter_timewait(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct net *net = sock_net(sk);
	struct inet_timewait_sock *tw;
	struct vtcp_tw_sock *vtw;

	tw = inet_twsk_alloc(sk, &vtcp_pernet(net)->tw_row, TCP_TIME_WAIT);
	if (tw) {
		vtw = vtcp_tw_sk((struct sock *)tw);
		vtw->snd_nxt = vsk->snd_nxt;
		vtw->rcv_nxt = vsk->rcv_nxt;
		vtw->rcv_wnd = vsk->rcv_wnd;
		hrtimer_init(&vtw->timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED_SOFT);
		vtw->timer.function = tw_timer_fired;
		__module_get(THIS_MODULE);
		VTCP_INC_STATS(net, VTCP_MIB_TW_CREATED);

		/* Our CPU cannot run the timer before it is published. */
		local_bh_disable();
		hrtimer_start(&vtw->timer, ns_to_ktime(two_msl_ns(net)),
			      HRTIMER_MODE_REL_PINNED_SOFT);
		publish(tw, sk);
		local_bh_enable();
	} else {
		vtcp_event_state(sk, TCP_TIME_WAIT, TCP_CLOSE, VTCP_NR_EVENTS);
	}
	vtcp_done(sk);
}

static void send_ack(struct inet_timewait_sock *tw, struct sk_buff *skb)
{
	struct vtcp_tw_sock *vtw = vtcp_tw_sk((struct sock *)tw);

	vtcp_send_reply(twsk_net(tw), skb, TCPHDR_ACK, vtw->snd_nxt,
			vtw->rcv_nxt, vtw->rcv_wnd);
}

/* FSM actions of the TIME-WAIT row; @sk is the timewait socket. */
int vtcp_tw_ack(struct sock *sk, struct sk_buff *skb)
{
	send_ack(inet_twsk(sk), skb);
	return 0;
}

/* A retransmitted FIN: our ACK was lost. ACK again, restart 2MSL. */
int vtcp_tw_reack(struct sock *sk, struct sk_buff *skb)
{
	struct inet_timewait_sock *tw = inet_twsk(sk);
	struct vtcp_tw_sock *vtw = vtcp_tw_sk(sk);

	send_ack(tw, skb);
	if (hrtimer_try_to_cancel(&vtw->timer) == 1) {
		hrtimer_start(&vtw->timer, ns_to_ktime(two_msl_ns(twsk_net(tw))),
			      HRTIMER_MODE_REL_PINNED_SOFT);
		inet_twsk_reschedule(tw, backstop_jiffies(twsk_net(tw)));
		VTCP_INC_STATS(twsk_net(tw), VTCP_MIB_TW_RESTARTED);
	}
	return 0;
}

/* Unhash and release; the caller keeps (and later drops) its reference. */
int vtcp_tw_kill(struct sock *sk, struct sk_buff *skb)
{
	struct inet_timewait_sock *tw = inet_twsk(sk);

	hrtimer_try_to_cancel(&vtcp_tw_sk(sk)->timer);
	refcount_inc(&tw->tw_refcnt);
	inet_twsk_deschedule_put(tw);
	return 0;
}

/* A segment for a TIME-WAIT 4-tuple. Consumes the lookup reference. */
void vtcp_tw_rcv(struct inet_timewait_sock *tw, struct sk_buff *skb)
{
	struct vtcp_tw_sock *vtw = vtcp_tw_sk((struct sock *)tw);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	const struct tcphdr *th = vtcp_hdr(skb);
	struct sock *sk = (struct sock *)tw;

	vtcp_event_seg_in(sk, skb);
	if (th->rst) {		/* RFC 1337: no TIME-WAIT assassination */
		VTCP_INC_STATS(twsk_net(tw), VTCP_MIB_TW_RST_IGNORED);
		goto out;
	}
	if (th->syn)
		vtcp_fsm(sk, VTCP_EV_SYN, skb);
	else if (th->fin && cb->end_seq == vtw->rcv_nxt)
		vtcp_fsm(sk, VTCP_EV_FIN, skb);
	else if (cb->end_seq != cb->seq)
		vtcp_tw_ack(sk, skb);	/* old data: tell them where we are */
out:
	inet_twsk_put(tw);
	consume_skb(skb);
}

/* Namespace exit: no timewait socket may outlive its namespace. */
void vtcp_tw_purge(struct net *net)
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
			vtcp_tw_kill(sk, NULL);
			local_bh_enable();
			inet_twsk_put(inet_twsk(sk));
			goto restart;
		}
		rcu_read_unlock();
		cond_resched();
	}
	synchronize_net();	/* callbacks still running finish first */
}
