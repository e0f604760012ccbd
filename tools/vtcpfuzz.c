// SPDX-License-Identifier: GPL-2.0
/*
 * vtcpfuzz: crafted and mutated vtcp segments at one 4-tuple.
 *
 *   vtcpfuzz -m established|listener|timewait [-6] -s PEER -d TARGET
 *            -S PEER_PORT -D TARGET_PORT [options]
 *
 * Segments leave a raw socket (IPPROTO_RAW: we write the IP header) in
 * batches of sendmmsg(), from the peer's address (spoofed) to the
 * target's. Each one is first generated for a class (truncated, bad data
 * offset, bad checksum, out of window, blind RST or SYN, bad ACK, ...),
 * then perhaps mutated (bit flips, bytes, data offset, length), then
 * classified again by the rules vtcp's input path applies, and counted
 * under the class it really falls in: so the counts predict the
 * receiver's counters. A segment that could legitimately change the
 * connection (data with an acceptable ACK, an RST at RCV.NXT, a FIN) is
 * never sent: the stream under test must stay byte-exact.
 *
 * IPv4 by default; IPv6 with -6, or when an address given is an IPv6 one
 * (all must then be). What differs (the IP header, the checksum's
 * pseudo-header, the tracker's filter and parser, the sources' default
 * network) is chosen once, in struct family; the classes, and what the
 * target must do with each, are the same for both.
 *
 * Established and TIME-WAIT modes learn the target's sequence numbers and
 * window from its own segments, read on -i DEV (an AF_PACKET socket); a
 * probe asks the target for them first. Listener mode sends every segment
 * from a new spoofed source of -A NET/BITS (default 10.9.0.0/16, or
 * fd99::/64 for IPv6), so that none lands on a child.
 *
 * The seed (-r) makes the choices and mutations reproducible; values that
 * depend on what the target sent (its sequence numbers) vary with timing.
 * At the end it prints "sent CLASS N" for each class, then a "total" line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HDR_MIN		20
#define MAX_SEG		1480	/* a 1500-byte MTU, less IPv4's header */
#define MAX_IP_HDR	40	/* IPv6's */
#define BATCH		64
#define FIN		0x01
#define SYN		0x02
#define RST		0x04
#define PSH		0x08
#define ACK		0x10
#define URG		0x20
#define FAR		0x20000000U	/* beyond any window the tests use */
#define NEAR		0x01000000U
/*
 * An acceptable ACK is at most this far below the peer's latest: further
 * below, it could be more than the target's window below SND.UNA, and
 * challenged (RFC 5961 5.2) where the class says it is not. A mutation
 * that moves it further makes it K_UNSAFE, not sent.
 */
#define ACK_BELOW	(1U << 10)
#define FUZZ_TTL	33		/* TTL or hop limit: ours, not the peer's */

enum mode { M_ESTABLISHED, M_LISTENER, M_TIMEWAIT };

enum cls {
	K_TRUNC,	/* shorter than a header: InHdrErrors */
	K_DOFF,		/* data offset < 5 or past the end: InHdrErrors */
	K_CSUM,		/* bad checksum: InCsumErrors */
	K_NOSOCK,	/* to a closed port: InNoSocket, an RST back */
	K_NOSOCK_RST,	/* an RST to a closed port: InNoSocket */
	K_OOW,		/* out of window: InOutOfWindow (an ACK unless RST) */
	K_OOW_SYN,	/* out of window, SYN: InOutOfWindow, challenge ACK */
	K_OOW_TS,	/* out of window, timestamps: OutOfWindow or PawsDrop */
	K_RST,		/* RST in window, not at RCV.NXT: challenge ACK */
	K_SYN,		/* SYN in window: challenge ACK */
	K_BADACK,	/* in window, ACK of data never sent: InBadAck */
	K_NOACK,	/* in window without ACK: dropped */
	K_ACK,		/* bare ACK at RCV.NXT: any window, any SACK blocks */
	K_OLDACK,	/* ACK below SND.UNA - MAX.SND.WND: challenge ACK */
	K_L_SYN,	/* SYN at the listener: PassiveOpens or AttemptFails */
	K_L_ACK,	/* ACK at the listener: an RST back */
	K_L_SILENT,	/* RST, SYN with FIN, or neither SYN nor ACK, at the listener */
	K_TW_FIN,	/* TIME-WAIT: the FIN again: ACK, 2MSL restarts */
	K_TW_ACKED,	/* TIME-WAIT: a SYN or data: ACK */
	K_TW_SILENT,	/* TIME-WAIT: RST and the rest: ignored */
	NR_CLASSES,
	K_UNSAFE = NR_CLASSES	/* could change the connection: not sent */
};

static const char *const class_names[NR_CLASSES] = {
	"trunc", "doff", "csum", "nosock", "nosock_rst", "oow", "oow_syn",
	"oow_ts", "rst", "syn", "badack", "noack", "ack", "oldack",
	"l_syn", "l_ack", "l_silent", "tw_fin", "tw_acked", "tw_silent",
};

/* An address of either family, in network order: IPv4's in b[0..3]. */
struct addr {
	uint8_t b[16];
};

/* What the target told us of itself, and where we aim. */
struct target {
	enum mode mode;
	uint8_t proto;
	struct addr peer, addr;
	uint16_t peer_port, port, closed_port;
	struct addr spoof_net;
	uint32_t spoof_hosts;
	uint64_t tuple;			/* listener: next spoofed source */
	bool known;
	uint32_t rcv_nxt;		/* the target's */
	uint32_t snd_nxt;		/* highest end of what it sent */
	uint32_t last_seq;		/* seq of the newest segment it sent */
	uint32_t wnd;			/* its window field, unscaled */
	bool peer_known;
	uint32_t peer_ack;		/* highest ACK the real peer sent */
	unsigned long replies;
	unsigned long resets;		/* RSTs it sent us */
};

struct seg {
	uint8_t ip[MAX_IP_HDR];		/* fam->ip_len of it */
	uint8_t b[MAX_SEG];
	unsigned int len;
	struct addr src;
	uint16_t sport;
};

/* The IP header of a frame the tracker read, as a family's parse() saw it. */
struct ip_view {
	struct addr src, dst;
	const uint8_t *th;		/* the segment */
	unsigned int len;		/* its length, by the IP header */
};

/*
 * What differs between IPv4 and IPv6, chosen once (-6, or an IPv6
 * address): everything else is the same for both.
 */
struct family {
	int af;
	unsigned int addr_len;		/* 4 or 16 */
	unsigned int ip_len;		/* the header we write: 20 or 40 */
	unsigned int max_seg;		/* a 1500-byte MTU, less ip_len */
	uint16_t ethertype;
	/* Where the tracker's filter finds these, in the IP header. */
	unsigned int proto_at, ttl_at, src_at;
	const char *spoof_net;		/* -A's default */
	/* One's complement sum of the pseudo-header (not folded). */
	uint32_t (*pseudo_sum)(const struct addr *src, const struct addr *dst,
			       uint8_t proto, uint32_t len);
	void (*ip_header)(struct seg *s, const struct target *t);
	/* @ip, @n bytes of a frame: false unless @proto's, with a header. */
	bool (*parse)(const uint8_t *ip, size_t n, uint8_t proto,
		      struct ip_view *v);
	/* @a as sendmmsg()'s destination; returns its length. */
	socklen_t (*sockaddr)(const struct addr *a,
			      struct sockaddr_storage *ss);
};

static const struct family *fam;

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int one_in)
{
	return below(one_in) == 0;
}

static void die(const char *what)
{
	fprintf(stderr, "vtcpfuzz: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void fill_random(uint8_t *p, unsigned int n)
{
	while (n--)
		*p++ = rnd();
}

/* The 16-bit words of @p, @n bytes (an odd last one padded), summed. */
static uint32_t sum16(const uint8_t *p, unsigned int n)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += p[n - 1] << 8;
	return sum;
}

/* One's complement sum of the pseudo-header and @s's segment. */
static uint32_t sum_segment(const struct seg *s, const struct target *t)
{
	uint32_t sum = fam->pseudo_sum(&s->src, &t->addr, t->proto, s->len);

	sum += sum16(s->b, s->len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static bool checksum_ok(const struct seg *s, const struct target *t)
{
	return s->len >= HDR_MIN && sum_segment(s, t) == 0xffff;
}

static void set_checksum(struct seg *s, const struct target *t, bool bad)
{
	uint16_t c;

	if (s->len < HDR_MIN)
		return;
	put16(s->b + 16, 0);
	c = ~sum_segment(s, t);
	if (bad)
		c ^= 1 + below(0xfffe);
	put16(s->b + 16, c);
	/* 0x0000 and 0xffff may both verify: make sure it does not. */
	if (bad && checksum_ok(s, t))
		put16(s->b + 16, c ^ 0x0100);
}

static unsigned int hdr_len(const struct seg *s)
{
	return (s->b[12] >> 4) * 4;
}

static bool header_sane(const struct seg *s)
{
	return s->len >= HDR_MIN && hdr_len(s) >= HDR_MIN && hdr_len(s) <= s->len;
}

/* Does vtcp's option parser find a timestamp option in @s? */
static bool has_timestamp(const struct seg *s)
{
	const uint8_t *p = s->b + HDR_MIN, *end = s->b + hdr_len(s);

	while (p < end) {
		if (*p == 0)
			break;
		if (*p == 1) {
			p++;
			continue;
		}
		if (end - p < 2 || p[1] < 2 || p[1] > end - p)
			break;
		if (p[0] == 8 && p[1] == 10)
			return true;
		p += p[1];
	}
	return false;
}

/*
 * Options: valid ones, malformed ones (length 0, 1, past the end), unknown
 * kinds, EOL and NOP runs. @ts: may emit a timestamp option. @sack: SACK
 * blocks near @around.
 */
static unsigned int make_options(uint8_t *o, unsigned int room, bool ts,
				 bool sack, uint32_t around)
{
	unsigned int n = 0, k, len, i;

	while (n < room && !chance(4)) {
		uint8_t *p = o + n;
		unsigned int left = room - n;

		switch (below(11)) {
		case 0:
			*p = below(2);		/* EOL or NOP */
			len = 1;
			break;
		case 1:
			len = 4;		/* MSS, any value */
			if (left >= 4) {
				p[0] = 2;
				p[1] = 4;
				put16(p + 2, rnd());
			}
			break;
		case 2:
			len = 3;		/* window scale, any shift */
			if (left >= 3) {
				p[0] = 3;
				p[1] = 3;
				p[2] = rnd();
			}
			break;
		case 3:
			len = 2;		/* SACK-permitted */
			if (left >= 2) {
				p[0] = 4;
				p[1] = 2;
			}
			break;
		case 4:
		case 5:
			k = below(6);		/* SACK, 0 to 5 blocks */
			len = 2 + 8 * k;
			if (left < len)
				break;
			p[0] = 5;
			p[1] = len;
			for (i = 0; i < k; i++) {
				uint32_t a = sack ? around + below(1 << 20) -
					     (1 << 19) : rnd();

				put32(p + 2 + 8 * i, a);
				put32(p + 6 + 8 * i, chance(4) ? rnd() :
				      a + below(1 << 16));
			}
			break;
		case 6:
			len = 10;		/* timestamps */
			if (left < 10 || !ts) {
				len = 0;
				break;
			}
			p[0] = 8;
			p[1] = 10;
			fill_random(p + 2, 8);
			break;
		case 7:
			len = 2;		/* length 0 or 1: malformed */
			if (left >= 2) {
				p[0] = 2 + below(30);
				p[1] = below(2);
			}
			break;
		case 8:
			len = left;		/* a length past the end */
			p[0] = 2 + below(30);
			if (left >= 2)
				p[1] = left + 1 + below(40);
			break;
		default:
			len = 2 + below(10);	/* unknown kind */
			if (left >= len) {
				p[0] = 9 + below(240);
				p[1] = len;
				fill_random(p + 2, len - 2);
			}
			break;
		}
		if (!len || len > left)
			break;
		n += len;
	}
	return n;
}

static uint16_t any_window(void)
{
	switch (below(4)) {
	case 0:
		return 0;
	case 1:
		return 0xffff;
	case 2:
		return 1 + below(16);
	default:
		return rnd();
	}
}

/*
 * A segment of the 4-tuple: header fields, @optlen bytes of options
 * (rounded up to a word), @paylen bytes of payload.
 */
static void build(struct seg *s, const struct target *t, uint8_t flags,
		  uint32_t seq, uint32_t ack, uint16_t win, bool ts,
		  unsigned int paylen)
{
	unsigned int optlen = make_options(s->b + HDR_MIN, 40, ts,
					   t->mode == M_ESTABLISHED,
					   t->last_seq);

	optlen = (optlen + 3) & ~3U;
	memset(s->b, 0, HDR_MIN);
	put16(s->b, t->peer_port);
	put16(s->b + 2, t->port);
	put32(s->b + 4, seq);
	put32(s->b + 8, ack);
	s->b[12] = (HDR_MIN + optlen) / 4 << 4 | (chance(8) ? below(16) : 0);
	s->b[13] = flags;
	put16(s->b + 14, win);
	put16(s->b + 18, chance(8) ? rnd() : 0);	/* urgent pointer */
	if (paylen > fam->max_seg - HDR_MIN - optlen)
		paylen = fam->max_seg - HDR_MIN - optlen;
	fill_random(s->b + HDR_MIN + optlen, paylen);
	s->len = HDR_MIN + optlen + paylen;
	s->src = t->peer;
	s->sport = t->peer_port;
}

static unsigned int any_payload(void)
{
	switch (below(4)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(16);
	default:
		return below(1400);
	}
}

/* Flags among @allowed, each with even odds, plus @always. */
static uint8_t flags_of(uint8_t allowed, uint8_t always)
{
	return (rnd() & allowed) | always;
}

/* An offset in the window (the field we saw, a lower bound of it). */
static uint32_t in_window(const struct target *t, uint32_t min)
{
	return t->rcv_nxt + min + below(t->wnd > min ? t->wnd - min : 1);
}

static uint32_t out_of_window(const struct target *t)
{
	return t->rcv_nxt + FAR + below(0xffffffffU - 2 * FAR);
}

static void gen_established(struct seg *s, const struct target *t, enum cls k)
{
	uint32_t pay = any_payload();

	switch (k) {
	case K_OOW:
	case K_OOW_SYN:
	case K_OOW_TS:
		build(s, t, rnd(), out_of_window(t), rnd(), any_window(),
		      k == K_OOW_TS, pay);
		if (k == K_OOW_SYN)
			s->b[13] |= SYN;
		break;
	case K_RST:
		build(s, t, flags_of(ACK | PSH | URG | FIN, RST),
		      in_window(t, 1), rnd(), any_window(), false, 0);
		break;
	case K_SYN:
		build(s, t, flags_of(ACK | PSH | URG | FIN | 0xc0, SYN),
		      in_window(t, 0), rnd(), any_window(), false, 0);
		break;
	case K_BADACK:
		build(s, t, flags_of(PSH | URG | FIN | 0xc0, ACK),
		      in_window(t, 0), t->snd_nxt + NEAR + below(FAR),
		      any_window(), false, pay);
		break;
	case K_NOACK:
		build(s, t, flags_of(PSH | URG | FIN | 0xc0, 0),
		      in_window(t, 0), rnd(), any_window(), false, pay);
		break;
	case K_ACK:
		/* Within a small window below: the target's max_window may be
		 * small, and an ACK below snd_una - max_window is challenged. */
		build(s, t, flags_of(PSH | URG | 0xc0, ACK), t->rcv_nxt,
		      t->peer_ack - below(ACK_BELOW), any_window(), false, 0);
		break;
	case K_OLDACK:
		build(s, t, flags_of(PSH, ACK), in_window(t, 0),
		      t->peer_ack - (1U << 30) - below(FAR), 0xffff, false,
		      chance(2) ? 0 : 1 + below(100));
		break;
	default:
		break;
	}
}

/*
 * The next spoofed source: a new address and port for every segment. The
 * host part is the address's last 32 bits (all of IPv4's).
 */
static void next_source(struct seg *s, struct target *t)
{
	uint64_t i = t->tuple++;
	uint8_t *host = s->src.b + fam->addr_len - 4;

	s->src = t->spoof_net;
	put32(host, get32(host) + 1 + (i / 60000) % t->spoof_hosts);
	s->sport = 1024 + i % 60000;
	if (s->len >= 2)
		put16(s->b, s->sport);
}

static void gen_listener(struct seg *s, struct target *t, enum cls k)
{
	switch (k) {
	case K_L_SYN:
		build(s, t, flags_of(PSH | URG | FIN | 0xc0, SYN), rnd(), rnd(),
		      any_window(), true, chance(8) ? any_payload() : 0);
		break;
	case K_L_ACK:
		build(s, t, flags_of(PSH | URG | FIN | SYN | 0xc0, ACK), rnd(),
		      rnd(), any_window(), true, any_payload());
		break;
	default:
		build(s, t, flags_of(PSH | URG | FIN | 0xc0, chance(2) ? RST : 0),
		      rnd(), rnd(), any_window(), true, any_payload());
		break;
	}
}

static void gen_timewait(struct seg *s, const struct target *t, enum cls k)
{
	uint32_t pay = any_payload();

	switch (k) {
	case K_TW_FIN:
		build(s, t, flags_of(PSH | URG | ACK | 0xc0, FIN),
		      t->rcv_nxt - 1 - pay, rnd(), any_window(), true, pay);
		break;
	case K_TW_ACKED:
		build(s, t, flags_of(0xff & ~RST, chance(2) ? SYN : 0), rnd(),
		      rnd(), any_window(), true, 1 + pay);
		break;
	default:
		build(s, t, rnd(), rnd(), rnd(), any_window(), true,
		      chance(2) ? 0 : pay);
		break;
	}
}

/* The classes of every mode: bad headers, bad checksums, closed ports. */
static bool gen_common(struct seg *s, struct target *t, enum cls k)
{
	switch (k) {
	case K_TRUNC:
		s->len = below(HDR_MIN);
		fill_random(s->b, s->len);
		s->src = t->peer;
		return true;
	case K_DOFF:
		build(s, t, rnd(), rnd(), rnd(), rnd(), true, below(40));
		if (chance(2))
			s->b[12] = below(5) << 4 | (s->b[12] & 15);
		else if (s->len < 60)
			s->b[12] = (s->len / 4 + 1 + below(15 - s->len / 4)) << 4;
		else
			s->len = hdr_len(s) - 1 - below(hdr_len(s) - HDR_MIN);
		return true;
	case K_CSUM:
		build(s, t, rnd(), rnd(), rnd(), rnd(), true, any_payload());
		return true;
	case K_NOSOCK:
	case K_NOSOCK_RST:
		build(s, t, k == K_NOSOCK ? rnd() & ~RST : rnd() | RST, rnd(),
		      rnd(), rnd(), true, any_payload());
		put16(s->b + 2, t->closed_port);
		return true;
	default:
		return false;
	}
}

/* Bit flips, bytes, data offsets and lengths: never the ports. */
static void mutate(struct seg *s)
{
	unsigned int n = 1 + below(3);

	while (n--) {
		unsigned int at = 4 + below(s->len > 4 ? s->len - 4 : 1);

		switch (below(5)) {
		case 0:
			if (at < s->len)
				s->b[at] ^= 1 << below(8);
			break;
		case 1:
			if (at < s->len)
				s->b[at] = rnd();
			break;
		case 2:
			if (s->len > 12)
				s->b[12] = below(16) << 4 | (s->b[12] & 15);
			break;
		case 3:
			s->len = 4 + below(s->len > 4 ? s->len - 3 : 1);
			break;
		default:
			at = below(64);
			if (s->len + at <= fam->max_seg) {
				fill_random(s->b + s->len, at);
				s->len += at;
			}
			break;
		}
	}
}

static uint8_t flags(const struct seg *s)
{
	return s->b[13];
}

/* SYN and FIN take a sequence number each, as data bytes do. */
static uint32_t seq_space(const struct seg *s)
{
	return s->len - hdr_len(s) + !!(flags(s) & SYN) + !!(flags(s) & FIN);
}

/* Is every byte of [off, off + n) at least FAR from the window? */
static bool far_out(uint32_t off, uint32_t n)
{
	return off >= FAR && off <= 0xffffffffU - FAR - n;
}

static enum cls classify_established(const struct seg *s,
				     const struct target *t)
{
	uint32_t off = get32(s->b + 4) - t->rcv_nxt, n = seq_space(s);
	uint32_t ack = get32(s->b + 8);
	uint8_t f = flags(s);
	bool ts = has_timestamp(s);

	if (far_out(off, n)) {
		if (ts && (f & SYN))
			return K_UNSAFE;	/* PAWS may eat it first */
		if (ts)
			return K_OOW_TS;
		return (f & SYN) ? K_OOW_SYN : K_OOW;
	}
	if (t->wnd < 2 || (uint64_t)off + n > t->wnd || ts)
		return K_UNSAFE;
	if (f & RST)
		return off ? K_RST : K_UNSAFE;
	if (f & SYN)
		return K_SYN;
	if (!(f & ACK))
		return K_NOACK;
	if (ack - t->snd_nxt >= NEAR && ack - t->snd_nxt <= 0x80000000U - NEAR)
		return K_BADACK;
	if (!t->peer_known)
		return K_UNSAFE;
	if (t->peer_ack - ack >= (1U << 30) &&
	    t->peer_ack - ack <= 0x80000000U - NEAR)
		return K_OLDACK;		/* RFC 5961 5.2 */
	/*
	 * Only what the peer acknowledged already: an ACK of data it never
	 * got would make the target free it (the "optimistic ACK").
	 */
	if (t->peer_ack - ack < ACK_BELOW && !n && !off)
		return K_ACK;
	return K_UNSAFE;
}

static enum cls classify_listener(const struct seg *s)
{
	uint8_t f = flags(s);

	if (f & RST)
		return K_L_SILENT;
	if (f & ACK)
		return K_L_ACK;
	return (f & SYN) && !(f & FIN) ? K_L_SYN : K_L_SILENT;
}

static enum cls classify_timewait(const struct seg *s, const struct target *t)
{
	uint8_t f = flags(s);
	uint32_t n = seq_space(s);

	if (f & RST)
		return K_TW_SILENT;
	if (f & SYN)
		return K_TW_ACKED;
	if ((f & FIN) && get32(s->b + 4) + n == t->rcv_nxt)
		return K_TW_FIN;
	return n ? K_TW_ACKED : K_TW_SILENT;
}

/* What vtcp's input path will make of @s (mod/input.c, timewait.c). */
static enum cls classify(const struct seg *s, const struct target *t)
{
	if (!header_sane(s))
		return s->len < HDR_MIN ? K_TRUNC : K_DOFF;
	if (!checksum_ok(s, t))
		return K_CSUM;
	if (get16(s->b + 2) == t->closed_port)
		return (flags(s) & RST) ? K_NOSOCK_RST : K_NOSOCK;
	if (get16(s->b + 2) != t->port ||
	    (t->mode != M_LISTENER && get16(s->b) != t->peer_port))
		return K_UNSAFE;
	switch (t->mode) {
	case M_LISTENER:
		return classify_listener(s);
	case M_TIMEWAIT:
		return classify_timewait(s, t);
	default:
		return classify_established(s, t);
	}
}

/* The classes each mode generates, and how often (weights). */
static const unsigned int weights[3][NR_CLASSES] = {
	[M_ESTABLISHED] = {
		[K_TRUNC] = 2, [K_DOFF] = 4, [K_CSUM] = 4, [K_NOSOCK] = 1,
		[K_NOSOCK_RST] = 1, [K_OOW] = 8, [K_OOW_SYN] = 2,
		[K_OOW_TS] = 4, [K_RST] = 3, [K_SYN] = 3, [K_BADACK] = 4,
		[K_NOACK] = 2, [K_ACK] = 4, [K_OLDACK] = 2,
	},
	[M_LISTENER] = {
		[K_TRUNC] = 2, [K_DOFF] = 4, [K_CSUM] = 4, [K_NOSOCK] = 1,
		[K_NOSOCK_RST] = 1, [K_L_SYN] = 8, [K_L_ACK] = 4,
		[K_L_SILENT] = 4,
	},
	[M_TIMEWAIT] = {
		[K_TRUNC] = 2, [K_DOFF] = 4, [K_CSUM] = 4, [K_NOSOCK] = 1,
		[K_NOSOCK_RST] = 1, [K_TW_FIN] = 4, [K_TW_ACKED] = 6,
		[K_TW_SILENT] = 6,
	},
};

static unsigned int weight[NR_CLASSES];
static unsigned int weight_sum;
static unsigned int mutate_one_in = 4;

static enum cls pick_class(void)
{
	unsigned int w = below(weight_sum), k;

	for (k = 0; k < NR_CLASSES; k++) {
		if (w < weight[k])
			return k;
		w -= weight[k];
	}
	return K_TRUNC;
}

/* One segment to send, counted by what it will be; false: none fits. */
static enum cls next_segment(struct seg *s, struct target *t)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		enum cls want = pick_class(), got;

		if (!gen_common(s, t, want)) {
			if (t->mode == M_LISTENER)
				gen_listener(s, t, want);
			else if (t->mode == M_TIMEWAIT)
				gen_timewait(s, t, want);
			else
				gen_established(s, t, want);
		}
		if (t->mode == M_LISTENER)
			next_source(s, t);
		if (want != K_TRUNC && want != K_DOFF && chance(mutate_one_in))
			mutate(s);
		set_checksum(s, t, want == K_CSUM);
		got = classify(s, t);
		if (got != K_UNSAFE && weight[got])
			return got;
	}
	return K_UNSAFE;
}

/* ---- IPv4 and IPv6: what differs ----------------------------------------- */

static bool same_addr(const struct addr *a, const struct addr *b)
{
	return !memcmp(a->b, b->b, fam->addr_len);
}

/* RFC 9293 3.1: source, destination, a zero byte, protocol, length. */
static uint32_t pseudo_sum4(const struct addr *src, const struct addr *dst,
			    uint8_t proto, uint32_t len)
{
	return sum16(src->b, 4) + sum16(dst->b, 4) + proto + len;
}

/*
 * RFC 8200 8.1: source, destination, a 32-bit upper-layer length, three
 * zero bytes, next header.
 */
static uint32_t pseudo_sum6(const struct addr *src, const struct addr *dst,
			    uint8_t proto, uint32_t len)
{
	return sum16(src->b, 16) + sum16(dst->b, 16) + (len >> 16) +
	       (len & 0xffff) + proto;
}

/* The kernel fills in the header checksum and the ID. */
static void ip_header4(struct seg *s, const struct target *t)
{
	struct iphdr *ip = (struct iphdr *)s->ip;

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = FUZZ_TTL;
	ip->protocol = t->proto;
	ip->tot_len = htons(sizeof(*ip) + s->len);
	memcpy(&ip->saddr, s->src.b, 4);
	memcpy(&ip->daddr, t->addr.b, 4);
}

/* Sent as it is: the payload length is ours to write too. */
static void ip_header6(struct seg *s, const struct target *t)
{
	struct ip6_hdr *ip = (struct ip6_hdr *)s->ip;

	memset(ip, 0, sizeof(*ip));
	ip->ip6_flow = htonl(6U << 28);		/* version, class 0, flow 0 */
	ip->ip6_plen = htons(s->len);
	ip->ip6_nxt = t->proto;
	ip->ip6_hlim = FUZZ_TTL;
	memcpy(&ip->ip6_src, s->src.b, 16);
	memcpy(&ip->ip6_dst, t->addr.b, 16);
}

static bool parse4(const uint8_t *ip, size_t n, uint8_t proto,
		   struct ip_view *v)
{
	unsigned int ihl = (ip[0] & 15) * 4, tot;

	if (n < 20 || ip[0] >> 4 != 4 || ip[9] != proto || ihl < 20 ||
	    n < ihl + HDR_MIN)
		return false;
	memcpy(v->src.b, ip + 12, 4);
	memcpy(v->dst.b, ip + 16, 4);
	v->th = ip + ihl;
	tot = get16(ip + 2);
	v->len = tot > ihl ? tot - ihl : 0;
	return true;
}

/* The target sends no extension headers: the segment follows. */
static bool parse6(const uint8_t *ip, size_t n, uint8_t proto,
		   struct ip_view *v)
{
	if (n < 40 + HDR_MIN || ip[0] >> 4 != 6 || ip[6] != proto)
		return false;
	memcpy(v->src.b, ip + 8, 16);
	memcpy(v->dst.b, ip + 24, 16);
	v->th = ip + 40;
	v->len = get16(ip + 4);
	return true;
}

static socklen_t sockaddr4(const struct addr *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, a->b, 4);
	return sizeof(*sin);
}

static socklen_t sockaddr6(const struct addr *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, a->b, 16);
	return sizeof(*sin6);
}

static const struct family ipv4 = {
	.af = AF_INET,
	.addr_len = 4,
	.ip_len = sizeof(struct iphdr),
	.max_seg = 1500 - sizeof(struct iphdr),
	.ethertype = ETH_P_IP,
	.proto_at = 9,
	.ttl_at = 8,
	.src_at = 12,
	.spoof_net = "10.9.0.0/16",
	.pseudo_sum = pseudo_sum4,
	.ip_header = ip_header4,
	.parse = parse4,
	.sockaddr = sockaddr4,
};

static const struct family ipv6 = {
	.af = AF_INET6,
	.addr_len = 16,
	.ip_len = sizeof(struct ip6_hdr),
	.max_seg = 1500 - sizeof(struct ip6_hdr),
	.ethertype = ETH_P_IPV6,
	.proto_at = 6,
	.ttl_at = 7,
	.src_at = 8,
	.spoof_net = "fd99::/64",
	.pseudo_sum = pseudo_sum6,
	.ip_header = ip_header6,
	.parse = parse6,
	.sockaddr = sockaddr6,
};

/* ---- Tracking the target ------------------------------------------------- */

/* The real peer's ACKs (ours have FUZZ_TTL): what it has received. */
static void learn_peer(struct target *t, const uint8_t *th)
{
	uint32_t ack = get32(th + 8);

	if (!(th[13] & ACK) || (th[13] & RST))
		return;
	if (!t->peer_known || (int32_t)(ack - t->peer_ack) > 0)
		t->peer_ack = ack;
	t->peer_known = true;
}

/* What the target's own segments say of its sequence numbers. */
static void learn(struct target *t, const uint8_t *frame, ssize_t n)
{
	struct ip_view v = { 0 };
	const uint8_t *th;
	unsigned int doff;
	uint32_t seq, end;

	if (n < ETH_HLEN || get16(frame + 12) != fam->ethertype ||
	    !fam->parse(frame + ETH_HLEN, n - ETH_HLEN, t->proto, &v))
		return;
	th = v.th;
	if (same_addr(&v.src, &t->peer) && same_addr(&v.dst, &t->addr) &&
	    get16(th) == t->peer_port && get16(th + 2) == t->port) {
		learn_peer(t, th);
		return;
	}
	if (!same_addr(&v.src, &t->addr) || !same_addr(&v.dst, &t->peer) ||
	    get16(th) != t->port || get16(th + 2) != t->peer_port)
		return;
	if (th[13] & RST) {
		t->resets++;
		return;
	}
	doff = (th[12] >> 4) * 4;
	seq = get32(th + 4);
	end = seq + (v.len > doff ? v.len - doff : 0) +
	      !!(th[13] & (SYN | FIN));
	if (!t->known || (int32_t)(seq - t->last_seq) > 0)
		t->last_seq = seq;
	if (!t->known || (int32_t)(end - t->snd_nxt) > 0)
		t->snd_nxt = end;
	if (th[13] & ACK)
		t->rcv_nxt = get32(th + 8);
	t->wnd = get16(th + 14);
	t->known = true;
	t->replies++;
}

static void drain(int pfd, struct target *t)
{
	uint8_t frame[256];
	ssize_t n;

	while (pfd >= 0 && (n = recv(pfd, frame, sizeof(frame),
				     MSG_DONTWAIT | MSG_TRUNC)) > 0)
		learn(t, frame, n);
}

/* A classic BPF program, built in place: jumps name their targets. */
struct filter {
	struct sock_filter code[24];
	unsigned int n;
};

static void load(struct filter *f, unsigned int size, unsigned int at)
{
	f->code[f->n++] = (struct sock_filter)BPF_STMT(BPF_LD | size | BPF_ABS,
						       at);
}

/* To instruction @yes if the accumulator is @k, else to @no. */
static void jump_if(struct filter *f, uint32_t k, unsigned int yes,
		    unsigned int no)
{
	f->code[f->n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						     k, yes - f->n - 1,
						     no - f->n - 1);
	f->n++;
}

static void ret(struct filter *f, uint32_t k)
{
	f->code[f->n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, k);
}

/*
 * Our protocol from the target, and from the real peer (both ways: the
 * peer may be this host) but for ours (FUZZ_TTL), in the family's frames:
 * the kernel filters the rest. A source address is compared a 32-bit word
 * at a time (one for IPv4, four for IPv6); learn() checks the rest.
 */
static int open_tracker(const char *dev, const struct target *t)
{
	const unsigned int words = fam->addr_len / 4, ip = ETH_HLEN;
	/* Its parts: 4 checks, the target's source, the peer's, the end. */
	const unsigned int peer = 4 + 2 * words;
	const unsigned int accept = peer + 2 * words + 2, reject = accept + 1;
	struct filter f = { .n = 0 };
	struct sock_fprog prog = { .filter = f.code };
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	unsigned int i;
	int fd;

	load(&f, BPF_H, 12);
	jump_if(&f, fam->ethertype, f.n + 1, reject);
	load(&f, BPF_B, ip + fam->proto_at);
	jump_if(&f, t->proto, f.n + 1, reject);
	for (i = 0; i < words; i++) {		/* the target's: take it */
		load(&f, BPF_W, ip + fam->src_at + 4 * i);
		jump_if(&f, get32(t->addr.b + 4 * i),
			i + 1 < words ? f.n + 1 : accept, peer);
	}
	for (i = 0; i < words; i++) {		/* the peer's... */
		load(&f, BPF_W, ip + fam->src_at + 4 * i);
		jump_if(&f, get32(t->peer.b + 4 * i), f.n + 1, reject);
	}
	load(&f, BPF_B, ip + fam->ttl_at);	/* ...unless it is ours */
	jump_if(&f, FUZZ_TTL, reject, accept);
	ret(&f, 256);
	ret(&f, 0);
	prog.len = f.n;

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		die("AF_PACKET socket");
	sll.sll_ifindex = if_nametoindex(dev);
	if (!sll.sll_ifindex)
		die(dev);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		die("SO_ATTACH_FILTER");
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind AF_PACKET");
	return fd;
}

static int raw_fd;
static struct sockaddr_storage dst;
static socklen_t dst_len;

/* Each segment after its IP header: the kernel adds only the link's. */
static void send_batch(struct seg *segs, unsigned int n)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH][2];
	unsigned int i, done = 0;
	int r;

	for (i = 0; i < n; i++) {
		iov[i][0].iov_base = segs[i].ip;
		iov[i][0].iov_len = fam->ip_len;
		iov[i][1].iov_base = segs[i].b;
		iov[i][1].iov_len = segs[i].len;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = iov[i];
		msgs[i].msg_hdr.msg_iovlen = 2;
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = dst_len;
	}
	while (done < n) {
		r = sendmmsg(raw_fd, msgs + done, n - done, 0);
		if (r < 0 && errno == ENOBUFS) {
			usleep(100);
			continue;
		}
		if (r < 0)
			die("sendmmsg");
		done += r;
	}
}

/*
 * Ask the target where it stands: a segment it must answer with an ACK
 * (out of its window; data, for TIME-WAIT). Counted as what it is.
 */
static void probe(struct target *t, int pfd, unsigned long *sent)
{
	struct seg s;
	int i;

	for (i = 0; i < 20 && !t->known; i++) {
		build(&s, t, ACK, t->rcv_nxt + 0x80000000U, 0, 0xffff, false,
		      t->mode == M_TIMEWAIT);
		s.b[12] = 5 << 4;
		s.len = HDR_MIN + (t->mode == M_TIMEWAIT);
		set_checksum(&s, t, false);
		fam->ip_header(&s, t);
		send_batch(&s, 1);
		sent[classify(&s, t)]++;
		poll(&(struct pollfd){ .fd = pfd, .events = POLLIN }, 1, 250);
		drain(pfd, t);
	}
	if (!t->known) {
		fprintf(stderr, "vtcpfuzz: the target never answered\n");
		exit(1);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: vtcpfuzz -m established|listener|timewait [-6] -s PEER -d TARGET\n"
		"                -S PEER_PORT -D TARGET_PORT [-i DEV] [-n COUNT]\n"
		"                [-t SECONDS] [-r SEED] [-p PROTO] [-A NET/BITS]\n"
		"                [-N CLOSED_PORT] [-c CLASS[=W],...] [-M ONE_IN]\n"
		"                [-R PER_SECOND]\n"
		"-6: IPv6, also when an address is an IPv6 one (all must be)\n");
	exit(2);
}

/* -c syn=3,oow: only these classes, with these weights (default 1). */
static void set_classes(const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL, *eq;
	unsigned int k;

	memset(weight, 0, sizeof(weight));
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (eq)
			*eq++ = 0;
		for (k = 0; k < NR_CLASSES; k++)
			if (!strcmp(tok, class_names[k]))
				break;
		if (k == NR_CLASSES) {
			fprintf(stderr, "vtcpfuzz: no class '%s'\n", tok);
			exit(2);
		}
		weight[k] = eq ? strtoul(eq, NULL, 0) : 1;
	}
	free(copy);
}

/* A numeric address of the family chosen. */
static void parse_addr(const char *arg, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(fam->af, arg, a->b) != 1)
		bad_usage();
}

/*
 * -A NET/BITS (BITS by default 24, or 64 for IPv6): the sources are NET +
 * 1 + i, i below the number of hosts less 2, in the last 32 bits at most
 * (IPv6's /64: 2^32 - 2 sources).
 */
static void parse_net(const char *arg, struct target *t)
{
	char buf[64], *slash;
	int bits, host_bits;

	snprintf(buf, sizeof(buf), "%s", arg);
	slash = strchr(buf, '/');
	bits = slash ? atoi(slash + 1) : fam == &ipv6 ? 64 : 24;
	if (slash)
		*slash = 0;
	parse_addr(buf, &t->spoof_net);
	host_bits = fam->addr_len * 8 - bits;
	if (bits < 8 || host_bits < 2)
		bad_usage();
	if (host_bits > 32)
		host_bits = 32;
	t->spoof_hosts = (1ULL << host_bits) - 2;
}

/* What the command line asks for, beyond the target itself. */
struct options {
	const char *dev, *classes, *peer, *addr, *net;
	unsigned long count;	/* segments at most */
	double secs, rate;	/* how long at most; segments a second, 0: any */
	bool v6;
};

static enum mode parse_mode(const char *arg)
{
	if (!strcmp(arg, "established"))
		return M_ESTABLISHED;
	if (!strcmp(arg, "listener"))
		return M_LISTENER;
	if (!strcmp(arg, "timewait"))
		return M_TIMEWAIT;
	bad_usage();
	return M_ESTABLISHED;
}

static void parse_options(int argc, char **argv, struct target *t,
			  struct options *o)
{
	int opt;

	while ((opt = getopt(argc, argv, "6m:s:d:S:D:i:n:t:r:p:A:N:c:M:R:")) != -1) {
		switch (opt) {
		case '6':
			o->v6 = true;
			break;
		case 'm':
			t->mode = parse_mode(optarg);
			break;
		case 's':
			o->peer = optarg;
			break;
		case 'd':
			o->addr = optarg;
			break;
		case 'S':
			t->peer_port = atoi(optarg);
			break;
		case 'D':
			t->port = atoi(optarg);
			break;
		case 'i':
			o->dev = optarg;
			break;
		case 'n':
			o->count = strtoul(optarg, NULL, 0);
			break;
		case 't':
			o->secs = atof(optarg);
			break;
		case 'r':
			rng = strtoull(optarg, NULL, 0) * 2 + 1;
			break;
		case 'p':
			t->proto = atoi(optarg);
			break;
		case 'A':
			o->net = optarg;
			break;
		case 'N':
			t->closed_port = atoi(optarg);
			break;
		case 'c':
			o->classes = optarg;
			break;
		case 'M':
			mutate_one_in = atoi(optarg);
			break;
		case 'R':
			o->rate = atof(optarg);
			break;
		default:
			bad_usage();
		}
	}
	if (!o->addr || !t->port)
		bad_usage();
	if (t->mode != M_LISTENER && (!o->peer || !t->peer_port || !o->dev))
		bad_usage();
}

/*
 * The family (-6, or an IPv6 address: the addresses must then all be
 * IPv6 ones), the addresses, the spoofed sources and the classes' weights.
 */
static void aim(struct target *t, const struct options *o)
{
	unsigned int k;

	fam = o->v6 || strchr(o->addr, ':') ||
	      (o->peer && strchr(o->peer, ':')) ||
	      (o->net && strchr(o->net, ':')) ? &ipv6 : &ipv4;
	parse_addr(o->addr, &t->addr);
	if (o->peer)
		parse_addr(o->peer, &t->peer);
	parse_net(o->net ? o->net : fam->spoof_net, t);
	memcpy(weight, weights[t->mode], sizeof(weight));
	if (o->classes)
		set_classes(o->classes);
	for (k = 0; k < NR_CLASSES; k++)
		weight_sum += weight[k];
	if (!weight_sum)
		bad_usage();
	t->tuple = rnd() % (60000ULL * t->spoof_hosts);
}

/* IPPROTO_RAW: we write the IP header (IPv6's too: IPV6_HDRINCL). */
static void open_raw_socket(const struct target *t)
{
	raw_fd = socket(fam->af, SOCK_RAW, IPPROTO_RAW);
	if (raw_fd < 0)
		die("raw socket");
	dst_len = fam->sockaddr(&t->addr, &dst);
}

/*
 * Up to BATCH segments into @batch, each counted in @sent under its
 * class; fewer where the next one would be unsafe.
 */
static unsigned int fill_batch(struct seg *batch, unsigned int room,
			       struct target *t, unsigned long *sent)
{
	unsigned int n;

	for (n = 0; n < room; n++) {
		enum cls k = next_segment(&batch[n], t);

		if (k == K_UNSAFE)
			break;
		fam->ip_header(&batch[n], t);
		sent[k]++;
	}
	return n;
}

/*
 * Batches until the count, the time or the target's state says stop, at
 * the rate asked for; what the target sends meanwhile is learnt (@pfd).
 * Returns the seconds it took.
 */
static double fuzz(struct target *t, int pfd, const struct options *o,
		   unsigned long *sent)
{
	struct seg *batch = calloc(BATCH, sizeof(*batch));
	unsigned long total = 0;
	double t0 = now(), elapsed;
	unsigned int n, room;
	int idle = 0;

	if (!batch)
		die("calloc");
	while (total < o->count) {
		elapsed = now() - t0;
		if (o->secs && elapsed >= o->secs)
			break;
		if (o->rate && total > o->rate * elapsed) {
			usleep(1000);
			continue;
		}
		drain(pfd, t);
		room = o->count - total < BATCH ? o->count - total : BATCH;
		n = fill_batch(batch, room, t, sent);
		if (!n) {
			/* Nothing fits what we know yet: learn more. */
			if (pfd < 0 || ++idle > 500) {
				fprintf(stderr, "vtcpfuzz: no class fits the target's state\n");
				exit(1);
			}
			poll(&(struct pollfd){ .fd = pfd, .events = POLLIN }, 1, 10);
			continue;
		}
		idle = 0;
		send_batch(batch, n);
		total += n;
	}
	elapsed = now() - t0;
	drain(pfd, t);
	free(batch);
	return elapsed;
}

/* "sent CLASS N" for each class asked for or sent, then the totals. */
static void report(const struct target *t, const unsigned long *sent,
		   double elapsed)
{
	unsigned long total = 0;
	unsigned int k;

	for (k = 0; k < NR_CLASSES; k++) {
		if (weight[k] || sent[k])
			printf("sent %s %lu\n", class_names[k], sent[k]);
		total += sent[k];
	}
	printf("target replies %lu resets %lu rcv_nxt %u snd_nxt %u wnd %u\n",
	       t->replies, t->resets, t->rcv_nxt, t->snd_nxt, t->wnd);
	printf("total %lu segments in %.1f s: %.0f/s\n", total, elapsed,
	       elapsed > 0 ? total / elapsed : 0.0);
}

int main(int argc, char **argv)
{
	struct target t = { .proto = 253, .closed_port = 1 };
	struct options o = { .count = 1000000 };
	unsigned long sent[NR_CLASSES + 1] = { 0 };
	int pfd = -1;

	rng = 1;
	parse_options(argc, argv, &t, &o);
	aim(&t, &o);
	open_raw_socket(&t);
	if (t.mode != M_LISTENER) {
		pfd = open_tracker(o.dev, &t);
		probe(&t, pfd, sent);
	}
	report(&t, sent, fuzz(&t, pfd, &o, sent));
	return 0;
}
