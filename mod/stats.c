// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace counters and their /proc/net/vtcp_stats view; the generic
 * netlink family (netlink.c) reads and resets them too.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

#include "vtcp.h"
#include "socket.h"
#include "stats.h"

static const char *const vtcp_mib_names[__VTCP_MIB_MAX] = {
	[VTCP_MIB_IN_SEGS]		= "InSegs",
	[VTCP_MIB_OUT_SEGS]		= "OutSegs",
	[VTCP_MIB_IN_HDR_ERRS]		= "InHdrErrors",
	[VTCP_MIB_IN_CSUM_ERRS]		= "InCsumErrors",
	[VTCP_MIB_IN_NO_SOCKET]		= "InNoSocket",
	[VTCP_MIB_IN_OUT_OF_WINDOW]	= "InOutOfWindow",
	[VTCP_MIB_IN_BAD_ACK]		= "InBadAck",
	[VTCP_MIB_BACKLOG_DROP]		= "BacklogDrop",
	[VTCP_MIB_RCVBUF_DROP]		= "RcvbufDrop",
	[VTCP_MIB_ACTIVE_OPENS]		= "ActiveOpens",
	[VTCP_MIB_PASSIVE_OPENS]	= "PassiveOpens",
	[VTCP_MIB_ATTEMPT_FAILS]	= "AttemptFails",
	[VTCP_MIB_ESTAB_RESETS]		= "EstabResets",
	[VTCP_MIB_RESETS_IN]		= "InRsts",
	[VTCP_MIB_RESETS_OUT]		= "OutRsts",
	[VTCP_MIB_RETRANS_SEGS]		= "RetransSegs",
	[VTCP_MIB_TIMEOUTS]		= "Timeouts",
	[VTCP_MIB_CHALLENGE_ACKS]	= "ChallengeAcks",
	[VTCP_MIB_LISTEN_OVERFLOWS]	= "ListenOverflows",
	[VTCP_MIB_TW_CREATED]		= "TimeWaitCreated",
	[VTCP_MIB_TW_EXPIRED]		= "TimeWaitExpired",
	[VTCP_MIB_TW_RESTARTED]		= "TimeWaitRestarted",
	[VTCP_MIB_IN_PAWS_DROP]		= "InPawsDrop",
	[VTCP_MIB_CHALLENGE_ACK_LIMITED] = "ChallengeAckLimited",
	[VTCP_MIB_SYN_EVICTED]		= "SynEvicted",
	[VTCP_MIB_ORPHAN_ABORTS]	= "OrphanAborts",
	[VTCP_MIB_FAST_RETRANS]		= "FastRetrans",
	[VTCP_MIB_PRESSURE_DROP]	= "PressureDrop",
	[VTCP_MIB_TIMEOUT_RETRANS]	= "TimeoutRetrans",
	[VTCP_MIB_SYN_RETRANS]		= "SynRetrans",
	[VTCP_MIB_FIN_RETRANS]		= "FinRetrans",
	[VTCP_MIB_TW_RST_IGNORED]	= "TimeWaitRstIgnored",
	[VTCP_MIB_DIAG_DESTROYED]	= "DiagDestroyed",
	[VTCP_MIB_RACK_LOST]		= "RackLost",
	[VTCP_MIB_REORDER_SEEN]		= "ReorderSeen",
	[VTCP_MIB_LOSS_PROBES]		= "LossProbes",
	[VTCP_MIB_TW_REOPENED]		= "TimeWaitReopened",
	[VTCP_MIB_RECOVERY_UNDO]	= "RecoveryUndo",
	[VTCP_MIB_LOSS_UNDO]		= "LossUndo",
	[VTCP_MIB_DSACK_SENT]		= "DSackSent",
	[VTCP_MIB_DSACK_RECV]		= "DSackRecv",
	[VTCP_MIB_ICMP_IN]		= "IcmpIn",
	[VTCP_MIB_ICMP_NO_SOCKET]	= "IcmpNoSocket",
	[VTCP_MIB_ICMP_OUT_OF_WINDOW]	= "IcmpOutOfWindow",
	[VTCP_MIB_ICMP_IGNORED]		= "IcmpIgnored",
	[VTCP_MIB_ICMP_LOCKED]		= "IcmpLocked",
	[VTCP_MIB_ICMP_UNREACH]		= "IcmpUnreach",
	[VTCP_MIB_ICMP_FRAG_NEEDED]	= "IcmpFragNeeded",
	[VTCP_MIB_ICMP_TIME_EXCEEDED]	= "IcmpTimeExceeded",
	[VTCP_MIB_ICMP_PARAM_PROB]	= "IcmpParamProb",
	[VTCP_MIB_ICMP_REDIRECT]	= "IcmpRedirect",
	[VTCP_MIB_ICMP_ABORTS]		= "IcmpAborts",
	[VTCP_MIB_PMTU_REDUCED]		= "PmtuReduced",
	[VTCP_MIB_MTU_BLACK_HOLE]	= "MtuBlackHole",
	[VTCP_MIB_MTU_PROBES]		= "MtuProbes",
	[VTCP_MIB_MTU_PROBE_FAILS]	= "MtuProbeFails",
	[VTCP_MIB_ACK_SKIPPED_SEQ]	= "AckSkippedSeq",
	[VTCP_MIB_ACK_SKIPPED_PAWS]	= "AckSkippedPaws",
	[VTCP_MIB_ACK_SKIPPED_BAD_ACK]	= "AckSkippedBadAck",
	[VTCP_MIB_ACK_SKIPPED_TIME_WAIT] = "AckSkippedTimeWait",
	[VTCP_MIB_ACK_SKIPPED_CHALLENGE] = "AckSkippedChallenge",
	[VTCP_MIB_WQUEUE_TOO_BIG]	= "WqueueTooBig",
	[VTCP_MIB_IN_FILTER_DROP]	= "InFilterDrop",
	[VTCP_MIB_SYNCOOKIES_SENT]	= "SyncookiesSent",
	[VTCP_MIB_SYNCOOKIES_RECV]	= "SyncookiesRecv",
	[VTCP_MIB_SYNCOOKIES_FAILED]	= "SyncookiesFailed",
	[VTCP_MIB_DEFER_ACCEPT_DROP]	= "DeferAcceptDrop",
	[VTCP_MIB_SACK_RENEGING]	= "SackReneging",
};

/**
 * vtcp_stat_name() - the name of a counter, as /proc/net/vtcp_stats shows it
 * @mib: an enum vtcp_mib
 *
 * Context: any context.
 * Return: the name.
 */
const char *vtcp_stat_name(int mib)
{
	return vtcp_mib_names[mib];
}

/**
 * vtcp_stat_read() - the value of a counter in a namespace
 * @net: the namespace
 * @mib: an enum vtcp_mib
 *
 * Context: any context.
 * Return: its sum over all CPUs.
 */
u64 vtcp_stat_read(struct net *net, int mib)
{
	return snmp_fold_field(vtcp_pernet(net)->mib, mib);
}

/**
 * vtcp_stats_reset() - zero a namespace's counters
 * @net: the namespace
 *
 * Increments racing with this are lost, which a reset may forgive.
 *
 * Context: any context.
 */
void vtcp_stats_reset(struct net *net)
{
	struct vtcp_mib_set __percpu *mib = vtcp_pernet(net)->mib;
	int cpu, i;

	for_each_possible_cpu(cpu)
		for (i = 0; i < __VTCP_MIB_MAX; i++)
			WRITE_ONCE(per_cpu_ptr(mib, cpu)->mibs[i], 0);
}

/**
 * vtcp_count_timeout_retrans() - count a retransmission by the timer
 * @sk: the socket
 * @skb: the segment resent: counted, and what it carries (SYN, FIN)
 *
 * Context: @sk locked.
 */
void vtcp_count_timeout_retrans(struct sock *sk, const struct sk_buff *skb)
{
	struct net *net = sock_net(sk);
	u8 flags = VTCP_SKB_CB(skb)->flags;

	VTCP_INC_STATS(net, VTCP_MIB_TIMEOUT_RETRANS);
	if (flags & TCPHDR_SYN)
		VTCP_INC_STATS(net, VTCP_MIB_SYN_RETRANS);
	else if (flags & TCPHDR_FIN)
		VTCP_INC_STATS(net, VTCP_MIB_FIN_RETRANS);
}

static int vtcp_stats_show(struct seq_file *seq, void *v)
{
	struct net *net = seq->private;
	int i;

	for (i = 0; i < __VTCP_MIB_MAX; i++)
		seq_printf(seq, "%s %llu\n", vtcp_mib_names[i],
			   vtcp_stat_read(net, i));
	return 0;
}

/*
 * What is alive now, as /proc/net/sockstat's TCP line: sockets in the
 * namespace's hash, orphans and sockets of all namespaces, TIME-WAIT
 * entries of the namespace (each one counted from its creation to its
 * end, whether 2MSL, an RST, a new SYN or SOCK_DESTROY ended it), and the
 * pages charged to vtcp.
 */
static int vtcp_sockstat_show(struct seq_file *seq, void *v)
{
	struct net *net = seq->private;

	seq_printf(seq, "VTCP: inuse %d orphan %u tw %u alloc %d mem %ld\n",
		   sock_prot_inuse_get(net, &vtcp_prot), vtcp_orphans(),
		   refcount_read(&vtcp_pernet(net)->tw_row.tw_refcount) - 1,
		   proto_sockets_allocated_sum_positive(&vtcp_prot),
		   atomic_long_read(vtcp_prot.memory_allocated));
	return 0;
}

/**
 * vtcp_stats_net_init() - a namespace's counters and its /proc/net files
 * @net: the namespace
 *
 * Context: process context, as the namespace is set up.
 * Return: 0, or -ENOMEM.
 */
int vtcp_stats_net_init(struct net *net)
{
	struct vtcp_net *vn = vtcp_pernet(net);

	vn->mib = alloc_percpu(struct vtcp_mib_set);
	if (!vn->mib)
		return -ENOMEM;
	if (!proc_create_net_single(VTCP_PROC_STATS, 0444, net->proc_net,
				    vtcp_stats_show, NULL))
		goto fail;
	if (!proc_create_net_single(VTCP_PROC_SOCKSTAT, 0444, net->proc_net,
				    vtcp_sockstat_show, NULL)) {
		remove_proc_entry(VTCP_PROC_STATS, net->proc_net);
		goto fail;
	}
	return 0;
fail:
	free_percpu(vn->mib);
	return -ENOMEM;
}

/**
 * vtcp_stats_net_exit() - free a namespace's counters and /proc/net files
 * @net: the namespace
 *
 * Context: process context, as the namespace is dismantled.
 */
void vtcp_stats_net_exit(struct net *net)
{
	remove_proc_entry(VTCP_PROC_SOCKSTAT, net->proc_net);
	remove_proc_entry(VTCP_PROC_STATS, net->proc_net);
	free_percpu(vtcp_pernet(net)->mib);
}
