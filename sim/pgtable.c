/*
 * pgtable.c - x86-64 paging structures, as the hardware walks them
 * (Intel SDM vol. 3A, ch. 4.5: 4-level and 5-level paging).
 *
 * Model
 *   A table is 512 entries; an entry is empty, points to a table one
 *   level down, or (at levels 1..3, the PS bit above level 1) maps a
 *   naturally aligned 4 KiB / 2 MiB / 1 GiB page. map() descends from the
 *   root creating missing tables; unmap() clears the leaf and frees every
 *   table on the path that became empty (Linux frees empty page tables of
 *   kernel mappings lazily or never; Mach's pmap frees them in
 *   pmap_collect; we free at once so that the count is the minimum a
 *   mapping set needs, which is what the footprint should charge).
 *
 * Departures
 *   No splitting or merging of huge pages: unmap and protect name the
 *   exact mapping (va, size). Only W and X protection bits; no accessed,
 *   dirty, global, PAT or user bits; no TLB.
 *
 * Storage
 *   An entry is 4 bytes, not 8: present, leaf, W, X and 28 bits of
 *   payload (a pfn below 2^28, i.e. 1 TiB of RAM, or a table index).
 *   Tables live in chunks of 256 (512 KiB of host memory) so growing
 *   never copies; a table is 2 KiB of host memory per simulated 4 KiB
 *   table page. The 4 KiB direct map of 64 GiB (32834 tables) costs
 *   64 MiB of host memory.
 *
 * Invariants (pgtable_check, in this order)
 *   1. every live table is reachable from the root exactly once, at the
 *      level its record says, and only live tables are reachable;
 *   2. a table's `used` equals its number of non-empty entries, and a
 *      non-root table has used > 0 (empty tables are freed);
 *   3. level-1 entries are leaves; leaves sit only at levels 1..3 with a
 *      pfn aligned to their size;
 *   4. per-level table counts and per-size mapping counts equal the
 *      statistics;
 *   5. with a page layer, every table frame is an allocated order-0 frame
 *      owned by OWNER_PGTABLE with owner_id = level, or a frame of memory
 *      reserved at boot (state RESERVED, owner RESERVE: early page tables
 *      taken before the page allocator runs, see kvm.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pgtable.h"
#include "page.h"

#define PTE_P        (1u << 31)
#define PTE_LEAF     (1u << 30)
#define PTE_W        (1u << 29)
#define PTE_X        (1u << 28)
#define PTE_PAYLOAD  ((1u << 28) - 1)

#define CHUNK_SHIFT  8
#define CHUNK_TABLES (1u << CHUNK_SHIFT)

/* One table's record: 8 bytes. */
struct pt_node {
	uint32_t pfn;     /* simulated frame of the table page */
	uint16_t used;    /* non-empty entries, 0..512 */
	uint8_t  level;   /* 1..5; 0 = record free */
	uint8_t  pad;
};
_Static_assert(sizeof(struct pt_node) == 8, "table record is 8 bytes");

struct pgtable {
	struct page_layer *pl;
	unsigned levels;
	pgtable_page_alloc_fn_t page_alloc;
	pgtable_page_free_fn_t  page_free;
	void *ctx;
	uint32_t **chunk;          /* chunk[i]: CHUNK_TABLES x 512 entries */
	uint32_t nchunks, chunk_cap;
	struct pt_node *node;      /* per table index */
	uint32_t nnodes;           /* indices handed out so far */
	uint32_t *free_idx;        /* recycled table indices (stack) */
	uint32_t nfree_idx, free_cap;
	struct pgtable_stats st;
};

static inline uint32_t *pt_ent(const struct pgtable *pt, uint32_t t)
{
	return pt->chunk[t >> CHUNK_SHIFT] + (size_t)(t & (CHUNK_TABLES - 1)) * PT_ENTRIES;
}

static unsigned pt_size_index(unsigned leaf_level) { return leaf_level - 1; }

/* ---- default page source: the page layer ---- */

static uint32_t pt_page_alloc(void *ctx, unsigned level)
{
	return page_alloc(ctx, 0, 0, OWNER_PGTABLE, level);
}

static void pt_page_free(void *ctx, uint32_t pfn, unsigned level)
{
	(void)level;
	page_free(ctx, pfn, 0);
}

/* ---- table records ---- */

/* A new empty table at level, or UINT32_MAX when no page can be had. */
static uint32_t pt_table_new(struct pgtable *pt, unsigned level)
{
	uint32_t pfn = pt->page_alloc(pt->ctx, level);
	if (pfn == PFN_NONE) {
		pt->st.table_alloc_failed++;
		return UINT32_MAX;
	}
	uint32_t t;
	if (pt->nfree_idx) {
		t = pt->free_idx[--pt->nfree_idx];
	} else {
		t = pt->nnodes++;
		if ((t >> CHUNK_SHIFT) >= pt->nchunks) {
			if (pt->nchunks == pt->chunk_cap) {
				pt->chunk_cap = pt->chunk_cap ? 2 * pt->chunk_cap : 16;
				pt->chunk = xrealloc(pt->chunk, pt->chunk_cap * sizeof(*pt->chunk));
				pt->node = xrealloc(pt->node, (size_t)pt->chunk_cap * CHUNK_TABLES * sizeof(*pt->node));
			}
			pt->chunk[pt->nchunks++] = xmalloc((size_t)CHUNK_TABLES * PT_ENTRIES * sizeof(uint32_t));
		}
	}
	memset(pt_ent(pt, t), 0, PT_ENTRIES * sizeof(uint32_t));
	pt->node[t] = (struct pt_node){ pfn, 0, (uint8_t)level, 0 };
	pt->st.tables[level]++;
	pt->st.tables_allocated++;
	if (++pt->st.tables_live > pt->st.tables_peak)
		pt->st.tables_peak = pt->st.tables_live;
	return t;
}

static void pt_table_delete(struct pgtable *pt, uint32_t t)
{
	struct pt_node *n = &pt->node[t];
	unsigned level = n->level;
	pt->page_free(pt->ctx, n->pfn, level);
	pt->st.tables[level]--;
	pt->st.tables_live--;
	pt->st.tables_freed++;
	n->level = 0;
	n->pfn = PFN_NONE;
	if (pt->nfree_idx == pt->free_cap) {
		pt->free_cap = pt->free_cap ? 2 * pt->free_cap : 64;
		pt->free_idx = xrealloc(pt->free_idx, pt->free_cap * sizeof(*pt->free_idx));
	}
	pt->free_idx[pt->nfree_idx++] = t;
}

struct pgtable *pgtable_create(struct page_layer *pl, unsigned levels,
			       pgtable_page_alloc_fn_t alloc, pgtable_page_free_fn_t free_fn, void *ctx)
{
	if ((levels != 4 && levels != 5) || (!pl && (!alloc || !free_fn)) || (!alloc != !free_fn))
		return NULL;
	struct pgtable *pt = xcalloc(1, sizeof(*pt));
	pt->pl = pl;
	pt->levels = levels;
	pt->page_alloc = alloc ? alloc : pt_page_alloc;
	pt->page_free = free_fn ? free_fn : pt_page_free;
	pt->ctx = alloc ? ctx : pl;
	if (pt_table_new(pt, levels) != 0) {   /* the root is index 0 */
		pgtable_destroy(pt);
		return NULL;
	}
	return pt;
}

void pgtable_destroy(struct pgtable *pt)
{
	if (!pt)
		return;
	for (uint32_t i = 0; i < pt->nchunks; i++)
		free(pt->chunk[i]);
	free(pt->chunk);
	free(pt->node);
	free(pt->free_idx);
	free(pt);
}

/* ---- map / unmap / protect ---- */

/* The path of a descent: tbl[L] is the table at level L, idx[L] the
 * entry used in it. */
struct pt_path {
	uint32_t tbl[PT_MAX_LEVELS + 1];
	unsigned idx[PT_MAX_LEVELS + 1];
};

static void pt_entry_set(struct pgtable *pt, uint32_t t, unsigned i, uint32_t e)
{
	uint32_t *ent = pt_ent(pt, t);
	if (!ent[i] && e)
		pt->node[t].used++;
	else if (ent[i] && !e)
		pt->node[t].used--;
	ent[i] = e;
	pt->st.entries_written++;
}

/* Free the empty tables of path from level `from` upwards (never the root). */
static void pt_prune(struct pgtable *pt, const struct pt_path *path, unsigned from)
{
	for (unsigned l = from; l < pt->levels; l++) {
		uint32_t t = path->tbl[l];
		if (pt->node[t].used)
			break;
		pt_table_delete(pt, t);
		pt_entry_set(pt, path->tbl[l + 1], path->idx[l + 1], 0);
	}
}

static uint32_t pt_prot_bits(unsigned prot)
{
	return ((prot & PT_PROT_WRITE) ? PTE_W : 0) | ((prot & PT_PROT_EXEC) ? PTE_X : 0);
}

static unsigned pt_bits_prot(uint32_t e)
{
	return ((e & PTE_W) ? PT_PROT_WRITE : 0u) | ((e & PTE_X) ? PT_PROT_EXEC : 0u);
}

static bool pt_args_ok(const struct pgtable *pt, uint64_t va, uint64_t size)
{
	unsigned leaf = pgtable_leaf_level(size);
	return leaf && !(va & (size - 1)) && pgtable_canonical(va, pt->levels);
}

enum pt_result pgtable_map(struct pgtable *pt, uint64_t va, uint32_t pfn, uint64_t size, unsigned prot)
{
	if (!pt_args_ok(pt, va, size) || pfn > PTE_PAYLOAD || (pfn & ((size >> PAGE_SHIFT) - 1)))
		return PT_INVAL;
	unsigned leaf = pgtable_leaf_level(size);
	struct pt_path path;
	uint32_t t = 0;
	for (unsigned l = pt->levels; l > leaf; l--) {
		unsigned i = pgtable_index(va, l);
		path.tbl[l] = t;
		path.idx[l] = i;
		uint32_t e = pt_ent(pt, t)[i];
		if (!e) {
			uint32_t nt = pt_table_new(pt, l - 1);
			if (nt == UINT32_MAX) {
				pt_prune(pt, &path, l);
				return PT_NOMEM;
			}
			pt_entry_set(pt, t, i, PTE_P | nt);
			t = nt;
		} else if (e & PTE_LEAF) {
			pt_prune(pt, &path, l);   /* cannot prune anything: used > 0 */
			return PT_EXIST;
		} else {
			t = e & PTE_PAYLOAD;
		}
	}
	unsigned i = pgtable_index(va, leaf);
	path.tbl[leaf] = t;
	path.idx[leaf] = i;
	if (pt_ent(pt, t)[i]) {
		pt_prune(pt, &path, leaf);
		return PT_EXIST;
	}
	pt_entry_set(pt, t, i, PTE_P | PTE_LEAF | pt_prot_bits(prot) | pfn);
	pt->st.mappings[pt_size_index(leaf)]++;
	pt->st.map_ops++;
	return PT_OK;
}

/* Descend to the entry of a mapping of exactly size at va; fills path.
 * Returns the leaf level, or 0 when there is no such mapping. */
static unsigned pt_find_leaf(const struct pgtable *pt, uint64_t va, uint64_t size, struct pt_path *path)
{
	unsigned leaf = pgtable_leaf_level(size);
	uint32_t t = 0;
	for (unsigned l = pt->levels; l >= leaf; l--) {
		unsigned i = pgtable_index(va, l);
		path->tbl[l] = t;
		path->idx[l] = i;
		uint32_t e = pt_ent(pt, t)[i];
		if (!e)
			return 0;
		if (l == leaf)
			return (e & PTE_LEAF) ? leaf : 0;
		if (e & PTE_LEAF)
			return 0;   /* a larger page covers va */
		t = e & PTE_PAYLOAD;
	}
	return 0;
}

enum pt_result pgtable_unmap(struct pgtable *pt, uint64_t va, uint64_t size)
{
	if (!pt_args_ok(pt, va, size))
		return PT_INVAL;
	struct pt_path path;
	unsigned leaf = pt_find_leaf(pt, va, size, &path);
	if (!leaf)
		return PT_NOENT;
	pt_entry_set(pt, path.tbl[leaf], path.idx[leaf], 0);
	pt->st.mappings[pt_size_index(leaf)]--;
	pt->st.unmap_ops++;
	pt_prune(pt, &path, leaf);
	return PT_OK;
}

enum pt_result pgtable_protect(struct pgtable *pt, uint64_t va, uint64_t size, unsigned prot)
{
	if (!pt_args_ok(pt, va, size))
		return PT_INVAL;
	struct pt_path path;
	unsigned leaf = pt_find_leaf(pt, va, size, &path);
	if (!leaf)
		return PT_NOENT;
	uint32_t e = pt_ent(pt, path.tbl[leaf])[path.idx[leaf]];
	pt_entry_set(pt, path.tbl[leaf], path.idx[leaf], (e & ~(PTE_W | PTE_X)) | pt_prot_bits(prot));
	pt->st.protect_ops++;
	return PT_OK;
}

bool pgtable_walk(const struct pgtable *pt, uint64_t va, struct pt_walk *out)
{
	if (!pgtable_canonical(va, pt->levels))
		return false;
	uint32_t t = 0;
	for (unsigned l = pt->levels; l >= 1; l--) {
		uint32_t e = pt_ent(pt, t)[pgtable_index(va, l)];
		if (!e)
			return false;
		if (e & PTE_LEAF) {
			uint64_t size = pgtable_span(l);
			out->base_pfn = e & PTE_PAYLOAD;
			out->va = va & ~(size - 1);
			out->pfn = out->base_pfn + (uint32_t)((va - out->va) >> PAGE_SHIFT);
			out->size = size;
			out->prot = pt_bits_prot(e);
			return true;
		}
		t = e & PTE_PAYLOAD;
	}
	return false;   /* not reached: level-1 entries are leaves */
}

const struct pgtable_stats *pgtable_stats(const struct pgtable *pt) { return &pt->st; }
unsigned pgtable_levels(const struct pgtable *pt) { return pt->levels; }
uint32_t pgtable_root_pfn(const struct pgtable *pt) { return pt->node[0].pfn; }

/* ---- invariants ---- */

#define CHECK_FAIL(...) do { snprintf(msg, msglen, __VA_ARGS__); ok = false; goto out; } while (0)

bool pgtable_check(const struct pgtable *pt, char *msg, size_t msglen)
{
	bool ok = true;
	uint64_t tables[PT_MAX_LEVELS + 1] = { 0 }, maps[3] = { 0 };
	uint8_t *seen = xcalloc(pt->nnodes ? pt->nnodes : 1, 1);
	uint32_t *stack = xmalloc(((size_t)pt->nnodes + 1) * sizeof(*stack));
	uint32_t sp = 0;
	stack[sp++] = 0;
	seen[0] = 1;
	if (pt->node[0].level != pt->levels)
		CHECK_FAIL("pgtable: root has level %u, expected %u", pt->node[0].level, pt->levels);
	while (sp) {
		uint32_t t = stack[--sp];
		const struct pt_node *n = &pt->node[t];
		const uint32_t *ent = pt_ent(pt, t);
		unsigned l = n->level, used = 0;
		tables[l]++;
		for (unsigned i = 0; i < PT_ENTRIES; i++) {
			uint32_t e = ent[i];
			if (!e)
				continue;
			used++;
			if (!(e & PTE_P))
				CHECK_FAIL("pgtable: table %u (level %u) entry %u not present but not empty", t, l, i);
			if (e & PTE_LEAF) {
				if (l > 3)
					CHECK_FAIL("pgtable: leaf at level %u (table %u entry %u)", l, t, i);
				uint32_t pages = (uint32_t)(pgtable_span(l) >> PAGE_SHIFT);
				if ((e & PTE_PAYLOAD) & (pages - 1))
					CHECK_FAIL("pgtable: level-%u leaf pfn %#x misaligned", l, e & PTE_PAYLOAD);
				maps[l - 1]++;
				continue;
			}
			if (l == 1)
				CHECK_FAIL("pgtable: PT %u entry %u is not a leaf", t, i);
			uint32_t c = e & PTE_PAYLOAD;
			if (c >= pt->nnodes || pt->node[c].level == 0)
				CHECK_FAIL("pgtable: table %u entry %u points to free table record %u", t, i, c);
			if (seen[c])
				CHECK_FAIL("pgtable: table %u reachable twice", c);
			if (pt->node[c].level != l - 1)
				CHECK_FAIL("pgtable: table %u has level %u under a level-%u table", c, pt->node[c].level, l);
			seen[c] = 1;
			stack[sp++] = c;
		}
		if (used != n->used)
			CHECK_FAIL("pgtable: table %u (level %u) used %u, entries %u", t, l, n->used, used);
		if (t != 0 && used == 0)
			CHECK_FAIL("pgtable: empty table %u at level %u was not freed", t, l);
		if (pt->pl) {
			if (n->pfn >= page_physmem(pt->pl)->nframes)
				CHECK_FAIL("pgtable: table %u frame %#x beyond memory", t, n->pfn);
			const struct frame *f = page_frame(pt->pl, n->pfn);
			bool boot = f->state == FRAME_RESERVED && f->owner == OWNER_RESERVE;
			bool page = f->state == FRAME_ALLOC_HEAD && f->order == 0 && f->owner == OWNER_PGTABLE &&
				    f->owner_id == l;
			if (!boot && !page)
				CHECK_FAIL("pgtable: table %u frame %#x has state %u owner %u/%u, expected pgtable/%u",
					   t, n->pfn, f->state, f->owner, f->owner_id, l);
		}
	}
	for (uint32_t t = 0; t < pt->nnodes; t++)
		if (pt->node[t].level && !seen[t])
			CHECK_FAIL("pgtable: live table %u (level %u) unreachable", t, pt->node[t].level);
	uint64_t live = 0;
	for (unsigned l = 1; l <= PT_MAX_LEVELS; l++) {
		if (tables[l] != pt->st.tables[l])
			CHECK_FAIL("pgtable: %llu tables at level %u, stats say %llu", (unsigned long long)tables[l], l,
				   (unsigned long long)pt->st.tables[l]);
		live += tables[l];
	}
	if (live != pt->st.tables_live)
		CHECK_FAIL("pgtable: %llu live tables, stats say %llu", (unsigned long long)live,
			   (unsigned long long)pt->st.tables_live);
	for (unsigned s = 0; s < 3; s++)
		if (maps[s] != pt->st.mappings[s])
			CHECK_FAIL("pgtable: %llu mappings of size class %u, stats say %llu",
				   (unsigned long long)maps[s], s, (unsigned long long)pt->st.mappings[s]);
out:
	free(seen);
	free(stack);
	return ok;
}
