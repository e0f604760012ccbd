/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state machine (fsm.c); its events are in the uapi header.
 */
#ifndef _VTCP_FSM_H
#define _VTCP_FSM_H

#include "vtcp.h"

int vtcp_fsm(struct sock *sk, enum vtcp_fsm_event ev, struct sk_buff *skb);
int vtcp_tw_fsm(struct vtcp_tw_sock *vtw, enum vtcp_fsm_event ev,
		struct sk_buff *skb);
const char *vtcp_state_name(int state);

#endif /* _VTCP_FSM_H */
