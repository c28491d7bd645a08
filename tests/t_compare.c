/*
 * t_compare.c - the ranking rule, the failures text, the HTML escape and
 * the snapshot decoder, against answers worked out by hand:
 *
 *  - compare_rank: served runs before those that failed, whatever their
 *    metric; NaN after every defined value; ties by name, then run id;
 *  - compare_entry_read / compare_failures_format on a hand-made
 *    run_stats table: a missing count is not "served", NULL is NaN,
 *    reasons in fail_reason_names order, the unexplained rest "other";
 *  - report_escape: the five characters, nothing else;
 *  - runs_bitmap_decode inverts metrics_bitmap_encode (random ranges,
 *    checked against a naive bitmap), and refuses truncated blobs;
 *  - compare_ci95 against Student's t worked by hand; the ranking of back
 *    ends over seeds (means, CIs, "served" only if served in every seed)
 *    on a hand-made run_stats table; a run that ended early never served;
 *  - runs_select's groups (study, input, parameters but allocator and
 *    seed; the smallest seed the reference) and runs_group_title naming
 *    only the parameters that differ within a study;
 *  - runs_owners_decode on a blob written by hand.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "../sim/compare.h"
#include "../sim/metrics.h"
#include "../sim/physmem.h"
#include "../sim/report.h"
#include "../sim/runs.h"

static struct runs_run R[8];

static struct compare_entry E(int i, const char *alloc, int64_t id, double metric, bool served)
{
	snprintf(R[i].alloc, sizeof(R[i].alloc), "%s", alloc);
	R[i].id = id;
	return (struct compare_entry){ &R[i], metric, served };
}

static void t_rank_rule(void)
{
	/* nta has the smallest footprint but failed; slab's metric is
	 * undefined; zone and buddy tie (by name: buddy first); two slub runs
	 * tie (by id); the failed runs keep the same order among themselves. */
	struct compare_entry e[8] = {
		E(0, "nta", 6, 0.15, false),
		E(1, "slab", 3, NAN, true),
		E(2, "zone", 2, 0.73, true),
		E(3, "slub", 9, 0.90, true),
		E(4, "buddy", 1, 0.73, true),
		E(5, "slub", 4, 0.90, true),
		E(6, "slob", 5, NAN, false),
		E(7, "zone", 8, 0.01, false),
	};
	compare_rank(e, 8);
	static const char *const want[5] = { "buddy", "zone", "slub", "slub", "slab" };
	static const int64_t want_id[8] = { 1, 2, 4, 9, 3, 6, 8, 5 };
	/* failed ones: zone 0.01 < nta 0.15, then slob (NaN) -- by metric */
	static const int64_t want_id_failed[3] = { 8, 6, 5 };
	for (int i = 0; i < 5; i++) {
		CHECK_MSG(!strcmp(e[i].run->alloc, want[i]), "rank %d: %s, want %s", i + 1, e[i].run->alloc, want[i]);
		CHECK_EQ(e[i].run->id, want_id[i]);
		CHECK(e[i].served);
	}
	for (int i = 5; i < 8; i++) {
		CHECK(!e[i].served);
		CHECK_EQ(e[i].run->id, want_id_failed[i - 5]);
	}
	/* one element, no element */
	compare_rank(e, 1);
	compare_rank(e, 0);
	CHECK_EQ(e[0].run->id, 1);
}

static sqlite3 *mkdb(const char *path)
{
	unlink(path);
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return NULL;
	sqlite3_exec(db, "CREATE TABLE run_stats (run_id INTEGER, key TEXT, value REAL, PRIMARY KEY (run_id, key));"
		     /* run 1: served everything */
		     "INSERT INTO run_stats VALUES (1,'failed_allocs',0),(1,'page_failed',0),"
		     "(1,'peak_footprint_bytes',2097152),(1,'jw3_overhead_at_max_footprint',NULL);"
		     /* run 2: NTA on big requests */
		     "INSERT INTO run_stats VALUES (2,'failed_allocs',458),(2,'failed_too_big',458),(2,'page_failed',0),"
		     "(2,'peak_footprint_bytes',1048576);"
		     /* run 3: two reasons, trace page failures, and 2 failures no reason explains */
		     "INSERT INTO run_stats VALUES (3,'failed_allocs',17),(3,'failed_nomem',12),(3,'failed_pgtable',3),"
		     "(3,'page_failed',5);"
		     /* run 4: no failure counts at all */
		     "INSERT INTO run_stats VALUES (4,'peak_footprint_bytes',1);"
		     /* run 5: only page allocations failed */
		     "INSERT INTO run_stats VALUES (5,'failed_allocs',0),(5,'page_failed',2);",
		     NULL, NULL, NULL);
	return db;
}

static void t_failures_and_entries(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/t_compare_%d.db", (int)getpid());
	sqlite3 *db = mkdb(path);
	CHECK(db != NULL);
	if (!db)
		return;
	char buf[128];
	static const struct { int64_t run; const char *want; } cases[] = {
		{ 1, "none" }, { 2, "458 too_big" }, { 3, "12 nomem, 3 pgtable, 2 other, 5 page_alloc" },
		{ 4, "n/a" }, { 5, "2 page_alloc" }, { 6, "n/a" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		compare_failures_format(db, cases[i].run, buf, sizeof(buf));
		CHECK_MSG(!strcmp(buf, cases[i].want), "run %lld: '%s', want '%s'", (long long)cases[i].run, buf,
			  cases[i].want);
	}
	/* truncated to the buffer, never past it */
	char small[8];
	compare_failures_format(db, 3, small, sizeof(small));
	CHECK(strlen(small) < sizeof(small));

	const struct compare_metric *peak = compare_metric_lookup("peak"), *jw3 = compare_metric_lookup("jw3");
	CHECK(peak == &compare_metrics[0]);
	CHECK(jw3 != NULL);
	CHECK(compare_metric_lookup("jw9") == NULL);
	CHECK(compare_metric_lookup("") == NULL);
	struct runs_run r[6] = { { .id = 1 }, { .id = 2 }, { .id = 3 }, { .id = 4 }, { .id = 5 } };
	struct compare_entry e;
	compare_entry_read(db, &r[0], peak, &e);
	CHECK(e.served);
	CHECK(e.metric == 2.0);   /* MiB */
	compare_entry_read(db, &r[0], jw3, &e);
	CHECK(isnan(e.metric));    /* NULL in run_stats */
	compare_entry_read(db, &r[1], peak, &e);
	CHECK(!e.served);
	CHECK(e.metric == 1.0);
	compare_entry_read(db, &r[3], peak, &e);
	CHECK(!e.served);          /* no counts: not shown to have served */
	compare_entry_read(db, &r[4], peak, &e);
	CHECK(!e.served);          /* page allocations failed */
	CHECK(isnan(e.metric));    /* absent */
	/* the group ranking over these runs (group -1: all): 1 first, although
	 * run 2 and run 4 have smaller footprints */
	struct compare_entry ranked[6];
	int n = compare_group_rank(db, r, 5, -1, peak, ranked);
	CHECK_EQ(n, 5);
	CHECK_EQ(ranked[0].run->id, 1);
	CHECK_EQ(ranked[1].run->id, 4);   /* 1 byte */
	CHECK_EQ(ranked[2].run->id, 2);   /* 1 MiB */
	CHECK_EQ(ranked[3].run->id, 3);   /* NaN, then by id (empty names) */
	CHECK_EQ(ranked[4].run->id, 5);
	char names[128];
	compare_metric_names(names, sizeof(names));
	CHECK(!strcmp(names, "peak, final, jw1, jw2, jw3, jw4, int_frag"));
	sqlite3_close(db);
	unlink(path);
}

static void t_escape(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	report_escape(f, "<script>alert('x') & \"y\"</script> plain/é");
	report_escape(f, NULL);
	report_escape(f, "");
	fclose(f);
	CHECK_MSG(!strcmp(out, "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt; plain/é"), "'%s'", out);
	free(out);
}

/* ---- snapshot decoder against the encoder ---- */

struct collect { uint8_t *bits; uint64_t calls, total, last_hi; bool ordered; };

static void collect_run(void *ctx, uint64_t lo, uint64_t hi)
{
	struct collect *c = ctx;
	c->calls++;
	if (lo < c->last_hi || hi <= lo)
		c->ordered = false;
	c->last_hi = hi;
	for (uint64_t g = lo; g < hi && g < c->total; g++)
		c->bits[g] = 1;
}

static void t_bitmap_roundtrip(void)
{
	enum { TOTAL = 5000 };
	srand(7);
	for (int round = 0; round < 50; round++) {
		struct metrics_range rg[40];
		uint8_t naive[TOTAL] = { 0 }, got[TOTAL] = { 0 };
		size_t n = (size_t)(rand() % 40);
		for (size_t i = 0; i < n; i++) {
			uint64_t lo = (uint64_t)(rand() % TOTAL), len = (uint64_t)(rand() % 300);
			rg[i] = (struct metrics_range){ lo, MIN(lo + len, (uint64_t)TOTAL) };
			for (uint64_t g = rg[i].lo; g < rg[i].hi; g++)
				naive[g] = 1;
		}
		size_t blen;
		uint64_t used;
		uint8_t *blob = metrics_bitmap_encode(rg, n, TOTAL, &blen, &used);
		struct collect c = { got, 0, TOTAL, 0, true };
		CHECK(runs_bitmap_decode(blob, blen, TOTAL, collect_run, &c));
		CHECK(c.ordered);
		CHECK(!memcmp(naive, got, TOTAL));
		uint64_t nused = 0;
		for (int g = 0; g < TOTAL; g++)
			nused += got[g];
		CHECK_EQ(nused, used);
		/* a blob cut short is refused; a total too small is refused */
		if (blen > 1) {
			struct collect c2 = { got, 0, TOTAL, 0, true };
			bool whole = runs_bitmap_decode(blob, blen - 1, TOTAL, collect_run, &c2);
			(void)whole;   /* may end on a run boundary: then it is whole */
			c2 = (struct collect){ got, 0, TOTAL, 0, true };
			CHECK(!runs_bitmap_decode(blob, blen, TOTAL / 100, collect_run, &c2));
		}
		free(blob);
	}
	/* known answer: 3 unused, 2 used, 1 unused, 130 used (varint 0x82 0x01) */
	static const uint8_t b[] = { 3, 2, 1, 0x82, 0x01 };
	uint8_t bits[200] = { 0 };
	struct collect c = { bits, 0, 200, 0, true };
	CHECK(runs_bitmap_decode(b, sizeof(b), 200, collect_run, &c));
	CHECK_EQ(c.calls, 2);
	CHECK(bits[3] && bits[4] && !bits[5] && bits[6] && bits[135] && !bits[136] && !bits[2]);
	uint64_t v;
	static const uint8_t bad[] = { 0x80, 0x80 };
	CHECK(runs_varint_decode(bad, bad + 2, &v) == NULL);
	CHECK(runs_varint_decode(b + 3, b + 5, &v) == b + 5);
	CHECK_EQ(v, 130);
}

static bool near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * MAX(1.0, fabs(b));
}

static void t_ci95(void)
{
	double mean, half;
	/* 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.303: half = 4.303 / sqrt(3) */
	compare_ci95((const double[]){ 1, 2, 3 }, 3, &mean, &half);
	CHECK(near(mean, 2.0));
	CHECK_MSG(near(half, 4.303 / sqrt(3.0)), "half %.9f", half);
	/* two values 10, 14: s = 2.828..., t(0.975, 1) = 12.706: half = 12.706 * 2 */
	compare_ci95((const double[]){ 10, 14 }, 2, &mean, &half);
	CHECK(near(mean, 12.0));
	CHECK_MSG(near(half, 12.706 * sqrt(8.0) / sqrt(2.0)), "half %.9f", half);
	/* one value: a mean, no interval; none: nothing; a NaN: undefined */
	compare_ci95((const double[]){ 5 }, 1, &mean, &half);
	CHECK(near(mean, 5.0) && isnan(half));
	compare_ci95(NULL, 0, &mean, &half);
	CHECK(isnan(mean) && isnan(half));
	compare_ci95((const double[]){ 1, NAN, 3 }, 3, &mean, &half);
	CHECK(isnan(mean) && isnan(half));
	/* 41 values alternating 0 and 2 (and one more 0): df 40, t ~ 1.96 + 2.4/40 = 2.02 */
	double v[41];
	for (int i = 0; i < 41; i++)
		v[i] = (i % 2) * 2.0;
	compare_ci95(v, 41, &mean, &half);
	double m = 40.0 / 41, ss = 0;
	for (int i = 0; i < 41; i++)
		ss += (v[i] - m) * (v[i] - m);
	CHECK(near(mean, m));
	CHECK_MSG(near(half, 2.02 * sqrt(ss / 40) / sqrt(41.0)), "half %.9f", half);
}

static void t_over_seeds(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/t_compare_seeds_%d.db", (int)getpid());
	unlink(path);
	sqlite3 *db;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	/* slub: peak 3, 4, 5 MiB, all served; slab: 1, 1, 1 MiB, seed 3 failed
	 * 2 allocations; zone: 6, 6 MiB served, but seed 2's run was interrupted */
	sqlite3_exec(db, "CREATE TABLE run_stats (run_id INTEGER, key TEXT, value REAL, PRIMARY KEY (run_id, key));"
		     "INSERT INTO run_stats VALUES (1,'peak_footprint_bytes',3145728),(1,'failed_allocs',0),(1,'page_failed',0),"
		     "(2,'peak_footprint_bytes',4194304),(2,'failed_allocs',0),(2,'page_failed',0),"
		     "(3,'peak_footprint_bytes',5242880),(3,'failed_allocs',0),(3,'page_failed',0),"
		     "(4,'peak_footprint_bytes',1048576),(4,'failed_allocs',0),(4,'page_failed',0),"
		     "(5,'peak_footprint_bytes',1048576),(5,'failed_allocs',0),(5,'page_failed',0),"
		     "(6,'peak_footprint_bytes',1048576),(6,'failed_allocs',2),(6,'failed_nomem',2),(6,'page_failed',0),"
		     "(7,'peak_footprint_bytes',6291456),(7,'failed_allocs',0),(7,'page_failed',0),"
		     "(8,'peak_footprint_bytes',6291456),(8,'failed_allocs',0),(8,'page_failed',0);",
		     NULL, NULL, NULL);
	struct runs_run r[9];
	memset(r, 0, sizeof(r));
	static const char *const alloc[] = { "slub", "slub", "slub", "slab", "slab", "slab", "zone", "zone", "slub" };
	static const uint64_t seed[] = { 1, 2, 3, 1, 2, 3, 1, 2, 1 };
	for (int i = 0; i < 9; i++) {
		r[i].id = i + 1;
		snprintf(r[i].alloc, sizeof(r[i].alloc), "%s", alloc[i]);
		snprintf(r[i].status, sizeof(r[i].status), "ok");
		r[i].seed = seed[i];
		r[i].group = i < 8 ? 0 : 1;   /* run 9: another group, never mixed in */
	}
	snprintf(r[7].status, sizeof(r[7].status), "interrupted");
	snprintf(r[7].message, sizeof(r[7].message), "SIGINT");
	CHECK(runs_ended_early(&r[7]) && !runs_ended_early(&r[0]));
	struct compare_entry e[9];
	int n = compare_group_rank_backends(db, r, 9, 0, compare_metric_lookup("peak"), e);
	CHECK_EQ(n, 3);
	/* slub served everywhere: first, mean 4 MiB, half-width t(2) * 1 / sqrt 3 */
	CHECK(!strcmp(e[0].run->alloc, "slub") && e[0].served && e[0].nruns == 3);
	CHECK(near(e[0].metric, 4.0) && near(e[0].ci95, 4.303 / sqrt(3.0)));
	CHECK_EQ(e[0].run->id, 1);   /* the reference seed's run */
	/* then slab (1 MiB, smaller, but seed 3 failed) and zone (interrupted): by metric */
	CHECK(!strcmp(e[1].run->alloc, "slab") && !e[1].served && near(e[1].metric, 1.0) && near(e[1].ci95, 0.0));
	CHECK(!strcmp(e[2].run->alloc, "zone") && !e[2].served && e[2].nruns == 2);
	/* the failures text of the interrupted run leads with how it ended */
	char buf[128];
	compare_run_failures_format(db, &r[7], buf, sizeof(buf));
	CHECK_MSG(!strcmp(buf, "interrupted (SIGINT)"), "'%s'", buf);
	compare_run_failures_format(db, &r[5], buf, sizeof(buf));
	CHECK_MSG(!strcmp(buf, "2 nomem"), "'%s'", buf);
	snprintf(r[5].status, sizeof(r[5].status), "failed");
	compare_run_failures_format(db, &r[5], buf, sizeof(buf));
	CHECK_MSG(!strcmp(buf, "failed; 2 nomem"), "'%s'", buf);
	sqlite3_close(db);
	unlink(path);
}

static void t_groups(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/t_compare_groups_%d.db", (int)getpid());
	unlink(path);
	sqlite3 *db;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	/* study s: exhaust on 16 MiB (seeds 2 and 1), on 32 MiB; study t:
	 * exhaust on 16 MiB with set.n=5 and n=6; a run still running */
	sqlite3_exec(db, "CREATE TABLE runs (id INTEGER PRIMARY KEY, study TEXT, allocator TEXT, input TEXT, params TEXT,"
		     " seed INTEGER, mem_bytes INTEGER, status TEXT, message TEXT);"
		     "INSERT INTO runs VALUES (1,'s','slub','w/exhaust.lua','allocator=slub mem=16777216 seed=2 cpus=2',2,16777216,'ok',NULL),"
		     "(2,'s','slab','w/exhaust.lua','allocator=slab mem=16777216 seed=2 cpus=2',2,16777216,'failed','boom'),"
		     "(3,'s','slub','w/exhaust.lua','allocator=slub mem=16777216 seed=1 cpus=2',1,16777216,'ok',NULL),"
		     "(4,'s','slub','w/exhaust.lua','allocator=slub mem=33554432 seed=1 cpus=2',1,33554432,'ok',NULL),"
		     "(5,'t','slub','w/exhaust.lua','allocator=slub mem=16777216 seed=1 cpus=2 set.n=5',1,16777216,'ok',NULL),"
		     "(6,'t','slub','w/exhaust.lua','allocator=slub mem=16777216 seed=1 cpus=2 set.n=6',1,16777216,'interrupted','x'),"
		     "(7,'t','slub','w/exhaust.lua','allocator=slub mem=16777216 seed=1 cpus=2 set.n=6',1,16777216,'running',NULL);",
		     NULL, NULL, NULL);
	static struct runs_run r[RUNS_MAX];
	int n = runs_select(db, NULL, 0, NULL, r);
	CHECK_EQ(n, 6);   /* the running one is not drawn */
	CHECK(r[0].group == 0 && r[1].group == 0 && r[2].group == 0);   /* seeds and back ends of one experiment */
	CHECK(r[3].group == 1 && r[4].group == 2 && r[5].group == 3);
	CHECK(!r[0].reference && !r[1].reference && r[2].reference && r[3].reference);
	CHECK(!strcmp(r[1].status, "failed") && !strcmp(r[1].message, "boom") && runs_ended_early(&r[1]));
	CHECK(!strcmp(r[5].status, "interrupted"));
	char t[256];
	runs_group_title(r, n, 0, t, sizeof(t));
	CHECK_MSG(!strcmp(t, "exhaust, mem 16 MiB"), "'%s'", t);
	runs_group_title(r, n, 1, t, sizeof(t));
	CHECK_MSG(!strcmp(t, "exhaust, mem 32 MiB"), "'%s'", t);
	runs_group_title(r, n, 2, t, sizeof(t));   /* study t: only n differs (mem is the same there) */
	CHECK_MSG(!strcmp(t, "exhaust, n=5"), "'%s'", t);
	runs_group_title(r, n, 3, t, sizeof(t));
	CHECK_MSG(!strcmp(t, "exhaust, n=6"), "'%s'", t);
	/* one study alone: no parameter differs */
	n = runs_select(db, NULL, 0, "s", r);
	CHECK_EQ(n, 4);
	n = runs_select(db, (const int64_t[]){ 4 }, 1, NULL, r);
	CHECK_EQ(n, 1);
	runs_group_title(r, n, 0, t, sizeof(t));
	CHECK_MSG(!strcmp(t, "exhaust"), "'%s'", t);
	sqlite3_close(db);
	unlink(path);
}

struct owners { unsigned code[8]; uint64_t lo[8], hi[8]; int n; };

static void owners_run(void *ctx, unsigned code, uint64_t lo, uint64_t hi)
{
	struct owners *o = ctx;
	if (o->n < 8) {
		o->code[o->n] = code;
		o->lo[o->n] = lo;
		o->hi[o->n++] = hi;
	}
}

static void t_owners(void)
{
	/* (code, id, count): 300 reserved frames (count 300 = 0xac 0x02), 2
	 * slab frames of cache 7, 0 frames of anything (skipped), 10 free */
	static const uint8_t b[] = { SNAP_RESERVED, 0, 0xac, 0x02, SNAP_OWNER_BASE + OWNER_SLAB, 7, 2, 9, 0, 0,
				     SNAP_FREE, 0, 10 };
	struct owners o = { .n = 0 };
	CHECK(runs_owners_decode(b, sizeof(b), 312, owners_run, &o));
	CHECK_EQ(o.n, 3);
	CHECK(o.code[0] == SNAP_RESERVED && o.lo[0] == 0 && o.hi[0] == 300);
	CHECK(o.code[1] == SNAP_OWNER_BASE + OWNER_SLAB && o.lo[1] == 300 && o.hi[1] == 302);
	CHECK(o.code[2] == SNAP_FREE && o.lo[2] == 302 && o.hi[2] == 312);
	/* past the machine, or cut in a triple: refused */
	o.n = 0;
	CHECK(!runs_owners_decode(b, sizeof(b), 311, owners_run, &o));
	o.n = 0;
	CHECK(!runs_owners_decode(b, 5, 312, owners_run, &o));
}

int main(void)
{
	RUN(t_rank_rule);
	RUN(t_ci95);
	RUN(t_over_seeds);
	RUN(t_groups);
	RUN(t_owners);
	RUN(t_failures_and_entries);
	RUN(t_escape);
	RUN(t_bitmap_roundtrip);
	return check_done();
}
