/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where Debian's 6.1 and 6.12 kernels differ for us: one feature macro
 * each, so the code says what it needs rather than which version.
 */
#ifndef _VTCP_COMPAT_H
#define _VTCP_COMPAT_H

#include <linux/version.h>

/* 6.5: proto->ioctl() takes an int *karg, copied out by its caller. */
#define VTCP_HAVE_PROTO_IOCTL_KARG \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0))

/* 6.6: register_net_sysctl_sz(), and no empty end entry needed. */
#define VTCP_HAVE_REGISTER_NET_SYSCTL_SZ \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0))

/* 6.10: inet_twsk_hashdance_schedule() arms the timewait timer itself. */
#define VTCP_HAVE_HASHDANCE_SCHEDULE \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0))

/* 6.5: the GSO helpers moved to <net/gso.h>. */
#define VTCP_HAVE_NET_GSO_H \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0))

/* 6.11: sysctl handlers take a const struct ctl_table. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define VTCP_CTL_TABLE const struct ctl_table
#else
#define VTCP_CTL_TABLE struct ctl_table
#endif

/*
 * 6.9: inet_diag handlers name their module, which inet_diag pins while
 * it calls them (6.1 serializes every call under a mutex instead).
 */
#define VTCP_HAVE_DIAG_HANDLER_OWNER \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0))

/* 6.6: inet_sock's flags are bits read by inet_test_bit(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define vtcp_recverr(sk)	inet_test_bit(RECVERR, sk)
#else
#define vtcp_recverr(sk)	(inet_sk(sk)->recverr)
#endif

/* 6.6: ipv6_pinfo's flags are bits read by inet6_test_bit(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define vtcp_recverr6(sk)	inet6_test_bit(RECVERR6, sk)
#else
#define vtcp_recverr6(sk)	(inet6_sk(sk)->recverr)
#endif

/* 6.6: the flow label list moved to inet_sock; sndflow became a bit. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define vtcp_fl_list(sk)	(inet_sk(sk)->ipv6_fl_list)
#define vtcp_sndflow(sk)	inet_test_bit(SNDFLOW, sk)
#else
#define vtcp_fl_list(sk)	(inet6_sk(sk)->ipv6_fl_list)
#define vtcp_sndflow(sk)	(inet6_sk(sk)->sndflow)
#endif

/* 6.7: struct proto says where a socket's ipv6_pinfo is. */
#define VTCP_HAVE_IPV6_PINFO_OFFSET \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0))

/*
 * 6.5: sendfile() and splice() hand a socket pages in sendmsg(), with
 * MSG_SPLICE_PAGES, instead of calling proto_ops->sendpage().
 */
#define VTCP_HAVE_SPLICE_PAGES \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0))

/* 6.8: struct tcp_info has tcpi_rcv_wnd. */
#define VTCP_HAVE_TCPI_RCV_WND \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0))

#endif /* _VTCP_COMPAT_H */
