/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The byte stream, user side (stream.c).
 */
#ifndef _VTCP_STREAM_H
#define _VTCP_STREAM_H

#include "vtcp.h"

int vtcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t len);
int vtcp_sendpage(struct sock *sk, struct page *page, int offset,
		  size_t size, int flags);
ssize_t vtcp_splice_read(struct socket *sock, loff_t *ppos,
			 struct pipe_inode_info *pipe, size_t len,
			 unsigned int flags);
int vtcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		 int *addr_len);
void vtcp_queue_rcv(struct sock *sk, struct sk_buff *skb);
void vtcp_purge_queues(struct sock *sk);
struct vtcp_sack_block;
unsigned int vtcp_sack_blocks(struct sock *sk, struct vtcp_sack_block *out,
			      unsigned int max, bool dsack);
void vtcp_note_old_data(struct sock *sk, const struct vtcp_skb_cb *cb);

#endif /* _VTCP_STREAM_H */
