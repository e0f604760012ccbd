// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints of trace.h are made here, with the helper that frees a
 * dropped segment: the vtcp reason goes to the vtcp_drop event, the
 * kernel's closest one (which both 6.1 and 6.12 have) to kfree_skb, for
 * skb:kfree_skb and drop monitors.
 */
#include <linux/skbuff.h>

#include "vtcp.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static const enum skb_drop_reason vtcp_skb_reasons[VTCP_NR_DROPS] = {
	[VTCP_DROP_OTHERHOST]		= SKB_DROP_REASON_OTHERHOST,
	[VTCP_DROP_HEADER]		= SKB_DROP_REASON_PKT_TOO_SMALL,
	[VTCP_DROP_CSUM]		= SKB_DROP_REASON_TCP_CSUM,
	[VTCP_DROP_NO_SOCKET]		= SKB_DROP_REASON_NO_SOCKET,
	[VTCP_DROP_XFRM]		= SKB_DROP_REASON_XFRM_POLICY,
	[VTCP_DROP_FILTER]		= SKB_DROP_REASON_SOCKET_FILTER,
	[VTCP_DROP_BACKLOG]		= SKB_DROP_REASON_SOCKET_BACKLOG,
	[VTCP_DROP_PAWS]		= SKB_DROP_REASON_TCP_RFC7323_PAWS,
	[VTCP_DROP_OUT_OF_WINDOW]	= SKB_DROP_REASON_TCP_INVALID_SEQUENCE,
	[VTCP_DROP_BAD_ACK]		= SKB_DROP_REASON_TCP_ACK_UNSENT_DATA,
	[VTCP_DROP_RCVBUF]		= SKB_DROP_REASON_SOCKET_RCVBUFF,
	[VTCP_DROP_MEMORY]		= SKB_DROP_REASON_PROTO_MEM,
	[VTCP_DROP_TIME_WAIT_RST]	= SKB_DROP_REASON_TCP_RESET,
	/* TCP's, for a SYN its listener cannot take */
	[VTCP_DROP_LISTEN]		= SKB_DROP_REASON_NOT_SPECIFIED,
	[VTCP_DROP_LISTEN_ACK]		= SKB_DROP_REASON_TCP_FLAGS,
	[VTCP_DROP_DEFER_ACCEPT]	= SKB_DROP_REASON_NOT_SPECIFIED,
};

/**
 * vtcp_drop() - free a segment that vtcp did not take, saying why
 * @sk: the socket it was for, or NULL
 * @skb: the segment, as received (our header at its transport header)
 * @why: the reason
 *
 * Fires the vtcp_drop tracepoint, then frees @skb with the kernel's drop
 * reason closest to @why. Counting it is the caller's business.
 */
void vtcp_drop(const struct sock *sk, struct sk_buff *skb,
	       enum vtcp_drop_reason why)
{
	trace_vtcp_drop(sk, skb, why);
	kfree_skb_reason(skb, vtcp_skb_reasons[why]);
}
