/*
 * kvm.h - the kernel address space and the page source of the back ends.
 *
 * Object back ends never call the page allocator directly: they ask kvm
 * for 2^order pages and get a kernel virtual address (they annotate the
 * frames behind it through sim/page.h's private-word accessors only). With direct backing
 * (Linux) that is 2^order contiguous frames seen through the direct map at
 * PAGE_OFFSET. With mapped backing (Mach) it is a virtual range in the
 * kernel map (or a submap such as zone_map) backed by order-0 frames
 * mapped one at a time; sim/pgtable counts the table pages that costs.
 *
 * kvm counts the pages it hands out: that count, plus the page-table
 * pages it caused, is the back end's footprint (with a->meta_bytes).
 */
#ifndef KMS_KVM_H
#define KMS_KVM_H

#include "physmem.h"
#include "params.h"

/* x86-64, 4-level paging: the direct map starts here. */
#define PAGE_OFFSET     0xffff888000000000ull
/* The kernel map (vmalloc area), 32 TiB as in Linux's 4-level layout. */
#define KMAP_START      0xffffc90000000000ull
#define KMAP_SIZE       (32ull << 40)

struct kvm;
struct kvm_submap;
struct page_layer;
struct pgtable;

struct kvm_stats {
	uint64_t pages_held;       /* pages handed out and not yet returned */
	uint64_t peak_pages_held;
	uint64_t allocs, frees, failed;
	uint64_t map_ops, unmap_ops;
	uint64_t pt_pages;         /* page-table pages caused by this kvm's mappings */
	uint64_t reserve_used;     /* table pages taken from the reserve */
	uint64_t recursion_max;    /* deepest page-allocator re-entry */
	uint64_t pt_failed;        /* table pages that could not be had (FAIL_PGTABLE) */
	uint64_t boot_pt_pages;    /* the direct map's tables: the kernel's, not in the footprint */
	uint64_t peak_pt_pages;    /* peak of pt_pages */
};

/* Boot: the direct map's tables, the kernel map, the --pt-reserve pool,
 * all over the page layer pl. */
struct kvm *kvm_create(struct page_layer *pl, const struct params *p);
void kvm_destroy(struct kvm *k);

/*
 * Allocate 2^order pages for a back end; frames are marked with owner and
 * owner_id. Returns the virtual address, or 0 with *why set.
 * sub: a submap to allocate from (kvm_submap_create), or NULL.
 */
uint64_t kvm_alloc(struct kvm *k, struct kvm_submap *sub, unsigned order, unsigned gfp,
		   enum frame_owner owner, uint32_t owner_id, enum fail_reason *why);
void kvm_free(struct kvm *k, struct kvm_submap *sub, uint64_t va, unsigned order);

/* The frame behind a virtual address handed out by kvm_alloc, or PFN_NONE. */
uint32_t kvm_va_to_pfn(const struct kvm *k, uint64_t va);

/*
 * A fixed-size submap of the kernel map (Mach's kmem_suballoc), such as
 * zone_map. Allocations from it fail with FAIL_SUBMAP_FULL when its
 * virtual range cannot hold them.
 */
struct kvm_submap *kvm_submap_create(struct kvm *k, const char *name, uint64_t size);
uint64_t kvm_submap_used(const struct kvm_submap *s);
uint64_t kvm_submap_size(const struct kvm_submap *s);

const struct kvm_stats *kvm_stats(const struct kvm *k);
struct pgtable *kvm_pgtable(const struct kvm *k);

/* Frames now in the page-table reserve (--pt-reserve). */
unsigned kvm_reserve_pages(const struct kvm *k);

/* Largest block a submap can still hand out in one piece, in bytes
 * (mapped: the largest naturally aligned free block; direct: bytes left). */
uint64_t kvm_submap_largest_free(const struct kvm_submap *s);

/* Every kvm invariant (see kvm.c) and the page table's; O(tables + ranges). */
bool kvm_check(const struct kvm *k, char *msg, size_t msglen);

/* Footprint of what the back end holds through kvm, in bytes. */
uint64_t kvm_footprint_bytes(const struct kvm *k);

/* Every kvm and page-table statistic as summary keys (kvm_*, pt_*). */
void kvm_report(const struct kvm *k, void (*fn)(void *ctx, const char *key, double v), void *ctx);

#endif
