// SPDX-License-Identifier: GPL-2.0
/*
 * modtrack: what feeds the state.
 *
 *  - the module_free tracepoint, the first line of free_module(): the
 *    kernel's try_add_tainted_module() runs in free_module() and nowhere
 *    else, so this sees exactly the unloads the kernel would record;
 *  - the module notifier, MODULE_STATE_LIVE: exactly the successful
 *    loads that do_init_module() counts in modcount;
 *  - kretprobes on the loader to classify failures the way
 *    kernel/module/stats.c does (6.4+), and to see duplicate loads.
 *
 * This file registers them and reads what each probe hit has to say
 * (arguments, return value, the calling task); what a load in flight is
 * and how it is classified is modtrack_loads.c, which each handler calls.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/errno.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "modtrack.h"
#include "modtrack_loads.h"

/*
 * 6.4 added kernel/module/stats.c, module_patient_check_exists() and the
 * mem[] regions (and with them the for_each_mod_mem_type() macro, which
 * is how this is detected).  Before that (6.1) there is no kernel
 * definition of the counters; modtrack applies the 6.4+ definitions
 * there (see README.md).
 */
#ifdef for_each_mod_mem_type
#define MT_HAVE_PATIENT_CHECK	1
#else
#define MT_HAVE_PATIENT_CHECK	0
#endif

#define MT_MAXACTIVE		64	/* kretprobe instances per function */

struct mt_ri_data {
	struct mt_load *load;
};

static struct mt_load *mt_ri_load(struct kretprobe_instance *ri)
{
	return ((struct mt_ri_data *)ri->data)->load;
}

/* The slot an entry handler found; none: skip the return handler. */
static int mt_ri_set_load(struct kretprobe_instance *ri, struct mt_load *l)
{
	((struct mt_ri_data *)ri->data)->load = l;
	return l ? 0 : 1;
}

/*
 * The return value of a probed function that returns int.  x86_64 returns
 * it in eax; the upper half of rax is not part of it (a "mov %r12d,%eax"
 * return leaves it zero), so regs_return_value(), a long, must be cut to
 * int before it is compared with -EEXIST or tested for < 0.
 */
static int mt_ret_int(struct pt_regs *regs)
{
	return (int)regs_return_value(regs);
}

/*
 * -EPERM from may_init_module() is not a kread failure.  It fails when the
 * task lacks CAP_SYS_MODULE in the initial namespace (tested here without
 * calling into the LSMs, which is safe in a probe handler) or when
 * modules are disabled (not visible to a module: see README.md).
 */
static bool mt_not_permitted(long ret)
{
	const struct cred *cred = current_cred();

	return ret == -EPERM &&
		(cred->user_ns != &init_user_ns ||
		 !cap_raised(cred->cap_effective, CAP_SYS_MODULE));
}

/* ---- init_module(2): the copy from user space ---------------------- */

#ifdef CONFIG_X86_64
static int mt_init_module_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	/* __x64_sys_init_module(const struct pt_regs *): len is arg 2 */
	const struct pt_regs *uregs =
		(const struct pt_regs *)regs_get_kernel_argument(regs, 0);

	return mt_ri_set_load(ri, mt_init_module_enter(current, uregs->si));
}

static int mt_init_module_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	long ret = regs_return_value(regs);	/* a syscall: long */

	mt_init_module_return(mt_ri_load(ri), ret, mt_not_permitted(ret));
	return 0;
}
#endif

/* ---- finit_module(2): the file read -------------------------------- */

#if MT_HAVE_PATIENT_CHECK
/* 6.4+: init_module_from_file() reads, decompresses, calls load_module() */
static int mt_from_file_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	return mt_ri_set_load(ri, mt_from_file_enter(current));
}

static int mt_from_file_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	mt_from_file_return(mt_ri_load(ri), mt_ret_int(regs));
	return 0;
}
#elif defined(CONFIG_X86_64)
/* 6.1: __do_sys_finit_module() reads the file, calls load_module() */
static int mt_finit_entry(struct kretprobe_instance *ri,
			  struct pt_regs *regs)
{
	/* __x64_sys_finit_module(const struct pt_regs *): flags is arg 3 */
	const struct pt_regs *uregs =
		(const struct pt_regs *)regs_get_kernel_argument(regs, 0);

	return mt_ri_set_load(ri, mt_finit_enter(current, (int)uregs->dx));
}

static int mt_finit_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	long ret = regs_return_value(regs);	/* a syscall: long */

	mt_finit_return(mt_ri_load(ri), ret, mt_not_permitted(ret));
	return 0;
}
#endif

/* ---- module_decompress() ------------------------------------------- */

#ifdef CONFIG_MODULE_DECOMPRESS
static int mt_decompress_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	/* module_decompress(info, buf, size) */
	unsigned long size = regs_get_kernel_argument(regs, 2);

	return mt_ri_set_load(ri, mt_decompress_enter(current, size));
}

static int mt_decompress_ret(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	mt_decompress_return(mt_ri_load(ri), mt_ret_int(regs));
	return 0;
}
#endif

/* ---- load_module() -------------------------------------------------- */

static int mt_load_module_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	/* load_module(info, uargs, flags) */
	const struct mt_load_info_head *info = (const struct mt_load_info_head *)
		regs_get_kernel_argument(regs, 0);
	int flags = (int)regs_get_kernel_argument(regs, 2);

	return mt_ri_set_load(ri, mt_load_module_enter(current, info, flags));
}

static int mt_load_module_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	mt_load_module_return(mt_ri_load(ri), mt_ret_int(regs),
			      !MT_HAVE_PATIENT_CHECK);
	mt_probes_update_missed();
	return 0;
}

/* ---- do_init_module(): from here on, failures are init failures ---- */

static int mt_do_init_pre(struct kprobe *p, struct pt_regs *regs)
{
	mt_do_init_module(current);
	return 0;
}

/* ---- duplicates ----------------------------------------------------- */

#if MT_HAVE_PATIENT_CHECK
struct mt_check_data {
	unsigned int reason;
	char name[MODULE_NAME_LEN];
};

/* module_patient_check_exists(name, reason); see mt_patient_check() */
static int mt_check_entry(struct kretprobe_instance *ri,
			  struct pt_regs *regs)
{
	struct mt_check_data *d = (struct mt_check_data *)ri->data;
	unsigned long name = regs_get_kernel_argument(regs, 0);
	enum mt_name_area area;

	/* name is a struct module's name[MODULE_NAME_LEN] in both calls */
	if (copy_from_kernel_nofault(d->name, (const void *)name,
				     sizeof(d->name)))
		return 1;
	d->name[sizeof(d->name) - 1] = '\0';

#ifdef MODULES_VADDR
	area = name >= MODULES_VADDR && name < MODULES_END ?
		MT_NAME_IN_MODULE : MT_NAME_IN_IMAGE;
#else
	area = MT_NAME_UNKNOWN;
#endif
	d->reason = mt_patient_check(current, area);
	return 0;
}

static int mt_check_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct mt_check_data *d = (struct mt_check_data *)ri->data;

	mt_patient_check_return(d->name, d->reason, mt_ret_int(regs));
	return 0;
}

static const char * const mt_check_syms[] = {
	"module_patient_check_exists",
	"module_patient_check_exists.constprop.0",
	NULL,
};
#else
/* 6.1: the first find_module_all() of a load; see mt_find_module_all() */
static int mt_find_pre(struct kprobe *p, struct pt_regs *regs)
{
	const void *name = (const void *)regs_get_kernel_argument(regs, 0);
	struct mt_load *l = mt_find_module_all(current);
	char buf[MODULE_NAME_LEN];
	size_t len;

	if (!l)
		return 0;
	/*
	 * find_module_all(name, len, even_unformed); name is the new
	 * module's name[MODULE_NAME_LEN].
	 */
	len = regs_get_kernel_argument(regs, 1);
	if (copy_from_kernel_nofault(buf, name, sizeof(buf)))
		len = 0;
	mt_load_set_name(l, buf, len);
	return 0;
}
#endif

/* ---- unloads -------------------------------------------------------- */

static bool mt_unload_tp;	/* module_free tracepoint attached */

#ifdef CONFIG_TRACEPOINTS
static struct tracepoint *mt_tp_module_free;

static void mt_module_free_probe(void *data, struct module *mod)
{
	mt_record_unloaded(mod->name, mod->taints);
}

static void mt_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "module_free"))
		*(struct tracepoint **)priv = tp;
}

static int mt_attach_module_free(void)
{
	struct tracepoint *tp = NULL;
	int ret;

	for_each_kernel_tracepoint(mt_find_tracepoint, &tp);
	if (!tp)
		return -ENOENT;
	ret = tracepoint_probe_register(tp, mt_module_free_probe, NULL);
	if (ret)
		return ret;
	mt_tp_module_free = tp;
	WRITE_ONCE(mt_unload_tp, true);
	return 0;
}

static void mt_detach_module_free(void)
{
	if (!mt_tp_module_free)
		return;
	tracepoint_probe_unregister(mt_tp_module_free, mt_module_free_probe,
				    NULL);
	/* no CPU is still inside mt_module_free_probe() */
	tracepoint_synchronize_unregister();
	mt_tp_module_free = NULL;
	WRITE_ONCE(mt_unload_tp, false);
}
#else
static int mt_attach_module_free(void)
{
	return -EOPNOTSUPP;
}

static void mt_detach_module_free(void)
{
}
#endif

/* ---- successful loads and, as a fallback, unloads ------------------ */

static int mt_module_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct modtrack_state *st = &modtrack_state;
	struct module *mod = data;
	unsigned long total = 0, text = 0;

	/*
	 * Without the tracepoint: GOING is followed by free_module() when
	 * the module got as far as sysfs (delete_module(), failed init), but
	 * not on load_module()'s coming_cleanup path, where it did not.
	 */
	if (action == MODULE_STATE_GOING && !READ_ONCE(mt_unload_tp) &&
	    mod->mkobj.kobj.state_in_sysfs)
		mt_record_unloaded(mod->name, mod->taints);

	if (action != MODULE_STATE_LIVE)
		return NOTIFY_DONE;

	/* As do_init_module(): init regions are still there. */
#if MT_HAVE_PATIENT_CHECK
	for_each_mod_mem_type(type) {
		total += mod->mem[type].size;
		if (type == MOD_TEXT || type == MOD_INIT_TEXT)
			text += mod->mem[type].size;
	}
#else
	total = mod->core_layout.size + mod->init_layout.size;
	text = mod->core_layout.text_size + mod->init_layout.text_size;
#endif
	atomic64_add(text, &st->total_text_size);
	atomic64_add(total, &st->total_mod_size);
	atomic64_inc(&st->modcount);
	return NOTIFY_DONE;
}

static struct notifier_block mt_module_nb = {
	.notifier_call = mt_module_notify,
};

/* ---- registration --------------------------------------------------- */

struct mt_rprobe {
	const char * const *syms;	/* names to try, NULL-terminated */
	u32 flag;			/* MODTRACK_F_* when attached */
	struct kretprobe rp;
	bool registered;
};

#define MT_SYMS(...) ((const char * const []){ __VA_ARGS__, NULL })

static struct mt_rprobe mt_rprobes[] = {
#ifdef CONFIG_X86_64
	{
		.syms = MT_SYMS("__x64_sys_init_module"),
		.flag = MODTRACK_F_KREAD_PROBES,
		.rp = {
			.entry_handler = mt_init_module_entry,
			.handler = mt_init_module_ret,
			.data_size = sizeof(struct mt_ri_data),
			.maxactive = MT_MAXACTIVE,
		},
	},
#endif
#if MT_HAVE_PATIENT_CHECK
	{
		.syms = MT_SYMS("init_module_from_file"),
		.flag = MODTRACK_F_KREAD_PROBES,
		.rp = {
			.entry_handler = mt_from_file_entry,
			.handler = mt_from_file_ret,
			.data_size = sizeof(struct mt_ri_data),
			.maxactive = MT_MAXACTIVE,
		},
	},
#elif defined(CONFIG_X86_64)
	{
		.syms = MT_SYMS("__x64_sys_finit_module"),
		.flag = MODTRACK_F_KREAD_PROBES,
		.rp = {
			.entry_handler = mt_finit_entry,
			.handler = mt_finit_ret,
			.data_size = sizeof(struct mt_ri_data),
			.maxactive = MT_MAXACTIVE,
		},
	},
#endif
#ifdef CONFIG_MODULE_DECOMPRESS
	{
		.syms = MT_SYMS("module_decompress"),
		.flag = MODTRACK_F_DECOMPRESS_PROBE,
		.rp = {
			.entry_handler = mt_decompress_entry,
			.handler = mt_decompress_ret,
			.data_size = sizeof(struct mt_ri_data),
			.maxactive = MT_MAXACTIVE,
		},
	},
#endif
	{
		.syms = MT_SYMS("load_module"),
		.flag = MODTRACK_F_LOAD_PROBES,
		.rp = {
			.entry_handler = mt_load_module_entry,
			.handler = mt_load_module_ret,
			.data_size = sizeof(struct mt_ri_data),
			.maxactive = MT_MAXACTIVE,
		},
	},
#if MT_HAVE_PATIENT_CHECK
	{
		.syms = mt_check_syms,
		.flag = MODTRACK_F_DUP_PROBE,
		.rp = {
			.entry_handler = mt_check_entry,
			.handler = mt_check_ret,
			.data_size = sizeof(struct mt_check_data),
			.maxactive = MT_MAXACTIVE,
		},
	},
#endif
};

struct mt_kprobe {
	const char *sym;
	u32 flag;
	struct kprobe kp;
	bool registered;
};

static struct mt_kprobe mt_kprobes[] = {
	{
		.sym = "do_init_module",
		.flag = MODTRACK_F_LOAD_PROBES,
		.kp = { .pre_handler = mt_do_init_pre },
	},
#if !MT_HAVE_PATIENT_CHECK
	{
		.sym = "find_module_all",
		.flag = MODTRACK_F_DUP_EMULATED,
		.kp = { .pre_handler = mt_find_pre },
	},
#endif
};

static bool mt_notifier_registered;

void mt_probes_update_missed(void)
{
	u64 missed = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(mt_rprobes); i++) {
		if (mt_rprobes[i].registered)
			missed += READ_ONCE(mt_rprobes[i].rp.nmissed);
	}
	for (i = 0; i < ARRAY_SIZE(mt_kprobes); i++) {
		if (mt_kprobes[i].registered)
			missed += READ_ONCE(mt_kprobes[i].kp.nmissed);
	}
	atomic64_set(&modtrack_state.probe_missed, missed);
}

void mt_probes_show(struct seq_file *m)
{
	int i;

	seq_printf(m, "module_free tracepoint: %s\n",
		   mt_unload_tp ? "attached" : "missing (module notifier)");
	seq_printf(m, "module notifier: %s\n",
		   mt_notifier_registered ? "registered" : "missing");
	for (i = 0; i < ARRAY_SIZE(mt_rprobes); i++) {
		const struct mt_rprobe *p = &mt_rprobes[i];

		seq_printf(m, "kretprobe %s: %s, missed %d\n",
			   p->registered ? p->rp.kp.symbol_name : p->syms[0],
			   p->registered ? "attached" : "missing",
			   p->rp.nmissed);
	}
	for (i = 0; i < ARRAY_SIZE(mt_kprobes); i++) {
		const struct mt_kprobe *p = &mt_kprobes[i];

		seq_printf(m, "kprobe %s: %s, missed %lu\n", p->sym,
			   p->registered ? "attached" : "missing",
			   p->kp.nmissed);
	}
}

static void mt_unregister_all(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(mt_kprobes); i++) {
		if (mt_kprobes[i].registered)
			unregister_kprobe(&mt_kprobes[i].kp);
		mt_kprobes[i].registered = false;
	}
	for (i = 0; i < ARRAY_SIZE(mt_rprobes); i++) {
		if (mt_rprobes[i].registered)
			unregister_kretprobe(&mt_rprobes[i].rp);
		mt_rprobes[i].registered = false;
	}
	if (mt_notifier_registered)
		unregister_module_notifier(&mt_module_nb);
	mt_notifier_registered = false;
	mt_detach_module_free();
}

static void mt_register_rprobe(struct mt_rprobe *p)
{
	int i, ret = -ENOENT;

	for (i = 0; p->syms[i]; i++) {
		p->rp.kp.symbol_name = p->syms[i];
		p->rp.kp.addr = NULL;
		p->rp.kp.flags = 0;
		ret = register_kretprobe(&p->rp);
		if (!ret) {
			p->registered = true;
			return;
		}
	}
	p->rp.kp.symbol_name = p->syms[0];
	pr_info("no kretprobe on %s (%d): its counters are not collected\n",
		p->syms[0], ret);
}

int mt_probes_init(void)
{
	u32 flags = 0, missing = 0;
	int i, ret;

	/* Before the notifier, which falls back on GOING without it. */
	ret = mt_attach_module_free();
	if (!ret) {
		flags |= MODTRACK_F_UNLOAD_TP;
	} else {
		pr_info("no module_free tracepoint (%d): unloads seen by the module notifier\n",
			ret);
		flags |= MODTRACK_F_UNLOAD_NOTIFIER;
	}

	ret = register_module_notifier(&mt_module_nb);
	if (ret) {
		pr_err("cannot register module notifier: %d\n", ret);
		goto fail;
	}
	mt_notifier_registered = true;
	flags |= MODTRACK_F_LIVE_NOTIFIER;

	if (!IS_ENABLED(CONFIG_KRETPROBES)) {
		pr_info("no kprobes in this kernel: failures are not counted\n");
		goto done;
	}

	/*
	 * Inner probes first, so that an outer probe never sees a load
	 * whose inner steps are not observed yet.
	 */
	for (i = 0; i < ARRAY_SIZE(mt_kprobes); i++) {
		struct mt_kprobe *p = &mt_kprobes[i];

		p->kp.symbol_name = p->sym;
		ret = register_kprobe(&p->kp);
		if (ret) {
			pr_info("no kprobe on %s (%d)\n", p->sym, ret);
			missing |= p->flag;
			continue;
		}
		p->registered = true;
		flags |= p->flag;
	}
	for (i = ARRAY_SIZE(mt_rprobes) - 1; i >= 0; i--) {
		mt_register_rprobe(&mt_rprobes[i]);
		if (mt_rprobes[i].registered)
			flags |= mt_rprobes[i].flag;
		else
			missing |= mt_rprobes[i].flag;
	}
	/* A group with any missing member is not complete. */
	flags &= ~missing;
	/* Becoming vs load needs to see the allocation (dup probes). */
	if (!(flags & (MODTRACK_F_DUP_PROBE | MODTRACK_F_DUP_EMULATED)))
		flags &= ~MODTRACK_F_LOAD_PROBES;
	/* A kread failure is a failure before load_module(). */
	if (!(flags & MODTRACK_F_LOAD_PROBES))
		flags &= ~MODTRACK_F_KREAD_PROBES;
done:
	mt_set_flags(flags, 0);
	return 0;

fail:
	mt_unregister_all();
	return ret;
}

void mt_probes_exit(void)
{
	mt_unregister_all();
	mt_set_flags(0, MODTRACK_F_UNLOAD_TP | MODTRACK_F_UNLOAD_NOTIFIER |
		     MODTRACK_F_LIVE_NOTIFIER |
		     MODTRACK_F_LOAD_PROBES | MODTRACK_F_DUP_PROBE |
		     MODTRACK_F_DUP_EMULATED | MODTRACK_F_DECOMPRESS_PROBE |
		     MODTRACK_F_KREAD_PROBES);
}
