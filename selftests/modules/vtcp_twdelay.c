// SPDX-License-Identifier: GPL-2.0
/*
 * A test module that holds the CPU for delay_ms as the kernel's TIME-WAIT
 * hashdance returns, for vtcp's timewait sockets only. The entry is
 * public by then (hashed, its references set), and its creator is not
 * done with it yet: a test can reach it from another CPU in that moment,
 * by a SYN for its 4-tuple or a SOCK_DESTROY (selftests/races.py).
 * "delayed" counts the hashdances held up.
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/string.h>
#include <net/inet_timewait_sock.h>

static unsigned int delay_ms = 200;
module_param(delay_ms, uint, 0644);
MODULE_PARM_DESC(delay_ms, "how long each vtcp hashdance is held up");

static atomic_t delayed = ATOMIC_INIT(0);

static int delayed_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&delayed));
}

static const struct kernel_param_ops delayed_ops = {
	.get = delayed_get,
};

module_param_cb(delayed, &delayed_ops, NULL, 0444);
MODULE_PARM_DESC(delayed, "hashdances held up so far");

/*
 * The hashdance's first argument is the timewait socket: is it vtcp's,
 * of IPv4 ("VTCP") or IPv6 ("VTCPv6")?
 */
static int on_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct inet_timewait_sock *tw;

	tw = (const void *)regs_get_kernel_argument(regs, 0);
	return strcmp(tw->tw_prot->name, "VTCP") &&
	       strcmp(tw->tw_prot->name, "VTCPv6") ? 1 : 0;
}

static int on_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic_inc(&delayed);
	mdelay(READ_ONCE(delay_ms));
	return 0;
}

static struct kretprobe probe = {
	.entry_handler	= on_entry,
	.handler	= on_return,
	.maxactive	= 16,
};

/* 6.10 merged the scheduling of the timer into the hashdance. */
static const char *const symbols[] = {
	"inet_twsk_hashdance_schedule",
	"inet_twsk_hashdance",
};

static int __init vtcp_twdelay_init(void)
{
	int i, err = -ENOENT;

	for (i = 0; i < ARRAY_SIZE(symbols) && err; i++) {
		probe.kp.symbol_name = symbols[i];
		probe.kp.addr = NULL;
		err = register_kretprobe(&probe);
	}
	if (!err)
		pr_info("vtcp_twdelay: %s held up %u ms\n",
			probe.kp.symbol_name, delay_ms);
	return err;
}

static void __exit vtcp_twdelay_exit(void)
{
	unregister_kretprobe(&probe);
}

module_init(vtcp_twdelay_init);
module_exit(vtcp_twdelay_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vtcp test: hold up the publication of TIME-WAIT entries");
