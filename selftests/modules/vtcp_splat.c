// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose only job is to splat: loading it must make
 * scripts/vm-run fail, which proves the harness watches the kernel log.
 * "kind" picks the splat; all but "warn" need the debug kernel's checkers
 * (scripts/debug-kernel), and "leak" shows only once kmemleak scans.
 */
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>

static char *kind = "warn";
module_param(kind, charp, 0444);
MODULE_PARM_DESC(kind, "warn, kasan, ubsan, lockdep, odebug or leak");

static DEFINE_MUTEX(splat_a);
static DEFINE_MUTEX(splat_b);

static int splat_kasan(void)
{
	char *p = kmalloc(32, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	kfree(p);
	OPTIMIZER_HIDE_VAR(p);
	pr_info("vtcp_splat: %d read after free\n", READ_ONCE(p[0]));
	return 0;
}

static int splat_ubsan(void)
{
	int shift = 40;

	OPTIMIZER_HIDE_VAR(shift);
	pr_info("vtcp_splat: 1 << %d is %d\n", shift, 1 << shift);
	return 0;
}

/* A then B, later B then A: lockdep sees the cycle without a deadlock. */
static int splat_lockdep(void)
{
	mutex_lock(&splat_a);
	mutex_lock(&splat_b);
	mutex_unlock(&splat_b);
	mutex_unlock(&splat_a);

	mutex_lock(&splat_b);
	mutex_lock(&splat_a);
	mutex_unlock(&splat_a);
	mutex_unlock(&splat_b);
	return 0;
}

static void splat_timer_fn(struct timer_list *t)
{
}

/* Freeing an armed timer: debug objects report it and disarm it. */
static int splat_odebug(void)
{
	struct timer_list *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	timer_setup(t, splat_timer_fn, 0);
	mod_timer(t, jiffies + 3600 * HZ);
	kfree(t);
	return 0;
}

/* Nothing points to the buffer once this returns. */
static int splat_leak(void)
{
	void *p = kmalloc(128, GFP_KERNEL);

	return p ? 0 : -ENOMEM;
}

static int __init vtcp_splat_init(void)
{
	if (!strcmp(kind, "kasan"))
		return splat_kasan();
	if (!strcmp(kind, "ubsan"))
		return splat_ubsan();
	if (!strcmp(kind, "lockdep"))
		return splat_lockdep();
	if (!strcmp(kind, "odebug"))
		return splat_odebug();
	if (!strcmp(kind, "leak"))
		return splat_leak();
	WARN_ON(1);
	return 0;
}

static void __exit vtcp_splat_exit(void)
{
}

module_init(vtcp_splat_init);
module_exit(vtcp_splat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vtcp harness self-test: a deliberate splat on load");
