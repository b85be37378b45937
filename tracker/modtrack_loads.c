// SPDX-License-Identifier: GPL-2.0
/*
 * modtrack: the classification of module loads in flight (the states and
 * the rules are described in modtrack_loads.h).  Called from the probe
 * handlers in modtrack_probes.c, in the context of the loading task.
 */

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <uapi/linux/module.h>

#include "modtrack.h"
#include "modtrack_loads.h"

static struct mt_load mt_loads[MT_NR_LOADS];
static atomic_t mt_nr_loads = ATOMIC_INIT(0);

struct mt_load *mt_load_find(const struct task_struct *task)
{
	int i;

	if (!atomic_read(&mt_nr_loads))
		return NULL;
	for (i = 0; i < MT_NR_LOADS; i++) {
		if (READ_ONCE(mt_loads[i].task) == task)
			return &mt_loads[i];
	}
	return NULL;
}

/*
 * The task's slot one level deeper, or a free slot claimed for it; NULL
 * (and counted in untracked_loads) when all slots are taken.
 */
struct mt_load *mt_load_enter(struct task_struct *task)
{
	struct mt_load *l = mt_load_find(task);
	int i;

	BUILD_BUG_ON(offsetof(struct mt_load, task) != 0);
	if (l) {
		l->depth++;
		return l;
	}
	for (i = 0; i < MT_NR_LOADS; i++) {
		l = &mt_loads[i];
		if (READ_ONCE(l->task) || cmpxchg(&l->task, NULL, task))
			continue;
		memset((char *)l + sizeof(l->task), 0,
		       sizeof(*l) - sizeof(l->task));
		l->depth = 1;
		atomic_inc(&mt_nr_loads);
		return l;
	}
	atomic64_inc(&modtrack_state.untracked_loads);
	return NULL;
}

void mt_load_exit(struct mt_load *l)
{
	if (--l->depth)
		return;
	atomic_dec(&mt_nr_loads);
	/* The slot's fields are done with before another task claims it. */
	smp_store_release(&l->task, NULL);
}

unsigned int mt_loads_in_flight(void)
{
	return atomic_read(&mt_nr_loads);
}

/* ---- init_module(2): the copy from user space ---------------------- */

struct mt_load *mt_init_module_enter(struct task_struct *task,
				     unsigned long len)
{
	struct mt_load *l = mt_load_enter(task);

	if (l)
		l->kread_len = len;
	return l;
}

/*
 * Failing before load_module(): may_init_module() (@not_permitted, not
 * counted) or copy_module_from_user(), which the kernel counts.
 */
void mt_init_module_return(struct mt_load *l, long ret, bool not_permitted)
{
	if (ret < 0 && !l->load_seen && !not_permitted) {
		atomic64_inc(&modtrack_state.failed_kreads);
		atomic64_add(l->kread_len, &modtrack_state.invalid_kread_bytes);
	}
	mt_load_exit(l);
}

/* ---- finit_module(2): the file read -------------------------------- */

struct mt_load *mt_from_file_enter(struct task_struct *task)
{
	return mt_load_enter(task);
}

/* 6.4+: a failure before decompression and load_module(); no bytes. */
void mt_from_file_return(struct mt_load *l, int ret)
{
	if (ret < 0 && !l->load_seen && !l->decompress_seen)
		atomic64_inc(&modtrack_state.failed_kreads);
	mt_load_exit(l);
}

/*
 * 6.1: __do_sys_finit_module() checks permission and flags, reads the
 * file and calls load_module().  The 6.4+ definition counts only the
 * read; -EBADF there is a bad descriptor, which 6.4+ rejects earlier.
 * -EINVAL is the flags check only when the flags are invalid; otherwise
 * it comes from the read (e.g. not a regular file), which 6.4+ counts.
 */
#define MT_FINIT_FLAGS	(MODULE_INIT_IGNORE_MODVERSIONS |		\
			 MODULE_INIT_IGNORE_VERMAGIC |			\
			 MODULE_INIT_COMPRESSED_FILE)

struct mt_load *mt_finit_enter(struct task_struct *task, int flags)
{
	struct mt_load *l = mt_load_enter(task);

	if (l)
		l->load_flags = flags;
	return l;
}

void mt_finit_return(struct mt_load *l, long ret, bool not_permitted)
{
	bool bad_flags = l->load_flags & ~MT_FINIT_FLAGS;

	if (ret < 0 && !l->load_seen && !(ret == -EINVAL && bad_flags) &&
	    ret != -EBADF && !not_permitted) {
		if ((l->load_flags & MODULE_INIT_COMPRESSED_FILE) &&
		    ret == -EOPNOTSUPP)
			atomic64_inc(&modtrack_state.failed_decompress);
		else
			atomic64_inc(&modtrack_state.failed_kreads);
	}
	mt_load_exit(l);
}

/* ---- module_decompress() ------------------------------------------- */

struct mt_load *mt_decompress_enter(struct task_struct *task,
				    unsigned long size)
{
	struct mt_load *l = mt_load_find(task);

	if (!l)
		return NULL;
	l->decompress_seen = true;
	l->compressed_len = size;
	return l;
}

void mt_decompress_return(struct mt_load *l, int ret)
{
	if (ret) {
		atomic64_inc(&modtrack_state.failed_decompress);
		atomic64_add(l->compressed_len,
			     &modtrack_state.invalid_decompress_bytes);
	}
}

/* ---- load_module() -------------------------------------------------- */

struct mt_load *mt_load_module_enter(struct task_struct *task,
				     const struct mt_load_info_head *info,
				     int flags)
{
	struct mt_load *l = mt_load_enter(task);

	if (!l)
		return NULL;
	l->info = info;
	l->load_flags = flags;
	l->load_seen = true;
	l->allocated = false;
	l->in_init = false;
	l->checks = 0;
	l->name[0] = '\0';
	return l;
}

void mt_load_module_return(struct mt_load *l, int ret, bool dup_emulated)
{
	struct modtrack_state *st = &modtrack_state;
	unsigned long len, extra = 0;

	/*
	 * load_module() ends in do_init_module(): init failures are not
	 * load failures (free_module() records them as unloads).
	 */
	if (ret >= 0 || l->in_init)
		goto out;

	/* info lives in the caller's frame; info->len is still valid. */
	len = READ_ONCE(l->info->len);
	if (l->load_flags & MODULE_INIT_COMPRESSED_FILE)
		extra = l->compressed_len;

	if (l->allocated) {
		atomic64_inc(&st->failed_load_modules);
		atomic64_add(2 * len + extra, &st->invalid_mod_bytes);
	} else {
		atomic64_inc(&st->failed_becoming);
		atomic64_add(len + extra, &st->invalid_becoming_bytes);
	}

	/*
	 * 6.1 has no duplicate tracking; its add_unformed_module() fails
	 * with -EEXIST when a live module has the same name.
	 */
	if (dup_emulated && ret == -EEXIST && l->allocated && l->name[0])
		mt_record_dupfail(l->name, MODTRACK_DUP_LOAD);
out:
	mt_load_exit(l);
}

/* ---- do_init_module(): from here on, failures are init failures ---- */

void mt_do_init_module(struct task_struct *task)
{
	struct mt_load *l = mt_load_find(task);

	if (l)
		l->in_init = true;
}

/* ---- duplicates ----------------------------------------------------- */

/*
 * module_patient_check_exists(name, reason) is called first from
 * early_mod_check() (reason BECOMING, name in the temporary copy) and,
 * once the module is allocated, from add_unformed_module() (reason LOAD,
 * name inside the new module).  Debian's build drops the unused reason
 * argument (.constprop.0), so the reason is inferred: from where the
 * name lives and, without that, from the call count.
 */
unsigned int mt_patient_check(struct task_struct *task,
			      enum mt_name_area area)
{
	struct mt_load *l = mt_load_find(task);
	bool load;

	if (l)
		l->checks++;
	if (area == MT_NAME_UNKNOWN)
		load = l && l->checks > 1;
	else
		load = area == MT_NAME_IN_MODULE;
	if (l && load)
		l->allocated = true;
	return load ? MODTRACK_DUP_LOAD : MODTRACK_DUP_BECOMING;
}

/* try_add_failed_module() ran iff the result is -EEXIST/-EBUSY */
void mt_patient_check_return(const char *name, unsigned int reason, int ret)
{
	if (ret == -EEXIST || ret == -EBUSY)
		mt_record_dupfail(name, reason);
}

/*
 * 6.1: find_module_all() is first called in a load from
 * add_unformed_module(), right after the module is allocated, with the
 * new module's name.
 */
struct mt_load *mt_find_module_all(struct task_struct *task)
{
	struct mt_load *l = mt_load_find(task);

	if (!l || !l->load_seen || l->in_init || l->allocated)
		return NULL;
	l->allocated = true;
	return l;
}

void mt_load_set_name(struct mt_load *l, const char *name, size_t len)
{
	len = min_t(size_t, len, sizeof(l->name) - 1);
	memcpy(l->name, name, len);
	l->name[len] = '\0';
}
