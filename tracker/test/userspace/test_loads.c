// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of the load classification (modtrack_loads.c), driven
 * directly, without probes: each test plays the calls the probes of one
 * kernel make for one kind of load, in the kernel's order, and checks
 * every counter, the duplicate table and that the slot is given back.
 *
 * The kernel's order (kernel/module/main.c):
 *   6.4+ finit_module(2): init_module_from_file() { [module_decompress()]
 *        load_module() { module_patient_check_exists() (early_mod_check,
 *        name in the image); allocation; module_patient_check_exists()
 *        (add_unformed_module, name in the module); do_init_module() } }
 *   6.1  finit_module(2): __x64_sys_finit_module() { load_module() {
 *        allocation; find_module_all() (add_unformed_module) ...;
 *        do_init_module() } }
 *   both init_module(2): __x64_sys_init_module() { copy; load_module() }
 */
#include <stdio.h>
#include <string.h>

#include "modtrack.h"
#include "modtrack_loads.h"
#include "uapi/linux/module.h"
#include "test.h"

static char task_ids[MT_NR_LOADS + 8];
#define TASK(i)		((struct task_struct *)&task_ids[i])

#define LEN		10000UL	/* info->len of every load here */
#define ZLEN		3000UL	/* compressed size */

static struct mt_load_info_head info = { .len = LEN };

/* The counters a load can move, in LAYOUT.md's order. */
struct counts {
	s64 kreads, decompress, becoming, load;
	s64 kread_bytes, decompress_bytes, becoming_bytes, mod_bytes;
	s64 untracked;
};

#define COUNTS(...)	((struct counts){ __VA_ARGS__ })

static void check_counts(int line, const char *what, struct counts want)
{
	struct modtrack_state *st = &modtrack_state;
	struct counts got = {
		atomic64_read(&st->failed_kreads),
		atomic64_read(&st->failed_decompress),
		atomic64_read(&st->failed_becoming),
		atomic64_read(&st->failed_load_modules),
		atomic64_read(&st->invalid_kread_bytes),
		atomic64_read(&st->invalid_decompress_bytes),
		atomic64_read(&st->invalid_becoming_bytes),
		atomic64_read(&st->invalid_mod_bytes),
		atomic64_read(&st->untracked_loads),
	};

	CHECK(!memcmp(&got, &want, sizeof(got)),
	      "line %d, %s: kreads %lld/%lld decompress %lld/%lld becoming %lld/%lld load %lld/%lld untracked %lld; want %lld/%lld %lld/%lld %lld/%lld %lld/%lld %lld",
	      line, what,
	      (long long)got.kreads, (long long)got.kread_bytes,
	      (long long)got.decompress, (long long)got.decompress_bytes,
	      (long long)got.becoming, (long long)got.becoming_bytes,
	      (long long)got.load, (long long)got.mod_bytes,
	      (long long)got.untracked,
	      (long long)want.kreads, (long long)want.kread_bytes,
	      (long long)want.decompress, (long long)want.decompress_bytes,
	      (long long)want.becoming, (long long)want.becoming_bytes,
	      (long long)want.load, (long long)want.mod_bytes,
	      (long long)want.untracked);
	CHECK(mt_loads_in_flight() == 0, "line %d, %s: %u loads in flight",
	      line, what, mt_loads_in_flight());
}

#define EXPECT(what, ...)	check_counts(__LINE__, what, COUNTS(__VA_ARGS__))

/* The duplicate table, newest first: "name:count:reasons " */
static const char *dups(void)
{
	static char buf[1024];
	struct modtrack_state *st = &modtrack_state;
	size_t n = 0;
	u32 idx;

	buf[0] = '\0';
	for (idx = st->dupfail.head; idx < MODTRACK_NR_DUPFAIL;
	     idx = st->dupfail_pool[idx].next) {
		const struct modtrack_dupfail *e = &st->dupfail_pool[idx];

		n += snprintf(buf + n, sizeof(buf) - n, "%s:%llu:%llu ", e->name,
			      (unsigned long long)e->count,
			      (unsigned long long)e->reasons);
	}
	return buf;
}

/*
 * 6.4+: load_module() of task @t up to its duplicate checks; check
 * @fail_at (1: the one before allocation, 2: the one after, 0: none)
 * returns @check_ret and ends them.  Returns the slot.
 */
static struct mt_load *load_612(struct task_struct *t, int flags, int fail_at,
				int check_ret)
{
	struct mt_load *l = mt_load_module_enter(t, &info, flags);
	static const enum mt_name_area area[] = {
		MT_NAME_IN_IMAGE, MT_NAME_IN_MODULE,
	};
	unsigned int reason;
	int i;

	for (i = 0; i < 2; i++) {
		int ret = i + 1 == fail_at ? check_ret : 0;

		reason = mt_patient_check(t, area[i]);
		CHECK(reason == (i ? MODTRACK_DUP_LOAD : MODTRACK_DUP_BECOMING),
		      "check %d: reason %u", i, reason);
		mt_patient_check_return("mt_test_b", reason, ret);
		if (ret)
			break;
	}
	return l;
}

/* ---- 6.4+ finit_module(2) -------------------------------------------- */

static void test_success_and_init_failure(void)
{
	struct mt_load *f, *l;

	reset();
	f = mt_from_file_enter(TASK(1));
	CHECK(f && mt_loads_in_flight() == 1, "claimed a slot");
	l = load_612(TASK(1), 0, 0, 0);
	CHECK(l == f && l->depth == 2, "nested: same slot, depth %u",
	      l ? l->depth : 0);
	CHECK(l->allocated && l->checks == 2, "allocated after two checks");
	mt_do_init_module(TASK(1));
	CHECK(l->in_init, "in init");
	mt_load_module_return(l, 0, false);
	CHECK(mt_loads_in_flight() == 1 && l->depth == 1,
	      "inner return keeps the slot");
	mt_from_file_return(f, 0);
	EXPECT("success", 0);
	CHECK(!dups()[0], "no duplicate: %s", dups());

	/* init() fails: an unload (free_module), not a load failure */
	f = mt_from_file_enter(TASK(1));
	l = load_612(TASK(1), 0, 0, 0);
	mt_do_init_module(TASK(1));
	mt_load_module_return(l, -ENODEV, false);
	mt_from_file_return(f, -ENODEV);
	EXPECT("init failure", 0);
}

static void test_kread_from_file(void)
{
	struct mt_load *f;

	reset();
	f = mt_from_file_enter(TASK(1));
	mt_from_file_return(f, -EISDIR);
	EXPECT("file read fails", .kreads = 1);

	/* a failure after the read is not a read failure */
	f = mt_from_file_enter(TASK(1));
	mt_load_module_return(load_612(TASK(1), 0, 0, 0), -EINVAL, false);
	mt_from_file_return(f, -EINVAL);
	EXPECT("load fails", .kreads = 1, .load = 1, .mod_bytes = 2 * LEN);
}

static void test_decompress(void)
{
	struct mt_load *f, *d;

	reset();
	CHECK(!mt_decompress_enter(TASK(1), ZLEN), "no load in flight");
	EXPECT("decompress outside a load", 0);

	f = mt_from_file_enter(TASK(1));
	d = mt_decompress_enter(TASK(1), ZLEN);
	CHECK(d == f && d->depth == 1, "decompress uses the slot, no depth");
	mt_decompress_return(d, -EINVAL);
	mt_from_file_return(f, -EINVAL);
	EXPECT("decompress fails", .decompress = 1, .decompress_bytes = ZLEN);

	/* decompressed, then load_module() fails: the compressed size too */
	f = mt_from_file_enter(TASK(1));
	mt_decompress_return(mt_decompress_enter(TASK(1), ZLEN), 0);
	mt_load_module_return(load_612(TASK(1), MODULE_INIT_COMPRESSED_FILE,
				       0, 0), -EINVAL, false);
	mt_from_file_return(f, -EINVAL);
	EXPECT("compressed load fails", .decompress = 1,
	       .decompress_bytes = ZLEN, .load = 1,
	       .mod_bytes = 2 * LEN + ZLEN);

	f = mt_from_file_enter(TASK(1));
	mt_decompress_return(mt_decompress_enter(TASK(1), ZLEN), 0);
	mt_load_module_return(load_612(TASK(1), MODULE_INIT_COMPRESSED_FILE,
				       1, -EEXIST), -EEXIST, false);
	mt_from_file_return(f, -EEXIST);
	EXPECT("compressed load fails becoming", .decompress = 1,
	       .decompress_bytes = ZLEN, .load = 1,
	       .mod_bytes = 2 * LEN + ZLEN, .becoming = 1,
	       .becoming_bytes = LEN + ZLEN);

	/* without the compressed flag, the size is not added */
	f = mt_from_file_enter(TASK(1));
	mt_decompress_return(mt_decompress_enter(TASK(1), ZLEN), 0);
	mt_load_module_return(load_612(TASK(1), 0, 0, 0), -EINVAL, false);
	mt_from_file_return(f, -EINVAL);
	EXPECT("flag clear", .decompress = 1, .decompress_bytes = ZLEN,
	       .load = 2, .mod_bytes = 4 * LEN + ZLEN, .becoming = 1,
	       .becoming_bytes = LEN + ZLEN);
}

static void test_becoming_load_and_duplicates(void)
{
	struct mt_load *f;

	reset();
	/* a failure before allocation: becoming */
	f = mt_from_file_enter(TASK(1));
	mt_load_module_return(load_612(TASK(1), 0, 1, -EEXIST), -EEXIST,
			      false);
	mt_from_file_return(f, -EEXIST);
	EXPECT("duplicate while becoming", .becoming = 1,
	       .becoming_bytes = LEN);
	CHECK(!strcmp(dups(), "mt_test_b:1:1 "), "dups %s", dups());

	/* after allocation: load; the same name counts again */
	f = mt_from_file_enter(TASK(1));
	mt_load_module_return(load_612(TASK(1), 0, 2, -EBUSY), -EBUSY, false);
	mt_from_file_return(f, -EBUSY);
	EXPECT("duplicate after allocation", .becoming = 1,
	       .becoming_bytes = LEN, .load = 1, .mod_bytes = 2 * LEN);
	CHECK(!strcmp(dups(), "mt_test_b:2:3 "), "dups %s", dups());

	/* a check that fails otherwise is no duplicate */
	f = mt_from_file_enter(TASK(1));
	mt_load_module_return(load_612(TASK(1), 0, 1, -ENOMEM), -ENOMEM,
			      false);
	mt_from_file_return(f, -ENOMEM);
	EXPECT("check fails -ENOMEM", .becoming = 2,
	       .becoming_bytes = 2 * LEN, .load = 1, .mod_bytes = 2 * LEN);
	CHECK(!strcmp(dups(), "mt_test_b:2:3 "), "dups %s", dups());

	/* a load failure without a duplicate */
	f = mt_from_file_enter(TASK(1));
	mt_load_module_return(load_612(TASK(1), 0, 0, 0), -ENOEXEC, false);
	mt_from_file_return(f, -ENOEXEC);
	EXPECT("load fails", .becoming = 2, .becoming_bytes = 2 * LEN,
	       .load = 2, .mod_bytes = 4 * LEN);

	/* load_module() fails before its first check: becoming */
	f = mt_from_file_enter(TASK(1));
	mt_load_module_return(mt_load_module_enter(TASK(1), &info, 0),
			      -ENOEXEC, false);
	mt_from_file_return(f, -ENOEXEC);
	EXPECT("fails before the checks", .becoming = 3,
	       .becoming_bytes = 3 * LEN, .load = 2, .mod_bytes = 4 * LEN);

	/* load_module() starts afresh: what was marked before it is not its */
	f = mt_from_file_enter(TASK(1));
	mt_patient_check(TASK(1), MT_NAME_IN_MODULE);
	mt_do_init_module(TASK(1));
	CHECK(f->allocated && f->in_init && f->checks == 1, "marked");
	mt_load_module_return(mt_load_module_enter(TASK(1), &info, 0),
			      -ENOEXEC, false);
	mt_from_file_return(f, -ENOEXEC);
	EXPECT("fresh load_module()", .becoming = 4,
	       .becoming_bytes = 4 * LEN, .load = 2, .mod_bytes = 4 * LEN);
}

/* Without MODULES_VADDR the second check of a load is the LOAD one. */
static void test_reason_by_call_count(void)
{
	struct mt_load *f, *l;

	reset();
	CHECK(mt_patient_check(TASK(1), MT_NAME_UNKNOWN) ==
	      MODTRACK_DUP_BECOMING, "no load in flight: becoming");
	CHECK(mt_patient_check(TASK(1), MT_NAME_IN_MODULE) ==
	      MODTRACK_DUP_LOAD, "no load in flight, module area: load");
	mt_patient_check_return("other", MODTRACK_DUP_LOAD, -EEXIST);
	CHECK(!strcmp(dups(), "other:1:2 "), "recorded without a load: %s",
	      dups());

	/* counted from load_module()'s start */
	f = mt_from_file_enter(TASK(1));
	mt_patient_check(TASK(1), MT_NAME_UNKNOWN);
	l = mt_load_module_enter(TASK(1), &info, 0);
	CHECK(mt_patient_check(TASK(1), MT_NAME_UNKNOWN) ==
	      MODTRACK_DUP_BECOMING && !l->allocated, "first: becoming");
	CHECK(mt_patient_check(TASK(1), MT_NAME_UNKNOWN) ==
	      MODTRACK_DUP_LOAD && l->allocated, "second: load, allocated");
	mt_load_module_return(l, -EINVAL, false);
	mt_from_file_return(f, -EINVAL);
	EXPECT("by call count", .load = 1, .mod_bytes = 2 * LEN);
}

/* ---- init_module(2) --------------------------------------------------- */

static void test_init_module(void)
{
	struct mt_load *s;

	reset();
	s = mt_init_module_enter(TASK(1), 4096);
	mt_init_module_return(s, -EFAULT, false);
	EXPECT("copy fails", .kreads = 1, .kread_bytes = 4096);

	/* may_init_module(): not a kread failure, unless modules_disabled */
	mt_init_module_return(mt_init_module_enter(TASK(1), 4096), -EPERM,
			      true);
	EXPECT("not permitted", .kreads = 1, .kread_bytes = 4096);
	mt_init_module_return(mt_init_module_enter(TASK(1), 100), -EPERM,
			      false);
	EXPECT("modules disabled", .kreads = 2, .kread_bytes = 4196);

	/* load_module() reached: its failure, not a kread failure */
	s = mt_init_module_enter(TASK(1), 4096);
	mt_load_module_return(load_612(TASK(1), 0, 0, 0), -EINVAL, false);
	mt_init_module_return(s, -EINVAL, false);
	EXPECT("load fails", .kreads = 2, .kread_bytes = 4196, .load = 1,
	       .mod_bytes = 2 * LEN);

	s = mt_init_module_enter(TASK(1), 4096);
	mt_init_module_return(s, 0, false);
	EXPECT("success", .kreads = 2, .kread_bytes = 4196, .load = 1,
	       .mod_bytes = 2 * LEN);
}

/* ---- 6.1 finit_module(2) and its emulated duplicates ------------------ */

/* 6.1: load_module() of task @t up to allocation, @name the module's. */
static struct mt_load *load_61(struct task_struct *t, const char *name,
			       size_t len)
{
	struct mt_load *l = mt_load_module_enter(t, &info, 0), *a;

	CHECK(!l->allocated, "not allocated before find_module_all()");
	a = mt_find_module_all(t);
	CHECK(a == l && l->allocated, "first find_module_all(): allocation");
	mt_load_set_name(a, name, len);
	CHECK(!mt_find_module_all(t), "later calls are not");
	return l;
}

static void test_finit_61(void)
{
	static const struct {
		const char *what;
		int flags;
		long ret;
		bool not_permitted;
		bool kread, decompress;
	} cases[] = {
		{ "not a regular file", 0, -EINVAL, false, true, false },
		{ "read fails", MODULE_INIT_IGNORE_VERMAGIC, -EIO, false,
		  true, false },
		{ "invalid flags", 8, -EINVAL, false, false, false },
		{ "invalid flags, read fails", 8, -EIO, false, true, false },
		{ "bad descriptor", 0, -EBADF, false, false, false },
		{ "not permitted", 0, -EPERM, true, false, false },
		{ "modules disabled", 0, -EPERM, false, true, false },
		{ "compressed unsupported", MODULE_INIT_COMPRESSED_FILE,
		  -EOPNOTSUPP, false, false, true },
		{ "unsupported, not compressed", 0, -EOPNOTSUPP, false, true,
		  false },
		{ "success", 0, 0, false, false, false },
	};
	struct counts want = { 0 };
	struct mt_load *f;
	size_t i;

	reset();
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		f = mt_finit_enter(TASK(2), cases[i].flags);
		mt_finit_return(f, cases[i].ret, cases[i].not_permitted);
		want.kreads += cases[i].kread;
		want.decompress += cases[i].decompress;
		check_counts(__LINE__, cases[i].what, want);
	}

	/* load_module() reached: -EINVAL is its, not the flags check's */
	f = mt_finit_enter(TASK(2), 0);
	mt_load_module_return(mt_load_module_enter(TASK(2), &info, 0),
			      -EINVAL, true);
	mt_finit_return(f, -EINVAL, false);
	want.becoming++;
	want.becoming_bytes += LEN;
	check_counts(__LINE__, "load_module() fails", want);
}

static void test_dup_emulated_61(void)
{
	char long_name[100];
	struct mt_load *f, *l;

	reset();
	CHECK(!mt_find_module_all(TASK(2)), "no load in flight");

	/* -EEXIST after allocation: a duplicate, reason Load */
	f = mt_finit_enter(TASK(2), 0);
	CHECK(!mt_find_module_all(TASK(2)), "before load_module()");
	mt_load_module_return(load_61(TASK(2), "mt_test_b", 9), -EEXIST, true);
	mt_finit_return(f, -EEXIST, false);
	EXPECT("6.1 duplicate", .load = 1, .mod_bytes = 2 * LEN);
	CHECK(!strcmp(dups(), "mt_test_b:1:2 "), "dups %s", dups());

	/* other errors, or 6.4+ (no emulation): no duplicate */
	mt_load_module_return(load_61(TASK(2), "mt_test_c", 9), -EINVAL, true);
	mt_load_module_return(load_61(TASK(2), "mt_test_c", 9), -EEXIST,
			      false);
	EXPECT("no duplicate", .load = 3, .mod_bytes = 6 * LEN);
	CHECK(!strcmp(dups(), "mt_test_b:1:2 "), "dups %s", dups());

	/* no name copied (copy_from_kernel_nofault failed): none either */
	mt_load_module_return(load_61(TASK(2), "", 0), -EEXIST, true);
	EXPECT("no name", .load = 4, .mod_bytes = 8 * LEN);
	CHECK(!strcmp(dups(), "mt_test_b:1:2 "), "dups %s", dups());

	/* names are cut to MODULE_NAME_LEN - 1 */
	memset(long_name, 'x', sizeof(long_name));
	l = load_61(TASK(2), long_name, sizeof(long_name));
	CHECK(strlen(l->name) == MODULE_NAME_LEN - 1, "name of %zu",
	      strlen(l->name));
	mt_load_module_return(l, -EEXIST, true);
	CHECK(strlen(modtrack_state.dupfail_pool[1].name) ==
	      MODULE_NAME_LEN - 1, "recorded name cut");

	/* in init(): find_module_all() is not the allocation, no failure */
	l = mt_load_module_enter(TASK(2), &info, 0);
	mt_do_init_module(TASK(2));
	CHECK(!mt_find_module_all(TASK(2)), "in init");
	mt_load_module_return(l, -EEXIST, true);
	EXPECT("init fails", .load = 5, .mod_bytes = 10 * LEN);
}

/* ---- the table of loads in flight ------------------------------------ */

static void test_table_full(void)
{
	struct mt_load *slot[MT_NR_LOADS], *l;
	int i, distinct = 1;

	reset();
	for (i = 0; i < MT_NR_LOADS; i++) {
		slot[i] = mt_from_file_enter(TASK(i));
		distinct &= slot[i] && (!i || slot[i] != slot[i - 1]);
	}
	CHECK(distinct && mt_loads_in_flight() == MT_NR_LOADS,
	      "%d slots", MT_NR_LOADS);
	CHECK(!mt_from_file_enter(TASK(MT_NR_LOADS)), "table full");
	CHECK(!mt_init_module_enter(TASK(MT_NR_LOADS), 1), "still full");
	CHECK(!mt_load_module_enter(TASK(MT_NR_LOADS), &info, 0), "and again");
	CHECK(atomic64_read(&modtrack_state.untracked_loads) == 3,
	      "untracked_loads %lld",
	      (long long)atomic64_read(&modtrack_state.untracked_loads));
	/* an untracked load's inner probes find nothing */
	CHECK(!mt_decompress_enter(TASK(MT_NR_LOADS), ZLEN), "no slot");
	mt_do_init_module(TASK(MT_NR_LOADS));
	CHECK(mt_patient_check(TASK(MT_NR_LOADS), MT_NAME_IN_IMAGE) ==
	      MODTRACK_DUP_BECOMING, "check without a slot");

	/* a task with a slot goes deeper in it */
	l = mt_load_module_enter(TASK(7), &info, 0);
	CHECK(l == slot[7] && l->depth == 2, "nested in a full table");
	mt_load_module_return(l, -EINVAL, false);

	/* a slot given back is claimed again, cleared */
	slot[5]->decompress_seen = true;
	mt_from_file_return(slot[5], 0);
	l = mt_from_file_enter(TASK(MT_NR_LOADS));
	CHECK(l == slot[5] && !l->decompress_seen && l->depth == 1,
	      "freed slot reused, cleared");
	mt_from_file_return(l, -EISDIR);
	for (i = 0; i < MT_NR_LOADS; i++) {
		if (i != 5)
			mt_from_file_return(slot[i], 0);
	}
	EXPECT("table full", .becoming = 1, .becoming_bytes = LEN,
	       .kreads = 1, .untracked = 3);
}

/* Two tasks loading at once are classified apart. */
static void test_interleaved(void)
{
	struct mt_load *f1, *f2, *l1, *l2;

	reset();
	f1 = mt_from_file_enter(TASK(1));
	f2 = mt_from_file_enter(TASK(2));
	CHECK(f1 != f2 && mt_loads_in_flight() == 2, "two slots");
	l1 = mt_load_module_enter(TASK(1), &info, 0);
	l2 = mt_load_module_enter(TASK(2), &info, 0);
	mt_patient_check_return("mt_test_b",
				mt_patient_check(TASK(1), MT_NAME_IN_IMAGE), 0);
	mt_patient_check_return("mt_test_b",
				mt_patient_check(TASK(2), MT_NAME_IN_IMAGE),
				-EEXIST);
	mt_patient_check_return("mt_test_b",
				mt_patient_check(TASK(1), MT_NAME_IN_MODULE),
				0);
	mt_load_module_return(l2, -EEXIST, false);
	mt_from_file_return(f2, -EEXIST);
	mt_do_init_module(TASK(1));
	mt_load_module_return(l1, 0, false);
	mt_from_file_return(f1, 0);
	EXPECT("interleaved", .becoming = 1, .becoming_bytes = LEN);
	CHECK(!strcmp(dups(), "mt_test_b:1:1 "), "dups %s", dups());
}

void test_loads(void)
{
	test_success_and_init_failure();
	test_kread_from_file();
	test_decompress();
	test_becoming_load_and_duplicates();
	test_reason_by_call_count();
	test_init_module();
	test_finit_61();
	test_dup_emulated_61();
	test_table_full();
	test_interleaved();
	reset();
}
