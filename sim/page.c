/*
 * page.c - the page layer: the machine's frames (physmem.c) and the frame
 * allocator chosen by name, behind one front door.
 *
 * What it models
 *   Linux's page allocator as the rest of the kernel sees it (mm/page_alloc.c,
 *   6.x): alloc_pages(gfp, order) / __free_pages(page, order) over zones,
 *   and struct page as the per-frame record its holder annotates: the
 *   owner mark stands for what page_owner and the page flags (PG_slab,
 *   PG_table) record, the two private words for page->private and the
 *   slab pointer a slab allocator keeps in its pages (Linux's set_page_private,
 *   struct slab's slab_cache). The frame allocator behind the front door
 *   is a registry entry (page.h), so the layer's callers never see which.
 *
 * Departures
 *   - allocation and ownership are one call (page_alloc marks every frame
 *     of the block with its owner and clears its private words), so no
 *     caller can forget the mark; Linux's page_owner is a debug option;
 *   - callers carry no CPU yet: the frame allocator is called with CPU 0
 *     (per-CPU page lists come with a frame allocator that has them);
 *   - the test build checks every private-word access (page.h), which Linux
 *     leaves to CONFIG_DEBUG_VM's VM_BUG_ON_PAGE.
 *
 * Invariants (the frame allocator's check, plus what the front door keeps)
 *   - a frame belongs to the frame allocator (owner OWNER_NONE), to a
 *     holder (owner set on every frame of its block, by page_alloc or
 *     page_owner_set) or was reserved at boot (state RESERVED, owner
 *     RESERVE); page_free clears the owner of every frame it gives back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "page.h"
#include "page_buddy.h"

/* ---- the registry: one line per frame allocator ---- */

const struct page_allocator_ops *const page_allocator_registry[] = {
	&page_buddy_ops,
	NULL,
};

const struct page_allocator_ops *page_allocator_lookup(const char *name)
{
	for (unsigned i = 0; page_allocator_registry[i]; i++)
		if (!strcmp(page_allocator_registry[i]->name, name))
			return page_allocator_registry[i];
	return NULL;
}

struct page_layer *page_create(const struct physmem_config *cfg, const char *name, char *err, size_t errlen)
{
	const struct page_allocator_ops *ops = page_allocator_lookup(name ? name : "buddy");
	if (!ops) {
		snprintf(err, errlen, "unknown page allocator '%s'", name);
		return NULL;
	}
	if (!physmem_config_check(cfg, err, errlen))
		return NULL;
	struct page_layer *pl = xcalloc(1, sizeof(*pl));
	pl->pm = physmem_create(cfg);
	pl->max_order = cfg->max_order;
	pl->pa = ops->create(pl->pm, cfg);
	if (!pl->pa) {
		snprintf(err, errlen, "page allocator %s could not be created", ops->name);
		physmem_destroy(pl->pm);
		free(pl);
		return NULL;
	}
	pl->pa->ops = ops;
	pl->pa->pm = pl->pm;
	return pl;
}

void page_destroy(struct page_layer *pl)
{
	if (!pl)
		return;
	pl->pa->ops->destroy(pl->pa);
	physmem_destroy(pl->pm);
	free(pl);
}

/* ---- the front door ---- */

/* The allocated block holding pfn: its head, or PFN_NONE. Only block
 * heads carry a state, and a freed head never stays ALLOC_HEAD, so the
 * nearest aligned ALLOC_HEAD whose order covers pfn is its block. */
static uint32_t page_block_head(const struct page_layer *pl, uint32_t pfn)
{
	for (unsigned o = 0; o <= pl->max_order; o++) {
		uint32_t h = pfn & ~((1u << o) - 1);
		const struct frame *f = &pl->pm->frames[h];
		if (f->state == FRAME_ALLOC_HEAD && f->order >= o)
			return h;
	}
	return PFN_NONE;
}

/* Set owner and owner_id on every frame of the block and clear the
 * private words: the new holder starts from zero. */
static void page_mark(struct page_layer *pl, uint32_t pfn, unsigned order,
		      enum frame_owner owner, uint32_t owner_id)
{
	struct frame *f = &pl->pm->frames[pfn];
	for (uint32_t i = 0; i < (1u << order); i++) {
		f[i].owner = (uint8_t)owner;
		f[i].owner_id = owner_id;
		f[i].next = f[i].prev = 0;
	}
}

uint32_t page_alloc(struct page_layer *pl, unsigned order, unsigned gfp,
		    enum frame_owner owner, uint32_t owner_id)
{
	uint32_t pfn = pl->pa->ops->alloc(pl->pa, order, gfp, 0);
	if (pfn == PFN_NONE)
		return PFN_NONE;
#ifdef KMS_TEST
	if (pfn >= pl->pm->nframes)
		die("page_alloc: %s returned pfn %#x beyond memory", pl->pa->ops->name, pfn);
	const struct frame *h = &pl->pm->frames[pfn];
	if ((pfn & ((1u << order) - 1)) || h->state != FRAME_ALLOC_HEAD || h->order != order ||
	    h->owner != OWNER_NONE)
		die("page_alloc: %s returned pfn %#x for order %u: state %u order %u owner %s",
		    pl->pa->ops->name, pfn, order, h->state, h->order, owner_names[h->owner]);
#endif
	page_mark(pl, pfn, order, owner, owner_id);
	return pfn;
}

void page_free(struct page_layer *pl, uint32_t pfn, unsigned order)
{
	if (pfn >= pl->pm->nframes || order > pl->max_order || (uint64_t)pfn + (1u << order) > pl->pm->nframes)
		die("page_free: pfn %#x order %u is beyond memory", pfn, order);
	physmem_set_owner(pl->pm, pfn, order, OWNER_NONE, 0);
	pl->pa->ops->free(pl->pa, pfn, order, 0);
}

void page_owner_set(struct page_layer *pl, uint32_t pfn, unsigned order,
		    enum frame_owner owner, uint32_t owner_id)
{
	if (pfn >= pl->pm->nframes || page_block_head(pl, pfn) != pfn || pl->pm->frames[pfn].order != order)
		die("page_owner_set: pfn %#x order %u is not an allocated block", pfn, order);
	page_mark(pl, pfn, order, owner, owner_id);
}

/* ---- queries ---- */

uint64_t page_free_pages(const struct page_layer *pl) { return pl->pa->ops->free_pages(pl->pa); }
int page_largest_free_order(const struct page_layer *pl) { return pl->pa->ops->largest_free_order(pl->pa); }
uint64_t page_watermark_low(const struct page_layer *pl) { return pl->pa->ops->watermark_low(pl->pa); }
const char *page_allocator_name(const struct page_layer *pl) { return pl->pa->ops->name; }

uint64_t page_free_blocks(const struct page_layer *pl, enum zone_type z, unsigned order)
{
	return pl->pa->ops->free_blocks(pl->pa, z, order);
}

uint64_t page_zone_free_pages(const struct page_layer *pl, enum zone_type z)
{
	uint64_t n = 0;
	for (unsigned o = 0; o <= pl->max_order; o++)
		n += pl->pa->ops->free_blocks(pl->pa, z, o) << o;
	return n;
}

bool page_check(const struct page_layer *pl, char *msg, size_t msglen)
{
	return pl->pa->ops->check(pl->pa, msg, msglen);
}

void page_report(const struct page_layer *pl, page_report_fn_t fn, void *ctx)
{
	if (pl->pa->ops->report)
		pl->pa->ops->report(pl->pa, fn, ctx);
}

/* ---- private words ---- */

#ifdef KMS_TEST
void page_private_verify(const struct page_layer *pl, uint32_t pfn, enum frame_owner owner,
			 unsigned word, bool set, uint32_t old)
{
	const struct physmem *pm = pl->pm;
	const char *bad = NULL;
	uint32_t cur = 0;
	if (pfn >= pm->nframes) {
		bad = "beyond memory";
	} else {
		const struct frame *f = &pm->frames[pfn];
		cur = word ? f->prev : f->next;
		if (word > 1)
			bad = "no such private word (0 or 1)";
		else if (owner == OWNER_NONE || owner >= NR_OWNERS)
			bad = "the caller names no owner kind";
		else if (page_block_head(pl, pfn) == PFN_NONE)
			bad = "the frame is not in an allocated block";
		else if (f->owner != owner)
			bad = "the frame belongs to another owner kind";
		else if (set && cur != old)
			bad = "the word does not hold what the caller means to overwrite";
	}
	if (!bad)
		return;
	const struct frame *f = pfn < pm->nframes ? &pm->frames[pfn] : NULL;
	fprintf(stderr, "kmemsim: page_private%s(pfn %#x, owner %s, word %u", set ? "_set" : "", pfn,
		owner < NR_OWNERS ? owner_names[owner] : "?", word);
	if (set)
		fprintf(stderr, ", old %u", old);
	fprintf(stderr, "): %s; the frame: state %u, owner %s/%u, word holds %u\n", bad, f ? f->state : 0,
		f && f->owner < NR_OWNERS ? owner_names[f->owner] : "?", f ? f->owner_id : 0, cur);
	abort();
}
#endif
