/*
 * t_metrics.c - the metrics against answers worked out by hand, and the
 * snapshots against an independent recomputation:
 *
 *  - Gorman's indices for hand-built buddy states (numbers in comments);
 *  - the extfrag rows a run writes agree with its own buddy rows,
 *    recomputed here from DESIGN.md's formulas in floating point;
 *  - Johnstone & Wilson's four measures and internal fragmentation on a
 *    five-event script with hand-computed R and F;
 *  - the bitmap encoder against a naive bitmap for nested, overlapping
 *    and repeated ranges;
 *  - a snapshot's granule bitmap, decoded here from its RLE blob, equals
 *    the bitmap the test builds from its own list of live objects and
 *    page allocations; its owners blob agrees with the frame counts;
 *  - every registered back end with a walk(): each live object's bytes
 *    are marked used, in frames the back end owns;
 *  - a 64 GiB machine with 20000 live objects gives a snapshot of less
 *    than 4 MiB.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "../sim/engine.h"
#include "../sim/kvm.h"
#include "../sim/metrics.h"
#include "../sim/results.h"
#include "../allocators/allocator.h"
#include "../sim/page_buddy.h"

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) < 1e-9)

static struct params P;
static char dbpath[64];
static enum backing mk_backing = BACKING_DIRECT;   /* kernel map of the next mk() */

/* A fresh database: the file and its WAL companions. */
static void db_reset(void)
{
	char path[80];
	unlink(dbpath);
	snprintf(path, sizeof(path), "%s-wal", dbpath);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", dbpath);
	unlink(path);
}

static struct sim *mk(const char *alloc, uint64_t mem, bool db, uint64_t sample_every)
{
	params_init(&P);
	P.allocator = alloc;
	P.db = db ? dbpath : NULL;
	P.check_every = 1;
	P.progress = false;
	P.sample_every = sample_every;
	P.backing = mk_backing;
	physmem_config_init(&P.mem, mem);
	char err[256];
	struct sim *s = sim_create(&P, err, sizeof(err));
	if (!s)
		printf("#   sim_create(%s): %s\n", alloc, err);
	return s;
}

static void ev(struct sim *s, int kind, uint64_t key, uint32_t size)
{
	struct event e = { .kind = (uint16_t)kind, .key = key, .size = size };
	sim_event(s, &e);
}

/* ---- Gorman's indices ---- */

static void t_gorman_hand_cases(void)
{
	uint64_t nr[11] = { 0 };
	struct metrics_contig ci;
	/* Free blocks {order 0: 10, order 3: 1}: free_pages = 10 + 8 = 18,
	 * free_blocks_total = 11.
	 * Order 2: suitable = 1 << (3 - 2) = 2 blocks of 4 pages;
	 *   unusable = (18 - 2*4) * 1000 / 18 = 10000 / 18 = 555 (0.555);
	 *   fragindex = -1000 (an order-2 allocation would succeed). */
	nr[0] = 10;
	nr[3] = 1;
	metrics_contig_fill(nr, 11, 2, &ci);
	CHECK_EQ(ci.free_pages, 18);
	CHECK_EQ(ci.free_blocks_total, 11);
	CHECK_EQ(ci.free_blocks_suitable, 2);
	CHECK_EQ(metrics_unusable_index(2, &ci), 555);
	CHECK_EQ(metrics_fragmentation_index(2, &ci), -1000);
	/* Order 0: every free page is usable: unusable = 0. */
	metrics_contig_fill(nr, 11, 0, &ci);
	CHECK_EQ(ci.free_blocks_suitable, 18);
	CHECK_EQ(metrics_unusable_index(0, &ci), 0);
	/* Order 3: suitable = 1; unusable = (18 - 8) * 1000 / 18 = 555. */
	metrics_contig_fill(nr, 11, 3, &ci);
	CHECK_EQ(metrics_unusable_index(3, &ci), 555);
	/* Order 4: no suitable block: unusable = 18000 / 18 = 1000;
	 * fragindex = 1000 - (1000 + 18*1000/16) / 11 = 1000 - 2125/11
	 *           = 1000 - 193 = 807 (0.807: mostly fragmentation). */
	metrics_contig_fill(nr, 11, 4, &ci);
	CHECK_EQ(ci.free_blocks_suitable, 0);
	CHECK_EQ(metrics_unusable_index(4, &ci), 1000);
	CHECK_EQ(metrics_fragmentation_index(4, &ci), 807);
	/* Four free order-0 pages, order 1 requested:
	 * fragindex = 1000 - (1000 + 4000/2) / 4 = 1000 - 750 = 250. */
	memset(nr, 0, sizeof(nr));
	nr[0] = 4;
	metrics_contig_fill(nr, 11, 1, &ci);
	CHECK_EQ(metrics_fragmentation_index(1, &ci), 250);
	CHECK_EQ(metrics_unusable_index(1, &ci), 1000);
	/* 1000 order-0 pages, order 10: 1000 - (1000 + 1000000/1024)/1000
	 * = 1000 - (1000 + 976)/1000 = 1000 - 1 = 999 (all fragmentation). */
	nr[0] = 1000;
	metrics_contig_fill(nr, 11, 10, &ci);
	CHECK_EQ(metrics_fragmentation_index(10, &ci), 999);
	/* Nothing free: the kernel says unusable 1000 and fragindex 0. */
	memset(nr, 0, sizeof(nr));
	metrics_contig_fill(nr, 11, 3, &ci);
	CHECK_EQ(metrics_unusable_index(3, &ci), 1000);
	CHECK_EQ(metrics_fragmentation_index(3, &ci), 0);
}

/* The same state built in a real buddy allocator: a 16-frame zone whose
 * free lists end as {order 0: 2, order 2: 1} after the test's own
 * allocations (worked out below), read through the zone's nr_free. */
static void t_gorman_real_buddy(void)
{
	static struct frame fr[64];
	struct buddy b;
	memset(fr, 0, sizeof(fr));
	buddy_init(&b, fr, 64, 4);
	buddy_zone_add(&b, ZONE_DMA, 0, 16);
	buddy_range_free(&b, 0, 16);           /* one order-4 block */
	/* alloc order 0 -> split 16 into 8+4+2+1+1: takes pfn 0; free lists
	 * {0: [1], 1: [2], 2: [4], 3: [8]}. alloc order 3 -> pfn 8.
	 * alloc order 1 -> pfn 2. Left: {0: pfn 1, 2: pfn 4}: 5 pages. */
	CHECK_EQ(buddy_alloc(&b, 0, GFP_DMA), 0);
	CHECK_EQ(buddy_alloc(&b, 3, GFP_DMA), 8);
	CHECK_EQ(buddy_alloc(&b, 1, GFP_DMA), 2);
	uint64_t nr[5];
	for (int o = 0; o < 5; o++)
		nr[o] = b.zone[ZONE_DMA].area[o].nr_free;
	CHECK_EQ(nr[0], 1);
	CHECK_EQ(nr[2], 1);
	struct metrics_contig ci;
	/* order 1: suitable = 1 << 1 = 2; unusable = (5 - 4) * 1000 / 5 = 200 */
	metrics_contig_fill(nr, 5, 1, &ci);
	CHECK_EQ(metrics_unusable_index(1, &ci), 200);
	CHECK_EQ(metrics_fragmentation_index(1, &ci), -1000);
	/* order 3: none; fragindex = 1000 - (1000 + 5000/8) / 2 = 1000 - 812 = 188 */
	metrics_contig_fill(nr, 5, 3, &ci);
	CHECK_EQ(metrics_unusable_index(3, &ci), 1000);
	CHECK_EQ(metrics_fragmentation_index(3, &ci), 188);
}

/* ---- database helpers ---- */

static sqlite3 *db_open(void)
{
	sqlite3 *db = NULL;
	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		printf("#   cannot open %s\n", dbpath);
	return db;
}

static double db_double(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	double v = NAN;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_double(st, 0);
	else
		printf("#   query failed: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return v;
}

/* The extfrag rows must follow from the buddy rows of the same sample by
 * DESIGN.md's formulas (computed here in floating point, then truncated
 * to three decimals as the kernel's integer arithmetic does). */
static void t_extfrag_rows_agree(void)
{
	db_reset();
	struct sim *s = mk("buddy", 64 * MIB, true, 50);
	for (uint64_t k = 1; k <= 600; k++)
		ev(s, EV_ALLOC, k, (uint32_t)(100 + (k * 7919) % 40000));
	for (uint64_t k = 1; k <= 600; k += 3)
		ev(s, EV_FREE, k, 0);
	sim_finish(s, RUN_OK);
	int64_t run = s->run_id;
	sim_destroy(s);
	sqlite3 *db = db_open();
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT seq, zone, ord, free_blocks FROM buddy WHERE run_id=%lld ORDER BY seq, zone, ord",
		 (long long)run);
	sqlite3_stmt *st, *q;
	sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	sqlite3_prepare_v2(db, "SELECT unusable, fragindex FROM extfrag WHERE run_id=? AND seq=? AND zone=? AND ord=?", -1, &q, NULL);
	/* gather per (seq, zone) */
	long long cur_seq = -1;
	char cur_zone[16] = "";
	double nr[11];
	int n = 0, checked = 0, bad = 0;
	for (int rc = sqlite3_step(st);; rc = sqlite3_step(st)) {
		bool row = rc == SQLITE_ROW;
		long long seq = row ? sqlite3_column_int64(st, 0) : -2;
		const char *zone = row ? (const char *)sqlite3_column_text(st, 1) : "";
		if ((seq != cur_seq || strcmp(zone, cur_zone)) && n == 11) {
			double free = 0, blocks = 0;
			for (int o = 0; o < 11; o++) {
				free += nr[o] * ldexp(1, o);
				blocks += nr[o];
			}
			for (int j = 0; j < 11 && !bad; j++) {
				double suitable_pages = 0;
				for (int o = j; o < 11; o++)
					suitable_pages += nr[o] * ldexp(1, o);
				double unusable = free > 0 ? (free - suitable_pages) / free : 1.0;
				double fi = blocks == 0 ? 0 : suitable_pages > 0 ? -1.0
					  : 1.0 - (1.0 + free / ldexp(1, j)) / blocks;
				sqlite3_reset(q);
				sqlite3_bind_int64(q, 1, run);
				sqlite3_bind_int64(q, 2, cur_seq);
				sqlite3_bind_text(q, 3, cur_zone, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int(q, 4, j);
				if (sqlite3_step(q) != SQLITE_ROW) {
					bad = 1;
					CHECK_MSG(0, "no extfrag row for seq %lld zone %s order %d", cur_seq, cur_zone, j);
					break;
				}
				double u = sqlite3_column_double(q, 0), f = sqlite3_column_double(q, 1);
				/* the kernel truncates at each integer division: allow 2/1000 */
				if (fabs(u - unusable) > 0.0015 || fabs(f - fi) > 0.0025) {
					bad = 1;
					CHECK_MSG(0, "seq %lld zone %s order %d: stored %.3f %.3f, recomputed %.4f %.4f",
						  cur_seq, cur_zone, j, u, f, unusable, fi);
				}
				checked++;
			}
		}
		if (!row)
			break;
		if (seq != cur_seq || strcmp(zone, cur_zone)) {
			cur_seq = seq;
			snprintf(cur_zone, sizeof(cur_zone), "%s", zone);
			n = 0;
		}
		if (n < 11)
			nr[n++] = sqlite3_column_double(st, 3);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(q);
	CHECK(checked > 100);
	/* frag rows: one per sample, internal = (A-R)/A from the samples row */
	snprintf(sql, sizeof(sql),
		 "SELECT max(abs(f.internal_frag - (s.allocated - s.requested) * 1.0 / s.allocated))"
		 " FROM frag f JOIN samples s USING (run_id, seq) WHERE run_id=%lld", (long long)run);
	CHECK(db_double(db, sql) < 1e-12);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM frag WHERE run_id=%lld", (long long)run);
	double nfrag = db_double(db, sql);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM samples WHERE run_id=%lld", (long long)run);
	CHECK(nfrag == db_double(db, sql) && nfrag >= 16);
	sqlite3_close(db);
}

/* ---- Johnstone & Wilson on a script ---- */

struct kv { const char *k; double v; bool seen; };
static struct kv want[16];
static void grab(void *ctx, const char *key, double v)
{
	(void)ctx;
	for (int i = 0; want[i].k; i++)
		if (!strcmp(want[i].k, key)) {
			want[i].v = v;
			want[i].seen = true;
		}
}
static double got(const char *key)
{
	for (int i = 0; want[i].k; i++)
		if (!strcmp(want[i].k, key)) {
			if (!want[i].seen)
				printf("#   %s not reported\n", key);
			return want[i].v;
		}
	return NAN;
}

static void t_jw_script(void)
{
	/* The buddy back end gives each object 2^order whole pages, so
	 * F = A = pages held * 4096 (no metadata, no page tables when direct).
	 * Sampled after every event:
	 *   event            R      F      (F-R)/R           (A-R)/A
	 *   alloc a 100      100    4096   3996/100          3996/4096
	 *   alloc b 5000     5100   12288  7188/5100         7188/12288
	 *   free a           5000   8192   3192/5000
	 *   alloc c 3000     8000   12288  4288/8000
	 *   free b           3000   4096   1096/3000         1096/4096
	 * #1 mean of the five ratios; #2 at max R (8000): 4288/8000 = 0.536;
	 * #3 at max F (12288, first reached with R = 5100): 7188/5100;
	 * #4 (12288 - 8000)/8000 = 0.536. Peak internal 3996/4096,
	 * final internal 1096/4096, final total overhead (F-R)/F = 1096/4096.
	 * The final sample of sim_finish repeats the last state and must not
	 * count twice in #1. */
	struct sim *s = mk("buddy", 64 * MIB, false, 1);
	ev(s, EV_ALLOC, 0xa, 100);
	ev(s, EV_ALLOC, 0xb, 5000);
	ev(s, EV_FREE, 0xa, 0);
	ev(s, EV_ALLOC, 0xc, 3000);
	ev(s, EV_FREE, 0xb, 0);
	CHECK_EQ(sim_footprint_bytes(s), 4096);
	sim_finish(s, RUN_OK);
	memset(want, 0, sizeof(want));
	const char *keys[] = { "jw1_mean_overhead", "jw2_overhead_at_max_live", "jw3_overhead_at_max_footprint",
			       "jw4_max_footprint_over_max_live", "peak_internal_frag", "final_internal_frag",
			       "final_total_overhead", "mean_internal_frag" };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		want[i].k = keys[i];
	sim_report(s, grab, NULL);
	double jw1 = (3996.0 / 100 + 7188.0 / 5100 + 3192.0 / 5000 + 4288.0 / 8000 + 1096.0 / 3000) / 5;
	CHECK_MSG(NEAR(got("jw1_mean_overhead"), jw1), "jw1 %.9f want %.9f", got("jw1_mean_overhead"), jw1);
	CHECK(NEAR(got("jw2_overhead_at_max_live"), 0.536));
	CHECK(NEAR(got("jw3_overhead_at_max_footprint"), 7188.0 / 5100));
	CHECK(NEAR(got("jw4_max_footprint_over_max_live"), 0.536));
	CHECK(NEAR(got("peak_internal_frag"), 3996.0 / 4096));
	CHECK(NEAR(got("final_internal_frag"), 1096.0 / 4096));
	CHECK(NEAR(got("final_total_overhead"), 1096.0 / 4096));
	double in_mean = (3996.0 / 4096 + 7188.0 / 12288 + 3192.0 / 8192 + 4288.0 / 12288 + 1096.0 / 4096) / 5;
	CHECK(NEAR(got("mean_internal_frag"), in_mean));
	sim_destroy(s);

	/* The same script sampled only at the end: #2-#4 come from the
	 * engine's per-event peaks and must not depend on the sampling. */
	s = mk("buddy", 64 * MIB, false, 1000000);
	ev(s, EV_ALLOC, 0xa, 100);
	ev(s, EV_ALLOC, 0xb, 5000);
	ev(s, EV_FREE, 0xa, 0);
	ev(s, EV_ALLOC, 0xc, 3000);
	ev(s, EV_FREE, 0xb, 0);
	sim_finish(s, RUN_OK);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		want[i].seen = 0;
	sim_report(s, grab, NULL);
	CHECK(NEAR(got("jw2_overhead_at_max_live"), 0.536));
	CHECK(NEAR(got("jw3_overhead_at_max_footprint"), 7188.0 / 5100));
	CHECK(NEAR(got("jw4_max_footprint_over_max_live"), 0.536));
	sim_destroy(s);
}

/* ---- snapshots ---- */

static const uint8_t *varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; p < end && shift < 64; shift += 7) {
		uint8_t b = *p++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return p;
	}
	return NULL;
}

struct snap {
	uint64_t nframes, granule, used;
	uint8_t *bits;       /* one byte per granule (decoded), NULL on error */
	uint8_t *code;       /* one byte per frame */
	size_t owners_len, bitmap_len;
};

/* Read the last snapshot of run from the database and decode both blobs. */
static bool snap_load(int64_t run, struct snap *sn)
{
	memset(sn, 0, sizeof(*sn));
	sqlite3 *db = db_open();
	sqlite3_stmt *st;
	bool ok = false;
	sqlite3_prepare_v2(db, "SELECT nframes, granule, used_granules, owners, bitmap FROM snapshots"
			   " WHERE run_id=? ORDER BY seq DESC LIMIT 1", -1, &st, NULL);
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) != SQLITE_ROW) {
		printf("#   no snapshot row for run %lld\n", (long long)run);
		goto out;
	}
	sn->nframes = (uint64_t)sqlite3_column_int64(st, 0);
	sn->granule = (uint64_t)sqlite3_column_int64(st, 1);
	sn->used = (uint64_t)sqlite3_column_int64(st, 2);
	uint64_t per = 4096 / sn->granule, total = sn->nframes * per;
	sn->bits = calloc(total, 1);
	sn->code = calloc(sn->nframes, 1);
	const uint8_t *p = sqlite3_column_blob(st, 4), *end = p + sqlite3_column_bytes(st, 4);
	sn->bitmap_len = (size_t)sqlite3_column_bytes(st, 4);
	uint64_t pos = 0, v;
	for (int used = 0; p && p < end; used ^= 1) {
		p = varint(p, end, &v);
		if (!p || pos + v > total) {
			printf("#   bitmap RLE overruns at granule %llu\n", (unsigned long long)pos);
			goto out;
		}
		if (used)
			memset(sn->bits + pos, 1, v);
		pos += v;
	}
	if (pos != total) {
		printf("#   bitmap RLE covers %llu of %llu granules\n", (unsigned long long)pos, (unsigned long long)total);
		goto out;
	}
	p = sqlite3_column_blob(st, 3);
	end = p + sqlite3_column_bytes(st, 3);
	sn->owners_len = (size_t)sqlite3_column_bytes(st, 3);
	pos = 0;
	while (p && p < end) {
		uint64_t code, id, n;
		p = varint(p, end, &code);
		if (p) p = varint(p, end, &id);
		if (p) p = varint(p, end, &n);
		if (!p || pos + n > sn->nframes) {
			printf("#   owners RLE broken at frame %llu\n", (unsigned long long)pos);
			goto out;
		}
		memset(sn->code + pos, (int)code, n);
		pos += n;
	}
	ok = pos == sn->nframes;
	if (!ok)
		printf("#   owners RLE covers %llu of %llu frames\n", (unsigned long long)pos, (unsigned long long)sn->nframes);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ok;
}

/* The encoder against a naive bitmap, with ranges that nest, overlap,
 * touch, repeat, run past the end and are empty. */
static void t_bitmap_encode_ranges(void)
{
	enum { TOTAL = 5000, N = 400 };
	struct rng r;
	rng_seed(&r, 11);
	static uint8_t expect[TOTAL];
	for (int round = 0; round < 50; round++) {
		struct metrics_range *rg = malloc(N * sizeof(*rg));
		size_t n = round == 0 ? 0 : 1 + rng_below(&r, N);
		for (size_t i = 0; i < n; i++) {
			uint64_t lo = rng_below(&r, TOTAL + 50), len = rng_below(&r, i % 7 == 0 ? 900 : 40);
			rg[i] = (struct metrics_range){ lo, lo + len };
		}
		if (n > 3)
			rg[n - 1] = rg[n - 2];   /* a repeat */
		memset(expect, 0, sizeof(expect));
		for (size_t i = 0; i < n; i++)
			for (uint64_t g = rg[i].lo; g < rg[i].hi && g < TOTAL; g++)
				expect[g] = 1;
		size_t len;
		uint64_t used, pos = 0, count = 0;
		uint8_t *blob = metrics_bitmap_encode(rg, n, TOTAL, &len, &used);
		const uint8_t *p = blob, *end = blob + len;
		int bad = 0;
		for (int on = 0; p && p < end; on ^= 1) {
			uint64_t v;
			p = varint(p, end, &v);
			if (!p || pos + v > TOTAL || (v == 0 && pos > 0)) {
				bad = 1;
				break;
			}
			for (uint64_t g = pos; g < pos + v; g++)
				bad |= expect[g] != on;
			pos += v;
		}
		for (uint64_t g = 0; g < TOTAL; g++)
			count += expect[g];
		CHECK_MSG(!bad && pos == TOTAL && used == count, "round %d: %zu ranges: decoded %llu of %d granules, used %llu want %llu",
			  round, n, (unsigned long long)pos, TOTAL, (unsigned long long)used, (unsigned long long)count);
		free(blob);
		free(rg);
	}
}

static void snap_free(struct snap *sn)
{
	free(sn->bits);
	free(sn->code);
}

/* The buddy back end has no walk(): the snapshot pictures the engine's
 * object table. With the mapped kernel map a multi-page object lies in
 * scattered frames, so the expectation is built granule by granule
 * through kvm_va_to_pfn. */
static void snapshot_bitmap_buddy(enum backing backing)
{
	enum { N = 300 };
	static uint32_t size[N + 1];
	db_reset();
	mk_backing = backing;
	struct sim *s = mk("buddy", 64 * MIB, true, 1000);
	mk_backing = BACKING_DIRECT;
	if (!s) {
		CHECK(s != NULL);
		return;
	}
	for (uint64_t k = 1; k <= N; k++) {
		size[k] = (uint32_t)(1 + (k * 2654435761u) % 20000);
		ev(s, EV_ALLOC, k, size[k]);
	}
	for (uint64_t k = 2; k <= N; k += 2) {
		ev(s, EV_FREE, k, 0);
		size[k] = 0;
	}
	ev(s, EV_PAGE_ALLOC, 0x777, 2);        /* a trace page allocation: 4 whole pages */
	metrics_snapshot(s, "t");
	/* the test's own expectation, from its object list */
	uint64_t per = 4096 / 32, total = (uint64_t)s->pm->nframes * per;
	uint8_t *want_bits = calloc(total, 1);
	uint64_t obj_frames = 0;
	for (uint64_t k = 1; k <= N; k++) {
		if (!size[k])
			continue;
		struct obj *o = objtab_lookup(&s->objs, k);
		CHECK(o != NULL);
		if (!o)
			continue;
		for (uint64_t va = o->addr; va < o->addr + size[k]; va += 32 - va % 32) {
			uint32_t pfn = kvm_va_to_pfn(s->kvm, va & ~4095ull);
			CHECK(pfn != PFN_NONE);
			if (pfn != PFN_NONE)
				want_bits[(uint64_t)pfn * per + (va & 4095) / 32] = 1;
		}
		obj_frames += 1u << buddy_order_for(size[k]);
	}
	/* page-table pages (the mapped kernel map makes some) are wholly used */
	uint64_t pt = 0;
	for (uint32_t f = 0; f < s->pm->nframes; f++)
		if (s->pm->frames[f].state == FRAME_ALLOC_HEAD && s->pm->frames[f].owner == OWNER_PGTABLE) {
			memset(want_bits + (uint64_t)f * per, 1, per << s->pm->frames[f].order);
			pt += 1u << s->pm->frames[f].order;
		}
	if (backing == BACKING_MAPPED)
		CHECK(pt > 0);
	struct obj *pg = objtab_lookup(&s->pages, 0x777);
	CHECK(pg != NULL);
	if (pg)
		memset(want_bits + pg->addr * per, 1, 4 * per);
	uint64_t reserved = s->pm->reserved_frames;
	int64_t run = s->run_id;
	sim_finish(s, RUN_OK);
	sim_destroy(s);

	struct snap sn;
	CHECK(snap_load(run, &sn));
	if (sn.bits) {
		CHECK_EQ(sn.granule, 32);
		uint64_t diff = 0, first = 0, used = 0;
		for (uint64_t g = 0; g < total; g++) {
			used += sn.bits[g];
			if (sn.bits[g] != want_bits[g] && !diff++)
				first = g;
		}
		CHECK_MSG(diff == 0, "%llu granules differ, first %llu", (unsigned long long)diff, (unsigned long long)first);
		CHECK_EQ(used, sn.used);
		uint64_t nobj = 0, npage = 0, nres = 0;
		for (uint64_t f = 0; f < sn.nframes; f++) {
			nobj += sn.code[f] == SNAP_OWNER_BASE + OWNER_BUDDY_OBJ;
			npage += sn.code[f] == SNAP_OWNER_BASE + OWNER_PAGE;
			nres += sn.code[f] == SNAP_RESERVED;
		}
		CHECK_EQ(nobj, obj_frames);
		CHECK_EQ(npage, 4);
		CHECK_EQ(nres, reserved);
	}
	snap_free(&sn);
	free(want_bits);
}

static void t_snapshot_bitmap_buddy(void) { snapshot_bitmap_buddy(BACKING_DIRECT); }
static void t_snapshot_bitmap_buddy_mapped(void) { snapshot_bitmap_buddy(BACKING_MAPPED); }

/* Every back end with a walk(): live objects' bytes are all marked used,
 * in frames owned by the back end (not free, not reserved). */
static void t_snapshot_walk_backends(void)
{
	int tested = 0;
	for (int bk = 0; bk < 2; bk++) {
		for (size_t i = 0; allocator_registry[i]; i++) {
			const struct allocator_ops *ops = allocator_registry[i];
			if (!ops->walk)
				continue;
			db_reset();
			mk_backing = bk ? BACKING_MAPPED : BACKING_DIRECT;
			struct sim *s = mk(ops->name, 64 * MIB, true, 1000);
			mk_backing = BACKING_DIRECT;
			if (!s)
				continue;
			P.check_every = 0;   /* each back end's own tests check it per event */
			int c1 = sim_cache(s, "test_cache_48", 48, 8);
			enum { N = 2000 };
			static uint64_t addr[N + 1];
			static uint32_t sz[N + 1];
			for (uint64_t k = 1; k <= N; k++) {
				sz[k] = (uint32_t)(8 + (k * 40503u) % 3000);
				struct event e = { .kind = EV_ALLOC, .key = k, .size = k % 3 == 0 && c1 > 0 ? 48 : sz[k],
						   .cache = k % 3 == 0 && c1 > 0 ? c1 : 0, .cpu = (uint16_t)(k & 1) };
				sz[k] = e.size;
				sim_event(s, &e);
			}
			for (uint64_t k = 1; k <= N; k += 4)
				ev(s, EV_FREE, k, 0);
			for (uint64_t k = 1; k <= N; k++) {
				struct obj *o = objtab_lookup(&s->objs, k);
				addr[k] = o ? o->addr : 0;
			}
			metrics_snapshot(s, NULL);
			struct kvm *kv = s->kvm;
			int64_t run = s->run_id;
			struct snap sn;
			bool loaded = snap_load(run, &sn);
			CHECK_MSG(loaded, "%s: snapshot not decoded", ops->name);
			uint64_t missing = 0, badowner = 0;
			for (uint64_t k = 1; loaded && k <= N; k++) {
				if (!addr[k])
					continue;
				for (uint64_t va = addr[k]; va < addr[k] + sz[k]; va += 32 - (va % 32)) {
					uint32_t pfn = kvm_va_to_pfn(kv, va & ~4095ull);
					if (pfn == PFN_NONE) {
						missing++;
						continue;
					}
					uint64_t g = (uint64_t)pfn * (4096 / sn.granule) + (va & 4095) / sn.granule;
					missing += !sn.bits[g];
					badowner += sn.code[pfn] < SNAP_OWNER_BASE;
				}
			}
			CHECK_MSG(missing == 0 && badowner == 0, "%s (%s): %llu live granules not marked used, %llu in free/reserved frames",
				  ops->name, bk ? "mapped" : "direct", (unsigned long long)missing, (unsigned long long)badowner);
			snap_free(&sn);
			sim_finish(s, RUN_OK);
			sim_destroy(s);
			tested++;
		}
	}
	printf("#   %d back ends with walk() checked (direct and mapped kernel map)\n", tested / 2);
}

/* 64 GiB modelled, 20000 live objects of up to 64 KiB: the snapshot is
 * bytes per object, far below the 256 MiB a raw bitmap would take. */
static void t_snapshot_size_64g(void)
{
	db_reset();
	struct sim *s = mk("buddy", 64 * GIB, true, 100000);
	P.check_every = 0;
	for (uint64_t k = 1; k <= 20000; k++)
		ev(s, EV_ALLOC, k, (uint32_t)(1 + (k * 2654435761u) % 65536));
	for (uint64_t k = 1; k <= 20000; k += 3)
		ev(s, EV_FREE, k, 0);
	metrics_snapshot(s, "64g");
	int64_t run = s->run_id;
	sim_finish(s, RUN_OK);
	sim_destroy(s);
	sqlite3 *db = db_open();
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT length(owners) + length(bitmap) FROM snapshots WHERE run_id=%lld", (long long)run);
	double bytes = db_double(db, sql);
	snprintf(sql, sizeof(sql), "SELECT nframes FROM snapshots WHERE run_id=%lld", (long long)run);
	CHECK_EQ(db_double(db, sql), 64 * GIB / PAGE_SIZE);
	sqlite3_close(db);
	printf("#   64 GiB snapshot: %.0f bytes\n", bytes);
	CHECK(bytes > 1000 && bytes < 4.0 * MIB);
}

int main(void)
{
	snprintf(dbpath, sizeof(dbpath), "/tmp/t_metrics.%d.db", (int)getpid());
	RUN(t_gorman_hand_cases);
	RUN(t_gorman_real_buddy);
	RUN(t_extfrag_rows_agree);
	RUN(t_jw_script);
	RUN(t_bitmap_encode_ranges);
	RUN(t_snapshot_bitmap_buddy);
	RUN(t_snapshot_bitmap_buddy_mapped);
	RUN(t_snapshot_walk_backends);
	RUN(t_snapshot_size_64g);
	db_reset();
	return check_done();
}
