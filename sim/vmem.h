/*
 * vmem.h - a virtual range allocator (arenas of integer ranges, in the
 * spirit of illumos vmem; see vmem.c for the theory statement).
 *
 * An arena hands out ranges of quanta (kvm: pages) from [base, base + size):
 * naturally aligned power-of-two blocks by address-ordered first fit
 * (vmem_alloc), or any size and alignment by a linear first fit
 * (vmem_xalloc). The caller gives the size back to vmem_free. An arena may
 * import its whole span from a source arena (a submap of the kernel map).
 */
#ifndef KMS_VMEM_H
#define KMS_VMEM_H

#include "base.h"

/* What vmem_alloc and vmem_xalloc return when nothing fits. */
#define VMEM_FAIL UINT64_MAX

struct vmem;

/* An arena over [base, base + size); name is copied (for messages). */
struct vmem *vmem_create(const char *name, uint64_t base, uint64_t size);
/* An arena whose span is size quanta, align-aligned, taken from source
 * by first fit; NULL when source has no such range (or size is 0). */
struct vmem *vmem_create_import(const char *name, struct vmem *source, uint64_t size, uint64_t align);
/* Free the arena; an imported span goes back to its source. */
void vmem_destroy(struct vmem *vm);

/* 2^order quanta aligned to their size, lowest address first; VMEM_FAIL if none. */
uint64_t vmem_alloc(struct vmem *vm, unsigned order);
/* n quanta aligned to align, lowest address first (O(free segments)); VMEM_FAIL if none. */
uint64_t vmem_xalloc(struct vmem *vm, uint64_t n, uint64_t align);
/* Give back [start, start + n); false, and nothing changed, unless all of
 * it is in use (a double free or a bad range). */
bool vmem_free(struct vmem *vm, uint64_t start, uint64_t n);

uint64_t vmem_base(const struct vmem *vm);
uint64_t vmem_size(const struct vmem *vm);
uint64_t vmem_used(const struct vmem *vm);    /* quanta handed out */
uint64_t vmem_nsegs(const struct vmem *vm);   /* free segments */
/* Largest k such that vmem_alloc(k) would succeed, or -1. */
int vmem_largest_order(const struct vmem *vm);

/* Every invariant (vmem.c); false + message on the first broken one. O(segments). */
bool vmem_check(const struct vmem *vm, char *msg, size_t msglen);

#endif
