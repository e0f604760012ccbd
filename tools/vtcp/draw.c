// SPDX-License-Identifier: GPL-2.0
/*
 * The ladder: one connection's events drawn as the sequence diagram a
 * textbook draws, time going down, this end on the left, the peer on the
 * right:
 *
 *       ms  10.0.0.1:40312 (sk:1a)                  10.0.0.2:7
 *    0.000  CLOSED       |                                        |
 *    0.012  SYN-SENT     |-- SYN seq=0 -------------------------->|
 *    0.480               |<-------------- SYN-ACK seq=0 ack=1 ----|
 *    0.495  ESTABLISHED  |-- ACK ack=1 -------------------------->|
 *
 * Each segment is one arrow, drawn from its sender's "out" event, or from
 * the receiver's "in" event when the sender is not observed (another
 * namespace: merge its monitor -j file with --from to see both). A state
 * that a segment caused is written where that segment arrived (the last
 * row, held back until the next one comes for this reason); one that the
 * user or a timer caused, beside the next row of its side.
 * Retransmissions are drawn with "=" and marked "retx"; a side's line is
 * ":" while in TIME-WAIT and ends with the 2MSL it waited and CLOSED.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define LEFT	0
#define RIGHT	1
#define TIME_W	9
#define LABEL_W	13
#define LANE_W	42

#define F_FIN	0x01
#define F_SYN	0x02
#define F_RST	0x04
#define F_ACK	0x10

struct side {
	bool seen;		/* some event came from this end */
	bool socket;		/* one with a cookie: a socket, not a reply */
	bool named;		/* its first state has been written */
	bool closed;
	int state;		/* TCP_*, 0: not known yet */
	char pending[16];	/* state to write beside its next row */
	uint64_t tw_since;	/* when it entered TIME-WAIT */
	bool have_base, have_max;
	uint32_t base;		/* its ISS: sequence numbers are shown from it */
	uint32_t snd_max;	/* the highest sequence number it sent */
};

/* The last row, printed when the next one comes or at the end. */
struct held_row {
	bool valid, timed;
	uint64_t t;
	char label[2][16];
	char border[2];
	char lane[LANE_W + 1];
};

struct ladder {
	struct conn_match match;
	struct held_row held;
	uint64_t max_events, events;
	bool locked, done;
	struct in6_addr addr[2];	/* IPv4 ones v4-mapped */
	uint16_t port[2];
	uint64_t t0;
	struct side side[2];
};

struct ladder *ladder_new(const struct conn_match *m, uint64_t max_events)
{
	struct ladder *l = calloc(1, sizeof(*l));

	if (l) {
		l->match = *m;
		l->max_events = max_events;
	}
	return l;
}

bool ladder_done(const struct ladder *l)
{
	return l->done;
}

bool ladder_matched(const struct ladder *l)
{
	return l->locked;
}

static bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static char border(const struct ladder *l, int side)
{
	const struct side *s = &l->side[side];

	if (s->closed)
		return ' ';
	return s->state == TCP_TIME_WAIT ? ':' : '|';
}

static void print_held(struct ladder *l)
{
	struct held_row *h = &l->held;
	char when[24] = "";

	if (!h->valid)
		return;
	if (h->timed)
		snprintf(when, sizeof(when), "%.3f", (h->t - l->t0) / 1e6);
	printf("%*s  %-*s%c%-*s%c  %s\n", TIME_W, when, LABEL_W,
	       h->label[LEFT], h->border[LEFT], LANE_W, h->lane,
	       h->border[RIGHT], h->label[RIGHT]);
	h->valid = false;
}

/* A new row: time (NULL: none), the pending states, the lane between. */
static void row(struct ladder *l, const uint64_t *t, const char *lane)
{
	struct held_row *h = &l->held;
	int i;

	print_held(l);
	h->valid = true;
	h->timed = !!t;
	h->t = t ? *t : 0;
	snprintf(h->lane, sizeof(h->lane), "%s", lane);
	for (i = LEFT; i <= RIGHT; i++) {
		h->border[i] = border(l, i);
		memcpy(h->label[i], l->side[i].pending, sizeof(h->label[i]));
		l->side[i].pending[0] = '\0';
	}
}

static void arrow(char *lane, int from, const char *label, bool retx)
{
	char shaft = retx ? '=' : '-';
	int n = (int)strlen(label), fill, i;

	if (n > LANE_W - 7)
		n = LANE_W - 7;
	fill = LANE_W - n - 5;
	if (from == LEFT) {
		snprintf(lane, LANE_W + 1, "%c%c %.*s ", shaft, shaft, n, label);
		for (i = 0; i < fill; i++)
			strcat(lane, (char[]){ shaft, '\0' });
		strcat(lane, ">");
	} else {
		snprintf(lane, LANE_W + 1, "<");
		for (i = 0; i < fill; i++)
			strcat(lane, (char[]){ shaft, '\0' });
		snprintf(lane + strlen(lane), LANE_W + 1 - strlen(lane),
			 " %.*s %c%c", n, label, shaft, shaft);
	}
}

/* A remark in the lane, next to the side it concerns. */
static void note(struct ladder *l, int side, const uint64_t *t,
		 const char *text)
{
	char lane[LANE_W + 1];

	if (side == LEFT)
		snprintf(lane, sizeof(lane), " %.*s", LANE_W - 1, text);
	else
		snprintf(lane, sizeof(lane), "%*.*s ", LANE_W - 1, LANE_W - 1,
			 text);
	row(l, t, lane);
}

static const char *segment_name(uint8_t flags, uint32_t len, bool probe)
{
	if (flags & F_RST)
		return "RST";
	if (flags & F_SYN)
		return flags & F_ACK ? "SYN-ACK" : "SYN";
	if (flags & F_FIN)
		return "FIN";
	if (probe)
		return "probe";
	return len ? "data" : "ACK";
}

/* Numbers relative to each end's first sequence number, as tshark does. */
static void relative_base(struct ladder *l, int from,
			  const struct vtcp_event *ev)
{
	struct side *s = &l->side[from], *peer = &l->side[!from];

	if (!s->have_base || (ev->flags & F_SYN && !s->have_max)) {
		s->base = ev->seq;
		s->have_base = true;
	}
	if (ev->flags & F_ACK && !peer->have_base) {
		peer->base = ev->ack - 1;
		peer->have_base = true;
	}
}

static void set_pending(struct side *s, int state)
{
	snprintf(s->pending, sizeof(s->pending), "%s", state_name(state));
}

static void on_segment(struct ladder *l, int from, const struct vtcp_event *ev)
{
	struct side *s = &l->side[from];
	uint32_t end = ev->seq + ev->len + !!(ev->flags & F_SYN) +
		       !!(ev->flags & F_FIN);
	bool occupies = end != ev->seq, retx, probe;
	char label[96], lane[LANE_W + 1];
	int n;

	relative_base(l, from, ev);
	retx = occupies && s->have_max && seq_before(ev->seq, s->snd_max) &&
	       !(ev->flags & F_RST);
	/* Keepalive and zero window probes: snd_una - 1, a byte or none. */
	probe = s->have_max && ev->len <= 1 && ev->seq == s->snd_max - 1 &&
		!(ev->flags & (F_SYN | F_FIN | F_RST));
	if (probe)
		retx = false;
	if (occupies && (!s->have_max || seq_before(s->snd_max, end)))
		s->snd_max = end;
	s->have_max = s->have_max || occupies;
	n = snprintf(label, sizeof(label), "%s%s", retx ? "retx " : "",
		     segment_name(ev->flags, ev->len, probe));
	if (ev->len && !probe)
		n += snprintf(label + n, sizeof(label) - n, " len=%u",
			      ev->len);
	if (occupies || ev->flags & F_RST || probe)
		n += snprintf(label + n, sizeof(label) - n, " seq=%u",
			      ev->seq - s->base);
	if (ev->flags & F_ACK)
		snprintf(label + n, sizeof(label) - n, " ack=%u",
			 ev->ack - l->side[!from].base);
	arrow(lane, from, label, retx);
	row(l, &ev->time_ns, lane);
}

static void on_timer(struct ladder *l, int side, const struct vtcp_event *ev)
{
	char text[64];

	/* Delayed ACKs show as their ACK; 2MSL as the state's end. */
	if (ev->timer == VTCP_TK_DELACK || ev->timer == VTCP_TK_TIME_WAIT)
		return;
	snprintf(text, sizeof(text), "* %s timer fired, retries %u",
		 timer_name(ev->timer), ev->retries);
	note(l, side, &ev->time_ns, text);
}

static void two_msl(struct ladder *l, int side, const struct vtcp_event *ev)
{
	struct side *s = &l->side[side];
	char text[64];

	snprintf(text, sizeof(text), "2MSL: %.3f s in TIME-WAIT",
		 s->tw_since ? (ev->time_ns - s->tw_since) / 1e9 : 0.0);
	note(l, side, NULL, text);
}

/* Did a segment that just arrived cause this change? */
static bool caused_by_segment(const struct vtcp_event *ev)
{
	switch (ev->fsm_event) {
	case VTCP_EV_SYN: case VTCP_EV_SYNACK: case VTCP_EV_ACK_OF_SYN:
	case VTCP_EV_ACK_OF_FIN: case VTCP_EV_FIN: case VTCP_EV_RST:
		return true;
	}
	return false;
}

static void on_state(struct ladder *l, int side, const struct vtcp_event *ev)
{
	struct side *s = &l->side[side];
	struct held_row *h = &l->held;

	if (!s->named) {
		s->named = true;
		if (s->pending[0])
			row(l, NULL, "");
		set_pending(s, ev->old_state);
		row(l, &ev->time_ns, "");
	}
	if (ev->old_state == TCP_TIME_WAIT)
		two_msl(l, side, ev);
	s->state = ev->new_state;
	if (s->state == TCP_TIME_WAIT)
		s->tw_since = ev->time_ns;
	if (caused_by_segment(ev) && h->valid && !h->label[side][0] &&
	    !s->pending[0]) {
		snprintf(h->label[side], sizeof(h->label[side]), "%s",
			 state_name(s->state));
	} else {
		if (s->pending[0])
			row(l, NULL, "");
		set_pending(s, s->state);
		if (s->state == TCP_CLOSE)
			row(l, &ev->time_ns, "");
	}
	s->closed = s->state == TCP_CLOSE;
}

/* A SYN came to a listener: the picture starts with its LISTEN. */
static void syn_arrived(struct ladder *l, int side)
{
	struct side *s = &l->side[side];

	if (s->named)
		return;
	s->named = true;
	if (l->held.valid && !l->held.label[side][0])
		snprintf(l->held.label[side], sizeof(l->held.label[side]),
			 "%s", state_name(TCP_LISTEN));
	else
		set_pending(s, TCP_LISTEN);
}

/*
 * The header: each end above its column. An end too long for the left
 * column (an IPv6 address and a long cookie) puts the peer on a second line.
 */
static void print_header(const struct vtcp_event *ev)
{
	char left[ENDPOINT_LEN + 24], right[ENDPOINT_LEN];
	int width = LABEL_W + LANE_W + 4;

	endpoint_string(left, sizeof(left), ev->family, &ev->saddr, ev->sport);
	snprintf(left + strlen(left), sizeof(left) - strlen(left),
		 " (sk:%" PRIx64 ")", ev->cookie);
	endpoint_string(right, sizeof(right), ev->family, &ev->daddr,
			ev->dport);
	if ((int)strlen(left) < width)
		printf("%*s  %-*s%s\n", TIME_W, "ms", width, left, right);
	else
		printf("%*s  %s\n%*s%s\n", TIME_W, "ms", left,
		       TIME_W + 2 + width, "", right);
}

static void lock(struct ladder *l, const struct vtcp_event *ev)
{
	l->locked = true;
	l->t0 = ev->time_ns;
	l->addr[LEFT] = ev->saddr;
	l->port[LEFT] = ev->sport;
	l->addr[RIGHT] = ev->daddr;
	l->port[RIGHT] = ev->dport;
	print_header(ev);
}

static int side_of(const struct ladder *l, const struct vtcp_event *ev)
{
	int i;

	for (i = LEFT; i <= RIGHT; i++)
		if (IN6_ARE_ADDR_EQUAL(&ev->saddr, &l->addr[i]) &&
		    ev->sport == l->port[i] &&
		    IN6_ARE_ADDR_EQUAL(&ev->daddr, &l->addr[!i]) &&
		    ev->dport == l->port[!i])
			return i;
	return -1;
}

static void draw(struct ladder *l, int side, const struct vtcp_event *ev)
{
	switch (ev->type) {
	case VTCP_EVT_STATE:
		on_state(l, side, ev);
		break;
	case VTCP_EVT_TIMER:
		on_timer(l, side, ev);
		break;
	case VTCP_EVT_SEG_OUT:
		on_segment(l, side, ev);
		break;
	case VTCP_EVT_SEG_IN:
		/* Drawn already from the sender's "out", if we see it. */
		if (!l->side[!side].seen)
			on_segment(l, !side, ev);
		if ((ev->flags & (F_SYN | F_ACK)) == F_SYN)
			syn_arrived(l, side);
		break;
	}
}

/*
 * The end of the picture: this end CLOSED, and the peer too if it has a
 * socket here (one that only sent replies, a RST to a SYN, has none).
 */
static bool closed(const struct ladder *l)
{
	const struct side *peer = &l->side[RIGHT];

	return l->side[LEFT].closed && (!peer->socket || peer->closed);
}

/* An event_fn: draws @ev if it is the connection's; 1 when done. */
int ladder_feed(void *ctx, const struct vtcp_event *ev)
{
	struct ladder *l = ctx;
	int side;

	if (l->done)
		return 1;
	if (!l->locked) {
		/* A listener has no peer: it is no connection to follow. */
		if (!ev->dport || addr_is_any(&ev->daddr) ||
		    !conn_match(&l->match, ev))
			return 0;
		lock(l, ev);
	}
	side = side_of(l, ev);
	if (side < 0)
		return 0;
	l->side[side].seen = true;
	l->side[side].socket |= ev->cookie != 0;
	draw(l, side, ev);
	l->events++;
	l->done = closed(l) || (l->max_events && l->events >= l->max_events);
	return l->done;
}

/* Writes what is pending; says why the drawing stopped. */
void ladder_finish(struct ladder *l)
{
	if (l->side[LEFT].pending[0] || l->side[RIGHT].pending[0])
		row(l, NULL, "");
	print_held(l);
	if (l->locked && !closed(l))
		printf("%*s  (stopped after %" PRIu64 " events, before the connection closed)\n",
		       TIME_W, "", l->events);
	free(l);
}
