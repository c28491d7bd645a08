/*
 * t_pgtable.c - x86-64 page tables: analytic table-page counts for the
 * direct map of a 64 GiB machine, a randomized map/unmap/walk/protect run
 * against a reference dictionary, pruning of empty tables, and the
 * table-page callback failing.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "../sim/pgtable.h"
#include "../sim/rng.h"
#include "../sim/page.h"

#define DIRECT_BASE 0xffff888000000000ull   /* Linux PAGE_OFFSET, 4-level */

static struct page_layer *machine(uint64_t bytes)
{
	struct physmem_config cfg;
	char err[256];
	physmem_config_init(&cfg, bytes);
	struct page_layer *pl = page_create(&cfg, NULL, err, sizeof(err));
	if (!pl)
		die("page_create: %s", err);
	return pl;
}

static void expect_ok(const struct pgtable *pt, const char *when)
{
	char msg[256] = "";
	bool good = pgtable_check(pt, msg, sizeof(msg));
	CHECK_MSG(good, "%s: %s", when, msg);
}

/*
 * Map all 64 GiB at PAGE_OFFSET with pages of `size`; check the table
 * pages per level, the mappings, the frames taken from the buddy
 * allocator, a few walks, and that unmapping everything leaves the root.
 *
 * PAGE_OFFSET = 0xffff888000000000 is 512 GiB aligned (PML4 index 273,
 * PML5 index 511), so the 64 GiB fall under one PML4 entry:
 *   1 GiB pages: 64 entries in 1 PDPT               -> PDPT 1, PML4 1          = 2
 *   2 MiB pages: 64 GiB / 1 GiB = 64 PDs, 1 PDPT    -> PD 64, PDPT 1, PML4 1   = 66
 *   4 KiB pages: 64 GiB / 2 MiB = 32768 PTs, 64 PDs -> PT 32768 + 66           = 32834
 * LA57 adds one level-4 table under the PML5 root: 3, 67, 32835.
 */
static void direct_map(uint64_t size, unsigned levels, const uint64_t want[PT_MAX_LEVELS + 1])
{
	const uint64_t mem = 64 * GIB;
	struct page_layer *pl = machine(mem);
	uint64_t free0 = page_free_pages(pl);
	struct pgtable *pt = pgtable_create(pl, levels, NULL, NULL, NULL);
	CHECK(pt != NULL);
	if (!pt) {
		page_destroy(pl);
		return;
	}
	uint64_t npages = mem / size, step = size >> PAGE_SHIFT;
	int bad = 0;
	for (uint64_t i = 0; i < npages && !bad; i++)
		if (pgtable_map(pt, DIRECT_BASE + i * size, (uint32_t)(i * step), size, PT_PROT_WRITE) != PT_OK)
			bad = 1;
	CHECK(!bad);
	const struct pgtable_stats *st = pgtable_stats(pt);
	uint64_t total = 0;
	for (unsigned l = 1; l <= PT_MAX_LEVELS; l++) {
		CHECK_MSG(st->tables[l] == want[l], "size %llu levels %u: level %u has %llu tables, want %llu",
			  (unsigned long long)size, levels, l, (unsigned long long)st->tables[l],
			  (unsigned long long)want[l]);
		total += want[l];
	}
	CHECK_EQ(st->tables_live, total);
	CHECK_EQ(st->mappings[pgtable_leaf_level(size) - 1], npages);
	/* every table page is an order-0 frame taken from the buddy allocator */
	CHECK_EQ(page_free_pages(pl), free0 - total);
	expect_ok(pt, "after direct map");
	/* walks: the last byte of RAM, an odd address in the middle */
	struct pt_walk w;
	CHECK(pgtable_walk(pt, DIRECT_BASE + mem - 1, &w));
	CHECK_EQ(w.pfn, (mem >> PAGE_SHIFT) - 1);
	CHECK_EQ(w.size, size);
	CHECK(pgtable_walk(pt, DIRECT_BASE + 0x123456789ull, &w));
	CHECK_EQ(w.pfn, 0x123456789ull >> PAGE_SHIFT);
	CHECK(w.prot == PT_PROT_WRITE);
	CHECK(!pgtable_walk(pt, DIRECT_BASE + mem, &w));
	CHECK(!pgtable_walk(pt, DIRECT_BASE - 1, &w));
	/* mapping anything inside again collides */
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE + 5 * PT_SIZE_4K, 7, PT_SIZE_4K, 0), PT_EXIST);
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE, 0, PT_SIZE_1G, 0), PT_EXIST);
	/* unmap all: only the root is left, every other frame is back */
	for (uint64_t i = 0; i < npages && !bad; i++)
		if (pgtable_unmap(pt, DIRECT_BASE + i * size, size) != PT_OK)
			bad = 1;
	CHECK(!bad);
	CHECK_EQ(st->tables_live, 1);
	CHECK_EQ(st->tables[levels], 1);
	CHECK_EQ(st->tables_freed, total - 1);
	CHECK_EQ(page_free_pages(pl), free0 - 1);
	expect_ok(pt, "after unmap all");
	pgtable_destroy(pt);
	page_destroy(pl);
}

static void t_direct_1g(void)
{
	direct_map(PT_SIZE_1G, 4, (const uint64_t[]){ 0, 0, 0, 1, 1, 0 });
	direct_map(PT_SIZE_1G, 5, (const uint64_t[]){ 0, 0, 0, 1, 1, 1 });
}

static void t_direct_2m(void)
{
	direct_map(PT_SIZE_2M, 4, (const uint64_t[]){ 0, 0, 64, 1, 1, 0 });
	direct_map(PT_SIZE_2M, 5, (const uint64_t[]){ 0, 0, 64, 1, 1, 1 });
}

static void t_direct_4k(void)
{
	direct_map(PT_SIZE_4K, 4, (const uint64_t[]){ 0, 32768, 64, 1, 1, 0 });
	direct_map(PT_SIZE_4K, 5, (const uint64_t[]){ 0, 32768, 64, 1, 1, 1 });
}

static void t_geometry(void)
{
	CHECK_EQ(pgtable_index(DIRECT_BASE, 4), 273);
	CHECK_EQ(pgtable_index(DIRECT_BASE, 5), 511);
	CHECK_EQ(pgtable_index(0xffffc90000000000ull, 4), 402);
	CHECK_EQ(pgtable_span(1), 4096);
	CHECK_EQ(pgtable_span(3), GIB);
	CHECK_EQ(pgtable_span(4), 512 * GIB);
	CHECK(pgtable_canonical(DIRECT_BASE, 4));
	CHECK(pgtable_canonical(0x00007fffffffffffull, 4));
	CHECK(!pgtable_canonical(0x0000800000000000ull, 4));
	CHECK(pgtable_canonical(0x0000800000000000ull, 5));
	CHECK(!pgtable_canonical(0x0100000000000000ull, 5));
	struct page_layer *pl = machine(64 * MIB);
	struct pgtable *pt = pgtable_create(pl, 4, NULL, NULL, NULL);
	CHECK_EQ(pgtable_map(pt, 0x0000800000000000ull, 1, PT_SIZE_4K, 0), PT_INVAL);   /* non-canonical */
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE + 4096, 512, PT_SIZE_2M, 0), PT_INVAL);     /* va misaligned */
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE, 3, PT_SIZE_2M, 0), PT_INVAL);              /* pfn misaligned */
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE, 3, 8192, 0), PT_INVAL);                    /* no such size */
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE, 1u << 28, PT_SIZE_4K, 0), PT_INVAL);       /* pfn beyond 1 TiB */
	CHECK_EQ(pgtable_unmap(pt, DIRECT_BASE, PT_SIZE_4K), PT_NOENT);
	CHECK_EQ(pgtable_stats(pt)->tables_live, 1);
	pgtable_destroy(pt);
	page_destroy(pl);
}

/* ---- a page source that fails on demand ---- */

struct limited {
	struct page_layer *pl;
	int budget;          /* table pages still allowed; < 0 = unlimited */
	uint64_t live;
};

static uint32_t limited_alloc(void *ctx, unsigned level)
{
	struct limited *l = ctx;
	if (l->budget == 0)
		return PFN_NONE;
	if (l->budget > 0)
		l->budget--;
	uint32_t pfn = page_alloc(l->pl, 0, 0, OWNER_PGTABLE, level);
	if (pfn != PFN_NONE)
		l->live++;
	return pfn;
}

static void limited_free(void *ctx, uint32_t pfn, unsigned level)
{
	struct limited *l = ctx;
	(void)level;
	page_free(l->pl, pfn, 0);
	l->live--;
}

/* A map that runs out of table pages half way leaves no empty tables
 * behind and changes nothing that was mapped. */
static void t_nomem_prunes(void)
{
	struct page_layer *pl = machine(64 * MIB);
	struct limited lim = { pl, -1, 0 };
	uint64_t free0 = page_free_pages(pl);
	struct pgtable *pt = pgtable_create(pl, 4, limited_alloc, limited_free, &lim);
	CHECK(pt != NULL);
	/* a 4K map in an empty 512 GiB region needs PDPT, PD, PT: allow 2 */
	lim.budget = 2;
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE, 5, PT_SIZE_4K, 0), PT_NOMEM);
	CHECK_EQ(pgtable_stats(pt)->tables_live, 1);
	CHECK_EQ(lim.live, 1);
	CHECK_EQ(pgtable_stats(pt)->table_alloc_failed, 1);
	CHECK_EQ(page_free_pages(pl), free0 - 1);
	expect_ok(pt, "after failed map");
	/* with 3 it works; a neighbour in the same PT then needs none */
	lim.budget = 3;
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE, 5, PT_SIZE_4K, 0), PT_OK);
	lim.budget = 0;
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE + 4096, 6, PT_SIZE_4K, 0), PT_OK);
	/* a 4K page in the next 2 MiB needs a PT: fails, the PD stays (used) */
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE + PT_SIZE_2M, 6, PT_SIZE_4K, 0), PT_NOMEM);
	CHECK_EQ(pgtable_stats(pt)->tables_live, 4);
	/* a 2 MiB page there needs no table */
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE + PT_SIZE_2M, 512, PT_SIZE_2M, 0), PT_OK);
	/* the PT blocks a 2 MiB page over it; the 2M page blocks a 4K one inside */
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE, 512, PT_SIZE_2M, 0), PT_EXIST);
	CHECK_EQ(pgtable_map(pt, DIRECT_BASE + PT_SIZE_2M + 8192, 9, PT_SIZE_4K, 0), PT_EXIST);
	/* unmap with the wrong size finds nothing */
	CHECK_EQ(pgtable_unmap(pt, DIRECT_BASE + PT_SIZE_2M, PT_SIZE_4K), PT_NOENT);
	CHECK_EQ(pgtable_unmap(pt, DIRECT_BASE, PT_SIZE_2M), PT_NOENT);
	CHECK_EQ(pgtable_protect(pt, DIRECT_BASE + 4096, PT_SIZE_4K, PT_PROT_EXEC), PT_OK);
	struct pt_walk w;
	CHECK(pgtable_walk(pt, DIRECT_BASE + 4096 + 17, &w) && w.pfn == 6 && w.prot == PT_PROT_EXEC);
	CHECK(pgtable_walk(pt, DIRECT_BASE + PT_SIZE_2M + 3 * 4096, &w) && w.pfn == 515 && w.base_pfn == 512);
	expect_ok(pt, "mixed");
	CHECK_EQ(pgtable_unmap(pt, DIRECT_BASE, PT_SIZE_4K), PT_OK);
	CHECK_EQ(pgtable_unmap(pt, DIRECT_BASE + 4096, PT_SIZE_4K), PT_OK);
	CHECK_EQ(pgtable_stats(pt)->tables_live, 3);   /* PT gone; PD holds the 2M page */
	CHECK_EQ(pgtable_unmap(pt, DIRECT_BASE + PT_SIZE_2M, PT_SIZE_2M), PT_OK);
	CHECK_EQ(pgtable_stats(pt)->tables_live, 1);
	CHECK_EQ(page_free_pages(pl), free0 - 1);
	expect_ok(pt, "end");
	pgtable_destroy(pt);
	page_destroy(pl);
}

/*
 * Randomized run against a reference dictionary. The window is 4 GiB
 * straddling a 512 GiB boundary (so two PDPTs come and go). Addresses are
 * drawn from a small set (4 GiB blocks x 8 2M blocks x 16 pages) so that
 * maps collide and unmaps hit. The reference answers every call and
 * also predicts the table count: a PT per 2 MiB block holding a 4K map,
 * a PD per 1 GiB block holding a 4K or 2M map, a PDPT per 512 GiB
 * region holding anything, and the root.
 */
#define WIN_BASE   (DIRECT_BASE - 2 * GIB)
#define WIN_PAGES  (4 * GIB / 4096)

struct refmap { uint8_t cls; uint8_t prot; uint32_t pfn; uint32_t slot; };   /* cls 0 = none, 1..3 */

static void t_random_reference(void)
{
	static struct refmap ref[WIN_PAGES];       /* by start page in the window */
	static uint32_t cnt2m[WIN_PAGES / 512];    /* 4K maps per 2M block */
	static uint32_t cnt1g[4];                  /* 4K or 2M maps per 1G block */
	static uint32_t live[WIN_PAGES];           /* start pages of live maps */
	uint32_t nlive = 0;
	memset(ref, 0, sizeof(ref));
	memset(cnt2m, 0, sizeof(cnt2m));
	memset(cnt1g, 0, sizeof(cnt1g));
	struct page_layer *pl = machine(256 * MIB);
	uint64_t free0 = page_free_pages(pl);
	struct pgtable *pt = pgtable_create(pl, 4, NULL, NULL, NULL);
	struct rng r;
	rng_seed(&r, 42);
	const uint64_t sizes[4] = { 0, PT_SIZE_4K, PT_SIZE_2M, PT_SIZE_1G };
	long bad = 0, nmap = 0, nexist = 0, nunmap = 0, nnoent = 0, peak_tables = 0;
	const long OPS = 300000;
	for (long op = 0; op < OPS && bad < 5; op++) {
		uint64_t u = rng_below(&r, 100);
		unsigned cls = u < 3 ? 3 : u < 20 ? 2 : 1;
		uint32_t g = (uint32_t)rng_below(&r, 4), m = (uint32_t)rng_below(&r, 8), k = (uint32_t)rng_below(&r, 16);
		uint32_t page = g * 262144 + (cls <= 2 ? m * 512 : 0) + (cls == 1 ? k : 0);
		uint64_t va = WIN_BASE + (uint64_t)page * 4096, size = sizes[cls];
		unsigned what = (unsigned)rng_below(&r, 100);
		if (what < 45) {
			/* map: expected EXIST if a larger page covers it, the slot
			 * is taken, or smaller maps lie inside */
			bool exist = ref[page].cls ||
				     ref[page & ~511u].cls == 2 || ref[page & ~262143u].cls == 3 ||
				     (cls == 2 && cnt2m[page / 512]) || (cls == 3 && cnt1g[page / 262144]);
			uint32_t pfn = (uint32_t)(rng_below(&r, 200) * (size >> PAGE_SHIFT));
			unsigned prot = (unsigned)rng_below(&r, 4);
			enum pt_result res = pgtable_map(pt, va, pfn, size, prot);
			if (res != (exist ? PT_EXIST : PT_OK)) {
				bad++;
				CHECK_MSG(0, "op %ld: map %#llx size %llu -> %d, reference says %s", op,
					  (unsigned long long)va, (unsigned long long)size, res, exist ? "exist" : "ok");
				continue;
			}
			if (exist) {
				nexist++;
				continue;
			}
			nmap++;
			ref[page] = (struct refmap){ (uint8_t)cls, (uint8_t)prot, pfn, nlive };
			live[nlive++] = page;
			if (cls == 1)
				cnt2m[page / 512]++;
			if (cls <= 2)
				cnt1g[page / 262144]++;
		} else if (what < 80) {
			/* unmap: half the time a live mapping, else the drawn one */
			if (nlive && rng_below(&r, 2)) {
				page = live[rng_below(&r, nlive)];
				cls = ref[page].cls;
				size = sizes[cls];
				va = WIN_BASE + (uint64_t)page * 4096;
			}
			bool present = ref[page].cls == cls;
			enum pt_result res = pgtable_unmap(pt, va, size);
			if (res != (present ? PT_OK : PT_NOENT)) {
				bad++;
				CHECK_MSG(0, "op %ld: unmap %#llx size %llu -> %d, reference says %s", op,
					  (unsigned long long)va, (unsigned long long)size, res, present ? "ok" : "noent");
				continue;
			}
			if (!present) {
				nnoent++;
				continue;
			}
			nunmap++;
			uint32_t slot = ref[page].slot;
			live[slot] = live[--nlive];
			ref[live[slot]].slot = slot;
			ref[page].cls = 0;
			if (cls == 1)
				cnt2m[page / 512]--;
			if (cls <= 2)
				cnt1g[page / 262144]--;
		} else if (what < 95) {
			/* walk an arbitrary byte of the window */
			uint64_t off = rng_below(&r, 2) ? rng_below(&r, 4 * GIB)
							: (uint64_t)page * 4096 + rng_below(&r, 3 * 4096);
			uint32_t p = (uint32_t)(off / 4096);
			uint32_t start = ref[p].cls == 1 ? p : ref[p & ~511u].cls == 2 ? (p & ~511u)
				       : ref[p & ~262143u].cls == 3 ? (p & ~262143u) : UINT32_MAX;
			struct pt_walk w;
			bool found = pgtable_walk(pt, WIN_BASE + off, &w);
			uint32_t want = start == UINT32_MAX ? 0 : ref[start].pfn + (p - start);
			if (found != (start != UINT32_MAX) ||
			    (found && (w.pfn != want || w.size != sizes[ref[start].cls] || w.prot != ref[start].prot))) {
				bad++;
				CHECK_MSG(0, "op %ld: walk %#llx found %d pfn %#x, reference %d pfn %#x", op,
					  (unsigned long long)(WIN_BASE + off), found, found ? w.pfn : 0,
					  start != UINT32_MAX, want);
			}
		} else if (nlive) {
			page = live[rng_below(&r, nlive)];
			unsigned prot = (unsigned)rng_below(&r, 4);
			if (pgtable_protect(pt, WIN_BASE + (uint64_t)page * 4096, sizes[ref[page].cls], prot) != PT_OK) {
				bad++;
				CHECK_MSG(0, "op %ld: protect of a live mapping failed", op);
			}
			ref[page].prot = (uint8_t)prot;
		}
		if (op % 2000 == 0 || op == OPS - 1) {
			/* the reference predicts the table pages */
			uint64_t pts = 0, pds = 0, pdpts = 0;
			for (uint32_t b = 0; b < WIN_PAGES / 512; b++)
				pts += cnt2m[b] != 0;
			bool half[2] = { false, false };
			for (uint32_t b = 0; b < 4; b++) {
				pds += cnt1g[b] != 0;
				for (uint32_t q = b * 262144; q < (b + 1) * 262144; q += 262144)
					if (cnt1g[b] || ref[q].cls == 3)
						half[b / 2] = true;
			}
			pdpts = half[0] + half[1];
			const struct pgtable_stats *st = pgtable_stats(pt);
			if (st->tables[1] != pts || st->tables[2] != pds || st->tables[3] != pdpts || st->tables[4] != 1) {
				bad++;
				CHECK_MSG(0, "op %ld: tables %llu/%llu/%llu, reference %llu/%llu/%llu", op,
					  (unsigned long long)st->tables[1], (unsigned long long)st->tables[2],
					  (unsigned long long)st->tables[3], (unsigned long long)pts,
					  (unsigned long long)pds, (unsigned long long)pdpts);
			}
			if ((long)st->tables_live > peak_tables)
				peak_tables = (long)st->tables_live;
			CHECK_EQ(page_free_pages(pl), free0 - st->tables_live);
			char msg[256] = "";
			if (!pgtable_check(pt, msg, sizeof(msg))) {
				bad++;
				CHECK_MSG(0, "op %ld: %s", op, msg);
			}
		}
	}
	/* the run must have exercised every outcome */
	CHECK(nmap > 10000 && nexist > 1000 && nunmap > 10000 && nnoent > 1000);
	CHECK(peak_tables > 20);
	printf("#   maps %ld exist %ld unmaps %ld noent %ld, peak tables %ld\n", nmap, nexist, nunmap, nnoent,
	       peak_tables);
	/* unmap everything: only the root remains */
	while (nlive) {
		uint32_t page = live[--nlive];
		CHECK_EQ(pgtable_unmap(pt, WIN_BASE + (uint64_t)page * 4096, sizes[ref[page].cls]), PT_OK);
		ref[page].cls = 0;
	}
	const struct pgtable_stats *st = pgtable_stats(pt);
	CHECK_EQ(st->tables_live, 1);
	CHECK_EQ(st->mappings[0] + st->mappings[1] + st->mappings[2], 0);
	CHECK_EQ(st->tables_allocated - st->tables_freed, 1);
	CHECK_EQ(page_free_pages(pl), free0 - 1);
	expect_ok(pt, "after unmapping everything");
	pgtable_destroy(pt);
	page_destroy(pl);
}

int main(void)
{
	RUN(t_geometry);
	RUN(t_direct_1g);
	RUN(t_direct_2m);
	RUN(t_direct_4k);
	RUN(t_nomem_prunes);
	RUN(t_random_reference);
	return check_done();
}
