// SPDX-License-Identifier: GPL-2.0
/*
 * vtcp ss -j: a socket as one JSON object, with everything the kernel
 * told about it (what the text shows only with -e, -i, -m, -o).
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#include "sock.h"

#define INFO_FIELD(f) { #f, offsetof(struct vtcp_info, f), \
			sizeof(((struct vtcp_info *)0)->f) }

/* The numbers of struct vtcp_info, in its order. */
static const struct {
	const char *name;
	size_t offset, size;
} info_fields[] = {
	INFO_FIELD(options), INFO_FIELD(snd_wscale), INFO_FIELD(rcv_wscale),
	INFO_FIELD(retransmits), INFO_FIELD(backoff), INFO_FIELD(probes),
	INFO_FIELD(timer_expires_ms), INFO_FIELD(rto_us), INFO_FIELD(rtt_us),
	INFO_FIELD(rttvar_us), INFO_FIELD(min_rtt_us), INFO_FIELD(snd_mss),
	INFO_FIELD(rcv_mss), INFO_FIELD(snd_cwnd), INFO_FIELD(snd_ssthresh),
	INFO_FIELD(snd_una), INFO_FIELD(snd_nxt), INFO_FIELD(rcv_nxt),
	INFO_FIELD(snd_wnd), INFO_FIELD(rcv_wnd), INFO_FIELD(unacked),
	INFO_FIELD(sacked), INFO_FIELD(lost), INFO_FIELD(bytes_sent),
	INFO_FIELD(bytes_acked), INFO_FIELD(bytes_received),
	INFO_FIELD(bytes_retrans), INFO_FIELD(segs_in), INFO_FIELD(segs_out),
	INFO_FIELD(retrans_segs), INFO_FIELD(fast_retrans), INFO_FIELD(pmtu),
	INFO_FIELD(mtu_probe_low), INFO_FIELD(mtu_probe_high),
	INFO_FIELD(soft_error),
};

static uint64_t field_value(const struct vtcp_info *i, size_t offset,
			    size_t size)
{
	const unsigned char *p = (const unsigned char *)i + offset;
	uint32_t u32;
	uint64_t u64;

	if (size == 1)
		return *p;
	if (size == 4) {
		memcpy(&u32, p, sizeof(u32));
		return u32;
	}
	memcpy(&u64, p, sizeof(u64));
	return u64;
}

static void info_json(const struct ss_sock *s)
{
	const struct vtcp_info *i = &s->info;
	unsigned int f;

	json_begin("info");
	json_str("state", state_name(i->state));
	json_str("timer", timer_name(i->timer));
	for (f = 0; f < ARRAY_SIZE(info_fields); f++)
		if (s->info_len >= info_fields[f].offset + info_fields[f].size)
			json_u64(info_fields[f].name,
				 field_value(i, info_fields[f].offset,
					     info_fields[f].size));
	if (HAS_INFO(s, congestion)) {
		char cong[sizeof(i->congestion) + 1] = { 0 };

		memcpy(cong, i->congestion, sizeof(i->congestion));
		json_str("congestion", cong);
	}
	json_end();
}

static void skmem_json(const struct ss_sock *s)
{
	static const char *const names[SK_MEMINFO_VARS] = {
		"rmem_alloc", "rcvbuf", "wmem_alloc", "sndbuf", "fwd_alloc",
		"wmem_queued", "optmem", "backlog", "drops"
	};
	unsigned int i;

	json_begin("skmem");
	for (i = 0; i < s->skmem_len; i++)
		json_u64(names[i], s->skmem[i]);
	json_end();
}

static void timer_json(const struct ss_sock *s)
{
	struct sock_timer t;

	if (!sock_timer(s, &t))
		return;
	json_begin("timer");
	json_str("name", t.name);
	json_u64("expires_ms", t.ms);
	if (t.has_retries)
		json_u64("retries", t.retries);
	json_end();
}

void sock_print_json(const struct ss_sock *s)
{
	const struct inet_diag_msg *m = s->msg;
	char a[INET6_ADDRSTRLEN];

	json_begin(NULL);
	json_str("state", ss_state_name(m->idiag_state));
	json_u64("state_num", m->idiag_state);
	json_u64("recv_q", m->idiag_rqueue);
	json_u64("send_q", m->idiag_wqueue);
	json_str("family", m->idiag_family == AF_INET6 ? "inet6" : "inet");
	json_str("src", sock_addr(s, true, a, sizeof(a)));
	json_u64("sport", ntohs(m->id.idiag_sport));
	json_str("dst", sock_addr(s, false, a, sizeof(a)));
	json_u64("dport", ntohs(m->id.idiag_dport));
	if (m->id.idiag_if)
		json_u64("ifindex", m->id.idiag_if);
	if (s->v6only >= 0)
		json_bool("v6only", s->v6only);
	json_u64("cookie", sock_cookie(m));
	json_u64("uid", m->idiag_uid);
	json_u64("ino", m->idiag_inode);
	if (s->shutdown >= 0)
		json_u64("shutdown", s->shutdown);
	timer_json(s);
	if (s->info_len)
		info_json(s);
	if (s->skmem_len)
		skmem_json(s);
	json_end();
}
