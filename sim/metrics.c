/*
 * metrics.c - samples of R(t), A(t), F(t) and the buddy allocator's free
 * blocks per zone and order. (First version: the metrics issue extends it
 * with Gorman's indices, J&W's measures and snapshots.)
 */
#include <stdlib.h>
#include "metrics.h"
#include "engine.h"
#include "kvm.h"
#include "results.h"
#include "../allocators/allocator.h"
#include "../allocators/buddy.h"

struct metrics {
	uint64_t seq;
};

struct metrics *metrics_create(struct sim *s)
{
	(void)s;
	return xcalloc(1, sizeof(struct metrics));
}

void metrics_destroy(struct metrics *m) { free(m); }

void metrics_sample(struct sim *s)
{
	struct metrics *m = s->metrics;
	if (!m || !s->res)
		return;
	const struct buddy *b = s->pm->buddy;
	struct sample smp = {
		.seq = m->seq, .time_ns = s->now, .events = s->st.events,
		.requested = s->st.live_bytes, .allocated = s->a->alloc_bytes,
		.footprint = sim_footprint_bytes(s), .live_objects = s->st.live_objects,
		.page_live_pages = s->st.page_live_pages, .free_pages = buddy_free_pages(b),
		.failed_allocs = s->st.failed_allocs, .largest_free_order = buddy_largest_free_order(b),
	};
	results_sample(s->res, s->run_id, &smp);
	for (int z = 0; z < NR_ZONES; z++) {
		if (b->zone[z].end == b->zone[z].start)
			continue;
		for (unsigned o = 0; o <= b->max_order; o++)
			results_buddy(s->res, s->run_id, m->seq, z, (int)o, b->zone[z].area[o].nr_free);
	}
	m->seq++;
}

void metrics_snapshot(struct sim *s, const char *label)
{
	(void)s; (void)label;   /* the metrics issue records snapshots */
}

void metrics_finish(struct sim *s)
{
	metrics_sample(s);
}

void metrics_report(struct sim *s, void (*fn)(void *ctx, const char *key, double v), void *ctx)
{
	double a = (double)s->a->alloc_bytes, r = (double)s->st.live_bytes;
	fn(ctx, "final_internal_frag", a > 0 ? (a - r) / a : 0.0);
}
