// SPDX-License-Identifier: GPL-2.0
/*
 * The byte stream: the user's sends cut into segments on the write queue,
 * and the peer's segments put back in order for the user's reads. Data
 * arriving early waits on the out-of-order queue; everything received is
 * charged to the receive buffer, and nothing is accepted beyond it.
 */
#include <linux/sched/signal.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "wire.h"

/* Linear segments for now: the largest payload one allocation carries. */
#define VTCP_MAX_SEG_ALLOC	(16 * 1024)

static void free_queue(struct sock *sk, struct sk_buff_head *q, bool wmem)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(q))) {
		if (wmem)
			sk_wmem_queued_add(sk, -skb->truesize);
		kfree_skb(skb);
	}
}

void vtcp_purge_queues(struct sock *sk)
{
	free_queue(sk, &sk->sk_write_queue, true);
	vtcp_sk(sk)->send_head = NULL;
	free_queue(sk, &sk->sk_receive_queue, false);
	free_queue(sk, &vtcp_sk(sk)->ooo_queue, false);
}

static bool rcvbuf_has_room(const struct sock *sk, const struct sk_buff *skb)
{
	return atomic_read(&sk->sk_rmem_alloc) + skb->truesize <=
	       READ_ONCE(sk->sk_rcvbuf);
}

/* Append an in-order segment; true if it carried the FIN. */
static bool deliver(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	u32 overlap = vsk->rcv_nxt - cb->seq;
	bool fin = cb->flags & TCPHDR_FIN;

	if (overlap) {
		pskb_pull(skb, min(overlap, skb->len));
		cb->seq = vsk->rcv_nxt;
	}
	vsk->rcv_nxt = cb->end_seq;
	if (skb->len)
		__skb_queue_tail(&sk->sk_receive_queue, skb);
	else
		kfree_skb(skb);
	return fin;
}

/* Keep @skb (ahead of rcv_nxt) sorted by sequence, unless it adds nothing. */
static void ooo_insert(struct sock *sk, struct sk_buff *skb)
{
	struct sk_buff_head *q = &vtcp_sk(sk)->ooo_queue;
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	struct sk_buff *p;

	skb_queue_reverse_walk(q, p) {
		if (seq_after(VTCP_SKB_CB(p)->seq, cb->seq))
			continue;
		if (seq_leq(cb->end_seq, VTCP_SKB_CB(p)->end_seq)) {
			kfree_skb(skb);		/* already have all of it */
			return;
		}
		__skb_queue_after(q, p, skb);
		return;
	}
	__skb_queue_head(q, skb);
}

/* Move what the hole-filling segment made contiguous; true on FIN. */
static bool drain_ooo(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *skb;
	bool fin = false;

	while ((skb = skb_peek(&vsk->ooo_queue)) &&
	       seq_leq(VTCP_SKB_CB(skb)->seq, vsk->rcv_nxt)) {
		__skb_unlink(skb, &vsk->ooo_queue);
		if (seq_leq(VTCP_SKB_CB(skb)->end_seq, vsk->rcv_nxt))
			kfree_skb(skb);
		else
			fin |= deliver(sk, skb);
	}
	return fin;
}

static void ack_soon(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	if (++vsk->acks_pending >= 2)
		vtcp_send_ack(sk);
	else if (!vtcp_timer_pending(sk, VTCP_TIMER_DELACK))
		vtcp_arm_timer(sk, VTCP_TIMER_DELACK,
			       (u64)vtcp_sysctl(sock_net(sk), delack_ms) *
			       NSEC_PER_MSEC);
}

/*
 * A segment's payload (header pulled) and FIN, already found acceptable.
 * Takes @skb.
 */
void vtcp_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	bool fin;

	if (seq_leq(cb->end_seq, vsk->rcv_nxt)) {
		kfree_skb(skb);			/* a duplicate */
		vtcp_send_ack(sk);
		return;
	}
	skb_dst_drop(skb);
	if (!rcvbuf_has_room(sk, skb) && !seq_after(cb->seq, vsk->rcv_nxt))
		free_queue(sk, &vsk->ooo_queue, false);	/* in order first */
	if (!rcvbuf_has_room(sk, skb)) {
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_RCVBUF_DROP);
		kfree_skb(skb);
		vtcp_send_ack(sk);
		return;
	}
	skb_set_owner_r(skb, sk);
	if (seq_after(cb->seq, vsk->rcv_nxt)) {
		ooo_insert(sk, skb);
		vtcp_send_ack(sk);		/* a duplicate ACK: a hole */
		return;
	}
	fin = deliver(sk, skb);
	fin |= drain_ooo(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	if (fin)
		vtcp_fsm(sk, VTCP_EV_FIN, NULL);
	else if (!skb_queue_empty(&vsk->ooo_queue))
		vtcp_send_ack(sk);
	else
		ack_soon(sk);
}

/* After a read: tell the peer if the window opened much wider. */
static void maybe_update_window(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 offered = vsk->rcv_wup + vsk->rcv_wnd - vsk->rcv_nxt;
	int space = (READ_ONCE(sk->sk_rcvbuf) -
		     atomic_read(&sk->sk_rmem_alloc)) / 2;

	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				   TCPF_FIN_WAIT2) &&
	    min(space, 65535) >= (int)(offered + 2 * vsk->mss))
		vtcp_send_ack(sk);
}

/* Why a read that has nothing yet must not wait; 1 if it may. */
static int cannot_wait(struct sock *sk, long timeo)
{
	if (vtcp_sk(sk)->fin_rcvd)
		return 0;	/* their FIN came before any error: EOF */
	if (sk->sk_err)
		return sock_error(sk);
	if (sk->sk_shutdown & RCV_SHUTDOWN)
		return 0;
	if (sk->sk_state == TCP_CLOSE)
		return -ENOTCONN;
	if (!timeo)
		return -EAGAIN;
	if (signal_pending(current))
		return sock_intr_errno(timeo);
	return 1;
}

/* A read that has some data stops at the first reason to. */
static bool stop_short(struct sock *sk, long timeo)
{
	return sk->sk_err || (sk->sk_shutdown & RCV_SHUTDOWN) ||
	       sk->sk_state == TCP_CLOSE || !timeo || signal_pending(current);
}

int vtcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		 int *addr_len)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 peek_seq, *seq = &vsk->copied_seq;
	int copied = 0, target, err = 0;
	struct sk_buff *skb;
	long timeo;

	if (flags & (MSG_OOB | MSG_ERRQUEUE))
		return -EOPNOTSUPP;
	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		err = -ENOTCONN;
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	if (flags & MSG_PEEK) {
		peek_seq = vsk->copied_seq;
		seq = &peek_seq;
	}
	while (len) {
		u32 offset = 0, used;

		skb_queue_walk(&sk->sk_receive_queue, skb) {
			offset = *seq - VTCP_SKB_CB(skb)->seq;
			if (offset < skb->len)
				goto found;
		}
		if (copied >= target || (copied && stop_short(sk, timeo)))
			break;
		if (!copied) {
			err = cannot_wait(sk, timeo);
			if (err <= 0)
				break;
			err = 0;
		}
		sk_wait_data(sk, &timeo, NULL);
		continue;
found:
		used = min_t(size_t, skb->len - offset, len);
		if (skb_copy_datagram_msg(skb, offset, msg, used)) {
			err = -EFAULT;
			break;
		}
		*seq += used;
		copied += used;
		len -= used;
		if (!(flags & MSG_PEEK) && offset + used == skb->len) {
			__skb_unlink(skb, &sk->sk_receive_queue);
			consume_skb(skb);
		}
	}
	if (!(flags & MSG_PEEK) && copied)
		maybe_update_window(sk);
out:
	release_sock(sk);
	return copied ?: err;
}

/* Wait for buffer space: 0 to go on, else an error for the sender. */
static int wait_for_room(struct sock *sk, long *timeo)
{
	set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
	vtcp_push(sk);
	return sk_stream_wait_memory(sk, timeo);
}

static int send_error(struct sock *sk)
{
	if (sk->sk_err)
		return sock_error(sk);
	if ((sk->sk_shutdown & SEND_SHUTDOWN) ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
		return -EPIPE;
	return 0;
}

int vtcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	int copied = 0, err;
	long timeo;

	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	lock_sock(sk);
	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	if ((1 << sk->sk_state) & ~(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto out_err;
	}
	while (msg_data_left(msg)) {
		size_t chunk = min3(msg_data_left(msg), (size_t)vsk->mss,
				    (size_t)VTCP_MAX_SEG_ALLOC);
		struct sk_buff *skb;

		err = send_error(sk);
		if (err)
			goto out_err;
		if (!sk_stream_memory_free(sk)) {
			err = wait_for_room(sk, &timeo);
			if (err)
				goto out_err;
			continue;
		}
		skb = alloc_skb(VTCP_MAX_HEADER + chunk, sk->sk_allocation);
		if (!skb) {
			err = -ENOBUFS;
			goto out_err;
		}
		skb_reserve(skb, VTCP_MAX_HEADER);
		if (!copy_from_iter_full(skb_put(skb, chunk), chunk,
					 &msg->msg_iter)) {
			kfree_skb(skb);
			err = -EFAULT;
			goto out_err;
		}
		vtcp_queue_data(sk, skb);
		copied += chunk;
		vtcp_push(sk);
	}
	release_sock(sk);
	return copied;

out_err:
	vtcp_push(sk);
	if (!copied)
		copied = sk_stream_error(sk, msg->msg_flags, err);
	release_sock(sk);
	return copied;
}
