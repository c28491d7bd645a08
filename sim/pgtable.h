/*
 * pgtable.h - x86-64 page tables: 4-level (PML4, PDPT, PD, PT) and
 * 5-level (LA57, PML5 on top), 512 entries per table, 4 KiB, 2 MiB and
 * 1 GiB mappings.
 *
 * Levels are numbered from the leaf up: 1 = PT, 2 = PD, 3 = PDPT,
 * 4 = PML4, 5 = PML5. An entry at level L covers pgtable_span(L) bytes
 * (4 KiB << 9(L-1)); a leaf may sit at level 1 (4 KiB), 2 (2 MiB) or
 * 3 (1 GiB).
 *
 * Every table page is a simulated frame obtained through a callback
 * (so kvm can model reserves and recursion), by default from the page
 * layer (sim/page.h), and is counted; a non-root
 * table whose entries all become empty is given back through the free
 * callback at once. The root is allocated by pgtable_create and lives
 * until pgtable_destroy.
 */
#ifndef KMS_PGTABLE_H
#define KMS_PGTABLE_H

#include "physmem.h"

#define PT_ENTRIES      512
#define PT_MAX_LEVELS   5

#define PT_SIZE_4K      (4ull * KIB)
#define PT_SIZE_2M      (2ull * MIB)
#define PT_SIZE_1G      (1ull * GIB)

/* Protection bits of a mapping (read is implied by present). */
enum {
	PT_PROT_WRITE = 1u << 0,
	PT_PROT_EXEC  = 1u << 1,
};

/* Result of map / unmap / protect. */
enum pt_result {
	PT_OK = 0,
	PT_NOMEM,   /* a table page could not be had (map only) */
	PT_EXIST,   /* map: something is already mapped there */
	PT_NOENT,   /* unmap/protect: no mapping of that size at va */
	PT_INVAL,   /* misaligned, non-canonical, bad size, pfn too large */
};

/*
 * Table-page source. alloc returns a pfn (the frame becomes a table at
 * `level`) or PFN_NONE; free takes back a table page that became empty.
 * With NULL callbacks pgtable takes pages from the page layer directly
 * (page_alloc: order 0, owner OWNER_PGTABLE, owner_id = level).
 */
typedef uint32_t (*pgtable_page_alloc_fn_t)(void *ctx, unsigned level);
typedef void (*pgtable_page_free_fn_t)(void *ctx, uint32_t pfn, unsigned level);

struct pgtable_stats {
	uint64_t tables[PT_MAX_LEVELS + 1];      /* live table pages per level (index 1..5) */
	uint64_t tables_live, tables_peak;       /* all levels */
	uint64_t mappings[3];                    /* live leaves: 4K, 2M, 1G */
	uint64_t entries_written;                /* every store into an entry */
	uint64_t tables_allocated, tables_freed, table_alloc_failed;
	uint64_t map_ops, unmap_ops, protect_ops;
};

struct pt_walk {
	uint32_t pfn;        /* frame of the 4 KiB page holding va */
	uint32_t base_pfn;   /* first frame of the mapping */
	uint64_t va;         /* start of the mapping */
	uint64_t size;       /* PT_SIZE_4K, _2M or _1G */
	unsigned prot;
};

struct pgtable;
struct page_layer;

/* Build a table with an empty root (levels 4 or 5). NULL when the root
 * page cannot be had or the arguments are bad. pl may be NULL only when
 * both callbacks are given; it is used by pgtable_check for frames. */
struct pgtable *pgtable_create(struct page_layer *pl, unsigned levels,
			       pgtable_page_alloc_fn_t alloc, pgtable_page_free_fn_t free_fn, void *ctx);
/* Frees host memory only; table frames are not returned. */
void pgtable_destroy(struct pgtable *pt);

enum pt_result pgtable_map(struct pgtable *pt, uint64_t va, uint32_t pfn, uint64_t size, unsigned prot);
/* Remove the mapping of exactly `size` at va (no splitting of huge pages). */
enum pt_result pgtable_unmap(struct pgtable *pt, uint64_t va, uint64_t size);
enum pt_result pgtable_protect(struct pgtable *pt, uint64_t va, uint64_t size, unsigned prot);
/* Translate va; false when unmapped. */
bool pgtable_walk(const struct pgtable *pt, uint64_t va, struct pt_walk *out);

const struct pgtable_stats *pgtable_stats(const struct pgtable *pt);
unsigned pgtable_levels(const struct pgtable *pt);
uint32_t pgtable_root_pfn(const struct pgtable *pt);

/* Every invariant (see pgtable.c); O(live tables x 512). */
bool pgtable_check(const struct pgtable *pt, char *msg, size_t msglen);

/* ---- geometry (pure) ---- */

/* Bytes one entry at level covers. */
static inline uint64_t pgtable_span(unsigned level) { return PT_SIZE_4K << (9u * (level - 1)); }
/* Index of va in its table at level. */
static inline unsigned pgtable_index(uint64_t va, unsigned level)
{
	return (unsigned)((va >> (PAGE_SHIFT + 9u * (level - 1))) & (PT_ENTRIES - 1));
}
/* Leaf level for a mapping size (1, 2, 3), 0 if the size is not one. */
static inline unsigned pgtable_leaf_level(uint64_t size)
{
	return size == PT_SIZE_4K ? 1 : size == PT_SIZE_2M ? 2 : size == PT_SIZE_1G ? 3 : 0;
}
/* Canonical: bits above the top translated bit copy it (48 or 57 bits). */
static inline bool pgtable_canonical(uint64_t va, unsigned levels)
{
	unsigned bits = PAGE_SHIFT + 9u * levels;
	int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);
	return (uint64_t)s == va;
}

#endif
