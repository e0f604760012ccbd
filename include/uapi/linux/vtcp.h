/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vtcp: a TCP-style transport on its own IP protocol number.
 *
 * This is the user ABI: everything a program or tool needs to talk to the
 * vtcp module. It builds both in the kernel and in userspace.
 */
#ifndef _UAPI_LINUX_VTCP_H
#define _UAPI_LINUX_VTCP_H

/*
 * Default IP protocol number (RFC 3692: 253 and 254 are for experiments).
 * The module parameter "proto" can move it; sockets are then created with
 * socket(AF_INET, SOCK_STREAM, <proto>).
 */
#define IPPROTO_VTCP		253

/*
 * Socket options at level SOL_VTCP (the protocol number, as SOL_TCP is
 * TCP's). Numbers and meanings follow TCP's, see tcp(7).
 */
#define SOL_VTCP		IPPROTO_VTCP

#define VTCP_NODELAY		1	/* no effect yet: vtcp sends at once */
#define VTCP_MAXSEG		2	/* read only: the send MSS */
#define VTCP_KEEPIDLE		4	/* seconds idle before probes */
#define VTCP_KEEPINTVL		5	/* seconds between probes */
#define VTCP_KEEPCNT		6	/* probes before giving up */

/* Per-network-namespace statistics, one "Name Value" pair per line. */
#define VTCP_PROC_STATS		"vtcp_stats"

#endif /* _UAPI_LINUX_VTCP_H */
