// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of modtrack's list semantics, taint letters, debugfs
 * formats, the oops/panic record and the field table, compiled against
 * shim/kshim.h; the load classification is tested in test_loads.c.
 * Prints "N passed, N failed" and exits non-zero on a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modtrack.h"
#include "test.h"

char kshim_log[65536];
static size_t kshim_log_len;
int panic_notifier_list;
struct new_utsname kshim_uts = { .release = "6.12.117+deb12-cloud-amd64" };

extern int (*kshim_init)(void);
extern void (*kshim_exit)(void);
extern int (*kshim_show_mt_stats)(struct seq_file *, void *);
extern int (*kshim_show_mt_unloaded)(struct seq_file *, void *);

void kshim_printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kshim_log_len += vsnprintf(kshim_log + kshim_log_len,
				   sizeof(kshim_log) - kshim_log_len, fmt, ap);
	va_end(ap);
}

void seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	m->len += vsnprintf(m->buf + m->len, sizeof(m->buf) - m->len, fmt, ap);
	va_end(ap);
}

void seq_write(struct seq_file *m, const void *p, size_t n)
{
	memcpy(m->buf + m->len, p, n);
	m->len += n;
	m->buf[m->len] = '\0';
}

/* modtrack_probes.c is kernel-only */
int mt_probes_init(void) { return 0; }
void mt_probes_exit(void) { }
void mt_probes_update_missed(void) { }
void mt_probes_show(struct seq_file *m) { }

int passed, failed;

static const char *show(int (*fn)(struct seq_file *, void *))
{
	static struct seq_file m;

	m.len = 0;
	m.buf[0] = '\0';
	fn(&m, NULL);
	return m.buf;
}

void reset(void)
{
	struct modtrack_state *st = &modtrack_state;

	memset(st->unloaded_pool, 0, sizeof(st->unloaded_pool));
	memset(st->dupfail_pool, 0, sizeof(st->dupfail_pool));
	st->unloaded.head = st->dupfail.head = MODTRACK_NIL;
	st->unloaded.nr_used = st->dupfail.nr_used = 0;
	st->unloaded.dropped = st->dupfail.dropped = 0;
	memset(&st->modcount, 0, offsetof(struct modtrack_state, unloaded) -
	       offsetof(struct modtrack_state, modcount));
	kshim_log_len = 0;
	kshim_log[0] = '\0';
}

#define O	BIT(TAINT_OOT_MODULE)
#define E	BIT(TAINT_UNSIGNED_MODULE)
#define P	BIT(TAINT_PROPRIETARY_MODULE)
#define W	BIT(9)	/* TAINT_WARN: not a per-module flag */

static void test_taints(void)
{
	char buf[MT_TAINT_BUF];

	mt_taint_string(O | E, buf);
	CHECK(!strcmp(buf, "OE"), "OE: %s", buf);
	mt_taint_string(P | W | O, buf);
	CHECK(!strcmp(buf, "PO"), "PO: %s", buf);
	mt_taint_string(W, buf);
	CHECK(!strcmp(buf, ""), "W only: '%s'", buf);
	mt_taint_string(BIT(TAINT_TEST) | BIT(TAINT_RANDSTRUCT) |
			BIT(TAINT_AUX) | BIT(TAINT_LIVEPATCH) |
			BIT(TAINT_CRAP) | BIT(TAINT_FORCED_MODULE) |
			BIT_ULL(19) | BIT_ULL(40), buf);
	CHECK(!strcmp(buf, "FCKXTN"), "all module flags: %s", buf);
}

static void test_unloaded(void)
{
	struct modtrack_state *st = &modtrack_state;
	const char *out;

	reset();
	mt_record_unloaded("a", O | E);
	mt_record_unloaded("a", O | E);
	mt_record_unloaded("a", P);		/* no overlap: new entry */
	mt_record_unloaded("b", 0);		/* untainted: ignored */
	mt_record_unloaded("a", O);		/* overlaps the OE entry */
	mt_record_unloaded("c", E);
	out = show(kshim_show_mt_unloaded);
	CHECK(!strcmp(out, "c (E) 1\na (P) 1\na (OE) 3\n"), "list:\n%s", out);
	CHECK(st->unloaded.nr_used == 3 && st->unloaded.head == 2,
	      "nr_used %u head %u", st->unloaded.nr_used, st->unloaded.head);
	CHECK(st->unloaded_pool[2].next == 1 && st->unloaded_pool[1].next == 0 &&
	      st->unloaded_pool[0].next == MODTRACK_NIL, "next chain");
	CHECK(st->seq % 2 == 0, "seq odd after updates: %llu",
	      (unsigned long long)st->seq);

	mt_print_unloaded(false);
	CHECK(!strcmp(kshim_log,
		      "Unloaded tainted modules: c(E):1 a(P):1 a(OE):3\n"),
	      "record: %s", kshim_log);
}

static void test_unloaded_cap_and_long_record(void)
{
	struct modtrack_state *st = &modtrack_state;
	char name[MODULE_NAME_LEN], *line, *save;
	int i, records = 0, entries = 0;

	reset();
	for (i = 0; i < MODTRACK_NR_UNLOADED + 5; i++) {
		snprintf(name, sizeof(name), "module_with_a_long_name_%03d", i);
		mt_record_unloaded(name, O | E);
	}
	mt_record_unloaded("module_with_a_long_name_000", O);
	CHECK(st->unloaded.nr_used == MODTRACK_NR_UNLOADED &&
	      st->unloaded.dropped == 5, "cap: used %u dropped %llu",
	      st->unloaded.nr_used, (unsigned long long)st->unloaded.dropped);
	CHECK(st->unloaded_pool[0].count == 2, "count on a full list");

	mt_print_unloaded(true);
	for (line = strtok_r(kshim_log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = line;

		CHECK(strlen(line) < 1024 - 32, "record of %zu bytes",
		      strlen(line));
		if (!records++)
			CHECK(!strncmp(line, "Unloaded tainted modules: ", 26),
			      "first record: %.40s", line);
		else
			CHECK(line[0] == ' ', "continuation: %.40s", line);
		while ((p = strstr(p, "(OE):")))
			entries++, p++;
	}
	CHECK(entries == MODTRACK_NR_UNLOADED, "entries printed %d", entries);
	CHECK(records > 1, "one record only");
}

static void test_stats_format(void)
{
	struct modtrack_state *st = &modtrack_state;
	char want[4096];
	const char *out;
	size_t n = 0;

	reset();
	atomic64_set(&st->modcount, 5);
	atomic64_set(&st->total_mod_size, 61441);
	atomic64_set(&st->total_text_size, 20480);
	atomic64_set(&st->failed_becoming, 4);
	atomic64_set(&st->invalid_becoming_bytes, 4 * 10001);
	mt_record_dupfail("mt_test_c", MODTRACK_DUP_BECOMING);
	mt_record_dupfail("mt_test_b", MODTRACK_DUP_LOAD);
	mt_record_dupfail("mt_test_c", MODTRACK_DUP_LOAD);
	mt_record_dupfail("mt_test_c", MODTRACK_DUP_BECOMING);

#define L(label, fmt, v) \
	(n += snprintf(want + n, sizeof(want) - n, "%25s\t" fmt "\n", label, v))
	L("Mods ever loaded", "%u", 5);
	L("Mods failed on kread", "%u", 0);
	L("Mods failed on decompress", "%u", 0);
	L("Mods failed on becoming", "%u", 4);
	L("Mods failed on load", "%u", 0);
	L("Total module size", "%lu", 61441UL);
	L("Total mod text size", "%lu", 20480UL);
	L("Failed kread bytes", "%lu", 0UL);
	L("Failed decompress bytes", "%lu", 0UL);
	L("Failed becoming bytes", "%lu", 40004UL);
	L("Failed kmod bytes", "%lu", 0UL);
	L("Virtual mem wasted bytes", "%lu", 40004UL);
	L("Average mod size", "%lu", 12289UL);		/* DIV_ROUND_UP */
	L("Average mod text size", "%lu", 4096UL);
	L("Avg fail becoming bytes", "%lu", 10001UL);
	n += snprintf(want + n, sizeof(want) - n,
		      "Duplicate failed modules:\n%25s\t%15s\t%25s\n"
		      "%25s\t%15lu\t%25s\n%25s\t%15lu\t%25s\n",
		      "Module-name", "How-many-times", "Reason",
		      "mt_test_b", 1UL, "Load",
		      "mt_test_c", 3UL, "Becoming & Load");
	out = show(kshim_show_mt_stats);
	CHECK(!strcmp(out, want), "stats:\n%s\nwant:\n%s", out, want);

	/* no failures: no averages for them, no table */
	reset();
	atomic64_set(&st->modcount, 1);
	out = show(kshim_show_mt_stats);
	CHECK(!strstr(out, "Average") && !strstr(out, "Duplicate") &&
	      strstr(out, "         Mods ever loaded\t1\n"), "empty:\n%s", out);
}

static void test_dup_table_cut(void)
{
	struct modtrack_state *st = &modtrack_state;
	char name[MODULE_NAME_LEN];
	const char *out, *p;
	int i, rows = 0;

	reset();
	for (i = 0; i < MODTRACK_NR_DUPFAIL + 3; i++) {
		snprintf(name, sizeof(name), "m%03d", i);
		mt_record_dupfail(name, MODTRACK_DUP_BECOMING);
	}
	CHECK(st->dupfail.nr_used == MODTRACK_NR_DUPFAIL &&
	      st->dupfail.dropped == 3, "dup cap");
	atomic64_set(&st->failed_becoming, 1000);
	out = show(kshim_show_mt_stats);
	for (p = out; (p = strstr(p, "Becoming\n")); p++)
		rows++;
	CHECK(rows == 111, "rows %d (at most 111, as the kernel)", rows);
	CHECK(strlen(out) < 1024 + 112 * 64, "size %zu", strlen(out));
	CHECK(strstr(out, "                     m127\t") != NULL,
	      "newest first");
}

static const struct modtrack_field *field(unsigned int scope,
					  const char *name)
{
	const struct modtrack_state *st = &modtrack_state;
	u32 i;

	for (i = 0; i < st->nr_fields; i++) {
		if (st->fields[i].scope == scope &&
		    !strcmp(st->fields[i].name, name))
			return &st->fields[i];
	}
	return NULL;
}

/*
 * nr_fields counts exactly the used entries: each names a field inside
 * its scope, once; every entry after them is zero.
 */
static void test_field_table(void)
{
	static const u32 scope_size[] = {
		[MODTRACK_SCOPE_STATE] = sizeof(struct modtrack_state),
		[MODTRACK_SCOPE_UNLOADED] = sizeof(struct modtrack_unloaded),
		[MODTRACK_SCOPE_DUPFAIL] = sizeof(struct modtrack_dupfail),
	};
	static const struct modtrack_field zero;
	const struct modtrack_state *st = &modtrack_state;
	const struct modtrack_field *f;
	u32 i, bad = 0, unused = 0;

	CHECK(st->nr_fields == 48, "nr_fields %u", st->nr_fields);
	for (i = 0; i < st->nr_fields; i++) {
		f = &st->fields[i];
		if (!f->name[0] || f->scope >= ARRAY_SIZE(scope_size) ||
		    !f->type || f->type > MODTRACK_TYPE_FIELDS || !f->size ||
		    f->offset + f->size > scope_size[f->scope] ||
		    field(f->scope, f->name) != f) {
			printf("bad field %u: %s scope %u type %u %u+%u\n", i,
			       f->name, f->scope, f->type, f->offset, f->size);
			bad++;
		}
	}
	for (; i < MODTRACK_NR_FIELDS; i++)
		unused += !memcmp(&st->fields[i], &zero, sizeof(zero));
	CHECK(!bad, "%u bad entries", bad);
	CHECK(unused == MODTRACK_NR_FIELDS - st->nr_fields,
	      "%u of %u entries past nr_fields are zero", unused,
	      MODTRACK_NR_FIELDS - st->nr_fields);

	f = field(MODTRACK_SCOPE_STATE, "fields");
	CHECK(f && f->offset == st->fields_offset &&
	      f->size == MODTRACK_NR_FIELDS * st->field_size,
	      "the table describes itself");
	f = field(MODTRACK_SCOPE_STATE, "dupfail.dropped");
	CHECK(f && f->offset == offsetof(struct modtrack_state,
					 dupfail.dropped) &&
	      f->size == 8 && f->type == MODTRACK_TYPE_U64, "dupfail.dropped");
	f = field(MODTRACK_SCOPE_DUPFAIL, "next");
	CHECK(f && f->offset == 72 && f->type == MODTRACK_TYPE_INDEX,
	      "dupfail next");
}

static void test_init(void)
{
	struct modtrack_state *st = &modtrack_state;

	CHECK(kshim_init() == 0, "init");
	CHECK(!memcmp(st->magic, "MODTRACK", 8), "magic");
	CHECK(st->linux_version_code == ((6 << 16) + (12 << 8) + 117),
	      "version code %#x", st->linux_version_code);
	CHECK(!strcmp(st->release, "6.12.117+deb12-cloud-amd64"), "release");
	CHECK(st->flags & MODTRACK_F_READY, "ready flag");
	kshim_exit();
	CHECK(!(st->flags & MODTRACK_F_READY) &&
	      (st->flags & MODTRACK_F_EXITING), "exit flags %#x", st->flags);
}

int main(void)
{
	test_init();
	test_taints();
	test_unloaded();
	test_unloaded_cap_and_long_record();
	test_stats_format();
	test_dup_table_cut();
	test_field_table();
	test_loads();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
