/*
 * metrics.c - what a run measures, sample by sample, and what it derives
 * at the end. Definitions follow DESIGN.md ("Metrics").
 *
 * Per sample (every --sample-every events, or --sample-ns of simulated time):
 *   samples   R(t) requested live bytes, A(t) allocated, F(t) footprint
 *   frag      internal fragmentation (A-R)/A, total overhead (F-R)/F,
 *             largest free buddy block (bytes), hostage pages and cached
 *             empty pages (metrics.h's definition, cache_unit_state;
 *             summed over the back end's caches)
 *   buddy     free blocks per zone and order (as /proc/buddyinfo)
 *   extfrag   Gorman's unusable free space index and fragmentation index
 *             per zone and order (as debugfs extfrag/ prints them)
 *   cache_samples  the back end's per-cache table (as /proc/slabinfo),
 *             every METRICS_CACHE_EVERY samples and at the last one, so a
 *             run of 10^7 events with 100 caches stays near 10^5 rows.
 *
 * At the end (metrics_report, into run_stats), Johnstone & Wilson's four
 * measures (1998, "The memory fragmentation problem: solved?"), all as
 * fractions of R:
 *   jw1_mean_overhead        mean over samples of (F-R)/R (samples with R>0)
 *   jw2_overhead_at_max_live (F-R)/R at the moment R is largest
 *   jw3_overhead_at_max_footprint  (F-R)/R at the moment F is largest
 *   jw4_max_footprint_over_max_live (max F - max R)/max R
 * #2-#4 use the engine's exact per-event peaks (ties go to the first
 * moment); #1 is a mean over the samples, which are evenly spaced in
 * events, so it is a mean over allocator operations, J&W's clock. Also: final, peak and mean (over
 * samples with A > 0) internal fragmentation, final total overhead, and
 * hostage_pages / cached_empty_pages at the end.
 *
 * Undefined is NaN, never 0: internal fragmentation when A = 0, total
 * overhead when F = 0, a J&W measure whose R is 0, a peak or mean over no
 * sample where the ratio is defined. The summary prints NaN as "n/a", the
 * results store writes NULL.
 *
 * Snapshots (metrics_snapshot): for every frame its owner, and a bitmap of
 * which granules (p->nta_chunk bytes, 32 by default: NTA's chunk) are in
 * use. Used ranges come from the back end's walk(); a back end without
 * walk() is pictured from the engine's object table (requested bytes of
 * each live object). Trace page allocations and page-table frames are
 * whole pages in use; pages idle in a reserve pool are held but unused. Virtual ranges are translated page by page with
 * kvm_va_to_pfn, so a mapped (Mach-style) kernel map pictures correctly.
 * Blob formats (all numbers unsigned LEB128 varints):
 *   owners  runs of frames, in pfn order: (code, owner_id, count)...
 *           code SNAP_FREE, SNAP_RESERVED or SNAP_OWNER_BASE + frame owner
 *   bitmap  alternating run lengths of unused and used granules over all
 *           nframes * (4096 / granule) granules in physical order,
 *           starting with an unused run (which may be 0)
 * Mostly free memory is a handful of runs, so a 64 GiB machine costs bytes
 * per live object, not per frame.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"
#include "engine.h"
#include "kvm.h"
#include "results.h"
#include "page.h"
#include "../allocators/allocator.h"

struct metrics {
	uint64_t seq;
	uint64_t snap_seq;
	/* Johnstone & Wilson, over samples */
	uint64_t jw_n;             /* samples with R > 0 */
	double   jw_sum;           /* sum of (F-R)/R over them */
	double   peak_internal;    /* over the in_n samples (NaN while in_n = 0) */
	uint64_t in_n;             /* samples with A > 0 */
	double   in_sum;           /* sum of (A-R)/A over them */
	uint64_t tracked_events;   /* events at the last tracked sample */
	bool     tracked;          /* a sample has been tracked */
	bool     final_sample;     /* metrics_finish: write cache rows */
};

struct metrics *metrics_create(struct sim *s)
{
	(void)s;
	return xcalloc(1, sizeof(struct metrics));
}

void metrics_destroy(struct metrics *m) { free(m); }

/* ---- Gorman's indices ----
 *
 * Linux (mm/vmstat.c, fill_contig_page_info) summarises a zone for a
 * request of order j as
 *   free_pages           = sum_k nr_free[k] * 2^k
 *   free_blocks_total    = sum_k nr_free[k]
 *   free_blocks_suitable = sum_{k>=j} nr_free[k] * 2^(k-j)
 * (the last counts the order-j blocks the free lists could yield).
 * unusable_free_index: 1000 if free_pages == 0, else
 *   (free_pages - free_blocks_suitable * 2^j) * 1000 / free_pages
 * __fragmentation_index: 0 if free_blocks_total == 0; -1000 if
 *   free_blocks_suitable > 0 (the allocation would succeed); else
 *   1000 - (1000 + free_pages * 1000 / 2^j) / free_blocks_total
 * with every division an integer one, as the kernel's div_u64. debugfs
 * prints value/1000 with three decimals; results.db stores value/1000.
 * DESIGN.md's text says the unusable index is 0 with nothing free; the
 * kernel says 1000 (all free memory, none, is unusable), and we follow
 * the kernel.
 */
void metrics_contig_fill(const uint64_t *nr_free, unsigned norders, unsigned order,
			 struct metrics_contig *ci)
{
	memset(ci, 0, sizeof(*ci));
	for (unsigned k = 0; k < norders; k++) {
		ci->free_blocks_total += nr_free[k];
		ci->free_pages += nr_free[k] << k;
		if (k >= order)
			ci->free_blocks_suitable += nr_free[k] << (k - order);
	}
}

int metrics_unusable_index(unsigned order, const struct metrics_contig *ci)
{
	if (ci->free_pages == 0)
		return 1000;
	return (int)((ci->free_pages - (ci->free_blocks_suitable << order)) * 1000u / ci->free_pages);
}

int metrics_fragmentation_index(unsigned order, const struct metrics_contig *ci)
{
	uint64_t requested = 1ull << order;
	if (ci->free_blocks_total == 0)
		return 0;
	if (ci->free_blocks_suitable)
		return -1000;
	return 1000 - (int)((1000 + ci->free_pages * 1000u / requested) / ci->free_blocks_total);
}

/* ---- samples ---- */

struct hostage_ctx { struct sim *s; uint64_t pages, empty; bool rows; uint64_t seq; };

static void metrics_cache_row(void *ctx, const struct cache_info *ci)
{
	struct hostage_ctx *h = ctx;
	h->pages += ci->hostage_pages;
	h->empty += ci->cached_empty_pages;
	if (h->rows)
		results_cache_sample(h->s->res, h->s->run_id, h->seq, ci);
}

static void metrics_track(struct metrics *m, uint64_t r, uint64_t a, uint64_t f)
{
	if (r > 0) {
		m->jw_n++;
		m->jw_sum += ((double)f - (double)r) / (double)r;
	}
	if (a > 0) {
		double in = ((double)a - (double)r) / (double)a;
		m->in_n++;
		m->in_sum += in;
		if (m->in_n == 1 || in > m->peak_internal)
			m->peak_internal = in;
	}
}

void metrics_sample(struct sim *s)
{
	struct metrics *m = s->metrics;
	if (!m)
		return;
	const struct page_layer *pl = s->pl;
	uint64_t r = s->st.live_bytes, a = s->a->alloc_bytes, f = sim_footprint_bytes(s);
	/* The final sample repeats the last one when no event came between:
	 * it is stored but not counted twice in the means. */
	if (!m->tracked || s->st.events != m->tracked_events)
		metrics_track(m, r, a, f);
	m->tracked = true;
	m->tracked_events = s->st.events;
	if (!s->res)
		return;
	int largest = page_largest_free_order(pl);
	struct sample smp = {
		.seq = m->seq, .time_ns = s->now, .events = s->st.events,
		.requested = r, .allocated = a, .footprint = f, .live_objects = s->st.live_objects,
		.page_live_pages = s->st.page_live_pages, .free_pages = page_free_pages(pl),
		.failed_allocs = s->st.failed_allocs, .largest_free_order = largest,
	};
	results_sample(s->res, s->run_id, &smp);

	struct hostage_ctx h = { s, 0, 0, m->final_sample || m->seq % METRICS_CACHE_EVERY == 0, m->seq };
	if (s->a->ops->caches)
		s->a->ops->caches(s->a, metrics_cache_row, &h);
	results_frag(s->res, s->run_id, m->seq, a ? ((double)a - (double)r) / (double)a : NAN,
		     f ? ((double)f - (double)r) / (double)f : NAN,
		     largest < 0 ? 0 : (uint64_t)PAGE_SIZE << largest, h.pages, h.empty);

	uint64_t nr_free[PAGE_MAX_ORDERS];
	unsigned norders = page_max_order(pl) + 1;
	for (int z = 0; z < NR_ZONES; z++) {
		if (s->pm->zone_end[z] == s->pm->zone_start[z])
			continue;
		for (unsigned o = 0; o < norders; o++) {
			nr_free[o] = page_free_blocks(pl, (enum zone_type)z, o);
			results_buddy(s->res, s->run_id, m->seq, z, (int)o, nr_free[o]);
		}
		for (unsigned o = 0; o < norders; o++) {
			struct metrics_contig ci;
			metrics_contig_fill(nr_free, norders, o, &ci);
			results_extfrag(s->res, s->run_id, m->seq, z, (int)o,
					metrics_unusable_index(o, &ci) / 1000.0,
					metrics_fragmentation_index(o, &ci) / 1000.0);
		}
	}
	m->seq++;
}

/* ---- snapshots ---- */

struct byte_buf { uint8_t *p; size_t len, cap; };

static void buf_varint(struct byte_buf *b, uint64_t v)
{
	if (b->len + 10 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4096;
		b->p = xrealloc(b->p, b->cap);
	}
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		b->p[b->len++] = byte | (v ? 0x80 : 0);
	} while (v);
}


struct snap_ctx {
	struct sim *s;
	uint32_t granule, per_page;
	struct metrics_range *r;
	size_t n, cap;
	uint64_t unmapped;   /* bytes of walked ranges with no frame behind them */
};

static void snap_add(struct snap_ctx *c, uint64_t lo, uint64_t hi)
{
	if (lo >= hi)
		return;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->r = xrealloc(c->r, c->cap * sizeof(*c->r));
	}
	c->r[c->n++] = (struct metrics_range){ lo, hi };
}

/* A used virtual range: split at page boundaries, translate each piece. */
static void snap_walk_range(void *ctx, uint64_t va, uint64_t len)
{
	struct snap_ctx *c = ctx;
	uint64_t end = va + len;
	if (end < va)
		end = UINT64_MAX;
	while (va < end) {
		uint64_t page = va & ~(uint64_t)(PAGE_SIZE - 1);
		uint64_t piece_end = MIN(end, page + PAGE_SIZE);
		uint32_t pfn = kvm_va_to_pfn(c->s->kvm, page);
		if (pfn == PFN_NONE || pfn >= c->s->pm->nframes) {
			c->unmapped += piece_end - va;
		} else {
			uint64_t base = (uint64_t)pfn * c->per_page;
			snap_add(c, base + (va - page) / c->granule,
				 base + DIV_ROUND_UP(piece_end - page, c->granule));
		}
		if (piece_end == UINT64_MAX)
			break;
		va = piece_end;
	}
}

static void snap_walk_obj(void *ctx, const struct obj *o)
{
	snap_walk_range(ctx, o->addr, o->size ? o->size : 1);
}

static int metrics_range_cmp(const void *x, const void *y)
{
	const struct metrics_range *a = x, *b = y;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

uint8_t *metrics_bitmap_encode(struct metrics_range *r, size_t n, uint64_t total,
			       size_t *len, uint64_t *used)
{
	struct byte_buf b = { 0 };
	uint64_t pos = 0;
	*used = 0;
	qsort(r, n, sizeof(*r), metrics_range_cmp);
	for (size_t i = 0; i < n;) {
		uint64_t lo = r[i].lo, hi = r[i].hi;
		for (i++; i < n && r[i].lo <= hi; i++)   /* merge overlapping and touching ranges */
			hi = MAX(hi, r[i].hi);
		lo = MAX(lo, pos);
		hi = MIN(hi, total);
		if (lo >= hi)
			continue;
		buf_varint(&b, lo - pos);
		buf_varint(&b, hi - lo);
		*used += hi - lo;
		pos = hi;
	}
	if (pos < total || b.len == 0)
		buf_varint(&b, total - pos);
	*len = b.len;
	return b.p;
}

void metrics_snapshot(struct sim *s, const char *label)
{
	struct metrics *m = s->metrics;
	if (!m || !s->res)
		return;
	const struct physmem *pm = s->pm;
	uint32_t granule = s->p->nta_chunk;   /* a power of two 8..4096 (params_check) */
	struct snap_ctx c = { .s = s, .granule = granule, .per_page = PAGE_SIZE / granule };
	struct byte_buf owners = { 0 };

	/* Owners, one run per stretch of frames with the same (code, id);
	 * whole-page users (trace pages, page tables, reserve pools) join the
	 * used ranges here. */
	/* Only block heads carry a state (physmem.h): walk by blocks, as
	 * buddy_check does; every frame of an allocated block carries its
	 * owner. */
	unsigned run_code = 0;
	uint32_t run_id = 0;
	uint64_t run_len = 0, alloc_end = 0;
	for (uint32_t pfn = 0; pfn < pm->nframes;) {
		const struct frame *f = page_frame(s->pl, pfn);
		unsigned code;
		uint32_t id = 0, n = 1;
		if (pfn < alloc_end) {
			code = SNAP_OWNER_BASE + f->owner;
		} else if (f->state == FRAME_ALLOC_HEAD) {
			alloc_end = (uint64_t)pfn + (1ull << f->order);
			code = SNAP_OWNER_BASE + f->owner;
		} else if (f->state == FRAME_FREE_HEAD) {
			code = SNAP_FREE;
			n = (uint32_t)MIN(1ull << f->order, (uint64_t)pm->nframes - pfn);
		} else {
			code = SNAP_RESERVED;   /* reserved at boot (owner OWNER_RESERVE, physmem.c) */
		}
		if (code >= SNAP_OWNER_BASE)
			id = f->owner_id;
		if (code == SNAP_OWNER_BASE + OWNER_PAGE || code == SNAP_OWNER_BASE + OWNER_PGTABLE)
			snap_add(&c, (uint64_t)pfn * c.per_page, (uint64_t)(pfn + n) * c.per_page);
		if (run_len && (code != run_code || id != run_id)) {
			buf_varint(&owners, run_code);
			buf_varint(&owners, run_id);
			buf_varint(&owners, run_len);
			run_len = 0;
		}
		run_code = code;
		run_id = id;
		run_len += n;
		pfn += n;
	}
	if (run_len) {
		buf_varint(&owners, run_code);
		buf_varint(&owners, run_id);
		buf_varint(&owners, run_len);
	}

	if (s->a->ops->walk)
		s->a->ops->walk(s->a, snap_walk_range, &c);
	else
		objtab_foreach(&s->objs, snap_walk_obj, &c);

	size_t bitmap_len;
	uint64_t used;
	uint8_t *bitmap = metrics_bitmap_encode(c.r, c.n, (uint64_t)pm->nframes * c.per_page, &bitmap_len, &used);
	struct snapshot_row row = {
		.seq = m->snap_seq++, .time_ns = s->now, .events = s->st.events, .label = label,
		.granule = granule, .nframes = pm->nframes, .used_granules = used,
		.owners = owners.p, .owners_len = owners.len, .bitmap = bitmap, .bitmap_len = bitmap_len,
	};
	results_snapshot(s->res, s->run_id, &row);
	free(owners.p);
	free(bitmap);
	free(c.r);
}

/* ---- end of run ---- */

void metrics_finish(struct sim *s)
{
	if (!s->metrics)
		return;
	s->metrics->final_sample = true;
	metrics_sample(s);
}

void metrics_report(struct sim *s, void (*fn)(void *ctx, const char *key, double v), void *ctx)
{
	const struct metrics *m = s->metrics;
	double a = (double)s->a->alloc_bytes, r = (double)s->st.live_bytes;
	double f = (double)sim_footprint_bytes(s);
	fn(ctx, "final_internal_frag", a > 0 ? (a - r) / a : NAN);
	fn(ctx, "final_total_overhead", f > 0 ? (f - r) / f : NAN);
	if (s->a->ops->caches) {
		struct hostage_ctx h = { s, 0, 0, false, 0 };
		s->a->ops->caches(s->a, metrics_cache_row, &h);
		fn(ctx, "hostage_pages", (double)h.pages);
		fn(ctx, "cached_empty_pages", (double)h.empty);
	}
	if (!m)
		return;
	fn(ctx, "peak_internal_frag", m->in_n ? m->peak_internal : NAN);
	fn(ctx, "mean_internal_frag", m->in_n ? m->in_sum / (double)m->in_n : NAN);
	fn(ctx, "jw1_mean_overhead", m->jw_n ? m->jw_sum / (double)m->jw_n : NAN);
	/* #2 and #3 from the engine's exact per-event peaks (samples can miss
	 * a peak between them); #1 is a mean over samples. */
	uint64_t max_r = s->st.peak_live_bytes, max_f = s->st.peak_footprint_bytes;
	fn(ctx, "jw2_overhead_at_max_live",
	   max_r ? ((double)s->st.f_at_peak_live - (double)max_r) / (double)max_r : NAN);
	fn(ctx, "jw3_overhead_at_max_footprint",
	   max_f && s->st.r_at_peak_footprint ?
	   ((double)max_f - (double)s->st.r_at_peak_footprint) / (double)s->st.r_at_peak_footprint : NAN);
	fn(ctx, "jw4_max_footprint_over_max_live", max_r ? ((double)max_f - (double)max_r) / (double)max_r : NAN);
}
