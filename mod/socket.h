/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The socket API (socket.c).
 */
#ifndef _VTCP_SOCKET_H
#define _VTCP_SOCKET_H

#include "vtcp.h"

extern struct proto vtcp_prot;
extern const struct proto_ops vtcp_stream_ops;

void vtcp_init_sock_state(struct sock *sk);
u16 vtcp_advmss(const struct dst_entry *dst);
u16 vtcp_user_advmss(const struct sock *sk, const struct dst_entry *dst);
int vtcp_listen(struct socket *sock, int backlog);
__poll_t vtcp_poll(struct file *file, struct socket *sock, poll_table *wait);
void vtcp_connect_prepare(struct sock *sk);
int vtcp_connect_routed(struct sock *sk, int err);
int vtcp_connect_v4(struct sock *sk, struct sockaddr *uaddr, int addr_len);
void vtcp_set_state(struct sock *sk, int state);
void vtcp_done(struct sock *sk);
void vtcp_reset_sock(struct sock *sk, int err);
unsigned int vtcp_orphans(void);

#endif /* _VTCP_SOCKET_H */
