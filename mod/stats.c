// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace counters and their /proc/net/vtcp_stats view.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "vtcp.h"

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
};

static int vtcp_stats_show(struct seq_file *seq, void *v)
{
	struct net *net = seq->private;
	int i;

	for (i = 0; i < __VTCP_MIB_MAX; i++)
		seq_printf(seq, "%s %lu\n", vtcp_mib_names[i],
			   snmp_fold_field(vtcp_pernet(net)->mib, i));
	return 0;
}

int vtcp_stats_net_init(struct net *net)
{
	struct vtcp_net *vn = vtcp_pernet(net);

	vn->mib = alloc_percpu(struct vtcp_mib_set);
	if (!vn->mib)
		return -ENOMEM;
	if (!proc_create_net_single(VTCP_PROC_STATS, 0444, net->proc_net,
				    vtcp_stats_show, NULL)) {
		free_percpu(vn->mib);
		return -ENOMEM;
	}
	return 0;
}

void vtcp_stats_net_exit(struct net *net)
{
	remove_proc_entry(VTCP_PROC_STATS, net->proc_net);
	free_percpu(vtcp_pernet(net)->mib);
}
