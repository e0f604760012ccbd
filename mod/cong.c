// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control algorithms, chosen by name: the namespace's default
 * (net.vtcp.congestion_control) at socket creation, or VTCP_CONGESTION.
 * NewReno and CUBIC are built in; another module can add its own with
 * vtcp_cong_register(), and is pinned while a socket uses it.
 */
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>

#include "vtcp.h"
#include "cong.h"
#include "sysctl.h"

static LIST_HEAD(vtcp_cong_list);
static DEFINE_SPINLOCK(vtcp_cong_lock);

static struct vtcp_cong_ops *find(const char *name)
{
	struct vtcp_cong_ops *ops;

	list_for_each_entry_rcu(ops, &vtcp_cong_list, list)
		if (!strcmp(ops->name, name))
			return ops;
	return NULL;
}

int vtcp_cong_register(struct vtcp_cong_ops *ops)
{
	int err = 0;

	if (!ops->ssthresh || !ops->cong_avoid || !ops->name[0])
		return -EINVAL;
	spin_lock(&vtcp_cong_lock);
	if (find(ops->name))
		err = -EEXIST;
	else
		list_add_tail_rcu(&ops->list, &vtcp_cong_list);
	spin_unlock(&vtcp_cong_lock);
	return err;
}
EXPORT_SYMBOL_GPL(vtcp_cong_register);

void vtcp_cong_unregister(struct vtcp_cong_ops *ops)
{
	spin_lock(&vtcp_cong_lock);
	list_del_rcu(&ops->list);
	spin_unlock(&vtcp_cong_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(vtcp_cong_unregister);

bool vtcp_cong_exists(const char *name)
{
	bool found;

	rcu_read_lock();
	found = find(name);
	rcu_read_unlock();
	return found;
}

/* Take @name for @sk, pinning the module that provides it. */
int vtcp_cong_set(struct sock *sk, const char *name)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	struct vtcp_cong_ops *ops;

	rcu_read_lock();
	ops = find(name);
	if (ops && !try_module_get(ops->owner))
		ops = NULL;
	rcu_read_unlock();
	if (!ops)
		return -ENOENT;
	if (vsk->cc)
		module_put(vsk->cc->owner);
	vsk->cc = ops;
	if (ops->init)
		ops->init(sk);
	return 0;
}

/* A new socket takes the default; a child keeps its listener's. */
void vtcp_cong_init_sock(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	char name[VTCP_CONG_NAME_MAX];

	if (vsk->cc && try_module_get(vsk->cc->owner))
		return;
	vsk->cc = NULL;
	vtcp_default_cong(sock_net(sk), name);
	if (vtcp_cong_set(sk, name))
		vsk->cc = &vtcp_newreno;
}

void vtcp_cong_release_sock(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	if (vsk->cc)
		module_put(vsk->cc->owner);
	vsk->cc = NULL;
}

/* A new connection starts the algorithm afresh. */
void vtcp_cong_start(struct sock *sk)
{
	memset(vtcp_sk(sk)->cc_priv, 0, sizeof(vtcp_sk(sk)->cc_priv));
	if (vtcp_sk(sk)->cc->init)
		vtcp_sk(sk)->cc->init(sk);
}

/*
 * Slow start (RFC 5681), counting bytes acked (RFC 3465) without its
 * per-ACK limit: one ACK may cover a whole offloaded burst, as for TCP.
 */
u32 vtcp_slow_start(struct sock *sk, u32 acked)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 grow = min(acked, vsk->ssthresh - vsk->cwnd);

	vsk->cwnd += grow;
	return acked - min(acked, grow);
}

int vtcp_cong_init(void)
{
	int err = vtcp_cong_register(&vtcp_newreno);

	if (!err)
		err = vtcp_cong_register(&vtcp_cubic);
	if (err)
		vtcp_cong_exit();
	return err;
}

void vtcp_cong_exit(void)
{
	struct vtcp_cong_ops *ops, *tmp;

	spin_lock(&vtcp_cong_lock);
	list_for_each_entry_safe(ops, tmp, &vtcp_cong_list, list)
		if (ops == &vtcp_newreno || ops == &vtcp_cubic)
			list_del_rcu(&ops->list);
	spin_unlock(&vtcp_cong_lock);
	synchronize_rcu();
}
