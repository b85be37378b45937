/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The body shared by the modcrash test-bed modules. Each .c file sets what makes it different
 * before including this: MC_LICENSE and MC_DESCRIPTION (required), MC_INIT_RESULT (default 0),
 * MC_INIT_SLEEP_MS (default 0), MC_INIT_HOOK (the name of an __init function of its own, defined
 * before this is included, that init calls last; a non-zero return is init's result), and any
 * MODULE_INFO()/MODULE_VERSION() lines of its own.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/delay.h>
#include <linux/errno.h>

#ifndef MC_INIT_RESULT
#define MC_INIT_RESULT 0
#endif
#ifndef MC_INIT_SLEEP_MS
#define MC_INIT_SLEEP_MS 0
#endif

static int __init mc_init(void)
{
	if (MC_INIT_SLEEP_MS)
		msleep(MC_INIT_SLEEP_MS);
#ifdef MC_INIT_HOOK
	{
		int err = MC_INIT_HOOK();

		if (err)
			return err;
	}
#endif
	return MC_INIT_RESULT;
}

static void __exit mc_exit(void)
{
}

module_init(mc_init);
module_exit(mc_exit);
MODULE_LICENSE(MC_LICENSE);
MODULE_DESCRIPTION("modcrash test bed: " MC_DESCRIPTION);
