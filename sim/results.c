/*
 * results.c - the SQLite results database.
 *
 * Schema (one file, results.db by default):
 *   runs       one row per run: configuration, version, times, status, and
 *              the process that runs it (host, pid, pid_start)
 *   run_stats  (run_id, key, value): the summary and back-end counters
 *   samples    R/A/F time series
 *   buddy      free blocks per zone and order per sample
 *   caches     /proc/slabinfo-style rows at the end of a run
 *   frag       per sample: internal fragmentation, total overhead, largest
 *              free block, hostage and cached empty pages (sim/metrics.c)
 *   extfrag    per sample, zone and order: Gorman's unusable free space
 *              index and fragmentation index, as debugfs prints them
 *   cache_samples  per-cache slab state every few samples
 *   snapshots  page-bitmap snapshots: owner and granule-use RLE blobs
 * Undefined values (NaN) are stored as NULL. Databases made before a
 * column was added (columns_added[]: runs.host, pid, pid_start, cmdline,
 * git_commit, input_hash, config_hash) get it on first open (ALTER TABLE).
 *
 * What makes a run reusable by others (issue 18): runs.cmdline (the exact
 * command line, shell-quoted), runs.git_commit (the build's `git describe`),
 * runs.input_hash (BLAKE2b-256 of the input file's bytes: `b2sum -l 256`
 * gives the same) and runs.config_hash (params_config_hash: commit, input
 * hash and every parameter; the key `kmemsim sweep` skips finished runs by
 * and `kmemsim merge` finds duplicates by; NULL for an input read from
 * stdin). Two views answer the common questions in plain SQL (views[]):
 *   run_summary    one row per run: its identity, status, `served` and one
 *                  column per headline metric (results_summary_keys[])
 *   study_ranking  per study, input and configuration (params without
 *                  allocator= and seed=: sim/runs.c's group), one row per
 *                  back end over its seeds: served in every seed first,
 *                  then the mean peak footprint ascending (NULL last),
 *                  then the name: compare's rule (compare_rank) for its
 *                  default metric, peak; other metrics: `kmemsim compare
 *                  --rank-by` or `kmemsim plot`.
 * The views are made again when their text changes (a newer kmemsim).
 *
 * How rows are written (DESIGN.md "Results database": any number of
 * processes share one file, none holds the write lock while it simulates,
 * none loses a row):
 *
 * 1. The file is in WAL mode: readers never block a writer. Every write
 *    transaction on it is BEGIN IMMEDIATE ... COMMIT, short, with a busy
 *    timeout (RESULTS_BUSY_MS) and retries (RESULTS_BUSY_TRIES) while
 *    another process holds the lock: a lock is waited for, never a failure
 *    unless it is held for many minutes.
 * 2. Rows are buffered. Each table of results_buffered[] has a shadow of the
 *    same name and columns in the connection's TEMP database, kept in
 *    memory. SQLite resolves an unqualified table name in temp first, so
 *    every INSERT of this file, and of other modules through
 *    results_stmt(), goes to the buffer and takes no lock on the file.
 *    (A module that adds a table adds it to results_buffered[], and adds
 *    its columns before the shadows are made in results_open.)
 * 3. A flush moves the buffer into the file: one write transaction with
 *    INSERT OR REPLACE INTO main.T SELECT * FROM temp.T and the emptying
 *    of temp.T per table (rows of a table with a primary key replace
 *    earlier ones, as they would have in the file). A flush happens every
 *    RESULTS_FLUSH_ROWS rows or RESULTS_FLUSH_SECS of wall time, after a
 *    snapshot, and at the end of the run, where the last rows and the
 *    run's status are committed together: a run is `ok` only with every
 *    row in the file.
 * 4. A write error (SQLITE_FULL, IOERR, a lock held beyond the retries)
 *    is sticky: the first message is kept (results_error), the open
 *    transaction is rolled back - in WAL mode this leaves the log space it
 *    took for the next small write - and the run row is marked failed with
 *    the message; then the run's partial rows are deleted if that can be
 *    done (best effort: on a full disk it may not). Nothing else is
 *    written; the engine stops the run and kmemsim exits 1.
 * 5. Abandoned runs. A run row records the host name, the pid and the
 *    process start time (clock ticks after boot, /proc/PID/stat field 22).
 *    results_open, and results_reap for readers, mark `running` rows of
 *    this host whose process is gone as `abandoned`: kill(pid, 0) fails
 *    with ESRCH, the process is a zombie, or the pid now belongs to a
 *    process that started at another time (pid reuse). Rows of other
 *    hosts, and rows without a pid, are left alone: nothing here can tell.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "hash.h"
#include "results.h"
#include "params.h"
#include "../allocators/allocator.h"

#define RESULTS_FLUSH_ROWS 4096    /* buffered rows that trigger a flush */
#define RESULTS_FLUSH_SECS 0.5     /* wall time after which a new row triggers a flush */
#define RESULTS_BUSY_MS    60000   /* sqlite3_busy_timeout: one wait for the lock */
#define RESULTS_BUSY_TRIES 10      /* waits before a lock is a write error */
#define RESULTS_NSTMT      32

/* The tables a run writes rows to (all but runs): buffered in temp. */
static const char *const results_buffered[] = {
	"run_stats", "samples", "buddy", "caches", "frag", "extfrag", "cache_samples", "snapshots",
};

struct results {
	sqlite3 *db;
	char    *path;
	int64_t  run;            /* the run this connection writes, 0 = none yet */
	unsigned rows;           /* rows buffered since the last flush */
	double   flushed;        /* wall time of the last flush */
	int      err;            /* first write error (sticky), SQLITE_OK = none */
	bool     marked;         /* the run row says failed (after an error) */
	char     errmsg[256];
	struct { const char *sql; sqlite3_stmt *st; } stmt[RESULTS_NSTMT];
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS runs ("
	" id INTEGER PRIMARY KEY, study TEXT, allocator TEXT NOT NULL, input TEXT,"
	" params TEXT, seed INTEGER, mem_bytes INTEGER, cpus INTEGER, version TEXT,"
	" started TEXT, finished TEXT, status TEXT NOT NULL, message TEXT,"
	" host TEXT, pid INTEGER, pid_start INTEGER, cmdline TEXT, git_commit TEXT, input_hash TEXT,"
	" config_hash TEXT);"
	"CREATE TABLE IF NOT EXISTS run_stats (run_id INTEGER NOT NULL, key TEXT NOT NULL,"
	" value REAL, PRIMARY KEY (run_id, key));"
	"CREATE TABLE IF NOT EXISTS samples (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" time_ns INTEGER, events INTEGER, requested INTEGER, allocated INTEGER,"
	" footprint INTEGER, live_objects INTEGER, page_live_pages INTEGER,"
	" free_pages INTEGER, failed_allocs INTEGER, largest_free_order INTEGER,"
	" PRIMARY KEY (run_id, seq));"
	"CREATE TABLE IF NOT EXISTS buddy (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" zone TEXT, ord INTEGER, free_blocks INTEGER);"
	"CREATE INDEX IF NOT EXISTS buddy_run ON buddy (run_id, seq);"
	"CREATE TABLE IF NOT EXISTS caches (run_id INTEGER NOT NULL, name TEXT,"
	" active_objs INTEGER, num_objs INTEGER, objsize INTEGER, objperslab INTEGER,"
	" pagesperslab INTEGER, active_slabs INTEGER, num_slabs INTEGER, hostage_pages INTEGER,"
	" cached_empty_pages INTEGER);"
	"CREATE INDEX IF NOT EXISTS caches_run ON caches (run_id);"
	"CREATE TABLE IF NOT EXISTS frag (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" internal_frag REAL, total_overhead REAL, largest_free_bytes INTEGER,"
	" hostage_pages INTEGER, cached_empty_pages INTEGER, PRIMARY KEY (run_id, seq));"
	"CREATE TABLE IF NOT EXISTS extfrag (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" zone TEXT, ord INTEGER, unusable REAL, fragindex REAL);"
	"CREATE INDEX IF NOT EXISTS extfrag_run ON extfrag (run_id, seq);"
	"CREATE TABLE IF NOT EXISTS cache_samples (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" name TEXT, active_objs INTEGER, num_objs INTEGER, objsize INTEGER,"
	" pagesperslab INTEGER, num_slabs INTEGER, hostage_pages INTEGER, cached_empty_pages INTEGER);"
	"CREATE INDEX IF NOT EXISTS cache_samples_run ON cache_samples (run_id, seq);"
	"CREATE TABLE IF NOT EXISTS snapshots (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" label TEXT, time_ns INTEGER, events INTEGER, granule INTEGER, nframes INTEGER,"
	" used_granules INTEGER, owners BLOB, bitmap BLOB, PRIMARY KEY (run_id, seq));";

/* Columns added to a table after its first version (table, column, type):
 * an older file gets them by ALTER TABLE when it is opened, before the
 * buffer's shadows copy the tables' columns. */
static const char *const columns_added[][3] = {
	{ "runs", "host", "TEXT" }, { "runs", "pid", "INTEGER" }, { "runs", "pid_start", "INTEGER" },
	{ "runs", "cmdline", "TEXT" }, { "runs", "git_commit", "TEXT" }, { "runs", "input_hash", "TEXT" },
	{ "runs", "config_hash", "TEXT" },
	{ "caches", "cached_empty_pages", "INTEGER" }, { "frag", "cached_empty_pages", "INTEGER" },
	{ "cache_samples", "cached_empty_pages", "INTEGER" },
};

/* The headline metrics: a column each in the run_summary view (and in
 * `kmemsim export`), named as their run_stats key. */
const char *const results_summary_keys[] = {
	"events", "allocs", "frees", "failed_allocs", "page_failed", "free_unknown", "free_of_failed",
	"peak_live_bytes", "final_live_bytes", "peak_footprint_bytes", "final_footprint_bytes",
	"peak_internal_frag", "mean_internal_frag", "final_internal_frag", "final_total_overhead",
	"jw1_mean_overhead", "jw2_overhead_at_max_live", "jw3_overhead_at_max_footprint",
	"jw4_max_footprint_over_max_live", "hostage_pages", "cached_empty_pages", "pt_pages", "pt_peak_pages",
	"sim_time_ns", NULL,
};

/* The views (name, text after "AS"); run_summary's metric columns are
 * added from results_summary_keys[] by results_views_make. */
static const char results_view_summary_head[] =
	"SELECT r.id AS run_id, r.study, r.allocator, r.input, r.seed, r.mem_bytes, r.cpus, r.status, r.message,"
	" r.started, r.finished, r.version, r.git_commit, r.input_hash, r.config_hash, r.params, r.cmdline,"
	" CASE WHEN r.status = 'ok' AND max(CASE WHEN s.key = 'failed_allocs' THEN s.value END) = 0"
	" AND max(CASE WHEN s.key = 'page_failed' THEN s.value END) = 0 THEN 1 ELSE 0 END AS served";
static const char results_view_summary_tail[] =
	" FROM runs r LEFT JOIN run_stats s ON s.run_id = r.id GROUP BY r.id ORDER BY r.id";
static const char results_view_ranking[] =
	"WITH r AS (SELECT *, trim(replace(replace(' ' || coalesce(params, '') || ' ', ' allocator=' || allocator || ' ', ' '),"
	"  ' seed=' || seed || ' ', ' ')) AS config FROM run_summary WHERE status <> 'running'),"
	" b AS (SELECT study, input, config, allocator, count(*) AS runs, min(served) AS served,"
	"  CASE WHEN count(peak_footprint_bytes) = count(*) THEN avg(peak_footprint_bytes) END AS mean_peak_footprint_bytes,"
	"  min(run_id) AS first_run FROM r GROUP BY study, input, config, allocator)"
	" SELECT study, input, config, rank() OVER (PARTITION BY study, input, config"
	"  ORDER BY served DESC, mean_peak_footprint_bytes IS NULL, mean_peak_footprint_bytes, allocator) AS rank,"
	"  allocator, served, runs, mean_peak_footprint_bytes, first_run"
	" FROM b ORDER BY study, input, config, rank";

static const char *const status_names[] = {
	[RUN_RUNNING] = "running", [RUN_OK] = "ok", [RUN_FAILED] = "failed",
	[RUN_INTERRUPTED] = "interrupted", [RUN_ABANDONED] = "abandoned",
};

const char *results_status_name(enum run_status status)
{
	return (unsigned)status < ARRAY_SIZE(status_names) ? status_names[status] : "failed";
}

/* ---- small helpers ---- */

static double results_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void now_iso(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool results_busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* sqlite3_exec retried while the file is locked (the busy timeout has
 * already waited RESULTS_BUSY_MS each time). */
static int results_exec_retry(sqlite3 *db, const char *sql)
{
	int rc = SQLITE_BUSY;
	for (int i = 0; i < RESULTS_BUSY_TRIES; i++) {
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		if (!results_busy(rc))
			break;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return rc;
}

/* Open a write transaction on the file: BEGIN IMMEDIATE, retried. */
static int results_lock(sqlite3 *db)
{
	return results_exec_retry(db, "BEGIN IMMEDIATE");
}

static void results_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* Fields of /proc/PID/stat: state (field 3) and start time in clock ticks
 * after boot (field 22). False when there is no such file (not Linux, or
 * no such process). */
static bool results_proc_stat(long pid, char *state, int64_t *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');   /* the command name may hold spaces and ')' */
	if (!p || p[1] != ' ')
		return false;
	p += 2;
	*state = *p;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return false;
		p++;
	}
	char *end;
	long long v = strtoll(p, &end, 10);
	if (end == p)
		return false;
	*start = v;
	return true;
}

/* Is the process that wrote a `running` row still there? start < 0:
 * unknown start time. An implausible pid is treated as alive (left alone). */
static bool results_pid_alive(int64_t pid, int64_t start)
{
	if (pid <= 0 || pid > INT_MAX)
		return true;
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return false;
	char state;
	int64_t now;
	if (results_proc_stat((long)pid, &state, &now)) {
		if (state == 'Z' || state == 'X')
			return false;               /* exited, not yet reaped by its parent */
		if (start >= 0 && now != start)
			return false;               /* the pid was reused */
	}
	return true;
}

static bool results_has_column(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt *st;
	bool has = false;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return has;
}

/* Mark this host's running rows whose process is gone as abandoned.
 * Returns the number marked, -1 on an error (nothing is marked then). */
static int results_runs_reap(sqlite3 *db)
{
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
		return 0;
	if (!results_has_column(db, "runs", "host"))
		return 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT id, pid, coalesce(pid_start, -1) FROM main.runs"
			       " WHERE status = 'running' AND host = ?1 AND pid IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	int64_t *dead = NULL, *pid = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t p = sqlite3_column_int64(st, 1);
		if (results_pid_alive(p, sqlite3_column_int64(st, 2)))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			dead = xrealloc(dead, cap * sizeof(*dead));
			pid = xrealloc(pid, cap * sizeof(*pid));
		}
		dead[n] = sqlite3_column_int64(st, 0);
		pid[n++] = p;
	}
	sqlite3_finalize(st);
	int marked = rc == SQLITE_DONE ? 0 : -1;
	if (n && marked == 0 && results_lock(db) == SQLITE_OK) {
		char when[32], msg[512];
		now_iso(when, sizeof(when));
		rc = sqlite3_prepare_v2(db, "UPDATE main.runs SET status = 'abandoned', finished = ?1, message = ?2"
					" WHERE id = ?3 AND status = 'running'", -1, &st, NULL);
		for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
			snprintf(msg, sizeof(msg), "abandoned: its process (pid %lld on %s) is gone"
				 " (seen by pid %ld)", (long long)pid[i], host, (long)getpid());
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, msg, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 3, dead[i]);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = SQLITE_ERROR;
			else
				marked += sqlite3_changes(db);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_OK || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			results_rollback(db);
			marked = -1;
		}
	} else if (n) {
		results_rollback(db);
		marked = -1;
	}
	free(dead);
	free(pid);
	return marked;
}

/* (Re)make the views when their text differs from the file's (inside
 * results_open's write transaction). */
static int results_views_make(sqlite3 *db)
{
	char *sum = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&sum, &len);
	fputs(results_view_summary_head, f);
	for (const char *const *k = results_summary_keys; *k; k++)
		fprintf(f, ", max(CASE WHEN s.key = '%s' THEN s.value END) AS %s", *k, *k);
	fputs(results_view_summary_tail, f);
	fclose(f);
	const char *views[][2] = { { "run_summary", sum }, { "study_ranking", results_view_ranking } };
	int rc = SQLITE_OK;
	for (size_t i = 0; i < ARRAY_SIZE(views) && rc == SQLITE_OK; i++) {
		char *want = sqlite3_mprintf("CREATE VIEW %s AS %s", views[i][0], views[i][1]);
		sqlite3_stmt *st;
		bool same = false;
		rc = sqlite3_prepare_v2(db, "SELECT sql FROM main.sqlite_master WHERE type = 'view' AND name = ?1", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, views[i][0], -1, SQLITE_STATIC);
			same = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
			       !strcmp((const char *)sqlite3_column_text(st, 0), want);
			sqlite3_finalize(st);
		}
		if (rc == SQLITE_OK && !same) {
			char *drop = sqlite3_mprintf("DROP VIEW IF EXISTS %s", views[i][0]);
			rc = sqlite3_exec(db, drop, NULL, NULL, NULL);
			if (rc == SQLITE_OK)
				rc = sqlite3_exec(db, want, NULL, NULL, NULL);
			sqlite3_free(drop);
		}
		sqlite3_free(want);
	}
	free(sum);
	return rc;
}

/* ---- errors ---- */

static void results_mark_failed(struct results *r);

/* Remember the first write error; roll back; mark the run failed. */
static void results_fail(struct results *r, int rc, const char *msg)
{
	if (r->err)
		return;
	r->err = rc ? rc : SQLITE_ERROR;
	snprintf(r->errmsg, sizeof(r->errmsg), "%s", msg && *msg ? msg : sqlite3_errstr(r->err));
	results_rollback(r->db);
	results_mark_failed(r);
}

/* The run row says failed, with the error: first the row alone (a small
 * write, which fits in the log space the rolled-back transaction left),
 * then, best effort, the run's partial rows are deleted to give their
 * space back. */
static void results_mark_failed(struct results *r)
{
	if (r->run <= 0 || r->marked)
		return;
	char when[32], msg[400];
	now_iso(when, sizeof(when));
	snprintf(msg, sizeof(msg), "%s: the run's results are incomplete", r->errmsg);
	sqlite3_stmt *st = NULL;
	results_rollback(r->db);
	if (results_lock(r->db) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(r->db, "UPDATE main.runs SET status = 'failed', finished = ?1, message = ?2"
			       " WHERE id = ?3", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, msg, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->run);
		r->marked = sqlite3_step(st) == SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (!r->marked || sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		r->marked = false;
		results_rollback(r->db);
		return;
	}
	bool ok = results_lock(r->db) == SQLITE_OK;
	for (size_t i = 0; ok && i < ARRAY_SIZE(results_buffered); i++) {
		char sql[200];
		snprintf(sql, sizeof(sql), "DELETE FROM main.%s WHERE run_id = %lld; DELETE FROM temp.%s;",
			 results_buffered[i], (long long)r->run, results_buffered[i]);
		ok = sqlite3_exec(r->db, sql, NULL, NULL, NULL) == SQLITE_OK;
	}
	if (!ok || sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		results_rollback(r->db);
}

const char *results_error(const struct results *r)
{
	return r->err ? r->errmsg : NULL;
}

/* sqlite3_exec on the connection; an error is a write error. */
static bool results_exec(struct results *r, const char *sql)
{
	if (r->err)
		return false;
	char *msg = NULL;
	int rc = sqlite3_exec(r->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		results_fail(r, rc, msg);
	sqlite3_free(msg);
	return rc == SQLITE_OK;
}

/* ---- the buffer ---- */

/* Rows go to the temp shadows inside one transaction that touches only
 * temp (a deferred BEGIN takes no lock on the file). */
static void results_buffer_begin(struct results *r)
{
	if (!r->err && sqlite3_get_autocommit(r->db))
		results_exec(r, "BEGIN");
}

/* Start a write transaction on the file: the buffer's transaction is
 * committed first (it is in memory), then BEGIN IMMEDIATE. */
static bool results_write_begin(struct results *r)
{
	if (r->err)
		return false;
	if (!sqlite3_get_autocommit(r->db) && !results_exec(r, "COMMIT"))
		return false;
	int rc = results_lock(r->db);
	if (rc != SQLITE_OK) {
		results_fail(r, rc, sqlite3_errmsg(r->db));
		return false;
	}
	return true;
}

/* Inside a write transaction: every buffered row into the file. */
static bool results_buffer_move(struct results *r)
{
	for (size_t i = 0; i < ARRAY_SIZE(results_buffered); i++) {
		const char *t = results_buffered[i];
		char sql[200];
		snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO main.%s SELECT * FROM temp.%s; DELETE FROM temp.%s;",
			 t, t, t);
		if (!results_exec(r, sql))
			return false;
	}
	return true;
}

static bool results_write_end(struct results *r)
{
	if (!results_exec(r, "COMMIT"))
		return false;
	r->rows = 0;
	r->flushed = results_wall();
	return true;
}

bool results_flush(struct results *r)
{
	if (r->err)
		return false;
	if (r->rows == 0) {
		r->flushed = results_wall();
		return true;
	}
	return results_write_begin(r) && results_buffer_move(r) && results_write_end(r);
}

/* ---- opening and closing ---- */

struct results *results_open(const char *path, char *err, size_t errlen)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, RESULTS_BUSY_MS);
	/* Journal mode: changing it needs the file to itself, so a fresh file
	 * that several processes open at once may say busy; retried. */
	int rc = results_exec_retry(db, "PRAGMA journal_mode=WAL");
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = results_lock(db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, schema, NULL, NULL, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(columns_added) && rc == SQLITE_OK; i++)
		if (!results_has_column(db, columns_added[i][0], columns_added[i][1])) {
			char sql[160];
			snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", columns_added[i][0],
				 columns_added[i][1], columns_added[i][2]);
			rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "CREATE INDEX IF NOT EXISTS runs_config ON runs (config_hash)", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = results_views_make(db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(results_buffered) && rc == SQLITE_OK; i++) {
		char sql[200];
		snprintf(sql, sizeof(sql), "CREATE TEMP TABLE %s AS SELECT * FROM main.%s WHERE 0",
			 results_buffered[i], results_buffered[i]);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		results_rollback(db);
		sqlite3_close(db);
		return NULL;
	}
	if (results_runs_reap(db) < 0)
		fprintf(stderr, "kmemsim: %s: could not mark abandoned runs: %s\n", path, sqlite3_errmsg(db));
	struct results *r = xcalloc(1, sizeof(*r));
	r->db = db;
	r->path = xstrdup(path);
	r->flushed = results_wall();
	return r;
}

void results_close(struct results *r)
{
	if (!r)
		return;
	results_flush(r);
	results_rollback(r->db);
	for (int i = 0; i < RESULTS_NSTMT; i++)
		sqlite3_finalize(r->stmt[i].st);
	sqlite3_close(r->db);
	free(r->path);
	free(r);
}

sqlite3 *results_db(struct results *r) { return r->db; }

void results_reap(const char *path)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    !sqlite3_db_readonly(db, "main")) {
		sqlite3_busy_timeout(db, RESULTS_BUSY_MS);
		results_runs_reap(db);
	}
	sqlite3_close(db);
}

/* ---- statements and rows ---- */

sqlite3_stmt *results_stmt(struct results *r, const char *sql)
{
	int i;
	for (i = 0; i < RESULTS_NSTMT && r->stmt[i].sql; i++)
		if (r->stmt[i].sql == sql || strcmp(r->stmt[i].sql, sql) == 0) {
			sqlite3_reset(r->stmt[i].st);
			sqlite3_clear_bindings(r->stmt[i].st);
			results_buffer_begin(r);
			return r->stmt[i].st;
		}
	if (i == RESULTS_NSTMT)
		die("results: more than %d prepared statements", RESULTS_NSTMT);
	int rc = sqlite3_prepare_v2(r->db, sql, -1, &r->stmt[i].st, NULL);
	if (rc != SQLITE_OK) {
		/* a write error like any other; binding to NULL is harmless */
		char msg[300];
		snprintf(msg, sizeof(msg), "%s (preparing \"%.80s\")", sqlite3_errmsg(r->db), sql);
		sqlite3_finalize(r->stmt[i].st);
		r->stmt[i].st = NULL;
		results_fail(r, rc, msg);
		return NULL;
	}
	r->stmt[i].sql = sql;
	results_buffer_begin(r);
	return r->stmt[i].st;
}

void results_row_done(struct results *r)
{
	if (++r->rows >= RESULTS_FLUSH_ROWS || results_wall() - r->flushed >= RESULTS_FLUSH_SECS)
		results_flush(r);
}

void results_step(struct results *r, sqlite3_stmt *st)
{
	if (r->err)
		return;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		results_fail(r, rc, sqlite3_errmsg(r->db));
		return;
	}
	results_row_done(r);
}

/* A REAL column: NaN (undefined) is left unbound, which is NULL. */
static void results_bind_real(sqlite3_stmt *st, int col, double v)
{
	if (!isnan(v))
		sqlite3_bind_double(st, col, v);
}

/* ---- runs ---- */

int64_t results_run_begin(struct results *r, const struct params *p, const char *input)
{
	char when[32], host[256] = "";
	now_iso(when, sizeof(when));
	gethostname(host, sizeof(host) - 1);
	char state;
	int64_t start;
	bool have_start = results_proc_stat((long)getpid(), &state, &start);
	/* the input's bytes and the configuration: NULL for stdin, or an
	 * input that cannot be read (the run then fails on it) */
	char ihash[HASH_HEX] = "", chash[HASH_HEX] = "", herr[256];
	if (input && strcmp(input, "-") != 0 && hash_file(input, ihash, herr, sizeof(herr)))
		params_config_hash(p, ihash, chash, sizeof(chash));
	if (!results_write_begin(r))
		return -1;
	char *desc = params_describe(p);
	sqlite3_stmt *st = results_stmt(r,
		"INSERT INTO main.runs (study, allocator, input, params, seed, mem_bytes, cpus, version, started,"
		" status, host, pid, pid_start, cmdline, git_commit, input_hash, config_hash)"
		" VALUES (?,?,?,?,?,?,?,?,?,'running',?,?,?,?,?,?,?)");
	if (!st) {
		free(desc);
		return -1;
	}
	if (p->study) sqlite3_bind_text(st, 1, p->study, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, p->allocator, -1, SQLITE_TRANSIENT);
	if (input) sqlite3_bind_text(st, 3, input, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, desc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)p->seed);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)p->mem.mem_bytes);
	sqlite3_bind_int(st, 7, (int)p->cpus);
	sqlite3_bind_text(st, 8, KMEMSIM_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, when, -1, SQLITE_TRANSIENT);
	if (host[0]) sqlite3_bind_text(st, 10, host, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)getpid());
	if (have_start) sqlite3_bind_int64(st, 12, start);
	if (p->cmdline) sqlite3_bind_text(st, 13, p->cmdline, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 14, kmemsim_git_commit(), -1, SQLITE_STATIC);
	if (ihash[0]) sqlite3_bind_text(st, 15, ihash, -1, SQLITE_TRANSIENT);
	if (chash[0]) sqlite3_bind_text(st, 16, chash, -1, SQLITE_TRANSIENT);
	free(desc);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		results_fail(r, rc, sqlite3_errmsg(r->db));
		return -1;
	}
	int64_t id = sqlite3_last_insert_rowid(r->db);
	if (!results_write_end(r))   /* the 'running' row is visible at once */
		return -1;
	r->run = id;
	return id;
}

bool results_run_end(struct results *r, int64_t run, enum run_status status, const char *msg)
{
	if (r->err) {
		results_mark_failed(r);   /* again, if it could not be done when the error came */
		return false;
	}
	char when[32];
	now_iso(when, sizeof(when));
	if (!results_write_begin(r) || !results_buffer_move(r))
		return false;
	sqlite3_stmt *st = results_stmt(r, "UPDATE main.runs SET finished=?, status=?, message=? WHERE id=?");
	if (!st)
		return false;
	sqlite3_bind_text(st, 1, when, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, results_status_name(status), -1, SQLITE_STATIC);
	if (msg) sqlite3_bind_text(st, 3, msg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, run);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		results_fail(r, rc, sqlite3_errmsg(r->db));
		return false;
	}
	return results_write_end(r);
}

void results_stat(struct results *r, int64_t run, const char *key, double value)
{
	sqlite3_stmt *st = results_stmt(r, "INSERT OR REPLACE INTO run_stats (run_id, key, value) VALUES (?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	results_bind_real(st, 3, value);
	results_step(r, st);
}

void results_sample(struct results *r, int64_t run, const struct sample *s)
{
	sqlite3_stmt *st = results_stmt(r,
		"INSERT OR REPLACE INTO samples VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)s->seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)s->time_ns);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)s->events);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)s->requested);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)s->allocated);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)s->footprint);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)s->live_objects);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)s->page_live_pages);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)s->free_pages);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)s->failed_allocs);
	sqlite3_bind_int(st, 12, s->largest_free_order);
	results_step(r, st);
}

void results_buddy(struct results *r, int64_t run, uint64_t seq, int zone, int order, uint64_t free_blocks)
{
	static const char *const zn[] = { "DMA", "DMA32", "Normal" };
	sqlite3_stmt *st = results_stmt(r, "INSERT INTO buddy VALUES (?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 3, zn[zone], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, order);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)free_blocks);
	results_step(r, st);
}

void results_cache(struct results *r, int64_t run, const struct cache_info *ci)
{
	sqlite3_stmt *st = results_stmt(r, "INSERT INTO caches VALUES (?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, ci->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)ci->active_objs);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)ci->num_objs);
	sqlite3_bind_int(st, 5, (int)ci->objsize);
	sqlite3_bind_int(st, 6, (int)ci->objperslab);
	sqlite3_bind_int(st, 7, (int)ci->pagesperslab);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)ci->active_slabs);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)ci->num_slabs);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)ci->hostage_pages);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)ci->cached_empty_pages);
	results_step(r, st);
}

void results_frag(struct results *r, int64_t run, uint64_t seq, double internal, double overhead,
		  uint64_t largest_free_bytes, uint64_t hostage_pages, uint64_t cached_empty_pages)
{
	sqlite3_stmt *st = results_stmt(r, "INSERT OR REPLACE INTO frag VALUES (?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	if (internal == internal)   /* NaN (A or F is 0: undefined) is stored as NULL */
		sqlite3_bind_double(st, 3, internal);
	if (overhead == overhead)
		sqlite3_bind_double(st, 4, overhead);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)largest_free_bytes);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)hostage_pages);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)cached_empty_pages);
	results_step(r, st);
}

void results_extfrag(struct results *r, int64_t run, uint64_t seq, int zone, int order,
		     double unusable, double fragindex)
{
	static const char *const zn[] = { "DMA", "DMA32", "Normal" };
	sqlite3_stmt *st = results_stmt(r, "INSERT INTO extfrag VALUES (?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 3, zn[zone], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, order);
	results_bind_real(st, 5, unusable);
	results_bind_real(st, 6, fragindex);
	results_step(r, st);
}

void results_cache_sample(struct results *r, int64_t run, uint64_t seq, const struct cache_info *ci)
{
	sqlite3_stmt *st = results_stmt(r, "INSERT INTO cache_samples VALUES (?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 3, ci->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)ci->active_objs);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)ci->num_objs);
	sqlite3_bind_int(st, 6, (int)ci->objsize);
	sqlite3_bind_int(st, 7, (int)ci->pagesperslab);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)ci->num_slabs);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)ci->hostage_pages);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)ci->cached_empty_pages);
	results_step(r, st);
}

void results_snapshot(struct results *r, int64_t run, const struct snapshot_row *sn)
{
	sqlite3_stmt *st = results_stmt(r,
		"INSERT OR REPLACE INTO snapshots VALUES (?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)sn->seq);
	if (sn->label)
		sqlite3_bind_text(st, 3, sn->label, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)sn->time_ns);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)sn->events);
	sqlite3_bind_int(st, 6, (int)sn->granule);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)sn->nframes);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)sn->used_granules);
	sqlite3_bind_blob(st, 9, sn->owners, (int)sn->owners_len, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 10, sn->bitmap, (int)sn->bitmap_len, SQLITE_TRANSIENT);
	results_step(r, st);
	results_flush(r);   /* a snapshot is large: do not let it sit in the buffer */
}

/* ---- superseded runs ---- */

int results_run_tables(sqlite3 *db, const char *sch, char (*names)[64], int max)
{
	char *sql = sqlite3_mprintf("SELECT m.name FROM \"%w\".sqlite_master m, pragma_table_info(m.name, %Q) c"
				    " WHERE m.type = 'table' AND c.name = 'run_id' ORDER BY m.name", sch, sch);
	sqlite3_stmt *st;
	int n = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		return -1;
	}
	sqlite3_free(sql);
	while (sqlite3_step(st) == SQLITE_ROW && n < max)
		snprintf(names[n++], 64, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return n;
}

int results_run_delete(sqlite3 *db, int64_t run)
{
	char names[64][64];
	int n = results_run_tables(db, "main", names, 64);
	int rc = n < 0 ? SQLITE_ERROR : SQLITE_OK;
	for (int i = 0; i < n && rc == SQLITE_OK; i++) {
		char *sql = sqlite3_mprintf("DELETE FROM main.\"%w\" WHERE run_id = %lld", names[i], (long long)run);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
	}
	if (rc == SQLITE_OK) {
		char *sql = sqlite3_mprintf("DELETE FROM main.runs WHERE id = %lld", (long long)run);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
	}
	return rc;
}

int results_superseded_delete(const char *path, const char *config_hash, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int deleted = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, RESULTS_BUSY_MS);
	int rc = results_lock(db);
	sqlite3_stmt *st = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT id FROM main.runs WHERE config_hash = ?1 AND status NOT IN ('ok', 'running')"
					" AND (EXISTS (SELECT 1 FROM main.runs WHERE config_hash = ?1 AND status = 'ok')"
					"  OR id < (SELECT max(id) FROM main.runs WHERE config_hash = ?1 AND status <> 'running'))",
					-1, &st, NULL);
	int64_t ids[256];
	int n = 0;
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, config_hash, -1, SQLITE_STATIC);
		while (n < (int)ARRAY_SIZE(ids) && sqlite3_step(st) == SQLITE_ROW)
			ids[n++] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	for (int i = 0; i < n && rc == SQLITE_OK; i++)
		if ((rc = results_run_delete(db, ids[i])) == SQLITE_OK)
			deleted++;
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		results_rollback(db);
		deleted = -1;
	}
	sqlite3_close(db);
	return deleted;
}
