// SPDX-License-Identifier: GPL-2.0
/*
 * The TIME-WAIT actions of mod/timewait.c, which the state table names.
 * Not compiled against mod/vtcp.h: the socket they take is a pointer
 * whatever its type, so the table may hand them a full or a timewait one.
 */
void mock_record(const char *fmt, ...);

#define TW_ACTION(name)				\
	int name(void *sk, void *skb);		\
	int name(void *sk, void *skb)		\
	{					\
		mock_record(#name);		\
		return 0;			\
	}

TW_ACTION(vtcp_tw_reack)
TW_ACTION(vtcp_tw_ack)
TW_ACTION(vtcp_tw_kill)
TW_ACTION(vtcp_tw_reopen)
