// SPDX-License-Identifier: GPL-2.0
/* modcrash test-bed module: staging driver (taints C), left loaded */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/delay.h>
#include <linux/errno.h>

static int __init mc_init(void)
{
	return 0;
}

static void __exit mc_exit(void)
{
}

module_init(mc_init);
module_exit(mc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modcrash test bed: staging driver (taints C), left loaded");
MODULE_INFO(staging, "Y");
