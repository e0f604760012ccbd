// SPDX-License-Identifier: GPL-2.0
/*
 * The socket layer: struct proto and proto_ops. User calls become events
 * for the state machine; binding, ports, naming and the accept queue are
 * the kernel's inet code, driven by our own hash tables.
 */
#include <linux/net.h>
#include <linux/poll.h>
#include <asm/ioctls.h>
#include <linux/sockios.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "compat.h"
#include "cong.h"
#include "diag.h"
#include "fsm.h"
#include "hash.h"
#include "info.h"
#include "input.h"
#include "ipv6.h"
#include "netlink.h"
#include "offload.h"
#include "options.h"
#include "output.h"
#include "pmtu.h"
#include "request.h"
#include "rtx.h"
#include "socket.h"
#include "stream.h"
#include "timers.h"
#include "timewait.h"
#include "wire.h"

static DEFINE_PER_CPU(unsigned int, vtcp_orphan_count);

/**
 * vtcp_advmss() - the largest payload we accept on a route
 * @dst: the route
 *
 * Context: any context.
 * Return: its MTU less the IP header and ours, within VTCP_MIN_MSS and
 * U16_MAX.
 */
u16 vtcp_advmss(const struct dst_entry *dst)
{
	unsigned int iph = dst->ops->family == AF_INET6 ?
			   sizeof(struct ipv6hdr) : sizeof(struct iphdr);

	return clamp_t(unsigned int, dst_mtu(dst) - iph - VTCP_HDR_MIN,
		       VTCP_MIN_MSS, U16_MAX);
}

/**
 * vtcp_user_advmss() - the MSS a socket offers on a route
 * @sk: the socket
 * @dst: the route
 *
 * Context: any context.
 * Return: the route's MSS, at most the user's (TCP_MAXSEG).
 */
u16 vtcp_user_advmss(const struct sock *sk, const struct dst_entry *dst)
{
	return min_not_zero(vtcp_advmss(dst), vtcp_sk(sk)->user_mss);
}

/* Forget the connection's sequence numbers, windows and estimates. */
static void vtcp_clear_conn(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	memset_startat(vsk, 0, iss);
	vtcp_rtx_init(sk);
	vsk->advmss = TCP_MSS_DEFAULT;
	vsk->mss = TCP_MSS_DEFAULT;
	vsk->cwnd = TCP_INIT_CWND * TCP_MSS_DEFAULT;
	vsk->ssthresh = U32_MAX;
}

/**
 * vtcp_init_sock_state() - our part of a new socket, or of a listener's clone
 * @sk: the socket
 *
 * An empty connection, queues and timers, and its congestion control.
 *
 * Context: @sk not yet visible to others.
 */
void vtcp_init_sock_state(struct sock *sk)
{
	vtcp_clear_conn(sk);
	INIT_LIST_HEAD(&vtcp_sk(sk)->children);
	INIT_LIST_HEAD(&vtcp_sk(sk)->child_node);
	vtcp_sk(sk)->ooo_queue = RB_ROOT;
	vtcp_init_timers(sk);
	vtcp_cong_init_sock(sk);
}

/*
 * ACKs freed room in the send buffer: wake writers and pollers, if one
 * found it full (each sets SOCK_NOSPACE first). Not on every ACK: an
 * epoll set watching for input counts as a sleeper too.
 */
static void vtcp_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	if (!sock || !test_bit(SOCK_NOSPACE, &sock->flags) ||
	    !sk_stream_is_writeable(sk))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
						      EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

/*
 * Room to write, as the stream helpers and poll ask it: with
 * TCP_NOTSENT_LOWAT, unsent bytes below it (and half of it to wake a
 * writer, @wake 1), as tcp_stream_memory_free().
 */
static bool vtcp_stream_memory_free(const struct sock *sk, int wake)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 notsent = READ_ONCE(vsk->write_seq) - READ_ONCE(vsk->snd_nxt);
	u32 lowat = READ_ONCE(vsk->notsent_lowat) ?: UINT_MAX;

	return (notsent << wake) < lowat;
}

/*
 * IP_OPTIONS and IPv6 extension headers change icsk_ext_hdr_len, and the
 * kernel then asks every connection socket for its MSS again, through
 * this hook: without it, setsockopt(IP_OPTIONS) called NULL.
 */
static unsigned int vtcp_icsk_sync_mss(struct sock *sk, u32 pmtu)
{
	vtcp_sync_mss(sk, pmtu);
	return vtcp_sk(sk)->mss;
}

static int vtcp_init_sock(struct sock *sk)
{
	vtcp_init_sock_state(sk);
	vtcp_sk(sk)->af = sk->sk_family == AF_INET6 ? &vtcp_ipv6_ops :
						      &vtcp_ipv4_ops;
	inet_csk(sk)->icsk_sync_mss = vtcp_icsk_sync_mss;
	sk_sockets_allocated_inc(sk);
	sk->sk_write_space = vtcp_write_space;
	sk->sk_gso_type = SKB_GSO_SCTP;		/* see offload.c */
	sock_set_flag(sk, SOCK_USE_WRITE_QUEUE);
	return 0;
}

static void vtcp_destroy_sock(struct sock *sk)
{
	vtcp_stop_timers(sk);
	vtcp_purge_queues(sk);
	vtcp_cong_release_sock(sk);
	sk_mem_reclaim_final(sk);
	sk_sockets_allocated_dec(sk);
	if (inet_csk(sk)->icsk_bind_hash)
		inet_put_port(sk);
}

/* Out of the hashes; the port goes too, unless the user bound it. */
static void unhash_and_unbind(struct sock *sk)
{
	sk->sk_prot->unhash(sk);
	if (inet_csk(sk)->icsk_bind_hash &&
	    !(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		inet_put_port(sk);
}

/**
 * vtcp_set_state() - the state machine's change of state
 * @sk: the socket, locked
 * @state: its next state, a TCP_* number
 *
 * For vtcp_fsm() alone: every change goes through its table. Leaving
 * for CLOSED unhashes the socket and frees its port.
 *
 * Context: @sk locked.
 */
void vtcp_set_state(struct sock *sk, int state)
{
	if (state == TCP_CLOSE) {
		if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))
			VTCP_INC_STATS(sock_net(sk), VTCP_MIB_ESTAB_RESETS);
		unhash_and_unbind(sk);
	}
	inet_sk_set_state(sk, state);
}

/**
 * vtcp_done() - the connection is over: stop everything
 * @sk: the socket
 *
 * It is closed, its timers stop and its user is woken; an orphan is freed.
 *
 * Context: @sk locked.
 */
void vtcp_done(struct sock *sk)
{
	if (WARN_ON_ONCE(sk->sk_state != TCP_CLOSE))
		vtcp_set_state(sk, TCP_CLOSE);
	vtcp_stop_timers(sk);
	if (vtcp_sk(sk)->req)
		vtcp_child_drop_req(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_state_change(sk);
	else
		inet_csk_destroy_sock(sk);
}

/**
 * vtcp_reset_sock() - end a connection with an error for its user
 * @sk: the socket
 * @err: the positive errno its user is told, or 0
 *
 * For an RST or a timeout. The error is reported after the socket is closed
 * and shut down, as TCP's tcp_done_with_error(): a poller it wakes sees ERR,
 * HUP and IN at once.
 *
 * Context: @sk locked.
 */
void vtcp_reset_sock(struct sock *sk, int err)
{
	bool report = err && !sock_flag(sk, SOCK_DEAD);

	if (report)
		WRITE_ONCE(sk->sk_err, err);
	vtcp_done(sk);
	if (report)
		sk_error_report(sk);
}

static bool has_unread_data(struct sock *sk)
{
	return !skb_queue_empty(&sk->sk_receive_queue);
}

/**
 * vtcp_orphans() - how many closed sockets are still finishing
 *
 * In all namespaces, as TCP counts them.
 *
 * Context: any context.
 * Return: the count.
 */
unsigned int vtcp_orphans(void)
{
	unsigned int orphans = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		orphans += per_cpu(vtcp_orphan_count, cpu);
	return orphans;
}

/*
 * More orphans than net.vtcp.max_orphans? They are counted for all
 * namespaces, so the limit is the initial namespace's.
 */
static bool too_many_orphans(void)
{
	return vtcp_orphans() > (unsigned int)vtcp_sysctl(&init_net, max_orphans);
}

static void vtcp_close(struct sock *sk, long timeout)
{
	int state;

	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	/* RFC 9293 / TCP: closing with unread data, or lingering 0, aborts. */
	if (has_unread_data(sk) ||
	    (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime))
		vtcp_fsm(sk, VTCP_EV_ABORT, NULL);
	else
		vtcp_fsm(sk, VTCP_EV_CLOSE, NULL);
	sk_stream_wait_close(sk, timeout);

	state = sk->sk_state;
	sock_hold(sk);
	sock_orphan(sk);
	release_sock(sk);		/* runs the backlog one last time */

	local_bh_disable();
	bh_lock_sock(sk);
	this_cpu_inc(vtcp_orphan_count);
	if (state != TCP_CLOSE && sk->sk_state == TCP_CLOSE)
		goto out;		/* done (and freed) meanwhile */
	if (sk->sk_state != TCP_CLOSE && too_many_orphans()) {
		VTCP_INC_STATS(sock_net(sk), VTCP_MIB_ORPHAN_ABORTS);
		vtcp_fsm(sk, VTCP_EV_ABORT, NULL);	/* as TCP: reset */
		goto out;
	}
	if (sk->sk_state == TCP_CLOSE)
		inet_csk_destroy_sock(sk);
	else if (sk->sk_state == TCP_FIN_WAIT2)
		vtcp_arm_keepalive(sk);	/* the orphan's FIN-WAIT-2 timeout */
out:
	bh_unlock_sock(sk);
	local_bh_enable();
	sock_put(sk);
}

static int route_and_hash(struct sock *sk, struct sockaddr_in *usin)
{
	struct inet_sock *inet = inet_sk(sk);
	struct flowi4 *fl4 = &inet->cork.fl.u.ip4;
	__be16 orig_sport = inet->inet_sport;
	struct rtable *rt;
	int err;

	rt = ip_route_connect(fl4, usin->sin_addr.s_addr, inet->inet_saddr,
			      sk->sk_bound_dev_if, vtcp_protocol, orig_sport,
			      usin->sin_port, sk);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	if (!inet->inet_saddr) {
		err = inet_bhash2_update_saddr(sk, &fl4->saddr, AF_INET);
		if (err) {
			ip_rt_put(rt);
			return err;
		}
	} else {
		sk_rcv_saddr_set(sk, inet->inet_saddr);
	}
	inet->inet_dport = usin->sin_port;
	sk_daddr_set(sk, fl4->daddr);

	err = inet_hash_connect(&vtcp_pernet(sock_net(sk))->tw_row, sk);
	if (!err) {
		rt = ip_route_newports(fl4, rt, orig_sport, usin->sin_port,
				       inet->inet_sport, inet->inet_dport, sk);
		if (IS_ERR(rt))
			return PTR_ERR(rt);
		vtcp_setup_caps(sk, &rt->dst);
		return 0;
	}
	ip_rt_put(rt);
	return err;
}

static void init_active_seq(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	vtcp_init_sequence(sk, 0);
	vsk->advmss = vtcp_user_advmss(sk, __sk_dst_get(sk));
	vtcp_offer_options(sk);
	vtcp_sync_mss(sk, dst_mtu(__sk_dst_get(sk)));
	vsk->cwnd = TCP_INIT_CWND * vsk->mss;
	vsk->snd_wnd = vsk->mss;	/* until the SYN-ACK says */
	vtcp_cong_start(sk);
	atomic_set(&inet_sk(sk)->inet_id, get_random_u16());
	sk_set_txhash(sk);
}

/*
 * connect() failed: back to a closed, unconnected socket. Its SYN could
 * not be sent (SYN-SENT), or routing or hashing failed (still CLOSED).
 */
static void connect_failed(struct sock *sk)
{
	vtcp_fsm(sk, VTCP_EV_OPEN_FAILED, NULL);
	unhash_and_unbind(sk);
	inet_bhash2_reset_saddr(sk);
	sk->sk_route_caps = 0;
	inet_sk(sk)->inet_dport = 0;
}

/**
 * vtcp_connect_prepare() - before either family routes a connect()
 * @sk: the socket, locked
 *
 * Nothing left of a last connection: its queues, shutdown and soft error.
 *
 * Context: process context, @sk owned.
 */
void vtcp_connect_prepare(struct sock *sk)
{
	vtcp_purge_queues(sk);
	WRITE_ONCE(sk->sk_shutdown, 0);
	WRITE_ONCE(sk->sk_err_soft, 0);
}

/**
 * vtcp_connect_routed() - send the SYN of a connect() the family routed
 * @sk: the socket, locked
 * @err: what routing and hashing it returned
 *
 * Context: process context, @sk owned.
 * Return: 0, or @err or the state machine's error, the socket closed again.
 */
int vtcp_connect_routed(struct sock *sk, int err)
{
	if (!err) {
		init_active_seq(sk);
		err = vtcp_fsm(sk, VTCP_EV_CONNECT, NULL);
	}
	if (err)
		connect_failed(sk);
	return err;
}

/**
 * vtcp_connect_v4() - connect() to an IPv4 address
 * @sk: an AF_INET socket, or an AF_INET6 one to a v4-mapped address
 * @uaddr: the address, a struct sockaddr_in
 * @addr_len: its length
 *
 * Context: process context, @sk owned.
 * Return: 0 once the SYN is on its way, or a negative errno.
 */
int vtcp_connect_v4(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	struct sockaddr_in *usin = (struct sockaddr_in *)uaddr;

	if (addr_len < (int)sizeof(*usin))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	vtcp_connect_prepare(sk);
	return vtcp_connect_routed(sk, route_and_hash(sk, usin));
}

/*
 * connect(AF_UNSPEC), and the kernel dropping an unaccepted child: the
 * table closes the connection (a CLOSED socket has no row for it), then
 * the socket is made as good as new.
 */
static int vtcp_disconnect(struct sock *sk, int flags)
{
	vtcp_fsm(sk, VTCP_EV_DISCONNECT, NULL);
	vtcp_stop_timers(sk);
	vtcp_purge_queues(sk);
	inet_sk(sk)->inet_dport = 0;
	inet_bhash2_reset_saddr(sk);
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	vtcp_clear_conn(sk);
	sk_error_report(sk);
	return 0;
}

static void vtcp_shutdown(struct sock *sk, int how)
{
	if ((how & SEND_SHUTDOWN) &&
	    ((1 << sk->sk_state) &
	     (TCPF_ESTABLISHED | TCPF_SYN_RECV | TCPF_CLOSE_WAIT)))
		vtcp_fsm(sk, VTCP_EV_CLOSE, NULL);
}

/* SO_KEEPALIVE: called before the core sets SOCK_KEEPOPEN. */
static void vtcp_keepalive(struct sock *sk, int on)
{
	if (!on)
		vtcp_stop_timer(sk, VTCP_TIMER_KEEPALIVE);
	else if (!((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		vtcp_arm_keepalive_idle(sk);
}

/*
 * TCP_DEFER_ACCEPT's seconds as TCP keeps them: SYN-ACK timeouts from
 * 1 s, doubling up to 120 s (secs_to_retrans() in tcp.c).
 */
#define SYNACK_RTO_INIT_SECS	(TCP_TIMEOUT_INIT / HZ)
#define SYNACK_RTO_MAX_SECS	(TCP_RTO_MAX / HZ)

static u8 secs_to_synack_timeouts(int secs)
{
	int rto = SYNACK_RTO_INIT_SECS, period = rto;
	u8 n = 0;

	if (secs <= 0)
		return 0;
	for (n = 1; secs > period && n < U8_MAX; n++) {
		rto = min_t(int, rto * 2, SYNACK_RTO_MAX_SECS);
		period += rto;
	}
	return n;
}

/* And back, as getsockopt() shows them (retrans_to_secs() in tcp.c). */
static int synack_timeouts_to_secs(u8 n)
{
	int rto = SYNACK_RTO_INIT_SECS, period = n ? rto : 0;

	while (n-- > 1) {
		rto = min_t(int, rto * 2, SYNACK_RTO_MAX_SECS);
		period += rto;
	}
	return period;
}

/* TCP_QUICKACK: a pending ACK goes now; while set, each one does. */
static void set_quickack(struct sock *sk, int val)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	vsk->quickack = !!val;
	if (vsk->quickack && vsk->acks_pending &&
	    !((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		vtcp_send_ack(sk);
}

/* Options of what is sent, and when; TCP's checks and errnos. */
static int set_send_option(struct sock *sk, int optname, int val)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	switch (optname) {
	case VTCP_NODELAY:
		vsk->nodelay = !!val;
		vtcp_push(sk);
		return 0;
	case VTCP_CORK:
		vsk->cork = !!val;
		vtcp_push(sk);
		return 0;
	case VTCP_MAXSEG:
		/* As TCP: for the next connection, on the wire from its SYN. */
		if (val && (val < TCP_MIN_MSS || val > MAX_TCP_WINDOW))
			return -EINVAL;
		vsk->user_mss = val;
		return 0;
	case VTCP_QUICKACK:
		set_quickack(sk, val);
		return 0;
	case VTCP_NOTSENT_LOWAT:
		WRITE_ONCE(vsk->notsent_lowat, val);
		sk->sk_write_space(sk);
		return 0;
	case VTCP_DEFER_ACCEPT:
		/* Its children read it without the listener's lock. */
		WRITE_ONCE(vsk->defer_accept, secs_to_synack_timeouts(val));
		return 0;
	}
	return -ENOPROTOOPT;
}

/* Options of how long to wait for the peer; TCP's bounds and errnos. */
static int set_int_option(struct sock *sk, int optname, int val)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	switch (optname) {
	case VTCP_USER_TIMEOUT:
		if (val < 0)
			return -EINVAL;
		WRITE_ONCE(vsk->user_timeout_ms, val);
		return 0;
	case VTCP_KEEPIDLE:
		if (val < 1 || val > MAX_TCP_KEEPIDLE)
			return -EINVAL;
		vsk->keepalive_idle_ms = val * MSEC_PER_SEC;
		if (sock_flag(sk, SOCK_KEEPOPEN))
			vtcp_keepalive(sk, 1);
		return 0;
	case VTCP_KEEPINTVL:
		if (val < 1 || val > MAX_TCP_KEEPINTVL)
			return -EINVAL;
		vsk->keepalive_intvl_ms = val * MSEC_PER_SEC;
		return 0;
	case VTCP_KEEPCNT:
		if (val < 1 || val > MAX_TCP_KEEPCNT)
			return -EINVAL;
		vsk->keepalive_cnt = val;
		return 0;
	}
	return set_send_option(sk, optname, val);
}

static int set_congestion(struct sock *sk, sockptr_t optval,
			  unsigned int optlen)
{
	char name[VTCP_CONG_NAME_MAX];
	int err;

	if (optlen < 1)
		return -EINVAL;
	optlen = min_t(unsigned int, optlen, sizeof(name) - 1);
	if (copy_from_sockptr(name, optval, optlen))
		return -EFAULT;
	name[optlen] = 0;
	lock_sock(sk);
	err = vtcp_cong_set(sk, name);
	release_sock(sk);
	return err;
}

static int get_congestion(struct sock *sk, char __user *optval,
			  int __user *optlen, int len)
{
	char name[VTCP_CONG_NAME_MAX];

	lock_sock(sk);
	/* All of it may be copied out: no stack bytes after the name. */
	strscpy_pad(name, vtcp_sk(sk)->cc->name, sizeof(name));
	release_sock(sk);
	len = min_t(unsigned int, len, sizeof(name));
	if (put_user(len, optlen) || copy_to_user(optval, name, len))
		return -EFAULT;
	return 0;
}

/* Ours, and TCP's (IPPROTO_TCP), whose numbers we share. */
static bool our_level(int level)
{
	return level == SOL_VTCP || level == vtcp_protocol || level == SOL_TCP;
}

/*
 * IPV6_ADDRFORM turns a socket into an AF_INET one by giving it TCP's or
 * UDP's proto, the only ones it knows (for others it answers ENOPROTOOPT
 * today): refused before it looks, as we have no AF_INET proto to give.
 */
static int family_setsockopt(struct sock *sk, int level, int optname,
			     sockptr_t optval, unsigned int optlen)
{
	if (level == SOL_IP)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	if (sk->sk_family != AF_INET6)
		return -ENOPROTOOPT;
	if (optname == IPV6_ADDRFORM)
		return -EOPNOTSUPP;
	return ipv6_setsockopt(sk, level, optname, optval, optlen);
}

static int vtcp_setsockopt(struct sock *sk, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	int val, err;

	if (level == SOL_IP || level == SOL_IPV6)
		return family_setsockopt(sk, level, optname, optval, optlen);
	if (!our_level(level))
		return -ENOPROTOOPT;
	if (optname == VTCP_CONGESTION)
		return set_congestion(sk, optval, optlen);
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	lock_sock(sk);
	err = set_int_option(sk, optname, val);
	release_sock(sk);
	return err;
}

static int get_int_option(struct sock *sk, int optname, int *val)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	switch (optname) {
	case VTCP_NODELAY:
		*val = vsk->nodelay;
		return 0;
	case VTCP_CORK:
		*val = vsk->cork;
		return 0;
	case VTCP_MAXSEG:
		*val = vsk->mss;
		if (vsk->user_mss &&
		    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
			*val = vsk->user_mss;
		return 0;
	case VTCP_QUICKACK:
		*val = vsk->quickack;
		return 0;
	case VTCP_DEFER_ACCEPT:
		*val = synack_timeouts_to_secs(vsk->defer_accept);
		return 0;
	case VTCP_USER_TIMEOUT:
		*val = READ_ONCE(vsk->user_timeout_ms);
		return 0;
	case VTCP_NOTSENT_LOWAT:
		*val = READ_ONCE(vsk->notsent_lowat);
		return 0;
	case VTCP_KEEPIDLE:
		*val = (vsk->keepalive_idle_ms ?: VTCP_KEEPIDLE_DEFAULT_MS) / MSEC_PER_SEC;
		return 0;
	case VTCP_KEEPINTVL:
		*val = (vsk->keepalive_intvl_ms ?: VTCP_KEEPINTVL_DEFAULT_MS) / MSEC_PER_SEC;
		return 0;
	case VTCP_KEEPCNT:
		*val = vsk->keepalive_cnt ?: VTCP_KEEPCNT_DEFAULT;
		return 0;
	}
	return -ENOPROTOOPT;
}

static int vtcp_getsockopt(struct sock *sk, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	int val, len, err;

	if (level == SOL_IP)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	if (level == SOL_IPV6)
		return sk->sk_family == AF_INET6 ?
		       ipv6_getsockopt(sk, level, optname, optval, optlen) :
		       -ENOPROTOOPT;
	if (!our_level(level))
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (optname == VTCP_CONGESTION)
		return get_congestion(sk, optval, optlen, len);
	if (optname == VTCP_INFO && level == SOL_TCP)
		return vtcp_getsockopt_tcp_info(sk, optval, optlen, len);
	if (optname == VTCP_INFO)
		return vtcp_getsockopt_info(sk, optval, optlen, len);
	lock_sock(sk);
	err = get_int_option(sk, optname, &val);
	release_sock(sk);
	if (err)
		return err;
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

static int vtcp_ioctl_karg(struct sock *sk, int cmd, int *karg)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		*karg = vsk->rcv_nxt - vsk->copied_seq - vsk->fin_rcvd;
		release_sock(sk);
		return 0;
	case SIOCOUTQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			*karg = 0;	/* the SYN is not data */
		else
			*karg = READ_ONCE(vsk->write_seq) - READ_ONCE(vsk->snd_una);
		return 0;
	}
	return -ENOIOCTLCMD;
}

#if VTCP_HAVE_PROTO_IOCTL_KARG
#define vtcp_ioctl vtcp_ioctl_karg
#else
static int vtcp_ioctl(struct sock *sk, int cmd, unsigned long arg)
{
	int karg, err = vtcp_ioctl_karg(sk, cmd, &karg);

	return err ?: put_user(karg, (int __user *)arg);
}
#endif

/**
 * vtcp_listen() - listen(): proto_ops->listen for both families
 * @sock: the socket
 * @backlog: the accept queue's length, at most somaxconn
 *
 * Context: process context; takes the socket lock.
 * Return: 0, -EINVAL if the socket is connected or neither closed nor
 * listening, or the state machine's error.
 */
int vtcp_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	int err = -EINVAL;

	backlog = min_t(int, backlog, READ_ONCE(sock_net(sk)->core.sysctl_somaxconn));
	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED)
		goto out;
	WRITE_ONCE(sk->sk_max_ack_backlog, max(backlog, 0));
	if (sk->sk_state == TCP_LISTEN)
		err = 0;
	else if (sk->sk_state == TCP_CLOSE)
		err = vtcp_fsm(sk, VTCP_EV_LISTEN, NULL);
out:
	release_sock(sk);
	return err;
}

/* Enough data for a read, SO_RCVLOWAT considered (as tcp_poll()). */
static bool readable(struct sock *sk)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	int avail = READ_ONCE(vsk->rcv_nxt) - READ_ONCE(vsk->copied_seq) -
		    READ_ONCE(vsk->fin_rcvd);

	return avail > 0 && avail >= sock_rcvlowat(sk, 0, INT_MAX);
}

/**
 * vtcp_poll() - poll(): proto_ops->poll for both families
 * @file: the socket's file
 * @sock: the socket
 * @wait: the poll table
 *
 * As tcp_poll(): readable with enough data (SO_RCVLOWAT), writable when the
 * send buffer has room (and TCP_NOTSENT_LOWAT allows), ERR, HUP and RDHUP as
 * the state says.
 *
 * Context: process context, without the socket lock.
 * Return: the events ready.
 */
__poll_t vtcp_poll(struct file *file, struct socket *sock, poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	/*
	 * On the wait queue first, then read the state: a change in between
	 * (a SYN-ACK on another CPU) would wake nobody and be missed.
	 */
	sock_poll_wait(file, sock, wait);
	state = inet_sk_state_load(sk);
	shutdown = READ_ONCE(sk->sk_shutdown);
	if (state == TCP_LISTEN)
		return inet_csk_listen_poll(sk);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (!((1 << state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))) {
		if (readable(sk))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (shutdown & SEND_SHUTDOWN) {
			mask |= EPOLLOUT | EPOLLWRNORM;
		} else if (sk_stream_is_writeable(sk)) {
			mask |= EPOLLOUT | EPOLLWRNORM;
		} else {
			sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			/* Set NOSPACE before the second look, as tcp_poll(). */
			smp_mb__after_atomic();
			if (sk_stream_is_writeable(sk))
				mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	if (READ_ONCE(sk->sk_err) || !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

struct proto vtcp_prot = {
	.name		= "VTCP",
	.owner		= THIS_MODULE,
	.init		= vtcp_init_sock,
	.destroy	= vtcp_destroy_sock,
	.close		= vtcp_close,
	.connect	= vtcp_connect_v4,
	.disconnect	= vtcp_disconnect,
	.accept		= inet_csk_accept,
	.ioctl		= vtcp_ioctl,
	.shutdown	= vtcp_shutdown,
	.keepalive	= vtcp_keepalive,
	.stream_memory_free = vtcp_stream_memory_free,
	.setsockopt	= vtcp_setsockopt,
	.getsockopt	= vtcp_getsockopt,
	.sendmsg	= vtcp_sendmsg,
#if !VTCP_HAVE_SPLICE_PAGES
	.sendpage	= vtcp_sendpage,
#endif
	.recvmsg	= vtcp_recvmsg,
	.backlog_rcv	= vtcp_do_rcv,
	.release_cb	= vtcp_release_cb,
	.diag_destroy	= vtcp_abort,
	.hash		= inet_hash,
	.unhash		= inet_unhash,
	.get_port	= inet_csk_get_port,
	.orphan_count	= &vtcp_orphan_count,
	.max_header	= VTCP_MAX_HEADER,
	.obj_size	= sizeof(struct vtcp_sock),
	.slab_flags	= SLAB_TYPESAFE_BY_RCU,
	.rsk_prot	= &vtcp_request_sock_ops,
	.twsk_prot	= &vtcp_timewait_sock_ops,
	.no_autobind	= true,
	.h.hashinfo	= &vtcp_hashinfo,
};

const struct proto_ops vtcp_stream_ops = {
	.family		= PF_INET,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= inet_bind,
	.connect	= inet_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= inet_accept,
	.getname	= inet_getname,
	.poll		= vtcp_poll,
	.ioctl		= inet_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= vtcp_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
#if !VTCP_HAVE_SPLICE_PAGES
	.sendpage	= inet_sendpage,
#endif
	.recvmsg	= sock_common_recvmsg,
	.splice_read	= vtcp_splice_read,
	.mmap		= sock_no_mmap,
};
