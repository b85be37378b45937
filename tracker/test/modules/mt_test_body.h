/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Body of the modtrack test modules.  Each mt_test_*.c includes it, so
 * that the same code loads under several names.
 *
 *   fail_init=1         init returns -ENODEV: free_module() runs, and the
 *                       kernel records the (tainted) module as unloaded
 *   init_delay_ms=N     init sleeps N ms first: duplicate loads started
 *                       meanwhile wait for it and then fail
 *   oops_init=1         init dereferences NULL: an oops, for modtrack's
 *                       die notifier (a panic too with panic_on_oops=1)
 */
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/module.h>

static bool fail_init;
module_param(fail_init, bool, 0444);
MODULE_PARM_DESC(fail_init, "make init fail with -ENODEV");

static uint init_delay_ms;
module_param(init_delay_ms, uint, 0444);
MODULE_PARM_DESC(init_delay_ms, "sleep this long in init");

static bool oops_init;
module_param(oops_init, bool, 0444);
MODULE_PARM_DESC(oops_init, "dereference NULL in init (crash test)");

static int *mt_test_null;	/* stays NULL */

static int __init mt_test_init(void)
{
	if (oops_init)
		return READ_ONCE(*mt_test_null);
	if (init_delay_ms)
		msleep(init_delay_ms);
	return fail_init ? -ENODEV : 0;
}

static void __exit mt_test_exit(void)
{
}

module_init(mt_test_init);
module_exit(mt_test_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modtrack test module");
