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

/**
 * vtcp_cong_register() - make a congestion control algorithm available by
 * name
 * @ops: the algorithm: ssthresh(), cong_avoid() and a name at least
 *
 * Sockets find it by @ops->name (VTCP_CONGESTION, the congestion_control
 * sysctl) and pin @ops->owner while they use it.
 *
 * Context: process context.
 * Return: 0, -EINVAL if @ops lacks what every algorithm needs, or -EEXIST if
 * the name is taken.
 */
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

/**
 * vtcp_cong_unregister() - withdraw a congestion control algorithm
 * @ops: an algorithm vtcp_cong_register() took
 *
 * No new socket finds it once this returns; those that use it hold its
 * module.
 *
 * Context: process context; sleeps (synchronize_rcu()).
 */
void vtcp_cong_unregister(struct vtcp_cong_ops *ops)
{
	spin_lock(&vtcp_cong_lock);
	list_del_rcu(&ops->list);
	spin_unlock(&vtcp_cong_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(vtcp_cong_unregister);

/**
 * vtcp_cong_exists() - is a congestion control algorithm of that name
 * registered?
 * @name: its name
 *
 * Context: any context.
 * Return: true if vtcp_cong_register() took an algorithm called @name.
 */
bool vtcp_cong_exists(const char *name)
{
	bool found;

	rcu_read_lock();
	found = find(name);
	rcu_read_unlock();
	return found;
}

/**
 * vtcp_cong_set() - take a congestion control algorithm for a socket
 * @sk: the socket
 * @name: the algorithm's name
 *
 * Pins the module that provides it, lets go of the one @sk had, and
 * initializes the new one.
 *
 * Context: @sk locked, or not yet visible to others.
 * Return: 0, or -ENOENT when no algorithm of that name is registered (or its
 * module is going away).
 */
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

/**
 * vtcp_cong_init_sock() - give a new socket its congestion control
 * @sk: a new socket, or a listener's clone
 *
 * A new socket takes its namespace's default (NewReno if that is gone); a
 * child keeps its listener's, with a module reference of its own.
 *
 * Context: @sk not yet visible to others.
 */
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

/**
 * vtcp_cong_release_sock() - let go of a socket's congestion control
 * @sk: the socket, being destroyed
 *
 * Context: @sk no longer used by anyone else.
 */
void vtcp_cong_release_sock(struct sock *sk)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);

	if (vsk->cc)
		module_put(vsk->cc->owner);
	vsk->cc = NULL;
}

/**
 * vtcp_cong_start() - start a connection's congestion control afresh
 * @sk: the socket, at the start of a connection
 *
 * Clears the algorithm's private state and runs its init().
 *
 * Context: @sk locked.
 */
void vtcp_cong_start(struct sock *sk)
{
	memset(vtcp_sk(sk)->cc_priv, 0, sizeof(vtcp_sk(sk)->cc_priv));
	if (vtcp_sk(sk)->cc->init)
		vtcp_sk(sk)->cc->init(sk);
}

/**
 * vtcp_slow_start() - grow the congestion window in slow start
 * @sk: the socket
 * @acked: bytes newly acknowledged
 *
 * Slow start (RFC 5681), counting bytes acked (RFC 3465) without its per-ACK
 * limit: one ACK may cover a whole offloaded burst, as for TCP. The window
 * grows by @acked, up to ssthresh.
 *
 * Context: @sk locked.
 * Return: the bytes of @acked left once the window reached ssthresh, for
 * congestion avoidance.
 */
u32 vtcp_slow_start(struct sock *sk, u32 acked)
{
	struct vtcp_sock *vsk = vtcp_sk(sk);
	u32 grow = min(acked, vsk->ssthresh - vsk->cwnd);

	vsk->cwnd += grow;
	return acked - min(acked, grow);
}

/**
 * vtcp_cong_init() - register the built-in algorithms, NewReno and CUBIC
 *
 * Context: process context, at module load.
 * Return: 0, or the negative errno of vtcp_cong_register().
 */
int vtcp_cong_init(void)
{
	int err = vtcp_cong_register(&vtcp_newreno);

	if (!err)
		err = vtcp_cong_register(&vtcp_cubic);
	if (err)
		vtcp_cong_exit();
	return err;
}

/**
 * vtcp_cong_exit() - unregister the built-in algorithms
 *
 * Context: process context, at module unload; sleeps.
 */
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
