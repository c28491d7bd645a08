/*
 * physmem.h - the modelled machine's physical memory.
 *
 * Memory is an array of 4 KiB frames, split into Linux's x86-64 zones:
 * DMA below 16 MiB, DMA32 below 4 GiB, Normal above. Some ranges are
 * reserved at boot (the first MiB, the kernel image) and never reach the
 * page allocator. Every other frame is handed to the page layer's frame
 * allocator (sim/page.h; the buddy allocator, sim/page_buddy.h, keeps its
 * free lists in the frame records). physmem is the lower half of the page
 * layer: layers above reach frames through sim/page.h, not through here.
 *
 * A frame record is 16 bytes (static-asserted): 64 GiB is 16 Mi frames,
 * 256 MiB of host memory, allocated with mmap so untouched records cost
 * nothing.
 */
#ifndef KMS_PHYSMEM_H
#define KMS_PHYSMEM_H

#include "base.h"

enum zone_type { ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, NR_ZONES };
extern const char *const zone_names[NR_ZONES];

/* What a frame is doing. */
enum frame_state {
	FRAME_RESERVED = 0,  /* never given to the page allocator */
	FRAME_FREE_HEAD,     /* first frame of a free buddy block (order set) */
	FRAME_FREE_TAIL,     /* inside a free block */
	FRAME_ALLOC_HEAD,    /* first frame of an allocated block (order set) */
	FRAME_ALLOC_TAIL,    /* inside an allocated block */
};

/*
 * Who holds an allocated frame (for snapshots and per-owner counts).
 * owner_id is the owner's own index: a cache id for slab pages, a level
 * for page-table pages.
 */
enum frame_owner {
	OWNER_NONE = 0,
	OWNER_PAGE,       /* a page allocation from a trace (mm_page_alloc) */
	OWNER_BUDDY_OBJ,  /* an object of the buddy back end */
	OWNER_SLAB,       /* a slab / zone chunk / slob / nta page of cache owner_id */
	OWNER_LARGE,      /* kmalloc_large / kmem_alloc: whole pages for one object */
	OWNER_PGTABLE,    /* a page-table page, owner_id = level (1 = PT .. 5) */
	OWNER_RESERVE,    /* held in a reserve pool (page-table reserve) */
	NR_OWNERS
};
extern const char *const owner_names[NR_OWNERS];

/*
 * One frame. Invariants (checked by the frame allocator's check, for the
 * buddy allocator buddy_check):
 *  - a FREE_HEAD frame is on exactly one free list, that of its zone and
 *    order; next/prev link that list (PFN_NONE ends it);
 *  - the 2^order - 1 frames after a FREE_HEAD are FREE_TAIL;
 *  - ALLOC_HEAD frames carry the order they were allocated with.
 */
struct frame {
	uint8_t  state;     /* enum frame_state */
	uint8_t  order;     /* for *_HEAD frames */
	uint8_t  zone;      /* enum zone_type */
	uint8_t  owner;     /* enum frame_owner, for allocated frames */
	uint32_t owner_id;  /* owner's index (cache id, table level, ...) */
	uint32_t next;      /* free-list link (pfn) or owner's private word */
	uint32_t prev;      /* free-list link (pfn) or owner's private word */
};
_Static_assert(sizeof(struct frame) == 16, "frame record must stay 16 bytes");

struct reserved_range {
	uint64_t start, size;   /* bytes */
};

#define PHYSMEM_MEM_MIN   (16 * MIB)     /* --mem range */
#define PHYSMEM_MEM_MAX   (1024 * GIB)
#define PHYSMEM_MAX_ORDER 19u            /* --max-order: 1..19 (BUDDY_MAX_ORDERS - 1) */

struct physmem_config {
	uint64_t mem_bytes;          /* 16 MiB .. 1 TiB, multiple of 4 MiB */
	unsigned max_order;          /* largest block order, buddy MAX_ORDER - 1 (Linux: 10) */
	unsigned nreserved;
	struct reserved_range reserved[8];
};

struct physmem {
	uint64_t      mem_bytes;
	uint32_t      nframes;
	struct frame *frames;
	size_t        frames_map_bytes;   /* host mapping size */
	uint32_t      zone_start[NR_ZONES], zone_end[NR_ZONES]; /* pfn ranges; empty if start == end */
	uint64_t      reserved_frames;
};

/* Fill cfg with the defaults for a machine of mem_bytes: orders 0..10,
 * the first MiB and a kernel image reserved. */
void physmem_config_init(struct physmem_config *cfg, uint64_t mem_bytes);

/* Check a configuration; on error write a message to err and return false. */
bool physmem_config_check(const struct physmem_config *cfg, char *err, size_t errlen);

/* Build the machine: frames (all RESERVED until a frame allocator takes
 * them), zones, reserved ranges marked OWNER_RESERVE. Use page_create()
 * (sim/page.h), which builds the frame allocator over it. */
struct physmem *physmem_create(const struct physmem_config *cfg);
void physmem_destroy(struct physmem *pm);

/* Call fn for every maximal run [start, end) of unreserved frames, zone by
 * zone in address order: what a frame allocator takes over at boot. */
void physmem_free_ranges(const struct physmem *pm, const struct physmem_config *cfg,
			 void (*fn)(void *ctx, enum zone_type z, uint32_t start, uint32_t end), void *ctx);

static inline enum zone_type physmem_zone_of(const struct physmem *pm, uint32_t pfn)
{
	return (enum zone_type)pm->frames[pfn].zone;
}

/* Mark [pfn, pfn + 2^order) with owner (the page layer's page_alloc,
 * page_free and page_owner_set do; nothing above the page layer calls it). */
void physmem_set_owner(struct physmem *pm, uint32_t pfn, unsigned order,
		       enum frame_owner owner, uint32_t owner_id);

#endif
