/*
 * results.h - the SQLite results database (results.db by default).
 *
 * A run is one row of `runs` with its full configuration; its summary
 * (run_stats), time series (samples, buddy), per-cache tables (caches) and
 * snapshots hang off it by run_id. Rows are written in batched
 * transactions; a run that fails is marked failed, never left posing as
 * whole. The schema is in results.c.
 */
#ifndef KMS_RESULTS_H
#define KMS_RESULTS_H

#include "base.h"

struct results;
struct params;
struct cache_info;
typedef struct sqlite3 sqlite3;

struct results *results_open(const char *path, char *err, size_t errlen);
void results_close(struct results *r);
sqlite3 *results_db(struct results *r);

int64_t results_run_begin(struct results *r, const struct params *p, const char *input);
/* status: "ok" or "failed"; msg may be NULL. Commits. */
void results_run_end(struct results *r, int64_t run, const char *status, const char *msg);

void results_stat(struct results *r, int64_t run, const char *key, double value);

struct sample {
	uint64_t seq, time_ns, events;
	uint64_t requested, allocated, footprint;   /* R, A, F in bytes */
	uint64_t live_objects, page_live_pages, free_pages, failed_allocs;
	int      largest_free_order;
};
void results_sample(struct results *r, int64_t run, const struct sample *s);
void results_buddy(struct results *r, int64_t run, uint64_t seq, int zone, int order, uint64_t free_blocks);
void results_cache(struct results *r, int64_t run, const struct cache_info *ci);

/* Added by the metrics issue (sim/metrics.c writes these tables).
 * internal, overhead: NaN when undefined (A = 0, F = 0): stored as NULL.
 * hostage_pages, cached_empty_pages: sim/metrics.h's definition. */
void results_frag(struct results *r, int64_t run, uint64_t seq, double internal, double overhead,
		  uint64_t largest_free_bytes, uint64_t hostage_pages, uint64_t cached_empty_pages);
/* unusable, fragindex: the kernel's x1000 integers divided by 1000
 * (fragindex -1 = "an allocation of this order would succeed"). */
void results_extfrag(struct results *r, int64_t run, uint64_t seq, int zone, int order,
		     double unusable, double fragindex);
void results_cache_sample(struct results *r, int64_t run, uint64_t seq, const struct cache_info *ci);

/* A page-bitmap snapshot; blob formats in sim/metrics.c. */
struct snapshot_row {
	uint64_t seq, time_ns, events;
	const char *label;            /* may be NULL */
	uint32_t granule;             /* bytes per bitmap bit */
	uint64_t nframes, used_granules;
	const uint8_t *owners, *bitmap;
	size_t owners_len, bitmap_len;
};
void results_snapshot(struct results *r, int64_t run, const struct snapshot_row *sn);

/* Prepared-statement cache for other modules (metrics, snapshots):
 * returns a reset statement for sql, prepared once per connection. */
struct sqlite3_stmt *results_stmt(struct results *r, const char *sql);
/* Count a written row; commits and opens a new transaction every few thousand. */
void results_row_done(struct results *r);

#endif
