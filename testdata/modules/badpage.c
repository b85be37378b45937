// SPDX-License-Identifier: GPL-2.0
/*
 * modcrash test-bed module: frees a page in a state the page allocator's free-time checks reject,
 * so that the kernel prints a real "BUG: Bad page state in process insmod  pfn:..." report (and
 * leaks the page: its struct page in a dump still holds the defect).
 *
 * Parameters:
 *   defect=mapping   page->mapping = 0xdead000000000400 ("page dumped because: non-NULL mapping")
 *   defect=mapcount  page->_mapcount = 0, i.e. mapcount 1 ("page dumped because: nonzero mapcount")
 *   order=N          allocation order; -1 (default) picks one the kernel checks at free time:
 *                    0 from 6.3 on (checked when a boot option turns the checks on: init_on_free=1,
 *                    init_on_alloc=1, page poisoning, debug_pagealloc, or CONFIG_DEBUG_VM); before
 *                    6.3 an order-0 page goes to the per-cpu lists unchecked (checked only when the
 *                    list drains, in whatever task drains it) unless CONFIG_DEBUG_VM or
 *                    debug_pagealloc, so 4 there: above PAGE_ALLOC_COSTLY_ORDER the free bypasses
 *                    the per-cpu lists and __free_pages_ok() checks every page at once.
 *
 * Before freeing it prints one line, the tests' own oracle for the report:
 *   modcrash_badpage: freeing pfn 0x<pfn> with defect <defect> order <order>
 * Init then returns 0 and the module stays loaded (the bad page is leaked, never reused, so the
 * guest goes on normally); an unknown defect or order fails with -EINVAL before touching a page.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/atomic.h>
#include <linux/string.h>
#include <linux/version.h>

static char *defect = "mapping";
module_param(defect, charp, 0444);
MODULE_PARM_DESC(defect, "what is wrong with the freed page: mapping or mapcount");
static int order = -1;
module_param(order, int, 0444);
MODULE_PARM_DESC(order, "allocation order, 0..10; -1 picks one the kernel checks at free time");

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0) && !defined(CONFIG_DEBUG_VM)
#define MC_BADPAGE_AUTO_ORDER 4
#else
#define MC_BADPAGE_AUTO_ORDER 0
#endif

static int __init mc_badpage(void)
{
	bool mapping = !strcmp(defect, "mapping");
	unsigned int o;
	struct page *p;

	if (!mapping && strcmp(defect, "mapcount")) {
		pr_err("modcrash_badpage: unknown defect \"%s\" (expected mapping or mapcount)\n", defect);
		return -EINVAL;
	}
	if (order < -1 || order > 10) {
		pr_err("modcrash_badpage: order %d out of range (expected -1..10)\n", order);
		return -EINVAL;
	}
	o = order < 0 ? MC_BADPAGE_AUTO_ORDER : order;
	p = alloc_pages(GFP_KERNEL, o);
	if (!p)
		return -ENOMEM;
	pr_warn("modcrash_badpage: freeing pfn 0x%lx with defect %s order %u\n",
		page_to_pfn(p), defect, o);
	if (mapping)
		p->mapping = (void *)0xdead000000000400UL;
	else
		atomic_set(&p->_mapcount, 0);
	__free_pages(p, o);
	return 0;
}

#define MC_LICENSE "GPL"
#define MC_DESCRIPTION "frees a page the page allocator's free-time checks reject (bad page state)"
#define MC_INIT_HOOK mc_badpage
#include "mc_module.h"
