/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Segmentation offload (offload.c).
 */
#ifndef _VTCP_OFFLOAD_H
#define _VTCP_OFFLOAD_H

#include "vtcp.h"

int vtcp_offload_init(void);
void vtcp_offload_exit(void);
void vtcp_setup_caps(struct sock *sk, struct dst_entry *dst);

#endif /* _VTCP_OFFLOAD_H */
