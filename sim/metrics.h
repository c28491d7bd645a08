/*
 * metrics.h - what a sample records: R, A, F, buddy free blocks per zone
 * and order, Gorman's indices, Johnstone & Wilson's measures at the end.
 * Definitions are in DESIGN.md and metrics.c.
 */
#ifndef KMS_METRICS_H
#define KMS_METRICS_H

#include "base.h"

struct sim;
struct cache_info;

struct metrics *metrics_create(struct sim *s);
void metrics_destroy(struct metrics *m);
/* Take a sample now (engine calls this on its schedule). */
void metrics_sample(struct sim *s);
/* Page-bitmap snapshot now (label may be NULL): owner and granule bitmap
 * of every frame, from the back end's walk(), into results.db. */
void metrics_snapshot(struct sim *s, const char *label);
/* End of run: final sample and derived measures (J&W) into run_stats. */
void metrics_finish(struct sim *s);
/* Derived measures for the summary (J&W #1-#4, fragmentation at the end). */
void metrics_report(struct sim *s, void (*fn)(void *ctx, const char *key, double v), void *ctx);

/*
 * Mel Gorman's external-fragmentation indices for one zone, computed as
 * Linux's mm/vmstat.c computes them for debugfs extfrag/unusable_index and
 * extfrag/extfrag_index (pure functions; see metrics.c for the formulas).
 */
struct metrics_contig {
	uint64_t free_pages;            /* sum of nr_free[k] << k */
	uint64_t free_blocks_total;     /* sum of nr_free[k] */
	uint64_t free_blocks_suitable;  /* sum over k >= order of nr_free[k] << (k - order) */
};
/* Fill ci from free block counts nr_free[0..norders) for requests of order. */
void metrics_contig_fill(const uint64_t *nr_free, unsigned norders, unsigned order,
			 struct metrics_contig *ci);
/* Unusable free space index x1000 (0..1000; 1000 when nothing is free). */
int metrics_unusable_index(unsigned order, const struct metrics_contig *ci);
/* Fragmentation index x1000: -1000 when an allocation of order would
 * succeed, 0 when nothing is free, else 0..1000 (toward 1000: failure due
 * to fragmentation; toward 0: failure due to lack of memory). */
int metrics_fragmentation_index(unsigned order, const struct metrics_contig *ci);

/* Snapshot owner codes (one per frame in the owners blob). */
enum {
	SNAP_FREE = 0,       /* free in the buddy allocator */
	SNAP_RESERVED = 1,   /* never given to the page allocator */
	SNAP_OWNER_BASE = 2, /* allocated: code = SNAP_OWNER_BASE + enum frame_owner */
};

/* A used range of granules [lo, hi), in physical order (pfn * granules per page + offset). */
struct metrics_range { uint64_t lo, hi; };
/* The snapshot bitmap blob for used ranges r[0..n) (any order, may overlap
 * or nest; sorted in place) over total granules: alternating LEB128 run
 * lengths of unused and used granules, starting with unused. Returns a
 * malloc'ed buffer of *len bytes; *used = granules in use. */
uint8_t *metrics_bitmap_encode(struct metrics_range *r, size_t n, uint64_t total,
			       size_t *len, uint64_t *used);
/* Samples between per-cache rows in cache_samples (the last sample always has them). */
#define METRICS_CACHE_EVERY 8u

#endif
