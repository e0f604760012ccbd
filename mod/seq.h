/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sequence space and window arithmetic (RFC 9293 sections 3.4, 3.8.6 and
 * 3.10.7.4): pure functions of their arguments, wrap-safe, so that the
 * unit tests (unit/) run them on the host as the module does.
 */
#ifndef _VTCP_SEQ_H
#define _VTCP_SEQ_H

#include <linux/kernel.h>
#include <linux/types.h>

static inline bool seq_before(u32 a, u32 b) { return (s32)(a - b) < 0; }
static inline bool seq_after(u32 a, u32 b) { return seq_before(b, a); }
static inline bool seq_leq(u32 a, u32 b) { return !seq_after(a, b); }
static inline bool seq_geq(u32 a, u32 b) { return !seq_before(a, b); }

/* What is left of @wnd bytes offered at @wup, now that @nxt is expected. */
static inline u32 seq_window_left(u32 wup, u32 wnd, u32 nxt)
{
	return seq_before(wup + wnd, nxt) ? 0 : wup + wnd - nxt;
}

/*
 * RFC 9293 3.10.7.4: does any of [@seq, @end_seq) fall inside a window of
 * @wnd bytes at @rcv_nxt? A segment without data (nor SYN, nor FIN) must
 * start inside it; with a zero window, only one at @rcv_nxt is taken.
 */
static inline bool seq_acceptable(u32 rcv_nxt, u32 wnd, u32 seq, u32 end_seq)
{
	if (end_seq == seq)
		return wnd ? seq_geq(seq, rcv_nxt) &&
			     seq_before(seq, rcv_nxt + wnd) :
			     seq == rcv_nxt;
	if (!wnd)
		return seq == rcv_nxt;	/* its ACK still counts */
	return (seq_geq(seq, rcv_nxt) && seq_before(seq, rcv_nxt + wnd)) ||
	       (seq_geq(end_seq - 1, rcv_nxt) &&
		seq_before(end_seq - 1, rcv_nxt + wnd));
}

/*
 * The receive window to offer, in bytes: @room, but never less than what
 * is left of the @wnd offered at @wup (RFC 9293 3.8.6: a window is not
 * taken back), a multiple of the scale 1 << @shift that the 16-bit field
 * can carry (RFC 7323 2.3).
 */
static inline u32 seq_choose_window(u32 room, u32 nxt, u32 wup, u32 wnd,
				    u8 shift)
{
	u32 win = round_down(room, 1U << shift);

	if (seq_after(wup + wnd, nxt + win))
		win = round_up(wup + wnd - nxt, 1U << shift);
	return min_t(u32, win, (u32)U16_MAX << shift);
}

/*
 * An initial sequence number (RFC 6528): @hash, a keyed hash of the
 * 4-tuple, plus a clock ticking every 4.096 microseconds of @ns (RFC 9293
 * 3.4.1: about every 4), which wraps every 4.9 hours.
 */
static inline u32 seq_isn(u32 hash, u64 ns)
{
	return hash + (u32)(ns >> 12);
}

#endif /* _VTCP_SEQ_H */
