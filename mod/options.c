// SPDX-License-Identifier: GPL-2.0
/*
 * TCP options on the wire: MSS, window scale, SACK-permitted, SACK blocks
 * and timestamps. Reading stops at the first malformed option, as TCP's
 * does: what was read before it still counts.
 */
#include <linux/kernel.h>
#include <linux/random.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "options.h"
#include "wire.h"

static void read_sacks(const u8 *p, unsigned int len, struct vtcp_opts *o)
{
	unsigned int i, n = (len - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_PERBLOCK;

	if ((len - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_PERBLOCK || !n)
		return;
	n = min_t(unsigned int, n, TCP_NUM_SACKS);
	for (i = 0; i < n; i++) {
		o->sacks[i].start = get_unaligned_be32(p + 2 + 8 * i);
		o->sacks[i].end = get_unaligned_be32(p + 6 + 8 * i);
	}
	o->nr_sacks = n;
	o->has |= VTCP_OPT_SACK_BLOCKS;
}

static void read_option(const u8 *p, unsigned int len, bool syn,
			struct vtcp_opts *o)
{
	switch (p[0]) {
	case TCPOPT_MSS:
		if (len == TCPOLEN_MSS && syn) {
			o->mss = get_unaligned_be16(p + 2);
			o->has |= VTCP_OPT_MSS;
		}
		break;
	case TCPOPT_WINDOW:
		if (len == TCPOLEN_WINDOW && syn) {
			o->wscale = min_t(u8, p[2], TCP_MAX_WSCALE);
			o->has |= VTCP_OPT_WSCALE;
		}
		break;
	case TCPOPT_SACK_PERM:
		if (len == TCPOLEN_SACK_PERM && syn)
			o->has |= VTCP_OPT_SACK;
		break;
	case TCPOPT_SACK:
		if (len >= TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK && !syn)
			read_sacks(p, len, o);
		break;
	case TCPOPT_TIMESTAMP:
		if (len == TCPOLEN_TIMESTAMP) {
			o->tsval = get_unaligned_be32(p + 2);
			o->tsecr = get_unaligned_be32(p + 6);
			o->has |= VTCP_OPT_TIMESTAMPS;
		}
		break;
	}
}

/**
 * vtcp_parse_options() - read the options of a segment
 * @th: the segment's header, with its options after it
 * @o: filled with what they say
 *
 * Reading stops at the first malformed option, as TCP's does: what was read
 * before it still counts. MSS, window scale and SACK-permitted count only on
 * a SYN, SACK blocks only off one.
 *
 * Context: any context.
 */
void vtcp_parse_options(const struct tcphdr *th, struct vtcp_opts *o)
{
	const u8 *p = (const u8 *)(th + 1);
	const u8 *end = (const u8 *)th + vtcp_hdr_len(th);

	o->has = 0;
	o->nr_sacks = 0;
	while (p < end) {
		if (*p == TCPOPT_EOL)
			break;
		if (*p == TCPOPT_NOP) {
			p++;
			continue;
		}
		if (end - p < 2 || p[1] < 2 || p[1] > end - p)
			break;
		read_option(p, p[1], th->syn, o);
		p += p[1];
	}
}

/**
 * vtcp_options_len() - the bytes that options take on the wire
 * @o: the options
 *
 * Context: any context.
 * Return: their length, a multiple of four.
 */
unsigned int vtcp_options_len(const struct vtcp_opts *o)
{
	unsigned int len = 0;

	if (o->has & VTCP_OPT_MSS)
		len += TCPOLEN_MSS_ALIGNED;
	if (o->has & VTCP_OPT_TIMESTAMPS)
		len += TCPOLEN_TSTAMP_ALIGNED;
	else if (o->has & VTCP_OPT_SACK)
		len += TCPOLEN_SACKPERM_ALIGNED;
	if (o->has & VTCP_OPT_WSCALE)
		len += TCPOLEN_WSCALE_ALIGNED;
	if (o->has & VTCP_OPT_SACK_BLOCKS)
		len += TCPOLEN_SACK_BASE_ALIGNED +
		       o->nr_sacks * TCPOLEN_SACK_PERBLOCK;
	return len;
}

static u8 *put_word(u8 *p, u8 a, u8 b, u8 c, u8 d)
{
	p[0] = a;
	p[1] = b;
	p[2] = c;
	p[3] = d;
	return p + 4;
}

/**
 * vtcp_write_options() - write options after a header
 * @p: where they go, vtcp_options_len() bytes
 * @o: the options
 *
 * Laid out as Linux TCP does, so that tshark reads them as TCP's.
 *
 * Context: any context.
 */
void vtcp_write_options(u8 *p, const struct vtcp_opts *o)
{
	unsigned int i;

	if (o->has & VTCP_OPT_MSS) {
		put_word(p, TCPOPT_MSS, TCPOLEN_MSS, 0, 0);
		put_unaligned_be16(o->mss, p + 2);
		p += TCPOLEN_MSS_ALIGNED;
	}
	if (o->has & VTCP_OPT_TIMESTAMPS) {
		if (o->has & VTCP_OPT_SACK)
			p = put_word(p, TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM,
				     TCPOPT_TIMESTAMP, TCPOLEN_TIMESTAMP);
		else
			p = put_word(p, TCPOPT_NOP, TCPOPT_NOP,
				     TCPOPT_TIMESTAMP, TCPOLEN_TIMESTAMP);
		put_unaligned_be32(o->tsval, p);
		put_unaligned_be32(o->tsecr, p + 4);
		p += 8;
	} else if (o->has & VTCP_OPT_SACK) {
		p = put_word(p, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK_PERM,
			     TCPOLEN_SACK_PERM);
	}
	if (o->has & VTCP_OPT_WSCALE)
		p = put_word(p, TCPOPT_NOP, TCPOPT_WINDOW, TCPOLEN_WINDOW,
			     o->wscale);
	if (o->has & VTCP_OPT_SACK_BLOCKS) {
		p = put_word(p, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK,
			     TCPOLEN_SACK_BASE +
			     o->nr_sacks * TCPOLEN_SACK_PERBLOCK);
		for (i = 0; i < o->nr_sacks; i++) {
			put_unaligned_be32(o->sacks[i].start, p);
			put_unaligned_be32(o->sacks[i].end, p + 4);
			p += 8;
		}
	}
}

/**
 * vtcp_wscale_for() - the window scale a SYN or SYN-ACK of a socket offers
 * @sk: the socket, or the listener of a SYN cookie
 *
 * Context: any context.
 * Return: the smallest shift that lets the window reach the largest receive
 * buffer.
 */
u8 vtcp_wscale_for(const struct sock *sk)
{
	u32 space = max_t(u32, READ_ONCE(sk->sk_rcvbuf),
			  vtcp_sysctl(sock_net(sk), rmem_max));
	u8 shift = 0;

	while (shift < TCP_MAX_WSCALE && ((u32)U16_MAX << shift) < space)
		shift++;
	return shift;
}

/**
 * vtcp_offer_options() - choose the options a SYN or SYN-ACK of a socket
 * offers
 * @sk: the socket
 *
 * As the namespace's settings say: timestamps, SACK, window scaling.
 *
 * Context: @sk locked.
 */
void vtcp_offer_options(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct net *net = sock_net(sk);

	vsk->opts = 0;
	if (vtcp_sysctl(net, timestamps))
		vsk->opts |= VTCP_OPT_TIMESTAMPS;
	if (vtcp_sysctl(net, sack))
		vsk->opts |= VTCP_OPT_SACK;
	if (vtcp_sysctl(net, window_scaling))
		vsk->opts |= VTCP_OPT_WSCALE;
	vsk->rcv_wscale = (vsk->opts & VTCP_OPT_WSCALE) ? vtcp_wscale_for(sk) : 0;
}
