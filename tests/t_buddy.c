/*
 * t_buddy.c - the buddy page allocator and physical memory model, through
 * the page layer (sim/page.h) and directly (sim/page_buddy.h).
 */
#include <string.h>
#include <sys/resource.h>
#include "check.h"
#include "../sim/page_buddy.h"
#include "../sim/rng.h"

static struct page_layer *machine(uint64_t bytes)
{
	struct physmem_config cfg;
	char err[256];
	physmem_config_init(&cfg, bytes);
	struct page_layer *pl = page_create(&cfg, "buddy", err, sizeof(err));
	if (!pl)
		die("page_create: %s", err);
	return pl;
}

static void t_zones_and_reserved(void)
{
	struct page_layer *pl = machine(8 * GIB);
	const struct physmem *pm = page_physmem(pl);
	struct buddy *bd = page_buddy(pl);
	/* DMA < 16 MiB, DMA32 < 4 GiB, Normal above: pfn boundaries. */
	CHECK_EQ(pm->zone_end[ZONE_DMA], 16 * MIB / PAGE_SIZE);
	CHECK_EQ(pm->zone_end[ZONE_DMA32], 4 * GIB / PAGE_SIZE);
	CHECK_EQ(pm->zone_end[ZONE_NORMAL], 8 * GIB / PAGE_SIZE);
	/* Free = all frames minus reserved (first MiB + 32 MiB kernel image). */
	uint64_t reserved = (1 * MIB + 32 * MIB) / PAGE_SIZE;
	CHECK_EQ(pm->reserved_frames, reserved);
	CHECK_EQ(buddy_free_pages(bd), pm->nframes - reserved);
	CHECK_EQ(page_free_pages(pl), pm->nframes - reserved);
	/* DMA zone: 16 MiB minus the first MiB = 3840 frames, and Linux's
	 * blocks are at most order 10 (4 MiB): 1 MiB..4 MiB gives 2^8 + 2^9
	 * blocks, then three order-10 blocks. */
	CHECK_EQ(bd->zone[ZONE_DMA].free_pages, 3840);
	CHECK_EQ(bd->zone[ZONE_DMA].area[10].nr_free, 3);
	CHECK_EQ(bd->zone[ZONE_DMA].area[9].nr_free, 1);
	CHECK_EQ(bd->zone[ZONE_DMA].area[8].nr_free, 1);
	/* the same through the page layer's allocator-independent queries */
	CHECK_EQ(page_zone_free_pages(pl, ZONE_DMA), 3840);
	CHECK_EQ(page_free_blocks(pl, ZONE_DMA, 10), 3);
	CHECK_EQ(page_free_blocks(pl, ZONE_DMA, 9), 1);
	CHECK_EQ(page_free_blocks(pl, ZONE_DMA, 8), 1);
	CHECK_EQ(page_free_blocks(pl, ZONE_DMA, 7), 0);
	CHECK_EQ(page_largest_free_order(pl), 10);
	char msg[256];
	CHECK_MSG(buddy_check(bd, msg, sizeof(msg)), "%s", msg);
	CHECK_MSG(page_check(pl, msg, sizeof(msg)), "%s", msg);
	page_destroy(pl);
}

static void t_gfp_zones_and_fallback(void)
{
	struct page_layer *pl = machine(64 * MIB);   /* DMA and DMA32 only */
	const struct physmem *pm = page_physmem(pl);
	struct buddy *bd = page_buddy(pl);
	uint32_t p = buddy_alloc(bd, 0, GFP_DMA);
	CHECK(p != PFN_NONE && p < pm->zone_end[ZONE_DMA]);
	/* No Normal zone: a plain allocation falls back to DMA32. */
	uint32_t q = buddy_alloc(bd, 0, 0);
	CHECK(q >= pm->zone_start[ZONE_DMA32] && q < pm->zone_end[ZONE_DMA32]);
	CHECK_EQ(bd->st.fallbacks, 1);
	/* Exhaust DMA with GFP_DMA: it never takes DMA32 frames. */
	uint64_t n = 0;
	uint32_t r;
	while ((r = buddy_alloc(bd, 0, GFP_DMA)) != PFN_NONE) {
		CHECK(r < pm->zone_end[ZONE_DMA]);
		n++;
	}
	CHECK_EQ(n + 1, bd->zone[ZONE_DMA].managed);
	CHECK_EQ(bd->zone[ZONE_DMA].free_pages, 0);
	CHECK_EQ(page_zone_free_pages(pl, ZONE_DMA), 0);
	page_destroy(pl);
}

static void t_split_keeps_lower_half(void)
{
	static struct frame fr[1024];
	struct buddy b;
	memset(fr, 0, sizeof(fr));
	buddy_init(&b, fr, 1024, 10);
	buddy_zone_add(&b, ZONE_NORMAL, 0, 1024);
	buddy_range_free(&b, 0, 1024);
	CHECK_EQ(buddy_alloc(&b, 0, 0), 0);        /* lowest frame */
	for (unsigned o = 0; o < 10; o++)           /* one free block per order */
		CHECK_EQ(b.zone[ZONE_NORMAL].area[o].nr_free, 1);
	CHECK_EQ(b.zone[ZONE_NORMAL].area[9].head, 512);
	CHECK_EQ(buddy_alloc(&b, 0, 0), 1);        /* the order-0 buddy */
	buddy_free(&b, 0, 0);
	buddy_free(&b, 1, 0);
	CHECK_EQ(b.zone[ZONE_NORMAL].area[10].nr_free, 1);   /* all merged back */
	CHECK_EQ(b.st.merges, 10);
}

/* 10^6 random alloc/free against a shadow bitmap of frames: blocks never
 * overlap, are aligned, and the checker passes every 1000 ops and after
 * every op for the first 20000. */
static void t_random_million(void)
{
	enum { NF = 16384, MAXLIVE = 4096 };
	static struct frame fr[NF];
	static uint8_t used[NF];
	static struct { uint32_t pfn; uint8_t order; } live[MAXLIVE];
	unsigned nlive = 0;
	struct buddy b;
	struct rng r;
	char msg[256];
	memset(fr, 0, sizeof(fr));
	buddy_init(&b, fr, NF, 10);
	buddy_zone_add(&b, ZONE_NORMAL, 0, NF);
	buddy_range_free(&b, 0, NF);
	rng_seed(&r, 42);
	uint64_t used_pages = 0, fails = 0;
	int bad = 0;
	for (int i = 0; i < 1000000 && !bad; i++) {
		bool do_alloc = nlive == 0 || (nlive < MAXLIVE && rng_below(&r, 100) < 52);
		if (do_alloc) {
			unsigned order = (unsigned)(rng_below(&r, 8) == 0 ? rng_below(&r, 11) : rng_below(&r, 3));
			uint32_t p = buddy_alloc(&b, order, 0);
			if (p == PFN_NONE) {
				fails++;
				/* a failure must be genuine: no free block of order >= order */
				for (unsigned o = order; o <= 10; o++)
					if (b.zone[ZONE_NORMAL].area[o].nr_free) { bad = 1; CHECK_MSG(0, "false failure at order %u", order); }
				continue;
			}
			if (p & ((1u << order) - 1)) { bad = 1; CHECK_MSG(0, "misaligned %u order %u", p, order); }
			for (uint32_t q = p; q < p + (1u << order); q++) {
				if (used[q]) { bad = 1; CHECK_MSG(0, "frame %u handed out twice", q); break; }
				used[q] = 1;
			}
			used_pages += 1u << order;
			live[nlive].pfn = p;
			live[nlive++].order = (uint8_t)order;
		} else {
			unsigned k = (unsigned)rng_below(&r, nlive);
			for (uint32_t q = live[k].pfn; q < live[k].pfn + (1u << live[k].order); q++)
				used[q] = 0;
			used_pages -= 1u << live[k].order;
			buddy_free(&b, live[k].pfn, live[k].order);
			live[k] = live[--nlive];
		}
		if (buddy_free_pages(&b) != NF - used_pages) { bad = 1; CHECK_MSG(0, "free pages not conserved at op %d", i); }
		if ((i < 20000 || i % 1000 == 0) && !buddy_check(&b, msg, sizeof(msg))) {
			bad = 1;
			CHECK_MSG(0, "op %d: %s", i, msg);
		}
	}
	CHECK(fails > 0);   /* the test reached memory pressure */
	while (nlive) {
		nlive--;
		buddy_free(&b, live[nlive].pfn, live[nlive].order);
	}
	CHECK_EQ(b.zone[ZONE_NORMAL].area[10].nr_free, NF / 1024);
	CHECK_MSG(buddy_check(&b, msg, sizeof(msg)), "%s", msg);
}

/* 64 GiB modelled fits in well under 1 GiB of host memory. */
static void t_64g_footprint(void)
{
	struct page_layer *pl = machine(64 * GIB);
	CHECK_EQ(page_free_pages(pl), 64 * GIB / PAGE_SIZE - (33 * MIB) / PAGE_SIZE);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("#   maxrss with 64 GiB modelled: %ld MiB\n", ru.ru_maxrss / 1024);
	CHECK(ru.ru_maxrss < 512 * 1024);   /* KiB; sanitizer shadow included */
	page_destroy(pl);
}

int main(void)
{
	RUN(t_zones_and_reserved);
	RUN(t_gfp_zones_and_fallback);
	RUN(t_split_keeps_lower_half);
	RUN(t_random_million);
	RUN(t_64g_footprint);
	return check_done();
}
