// SPDX-License-Identifier: GPL-2.0
/*
 * A congestion control algorithm from outside vtcp, as a module adds one
 * through cong.c's exported interface: "selftest", registered at load,
 * withdrawn at unload. It halves the flight on loss and grows the window
 * by what each ACK acknowledges; "acks" counts its cong_avoid() calls, so
 * a test can tell it was used (api.py).
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/sysfs.h>

#include "../../mod/cong.h"

static atomic_t acks = ATOMIC_INIT(0);

static int acks_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&acks));
}

static const struct kernel_param_ops acks_ops = {
	.get = acks_get,
};

module_param_cb(acks, &acks_ops, NULL, 0444);
MODULE_PARM_DESC(acks, "ACKs of new data seen in congestion avoidance");

static u32 selftest_ssthresh(struct sock *sk)
{
	const struct vtcp_sock *vsk = vtcp_sk(sk);

	return max((vsk->snd_nxt - vsk->snd_una) / 2, 2U * vsk->mss);
}

static void selftest_cong_avoid(struct sock *sk, u32 acked)
{
	atomic_inc(&acks);
	vtcp_sk(sk)->cwnd += acked;
}

static struct vtcp_cong_ops selftest_cong = {
	.name		= "selftest",
	.owner		= THIS_MODULE,
	.ssthresh	= selftest_ssthresh,
	.cong_avoid	= selftest_cong_avoid,
};

static int __init selftest_cong_init(void)
{
	return vtcp_cong_register(&selftest_cong);
}

static void __exit selftest_cong_exit(void)
{
	vtcp_cong_unregister(&selftest_cong);
}

module_init(selftest_cong_init);
module_exit(selftest_cong_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vtcp selftest: a congestion control module of its own");
