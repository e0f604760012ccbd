// SPDX-License-Identifier: GPL-2.0
/*
 * Names of states, state machine events, timers and header flags, both
 * ways: the output uses them and monitor -j files are read back by them.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* RFC 9293's names, indexed by TCP's state numbers. */
static const char *const rfc_states[VTCP_STATE_MAX + 1] = {
	[1] = "ESTABLISHED", [2] = "SYN-SENT", [3] = "SYN-RECEIVED",
	[4] = "FIN-WAIT-1", [5] = "FIN-WAIT-2", [6] = "TIME-WAIT",
	[7] = "CLOSED", [8] = "CLOSE-WAIT", [9] = "LAST-ACK",
	[10] = "LISTEN", [11] = "CLOSING", [12] = "SYN-RECEIVED",
};

/* ss(8)'s names. */
static const char *const ss_states[VTCP_STATE_MAX + 1] = {
	[1] = "ESTAB", [2] = "SYN-SENT", [3] = "SYN-RECV",
	[4] = "FIN-WAIT-1", [5] = "FIN-WAIT-2", [6] = "TIME-WAIT",
	[7] = "UNCONN", [8] = "CLOSE-WAIT", [9] = "LAST-ACK",
	[10] = "LISTEN", [11] = "CLOSING", [12] = "SYN-RECV",
};

static const char *const fsm_events[VTCP_NR_EVENTS] = {
	[VTCP_EV_CONNECT] = "connect", [VTCP_EV_LISTEN] = "listen",
	[VTCP_EV_CLOSE] = "close", [VTCP_EV_ABORT] = "abort",
	[VTCP_EV_SYN] = "syn", [VTCP_EV_SYNACK] = "synack",
	[VTCP_EV_ACK_OF_SYN] = "ack-of-syn",
	[VTCP_EV_ACK_OF_FIN] = "ack-of-fin", [VTCP_EV_FIN] = "fin",
	[VTCP_EV_RST] = "rst", [VTCP_EV_TIMEOUT] = "timeout",
	[VTCP_EV_2MSL] = "2msl", [VTCP_EV_FW2_TIMEOUT] = "fin-wait-2-timeout",
	[VTCP_EV_NEW_SYN] = "new-syn", [VTCP_EV_ICMP_ERROR] = "icmp-error",
	[VTCP_EV_BARE_ACK] = "bare-ack", [VTCP_EV_OPEN_FAILED] = "open-failed",
	[VTCP_EV_DISCONNECT] = "disconnect",
	[VTCP_EV_KEEPALIVE_TIMEOUT] = "keepalive-timeout",
};

static const char *const timers[VTCP_NR_TK] = {
	[VTCP_TK_NONE] = "none", [VTCP_TK_SYN] = "syn",
	[VTCP_TK_FIN] = "fin", [VTCP_TK_RETRANS] = "retrans",
	[VTCP_TK_PROBE] = "persist", [VTCP_TK_DELACK] = "delack",
	[VTCP_TK_KEEPALIVE] = "keepalive", [VTCP_TK_FIN_WAIT2] = "finwait2",
	[VTCP_TK_TIME_WAIT] = "timewait",
};

/* Header flags, lowest bit first, with tcpdump's letters. */
static const char *const flag_words[8] = {
	"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"
};

static const char flag_letters[8] = { 'F', 'S', 'R', 'P', '.', 'U', 'E', 'W' };

/* A name of table @t, or "unknown(N)", which lookup() reads back too. */
static const char *name_of(const char *const *t, int n, int i)
{
	static char buf[4][24];
	static int next;

	if (i >= 0 && i < n && t[i])
		return t[i];
	next = (next + 1) % 4;
	snprintf(buf[next], sizeof(buf[next]), "unknown(%d)", i);
	return buf[next];
}

static int lookup(const char *const *t, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (t[i] && !strcasecmp(t[i], name))
			return i;
	if (sscanf(name, "unknown(%d)", &i) == 1 && i >= 0 && i < 256)
		return i;
	return -1;
}

const char *state_name(int state)
{
	return name_of(rfc_states, VTCP_STATE_MAX + 1, state);
}

const char *ss_state_name(int state)
{
	return name_of(ss_states, VTCP_STATE_MAX + 1, state);
}

int state_number(const char *name)
{
	int n = lookup(rfc_states, VTCP_STATE_MAX + 1, name);

	return n >= 0 ? n : lookup(ss_states, VTCP_STATE_MAX + 1, name);
}

const char *fsm_event_name(int ev)
{
	return ev == VTCP_EV_NONE ? "none" :
	       name_of(fsm_events, VTCP_NR_EVENTS, ev);
}

int fsm_event_number(const char *name)
{
	return strcmp(name, "none") ? lookup(fsm_events, VTCP_NR_EVENTS, name) :
	       VTCP_EV_NONE;
}

const char *timer_name(int kind)
{
	return name_of(timers, VTCP_NR_TK, kind);
}

int timer_number(const char *name)
{
	return lookup(timers, VTCP_NR_TK, name);
}

/* "SYN,ACK"; "none" for no flag at all. */
void flags_words(uint8_t flags, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 8; i++) {
		if (!(flags & (1 << i)) || used >= len)
			continue;
		used += snprintf(buf + used, len - used, "%s%s",
				 used ? "," : "", flag_words[i]);
	}
	if (!flags)
		snprintf(buf, len, "none");
}

/* tcpdump's "S." style. */
void flags_letters(uint8_t flags, char *buf, size_t len)
{
	static const int order[8] = { 1, 0, 2, 3, 5, 6, 7, 4 };
	size_t used = 0;
	int i;

	for (i = 0; i < 8 && used + 1 < len; i++)
		if (flags & (1 << order[i]))
			buf[used++] = flag_letters[order[i]];
	if (!used && len > 1)
		buf[used++] = '-';
	buf[used] = '\0';
}

/* The inverse of flags_words(); -1 for a word it does not know. */
int flags_number(const char *words)
{
	char copy[64], *w, *save;
	int flags = 0, i;

	if (!strcmp(words, "none"))
		return 0;
	snprintf(copy, sizeof(copy), "%s", words);
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < 8 && strcasecmp(w, flag_words[i]); i++)
			;
		if (i == 8)
			return -1;
		flags |= 1 << i;
	}
	return flags;
}

/* A timer's remaining time: "250ms", "1.5s", "41s", "2min5s". */
void ms_string(uint32_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%ums", ms);
	else if (ms < 10000)
		snprintf(buf, len, "%u.%us", ms / 1000, ms % 1000 / 100);
	else if (ms < 60000)
		snprintf(buf, len, "%us", ms / 1000);
	else
		snprintf(buf, len, "%umin%us", ms / 60000, ms / 1000 % 60);
}
