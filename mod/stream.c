// SPDX-License-Identifier: GPL-2.0
/*
 * The byte stream: the user's sends cut into segments on the write queue,
 * and the peer's segments put back in order for the user's reads. Data
 * arriving early waits on the out-of-order queue; everything received is
 * charged to the receive buffer, and nothing is accepted beyond it.
 */
#include <linux/sched/signal.h>
#include <net/inet_common.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "compat.h"
#include "fsm.h"
#include "memory.h"
#include "output.h"
#include "rtx.h"
#include "stream.h"
#include "timers.h"
#include "trace.h"
#include "wire.h"

static void free_queue(struct sock *sk, struct sk_buff_head *q, bool wmem)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(q))) {
		if (wmem)
			vtcp_uncharge_write(sk, skb);
		kfree_skb(skb);
	}
}

/* Give up everything waiting out of order (skb_rbtree_purge() is not exported). */
static void purge_ooo(struct sock *sk)
{
	struct rb_root *root = &vtcp_sk(sk)->ooo_queue;
	struct sk_buff *skb;

	while ((skb = skb_rb_first(root))) {
		rb_erase(&skb->rbnode, root);
		kfree_skb(skb);
	}
}

/**
 * vtcp_purge_queues() - free every queue of a socket
 * @sk: the socket
 *
 * The write and retransmit queues, the received and the out-of-order data;
 * the memory goes back to the protocol.
 *
 * Context: @sk locked.
 */
void vtcp_purge_queues(struct sock *sk)
{
	free_queue(sk, &sk->sk_write_queue, true);
	vtcp_rtx_purge(sk);
	free_queue(sk, &sk->sk_receive_queue, false);
	purge_ooo(sk);
	sk_mem_reclaim(sk);
}

/*
 * Add @skb's data to the last buffer of the receive queue if it fits
 * there, as TCP does: a stream of small segments then costs the buffer
 * what its bytes take, not a socket buffer each. Takes @skb if so.
 */
static bool coalesce(struct sock *sk, struct sk_buff *skb)
{
	struct sk_buff *tail = skb_peek_tail(&sk->sk_receive_queue);
	bool stolen;
	int delta;

	if (!tail || VTCP_SKB_CB(tail)->end_seq != VTCP_SKB_CB(skb)->seq ||
	    !skb_try_coalesce(tail, skb, &stolen, &delta))
		return false;
	VTCP_SKB_CB(tail)->end_seq = VTCP_SKB_CB(skb)->end_seq;
	vtcp_charge_coalesced(sk, delta);
	kfree_skb_partial(skb, stolen);
	return true;
}

/*
 * Append an in-order segment; true if it carried the FIN. What it repeats
 * of data already queued stays in it, below rcv_nxt: readers start at
 * their own sequence number, so nothing needs pulling (or allocating, or
 * can fail to be pulled and be read twice).
 */
static bool deliver(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	u32 overlap = min(vsk->rcv_nxt - cb->seq, skb->len);
	bool fin = cb->flags & TCPHDR_FIN;

	vsk->rcv_nxt = cb->end_seq;
	vsk->bytes_received += skb->len - overlap;
	if (skb->len == overlap)
		kfree_skb(skb);
	else if (overlap || !coalesce(sk, skb))
		__skb_queue_tail(&sk->sk_receive_queue, skb);
	return fin;
}

/* @start to @end arrived again: the next ACK says so (D-SACK, RFC 2883). */
static void note_dsack(struct sock *sk, u32 start, u32 end)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	if (!(vsk->opts & VTCP_OPT_SACK) || !seq_before(start, end))
		return;
	vsk->dsack_start = start;
	vsk->dsack_end = end;
	vsk->dsack = 1;
}

/**
 * vtcp_note_old_data() - report the part of a segment that came before
 * @sk: the socket
 * @cb: the segment's control block
 *
 * What of it is below rcv_nxt is a duplicate: our next ACK reports it as a
 * D-SACK (RFC 2883).
 *
 * Context: @sk locked.
 */
void vtcp_note_old_data(struct sock *sk, const struct vtcp_skb_cb *cb)
{
	u32 rcv_nxt = vtcp_sk(sk)->rcv_nxt;

	if (seq_before(cb->seq, rcv_nxt))
		note_dsack(sk, cb->seq, seq_before(cb->end_seq, rcv_nxt) ?
					cb->end_seq : rcv_nxt);
}

/*
 * Keep @skb (ahead of rcv_nxt) in the out-of-order tree, by sequence,
 * unless what it carries is there already; drop what it covers.
 */
static void ooo_insert(struct sock *sk, struct sk_buff *skb)
{
	struct rb_root *root = &vtcp_sk(sk)->ooo_queue;
	struct rb_node **link = &root->rb_node, *parent = NULL;
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	struct sk_buff *q, *before = NULL;

	while (*link) {
		parent = *link;
		q = rb_to_skb(parent);
		if (seq_before(cb->seq, VTCP_SKB_CB(q)->seq)) {
			link = &parent->rb_left;
		} else {
			before = q;
			link = &parent->rb_right;
		}
	}
	if (before && seq_leq(cb->end_seq, VTCP_SKB_CB(before)->end_seq)) {
		note_dsack(sk, cb->seq, cb->end_seq);
		vtcp_sk(sk)->ooo_last_seq = cb->seq;	/* its block second */
		kfree_skb(skb);
		return;
	}
	rb_link_node(&skb->rbnode, parent, link);
	rb_insert_color(&skb->rbnode, root);
	while ((q = skb_rb_next(skb)) &&
	       seq_leq(VTCP_SKB_CB(q)->end_seq, cb->end_seq)) {
		rb_erase(&q->rbnode, root);
		kfree_skb(q);
	}
	vtcp_sk(sk)->ooo_last_seq = cb->seq;
}

/* Move what the hole-filling segment made contiguous; true on FIN. */
static bool drain_ooo(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct sk_buff *skb;
	bool fin = false;

	while ((skb = skb_rb_first(&vsk->ooo_queue)) &&
	       seq_leq(VTCP_SKB_CB(skb)->seq, vsk->rcv_nxt)) {
		rb_erase(&skb->rbnode, &vsk->ooo_queue);
		if (seq_leq(VTCP_SKB_CB(skb)->end_seq, vsk->rcv_nxt))
			kfree_skb(skb);
		else
			fin |= deliver(sk, skb);
	}
	return fin;
}

/* The contiguous range of the out-of-order tree that starts at @skb. */
static struct sk_buff *ooo_range(struct sk_buff *skb, struct vtcp_sack_block *b)
{
	b->start = VTCP_SKB_CB(skb)->seq;
	b->end = VTCP_SKB_CB(skb)->end_seq;
	while ((skb = skb_rb_next(skb)) &&
	       seq_leq(VTCP_SKB_CB(skb)->seq, b->end))
		if (seq_after(VTCP_SKB_CB(skb)->end_seq, b->end))
			b->end = VTCP_SKB_CB(skb)->end_seq;
	return skb;
}

/**
 * vtcp_sack_blocks() - the SACK blocks for our next ACK (RFC 2018 section 4)
 * @sk: the socket
 * @out: filled with the blocks
 * @max: the most that fit
 * @dsack: whether a duplicate is to be reported first
 *
 * A duplicate's first, once, if @dsack (RFC 2883), then the range that holds
 * the latest arrival, then the others in sequence order.
 *
 * Context: @sk locked.
 * Return: the number of blocks in @out.
 */
unsigned int vtcp_sack_blocks(struct sock *sk, struct vtcp_sack_block *out,
			      unsigned int max, bool dsack)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	unsigned int n = 0, first;
	struct vtcp_sack_block b;
	struct sk_buff *skb;

	if (!max)
		return 0;
	if (dsack && vsk->dsack) {
		out[n].start = vsk->dsack_start;
		out[n++].end = vsk->dsack_end;
		vsk->dsack = 0;
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_DSACK_SENT);
	}
	first = n;
	for (skb = skb_rb_first(&vsk->ooo_queue); skb && n < max; ) {
		skb = ooo_range(skb, &b);
		if (seq_geq(vsk->ooo_last_seq, b.start) &&
		    seq_before(vsk->ooo_last_seq, b.end)) {
			out[n++] = b;
			break;
		}
	}
	for (skb = skb_rb_first(&vsk->ooo_queue); skb && n < max; ) {
		skb = ooo_range(skb, &b);
		if (n == first || b.start != out[first].start)
			out[n++] = b;
	}
	return n;
}

/*
 * In-order data: an ACK every second segment (RFC 9293 3.8.6.3). For
 * full-sized segments only when it would move the window's right edge;
 * when it would not (the reader is behind), the ACK waits for the read
 * that opens the window (maybe_update_window()) or the delayed ACK timer,
 * as TCP's do: a bulk receiver then sends an ACK per read, not per two
 * segments. Small segments keep the ACK every second one: over veth each
 * shares the sender's buffer until its ACK frees it, and only then can it
 * be coalesced here (a stream of one-byte writes filled the buffer).
 * TCP_QUICKACK: every segment at once.
 */
static void ack_soon(struct sock *sk, u32 len)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	vsk->acks_pending++;
	if (vsk->quickack ||
	    (vsk->acks_pending >= 2 &&
	     (len < vsk->advmss / 2 || vtcp_window_room(sk) >= vsk->rcv_wnd)))
		vtcp_send_ack(sk);
	else if (!vtcp_timer_pending(sk, VTCP_TIMER_DELACK))
		vtcp_arm_timer(sk, VTCP_TIMER_DELACK,
			       (u64)vtcp_sysctl(sock_net(sk), delack_ms) *
			       NSEC_PER_MSEC);
}

/*
 * Find room for @skb in the receive buffer. In-order data comes first:
 * for it we give up what waits out of order (the peer resends it).
 * Returns 0, or vtcp_charge_read()'s error.
 */
static int charge(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	bool in_order = !seq_after(VTCP_SKB_CB(skb)->seq, vsk->rcv_nxt);
	int err = vtcp_charge_read(sk, skb, in_order);

	if (!err || !in_order || RB_EMPTY_ROOT(&vsk->ooo_queue))
		return err;
	purge_ooo(sk);
	sk_mem_reclaim(sk);
	return vtcp_charge_read(sk, skb, true);
}

/**
 * vtcp_queue_rcv() - take the payload and FIN of an acceptable segment
 * @sk: the socket
 * @skb: the segment, its header pulled, taken by this function
 *
 * In order to the receive queue, or to the out-of-order queue; what it fills
 * wakes the user.
 *
 * Context: @sk locked.
 */
void vtcp_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	bool fin;
	u32 len;
	int err;

	vtcp_note_old_data(sk, cb);
	if (seq_leq(cb->end_seq, vsk->rcv_nxt)) {
		kfree_skb(skb);			/* a duplicate */
		vtcp_send_ack(sk);
		return;
	}
	skb_dst_drop(skb);
	err = charge(sk, skb);
	if (err) {
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_RCVBUF_DROP);
		vtcp_drop(sk, skb, err == -ENOMEM ? VTCP_DROP_MEMORY :
						    VTCP_DROP_RCVBUF);
		vtcp_send_ack(sk);
		return;
	}
	if (seq_after(cb->seq, vsk->rcv_nxt)) {
		ooo_insert(sk, skb);
		vtcp_send_ack(sk);		/* a duplicate ACK: a hole */
		return;
	}
	len = cb->end_seq - cb->seq;
	fin = deliver(sk, skb);
	fin |= drain_ooo(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	if (fin)
		vtcp_fsm(sk, VTCP_EV_FIN, NULL);
	else if (!RB_EMPTY_ROOT(&vsk->ooo_queue))
		vtcp_send_ack(sk);
	else
		ack_soon(sk, len);
}

/* After a read: tell the peer if the window opened much wider. */
static void maybe_update_window(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 offered = vsk->rcv_wup + vsk->rcv_wnd - vsk->rcv_nxt;

	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				   TCPF_FIN_WAIT2) &&
	    vtcp_window_room(sk) >= offered + 2 * vsk->mss)
		vtcp_send_ack(sk);
}

/*
 * Receive buffer autotuning, as TCP's: once a round trip, let the buffer
 * hold twice what the reader took in it (the window is half the buffer),
 * up to net.vtcp.rmem_max, unless the user set SO_RCVBUF.
 */
static void autotune_rcvbuf(struct sock *sk, int copied)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u64 now = ktime_get_ns();
	u64 rtt_ns = max_t(u64, (u64)vsk->srtt_us * NSEC_PER_USEC, NSEC_PER_MSEC);
	int want;

	vsk->rcvq_space_copied += copied;
	if (now - vsk->rcvq_space_ns < rtt_ns)
		return;
	want = min_t(u64, 4ULL * vsk->rcvq_space_copied,
		     vtcp_sysctl(sock_net(sk), rmem_max));
	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK) && want > sk->sk_rcvbuf)
		WRITE_ONCE(sk->sk_rcvbuf, want);
	vsk->rcvq_space_copied = 0;
	vsk->rcvq_space_ns = now;
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

/**
 * vtcp_recvmsg() - recvmsg(): proto->recvmsg
 * @sk: the socket
 * @msg: where the data goes
 * @len: the most to read
 * @flags: MSG_* flags (MSG_PEEK, MSG_WAITALL, MSG_ERRQUEUE, ...)
 * @addr_len: the length of the address, for MSG_ERRQUEUE
 *
 * Context: process context; takes the socket lock, may sleep.
 * Return: the bytes read, 0 at the end of the stream, or a negative errno.
 */
int vtcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		 int *addr_len)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 peek_seq, *seq = &vsk->copied_seq;
	int copied = 0, target, err = 0;
	struct sk_buff *skb;
	long timeo;

	if (flags & MSG_ERRQUEUE)	/* ICMP errors, with IP_RECVERR */
		return inet_recv_error(sk, msg, len, addr_len);
	if (flags & MSG_OOB)
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
		/* Until the queue changes: a peek may have seen all of it. */
		sk_wait_data(sk, &timeo, skb_peek_tail(&sk->sk_receive_queue));
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
	if (!(flags & MSG_PEEK) && copied) {
		sk_mem_reclaim(sk);
		autotune_rcvbuf(sk, copied);
		maybe_update_window(sk);
	}
out:
	release_sock(sk);
	return copied ?: err;
}

/* The received segment holding @seq, and @seq's offset in it; or NULL. */
static struct sk_buff *segment_at(struct sock *sk, u32 seq, u32 *offset)
{
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		*offset = seq - VTCP_SKB_CB(skb)->seq;
		if (*offset < skb->len)
			return skb;
	}
	return NULL;
}

/**
 * vtcp_splice_read() - splice() from a socket: proto_ops->splice_read
 * @sock: the socket
 * @ppos: the position, unused
 * @pipe: the pipe
 * @len: the most to move
 * @flags: SPLICE_F_* flags
 *
 * The received segments' pages go into the pipe by reference
 * (skb_splice_bits()), as tcp_splice_read() moves them; only what sits in a
 * segment's linear part is copied. Stops at a full pipe.
 *
 * Context: process context; takes the socket lock, may sleep.
 * Return: the bytes moved, 0 at the end of the stream, or a negative errno.
 */
ssize_t vtcp_splice_read(struct socket *sock, loff_t *ppos,
			 struct pipe_inode_info *pipe, size_t len,
			 unsigned int flags)
{
	struct sock *sk = sock->sk;
	struct vtcp_sock *vsk = vtcp_sk(sk);
	ssize_t spliced = 0;
	struct sk_buff *skb;
	u32 offset;
	long timeo;
	int ret = 0;

	lock_sock(sk);
	/* SPLICE_F_NONBLOCK is the pipe's: the socket's own flag decides. */
	timeo = sock_rcvtimeo(sk, sock->file->f_flags & O_NONBLOCK);
	while (len && sk->sk_state != TCP_LISTEN) {
		skb = segment_at(sk, vsk->copied_seq, &offset);
		if (!skb) {
			if (spliced)
				break;
			ret = cannot_wait(sk, timeo);
			if (ret <= 0)
				break;
			sk_wait_data(sk, &timeo, NULL);
			continue;
		}
		ret = skb_splice_bits(skb, sk, offset, pipe,
				      min_t(size_t, len, skb->len - offset),
				      flags);
		if (ret <= 0)
			break;
		vsk->copied_seq += ret;
		spliced += ret;
		len -= ret;
		if (offset + ret == skb->len) {
			__skb_unlink(skb, &sk->sk_receive_queue);
			consume_skb(skb);
		}
	}
	if (sk->sk_state == TCP_LISTEN)
		ret = -ENOTCONN;
	if (spliced) {
		sk_mem_reclaim(sk);
		autotune_rcvbuf(sk, spliced);
		maybe_update_window(sk);
	}
	release_sock(sk);
	return spliced ?: ret;
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

/*
 * How much one queued segment may carry: one MSS, or with segmentation
 * offload as much as the device takes and half the largest window the
 * peer offered (vtcp_push() cuts it down to what the windows allow).
 */
static u32 size_goal(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 goal;

	if (!sk_can_gso(sk))
		return vsk->mss;
	goal = min_t(u32, READ_ONCE(sk->sk_gso_max_size) - VTCP_MAX_HEADER,
		     vsk->max_window / 2);
	goal = min_t(u32, goal, (u32)vsk->mss * READ_ONCE(sk->sk_gso_max_segs));
	return max_t(u32, rounddown(goal, vsk->mss), vsk->mss);
}

/* The last queued segment, if it is unsent data that can take more. */
static struct sk_buff *tail_with_room(struct sock *sk, u32 goal)
{
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);

	if (!skb || skb->len >= goal ||
	    skb_shinfo(skb)->nr_frags >= MAX_SKB_FRAGS ||
	    (VTCP_SKB_CB(skb)->flags & (TCPHDR_SYN | TCPHDR_FIN)))
		return NULL;
	return skb;
}

/* A new, empty data segment at the end of the write queue. */
static struct sk_buff *new_segment(struct sock *sk)
{
	struct sk_buff *skb = vtcp_alloc_queued_skb(sk->sk_allocation);

	if (!skb)
		return NULL;
	vtcp_queue_data(sk, skb);
	return skb;
}

/* A segment that got no data (the copy failed) leaves the queue. */
static void remove_if_empty(struct sock *sk, struct sk_buff *skb)
{
	if (skb->len)
		return;
	__skb_unlink(skb, &sk->sk_write_queue);
	vtcp_uncharge_write(sk, skb);
	kfree_skb(skb);
}

/* @n more bytes in the unsent @skb: charged, and in the sequence space. */
static int queued_bytes(struct sock *sk, struct sk_buff *skb, int n)
{
	vtcp_charge_bytes(sk, n);
	VTCP_SKB_CB(skb)->end_seq += n;
	vtcp_sk(sk)->write_seq += n;
	return n;
}

/*
 * Copy up to @n bytes of @msg into page fragments of the unsent @skb.
 * Returns the bytes taken, 0 when @skb can take no more fragments, or
 * -ENOMEM (wait for memory) or -EFAULT.
 */
static int append_copy(struct sock *sk, struct sk_buff *skb,
		       struct msghdr *msg, size_t n)
{
	struct page_frag *pfrag = sk_page_frag(sk);
	int i = skb_shinfo(skb)->nr_frags;
	bool merge;

	if (!sk_page_frag_refill(sk, pfrag))
		return -ENOMEM;
	n = min_t(size_t, n, pfrag->size - pfrag->offset);
	merge = skb_can_coalesce(skb, i, pfrag->page, pfrag->offset);
	if (!merge && i >= MAX_SKB_FRAGS)
		return 0;
	if (!vtcp_wmem_schedule(sk, n))
		return -ENOMEM;
	if (copy_page_from_iter(pfrag->page, pfrag->offset, n,
				&msg->msg_iter) != n)
		return -EFAULT;
	if (merge) {
		skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], n);
	} else {
		skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset, n);
		get_page(pfrag->page);
	}
	pfrag->offset += n;
	skb->len += n;
	skb->data_len += n;
	skb->truesize += n;
	return queued_bytes(sk, skb, n);
}

#if VTCP_HAVE_SPLICE_PAGES
/*
 * sendfile() and splice(): @msg's pages themselves become the segment's
 * frags (MSG_SPLICE_PAGES), shared with the page cache as for TCP; no
 * room for another frag (-EMSGSIZE): they are copied after all.
 */
static int append_pages(struct sock *sk, struct sk_buff *skb,
			struct msghdr *msg, size_t n)
{
	ssize_t got;

	if (!vtcp_wmem_schedule(sk, n))
		return -ENOMEM;
	got = skb_splice_from_iter(skb, &msg->msg_iter, n, sk->sk_allocation);
	if (got == -EMSGSIZE)
		return append_copy(sk, skb, msg, n);
	if (got <= 0)
		return got ?: -EFAULT;	/* -EIO: pages TCP would refuse too */
	if (!(msg->msg_flags & MSG_NO_SHARED_FRAGS))
		skb_shinfo(skb)->flags |= SKBFL_SHARED_FRAG;
	return queued_bytes(sk, skb, got);
}
#else
/*
 * 6.1: the page vtcp_sendpage() was given (@msg's one bio_vec, from where
 * the iterator stands) becomes the segment's next frag, or grows its last
 * one: shared with the page cache, as do_tcp_sendpages() shares it.
 */
static int append_pages(struct sock *sk, struct sk_buff *skb,
			struct msghdr *msg, size_t n)
{
	const struct bio_vec *bv = msg->msg_iter.bvec;
	size_t off = bv->bv_offset + msg->msg_iter.iov_offset;
	int i = skb_shinfo(skb)->nr_frags;
	bool merge = skb_can_coalesce(skb, i, bv->bv_page, off);

	if (!merge && i >= MAX_SKB_FRAGS)
		return 0;
	if (!vtcp_wmem_schedule(sk, n))
		return -ENOMEM;
	if (merge) {
		skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], n);
	} else {
		get_page(bv->bv_page);
		skb_fill_page_desc(skb, i, bv->bv_page, off, n);
	}
	skb_shinfo(skb)->flags |= SKBFL_SHARED_FRAG;
	iov_iter_advance(&msg->msg_iter, n);
	skb->len += n;
	skb->data_len += n;
	skb->truesize += n;
	return queued_bytes(sk, skb, n);
}
#endif

static int append(struct sock *sk, struct sk_buff *skb, struct msghdr *msg,
		  size_t n, bool pages)
{
	if (pages)
		return append_pages(sk, skb, msg, n);
	return append_copy(sk, skb, msg, n);
}

/*
 * Queue @msg's data, its pages themselves if @pages, else a copy. With
 * @more, another call follows at once (6.1's MSG_SENDPAGE_NOTLAST): only
 * full segments leave now, as do_tcp_sendpages() pushes.
 */
static int send_data(struct sock *sk, struct msghdr *msg, bool pages,
		     bool more)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	int copied = 0, err;
	struct sk_buff *skb;
	long timeo;
	u8 cork;

	lock_sock(sk);
	cork = vsk->cork;
	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	if ((1 << sk->sk_state) & ~(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto out_err;
	}
	/* MSG_MORE corks this call's last partial segment (as TCP). */
	if (msg->msg_flags & MSG_MORE)
		vsk->cork = 1;
	while (msg_data_left(msg)) {
		u32 goal = size_goal(sk);

		err = send_error(sk);
		if (err)
			goto out_err;
		skb = tail_with_room(sk, goal);
		if (!skb) {
			if (!sk_stream_memory_free(sk) ||
			    !vtcp_wmem_schedule(sk, SKB_TRUESIZE(VTCP_MAX_HEADER)))
				goto wait;
			skb = new_segment(sk);
			if (!skb)
				goto wait;
		}
		err = append(sk, skb, msg, min_t(size_t, msg_data_left(msg),
						 goal - skb->len), pages);
		if (err > 0) {
			copied += err;
			if (!tail_with_room(sk, goal))
				vtcp_push(sk);
			continue;
		}
		remove_if_empty(sk, skb);
		if (err && err != -ENOMEM)
			goto out_err;
wait:
		err = wait_for_room(sk, &timeo);
		if (err)
			goto out_err;
	}
	if (!more)
		vtcp_push(sk);
	vsk->cork = cork;
	release_sock(sk);
	return copied;

out_err:
	vtcp_push(sk);
	vsk->cork = cork;
	if (!copied)
		copied = sk_stream_error(sk, msg->msg_flags, err);
	release_sock(sk);
	return copied;
}

/**
 * vtcp_sendmsg() - sendmsg(): proto->sendmsg
 * @sk: the socket
 * @msg: the data, and its flags (MSG_SPLICE_PAGES from 6.5 on)
 * @size: its length
 *
 * Context: process context; takes the socket lock, may sleep.
 * Return: the bytes queued, or a negative errno (-EOPNOTSUPP for MSG_OOB).
 */
int vtcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
#if VTCP_HAVE_SPLICE_PAGES
	return send_data(sk, msg, msg->msg_flags & MSG_SPLICE_PAGES, false);
#else
	return send_data(sk, msg, false, false);
#endif
}

#if !VTCP_HAVE_SPLICE_PAGES
/**
 * vtcp_sendpage() - sendfile() and splice() to a socket on 6.1:
 * proto->sendpage
 * @sk: the socket
 * @page: the page
 * @offset: where its data starts
 * @size: its length
 * @flags: MSG_* flags
 *
 * They hand over one page at a time, saying when the next one follows
 * (MSG_SENDPAGE_NOTLAST): the segment then waits to fill, and its last
 * partial one waits for more, as with MSG_MORE.
 *
 * Context: process context; takes the socket lock, may sleep.
 * Return: the bytes queued, or a negative errno.
 */
int vtcp_sendpage(struct sock *sk, struct page *page, int offset,
		  size_t size, int flags)
{
	struct bio_vec bv = {
		.bv_page = page, .bv_offset = offset, .bv_len = size,
	};
	struct msghdr msg = { .msg_flags = flags };

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_SENDPAGE_NOTLAST)
		msg.msg_flags |= MSG_MORE;
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bv, 1, size);
	return send_data(sk, &msg, true, flags & MSG_SENDPAGE_NOTLAST);
}
#endif
