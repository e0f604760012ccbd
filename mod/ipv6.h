/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_INET6 sockets, and IPv6 for all sockets (ipv6.c).
 */
#ifndef _VTCP_IPV6_H
#define _VTCP_IPV6_H

#include "vtcp.h"

extern const struct vtcp_af_ops vtcp_ipv6_ops;

/* Does @sk send IPv6 (not IPv4, as AF_INET and v4-mapped sockets do)? */
static inline bool vtcp_sends_ipv6(const struct sock *sk)
{
	return vtcp_sk(sk)->af == &vtcp_ipv6_ops;
}

struct vtcp_reply;
int vtcp_ipv6_init(void);
void vtcp_ipv6_exit(void);
int vtcp6_net_init(struct net *net);
void vtcp6_net_exit(struct net *net);
int vtcp6_reply_route(struct net *net, struct sock *sk,
		      const struct sk_buff *in, struct vtcp_reply *r);
void vtcp6_reply_xmit(struct net *net, struct sk_buff *skb,
		      struct vtcp_reply *r);
int vtcp6_setup_child(struct sock *sk, struct sock *child,
		      struct request_sock *req, const struct sk_buff *skb);
void vtcp6_init_ticket(struct request_sock *req, const struct sk_buff *skb);
struct sock *vtcp6_lookup_listener(struct sk_buff *skb, int sdif);
void vtcp6_adopt_pinfo(struct sock *child, const struct sock *listener);

#endif /* _VTCP_IPV6_H */
