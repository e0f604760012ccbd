// SPDX-License-Identifier: GPL-2.0
/*
 * SYN cookies (RFC 4987), made as Linux TCP makes them
 * (net/ipv4/syncookies.c). With syncookies=2, or 1 and a full SYN queue,
 * a SYN at a listener is answered with a SYN-ACK whose initial sequence
 * number says what the connection needs, and nothing is kept; the ACK
 * that echoes it makes the child (request.c). For the SYN's 4-tuple, its
 * sequence number ISN, and the minute COUNT (jiffies / 60 s):
 *
 *   cookie = H0(4-tuple) + ISN + (COUNT << 24)
 *            + ((H1(4-tuple, COUNT) + MSSIND) mod 2^24)
 *
 * H0 and H1 are SipHash with two keys of our own, drawn once per boot (a
 * TCP cookie is no vtcp cookie, nor the other way round). MSSIND is the
 * peer's MSS rounded down to one of four values. A cookie is good for
 * its 4-tuple and ISN, while its COUNT is one of the last two: two
 * minutes at most. With timestamps, the low six bits of our TSval carry
 * the peer's window scale (four bits, 15: none) and SACK (one bit; the
 * sixth is TCP's ECN, which vtcp lacks), and the ACK echoes them; without
 * timestamps there is nowhere to keep them, and the connection does
 * without both.
 *
 * The kernel exports __cookie_v4_init_sequence() and __cookie_v4_check(),
 * the same arithmetic, but they use TCP's keys, and 6.1's check has other
 * arguments than 6.12's; the timestamp half takes TCP's structures and
 * reads TCP's sysctls. So vtcp has its own, here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/siphash.h>
#include <net/inet_connection_sock.h>
#include <net/ip.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "options.h"
#include "output.h"
#include "syncookies.h"
#include "wire.h"

#define COOKIE_BITS	24		/* below the minute counter */
#define COOKIE_MASK	((1U << COOKIE_BITS) - 1)
#define COOKIE_PERIOD	(60 * HZ)	/* one tick of the counter */
#define COOKIE_MAX_AGE	2		/* ticks a cookie lives */
#define COOKIE_VALID	(COOKIE_MAX_AGE * COOKIE_PERIOD)

/* The low bits of a cookie SYN-ACK's TSval, which the ACK echoes. */
#define TS_BITS		6
#define TS_LOW		(BIT(TS_BITS) - 1)
#define TS_WSCALE	0xfU		/* the peer's shift; 0xf: none */
#define TS_SACK		BIT(4)

static siphash_aligned_key_t cookie_key[2];

/*
 * The MSS a cookie can say, TCP's table: 1460 for Ethernet, 1440 (and
 * 1452) for PPPoE, 1300 for tunnels, 536 for the rest.
 */
static const u16 cookie_mss[2][4] = {
	{ 536, 1300, 1440, 1460 },
	/* IPv6's, as TCP's: 1280, 1480, 1500 and 9000 less 60 (RFC 8200). */
	{ 1220, 1420, 1440, 8940 },
};

/* The table for the family of @skb. */
static const u16 *mss_table(const struct sk_buff *skb)
{
	return cookie_mss[vtcp_skb_is_v6(skb)];
}

/* H0 (@key 0, @count 0) or H1 of the 4-tuple of @skb, from the peer. */
static u32 cookie_hash(const struct sk_buff *skb, u32 count, int key)
{
	const struct tcphdr *th = vtcp_hdr(skb);
	struct {
		struct in6_addr saddr, daddr;
		__be16 sport, dport;
		u32 count;
	} __aligned(SIPHASH_ALIGNMENT) in = {
		.sport = th->source, .dport = th->dest, .count = count,
	};

	vtcp_skb_addrs(skb, &in.saddr, &in.daddr);
	net_get_random_once(cookie_key, sizeof(cookie_key));
	return siphash(&in, sizeof(in), &cookie_key[key]);
}

static u32 cookie_count(void)
{
	u64 now = get_jiffies_64();

	do_div(now, COOKIE_PERIOD);
	return now;
}

/* The cookie for the SYN @skb, keeping @mssind. */
static u32 make_cookie(const struct sk_buff *skb, u32 mssind)
{
	u32 count = cookie_count();

	return cookie_hash(skb, 0, 0) + VTCP_SKB_CB(skb)->seq +
	       (count << COOKIE_BITS) +
	       ((cookie_hash(skb, count, 1) + mssind) & COOKIE_MASK);
}

/* The MSS index the ACK @skb echoes, or -1: no cookie of ours, or old. */
static int check_cookie(const struct sk_buff *skb)
{
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	u32 count = cookie_count(), cookie, age, mssind;

	cookie = cb->ack_seq - 1 - cookie_hash(skb, 0, 0) - (cb->seq - 1);
	age = (count - (cookie >> COOKIE_BITS)) & (U32_MAX >> COOKIE_BITS);
	if (age >= COOKIE_MAX_AGE)
		return -1;
	mssind = (cookie - cookie_hash(skb, count - age, 1)) & COOKIE_MASK;
	return mssind < ARRAY_SIZE(cookie_mss[0]) ? mssind : -1;
}

/*
 * The peer's MSS, rounded down to the table (RFC 9293: 536 without); the
 * smallest entry for less (IPv6's, 1220, is what every IPv6 path takes).
 */
static u32 mss_index(const struct sk_buff *skb, const struct vtcp_opts *peer)
{
	u16 mss = (peer->has & VTCP_OPT_MSS) ? peer->mss : TCP_MSS_DEFAULT;
	const u16 *table = mss_table(skb);
	u32 i;

	for (i = ARRAY_SIZE(cookie_mss[0]) - 1; i; i--)
		if (mss >= table[i])
			break;
	return i;
}

/* Our timestamp clock's offset for the connection of @skb (from the peer). */
static u32 ts_offset_of(const struct sk_buff *skb)
{
	struct in6_addr saddr, daddr;

	vtcp_skb_addrs(skb, &saddr, &daddr);
	return vtcp_ts_offset(&daddr, &saddr, vtcp_hdr(skb)->dest,
			      vtcp_hdr(skb)->source);
}

/*
 * A TSval whose low bits are @bits: the clock rounded down, never ahead
 * of it, so that the connection's later TSvals do not go back.
 */
static u32 cookie_tsval(u32 bits, u32 offset)
{
	u32 now = vtcp_ts_clock();
	u32 ts = (now & ~TS_LOW) | bits;

	if (bits > (now & TS_LOW))
		ts -= BIT(TS_BITS);
	return ts + offset;
}

/*
 * What the cookie's SYN-ACK offers: the MSS; and timestamps, with window
 * scaling and SACK if the peer offers them, since only timestamps can
 * keep them. The MSS is the route's, filled in when it is sent.
 */
static void synack_options(struct sock *sk, const struct sk_buff *skb,
			   const struct vtcp_opts *peer, struct vtcp_opts *o)
{
	struct net *net = sock_net(sk);
	u32 bits = TS_WSCALE;

	o->has = VTCP_OPT_MSS;
	o->nr_sacks = 0;
	if (!(peer->has & VTCP_OPT_TIMESTAMPS) || !vtcp_sysctl(net, timestamps))
		return;
	o->has |= VTCP_OPT_TIMESTAMPS;
	if ((peer->has & VTCP_OPT_SACK) && vtcp_sysctl(net, sack)) {
		o->has |= VTCP_OPT_SACK;
		bits |= TS_SACK;
	}
	if ((peer->has & VTCP_OPT_WSCALE) && vtcp_sysctl(net, window_scaling)) {
		o->has |= VTCP_OPT_WSCALE;
		o->wscale = vtcp_wscale_for(sk);
		bits = (bits & ~TS_WSCALE) | peer->wscale;
	}
	o->tsval = cookie_tsval(bits, ts_offset_of(skb));
	o->tsecr = peer->tsval;
}

/*
 * What the ACK's timestamp echo says the handshake agreed; false if it
 * names what the namespace no longer takes.
 */
static bool cookie_options(struct net *net, const struct sk_buff *skb,
			   struct vtcp_syncookie *c)
{
	const struct vtcp_skb_cb *cb = VTCP_SKB_CB(skb);
	u32 bits;

	c->opts = 0;
	c->snd_wscale = 0;
	if (!cb->has_ts)
		return true;
	if (!vtcp_sysctl(net, timestamps))
		return false;
	bits = (cb->tsecr - ts_offset_of(skb)) & TS_LOW;
	c->opts = VTCP_OPT_TIMESTAMPS;
	if (bits & TS_SACK) {
		if (!vtcp_sysctl(net, sack))
			return false;
		c->opts |= VTCP_OPT_SACK;
	}
	if ((bits & TS_WSCALE) != TS_WSCALE) {
		if (!vtcp_sysctl(net, window_scaling))
			return false;
		c->opts |= VTCP_OPT_WSCALE;
		c->snd_wscale = min_t(u32, bits & TS_WSCALE, TCP_MAX_WSCALE);
	}
	return true;
}

/* Once a second at most, as TCP's tcp_synq_overflow(). */
static void note_cookie_sent(struct sock *sk)
{
	u32 last = READ_ONCE(vtcp_sk(sk)->syncookie_sent), now = jiffies;

	if (!time_between32(now, last, last + HZ))
		WRITE_ONCE(vtcp_sk(sk)->syncookie_sent, now);
}

/*
 * Has @sk sent a cookie that may still be good? A second of slack before
 * the stamp: note_cookie_sent() may race with us on another CPU.
 */
static bool sent_cookies_lately(const struct sock *sk)
{
	u32 last = READ_ONCE(vtcp_sk(sk)->syncookie_sent);

	return time_between32((u32)jiffies, last - HZ, last + COOKIE_VALID);
}

/**
 * vtcp_syncookies_listen() - a new listener has sent no cookie
 * @sk: the listener
 *
 * Until it sends one, no ACK that comes to it is taken for a cookie's.
 *
 * Context: @sk locked.
 */
void vtcp_syncookies_listen(struct sock *sk)
{
	WRITE_ONCE(vtcp_sk(sk)->syncookie_sent, (u32)jiffies - 2 * COOKIE_VALID);
}

/* Once per listener, as TCP says it (tcp_syn_flood_action()). */
static void flood_warning(struct sock *sk, int mode)
{
	u32 *warned = &inet_csk(sk)->icsk_accept_queue.synflood_warned;

	if (!READ_ONCE(*warned) && !xchg(warned, 1))
		net_info_ratelimited("Possible SYN flooding on port %pI4:%u. %s.\n",
				     &sk->sk_rcv_saddr, sk->sk_num,
				     mode ? "Sending cookies" :
				     "Evicting half-open connections");
}

/**
 * vtcp_want_syncookie() - answer this SYN with a cookie?
 * @sk: the listener
 * @skb: the SYN
 *
 * syncookies 2: always; 1: when the SYN queue is full; 0: never (a full queue
 * then evicts its oldest half-open child, request.c). A SYN that ends a
 * TIME-WAIT entry gets a child in any case: it must start at the ISN that
 * succeeds the old connection's (RFC 6191), not a cookie's.
 *
 * Context: @sk locked.
 * Return: true to send a cookie.
 */
bool vtcp_want_syncookie(struct sock *sk, const struct sk_buff *skb)
{
	int mode = vtcp_sysctl(sock_net(sk), syncookies);

	if (VTCP_SKB_CB(skb)->tw_isn)
		return false;
	if (mode == 2)
		return true;
	if (!inet_csk_reqsk_queue_is_full(sk))
		return false;
	flood_warning(sk, mode);
	return mode == 1;
}

/**
 * vtcp_syncookie_window() - the window a SYN cookie's SYN-ACK offers
 * @sk: the listener
 *
 * Context: any context.
 * Return: half the receive buffer, at most 65535 (a SYN's window is not
 * scaled, RFC 7323 2.3): what a child's own SYN-ACK would offer.
 */
u16 vtcp_syncookie_window(const struct sock *sk)
{
	return min_t(u32, READ_ONCE(sk->sk_rcvbuf) / 2, U16_MAX);
}

/**
 * vtcp_send_syncookie() - answer a SYN with a cookie, keeping nothing
 * @sk: the listener
 * @skb: the SYN
 *
 * Counts SyncookiesSent.
 *
 * Context: @sk locked.
 * Return: 0 once the SYN-ACK is sent, or a negative errno.
 */
int vtcp_send_syncookie(struct sock *sk, const struct sk_buff *skb)
{
	struct vtcp_opts peer, o;
	u32 isn;
	int err;

	vtcp_parse_options(vtcp_hdr(skb), &peer);
	synack_options(sk, skb, &peer, &o);
	isn = make_cookie(skb, mss_index(skb, &peer));
	err = vtcp_send_synack(sk, skb, isn, vtcp_syncookie_window(sk), &o);
	if (err)
		return err;
	note_cookie_sent(sk);
	VTCP_INC_STATS(sock_net(sk), VTCP_MIB_SYNCOOKIES_SENT);
	return 0;
}

/**
 * vtcp_syncookie_check() - does this ACK echo one of our SYN cookies?
 * @sk: the listener it came to
 * @skb: the ACK, without SYN or RST
 * @c: what the cookie kept, filled in when it is good
 *
 * An ACK is checked only while syncookies is on and the listener sent a
 * cookie in the last two minutes; then it counts in SyncookiesRecv or
 * SyncookiesFailed. Otherwise it is no handshake of ours, uncounted.
 *
 * Context: @sk locked.
 * Return: true for a good cookie.
 */
bool vtcp_syncookie_check(struct sock *sk, const struct sk_buff *skb,
			  struct vtcp_syncookie *c)
{
	struct net *net = sock_net(sk);
	int mssind;

	if (!vtcp_sysctl(net, syncookies) || !sent_cookies_lately(sk))
		return false;
	mssind = check_cookie(skb);
	if (mssind < 0 || !cookie_options(net, skb, c)) {
		VTCP_INC_STATS(net, VTCP_MIB_SYNCOOKIES_FAILED);
		return false;
	}
	VTCP_INC_STATS(net, VTCP_MIB_SYNCOOKIES_RECV);
	c->mss = mss_table(skb)[mssind];
	c->window = vtcp_syncookie_window(sk);
	return true;
}
