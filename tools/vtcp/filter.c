// SPDX-License-Identifier: GPL-2.0
/*
 * The filter words of vtcp ss, as ss(8) spells them: "state NAME" and
 * "exclude NAME" make the state bitmask of the request; "sport OP PORT",
 * "dport OP PORT", "src ADDR[/LEN][:PORT]" and "dst ..." become inet_diag
 * bytecode the kernel runs on each socket. Conditions are ANDed.
 *
 * An address condition is a hostcond of the address's family: the
 * kernel matches an AF_INET one against the v4-mapped addresses of
 * AF_INET6 sockets too, an AF_INET6 one only against AF_INET6 sockets.
 * A port alone (":PORT", "*:PORT") is AF_UNSPEC, with no address, which
 * matches both families.
 *
 * The bytecode is a list of ops {code, yes, no}: a true op moves "yes"
 * bytes on, a false one "no" bytes; a socket matches when the walk ends
 * exactly at the end. Every condition jumps past the end (end + 4) to
 * refuse, as ss does.
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include <linux/inet_diag.h>
#include <netinet/tcp.h>

#include "cli.h"

#define F(state) (1u << (state))
#define CONNECTED (VTCP_ALL_STATES & ~(F(TCP_LISTEN) | F(TCP_CLOSE) | \
		   F(TCP_TIME_WAIT) | F(TCP_SYN_RECV) | F(VTCP_NEW_SYN_RECV)))

static const struct {
	const char *name;
	uint32_t states;
} state_words[] = {
	{ "all", VTCP_ALL_STATES },
	{ "connected", CONNECTED },
	{ "synchronized", CONNECTED & ~F(TCP_SYN_SENT) },
	{ "bucket", F(TCP_SYN_RECV) | F(VTCP_NEW_SYN_RECV) | F(TCP_TIME_WAIT) },
	{ "big", VTCP_ALL_STATES & ~(F(TCP_SYN_RECV) | F(VTCP_NEW_SYN_RECV) |
				     F(TCP_TIME_WAIT)) },
	{ "established", F(TCP_ESTABLISHED) },
	{ "syn-sent", F(TCP_SYN_SENT) },
	{ "syn-recv", F(TCP_SYN_RECV) | F(VTCP_NEW_SYN_RECV) },
	{ "fin-wait-1", F(TCP_FIN_WAIT1) },
	{ "fin-wait-2", F(TCP_FIN_WAIT2) },
	{ "time-wait", F(TCP_TIME_WAIT) },
	{ "closed", F(TCP_CLOSE) },
	{ "close-wait", F(TCP_CLOSE_WAIT) },
	{ "last-ack", F(TCP_LAST_ACK) },
	{ "listening", F(TCP_LISTEN) },
	{ "listen", F(TCP_LISTEN) },
	{ "closing", F(TCP_CLOSING) },
};

/* The states a word names (ss's words, or a state's printed name); 0: none. */
uint32_t ss_state_group(const char *name)
{
	unsigned int i;
	int n;

	for (i = 0; i < ARRAY_SIZE(state_words); i++)
		if (!strcasecmp(name, state_words[i].name))
			return state_words[i].states;
	n = state_number(name);
	if (n == TCP_SYN_RECV || n == VTCP_NEW_SYN_RECV)
		return F(TCP_SYN_RECV) | F(VTCP_NEW_SYN_RECV);
	return n > 0 && n <= VTCP_STATE_MAX ? F(n) : 0;
}

enum cmp { EQ, NE, GE, LE, GT, LT };

struct cond {
	bool host;		/* src/dst, else sport/dport */
	bool local;		/* src/sport */
	enum cmp cmp;
	int port;		/* -1: any (hosts only) */
	uint8_t family;		/* AF_UNSPEC: any address */
	uint8_t prefix_len;
	unsigned char addr[16];	/* 0, 4 or 16 bytes of it, by family */
};

static int parse_cmp(const char *s)
{
	static const char *const words[][3] = {
		[EQ] = { "=", "==", "eq" }, [NE] = { "!=", "ne", "neq" },
		[GE] = { ">=", "ge", "geq" }, [LE] = { "<=", "le", "leq" },
		[GT] = { ">", "gt", "" }, [LT] = { "<", "lt", "" },
	};
	int i, j;

	for (i = EQ; i <= LT; i++)
		for (j = 0; j < 3; j++)
			if (words[i][j][0] && !strcmp(s, words[i][j]))
				return i;
	return -1;
}

static bool parse_port(const char *s, int *port)
{
	uint64_t v;

	if (*s == ':')
		s++;
	if (!parse_u64(s, 65535, &v))
		return false;
	*port = v;
	return true;
}

/* The word parse_host() refused last, and why, for the message. */
static struct {
	const char *word, *why;
} host_error;

static bool host_fail(const char *why)
{
	host_error.why = why;
	return false;
}

static int addr_len(const struct cond *c)
{
	return c->family == AF_INET6 ? 16 : c->family == AF_INET ? 4 : 0;
}

/*
 * ADDR[/LEN][:PORT], *:PORT or :PORT, as ss(8) writes them; an IPv6 ADDR
 * in brackets before a port ([fd00::1]:5001, [fd00::/64]:5001), or with a
 * prefix length before it (fd00::/64:5001).
 */
static bool parse_host(const char *s, struct cond *c)
{
	char copy[64], *addr, *port, *slash;
	struct in6_addr a;
	uint64_t len;
	int family;

	snprintf(copy, sizeof(copy), "%s", s);
	host_error.word = s;
	c->port = -1;
	if (!endpoint_split(copy, &addr, &port))
		return host_fail("brackets are [ADDR[/LEN]] or "
				 "[ADDR[/LEN]]:PORT");
	if (port && !parse_port(port, &c->port))
		return host_fail("bad port");
	if (!addr[0] || !strcmp(addr, "*")) {
		c->family = AF_UNSPEC;
		c->prefix_len = 0;
		return c->port >= 0 || host_fail("no address and no port");
	}
	slash = strchr(addr, '/');
	if (slash)
		*slash = '\0';
	if (addr_parse(addr, &family, &a))
		return host_fail("not an IPv4 or IPv6 address");
	len = family == AF_INET ? 32 : 128;
	if (slash && !parse_u64(slash + 1, len, &len))
		return host_fail(family == AF_INET ?
				 "the prefix length of IPv4 is 0 to 32" :
				 "the prefix length of IPv6 is 0 to 128");
	c->family = family;
	c->prefix_len = len;
	memcpy(c->addr, family == AF_INET ? &a.s6_addr[12] : a.s6_addr,
	       addr_len(c));
	return true;
}

/* Bytes the condition's ops take. */
static int cond_size(const struct cond *c)
{
	if (c->host)
		return sizeof(struct inet_diag_bc_op) +
		       sizeof(struct inet_diag_hostcond) + addr_len(c);
	if ((c->cmp == GT && c->port == 65535) || (c->cmp == LT && !c->port))
		return 4;	/* can never match: a jump out */
	return c->cmp == NE ? 12 : 8;
}

static void put_op(unsigned char *p, int code, int yes, int no)
{
	struct inet_diag_bc_op op = { .code = code, .yes = yes, .no = no };

	memcpy(p, &op, sizeof(op));
}

/* Emits @c at @p; @rest: bytes from @p to the end of the bytecode. */
static void cond_emit(const struct cond *c, unsigned char *p, int rest)
{
	struct inet_diag_hostcond h = { .family = c->family };
	int port = c->port, code;

	if (c->host) {
		code = c->local ? INET_DIAG_BC_S_COND : INET_DIAG_BC_D_COND;
		put_op(p, code, cond_size(c), rest + 4);
		h.prefix_len = c->prefix_len;
		h.port = c->port;
		memcpy(p + 4, &h, sizeof(h));
		memcpy(p + 4 + sizeof(h), c->addr, addr_len(c));
		return;
	}
	if (cond_size(c) == 4) {
		put_op(p, INET_DIAG_BC_JMP, 4, rest + 4);
		return;
	}
	switch (c->cmp) {
	case GE: case GT:
		code = c->local ? INET_DIAG_BC_S_GE : INET_DIAG_BC_D_GE;
		port += c->cmp == GT;
		break;
	case LE: case LT:
		code = c->local ? INET_DIAG_BC_S_LE : INET_DIAG_BC_D_LE;
		port -= c->cmp == LT;
		break;
	default:
		code = c->local ? INET_DIAG_BC_S_EQ : INET_DIAG_BC_D_EQ;
	}
	if (c->cmp == NE) {
		/* Equal: on to a jump out; not equal: over it. */
		put_op(p, code, 8, 12);
		put_op(p + 4, 0, 0, port);
		put_op(p + 8, INET_DIAG_BC_JMP, 4, rest - 8 + 4);
		return;
	}
	put_op(p, code, 8, rest + 4);
	put_op(p + 4, 0, 0, port);
}

static int compile(struct ss_filter *f, const struct cond *c, int n)
{
	int i, total = 0, off = 0;

	for (i = 0; i < n; i++)
		total += cond_size(&c[i]);
	if (total > (int)sizeof(f->bytecode))
		return usage_error(NULL, "too many conditions");
	for (i = 0; i < n; i++) {
		cond_emit(&c[i], f->bytecode + off, total - off);
		off += cond_size(&c[i]);
	}
	f->bytecode_len = total;
	return 0;
}

static int state_word(struct ss_filter *f, bool exclude, const char *name)
{
	uint32_t states = ss_state_group(name);

	if (!states)
		return usage_error(NULL, "unknown state \"%s\"", name);
	if (!f->states_given)
		f->states = exclude ? VTCP_ALL_STATES : 0;
	f->states_given = true;
	if (exclude)
		f->states &= ~states;
	else
		f->states |= states;
	return 0;
}

/* "sport [OP] PORT": returns the words used, or -1. */
static int port_words(struct cond *c, char **argv, int left)
{
	int cmp = left > 1 ? parse_cmp(argv[0]) : -1;

	c->cmp = cmp < 0 ? EQ : cmp;
	if (cmp >= 0) {
		argv++;
		left--;
	}
	if (left < 1 || !parse_port(argv[0], &c->port))
		return -1;
	return cmp < 0 ? 1 : 2;
}

/* "src [=] HOST": returns the words used, or -1. */
static int host_words(struct cond *c, char **argv, int left)
{
	int cmp = left > 1 ? parse_cmp(argv[0]) : -1;

	host_error.why = NULL;
	if (cmp >= 0 && cmp != EQ)
		return -1;
	if (cmp >= 0) {
		argv++;
		left--;
	}
	if (left < 1 || !parse_host(argv[0], c))
		return -1;
	return cmp < 0 ? 1 : 2;
}

#define MAX_CONDS 32

int ss_filter_parse(struct ss_filter *f, int argc, char **argv)
{
	struct cond conds[MAX_CONDS];
	int i = 0, n = 0, used;

	while (i < argc) {
		const char *w = argv[i++];
		struct cond *c = &conds[n];

		if (!strcmp(w, "and") || !strcmp(w, "&&"))
			continue;
		if (!strcmp(w, "state") || !strcmp(w, "exclude") ||
		    !strcmp(w, "excl")) {
			if (i >= argc)
				return usage_error(NULL, "\"%s\" needs a state",
						   w);
			if (state_word(f, w[0] == 'e', argv[i++]))
				return EXIT_USAGE;
			continue;
		}
		if (n == MAX_CONDS)
			return usage_error(NULL, "too many conditions");
		memset(c, 0, sizeof(*c));
		c->local = !strcmp(w, "sport") || !strcmp(w, "src");
		if (!strcmp(w, "sport") || !strcmp(w, "dport")) {
			used = port_words(c, argv + i, argc - i);
		} else if (!strcmp(w, "src") || !strcmp(w, "dst")) {
			c->host = true;
			used = host_words(c, argv + i, argc - i);
		} else {
			return usage_error(NULL, "unknown filter word \"%s\"",
					   w);
		}
		if (used < 0 && c->host && host_error.why)
			return usage_error(NULL, "bad address \"%s\" after \"%s\": %s",
					   host_error.word, w, host_error.why);
		if (used < 0)
			return usage_error(NULL, "bad condition after \"%s\"",
					   w);
		i += used;
		n++;
	}
	return compile(f, conds, n);
}
