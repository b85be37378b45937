// SPDX-License-Identifier: GPL-2.0
/*
 * modtrack: /sys/kernel/debug/modtrack/{stats,unloaded_tainted,status}.
 *
 * stats and unloaded_tainted print exactly what the kernel's
 * /sys/kernel/debug/modules/{stats,unloaded_tainted} print (6.4+ formats)
 * from modtrack's counters.  All files are read-only and have no ioctl or
 * mmap, so they stay readable under LOCKDOWN_DEBUGFS.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/debugfs.h>
#include <linux/errno.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/utsname.h>

#include "modtrack.h"

/* As kernel/module/stats.c */
#define MAX_PREAMBLE		1024
#define MAX_FAILED_MOD_PRINT	112
#define MAX_BYTES_PER_MOD	64

static struct dentry *mt_dir;

static const char *mt_dup_reason(u64 reasons)
{
	bool becoming = reasons & BIT_ULL(MODTRACK_DUP_BECOMING);
	bool load = reasons & BIT_ULL(MODTRACK_DUP_LOAD);

	if (becoming && load)
		return "Becoming & Load";
	if (becoming)
		return "Becoming";
	if (load)
		return "Load";
	return "Bug-on-stats";
}

#define MT_LINE(label, fmt, val)					\
	(len += scnprintf(buf + len, size - len, "%25s\t" fmt "\n",	\
			  label, val))

/*
 * The same lines, conditions and buffer size as read_file_mod_stats(),
 * so that a full table is cut off at the same place.
 */
static int mt_stats_show(struct seq_file *m, void *v)
{
	struct modtrack_state *st = &modtrack_state;
	struct mt_snapshot *snap;
	unsigned int len, size, count_failed = 0;
	u32 live_mod_count, fkreads, fdecompress, fbecoming, floads, idx;
	unsigned long total_size, text_size, ikread_bytes, ibecoming_bytes,
		idecompress_bytes, imod_bytes, total_virtual_lost;
	char *buf;

	mt_probes_update_missed();

	live_mod_count = (u32)atomic64_read(&st->modcount);
	fkreads = (u32)atomic64_read(&st->failed_kreads);
	fdecompress = (u32)atomic64_read(&st->failed_decompress);
	fbecoming = (u32)atomic64_read(&st->failed_becoming);
	floads = (u32)atomic64_read(&st->failed_load_modules);

	total_size = atomic64_read(&st->total_mod_size);
	text_size = atomic64_read(&st->total_text_size);
	ikread_bytes = atomic64_read(&st->invalid_kread_bytes);
	idecompress_bytes = atomic64_read(&st->invalid_decompress_bytes);
	ibecoming_bytes = atomic64_read(&st->invalid_becoming_bytes);
	imod_bytes = atomic64_read(&st->invalid_mod_bytes);

	total_virtual_lost = ikread_bytes + idecompress_bytes +
		ibecoming_bytes + imod_bytes;

	size = MAX_PREAMBLE + min((unsigned int)(floads + fbecoming),
				  (unsigned int)MAX_FAILED_MOD_PRINT) *
		MAX_BYTES_PER_MOD;
	buf = kzalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	snap = kvmalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap) {
		kfree(buf);
		return -ENOMEM;
	}
	mt_snapshot(snap);

	len = 0;
	MT_LINE("Mods ever loaded", "%u", live_mod_count);
	MT_LINE("Mods failed on kread", "%u", fkreads);
	MT_LINE("Mods failed on decompress", "%u", fdecompress);
	MT_LINE("Mods failed on becoming", "%u", fbecoming);
	MT_LINE("Mods failed on load", "%u", floads);
	MT_LINE("Total module size", "%lu", total_size);
	MT_LINE("Total mod text size", "%lu", text_size);
	MT_LINE("Failed kread bytes", "%lu", ikread_bytes);
	MT_LINE("Failed decompress bytes", "%lu", idecompress_bytes);
	MT_LINE("Failed becoming bytes", "%lu", ibecoming_bytes);
	MT_LINE("Failed kmod bytes", "%lu", imod_bytes);
	MT_LINE("Virtual mem wasted bytes", "%lu", total_virtual_lost);

	if (live_mod_count && total_size)
		MT_LINE("Average mod size", "%lu",
			DIV_ROUND_UP(total_size, live_mod_count));
	if (live_mod_count && text_size)
		MT_LINE("Average mod text size", "%lu",
			DIV_ROUND_UP(text_size, live_mod_count));
	if (fkreads && ikread_bytes)
		MT_LINE("Avg fail kread bytes", "%lu",
			DIV_ROUND_UP(ikread_bytes, fkreads));
	if (fbecoming && ibecoming_bytes)
		MT_LINE("Avg fail becoming bytes", "%lu",
			DIV_ROUND_UP(ibecoming_bytes, fbecoming));
	if (fdecompress && idecompress_bytes)
		MT_LINE("Avg fail decomp bytes", "%lu",
			DIV_ROUND_UP(idecompress_bytes, fdecompress));
	if (floads && imod_bytes)
		MT_LINE("Average fail load bytes", "%lu",
			DIV_ROUND_UP(imod_bytes, floads));

	if (snap->dupfail.head >= MODTRACK_NR_DUPFAIL)
		goto out;

	len += scnprintf(buf + len, size - len, "Duplicate failed modules:\n");
	len += scnprintf(buf + len, size - len, "%25s\t%15s\t%25s\n",
			 "Module-name", "How-many-times", "Reason");
	for (idx = snap->dupfail.head; idx < MODTRACK_NR_DUPFAIL;
	     idx = snap->dup[idx].next) {
		const struct modtrack_dupfail *e = &snap->dup[idx];

		if (++count_failed >= MAX_FAILED_MOD_PRINT)
			break;
		len += scnprintf(buf + len, size - len, "%25s\t%15lu\t%25s\n",
				 e->name, (unsigned long)e->count,
				 mt_dup_reason(e->reasons));
	}
out:
	seq_write(m, buf, len);
	kvfree(snap);
	kfree(buf);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mt_stats);

static int mt_unloaded_show(struct seq_file *m, void *v)
{
	struct mt_snapshot *snap;
	char taints[MT_TAINT_BUF];
	u32 idx;

	snap = kvmalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	mt_snapshot(snap);

	for (idx = snap->unloaded.head; idx < MODTRACK_NR_UNLOADED;
	     idx = snap->unl[idx].next) {
		const struct modtrack_unloaded *e = &snap->unl[idx];

		mt_taint_string(e->taints, taints);
		seq_printf(m, "%s (%s) %llu\n", e->name, taints, e->count);
	}
	kvfree(snap);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mt_unloaded);

/* modtrack's own view: what is attached, what was dropped or missed. */
static int mt_status_show(struct seq_file *m, void *v)
{
	struct modtrack_state *st = &modtrack_state;
	struct mt_snapshot *snap;

	snap = kvmalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	mt_snapshot(snap);
	mt_probes_update_missed();

	seq_printf(m, "layout_version: %u\n", st->layout_version);
	seq_printf(m, "state_size: %u\n", st->state_size);
	seq_printf(m, "release: %s\n", st->release);
	seq_printf(m, "flags: 0x%x\n", READ_ONCE(st->flags));
	seq_printf(m, "unloaded: %u of %u used, %llu dropped\n",
		   snap->unloaded.nr_used, snap->unloaded.cap,
		   snap->unloaded.dropped);
	seq_printf(m, "dupfail: %u of %u used, %llu dropped\n",
		   snap->dupfail.nr_used, snap->dupfail.cap,
		   snap->dupfail.dropped);
	seq_printf(m, "untracked_loads: %lld\n",
		   atomic64_read(&st->untracked_loads));
	seq_printf(m, "probe_missed: %lld\n",
		   atomic64_read(&st->probe_missed));
	mt_probes_show(m);
	kvfree(snap);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mt_status);

int mt_debugfs_init(void)
{
	mt_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(mt_dir)) {
		pr_warn("debugfs not available: %ld\n", PTR_ERR(mt_dir));
		mt_dir = NULL;
		return 0;
	}
	debugfs_create_file("stats", 0444, mt_dir, NULL, &mt_stats_fops);
	debugfs_create_file("unloaded_tainted", 0444, mt_dir, NULL,
			    &mt_unloaded_fops);
	debugfs_create_file("status", 0400, mt_dir, NULL, &mt_status_fops);
	return 0;
}

void mt_debugfs_exit(void)
{
	debugfs_remove(mt_dir);
	mt_dir = NULL;
}
