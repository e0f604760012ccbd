// SPDX-License-Identifier: GPL-2.0
/*
 * The state table of mod/fsm.c (vtcp_table, read here as data, whatever
 * rows it grows) and vtcp_fsm() running it: every cell is a transition to
 * a named state or empty (the event is refused), every state the table
 * names is reachable from CLOSED and can reach CLOSED again, and the
 * rows have what RFC 9293 says each state must answer.
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

static bool defined(int s, int e)
{
	return vtcp_table[s][e].action;
}

static bool named(int state)
{
	return strcmp(vtcp_state_name(state), "UNKNOWN");
}

TEST(table_dimensions)
{
	EXPECT_EQ(NR_STATES, TCP_MAX_STATES);
	EXPECT_EQ(NR_EVENTS, VTCP_NR_EVENTS);
}

/* A cell is { action, next state } or all zero: nothing half set. */
TEST(every_cell_is_a_transition_or_empty)
{
	unsigned int s, e;

	for (s = 0; s < NR_STATES; s++)
		for (e = 0; e < NR_EVENTS; e++) {
			const struct vtcp_transition *t = &vtcp_table[s][e];

			if (!t->action) {
				if (t->next)
					UNIT_FAIL("%s x %u: next %u, no action",
						  vtcp_state_name(s), e, t->next);
				continue;
			}
			if (!named(s) || !named(t->next) || t->next >= NR_STATES)
				UNIT_FAIL("%u x %u -> %u: a state without a name",
					  s, e, t->next);
		}
}

/* Every cell run: an empty one refuses and changes nothing. */
TEST(every_cell_has_an_outcome)
{
	struct vtcp_sock vsk;
	unsigned int s, e;

	for (s = 0; s < NR_STATES; s++)
		for (e = 0; e < NR_EVENTS; e++) {
			struct sock *sk = new_sock(&vsk, s);
			int next = vtcp_table[s][e].next;
			int ret;

			mock_log[0] = 0;
			ret = vtcp_fsm(sk, e, NULL);
			if (!defined(s, e)) {
				if (ret != -EINVAL || sk->sk_state != s || mock_log[0])
					UNIT_FAIL("%s x %u: %d, state %u, calls %s",
						  vtcp_state_name(s), e, ret,
						  sk->sk_state, mock_log);
				continue;
			}
			/* TIME-WAIT is a timewait socket's, never a full one's. */
			if (s != TCP_TIME_WAIT && next != TCP_TIME_WAIT &&
			    sk->sk_state != next)
				UNIT_FAIL("%s x %u: in %s, not %s",
					  vtcp_state_name(s), e,
					  vtcp_state_name(sk->sk_state),
					  vtcp_state_name(next));
			if (next == TCP_TIME_WAIT && s != TCP_TIME_WAIT &&
			    sk->sk_state == TCP_TIME_WAIT)
				UNIT_FAIL("%s x %u: a full socket in TIME-WAIT",
					  vtcp_state_name(s), e);
			if (strncmp(mock_log, "event(", 6))
				UNIT_FAIL("%s x %u: no state event first: %s",
					  vtcp_state_name(s), e, mock_log);
		}
}

/* Breadth first from CLOSED over the table's transitions. */
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
			int n = vtcp_table[s][e].next;

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

/* RFC 9293 3.10.7.4 eighth: a FIN in each synchronized state. */
TEST(fin_in_every_synchronized_state)
{
	static const struct { int from, to; } want[] = {
		{ TCP_ESTABLISHED, TCP_CLOSE_WAIT },
		{ TCP_FIN_WAIT1, TCP_CLOSING },
		{ TCP_FIN_WAIT2, TCP_TIME_WAIT },
		{ TCP_CLOSE_WAIT, TCP_CLOSE_WAIT },
		{ TCP_CLOSING, TCP_CLOSING },
		{ TCP_LAST_ACK, TCP_LAST_ACK },
		{ TCP_TIME_WAIT, TCP_TIME_WAIT },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		ASSERT_TRUE(defined(want[i].from, VTCP_EV_FIN));
		EXPECT_EQ(vtcp_table[want[i].from][VTCP_EV_FIN].next, want[i].to);
	}
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

/* RFC 1337: TIME-WAIT ignores RSTs; RFC 6191: a newer SYN ends it. */
TEST(time_wait_row)
{
	EXPECT_FALSE(defined(TCP_TIME_WAIT, VTCP_EV_RST));
	EXPECT_EQ(vtcp_table[TCP_TIME_WAIT][VTCP_EV_2MSL].next, TCP_CLOSE);
	EXPECT_EQ(vtcp_table[TCP_TIME_WAIT][VTCP_EV_NEW_SYN].next, TCP_CLOSE);
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
	/* The socket stays FIN-WAIT-2 while timewait.c takes over. */
	EXPECT_EQ(sk->sk_state, TCP_FIN_WAIT2);
	EXPECT_STREQ(mock_log, "event(5>6) vtcp_send_ack sk_wake_async vtcp_enter_timewait ");
	EXPECT_TRUE(vsk.fin_rcvd);
	EXPECT_TRUE(sk->sk_shutdown & RCV_SHUTDOWN);
	EXPECT_EQ(vtcp_fsm(sk, VTCP_EV_SYN, NULL), -EINVAL);
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

TEST(state_names)
{
	EXPECT_STREQ(vtcp_state_name(TCP_SYN_RECV), "SYN-RECEIVED");
	EXPECT_STREQ(vtcp_state_name(TCP_CLOSE), "CLOSED");
	EXPECT_STREQ(vtcp_state_name(-1), "UNKNOWN");
	EXPECT_STREQ(vtcp_state_name(TCP_MAX_STATES), "UNKNOWN");
	EXPECT_STREQ(vtcp_state_name(0), "UNKNOWN");
}
