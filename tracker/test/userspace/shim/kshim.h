/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel API to compile modtrack_main.c,
 * modtrack_print.c, modtrack_debugfs.c and modtrack_loads.c as a
 * user-space program, so that their list, taint, format and load
 * classification logic can be tested on the host.  Single-threaded: locks
 * and barriers are no-ops, atomics plain operations.  Tasks are opaque
 * pointers (struct task_struct is never defined).
 */
#ifndef KSHIM_H
#define KSHIM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef struct { s64 counter; } atomic64_t;
typedef struct { int counter; } atomic_t;

#define BIT(n)			(1UL << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define ATOMIC_INIT(i)		{ (i) }
#define sizeof_field(t, m)	sizeof(((t *)0)->m)
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(c)		_Static_assert(!(c), #c)
#define min(a, b)		((a) < (b) ? (a) : (b))
#define min_t(t, a, b)		min((t)(a), (t)(b))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define IS_ERR(p)		((unsigned long)(p) >= (unsigned long)-4095)
#define PTR_ERR(p)		((long)(p))

#define READ_ONCE(x)		(x)
#define WRITE_ONCE(x, v)	((x) = (v))
#define smp_wmb()		do { } while (0)
#define smp_store_release(p, v)	(*(p) = (v))
#define smp_load_acquire(p)	(*(p))

static inline s64 atomic64_read(atomic64_t *a) { return a->counter; }
static inline void atomic64_set(atomic64_t *a, s64 v) { a->counter = v; }
static inline void atomic64_add(s64 v, atomic64_t *a) { a->counter += v; }
static inline void atomic64_inc(atomic64_t *a) { a->counter++; }
static inline int atomic_cmpxchg(atomic_t *a, int o, int n)
{
	int old = a->counter;

	if (old == o)
		a->counter = n;
	return old;
}
static inline void atomic_set_release(atomic_t *a, int v) { a->counter = v; }
static inline int atomic_read(atomic_t *a) { return a->counter; }
static inline void atomic_inc(atomic_t *a) { a->counter++; }
static inline void atomic_dec(atomic_t *a) { a->counter--; }
#define cmpxchg(p, o, n) ({					\
	__typeof__(*(p)) __old = *(p);				\
	if (__old == (o))					\
		*(p) = (n);					\
	__old;							\
})

typedef int raw_spinlock_t;
#define DEFINE_RAW_SPINLOCK(l)			raw_spinlock_t l
#define raw_spin_lock_irqsave(l, f)		((void)(l), (f) = 0)
#define raw_spin_unlock_irqrestore(l, f)	((void)(l), (void)(f))

#define __init
#define __exit
#define KBUILD_MODNAME		"modtrack"
#define module_init(f)		int (*kshim_init)(void) = f
#define module_exit(f)		void (*kshim_exit)(void) = f
#define MODULE_LICENSE(x)
#define MODULE_DESCRIPTION(x)
#define MODULE_AUTHOR(x)
#define MODULE_VERSION(x)
#define EXPORT_SYMBOL_GPL(x)
#define MODULE_NAME_LEN		56

#define TAINT_PROPRIETARY_MODULE	0
#define TAINT_FORCED_MODULE		1
#define TAINT_CRAP			10
#define TAINT_OOT_MODULE		12
#define TAINT_UNSIGNED_MODULE		13
#define TAINT_LIVEPATCH			15
#define TAINT_AUX			16
#define TAINT_RANDSTRUCT		17
#define TAINT_TEST			18
#define TAINT_FLAGS_COUNT		19

/* printk: records go to kshim_log, one line per record */
extern char kshim_log[65536];
void kshim_printk(const char *fmt, ...);
#define KERN_DEFAULT		""
#define printk(...)		kshim_printk(__VA_ARGS__)
#define pr_warn(...)		kshim_printk(__VA_ARGS__)
#define pr_info(...)		kshim_printk(__VA_ARGS__)
#define pr_err(...)		kshim_printk(__VA_ARGS__)
#define pr_cont(...)		kshim_printk(__VA_ARGS__)

static inline size_t strscpy(char *d, const char *s, size_t n)
{
	size_t l = 0;

	while (l + 1 < n && s[l]) {
		d[l] = s[l];
		l++;
	}
	d[l] = '\0';
	return l;
}

static inline int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!size)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 ? 0 : ((size_t)n >= size ? (int)size - 1 : n);
}

#define GFP_KERNEL		0
#define kzalloc(n, f)		calloc(1, n)
#define kvmalloc(n, f)		malloc(n)
#define kfree(p)		free(p)
#define kvfree(p)		free(p)

struct notifier_block {
	int (*notifier_call)(struct notifier_block *nb, unsigned long v,
			     void *d);
};
#define NOTIFY_DONE		0
#define DIE_OOPS		1
extern int panic_notifier_list;
static inline int register_die_notifier(struct notifier_block *nb)
{ return 0; }
static inline int unregister_die_notifier(struct notifier_block *nb)
{ return 0; }
static inline int atomic_notifier_chain_register(int *l,
						 struct notifier_block *nb)
{ return 0; }
static inline int atomic_notifier_chain_unregister(int *l,
						   struct notifier_block *nb)
{ return 0; }

struct new_utsname { char release[65]; };
extern struct new_utsname kshim_uts;
#define init_utsname()		(&kshim_uts)

/* seq_file: output to kshim_seq */
struct seq_file { char buf[65536]; size_t len; };
struct inode;
struct file;
struct dentry;
void seq_printf(struct seq_file *m, const char *fmt, ...);
void seq_write(struct seq_file *m, const void *p, size_t n);
#define DEFINE_SHOW_ATTRIBUTE(name) \
	int (*kshim_show_##name)(struct seq_file *, void *) = name##_show; \
	int name##_fops
static inline struct dentry *debugfs_create_dir(const char *n,
						struct dentry *p)
{ return NULL; }
static inline struct dentry *debugfs_create_file(const char *n, int mode,
						 struct dentry *p, void *d,
						 const void *fops)
{ return NULL; }
static inline void debugfs_remove(struct dentry *d) { }

#endif /* KSHIM_H */
