// SPDX-License-Identifier: GPL-2.0
/*
 * Segmentation offload. vtcp sends segments of many MSS at once, as TCP
 * does with TSO/GSO, marked with the one software-only GSO type
 * (SKB_GSO_SCTP, which no NIC segments in hardware): software devices
 * such as veth and loopback carry them whole to the receiving socket,
 * and before any other device the stack cuts them here, into segments
 * of gso_size with their own sequence numbers and checksums.
 */
#include <linux/skbuff.h>
#include <net/protocol.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "compat.h"
#include "offload.h"
#include "wire.h"

#if VTCP_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

/* Fix the checksum of one segment for its own length. */
static void finish_checksum(struct sk_buff *seg, __wsum old_len_neg)
{
	struct tcphdr *th = vtcp_hdr(seg);
	unsigned int len = skb_tail_pointer(seg) - skb_transport_header(seg) +
			   seg->data_len;
	__wsum delta = (__force __wsum)htonl((__force u32)old_len_neg + len);

	th->check = ~csum_fold(csum_add(csum_unfold(th->check), delta));
	if (seg->ip_summed == CHECKSUM_PARTIAL)
		gso_reset_checksum(seg, csum_unfold(~th->check));
	else
		th->check = gso_make_checksum(seg, csum_unfold(~th->check));
}

static struct sk_buff *vtcp_gso_segment(struct sk_buff *skb,
					netdev_features_t features)
{
	struct sk_buff *segs = ERR_PTR(-EINVAL), *seg;
	unsigned int thlen, mss;
	__wsum old_len_neg;
	struct tcphdr *th;
	u32 seq;

	if (!pskb_may_pull(skb, VTCP_HDR_MIN))
		return segs;
	thlen = vtcp_hdr_len(vtcp_hdr(skb));
	if (thlen < VTCP_HDR_MIN || !pskb_may_pull(skb, thlen) ||
	    skb_checksum_start(skb) != skb_transport_header(skb))
		return segs;
	old_len_neg = (__force __wsum)~skb->len;
	__skb_pull(skb, thlen);
	mss = skb_shinfo(skb)->gso_size;
	if (skb->len <= mss)
		return segs;
	segs = skb_segment(skb, features);
	if (IS_ERR(segs))
		return segs;
	seq = ntohl(vtcp_hdr(segs)->seq);
	for (seg = segs; seg; seg = seg->next, seq += mss) {
		th = vtcp_hdr(seg);
		th->seq = htonl(seq);
		if (seg->next) {
			th->fin = 0;
			th->psh = 0;
		}
		finish_checksum(seg, old_len_neg);
	}
	return segs;
}

static const struct net_offload vtcp_offload = {
	.callbacks = {
		.gso_segment = vtcp_gso_segment,
	},
};

/**
 * vtcp_offload_init() - register segmentation offload for our protocol number
 *
 * One for both families: the length delta fixes either pseudo-header.
 *
 * Context: process context, at module load.
 * Return: 0, or a negative errno.
 */
int vtcp_offload_init(void)
{
	int err = inet_add_offload(&vtcp_offload, vtcp_protocol);

	if (err)
		return err;
	err = inet6_add_offload(&vtcp_offload, vtcp_protocol);
	if (err)
		inet_del_offload(&vtcp_offload, vtcp_protocol);
	return err;
}

/**
 * vtcp_offload_exit() - unregister segmentation offload
 *
 * Context: process context, at module unload.
 */
void vtcp_offload_exit(void)
{
	inet6_del_offload(&vtcp_offload, vtcp_protocol);
	inet_del_offload(&vtcp_offload, vtcp_protocol);
}

/**
 * vtcp_setup_caps() - take a route's offload capabilities for a socket
 * @sk: the socket
 * @dst: its new route
 *
 * As TCP gets them: segmentation always, done by the stack just before the
 * device when the device cannot (one pass down the stack and one softirq on
 * the peer's side for a whole burst instead of one per segment), with
 * scatter-gather and checksums it then finishes.
 *
 * Context: @sk locked.
 */
void vtcp_setup_caps(struct sock *sk, struct dst_entry *dst)
{
	u32 max_size = min_t(u32, READ_ONCE(dst->dev->gso_max_size),
			     GSO_LEGACY_MAX_SIZE);

	sk_setup_caps(sk, dst);
	if ((sk->sk_route_caps & NETIF_F_GSO_SCTP) || dst->header_len ||
	    sk->sk_gso_disabled)
		return;
	sk->sk_route_caps |= NETIF_F_GSO_SCTP | NETIF_F_SG | NETIF_F_HW_CSUM;
	sk->sk_gso_max_size = max_size - (MAX_TCP_HEADER + 1);
	sk->sk_gso_max_segs = max_t(u32, READ_ONCE(dst->dev->gso_max_segs), 1);
}
