/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modtrack: the classification of module loads in flight.
 *
 * A load is one module-loading system call of one task.  The outermost
 * probed loader function of the task claims a slot (struct mt_load), the
 * inner ones mark in it how far the load got, and the return values decide
 * what is counted, as kernel/module/stats.c counts it (6.4+; the same
 * definitions applied to 6.1's loader):
 *
 *   read the image        init_module(2) copy, or the file read of
 *                         finit_module(2)        failing: kread failure
 *   decompress            module_decompress()    failing: decompress failure
 *   load_module()         before the module is allocated
 *                                                failing: becoming failure
 *   allocated             seen from the duplicate check (6.4+) or the first
 *                         find_module_all() (6.1)
 *                                                failing: load failure
 *   do_init_module()      from here on failures are init failures, which
 *                         are unloads (free_module()), not load failures
 *
 * Duplicates: on 6.4+ module_patient_check_exists() returning -EEXIST or
 * -EBUSY is exactly when the kernel records a duplicate; on 6.1 a
 * load_module() failing with -EEXIST after allocation is recorded as one.
 *
 * This file has no probes: modtrack_probes.c registers them and calls one
 * function here per probe hit, with the values the probe read (arguments,
 * return value, the calling task).  Only the owning task touches a slot
 * after claiming it.  Everything here is plain C over modtrack_state, so
 * test/userspace drives it on the host.
 */
#ifndef MODTRACK_LOADS_H
#define MODTRACK_LOADS_H

#include <linux/module.h>
#include <linux/types.h>

#define MT_NR_LOADS		64	/* loads in flight we can classify */

struct task_struct;

/*
 * The start of struct load_info (kernel/module/internal.h, not in the
 * headers package).  Unchanged from 4.x to 6.12: name, mod, hdr, len.
 */
struct mt_load_info_head {
	const char *name;
	void *mod;
	void *hdr;
	unsigned long len;
};

struct mt_load {
	struct task_struct *task;	/* owner, NULL when free; first */
	unsigned int depth;		/* nested probed functions */
	unsigned int checks;		/* patient-check calls seen */
	const struct mt_load_info_head *info;
	unsigned long kread_len;	/* init_module(2) len */
	unsigned long compressed_len;	/* module_decompress() size */
	int load_flags;			/* load_module() flags */
	bool load_seen;
	bool decompress_seen;
	bool allocated;
	bool in_init;
	char name[MODULE_NAME_LEN];
};

/* Where module_patient_check_exists() found the name it checks. */
enum mt_name_area {
	MT_NAME_IN_IMAGE,	/* the file image: before allocation */
	MT_NAME_IN_MODULE,	/* the module area: the new module */
	MT_NAME_UNKNOWN,	/* no MODULES_VADDR: go by the call count */
};

/* The slots; the lookup of a task's slot. */
struct mt_load *mt_load_find(const struct task_struct *task);
struct mt_load *mt_load_enter(struct task_struct *task);
void mt_load_exit(struct mt_load *l);
unsigned int mt_loads_in_flight(void);

/*
 * One function per probe hit.  *_enter() return the task's slot, or NULL
 * when there is none (table full, or no load in flight): then the probe
 * skips its return handler, and *_return() is not called.
 */

/* init_module(2): len is its second argument */
struct mt_load *mt_init_module_enter(struct task_struct *task,
				     unsigned long len);
void mt_init_module_return(struct mt_load *l, long ret, bool not_permitted);

/* 6.4+ init_module_from_file(): file read, decompression, load_module() */
struct mt_load *mt_from_file_enter(struct task_struct *task);
void mt_from_file_return(struct mt_load *l, int ret);

/* 6.1 finit_module(2): flags is its third argument */
struct mt_load *mt_finit_enter(struct task_struct *task, int flags);
void mt_finit_return(struct mt_load *l, long ret, bool not_permitted);

/* module_decompress(info, buf, size); only inside a load in flight */
struct mt_load *mt_decompress_enter(struct task_struct *task,
				    unsigned long size);
void mt_decompress_return(struct mt_load *l, int ret);

/*
 * load_module(info, uargs, flags).  @dup_emulated: 6.1, where -EEXIST
 * after allocation is the kernel's duplicate check.
 */
struct mt_load *mt_load_module_enter(struct task_struct *task,
				     const struct mt_load_info_head *info,
				     int flags);
void mt_load_module_return(struct mt_load *l, int ret, bool dup_emulated);

/* do_init_module() entry */
void mt_do_init_module(struct task_struct *task);

/*
 * 6.4+ module_patient_check_exists(name, reason) entry: returns the
 * reason (MODTRACK_DUP_*) to record if it fails; its return value goes
 * to mt_patient_check_return() with the name the probe copied.
 */
unsigned int mt_patient_check(struct task_struct *task,
			      enum mt_name_area area);
void mt_patient_check_return(const char *name, unsigned int reason, int ret);

/*
 * 6.1 find_module_all() entry: the first call inside load_module() is the
 * one right after allocation.  Returns the slot whose name the probe then
 * sets with mt_load_set_name() (the name being checked), or NULL for
 * every other call.
 */
struct mt_load *mt_find_module_all(struct task_struct *task);
void mt_load_set_name(struct mt_load *l, const char *name, size_t len);

#endif /* MODTRACK_LOADS_H */
