// SPDX-License-Identifier: GPL-2.0
/*
 * vtcp: a TCP-style transport on its own IP protocol number.
 *
 * Module glue: the "proto" parameter, and registration with IP (the
 * protocol handler), with AF_INET (the SOCK_STREAM protosw; AF_INET6's
 * are in ipv6.c), with
 * network namespaces, generic netlink and sock_diag.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/protocol.h>
#include <net/sock.h>

#include "vtcp.h"
#include "cong.h"
#include "diag.h"
#include "hash.h"
#include "icmp.h"
#include "input.h"
#include "ipv6.h"
#include "memory.h"
#include "netlink.h"
#include "offload.h"
#include "output.h"
#include "socket.h"
#include "stats.h"
#include "sysctl.h"
#include "timewait.h"

static int proto = IPPROTO_VTCP;
module_param(proto, int, 0444);
MODULE_PARM_DESC(proto, "IP protocol number to run on (1-254, default 253)");

u8 vtcp_protocol;
unsigned int vtcp_net_id __read_mostly;

/* IPsec input policy: vtcp_rcv() checks it, with the socket's own. */
static const struct net_protocol vtcp_net_protocol = {
	.handler			= vtcp_rcv,
	.err_handler			= vtcp_err,
	.no_policy			= 1,
	.icmp_strict_tag_validation	= 1,
};

static struct inet_protosw vtcp_protosw = {
	.type		= SOCK_STREAM,
	.prot		= &vtcp_prot,
	.ops		= &vtcp_stream_ops,
	.flags		= INET_PROTOSW_ICSK,
};

/* A namespace may hold this many TIME-WAIT sockets (as TCP's default). */
#define VTCP_MAX_TW_BUCKETS	262144

static void tw_row_init(struct net *net)
{
	struct inet_timewait_death_row *row = &vtcp_pernet(net)->tw_row;

	refcount_set(&row->tw_refcount, 1);
	row->hashinfo = &vtcp_hashinfo;
	row->sysctl_max_tw_buckets = VTCP_MAX_TW_BUCKETS;
}

static int __net_init vtcp_net_init(struct net *net)
{
	int err;

	tw_row_init(net);
	vtcp_tw_net_init(net);
	err = vtcp_stats_net_init(net);
	if (err)
		return err;
	err = vtcp_sysctl_net_init(net);
	if (err)
		goto out_stats;
	err = vtcp_output_net_init(net);
	if (err)
		goto out_sysctl;
	return 0;

out_sysctl:
	vtcp_sysctl_net_exit(net);
out_stats:
	vtcp_stats_net_exit(net);
	return err;
}

static void __net_exit vtcp_net_exit(struct net *net)
{
	vtcp_tw_net_exit(net);
	WARN_ON_ONCE(!refcount_dec_and_test(&vtcp_pernet(net)->tw_row.tw_refcount));
	vtcp_output_net_exit(net);
	vtcp_sysctl_net_exit(net);
	vtcp_stats_net_exit(net);
}

static struct pernet_operations vtcp_net_ops = {
	.init	= vtcp_net_init,
	.exit	= vtcp_net_exit,
	.id	= &vtcp_net_id,
	.size	= sizeof(struct vtcp_net),
};

/* 0 is IPPROTO_IP (any) and 255 is IPPROTO_RAW: neither can be ours. */
static int check_proto_param(void)
{
	if (proto < 1 || proto > 254) {
		pr_err("proto=%d is out of range (1-254)\n", proto);
		return -EINVAL;
	}
	vtcp_protocol = proto;
	return 0;
}

static int __init vtcp_init(void)
{
	int err;

	err = check_proto_param();
	if (err)
		return err;
	err = vtcp_memory_init(&vtcp_prot);
	if (err)
		return err;
	err = vtcp_cong_init();
	if (err)
		goto out_memory;
	err = vtcp_hashinfo_init();
	if (err)
		goto out_cong;
	err = proto_register(&vtcp_prot, 1);
	if (err)
		goto out_hash;
	err = register_pernet_subsys(&vtcp_net_ops);
	if (err)
		goto out_proto;
	err = vtcp_genl_init();
	if (err)
		goto out_pernet;
	if (inet_add_protocol(&vtcp_net_protocol, vtcp_protocol) < 0) {
		pr_err("IP protocol %d is already taken\n", proto);
		err = -EBUSY;
		goto out_genl;
	}
	err = vtcp_diag_init();
	if (err) {
		pr_err("sock_diag of protocol %d is already taken\n", proto);
		goto out_inet;
	}
	if (vtcp_offload_init())
		pr_warn("no segmentation offload: IP protocol %d has one\n", proto);
	err = vtcp_ipv6_init();
	if (err)
		goto out_offload;
	vtcp_protosw.protocol = vtcp_protocol;
	inet_register_protosw(&vtcp_protosw);
	pr_info("registered on IP protocol %d (IPv4 and IPv6)\n", proto);
	return 0;

out_offload:
	vtcp_offload_exit();
	vtcp_diag_exit();
out_inet:
	inet_del_protocol(&vtcp_net_protocol, vtcp_protocol);
out_genl:
	vtcp_genl_exit();
out_pernet:
	unregister_pernet_subsys(&vtcp_net_ops);
out_proto:
	proto_unregister(&vtcp_prot);
out_hash:
	vtcp_hashinfo_destroy();
out_cong:
	vtcp_cong_exit();
out_memory:
	vtcp_memory_exit();
	return err;
}

static void __exit vtcp_exit(void)
{
	inet_unregister_protosw(&vtcp_protosw);
	vtcp_ipv6_exit();
	vtcp_offload_exit();
	vtcp_diag_exit();
	inet_del_protocol(&vtcp_net_protocol, vtcp_protocol);
	unregister_pernet_subsys(&vtcp_net_ops);
	vtcp_genl_exit();	/* after the last TIME-WAIT timer's event */
	proto_unregister(&vtcp_prot);
	vtcp_hashinfo_destroy();
	vtcp_cong_exit();
	vtcp_memory_exit();
}

module_init(vtcp_init);
module_exit(vtcp_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The vtcp developers");
MODULE_DESCRIPTION("A TCP-style transport on its own IP protocol number");
MODULE_VERSION(VTCP_VERSION);	/* the VERSION file, by Kbuild */
/*
 * socket(AF_INET, SOCK_STREAM, 253) loads us through request_module().
 * SOCK_STREAM (1) is an enum in the kernel, so it cannot be stringified.
 */
MODULE_ALIAS("net-pf-" __stringify(PF_INET) "-proto-" __stringify(IPPROTO_VTCP)
	     "-type-1");
MODULE_ALIAS("net-pf-" __stringify(PF_INET6) "-proto-" __stringify(IPPROTO_VTCP)
	     "-type-1");
