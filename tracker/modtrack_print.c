// SPDX-License-Identifier: GPL-2.0
/*
 * modtrack: the "Unloaded tainted modules:" record for oops and panic.
 *
 * No pr_fmt prefix here: the record looks like the one print_modules()
 * prints on kernels with CONFIG_MODULE_UNLOAD_TAINT_TRACKING.  That one
 * is printed at KERN_DEFAULT, which Debian's kernels store as level 4,
 * the level of pr_warn().
 */

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "modtrack.h"

/*
 * Below printk's limit for one record (1024 bytes less its prefix).  A
 * longer list goes on in further records that start with " name(...)",
 * which is also what pr_cont() does when a record is full.
 */
#define MT_LINE_MAX	896

static char mt_line[MT_LINE_MAX];
static atomic_t mt_line_busy = ATOMIC_INIT(0);

/*
 * Called from the die and panic notifiers: atomic context, maybe with
 * mt_lock held by the CPU that crashed.  So no lock: entries are complete
 * before the release store that publishes them, are never removed, and
 * each entry's next index is smaller than its own, so the walk ends.
 * @force: take the line buffer even if it looks busy (panic: the other
 * CPUs are stopped; the holder may have died while printing).
 */
void mt_print_unloaded(bool force)
{
	struct modtrack_state *st = &modtrack_state;
	char taints[MT_TAINT_BUF];
	char item[MODTRACK_NAME_LEN + MT_TAINT_BUF + 32];
	size_t len;
	u32 idx, n;
	int l;

	/* Pairs with the smp_store_release() that publishes an entry. */
	idx = smp_load_acquire(&st->unloaded.head);
	if (idx >= MODTRACK_NR_UNLOADED)
		return;
	/* One CPU at a time; a second oopsing CPU leaves it to the first. */
	if (atomic_cmpxchg(&mt_line_busy, 0, 1) && !force)
		return;

	len = strscpy(mt_line, "Unloaded tainted modules:", sizeof(mt_line));
	for (n = 0; idx < MODTRACK_NR_UNLOADED && n < MODTRACK_NR_UNLOADED;
	     n++) {
		const struct modtrack_unloaded *e = &st->unloaded_pool[idx];

		mt_taint_string(READ_ONCE(e->taints), taints);
		l = scnprintf(item, sizeof(item), " %.*s(%s):%llu",
			      MODTRACK_NAME_LEN, e->name, taints,
			      READ_ONCE(e->count));
		if (len + l >= sizeof(mt_line)) {
			pr_warn("%s\n", mt_line);
			len = 0;
		}
		memcpy(mt_line + len, item, l + 1);
		len += l;
		idx = READ_ONCE(e->next);
	}
	pr_warn("%s\n", mt_line);
	atomic_set_release(&mt_line_busy, 0);
}
