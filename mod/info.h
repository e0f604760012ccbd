/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A connection as getsockopt(VTCP_INFO) and sock_diag show it (info.c).
 */
#ifndef _VTCP_INFO_H
#define _VTCP_INFO_H

#include "vtcp.h"

struct vtcp_timer_state {
	u8 kind;		/* enum vtcp_timer_kind */
	u8 retries;		/* expiries so far without progress */
	u32 expires_ms;		/* from now */
};

u8 vtcp_timer_kind(const struct sock *sk, enum vtcp_timer t);
u8 vtcp_timer_retries(const struct sock *sk, u8 kind);
void vtcp_next_timer(const struct sock *sk, struct vtcp_timer_state *ts);
void vtcp_get_info(const struct sock *sk, struct vtcp_info *info);
int vtcp_getsockopt_info(struct sock *sk, char __user *optval,
			 int __user *optlen, int len);
int vtcp_getsockopt_tcp_info(struct sock *sk, char __user *optval,
			     int __user *optlen, int len);

#endif /* _VTCP_INFO_H */
