/*
 * zone.c - the Mach zone allocator (zalloc), as gnumach's kern/zalloc.c
 * and kalloc.c have it, the allocator the Hurd IRC log (reference 000)
 * and the DragonFly mail argue about.
 *
 * Model
 *  - A zone has a fixed element size (rounded up to a pointer, or to the
 *    zone's alignment), a maximum size, an allocation chunk size and the
 *    flags zinit() takes: collectable, exhaustible, expandable.
 *  - Elements are carved from chunks taken out of zone_map, a submap of
 *    the kernel map of fixed size (12 MiB as in old gnumach; --zone-map).
 *    When zone_map cannot hold another chunk, the allocation fails with
 *    FAIL_SUBMAP_FULL: where gnumach panicked ("zone_map exhausted"), we
 *    record it. A zone at its maximum fails with FAIL_ZONE_MAX if it is
 *    exhaustible (gnumach returned 0), and grows past it if expandable.
 *  - Each zone keeps a LIFO list of free elements: zfree pushes, zalloc
 *    pops, so the element freed last is the next one handed out.
 *  - zone_gc() gives back chunks whose elements are all free, for
 *    collectable zones. It runs on reclaim and, as consider_zone_gc did
 *    from the pageout daemon, when a zone needs a new chunk while the
 *    buddy allocator's free pages are below its low watermark.
 *  - kalloc: power-of-two zones kalloc.16 ... kalloc.8192 for generic
 *    allocations; larger ones are kmem_alloc: whole pages from the kernel
 *    map (not zone_map). Named trace caches become zones of their size.
 *
 * Chunk size: zinit's search for the allocation size with the least waste
 * (element size modulo chunk), here over 1, 2 and 4 pages, never below the
 * element's own page-rounded size. Departures: chunks are power-of-two
 * page counts because the page source hands out 2^order pages (zinit also
 * tried 3 and 5 pages); every zone is collectable by default, as Mach 3
 * and XNU's zinit made them (gnumach's kalloc zones below a page were not);
 * the zone descriptors (struct zone, ~128 bytes each, from the zone of
 * zones) are counted in meta_bytes; free-list links live in free elements.
 *
 * Metrics: a zone's slabinfo row counts elements (active_objs live, num_objs
 * in its chunks, objsize the element size); hostage_pages and
 * cached_empty_pages follow allocator.h's cache_unit_state per chunk, with its live elements
 * of per_chunk in use (an all-free chunk is what zone_gc collects).
 *
 * Invariants (zone_check): every free-list element lies in a chunk of its
 * zone at an element boundary, appears once, and its chunk counts it;
 * per chunk, free elements <= elements; live bytes of all zones plus
 * kmem_alloc pages equal A(t); zone_map's use equals the chunks' bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "allocator.h"
#include "../sim/engine.h"
#include "../sim/kvm.h"
#include "../sim/page.h"

#define ZONE_NONE       UINT32_MAX
#define ZONE_DESC_BYTES 128          /* struct zone in gnumach, rounded */

struct zone_chunk {
	uint64_t va;
	uint32_t zone;
	uint32_t nfree;       /* free elements in it */
	uint8_t  order;
	bool     used;        /* slot in use; when not, nfree links the slot free list */
};

struct zone {
	char    *name;
	uint32_t elem_size, per_chunk;
	uint8_t  chunk_order;
	bool     collectable, exhaustible, expandable;
	uint64_t max_size, cur_size;          /* bytes of chunks */
	uint64_t *free_elems;                 /* LIFO stack */
	size_t   nfree, freecap;
	uint64_t live, chunks, gc_freed;
};

struct zone_large { uint64_t va; uint32_t size; };

struct zonealloc {
	struct allocator a;
	struct kvm_submap *zone_map;
	struct zone *z;
	uint32_t nz, zcap;
	uint32_t kalloc_first;                /* zone index of kalloc.16 */
	struct zone_chunk *ch;
	uint32_t nch, chcap, ch_free;
	struct zone_large *large;
	uint32_t nlarge, largecap;
	uint64_t gc_runs, gc_chunks, submap_peak, fail_submap, fail_max, large_allocs;
};

static struct zonealloc *za_of(struct allocator *a) { return (struct zonealloc *)a; }

/* zinit's chunk size: least waste, at least the element's page-rounded size. */
static unsigned zone_chunk_order(uint32_t elem)
{
	unsigned lo = order_for_bytes(elem), best = lo;
	uint64_t waste = (PAGE_SIZE << lo) % elem;
	for (unsigned o = lo + 1; o <= 2; o++) {
		uint64_t w = (PAGE_SIZE << o) % elem;
		if (w < waste) {
			best = o;
			waste = w;
		}
	}
	return best;
}

static uint32_t zone_init(struct zonealloc *za, const char *name, uint32_t size, uint32_t align,
			  uint64_t max, bool collectable, bool exhaustible, bool expandable)
{
	if (za->nz == za->zcap) {
		za->zcap = za->zcap ? za->zcap * 2 : 32;
		za->z = xrealloc(za->z, za->zcap * sizeof(*za->z));
	}
	uint32_t round = align > sizeof(uint64_t) ? align : sizeof(uint64_t);
	uint32_t elem = (size ? size : 1) + round - 1;
	elem -= elem % round;
	struct zone *z = &za->z[za->nz];
	memset(z, 0, sizeof(*z));
	z->name = xstrdup(name);
	z->elem_size = elem;
	z->chunk_order = (uint8_t)zone_chunk_order(elem);
	z->per_chunk = (uint32_t)((PAGE_SIZE << z->chunk_order) / elem);
	z->max_size = max < (PAGE_SIZE << z->chunk_order) ? (PAGE_SIZE << z->chunk_order) : max;
	z->collectable = collectable;
	z->exhaustible = exhaustible;
	z->expandable = expandable;
	za->a.meta_bytes += ZONE_DESC_BYTES;
	return za->nz++;
}

static uint32_t chunk_of(struct zonealloc *za, uint64_t va)
{
	uint32_t pfn = kvm_va_to_pfn(za->a.sim->kvm, va);
	return pfn == PFN_NONE ? ZONE_NONE : page_private(za->a.sim->pl, pfn, OWNER_SLAB, 0);
}

static void push_free(struct zone *z, uint64_t va)
{
	if (z->nfree == z->freecap) {
		z->freecap = z->freecap ? z->freecap * 2 : 64;
		z->free_elems = xrealloc(z->free_elems, z->freecap * sizeof(uint64_t));
	}
	z->free_elems[z->nfree++] = va;
}

/* zone_gc: give back every chunk of a collectable zone whose elements are all free. */
static void zone_gc(struct zonealloc *za)
{
	za->gc_runs++;
	for (uint32_t zi = 0; zi < za->nz; zi++) {
		struct zone *z = &za->z[zi];
		if (!z->collectable || !z->nfree)
			continue;
		size_t keep = 0;
		for (size_t i = 0; i < z->nfree; i++) {      /* drop elements of empty chunks, keep order */
			const struct zone_chunk *c = &za->ch[chunk_of(za, z->free_elems[i])];
			if (c->nfree != z->per_chunk)
				z->free_elems[keep++] = z->free_elems[i];
		}
		if (keep == z->nfree)
			continue;
		z->nfree = keep;
		for (uint32_t ci = 0; ci < za->nch; ci++) {
			struct zone_chunk *c = &za->ch[ci];
			if (!c->used || c->zone != zi || c->nfree != z->per_chunk)
				continue;
			kvm_free(za->a.sim->kvm, za->zone_map, c->va, c->order);
			c->used = false;
			c->nfree = za->ch_free;
			za->ch_free = ci;
			z->cur_size -= PAGE_SIZE << z->chunk_order;
			z->chunks--;
			z->gc_freed++;
			za->gc_chunks++;
		}
	}
}

/* zcram: a new chunk's elements onto the free list. */
static bool zone_grow(struct zonealloc *za, uint32_t zi, unsigned gfp)
{
	struct zone *z = &za->z[zi];
	uint64_t bytes = PAGE_SIZE << z->chunk_order;
	if (z->cur_size + bytes > z->max_size && !z->expandable) {
		za->fail_max++;
		za->a.last_fail = FAIL_ZONE_MAX;
		return false;
	}
	if (page_free_pages(za->a.sim->pl) < page_watermark_low(za->a.sim->pl))
		zone_gc(za);                                  /* consider_zone_gc */
	enum fail_reason why = FAIL_NOMEM;
	uint64_t va = kvm_alloc(za->a.sim->kvm, za->zone_map, z->chunk_order, gfp, OWNER_SLAB, zi, &why);
	if (!va) {
		if (why == FAIL_SUBMAP_FULL)
			za->fail_submap++;
		za->a.last_fail = why;
		return false;
	}
	uint32_t ci;
	if (za->ch_free != ZONE_NONE) {
		ci = za->ch_free;
		za->ch_free = za->ch[ci].nfree;
	} else {
		if (za->nch == za->chcap) {
			za->chcap = za->chcap ? za->chcap * 2 : 256;
			za->ch = xrealloc(za->ch, za->chcap * sizeof(*za->ch));
		}
		ci = za->nch++;
	}
	za->ch[ci] = (struct zone_chunk){ .va = va, .zone = zi, .nfree = z->per_chunk,
					  .order = z->chunk_order, .used = true };
	for (uint32_t i = 0; i < (1u << z->chunk_order); i++)
		page_private_set(za->a.sim->pl, kvm_va_to_pfn(za->a.sim->kvm, va + (uint64_t)i * PAGE_SIZE), OWNER_SLAB, 0, 0, ci);
	for (uint32_t e = z->per_chunk; e-- > 0; )          /* lowest address on top */
		push_free(z, va + (uint64_t)e * z->elem_size);
	z->cur_size += bytes;
	z->chunks++;
	uint64_t used = kvm_submap_used(za->zone_map);
	if (used > za->submap_peak)
		za->submap_peak = used;
	return true;
}

/* --- the back end ------------------------------------------------------ */

static struct allocator *zone_create(struct sim *sim, const struct params *p)
{
	struct zonealloc *za = xcalloc(1, sizeof(*za));
	za->a.sim = sim;
	za->ch_free = ZONE_NONE;
	uint64_t map = p->zone_map_bytes ? p->zone_map_bytes : 12 * MIB;
	za->zone_map = kvm_submap_create(sim->kvm, "zone_map", map);
	if (!za->zone_map) {
		fprintf(stderr, "kmemsim: zone: cannot make a %llu-byte zone_map\n", (unsigned long long)map);
		free(za);
		return NULL;
	}
	zone_init(za, "(unused)", 8, 8, 0, true, false, true);   /* zone ids start at 1 */
	za->kalloc_first = za->nz;
	for (uint32_t size = 16; size <= 8192; size *= 2) {
		char name[32];
		snprintf(name, sizeof(name), "kalloc.%u", size);
		zone_init(za, name, size, size, map, true, false, true);
	}
	return &za->a;
}

static void zone_destroy(struct allocator *a)
{
	struct zonealloc *za = za_of(a);
	for (uint32_t i = 0; i < za->nz; i++) {
		free(za->z[i].name);
		free(za->z[i].free_elems);
	}
	free(za->z);
	free(za->ch);
	free(za->large);
	free(za);
}

static int zone_cache_create(struct allocator *a, const char *name, uint32_t size, uint32_t align,
			     unsigned flags)
{
	(void)flags;   /* zinit never merges */
	struct zonealloc *za = za_of(a);
	if (size > 8 * PAGE_SIZE / 2)
		return -1;                   /* no zone for objects this big: kalloc takes them */
	uint64_t map = kvm_submap_size(za->zone_map);
	return (int)zone_init(za, name, size, align, map, true, false, true);
}

static uint32_t kalloc_zone(const struct zonealloc *za, uint32_t size)
{
	uint32_t zi = za->kalloc_first;
	for (uint32_t s = 16; s < size; s *= 2)
		zi++;
	return zi;
}

static uint64_t zone_alloc(struct allocator *a, int cache, uint32_t size, unsigned cpu, unsigned gfp)
{
	(void)cpu;
	struct zonealloc *za = za_of(a);
	uint32_t zi;
	if (cache > 0) {
		zi = (uint32_t)cache;
	} else if (size > 8192) {                         /* kmem_alloc from the kernel map */
		unsigned order = order_for_bytes(size);
		enum fail_reason why = FAIL_NOMEM;
		uint64_t va = kvm_alloc(a->sim->kvm, NULL, order, gfp, OWNER_LARGE, 0, &why);
		if (!va) {
			a->last_fail = why;
			return 0;
		}
		if (za->nlarge == za->largecap) {
			za->largecap = za->largecap ? za->largecap * 2 : 64;
			za->large = xrealloc(za->large, za->largecap * sizeof(*za->large));
		}
		page_private_set(a->sim->pl, kvm_va_to_pfn(a->sim->kvm, va), OWNER_LARGE, 0, 0, za->nlarge);
		za->large[za->nlarge++] = (struct zone_large){ va, size };
		a->alloc_bytes += (uint64_t)PAGE_SIZE << order;   /* 2^32 for 2^32 - 1 bytes */
		za->large_allocs++;
		return va;
	} else {
		zi = kalloc_zone(za, size);
	}
	struct zone *z = &za->z[zi];
	if (!z->nfree && !zone_grow(za, zi, gfp))
		return 0;
	z = &za->z[zi];
	uint64_t va = z->free_elems[--z->nfree];
	za->ch[chunk_of(za, va)].nfree--;
	z->live++;
	a->alloc_bytes += z->elem_size;
	return va;
}

static void zone_free(struct allocator *a, int cache, uint64_t addr, uint32_t size, unsigned cpu)
{
	(void)cpu;
	struct zonealloc *za = za_of(a);
	if (cache <= 0 && size > 8192) {
		uint32_t li = page_private(a->sim->pl, kvm_va_to_pfn(a->sim->kvm, addr), OWNER_LARGE, 0);
		unsigned order = order_for_bytes(za->large[li].size);
		a->alloc_bytes -= (uint64_t)PAGE_SIZE << order;
		za->large[li] = za->large[--za->nlarge];
		if (li < za->nlarge)
			page_private_set(a->sim->pl, kvm_va_to_pfn(a->sim->kvm, za->large[li].va), OWNER_LARGE, 0, za->nlarge, li);
		kvm_free(a->sim->kvm, NULL, addr, order);
		return;
	}
	uint32_t ci = chunk_of(za, addr);
	struct zone *z = &za->z[za->ch[ci].zone];
	push_free(z, addr);
	za->ch[ci].nfree++;
	z->live--;
	a->alloc_bytes -= z->elem_size;
}

static void zone_reclaim(struct allocator *a)
{
	zone_gc(za_of(a));
}

static void zone_caches(struct allocator *a, cache_info_fn_t fn, void *ctx)
{
	struct zonealloc *za = za_of(a);
	struct cache_info *row = xcalloc(za->nz, sizeof(*row));
	for (uint32_t ci = 0; ci < za->nch; ci++) {
		const struct zone_chunk *c = &za->ch[ci];
		if (!c->used)
			continue;
		uint32_t live = za->z[c->zone].per_chunk - c->nfree;
		row[c->zone].active_slabs += live > 0;
		cache_unit_count(&row[c->zone], live, za->z[c->zone].per_chunk, 1u << c->order);
	}
	for (uint32_t zi = 1; zi < za->nz; zi++) {
		const struct zone *z = &za->z[zi];
		struct cache_info ci = {
			.name = z->name, .active_objs = z->live, .num_objs = z->chunks * z->per_chunk,
			.objsize = z->elem_size, .objperslab = z->per_chunk, .pagesperslab = 1u << z->chunk_order,
			.active_slabs = row[zi].active_slabs, .num_slabs = z->chunks,
			.hostage_pages = row[zi].hostage_pages, .cached_empty_pages = row[zi].cached_empty_pages,
		};
		fn(ctx, &ci);
	}
	free(row);
}

static void zone_report(struct allocator *a, report_fn_t fn, void *ctx)
{
	struct zonealloc *za = za_of(a);
	fn(ctx, "zone_zones", za->nz - 1);
	fn(ctx, "zone_map_bytes", (double)kvm_submap_size(za->zone_map));
	fn(ctx, "zone_map_used_bytes", (double)kvm_submap_used(za->zone_map));
	fn(ctx, "zone_map_peak_bytes", (double)za->submap_peak);
	fn(ctx, "zone_gc_runs", (double)za->gc_runs);
	fn(ctx, "zone_gc_chunks_freed", (double)za->gc_chunks);
	fn(ctx, "zone_fail_submap_full", (double)za->fail_submap);
	fn(ctx, "zone_fail_zone_max", (double)za->fail_max);
	fn(ctx, "zone_kmem_alloc_large", (double)za->large_allocs);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Used ranges: every element of a chunk that is not on its zone's free list. */
static void zone_walk(struct allocator *a, walk_fn_t fn, void *ctx)
{
	struct zonealloc *za = za_of(a);
	for (uint32_t zi = 1; zi < za->nz; zi++) {
		struct zone *z = &za->z[zi];
		if (!z->chunks)
			continue;
		uint64_t *sorted = xmalloc((z->nfree + 1) * sizeof(uint64_t));
		memcpy(sorted, z->free_elems, z->nfree * sizeof(uint64_t));
		qsort(sorted, z->nfree, sizeof(uint64_t), cmp_u64);
		for (uint32_t ci = 0; ci < za->nch; ci++) {
			const struct zone_chunk *c = &za->ch[ci];
			if (!c->used || c->zone != zi || c->nfree == z->per_chunk)
				continue;
			for (uint32_t e = 0; e < z->per_chunk; e++) {
				uint64_t va = c->va + (uint64_t)e * z->elem_size;
				size_t lo = 0, hi = z->nfree;
				while (lo < hi) {
					size_t mid = (lo + hi) / 2;
					if (sorted[mid] < va) lo = mid + 1; else hi = mid;
				}
				if (lo == z->nfree || sorted[lo] != va)
					fn(ctx, va, z->elem_size);
			}
		}
		free(sorted);
	}
	for (uint32_t i = 0; i < za->nlarge; i++)
		fn(ctx, za->large[i].va, za->large[i].size);
}

#define FAIL(...) do { snprintf(msg, msglen, __VA_ARGS__); free(count); return false; } while (0)

static bool zone_check(struct allocator *a, char *msg, size_t msglen)
{
	struct zonealloc *za = za_of(a);
	uint32_t *count = xcalloc(za->nch + 1, sizeof(uint32_t));
	uint64_t live_bytes = 0, chunk_bytes = 0;
	for (uint32_t zi = 1; zi < za->nz; zi++) {
		const struct zone *z = &za->z[zi];
		for (size_t i = 0; i < z->nfree; i++) {
			uint64_t va = z->free_elems[i];
			uint32_t ci = chunk_of(za, va);
			if (ci == ZONE_NONE || ci >= za->nch || !za->ch[ci].used || za->ch[ci].zone != zi)
				FAIL("zone %s: free element %#llx is not in a chunk of the zone", z->name, (unsigned long long)va);
			const struct zone_chunk *c = &za->ch[ci];
			if (va < c->va || (va - c->va) % z->elem_size || (va - c->va) / z->elem_size >= z->per_chunk)
				FAIL("zone %s: free element %#llx is not at an element boundary of its chunk",
				     z->name, (unsigned long long)va);
			if (++count[ci] > z->per_chunk)
				FAIL("zone %s: chunk %#llx has more free elements than it holds (an element is listed twice)",
				     z->name, (unsigned long long)c->va);
		}
		uint64_t chunks = 0, live = 0;
		for (uint32_t ci = 0; ci < za->nch; ci++) {
			const struct zone_chunk *c = &za->ch[ci];
			if (!c->used || c->zone != zi)
				continue;
			if (count[ci] != c->nfree)
				FAIL("zone %s: chunk %#llx counts %u free elements, the free list has %u",
				     z->name, (unsigned long long)c->va, c->nfree, count[ci]);
			chunks++;
			live += z->per_chunk - c->nfree;
			for (uint32_t pg = 0; pg < (1u << c->order); pg++) {
				uint32_t pfn = kvm_va_to_pfn(a->sim->kvm, c->va + (uint64_t)pg * PAGE_SIZE);
				if (pfn == PFN_NONE || page_owner(a->sim->pl, pfn) != OWNER_SLAB ||
				    page_owner_id(a->sim->pl, pfn) != zi || page_private(a->sim->pl, pfn, OWNER_SLAB, 0) != ci)
					FAIL("zone %s: chunk %#llx page %u does not point back to it", z->name,
					     (unsigned long long)c->va, pg);
			}
		}
		if (chunks != z->chunks || live != z->live || z->cur_size != chunks * (PAGE_SIZE << z->chunk_order))
			FAIL("zone %s: %llu chunks and %llu live elements found, %llu and %llu counted", z->name,
			     (unsigned long long)chunks, (unsigned long long)live,
			     (unsigned long long)z->chunks, (unsigned long long)z->live);
		live_bytes += live * z->elem_size;
		chunk_bytes += z->cur_size;
	}
	for (uint32_t i = 0; i < za->nlarge; i++)
		live_bytes += (uint64_t)PAGE_SIZE << order_for_bytes(za->large[i].size);
	if (live_bytes != a->alloc_bytes)
		FAIL("zone: live elements and kmem_alloc pages hold %llu bytes, alloc_bytes %llu",
		     (unsigned long long)live_bytes, (unsigned long long)a->alloc_bytes);
	if (kvm_submap_used(za->zone_map) != chunk_bytes || chunk_bytes > kvm_submap_size(za->zone_map))
		FAIL("zone: zone_map uses %llu bytes, chunks hold %llu (size %llu)",
		     (unsigned long long)kvm_submap_used(za->zone_map), (unsigned long long)chunk_bytes,
		     (unsigned long long)kvm_submap_size(za->zone_map));
	free(count);
	return true;
}

static bool zone_info(const struct params *p, uint32_t size, char *out, size_t outlen)
{
	(void)p;
	if (size == 0 || size > 8192)
		return false;
	uint32_t elem = 16;
	while (elem < size)
		elem *= 2;
	unsigned order = zone_chunk_order(elem);
	snprintf(out, outlen, "%u %u %u", elem, (unsigned)((PAGE_SIZE << order) / elem), 1u << order);
	return true;
}

const struct allocator_ops zone_ops = {
	.name = "zone",
	.summary = "Mach zalloc (gnumach): fixed-size zones in the zone_map submap, LIFO free lists, zone_gc, kalloc",
	.create = zone_create,
	.destroy = zone_destroy,
	.cache_create = zone_cache_create,
	.alloc = zone_alloc,
	.free = zone_free,
	.reclaim = zone_reclaim,
	.caches = zone_caches,
	.report = zone_report,
	.walk = zone_walk,
	.check = zone_check,
	.info = zone_info,
};
