// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace settings: /proc/sys/net/vtcp/.
 *
 * Each namespace gets its own copy of the defaults. Writes outside a
 * setting's bounds fail with EINVAL. Readers use READ_ONCE() at the moment
 * they need a value, so a change applies to the next timer armed.
 *
 * A few settings bound what all namespaces share (host_wide()): those are
 * the initial namespace's alone, shown in every namespace and writable
 * only there, as tcp_max_orphans is, so that a container's root cannot
 * lift the host's limit.
 */
#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include "vtcp.h"
#include "compat.h"
#include "cong.h"
#include "sysctl.h"

static const struct vtcp_sysctl vtcp_sysctl_defaults = {
	.syn_retries		= TCP_SYN_RETRIES,
	.synack_retries		= TCP_SYNACK_RETRIES,
	.fin_retries		= 8,		/* TCP's orphan_retries 0 means 8 */
	.data_retries		= TCP_RETR2,
	/* TIME-WAIT lasts 2 MSL: TCP's TCP_TIMEWAIT_LEN. */
	.msl_ms			= VTCP_JIFFIES_MS(TCP_TIMEWAIT_LEN) / 2,
	.rto_initial_ms		= VTCP_JIFFIES_MS(TCP_TIMEOUT_INIT),
	.rto_min_ms		= VTCP_JIFFIES_MS(TCP_RTO_MIN),
	.rto_max_ms		= VTCP_JIFFIES_MS(TCP_RTO_MAX),
	.fin_timeout_ms		= VTCP_JIFFIES_MS(TCP_FIN_TIMEOUT),
	/* TCP's first delay (its ato then adapts; ours stays). */
	.delack_ms		= VTCP_JIFFIES_MS(TCP_DELACK_MIN),
	.accept_tcp_csum	= 0,
	.timestamps		= 1,
	.sack			= 1,
	.window_scaling		= 1,
	.rmem_max		= 6 << 20,
	.mem_max_kb		= 0,
	.max_orphans		= 65536,
	.challenge_ack_limit	= INT_MAX,	/* off: see ratelimit.c */
	.invalid_ratelimit_ms	= 500,
	.rack			= 1,
	.mtu_probing		= 0,
	.syncookies		= 1,		/* when the SYN queue is full */
	.congestion_control	= "cubic",
};

static const int zero, one = 1, two = 2, retries_max = 127;
static const int ms_max = 3600 * 1000;	/* an hour */
static const int delack_max = 500;	/* RFC 9293 3.8.6.3 */
static const int rmem_lo = 4096, rmem_hi = 1 << 30, int_max = INT_MAX;

/* Serializes writers and readers of the algorithm names. */
static DEFINE_SPINLOCK(vtcp_cong_name_lock);

#define VTCP_SYSCTL(name, lo, hi) {					\
	.procname	= #name,					\
	.data		= (void *)offsetof(struct vtcp_sysctl, name),	\
	.maxlen		= sizeof(int),					\
	.mode		= 0644,						\
	.proc_handler	= proc_dointvec_minmax,				\
	.extra1		= (void *)&(lo),				\
	.extra2		= (void *)&(hi),				\
}

/* The name of a registered algorithm, or EINVAL. */
static int proc_cong_name(VTCP_CTL_TABLE *table, int write, void *buffer,
			  size_t *lenp, loff_t *ppos)
{
	char name[VTCP_CONG_NAME_MAX];
	struct ctl_table tmp = {
		.data	= name,
		.maxlen	= sizeof(name),
	};
	int err;

	spin_lock_bh(&vtcp_cong_name_lock);
	strscpy(name, table->data, sizeof(name));
	spin_unlock_bh(&vtcp_cong_name_lock);
	err = proc_dostring(&tmp, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	if (!vtcp_cong_exists(name))
		return -EINVAL;
	spin_lock_bh(&vtcp_cong_name_lock);
	strscpy(table->data, name, VTCP_CONG_NAME_MAX);
	spin_unlock_bh(&vtcp_cong_name_lock);
	return 0;
}

/**
 * vtcp_default_cong() - the default congestion control of a namespace
 * @net: the namespace
 * @name: filled with its name, VTCP_CONG_NAME_MAX bytes
 *
 * Context: any context but hard interrupts; takes a spinlock.
 */
void vtcp_default_cong(struct net *net, char *name)
{
	spin_lock_bh(&vtcp_cong_name_lock);
	strscpy(name, vtcp_pernet(net)->sysctl.congestion_control,
		VTCP_CONG_NAME_MAX);
	spin_unlock_bh(&vtcp_cong_name_lock);
}

/* .data holds offsets into struct vtcp_sysctl until a namespace's copy. */
static const struct ctl_table vtcp_sysctl_template[] = {
	VTCP_SYSCTL(syn_retries,	one,  retries_max),
	VTCP_SYSCTL(synack_retries,	one,  retries_max),
	VTCP_SYSCTL(fin_retries,	one,  retries_max),
	VTCP_SYSCTL(data_retries,	one,  retries_max),
	VTCP_SYSCTL(msl_ms,		one,  ms_max),
	VTCP_SYSCTL(rto_initial_ms,	one,  ms_max),
	VTCP_SYSCTL(rto_min_ms,		one,  ms_max),
	VTCP_SYSCTL(rto_max_ms,		one,  ms_max),
	VTCP_SYSCTL(fin_timeout_ms,	one,  ms_max),
	VTCP_SYSCTL(delack_ms,		one,  delack_max),
	VTCP_SYSCTL(accept_tcp_csum,	zero, one),
	VTCP_SYSCTL(timestamps,		zero, one),
	VTCP_SYSCTL(sack,		zero, one),
	VTCP_SYSCTL(window_scaling,	zero, one),
	VTCP_SYSCTL(rmem_max,		rmem_lo, rmem_hi),
	VTCP_SYSCTL(mem_max_kb,		zero, int_max),
	VTCP_SYSCTL(max_orphans,	zero, int_max),
	VTCP_SYSCTL(challenge_ack_limit, one, int_max),
	VTCP_SYSCTL(invalid_ratelimit_ms, zero, ms_max),
	VTCP_SYSCTL(rack,		zero, one),
	VTCP_SYSCTL(mtu_probing,	zero, two),
	VTCP_SYSCTL(syncookies,		zero, two),
	{
		.procname	= "congestion_control",
		.data		= (void *)offsetof(struct vtcp_sysctl,
						   congestion_control),
		.maxlen		= VTCP_CONG_NAME_MAX,
		.mode		= 0644,
		.proc_handler	= proc_cong_name,
	},
	{ }	/* 6.1 needs the empty end entry; later kernels ignore it */
};

/* Limits of something all namespaces share: the initial namespace's. */
static const char * const vtcp_host_wide[] = {
	"max_orphans",		/* a count of every namespace's orphans */
};

static bool host_wide(const struct ctl_table *t)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vtcp_host_wide); i++)
		if (!strcmp(t->procname, vtcp_host_wide[i]))
			return true;
	return false;
}

/* Point @t's .data, an offset until now, at @net's setting. */
static void bind_setting(struct net *net, struct ctl_table *t)
{
	struct net *owner = host_wide(t) ? &init_net : net;

	t->data = (char *)&vtcp_pernet(owner)->sysctl + (uintptr_t)t->data;
	if (!net_eq(owner, net))
		t->mode = 0444;
}

static struct ctl_table_header *register_table(struct net *net,
					       struct ctl_table *t)
{
#if VTCP_HAVE_REGISTER_NET_SYSCTL_SZ
	return register_net_sysctl_sz(net, "net/vtcp", t,
				      ARRAY_SIZE(vtcp_sysctl_template) - 1);
#else
	return register_net_sysctl(net, "net/vtcp", t);
#endif
}

/**
 * vtcp_sysctl_net_init() - a namespace's settings and /proc/sys/net/vtcp/
 * @net: the namespace
 *
 * The settings start at their defaults; the table is the namespace's own.
 *
 * Context: process context, as the namespace is set up.
 * Return: 0, or -ENOMEM.
 */
int vtcp_sysctl_net_init(struct net *net)
{
	struct vtcp_net *vn = vtcp_pernet(net);
	struct ctl_table *t;
	int i;

	vn->sysctl = vtcp_sysctl_defaults;
	t = kmemdup(vtcp_sysctl_template, sizeof(vtcp_sysctl_template),
		    GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	for (i = 0; t[i].procname; i++)
		bind_setting(net, &t[i]);
	vn->sysctl_hdr = register_table(net, t);
	if (!vn->sysctl_hdr) {
		kfree(t);
		return -ENOMEM;
	}
	return 0;
}

/**
 * vtcp_sysctl_net_exit() - unregister a namespace's /proc/sys/net/vtcp/
 * @net: the namespace
 *
 * Context: process context, as the namespace is dismantled.
 */
void vtcp_sysctl_net_exit(struct net *net)
{
	struct ctl_table_header *hdr = vtcp_pernet(net)->sysctl_hdr;
	const struct ctl_table *t = hdr->ctl_table_arg;

	unregister_net_sysctl_table(hdr);
	kfree(t);
}
