/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtcp ss: one socket of a dump, and how to print it.
 */
#ifndef VTCP_SOCK_H
#define VTCP_SOCK_H

#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include "cli.h"

struct ss_opts {
	struct ss_filter filter;
	bool extended, info, memory, timers, kill, json, no_header;
	bool ipv4, ipv6;	/* the families listed: both, or -4's, -6's */
	bool failed;		/* a destroy failed */
	bool header_done;
	struct nl kill_nl;	/* for SOCK_DESTROY, opened on first use */
};

struct ss_sock {
	const struct inet_diag_msg *msg;
	struct vtcp_info info;
	unsigned int info_len;	/* 0: no INET_DIAG_INFO */
	uint32_t skmem[SK_MEMINFO_VARS];
	unsigned int skmem_len;	/* counters in skmem */
	int shutdown;		/* -1: no INET_DIAG_SHUTDOWN */
	int v6only;		/* -1: no INET_DIAG_SKV6ONLY */
};

/* Does the kernel's vtcp_info reach up to and include @field? */
#define HAS_INFO(s, field) ((s)->info_len >= \
	offsetof(struct vtcp_info, field) + sizeof((s)->info.field))

struct sock_timer {
	const char *name;
	uint32_t ms;
	unsigned int retries;
	bool has_retries;
};

static inline uint64_t sock_cookie(const struct inet_diag_msg *msg)
{
	return (uint64_t)msg->id.idiag_cookie[1] << 32 |
	       msg->id.idiag_cookie[0];
}

bool sock_timer(const struct ss_sock *s, struct sock_timer *t);
const char *sock_addr(const struct ss_sock *s, bool local, char *buf,
		      size_t len);
void sock_print_header(const struct ss_opts *o);
void sock_print(const struct ss_opts *o, const struct ss_sock *s);
void sock_print_error(const struct ss_sock *s, const char *what, int err);
void sock_print_json(const struct ss_sock *s);

#endif /* VTCP_SOCK_H */
