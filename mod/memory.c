// SPDX-License-Identifier: GPL-2.0
/*
 * Memory accounting. Every buffer a socket queues is charged to it as
 * TCP's are (sk_mem_charge() against the socket's forward allocation, the
 * protocol's pages against limits set from free memory as tcp_mem's are),
 * and to its network namespace, whose total net.vtcp.mem_max_kb may cap:
 * past it the namespace is under pressure, senders wait and out-of-order
 * data is dropped, so that in-order data still flows.
 */
#include <linux/mm.h>
#include <linux/percpu_counter.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "memory.h"
#include "recovery.h"
#include "wire.h"

static atomic_long_t vtcp_memory_allocated;
static DEFINE_PER_CPU(int, vtcp_memory_per_cpu_fw_alloc);
static struct percpu_counter vtcp_sockets_allocated;
static unsigned long vtcp_memory_pressure;
static long vtcp_sysctl_mem[3];
static int vtcp_sysctl_wmem[3] = { 4096, 16384, 4 << 20 };
static int vtcp_sysctl_rmem[3] = { 4096, 131072, 6 << 20 };

static void vtcp_enter_memory_pressure(struct sock *sk)
{
	WRITE_ONCE(vtcp_memory_pressure, 1);
}

static void vtcp_leave_memory_pressure(struct sock *sk)
{
	WRITE_ONCE(vtcp_memory_pressure, 0);
}

/**
 * vtcp_memory_init() - set up the protocol's memory accounting
 * @prot: our struct proto, whose limits and counters these are
 *
 * The protocol's share of the machine, as tcp_mem, from free pages.
 *
 * Context: process context, at module load.
 * Return: 0, or -ENOMEM.
 */
int vtcp_memory_init(struct proto *prot)
{
	unsigned long limit = nr_free_buffer_pages() / 16;

	limit = max(limit, 128UL);
	vtcp_sysctl_mem[0] = limit / 4 * 3;
	vtcp_sysctl_mem[1] = limit;
	vtcp_sysctl_mem[2] = vtcp_sysctl_mem[0] * 2;
	prot->memory_allocated = &vtcp_memory_allocated;
	prot->per_cpu_fw_alloc = &vtcp_memory_per_cpu_fw_alloc;
	prot->sockets_allocated = &vtcp_sockets_allocated;
	prot->memory_pressure = &vtcp_memory_pressure;
	prot->enter_memory_pressure = vtcp_enter_memory_pressure;
	prot->leave_memory_pressure = vtcp_leave_memory_pressure;
	prot->sysctl_mem = vtcp_sysctl_mem;
	prot->sysctl_wmem = vtcp_sysctl_wmem;
	prot->sysctl_rmem = vtcp_sysctl_rmem;
	return percpu_counter_init(&vtcp_sockets_allocated, 0, GFP_KERNEL);
}

/**
 * vtcp_memory_exit() - free what vtcp_memory_init() allocated
 *
 * Context: process context, at module unload.
 */
void vtcp_memory_exit(void)
{
	percpu_counter_destroy(&vtcp_sockets_allocated);
}

static atomic_long_t *ns_mem(const struct sock *sk)
{
	return &vtcp_pernet(sock_net(sk))->mem_bytes;
}

/**
 * vtcp_under_pressure() - is the namespace of a socket past its memory limit?
 * @sk: the socket
 *
 * Context: any context.
 * Return: true if net.vtcp.mem_max_kb is set and the namespace's sockets hold
 * more.
 */
bool vtcp_under_pressure(const struct sock *sk)
{
	long max_kb = vtcp_sysctl(sock_net(sk), mem_max_kb);

	return max_kb && atomic_long_read(ns_mem(sk)) > max_kb * 1024L;
}

/**
 * vtcp_wmem_schedule() - may the user queue more data to send?
 * @sk: the socket
 * @size: the bytes it would add
 *
 * Context: @sk locked.
 * Return: true if the namespace and the protocol have room for @size.
 */
bool vtcp_wmem_schedule(struct sock *sk, int size)
{
	return !vtcp_under_pressure(sk) && sk_wmem_schedule(sk, size);
}

/**
 * vtcp_expand_sndbuf() - let the send buffer follow the congestion window
 * @sk: the socket, after an ACK freed room
 *
 * As TCP's does (tcp_sndbuf_expand()), so that a path whose bandwidth-delay
 * product passes wmem_default is not limited by it. Twice the window's
 * segments at their true size, up to wmem[2]; not when the user set
 * SO_SNDBUF, memory is short, or the window, not the buffer, limits.
 *
 * Context: @sk locked.
 */
void vtcp_expand_sndbuf(struct sock *sk)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 per_mss, segs;
	int want;

	if ((sk->sk_userlocks & SOCK_SNDBUF_LOCK) || vtcp_under_pressure(sk) ||
	    READ_ONCE(vtcp_memory_pressure) ||
	    atomic_long_read(&vtcp_memory_allocated) >= vtcp_sysctl_mem[0] ||
	    vtcp_in_flight(sk) >= vsk->cwnd || !vsk->mss)
		return;
	per_mss = roundup_pow_of_two(vsk->mss + VTCP_MAX_HEADER +
				     SKB_DATA_ALIGN(sizeof(struct skb_shared_info))) +
		  SKB_DATA_ALIGN(sizeof(struct sk_buff));
	segs = max_t(u32, vsk->cwnd / vsk->mss, TCP_INIT_CWND);
	want = min_t(u64, 2ULL * segs * per_mss, vtcp_sysctl_wmem[2]);
	if (want > READ_ONCE(sk->sk_sndbuf))
		WRITE_ONCE(sk->sk_sndbuf, want);
}

/* @skb joins the write queue. */
/*
 * What the accounting relies on: a buffer's truesize covers its head and
 * its pages. One whose head grew without its truesize (pskb_expand_head()
 * leaves it when a socket owns the buffer) would be uncharged for more or
 * less than it was charged. vtcp's own buffers are checked where they join
 * the write queue, with CONFIG_DEBUG_NET (the debug kernel's). Received
 * buffers are not: the stack hands over such buffers itself (tc pedit on
 * a sender's egress, for one), and skb_try_coalesce() copes.
 */
static void check_truesize(const struct sk_buff *skb)
{
	DEBUG_NET_WARN_ON_ONCE(skb->truesize <
			       SKB_TRUESIZE(skb_end_offset(skb)) + skb->data_len);
}

/**
 * vtcp_charge_write() - charge a segment queued to send to its socket
 * @sk: the socket
 * @skb: the segment, joining the write queue
 *
 * Context: @sk locked.
 */
void vtcp_charge_write(struct sock *sk, struct sk_buff *skb)
{
	check_truesize(skb);
	sk_wmem_queued_add(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
	atomic_long_add(skb->truesize, ns_mem(sk));
}

/**
 * vtcp_charge_bytes() - charge data the user added to a queued segment
 * @sk: the socket
 * @n: the bytes the segment grew by
 *
 * Context: @sk locked.
 */
void vtcp_charge_bytes(struct sock *sk, int n)
{
	sk_wmem_queued_add(sk, n);
	sk_mem_charge(sk, n);
	atomic_long_add(n, ns_mem(sk));
}

/**
 * vtcp_uncharge_write() - a segment leaves the write queue, to be freed
 * @sk: the socket
 * @skb: the segment
 *
 * Context: @sk locked.
 */
void vtcp_uncharge_write(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_queued_add(sk, -skb->truesize);
	sk_mem_uncharge(sk, skb->truesize);
	atomic_long_sub(skb->truesize, ns_mem(sk));
}

static void vtcp_rfree(struct sk_buff *skb)
{
	atomic_long_sub(skb->truesize, ns_mem(skb->sk));
	sock_rfree(skb);
}

/**
 * vtcp_charge_coalesced() - a received buffer took another's data
 * @sk: the socket
 * @delta: what its true size grew by (coalescing)
 *
 * Context: @sk locked.
 */
void vtcp_charge_coalesced(struct sock *sk, int delta)
{
	atomic_add(delta, &sk->sk_rmem_alloc);
	sk_mem_charge(sk, delta);
	atomic_long_add(delta, ns_mem(sk));
}

/**
 * vtcp_charge_read() - charge a received segment to its socket, if there is
 * room
 * @sk: the socket
 * @skb: the segment
 * @in_order: whether it is the next the user reads
 *
 * Within the receive buffer and the memory limits; under pressure only
 * in-order data is taken.
 *
 * Context: @sk locked.
 * Return: 0 if charged; else @skb is to be dropped: -ENOBUFS for the
 * buffer, -ENOMEM for memory (the namespace's pressure or the protocol's
 * limit).
 */
int vtcp_charge_read(struct sock *sk, struct sk_buff *skb, bool in_order)
{
	int limit = READ_ONCE(sk->sk_rcvbuf);

	/*
	 * In-order data inside the window we offered is taken even past the
	 * buffer, up to twice it: the window is a promise (RFC 9293 3.8.6),
	 * and small segments cost more buffer than their bytes until
	 * coalesced.
	 */
	if (in_order && !seq_after(VTCP_SKB_CB(skb)->end_seq,
				   vtcp_sk(sk)->rcv_wup + vtcp_sk(sk)->rcv_wnd))
		limit *= 2;
	if (atomic_read(&sk->sk_rmem_alloc) + skb->truesize > limit)
		return -ENOBUFS;
	if (!in_order && vtcp_under_pressure(sk)) {
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_PRESSURE_DROP);
		return -ENOMEM;
	}
	if (!sk_rmem_schedule(sk, skb, skb->truesize))
		return -ENOMEM;
	skb_set_owner_r(skb, sk);
	skb->destructor = vtcp_rfree;
	atomic_long_add(skb->truesize, ns_mem(sk));
	return 0;
}
