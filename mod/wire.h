/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vtcp wire format: TCP's header (RFC 9293 section 3.1), carried on
 * our own IP protocol number, so that tcpdump, tshark and Linux TCP (with
 * the protocol number rewritten) read it as TCP.
 */
#ifndef _VTCP_WIRE_H
#define _VTCP_WIRE_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>

#define VTCP_HDR_MIN	((unsigned int)sizeof(struct tcphdr))
#define VTCP_HDR_MAX	60U

/* Room for our header plus everything below it (IP, link layer). */
#define VTCP_MAX_HEADER	(VTCP_HDR_MAX + MAX_HEADER)

static inline struct tcphdr *vtcp_hdr(const struct sk_buff *skb)
{
	return (struct tcphdr *)skb_transport_header(skb);
}

static inline unsigned int vtcp_hdr_len(const struct tcphdr *th)
{
	return th->doff * 4U;
}

#endif /* _VTCP_WIRE_H */
