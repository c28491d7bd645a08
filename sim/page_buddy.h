/*
 * page_buddy.h - Linux's binary buddy page allocator, the page layer's
 * "buddy" frame allocator (sim/page.h).
 *
 * The buddy allocator owns the free frames of a frame array. It is used
 * two ways: inside the page layer, over a physmem (page_buddy_ops, chosen
 * by name through sim/page.h; nothing above the page layer includes this
 * header), and free-standing over a frame array of its own, for the
 * lecture's example (sim/api.c kms_buddy_*, tests/buddy_slides.c). The
 * buddy *back end* (objects rounded up to 2^order pages) is
 * allocators/buddy.c, a client of sim/page.h like every back end.
 */
#ifndef KMS_PAGE_BUDDY_H
#define KMS_PAGE_BUDDY_H

#include "physmem.h"
#include "page.h"

#define BUDDY_MAX_ORDERS PAGE_MAX_ORDERS   /* orders 0..19 at most; Linux uses 0..10 */

struct buddy_free_area {
	uint32_t head;     /* first free block (pfn) or PFN_NONE */
	uint64_t nr_free;  /* blocks on this list */
};

struct buddy_zone {
	uint32_t start, end;      /* pfn range [start, end) */
	uint64_t managed;         /* frames given to the allocator */
	uint64_t free_pages;
	uint64_t watermark_low;   /* frames; below it only GFP_ATOMIC / reserves */
	struct buddy_free_area area[BUDDY_MAX_ORDERS];
};

struct buddy_stats {
	uint64_t allocs, frees, failed, splits, merges, fallbacks;
};

struct buddy {
	struct frame     *frames;
	uint32_t          nframes;
	unsigned          max_order;          /* highest order (Linux: 10) */
	struct buddy_zone zone[NR_ZONES];
	struct buddy_stats st;
};

/* Set up an empty allocator over frames[0..nframes); zones are added next. */
void buddy_init(struct buddy *b, struct frame *frames, uint32_t nframes, unsigned max_order);

/* Declare zone z as the pfn range [start, end), with no free memory yet. */
void buddy_zone_add(struct buddy *b, enum zone_type z, uint32_t start, uint32_t end);

/* Give frames [start, end) (inside one zone) to the allocator, in the
 * largest naturally aligned blocks, as Linux's memblock_free_all does. */
void buddy_range_free(struct buddy *b, uint32_t start, uint32_t end);

/*
 * Allocate 2^order contiguous frames. The zone is the highest gfp allows
 * (GFP_DMA → DMA, GFP_DMA32 → DMA32, else Normal), falling back to lower
 * zones (Normal → DMA32 → DMA) as Linux's zonelist does. Takes the first
 * block of the smallest sufficient order; on a split keeps the lower half
 * and puts the upper halves on the lower orders' lists.
 * Returns the first pfn, or PFN_NONE when no zone has a block.
 */
uint32_t buddy_alloc(struct buddy *b, unsigned order, unsigned gfp);

/* Free a block returned by buddy_alloc, coalescing with free buddies. */
void buddy_free(struct buddy *b, uint32_t pfn, unsigned order);

/* Free pages in all zones, and in the zones gfp may use. */
uint64_t buddy_free_pages(const struct buddy *b);

/* Largest order with a free block in any zone, or -1. */
int buddy_largest_free_order(const struct buddy *b);

/* Check every invariant in physmem.h and here; on failure write what and
 * where to msg and return false. O(frames). */
bool buddy_check(const struct buddy *b, char *msg, size_t msglen);

/* Order for an object of bytes (pure); the same as page_order_for. */
static inline unsigned buddy_order_for(uint64_t bytes) { return page_order_for(bytes); }

/* The page layer's "buddy" frame allocator (registered in sim/page.c). */
extern const struct page_allocator_ops page_buddy_ops;

/* The buddy state behind a page layer whose frame allocator is "buddy",
 * else NULL: for tests and the lecture model, never for back ends. */
struct buddy *page_buddy(struct page_layer *pl);

#endif
