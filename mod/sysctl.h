/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The settings of /proc/sys/net/vtcp/, one set per namespace
 * (sysctl.c).
 */
#ifndef _VTCP_SYSCTL_H
#define _VTCP_SYSCTL_H

#include "vtcp.h"

void vtcp_default_cong(struct net *net, char *name);
int vtcp_sysctl_net_init(struct net *net);
void vtcp_sysctl_net_exit(struct net *net);

#endif /* _VTCP_SYSCTL_H */
