/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sock_diag (inet_diag) dumps, lookups and SOCK_DESTROY (diag.c).
 */
#ifndef _VTCP_DIAG_H
#define _VTCP_DIAG_H

#include "vtcp.h"

int vtcp_diag_init(void);
void vtcp_diag_exit(void);
u64 vtcp_cookie(struct sock *sk);
int vtcp_abort(struct sock *sk, int err);

#endif /* _VTCP_DIAG_H */
