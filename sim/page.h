/*
 * page.h - the page layer: physical memory (sim/physmem.h) and the
 * page-frame allocator over it, the bottom of the simulator.
 *
 * Everything above (page tables, kvm, the back ends through kvm, the
 * engine's trace page events, metrics) reaches frames only through this
 * header (physmem's geometry, nframes and zones, may be read directly):
 *   - page_alloc / page_free: 2^order frames, with the frames' owner set
 *     and cleared in the same call (the owner is who holds the frames:
 *     frame_owner in physmem.h);
 *   - ownership queries (page_owner, page_owner_id, page_frame) and
 *     ownership transfer between holders (page_owner_set);
 *   - two private 32-bit words per allocated frame for its owner
 *     (page_private, page_private_set: a back end's slab index, a large
 *     object's index), checked in the test build;
 *   - page-allocator state for metrics and policies: free pages, free
 *     blocks per zone and order (/proc/buddyinfo), the largest free order,
 *     the low watermark, the invariant checker and summary keys.
 *
 * Frame allocators
 *   The frame allocator is chosen by name from a registry (sim/page.c):
 *   one ops table per allocator, one line in the registry to add one.
 *   Today: "buddy" (sim/page_buddy.c, Linux's binary buddy without
 *   per-CPU lists). The ops carry what later allocators need (a CPU for
 *   per-CPU lists, gfp for zones and migrate types), so a "linux" (pcp,
 *   migratetypes), "bitmap", "stack" or "llfree" allocator is one new file.
 *
 * Contract for a frame allocator (page_allocator_ops)
 *   - create() takes over the unreserved frames of pm (physmem_free_ranges)
 *     and returns its state, which embeds struct page_allocator first;
 *   - alloc() returns the first pfn of 2^order naturally aligned frames
 *     or PFN_NONE, and marks the first frame FRAME_ALLOC_HEAD with its
 *     order and zone; free() takes back exactly such a block and leaves
 *     none of its frames FRAME_ALLOC_HEAD (the page layer finds the block
 *     of a frame by its nearest aligned ALLOC_HEAD). Only block heads
 *     carry a state (physmem.h); the page layer, not the allocator, sets
 *     the owner and clears the private words of every frame;
 *   - a free frame's next/prev words and any frame's state belong to the
 *     allocator; an allocated frame's next/prev belong to its owner;
 *   - free_blocks(z, order) counts free blocks of exactly that order in
 *     zone z, as /proc/buddyinfo does (an allocator without orders reports
 *     its free frames as order-0 blocks); largest_free_order() is -1 when
 *     nothing is free; watermark_low() is the sum over zones of Linux's
 *     low watermark, in frames;
 *   - check() verifies every invariant, O(frames), false + message on the
 *     first broken one; report() (optional) emits its counters as summary
 *     keys, prefixed with the allocator's name.
 */
#ifndef KMS_PAGE_H
#define KMS_PAGE_H

#include "physmem.h"

#define PAGE_MAX_ORDERS 20   /* orders 0..19 at most (physmem_config_check) */

typedef void (*page_report_fn_t)(void *ctx, const char *key, double value);

struct page_allocator;

struct page_allocator_ops {
	const char *name;
	const char *summary;   /* one line: what it models */
	struct page_allocator *(*create)(struct physmem *pm, const struct physmem_config *cfg);
	void     (*destroy)(struct page_allocator *pa);
	uint32_t (*alloc)(struct page_allocator *pa, unsigned order, unsigned gfp, unsigned cpu);
	void     (*free)(struct page_allocator *pa, uint32_t pfn, unsigned order, unsigned cpu);
	uint64_t (*free_blocks)(const struct page_allocator *pa, enum zone_type z, unsigned order);
	uint64_t (*free_pages)(const struct page_allocator *pa);
	int      (*largest_free_order)(const struct page_allocator *pa);
	uint64_t (*watermark_low)(const struct page_allocator *pa);
	bool     (*check)(const struct page_allocator *pa, char *msg, size_t msglen);
	void     (*report)(const struct page_allocator *pa, page_report_fn_t fn, void *ctx);
};

/* Embedded first in every frame allocator's state. */
struct page_allocator {
	const struct page_allocator_ops *ops;
	struct physmem *pm;
};

/* The page layer. Fields are read by the inline accessors below; users
 * above the layer call functions, never the fields. */
struct page_layer {
	struct physmem        *pm;
	struct page_allocator *pa;
	unsigned               max_order;   /* largest block order (Linux: MAX_ORDER - 1 = 10) */
};

/* The registry: the allocators --page-allocator may name, NULL-terminated. */
extern const struct page_allocator_ops *const page_allocator_registry[];
const struct page_allocator_ops *page_allocator_lookup(const char *name);

/* Build the machine of cfg and the frame allocator `name` over it (NULL:
 * "buddy"); every unreserved frame is free. NULL + message on a bad name
 * or configuration. */
struct page_layer *page_create(const struct physmem_config *cfg, const char *name, char *err, size_t errlen);
void page_destroy(struct page_layer *pl);

/* ---- the front door ---- */

/*
 * Allocate 2^order frames (zone from gfp, as physmem.h's zones) for owner,
 * and mark every frame with owner and owner_id and clear its private
 * words. Returns the first pfn, or PFN_NONE (order too large, no block).
 * The CPU is 0 until callers carry one (the cost-model step).
 */
uint32_t page_alloc(struct page_layer *pl, unsigned order, unsigned gfp,
		    enum frame_owner owner, uint32_t owner_id);
/* Give back a block from page_alloc; its frames become OWNER_NONE. */
void page_free(struct page_layer *pl, uint32_t pfn, unsigned order);

/* Hand allocated frames [pfn, pfn + 2^order) to another holder (a frame
 * moving between the page-table reserve and a page table). */
void page_owner_set(struct page_layer *pl, uint32_t pfn, unsigned order,
		    enum frame_owner owner, uint32_t owner_id);

/* ---- queries ---- */

static inline const struct physmem *page_physmem(const struct page_layer *pl) { return pl->pm; }
static inline unsigned page_max_order(const struct page_layer *pl) { return pl->max_order; }
/* A frame record, read-only (owner, state of block heads, zone). */
static inline const struct frame *page_frame(const struct page_layer *pl, uint32_t pfn)
{
	return &pl->pm->frames[pfn];
}
static inline enum frame_owner page_owner(const struct page_layer *pl, uint32_t pfn)
{
	return (enum frame_owner)pl->pm->frames[pfn].owner;
}
static inline uint32_t page_owner_id(const struct page_layer *pl, uint32_t pfn)
{
	return pl->pm->frames[pfn].owner_id;
}

uint64_t page_free_pages(const struct page_layer *pl);
/* Free pages in zone z (the sum of its free blocks; /proc/zoneinfo's nr_free_pages). */
uint64_t page_zone_free_pages(const struct page_layer *pl, enum zone_type z);
/* Free blocks of exactly this order in zone z (/proc/buddyinfo). */
uint64_t page_free_blocks(const struct page_layer *pl, enum zone_type z, unsigned order);
/* Largest order with a free block, or -1. */
int page_largest_free_order(const struct page_layer *pl);
/* Sum of the zones' low watermarks, in frames. */
uint64_t page_watermark_low(const struct page_layer *pl);
/* The frame allocator's invariants; false + message on the first broken one. */
bool page_check(const struct page_layer *pl, char *msg, size_t msglen);
/* The frame allocator's counters as summary keys. */
void page_report(const struct page_layer *pl, page_report_fn_t fn, void *ctx);
const char *page_allocator_name(const struct page_layer *pl);

/* Order of the smallest block holding bytes, at least one frame (pure). */
static inline unsigned page_order_for(uint64_t bytes) { return order_for_bytes(bytes ? bytes : 1); }

/* ---- private words of allocated frames ----
 *
 * Each allocated frame carries two 32-bit words for its owner (word 0 and
 * 1; the free lists' links while the frame is free), 0 after page_alloc.
 * The owner names itself: in the test build (-DKMS_TEST) every access
 * checks that pfn lies in an allocated block and belongs to that owner
 * kind, and page_private_set that the word still holds `old`, the value
 * the caller means to overwrite (0 on fresh frames); a mismatch aborts
 * with the frame, owner and values. */
#ifdef KMS_TEST
void page_private_verify(const struct page_layer *pl, uint32_t pfn, enum frame_owner owner,
			 unsigned word, bool set, uint32_t old);
#endif

static inline uint32_t page_private(const struct page_layer *pl, uint32_t pfn, enum frame_owner owner,
				    unsigned word)
{
#ifdef KMS_TEST
	page_private_verify(pl, pfn, owner, word, false, 0);
#else
	(void)owner;
#endif
	const struct frame *f = &pl->pm->frames[pfn];
	return word ? f->prev : f->next;
}

static inline void page_private_set(struct page_layer *pl, uint32_t pfn, enum frame_owner owner,
				    unsigned word, uint32_t old, uint32_t val)
{
#ifdef KMS_TEST
	page_private_verify(pl, pfn, owner, word, true, old);
#else
	(void)owner; (void)old;
#endif
	struct frame *f = &pl->pm->frames[pfn];
	if (word)
		f->prev = val;
	else
		f->next = val;
}

#endif
