// SPDX-License-Identifier: GPL-2.0
/*
 * TCP options (mod/options.c): reading what Linux TCP writes, malformed
 * lengths (RFC 9293 3.2: a bad length ends the parse; what came before
 * stands, as Linux's tcp_parse_options()), what goes only on SYNs, and
 * writing them back in Linux's layout within the 40 bytes a header has.
 */
#include "ktap.h"
#include "vtcp.h"
#include "options.h"
#include "wire.h"

static union {
	struct tcphdr th;
	u8 b[60];
} seg;

/* A header with @len bytes of options @opt (padded with EOL). */
static const struct tcphdr *header(bool syn, const u8 *opt, unsigned int len)
{
	memset(&seg, 0, sizeof(seg));
	memcpy(seg.b + 20, opt, len);
	seg.th.doff = (20 + len + 3) / 4;
	seg.th.syn = syn;
	seg.th.ack = !syn;
	return &seg.th;
}

static struct vtcp_opts parse(bool syn, const u8 *opt, unsigned int len)
{
	struct vtcp_opts o;

	memset(&o, 0xa5, sizeof(o));	/* parse must not trust it */
	vtcp_parse_options(header(syn, opt, len), &o);
	return o;
}

#define PARSE(syn, ...) ({ static const u8 _o[] = { __VA_ARGS__ };	\
	parse(syn, _o, sizeof(_o)); })

/* Linux's SYN: MSS 1460, SACK-permitted, timestamps, window scale 7. */
static const u8 linux_syn[] = {
	2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0,
	1, 3, 3, 7,
};

TEST(linux_syn)
{
	struct vtcp_opts o = parse(true, linux_syn, sizeof(linux_syn));

	EXPECT_EQ(o.has, VTCP_OPT_MSS | VTCP_OPT_SACK | VTCP_OPT_TIMESTAMPS |
			 VTCP_OPT_WSCALE);
	EXPECT_EQ(o.mss, 1460);
	EXPECT_EQ(o.wscale, 7);
	EXPECT_EQ(o.tsval, 0x1234);
	EXPECT_EQ(o.tsecr, 0);
	EXPECT_EQ(o.nr_sacks, 0);
}

/* MSS, window scale and SACK-permitted count on SYNs alone (RFC 7323 2.2). */
TEST(syn_only_options_ignored_later)
{
	struct vtcp_opts o = parse(false, linux_syn, sizeof(linux_syn));

	EXPECT_EQ(o.has, VTCP_OPT_TIMESTAMPS);
}

/* RFC 7323 2.3: a shift over 14 is taken as 14. */
TEST(wscale_clamped)
{
	struct vtcp_opts o = PARSE(true, 1, 3, 3, 15);

	EXPECT_EQ(o.has, VTCP_OPT_WSCALE);
	EXPECT_EQ(o.wscale, 14);
	o = PARSE(true, 1, 3, 3, 255);
	EXPECT_EQ(o.wscale, 14);
	o = PARSE(true, 1, 3, 3, 0);
	EXPECT_EQ(o.wscale, 0);
}

TEST(sack_blocks)
{
	struct vtcp_opts o = PARSE(false, 1, 1, 5, 26,
		0, 0, 0, 10, 0, 0, 0, 20,
		0, 0, 0, 30, 0, 0, 0, 40,
		0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 16);

	EXPECT_EQ(o.has, VTCP_OPT_SACK_BLOCKS);
	ASSERT_EQ(o.nr_sacks, 3);
	EXPECT_EQ(o.sacks[0].start, 10);
	EXPECT_EQ(o.sacks[0].end, 20);
	EXPECT_EQ(o.sacks[1].start, 30);
	EXPECT_EQ(o.sacks[2].start, 0xfffffff0);
	EXPECT_EQ(o.sacks[2].end, 16);
	/* Not on a SYN. */
	o = PARSE(true, 5, 10, 0, 0, 0, 10, 0, 0, 0, 20);
	EXPECT_EQ(o.has, 0);
	EXPECT_EQ(o.nr_sacks, 0);
}

/* Four blocks, the most 40 bytes hold; the option itself may say more. */
TEST(sack_four_blocks)
{
	u8 opt[40] = { 1, 1, 5, 34 };
	struct vtcp_opts o;
	int i;

	for (i = 0; i < 8; i++)
		opt[4 + 4 * i + 3] = 10 * (i + 1);
	o = parse(false, opt, 36);
	ASSERT_EQ(o.nr_sacks, 4);
	EXPECT_EQ(o.sacks[3].start, 70);
	EXPECT_EQ(o.sacks[3].end, 80);
}

/* A SACK option whose length is not 2 + 8n carries no blocks. */
TEST(sack_bad_lengths)
{
	struct vtcp_opts o = PARSE(false, 5, 11, 0, 0, 0, 10, 0, 0, 0, 20, 0,
				   1, 1, 1);

	EXPECT_EQ(o.nr_sacks, 0);
	EXPECT_EQ(o.has, 0);
	o = PARSE(false, 5, 2, 1, 1);		/* no block at all */
	EXPECT_EQ(o.has, 0);
	o = PARSE(false, 5, 9, 0, 0, 0, 10, 0, 0, 0, 20);	/* one byte short */
	EXPECT_EQ(o.has, 0);
}

/* A zero length ends the parse (it would loop forever); before stands. */
TEST(zero_length)
{
	struct vtcp_opts o = PARSE(true, 2, 4, 0x05, 0xb4, 30, 0, 1, 1,
				   1, 3, 3, 7);

	EXPECT_EQ(o.has, VTCP_OPT_MSS);
	EXPECT_EQ(o.mss, 1460);
	o = PARSE(true, 8, 0, 2, 4, 0x05, 0xb4);
	EXPECT_EQ(o.has, 0);
}

TEST(length_one)
{
	struct vtcp_opts o = PARSE(true, 1, 3, 3, 7, 2, 1, 2, 4, 5, 0xb4, 0, 0);

	EXPECT_EQ(o.has, VTCP_OPT_WSCALE);
}

/* Past the end of the header: ignored, and nothing after it read. */
TEST(length_past_end)
{
	struct vtcp_opts o = PARSE(true, 1, 3, 3, 7, 2, 8, 0x05, 0xb4);

	EXPECT_EQ(o.has, VTCP_OPT_WSCALE);
	/* A kind in the last byte, no room for its length. */
	o = PARSE(false, 1, 1, 1, 8);
	EXPECT_EQ(o.has, 0);
	/* Timestamps cut short by the header's end. */
	o = PARSE(false, 1, 1, 8, 10, 0, 0, 0, 1);
	EXPECT_EQ(o.has, 0);
	/* One byte short: the header ends a byte before the option does. */
	o = PARSE(false, 1, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0);
	EXPECT_EQ(o.has, 0);
}

/*
 * A known option of the wrong length (a truncated MSS, window scale,
 * timestamps, SACK-permitted) is skipped by its length: the rest counts.
 */
TEST(truncated_known_options_skipped)
{
	struct vtcp_opts o;

	o = PARSE(true, 2, 3, 5, 3, 2, 7, 1, 1);	/* MSS of 3, WS of 2 */
	EXPECT_EQ(o.has, 0);
	o = PARSE(true, 2, 3, 5, 4, 2, 1, 3, 3, 9);	/* then SACK-perm, WS */
	EXPECT_EQ(o.has, VTCP_OPT_SACK | VTCP_OPT_WSCALE);
	EXPECT_EQ(o.wscale, 9);
	o = PARSE(false, 8, 8, 0, 0, 0, 1, 0, 0, 1, 1);	/* timestamps of 8 */
	EXPECT_EQ(o.has, 0);
	o = PARSE(true, 4, 3, 0, 2, 4, 5, 0xb4);	/* SACK-perm of 3, MSS */
	EXPECT_EQ(o.has, VTCP_OPT_MSS);
	EXPECT_EQ(o.mss, 1460);
}

TEST(eol_and_unknown)
{
	struct vtcp_opts o = PARSE(true, 0, 2, 4, 5, 0xb4);	/* EOL first */

	EXPECT_EQ(o.has, 0);
	o = PARSE(true, 30, 6, 1, 2, 3, 4, 2, 4, 5, 0xb4);	/* MPTCP, MSS */
	EXPECT_EQ(o.has, VTCP_OPT_MSS);
	o = PARSE(true, 254, 2, 3, 3, 2);	/* experimental, empty */
	EXPECT_EQ(o.has, VTCP_OPT_WSCALE);
}

/* A doff under 5 or options of nothing: nothing read, nothing past it. */
TEST(no_options)
{
	struct vtcp_opts o = parse(true, linux_syn, 0);

	EXPECT_EQ(o.has, 0);
	EXPECT_EQ(o.nr_sacks, 0);
}

static unsigned int write(const struct vtcp_opts *o, u8 *buf)
{
	memset(buf, 0xee, 44);
	vtcp_write_options(buf, o);
	return vtcp_options_len(o);
}

/* Ours, byte for byte as Linux lays out its SYN. */
TEST(write_syn_as_linux)
{
	struct vtcp_opts o = {
		.has = VTCP_OPT_MSS | VTCP_OPT_SACK | VTCP_OPT_TIMESTAMPS |
		       VTCP_OPT_WSCALE,
		.mss = 1460, .wscale = 7, .tsval = 0x1234,
	};
	u8 buf[44];

	ASSERT_EQ(write(&o, buf), sizeof(linux_syn));
	EXPECT_EQ(memcmp(buf, linux_syn, sizeof(linux_syn)), 0);
	EXPECT_EQ(buf[sizeof(linux_syn)], 0xee);	/* nothing past it */
}

/* What is written reads back the same, and fills what the length says. */
TEST(write_read_round_trip)
{
	unsigned int has, n, len;
	u8 buf[44];

	for (has = 0; has < 128; has++) {
		for (n = 0; n <= TCP_NUM_SACKS; n++) {
			struct vtcp_opts o = {
				.has = has, .mss = 536, .wscale = 14,
				.tsval = 0xdeadbeef, .tsecr = 7,
			}, r;
			bool syn = has & VTCP_OPT_MSS;

			o.has &= VTCP_OPT_MSS | VTCP_OPT_SACK | VTCP_OPT_WSCALE |
				 VTCP_OPT_TIMESTAMPS;
			if (!syn)
				o.has &= VTCP_OPT_TIMESTAMPS;
			if (n && !syn) {
				o.has |= VTCP_OPT_SACK_BLOCKS;
				o.nr_sacks = n;
				o.sacks[n - 1].start = 100;
				o.sacks[n - 1].end = 0x80000000;
			}
			len = write(&o, buf);
			if (len > 40 || len % 4)
				continue;
			EXPECT_EQ(buf[len], 0xee);
			r = parse(syn, buf, len);
			EXPECT_EQ(r.has, o.has);
			EXPECT_EQ(r.nr_sacks, o.nr_sacks);
			if (o.has & VTCP_OPT_MSS)
				EXPECT_EQ(r.mss, 536);
			if (o.has & VTCP_OPT_WSCALE)
				EXPECT_EQ(r.wscale, 14);
			if (o.has & VTCP_OPT_TIMESTAMPS)
				EXPECT_TRUE(r.tsval == 0xdeadbeef && r.tsecr == 7);
			if (n && !syn)
				EXPECT_TRUE(r.sacks[n - 1].start == 100 &&
					    r.sacks[n - 1].end == 0x80000000);
		}
	}
}

/* 40 bytes at most: timestamps leave room for three SACK blocks. */
TEST(lengths_fit_the_header)
{
	struct vtcp_opts o = { .has = VTCP_OPT_TIMESTAMPS | VTCP_OPT_SACK_BLOCKS,
			       .nr_sacks = 3 };

	EXPECT_EQ(vtcp_options_len(&o), 40);
	o.has = VTCP_OPT_SACK_BLOCKS;
	o.nr_sacks = 4;
	EXPECT_EQ(vtcp_options_len(&o), 36);
	o.has = VTCP_OPT_MSS | VTCP_OPT_SACK | VTCP_OPT_WSCALE;
	EXPECT_EQ(vtcp_options_len(&o), 12);
	o.has = VTCP_OPT_MSS | VTCP_OPT_SACK | VTCP_OPT_WSCALE |
		VTCP_OPT_TIMESTAMPS;
	EXPECT_EQ(vtcp_options_len(&o), 20);
}

/* The smallest shift whose 65535 << shift covers the largest buffer. */
TEST(wscale_for_buffer)
{
	struct vtcp_sock vsk = { 0 };
	struct sock *sk = (struct sock *)&vsk;
	struct net net;

	sk->sk_net = &net;
	mock_vtcp_net_sysctl()->rmem_max = 6 << 20;
	sk->sk_rcvbuf = 131072;
	EXPECT_EQ(vtcp_wscale_for(sk), 7);	/* 65535 << 6 < 6 MiB */
	mock_vtcp_net_sysctl()->rmem_max = 65535;
	sk->sk_rcvbuf = 0;
	EXPECT_EQ(vtcp_wscale_for(sk), 0);
	sk->sk_rcvbuf = 65536;
	EXPECT_EQ(vtcp_wscale_for(sk), 1);
	sk->sk_rcvbuf = 0x7fffffff;
	EXPECT_EQ(vtcp_wscale_for(sk), 14);	/* RFC 7323's most */
}

TEST(offer_follows_sysctls)
{
	struct vtcp_sock vsk = { 0 };
	struct sock *sk = (struct sock *)&vsk;
	struct net net;

	sk->sk_net = &net;
	vtcp_offer_options(sk);
	EXPECT_EQ(vsk.opts, VTCP_OPT_TIMESTAMPS | VTCP_OPT_SACK |
			    VTCP_OPT_WSCALE);
	EXPECT_EQ(vsk.rcv_wscale, 7);
	mock_vtcp_net_sysctl()->window_scaling = 0;
	mock_vtcp_net_sysctl()->sack = 0;
	vtcp_offer_options(sk);
	EXPECT_EQ(vsk.opts, VTCP_OPT_TIMESTAMPS);
	EXPECT_EQ(vsk.rcv_wscale, 0);
}
