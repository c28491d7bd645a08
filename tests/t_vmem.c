/*
 * t_vmem.c - the virtual range allocator (sim/vmem.c):
 *  - a hand-worked sequence of aligned first-fit allocations, frees and
 *    coalescing in a 64-quantum arena;
 *  - 200,000 random alloc/free against a bitmap reference that computes
 *    the lowest naturally aligned free block itself: same addresses, and
 *    the free-segment count and largest order agree with the bitmap;
 *  - refused frees (double, partial, outside) change nothing;
 *  - an imported arena: its span comes from its source by aligned first
 *    fit, goes back on destroy, and vmem_check notices a span its source
 *    no longer holds.
 */
#include <string.h>
#include "check.h"
#include "../sim/vmem.h"
#include "../sim/rng.h"

static bool vm_ok(const struct vmem *vm)
{
	char msg[256] = "";
	bool ok = vmem_check(vm, msg, sizeof(msg));
	CHECK_MSG(ok, "%s", msg);
	return ok;
}

/*
 * Arena [0, 64):
 *   alloc(0) -> 0          free [1, 64)
 *   alloc(2) -> 4          first 4-aligned block: [4, 8); free [1,4) [8,64)
 *   alloc(0) -> 1          free [2,4) [8,64)
 *   alloc(3) -> 8          free [2,4) [16,64)
 *   alloc(1) -> 2          free [16,64)
 *   alloc(5) -> 32         [16,32) cannot hold a 32-aligned 32: free [16,32)
 *   alloc(5) fails; largest order 4
 *   free 4+4               free [4,8) [16,32)  (not adjacent to [16,32))
 *   free 8+8               coalesces both sides: free [4,32), one segment
 *   xalloc(3, align 4) -> 4; then [7,32) is the only free run: 25 quanta
 */
static void t_known_sequence(void)
{
	struct vmem *vm = vmem_create("test", 0, 64);
	CHECK_EQ(vmem_nsegs(vm), 1);
	CHECK_EQ(vmem_largest_order(vm), 6);
	CHECK_EQ(vmem_alloc(vm, 0), 0);
	CHECK_EQ(vmem_alloc(vm, 2), 4);
	CHECK_EQ(vmem_alloc(vm, 0), 1);
	CHECK_EQ(vmem_alloc(vm, 3), 8);
	CHECK_EQ(vmem_alloc(vm, 1), 2);
	CHECK_EQ(vmem_nsegs(vm), 1);
	CHECK_EQ(vmem_alloc(vm, 5), 32);
	CHECK_EQ(vmem_alloc(vm, 5), VMEM_FAIL);
	CHECK_EQ(vmem_largest_order(vm), 4);
	CHECK_EQ(vmem_used(vm), 48);
	CHECK(vmem_free(vm, 4, 4));
	CHECK_EQ(vmem_nsegs(vm), 2);
	CHECK(vmem_free(vm, 8, 8));
	CHECK_EQ(vmem_nsegs(vm), 1);
	CHECK_EQ(vmem_largest_order(vm), 4);   /* [4,32): [16,32) */
	CHECK_EQ(vmem_used(vm), 36);
	CHECK_EQ(vmem_xalloc(vm, 3, 4), 4);    /* lowest 4-aligned run of 3 */
	CHECK_EQ(vmem_xalloc(vm, 26, 1), VMEM_FAIL);   /* the free run [7, 32) is 25 long */
	CHECK_EQ(vmem_xalloc(vm, 25, 1), 7);
	CHECK_EQ(vmem_xalloc(vm, 0, 1), VMEM_FAIL);
	vm_ok(vm);
	vmem_destroy(vm);
}

static void t_refused_frees(void)
{
	struct vmem *vm = vmem_create("test", 100, 32);
	CHECK_EQ(vmem_alloc(vm, 2), 100);
	CHECK_EQ(vmem_alloc(vm, 2), 104);
	CHECK(vmem_free(vm, 100, 4));
	CHECK(!vmem_free(vm, 100, 4));        /* double */
	CHECK(!vmem_free(vm, 102, 4));        /* half free, half used */
	CHECK(!vmem_free(vm, 96, 4));         /* below the arena */
	CHECK(!vmem_free(vm, 130, 4));        /* past its end */
	CHECK_EQ(vmem_used(vm), 4);
	CHECK_EQ(vmem_nsegs(vm), 2);
	vm_ok(vm);
	CHECK(vmem_free(vm, 104, 4));
	CHECK_EQ(vmem_nsegs(vm), 1);
	CHECK_EQ(vmem_used(vm), 0);
	vm_ok(vm);
	vmem_destroy(vm);
}

enum { NQ = 4096 };

/* Lowest naturally aligned free block of 2^order in the bitmap, or VMEM_FAIL. */
static uint64_t ref_find(const uint8_t *used, unsigned order)
{
	uint64_t n = 1ull << order;
	for (uint64_t b = 0; b + n <= NQ; b += n) {
		uint64_t i = 0;
		while (i < n && !used[b + i])
			i++;
		if (i == n)
			return b;
	}
	return VMEM_FAIL;
}

static void t_random_against_bitmap(void)
{
	static uint8_t used[NQ];
	static struct { uint64_t at; unsigned order; } live[NQ];
	unsigned nlive = 0, bad = 0;
	memset(used, 0, sizeof(used));
	struct vmem *vm = vmem_create("random", 0, NQ);
	struct rng r;
	rng_seed(&r, 7);
	uint64_t fails = 0;
	for (int i = 0; i < 200000 && bad < 5; i++) {
		if (nlive == 0 || (nlive < NQ && rng_below(&r, 100) < 55)) {
			unsigned order = (unsigned)(rng_below(&r, 10) == 0 ? rng_below(&r, 9) : rng_below(&r, 3));
			uint64_t want = ref_find(used, order), got = vmem_alloc(vm, order);
			if (got != want) {
				bad++;
				CHECK_MSG(0, "op %d: alloc(%u) gave %llu, first fit is %llu", i, order,
					  (unsigned long long)got, (unsigned long long)want);
				continue;
			}
			if (got == VMEM_FAIL) {
				fails++;
				continue;
			}
			memset(used + got, 1, 1u << order);
			live[nlive].at = got;
			live[nlive++].order = order;
		} else {
			unsigned k = (unsigned)rng_below(&r, nlive);
			if (!vmem_free(vm, live[k].at, 1ull << live[k].order)) {
				bad++;
				CHECK_MSG(0, "op %d: free of a live block refused", i);
			}
			memset(used + live[k].at, 0, 1u << live[k].order);
			live[k] = live[--nlive];
		}
		if (i % 997 == 0) {
			uint64_t runs = 0, inuse = 0;
			for (unsigned q = 0; q < NQ; q++) {
				inuse += used[q];
				if (!used[q] && (q == 0 || used[q - 1]))
					runs++;
			}
			int largest = -1;
			for (unsigned o = 0; (1u << o) <= NQ; o++)
				if (ref_find(used, o) != VMEM_FAIL)
					largest = (int)o;
			if (vmem_nsegs(vm) != runs || vmem_used(vm) != inuse || vmem_largest_order(vm) != largest) {
				bad++;
				CHECK_MSG(0, "op %d: %llu segments, %llu used, largest %d; bitmap %llu runs, %llu used, %d",
					  i, (unsigned long long)vmem_nsegs(vm), (unsigned long long)vmem_used(vm),
					  vmem_largest_order(vm), (unsigned long long)runs, (unsigned long long)inuse, largest);
			}
			if (!vm_ok(vm))
				bad++;
		}
	}
	CHECK(fails > 0);   /* the run reached a full arena */
	while (nlive) {
		nlive--;
		CHECK(vmem_free(vm, live[nlive].at, 1ull << live[nlive].order));
	}
	CHECK_EQ(vmem_nsegs(vm), 1);
	CHECK_EQ(vmem_used(vm), 0);
	vm_ok(vm);
	vmem_destroy(vm);
}

static void t_import(void)
{
	struct vmem *parent = vmem_create("parent", 0, 1024);
	CHECK_EQ(vmem_alloc(parent, 0), 0);
	/* 90 quanta aligned to 64: [1, 64) is too short, so [64, 154) */
	struct vmem *child = vmem_create_import("child", parent, 90, 64);
	CHECK(child != NULL);
	CHECK_EQ(vmem_base(child), 64);
	CHECK_EQ(vmem_size(child), 90);
	CHECK_EQ(vmem_used(parent), 91);
	CHECK_EQ(vmem_alloc(child, 5), 64);    /* the child's own aligned first fit */
	CHECK_EQ(vmem_alloc(child, 5), 96);
	CHECK_EQ(vmem_alloc(child, 5), VMEM_FAIL);   /* [128, 154) holds no 32-aligned 32 ... */
	CHECK_EQ(vmem_alloc(child, 4), 128);         /* ... but a 16 */
	CHECK(vm_ok(child) && vm_ok(parent));
	/* no room: NULL, and the source is unchanged */
	CHECK(vmem_create_import("big", parent, 2000, 1) == NULL);
	CHECK_EQ(vmem_used(parent), 91);
	/* a span the source gave back behind the child's back is caught */
	CHECK(vmem_free(parent, 64, 90));
	char msg[256] = "";
	CHECK(!vmem_check(child, msg, sizeof(msg)));
	CHECK(strstr(msg, "not allocated in its source parent") != NULL);
	CHECK_EQ(vmem_xalloc(parent, 90, 64), 64);    /* take it back */
	CHECK(vm_ok(child));
	vmem_destroy(child);                          /* returns the span */
	CHECK_EQ(vmem_used(parent), 1);
	CHECK_EQ(vmem_nsegs(parent), 1);
	vm_ok(parent);
	vmem_destroy(parent);
}

int main(void)
{
	RUN(t_known_sequence);
	RUN(t_refused_frees);
	RUN(t_random_against_bitmap);
	RUN(t_import);
	return check_done();
}
