/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP options: reading, writing, and what we offer (options.c).
 */
#ifndef _VTCP_OPTIONS_H
#define _VTCP_OPTIONS_H

#include "vtcp.h"
#include "wire.h"

void vtcp_parse_options(const struct tcphdr *th, struct vtcp_opts *o);
unsigned int vtcp_options_len(const struct vtcp_opts *o);
void vtcp_write_options(u8 *p, const struct vtcp_opts *o);
void vtcp_offer_options(struct sock *sk);
u8 vtcp_wscale_for(const struct sock *sk);

#endif /* _VTCP_OPTIONS_H */
