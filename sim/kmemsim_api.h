/*
 * kmemsim_api.h - the C functions a Lua workload calls through LuaJIT's FFI.
 *
 * This header is the whole Lua-to-engine interface. workloads/lib/kmemsim.lua
 * reads it, drops the preprocessor lines and hands the rest to ffi.cdef, so
 * below the include guard it holds plain C declarations only: no macros, no
 * typedefs, scalars and opaque pointers. The executable exports these
 * symbols (linked with -Wl,-E); ffi.C finds them.
 *
 * Every call acts on the current simulation (api.c's global, set by
 * luaw_run for the duration of a script). The API is pull-style: the engine
 * never calls back into Lua; lifetimes are freed by the engine's own timer
 * heap.
 *
 * Handles and times are doubles: a handle is the engine's sequential key
 * (exact below 2^53), which keeps it a plain Lua number (no boxed 64-bit
 * cdata per allocation) and usable as a table key. 0 means "failed".
 */
#ifndef KMS_KMEMSIM_API_H
#define KMS_KMEMSIM_API_H

#include <stdint.h>

/* GFP bits (the same values as base.h's GFP_*, static-asserted in api.c). */
enum kms_gfp {
	KMS_GFP_DMA = 1, KMS_GFP_DMA32 = 2, KMS_GFP_ATOMIC = 4,
	KMS_GFP_MOVABLE = 8, KMS_GFP_ZERO = 16, KMS_GFP_NOWARN = 32,
	KMS_GFP_ACCOUNT = 64, KMS_GFP_RECLAIMABLE = 128
};

/* ---- objects (the per-event path) ---- */

/* Allocate size bytes from cache (0 = kmalloc) on cpu; lifetime_ns > 0
 * schedules the free that many simulated ns from now. Returns the handle,
 * 0 when the back end failed (the failure is counted and sampled), or -1
 * for a bad argument (kms_error says which). */
double kms_alloc(uint32_t size, int32_t cache, uint32_t cpu, uint32_t gfp, double lifetime_ns);
/* Why the last call returned -1 (a bad argument, not a simulated failure). */
const char *kms_error(void);
/* Free a handle on cpu (may differ from the allocating CPU). */
void kms_free(double handle, uint32_t cpu);
/* The CPU that allocated a live handle, or -1 if it is not live. */
int32_t kms_owner_cpu(double handle);

/* ---- caches, time, measurement ---- */

/* A named cache (created in the back end on first sight): id >= 1, -1 if
 * the back end refused it, -2 for a bad argument (kms_error). */
int32_t kms_cache(const char *name, uint32_t size, uint32_t align);
/* Let ns of simulated time pass (scheduled frees and back-end ticks run). */
void kms_advance(double ns);
/* Simulated time now, ns. */
double kms_now(void);
/* Run every scheduled free now (time moves to the last deadline). */
void kms_drain(void);
void kms_sample(void);
void kms_snapshot(const char *label);
void kms_reclaim(void);
uint32_t kms_cpus(void);
uint64_t kms_seed(void);
/* Name of the back end under test. */
const char *kms_allocator(void);

/* A result of the script's own, stored in results.db's run_stats as
 * "script_KEY" (no-op without a database). */
void kms_record(const char *key, double value);

/* Engine counters (struct sim_stats) and the back end's totals. */
struct kms_stats {
	uint64_t events, allocs, frees, free_unknown, free_null, alloc_null;
	uint64_t realloc_live, failed_allocs;
	uint64_t failed_by[7];           /* by enum fail_reason (base.h) */
	uint64_t page_allocs, page_frees, page_free_unknown, page_failed;
	uint64_t live_bytes, live_objects;
	uint64_t peak_live_bytes, peak_live_objects;
	uint64_t page_live_pages, peak_page_live_pages;
	uint64_t peak_footprint_bytes, peak_alloc_bytes;
	uint64_t checks;
	uint64_t footprint_bytes;        /* F(t) now */
	uint64_t alloc_bytes;            /* A(t) now */
	uint64_t meta_bytes;
	uint64_t free_pages;             /* in the page allocator */
	uint64_t now_ns;
};
void kms_stats(struct kms_stats *out);
const char *kms_fail_reason_name(int32_t reason);

/* The full run summary (the keys `kmemsim run` prints): collect it, then
 * read it by index. Returns the number of keys. */
int32_t kms_report_collect(void);
const char *kms_report_key(int32_t i);
double kms_report_value(int32_t i);

/* ---- randomness: the engine's seeded generator (--seed) only ---- */

double kms_rand_uniform(double a, double b);        /* [a, b) */
double kms_rand_int(double lo, double hi);          /* integer in [lo, hi] */
double kms_rand_exponential(double mean);
double kms_rand_lognormal(double mu, double sigma);
double kms_rand_pareto(double xm, double alpha);
/* An empirical distribution: values with weights (alias method). */
struct rng_empirical;
struct rng_empirical *kms_empirical_create(const double *values, const double *weights, int32_t n);
double kms_empirical_draw(struct rng_empirical *e);
void kms_empirical_destroy(struct rng_empirical *e);

/* ---- a free-standing buddy allocator (the lecture example) ----
 * nframes 4 KiB frames with orders 0..max_order, driven through the real
 * sim/page_buddy.c, outside the simulated machine. */
struct kms_buddy;
struct kms_buddy *kms_buddy_create(uint32_t nframes, uint32_t max_order);
void kms_buddy_destroy(struct kms_buddy *b);
/* First pfn of a block for bytes, or -1. */
int32_t kms_buddy_alloc(struct kms_buddy *b, double bytes);
void kms_buddy_free(struct kms_buddy *b, int32_t pfn, double bytes);
/* The block at pfn: 1 allocated, 0 free, -1 neither (inside a block);
 * *order receives its order. */
int32_t kms_buddy_block(struct kms_buddy *b, int32_t pfn, int32_t *order);
/* buddy_check: 1 if every invariant holds. */
int32_t kms_buddy_check(struct kms_buddy *b);

/* ---- script parameters (from --set) ---- */
int32_t kms_set_count(void);
const char *kms_set_key(int32_t i);
const char *kms_set_value(int32_t i);

#endif
