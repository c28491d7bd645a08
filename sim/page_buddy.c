/*
 * page_buddy.c - Linux's binary buddy page allocator (mm/page_alloc.c, 6.x),
 * the page layer's "buddy" frame allocator (sim/page.h).
 *
 * Model
 *   Free memory is kept as naturally aligned blocks of 2^order frames, one
 *   doubly linked free list per zone per order (struct free_area). The
 *   buddy of the block at pfn of order k is pfn ^ (1 << k).
 *   alloc(k): take the first block of the smallest order j >= k with a
 *     free block; while j > k, halve it, keep the lower half and put the
 *     upper half at the head of list j-1 (Linux's expand()).
 *   free(pfn, k): while the buddy is a free block of the same order in the
 *     same zone, unlink it and merge; put the result at the head of its list.
 *   Zones are tried from the highest the GFP flags allow downwards
 *   (Normal -> DMA32 -> DMA), as Linux's zonelist fallback does.
 *
 * Departures from Linux: no per-CPU page lists (pcp), no migrate types or
 * pageblocks, no watermark enforcement or reclaim (watermark_low is
 * computed for kvm's reserve policy and the zone back end's zone_gc), no
 * "to tail" placement heuristic.
 * The lecture's buddy example (tests/buddy_slides.c) and /proc/buddyinfo
 * are the checkable answers. The same code serves the page layer (the
 * ops table at the end, over a physmem) and the free-standing lecture
 * model (sim/api.c kms_buddy_*, over a frame array of its own).
 *
 * State lives in the frame records (physmem.h): only block heads carry
 * state. A frame absorbed into a larger free block is set to FREE_TAIL so
 * a stale head is never mistaken for a free buddy.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "page_buddy.h"

void buddy_init(struct buddy *b, struct frame *frames, uint32_t nframes, unsigned max_order)
{
	memset(b, 0, sizeof(*b));
	b->frames = frames;
	b->nframes = nframes;
	b->max_order = max_order;
	for (int z = 0; z < NR_ZONES; z++)
		for (unsigned o = 0; o < BUDDY_MAX_ORDERS; o++)
			b->zone[z].area[o].head = PFN_NONE;
}

void buddy_zone_add(struct buddy *b, enum zone_type z, uint32_t start, uint32_t end)
{
	b->zone[z].start = start;
	b->zone[z].end = end;
}

static enum zone_type buddy_zone_of(const struct buddy *b, uint32_t pfn)
{
	if (pfn >= b->zone[ZONE_NORMAL].start && b->zone[ZONE_NORMAL].end > b->zone[ZONE_NORMAL].start)
		return ZONE_NORMAL;
	if (pfn >= b->zone[ZONE_DMA32].start && b->zone[ZONE_DMA32].end > b->zone[ZONE_DMA32].start)
		return ZONE_DMA32;
	return ZONE_DMA;
}

static void buddy_list_add(struct buddy *b, struct buddy_zone *zn, uint32_t pfn, unsigned order)
{
	struct frame *f = &b->frames[pfn];
	struct buddy_free_area *fa = &zn->area[order];
	f->state = FRAME_FREE_HEAD;
	f->order = (uint8_t)order;
	f->owner = OWNER_NONE;
	f->owner_id = 0;
	f->prev = PFN_NONE;
	f->next = fa->head;
	if (fa->head != PFN_NONE)
		b->frames[fa->head].prev = pfn;
	fa->head = pfn;
	fa->nr_free++;
	zn->free_pages += 1u << order;
}

static void buddy_list_del(struct buddy *b, struct buddy_zone *zn, uint32_t pfn, unsigned order)
{
	struct frame *f = &b->frames[pfn];
	struct buddy_free_area *fa = &zn->area[order];
	if (f->prev != PFN_NONE)
		b->frames[f->prev].next = f->next;
	else
		fa->head = f->next;
	if (f->next != PFN_NONE)
		b->frames[f->next].prev = f->prev;
	fa->nr_free--;
	zn->free_pages -= 1u << order;
}

/* Free a block into zone zn, merging with free buddies. */
static void buddy_free_one(struct buddy *b, struct buddy_zone *zn, uint32_t pfn, unsigned order)
{
	while (order < b->max_order) {
		uint32_t bpfn = pfn ^ (1u << order);
		if (bpfn < zn->start || bpfn + (1u << order) > zn->end)
			break;
		struct frame *bf = &b->frames[bpfn];
		if (bf->state != FRAME_FREE_HEAD || bf->order != order)
			break;
		buddy_list_del(b, zn, bpfn, order);
		bf->state = FRAME_FREE_TAIL;
		b->st.merges++;
		pfn &= bpfn;          /* the lower of the two */
		b->frames[pfn | (1u << order)].state = FRAME_FREE_TAIL;
		order++;
	}
	buddy_list_add(b, zn, pfn, order);
}

void buddy_range_free(struct buddy *b, uint32_t start, uint32_t end)
{
	struct buddy_zone *zn = &b->zone[buddy_zone_of(b, start)];
	uint32_t pfn = start;
	while (pfn < end) {
		unsigned order = b->max_order;
		while (order > 0 && ((pfn & ((1u << order) - 1)) || pfn + (1u << order) > end))
			order--;
		zn->managed += 1u << order;
		buddy_free_one(b, zn, pfn, order);
		pfn += 1u << order;
	}
	/* Linux's min_free_kbytes = sqrt(lowmem_kbytes * 16), clamped to
	 * [128, 262144], split over zones by size; low = min * 5/4. */
	uint64_t total = 0;
	for (int z = 0; z < NR_ZONES; z++)
		total += b->zone[z].managed;
	double min_kb = sqrt((double)total * 4.0 * 16.0);
	min_kb = min_kb < 128 ? 128 : min_kb > 262144 ? 262144 : min_kb;
	for (int z = 0; z < NR_ZONES; z++) {
		uint64_t zmin = total ? (uint64_t)(min_kb / 4.0 * (double)b->zone[z].managed / (double)total) : 0;
		b->zone[z].watermark_low = zmin + zmin / 4;
	}
}

static uint32_t buddy_alloc_zone(struct buddy *b, struct buddy_zone *zn, unsigned order)
{
	unsigned cur = order;
	while (cur <= b->max_order && zn->area[cur].head == PFN_NONE)
		cur++;
	if (cur > b->max_order)
		return PFN_NONE;
	uint32_t pfn = zn->area[cur].head;
	buddy_list_del(b, zn, pfn, cur);
	while (cur > order) {   /* expand(): keep the lower half */
		cur--;
		buddy_list_add(b, zn, pfn + (1u << cur), cur);
		b->st.splits++;
	}
	struct frame *f = &b->frames[pfn];
	f->state = FRAME_ALLOC_HEAD;
	f->order = (uint8_t)order;
	f->zone = (uint8_t)buddy_zone_of(b, pfn);
	f->next = f->prev = 0;
	return pfn;
}

uint32_t buddy_alloc(struct buddy *b, unsigned order, unsigned gfp)
{
	if (order > b->max_order) {
		b->st.failed++;
		return PFN_NONE;
	}
	int top = (gfp & GFP_DMA) ? ZONE_DMA : (gfp & GFP_DMA32) ? ZONE_DMA32 : ZONE_NORMAL;
	for (int z = top; z >= 0; z--) {
		struct buddy_zone *zn = &b->zone[z];
		if (zn->end == zn->start)
			continue;
		uint32_t pfn = buddy_alloc_zone(b, zn, order);
		if (pfn != PFN_NONE) {
			if (z != top)
				b->st.fallbacks++;
			b->st.allocs++;
			return pfn;
		}
	}
	b->st.failed++;
	return PFN_NONE;
}

void buddy_free(struct buddy *b, uint32_t pfn, unsigned order)
{
	struct frame *f = &b->frames[pfn];
	if (pfn >= b->nframes || f->state != FRAME_ALLOC_HEAD || f->order != order)
		die("buddy_free: pfn %#x order %u is not an allocated block (state %u order %u)",
		    pfn, order, pfn < b->nframes ? f->state : 0, pfn < b->nframes ? f->order : 0);
	b->st.frees++;
	buddy_free_one(b, &b->zone[buddy_zone_of(b, pfn)], pfn, order);
}

uint64_t buddy_free_pages(const struct buddy *b)
{
	uint64_t n = 0;
	for (int z = 0; z < NR_ZONES; z++)
		n += b->zone[z].free_pages;
	return n;
}

int buddy_largest_free_order(const struct buddy *b)
{
	for (int o = (int)b->max_order; o >= 0; o--)
		for (int z = 0; z < NR_ZONES; z++)
			if (b->zone[z].area[o].nr_free)
				return o;
	return -1;
}

#define CHECK_FAIL(...) do { snprintf(msg, msglen, __VA_ARGS__); return false; } while (0)

bool buddy_check(const struct buddy *b, char *msg, size_t msglen)
{
	for (int z = 0; z < NR_ZONES; z++) {
		const struct buddy_zone *zn = &b->zone[z];
		uint64_t listed = 0;
		/* Free lists: every member is a FREE_HEAD of this order, aligned,
		 * inside the zone, links consistent; counts match. */
		for (unsigned o = 0; o <= b->max_order; o++) {
			uint64_t n = 0;
			uint32_t prev = PFN_NONE;
			for (uint32_t p = zn->area[o].head; p != PFN_NONE; p = b->frames[p].next) {
				const struct frame *f = &b->frames[p];
				if (p < zn->start || p + (1u << o) > zn->end)
					CHECK_FAIL("buddy: zone %s order %u: block %#x outside zone", zone_names[z], o, p);
				if (f->state != FRAME_FREE_HEAD || f->order != o)
					CHECK_FAIL("buddy: zone %s order %u: listed block %#x has state %u order %u",
						   zone_names[z], o, p, f->state, f->order);
				if (p & ((1u << o) - 1))
					CHECK_FAIL("buddy: block %#x misaligned for order %u", p, o);
				if (f->prev != prev)
					CHECK_FAIL("buddy: block %#x has a broken prev link", p);
				if (++n > zn->area[o].nr_free)
					CHECK_FAIL("buddy: zone %s order %u: list longer than nr_free %llu",
						   zone_names[z], o, (unsigned long long)zn->area[o].nr_free);
				/* Coalescing is complete: the buddy is never free at this order. */
				uint32_t bp = p ^ (1u << o);
				if (o < b->max_order && bp >= zn->start && bp + (1u << o) <= zn->end &&
				    b->frames[bp].state == FRAME_FREE_HEAD && b->frames[bp].order == o)
					CHECK_FAIL("buddy: blocks %#x and %#x are free buddies of order %u, not merged", p, bp, o);
				listed += 1u << o;
				prev = p;
			}
			if (n != zn->area[o].nr_free)
				CHECK_FAIL("buddy: zone %s order %u: %llu listed, nr_free %llu", zone_names[z], o,
					   (unsigned long long)n, (unsigned long long)zn->area[o].nr_free);
		}
		if (listed != zn->free_pages)
			CHECK_FAIL("buddy: zone %s: free_pages %llu, lists hold %llu", zone_names[z],
				   (unsigned long long)zn->free_pages, (unsigned long long)listed);
		/* Walk the zone by blocks: heads tile it without overlap. */
		uint64_t heads_free = 0;
		for (uint32_t p = zn->start; p < zn->end;) {
			const struct frame *f = &b->frames[p];
			if (f->state == FRAME_FREE_HEAD || f->state == FRAME_ALLOC_HEAD) {
				if (p & ((1u << f->order) - 1) || p + (1u << f->order) > zn->end)
					CHECK_FAIL("buddy: block %#x order %u misaligned or past zone end", p, f->order);
				for (uint32_t q = p + 1; q < p + (1u << f->order); q++)
					if (b->frames[q].state == FRAME_FREE_HEAD)
						CHECK_FAIL("buddy: free head %#x inside block %#x order %u (overlap)", q, p, f->order);
				if (f->state == FRAME_FREE_HEAD)
					heads_free += 1u << f->order;
				p += 1u << f->order;
			} else if (f->owner == OWNER_RESERVE) {
				p++;
			} else {
				CHECK_FAIL("buddy: frame %#x in zone %s is neither a block head nor reserved (state %u)",
					   p, zone_names[z], f->state);
			}
		}
		if (heads_free != zn->free_pages)
			CHECK_FAIL("buddy: zone %s: free heads cover %llu pages, free_pages %llu", zone_names[z],
				   (unsigned long long)heads_free, (unsigned long long)zn->free_pages);
	}
	return true;
}

/* ---- the page layer's "buddy" frame allocator ---- */

struct page_buddy {
	struct page_allocator pa;
	struct buddy b;
};

static void page_buddy_range(void *ctx, enum zone_type z, uint32_t start, uint32_t end)
{
	(void)z;
	buddy_range_free(ctx, start, end);
}

static struct page_allocator *page_buddy_create(struct physmem *pm, const struct physmem_config *cfg)
{
	struct page_buddy *pb = xcalloc(1, sizeof(*pb));
	pb->pa.pm = pm;
	buddy_init(&pb->b, pm->frames, pm->nframes, cfg->max_order);
	for (int z = 0; z < NR_ZONES; z++)
		if (pm->zone_start[z] != pm->zone_end[z])
			buddy_zone_add(&pb->b, (enum zone_type)z, pm->zone_start[z], pm->zone_end[z]);
	physmem_free_ranges(pm, cfg, page_buddy_range, &pb->b);
	return &pb->pa;
}

static void page_buddy_destroy(struct page_allocator *pa) { free(pa); }

struct buddy *page_buddy(struct page_layer *pl)
{
	return pl->pa->ops == &page_buddy_ops ? &((struct page_buddy *)pl->pa)->b : NULL;
}

static struct buddy *page_buddy_of(struct page_allocator *pa) { return &((struct page_buddy *)pa)->b; }
static const struct buddy *page_buddy_of_const(const struct page_allocator *pa)
{
	return &((const struct page_buddy *)pa)->b;
}

static uint32_t page_buddy_alloc(struct page_allocator *pa, unsigned order, unsigned gfp, unsigned cpu)
{
	(void)cpu;
	return buddy_alloc(page_buddy_of(pa), order, gfp);
}

static void page_buddy_free(struct page_allocator *pa, uint32_t pfn, unsigned order, unsigned cpu)
{
	(void)cpu;
	buddy_free(page_buddy_of(pa), pfn, order);
}

static uint64_t page_buddy_free_blocks(const struct page_allocator *pa, enum zone_type z, unsigned order)
{
	const struct buddy *b = page_buddy_of_const(pa);
	return order <= b->max_order ? b->zone[z].area[order].nr_free : 0;
}

static uint64_t page_buddy_free_pages(const struct page_allocator *pa)
{
	return buddy_free_pages(page_buddy_of_const(pa));
}

static int page_buddy_largest_free_order(const struct page_allocator *pa)
{
	return buddy_largest_free_order(page_buddy_of_const(pa));
}

static uint64_t page_buddy_watermark_low(const struct page_allocator *pa)
{
	const struct buddy *b = page_buddy_of_const(pa);
	uint64_t w = 0;
	for (int z = 0; z < NR_ZONES; z++)
		w += b->zone[z].watermark_low;
	return w;
}

static bool page_buddy_check(const struct page_allocator *pa, char *msg, size_t msglen)
{
	return buddy_check(page_buddy_of_const(pa), msg, msglen);
}

static void page_buddy_report(const struct page_allocator *pa, page_report_fn_t fn, void *ctx)
{
	const struct buddy_stats *st = &page_buddy_of_const(pa)->st;
	fn(ctx, "buddy_splits", (double)st->splits);
	fn(ctx, "buddy_merges", (double)st->merges);
	fn(ctx, "buddy_zone_fallbacks", (double)st->fallbacks);
}

const struct page_allocator_ops page_buddy_ops = {
	.name = "buddy",
	.summary = "Linux binary buddy (mm/page_alloc.c): zones, free lists per order, no per-CPU lists",
	.create = page_buddy_create,
	.destroy = page_buddy_destroy,
	.alloc = page_buddy_alloc,
	.free = page_buddy_free,
	.free_blocks = page_buddy_free_blocks,
	.free_pages = page_buddy_free_pages,
	.largest_free_order = page_buddy_largest_free_order,
	.watermark_low = page_buddy_watermark_low,
	.check = page_buddy_check,
	.report = page_buddy_report,
};
