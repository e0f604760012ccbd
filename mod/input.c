// SPDX-License-Identifier: GPL-2.0
/*
 * Segments from IP: checked, counted, and handed to their socket.
 */
#include <linux/skbuff.h>
#include <net/dst.h>

#include "vtcp.h"
#include "wire.h"

/* Pull the whole header into the linear area, or say why not. */
static bool header_is_sane(struct sk_buff *skb)
{
	unsigned int len;

	if (!pskb_may_pull(skb, VTCP_HDR_MIN))
		return false;
	len = vtcp_hdr_len(vtcp_hdr(skb));
	return len >= VTCP_HDR_MIN && len <= skb->len && pskb_may_pull(skb, len);
}

int vtcp_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);

	if (skb->pkt_type != PACKET_HOST) {
		kfree_skb_reason(skb, SKB_DROP_REASON_OTHERHOST);
		return 0;
	}
	VTCP_INC_STATS(net, VTCP_MIB_IN_SEGS);

	if (!header_is_sane(skb)) {
		VTCP_INC_STATS(net, VTCP_MIB_IN_HDR_ERRS);
		kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_SMALL);
		return 0;
	}

	VTCP_INC_STATS(net, VTCP_MIB_IN_NO_SOCKET);
	kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
	return 0;
}

int vtcp_err(struct sk_buff *skb, u32 info)
{
	return 0;
}
