/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Accounting, per socket and per namespace (memory.c).
 */
#ifndef _VTCP_MEMORY_H
#define _VTCP_MEMORY_H

#include "vtcp.h"

int vtcp_memory_init(struct proto *prot);
void vtcp_memory_exit(void);
bool vtcp_under_pressure(const struct sock *sk);
void vtcp_expand_sndbuf(struct sock *sk);
bool vtcp_wmem_schedule(struct sock *sk, int size);
void vtcp_charge_write(struct sock *sk, struct sk_buff *skb);
void vtcp_charge_bytes(struct sock *sk, int n);
void vtcp_uncharge_write(struct sock *sk, struct sk_buff *skb);
int vtcp_charge_read(struct sock *sk, struct sk_buff *skb, bool in_order);
void vtcp_charge_coalesced(struct sock *sk, int delta);

#endif /* _VTCP_MEMORY_H */
