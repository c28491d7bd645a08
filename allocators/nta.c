/*
 * nta.c - Evgeniy Polyakov's network tree allocator (2006), as its design
 * notes describe it (../shared/reference/004: "Network tree allocator").
 *
 * Model
 *  - Memory is cut into chunks of p->nta_chunk bytes (32 by default, the
 *    original AVL_MIN_SIZE; a cache line is the other sensible value).
 *  - A node is one page, or a compound page of up to 16 KiB (order <= 2),
 *    with a bitmap of used chunks. Nodes belong to one CPU's pool.
 *  - Each CPU has free lists indexed by the size of a free area in chunks.
 *    An allocation of n chunks takes the smallest non-empty list at or
 *    above n, uses the low end of that area and puts the rest back on the
 *    list for its new size (the worked example in 004: 120 bytes at the
 *    start of the page, the rest of the page free after it).
 *  - free() is given the size, as NTA's avl_free was: the chunks are marked
 *    free and the area merges with free neighbours on both sides.
 *  - A free on a CPU other than the node's owner is queued to the owner
 *    and completed at the owner's next operation (NTA's per-CPU free
 *    queues). Until then its chunks stay used (nobody can have them), but
 *    the object is no longer live: it leaves A(t) at the free, as in
 *    every back end, and its chunks are part of F - A.
 *  - Pages are never returned to the system, as in the original, unless
 *    --nta-release: then a node that becomes wholly free goes back.
 *  - Requests larger than the largest node (16 KiB) fail with
 *    FAIL_TOO_BIG: NTA served network buffers and had no large path.
 *    Chunk counts are computed in 64 bits, so a request near 2^32 bytes
 *    is too big, never a wrapped count of 0 chunks.
 *
 * Departures: the original kept free-area descriptors ("containers") in
 * an AVL tree keyed by address to find a node; we find the node of an
 * address through the frame's owner word, O(1), and keep the containers in
 * host memory (accounted as zero simulated bytes: the original carved them
 * from the free areas themselves). Node size for a new node is the
 * smallest order that holds the request (the original preallocated pools).
 *
 * Metrics: one slabinfo row per CPU pool, counted in chunks (objects vary
 * in size): objsize = chunk size, active_objs = chunks of live objects,
 * num_objs = chunks of the pool's nodes. Nodes are 1, 2 or 4 pages, so a
 * row's "slab" is a page: objperslab = chunks per page, pagesperslab = 1,
 * num_slabs = pages held, active_slabs = pages of nodes with a live
 * object. hostage_pages and cached_empty_pages follow allocator.h's cache_unit_state per
 * node, with its live chunks (used minus queued) of nchunks in use.
 * walk() reports live chunks only (queued frees are not in use).
 *
 * Invariants (nta_check): the used bitmap and the registered free areas
 * describe the same memory; free areas are maximal (no two adjacent), each
 * is on the list of its CPU for its size; used + free chunks = node size;
 * queued frees are used chunks of a node of that CPU, and a node's queued
 * count is the chunks of its queued frees; A(t) = used - queued chunks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "allocator.h"
#include "../sim/engine.h"
#include "../sim/kvm.h"
#include "../sim/page.h"

#define NTA_MAX_ORDER   2                    /* nodes up to 16 KiB */
#define NTA_NONE        UINT32_MAX

struct nta_node {
	uint64_t  va;
	uint32_t  cpu;
	uint32_t  nchunks;      /* 0: slot unused */
	uint32_t  used;         /* used chunks (live and queued for freeing) */
	uint32_t  queued;       /* used chunks of frees queued by other CPUs */
	uint32_t  live;         /* live objects (queued ones are not) */
	uint8_t   order;
	uint64_t *bits;         /* used chunks */
	uint32_t *area_at;      /* free area id at its first and last chunk */
	uint32_t  next_free;    /* slot free list */
};

/* A free area ("container" in NTA): chunks [pos, pos + len) of node. */
struct nta_area {
	uint32_t node, pos, len;
	uint32_t next, prev;    /* on the CPU's list for len; next = free slot link when unused */
};

struct nta_deferred { uint64_t addr; uint32_t size; };

struct nta_cpu {
	uint32_t *head;          /* [len] first area of that size */
	uint64_t *nonempty;      /* bit len set when head[len] != NTA_NONE */
	struct nta_deferred *q;  /* frees queued by other CPUs */
	size_t nq, qcap;
	uint64_t live_objs, nodes;
};

struct nta {
	struct allocator a;
	unsigned chunk, shift, cpus, maxlen;   /* maxlen: chunks in the largest node */
	bool release;
	struct nta_node *node;
	uint32_t nnodes, nodes_cap, node_free;
	struct nta_area *area;
	uint32_t nareas, areas_cap, area_free;
	struct nta_cpu *cpu;
	uint64_t st_splits, st_merges, st_deferred, st_nodes_alloc, st_nodes_freed, st_free_chunks;
};

static struct nta *nta_of(struct allocator *a) { return (struct nta *)a; }

/* Chunks for a request of size bytes (0 takes one), in 64 bits. */
static uint64_t nta_chunks(const struct nta *n, uint32_t size)
{
	return size ? ((uint64_t)size + n->chunk - 1) >> n->shift : 1;
}

static bool bit_get(const uint64_t *b, uint32_t i) { return b[i >> 6] >> (i & 63) & 1; }

static void bits_set(uint64_t *b, uint32_t pos, uint32_t n, bool on)
{
	for (uint32_t i = pos; i < pos + n; ) {
		uint32_t k = 64 - (i & 63);
		if (k > pos + n - i)
			k = pos + n - i;
		uint64_t m = (k == 64 ? ~0ull : (1ull << k) - 1) << (i & 63);
		if (on) b[i >> 6] |= m; else b[i >> 6] &= ~m;
		i += k;
	}
}

/* --- free areas and the per-CPU lists ---------------------------------- */

static void list_add(struct nta *n, uint32_t id)
{
	struct nta_area *ar = &n->area[id];
	struct nta_cpu *c = &n->cpu[n->node[ar->node].cpu];
	ar->prev = NTA_NONE;
	ar->next = c->head[ar->len];
	if (ar->next != NTA_NONE)
		n->area[ar->next].prev = id;
	c->head[ar->len] = id;
	c->nonempty[ar->len >> 6] |= 1ull << (ar->len & 63);
	struct nta_node *nd = &n->node[ar->node];
	nd->area_at[ar->pos] = id;
	nd->area_at[ar->pos + ar->len - 1] = id;
	n->st_free_chunks += ar->len;
}

static void list_del(struct nta *n, uint32_t id)
{
	struct nta_area *ar = &n->area[id];
	struct nta_cpu *c = &n->cpu[n->node[ar->node].cpu];
	if (ar->prev != NTA_NONE)
		n->area[ar->prev].next = ar->next;
	else
		c->head[ar->len] = ar->next;
	if (ar->next != NTA_NONE)
		n->area[ar->next].prev = ar->prev;
	if (c->head[ar->len] == NTA_NONE)
		c->nonempty[ar->len >> 6] &= ~(1ull << (ar->len & 63));
	n->st_free_chunks -= ar->len;
}

static uint32_t area_new(struct nta *n, uint32_t node, uint32_t pos, uint32_t len)
{
	uint32_t id;
	if (n->area_free != NTA_NONE) {
		id = n->area_free;
		n->area_free = n->area[id].next;
	} else {
		if (n->nareas == n->areas_cap) {
			n->areas_cap = n->areas_cap ? n->areas_cap * 2 : 1024;
			n->area = xrealloc(n->area, n->areas_cap * sizeof(*n->area));
		}
		id = n->nareas++;
	}
	n->area[id] = (struct nta_area){ .node = node, .pos = pos, .len = len };
	return id;
}

static void area_put(struct nta *n, uint32_t id)
{
	n->area[id].len = 0;
	n->area[id].next = n->area_free;
	n->area_free = id;
}

/* Smallest len >= want with a non-empty list on CPU c, or 0. */
static uint32_t list_find(const struct nta *n, const struct nta_cpu *c, uint32_t want)
{
	uint32_t words = (n->maxlen >> 6) + 1;
	uint32_t w = want >> 6;
	uint64_t m = c->nonempty[w] & (~0ull << (want & 63));
	while (!m) {
		if (++w >= words)
			return 0;
		m = c->nonempty[w];
	}
	return (w << 6) + (uint32_t)__builtin_ctzll(m);
}

/* --- nodes ------------------------------------------------------------- */

static uint32_t node_new(struct nta *n, unsigned cpu, unsigned order, unsigned gfp, enum fail_reason *why)
{
	uint64_t va = kvm_alloc(n->a.sim->kvm, NULL, order, gfp, OWNER_SLAB, cpu, why);
	if (!va)
		return NTA_NONE;
	uint32_t id;
	if (n->node_free != NTA_NONE) {
		id = n->node_free;
		n->node_free = n->node[id].next_free;
	} else {
		if (n->nnodes == n->nodes_cap) {
			n->nodes_cap = n->nodes_cap ? n->nodes_cap * 2 : 256;
			n->node = xrealloc(n->node, n->nodes_cap * sizeof(*n->node));
		}
		id = n->nnodes++;
	}
	struct nta_node *nd = &n->node[id];
	uint32_t nch = (uint32_t)((PAGE_SIZE << order) >> n->shift);
	*nd = (struct nta_node){ .va = va, .cpu = cpu, .nchunks = nch, .order = (uint8_t)order };
	nd->bits = xcalloc((nch + 63) / 64, sizeof(uint64_t));
	nd->area_at = xmalloc(nch * sizeof(uint32_t));
	for (uint32_t i = 0; i < (1u << order); i++)
		page_private_set(n->a.sim->pl, kvm_va_to_pfn(n->a.sim->kvm, va + (uint64_t)i * PAGE_SIZE), OWNER_SLAB, 0, 0, id);
	list_add(n, area_new(n, id, 0, nch));
	n->cpu[cpu].nodes++;
	n->st_nodes_alloc++;
	return id;
}

static void node_release(struct nta *n, uint32_t id)
{
	struct nta_node *nd = &n->node[id];
	uint32_t ar = nd->area_at[0];
	list_del(n, ar);
	area_put(n, ar);
	kvm_free(n->a.sim->kvm, NULL, nd->va, nd->order);
	free(nd->bits);
	free(nd->area_at);
	n->cpu[nd->cpu].nodes--;
	nd->nchunks = 0;
	nd->next_free = n->node_free;
	n->node_free = id;
	n->st_nodes_freed++;
}

static uint32_t node_of(struct nta *n, uint64_t addr)
{
	uint32_t pfn = kvm_va_to_pfn(n->a.sim->kvm, addr);
	if (pfn == PFN_NONE)
		return NTA_NONE;
	uint32_t id = page_owner(n->a.sim->pl, pfn) == OWNER_SLAB ? page_private(n->a.sim->pl, pfn, OWNER_SLAB, 0) : NTA_NONE;
	return id < n->nnodes && n->node[id].nchunks ? id : NTA_NONE;
}

/* --- free, with merging ------------------------------------------------ */

/* The object leaves A(t) and the live counts (at its free, even if the
 * chunks are freed later). */
static void nta_unlive(struct nta *n, struct nta_node *nd, uint32_t len)
{
	nd->live--;
	n->cpu[nd->cpu].live_objs--;
	n->a.alloc_bytes -= (uint64_t)len << n->shift;
}

/* Free the chunks of an object (queued: its free was queued, it is no
 * longer live). */
static void nta_free_local(struct nta *n, uint32_t id, uint64_t addr, uint32_t size, bool queued)
{
	struct nta_node *nd = &n->node[id];
	uint32_t pos = (uint32_t)((addr - nd->va) >> n->shift);
	uint32_t len = (uint32_t)nta_chunks(n, size);   /* <= maxlen: the object was allocated */
	bits_set(nd->bits, pos, len, false);
	nd->used -= len;
	if (queued)
		nd->queued -= len;
	else
		nta_unlive(n, nd, len);
	uint32_t start = pos, end = pos + len;
	if (end < nd->nchunks && !bit_get(nd->bits, end)) {          /* free area after */
		uint32_t r = nd->area_at[end];
		end += n->area[r].len;
		list_del(n, r);
		area_put(n, r);
		n->st_merges++;
	}
	if (start > 0 && !bit_get(nd->bits, start - 1)) {            /* free area before */
		uint32_t l = nd->area_at[start - 1];
		start = n->area[l].pos;
		list_del(n, l);
		area_put(n, l);
		n->st_merges++;
	}
	list_add(n, area_new(n, id, start, end - start));
	if (n->release && nd->used == 0)
		node_release(n, id);
}

/* Complete the frees other CPUs queued for this one. */
static void nta_drain_queue(struct nta *n, unsigned cpu)
{
	struct nta_cpu *c = &n->cpu[cpu];
	for (size_t i = 0; i < c->nq; i++)
		nta_free_local(n, node_of(n, c->q[i].addr), c->q[i].addr, c->q[i].size, true);
	c->nq = 0;
}

/* --- the back end ------------------------------------------------------ */

static struct allocator *nta_create(struct sim *sim, const struct params *p)
{
	unsigned chunk = p->nta_chunk;   /* a power of two in range: params_check */
	struct nta *n = xcalloc(1, sizeof(*n));
	n->a.sim = sim;
	n->chunk = chunk;
	n->shift = (unsigned)__builtin_ctz(chunk);
	n->cpus = p->cpus ? p->cpus : 1;
	n->release = p->nta_release;
	n->maxlen = (uint32_t)((PAGE_SIZE << NTA_MAX_ORDER) >> n->shift);
	n->node_free = n->area_free = NTA_NONE;
	n->cpu = xcalloc(n->cpus, sizeof(*n->cpu));
	for (unsigned c = 0; c < n->cpus; c++) {
		n->cpu[c].head = xmalloc((n->maxlen + 1) * sizeof(uint32_t));
		for (uint32_t l = 0; l <= n->maxlen; l++)
			n->cpu[c].head[l] = NTA_NONE;
		n->cpu[c].nonempty = xcalloc((n->maxlen >> 6) + 1, sizeof(uint64_t));
	}
	return &n->a;
}

static void nta_destroy(struct allocator *a)
{
	struct nta *n = nta_of(a);
	for (uint32_t i = 0; i < n->nnodes; i++)
		if (n->node[i].nchunks) {
			free(n->node[i].bits);
			free(n->node[i].area_at);
		}
	for (unsigned c = 0; c < n->cpus; c++) {
		free(n->cpu[c].head);
		free(n->cpu[c].nonempty);
		free(n->cpu[c].q);
	}
	free(n->cpu);
	free(n->node);
	free(n->area);
	free(n);
}

/* NTA has no caches: a named cache is an object size served by the pools. */
static int nta_cache_create(struct allocator *a, const char *name, uint32_t size, uint32_t align,
			    unsigned flags)
{
	(void)a; (void)name; (void)size; (void)align; (void)flags;
	return 1;
}

static uint64_t nta_alloc(struct allocator *a, int cache, uint32_t size, unsigned cpu, unsigned gfp)
{
	(void)cache;
	struct nta *n = nta_of(a);
	cpu %= n->cpus;
	struct nta_cpu *c = &n->cpu[cpu];
	if (c->nq)
		nta_drain_queue(n, cpu);
	uint64_t want64 = nta_chunks(n, size);
	if (want64 > n->maxlen) {
		a->last_fail = FAIL_TOO_BIG;
		return 0;
	}
	uint32_t want = (uint32_t)want64;
	uint32_t len = list_find(n, c, want);
	if (!len) {
		unsigned order = 0;
		while (((PAGE_SIZE << order) >> n->shift) < want)
			order++;
		enum fail_reason why = FAIL_NOMEM;
		if (node_new(n, cpu, order, gfp, &why) == NTA_NONE) {
			a->last_fail = why;
			return 0;
		}
		len = list_find(n, c, want);
	}
	uint32_t id = c->head[len];
	struct nta_area ar = n->area[id];
	struct nta_node *nd = &n->node[ar.node];
	list_del(n, id);
	if (ar.len > want) {           /* split: the rest goes back on its list */
		n->area[id].pos = ar.pos + want;
		n->area[id].len = ar.len - want;
		list_add(n, id);
		n->st_splits++;
	} else {
		area_put(n, id);
	}
	bits_set(nd->bits, ar.pos, want, true);
	nd->used += want;
	nd->live++;
	c->live_objs++;
	a->alloc_bytes += (uint64_t)want << n->shift;
	return nd->va + ((uint64_t)ar.pos << n->shift);
}

static void nta_free(struct allocator *a, int cache, uint64_t addr, uint32_t size, unsigned cpu)
{
	(void)cache;
	struct nta *n = nta_of(a);
	cpu %= n->cpus;
	uint32_t id = node_of(n, addr);
	if (id == NTA_NONE)
		die("nta: free of %#llx, which no node holds", (unsigned long long)addr);
	if (n->cpu[cpu].nq)
		nta_drain_queue(n, cpu);
	struct nta_node *nd = &n->node[id];
	unsigned owner = nd->cpu;
	if (owner != cpu) {            /* to the owner's queue; no longer live */
		struct nta_cpu *o = &n->cpu[owner];
		if (o->nq == o->qcap) {
			o->qcap = o->qcap ? o->qcap * 2 : 64;
			o->q = xrealloc(o->q, o->qcap * sizeof(*o->q));
		}
		o->q[o->nq++] = (struct nta_deferred){ addr, size };
		nd->queued += (uint32_t)nta_chunks(n, size);
		nta_unlive(n, nd, (uint32_t)nta_chunks(n, size));
		n->st_deferred++;
		return;
	}
	nta_free_local(n, id, addr, size, false);
}

static void nta_reclaim(struct allocator *a)
{
	struct nta *n = nta_of(a);
	for (unsigned c = 0; c < n->cpus; c++)
		nta_drain_queue(n, c);
}

static void nta_caches(struct allocator *a, cache_info_fn_t fn, void *ctx)
{
	struct nta *n = nta_of(a);
	for (unsigned c = 0; c < n->cpus; c++) {
		char name[32];
		snprintf(name, sizeof(name), "nta-cpu%u", c);
		struct cache_info ci = { .name = name, .objsize = n->chunk,
					 .objperslab = (uint32_t)(PAGE_SIZE >> n->shift), .pagesperslab = 1 };
		for (uint32_t i = 0; i < n->nnodes; i++) {
			const struct nta_node *nd = &n->node[i];
			if (!nd->nchunks || nd->cpu != c)
				continue;
			uint32_t live = nd->used - nd->queued;
			ci.active_objs += live;
			ci.num_objs += nd->nchunks;
			ci.num_slabs += 1u << nd->order;
			ci.active_slabs += live ? 1u << nd->order : 0;
			cache_unit_count(&ci, live, nd->nchunks, 1u << nd->order);
		}
		fn(ctx, &ci);
	}
}

static void nta_report(struct allocator *a, report_fn_t fn, void *ctx)
{
	struct nta *n = nta_of(a);
	uint64_t nodes = 0, queued = 0;
	for (unsigned c = 0; c < n->cpus; c++) {
		nodes += n->cpu[c].nodes;
		queued += n->cpu[c].nq;
	}
	fn(ctx, "nta_chunk", n->chunk);
	fn(ctx, "nta_nodes", (double)nodes);
	fn(ctx, "nta_nodes_allocated", (double)n->st_nodes_alloc);
	fn(ctx, "nta_nodes_freed", (double)n->st_nodes_freed);
	fn(ctx, "nta_splits", (double)n->st_splits);
	fn(ctx, "nta_merges", (double)n->st_merges);
	fn(ctx, "nta_deferred_frees", (double)n->st_deferred);
	fn(ctx, "nta_queued_frees", (double)queued);
	fn(ctx, "nta_free_bytes", (double)(n->st_free_chunks << n->shift));
}

/* Used runs of live chunks: a node with queued frees is walked on a copy
 * of its bitmap with their chunks cleared. */
static void nta_walk(struct allocator *a, walk_fn_t fn, void *ctx)
{
	struct nta *n = nta_of(a);
	uint64_t **live = xcalloc(n->nnodes + 1, sizeof(*live));
	for (unsigned c = 0; c < n->cpus; c++)
		for (size_t k = 0; k < n->cpu[c].nq; k++) {
			const struct nta_deferred *d = &n->cpu[c].q[k];
			uint32_t id = node_of(n, d->addr);
			const struct nta_node *nd = &n->node[id];
			size_t words = (nd->nchunks + 63) / 64;
			if (!live[id]) {
				live[id] = xmalloc(words * sizeof(uint64_t));
				memcpy(live[id], nd->bits, words * sizeof(uint64_t));
			}
			bits_set(live[id], (uint32_t)((d->addr - nd->va) >> n->shift), (uint32_t)nta_chunks(n, d->size), false);
		}
	for (uint32_t i = 0; i < n->nnodes; i++) {
		const struct nta_node *nd = &n->node[i];
		const uint64_t *bits = live[i] ? live[i] : nd->bits;
		for (uint32_t p = 0; p < nd->nchunks; ) {
			if (!bit_get(bits, p)) { p++; continue; }
			uint32_t q = p;
			while (q < nd->nchunks && bit_get(bits, q))
				q++;
			fn(ctx, nd->va + ((uint64_t)p << n->shift), (uint64_t)(q - p) << n->shift);
			p = q;
		}
		free(live[i]);
	}
	free(live);
}

#define FAIL(...) do { snprintf(msg, msglen, __VA_ARGS__); free(queued); return false; } while (0)

static bool nta_check(struct allocator *a, char *msg, size_t msglen)
{
	struct nta *n = nta_of(a);
	uint32_t *queued = NULL;     /* per node: chunks of its queued frees */
	uint64_t used_bytes = 0, queued_bytes = 0, free_chunks = 0, areas_seen = 0, listed = 0;
	for (uint32_t i = 0; i < n->nnodes; i++) {
		const struct nta_node *nd = &n->node[i];
		if (!nd->nchunks)
			continue;
		uint32_t used = 0;
		for (uint32_t p = 0; p < nd->nchunks; ) {
			if (bit_get(nd->bits, p)) { used++; p++; continue; }
			uint32_t q = p;
			while (q < nd->nchunks && !bit_get(nd->bits, q))
				q++;
			uint32_t id = nd->area_at[p];   /* the maximal free run [p, q) must be one area */
			if (id >= n->nareas || n->area[id].node != i || n->area[id].pos != p ||
			    n->area[id].len != q - p || nd->area_at[q - 1] != id)
				FAIL("nta: node %u (va %#llx): free run at chunk %u+%u is not one registered area",
				     i, (unsigned long long)nd->va, p, q - p);
			areas_seen++;
			free_chunks += q - p;
			p = q;
		}
		if (used != nd->used || nd->queued > used)
			FAIL("nta: node %u: %u chunks used in the bitmap, %u counted (%u queued)", i, used, nd->used,
			     nd->queued);
		queued_bytes += (uint64_t)nd->queued << n->shift;
		if (n->release && used == 0)
			FAIL("nta: node %u is wholly free but not released (--nta-release)", i);
		used_bytes += (uint64_t)used << n->shift;
		uint32_t pfn = kvm_va_to_pfn(a->sim->kvm, nd->va);
		if (pfn == PFN_NONE || page_owner(a->sim->pl, pfn) != OWNER_SLAB || page_private(a->sim->pl, pfn, OWNER_SLAB, 0) != i)
			FAIL("nta: node %u: its frame does not point back to it", i);
	}
	queued = xcalloc(n->nnodes + 1, sizeof(*queued));
	for (unsigned c = 0; c < n->cpus; c++) {
		for (uint32_t l = 1; l <= n->maxlen; l++) {
			bool ne = n->cpu[c].nonempty[l >> 6] >> (l & 63) & 1;
			if (ne != (n->cpu[c].head[l] != NTA_NONE))
				FAIL("nta: cpu %u: list %u non-empty bit disagrees with the list", c, l);
			uint32_t prev = NTA_NONE;
			for (uint32_t id = n->cpu[c].head[l]; id != NTA_NONE; id = n->area[id].next) {
				const struct nta_area *ar = &n->area[id];
				if (ar->len != l || ar->prev != prev || n->node[ar->node].cpu != c)
					FAIL("nta: cpu %u: area %u on list %u has len %u, node of cpu %u",
					     c, id, l, ar->len, n->node[ar->node].cpu);
				if (++listed > n->nareas)
					FAIL("nta: cpu %u: list %u loops", c, l);
				prev = id;
			}
		}
		for (size_t q = 0; q < n->cpu[c].nq; q++) {
			uint32_t id = node_of(n, n->cpu[c].q[q].addr);
			if (id == NTA_NONE || n->node[id].cpu != c)
				FAIL("nta: cpu %u: queued free %#llx is not in a node of this CPU", c,
				     (unsigned long long)n->cpu[c].q[q].addr);
			uint32_t pos = (uint32_t)((n->cpu[c].q[q].addr - n->node[id].va) >> n->shift);
			if (!bit_get(n->node[id].bits, pos))
				FAIL("nta: cpu %u: queued free %#llx is already free", c,
				     (unsigned long long)n->cpu[c].q[q].addr);
			queued[id] += nta_chunks(n, n->cpu[c].q[q].size);
		}
	}
	for (uint32_t i = 0; i < n->nnodes; i++)
		if (n->node[i].nchunks && queued[i] != n->node[i].queued)
			FAIL("nta: node %u: %u chunks queued for freeing, queues hold %u", i, n->node[i].queued, queued[i]);
	free(queued);
	queued = NULL;
	if (listed != areas_seen)
		FAIL("nta: %llu areas on lists, %llu free runs in the bitmaps",
		     (unsigned long long)listed, (unsigned long long)areas_seen);
	if (free_chunks != n->st_free_chunks)
		FAIL("nta: %llu free chunks in bitmaps, %llu counted",
		     (unsigned long long)free_chunks, (unsigned long long)n->st_free_chunks);
	if (used_bytes - queued_bytes != a->alloc_bytes)
		FAIL("nta: %llu used bytes in bitmaps, %llu of them queued for freeing, alloc_bytes %llu",
		     (unsigned long long)used_bytes, (unsigned long long)queued_bytes, (unsigned long long)a->alloc_bytes);
	return true;
}

static bool nta_info(const struct params *p, uint32_t size, char *out, size_t outlen)
{
	uint64_t chunk = p->nta_chunk;
	uint64_t bytes = (size ? ((uint64_t)size + chunk - 1) / chunk : 1) * chunk;
	if (bytes > ((uint64_t)PAGE_SIZE << NTA_MAX_ORDER))
		return false;
	unsigned order = 0;
	while (((uint64_t)PAGE_SIZE << order) < bytes)
		order++;
	snprintf(out, outlen, "%llu %llu %u", (unsigned long long)bytes,
		 (unsigned long long)(((uint64_t)PAGE_SIZE << order) / bytes), 1u << order);
	return true;
}

const struct allocator_ops nta_ops = {
	.name = "nta",
	.summary = "Polyakov's network tree allocator: 32-byte chunks, per-CPU free lists by size, merging frees",
	.create = nta_create,
	.destroy = nta_destroy,
	.cache_create = nta_cache_create,
	.alloc = nta_alloc,
	.free = nta_free,
	.reclaim = nta_reclaim,
	.caches = nta_caches,
	.report = nta_report,
	.walk = nta_walk,
	.check = nta_check,
	.info = nta_info,
};
