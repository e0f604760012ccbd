// SPDX-License-Identifier: GPL-2.0
/*
 * The state tables of mod/fsm.c, read here as data whatever rows they
 * grow: vtcp_table, a full socket's, and vtcp_tw_table, TIME-WAIT's row on
 * a timewait socket; then vtcp_fsm() and vtcp_tw_fsm() running them. Over
 * the two tables, every cell is a transition to a named state or empty
 * (the event is refused), every state is reachable from CLOSED (TIME-WAIT
 * through the hand-over) and can reach CLOSED again, and the rows have
 * what RFC 9293 says each state must answer.
 */
#include "ktap.h"
#include "../mod/fsm.c"

#define NR_STATES	ARRAY_SIZE(vtcp_table)
#define NR_EVENTS	ARRAY_SIZE(vtcp_table[0])

static struct net net;

static void state_change(struct sock *sk)
{
}

static struct sock *new_sock(struct vtcp_sock *vsk, int state)
{
	struct sock *sk = (struct sock *)vsk;

	memset(vsk, 0, sizeof(*vsk));
	sk->sk_net = &net;
	sk->sk_state = state;
	sk->sk_state_change = state_change;
	return sk;
}

/* The two tables as one: TIME-WAIT's row is vtcp_tw_table. */
static bool defined(int s, int e)
{
	if (s == TCP_TIME_WAIT)
		return vtcp_tw_table[e].action;
	return vtcp_table[s][e].action;
}

static int next_of(int s, int e)
{
	if (s == TCP_TIME_WAIT)
		return vtcp_tw_table[e].next;
	return vtcp_table[s][e].next;
}

static bool in(int state, const int *states, unsigned int n)
{
	while (n--)
		if (states[n] == state)
			return true;
	return false;
}

static bool named(int state)
{
	return strcmp(vtcp_state_name(state), "UNKNOWN");
}

TEST(table_dimensions)
{
	EXPECT_EQ(NR_STATES, TCP_MAX_STATES);
	EXPECT_EQ(NR_EVENTS, VTCP_NR_EVENTS);
	EXPECT_EQ(ARRAY_SIZE(vtcp_tw_table), VTCP_NR_EVENTS);
}

/*
 * A cell is { action, next state } or all zero: nothing half set. A full
 * socket is never in TIME-WAIT, so vtcp_table has no row for it; a
 * timewait socket stays in TIME-WAIT or ends (CLOSED).
 */
TEST(every_cell_is_a_transition_or_empty)
{
	unsigned int s, e;

	for (e = 0; e < NR_EVENTS; e++)
		if (vtcp_table[TCP_TIME_WAIT][e].action ||
		    vtcp_table[TCP_TIME_WAIT][e].next)
			UNIT_FAIL("vtcp_table: TIME-WAIT x %u is set", e);
	for (s = 0; s < NR_STATES; s++)
		for (e = 0; e < NR_EVENTS; e++) {
			int next = next_of(s, e);

			if (!defined(s, e)) {
				if (next)
					UNIT_FAIL("%s x %u: next %u, no action",
						  vtcp_state_name(s), e, next);
				continue;
			}
			if (!named(s) || !named(next) || next >= NR_STATES)
				UNIT_FAIL("%u x %u -> %u: a state without a name",
					  s, e, next);
			if (s == TCP_TIME_WAIT && next != TCP_TIME_WAIT &&
			    next != TCP_CLOSE)
				UNIT_FAIL("TIME-WAIT x %u -> %s", e,
					  vtcp_state_name(next));
		}
}

/* A timewait socket: what vtcp_tw_fsm() and its actions take. */
static struct vtcp_tw_sock *new_tw_sock(struct vtcp_tw_sock *vtw)
{
	memset(vtw, 0, sizeof(*vtw));
	return vtw;
}

/* TIME-WAIT's row on a timewait socket: vtcp_tw_fsm(). */
static void run_tw_cell(unsigned int e)
{
	struct vtcp_tw_sock vtw;
	char want[32];
	int ret;

	mock_log[0] = 0;
	ret = vtcp_tw_fsm(new_tw_sock(&vtw), e, NULL);
	if (!defined(TCP_TIME_WAIT, e)) {
		if (ret != -EINVAL || mock_log[0])
			UNIT_FAIL("TIME-WAIT x %u: %d, calls %s", e, ret,
				  mock_log);
		return;
	}
	snprintf(want, sizeof(want), "event(%d>%d) ", TCP_TIME_WAIT,
		 next_of(TCP_TIME_WAIT, e));
	if (ret || strncmp(mock_log, want, strlen(want)))
		UNIT_FAIL("TIME-WAIT x %u: %d, calls %s", e, ret, mock_log);
}

/*
 * A full socket's cell through vtcp_fsm(): it ends in the next state, but
 * for TIME-WAIT, which it hands over (the action, then CLOSED and
 * vtcp_done(), last).
 */
static void run_cell(unsigned int s, unsigned int e)
{
	struct vtcp_sock vsk;
	struct sock *sk = new_sock(&vsk, s);
	int next = next_of(s, e);
	int ret;

	mock_log[0] = 0;
	mock_warned = 0;
	ret = vtcp_fsm(sk, e, NULL);
	if (!defined(s, e)) {
		if (ret != -EINVAL || sk->sk_state != s || mock_log[0])
			UNIT_FAIL("%s x %u: %d, state %u, calls %s",
				  vtcp_state_name(s), e, ret,
				  sk->sk_state, mock_log);
		return;
	}
	if (next == TCP_TIME_WAIT) {
		char end[48];
		size_t n = strlen(mock_log), m;

		m = snprintf(end, sizeof(end),
			     "vtcp_enter_timewait(%u) vtcp_done ", s);
		if (sk->sk_state != TCP_CLOSE || n < m ||
		    strcmp(mock_log + n - m, end))
			UNIT_FAIL("%s x %u: in %s, calls %s",
				  vtcp_state_name(s), e,
				  vtcp_state_name(sk->sk_state), mock_log);
	} else if (sk->sk_state != next) {
		UNIT_FAIL("%s x %u: in %s, not %s", vtcp_state_name(s), e,
			  vtcp_state_name(sk->sk_state),
			  vtcp_state_name(next));
	}
	if (strncmp(mock_log, "event(", 6))
		UNIT_FAIL("%s x %u: no state event first: %s",
			  vtcp_state_name(s), e, mock_log);
	if (mock_warned)
		UNIT_FAIL("%s x %u: %d warnings", vtcp_state_name(s), e,
			  mock_warned);
}

/* Every cell run: an empty one refuses and changes nothing. */
TEST(every_cell_has_an_outcome)
{
	unsigned int s, e;

	for (s = 0; s < NR_STATES; s++)
		for (e = 0; e < NR_EVENTS; e++) {
			if (s == TCP_TIME_WAIT)
				run_tw_cell(e);
			else
				run_cell(s, e);
		}
}

/* A full socket in TIME-WAIT is a bug: refused, with a warning. */
TEST(fsm_refuses_a_time_wait_socket)
{
	struct vtcp_sock vsk;
	unsigned int e;

	for (e = 0; e < NR_EVENTS; e++) {
		struct sock *sk = new_sock(&vsk, TCP_TIME_WAIT);

		mock_warned = 0;
		EXPECT_EQ(vtcp_fsm(sk, e, NULL), -EINVAL);
		EXPECT_EQ(sk->sk_state, TCP_TIME_WAIT);
		EXPECT_EQ(mock_warned, 1);
		EXPECT_STREQ(mock_log, "");
	}
}

/*
 * Breadth first over both tables' transitions: a full socket reaches
 * TIME-WAIT through the hand-over, which vtcp_table names as its next
 * state; from there vtcp_tw_table goes on.
 */
static void reachable_from(int from, bool *seen)
{
	int queue[64], head = 0, tail = 0;
	unsigned int e;

	memset(seen, 0, NR_STATES * sizeof(*seen));
	seen[from] = true;
	queue[tail++] = from;
	while (head < tail) {
		int s = queue[head++];

		for (e = 0; e < NR_EVENTS; e++) {
			int n = next_of(s, e);

			if (defined(s, e) && !seen[n]) {
				seen[n] = true;
				queue[tail++] = n;
			}
		}
	}
}

static bool row_used(unsigned int s)
{
	unsigned int e;

	for (e = 0; e < NR_EVENTS; e++)
		if (defined(s, e))
			return true;
	return false;
}

TEST(every_row_is_reachable_from_closed)
{
	bool seen[NR_STATES];
	unsigned int s, n = 0;

	reachable_from(TCP_CLOSE, seen);
	for (s = 0; s < NR_STATES; s++) {
		if (row_used(s) && !seen[s])
			UNIT_FAIL("%s: a row no transition reaches",
				  vtcp_state_name(s));
		n += seen[s];
	}
	/* RFC 9293's eleven states, all of them. */
	EXPECT_EQ(n, 11);
}

TEST(closed_is_reachable_from_every_state)
{
	bool seen[NR_STATES];
	unsigned int s;

	for (s = 0; s < NR_STATES; s++) {
		if (!row_used(s))
			continue;
		reachable_from(s, seen);
		if (!seen[TCP_CLOSE])
			UNIT_FAIL("%s: no way back to CLOSED",
				  vtcp_state_name(s));
	}
}

static const int connected[] = {
	TCP_SYN_SENT, TCP_SYN_RECV, TCP_ESTABLISHED, TCP_FIN_WAIT1,
	TCP_FIN_WAIT2, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK,
};

/* RFC 9293 3.10.7.4 (RST), 3.10.5 (ABORT), 3.8.3 (R2: give up). */
TEST(connections_end_on_rst_abort_timeout)
{
	static const int evs[] = { VTCP_EV_RST, VTCP_EV_ABORT, VTCP_EV_TIMEOUT };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(connected); i++)
		for (j = 0; j < ARRAY_SIZE(evs); j++) {
			int s = connected[i], e = evs[j];

			if (e == VTCP_EV_TIMEOUT && s == TCP_CLOSING)
				continue;
			if (!defined(s, e) || vtcp_table[s][e].next != TCP_CLOSE)
				UNIT_FAIL("%s x %d: does not close",
					  vtcp_state_name(s), e);
		}
}

/*
 * RFC 9293 3.10.7.4 eighth: a FIN in each synchronized state. FIN-WAIT-2's
 * hands the connection to TIME-WAIT; a timewait socket's stays there.
 */
TEST(fin_in_every_synchronized_state)
{
	static const struct { int from, to; } want[] = {
		{ TCP_ESTABLISHED, TCP_CLOSE_WAIT },
		{ TCP_FIN_WAIT1, TCP_CLOSING },
		{ TCP_FIN_WAIT2, TCP_TIME_WAIT },
		{ TCP_CLOSE_WAIT, TCP_CLOSE_WAIT },
		{ TCP_CLOSING, TCP_CLOSING },
		{ TCP_LAST_ACK, TCP_LAST_ACK },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		ASSERT_TRUE(vtcp_table[want[i].from][VTCP_EV_FIN].action);
		EXPECT_EQ(vtcp_table[want[i].from][VTCP_EV_FIN].next, want[i].to);
	}
	ASSERT_TRUE(vtcp_tw_table[VTCP_EV_FIN].action);
	EXPECT_EQ(vtcp_tw_table[VTCP_EV_FIN].next, TCP_TIME_WAIT);
}

/* RFC 9293 3.10.4: CLOSE where the user still has a connection. */
TEST(close_from_user_states)
{
	EXPECT_EQ(vtcp_table[TCP_LISTEN][VTCP_EV_CLOSE].next, TCP_CLOSE);
	EXPECT_EQ(vtcp_table[TCP_SYN_SENT][VTCP_EV_CLOSE].next, TCP_CLOSE);
	EXPECT_EQ(vtcp_table[TCP_SYN_RECV][VTCP_EV_CLOSE].next, TCP_FIN_WAIT1);
	EXPECT_EQ(vtcp_table[TCP_ESTABLISHED][VTCP_EV_CLOSE].next, TCP_FIN_WAIT1);
	EXPECT_EQ(vtcp_table[TCP_CLOSE_WAIT][VTCP_EV_CLOSE].next, TCP_LAST_ACK);
	/* Closing twice is the socket layer's business, not a transition. */
	EXPECT_FALSE(defined(TCP_FIN_WAIT1, VTCP_EV_CLOSE));
	EXPECT_FALSE(defined(TCP_LAST_ACK, VTCP_EV_CLOSE));
}

/*
 * TIME-WAIT's row, vtcp_tw_table, and nothing else: a retransmitted FIN
 * is ACKed again and an old SYN ACKed (RFC 9293 3.10.7.4), RSTs are
 * ignored (RFC 1337), a newer SYN reopens (RFC 6191), 2MSL ends it, and
 * so does ABORT ("ok", delete the TCB: RFC 9293 3.10.5, no RST).
 */
TEST(time_wait_row)
{
	static const struct {
		int ev;
		vtcp_tw_action_t action;
		int next;
		const char *log;
	} want[] = {
		{ VTCP_EV_FIN, vtcp_tw_reack, TCP_TIME_WAIT,
		  "event(6>6) vtcp_tw_reack " },
		{ VTCP_EV_SYN, vtcp_tw_ack, TCP_TIME_WAIT,
		  "event(6>6) vtcp_tw_ack " },
		{ VTCP_EV_NEW_SYN, vtcp_tw_reopen, TCP_CLOSE,
		  "event(6>7) vtcp_tw_reopen " },
		{ VTCP_EV_2MSL, vtcp_tw_kill, TCP_CLOSE,
		  "event(6>7) vtcp_tw_kill " },
		{ VTCP_EV_ABORT, vtcp_tw_kill, TCP_CLOSE,
		  "event(6>7) vtcp_tw_kill " },
	};
	struct vtcp_tw_sock vtw;
	unsigned int i, e, n = 0;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const struct vtcp_tw_transition *t = &vtcp_tw_table[want[i].ev];

		EXPECT_TRUE(t->action == want[i].action);
		EXPECT_EQ(t->next, want[i].next);
		mock_log[0] = 0;
		EXPECT_EQ(vtcp_tw_fsm(new_tw_sock(&vtw), want[i].ev, NULL), 0);
		EXPECT_STREQ(mock_log, want[i].log);
	}
	for (e = 0; e < NR_EVENTS; e++)
		n += defined(TCP_TIME_WAIT, e);
	EXPECT_EQ(n, ARRAY_SIZE(want));
	EXPECT_FALSE(defined(TCP_TIME_WAIT, VTCP_EV_RST));
	mock_log[0] = 0;
	EXPECT_EQ(vtcp_tw_fsm(new_tw_sock(&vtw), VTCP_EV_RST, NULL), -EINVAL);
	EXPECT_STREQ(mock_log, "");
	EXPECT_FALSE(defined(TCP_CLOSE, VTCP_EV_RST));
	EXPECT_FALSE(defined(TCP_CLOSE, VTCP_EV_SYN));
}

/* The textbook's two ends, run through vtcp_fsm(). */
TEST(active_open_and_close)
{
	struct vtcp_sock vsk;
	struct sock *sk = new_sock(&vsk, TCP_CLOSE);

	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_CONNECT, NULL), 0);
	EXPECT_EQ(sk->sk_state, TCP_SYN_SENT);
	EXPECT_EQ(mock_mib[VTCP_MIB_ACTIVE_OPENS], 1);
	EXPECT_STREQ(mock_log, "event(7>2) vtcp_queue_ctl(0x2) ");
	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_SYNACK, NULL), 0);
	EXPECT_EQ(sk->sk_state, TCP_ESTABLISHED);
	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_CLOSE, NULL), 0);
	EXPECT_EQ(sk->sk_state, TCP_FIN_WAIT1);
	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_ACK_OF_FIN, NULL), 0);
	EXPECT_EQ(sk->sk_state, TCP_FIN_WAIT2);
	mock_log[0] = 0;
	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_FIN, NULL), 0);
	/*
	 * Reported as FIN-WAIT-2 to TIME-WAIT; the hand-over sees the socket
	 * still in FIN-WAIT-2, then the full socket closes and is done.
	 */
	EXPECT_EQ(sk->sk_state, TCP_CLOSE);
	EXPECT_STREQ(mock_log,
		     "event(5>6) vtcp_send_ack sk_wake_async vtcp_enter_timewait(5) vtcp_done ");
	EXPECT_EQ(mock_warned, 0);
	EXPECT_TRUE(vsk.fin_rcvd);
	EXPECT_TRUE(sk->sk_shutdown & RCV_SHUTDOWN);
	mock_log[0] = 0;
	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_SYN, NULL), -EINVAL);
	EXPECT_STREQ(mock_log, "");
}

/* Both ends close at once: CLOSING, then TIME-WAIT on the ACK of our FIN. */
TEST(simultaneous_close)
{
	struct vtcp_sock vsk;
	struct sock *sk = new_sock(&vsk, TCP_ESTABLISHED);

	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_CLOSE, NULL), 0);
	EXPECT_EQ(sk->sk_state, TCP_FIN_WAIT1);
	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_FIN, NULL), 0);
	EXPECT_EQ(sk->sk_state, TCP_CLOSING);
	mock_log[0] = 0;
	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_ACK_OF_FIN, NULL), 0);
	EXPECT_EQ(sk->sk_state, TCP_CLOSE);
	EXPECT_STREQ(mock_log, "event(11>6) vtcp_enter_timewait(11) vtcp_done ");
	EXPECT_EQ(mock_warned, 0);
}

TEST(passive_close)
{
	struct vtcp_sock vsk;
	struct sock *sk = new_sock(&vsk, TCP_ESTABLISHED);

	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_FIN, NULL), 0);
	EXPECT_EQ(sk->sk_state, TCP_CLOSE_WAIT);
	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_CLOSE, NULL), 0);
	EXPECT_EQ(sk->sk_state, TCP_LAST_ACK);
	mock_log[0] = 0;
	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_ACK_OF_FIN, NULL), 0);
	EXPECT_EQ(sk->sk_state, TCP_CLOSE);
	EXPECT_STREQ(mock_log, "event(9>7) vtcp_done ");
}

/* The errno a user sees: refused, reset, broken pipe, timed out. */
TEST(errors_users_see)
{
	struct vtcp_sock vsk;
	struct sock *sk;

	sk = new_sock(&vsk, TCP_SYN_SENT);
	vtcp_fsm(sk, VTCP_EV_RST, NULL);
	EXPECT_STREQ(mock_log, "event(2>7) vtcp_reset_sock(111) ");
	mock_log[0] = 0;
	sk = new_sock(&vsk, TCP_ESTABLISHED);
	vtcp_fsm(sk, VTCP_EV_RST, NULL);
	EXPECT_STREQ(mock_log, "event(1>7) vtcp_reset_sock(104) ");
	mock_log[0] = 0;
	sk = new_sock(&vsk, TCP_CLOSE_WAIT);
	vtcp_fsm(sk, VTCP_EV_RST, NULL);
	EXPECT_STREQ(mock_log, "event(8>7) vtcp_reset_sock(32) ");
	mock_log[0] = 0;
	sk = new_sock(&vsk, TCP_ESTABLISHED);
	sk->sk_err_soft = EHOSTUNREACH;
	vtcp_fsm(sk, VTCP_EV_TIMEOUT, NULL);
	EXPECT_STREQ(mock_log, "event(1>7) vtcp_reset_sock(113) ");
	EXPECT_EQ(mock_mib[VTCP_MIB_TIMEOUTS], 1);
}

/* Where @ev has a row: exactly in @states, of the two tables. */
static void rows_only_in(int ev, const int *states, unsigned int n)
{
	unsigned int s;

	for (s = 0; s < NR_STATES; s++)
		if (defined(s, ev) != in(s, states, n))
			UNIT_FAIL("%s x %d: %s", vtcp_state_name(s), ev,
				  defined(s, ev) ? "a row" : "no row");
}

/* @ev run on a full socket in @state: CLOSED, having called @log. */
static void closes_with(int state, int ev, const char *log)
{
	struct vtcp_sock vsk;
	struct sock *sk = new_sock(&vsk, state);

	mock_log[0] = 0;
	EXPECT_EQ(vtcp_fsm(sk, ev, NULL), 0);
	EXPECT_EQ(sk->sk_state, TCP_CLOSE);
	EXPECT_STREQ(mock_log, log);
}

/* @ev on a full socket in @state: refused, nothing called. */
static void refused(int state, int ev)
{
	struct vtcp_sock vsk;
	struct sock *sk = new_sock(&vsk, state);

	mock_log[0] = 0;
	EXPECT_EQ(vtcp_fsm(sk, ev, NULL), -EINVAL);
	EXPECT_EQ(sk->sk_state, state);
	EXPECT_STREQ(mock_log, "");
}

/*
 * OPEN_FAILED. RFC 9293 3.10.1 answers an OPEN that cannot go on with an
 * error ("insufficient resources") and no connection. connect() failing
 * before its SYN leaves a CLOSED socket as it is (refused: its caller
 * clears it); one whose SYN could not go closes quietly from SYN-SENT; a
 * listener's child that cannot be finished is done. No RST in either:
 * the peer of the first never heard of it, the second goes as a dropped
 * handshake does.
 */
TEST(open_failed_rows)
{
	static const int from[] = { TCP_SYN_SENT, TCP_SYN_RECV };

	rows_only_in(VTCP_EV_OPEN_FAILED, from, ARRAY_SIZE(from));
	closes_with(TCP_SYN_SENT, VTCP_EV_OPEN_FAILED, "event(2>7) ");
	closes_with(TCP_SYN_RECV, VTCP_EV_OPEN_FAILED, "event(3>7) vtcp_done ");
	refused(TCP_CLOSE, VTCP_EV_OPEN_FAILED);
	EXPECT_EQ(mock_warned, 0);
}

/*
 * DISCONNECT. RFC 9293 has no such call: it is ABORT (3.10.5) with the
 * socket kept for reuse, so never vtcp_done() (vtcp_disconnect() clears
 * it). ABORT's wording, state by state: CLOSED, "connection does not
 * exist" (refused); LISTEN and SYN-SENT, delete the TCB, no RST; in
 * SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2 and CLOSE-WAIT,
 * "send a reset segment", then CLOSED. A timewait socket has no user.
 *
 * In CLOSING and LAST-ACK, 3.10.5 says "ok" and delete the TCB, without
 * an RST; CONNECTED_ROWS sends one there (for ABORT too). Only CLOSED is
 * asserted for those two here.
 */
TEST(disconnect_rows)
{
	static const int from[] = {
		TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RECV, TCP_ESTABLISHED,
		TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_CLOSE_WAIT, TCP_CLOSING,
		TCP_LAST_ACK,
	};
	static const int reset[] = {
		TCP_SYN_RECV, TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_FIN_WAIT2,
		TCP_CLOSE_WAIT,
	};
	unsigned int i;

	rows_only_in(VTCP_EV_DISCONNECT, from, ARRAY_SIZE(from));
	closes_with(TCP_LISTEN, VTCP_EV_DISCONNECT,
		    "event(10>7) inet_csk_listen_stop vtcp_abort_children ");
	closes_with(TCP_SYN_SENT, VTCP_EV_DISCONNECT, "event(2>7) ");
	for (i = 0; i < ARRAY_SIZE(reset); i++) {
		char log[64];

		snprintf(log, sizeof(log),
			 "event(%d>7) vtcp_send_active_reset ", reset[i]);
		closes_with(reset[i], VTCP_EV_DISCONNECT, log);
	}
	for (i = 0; i < ARRAY_SIZE(from); i++) {
		struct vtcp_sock vsk;
		struct sock *sk = new_sock(&vsk, from[i]);

		mock_log[0] = 0;
		EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_DISCONNECT, NULL), 0);
		EXPECT_EQ(sk->sk_state, TCP_CLOSE);
		EXPECT_FALSE(strstr(mock_log, "vtcp_done"));
		/* Where ABORT closes a full socket, DISCONNECT does. */
		EXPECT_EQ(vtcp_table[from[i]][VTCP_EV_ABORT].next, TCP_CLOSE);
	}
	refused(TCP_CLOSE, VTCP_EV_DISCONNECT);
	EXPECT_EQ(mock_warned, 0);
}

/*
 * KEEPALIVE_TIMEOUT. RFC 9293 3.8.4 sends keep-alives only when no data
 * of ours is outstanding (MUST-26): the event has rows only where
 * nothing of ours waits for an ACK by the state alone (ESTABLISHED,
 * FIN-WAIT-2 and CLOSE-WAIT); where our SYN or FIN does, the
 * retransmission TIMEOUT gives up instead. The RFC does not say what to
 * do when the probes go unanswered (MUST-27 only forbids concluding from
 * one): as Linux, an RST in case the peer still listens, then ETIMEDOUT,
 * or the soft ICMP error seen on the way.
 */
TEST(keepalive_timeout_rows)
{
	static const int from[] = {
		TCP_ESTABLISHED, TCP_FIN_WAIT2, TCP_CLOSE_WAIT,
	};
	struct vtcp_sock vsk;
	struct sock *sk;
	unsigned int i;

	rows_only_in(VTCP_EV_KEEPALIVE_TIMEOUT, from, ARRAY_SIZE(from));
	for (i = 0; i < ARRAY_SIZE(from); i++) {
		char log[80];

		snprintf(log, sizeof(log),
			 "event(%d>7) vtcp_send_active_reset vtcp_reset_sock(%d) ",
			 from[i], ETIMEDOUT);
		closes_with(from[i], VTCP_EV_KEEPALIVE_TIMEOUT, log);
	}
	EXPECT_EQ(mock_mib[VTCP_MIB_TIMEOUTS], ARRAY_SIZE(from));
	sk = new_sock(&vsk, TCP_ESTABLISHED);
	sk->sk_err_soft = EHOSTUNREACH;
	mock_log[0] = 0;
	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_KEEPALIVE_TIMEOUT, NULL), 0);
	EXPECT_STREQ(mock_log, "event(1>7) vtcp_send_active_reset vtcp_reset_sock(113) ");
	refused(TCP_SYN_SENT, VTCP_EV_KEEPALIVE_TIMEOUT);
	refused(TCP_FIN_WAIT1, VTCP_EV_KEEPALIVE_TIMEOUT);
}

TEST(state_names)
{
	EXPECT_STREQ(vtcp_state_name(TCP_SYN_RECV), "SYN-RECEIVED");
	EXPECT_STREQ(vtcp_state_name(TCP_CLOSE), "CLOSED");
	EXPECT_STREQ(vtcp_state_name(-1), "UNKNOWN");
	EXPECT_STREQ(vtcp_state_name(TCP_MAX_STATES), "UNKNOWN");
	EXPECT_STREQ(vtcp_state_name(0), "UNKNOWN");
}
