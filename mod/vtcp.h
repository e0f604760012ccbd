/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtcp internals shared by the files of the module.
 */
#ifndef _VTCP_H
#define _VTCP_H

#include <linux/module.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/netns/generic.h>
#include <net/snmp.h>

#include <uapi/linux/vtcp.h>

/* The IP protocol number we registered, from the "proto" parameter. */
extern u8 vtcp_protocol;

extern struct inet_hashinfo vtcp_hashinfo;
extern struct proto vtcp_prot;
extern const struct proto_ops vtcp_stream_ops;

/* A vtcp socket: the kernel's connection socket plus our own state. */
struct vtcp_sock {
	struct inet_connection_sock icsk;
};

static inline struct vtcp_sock *vtcp_sk(const struct sock *sk)
{
	return (struct vtcp_sock *)sk;
}

/* stats.c: per-namespace counters, shown in /proc/net/vtcp_stats. */
enum vtcp_mib {
	VTCP_MIB_IN_SEGS,		/* every segment IP handed us */
	VTCP_MIB_IN_HDR_ERRS,		/* dropped: truncated or bad offset */
	VTCP_MIB_IN_NO_SOCKET,		/* dropped: nobody to take it */
	__VTCP_MIB_MAX
};

struct vtcp_mib_set {
	unsigned long mibs[__VTCP_MIB_MAX];
};

/* Per-network-namespace state. */
struct vtcp_net {
	struct vtcp_mib_set __percpu *mib;
};

extern unsigned int vtcp_net_id;

static inline struct vtcp_net *vtcp_pernet(const struct net *net)
{
	return net_generic(net, vtcp_net_id);
}

#define VTCP_INC_STATS(net, field) \
	SNMP_INC_STATS(vtcp_pernet(net)->mib, field)

int vtcp_stats_net_init(struct net *net);
void vtcp_stats_net_exit(struct net *net);

/* hash.c: the connection, listen and bind hash tables. */
int vtcp_hashinfo_init(void);
void vtcp_hashinfo_destroy(void);

/* input.c: segments from IP. */
int vtcp_rcv(struct sk_buff *skb);
int vtcp_err(struct sk_buff *skb, u32 info);

#endif /* _VTCP_H */
