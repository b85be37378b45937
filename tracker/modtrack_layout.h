/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modtrack: the state that post-mortem tools read out of a crash dump.
 *
 * Everything a dump reader needs is in one object, the global symbol
 * modtrack_state.  It describes itself (magic, layout version, sizes and
 * a table of named field offsets), so a reader needs neither this header
 * nor the module's debug info.  LAYOUT.md documents every byte; the
 * BUILD_BUG_ON()s in modtrack_main.c pin the offsets written there.
 */
#ifndef MODTRACK_LAYOUT_H
#define MODTRACK_LAYOUT_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/atomic.h>

#define MODTRACK_MAGIC			"MODTRACK"	/* 8 bytes, no NUL */
#define MODTRACK_LAYOUT_VERSION		1

#define MODTRACK_NAME_LEN		56	/* MODULE_NAME_LEN on 64-bit */
#define MODTRACK_NR_UNLOADED		256
#define MODTRACK_NR_DUPFAIL		128
#define MODTRACK_NR_TAINT		32
#define MODTRACK_NR_FIELDS		56
#define MODTRACK_FIELD_NAME_LEN		32
#define MODTRACK_RELEASE_LEN		64
#define MODTRACK_NIL			0xffffffffU	/* end of an index list */

/* modtrack_field.scope: what .offset is relative to */
#define MODTRACK_SCOPE_STATE		0	/* start of modtrack_state */
#define MODTRACK_SCOPE_UNLOADED		1	/* start of one unloaded entry */
#define MODTRACK_SCOPE_DUPFAIL		2	/* start of one dupfail entry */

/* modtrack_field.type */
#define MODTRACK_TYPE_U32		1
#define MODTRACK_TYPE_U64		2	/* also atomic64_t */
#define MODTRACK_TYPE_CHARS		3	/* NUL-terminated char[size] */
#define MODTRACK_TYPE_INDEX		4	/* u32 pool index or NIL */
#define MODTRACK_TYPE_POOL		5	/* array of entries */
#define MODTRACK_TYPE_BYTES		6	/* u8[size] */
#define MODTRACK_TYPE_FIELDS		7	/* the field table itself */

/* modtrack_state.flags */
#define MODTRACK_F_READY		BIT(0) /* init finished */
#define MODTRACK_F_UNLOAD_TP		BIT(1) /* module_free attached */
#define MODTRACK_F_LIVE_NOTIFIER	BIT(2) /* load counters valid */
#define MODTRACK_F_LOAD_PROBES		BIT(3) /* failure kretprobes */
#define MODTRACK_F_DUP_PROBE		BIT(4) /* patient-check probe */
#define MODTRACK_F_DUP_EMULATED		BIT(5) /* 6.1: dups from -EEXIST */
#define MODTRACK_F_DECOMPRESS_PROBE	BIT(6) /* module_decompress */
#define MODTRACK_F_KREAD_PROBES		BIT(7) /* syscall/file probes */
#define MODTRACK_F_EXITING		BIT(8) /* module is unloading */
#define MODTRACK_F_DIE_NOTIFIER		BIT(9)
#define MODTRACK_F_PANIC_NOTIFIER	BIT(10)
#define MODTRACK_F_UNLOAD_NOTIFIER	BIT(11) /* no tracepoint: GOING */

/* modtrack_dupfail.reasons: bit numbers as enum fail_dup_mod_reason */
#define MODTRACK_DUP_BECOMING		0
#define MODTRACK_DUP_LOAD		1

struct modtrack_field {				/* 48 bytes */
	char name[MODTRACK_FIELD_NAME_LEN];	/*  0 NUL-padded */
	u16 scope;				/* 32 MODTRACK_SCOPE_* */
	u16 type;				/* 34 MODTRACK_TYPE_* */
	u32 offset;				/* 36 bytes from scope base */
	u32 size;				/* 40 bytes */
	u32 reserved;				/* 44 zero */
};

struct modtrack_unloaded {			/* 80 bytes */
	char name[MODTRACK_NAME_LEN];		/*  0 */
	u64 taints;				/* 56 mod->taints bits */
	u64 count;				/* 64 */
	u32 next;				/* 72 next older entry or NIL */
	u32 reserved;				/* 76 zero */
};

struct modtrack_dupfail {			/* 80 bytes */
	char name[MODTRACK_NAME_LEN];		/*  0 */
	u64 count;				/* 56 */
	u64 reasons;				/* 64 bit MODTRACK_DUP_* */
	u32 next;				/* 72 next older entry or NIL */
	u32 reserved;				/* 76 zero */
};

struct modtrack_list {				/* 24 bytes */
	u32 head;				/*  0 newest entry or NIL */
	u32 nr_used;				/*  4 pool[0..nr_used) in use */
	u32 cap;				/*  8 pool capacity */
	u32 entry_size;				/* 12 sizeof one entry */
	u64 dropped;				/* 16 not recorded: pool full */
};

struct modtrack_state {
	/* identification, identical in every layout version */
	char magic[8];				/*   0 "MODTRACK" */
	u32 layout_version;			/*   8 */
	u32 header_size;			/*  12 offsetof(unloaded_pool) */
	u32 state_size;				/*  16 sizeof(modtrack_state) */
	u32 field_size;				/*  20 sizeof(modtrack_field) */
	u32 nr_fields;				/*  24 used fields[] entries */
	u32 fields_offset;			/*  28 offsetof(fields) */

	u64 seq;				/*  32 odd while a list changes */
	u32 flags;				/*  40 MODTRACK_F_* */
	u32 linux_version_code;			/*  44 of release, see LAYOUT.md */
	char release[MODTRACK_RELEASE_LEN];	/*  48 uname -r at load */

	/* taint letters as module_flags_taint() of that kernel prints them */
	u32 nr_taint_flags;			/* 112 TAINT_FLAGS_COUNT */
	u32 taint_module_mask;			/* 116 bits it prints */
	char taint_letters[MODTRACK_NR_TAINT];	/* 120 c_true per bit */

	/* counters: names and meaning as kernel/module/stats.c */
	atomic64_t modcount;			/* 152 */
	atomic64_t failed_kreads;		/* 160 */
	atomic64_t failed_decompress;		/* 168 */
	atomic64_t failed_becoming;		/* 176 */
	atomic64_t failed_load_modules;		/* 184 */
	atomic64_t total_mod_size;		/* 192 */
	atomic64_t total_text_size;		/* 200 */
	atomic64_t invalid_kread_bytes;		/* 208 */
	atomic64_t invalid_decompress_bytes;	/* 216 */
	atomic64_t invalid_becoming_bytes;	/* 224 */
	atomic64_t invalid_mod_bytes;		/* 232 */
	/* loads seen but not classified (tracking table full) */
	atomic64_t untracked_loads;		/* 240 */
	/* kretprobe misses summed at the last update */
	atomic64_t probe_missed;		/* 248 */

	struct modtrack_list unloaded;		/* 256 */
	struct modtrack_list dupfail;		/* 280 */

	struct modtrack_field fields[MODTRACK_NR_FIELDS];	/* 304 */

	struct modtrack_unloaded unloaded_pool[MODTRACK_NR_UNLOADED];
							/* 2992 */
	struct modtrack_dupfail dupfail_pool[MODTRACK_NR_DUPFAIL];
							/* 23472 */
};						/* sizeof 33712 */

extern struct modtrack_state modtrack_state;

#endif /* MODTRACK_LAYOUT_H */
