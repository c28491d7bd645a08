/*
 * slob.c - Linux's SLOB ("simple list of blocks"), as mm/slob.c had it
 * before its removal in 6.4: the allocator for small machines, whose
 * weakness (scanning and fragmentation under mixed sizes) is the point.
 *
 * Model (Linux 6.3 behaviour)
 *  - Memory is counted in SLOB_UNITs of 2 bytes. A page has a free count
 *    (units) and an address-ordered list of free blocks inside it.
 *  - Three lists of pages with free space: small (requests < 256 bytes),
 *    medium (< 1024) and large. An allocation walks its list, skips pages
 *    whose free count is too small, and takes the first block that fits in
 *    a page (first fit), honouring alignment: a leading fragment before
 *    the aligned start stays free. After a hit, the list is rotated so the
 *    next search starts at that page (Knuth's roving pointer).
 *  - A page that becomes full leaves its list; a full page that gets a
 *    free goes back on the list chosen by the freed object's size. Frees
 *    coalesce with adjacent free blocks; a page that becomes wholly free
 *    is returned to the page allocator at once.
 *  - kmalloc puts an 8-byte header (ARCH_KMALLOC_MINALIGN) before the object
 *    holding its size, and aligns the object to 8 (a power-of-two size to
 *    its size); requests of
 *    PAGE_SIZE - 8 bytes or more go to the page allocator (whole pages, no
 *    header). kmem_cache objects have no header; caches of PAGE_SIZE or
 *    more also take whole pages.
 *
 * A(t) (a->alloc_bytes) is what SLOB consumes for live objects: units
 * including the kmalloc header, and whole pages for large ones. SLOB keeps
 * its page state in struct page, so meta_bytes is 0; cache descriptors
 * came from a SLOB page themselves and are not counted.
 *
 * Metrics: the slabinfo rows are the pages of each list (slob-small,
 * slob-medium, slob-large, and slob-full for pages on no list), counted in
 * SLOB_UNITs: objsize 2, active_objs the units live objects use (with
 * their kmalloc headers; alignment fragments are free units), num_objs the
 * units of the pages. hostage_pages follows allocator.h's cache_unit_state per page (used
 * units of 2048); cached_empty_pages is always 0, as SLOB gives a page
 * back the moment it becomes wholly free. Whole-page objects are in no
 * row.
 *
 * Departures: one NUMA node; the free-block encoding (a 1-unit block holds
 * only its next offset) is kept in host arrays, not in the page.
 *
 * Invariants (slob_check): per page, free blocks are sorted, inside the
 * page, not overlapping and not adjacent (coalesced); their units sum to
 * the page's free count; a page is on a list iff it has free units and
 * is not wholly free; the used units of all pages plus large objects
 * equal A(t).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "allocator.h"
#include "../sim/engine.h"
#include "../sim/kvm.h"
#include "../sim/page.h"

#define SLOB_UNIT        2
#define SLOB_PAGE_UNITS  (PAGE_SIZE / SLOB_UNIT)
#define SLOB_BREAK1      256
#define SLOB_BREAK2      1024
#define SLOB_MINALIGN    8            /* max(ARCH_KMALLOC_MINALIGN, ARCH_SLAB_MINALIGN) */
#define SLOB_NONE        UINT32_MAX

enum { LIST_SMALL, LIST_MEDIUM, LIST_LARGE, NLISTS, LIST_NONE = 255 };
static const char *const list_name[NLISTS] = { "slob-small", "slob-medium", "slob-large" };

struct slob_block { uint16_t off, len; };   /* in units */

struct slob_page {
	uint64_t va;
	uint32_t units;          /* free units */
	uint32_t next, prev;     /* on its list (circular); next = slot link when unused */
	uint8_t  list;           /* LIST_* or LIST_NONE (full) */
	bool     used;           /* slot in use */
	struct slob_block *blk;  /* free blocks, address order */
	uint32_t nblk, blkcap;
};

struct slob_cache { uint32_t size, align; };

struct slob_large { uint64_t va; uint32_t size; };

struct slob {
	struct allocator a;
	struct slob_page *pg;
	uint32_t npg, pgcap, pg_free;
	uint32_t head[NLISTS];   /* first page of each list, SLOB_NONE if empty */
	struct slob_cache *cache;
	uint32_t ncache, cachecap;
	struct slob_large *large;
	uint32_t nlarge, largecap;
	uint64_t pages, st_new_pages, st_freed_pages, st_allocs, st_visited, st_scanned;
	uint64_t st_visited_max, st_large;
};

static struct slob *slob_of(struct allocator *a) { return (struct slob *)a; }

static uint32_t units_of(uint32_t bytes) { return (bytes + SLOB_UNIT - 1) / SLOB_UNIT; }

/* --- the page lists (circular, so rotation is moving the head) ---------- */

static void list_add_head(struct slob *s, uint32_t id, unsigned l)
{
	struct slob_page *p = &s->pg[id];
	p->list = (uint8_t)l;
	if (s->head[l] == SLOB_NONE) {
		p->next = p->prev = id;
	} else {
		uint32_t h = s->head[l], t = s->pg[h].prev;
		p->next = h;
		p->prev = t;
		s->pg[t].next = id;
		s->pg[h].prev = id;
	}
	s->head[l] = id;
}

static void list_remove(struct slob *s, uint32_t id)
{
	struct slob_page *p = &s->pg[id];
	unsigned l = p->list;
	if (p->next == id) {
		s->head[l] = SLOB_NONE;
	} else {
		s->pg[p->prev].next = p->next;
		s->pg[p->next].prev = p->prev;
		if (s->head[l] == id)
			s->head[l] = p->next;
	}
	p->list = LIST_NONE;
}

/* --- blocks inside a page ----------------------------------------------- */

static void blk_insert(struct slob_page *p, uint32_t i, uint16_t off, uint16_t len)
{
	if (p->nblk == p->blkcap) {
		p->blkcap = p->blkcap ? p->blkcap * 2 : 4;
		p->blk = xrealloc(p->blk, p->blkcap * sizeof(*p->blk));
	}
	memmove(&p->blk[i + 1], &p->blk[i], (p->nblk - i) * sizeof(*p->blk));
	p->blk[i] = (struct slob_block){ off, len };
	p->nblk++;
}

static void blk_delete(struct slob_page *p, uint32_t i)
{
	memmove(&p->blk[i], &p->blk[i + 1], (p->nblk - i - 1) * sizeof(*p->blk));
	p->nblk--;
}

/*
 * First fit in one page (slob_page_alloc): the object must start at an
 * address where (address + align_offset) is aligned. Returns the unit
 * offset of the block, or -1.
 */
static int slob_page_alloc(struct slob_page *p, uint32_t units, uint32_t align, uint32_t align_offset)
{
	for (uint32_t i = 0; i < p->nblk; i++) {
		uint32_t cur = p->blk[i].off, avail = p->blk[i].len, delta = 0;
		if (align) {
			uint64_t at = p->va + (uint64_t)cur * SLOB_UNIT + align_offset;
			uint64_t aligned = (at + align - 1) & ~(uint64_t)(align - 1);
			delta = (uint32_t)((aligned - at) / SLOB_UNIT);
		}
		if (avail < units + delta)
			continue;
		if (delta) {                 /* the leading fragment stays free */
			p->blk[i].len = (uint16_t)delta;
			i++;
			blk_insert(p, i, (uint16_t)(cur + delta), (uint16_t)(avail - delta));
			cur += delta;
			avail -= delta;
		}
		if (avail == units)
			blk_delete(p, i);
		else
			p->blk[i] = (struct slob_block){ (uint16_t)(cur + units), (uint16_t)(avail - units) };
		p->units -= units;
		return (int)cur;
	}
	return -1;
}

static uint32_t page_new(struct slob *s, unsigned gfp, enum fail_reason *why)
{
	uint64_t va = kvm_alloc(s->a.sim->kvm, NULL, 0, gfp, OWNER_SLAB, 0, why);
	if (!va)
		return SLOB_NONE;
	uint32_t id;
	if (s->pg_free != SLOB_NONE) {
		id = s->pg_free;
		s->pg_free = s->pg[id].next;
	} else {
		if (s->npg == s->pgcap) {
			s->pgcap = s->pgcap ? s->pgcap * 2 : 256;
			s->pg = xrealloc(s->pg, s->pgcap * sizeof(*s->pg));
		}
		id = s->npg++;
		s->pg[id].blk = NULL;
		s->pg[id].blkcap = 0;
	}
	struct slob_page *p = &s->pg[id];
	p->va = va;
	p->units = SLOB_PAGE_UNITS;
	p->used = true;
	p->list = LIST_NONE;
	p->nblk = 0;
	blk_insert(p, 0, 0, SLOB_PAGE_UNITS);
	page_private_set(s->a.sim->pl, kvm_va_to_pfn(s->a.sim->kvm, va), OWNER_SLAB, 0, 0, id);
	s->pages++;
	s->st_new_pages++;
	return id;
}

static void page_release(struct slob *s, uint32_t id)
{
	struct slob_page *p = &s->pg[id];
	if (p->list != LIST_NONE)
		list_remove(s, id);
	kvm_free(s->a.sim->kvm, NULL, p->va, 0);
	p->used = false;
	p->next = s->pg_free;
	s->pg_free = id;
	s->pages--;
	s->st_freed_pages++;
}

/* slob_alloc: returns the address of the block, 0 on failure. */
static uint64_t slob_block_alloc(struct slob *s, uint32_t bytes, uint32_t align, uint32_t align_offset, unsigned gfp)
{
	unsigned l = bytes < SLOB_BREAK1 ? LIST_SMALL : bytes < SLOB_BREAK2 ? LIST_MEDIUM : LIST_LARGE;
	uint32_t units = units_of(bytes);
	uint64_t visited = 0;
	s->st_allocs++;
	uint32_t h = s->head[l];
	if (h != SLOB_NONE) {
		uint32_t id = h;
		do {
			struct slob_page *p = &s->pg[id];
			uint32_t next = p->next;
			visited++;
			if (p->units >= units) {          /* enough room on this page? */
				s->st_scanned++;
				int off = slob_page_alloc(p, units, align, align_offset);
				if (off >= 0) {
					if (p->units == 0)
						list_remove(s, id);          /* full: off the list */
					else
						s->head[l] = id;             /* next search starts here */
					s->st_visited += visited;
					if (visited > s->st_visited_max)
						s->st_visited_max = visited;
					return p->va + (uint64_t)off * SLOB_UNIT;
				}
			}
			id = next;
		} while (id != s->head[l]);
	}
	s->st_visited += visited;
	if (visited > s->st_visited_max)
		s->st_visited_max = visited;
	enum fail_reason why = FAIL_NOMEM;
	uint32_t id = page_new(s, gfp, &why);
	if (id == SLOB_NONE) {
		s->a.last_fail = why;
		return 0;
	}
	list_add_head(s, id, l);
	struct slob_page *p = &s->pg[id];
	int off = slob_page_alloc(p, units, align, align_offset);
	if (p->units == 0)
		list_remove(s, id);
	return p->va + (uint64_t)off * SLOB_UNIT;
}

/* slob_free: give back the block at va of the given bytes. */
static void slob_block_free(struct slob *s, uint64_t va, uint32_t bytes)
{
	uint32_t pfn = kvm_va_to_pfn(s->a.sim->kvm, va);
	uint32_t id = page_private(s->a.sim->pl, pfn, OWNER_SLAB, 0);
	struct slob_page *p = &s->pg[id];
	uint32_t units = units_of(bytes), off = (uint32_t)((va - p->va) / SLOB_UNIT);
	if (p->units + units == SLOB_PAGE_UNITS) {   /* wholly free: back to the page allocator */
		p->units += units;
		page_release(s, id);
		return;
	}
	if (p->units == 0) {                          /* was full: back on a list */
		p->units = units;
		p->nblk = 0;
		blk_insert(p, 0, (uint16_t)off, (uint16_t)units);
		list_add_head(s, id, bytes < SLOB_BREAK1 ? LIST_SMALL : bytes < SLOB_BREAK2 ? LIST_MEDIUM : LIST_LARGE);
		return;
	}
	p->units += units;
	uint32_t i = 0;
	while (i < p->nblk && p->blk[i].off < off)
		i++;
	blk_insert(p, i, (uint16_t)off, (uint16_t)units);
	if (i + 1 < p->nblk && p->blk[i].off + p->blk[i].len == p->blk[i + 1].off) {
		p->blk[i].len = (uint16_t)(p->blk[i].len + p->blk[i + 1].len);
		blk_delete(p, i + 1);
	}
	if (i > 0 && p->blk[i - 1].off + p->blk[i - 1].len == p->blk[i].off) {
		p->blk[i - 1].len = (uint16_t)(p->blk[i - 1].len + p->blk[i].len);
		blk_delete(p, i);
	}
}

/* --- large objects: whole pages ---------------------------------------- */

static uint64_t large_alloc(struct slob *s, uint32_t size, unsigned gfp)
{
	unsigned order = order_for_bytes(size);
	enum fail_reason why = FAIL_NOMEM;
	uint64_t va = kvm_alloc(s->a.sim->kvm, NULL, order, gfp, OWNER_LARGE, 0, &why);
	if (!va) {
		s->a.last_fail = why;
		return 0;
	}
	if (s->nlarge == s->largecap) {
		s->largecap = s->largecap ? s->largecap * 2 : 64;
		s->large = xrealloc(s->large, s->largecap * sizeof(*s->large));
	}
	page_private_set(s->a.sim->pl, kvm_va_to_pfn(s->a.sim->kvm, va), OWNER_LARGE, 0, 0, s->nlarge);
	s->large[s->nlarge++] = (struct slob_large){ va, size };
	s->a.alloc_bytes += (uint64_t)PAGE_SIZE << order;   /* 2^32 for 2^32 - 1 bytes */
	s->st_large++;
	return va;
}

static void large_free(struct slob *s, uint64_t va)
{
	uint32_t li = page_private(s->a.sim->pl, kvm_va_to_pfn(s->a.sim->kvm, va), OWNER_LARGE, 0);
	unsigned order = order_for_bytes(s->large[li].size);
	s->a.alloc_bytes -= (uint64_t)PAGE_SIZE << order;
	s->large[li] = s->large[--s->nlarge];
	if (li < s->nlarge)
		page_private_set(s->a.sim->pl, kvm_va_to_pfn(s->a.sim->kvm, s->large[li].va), OWNER_LARGE, 0, s->nlarge, li);
	kvm_free(s->a.sim->kvm, NULL, va, order);
}

/* --- the back end ------------------------------------------------------ */

static struct allocator *slob_create(struct sim *sim, const struct params *p)
{
	(void)p;
	struct slob *s = xcalloc(1, sizeof(*s));
	s->a.sim = sim;
	s->pg_free = SLOB_NONE;
	for (int l = 0; l < NLISTS; l++)
		s->head[l] = SLOB_NONE;
	s->ncache = 1;                      /* id 0 is kmalloc */
	s->cachecap = 16;
	s->cache = xcalloc(s->cachecap, sizeof(*s->cache));
	return &s->a;
}

static void slob_destroy(struct allocator *a)
{
	struct slob *s = slob_of(a);
	for (uint32_t i = 0; i < s->npg; i++)
		free(s->pg[i].blk);
	free(s->pg);
	free(s->cache);
	free(s->large);
	free(s);
}

static int slob_cache_create(struct allocator *a, const char *name, uint32_t size, uint32_t align,
			     unsigned flags)
{
	(void)name; (void)flags;
	struct slob *s = slob_of(a);
	if (s->ncache == s->cachecap) {
		s->cachecap *= 2;
		s->cache = xrealloc(s->cache, s->cachecap * sizeof(*s->cache));
	}
	/* slab_common's calculate_alignment: at least ARCH_SLAB_MINALIGN */
	s->cache[s->ncache] = (struct slob_cache){ size ? size : 1, align > SLOB_MINALIGN ? align : SLOB_MINALIGN };
	return (int)s->ncache++;
}

static bool is_large(const struct slob *s, int cache, uint32_t size)
{
	return cache > 0 ? s->cache[cache].size >= PAGE_SIZE : size >= PAGE_SIZE - SLOB_MINALIGN;
}

static uint64_t slob_alloc(struct allocator *a, int cache, uint32_t size, unsigned cpu, unsigned gfp)
{
	(void)cpu;
	struct slob *s = slob_of(a);
	if (cache > 0) {
		const struct slob_cache *c = &s->cache[cache];
		if (c->size >= PAGE_SIZE)
			return large_alloc(s, c->size, gfp);
		uint64_t va = slob_block_alloc(s, c->size, c->align, 0, gfp);
		if (va)
			a->alloc_bytes += units_of(c->size) * SLOB_UNIT;
		return va;
	}
	if (size == 0)
		size = 1;
	if (is_large(s, 0, size))
		return large_alloc(s, size, gfp);
	/* a power-of-two request is aligned to its size (__do_kmalloc_node) */
	uint32_t align = (size & (size - 1)) == 0 && size > SLOB_MINALIGN ? size : SLOB_MINALIGN;
	uint64_t m = slob_block_alloc(s, size + SLOB_MINALIGN, align, SLOB_MINALIGN, gfp);
	if (!m)
		return 0;
	a->alloc_bytes += units_of(size + SLOB_MINALIGN) * SLOB_UNIT;
	return m + SLOB_MINALIGN;
}

static void slob_free(struct allocator *a, int cache, uint64_t addr, uint32_t size, unsigned cpu)
{
	(void)cpu;
	struct slob *s = slob_of(a);
	if (size == 0)
		size = 1;
	if (is_large(s, cache, size)) {
		large_free(s, addr);
		return;
	}
	uint32_t bytes = cache > 0 ? s->cache[cache].size : size + SLOB_MINALIGN;
	uint64_t block = cache > 0 ? addr : addr - SLOB_MINALIGN;
	a->alloc_bytes -= units_of(bytes) * SLOB_UNIT;
	slob_block_free(s, block, bytes);
}

static void slob_caches(struct allocator *a, cache_info_fn_t fn, void *ctx)
{
	struct slob *s = slob_of(a);
	struct cache_info ci[NLISTS + 1];
	memset(ci, 0, sizeof(ci));
	for (int l = 0; l < NLISTS; l++)
		ci[l].name = list_name[l];
	ci[NLISTS].name = "slob-full";
	for (uint32_t i = 0; i < s->npg; i++) {
		const struct slob_page *p = &s->pg[i];
		if (!p->used)
			continue;
		struct cache_info *c = &ci[p->list == LIST_NONE ? NLISTS : p->list];
		uint32_t used = SLOB_PAGE_UNITS - p->units;
		c->num_objs += SLOB_PAGE_UNITS;
		c->active_objs += used;
		c->num_slabs++;
		c->active_slabs += used > 0;
		cache_unit_count(c, used, SLOB_PAGE_UNITS, 1);
	}
	for (int l = 0; l <= NLISTS; l++) {
		ci[l].objsize = SLOB_UNIT;        /* rows count units, not objects */
		ci[l].objperslab = SLOB_PAGE_UNITS;
		ci[l].pagesperslab = 1;
		fn(ctx, &ci[l]);
	}
}

static void slob_report(struct allocator *a, report_fn_t fn, void *ctx)
{
	struct slob *s = slob_of(a);
	uint64_t free_units = 0;
	for (uint32_t i = 0; i < s->npg; i++)
		if (s->pg[i].used)
			free_units += s->pg[i].units;
	fn(ctx, "slob_pages", (double)s->pages);
	fn(ctx, "slob_pages_allocated", (double)s->st_new_pages);
	fn(ctx, "slob_pages_freed", (double)s->st_freed_pages);
	fn(ctx, "slob_free_bytes", (double)(free_units * SLOB_UNIT));
	fn(ctx, "slob_large_allocs", (double)s->st_large);
	fn(ctx, "slob_pages_scanned_mean", s->st_allocs ? (double)s->st_visited / (double)s->st_allocs : NAN);
	fn(ctx, "slob_pages_scanned_max", (double)s->st_visited_max);
	fn(ctx, "slob_pages_searched_mean", s->st_allocs ? (double)s->st_scanned / (double)s->st_allocs : NAN);
}

static void slob_walk(struct allocator *a, walk_fn_t fn, void *ctx)
{
	struct slob *s = slob_of(a);
	for (uint32_t i = 0; i < s->npg; i++) {
		const struct slob_page *p = &s->pg[i];
		if (!p->used)
			continue;
		uint32_t at = 0;
		for (uint32_t b = 0; b <= p->nblk; b++) {
			uint32_t end = b < p->nblk ? p->blk[b].off : SLOB_PAGE_UNITS;
			if (p->units == 0)
				end = SLOB_PAGE_UNITS;       /* full page: stale block array */
			if (end > at)
				fn(ctx, p->va + (uint64_t)at * SLOB_UNIT, (uint64_t)(end - at) * SLOB_UNIT);
			if (p->units == 0 || b == p->nblk)
				break;
			at = p->blk[b].off + p->blk[b].len;
		}
	}
	for (uint32_t i = 0; i < s->nlarge; i++)
		fn(ctx, s->large[i].va, s->large[i].size);
}

#define FAIL(...) do { snprintf(msg, msglen, __VA_ARGS__); return false; } while (0)

static bool slob_check(struct allocator *a, char *msg, size_t msglen)
{
	struct slob *s = slob_of(a);
	uint64_t used_bytes = 0, on_lists = 0, with_free = 0, pages = 0;
	for (uint32_t i = 0; i < s->npg; i++) {
		const struct slob_page *p = &s->pg[i];
		if (!p->used)
			continue;
		pages++;
		if (p->units >= SLOB_PAGE_UNITS)
			FAIL("slob: page %#llx is wholly free but still held", (unsigned long long)p->va);
		if (p->units) {
			uint32_t sum = 0, end = 0;
			for (uint32_t b = 0; b < p->nblk; b++) {
				const struct slob_block *k = &p->blk[b];
				if (!k->len || k->off + k->len > SLOB_PAGE_UNITS)
					FAIL("slob: page %#llx: block %u+%u outside the page", (unsigned long long)p->va, k->off, k->len);
				if (b && k->off <= end)
					FAIL("slob: page %#llx: block at %u overlaps or touches the one before (ends %u): not coalesced",
					     (unsigned long long)p->va, k->off, end);
				end = k->off + k->len;
				sum += k->len;
			}
			if (sum != p->units)
				FAIL("slob: page %#llx: free blocks hold %u units, free count %u", (unsigned long long)p->va, sum, p->units);
			with_free++;
			if (p->list == LIST_NONE)
				FAIL("slob: page %#llx has %u free units but is on no list", (unsigned long long)p->va, p->units);
		} else if (p->list != LIST_NONE) {
			FAIL("slob: full page %#llx is on list %s", (unsigned long long)p->va, list_name[p->list]);
		}
		used_bytes += (uint64_t)(SLOB_PAGE_UNITS - p->units) * SLOB_UNIT;
		uint32_t pfn = kvm_va_to_pfn(a->sim->kvm, p->va);
		if (pfn == PFN_NONE || page_owner(a->sim->pl, pfn) != OWNER_SLAB || page_private(a->sim->pl, pfn, OWNER_SLAB, 0) != i)
			FAIL("slob: page %u: its frame does not point back to it", i);
	}
	for (int l = 0; l < NLISTS; l++) {
		uint32_t h = s->head[l];
		if (h == SLOB_NONE)
			continue;
		uint32_t id = h;
		do {
			if (!s->pg[id].used || s->pg[id].list != l || s->pg[s->pg[id].next].prev != id)
				FAIL("slob: list %s: page %u is not linked as a member", list_name[l], id);
			if (++on_lists > pages)
				FAIL("slob: list %s loops", list_name[l]);
			id = s->pg[id].next;
		} while (id != h);
	}
	if (on_lists != with_free)
		FAIL("slob: %llu pages on lists, %llu pages with free units",
		     (unsigned long long)on_lists, (unsigned long long)with_free);
	if (pages != s->pages)
		FAIL("slob: %llu pages held, %llu counted", (unsigned long long)pages, (unsigned long long)s->pages);
	for (uint32_t i = 0; i < s->nlarge; i++)
		used_bytes += (uint64_t)PAGE_SIZE << order_for_bytes(s->large[i].size);
	if (used_bytes != a->alloc_bytes)
		FAIL("slob: pages and large objects hold %llu used bytes, alloc_bytes %llu",
		     (unsigned long long)used_bytes, (unsigned long long)a->alloc_bytes);
	return true;
}

const struct allocator_ops slob_ops = {
	.name = "slob",
	.summary = "Linux SLOB: first fit in pages on three size lists, 2-byte units, kmalloc headers",
	.create = slob_create,
	.destroy = slob_destroy,
	.cache_create = slob_cache_create,
	.alloc = slob_alloc,
	.free = slob_free,
	.caches = slob_caches,
	.report = slob_report,
	.walk = slob_walk,
	.check = slob_check,
};
