/*
 * params.c - defaults for every run parameter, and their description for
 * the runs table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hash.h"
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
	p->nta_chunk = PARAMS_NTA_CHUNK_DEFAULT;
	p->backing = BACKING_DIRECT;
	p->pt_levels = 4;
}

bool params_check(const struct params *p, char *err, size_t errlen)
{
	if (!physmem_config_check(&p->mem, err, errlen))
		return false;
	if (p->cpus < 1 || p->cpus > PARAMS_CPUS_MAX) {
		snprintf(err, errlen, "--cpus must be 1..%u (got %u)", PARAMS_CPUS_MAX, p->cpus);
		return false;
	}
	if (p->nta_chunk < PARAMS_NTA_CHUNK_MIN || p->nta_chunk > PARAMS_NTA_CHUNK_MAX ||
	    (p->nta_chunk & (p->nta_chunk - 1))) {
		snprintf(err, errlen, "--nta-chunk must be a power of two %u..%u (got %u)",
			 PARAMS_NTA_CHUNK_MIN, PARAMS_NTA_CHUNK_MAX, p->nta_chunk);
		return false;
	}
	if (p->slub_max_order > PARAMS_SLUB_MAX_ORDER) {
		snprintf(err, errlen, "--slub-max-order must be 0..%u (got %u)", PARAMS_SLUB_MAX_ORDER,
			 p->slub_max_order);
		return false;
	}
	if (p->slub_min_objects > PARAMS_SLUB_MIN_OBJECTS) {
		snprintf(err, errlen, "--slub-min-objects must be 0..%u (got %u)", PARAMS_SLUB_MIN_OBJECTS,
			 p->slub_min_objects);
		return false;
	}
	if (p->pt_levels != 4 && p->pt_levels != 5) {
		snprintf(err, errlen, "--pt-levels must be 4 or 5 (got %u)", p->pt_levels);
		return false;
	}
	if (p->pt_reserve > p->mem.mem_bytes / PAGE_SIZE) {
		snprintf(err, errlen, "--pt-reserve must be 0..%llu pages, the size of --mem (got %u)",
			 (unsigned long long)(p->mem.mem_bytes / PAGE_SIZE), p->pt_reserve);
		return false;
	}
	if (p->zone_map_bytes < PAGE_SIZE || p->zone_map_bytes > p->mem.mem_bytes ||
	    p->zone_map_bytes % PAGE_SIZE) {
		snprintf(err, errlen, "--zone-map must be a multiple of 4K from 4K to --mem, %llu (got %llu)",
			 (unsigned long long)p->mem.mem_bytes, (unsigned long long)p->zone_map_bytes);
		return false;
	}
	return true;
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

void params_config_hash(const struct params *p, const char *input_hash, char *out, size_t n)
{
	struct params q = *p;
	/* --set entries by key (insertion sort: stable, so a repeated key
	 * keeps its order, and the later value still wins) */
	for (unsigned i = 1; i < q.nsets; i++)
		for (unsigned j = i; j > 0 && strcmp(q.set_key[j - 1], q.set_key[j]) > 0; j--) {
			const char *k = q.set_key[j], *v = q.set_val[j];
			q.set_key[j] = q.set_key[j - 1];
			q.set_val[j] = q.set_val[j - 1];
			q.set_key[j - 1] = k;
			q.set_val[j - 1] = v;
		}
	char *desc = params_describe(&q);
	struct hash h;
	char hex[HASH_HEX], head[256];
	hash_init(&h);
	snprintf(head, sizeof(head), "kmemsim-config 1\ncommit=%s\ninput=%s\n", kmemsim_git_commit(), input_hash);
	hash_update(&h, head, strlen(head));
	hash_update(&h, desc, strlen(desc));
	hash_final(&h, hex);
	free(desc);
	snprintf(out, n, "%s", hex);
}
