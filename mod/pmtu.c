// SPDX-License-Identifier: GPL-2.0
/*
 * Path MTU discovery and the MSS. The MSS follows the route's MTU, which
 * ICMP "fragmentation needed" lowers (RFC 1191, icmp.c). Where ICMP is
 * filtered, the path is a black hole for big segments: with
 * net.vtcp.mtu_probing (TCP's semantics: 1 once a black hole is
 * suspected, 2 always), timeouts lower the MSS, and single probe segments
 * search for the largest MTU that gets through (RFC 4821), as Linux TCP
 * does. The search keeps its bounds in inet_connection_sock's icsk_mtup.
 */
#include <net/inet_connection_sock.h>
#include <net/ip.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "ipv6.h"
#include "netlink.h"
#include "pmtu.h"
#include "recovery.h"
#include "wire.h"

#define VTCP_PROBE_MIN_CWND	11	/* segments: room for a probe and more */

static int mtu_to_mss(const struct sock *sk, int mtu)
{
	return mtu - (int)vtcp_sk(sk)->af->net_header_len -
	       inet_csk(sk)->icsk_ext_hdr_len - VTCP_HDR_MIN;
}

static int mss_to_mtu(const struct sock *sk, int mss)
{
	return mss + vtcp_sk(sk)->af->net_header_len +
	       inet_csk(sk)->icsk_ext_hdr_len + VTCP_HDR_MIN;
}

/* Option bytes on every segment, which the MSS leaves room for. */
static unsigned int option_bytes(const struct vtcp_sock *vsk)
{
	return (vsk->opts & VTCP_OPT_TIMESTAMPS) ? TCPOLEN_TSTAMP_ALIGNED : 0;
}

/**
 * vtcp_mtup_init() - start a connection's path MTU search
 * @sk: the socket, once the peer's MSS is known
 *
 * At most the route's MTU and what the peer takes, from TCP_BASE_MSS;
 * mtu_probing=2 starts at the bottom (RFC 4821 7.2), 1 waits for a black
 * hole. Sets the MSS.
 *
 * Context: @sk locked.
 */
void vtcp_mtup_init(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct dst_entry *dst = __sk_dst_get(sk);
	int pmtu = dst ? dst_mtu(dst) : mss_to_mtu(sk, vtcp_sk(sk)->advmss);

	icsk->icsk_mtup.enabled = vtcp_sysctl(sock_net(sk), mtu_probing) > 1;
	icsk->icsk_mtup.search_high = min(pmtu,
					  mss_to_mtu(sk, vtcp_sk(sk)->mss_clamp));
	icsk->icsk_mtup.search_low = min(mss_to_mtu(sk, TCP_BASE_MSS),
					 icsk->icsk_mtup.search_high);
	icsk->icsk_mtup.probe_size = 0;
	vtcp_sync_mss(sk, pmtu);
}

/**
 * vtcp_sync_mss() - set the MSS of a socket for a path MTU
 * @sk: the socket
 * @pmtu: the path MTU
 *
 * The MSS follows @pmtu, the peer's MSS (mss_clamp) and the search's floor,
 * less the options every segment carries.
 *
 * Context: @sk locked.
 */
void vtcp_sync_mss(struct sock *sk, u32 pmtu)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct vtcp_sock *vsk = vtcp_sk(sk);
	int mss = min_t(int, mtu_to_mss(sk, pmtu), vsk->mss_clamp ?: U16_MAX);

	icsk->icsk_pmtu_cookie = pmtu;
	if (icsk->icsk_mtup.search_high > pmtu)
		icsk->icsk_mtup.search_high = pmtu;
	if (icsk->icsk_mtup.enabled)
		mss = min(mss, mtu_to_mss(sk, icsk->icsk_mtup.search_low));
	vsk->mss = max(mss, VTCP_MIN_MSS) - option_bytes(vsk);
}

/* The path changed under a connection: sync, and tell vtcp monitor. */
static void resync_mss(struct sock *sk, u32 pmtu)
{
	u16 old = vtcp_sk(sk)->mss;

	vtcp_sync_mss(sk, pmtu);
	if (vtcp_sk(sk)->mss != old)
		vtcp_event_pmtu(sk);
}

/**
 * vtcp_check_pmtu() - follow an MTU that the route learned, before sending
 * @sk: the socket
 *
 * Another socket's ICMP error may have lowered the route's MTU.
 *
 * Context: @sk locked.
 */
void vtcp_check_pmtu(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_get(sk);

	if (dst && dst_mtu(dst) != inet_csk(sk)->icsk_pmtu_cookie)
		resync_mss(sk, dst_mtu(dst));
}

/**
 * vtcp_mtu_reduced() - act on "fragmentation needed" or "packet too big"
 * @sk: the socket; the MTU is in its mtu_info
 *
 * The route learns the MTU; if it is below the one the MSS follows, what was
 * in flight at the old size goes again at once.
 *
 * Context: @sk locked, not owned (softirq), or at release_sock().
 */
void vtcp_mtu_reduced(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	u32 mtu = READ_ONCE(vtcp_sk(sk)->mtu_info);
	struct dst_entry *dst;
	u32 dmtu;

	if ((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE))
		return;
	dst = vtcp_sk(sk)->af->update_pmtu(sk, mtu);
	if (!dst)
		return;
	dmtu = dst_mtu(dst);
	if (!vtcp_sends_ipv6(sk)) {
		/* Below the floor the route keeps: it may not recover. */
		if (mtu < dmtu && ip_dont_fragment(sk, dst))
			WRITE_ONCE(sk->sk_err_soft, EMSGSIZE);
		if (READ_ONCE(inet->pmtudisc) == IP_PMTUDISC_DONT ||
		    !ip_sk_accept_pmtu(sk))
			return;
	}
	if (inet_csk(sk)->icsk_pmtu_cookie <= dmtu)
		return;
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_PMTU_REDUCED);
	resync_mss(sk, dmtu);
	vtcp_resend_oversized(sk);
}

/**
 * vtcp_mtu_black_hole() - suspect a black hole after repeated timeouts
 * @sk: the socket
 *
 * With mtu_probing only. The first time the search begins (from
 * TCP_BASE_MSS), each later time its floor halves (tcp_mtu_probing()).
 *
 * Context: @sk locked.
 */
void vtcp_mtu_black_hole(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	int mss;

	if (!vtcp_sysctl(sock_net(sk), mtu_probing))
		return;
	if (!icsk->icsk_mtup.enabled) {
		icsk->icsk_mtup.enabled = 1;
	} else {
		mss = mtu_to_mss(sk, icsk->icsk_mtup.search_low) >> 1;
		mss = clamp(mss, VTCP_MIN_MSS, TCP_BASE_MSS);
		icsk->icsk_mtup.search_low = mss_to_mtu(sk, mss);
	}
	icsk->icsk_mtup.probe_size = 0;
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_MTU_BLACK_HOLE);
	resync_mss(sk, icsk->icsk_pmtu_cookie);
}

/**
 * vtcp_mtu_probe_size() - the payload of the next path MTU probe (RFC 4821
 * 7.3)
 * @sk: the socket
 *
 * Half way up the search range, when one may go now. Only in an open,
 * unhurried window with room for the probe and the segments that tell of its
 * loss.
 *
 * Context: @sk locked.
 * Return: the payload in bytes, or 0 when no probe goes now.
 */
u32 vtcp_mtu_probe_size(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct vtcp_sock *vsk = vtcp_sk(sk);
	int low = icsk->icsk_mtup.search_low;
	int high = icsk->icsk_mtup.search_high;
	int size;

	if (likely(!icsk->icsk_mtup.enabled) || icsk->icsk_mtup.probe_size ||
	    sk->sk_state != TCP_ESTABLISHED || vsk->ca_state != VTCP_CA_OPEN ||
	    vsk->cwnd < VTCP_PROBE_MIN_CWND * vsk->mss ||
	    high - low < TCP_PROBE_THRESHOLD)
		return 0;
	size = mtu_to_mss(sk, (low + high) / 2) - option_bytes(vsk);
	return size > vsk->mss ? size : 0;
}

/**
 * vtcp_mtu_probe_sent() - a path MTU probe went
 * @sk: the socket
 * @size: its payload
 *
 * Context: @sk locked.
 */
void vtcp_mtu_probe_sent(struct sock *sk, u32 size)
{
	inet_csk(sk)->icsk_mtup.probe_size =
		mss_to_mtu(sk, size + option_bytes(vtcp_sk(sk)));
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_MTU_PROBES);
}

/**
 * vtcp_mtu_probe_acked() - the probe arrived: the MSS grows to its size
 * @sk: the socket
 *
 * Context: @sk locked.
 */
void vtcp_mtu_probe_acked(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (!icsk->icsk_mtup.probe_size)
		return;
	icsk->icsk_mtup.search_low = icsk->icsk_mtup.probe_size;
	icsk->icsk_mtup.probe_size = 0;
	resync_mss(sk, icsk->icsk_pmtu_cookie);
}

/**
 * vtcp_mtu_probe_lost() - the probe was lost: the path's MTU is below its
 * size
 * @sk: the socket
 * @skb: the probe
 *
 * Context: @sk locked.
 */
void vtcp_mtu_probe_lost(struct sock *sk, struct sk_buff *skb)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	VTCP_SKB_CB(skb)->mtu_probe = 0;
	if (!icsk->icsk_mtup.probe_size)
		return;
	icsk->icsk_mtup.search_high = icsk->icsk_mtup.probe_size - 1;
	icsk->icsk_mtup.probe_size = 0;
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_MTU_PROBE_FAILS);
}
