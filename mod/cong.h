/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Congestion control (cong.c) and its algorithms (newreno.c, cubic.c).
 */
#ifndef _VTCP_CONG_H
#define _VTCP_CONG_H

#include "vtcp.h"

/*
 * A congestion control algorithm (cong.c, newreno.c, cubic.c). Windows
 * are in bytes. ssthresh() is asked on loss; cong_avoid() on each ACK of
 * new data outside recovery; the rest are optional.
 */
struct vtcp_cong_ops {
	struct list_head list;
	char name[VTCP_CONG_NAME_MAX];
	struct module *owner;
	void (*init)(struct sock *sk);
	u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, u32 acked);
	void (*on_loss)(struct sock *sk);	/* entering recovery or loss */
};

int vtcp_cong_register(struct vtcp_cong_ops *ops);
void vtcp_cong_unregister(struct vtcp_cong_ops *ops);
bool vtcp_cong_exists(const char *name);
int vtcp_cong_set(struct sock *sk, const char *name);
void vtcp_cong_init_sock(struct sock *sk);
void vtcp_cong_release_sock(struct sock *sk);
void vtcp_cong_start(struct sock *sk);
u32 vtcp_slow_start(struct sock *sk, u32 acked);
u32 vtcp_reno_ssthresh(struct sock *sk);
int vtcp_cong_init(void);
void vtcp_cong_exit(void);
extern struct vtcp_cong_ops vtcp_newreno, vtcp_cubic;

#endif /* _VTCP_CONG_H */
