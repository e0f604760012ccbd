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
#include <linux/ipv6.h>
#include <linux/tcp.h>

#define VTCP_HDR_MIN	((unsigned int)sizeof(struct tcphdr))
#define VTCP_HDR_MAX	60U

/* Room for our header plus everything below it (IP, link layer). */
#define VTCP_MAX_HEADER	(VTCP_HDR_MAX + sizeof(struct ipv6hdr) + MAX_HEADER)

struct vtcp_sack_block {
	u32 start;
	u32 end;
};

/* What a segment's options say, or what ours will say. */
struct vtcp_opts {
	u8 has;			/* VTCP_OPT_* of the uapi, plus the two below */
	u8 wscale;
	u8 nr_sacks;
	u16 mss;
	u32 tsval;
	u32 tsecr;
	struct vtcp_sack_block sacks[TCP_NUM_SACKS];
};

#define VTCP_OPT_MSS		BIT(6)
#define VTCP_OPT_SACK_BLOCKS	BIT(7)

static inline struct tcphdr *vtcp_hdr(const struct sk_buff *skb)
{
	return (struct tcphdr *)skb_transport_header(skb);
}

static inline unsigned int vtcp_hdr_len(const struct tcphdr *th)
{
	return th->doff * 4U;
}

#endif /* _VTCP_WIRE_H */
