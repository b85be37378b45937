/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modtrack: internal interfaces between the source files.
 */
#ifndef MODTRACK_H
#define MODTRACK_H

#include <linux/module.h>
#include "modtrack_layout.h"

/* Taint string buffer: TAINT_FLAGS_COUNT letters + NUL, with margin. */
#define MT_TAINT_BUF		(MODTRACK_NR_TAINT + 1)

/* modtrack_main.c */
void mt_record_unloaded(const char *name, unsigned long taints);
void mt_record_dupfail(const char *name, unsigned int reason);
size_t mt_taint_string(u64 taints, char *buf);
void mt_set_flags(u32 set, u32 clear);

/* A consistent copy of both lists, taken under the state lock. */
struct mt_snapshot {
	struct modtrack_list unloaded;
	struct modtrack_list dupfail;
	struct modtrack_unloaded unl[MODTRACK_NR_UNLOADED];
	struct modtrack_dupfail dup[MODTRACK_NR_DUPFAIL];
};

void mt_snapshot(struct mt_snapshot *snap);

/* modtrack_print.c */
void mt_print_unloaded(bool force);

/* modtrack_probes.c */
int mt_probes_init(void);
void mt_probes_exit(void);
void mt_probes_update_missed(void);
struct seq_file;
void mt_probes_show(struct seq_file *m);

/* modtrack_debugfs.c */
int mt_debugfs_init(void);
void mt_debugfs_exit(void);

#endif /* MODTRACK_H */
