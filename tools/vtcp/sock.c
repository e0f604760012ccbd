// SPDX-License-Identifier: GPL-2.0
/*
 * vtcp ss: a socket as a line of text, in the columns of ss -tanoie.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <net/if.h>
#include <netinet/tcp.h>

#include "sock.h"

/* "[addr]%dev:port" */
#define END_LEN	(INET6_ADDRSTRLEN + IF_NAMESIZE + 10)

void sock_print_header(const struct ss_opts *o)
{
	(void)o;
	printf("%-10s %-6s %-6s %21s %-21s\n", "State", "Recv-Q", "Send-Q",
	       "Local Address:Port", "Peer Address:Port");
}

/* One end's address alone: "10.0.0.1", "fd00::1", "::ffff:10.0.0.1". */
const char *sock_addr(const struct ss_sock *s, bool local, char *buf,
		      size_t len)
{
	const struct inet_diag_sockid *id = &s->msg->id;

	return inet_ntop(s->msg->idiag_family == AF_INET6 ? AF_INET6 : AF_INET,
			 local ? id->idiag_src : id->idiag_dst, buf, len);
}

/*
 * An end as ss(8) prints it: "10.0.0.1:5000", "[fd00::1]:5000", with
 * "%DEV" after the local address of a socket bound to a device (a
 * link-local one's scope), "*" for no port, and "*" for the address "::"
 * of a socket that takes IPv4 too (not IPV6_V6ONLY): "*:5000", "*:*".
 */
static void endpoint(char *buf, size_t len, const struct ss_sock *s,
		     bool local)
{
	const struct inet_diag_msg *m = s->msg;
	__be16 port = local ? m->id.idiag_sport : m->id.idiag_dport;
	char a[INET6_ADDRSTRLEN], dev[IF_NAMESIZE + 1] = "", p[8] = "*";
	bool v6 = m->idiag_family == AF_INET6;

	sock_addr(s, local, a, sizeof(a));
	if (v6 && s->v6only != 1 && !strcmp(a, "::"))
		snprintf(a, sizeof(a), "*");
	if (local && m->id.idiag_if && !if_indextoname(m->id.idiag_if, dev + 1))
		snprintf(dev + 1, sizeof(dev) - 1, "%u", m->id.idiag_if);
	if (dev[1])
		dev[0] = '%';
	if (port)
		snprintf(p, sizeof(p), "%u", ntohs(port));
	snprintf(buf, len, v6 && a[0] != '*' ? "[%s]%s:%s" : "%s%s:%s", a, dev,
		 p);
}

/* ss's names for the kernel's idiag_timer, when vtcp_info says nothing. */
static const char *const diag_timers[] = {
	"off", "on", "keepalive", "timewait", "persist"
};

/* The pending timer: vtcp_info knows its kind, the diag message less. */
bool sock_timer(const struct ss_sock *s, struct sock_timer *t)
{
	const struct inet_diag_msg *m = s->msg;

	if (HAS_INFO(s, timer_expires_ms) && s->info.timer != VTCP_TK_NONE) {
		t->name = timer_name(s->info.timer);
		t->ms = s->info.timer_expires_ms;
		t->retries = s->info.timer == VTCP_TK_KEEPALIVE ||
			     s->info.timer == VTCP_TK_PROBE ?
			     s->info.probes : s->info.retransmits;
		t->has_retries = s->info.timer != VTCP_TK_TIME_WAIT &&
				 s->info.timer != VTCP_TK_FIN_WAIT2;
		return true;
	}
	if (!m->idiag_timer)
		return false;
	t->name = m->idiag_timer < 5 ? diag_timers[m->idiag_timer] : "unknown";
	t->ms = m->idiag_expires;
	t->retries = m->idiag_retrans;
	t->has_retries = m->idiag_timer != 3;
	return true;
}

static void print_timer(const struct ss_sock *s)
{
	struct sock_timer t;
	char left[32];

	if (!sock_timer(s, &t))
		return;
	ms_string(t.ms, left, sizeof(left));
	if (t.has_retries)
		printf(" timer:(%s,%s,%u)", t.name, left, t.retries);
	else
		printf(" timer:(%s,%s)", t.name, left);
}

static void print_extended(const struct ss_sock *s)
{
	printf(" uid:%u ino:%u sk:%" PRIx64, s->msg->idiag_uid,
	       s->msg->idiag_inode, sock_cookie(s->msg));
	if (s->shutdown >= 0)
		printf(" %c-%c", s->shutdown & 1 ? '-' : '<',
		       s->shutdown & 2 ? '-' : '>');
}

static void print_skmem(const struct ss_sock *s)
{
	static const char *const tags[SK_MEMINFO_VARS] = {
		"r", "rb", "t", "tb", "f", "w", "o", "bl", "d"
	};
	unsigned int i;

	if (!s->skmem_len)
		return;
	printf(" skmem:(");
	for (i = 0; i < s->skmem_len; i++)
		printf("%s%s%u", i ? "," : "", tags[i], s->skmem[i]);
	printf(")");
}

static void print_options(const struct vtcp_info *i)
{
	if (i->options & VTCP_OPT_TIMESTAMPS)
		printf(" ts");
	if (i->options & VTCP_OPT_SACK)
		printf(" sack");
	if (i->congestion[0])
		printf(" %.*s", (int)sizeof(i->congestion), i->congestion);
	if (i->options & VTCP_OPT_WSCALE)
		printf(" wscale:%u,%u", i->snd_wscale, i->rcv_wscale);
}

/* A listener's vtcp_info is all zeros but the state: nothing to show. */
static bool has_info(const struct ss_sock *s)
{
	return HAS_INFO(s, rcv_mss) && s->info.state != TCP_LISTEN;
}

static void print_info(const struct ss_sock *s)
{
	const struct vtcp_info *i = &s->info;

	if (HAS_INFO(s, congestion))
		print_options(i);
	printf(" rto:%g rtt:%.3f/%.3f", i->rto_us / 1000.0, i->rtt_us / 1000.0,
	       i->rttvar_us / 1000.0);
	if (i->min_rtt_us)
		printf(" minrtt:%.3f", i->min_rtt_us / 1000.0);
	printf(" mss:%u rcvmss:%u", i->snd_mss, i->rcv_mss);
	if (HAS_INFO(s, soft_error) && i->pmtu)
		printf(" pmtu:%u", i->pmtu);
	if (HAS_INFO(s, soft_error) && i->mtu_probe_high)
		printf(" mtu_search:%u-%u", i->mtu_probe_low, i->mtu_probe_high);
	if (HAS_INFO(s, soft_error) && i->soft_error)
		printf(" soft_error:%s", strerror(i->soft_error));
	if (i->backoff)
		printf(" backoff:%u", i->backoff);
	if (!HAS_INFO(s, lost))
		return;
	printf(" cwnd:%u", i->snd_cwnd);
	if (i->snd_ssthresh < INT32_MAX)
		printf(" ssthresh:%u", i->snd_ssthresh);
	printf(" snd_wnd:%u rcv_wnd:%u", i->snd_wnd, i->rcv_wnd);
	if (i->unacked)
		printf(" unacked:%u", i->unacked);
	if (i->sacked)
		printf(" sacked:%u", i->sacked);
	if (i->lost)
		printf(" lost:%u", i->lost);
	/* All 0: hidden from a caller without CAP_NET_ADMIN. */
	if (i->snd_una || i->snd_nxt || i->rcv_nxt)
		printf(" snd_una:%u snd_nxt:%u rcv_nxt:%u", i->snd_una,
		       i->snd_nxt, i->rcv_nxt);
	/* A kernel that does not count segments leaves them all 0. */
	if (!HAS_INFO(s, fast_retrans) || (!i->segs_out && !i->segs_in))
		return;
	printf(" bytes_sent:%llu bytes_retrans:%llu bytes_acked:%llu bytes_received:%llu segs_out:%llu segs_in:%llu",
	       (unsigned long long)i->bytes_sent,
	       (unsigned long long)i->bytes_retrans,
	       (unsigned long long)i->bytes_acked,
	       (unsigned long long)i->bytes_received,
	       (unsigned long long)i->segs_out,
	       (unsigned long long)i->segs_in);
	if (i->retrans_segs)
		printf(" retrans:%u/%u fast_retrans:%u", i->retransmits,
		       i->retrans_segs, i->fast_retrans);
}

void sock_print(const struct ss_opts *o, const struct ss_sock *s)
{
	const struct inet_diag_msg *m = s->msg;
	char local[END_LEN], peer[END_LEN];

	if (o->json) {
		sock_print_json(s);
		return;
	}
	endpoint(local, sizeof(local), s, true);
	endpoint(peer, sizeof(peer), s, false);
	printf("%-10s %-6u %-6u %21s %-21s", ss_state_name(m->idiag_state),
	       m->idiag_rqueue, m->idiag_wqueue, local, peer);
	if (o->timers)
		print_timer(s);
	if (o->extended)
		print_extended(s);
	if ((o->memory && s->skmem_len) || (o->info && has_info(s))) {
		printf("\n\t");
		if (o->memory)
			print_skmem(s);
		if (o->info && has_info(s))
			print_info(s);
	}
	printf("\n");
}

void sock_print_error(const struct ss_sock *s, const char *what, int err)
{
	const struct inet_diag_msg *m = s->msg;
	char local[END_LEN], peer[END_LEN];

	endpoint(local, sizeof(local), s, true);
	endpoint(peer, sizeof(peer), s, false);
	fprintf(stderr, "vtcp: %s %s %s sk:%" PRIx64 ": %s%s%s%s\n", what,
		local, peer, sock_cookie(m), strerror(err < 0 ? -err : err),
		nl_error_message()[0] ? " (" : "", nl_error_message(),
		nl_error_message()[0] ? ")" : "");
}
