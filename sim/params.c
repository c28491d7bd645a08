/*
 * params.c - defaults for every run parameter, and their description for
 * the runs table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "params.h"

void params_init(struct params *p)
{
	memset(p, 0, sizeof(*p));
	p->allocator = "slub";
	p->db = NULL;   /* no database; `kmemsim run` defaults to results.db (main.c) */
	physmem_config_init(&p->mem, 512 * MIB);
	p->cpus = 2;
	p->seed = 1;
	p->sample_every = 1000;
	p->page_events = true;
	p->slub_max_order = 3;
	p->zone_map_bytes = 12 * MIB;
	p->nta_chunk = 32;
	p->backing = BACKING_DIRECT;
	p->pt_levels = 4;
}

char *params_describe(const struct params *p)
{
	size_t cap = 1024 + (size_t)p->nsets * 128;
	char *buf = xmalloc(cap);
	int n = snprintf(buf, cap,
		"allocator=%s mem=%llu max_order=%u cpus=%u seed=%llu sample_every=%llu sample_ns=%llu "
		"snapshot_every=%llu page_events=%d replay_own_slab=%d no_merge=%d slub_min_objects=%u slub_max_order=%u "
		"zone_map=%llu nta_release=%d nta_chunk=%u backing=%s pt_levels=%u pt_reserve=%u",
		p->allocator, (unsigned long long)p->mem.mem_bytes, p->mem.max_order, p->cpus,
		(unsigned long long)p->seed, (unsigned long long)p->sample_every,
		(unsigned long long)p->sample_ns, (unsigned long long)p->snapshot_every,
		p->page_events, p->replay_own_slab, p->no_merge, p->slub_min_objects, p->slub_max_order,
		(unsigned long long)p->zone_map_bytes, p->nta_release, p->nta_chunk,
		p->backing == BACKING_MAPPED ? "mapped" : "direct", p->pt_levels, p->pt_reserve);
	for (unsigned i = 0; i < p->mem.nreserved && n > 0 && (size_t)n < cap; i++)
		n += snprintf(buf + n, cap - (size_t)n, " reserve=%llu+%llu",
			      (unsigned long long)p->mem.reserved[i].start,
			      (unsigned long long)p->mem.reserved[i].size);
	for (unsigned i = 0; i < p->nsets && n > 0 && (size_t)n < cap; i++)
		n += snprintf(buf + n, cap - (size_t)n, " set.%s=%s", p->set_key[i], p->set_val[i]);
	return buf;
}
