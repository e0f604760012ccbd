// SPDX-License-Identifier: GPL-2.0
/*
 * Per-socket timers: soft hrtimers, so their callbacks run in softirq
 * like segment processing, and RTO estimation (RFC 6298).
 *
 * Every queued timer holds a reference on its socket, taken when armed
 * and given back when it fires or is cancelled, so no socket is freed with
 * a timer pending. A callback that finds the socket owned by a user
 * context leaves a bit in ->deferred; release_sock() runs it for us
 * (vtcp_release_cb()), as TCP does with its tsq flags.
 *
 * The timers are lazy. Data sent arms the retransmission timer and the
 * ACK of it all stops it; data received arms the delayed ACK and the
 * answer stops it: four hrtimer operations per request/response
 * transaction if each were one. So a timer's deadline lives in
 * ->timer_due_ns, and the hrtimer only bounds it from below: a stop
 * forgets the deadline and leaves the hrtimer to fire for nothing, and a
 * later deadline leaves it where it is, to fire early and move on
 * (run_timer()). Only a sooner deadline moves it, and only
 * vtcp_stop_timer() cancels it (the socket's end, keepalive turned off).
 * TCP's timer_list timers do much the same.
 */
#include <linux/ktime.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "fsm.h"
#include "netlink.h"
#include "output.h"
#include "pmtu.h"
#include "recovery.h"
#include "request.h"
#include "rtx.h"
#include "stats.h"
#include "timers.h"
#include "trace.h"

#define NSEC_PER_MSEC_U64 ((u64)NSEC_PER_MSEC)

/* Timeouts of one data segment before mtu_probing suspects a black hole. */
#define VTCP_BLACK_HOLE_RTOS	3

static u64 ms_to_ns(int ms)
{
	return (u64)ms * NSEC_PER_MSEC_U64;
}

static unsigned int retries_allowed(struct sock *sk, const struct sk_buff *skb)
{
	struct net *net = sock_net(sk);
	u8 flags = VTCP_SKB_CB(skb)->flags;

	if (flags & TCPHDR_SYN)
		return vtcp_sk(sk)->req ? vtcp_child_synack_retries(sk) :
					  vtcp_sysctl(net, syn_retries);
	if (flags & TCPHDR_FIN)
		return vtcp_sysctl(net, fin_retries);
	return vtcp_sysctl(net, data_retries);
}

/*
 * TCP_USER_TIMEOUT: how long data may wait for its ACK, from when the
 * head first went (TCP's retrans_stamp); SYNs keep their retries.
 */
static u64 user_timeout_ns(const struct sock *sk, const struct sk_buff *head)
{
	if (VTCP_SKB_CB(head)->flags & TCPHDR_SYN)
		return 0;
	return ms_to_ns(READ_ONCE(vtcp_sk(sk)->user_timeout_ms));
}

/* Is the head's time, or are its retries, used up? */
static bool head_expired(struct sock *sk, const struct sk_buff *head)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u64 limit = user_timeout_ns(sk, head);

	if (!vsk->retries)
		vsk->rtx_start_ns = VTCP_SKB_CB(head)->sent_ns;
	if (!limit)
		return vsk->retries >= retries_allowed(sk, head);
	return vsk->retries &&
	       ktime_get_ns() - vsk->rtx_start_ns >= limit;
}

/*
 * A timeout that resends nothing (TCP_DEFER_ACCEPT's, request.c): it
 * counts, and the next one backs off, as if it had.
 */
static void quiet_timeout(struct sock *sk)
{
	vtcp_sk(sk)->retries++;
	vtcp_arm_rtx(sk);
}

/* The head of the write queue timed out: resend it, or give up. */
static void rtx_timeout(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *head = vtcp_rtx_head(sk);
	u8 mode;

	trace_vtcp_timer(sk, VTCP_TIMER_RTX);
	vtcp_event_timer(sk, VTCP_TIMER_RTX);
	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		return;
	mode = vsk->rtx_mode;
	vsk->rtx_mode = VTCP_RTX_RTO;
	if (mode != VTCP_RTX_RTO && head) {
		if (mode == VTCP_RTX_REO)
			vtcp_reo_timeout(sk);
		else
			vtcp_tlp_timeout(sk);
		return;
	}
	if (!head) {
		/*
		 * Nothing in flight: a zero-window probe is due, or a send
		 * that failed for want of memory is tried again.
		 */
		if (!vtcp_send_head(sk))
			return;
		if (vsk->probes >= vtcp_sysctl(sock_net(sk), data_retries)) {
			vtcp_fsm(sk, VTCP_EV_TIMEOUT, NULL);
			return;
		}
		vsk->probes++;
		if (vtcp_window_blocks(sk))
			vtcp_probe_window(sk);
		else
			vtcp_push(sk);
		vtcp_arm_rtx(sk);
		return;
	}
	if (head_expired(sk, head)) {
		vtcp_fsm(sk, VTCP_EV_TIMEOUT, NULL);
		return;
	}
	if (vtcp_child_synack_waits(sk)) {
		quiet_timeout(sk);
		return;
	}
	vtcp_count_timeout_retrans(sk, head);
	if (vsk->retries < U8_MAX)
		vsk->retries++;
	sk_rethink_txhash(sk);		/* another path, another flow label */
	if (vsk->retries >= VTCP_BLACK_HOLE_RTOS &&
	    !(VTCP_SKB_CB(head)->flags & (TCPHDR_SYN | TCPHDR_FIN)))
		vtcp_mtu_black_hole(sk);
	vtcp_enter_loss(sk);
	if (!vtcp_timer_pending(sk, VTCP_TIMER_RTX))
		vtcp_arm_rtx(sk);	/* nothing went: the head waits still */
}

static void delack_timeout(struct sock *sk)
{
	trace_vtcp_timer(sk, VTCP_TIMER_DELACK);
	vtcp_event_timer(sk, VTCP_TIMER_DELACK);
	if (vtcp_sk(sk)->acks_pending && sk->sk_state != TCP_CLOSE)
		vtcp_send_ack(sk);
}

/* Keepalive in synchronized states; FIN-WAIT-2 timeout for orphans. */
static void keepalive_timeout(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u64 idle, limit;

	trace_vtcp_timer(sk, VTCP_TIMER_KEEPALIVE);
	vtcp_event_timer(sk, VTCP_TIMER_KEEPALIVE);
	if (sk->sk_state == TCP_FIN_WAIT2 && sock_flag(sk, SOCK_DEAD)) {
		vtcp_fsm(sk, VTCP_EV_FW2_TIMEOUT, NULL);
		return;
	}
	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				     TCPF_FIN_WAIT2)))
		return;
	idle = ktime_get_ns() - vsk->rcv_tstamp_ns;
	limit = ms_to_ns(vsk->keepalive_idle_ms ?: VTCP_KEEPIDLE_DEFAULT_MS);
	if (idle < limit) {
		vtcp_arm_timer(sk, VTCP_TIMER_KEEPALIVE, limit - idle);
		return;
	}
	if (vsk->keepalive_probes >= (vsk->keepalive_cnt ?: VTCP_KEEPCNT_DEFAULT)) {
		vtcp_fsm(sk, VTCP_EV_KEEPALIVE_TIMEOUT, NULL);
		return;
	}
	vtcp_send_probe(sk);
	vsk->keepalive_probes++;
	vtcp_arm_timer(sk, VTCP_TIMER_KEEPALIVE,
		       ms_to_ns(vsk->keepalive_intvl_ms ?: VTCP_KEEPINTVL_DEFAULT_MS));
}

static void (*const vtcp_timer_handlers[VTCP_NR_TIMERS])(struct sock *) = {
	[VTCP_TIMER_RTX]	= rtx_timeout,
	[VTCP_TIMER_DELACK]	= delack_timeout,
	[VTCP_TIMER_KEEPALIVE]	= keepalive_timeout,
};

/*
 * The end of a callback: its reference goes with the timer if the timer
 * was queued again meanwhile (by the handler or by another CPU), else it
 * is dropped.
 */
static void timer_done(struct sock *sk, enum vtcp_timer t)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	bool drop;

	spin_lock(&vsk->timer_lock);
	drop = !hrtimer_is_queued(&vsk->timers[t]);
	if (drop)
		vsk->timer_refs &= ~BIT(t);
	spin_unlock(&vsk->timer_lock);
	if (drop)
		sock_put(sk);
}

/* Queue @t's hrtimer for @due (ns, CLOCK_MONOTONIC), holding a reference. */
static void queue_timer(struct sock *sk, enum vtcp_timer t, u64 due)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	spin_lock_bh(&vsk->timer_lock);
	if (!(vsk->timer_refs & BIT(t))) {
		vsk->timer_refs |= BIT(t);
		sock_hold(sk);
	}
	hrtimer_start(&vsk->timers[t], ns_to_ktime(due), HRTIMER_MODE_ABS_SOFT);
	spin_unlock_bh(&vsk->timer_lock);
}

/* The hrtimer of @t fired, and we hold the socket: is its deadline here? */
static void run_timer(struct sock *sk, enum vtcp_timer t)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u64 due = vsk->timer_due_ns[t];

	if (!due)
		return;			/* stopped since */
	if (due > ktime_get_ns()) {
		queue_timer(sk, t, due);	/* moved later since */
		return;
	}
	vsk->timer_due_ns[t] = 0;
	vtcp_timer_handlers[t](sk);
}

static void timer_fired(struct sock *sk, enum vtcp_timer t)
{
	bh_lock_sock(sk);
	if (sock_owned_by_user(sk))
		set_bit(t, &vtcp_sk(sk)->deferred);
	else
		run_timer(sk, t);
	bh_unlock_sock(sk);
	timer_done(sk, t);
}

static enum hrtimer_restart rtx_fired(struct hrtimer *h)
{
	timer_fired(&container_of(h, struct vtcp_sock,
				  timers[VTCP_TIMER_RTX])->icsk.icsk_inet.sk,
		    VTCP_TIMER_RTX);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart delack_fired(struct hrtimer *h)
{
	timer_fired(&container_of(h, struct vtcp_sock,
				  timers[VTCP_TIMER_DELACK])->icsk.icsk_inet.sk,
		    VTCP_TIMER_DELACK);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart keepalive_fired(struct hrtimer *h)
{
	timer_fired(&container_of(h, struct vtcp_sock,
				  timers[VTCP_TIMER_KEEPALIVE])->icsk.icsk_inet.sk,
		    VTCP_TIMER_KEEPALIVE);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart (*const vtcp_timer_callbacks[VTCP_NR_TIMERS])(struct hrtimer *) = {
	[VTCP_TIMER_RTX]	= rtx_fired,
	[VTCP_TIMER_DELACK]	= delack_fired,
	[VTCP_TIMER_KEEPALIVE]	= keepalive_fired,
};

/**
 * vtcp_init_timers() - set up the timers of a new socket
 * @sk: the socket
 *
 * Soft hrtimers, none armed.
 *
 * Context: @sk not yet visible to others.
 */
void vtcp_init_timers(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	int t;

	for (t = 0; t < VTCP_NR_TIMERS; t++) {
		hrtimer_init(&vsk->timers[t], CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_SOFT);
		vsk->timers[t].function = vtcp_timer_callbacks[t];
	}
	memset(vsk->timer_due_ns, 0, sizeof(vsk->timer_due_ns));
	vsk->deferred = 0;
	vsk->timer_refs = 0;
	spin_lock_init(&vsk->timer_lock);
}

/**
 * vtcp_arm_timer() - (re)arm a timer to fire after a delay
 * @sk: the socket, held by the caller
 * @t: the timer
 * @ns: the delay
 *
 * A timer that is queued, or whose callback runs, holds one reference on the
 * socket (timer_refs says which); the lock keeps that true against a callback
 * ending on another CPU while the socket's owner re-arms it. A later deadline
 * leaves a queued hrtimer where it is: it fires first, then moves on.
 *
 * Context: @sk locked.
 */
void vtcp_arm_timer(struct sock *sk, enum vtcp_timer t, u64 ns)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct hrtimer *h = &vsk->timers[t];
	u64 due = ktime_get_ns() + ns;

	vsk->timer_due_ns[t] = due;
	if (hrtimer_is_queued(h) && ktime_to_ns(hrtimer_get_expires(h)) <= due)
		return;			/* it fires first, then moves on */
	queue_timer(sk, t, due);
}

/**
 * vtcp_clear_timer() - forget a timer's deadline
 * @sk: the socket
 * @t: the timer
 *
 * Lazily: the hrtimer stays queued, and fires for nothing.
 *
 * Context: @sk locked.
 */
void vtcp_clear_timer(struct sock *sk, enum vtcp_timer t)
{
	vtcp_sk(sk)->timer_due_ns[t] = 0;
}

/**
 * vtcp_stop_timer() - cancel a timer
 * @sk: the socket
 * @t: the timer
 *
 * A running callback keeps its reference and drops it when it ends.
 *
 * Context: @sk locked, or its last user; takes the timer lock.
 */
void vtcp_stop_timer(struct sock *sk, enum vtcp_timer t)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	bool put = false;

	vsk->timer_due_ns[t] = 0;
	spin_lock_bh(&vsk->timer_lock);
	if (hrtimer_try_to_cancel(&vsk->timers[t]) == 1) {
		vsk->timer_refs &= ~BIT(t);
		put = true;
	}
	spin_unlock_bh(&vsk->timer_lock);
	if (put)
		__sock_put(sk);
	clear_bit(t, &vsk->deferred);
}

/**
 * vtcp_stop_timers() - cancel every timer of a socket
 * @sk: the socket, done
 *
 * Context: @sk locked, or its last user.
 */
void vtcp_stop_timers(struct sock *sk)
{
	int t;

	for (t = 0; t < VTCP_NR_TIMERS; t++)
		vtcp_stop_timer(sk, t);
}

/**
 * vtcp_timer_pending() - is a timer armed?
 * @sk: the socket
 * @t: the timer
 *
 * Context: any context; a racy read.
 * Return: true if it has a deadline.
 */
bool vtcp_timer_pending(const struct sock *sk, enum vtcp_timer t)
{
	return READ_ONCE(vtcp_sk(sk)->timer_due_ns[t]);
}

/**
 * vtcp_timer_remaining_ns() - how long until a timer's deadline
 * @sk: the socket
 * @t: the timer
 *
 * Context: any context; a racy read.
 * Return: nanoseconds, 0 if it is due or not armed.
 */
u64 vtcp_timer_remaining_ns(const struct sock *sk, enum vtcp_timer t)
{
	u64 due = READ_ONCE(vtcp_sk(sk)->timer_due_ns[t]), now = ktime_get_ns();

	return due > now ? due - now : 0;
}

/* The current retransmission timeout, backed off, within the bounds. */
static u64 rto_ns(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct net *net = sock_net(sk);
	u64 rto, max = ms_to_ns(vtcp_sysctl(net, rto_max_ms));

	if (vsk->srtt_us)
		rto = max_t(u64, (u64)vsk->rto_us * NSEC_PER_USEC,
			    ms_to_ns(vtcp_sysctl(net, rto_min_ms)));
	else
		rto = ms_to_ns(vtcp_sysctl(net, rto_initial_ms));
	rto <<= min_t(u8, vsk->retries + vsk->probes, VTCP_BACKOFF_MAX);
	return min(rto, max);
}

/* What TCP_USER_TIMEOUT leaves once retransmissions began (as TCP). */
static u64 user_timeout_left_ns(const struct sock *sk)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct sk_buff *head = vtcp_rtx_head(sk);
	u64 limit, spent;

	if (!head || !vsk->retries)
		return U64_MAX;
	limit = user_timeout_ns(sk, head);
	if (!limit)
		return U64_MAX;
	spent = ktime_get_ns() - vsk->rtx_start_ns;
	return spent < limit ? limit - spent : 1;
}

/**
 * vtcp_arm_rtx() - arm the RTX timer for what it runs for next
 * @sk: the socket
 *
 * The RTO, or sooner when RACK has a verdict due or a tail loss probe applies
 * (recovery.c), or TCP_USER_TIMEOUT ends.
 *
 * Context: @sk locked.
 */
void vtcp_arm_rtx(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u64 wait = rto_ns(sk), pto = vtcp_probe_timeout_ns(sk), now;
	u8 mode = VTCP_RTX_RTO;

	if (vsk->reo_at_ns) {
		now = ktime_get_ns();
		if (vsk->reo_at_ns < now + wait) {
			wait = vsk->reo_at_ns > now ? vsk->reo_at_ns - now : 1;
			mode = VTCP_RTX_REO;
		}
	}
	if (pto && pto < wait) {
		wait = pto;
		mode = VTCP_RTX_TLP;
	}
	wait = min(wait, user_timeout_left_ns(sk));
	vsk->rtx_mode = mode;
	vtcp_arm_timer(sk, VTCP_TIMER_RTX, wait);
}

/**
 * vtcp_arm_keepalive_idle() - arm keepalive for the idle time
 * @sk: the socket
 *
 * TCP_KEEPIDLE, or TCP's default of two hours.
 *
 * Context: @sk locked.
 */
void vtcp_arm_keepalive_idle(struct sock *sk)
{
	u32 idle_ms = vtcp_sk(sk)->keepalive_idle_ms;

	vtcp_arm_timer(sk, VTCP_TIMER_KEEPALIVE,
		       ms_to_ns(idle_ms ?: VTCP_KEEPIDLE_DEFAULT_MS));
}

/**
 * vtcp_arm_keepalive() - arm the keepalive timer for its job in this state
 * @sk: the socket
 *
 * The FIN-WAIT-2 timeout of an orphan, keepalive with SO_KEEPALIVE, or
 * nothing.
 *
 * Context: @sk locked.
 */
void vtcp_arm_keepalive(struct sock *sk)
{
	if (sk->sk_state == TCP_FIN_WAIT2 && sock_flag(sk, SOCK_DEAD))
		vtcp_arm_timer(sk, VTCP_TIMER_KEEPALIVE,
			       ms_to_ns(vtcp_sysctl(sock_net(sk), fin_timeout_ms)));
	else if (sock_flag(sk, SOCK_KEEPOPEN))
		vtcp_arm_keepalive_idle(sk);
}

/**
 * vtcp_rtt_sample() - take an RTT sample (RFC 6298 section 2)
 * @sk: the socket
 * @rtt: the sample, in microseconds; the caller minds Karn's rule
 *
 * Updates the smoothed RTT, its variation, the RTO and the minimum RTT.
 *
 * Context: @sk locked.
 */
void vtcp_rtt_sample(struct sock *sk, u32 rtt)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 err;

	if (!vsk->min_rtt_us || rtt < vsk->min_rtt_us)
		vsk->min_rtt_us = rtt;
	if (!vsk->srtt_us) {
		vsk->srtt_us = rtt;
		vsk->rttvar_us = rtt / 2;
	} else {
		err = abs((s32)(vsk->srtt_us - rtt));
		vsk->rttvar_us = (3 * vsk->rttvar_us + err) / 4;
		vsk->srtt_us = (7 * vsk->srtt_us + rtt) / 8;
	}
	vsk->rto_us = vsk->srtt_us + max_t(u32, 4 * vsk->rttvar_us, 1000);
}

/**
 * vtcp_release_cb() - run what fired while the socket was owned
 * @sk: the socket, at release_sock()
 *
 * Timers, and a path MTU reduction, deferred by their callbacks.
 *
 * Context: process context, @sk owned (proto->release_cb).
 */
void vtcp_release_cb(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	int t;

	for (t = 0; t < VTCP_NR_TIMERS; t++)
		if (test_and_clear_bit(t, &vsk->deferred))
			run_timer(sk, t);
	if (test_and_clear_bit(VTCP_DEFER_MTU, &vsk->deferred))
		vtcp_mtu_reduced(sk);
}
