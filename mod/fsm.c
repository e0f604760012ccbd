// SPDX-License-Identifier: GPL-2.0
/*
 * The connection state machine of RFC 9293, as one table.
 *
 * The code around it (input.c for segments, socket.c for user calls,
 * request.c for a listener's children, timers.c and timewait.c for
 * timers) turns what happened into one of the events below, and the table
 * says what to do and where to go. Nothing else changes a socket's state.
 * What is not in the table does not change it: sequence checks, data,
 * ACKs of data and the replies they need are the input path's business.
 *
 * TIME-WAIT has a table of its own, vtcp_tw_table, whose actions take the
 * timewait socket (struct vtcp_tw_sock): a full socket does not fit them.
 */
#include <net/inet_connection_sock.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "fsm.h"
#include "netlink.h"
#include "output.h"
#include "request.h"
#include "socket.h"
#include "syncookies.h"
#include "timers.h"
#include "timewait.h"

typedef int (*vtcp_action_t)(struct sock *sk, struct sk_buff *skb);
typedef int (*vtcp_tw_action_t)(struct vtcp_tw_sock *vtw, struct sk_buff *skb);

struct vtcp_transition {
	vtcp_action_t action;
	u8 next;
};

struct vtcp_tw_transition {
	vtcp_tw_action_t action;
	u8 next;
};

static int act_send_syn(struct sock *sk, struct sk_buff *skb)
{
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_ACTIVE_OPENS);
	return vtcp_queue_ctl(sk, TCPHDR_SYN);
}

static int act_listen(struct sock *sk, struct sk_buff *skb)
{
	vtcp_syncookies_listen(sk);
	return inet_csk_listen_start(sk);
}

static int act_stop_listen(struct sock *sk, struct sk_buff *skb)
{
	inet_csk_listen_stop(sk);
	vtcp_abort_children(sk);
	return 0;
}

static int act_new_child(struct sock *sk, struct sk_buff *skb)
{
	return vtcp_listen_rcv_syn(sk, skb);
}

/* The ACK of a SYN cookie: the child, which takes @skb (0), or not. */
static int act_cookie_child(struct sock *sk, struct sk_buff *skb)
{
	return vtcp_listen_rcv_cookie(sk, skb);
}

/* Our SYN, now with an ACK of theirs: a SYN-ACK (simultaneous open). */
static int act_send_synack(struct sock *sk, struct sk_buff *skb)
{
	return vtcp_retransmit_head(sk);
}

static int act_established(struct sock *sk, struct sk_buff *skb)
{
	if (vtcp_sk(sk)->req) {
		vtcp_child_established(sk);
		return 0;
	}
	vtcp_send_ack(sk);
	vtcp_arm_keepalive(sk);
	sk->sk_state_change(sk);
	sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
	return 0;
}

/* TCP_DEFER_ACCEPT: the handshake's ACK alone goes; data will complete it. */
static int act_wait_for_data(struct sock *sk, struct sk_buff *skb)
{
	vtcp_child_wait_for_data(sk);
	return 0;
}

static int act_send_fin(struct sock *sk, struct sk_buff *skb)
{
	return vtcp_queue_ctl(sk, TCPHDR_FIN | TCPHDR_ACK);
}

static int act_ack(struct sock *sk, struct sk_buff *skb)
{
	vtcp_send_ack(sk);
	return 0;
}

/* The peer has finished sending: readers see end of file. */
static int act_ack_fin(struct sock *sk, struct sk_buff *skb)
{
	vtcp_sk(sk)->fin_rcvd = 1;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	vtcp_send_ack(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
	}
	return 0;
}

static int act_fin_acked(struct sock *sk, struct sk_buff *skb)
{
	vtcp_arm_keepalive(sk);		/* the FIN-WAIT-2 timeout of orphans */
	sk->sk_state_change(sk);
	return 0;
}

/* The connection moves to a timewait socket; vtcp_fsm() closes this one. */
static int act_timewait(struct sock *sk, struct sk_buff *skb)
{
	vtcp_enter_timewait(sk);
	return 0;
}

static int act_ack_fin_timewait(struct sock *sk, struct sk_buff *skb)
{
	act_ack_fin(sk, skb);
	vtcp_enter_timewait(sk);
	return 0;
}

/* Nothing more: the caller clears what is left of the connection. */
static int act_quietly(struct sock *sk, struct sk_buff *skb)
{
	return 0;
}

/* The peer knows of the connection: tell it. The caller clears the rest. */
static int act_send_reset(struct sock *sk, struct sk_buff *skb)
{
	vtcp_send_active_reset(sk);
	return 0;
}

static int act_done(struct sock *sk, struct sk_buff *skb)
{
	vtcp_done(sk);
	return 0;
}

static int act_refused(struct sock *sk, struct sk_buff *skb)
{
	vtcp_reset_sock(sk, ECONNREFUSED);
	return 0;
}

static int act_reset(struct sock *sk, struct sk_buff *skb)
{
	vtcp_reset_sock(sk, ECONNRESET);
	return 0;
}

/* They had finished sending: for us, as TCP, the pipe is broken. */
static int act_reset_after_fin(struct sock *sk, struct sk_buff *skb)
{
	vtcp_reset_sock(sk, EPIPE);
	return 0;
}

/* A passive open goes quietly; an active (simultaneous) one is refused. */
static int act_syn_recv_reset(struct sock *sk, struct sk_buff *skb)
{
	vtcp_reset_sock(sk, vtcp_sk(sk)->req ? 0 : ECONNREFUSED);
	return 0;
}

static int act_abort(struct sock *sk, struct sk_buff *skb)
{
	vtcp_send_active_reset(sk);
	vtcp_done(sk);
	return 0;
}

/* An ICMP soft error seen on the way explains it better (RFC 1122 4.2.3.9). */
static int act_timed_out(struct sock *sk, struct sk_buff *skb)
{
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_TIMEOUTS);
	vtcp_reset_sock(sk, READ_ONCE(sk->sk_err_soft) ?: ETIMEDOUT);
	return 0;
}

/* The peer stopped answering keepalives: an RST, in case it still listens. */
static int act_keepalive_reset(struct sock *sk, struct sk_buff *skb)
{
	vtcp_send_active_reset(sk);
	return act_timed_out(sk, skb);
}

/*
 * ICMP said the peer cannot be reached (icmp.c left the errno in
 * sk_err_soft): an active open fails with it, a passive one goes quietly.
 */
static int act_unreachable(struct sock *sk, struct sk_buff *skb)
{
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_ICMP_ABORTS);
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_ATTEMPT_FAILS);
	vtcp_reset_sock(sk, vtcp_sk(sk)->req ? 0 : READ_ONCE(sk->sk_err_soft));
	return 0;
}

/* The designator of an event's column: ON(SYN) = { action, next }. */
#define ON(event) \
	[VTCP_EV_##event]

/*
 * The rows every state shares once the peer knows of the connection
 * (SYN-RECEIVED and the synchronized states but TIME-WAIT): RFC 9293's
 * ABORT call resets it there, and so does a user's disconnect.
 */
#define CONNECTED_ROWS \
	ON(ABORT)	= { act_abort,			TCP_CLOSE }, \
	ON(DISCONNECT)	= { act_send_reset,		TCP_CLOSE }, \
	ON(TIMEOUT)	= { act_timed_out,		TCP_CLOSE }

static const struct vtcp_transition vtcp_table[TCP_MAX_STATES][VTCP_NR_EVENTS] = {
[TCP_CLOSE] = {
	ON(CONNECT)	= { act_send_syn,		TCP_SYN_SENT },
	ON(LISTEN)	= { act_listen,			TCP_LISTEN },
},
[TCP_LISTEN] = {
	ON(SYN)		= { act_new_child,		TCP_LISTEN },
	ON(ACK_OF_SYN)	= { act_cookie_child,		TCP_LISTEN },
	ON(CLOSE)	= { act_stop_listen,		TCP_CLOSE },
	ON(ABORT)	= { act_stop_listen,		TCP_CLOSE },
	ON(DISCONNECT)	= { act_stop_listen,		TCP_CLOSE },
},
[TCP_SYN_SENT] = {
	ON(SYNACK)	= { act_established,		TCP_ESTABLISHED },
	ON(SYN)		= { act_send_synack,		TCP_SYN_RECV },
	ON(RST)		= { act_refused,		TCP_CLOSE },
	ON(CLOSE)	= { act_done,			TCP_CLOSE },
	ON(ABORT)	= { act_done,			TCP_CLOSE },
	ON(DISCONNECT)	= { act_quietly,		TCP_CLOSE },
	ON(OPEN_FAILED)	= { act_quietly,		TCP_CLOSE },
	ON(TIMEOUT)	= { act_timed_out,		TCP_CLOSE },
	ON(ICMP_ERROR)	= { act_unreachable,		TCP_CLOSE },
},
[TCP_SYN_RECV] = {
	CONNECTED_ROWS,
	ON(ACK_OF_SYN)	= { act_established,		TCP_ESTABLISHED },
	ON(BARE_ACK)	= { act_wait_for_data,		TCP_SYN_RECV },
	ON(SYNACK)	= { act_established,		TCP_ESTABLISHED },
	ON(SYN)		= { act_send_synack,		TCP_SYN_RECV },
	ON(RST)		= { act_syn_recv_reset,		TCP_CLOSE },
	ON(CLOSE)	= { act_send_fin,		TCP_FIN_WAIT1 },
	ON(OPEN_FAILED)	= { act_done,			TCP_CLOSE },
	ON(ICMP_ERROR)	= { act_unreachable,		TCP_CLOSE },
},
[TCP_ESTABLISHED] = {
	CONNECTED_ROWS,
	ON(FIN)		= { act_ack_fin,		TCP_CLOSE_WAIT },
	ON(CLOSE)	= { act_send_fin,		TCP_FIN_WAIT1 },
	ON(RST)		= { act_reset,			TCP_CLOSE },
	ON(KEEPALIVE_TIMEOUT) = { act_keepalive_reset,	TCP_CLOSE },
},
[TCP_FIN_WAIT1] = {
	CONNECTED_ROWS,
	ON(ACK_OF_FIN)	= { act_fin_acked,		TCP_FIN_WAIT2 },
	ON(FIN)		= { act_ack_fin,		TCP_CLOSING },
	ON(RST)		= { act_reset,			TCP_CLOSE },
},
[TCP_FIN_WAIT2] = {
	CONNECTED_ROWS,
	ON(FIN)		= { act_ack_fin_timewait,	TCP_TIME_WAIT },
	ON(RST)		= { act_reset,			TCP_CLOSE },
	ON(FW2_TIMEOUT)	= { act_done,			TCP_CLOSE },
	ON(KEEPALIVE_TIMEOUT) = { act_keepalive_reset,	TCP_CLOSE },
},
[TCP_CLOSE_WAIT] = {
	CONNECTED_ROWS,
	ON(CLOSE)	= { act_send_fin,		TCP_LAST_ACK },
	ON(FIN)		= { act_ack,			TCP_CLOSE_WAIT },
	ON(RST)		= { act_reset_after_fin,	TCP_CLOSE },
	ON(KEEPALIVE_TIMEOUT) = { act_keepalive_reset,	TCP_CLOSE },
},
[TCP_CLOSING] = {
	CONNECTED_ROWS,
	ON(ACK_OF_FIN)	= { act_timewait,		TCP_TIME_WAIT },
	ON(FIN)		= { act_ack,			TCP_CLOSING },
	ON(RST)		= { act_done,			TCP_CLOSE },
},
[TCP_LAST_ACK] = {
	CONNECTED_ROWS,
	ON(ACK_OF_FIN)	= { act_done,			TCP_CLOSE },
	ON(FIN)		= { act_ack,			TCP_LAST_ACK },
	ON(RST)		= { act_done,			TCP_CLOSE },
},
};

/*
 * TIME-WAIT's row, on a timewait socket (timewait.c): RSTs are ignored
 * (RFC 1337), an ABORT is SOCK_DESTROY's or the namespace's end.
 */
static const struct vtcp_tw_transition vtcp_tw_table[VTCP_NR_EVENTS] = {
	ON(FIN)		= { vtcp_tw_reack,		TCP_TIME_WAIT },
	ON(SYN)		= { vtcp_tw_ack,		TCP_TIME_WAIT },
	ON(NEW_SYN)	= { vtcp_tw_reopen,		TCP_CLOSE },
	ON(2MSL)	= { vtcp_tw_kill,		TCP_CLOSE },
	ON(ABORT)	= { vtcp_tw_kill,		TCP_CLOSE },
};

/*
 * A full socket never takes TIME-WAIT's number: lookups, sock_diag and
 * sock_gen_put() read that state as "a timewait socket". The action hands
 * the connection (its 4-tuple and port) to a timewait socket born in
 * TIME-WAIT; then this one closes.
 */
static int hand_to_timewait(struct sock *sk, const struct vtcp_transition *t,
			    struct sk_buff *skb)
{
	int err = t->action(sk, skb);

	vtcp_set_state(sk, TCP_CLOSE);
	vtcp_done(sk);
	return err;
}

/**
 * vtcp_fsm() - run an event on a full socket
 * @sk: the socket, locked by the caller; never a timewait socket
 * @ev: what happened
 * @skb: the segment that brought it, or NULL
 *
 * The socket moves to the next state, then the action runs: it finds
 * the socket in its new state (TIME-WAIT aside: hand_to_timewait()).
 *
 * Context: @sk locked (owned, or bh_lock_sock() in softirq).
 * Return: -EINVAL when the state has no such transition, else what the
 * action returned.
 */
int vtcp_fsm(struct sock *sk, enum vtcp_fsm_event ev, struct sk_buff *skb)
{
	int old = sk->sk_state;
	const struct vtcp_transition *t = &vtcp_table[old][ev];

	if (WARN_ON_ONCE(old == TCP_TIME_WAIT) || !t->action)
		return -EINVAL;
	vtcp_event_state(sk, old, t->next, ev);
	if (t->next == TCP_TIME_WAIT)
		return hand_to_timewait(sk, t, skb);
	if (t->next != old)
		vtcp_set_state(sk, t->next);
	return t->action(sk, skb);
}

/**
 * vtcp_tw_fsm() - run an event on a timewait socket
 * @vtw: the timewait socket, held by the caller
 * @ev: what happened
 * @skb: the segment that brought it, or NULL
 *
 * Its state stays TIME-WAIT: the action frees it when the next is CLOSED.
 *
 * Context: softirq, or process context (SOCK_DESTROY, the namespace's end).
 * Return: -EINVAL when TIME-WAIT has no such transition, else what the
 * action returned.
 */
int vtcp_tw_fsm(struct vtcp_tw_sock *vtw, enum vtcp_fsm_event ev,
		struct sk_buff *skb)
{
	const struct vtcp_tw_transition *t = &vtcp_tw_table[ev];

	if (!t->action)
		return -EINVAL;
	vtcp_event_state((struct sock *)&vtw->tw, TCP_TIME_WAIT, t->next, ev);
	return t->action(vtw, skb);
}

static const char *const vtcp_state_names[TCP_MAX_STATES] = {
	[TCP_ESTABLISHED]	= "ESTABLISHED",
	[TCP_SYN_SENT]		= "SYN-SENT",
	[TCP_SYN_RECV]		= "SYN-RECEIVED",
	[TCP_FIN_WAIT1]		= "FIN-WAIT-1",
	[TCP_FIN_WAIT2]		= "FIN-WAIT-2",
	[TCP_TIME_WAIT]		= "TIME-WAIT",
	[TCP_CLOSE]		= "CLOSED",
	[TCP_CLOSE_WAIT]	= "CLOSE-WAIT",
	[TCP_LAST_ACK]		= "LAST-ACK",
	[TCP_LISTEN]		= "LISTEN",
	[TCP_CLOSING]		= "CLOSING",
};

/**
 * vtcp_state_name() - the name of a TCP state, as RFC 9293 spells it
 * @state: a TCP_* state
 *
 * Context: any context.
 * Return: the name, or "UNKNOWN" for a value that is not a state.
 */
const char *vtcp_state_name(int state)
{
	if (state < 0 || state >= TCP_MAX_STATES || !vtcp_state_names[state])
		return "UNKNOWN";
	return vtcp_state_names[state];
}
