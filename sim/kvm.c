/*
 * kvm.c - the kernel address space and the back ends' page source.
 *
 * What it models
 *   1. The direct map (Linux x86-64, arch/x86/mm/init_64.c): all RAM at
 *      PAGE_OFFSET, built at boot with the largest aligned pages (1 GiB
 *      where 1 GiB aligned and whole, else 2 MiB, else 4 KiB). Its table
 *      pages are the kernel's: they are taken, as Linux's early page
 *      tables are, from memory reserved before the page allocator runs
 *      (the top of the kernel image range, i.e. brk/memblock; the frames
 *      stay RESERVED with owner RESERVE), counted as
 *      pt_boot_pages and never charged to a back end.
 *   2. The kernel map (vmalloc area / Mach kernel_map) from KMAP_START,
 *      a vmem arena (sim/vmem.c), and fixed submaps carved out of it
 *      (Mach's kmem_suballoc, e.g. zone_map), arenas that import their
 *      span from it.
 *   3. Two page sources behind kvm_alloc (--backing):
 *      direct: 2^order contiguous frames from the page layer, seen at
 *        PAGE_OFFSET + pa. No mapping work, no new table pages. A submap
 *        is then a byte budget (its VA cannot be used: the address is the
 *        direct-map address), so only its size limits, not fragmentation.
 *      mapped: 2^order pages of virtual range in the kernel map or the
 *        submap, each backed by an order-0 frame and mapped with a 4 KiB
 *        entry (Mach kmem_alloc / Linux vmalloc); freeing unmaps and frees
 *        page by page. Table pages this creates are charged to the back
 *        end (kvm_stats.pt_pages, in kvm_footprint_bytes).
 *
 * Virtual ranges
 *   come from sim/vmem.c: address-ordered first fit, every block naturally
 *   aligned to its size (2^order pages), as the direct source's buddy
 *   blocks are, so back ends may keep relying on that alignment; O(log n)
 *   per allocation and free. kvm's quantum is one page.
 *
 * Recursion and reserves (issue 5; DragonFly's low-memory deadlock)
 *   With mapped backing, kvm_alloc enters the page allocator for a data
 *   frame (depth 1) and then maps it; the map may need a table page,
 *   which enters the page allocator again (depth 2). Table pages are
 *   themselves reached through the direct map, so the recursion stops
 *   there (a kernel without a direct map would recurse again: the
 *   OSDev thread's infinite loop). recursion_max records the depth.
 *   When the table page cannot be had the allocation fails with
 *   FAIL_PGTABLE, its data frames are given back: at exhaustion the
 *   kernel holds a free frame it cannot use, the deadlock.
 *   --pt-reserve N sets N order-0 frames aside at boot (owner RESERVE).
 *   A table page is taken from the reserve when free memory is at or
 *   below the page layer's low watermark (sum over zones) and from the page
 *   layer otherwise. Table pages freed while the reserve is short go
 *   back to it; otherwise it is refilled from the page layer, on the
 *   free path, whenever free memory is above the low watermark
 *   (DragonFly's "keep a few extra slabs ready", non-blocking).
 *
 * Departures: no guard pages between vmalloc areas, no lazy TLB purge
 * (unmapped ranges are reusable at once), data frames ignore watermarks
 * (as the page layer's buddy does), the vmalloc area's top-level tables are not
 * preallocated (Linux's preallocate_vmalloc_pages) but charged on use.
 *
 * Invariants (kvm_check)
 *   - the page table passes pgtable_check; pt_pages = live tables - boot;
 *   - every arena passes vmem_check (free ranges sorted, disjoint, not
 *     adjacent, inside the arena, summing to its size minus its used pages);
 *   - mapped: 4 KiB mappings made by kvm = pages_held = pages allocated in
 *     the kernel map (outside submaps) + in the submaps;
 *   - every reserve frame is allocated and owned by OWNER_RESERVE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kvm.h"
#include "page.h"
#include "pgtable.h"
#include "vmem.h"

/* ---- kvm ---- */

struct kvm_submap {
	char    *name;
	uint64_t size, used;       /* bytes */
	uint64_t va;               /* mapped: start of its range in the kernel map */
	struct vmem *arena;        /* mapped: its virtual range allocator, imported from kmap */
	bool     mapped;
	struct kvm_submap *next;
};

struct kvm {
	struct page_layer   *pl;
	const struct physmem *pm;
	const struct params *p;
	bool                 mapped;
	struct kvm_stats     st;
	struct kvm_submap   *submaps;
	struct pgtable      *pt;
	struct vmem         *kmap;
	uint64_t             kmap_held;      /* pages held from the kernel map outside submaps */
	uint64_t             carved;         /* kernel-map pages given to submaps */
	uint64_t             boot_maps[3];   /* direct-map leaves by size */
	bool                 booting;
	unsigned             depth;          /* current page-allocator nesting */
	uint32_t             boot_next, boot_low;   /* boot tables: reserved pfns [boot_low, boot_next) left */
	uint64_t             wmark_low;      /* sum of the zones' low watermarks */
	uint32_t            *reserve;        /* reserve frames (stack) */
	unsigned             nreserve, reserve_target;
};

static void kvm_reserve_push(struct kvm *k, uint32_t pfn)
{
	page_owner_set(k->pl, pfn, 0, OWNER_RESERVE, 0);
	k->reserve[k->nreserve++] = pfn;
}

/* Top the reserve up from the page layer while memory is above the
 * low watermark (at boot: while any is free). */
static void kvm_reserve_refill(struct kvm *k, bool boot)
{
	while (k->nreserve < k->reserve_target && (boot || page_free_pages(k->pl) > k->wmark_low)) {
		uint32_t pfn = page_alloc(k->pl, 0, 0, OWNER_RESERVE, 0);
		if (pfn == PFN_NONE)
			break;
		kvm_reserve_push(k, pfn);
	}
}

static void kvm_pt_note(struct kvm *k)
{
	const struct pgtable_stats *ps = pgtable_stats(k->pt);
	k->st.pt_pages = ps->tables_live - k->st.boot_pt_pages;
	if (k->st.pt_pages > k->st.peak_pt_pages)
		k->st.peak_pt_pages = k->st.pt_pages;
}

/* Table-page source (pgtable callback). */
static uint32_t kvm_pt_page_alloc(void *ctx, unsigned level)
{
	struct kvm *k = ctx;
	uint32_t pfn = PFN_NONE;
	if (k->booting) {
		if (k->boot_next > k->boot_low) {
			/* reserved memory: the frame stays RESERVED, owner RESERVE */
			pfn = --k->boot_next;
		} else {
			pfn = page_alloc(k->pl, 0, 0, OWNER_PGTABLE, level);
			if (pfn == PFN_NONE)
				die("kvm: no memory for the direct map's page tables");
		}
		k->st.boot_pt_pages++;
		return pfn;
	}
	k->depth++;
	if (k->depth > k->st.recursion_max)
		k->st.recursion_max = k->depth;
	if (k->nreserve && page_free_pages(k->pl) <= k->wmark_low) {
		pfn = k->reserve[--k->nreserve];
		k->st.reserve_used++;
		page_owner_set(k->pl, pfn, 0, OWNER_PGTABLE, level);
	} else {
		pfn = page_alloc(k->pl, 0, 0, OWNER_PGTABLE, level);
	}
	if (pfn == PFN_NONE)
		k->st.pt_failed++;
	k->depth--;
	return pfn;
}

static void kvm_pt_page_free(void *ctx, uint32_t pfn, unsigned level)
{
	struct kvm *k = ctx;
	(void)level;
	if (page_frame(k->pl, pfn)->state == FRAME_RESERVED) {   /* a boot table (not expected) */
		k->st.boot_pt_pages--;
		return;
	}
	if (k->nreserve < k->reserve_target) {
		kvm_reserve_push(k, pfn);
		return;
	}
	page_free(k->pl, pfn, 0);
}

/* Boot: the direct map with the largest aligned pages. */
static void kvm_direct_map_build(struct kvm *k)
{
	uint64_t mem = k->pm->mem_bytes, pa = 0;
	while (pa < mem) {
		uint64_t size = (!(pa & (PT_SIZE_1G - 1)) && pa + PT_SIZE_1G <= mem) ? PT_SIZE_1G
			      : (!(pa & (PT_SIZE_2M - 1)) && pa + PT_SIZE_2M <= mem) ? PT_SIZE_2M : PT_SIZE_4K;
		if (pgtable_map(k->pt, PAGE_OFFSET + pa, (uint32_t)(pa >> PAGE_SHIFT), size, PT_PROT_WRITE) != PT_OK)
			die("kvm: cannot build the direct map at %#llx", (unsigned long long)pa);
		pa += size;
	}
	const struct pgtable_stats *ps = pgtable_stats(k->pt);
	memcpy(k->boot_maps, ps->mappings, sizeof(k->boot_maps));
}

struct kvm *kvm_create(struct page_layer *pl, const struct params *p)
{
	struct kvm *k = xcalloc(1, sizeof(*k));
	const struct physmem *pm = page_physmem(pl);
	k->pl = pl;
	k->pm = pm;
	k->p = p;
	k->mapped = p->backing == BACKING_MAPPED;
	k->wmark_low = page_watermark_low(pl);
	/* Boot tables come from the top of the largest reserved range (the
	 * kernel image: Linux's early page tables live in its brk area). */
	for (unsigned i = 0; i < p->mem.nreserved; i++) {
		uint64_t lo = DIV_ROUND_UP(p->mem.reserved[i].start, PAGE_SIZE);
		uint64_t hi = (p->mem.reserved[i].start + p->mem.reserved[i].size) >> PAGE_SHIFT;
		hi = MIN(hi, pm->nframes);
		if (hi > lo && hi - lo > (uint64_t)(k->boot_next - k->boot_low)) {
			k->boot_low = (uint32_t)lo;
			k->boot_next = (uint32_t)hi;
		}
	}
	k->booting = true;
	k->pt = pgtable_create(pl, p->pt_levels == 5 ? 5 : 4, kvm_pt_page_alloc, kvm_pt_page_free, k);
	if (!k->pt)
		die("kvm: cannot create the kernel page table");
	kvm_direct_map_build(k);
	k->booting = false;
	k->kmap = vmem_create("kernel_map", KMAP_START >> PAGE_SHIFT, KMAP_SIZE >> PAGE_SHIFT);
	k->reserve_target = p->pt_reserve;
	k->reserve = xmalloc((k->reserve_target + 1) * sizeof(*k->reserve));
	kvm_reserve_refill(k, true);
	kvm_pt_note(k);
	return k;
}

void kvm_destroy(struct kvm *k)
{
	if (!k)
		return;
	while (k->submaps) {
		struct kvm_submap *s = k->submaps;
		k->submaps = s->next;
		if (s->mapped)
			vmem_destroy(s->arena);
		free(s->name);
		free(s);
	}
	vmem_destroy(k->kmap);
	pgtable_destroy(k->pt);
	free(k->reserve);
	free(k);
}

static void kvm_note_alloc(struct kvm *k, struct kvm_submap *sub, unsigned order)
{
	if (sub)
		sub->used += (uint64_t)PAGE_SIZE << order;
	k->st.allocs++;
	k->st.pages_held += 1u << order;
	if (k->st.pages_held > k->st.peak_pages_held)
		k->st.peak_pages_held = k->st.pages_held;
}

static uint64_t kvm_alloc_direct(struct kvm *k, struct kvm_submap *sub, unsigned order, unsigned gfp,
				 enum frame_owner owner, uint32_t owner_id, enum fail_reason *why)
{
	if (order > page_max_order(k->pl)) {   /* no block that large ever exists */
		*why = FAIL_TOO_BIG;
		return 0;
	}
	if (sub && sub->used + ((uint64_t)PAGE_SIZE << order) > sub->size) {
		*why = FAIL_SUBMAP_FULL;
		return 0;
	}
	k->depth = 1;
	if (k->st.recursion_max < 1)
		k->st.recursion_max = 1;
	uint32_t pfn = page_alloc(k->pl, order, gfp, owner, owner_id);
	k->depth = 0;
	if (pfn == PFN_NONE) {
		*why = FAIL_NOMEM;
		return 0;
	}
	kvm_note_alloc(k, sub, order);
	return PAGE_OFFSET + ((uint64_t)pfn << PAGE_SHIFT);
}

/* Unmap and free the first n pages of a mapped block at va. */
static void kvm_unmap_pages(struct kvm *k, uint64_t va, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pva = va + (i << PAGE_SHIFT);
		struct pt_walk w;
		if (!pgtable_walk(k->pt, pva, &w) || w.size != PT_SIZE_4K)
			die("kvm_free: %#llx is not a page mapped by kvm", (unsigned long long)pva);
		if (pgtable_unmap(k->pt, pva, PT_SIZE_4K) != PT_OK)
			die("kvm_free: cannot unmap %#llx", (unsigned long long)pva);
		k->st.unmap_ops++;
		page_free(k->pl, w.pfn, 0);
	}
}

static uint64_t kvm_alloc_mapped(struct kvm *k, struct kvm_submap *sub, unsigned order, unsigned gfp,
				 enum frame_owner owner, uint32_t owner_id, enum fail_reason *why)
{
	struct vmem *a = sub ? sub->arena : k->kmap;
	uint64_t vp = vmem_alloc(a, order);
	if (vp == VMEM_FAIL) {
		*why = sub ? FAIL_SUBMAP_FULL : FAIL_VA;
		return 0;
	}
	uint64_t va = vp << PAGE_SHIFT, n = 1ull << order, i;
	k->depth = 1;
	if (k->st.recursion_max < 1)
		k->st.recursion_max = 1;
	for (i = 0; i < n; i++) {
		uint32_t pfn = page_alloc(k->pl, 0, gfp, owner, owner_id);
		if (pfn == PFN_NONE) {
			*why = FAIL_NOMEM;
			break;
		}
		enum pt_result r = pgtable_map(k->pt, va + (i << PAGE_SHIFT), pfn, PT_SIZE_4K, PT_PROT_WRITE);
		if (r != PT_OK) {
			if (r != PT_NOMEM)
				die("kvm: mapping %#llx failed (%d): range allocator and page table disagree",
				    (unsigned long long)(va + (i << PAGE_SHIFT)), r);
			page_free(k->pl, pfn, 0);
			*why = FAIL_PGTABLE;
			break;
		}
		k->st.map_ops++;
	}
	k->depth = 0;
	if (i < n) {   /* roll back: the pages mapped so far, then the range */
		kvm_unmap_pages(k, va, i);
		vmem_free(a, vp, n);
		kvm_pt_note(k);
		return 0;
	}
	if (!sub)
		k->kmap_held += n;
	kvm_note_alloc(k, sub, order);
	kvm_pt_note(k);
	return va;
}

uint64_t kvm_alloc(struct kvm *k, struct kvm_submap *sub, unsigned order, unsigned gfp,
		   enum frame_owner owner, uint32_t owner_id, enum fail_reason *why)
{
	enum fail_reason dummy;
	if (!why)
		why = &dummy;
	*why = FAIL_NONE;
	uint64_t va = k->mapped ? kvm_alloc_mapped(k, sub, order, gfp, owner, owner_id, why)
				: kvm_alloc_direct(k, sub, order, gfp, owner, owner_id, why);
	if (!va)
		k->st.failed++;
	return va;
}

void kvm_free(struct kvm *k, struct kvm_submap *sub, uint64_t va, unsigned order)
{
	uint64_t n = 1ull << order;
	if (!k->mapped) {
		uint32_t pfn = kvm_va_to_pfn(k, va);
		if (pfn == PFN_NONE)
			die("kvm_free: %#llx is not a kvm address", (unsigned long long)va);
		page_free(k->pl, pfn, order);
	} else {
		struct vmem *a = sub ? sub->arena : k->kmap;
		uint64_t vp = va >> PAGE_SHIFT;
		if ((va & (PAGE_SIZE - 1)) || (vp & (n - 1)) || vp < vmem_base(a) || vp + n > vmem_base(a) + vmem_size(a))
			die("kvm_free: %#llx order %u is not a block of %s", (unsigned long long)va, order,
			    sub ? sub->name : "the kernel map");
		kvm_unmap_pages(k, va, n);
		if (!vmem_free(a, vp, n))
			die("kvm_free: range %#llx order %u was not allocated", (unsigned long long)va, order);
		if (!sub)
			k->kmap_held -= n;
		kvm_pt_note(k);
	}
	if (sub)
		sub->used -= (uint64_t)PAGE_SIZE << order;
	k->st.frees++;
	k->st.pages_held -= n;
	if (k->nreserve < k->reserve_target)
		kvm_reserve_refill(k, false);
}

uint32_t kvm_va_to_pfn(const struct kvm *k, uint64_t va)
{
	if (va >= PAGE_OFFSET && va - PAGE_OFFSET < k->pm->mem_bytes)
		return (uint32_t)((va - PAGE_OFFSET) >> PAGE_SHIFT);
	if (va >= KMAP_START && va - KMAP_START < KMAP_SIZE) {
		struct pt_walk w;
		if (pgtable_walk(k->pt, va, &w))
			return w.pfn;
	}
	return PFN_NONE;
}

struct kvm_submap *kvm_submap_create(struct kvm *k, const char *name, uint64_t size)
{
	struct kvm_submap *s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	s->size = size;
	if (k->mapped) {
		/* Carve the range out of the kernel map, 2 MiB aligned so its
		 * page tables are its own. */
		uint64_t pages = DIV_ROUND_UP(size, PAGE_SIZE);
		s->arena = vmem_create_import(name, k->kmap, pages, PT_SIZE_2M >> PAGE_SHIFT);
		if (!s->arena)
			die("kvm: no room for submap %s of %llu bytes", name, (unsigned long long)size);
		k->carved += pages;
		s->va = vmem_base(s->arena) << PAGE_SHIFT;
		s->mapped = true;
	}
	s->next = k->submaps;
	k->submaps = s;
	return s;
}

uint64_t kvm_submap_used(const struct kvm_submap *s) { return s->used; }
uint64_t kvm_submap_size(const struct kvm_submap *s) { return s->size; }
const struct kvm_stats *kvm_stats(const struct kvm *k) { return &k->st; }
struct pgtable *kvm_pgtable(const struct kvm *k) { return k->pt; }
unsigned kvm_reserve_pages(const struct kvm *k) { return k->nreserve; }

uint64_t kvm_submap_largest_free(const struct kvm_submap *s)
{
	if (!s->mapped)
		return s->size - s->used;
	int f = vmem_largest_order(s->arena);
	return f < 0 ? 0 : (uint64_t)PAGE_SIZE << f;
}

uint64_t kvm_footprint_bytes(const struct kvm *k)
{
	return (k->st.pages_held + k->st.pt_pages) << PAGE_SHIFT;
}

#define CHECK_FAIL(...) do { snprintf(msg, msglen, __VA_ARGS__); return false; } while (0)

bool kvm_check(const struct kvm *k, char *msg, size_t msglen)
{
	if (!pgtable_check(k->pt, msg, msglen))
		return false;
	const struct pgtable_stats *ps = pgtable_stats(k->pt);
	if (k->st.pt_pages != ps->tables_live - k->st.boot_pt_pages)
		CHECK_FAIL("kvm: pt_pages %llu != %llu live tables - %llu boot",
			   (unsigned long long)k->st.pt_pages, (unsigned long long)ps->tables_live,
			   (unsigned long long)k->st.boot_pt_pages);
	for (unsigned s = 0; s < 3; s++)
		if (s > 0 && ps->mappings[s] != k->boot_maps[s])
			CHECK_FAIL("kvm: %llu huge mappings of class %u, the direct map made %llu",
				   (unsigned long long)ps->mappings[s], s, (unsigned long long)k->boot_maps[s]);
	uint64_t mapped4k = ps->mappings[0] - k->boot_maps[0];
	if (!vmem_check(k->kmap, msg, msglen))
		return false;
	uint64_t held = k->kmap_held, sub_bytes = 0;
	for (const struct kvm_submap *s = k->submaps; s; s = s->next) {
		sub_bytes += s->used;
		if (s->used > s->size)
			CHECK_FAIL("kvm: submap %s uses %llu of %llu bytes", s->name, (unsigned long long)s->used,
				   (unsigned long long)s->size);
		if (!s->mapped)
			continue;
		if (!vmem_check(s->arena, msg, msglen))
			return false;
		if (vmem_used(s->arena) << PAGE_SHIFT != s->used)
			CHECK_FAIL("kvm: submap %s: arena has %llu pages in use, counted %llu bytes", s->name,
				   (unsigned long long)vmem_used(s->arena), (unsigned long long)s->used);
		held += vmem_used(s->arena);
	}
	if (k->mapped) {
		if (mapped4k != k->st.pages_held || held != k->st.pages_held ||
		    vmem_used(k->kmap) != k->kmap_held + k->carved)
			CHECK_FAIL("kvm: %llu pages held, %llu mapped, %llu in ranges (kernel map %llu used, "
				   "%llu held, %llu carved)", (unsigned long long)k->st.pages_held,
				   (unsigned long long)mapped4k, (unsigned long long)held,
				   (unsigned long long)vmem_used(k->kmap), (unsigned long long)k->kmap_held,
				   (unsigned long long)k->carved);
	} else if (mapped4k != 0 || vmem_used(k->kmap) != 0 || sub_bytes > k->st.pages_held << PAGE_SHIFT) {
		CHECK_FAIL("kvm: direct backing with %llu kvm mappings or %llu kernel-map pages",
			   (unsigned long long)mapped4k, (unsigned long long)vmem_used(k->kmap));
	}
	if (k->nreserve > k->reserve_target)
		CHECK_FAIL("kvm: reserve holds %u frames, target %u", k->nreserve, k->reserve_target);
	for (unsigned i = 0; i < k->nreserve; i++) {
		const struct frame *f = page_frame(k->pl, k->reserve[i]);
		if (f->state != FRAME_ALLOC_HEAD || f->order != 0 || f->owner != OWNER_RESERVE)
			CHECK_FAIL("kvm: reserve frame %#x has state %u order %u owner %u", k->reserve[i], f->state,
				   f->order, f->owner);
	}
	return true;
}

void kvm_report(const struct kvm *k, void (*fn)(void *ctx, const char *key, double v), void *ctx)
{
	const struct kvm_stats *ks = &k->st;
	const struct pgtable_stats *ps = pgtable_stats(k->pt);
	fn(ctx, "kvm_peak_pages_held", (double)ks->peak_pages_held);
	fn(ctx, "kvm_allocs", (double)ks->allocs);
	fn(ctx, "kvm_frees", (double)ks->frees);
	fn(ctx, "kvm_failed", (double)ks->failed);
	fn(ctx, "kvm_map_ops", (double)ks->map_ops);
	fn(ctx, "kvm_unmap_ops", (double)ks->unmap_ops);
	fn(ctx, "kvm_va_free_ranges", (double)vmem_nsegs(k->kmap));
	fn(ctx, "pt_pages", (double)ks->pt_pages);
	fn(ctx, "pt_peak_pages", (double)ks->peak_pt_pages);
	fn(ctx, "pt_boot_pages", (double)ks->boot_pt_pages);
	static const char *const lvl[PT_MAX_LEVELS + 1] = { NULL, "pt_pages_l1", "pt_pages_l2", "pt_pages_l3",
							    "pt_pages_l4", "pt_pages_l5" };
	for (unsigned l = 1; l <= pgtable_levels(k->pt); l++)
		fn(ctx, lvl[l], (double)ps->tables[l]);
	fn(ctx, "mappings_4k", (double)ps->mappings[0]);
	fn(ctx, "mappings_2m", (double)ps->mappings[1]);
	fn(ctx, "mappings_1g", (double)ps->mappings[2]);
	fn(ctx, "pt_entries_written", (double)ps->entries_written);
	fn(ctx, "pt_tables_allocated", (double)ps->tables_allocated);
	fn(ctx, "pt_tables_freed", (double)ps->tables_freed);
	fn(ctx, "pt_reserve_pages", (double)k->reserve_target);
	fn(ctx, "pt_reserve_used", (double)ks->reserve_used);
	fn(ctx, "pt_recursion_max", (double)ks->recursion_max);
	fn(ctx, "pt_failed", (double)ks->pt_failed);
}
