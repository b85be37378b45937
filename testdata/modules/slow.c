// SPDX-License-Identifier: GPL-2.0
/* modcrash test-bed module: init sleeps so that concurrent duplicate loads collide */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/delay.h>
#include <linux/errno.h>

static int __init mc_init(void)
{
	msleep(1500);
	return 0;
}

static void __exit mc_exit(void)
{
}

module_init(mc_init);
module_exit(mc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modcrash test bed: init sleeps so that concurrent duplicate loads collide");

