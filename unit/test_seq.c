// SPDX-License-Identifier: GPL-2.0
/*
 * Sequence space and window arithmetic: mod/seq.h against RFC 9293's
 * comparisons (3.4), its segment acceptability table (3.10.7.4) computed
 * here without wrapping, and the window rules of 3.8.6 and RFC 7323 2.3.
 */
#include "ktap.h"
#include "../mod/seq.h"

/* Bases that put the window across 0 and across 2^31. */
static const u32 bases[] = { 0, 1000, 0x7ffffe00, 0xfffffc00, 0xffffffff };

TEST(before_after_wrap)
{
	EXPECT_TRUE(seq_before(1, 2));
	EXPECT_TRUE(seq_before(0xffffffff, 0));
	EXPECT_TRUE(seq_after(0, 0xffffffff));
	EXPECT_TRUE(seq_after(5, 0xfffffff0));
	EXPECT_FALSE(seq_before(7, 7));
	EXPECT_FALSE(seq_after(7, 7));
	EXPECT_TRUE(seq_leq(7, 7));
	EXPECT_TRUE(seq_geq(7, 7));
	EXPECT_TRUE(seq_leq(0xfffffffe, 3));
	EXPECT_FALSE(seq_geq(0xfffffffe, 3));
}

/* Within half the space, exactly one of a < b, a > b holds, either way. */
TEST(before_after_antisymmetric)
{
	static const u32 d[] = { 1, 2, 1000, 0x10000, 0x7ffffffe, 0x7fffffff };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(bases); i++) {
		for (j = 0; j < ARRAY_SIZE(d); j++) {
			u32 a = bases[i], b = bases[i] + d[j];

			EXPECT_TRUE(seq_before(a, b));
			EXPECT_FALSE(seq_after(a, b));
			EXPECT_TRUE(seq_after(b, a));
			EXPECT_FALSE(seq_before(b, a));
			EXPECT_TRUE(seq_leq(a, b) && !seq_leq(b, a));
		}
	}
}

TEST(window_left)
{
	EXPECT_EQ(seq_window_left(100, 50, 100), 50);
	EXPECT_EQ(seq_window_left(100, 50, 120), 30);
	EXPECT_EQ(seq_window_left(100, 50, 150), 0);
	EXPECT_EQ(seq_window_left(100, 50, 170), 0);	/* overrun: none */
	EXPECT_EQ(seq_window_left(0xfffffff0, 0x40, 0x10), 0x20);
	EXPECT_EQ(seq_window_left(0xfffffff0, 0x10, 0x10), 0);
}

/*
 * RFC 9293 3.10.7.4, on integers that do not wrap (offsets from a base):
 *   len 0, wnd 0:   SEG.SEQ = RCV.NXT
 *   len 0, wnd >0:  RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
 *   len >0, wnd 0:  not acceptable (but "special allowance should be made
 *                   to accept valid ACKs": vtcp takes one at RCV.NXT, so
 *                   that its ACK counts; its data does not fit anyway)
 *   len >0, wnd >0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND or
 *                   RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
 */
static bool rfc_acceptable(long long nxt, long long wnd, long long seq,
			   long long len)
{
	if (!len && !wnd)
		return seq == nxt;
	if (!len)
		return nxt <= seq && seq < nxt + wnd;
	if (!wnd)
		return seq == nxt;	/* the allowance, see above */
	return (nxt <= seq && seq < nxt + wnd) ||
	       (nxt <= seq + len - 1 && seq + len - 1 < nxt + wnd);
}

/* Every segment start around a window: how many disagree with the RFC. */
static unsigned int disagreements(u32 base, long long wnd, long long len)
{
	long long seq, nxt = 100000;
	unsigned int bad = 0;

	for (seq = nxt - 72000; seq < nxt + 68000; seq += 1 + (seq & 7) * 97) {
		u32 s = base + (u32)seq;
		bool want = rfc_acceptable(nxt, wnd, seq, len);
		bool got = seq_acceptable(base + (u32)nxt, wnd, s, s + (u32)len);

		if (got != want && bad++ < 3)
			UNIT_FAIL("base %#x wnd %lld len %lld seq %+lld: %d",
				  base, wnd, len, seq - nxt, got);
	}
	return bad;
}

TEST(acceptable_rfc9293_table)
{
	static const long long wnds[] = { 0, 1, 2, 100, 1460, 65535 };
	static const long long lens[] = { 0, 1, 2, 99, 100, 101, 1460, 70000 };
	unsigned int b, w, l, bad = 0;

	for (b = 0; b < ARRAY_SIZE(bases); b++)
		for (w = 0; w < ARRAY_SIZE(wnds); w++)
			for (l = 0; l < ARRAY_SIZE(lens); l++)
				bad += disagreements(bases[b], wnds[w], lens[l]);
	EXPECT_EQ(bad, 0);
}

/* The edges, by hand: a window of 10 at 1000. */
TEST(acceptable_edges)
{
	EXPECT_TRUE(seq_acceptable(1000, 10, 1000, 1000));	/* ACK at nxt */
	EXPECT_TRUE(seq_acceptable(1000, 10, 1009, 1009));
	EXPECT_FALSE(seq_acceptable(1000, 10, 1010, 1010));	/* past it */
	EXPECT_FALSE(seq_acceptable(1000, 10, 999, 999));	/* old ACK */
	EXPECT_TRUE(seq_acceptable(1000, 10, 990, 1001));	/* last byte in */
	EXPECT_FALSE(seq_acceptable(1000, 10, 990, 1000));	/* all old */
	EXPECT_TRUE(seq_acceptable(1000, 10, 1009, 1100));	/* first byte in */
	/*
	 * Over the whole window, neither edge inside: not acceptable by the
	 * RFC's test (Linux's tcp_sequence() would take it).
	 */
	EXPECT_FALSE(seq_acceptable(1000, 10, 900, 1100));
	EXPECT_FALSE(seq_acceptable(1000, 0, 1000 - 1, 1000));	/* zero window */
	EXPECT_TRUE(seq_acceptable(1000, 0, 1000, 1000));
	EXPECT_FALSE(seq_acceptable(1000, 0, 1001, 1001));
}

/* A window of 2^shift units, never less than promised (RFC 9293 3.8.6). */
TEST(choose_window_numbers)
{
	/* Room to spare, no scale: the room, capped at 65535. */
	EXPECT_EQ(seq_choose_window(30000, 1000, 1000, 0, 0), 30000);
	EXPECT_EQ(seq_choose_window(100000, 1000, 1000, 0, 0), 65535);
	/* Scale 7: rounded down to 128 bytes, capped at 65535 << 7. */
	EXPECT_EQ(seq_choose_window(30000, 1000, 1000, 0, 7), 29952);
	EXPECT_EQ(seq_choose_window(0x1000000, 0, 0, 0, 7), 65535 << 7);
	/* Less room than promised: the promise stands, rounded up. */
	EXPECT_EQ(seq_choose_window(100, 1000, 500, 20000, 0), 19500);
	EXPECT_EQ(seq_choose_window(100, 1000, 500, 20000, 7), 19584);
	/*
	 * Room for the promise, but not once rounded down to the scale: the
	 * promise, rounded up (the edge would go back 142 bytes).
	 */
	EXPECT_EQ(seq_choose_window(776, 2930, 0, 3072, 10), 1024);
	/* Across the wrap. */
	EXPECT_EQ(seq_choose_window(100, 0x10, 0xfffffff0, 0x1000, 0), 0xfe0);
	/* The promise used up: room alone, even nothing. */
	EXPECT_EQ(seq_choose_window(0, 2000, 1000, 1000, 0), 0);
}

TEST(choose_window_properties)
{
	u32 x = 12345, i, bad = 0;

	for (i = 0; i < 200000; i++) {
		u32 room, nxt, wup, wnd, win;
		u8 shift;

		x = x * 1103515245 + 12345;
		shift = (x >> 8) % 15;
		room = (x >> 3) % (1U << 24);
		wup = x ^ 0x5a5a5a5a;
		wnd = ((x >> 11) % 65536) << shift;
		nxt = wup + ((x >> 5) % (wnd + 2));
		win = seq_choose_window(room, nxt, wup, wnd, shift);
		if (win % (1U << shift) || win > (65535U << shift) ||
		    (seq_after(wup + wnd, nxt) && seq_before(nxt + win, wup + wnd)) ||
		    (win > room && win > seq_window_left(wup, wnd, nxt) +
		     (1U << shift) - 1)) {
			if (bad++ < 5)
				UNIT_FAIL("room %u nxt %u wup %u wnd %u shift %u: %u",
					  room, nxt, wup, wnd, shift, win);
		}
	}
	EXPECT_EQ(bad, 0);
}

/*
 * RFC 6528 / RFC 9293 3.4.1: the ISN clock ticks about every 4 us (here
 * 4.096), 250,000 times a second or so, and for one 4-tuple (one hash)
 * a later connection's ISN is after an earlier one's while less than half
 * a cycle (2.4 hours) lies between them.
 */
TEST(isn_clock)
{
	static const u32 hashes[] = { 0, 0x7fffffff, 0xfffffff0, 0x12345678 };
	const u64 half = (1ULL << 31) * 4096;
	u64 t = 1700000000ULL * NSEC_PER_SEC;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hashes); i++) {
		u32 h = hashes[i], isn = seq_isn(h, t);

		EXPECT_EQ(seq_isn(h, t + 4096) - isn, 1);
		EXPECT_EQ(seq_isn(h, t + 4095 - t % 4096), isn);
		EXPECT_NEAR(seq_isn(h, t + NSEC_PER_SEC) - isn, 250000, 6000);
		EXPECT_TRUE(seq_after(seq_isn(h, t + 60 * NSEC_PER_SEC), isn));
		EXPECT_TRUE(seq_after(seq_isn(h, t + half - 4096), isn));
		EXPECT_FALSE(seq_after(seq_isn(h, t + half + 4096), isn));
		/* The whole cycle: 2^32 ticks, about 4.9 hours. */
		EXPECT_EQ(seq_isn(h, t + (1ULL << 32) * 4096), isn);
		/* The hash is the offset: another 4-tuple, another space. */
		EXPECT_EQ(seq_isn(h + 1000, t) - isn, 1000);
	}
}
