/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A mock kernel, enough of it for mod/'s pure logic to compile and run in
 * userspace (as Homa's test/mock.c does for Homa): the types, the helper
 * macros and the structures mod/vtcp.h and the files that unit/Makefile
 * compiles use, with only the fields they touch. Every kernel header they
 * include (unit/mock/include/) leads here. Functions of other files of
 * the module, and of the kernel, are mock.c's: they record their calls.
 */
#ifndef _VTCP_UNIT_MOCK_H
#define _VTCP_UNIT_MOCK_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef u8 __u8;
typedef u16 __u16;
typedef u32 __u32;
typedef u64 __u64;
typedef u16 __be16;
typedef u32 __be32;
typedef u16 __sum16;
typedef u32 __wsum;
typedef unsigned int gfp_t;
typedef unsigned int __poll_t;
typedef int spinlock_t;
typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;
typedef struct { int dummy; } poll_table;

#define __user
#define __percpu
#define __aligned(x)	__attribute__((aligned(x)))
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define READ_ONCE(x)	(x)
#define WRITE_ONCE(x, v) ((x) = (v))
#define BIT(n)		(1UL << (n))
#define WARN_ON_ONCE(c)	({ bool _c = !!(c); if (_c) mock_warned++; _c; })
#define BUILD_BUG_ON(c)	_Static_assert(!(c), #c)
#define EXPORT_SYMBOL_GPL(sym)	extern typeof(sym) sym
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define sizeof_field(t, f) sizeof(((t *)0)->f)
#define container_of(p, t, m) ((t *)((char *)(p) - offsetof(t, m)))

#define U16_MAX		((u16)~0U)
#define U32_MAX		((u32)~0U)
#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL
#define USEC_PER_MSEC	1000U
#define MSEC_PER_SEC	1000U

#define min(a, b)	({ typeof(a) _a = (a); typeof(b) _b = (b); _a < _b ? _a : _b; })
#define max(a, b)	({ typeof(a) _a = (a); typeof(b) _b = (b); _a > _b ? _a : _b; })
#define min_t(t, a, b)	({ t _a = (a); t _b = (b); _a < _b ? _a : _b; })
#define max_t(t, a, b)	({ t _a = (a); t _b = (b); _a > _b ? _a : _b; })
#define clamp_t(t, v, lo, hi)	min_t(t, max_t(t, v, lo), hi)
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define roundup(x, y)	((((x) + (y) - 1) / (y)) * (y))
#define rounddown(x, y)	((x) - ((x) % (y)))
#define round_up(x, y)	((((x) - 1) | ((typeof(x))(y) - 1)) + 1)
#define round_down(x, y) ((x) & ~((typeof(x))(y) - 1))

static inline u64 div_u64(u64 a, u32 b) { return a / b; }
static inline s64 div64_s64(s64 a, s64 b) { return a / b; }

static inline u16 htons(u16 x) { return __builtin_bswap16(x); }
static inline u16 ntohs(u16 x) { return __builtin_bswap16(x); }
static inline u16 get_unaligned_be16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] << 8 | b[1]);
}

static inline u32 get_unaligned_be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static inline void put_unaligned_be16(u16 v, void *p)
{
	u8 *b = p;

	b[0] = v >> 8;
	b[1] = (u8)v;
}

static inline void put_unaligned_be32(u32 v, void *p)
{
	u8 *b = p;

	b[0] = v >> 24;
	b[1] = (u8)(v >> 16);
	b[2] = (u8)(v >> 8);
	b[3] = (u8)v;
}

extern int mock_warned;		/* WARN_ON_ONCE()s that fired */

/* Time: what the test sets. */
extern u64 mock_ns;
static inline u64 ktime_get_ns(void) { return mock_ns; }
static inline u64 ktime_get_real_ns(void) { return mock_ns; }
static inline s64 ktime_get_seconds(void) { return mock_ns / NSEC_PER_SEC; }

/* Lists, as the kernel's (only what mod/ uses). */
struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name)	{ &(name), &(name) }
#define LIST_HEAD(name)		struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l;
	l->prev = l;
}

static inline void mock_list_insert(struct list_head *n, struct list_head *prev,
				    struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *h)
{
	mock_list_insert(n, h, h->next);
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	mock_list_insert(n, h->prev, h);
}

static inline void list_del(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	e->next = NULL;
	e->prev = NULL;
}

static inline void list_del_init(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	INIT_LIST_HEAD(e);
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

static inline void list_move_tail(struct list_head *e, struct list_head *h)
{
	list_del_init(e);
	list_add_tail(e, h);
}

#define list_add_tail_rcu	list_add_tail
#define list_del_rcu		list_del
#define list_entry(p, t, m)	container_of(p, t, m)
#define list_for_each(pos, h) \
	for (pos = (h)->next; pos != (h); pos = pos->next)
#define list_for_each_safe(pos, n, h) \
	for (pos = (h)->next, n = pos->next; pos != (h); pos = n, n = pos->next)
#define list_for_each_entry(pos, h, m) \
	for (pos = list_entry((h)->next, typeof(*pos), m); &pos->m != (h); \
	     pos = list_entry(pos->m.next, typeof(*pos), m))
#define list_for_each_entry_rcu	list_for_each_entry
#define list_for_each_entry_safe(pos, n, h, m) \
	for (pos = list_entry((h)->next, typeof(*pos), m), \
	     n = list_entry(pos->m.next, typeof(*pos), m); &pos->m != (h); \
	     pos = n, n = list_entry(n->m.next, typeof(*n), m))

/* A binary search tree in the kernel's rbtree API (unbalanced: tests). */
struct rb_node {
	struct rb_node *rb_parent, *rb_left, *rb_right;
};

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_ROOT			((struct rb_root) { NULL })
#define RB_EMPTY_ROOT(r)	(!(r)->rb_node)

static inline void rb_link_node(struct rb_node *n, struct rb_node *parent,
				struct rb_node **link)
{
	n->rb_parent = parent;
	n->rb_left = NULL;
	n->rb_right = NULL;
	*link = n;
}

static inline void rb_insert_color(struct rb_node *n, struct rb_root *r) { }
void rb_erase(struct rb_node *n, struct rb_root *r);
struct rb_node *rb_first(const struct rb_root *r);
struct rb_node *rb_last(const struct rb_root *r);
struct rb_node *rb_next(const struct rb_node *n);
struct rb_node *rb_prev(const struct rb_node *n);

/* Locks, RCU and modules: one thread. */
#define DEFINE_SPINLOCK(x)	spinlock_t x
#define spin_lock(l)		((void)(l))
#define spin_unlock(l)		((void)(l))
#define rcu_read_lock()		do { } while (0)
#define rcu_read_unlock()	do { } while (0)
#define synchronize_rcu()	do { } while (0)
struct module;
#define THIS_MODULE		((struct module *)0)
#define try_module_get(m)	((void)(m), true)
#define module_put(m)		((void)(m))

/* Segments. */
struct skb_shared_info {
	u16 gso_size;
	u16 gso_segs;
};

struct net_device;
struct sk_buff {
	struct sk_buff *next, *prev;
	struct rb_node rbnode;
	struct net_device *dev;
	char cb[48] __aligned(8);
	unsigned int len;
	__be16 protocol;
	unsigned char *data;
	struct skb_shared_info mock_shinfo;
	unsigned char mock_head[128];	/* a header, options, for vtcp_hdr() */
};

struct sk_buff_head {
	struct sk_buff *next, *prev;
	u32 qlen;
};

#define skb_shinfo(skb)		(&(skb)->mock_shinfo)
#define skb_transport_header(skb) ((skb)->mock_head)
#define rb_to_skb(n) ({ struct rb_node *_n = (n); \
	_n ? container_of(_n, struct sk_buff, rbnode) : NULL; })
#define skb_rb_first(r)		rb_to_skb(rb_first(r))
#define skb_rb_last(r)		rb_to_skb(rb_last(r))
#define skb_rb_next(skb)	rb_to_skb(rb_next(&(skb)->rbnode))
#define skb_rb_prev(skb)	rb_to_skb(rb_prev(&(skb)->rbnode))

static inline struct sk_buff *skb_peek(const struct sk_buff_head *q)
{
	struct sk_buff *skb = q->next;

	return skb == (const struct sk_buff *)q ? NULL : skb;
}

static inline void __skb_unlink(struct sk_buff *skb, struct sk_buff_head *q)
{
	if (!skb->next)
		return;		/* never queued: a test's own segment */
	q->qlen--;
	skb->next->prev = skb->prev;
	skb->prev->next = skb->next;
	skb->next = NULL;
	skb->prev = NULL;
}

void consume_skb(struct sk_buff *skb);
struct sk_buff *mock_skb(u32 seq, u32 len);	/* calloc'ed, @len bytes */
void kfree_skb(struct sk_buff *skb);

#define ETH_P_IPV6	0x86DD

/* TCP's header and options, as the kernel's (little-endian bitfields). */
struct tcphdr {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	u16 res1:4, doff:4, fin:1, syn:1, rst:1, psh:1, ack:1, urg:1, ece:1,
	    cwr:1;
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
};

#define tcp_flag_byte(th)	(((u8 *)(th))[13])
#define TCPHDR_FIN	0x01
#define TCPHDR_SYN	0x02
#define TCPHDR_RST	0x04
#define TCPHDR_PSH	0x08
#define TCPHDR_ACK	0x10

#define TCPOPT_NOP		1
#define TCPOPT_EOL		0
#define TCPOPT_MSS		2
#define TCPOPT_WINDOW		3
#define TCPOPT_SACK_PERM	4
#define TCPOPT_SACK		5
#define TCPOPT_TIMESTAMP	8
#define TCPOLEN_MSS		4
#define TCPOLEN_WINDOW		3
#define TCPOLEN_SACK_PERM	2
#define TCPOLEN_TIMESTAMP	10
#define TCPOLEN_TSTAMP_ALIGNED	12
#define TCPOLEN_SACK_PERBLOCK	8
#define TCPOLEN_SACK_BASE	2
#define TCPOLEN_SACK_BASE_ALIGNED	4
#define TCPOLEN_SACKPERM_ALIGNED	4
#define TCPOLEN_WSCALE_ALIGNED	4
#define TCPOLEN_MSS_ALIGNED	4
#define TCP_NUM_SACKS		4
#define TCP_MAX_WSCALE		14U
#define TCP_MSS_DEFAULT		536U
#define TCP_INIT_CWND		10
#define TCP_BASE_MSS		1024
#define TCP_PROBE_THRESHOLD	8
#define TCP_FASTRETRANS_THRESH	3
#define TCP_CA_NAME_MAX		16
#define HZ			250
#define TCP_DELACK_MAX		((unsigned int)(HZ / 5))
#define TCP_KEEPALIVE_TIME	(120 * 60 * HZ)
#define TCP_KEEPALIVE_INTVL	(75 * HZ)
#define TCP_KEEPALIVE_PROBES	9
#define GSO_LEGACY_MAX_SIZE	65536U

enum {
	TCP_ESTABLISHED = 1,
	TCP_SYN_SENT,
	TCP_SYN_RECV,
	TCP_FIN_WAIT1,
	TCP_FIN_WAIT2,
	TCP_TIME_WAIT,
	TCP_CLOSE,
	TCP_CLOSE_WAIT,
	TCP_LAST_ACK,
	TCP_LISTEN,
	TCP_CLOSING,
	TCP_NEW_SYN_RECV,
	TCP_BOUND_INACTIVE,
	TCP_MAX_STATES
};

#define TCPF_ESTABLISHED	(1 << TCP_ESTABLISHED)
#define TCPF_FIN_WAIT1		(1 << TCP_FIN_WAIT1)
#define TCPF_FIN_WAIT2		(1 << TCP_FIN_WAIT2)
#define TCPF_CLOSE_WAIT		(1 << TCP_CLOSE_WAIT)

/* Sockets: the fields mod/ reads, the sock at the start of them all. */
struct net {
	int mock_id;
};

struct sock {
	unsigned char sk_state;
	u8 sk_shutdown;
	int sk_err_soft;
	int sk_rcvbuf;
	int sk_sndbuf;
	int sk_wmem_queued;
	atomic_t sk_rmem_alloc;
	unsigned long sk_flags;
	struct sk_buff_head sk_write_queue;
	struct net *sk_net;
	void (*sk_state_change)(struct sock *sk);
};

struct inet_sock {
	struct sock sk;
};

struct inet_connection_sock {
	struct inet_sock icsk_inet;
};

struct sock_common {
	u32 skc_tw_snd_nxt;
	u32 skc_tw_rcv_nxt;
};

struct inet_timewait_sock {
	struct sock_common __tw_common;
};

struct hrtimer {
	u64 mock_expires;
};

struct inet_timewait_death_row {
	int mock;
};

struct flowi {
	int mock;
};

#define RCV_SHUTDOWN	1
#define SEND_SHUTDOWN	2
enum { SOCK_DEAD, SOCK_DONE };
#define sock_flag(sk, f)	(!!((sk)->sk_flags & (1UL << (f))))
enum { SOCK_WAKE_IO, SOCK_WAKE_WAITD, SOCK_WAKE_SPACE, SOCK_WAKE_URG };
enum { POLL_IN = 1, POLL_OUT, POLL_MSG, POLL_ERR, POLL_PRI, POLL_HUP };

int inet_csk_listen_start(struct sock *sk);
void inet_csk_listen_stop(struct sock *sk);
void sk_wake_async(const struct sock *sk, int how, int band);

static inline struct net *sock_net(const struct sock *sk) { return sk->sk_net; }

/* Forward declarations: the types mod/vtcp.h names by pointer only. */
struct ctl_table_header;
struct dst_entry;
struct file;
struct in6_addr;
struct inet_hashinfo;
struct msghdr;
struct page;
struct pipe_inode_info;
struct proto;
struct proto_ops;
struct request_sock;
struct request_sock_ops;
struct sockaddr;
struct socket;
struct timewait_sock_ops;

/* Per-namespace state: one namespace. */
void *net_generic(const struct net *net, unsigned int id);
extern long mock_mib[];
#define SNMP_INC_STATS(mib, field)	((void)(mib), mock_mib[field]++)

/* The calls of mocked functions, "name(args) " each; mock_reset() empties. */
extern char mock_log[4096];
void mock_record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mock_reset(void);
extern int mock_fail_transmit, mock_transmits;
struct vtcp_sysctl *mock_vtcp_net_sysctl(void);	/* the namespace's */
void mock_sysctl_rack(int on);

/*
 * Tracepoints are not unit-tested: mod/trace.h, where a file includes it,
 * is left empty by its own include guards, and each trace_vtcp_*() that a
 * file under test calls needs a line here: #define trace_vtcp_x(...) do
 * { } while (0).
 */
#define _VTCP_TRACE_HELPERS
#define _VTCP_TRACE_H
#define trace_vtcp_retransmit(...)	do { } while (0)

#endif /* _VTCP_UNIT_MOCK_H */
