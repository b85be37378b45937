// SPDX-License-Identifier: GPL-2.0
/* modcrash test-bed module: init fails with -ENODEV */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/delay.h>
#include <linux/errno.h>

static int __init mc_init(void)
{
	return -ENODEV;
}

static void __exit mc_exit(void)
{
}

module_init(mc_init);
module_exit(mc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modcrash test bed: init fails with -ENODEV");

