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
 *
 * Every other number a script passes (sizes, cache ids, CPUs, gfp bits,
 * times) is a double too, so that the FFI converts nothing: a C integer
 * parameter would silently wrap 2^32 + 16 to 16 or -1 to 2^32 - 1. The
 * functions check each value in C and refuse, with a message in
 * kms_error() that names the argument and the value, anything that is not
 * an integer in its range (NaN and infinities included):
 *   size      1 .. 2^32 - 1 bytes (struct event's size is 32 bits)
 *   cache     0 (kmalloc) or an id returned by kms_cache
 *   cpu       0 .. cpus - 1
 *   gfp       a set of the KMS_GFP_* bits
 *   times     0 .. 2^63 ns, and now + time within the 64-bit clock
 *   align     0 (8) or a power of two up to 4096
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
 * schedules the free that many simulated ns from now (unless the handle
 * is freed before). Returns the handle, 0 when the back end failed (the
 * failure is counted and sampled: FAIL_CACHE_SIZE if size is larger than
 * the cache's), or -1 for a bad argument (kms_error says which). */
double kms_alloc(double size, double cache, double cpu, double gfp, double lifetime_ns);
/* Why the last call returned -1 (a bad argument, not a simulated failure). */
const char *kms_error(void);
/* Free a handle on cpu (may differ from the allocating CPU); handle 0 is
 * kfree(NULL). Returns 0, or -1 (kms_error) for a bad CPU, a number that
 * is no handle kms_alloc returned, or a handle no longer live: freed
 * already, by kms_free or at the end of its lifetime (a double free). */
int32_t kms_free(double handle, double cpu);
/* The CPU that allocated a live handle, or -1 if it is not live. */
int32_t kms_owner_cpu(double handle);

/* ---- caches, time, measurement ---- */

/* A named cache (created in the back end on first sight): id >= 1, -1 if
 * the back end refused it, -2 for a bad argument (kms_error), including
 * a name that exists with another size or alignment. */
int32_t kms_cache(const char *name, double size, double align);
/* Let ns of simulated time pass (scheduled frees and back-end ticks run).
 * 0, or -1 for a bad ns (kms_error). */
int32_t kms_advance(double ns);
/* Check a time argument of the call named what (as kms_advance would):
 * 0, or -1 with kms_error set. For sim.after and sim.advance's Lua side. */
int32_t kms_time_check(const char *what, double ns);
/* Check a CPU argument of the call named what: 0, or -1 (kms_error). */
int32_t kms_cpu_check(const char *what, double cpu);
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
/* 1 when the run has been stopped (SIGINT, SIGTERM, a limit, a write
 * error): the engine ignores every event from then on, kms_alloc returns
 * 0, and the library ends the script (luaw.c records the partial run). */
int32_t kms_stopped(void);

/* A result of the script's own, stored in results.db's run_stats as
 * "script_KEY" (no-op without a database). */
void kms_record(const char *key, double value);

/* Engine counters (struct sim_stats) and the back end's totals. */
struct kms_stats {
	uint64_t events, allocs, frees, free_unknown, free_null, alloc_null;
	uint64_t realloc_live, failed_allocs;
	uint64_t failed_by[8];           /* by enum fail_reason (base.h) */
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
	uint64_t free_of_failed;         /* frees of keys whose allocation failed (free_unknown: never seen) */
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
/* NULL unless nframes is an integer 1..2^24 and max_order 0..19. */
struct kms_buddy *kms_buddy_create(double nframes, double max_order);
void kms_buddy_destroy(struct kms_buddy *b);
/* First pfn of a block for bytes, or -1. */
int32_t kms_buddy_alloc(struct kms_buddy *b, double bytes);
/* Free the block at pfn for bytes: 0, or -1 if pfn is no block of that
 * size that kms_buddy_alloc handed out. */
int32_t kms_buddy_free(struct kms_buddy *b, double pfn, double bytes);
/* The block at pfn: 1 allocated, 0 free, -1 neither (inside a block, or
 * no frame); *order receives its order. */
int32_t kms_buddy_block(struct kms_buddy *b, double pfn, int32_t *order);
/* buddy_check: 1 if every invariant holds. */
int32_t kms_buddy_check(struct kms_buddy *b);

/* ---- script parameters (from --set) ---- */
int32_t kms_set_count(void);
const char *kms_set_key(int32_t i);
const char *kms_set_value(int32_t i);

#endif
