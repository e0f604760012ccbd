/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SYN cookies, RFC 4987 (syncookies.c).
 */
#ifndef _VTCP_SYNCOOKIES_H
#define _VTCP_SYNCOOKIES_H

#include "vtcp.h"

struct vtcp_syncookie {
	u16 mss;		/* the peer's MSS, rounded down to the table */
	u8 opts;		/* VTCP_OPT_* the peer offered and we take */
	u8 snd_wscale;		/* the peer's window scale, with VTCP_OPT_WSCALE */
	u16 window;		/* the window our SYN-ACK offered */
};

void vtcp_syncookies_listen(struct sock *sk);
bool vtcp_want_syncookie(struct sock *sk, const struct sk_buff *skb);
int vtcp_send_syncookie(struct sock *sk, const struct sk_buff *skb);
bool vtcp_syncookie_check(struct sock *sk, const struct sk_buff *skb,
			  struct vtcp_syncookie *c);
u16 vtcp_syncookie_window(const struct sock *sk);

#endif /* _VTCP_SYNCOOKIES_H */
