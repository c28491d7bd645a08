/*
 * t_engine.c - the engine's object table, event semantics, scheduled
 * frees, failure recording and results rows.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "../sim/engine.h"
#include "../sim/kvm.h"
#include "../sim/results.h"
#include "../allocators/allocator.h"
#include "../sim/page.h"

/* objtab against a direct-indexed reference over a small key space, so
 * probe chains collide and backward-shift deletion is exercised. */
static void t_objtab_reference(void)
{
	enum { KEYS = 5000 };
	static uint64_t ref[KEYS + 1];   /* 0 = absent, else addr */
	struct objtab t;
	struct rng r;
	objtab_init(&t);
	rng_seed(&r, 7);
	uint64_t count = 0;
	int bad = 0;
	for (int i = 0; i < 1000000 && !bad; i++) {
		uint64_t k = 1 + rng_below(&r, KEYS);
		struct obj *o = objtab_lookup(&t, k * 0x10000);   /* pointer-like keys */
		if ((o != NULL) != (ref[k] != 0) || (o && o->addr != ref[k])) {
			bad = 1;
			CHECK_MSG(0, "op %d: key %llu lookup disagrees with reference", i, (unsigned long long)k);
		}
		if (o) {
			struct obj out;
			CHECK(objtab_remove(&t, k * 0x10000, &out) && out.addr == ref[k]);
			ref[k] = 0;
			count--;
		} else {
			o = objtab_insert(&t, k * 0x10000);
			o->addr = ref[k] = 1 + rng_next(&r) % 1000000;
			count++;
		}
		if (t.count != count) { bad = 1; CHECK_MSG(0, "count %llu != %llu", (unsigned long long)t.count, (unsigned long long)count); }
	}
	objtab_fini(&t);
}

static struct sim *mk(const char *alloc, uint64_t mem, const char *db)
{
	static struct params p;
	params_init(&p);
	p.allocator = alloc;
	p.db = db;
	p.check_every = 1;
	p.progress = false;
	physmem_config_init(&p.mem, mem);
	char err[256];
	struct sim *s = sim_create(&p, err, sizeof(err));
	if (!s)
		printf("#   sim_create: %s\n", err);
	return s;
}

static void ev(struct sim *s, int kind, uint64_t key, uint32_t size)
{
	struct event e = { .kind = (uint16_t)kind, .key = key, .size = size };
	sim_event(s, &e);
}

static void t_event_semantics(void)
{
	struct sim *s = mk("buddy", 64 * MIB, NULL);
	ev(s, EV_ALLOC, 0x100, 100);
	ev(s, EV_ALLOC, 0x200, 5000);
	CHECK_EQ(s->st.live_bytes, 5100);
	ev(s, EV_ALLOC, 0x100, 300);           /* lost free: old one released */
	CHECK_EQ(s->st.realloc_live, 1);
	CHECK_EQ(s->st.live_bytes, 5300);
	CHECK_EQ(s->st.live_objects, 2);
	CHECK_EQ(s->st.frees, 0);
	CHECK_EQ(s->a->alloc_bytes, 4096 + 8192);
	ev(s, EV_FREE, 0x999, 0);              /* unknown */
	ev(s, EV_FREE, 0, 0);                  /* kfree(NULL) */
	CHECK_EQ(s->st.free_unknown, 1);
	CHECK_EQ(s->st.free_null, 1);
	ev(s, EV_FREE, 0x100, 0);
	ev(s, EV_FREE, 0x200, 0);
	CHECK_EQ(s->st.frees, 2);
	CHECK_EQ(s->st.live_bytes, 0);
	CHECK_EQ(s->st.peak_live_bytes, 5300);
	CHECK_EQ(s->a->alloc_bytes, 0);
	CHECK_EQ(kvm_footprint_bytes(s->kvm), 0);
	CHECK_EQ(s->st.peak_footprint_bytes, 4096 + 8192);
	/* page events take frames from the same buddy allocator */
	uint64_t before = page_zone_free_pages(s->pl, ZONE_DMA32);
	ev(s, EV_PAGE_ALLOC, 0x1234, 2);
	CHECK_EQ(page_zone_free_pages(s->pl, ZONE_DMA32), before - 4);
	ev(s, EV_PAGE_FREE, 0x1234, 2);
	ev(s, EV_PAGE_FREE, 0x1234, 2);
	CHECK_EQ(s->st.page_free_unknown, 1);
	CHECK_EQ(page_zone_free_pages(s->pl, ZONE_DMA32), before);
	CHECK_EQ(s->st.events, 10);   /* 3 allocs, 4 frees, 3 page events */
	sim_destroy(s);
}

static void t_scheduled_frees(void)
{
	struct sim *s = mk("buddy", 64 * MIB, NULL);
	uint64_t a = sim_alloc(s, 10, 0, 0, 0, 30);
	uint64_t b = sim_alloc(s, 20, 0, 1, 0, 10);
	uint64_t c = sim_alloc(s, 40, 0, 0, 0, 20);
	uint64_t d = sim_alloc(s, 80, 0, 0, 0, 20);   /* same deadline as c: FIFO */
	CHECK(a && b && c && d);
	CHECK_EQ(s->st.live_bytes, 150);
	sim_advance(s, 15);
	CHECK_EQ(s->st.live_bytes, 130);     /* b gone */
	CHECK_EQ(s->now, 15);
	sim_advance(s, 5);
	CHECK_EQ(s->st.live_bytes, 10);      /* c, d at t=20 */
	CHECK(objtab_lookup(&s->objs, a) != NULL);
	sim_drain(s);
	CHECK_EQ(s->st.live_bytes, 0);
	CHECK_EQ(s->now, 30);
	CHECK_EQ(s->st.frees, 4);
	sim_destroy(s);
}

static void t_failure_is_a_result(void)
{
	struct sim *s = mk("buddy", 16 * MIB, NULL);
	uint64_t ok = 0;
	for (int i = 0; i < 64; i++)
		ok += sim_alloc(s, 1 << 20, 0, 0, 0, 0) != 0;
	CHECK(ok > 0 && ok < 16);
	CHECK_EQ(s->st.failed_allocs, 64 - ok);
	CHECK_EQ(s->st.failed_by[FAIL_NOMEM], 64 - ok);
	CHECK_EQ(sim_alloc(s, 8u << 20, 0, 0, 0, 0), 0);   /* beyond order 10 */
	CHECK_EQ(s->st.failed_by[FAIL_TOO_BIG], 1);
	CHECK_EQ(s->st.live_objects, ok);
	sim_destroy(s);
}

static int64_t q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void t_results_rows(void)
{
	char path[] = "/tmp/kms-engine-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	for (int run = 0; run < 2; run++) {
		struct sim *s = mk("buddy", 64 * MIB, path);
		struct rng r;
		rng_seed(&r, 3);
		for (int i = 0; i < 5000; i++)
			sim_alloc(s, (uint32_t)(1 + rng_below(&r, 20000)), 0, 0, 0, 1 + rng_below(&r, 1000));
		sim_drain(s);
		sim_finish(s, RUN_OK);
		sim_destroy(s);
	}
	sqlite3 *db;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK_EQ(q1(db, "select count(*) from runs where status='ok'"), 2);
	CHECK_EQ(q1(db, "select value from run_stats where run_id=1 and key='allocs'"), 5000);
	/* sampling every 1000 events from the first: events 1, 1001, ..., 9001, plus the final one */
	CHECK_EQ(q1(db, "select count(*) from samples where run_id=1"), 11);
	/* same seed, same rows */
	CHECK_EQ(q1(db, "select count(*) from (select seq,time_ns,events,requested,allocated,footprint,free_pages from samples where run_id=1"
		       " except select seq,time_ns,events,requested,allocated,footprint,free_pages from samples where run_id=2)"), 0);
	CHECK_EQ(q1(db, "select count(*) from buddy where run_id=1 and seq=0"), 2 * 11);   /* DMA, DMA32 x 11 orders */
	sqlite3_close(db);
	unlink(path);
	char wal[64];
	snprintf(wal, sizeof(wal), "%s-wal", path); unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path); unlink(wal);
}

/* Page events without a page (key 0: a failed kernel allocation, or a
 * free of nothing) are counted, never looked up: key 0 is not storable. */
static void t_page_key_zero(void)
{
	struct sim *s = mk("buddy", 64 * MIB, NULL);
	uint64_t free0 = page_free_pages(s->pl);
	ev(s, EV_PAGE_FREE, 0, 0);
	ev(s, EV_PAGE_ALLOC, 0, 2);
	ev(s, EV_PAGE_ALLOC, 0x1234, 1);
	ev(s, EV_PAGE_FREE, 0, 0);
	CHECK_EQ(s->st.free_null, 2);
	CHECK_EQ(s->st.alloc_null, 1);
	CHECK_EQ(s->st.page_allocs, 1);
	CHECK_EQ(s->st.page_live_pages, 2);
	CHECK_EQ(page_free_pages(s->pl), free0 - 2);
	ev(s, EV_PAGE_FREE, 0x1234, 0);
	CHECK_EQ(page_free_pages(s->pl), free0);
	sim_destroy(s);
}

int main(void)
{
	RUN(t_page_key_zero);
	RUN(t_objtab_reference);
	RUN(t_event_semantics);
	RUN(t_scheduled_frees);
	RUN(t_failure_is_a_result);
	RUN(t_results_rows);
	return check_done();
}
