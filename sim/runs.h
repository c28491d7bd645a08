/*
 * runs.h - reading results.db: which runs, their summary keys, their time
 * series, buddy and cache tables, and their page-bitmap snapshots.
 *
 * Every SQL read of results lives in runs.c (results.c writes them); the
 * modules that draw, rank and report (plot, compare, report) see plain C
 * structs. A value that is undefined (absent or NULL in run_stats) comes
 * back as the caller's default, NaN unless stated.
 */
#ifndef KMS_RUNS_H
#define KMS_RUNS_H

#include "base.h"

typedef struct sqlite3 sqlite3;
struct sqlite3_stmt;

#define RUNS_MAX 512   /* runs one plot or compare reads at most */

/* One run that is not running any more: status ok, failed, interrupted or
 * abandoned (a run that ended early is drawn, its line ending with a
 * mark, never hidden). Strings are as stored: HTML escapes them
 * (report.c), gnuplot strings sanitize them (plot.c). */
struct runs_run {
	int64_t id;
	char alloc[32];      /* back end */
	char input[256];     /* trace file or script, as given */
	char name[128];      /* input's base name without extensions (runs_input_name) */
	char study[128];
	char status[16];     /* "" when not read (tests): taken as ok */
	char message[160];   /* why it did not finish ("" when it did) */
	char config[768];    /* runs.params without allocator= and seed=: the group key */
	uint64_t seed, mem_bytes;
	int group;           /* runs of one experiment: same study, input and config; from 0 */
	bool reference;      /* its seed is the group's smallest: the one time series are drawn for */
};

/* The run ended early: failed, interrupted or abandoned. */
bool runs_ended_early(const struct runs_run *r);

/* Open a results database read-only, with a generous busy timeout (runs
 * may still be writing). NULL and a message in err on failure. */
sqlite3 *runs_open(const char *path, char *err, size_t errlen);
void runs_close(sqlite3 *db);

/* The runs of study (NULL: any) that are not running, restricted to
 * ids[0..nids) when nids > 0, in id order, at most RUNS_MAX, grouped:
 * one group per (study, input, config) in order of first appearance, the
 * seeds of a group together (a sweep over seeds is one group). Returns the
 * number of runs, -1 on an SQL error. */
int runs_select(sqlite3 *db, const int64_t *ids, int nids, const char *study, struct runs_run *runs);

/* A group's title: its input's name, then the parameters whose values
 * differ between the groups of its study ("exhaust, mem 16 MiB"), so the
 * groups of a sweep never share one label. */
void runs_group_title(const struct runs_run *runs, int n, int g, char *out, size_t len);

/* A trace file's or script's display name: its base name without .xz,
 * .ftrace, .trace, .txt, .lua or .mtrace. */
void runs_input_name(const char *input, char *out, size_t n);

/* What the database holds of a configuration (runs.config_hash): 2 an ok
 * run, 1 only runs that ended otherwise, 0 none (or a database older
 * than the column); -1 on an SQL error. */
int runs_config_status(sqlite3 *db, const char *config_hash, char *commit, size_t n);

/* The database has the run_summary view (results.c; files older than it
 * get it when opened for writing). */
bool runs_summary_has(sqlite3 *db);
/* Calls fn for each row of run_summary (study NULL: every run) in run id
 * order, with the column names and the statement to read the row from;
 * returns the number of rows, -1 on an SQL error. */
typedef void (*runs_row_fn_t)(void *ctx, int ncol, const char *const *names, struct sqlite3_stmt *st);
int runs_summary_each(sqlite3 *db, const char *study, runs_row_fn_t fn, void *ctx);

/* run_stats value of key, or dflt when absent or NULL. */
double runs_stat(sqlite3 *db, int64_t run, const char *key, double dflt);

/* Runs that did not finish (status other than ok) of study (NULL: any), in
 * id order; fields are "" when NULL. */
typedef void (*runs_unfinished_fn_t)(void *ctx, int64_t id, const char *alloc, const char *input,
				     const char *status, const char *message);
void runs_unfinished(sqlite3 *db, const char *study, runs_unfinished_fn_t fn, void *ctx);

/* ---- time series (samples joined with frag) ---- */

struct runs_sample {
	int64_t time_ns, events;
	int64_t requested, allocated, footprint;   /* R, A, F in bytes */
	double internal_frag, total_overhead;      /* NaN when undefined (A or F = 0) */
	int64_t failed_allocs, free_pages;
	double hostage_pages;                      /* NaN when the sample has no frag row */
	double cached_empty_pages;                 /* NaN when the database has no such column */
};
/* The largest simulated time and event count of a run's samples (0 when none). */
void runs_series_extent(sqlite3 *db, int64_t run, int64_t *time_ns, int64_t *events);
/* A run's samples in order into a malloc'ed array *out; returns the count. */
size_t runs_series_read(sqlite3 *db, int64_t run, struct runs_sample **out);

/* ---- buddy free blocks and Gorman's indices per sample ---- */

struct runs_buddy_row {
	int64_t time_ns, events;
	int ord;
	double free_blocks, unusable, fragindex;
};
/* The zone with the most pages in the run's first sample ("Normal" when none). */
void runs_buddy_main_zone(sqlite3 *db, int64_t run, char *zone, size_t n);
/* The zones with buddy rows, most free pages in the first sample first;
 * returns their number (at most max). */
int runs_buddy_zones(sqlite3 *db, int64_t run, char (*zones)[16], int max);
/* The largest order with buddy rows (-1 when none). */
int runs_buddy_max_order(sqlite3 *db, int64_t run);
/* Samples with buddy rows. */
int64_t runs_buddy_samples(sqlite3 *db, int64_t run);
/* Rows of zone for every stride-th sample, by sample then order, into a
 * malloc'ed array *out; returns the count. */
size_t runs_buddy_read(sqlite3 *db, int64_t run, const char *zone, int64_t stride,
		       struct runs_buddy_row **out);

/* Per sample, over every zone: free pages, and the free blocks of order
 * >= ord counted in blocks of 2^ord pages (free 2 MiB frames for ord 9). */
struct runs_huge_row { int64_t events; double free_pages, blocks; };
size_t runs_huge_read(sqlite3 *db, int64_t run, int ord, struct runs_huge_row **out);

/* Gorman's indices of zone per sample and order, as stored (value/1000):
 * NULL reads NaN; the fragmentation index's -1 ("the allocation would
 * succeed") is kept for the caller to show as n/a. */
struct runs_extfrag_row { int64_t events; int ord; double unusable, fragindex; };
size_t runs_extfrag_read(sqlite3 *db, int64_t run, const char *zone, struct runs_extfrag_row **out);

/* ---- per-cache tables ---- */

struct runs_cache_row {
	char name[64];
	double used_bytes, free_slot_bytes, slab_waste_bytes;
	int64_t pages;
};
/* The cache sample to picture: the last one at or before peak footprint
 * (*at_peak true), else the first; -1 when the run has none. */
int64_t runs_cache_seq(sqlite3 *db, int64_t run, bool *at_peak);
/* Caches of sample seq holding slabs, most pages first, at most max. */
int runs_cache_read(sqlite3 *db, int64_t run, int64_t seq, struct runs_cache_row *rows, int max);

/* ---- page-bitmap snapshots ----
 *
 * The blobs metrics_snapshot() writes (formats in metrics.c's header, owner
 * codes SNAP_* in metrics.h): owners are (code, owner_id, count) runs of
 * frames; the bitmap alternates runs of unused and used granules, starting
 * with unused; every number an unsigned LEB128 varint.
 */
/* One varint from [p, end): the byte after it, or NULL when truncated or longer than 64 bits. */
const uint8_t *runs_varint_decode(const uint8_t *p, const uint8_t *end, uint64_t *v);
/* Calls fn for each used run [lo, hi) of a bitmap blob of total granules;
 * false when the blob is truncated or runs past total (the runs before
 * the fault have been passed to fn). */
bool runs_bitmap_decode(const uint8_t *p, size_t len, uint64_t total,
			void (*fn)(void *ctx, uint64_t lo, uint64_t hi), void *ctx);

struct runs_snapshot {
	uint64_t nframes, granule, per_page;   /* per_page: granules per frame */
	bool has_label;
	char label[64];                        /* at most 60 bytes of the label */
	long long events;
	uint8_t *held;      /* [nframes] 1: the back end's frame (not free, reserved, a trace page or unowned) */
	uint64_t nheld, first, last;           /* held frames, first and last held pfn */
	uint16_t *used;     /* [nframes] used granules per frame */
	uint8_t *bits;      /* granule bitmap, nframes * per_page bits; NULL when nheld > bits_pages */
};
/* The run's snapshot to picture: the last one labelled label when label
 * is not NULL; else its last labelled one (a workload marks its moment),
 * else its fullest (first of equals). False when the run has none (or
 * none with that label), or none with a held frame. */
bool runs_snapshot_read(sqlite3 *db, int64_t run, const char *label, uint64_t bits_pages,
			struct runs_snapshot *sn);
void runs_snapshot_release(struct runs_snapshot *sn);

/* Where a snapshot was taken. */
struct runs_snapinfo {
	int64_t seq, events;
	uint64_t nframes;
	bool has_label;
	char label[64];   /* at most 60 bytes of the label */
};
/* Calls fn for each snapshot of the run in order, with its owners blob
 * (owners NULL when with_owners is false: labels and places only). */
typedef void (*runs_snapshot_fn_t)(void *ctx, const struct runs_snapinfo *si, const uint8_t *owners, size_t len);
void runs_snapshots_each(sqlite3 *db, int64_t run, bool with_owners, runs_snapshot_fn_t fn, void *ctx);
/* Calls fn for each run of frames [lo, hi) with one owner code (SNAP_*)
 * in an owners blob of nframes frames; false when the blob is truncated
 * or runs past nframes (the runs before have been passed to fn). */
typedef void (*runs_owner_fn_t)(void *ctx, unsigned code, uint64_t lo, uint64_t hi);
bool runs_owners_decode(const uint8_t *p, size_t len, uint64_t nframes, runs_owner_fn_t fn, void *ctx);

#endif
