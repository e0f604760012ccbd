// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose only job is to splat: loading it must make
 * scripts/vm-run fail, which proves the harness watches the kernel log.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init vtcp_splat_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit vtcp_splat_exit(void)
{
}

module_init(vtcp_splat_init);
module_exit(vtcp_splat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vtcp harness self-test: a deliberate WARN_ON on load");
