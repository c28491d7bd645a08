/*
 * buddy.c - the "buddy" back end: every object gets 2^order whole pages,
 * as in the lecture's buddy allocator (Bos, "Dynamic memory").
 *
 * Model
 *   An object of size bytes is served with the smallest power-of-two run
 *   of pages that holds it (page_order_for), taken from the page source
 *   (sim/kvm) like every back end's pages: with --backing direct that is
 *   one block of the page layer's buddy allocator (sim/page_buddy.c), so
 *   the run is the lecture's buddy system over the whole machine; with
 *   --backing mapped it is 2^order order-0 frames in the kernel map.
 *   Internal fragmentation is the rounding; nothing else is kept.
 *
 * The page allocator itself is the page layer's (sim/page.h): this back
 * end reports its split, merge and zone-fallback counters (page_report)
 * and runs its checker (page_check), but never sees its free lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include "allocator.h"
#include "../sim/engine.h"
#include "../sim/kvm.h"
#include "../sim/page.h"

#define CHECK_FAIL(...) do { snprintf(msg, msglen, __VA_ARGS__); return false; } while (0)

/* ---- the buddy back end: every object gets 2^order pages ---- */

struct buddy_backend {
	struct allocator a;
	uint64_t live[PAGE_MAX_ORDERS];      /* live objects per order */
	uint64_t peak[PAGE_MAX_ORDERS];
};

static struct allocator *bb_create(struct sim *s, const struct params *p)
{
	(void)p;
	struct buddy_backend *bb = xcalloc(1, sizeof(*bb));
	bb->a.sim = s;
	return &bb->a;
}

static void bb_destroy(struct allocator *a) { free(a); }

static int bb_cache_create(struct allocator *a, const char *name, uint32_t size, uint32_t align,
			   unsigned flags)
{
	(void)a; (void)name; (void)size; (void)align; (void)flags;
	return 1;   /* every size is served the same way */
}

static uint64_t bb_alloc(struct allocator *a, int cache, uint32_t size, unsigned cpu, unsigned gfp)
{
	(void)cache; (void)cpu;
	struct buddy_backend *bb = (struct buddy_backend *)a;
	unsigned order = page_order_for(size);
	if (order > page_max_order(a->sim->pl)) {
		a->last_fail = FAIL_TOO_BIG;
		return 0;
	}
	enum fail_reason why = FAIL_NONE;
	uint64_t va = kvm_alloc(a->sim->kvm, NULL, order, gfp, OWNER_BUDDY_OBJ, order, &why);
	if (!va) {
		a->last_fail = why;
		return 0;
	}
	a->alloc_bytes += (uint64_t)PAGE_SIZE << order;
	if (++bb->live[order] > bb->peak[order])
		bb->peak[order] = bb->live[order];
	return va;
}

static void bb_free(struct allocator *a, int cache, uint64_t addr, uint32_t size, unsigned cpu)
{
	(void)cache; (void)cpu;
	struct buddy_backend *bb = (struct buddy_backend *)a;
	unsigned order = page_order_for(size);
	kvm_free(a->sim->kvm, NULL, addr, order);
	a->alloc_bytes -= (uint64_t)PAGE_SIZE << order;
	bb->live[order]--;
}

static void bb_caches(struct allocator *a, cache_info_fn_t fn, void *ctx)
{
	struct buddy_backend *bb = (struct buddy_backend *)a;
	char name[32];
	for (unsigned o = 0; o <= page_max_order(a->sim->pl); o++) {
		if (!bb->peak[o])
			continue;
		snprintf(name, sizeof(name), "order-%u", o);
		/* a block is a unit holding its one object from alloc to free and
		 * goes back at the free: always CACHE_UNIT_USED (allocator.h),
		 * never hostage or cached empty */
		struct cache_info ci = {
			.name = name, .active_objs = bb->live[o], .num_objs = bb->live[o],
			.objsize = PAGE_SIZE << o, .objperslab = 1, .pagesperslab = 1u << o,
			.active_slabs = bb->live[o], .num_slabs = bb->live[o],
		};
		fn(ctx, &ci);
	}
}

static void bb_report(struct allocator *a, report_fn_t fn, void *ctx)
{
	page_report(a->sim->pl, fn, ctx);   /* buddy_splits, buddy_merges, buddy_zone_fallbacks */
}

static bool bb_check(struct allocator *a, char *msg, size_t msglen)
{
	struct buddy_backend *bb = (struct buddy_backend *)a;
	uint64_t bytes = 0;
	for (unsigned o = 0; o < PAGE_MAX_ORDERS; o++)
		bytes += bb->live[o] * ((uint64_t)PAGE_SIZE << o);
	if (bytes != a->alloc_bytes)
		CHECK_FAIL("buddy back end: alloc_bytes %llu but live blocks hold %llu",
			   (unsigned long long)a->alloc_bytes, (unsigned long long)bytes);
	return page_check(a->sim->pl, msg, msglen);
}

static bool bb_info(const struct params *p, uint32_t size, char *out, size_t outlen)
{
	unsigned order = page_order_for(size);
	if (order > p->mem.max_order)
		return false;   /* as bb_alloc: FAIL_TOO_BIG */
	snprintf(out, outlen, "%llu 1 %u", (unsigned long long)PAGE_SIZE << order, 1u << order);
	return true;
}

const struct allocator_ops buddy_ops = {
	.name = "buddy",
	.summary = "Linux binary buddy: each object gets 2^order whole pages",
	.create = bb_create,
	.destroy = bb_destroy,
	.cache_create = bb_cache_create,
	.alloc = bb_alloc,
	.free = bb_free,
	.caches = bb_caches,
	.report = bb_report,
	.check = bb_check,
	.info = bb_info,
};
