/*
 * t_kvm.c - the kernel address space: the boot direct map's table pages,
 * direct vs mapped footprints for a known sequence, first-fit virtual
 * ranges against a bitmap reference, submaps filling up (by size and by
 * fragmentation), kvm_va_to_pfn and frame ownership for both backings,
 * every frame returned on free, and the page-table reserve at exhaustion.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "../sim/kvm.h"
#include "../sim/pgtable.h"
#include "../sim/rng.h"
#include "../sim/engine.h"
#include "../allocators/allocator.h"
#include "../sim/page.h"

struct box {
	struct params p;
	struct page_layer *pl;
	const struct physmem *pm;
	struct kvm *k;
	uint64_t free0;   /* free pages right after boot */
};

static struct page_layer *machine(const struct physmem_config *cfg)
{
	char err[256];
	struct page_layer *pl = page_create(cfg, NULL, err, sizeof(err));
	if (!pl)
		die("page_create: %s", err);
	return pl;
}

static void box_open(struct box *b, uint64_t mem, enum backing backing, unsigned reserve, unsigned levels)
{
	params_init(&b->p);
	physmem_config_init(&b->p.mem, mem);
	b->p.backing = backing;
	b->p.pt_reserve = reserve;
	b->p.pt_levels = levels;
	b->pl = machine(&b->p.mem);
	b->pm = page_physmem(b->pl);
	b->k = kvm_create(b->pl, &b->p);
	b->free0 = page_free_pages(b->pl);
}

static void box_close(struct box *b)
{
	kvm_destroy(b->k);
	page_destroy(b->pl);
}

static bool box_ok(const struct box *b, const char *when)
{
	char msg[256] = "";
	bool good = kvm_check(b->k, msg, sizeof(msg));
	CHECK_MSG(good, "%s: %s", when, msg);
	char msg2[256] = "";
	bool g2 = page_check(b->pl, msg2, sizeof(msg2));
	CHECK_MSG(g2, "%s: %s", when, msg2);
	return good && g2;
}

/*
 * Boot: the direct map uses the largest aligned pages and its tables come
 * from reserved memory, so the page allocator loses nothing.
 *   512 MiB: 256 x 2 MiB           -> PD, PDPT, PML4              = 3
 *   64 GiB:  64 x 1 GiB            -> PDPT, PML4                  = 2
 *   1 GiB + 6 MiB + 8 KiB: 1 x 1G, 3 x 2M, 2 x 4K
 *                                  -> PT, PD (2nd GiB), PDPT, PML4 = 4
 *   LA57 adds the PML5 root: 4, 3, 5.
 */
static void t_boot_direct_map(void)
{
	static const struct { uint64_t mem; uint64_t maps[3]; uint64_t tables; } cases[] = {
		{ 512 * MIB, { 0, 256, 0 }, 3 },
		{ 64 * GIB, { 0, 0, 64 }, 2 },
		{ GIB + 6 * MIB + 8 * KIB, { 2, 3, 1 }, 4 },
	};
	for (unsigned levels = 4; levels <= 5; levels++)
		for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
			struct box b;
			box_open(&b, cases[i].mem, BACKING_DIRECT, 0, levels);
			struct page_layer *bare = machine(&b.p.mem);
			const struct pgtable_stats *ps = pgtable_stats(kvm_pgtable(b.k));
			CHECK_EQ(kvm_stats(b.k)->boot_pt_pages, cases[i].tables + (levels - 4));
			CHECK_EQ(ps->tables_live, cases[i].tables + (levels - 4));
			for (unsigned s = 0; s < 3; s++)
				CHECK_EQ(ps->mappings[s], cases[i].maps[s]);
			CHECK_EQ(kvm_stats(b.k)->pt_pages, 0);
			CHECK_EQ(kvm_footprint_bytes(b.k), 0);
			CHECK_EQ(b.free0, page_free_pages(bare));   /* boot took no page-allocator frame */
			CHECK_EQ(kvm_va_to_pfn(b.k, PAGE_OFFSET + cases[i].mem - 1), (cases[i].mem >> PAGE_SHIFT) - 1);
			CHECK_EQ(kvm_va_to_pfn(b.k, PAGE_OFFSET + cases[i].mem), PFN_NONE);
			box_ok(&b, "boot");
			page_destroy(bare);
			box_close(&b);
		}
	/* with no reserved memory the boot tables come from the page allocator */
	struct params p;
	params_init(&p);
	physmem_config_init(&p.mem, 512 * MIB);
	p.mem.nreserved = 0;
	struct page_layer *pl = machine(&p.mem);
	uint64_t before = page_free_pages(pl);
	struct kvm *k = kvm_create(pl, &p);
	CHECK_EQ(kvm_stats(k)->boot_pt_pages, 3);
	CHECK_EQ(page_free_pages(pl), before - 3);
	CHECK_EQ(kvm_footprint_bytes(k), 0);
	char msg[256] = "";
	CHECK_MSG(kvm_check(k, msg, sizeof(msg)), "%s", msg);
	kvm_destroy(k);
	page_destroy(pl);
}

/*
 * A known sequence, both backings, 512 MiB: orders 0, 0, 0, 2, 3, 9.
 * direct: 1+1+1+4+8+512 = 527 pages, no table pages, no map operations.
 * mapped: first fit, naturally aligned, from KMAP_START (PML4 slot 402,
 *   empty at boot): pages 0, 1, 2, then 4..7 (order 2 aligned to 4),
 *   8..15, then 512..1023 (order 9 aligned to 512). The first mapping
 *   needs a PDPT, a PD and a PT; pages 512.. need a second PT:
 *   4 table pages, 527 map operations, footprint (527 + 4) pages.
 */
static void t_footprint_sequence(void)
{
	static const unsigned orders[] = { 0, 0, 0, 2, 3, 9 };
	static const uint64_t want_page[] = { 0, 1, 2, 4, 8, 512 };
	for (int m = 0; m < 2; m++) {
		struct box b;
		box_open(&b, 512 * MIB, m ? BACKING_MAPPED : BACKING_DIRECT, 0, 4);
		uint64_t va[ARRAY_SIZE(orders)];
		for (unsigned i = 0; i < ARRAY_SIZE(orders); i++) {
			enum fail_reason why = FAIL_NONE;
			va[i] = kvm_alloc(b.k, NULL, orders[i], 0, OWNER_SLAB, 7, &why);
			CHECK(va[i] != 0 && why == FAIL_NONE);
			if (m)
				CHECK_EQ(va[i], KMAP_START + want_page[i] * PAGE_SIZE);
			else
				CHECK(va[i] >= PAGE_OFFSET && !((va[i] - PAGE_OFFSET) & ((PAGE_SIZE << orders[i]) - 1)));
		}
		const struct kvm_stats *st = kvm_stats(b.k);
		CHECK_EQ(st->pages_held, 527);
		CHECK_EQ(st->pt_pages, m ? 4 : 0);
		CHECK_EQ(st->map_ops, m ? 527 : 0);
		CHECK_EQ(kvm_footprint_bytes(b.k), (527 + (m ? 4 : 0)) * (uint64_t)PAGE_SIZE);
		CHECK_EQ(st->recursion_max, m ? 2 : 1);
		CHECK_EQ(b.free0 - page_free_pages(b.pl), 527 + (m ? 4 : 0));
		box_ok(&b, "sequence");
		if (m) {
			/* first fit: a freed page is reused; order 1 goes to page 16 */
			kvm_free(b.k, NULL, va[1], 0);
			enum fail_reason why;
			CHECK_EQ(kvm_alloc(b.k, NULL, 0, 0, OWNER_SLAB, 7, &why), va[1]);
			CHECK_EQ(kvm_alloc(b.k, NULL, 1, 0, OWNER_SLAB, 7, &why), KMAP_START + 16 * PAGE_SIZE);
			kvm_free(b.k, NULL, KMAP_START + 16 * PAGE_SIZE, 1);
			/* freeing the order-9 block frees its PT */
			kvm_free(b.k, NULL, va[5], 9);
			CHECK_EQ(st->pt_pages, 3);
		} else {
			kvm_free(b.k, NULL, va[5], 9);
		}
		for (unsigned i = 0; i < 5; i++)
			kvm_free(b.k, NULL, va[i], orders[i]);
		CHECK_EQ(st->pages_held, 0);
		CHECK_EQ(st->pt_pages, 0);
		CHECK_EQ(st->peak_pt_pages, m ? 4 : 0);
		CHECK_EQ(kvm_footprint_bytes(b.k), 0);
		CHECK_EQ(page_free_pages(b.pl), b.free0);
		if (m)
			CHECK_EQ(st->unmap_ops, st->map_ops);
		box_ok(&b, "sequence freed");
		box_close(&b);
	}
}

/*
 * The range allocator against a bitmap reference: in a 4 MiB submap
 * (1024 pages), random orders 0..4 and random frees; the reference takes
 * the lowest naturally aligned free block. Every address must agree, and
 * a request the reference cannot place must fail with FAIL_SUBMAP_FULL.
 */
static void t_first_fit_reference(void)
{
	enum { PAGES = 1024, OPS = 120000 };
	static uint8_t used[PAGES];
	static uint64_t live_va[PAGES];
	static unsigned live_order[PAGES];
	unsigned nlive = 0;
	memset(used, 0, sizeof(used));
	struct box b;
	box_open(&b, 64 * MIB, BACKING_MAPPED, 0, 4);
	struct kvm_submap *sub = kvm_submap_create(b.k, "test_map", 4 * MIB);
	uint64_t base = 0;
	struct rng r;
	rng_seed(&r, 5);
	long bad = 0, fulls = 0, allocs = 0;
	for (long op = 0; op < OPS && bad < 5; op++) {
		if (nlive && (rng_below(&r, 100) < 48 || nlive == PAGES)) {
			unsigned i = (unsigned)rng_below(&r, nlive);
			uint64_t pg = (live_va[i] - base) >> PAGE_SHIFT;
			kvm_free(b.k, sub, live_va[i], live_order[i]);
			memset(used + pg, 0, 1u << live_order[i]);
			live_va[i] = live_va[--nlive];
			live_order[i] = live_order[nlive];
			continue;
		}
		unsigned order = (unsigned)rng_below(&r, 5);
		uint64_t n = 1u << order, want = UINT64_MAX;
		for (uint64_t pg = 0; pg + n <= PAGES && want == UINT64_MAX; pg += n) {
			uint64_t j = 0;
			while (j < n && !used[pg + j])
				j++;
			if (j == n)
				want = pg;
		}
		enum fail_reason why = FAIL_NONE;
		uint64_t va = kvm_alloc(b.k, sub, order, 0, OWNER_SLAB, 1, &why);
		if (va && !base)
			base = va - (want << PAGE_SHIFT);   /* the submap's start, learnt once */
		if (want == UINT64_MAX) {
			fulls++;
			if (va || why != FAIL_SUBMAP_FULL) {
				bad++;
				CHECK_MSG(0, "op %ld: order %u should not fit, got %#llx why %d", op, order,
					  (unsigned long long)va, why);
			}
			continue;
		}
		if (!va || va != base + (want << PAGE_SHIFT)) {
			bad++;
			CHECK_MSG(0, "op %ld: order %u at page %llu expected, got %#llx (why %d)", op, order,
				  (unsigned long long)want, (unsigned long long)va, why);
			continue;
		}
		allocs++;
		memset(used + want, 1, n);
		live_va[nlive] = va;
		live_order[nlive++] = order;
		if (op % 5000 == 0)
			box_ok(&b, "first fit");
	}
	CHECK(fulls > 1000 && allocs > 10000);
	CHECK(base >= KMAP_START && !(base & (PT_SIZE_2M - 1)));
	CHECK_EQ(kvm_submap_used(sub), (uint64_t)kvm_stats(b.k)->pages_held * PAGE_SIZE);
	while (nlive) {
		nlive--;
		kvm_free(b.k, sub, live_va[nlive], live_order[nlive]);
	}
	CHECK_EQ(kvm_submap_used(sub), 0);
	CHECK_EQ(kvm_submap_largest_free(sub), 4 * MIB);
	CHECK_EQ(page_free_pages(b.pl), b.free0);
	box_ok(&b, "first fit end");
	box_close(&b);
}

/*
 * zone_map of 12 MiB (3072 pages). Both backings hold exactly 3072
 * order-0 pages and then fail with FAIL_SUBMAP_FULL. After every other
 * page is freed (1536 pages free): mapped, no two adjacent aligned pages
 * are free, so order 1 fails with FAIL_SUBMAP_FULL (virtual
 * fragmentation) while order 0 succeeds; direct, the submap is a byte
 * budget and order 1 succeeds.
 */
static void t_submap_full(void)
{
	for (int m = 0; m < 2; m++) {
		struct box b;
		box_open(&b, 256 * MIB, m ? BACKING_MAPPED : BACKING_DIRECT, 0, 4);
		uint64_t before = kvm_stats(b.k)->pt_pages;
		struct kvm_submap *zm = kvm_submap_create(b.k, "zone_map", 12 * MIB);
		CHECK_EQ(kvm_submap_size(zm), 12 * MIB);
		static uint64_t va[3072];
		enum fail_reason why = FAIL_NONE;
		int got = 0;
		for (int i = 0; i < 3072; i++) {
			va[i] = kvm_alloc(b.k, zm, 0, 0, OWNER_SLAB, 2, &why);
			got += va[i] != 0;
		}
		CHECK_EQ(got, 3072);
		CHECK_EQ(kvm_submap_used(zm), 12 * MIB);
		CHECK_EQ(kvm_alloc(b.k, zm, 0, 0, OWNER_SLAB, 2, &why), 0);
		CHECK_EQ(why, FAIL_SUBMAP_FULL);
		/* outside the submap there is room */
		uint64_t other = kvm_alloc(b.k, NULL, 0, 0, OWNER_SLAB, 3, &why);
		CHECK(other != 0);
		if (m) {
			/* 12 MiB, 2 MiB aligned: 6 PTs + 1 PD + 1 PDPT; the kernel-map
			 * page after it shares PD and PDPT and adds 1 PT */
			CHECK_EQ(kvm_stats(b.k)->pt_pages - before, 9);
			CHECK(other >= va[3071] + PAGE_SIZE || other < va[0]);
		}
		for (int i = 0; i < 3072; i += 2)
			kvm_free(b.k, zm, va[i], 0);
		CHECK_EQ(kvm_submap_used(zm), 6 * MIB);
		uint64_t v1 = kvm_alloc(b.k, zm, 1, 0, OWNER_SLAB, 2, &why);
		if (m) {
			CHECK_EQ(v1, 0);
			CHECK_EQ(why, FAIL_SUBMAP_FULL);
			CHECK_EQ(kvm_submap_largest_free(zm), PAGE_SIZE);
		} else {
			CHECK(v1 != 0);
			kvm_free(b.k, zm, v1, 1);
		}
		uint64_t v0 = kvm_alloc(b.k, zm, 0, 0, OWNER_SLAB, 2, &why);
		CHECK(v0 != 0);
		if (m)
			CHECK_EQ(v0, va[0]);   /* first fit */
		kvm_free(b.k, zm, v0, 0);
		box_ok(&b, "submap");
		for (int i = 1; i < 3072; i += 2)
			kvm_free(b.k, zm, va[i], 0);
		kvm_free(b.k, NULL, other, 0);
		CHECK_EQ(kvm_submap_used(zm), 0);
		CHECK_EQ(page_free_pages(b.pl), b.free0);
		CHECK_EQ(kvm_stats(b.k)->pt_pages, 0);
		box_ok(&b, "submap freed");
		box_close(&b);
	}
}

/*
 * kvm_va_to_pfn for both backings: every byte of every block maps to a
 * frame owned as requested, no frame serves two pages, direct blocks are
 * contiguous, and after a free the mapped address translates to nothing.
 * Then everything is freed and the page allocator is back where it was.
 */
static void t_va_to_pfn_and_free_all(void)
{
	enum { OPS = 20000 };
	for (int m = 0; m < 2; m++) {
		struct box b;
		box_open(&b, 128 * MIB, m ? BACKING_MAPPED : BACKING_DIRECT, m ? 4 : 0, 4);
		struct kvm_submap *zm = kvm_submap_create(b.k, "zone_map", 8 * MIB);
		uint8_t *owner_of = xcalloc(b.pm->nframes, 1);
		static uint64_t va[OPS];
		static uint8_t ord[OPS], insub[OPS];
		unsigned n = 0;
		struct rng r;
		rng_seed(&r, 11 + m);
		long bad = 0;
		for (long op = 0; op < OPS && bad < 5; op++) {
			if (n && rng_below(&r, 100) < 40) {
				unsigned i = (unsigned)rng_below(&r, n);
				for (uint64_t p = 0; p < (1u << ord[i]); p++)
					owner_of[kvm_va_to_pfn(b.k, va[i] + p * PAGE_SIZE)] = 0;
				kvm_free(b.k, insub[i] ? zm : NULL, va[i], ord[i]);
				if (m && kvm_va_to_pfn(b.k, va[i]) != PFN_NONE) {
					bad++;
					CHECK_MSG(0, "freed %#llx still translates", (unsigned long long)va[i]);
				}
				va[i] = va[--n];
				ord[i] = ord[n];
				insub[i] = insub[n];
				continue;
			}
			unsigned order = (unsigned)rng_below(&r, 5);
			bool s = rng_below(&r, 3) == 0;
			enum fail_reason why;
			uint64_t v = kvm_alloc(b.k, s ? zm : NULL, order, 0, OWNER_SLAB, (uint32_t)(op & 0xffff), &why);
			if (!v) {
				if (!s || why != FAIL_SUBMAP_FULL) {
					bad++;
					CHECK_MSG(0, "op %ld: order %u failed (%d)", op, order, why);
				}
				continue;
			}
			if (v & ((PAGE_SIZE << order) - 1)) {
				bad++;
				CHECK_MSG(0, "%#llx not aligned to order %u", (unsigned long long)v, order);
			}
			uint32_t first = kvm_va_to_pfn(b.k, v);
			for (uint64_t p = 0; p < (1u << order); p++) {
				uint64_t off = p * PAGE_SIZE + rng_below(&r, PAGE_SIZE);
				uint32_t pfn = kvm_va_to_pfn(b.k, v + off);
				const struct frame *f = pfn < b.pm->nframes ? &b.pm->frames[pfn] : NULL;
				if (!f || owner_of[pfn] || f->owner != OWNER_SLAB || f->owner_id != (uint32_t)(op & 0xffff) ||
				    (!m && pfn != first + p) || (m && (f->state != FRAME_ALLOC_HEAD || f->order != 0))) {
					bad++;
					CHECK_MSG(0, "op %ld: page %llu of %#llx -> pfn %#x bad or shared", op,
						  (unsigned long long)p, (unsigned long long)v, pfn);
					break;
				}
				owner_of[pfn] = 1;
			}
			va[n] = v;
			ord[n] = (uint8_t)order;
			insub[n++] = s;
			if (op % 2000 == 0)
				box_ok(&b, "random");
		}
		CHECK_EQ(kvm_va_to_pfn(b.k, KMAP_START - 1), PFN_NONE);
		CHECK_EQ(kvm_va_to_pfn(b.k, 0x1000), PFN_NONE);
		while (n) {
			n--;
			kvm_free(b.k, insub[n] ? zm : NULL, va[n], ord[n]);
		}
		const struct kvm_stats *st = kvm_stats(b.k);
		CHECK_EQ(st->pages_held, 0);
		CHECK_EQ(st->pt_pages, 0);
		CHECK_EQ(kvm_footprint_bytes(b.k), 0);
		CHECK_EQ(page_free_pages(b.pl), b.free0);
		CHECK_EQ(kvm_reserve_pages(b.k), m ? 4 : 0);
		if (m)
			CHECK(st->map_ops == st->unmap_ops && st->map_ops > 10000);
		box_ok(&b, "all freed");
		free(owner_of);
		box_close(&b);
	}
}

/*
 * Exhaustion with mapped backing. Other consumers (page cache, user
 * pages: order-0 buddy frames owned OWNER_PAGE) leave exactly L frames
 * free; then the kernel allocates order-0 pages through kvm until the
 * first failure. A data frame is taken first, then mapped; the mapping
 * may need table pages.
 *
 * Counting frames for allocation j (1-based) in the empty kernel map:
 *   j = 1 needs a PDPT, a PD and a PT (3 tables) besides its data frame;
 *   j = 513 and j = 1025 need a new PT (pages 512 and 1024 start a new
 *   2 MiB region). Frames used before j = 513: 512 + 3 = 515; before
 *   j = 1025: 1024 + 4 = 1028.
 * Without a reserve the data frame succeeds and the table page fails
 * (FAIL_PGTABLE) exactly when the data frame takes the last free frame
 * before a table is needed: L = 1 (no table at all), L = 2 and 3 (not
 * all three), L = 516 and L = 1029. The data frame (and any table taken)
 * goes back, so frames stay free that no retry can use: the deadlock.
 *   L = 1, 2, 3 strand L frames; L = 516, 1029 strand 1.
 * With --pt-reserve 3 (the most tables one 4 KiB mapping can need under
 * 4-level paging) "survival" means: for every L, no allocation fails
 * with FAIL_PGTABLE; the first failure is FAIL_NOMEM with zero free
 * frames, i.e. every frame that was free became a data page or a table.
 * Freeing everything refills the reserve and restores the free count.
 */
static void t_exhaustion_reserve(void)
{
	const unsigned LMAX = 1100;
	unsigned pgtable_fail_at[8], npf = 0, bad = 0;
	for (unsigned reserve = 0; reserve <= 3 && !bad; reserve += 3) {
		npf = 0;
		for (unsigned L = 1; L <= LMAX && bad < 5; L++) {
			struct box b;
			box_open(&b, 16 * MIB, BACKING_MAPPED, reserve, 4);
			uint32_t *cache = xmalloc(b.pm->nframes * sizeof(*cache));
			uint32_t ncache = 0;
			while (page_free_pages(b.pl) > L) {
				uint32_t pfn = page_alloc(b.pl, 0, 0, OWNER_PAGE, 0);
				cache[ncache++] = pfn;
			}
			uint64_t *held = xmalloc((L + 1) * sizeof(*held));
			uint32_t nheld = 0;
			enum fail_reason why = FAIL_NONE;
			for (;;) {
				uint64_t va = kvm_alloc(b.k, NULL, 0, 0, OWNER_SLAB, 1, &why);
				if (!va)
					break;
				held[nheld++] = va;
			}
			uint64_t stranded = page_free_pages(b.pl);
			if (why == FAIL_PGTABLE) {
				if (npf < ARRAY_SIZE(pgtable_fail_at))
					pgtable_fail_at[npf] = L;
				npf++;
				CHECK_EQ(stranded, L <= 3 ? L : 1);
				/* retrying never helps: the same failure, the same free frames */
				for (int t = 0; t < 5; t++) {
					CHECK_EQ(kvm_alloc(b.k, NULL, 0, 0, OWNER_SLAB, 1, &why), 0);
					CHECK_EQ(why, FAIL_PGTABLE);
				}
				CHECK_EQ(page_free_pages(b.pl), stranded);
			} else if (why != FAIL_NOMEM || stranded != 0) {
				bad++;
				CHECK_MSG(0, "reserve %u L %u: first failure %d with %llu frames free", reserve, L, why,
					  (unsigned long long)stranded);
			}
			if (reserve) {
				/* survival: every free frame was used */
				CHECK_MSG(why == FAIL_NOMEM && stranded == 0, "reserve %u L %u: failure %d, %llu stranded",
					  reserve, L, why, (unsigned long long)stranded);
				CHECK(kvm_stats(b.k)->recursion_max == 2);
			}
			if (!box_ok(&b, "exhausted"))
				bad++;
			while (nheld)
				kvm_free(b.k, NULL, held[--nheld], 0);
			while (ncache) {
				uint32_t pfn = cache[--ncache];
				page_free(b.pl, pfn, 0);
			}
			CHECK_EQ(kvm_reserve_pages(b.k), reserve);
			CHECK_EQ(page_free_pages(b.pl), b.free0);
			if (reserve && L == 516)
				CHECK_EQ(kvm_stats(b.k)->reserve_used, 1);   /* the PT of page 512 */
			free(held);
			free(cache);
			box_close(&b);
		}
		if (reserve == 0) {
			CHECK_EQ(npf, 5);
			static const unsigned want[5] = { 1, 2, 3, 516, 1029 };
			for (unsigned i = 0; i < 5 && i < npf; i++)
				CHECK_EQ(pgtable_fail_at[i], want[i]);
		} else {
			CHECK_EQ(npf, 0);
		}
	}
}

/*
 * Back ends over both page sources. The same random workload runs on a
 * direct and a mapped sim; a back end without submaps asks kvm for the
 * same blocks either way (it cannot tell the sources apart), so pages
 * held, A(t) and metadata agree at every step, and the footprints differ
 * by exactly the table pages the mapped source caused. kvm_check runs
 * every 50 events on the mapped sim, the back end's check every event.
 */
static struct sim *mk_sim(struct params *p, const char *alloc, enum backing backing)
{
	params_init(p);
	p->allocator = alloc;
	p->db = NULL;
	p->check_every = 1;
	p->progress = false;
	p->backing = backing;
	physmem_config_init(&p->mem, 64 * MIB);
	char err[256];
	struct sim *s = sim_create(p, err, sizeof(err));
	if (!s)
		printf("#   sim_create %s: %s\n", alloc, err);
	return s;
}

static void t_backends_both_sources(void)
{
	static const char *const names[] = { "buddy", "slub", "zone" };
	for (unsigned a = 0; a < ARRAY_SIZE(names); a++) {
		if (!allocator_lookup(names[a]))
			continue;
		bool submaps = strcmp(names[a], "zone") == 0;
		static struct params pd, pmp;
		struct sim *sd = mk_sim(&pd, names[a], BACKING_DIRECT);
		struct sim *sm = mk_sim(&pmp, names[a], BACKING_MAPPED);
		CHECK(sd && sm);
		if (!sd || !sm) {
			sim_destroy(sd);
			sim_destroy(sm);
			continue;
		}
		struct rng r;
		rng_seed(&r, 3);
		enum { LIVE = 3000, EVENTS = 20000 };
		static uint64_t kd[LIVE], km[LIVE];
		unsigned n = 0;
		long bad = 0;
		for (long e = 0; e < EVENTS && bad < 3; e++) {
			if (n == LIVE || (n && rng_below(&r, 100) < 45)) {
				unsigned i = (unsigned)rng_below(&r, n);
				sim_free(sd, kd[i], 0);
				sim_free(sm, km[i], 0);
				kd[i] = kd[--n];
				km[i] = km[n];
			} else {
				uint64_t u = rng_below(&r, 100);
				uint32_t size = u < 80 ? 8 + (uint32_t)rng_below(&r, 500) :
						u < 97 ? 512 + (uint32_t)rng_below(&r, 3584) : 4096 + (uint32_t)rng_below(&r, 28672);
				unsigned cpu = (unsigned)rng_below(&r, 2);
				uint64_t x = sim_alloc(sd, size, 0, cpu, 0, 0), y = sim_alloc(sm, size, 0, cpu, 0, 0);
				if ((x != 0) != (y != 0)) {
					bad++;
					CHECK_MSG(0, "%s event %ld: direct %s, mapped %s", names[a], e, x ? "ok" : "failed",
						  y ? "ok" : "failed");
				}
				if (x && y) {
					kd[n] = x;
					km[n++] = y;
				} else {
					if (x) sim_free(sd, x, 0);
					if (y) sim_free(sm, y, 0);
				}
			}
			const struct kvm_stats *a1 = kvm_stats(sd->kvm), *a2 = kvm_stats(sm->kvm);
			if (!submaps && (a1->pages_held != a2->pages_held || sd->a->alloc_bytes != sm->a->alloc_bytes ||
					 sim_footprint_bytes(sm) != sim_footprint_bytes(sd) + a2->pt_pages * PAGE_SIZE)) {
				bad++;
				CHECK_MSG(0, "%s event %ld: pages %llu vs %llu, footprint %llu vs %llu + %llu table pages",
					  names[a], e, (unsigned long long)a1->pages_held, (unsigned long long)a2->pages_held,
					  (unsigned long long)sim_footprint_bytes(sm), (unsigned long long)sim_footprint_bytes(sd),
					  (unsigned long long)a2->pt_pages);
			}
			if (e % 50 == 0) {
				char msg[256] = "";
				if (!kvm_check(sm->kvm, msg, sizeof(msg))) {
					bad++;
					CHECK_MSG(0, "%s event %ld: %s", names[a], e, msg);
				}
			}
		}
		const struct kvm_stats *st = kvm_stats(sm->kvm);
		CHECK(st->map_ops > 0 && st->peak_pt_pages > 0);
		CHECK_EQ(kvm_stats(sd->kvm)->map_ops, 0);
		while (n) {
			n--;
			sim_free(sd, kd[n], 0);
			sim_free(sm, km[n], 0);
		}
		sim_reclaim(sd);
		sim_reclaim(sm);
		if (!submaps)
			CHECK_EQ(kvm_stats(sm->kvm)->pages_held, kvm_stats(sd->kvm)->pages_held);
		char msg[256] = "";
		CHECK_MSG(kvm_check(sm->kvm, msg, sizeof(msg)), "%s end: %s", names[a], msg);
		printf("#   %s: mapped peak %llu pages held, peak %llu table pages, %llu map ops\n", names[a],
		       (unsigned long long)st->peak_pages_held, (unsigned long long)st->peak_pt_pages,
		       (unsigned long long)st->map_ops);
		sim_destroy(sd);
		sim_destroy(sm);
	}
}

int main(void)
{
	RUN(t_boot_direct_map);
	RUN(t_footprint_sequence);
	RUN(t_first_fit_reference);
	RUN(t_submap_full);
	RUN(t_va_to_pfn_and_free_all);
	RUN(t_exhaustion_reserve);
	RUN(t_backends_both_sources);
	return check_done();
}
