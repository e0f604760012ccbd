// SPDX-License-Identifier: GPL-2.0
/*
 * The mock kernel's functions (mock.h), and the module's own functions
 * that the files under test call in other files: each records its call in
 * mock_log, as "name(args) ", for the tests to compare.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "vtcp.h"
#include "cong.h"
#include "diag.h"
#include "fsm.h"
#include "hash.h"
#include "icmp.h"
#include "info.h"
#include "input.h"
#include "ipv6.h"
#include "memory.h"
#include "netlink.h"
#include "offload.h"
#include "options.h"
#include "output.h"
#include "pmtu.h"
#include "ratelimit.h"
#include "recovery.h"
#include "request.h"
#include "rtx.h"
#include "socket.h"
#include "stats.h"
#include "stream.h"
#include "syncookies.h"
#include "sysctl.h"
#include "timers.h"
#include "timewait.h"
#include "wire.h"

u64 mock_ns;
int mock_warned;
long mock_mib[__VTCP_MIB_MAX];
char mock_log[4096];
unsigned int vtcp_net_id;
struct vtcp_net mock_vtcp_net;
int mock_fail_transmit;		/* vtcp_transmit_queued() returns it */
int mock_transmits;		/* and counts its calls */

void mock_record(const char *fmt, ...)
{
	size_t n = strlen(mock_log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mock_log + n, sizeof(mock_log) - n, fmt, ap);
	va_end(ap);
	n = strlen(mock_log);
	snprintf(mock_log + n, sizeof(mock_log) - n, " ");
}

/* Before each case (ktap.c): one fresh namespace, no calls, time 0. */
void mock_reset(void)
{
	struct vtcp_sysctl *s = &mock_vtcp_net.sysctl;

	mock_ns = 0;
	mock_warned = 0;
	mock_log[0] = 0;
	mock_fail_transmit = 0;
	mock_transmits = 0;
	memset(mock_mib, 0, sizeof(mock_mib));
	memset(&mock_vtcp_net, 0, sizeof(mock_vtcp_net));
	s->timestamps = 1;
	s->sack = 1;
	s->window_scaling = 1;
	s->rack = 1;
	s->rmem_max = 6 << 20;
	s->rto_min_ms = 200;
	snprintf(s->congestion_control, sizeof(s->congestion_control), "cubic");
}

struct vtcp_sysctl *mock_vtcp_net_sysctl(void)
{
	return &mock_vtcp_net.sysctl;
}

void mock_sysctl_rack(int on)
{
	mock_vtcp_net.sysctl.rack = on;
}

void *net_generic(const struct net *net, unsigned int id)
{
	return &mock_vtcp_net;
}

/* The tree of mock.h: a plain binary search tree with parent links. */
static void rb_replace(struct rb_root *r, struct rb_node *old,
		       struct rb_node *new)
{
	struct rb_node *p = old->rb_parent;

	if (!p)
		r->rb_node = new;
	else if (p->rb_left == old)
		p->rb_left = new;
	else
		p->rb_right = new;
	if (new)
		new->rb_parent = p;
}

void rb_erase(struct rb_node *n, struct rb_root *r)
{
	struct rb_node *s;

	if (!n->rb_left) {
		rb_replace(r, n, n->rb_right);
	} else if (!n->rb_right) {
		rb_replace(r, n, n->rb_left);
	} else {
		for (s = n->rb_right; s->rb_left; s = s->rb_left)
			;
		if (s->rb_parent != n) {
			rb_replace(r, s, s->rb_right);
			s->rb_right = n->rb_right;
			s->rb_right->rb_parent = s;
		}
		rb_replace(r, n, s);
		s->rb_left = n->rb_left;
		s->rb_left->rb_parent = s;
	}
}

struct rb_node *rb_first(const struct rb_root *r)
{
	struct rb_node *n = r->rb_node;

	while (n && n->rb_left)
		n = n->rb_left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *r)
{
	struct rb_node *n = r->rb_node;

	while (n && n->rb_right)
		n = n->rb_right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *n)
{
	const struct rb_node *p;

	if (n->rb_right) {
		for (n = n->rb_right; n->rb_left; n = n->rb_left)
			;
		return (struct rb_node *)n;
	}
	while ((p = n->rb_parent) && n == p->rb_right)
		n = p;
	return (struct rb_node *)p;
}

struct rb_node *rb_prev(const struct rb_node *n)
{
	const struct rb_node *p;

	if (n->rb_left) {
		for (n = n->rb_left; n->rb_right; n = n->rb_right)
			;
		return (struct rb_node *)n;
	}
	while ((p = n->rb_parent) && n == p->rb_left)
		n = p;
	return (struct rb_node *)p;
}

struct sk_buff *mock_skb(u32 seq, u32 len)
{
	struct sk_buff *skb = calloc(1, sizeof(*skb));

	if (!skb)
		abort();
	VTCP_SKB_CB(skb)->seq = seq;
	VTCP_SKB_CB(skb)->end_seq = seq + len;
	skb->len = len;
	return skb;
}

void consume_skb(struct sk_buff *skb)
{
	free(skb);
}

void kfree_skb(struct sk_buff *skb)
{
	free(skb);
}

void sk_wake_async(const struct sock *sk, int how, int band)
{
	mock_record("sk_wake_async");
}

int inet_csk_listen_start(struct sock *sk)
{
	mock_record("inet_csk_listen_start");
	return 0;
}

void inet_csk_listen_stop(struct sock *sk)
{
	mock_record("inet_csk_listen_stop");
}

/* The module's other files. */
int vtcp_queue_ctl(struct sock *sk, u8 flags)
{
	mock_record("%s(%#x)", __func__, flags);
	return 0;
}

int vtcp_retransmit_head(struct sock *sk)
{
	mock_record("vtcp_retransmit_head");
	return 0;
}

void vtcp_send_ack(struct sock *sk)
{
	mock_record("vtcp_send_ack");
}

void vtcp_send_active_reset(struct sock *sk)
{
	mock_record("vtcp_send_active_reset");
}

void vtcp_set_state(struct sock *sk, int state)
{
	sk->sk_state = state;
}

/* As socket.c's: a socket it finds not CLOSED is a warning. */
void vtcp_done(struct sock *sk)
{
	mock_record("vtcp_done");
	if (WARN_ON_ONCE(sk->sk_state != TCP_CLOSE))
		sk->sk_state = TCP_CLOSE;
}

void vtcp_reset_sock(struct sock *sk, int err)
{
	mock_record("%s(%d)", __func__, err);
	sk->sk_state = TCP_CLOSE;
}

void vtcp_arm_keepalive(struct sock *sk)
{
	mock_record("vtcp_arm_keepalive");
}

void vtcp_event_state(struct sock *sk, int old, int new, int ev)
{
	mock_record("event(%d>%d)", old, new);
}

void vtcp_syncookies_listen(struct sock *sk)
{
}

void vtcp_abort_children(struct sock *sk)
{
	mock_record("vtcp_abort_children");
}

int vtcp_listen_rcv_syn(struct sock *sk, struct sk_buff *skb)
{
	mock_record("vtcp_listen_rcv_syn");
	return 0;
}

int vtcp_listen_rcv_cookie(struct sock *sk, struct sk_buff *skb)
{
	mock_record("vtcp_listen_rcv_cookie");
	return 0;
}

void vtcp_child_established(struct sock *child)
{
	mock_record("vtcp_child_established");
}

void vtcp_child_wait_for_data(struct sock *child)
{
	mock_record("vtcp_child_wait_for_data");
}

/* The state the full socket hands over from: the timewait one copies it. */
void vtcp_enter_timewait(struct sock *sk)
{
	mock_record("%s(%d)", __func__, sk->sk_state);
}

/* timewait.c's actions, on the timewait socket only. */
int vtcp_tw_reack(struct vtcp_tw_sock *vtw, struct sk_buff *skb)
{
	mock_record("vtcp_tw_reack");
	return 0;
}

int vtcp_tw_ack(struct vtcp_tw_sock *vtw, struct sk_buff *skb)
{
	mock_record("vtcp_tw_ack");
	return 0;
}

int vtcp_tw_kill(struct vtcp_tw_sock *vtw, struct sk_buff *skb)
{
	mock_record("vtcp_tw_kill");
	return 0;
}

int vtcp_tw_reopen(struct vtcp_tw_sock *vtw, struct sk_buff *skb)
{
	mock_record("vtcp_tw_reopen");
	return 0;
}

void vtcp_default_cong(struct net *net, char *name)
{
	memcpy(name, mock_vtcp_net.sysctl.congestion_control, VTCP_CONG_NAME_MAX);
}

/* As output.c's, without the payload: the cut, the marks copied. */
int vtcp_split_segment(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	struct sk_buff *rest;

	mock_record("split(%u+%u)", cb->seq, len);
	if (!len || len >= skb->len)
		return -EINVAL;
	rest = mock_skb(cb->seq + len, skb->len - len);
	*VTCP_SKB_CB(rest) = *cb;
	VTCP_SKB_CB(rest)->seq = cb->seq + len;
	skb_shinfo(rest)->gso_size = skb_shinfo(skb)->gso_size;
	rest->len = skb->len - len;
	skb->len = len;
	cb->end_seq = cb->seq + len;
	cb->flags &= ~(TCPHDR_FIN | TCPHDR_PSH);
	if (cb->on_rtx)
		vtcp_rtx_insert_after(sk, skb, rest);
	return 0;
}

int vtcp_transmit_queued(struct sock *sk, struct sk_buff *skb)
{
	mock_transmits++;
	mock_record("transmit(%u)", VTCP_SKB_CB(skb)->seq);
	if (!mock_fail_transmit)
		VTCP_SKB_CB(skb)->sent_ns = mock_ns;
	return mock_fail_transmit;
}

void vtcp_arm_rtx(struct sock *sk)
{
	mock_record("vtcp_arm_rtx");
}

bool vtcp_timer_pending(const struct sock *sk, enum vtcp_timer t)
{
	return false;
}

u32 vtcp_ts_now(const struct sock *sk)
{
	return (u32)(mock_ns / NSEC_PER_MSEC) + vtcp_sk(sk)->ts_offset;
}

void vtcp_mtu_probe_lost(struct sock *sk, struct sk_buff *skb)
{
	mock_record("vtcp_mtu_probe_lost");
}

void vtcp_uncharge_write(struct sock *sk, struct sk_buff *skb)
{
}
