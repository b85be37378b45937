// SPDX-License-Identifier: GPL-2.0
/*
 * modtrack: unloaded tainted modules and module load statistics for
 * kernels built without CONFIG_MODULE_UNLOAD_TAINT_TRACKING and
 * CONFIG_MODULE_STATS.
 *
 * This file owns the state (struct modtrack_state), the two bounded
 * lists inside it, the taint letters, and the oops/panic notifiers.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/bits.h>
#include <linux/kdebug.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/printk.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/utsname.h>

#include "modtrack.h"

#define MT_FIELD(nm, sc, ty, st, member) {			\
	.name = nm,						\
	.scope = sc,						\
	.type = ty,						\
	.offset = offsetof(st, member),				\
	.size = sizeof_field(st, member),			\
}

#define MT_SF(ty, member) \
	MT_FIELD(#member, MODTRACK_SCOPE_STATE, ty, struct modtrack_state, member)
#define MT_UF(ty, member) \
	MT_FIELD(#member, MODTRACK_SCOPE_UNLOADED, ty,		\
		 struct modtrack_unloaded, member)
#define MT_DF(ty, member) \
	MT_FIELD(#member, MODTRACK_SCOPE_DUPFAIL, ty,		\
		 struct modtrack_dupfail, member)

/*
 * The used entries of the field table (LAYOUT.md section 3): the
 * initializer of modtrack_state.fields.  nr_fields is their number, the
 * ARRAY_SIZE() of the same list, so it cannot be miscounted.
 */
#define MT_FIELDS_USED {					\
	MT_SF(MODTRACK_TYPE_BYTES, magic),			\
	MT_SF(MODTRACK_TYPE_U32, layout_version),		\
	MT_SF(MODTRACK_TYPE_U32, header_size),			\
	MT_SF(MODTRACK_TYPE_U32, state_size),			\
	MT_SF(MODTRACK_TYPE_U32, field_size),			\
	MT_SF(MODTRACK_TYPE_U32, nr_fields),			\
	MT_SF(MODTRACK_TYPE_U32, fields_offset),		\
	MT_SF(MODTRACK_TYPE_U64, seq),				\
	MT_SF(MODTRACK_TYPE_U32, flags),			\
	MT_SF(MODTRACK_TYPE_U32, linux_version_code),		\
	MT_SF(MODTRACK_TYPE_CHARS, release),			\
	MT_SF(MODTRACK_TYPE_U32, nr_taint_flags),		\
	MT_SF(MODTRACK_TYPE_U32, taint_module_mask),		\
	MT_SF(MODTRACK_TYPE_BYTES, taint_letters),		\
	MT_SF(MODTRACK_TYPE_U64, modcount),			\
	MT_SF(MODTRACK_TYPE_U64, failed_kreads),		\
	MT_SF(MODTRACK_TYPE_U64, failed_decompress),		\
	MT_SF(MODTRACK_TYPE_U64, failed_becoming),		\
	MT_SF(MODTRACK_TYPE_U64, failed_load_modules),		\
	MT_SF(MODTRACK_TYPE_U64, total_mod_size),		\
	MT_SF(MODTRACK_TYPE_U64, total_text_size),		\
	MT_SF(MODTRACK_TYPE_U64, invalid_kread_bytes),		\
	MT_SF(MODTRACK_TYPE_U64, invalid_decompress_bytes),	\
	MT_SF(MODTRACK_TYPE_U64, invalid_becoming_bytes),	\
	MT_SF(MODTRACK_TYPE_U64, invalid_mod_bytes),		\
	MT_SF(MODTRACK_TYPE_U64, untracked_loads),		\
	MT_SF(MODTRACK_TYPE_U64, probe_missed),			\
	MT_SF(MODTRACK_TYPE_INDEX, unloaded.head),		\
	MT_SF(MODTRACK_TYPE_U32, unloaded.nr_used),		\
	MT_SF(MODTRACK_TYPE_U32, unloaded.cap),			\
	MT_SF(MODTRACK_TYPE_U32, unloaded.entry_size),		\
	MT_SF(MODTRACK_TYPE_U64, unloaded.dropped),		\
	MT_SF(MODTRACK_TYPE_INDEX, dupfail.head),		\
	MT_SF(MODTRACK_TYPE_U32, dupfail.nr_used),		\
	MT_SF(MODTRACK_TYPE_U32, dupfail.cap),			\
	MT_SF(MODTRACK_TYPE_U32, dupfail.entry_size),		\
	MT_SF(MODTRACK_TYPE_U64, dupfail.dropped),		\
	MT_SF(MODTRACK_TYPE_FIELDS, fields),			\
	MT_SF(MODTRACK_TYPE_POOL, unloaded_pool),		\
	MT_SF(MODTRACK_TYPE_POOL, dupfail_pool),		\
	MT_UF(MODTRACK_TYPE_CHARS, name),			\
	MT_UF(MODTRACK_TYPE_U64, taints),			\
	MT_UF(MODTRACK_TYPE_U64, count),			\
	MT_UF(MODTRACK_TYPE_INDEX, next),			\
	MT_DF(MODTRACK_TYPE_CHARS, name),			\
	MT_DF(MODTRACK_TYPE_U64, count),			\
	MT_DF(MODTRACK_TYPE_U64, reasons),			\
	MT_DF(MODTRACK_TYPE_INDEX, next),			\
}

#define MT_NR_USED_FIELDS \
	ARRAY_SIZE(((struct modtrack_field[])MT_FIELDS_USED))

/*
 * Taint letters, as taint_flags[] in kernel/panic.c.  taint_flags is not
 * exported to modules, so the table is hard-coded.  It is the same on 6.1
 * and 6.12: module_flags_taint() there prints only the bits whose
 * taint_flags[i].module is true (P F C O E K X T N), and only bits below
 * TAINT_FLAGS_COUNT.  Bit 19 (J, TAINT_FWCTL) only exists on later kernels.
 */
#define MT_TAINT_LETTERS	"PFSRMBUDAWCIOELKXTNJ"
#define MT_MODULE_TAINTS	(BIT(TAINT_PROPRIETARY_MODULE) |	\
				 BIT(TAINT_FORCED_MODULE) |		\
				 BIT(TAINT_CRAP) |			\
				 BIT(TAINT_OOT_MODULE) |		\
				 BIT(TAINT_UNSIGNED_MODULE) |		\
				 BIT(TAINT_LIVEPATCH) |			\
				 BIT(TAINT_AUX) |			\
				 BIT(TAINT_RANDSTRUCT) |		\
				 BIT(TAINT_TEST))

/*
 * The one object a dump reader looks for.  Everything it needs to find
 * its way is initialised statically, so the object is valid from the
 * moment the module's data is in memory.
 */
struct modtrack_state modtrack_state = {
	.magic = { 'M', 'O', 'D', 'T', 'R', 'A', 'C', 'K' },
	.layout_version = MODTRACK_LAYOUT_VERSION,
	.header_size = offsetof(struct modtrack_state, unloaded_pool),
	.state_size = sizeof(struct modtrack_state),
	.field_size = sizeof(struct modtrack_field),
	.nr_fields = MT_NR_USED_FIELDS,
	.fields_offset = offsetof(struct modtrack_state, fields),
	.nr_taint_flags = TAINT_FLAGS_COUNT,
	.taint_module_mask = MT_MODULE_TAINTS,
	.taint_letters = MT_TAINT_LETTERS,
	.unloaded = {
		.head = MODTRACK_NIL,
		.cap = MODTRACK_NR_UNLOADED,
		.entry_size = sizeof(struct modtrack_unloaded),
	},
	.dupfail = {
		.head = MODTRACK_NIL,
		.cap = MODTRACK_NR_DUPFAIL,
		.entry_size = sizeof(struct modtrack_dupfail),
	},
	.fields = MT_FIELDS_USED,
};
/* Also in mod->syms, for dump readers on kernels without KALLSYMS_ALL. */
EXPORT_SYMBOL_GPL(modtrack_state);

/*
 * mt_lock serialises every writer of seq, flags, the two modtrack_list
 * headers and the pools.  The counters are atomic64_t and need no lock.
 * Writers run in process context, in tracepoint and kretprobe handlers
 * (preemption disabled), so the lock is a raw spinlock taken with
 * interrupts off.  Oops/panic readers never take it: entries are
 * published with a release store after they are complete and are never
 * removed, so a lockless walk from head is always well formed.
 */
static DEFINE_RAW_SPINLOCK(mt_lock);

static void mt_write_begin(struct modtrack_state *st)
{
	WRITE_ONCE(st->seq, st->seq + 1);
	smp_wmb();	/* seq odd before the change */
}

static void mt_write_end(struct modtrack_state *st)
{
	smp_wmb();	/* the change before seq even */
	WRITE_ONCE(st->seq, st->seq + 1);
}

void mt_set_flags(u32 set, u32 clear)
{
	struct modtrack_state *st = &modtrack_state;
	unsigned long flags;

	raw_spin_lock_irqsave(&mt_lock, flags);
	WRITE_ONCE(st->flags, (st->flags & ~clear) | set);
	raw_spin_unlock_irqrestore(&mt_lock, flags);
}

size_t mt_taint_string(u64 taints, char *buf)
{
	const char *letters = modtrack_state.taint_letters;
	size_t l = 0;
	int i;

	for (i = 0; i < TAINT_FLAGS_COUNT && i < MODTRACK_NR_TAINT; i++) {
		if ((MT_MODULE_TAINTS & BIT(i)) && (taints & BIT_ULL(i)))
			buf[l++] = letters[i];
	}
	buf[l] = '\0';
	return l;
}

/*
 * As try_add_tainted_module(): only tainted modules; an entry with the
 * same name and overlapping taints is counted again, otherwise a new
 * entry goes to the head of the list.  A full pool drops the new entry.
 */
void mt_record_unloaded(const char *name, unsigned long taints)
{
	struct modtrack_state *st = &modtrack_state;
	struct modtrack_unloaded *e;
	unsigned long flags;
	u32 idx;

	if (!taints)
		return;

	raw_spin_lock_irqsave(&mt_lock, flags);
	for (idx = st->unloaded.head; idx < MODTRACK_NR_UNLOADED;
	     idx = e->next) {
		e = &st->unloaded_pool[idx];
		if (!strcmp(e->name, name) && (e->taints & taints)) {
			mt_write_begin(st);
			WRITE_ONCE(e->count, e->count + 1);
			mt_write_end(st);
			goto out;
		}
	}

	idx = st->unloaded.nr_used;
	if (idx >= MODTRACK_NR_UNLOADED) {
		WRITE_ONCE(st->unloaded.dropped, st->unloaded.dropped + 1);
		goto out;
	}

	mt_write_begin(st);
	e = &st->unloaded_pool[idx];
	strscpy(e->name, name, sizeof(e->name));
	e->taints = taints;
	e->count = 1;
	e->next = st->unloaded.head;
	/* The entry is complete before it becomes reachable. */
	smp_store_release(&st->unloaded.head, idx);
	WRITE_ONCE(st->unloaded.nr_used, idx + 1);
	mt_write_end(st);
out:
	raw_spin_unlock_irqrestore(&mt_lock, flags);
}

/*
 * As try_add_failed_module(): entries are keyed by name only; each
 * failure counts once and sets the bit of its reason.
 */
void mt_record_dupfail(const char *name, unsigned int reason)
{
	struct modtrack_state *st = &modtrack_state;
	struct modtrack_dupfail *e;
	unsigned long flags;
	u32 idx;

	raw_spin_lock_irqsave(&mt_lock, flags);
	for (idx = st->dupfail.head; idx < MODTRACK_NR_DUPFAIL;
	     idx = e->next) {
		e = &st->dupfail_pool[idx];
		if (!strcmp(e->name, name)) {
			mt_write_begin(st);
			WRITE_ONCE(e->count, e->count + 1);
			WRITE_ONCE(e->reasons, e->reasons | BIT_ULL(reason));
			mt_write_end(st);
			goto out;
		}
	}

	idx = st->dupfail.nr_used;
	if (idx >= MODTRACK_NR_DUPFAIL) {
		WRITE_ONCE(st->dupfail.dropped, st->dupfail.dropped + 1);
		goto out;
	}

	mt_write_begin(st);
	e = &st->dupfail_pool[idx];
	strscpy(e->name, name, sizeof(e->name));
	e->count = 1;
	e->reasons = BIT_ULL(reason);
	e->next = st->dupfail.head;
	/* The entry is complete before it becomes reachable. */
	smp_store_release(&st->dupfail.head, idx);
	WRITE_ONCE(st->dupfail.nr_used, idx + 1);
	mt_write_end(st);
out:
	raw_spin_unlock_irqrestore(&mt_lock, flags);
}

void mt_snapshot(struct mt_snapshot *snap)
{
	struct modtrack_state *st = &modtrack_state;
	unsigned long flags;

	raw_spin_lock_irqsave(&mt_lock, flags);
	snap->unloaded = st->unloaded;
	snap->dupfail = st->dupfail;
	memcpy(snap->unl, st->unloaded_pool,
	       st->unloaded.nr_used * sizeof(snap->unl[0]));
	memcpy(snap->dup, st->dupfail_pool,
	       st->dupfail.nr_used * sizeof(snap->dup[0]));
	raw_spin_unlock_irqrestore(&mt_lock, flags);
}

static int mt_die_notify(struct notifier_block *nb, unsigned long val,
			 void *data)
{
	if (val == DIE_OOPS)
		mt_print_unloaded(false);
	return NOTIFY_DONE;
}

static int mt_panic_notify(struct notifier_block *nb, unsigned long val,
			   void *data)
{
	mt_print_unloaded(true);
	return NOTIFY_DONE;
}

static struct notifier_block mt_die_nb = {
	.notifier_call = mt_die_notify,
};

static struct notifier_block mt_panic_nb = {
	.notifier_call = mt_panic_notify,
};

/*
 * The running kernel's release and KERNEL_VERSION() of its numbers, so
 * that a reader knows which kernel's definitions the counters follow.
 */
static void __init mt_set_release(struct modtrack_state *st,
				  const char *release)
{
	unsigned int a = 0, b = 0, c = 0;

	strscpy(st->release, release, sizeof(st->release));
	if (sscanf(release, "%u.%u.%u", &a, &b, &c) < 2)
		return;
	st->linux_version_code = (a << 16) + (b << 8) + min(c, 255U);
}

static void __init mt_check_layout(void)
{
	/* The offsets documented in LAYOUT.md. */
	BUILD_BUG_ON(sizeof(struct modtrack_field) != 48);
	BUILD_BUG_ON(sizeof(struct modtrack_unloaded) != 80);
	BUILD_BUG_ON(sizeof(struct modtrack_dupfail) != 80);
	BUILD_BUG_ON(sizeof(struct modtrack_list) != 24);
	BUILD_BUG_ON(offsetof(struct modtrack_state, seq) != 32);
	BUILD_BUG_ON(offsetof(struct modtrack_state, release) != 48);
	BUILD_BUG_ON(offsetof(struct modtrack_state, taint_letters) != 120);
	BUILD_BUG_ON(offsetof(struct modtrack_state, modcount) != 152);
	BUILD_BUG_ON(offsetof(struct modtrack_state, probe_missed) != 248);
	BUILD_BUG_ON(offsetof(struct modtrack_state, unloaded) != 256);
	BUILD_BUG_ON(offsetof(struct modtrack_state, dupfail) != 280);
	BUILD_BUG_ON(offsetof(struct modtrack_state, fields) != 304);
	BUILD_BUG_ON(offsetof(struct modtrack_state, unloaded_pool) != 2992);
	BUILD_BUG_ON(offsetof(struct modtrack_state, dupfail_pool) != 23472);
	BUILD_BUG_ON(sizeof(struct modtrack_state) != 33712);
	/* The used entries fit the table; layout version 1 has 48. */
	BUILD_BUG_ON(MT_NR_USED_FIELDS > MODTRACK_NR_FIELDS);
	BUILD_BUG_ON(MT_NR_USED_FIELDS != 48);
	BUILD_BUG_ON(MODULE_NAME_LEN != MODTRACK_NAME_LEN);
	BUILD_BUG_ON(TAINT_FLAGS_COUNT > MODTRACK_NR_TAINT);
	BUILD_BUG_ON(sizeof(MT_TAINT_LETTERS) > MODTRACK_NR_TAINT);
}

static int __init modtrack_init(void)
{
	struct modtrack_state *st = &modtrack_state;
	int ret;

	mt_check_layout();
	mt_set_release(st, init_utsname()->release);

	ret = mt_probes_init();
	if (ret)
		return ret;

	if (!register_die_notifier(&mt_die_nb))
		mt_set_flags(MODTRACK_F_DIE_NOTIFIER, 0);
	else
		pr_warn("die notifier not registered\n");
	atomic_notifier_chain_register(&panic_notifier_list, &mt_panic_nb);
	mt_set_flags(MODTRACK_F_PANIC_NOTIFIER, 0);

	mt_debugfs_init();
	mt_set_flags(MODTRACK_F_READY, 0);
	pr_info("tracking unloaded tainted modules and load statistics (layout %u, %zu bytes)\n",
		MODTRACK_LAYOUT_VERSION, sizeof(*st));
	return 0;
}

static void __exit modtrack_exit(void)
{
	mt_set_flags(MODTRACK_F_EXITING, MODTRACK_F_READY);
	mt_debugfs_exit();
	atomic_notifier_chain_unregister(&panic_notifier_list, &mt_panic_nb);
	if (modtrack_state.flags & MODTRACK_F_DIE_NOTIFIER)
		unregister_die_notifier(&mt_die_nb);
	mt_set_flags(0, MODTRACK_F_DIE_NOTIFIER | MODTRACK_F_PANIC_NOTIFIER);
	mt_probes_exit();
}

module_init(modtrack_init);
module_exit(modtrack_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Unloaded tainted module tracking and module load statistics");
MODULE_AUTHOR("modcrash project");
MODULE_VERSION("1.0.0");
