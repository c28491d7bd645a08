/*
 * kvm.c - kernel address space and the back ends' page source.
 *
 * This first version implements direct backing only (Linux): 2^order
 * contiguous frames from the buddy allocator, seen at PAGE_OFFSET + pa.
 * Submaps are byte budgets. The page-table issue replaces this with the
 * mapped kernel map (Mach) behind the same interface.
 */
#include <stdlib.h>
#include <string.h>
#include "kvm.h"
#include "../allocators/buddy.h"

struct kvm_submap {
	char    *name;
	uint64_t size, used;
	struct kvm_submap *next;
};

struct kvm {
	struct physmem    *pm;
	const struct params *p;
	struct kvm_stats   st;
	struct kvm_submap *submaps;
};

struct kvm *kvm_create(struct physmem *pm, const struct params *p)
{
	struct kvm *k = xcalloc(1, sizeof(*k));
	k->pm = pm;
	k->p = p;
	return k;
}

void kvm_destroy(struct kvm *k)
{
	if (!k)
		return;
	while (k->submaps) {
		struct kvm_submap *s = k->submaps;
		k->submaps = s->next;
		free(s->name);
		free(s);
	}
	free(k);
}

uint64_t kvm_alloc(struct kvm *k, struct kvm_submap *sub, unsigned order, unsigned gfp,
		   enum frame_owner owner, uint32_t owner_id, enum fail_reason *why)
{
	uint64_t bytes = (uint64_t)PAGE_SIZE << order;
	if (sub && sub->used + bytes > sub->size) {
		k->st.failed++;
		*why = FAIL_SUBMAP_FULL;
		return 0;
	}
	uint32_t pfn = buddy_alloc(k->pm->buddy, order, gfp);
	if (pfn == PFN_NONE) {
		k->st.failed++;
		*why = FAIL_NOMEM;
		return 0;
	}
	physmem_set_owner(k->pm, pfn, order, owner, owner_id);
	if (sub)
		sub->used += bytes;
	k->st.allocs++;
	k->st.pages_held += 1u << order;
	if (k->st.pages_held > k->st.peak_pages_held)
		k->st.peak_pages_held = k->st.pages_held;
	return PAGE_OFFSET + ((uint64_t)pfn << PAGE_SHIFT);
}

void kvm_free(struct kvm *k, struct kvm_submap *sub, uint64_t va, unsigned order)
{
	uint32_t pfn = kvm_va_to_pfn(k, va);
	if (pfn == PFN_NONE)
		die("kvm_free: %#llx is not a kvm address", (unsigned long long)va);
	physmem_set_owner(k->pm, pfn, order, OWNER_NONE, 0);
	buddy_free(k->pm->buddy, pfn, order);
	if (sub)
		sub->used -= (uint64_t)PAGE_SIZE << order;
	k->st.frees++;
	k->st.pages_held -= 1u << order;
}

uint32_t kvm_va_to_pfn(const struct kvm *k, uint64_t va)
{
	if (va < PAGE_OFFSET || va - PAGE_OFFSET >= k->pm->mem_bytes)
		return PFN_NONE;
	return (uint32_t)((va - PAGE_OFFSET) >> PAGE_SHIFT);
}

struct kvm_submap *kvm_submap_create(struct kvm *k, const char *name, uint64_t size)
{
	struct kvm_submap *s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	s->size = size;
	s->next = k->submaps;
	k->submaps = s;
	return s;
}

uint64_t kvm_submap_used(const struct kvm_submap *s) { return s->used; }
uint64_t kvm_submap_size(const struct kvm_submap *s) { return s->size; }
const struct kvm_stats *kvm_stats(const struct kvm *k) { return &k->st; }
struct pgtable *kvm_pgtable(const struct kvm *k) { (void)k; return NULL; }

uint64_t kvm_footprint_bytes(const struct kvm *k)
{
	return (k->st.pages_held + k->st.pt_pages) << PAGE_SHIFT;
}

void kvm_report(const struct kvm *k, void (*fn)(void *ctx, const char *key, double v), void *ctx)
{
	const struct kvm_stats *ks = &k->st;
	fn(ctx, "kvm_peak_pages_held", (double)ks->peak_pages_held);
	fn(ctx, "kvm_map_ops", (double)ks->map_ops);
	fn(ctx, "kvm_unmap_ops", (double)ks->unmap_ops);
	fn(ctx, "pt_pages", (double)ks->pt_pages);
	fn(ctx, "pt_reserve_used", (double)ks->reserve_used);
	fn(ctx, "pt_recursion_max", (double)ks->recursion_max);
}
