/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connection, listen and bind hash tables (hash.c).
 */
#ifndef _VTCP_HASH_H
#define _VTCP_HASH_H

#include "vtcp.h"

extern struct inet_hashinfo vtcp_hashinfo;

int vtcp_hashinfo_init(void);
void vtcp_hashinfo_destroy(void);

#endif /* _VTCP_HASH_H */
