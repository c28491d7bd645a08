/*
 * t_store.c - the results store (sim/results.c) and the engine's stop path:
 *
 *  - run statuses are exactly DESIGN.md's five;
 *  - no lock on the file while rows are buffered: another connection
 *    takes the write lock at once (busy timeout 0), and a writer that
 *    holds the lock for a second makes a flush wait, not fail;
 *  - NaN passed to results_stat, results_frag and results_extfrag is
 *    stored as NULL;
 *  - a write error (SQLITE_FULL, made with PRAGMA max_page_count) is
 *    sticky: the run row says failed with the message, its partial rows
 *    are gone, nothing more is written; in the engine it stops the run and
 *    sim_finish returns RUN_FAILED;
 *  - a signal (sim_signal set as the handler would) and sim_stop end a run
 *    at an event boundary: later events are ignored, the row says
 *    interrupted, and the partial results agree with each other;
 *  - a database made before runs had host, pid and pid_start opens and
 *    gains the columns;
 *  - abandoned runs: this host's rows whose process is gone (exited,
 *    zombie, pid reused) are marked, live ones and other hosts' are not.
 */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "../sim/engine.h"
#include "../sim/results.h"
#include "../sim/params.h"

static char dbpath[64];

static void db_reset(void)
{
	char path[80];
	unlink(dbpath);
	snprintf(path, sizeof(path), "%s-wal", dbpath);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", dbpath);
	unlink(path);
}

static sqlite3 *db_open(void)
{
	sqlite3 *db = NULL;
	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		printf("#   cannot open %s\n", dbpath);
	sqlite3_busy_timeout(db, 10000);
	return db;
}

static int64_t q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		printf("#   query failed: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return v;
}

/* The text of the first column of the first row, "" if none. */
static void qtext(sqlite3 *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st;
	out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0))
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct params P;

static struct results *open_run(int64_t *run)
{
	char err[256];
	params_init(&P);
	P.allocator = "buddy";
	struct results *r = results_open(dbpath, err, sizeof(err));
	CHECK_MSG(r != NULL, "results_open: %s", err);
	if (!r)
		return NULL;
	*run = results_run_begin(r, &P, "t_store");
	CHECK(*run > 0);
	return r;
}

static void put_samples(struct results *r, int64_t run, uint64_t from, uint64_t n)
{
	for (uint64_t i = from; i < from + n; i++) {
		struct sample s = { .seq = i, .time_ns = i * 10, .events = i * 100, .requested = i };
		results_sample(r, run, &s);
	}
}

static void t_status_names(void)
{
	static const char *const want[] = { "running", "ok", "failed", "interrupted", "abandoned" };
	enum run_status st[] = { RUN_RUNNING, RUN_OK, RUN_FAILED, RUN_INTERRUPTED, RUN_ABANDONED };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		CHECK_MSG(strcmp(results_status_name(st[i]), want[i]) == 0, "status %zu is %s, want %s",
			  i, results_status_name(st[i]), want[i]);
}

/* Rows are buffered without a lock on the file. */
static void t_buffer_takes_no_lock(void)
{
	db_reset();
	int64_t run;
	struct results *r = open_run(&run);
	if (!r)
		return;
	put_samples(r, run, 0, 100);
	results_stat(r, run, "allocs", 42);
	sqlite3 *other = db_open();
	sqlite3_busy_timeout(other, 0);   /* a lock held by r would be SQLITE_BUSY at once */
	CHECK_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO runs (allocator, status) VALUES ('other', 'ok');"
			      " COMMIT;", NULL, NULL, NULL), SQLITE_OK);
	CHECK(results_flush(r));
	CHECK_EQ(q1(other, "SELECT count(*) FROM samples"), 100);
	CHECK_EQ(q1(other, "SELECT value FROM run_stats WHERE key = 'allocs'"), 42);
	/* more rows than RESULTS_FLUSH_ROWS reach the file without an explicit flush */
	put_samples(r, run, 100, 5000);
	CHECK(q1(other, "SELECT count(*) FROM samples") >= 4096);
	CHECK(results_run_end(r, run, RUN_OK, NULL));
	CHECK_EQ(q1(other, "SELECT count(*) FROM samples"), 5100);
	CHECK_EQ(q1(other, "SELECT count(*) FROM runs WHERE status = 'ok'"), 2);
	sqlite3_close(other);
	results_close(r);
}

struct holder { const char *path; volatile int locked; double hold; };

static void *hold_lock(void *arg)
{
	struct holder *h = arg;
	sqlite3 *db = NULL;
	sqlite3_open(h->path, &db);
	sqlite3_busy_timeout(db, 10000);
	sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO runs (allocator, status) VALUES ('holder', 'ok');", NULL, NULL, NULL);
	h->locked = 1;
	struct timespec ts = { (time_t)h->hold, (long)((h->hold - (double)(time_t)h->hold) * 1e9) };
	nanosleep(&ts, NULL);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	return NULL;
}

/* Another process's write lock makes a flush wait, never fail. */
static void t_flush_waits_for_lock(void)
{
	db_reset();
	int64_t run;
	struct results *r = open_run(&run);
	if (!r)
		return;
	struct holder h = { dbpath, 0, 1.0 };
	pthread_t th;
	pthread_create(&th, NULL, hold_lock, &h);
	while (!h.locked)
		sched_yield();
	double t0 = wall();
	put_samples(r, run, 0, 300);
	CHECK(results_flush(r));
	double waited = wall() - t0;
	pthread_join(th, NULL);
	CHECK_MSG(waited > 0.5, "the flush did not wait for the lock (%.3f s)", waited);
	CHECK(results_error(r) == NULL);
	CHECK(results_run_end(r, run, RUN_OK, NULL));
	sqlite3 *db = db_open();
	CHECK_EQ(q1(db, "SELECT count(*) FROM samples"), 300);
	CHECK_EQ(q1(db, "SELECT count(*) FROM runs WHERE status = 'ok'"), 2);
	sqlite3_close(db);
	results_close(r);
}

static void t_nan_is_null(void)
{
	db_reset();
	int64_t run;
	struct results *r = open_run(&run);
	if (!r)
		return;
	results_stat(r, run, "undefined", NAN);
	results_stat(r, run, "defined", 0.25);
	results_frag(r, run, 0, NAN, NAN, 4096, 0, 0);
	results_frag(r, run, 1, 0.5, 0.75, 4096, 0, 0);
	results_extfrag(r, run, 0, 1, 3, NAN, NAN);
	results_extfrag(r, run, 1, 1, 3, 0.125, -1);
	CHECK(results_run_end(r, run, RUN_OK, NULL));
	results_close(r);
	sqlite3 *db = db_open();
	char t[32];
	qtext(db, "SELECT typeof(value) FROM run_stats WHERE key = 'undefined'", t, sizeof(t));
	CHECK_MSG(strcmp(t, "null") == 0, "NaN stat stored as %s", t);
	qtext(db, "SELECT typeof(value) FROM run_stats WHERE key = 'defined'", t, sizeof(t));
	CHECK_MSG(strcmp(t, "real") == 0, "0.25 stored as %s", t);
	CHECK_EQ(q1(db, "SELECT count(*) FROM frag WHERE seq = 0 AND internal_frag IS NULL AND total_overhead IS NULL"), 1);
	CHECK_EQ(q1(db, "SELECT count(*) FROM frag WHERE seq = 1 AND internal_frag = 0.5 AND total_overhead = 0.75"), 1);
	CHECK_EQ(q1(db, "SELECT count(*) FROM extfrag WHERE seq = 0 AND unusable IS NULL AND fragindex IS NULL"), 1);
	CHECK_EQ(q1(db, "SELECT count(*) FROM extfrag WHERE seq = 1 AND unusable = 0.125 AND fragindex = -1"), 1);
	sqlite3_close(db);
}

/* The file may grow no further: the next flush fails with SQLITE_FULL. */
static void db_freeze(sqlite3 *db)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", (long long)q1(db, "PRAGMA page_count"));
	sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static void t_write_error_is_sticky(void)
{
	db_reset();
	int64_t run;
	struct results *r = open_run(&run);
	if (!r)
		return;
	put_samples(r, run, 0, 10);
	CHECK(results_flush(r));
	db_freeze(results_db(r));
	put_samples(r, run, 10, 3000);
	CHECK(!results_flush(r));
	const char *e = results_error(r);
	CHECK_MSG(e && strcmp(e, "database or disk is full") == 0, "error: %s", e ? e : "(none)");
	sqlite3 *db = db_open();
	char buf[256];
	snprintf(buf, sizeof(buf), "SELECT status || ': ' || message FROM runs WHERE id = %lld", (long long)run);
	char t[256];
	qtext(db, buf, t, sizeof(t));
	CHECK_MSG(strcmp(t, "failed: database or disk is full: the run's results are incomplete") == 0, "row: %s", t);
	CHECK_EQ(q1(db, "SELECT count(*) FROM samples"), 0);   /* the 10 flushed rows are gone too */
	/* nothing is written after the error, and the end does not hide it */
	put_samples(r, run, 5000, 10);
	CHECK(!results_flush(r));
	CHECK(!results_run_end(r, run, RUN_OK, NULL));
	qtext(db, buf, t, sizeof(t));
	CHECK_MSG(strncmp(t, "failed: ", 8) == 0, "row after run_end: %s", t);
	CHECK_EQ(q1(db, "SELECT count(*) FROM samples"), 0);
	results_close(r);
	/* another writer of the same file is not affected */
	int64_t run2;
	r = open_run(&run2);
	if (r) {
		put_samples(r, run2, 0, 10);
		CHECK(results_run_end(r, run2, RUN_OK, NULL));
		results_close(r);
	}
	CHECK_EQ(q1(db, "SELECT count(*) FROM samples"), 10);
	sqlite3_close(db);
}

static struct sim *mk(uint64_t sample_every)
{
	params_init(&P);
	P.allocator = "buddy";
	P.db = dbpath;
	P.progress = false;
	P.sample_every = sample_every;
	physmem_config_init(&P.mem, 64 * MIB);
	char err[256];
	struct sim *s = sim_create(&P, err, sizeof(err));
	CHECK_MSG(s != NULL, "sim_create: %s", err);
	return s;
}

static void churn(struct sim *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sim_alloc(s, 64 + i % 4000, 0, i % 2, 0, 1000);
}

static void t_engine_stops_on_write_error(void)
{
	db_reset();
	struct sim *s = mk(10);
	if (!s)
		return;
	churn(s, 1000);
	CHECK(results_flush(s->res));
	db_freeze(results_db(s->res));
	churn(s, 100000);   /* about 60 samples fill the buffer: the flush fails, the run stops */
	CHECK_EQ(s->stop, RUN_FAILED);
	uint64_t events = s->st.events;
	CHECK(events < 1000 + 100000);
	CHECK_EQ(sim_alloc(s, 100, 0, 0, 0, 0), 0);
	CHECK_EQ(s->st.events, events);
	CHECK_EQ(sim_finish(s, RUN_OK), RUN_FAILED);
	CHECK_MSG(strstr(s->failmsg, "database or disk is full: the run's results are incomplete") != NULL,
		  "failmsg: %s", s->failmsg);
	int64_t run = s->run_id;
	sim_destroy(s);
	sqlite3 *db = db_open();
	char sql[128], t[64];
	snprintf(sql, sizeof(sql), "SELECT status FROM runs WHERE id = %lld", (long long)run);
	qtext(db, sql, t, sizeof(t));
	CHECK_MSG(strcmp(t, "failed") == 0, "status %s", t);
	sqlite3_close(db);
}

static void t_signal_interrupts_at_event_boundary(void)
{
	db_reset();
	struct sim *s = mk(100);
	if (!s)
		return;
	churn(s, 1000);
	sim_signal = SIGINT;           /* what the handler does */
	churn(s, 1);                   /* the event that sees it completes */
	sim_signal = 0;
	CHECK_EQ(s->stop, RUN_INTERRUPTED);
	CHECK_EQ(s->stop_signal, SIGINT);
	uint64_t events = s->st.events, now = s->now;
	CHECK_EQ(events, 1001);
	churn(s, 50);                  /* ignored: no event, no time */
	sim_advance(s, 1000000);
	sim_drain(s);
	CHECK_EQ(s->st.events, events);
	CHECK_EQ(s->now, now);
	CHECK(sim_stopped(s));
	CHECK_EQ(sim_finish(s, RUN_OK), RUN_INTERRUPTED);
	int64_t run = s->run_id;
	sim_destroy(s);
	sqlite3 *db = db_open();
	char sql[200], t[256];
	snprintf(sql, sizeof(sql), "SELECT status || ': ' || message FROM runs WHERE id = %lld", (long long)run);
	qtext(db, sql, t, sizeof(t));
	CHECK_MSG(strncmp(t, "interrupted: interrupted by SIGINT at event 1001 ", 49) == 0, "row: %s", t);
	/* samples at events 1, 101, ..., 1001 (the sample of event 1001 and
	 * the final one at the same event), and the summary says 1001 too */
	CHECK_EQ(q1(db, "SELECT count(DISTINCT events) FROM samples"), 11);
	CHECK_EQ(q1(db, "SELECT max(events) FROM samples"), 1001);
	CHECK_EQ(q1(db, "SELECT value FROM run_stats WHERE key = 'events'"), 1001);
	CHECK_EQ(q1(db, "SELECT value FROM run_stats WHERE key = 'allocs'"), 1001);
	sqlite3_close(db);
}

/* sim_stop: the general stop (limits use it); a failure replaces an interruption. */
static void t_sim_stop(void)
{
	db_reset();
	struct sim *s = mk(1000);
	if (!s)
		return;
	churn(s, 10);
	sim_stop(s, RUN_INTERRUPTED, "--max-events %d reached", 10);
	sim_stop(s, RUN_INTERRUPTED, "a second stop is ignored");
	CHECK_MSG(strcmp(s->failmsg, "--max-events 10 reached") == 0, "failmsg %s", s->failmsg);
	CHECK_EQ(s->stop_signal, 0);
	sim_stop(s, RUN_FAILED, "worse");
	CHECK_EQ(s->stop, RUN_FAILED);
	CHECK_MSG(strcmp(s->failmsg, "worse") == 0, "failmsg %s", s->failmsg);
	sim_stop(s, RUN_INTERRUPTED, "not better");
	CHECK_EQ(s->stop, RUN_FAILED);
	CHECK_EQ(sim_finish(s, RUN_OK), RUN_FAILED);
	sim_destroy(s);
	sqlite3 *db = db_open();
	char t[128];
	qtext(db, "SELECT status || ': ' || message FROM runs", t, sizeof(t));
	CHECK_MSG(strcmp(t, "failed: worse") == 0, "row: %s", t);
	sqlite3_close(db);
}

static void t_old_database_opens(void)
{
	db_reset();
	sqlite3 *db = db_open();
	CHECK_EQ(sqlite3_exec(db,
		"CREATE TABLE runs (id INTEGER PRIMARY KEY, study TEXT, allocator TEXT NOT NULL, input TEXT,"
		" params TEXT, seed INTEGER, mem_bytes INTEGER, cpus INTEGER, version TEXT,"
		" started TEXT, finished TEXT, status TEXT NOT NULL, message TEXT);"
		"INSERT INTO runs (allocator, status) VALUES ('slob', 'ok');", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	int64_t run;
	struct results *r = open_run(&run);
	if (!r)
		return;
	CHECK_EQ(run, 2);
	CHECK(results_run_end(r, run, RUN_OK, NULL));
	results_close(r);
	db = db_open();
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE id = 2 AND pid = %ld AND host IS NOT NULL"
		 " AND pid_start > 0", (long)getpid());
	CHECK_EQ(q1(db, sql), 1);
	CHECK_EQ(q1(db, "SELECT count(*) FROM runs WHERE id = 1 AND allocator = 'slob' AND status = 'ok' AND pid IS NULL"), 1);
	sqlite3_close(db);
}

static int64_t start_of(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoll(p + 1, NULL, 10) : -1;
}

static void t_abandoned_runs(void)
{
	db_reset();
	char err[256], host[256] = "";
	gethostname(host, sizeof(host) - 1);
	struct results *r = results_open(dbpath, err, sizeof(err));
	CHECK_MSG(r != NULL, "%s", err);
	if (!r)
		return;
	results_close(r);
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	pid_t zombie = fork();
	if (zombie == 0)
		_exit(0);
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	nanosleep(&ts, NULL);   /* it has exited; not waited for: a zombie */
	long me = (long)getpid();
	int64_t my_start = start_of(getpid());
	CHECK(my_start > 0);
	sqlite3 *db = db_open();
	char sql[4096];
	snprintf(sql, sizeof(sql),
		"INSERT INTO runs (id, allocator, status, host, pid, pid_start) VALUES"
		" (1, 'dead', 'running', '%s', %d, NULL),"
		" (2, 'zombie', 'running', '%s', %d, NULL),"
		" (3, 'live', 'running', '%s', %ld, %lld),"
		" (4, 'live-unknown-start', 'running', '%s', %ld, NULL),"
		" (5, 'reused', 'running', '%s', %ld, %lld),"
		" (6, 'other-host', 'running', 'not-%s', %d, NULL),"
		" (7, 'no-pid', 'running', '%s', NULL, NULL),"
		" (8, 'finished', 'ok', '%s', %d, NULL);",
		host, (int)dead, host, (int)zombie, host, me, (long long)my_start, host, me,
		host, me, (long long)my_start + 1, host, (int)dead, host, host, (int)dead);
	CHECK_EQ(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	r = results_open(dbpath, err, sizeof(err));
	CHECK(r != NULL);
	results_close(r);
	waitpid(zombie, NULL, 0);
	static const char *const want[] = { NULL, "abandoned", "abandoned", "running", "running", "abandoned",
					    "running", "running", "ok" };
	for (int id = 1; id <= 8; id++) {
		char t[256];
		snprintf(sql, sizeof(sql), "SELECT status FROM runs WHERE id = %d", id);
		qtext(db, sql, t, sizeof(t));
		CHECK_MSG(strcmp(t, want[id]) == 0, "run %d: %s, want %s", id, t, want[id]);
	}
	char t[256];
	qtext(db, "SELECT message FROM runs WHERE id = 1", t, sizeof(t));
	CHECK_MSG(strstr(t, "is gone") != NULL, "message: %s", t);
	/* readers (plot, compare) mark them too */
	snprintf(sql, sizeof(sql), "INSERT INTO runs (id, allocator, status, host, pid) VALUES"
		 " (9, 'dead-later', 'running', '%s', %d)", host, (int)dead);
	CHECK_EQ(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	results_reap(dbpath);
	qtext(db, "SELECT status FROM runs WHERE id = 9", t, sizeof(t));
	CHECK_MSG(strcmp(t, "abandoned") == 0, "run 9: %s", t);
	sqlite3_close(db);
}

int main(void)
{
	snprintf(dbpath, sizeof(dbpath), "/tmp/t_store.%d.db", (int)getpid());
	RUN(t_status_names);
	RUN(t_buffer_takes_no_lock);
	RUN(t_flush_waits_for_lock);
	RUN(t_nan_is_null);
	RUN(t_write_error_is_sticky);
	RUN(t_engine_stops_on_write_error);
	RUN(t_signal_interrupts_at_event_boundary);
	RUN(t_sim_stop);
	RUN(t_old_database_opens);
	RUN(t_abandoned_runs);
	db_reset();
	return check_done();
}
