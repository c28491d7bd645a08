/*
 * vmem.c - a virtual range allocator in the spirit of illumos vmem
 * (usr/src/uts/common/os/vmem.c; Bonwick and Adams, "Magazines and Vmem",
 * USENIX 2001), the kernel map's and its submaps' allocator in sim/kvm.c.
 *
 * Big Theory Statement
 *
 * 1. Arenas. An arena (struct vmem) manages the integer range
 *    [base, base + size) in units of one quantum; kvm's quantum is a
 *    4 KiB page, so an arena hands out page numbers. An arena is created
 *    with its range (vmem_create), or imports its range from a source
 *    arena (vmem_create_import): the span is allocated from the source as
 *    any segment is, stays allocated there for the arena's life and goes
 *    back when the arena is destroyed. kvm's kernel map is a root arena;
 *    each submap (Mach's kmem_suballoc, zone_map) imports its span from it,
 *    2 MiB aligned so its page tables are its own.
 *
 * 2. Segments. The range is tiled by allocated and free segments. Only
 *    the free ones are recorded: each free segment is a node [start, len)
 *    of a treap keyed by start (a binary search tree in address order,
 *    heap-ordered on a pseudo-random priority), so the nodes play the part
 *    of illumos's boundary tags on the free side: neighbours are found in
 *    O(log n) and coalesced on free, so no two free segments ever touch.
 *    Allocated segments are not recorded: the caller gives the size back
 *    to vmem_free, as to every allocator in kmemsim (x15's kmem_free).
 *
 * 3. Placement. vmem_alloc(order) returns a block of 2^order quanta
 *    aligned to its own size (naturally aligned, as illumos's
 *    vmem_xalloc with align = size gives, and as the buddy allocator's
 *    blocks are, so back ends may rely on the alignment whichever page
 *    source they use), at the lowest address that has one: address-ordered
 *    first fit. Each node caches the largest order that fits aligned in its
 *    segment (fit) and in its subtree (maxfit), so the search descends one
 *    path: O(log n). vmem_xalloc(size, align) is the general first fit,
 *    a linear walk, for the rare carving of submaps.
 *
 * 4. Why first fit. Johnstone and Wilson (1998) found address-ordered
 *    first fit and best fit equally good on real programs; first fit keeps
 *    the used part of an arena dense at its low end, which is what Mach's
 *    vm_map_find_entry does for the kernel map.
 *
 * 5. Determinism. Priorities come from a xorshift32 generator per arena
 *    with a fixed seed: the same operations build the same tree. (Placement
 *    never depends on the tree's shape, only on the set of free segments.)
 *
 * 6. Cost. A free segment is 32 bytes (static-asserted); nodes live in one
 *    array per arena, linked by int32 indices, recycled through a free list.
 *    10^6 operations cost microseconds each.
 *
 * Departures from illumos vmem: no quantum caches (kmem caches in front of
 * small sizes), no hash of allocated segments (sizes are given back), one
 * policy (first fit; illumos offers instant fit, best fit and next fit), no
 * dynamic import on demand (an imported arena has one span, fixed at
 * creation), no nocross/phase/minaddr/maxaddr constraints, no locking.
 *
 * Invariants (vmem_check): the treap is in address order and heap order;
 * every free segment is non-empty, inside the arena, disjoint from and not
 * adjacent to the next; its fit and maxfit are current; free + used = size;
 * the node count matches; an imported span lies inside its source and no
 * free segment of the source overlaps it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmem.h"

#define SEG_NIL  (-1)

/* A free segment [start, start + len) in quanta: 32 bytes. */
struct vmem_seg {
	uint64_t start, len;
	int32_t  left, right;
	uint32_t prio;      /* treap heap order: parent >= children */
	int8_t   fit;       /* largest k: an aligned 2^k-quantum block fits in this range */
	int8_t   maxfit;    /* largest fit in the subtree */
	uint16_t pad;
};
_Static_assert(sizeof(struct vmem_seg) == 32, "free range node is 32 bytes");

struct vmem {
	struct vmem_seg *seg;
	uint32_t cap, nnodes;     /* node slots allocated, slots handed out */
	int32_t  free_list;       /* recycled slots, linked by .left */
	int32_t  root;
	uint32_t prio_state;
	uint64_t base, size;      /* the arena: [base, base + size), in quanta */
	uint64_t used;            /* quanta handed out */
	uint64_t nsegs;           /* free segments */
	char    *name;
	struct vmem *source;      /* the arena the span was imported from, or NULL */
};

static int8_t vmem_seg_fit(uint64_t start, uint64_t len)
{
	int8_t k = 0;
	while (k < 62) {
		uint64_t b = 1ull << (k + 1);
		uint64_t a = (start + b - 1) & ~(b - 1);
		if (a + b > start + len)
			break;
		k++;
	}
	return k;
}

static inline int vmem_maxfit(const struct vmem *a, int32_t t)
{
	return t < 0 ? -1 : a->seg[t].maxfit;
}

static void vmem_update(struct vmem *a, int32_t t)
{
	struct vmem_seg *s = &a->seg[t];
	int m = s->fit, l = vmem_maxfit(a, s->left), r = vmem_maxfit(a, s->right);
	s->maxfit = (int8_t)MAX(m, MAX(l, r));
}

static int32_t vmem_node_new(struct vmem *a, uint64_t start, uint64_t len)
{
	int32_t t;
	if (a->free_list != SEG_NIL) {
		t = a->free_list;
		a->free_list = a->seg[t].left;
	} else {
		if (a->nnodes == a->cap) {
			a->cap = a->cap ? 2 * a->cap : 64;
			a->seg = xrealloc(a->seg, a->cap * sizeof(*a->seg));
		}
		t = (int32_t)a->nnodes++;
	}
	a->prio_state ^= a->prio_state << 13;   /* xorshift32: deterministic */
	a->prio_state ^= a->prio_state >> 17;
	a->prio_state ^= a->prio_state << 5;
	struct vmem_seg *s = &a->seg[t];
	*s = (struct vmem_seg){ start, len, SEG_NIL, SEG_NIL, a->prio_state, vmem_seg_fit(start, len), 0, 0 };
	s->maxfit = s->fit;
	a->nsegs++;
	return t;
}

static void vmem_node_free(struct vmem *a, int32_t t)
{
	a->seg[t].left = a->free_list;
	a->seg[t].len = 0;
	a->free_list = t;
	a->nsegs--;
}

/* Split t into ranges starting below key (*l) and at or above it (*r). */
static void vmem_split(struct vmem *a, int32_t t, uint64_t key, int32_t *l, int32_t *r)
{
	if (t < 0) {
		*l = *r = SEG_NIL;
		return;
	}
	if (a->seg[t].start < key) {
		int32_t rr;
		vmem_split(a, a->seg[t].right, key, &rr, r);
		a->seg[t].right = rr;
		*l = t;
	} else {
		int32_t ll;
		vmem_split(a, a->seg[t].left, key, l, &ll);
		a->seg[t].left = ll;
		*r = t;
	}
	vmem_update(a, t);
}

/* Join two treaps, every range of l before every range of r. */
static int32_t vmem_merge(struct vmem *a, int32_t l, int32_t r)
{
	if (l < 0)
		return r;
	if (r < 0)
		return l;
	if (a->seg[l].prio >= a->seg[r].prio) {
		int32_t m = vmem_merge(a, a->seg[l].right, r);
		a->seg[l].right = m;
		vmem_update(a, l);
		return l;
	}
	int32_t m = vmem_merge(a, l, a->seg[r].left);
	a->seg[r].left = m;
	vmem_update(a, r);
	return r;
}

static void vmem_insert(struct vmem *a, uint64_t start, uint64_t len)
{
	int32_t l, r;
	vmem_split(a, a->root, start, &l, &r);
	a->root = vmem_merge(a, vmem_merge(a, l, vmem_node_new(a, start, len)), r);
}

static void vmem_init(struct vmem *a, uint64_t base, uint64_t size)
{
	memset(a, 0, sizeof(*a));
	a->free_list = SEG_NIL;
	a->root = SEG_NIL;
	a->prio_state = 2463534242u;
	a->base = base;
	a->size = size;
	vmem_insert(a, base, size);
}

static void vmem_fini(struct vmem *a)
{
	free(a->seg);
}

/* Take [blk, blk + n) out of the free range t (which contains it). */
static void vmem_take(struct vmem *a, int32_t t, uint64_t blk, uint64_t n)
{
	uint64_t s = a->seg[t].start, e = s + a->seg[t].len;
	int32_t l, m, r;
	vmem_split(a, a->root, s, &l, &r);
	vmem_split(a, r, s + 1, &m, &r);
	vmem_node_free(a, m);
	a->root = vmem_merge(a, l, r);
	if (blk > s)
		vmem_insert(a, s, blk - s);
	if (blk + n < e)
		vmem_insert(a, blk + n, e - blk - n);
	a->used += n;
}

uint64_t vmem_alloc(struct vmem *a, unsigned order)
{
	int32_t t = a->root;
	if (vmem_maxfit(a, t) < (int)order)
		return VMEM_FAIL;
	for (;;) {
		int32_t l = a->seg[t].left;
		if (vmem_maxfit(a, l) >= (int)order)
			t = l;
		else if (a->seg[t].fit >= (int)order)
			break;
		else
			t = a->seg[t].right;
	}
	uint64_t n = 1ull << order;
	uint64_t blk = (a->seg[t].start + n - 1) & ~(n - 1);
	vmem_take(a, t, blk, n);
	return blk;
}

/* First segment (in address order) holding n quanta aligned to align;
 * a linear walk, for the rare submap creation. */
static int32_t vmem_find_range(const struct vmem *a, int32_t t, uint64_t n, uint64_t align, uint64_t *blk)
{
	if (t < 0)
		return SEG_NIL;
	int32_t f = vmem_find_range(a, a->seg[t].left, n, align, blk);
	if (f >= 0)
		return f;
	const struct vmem_seg *s = &a->seg[t];
	uint64_t b = ALIGN_UP(s->start, align);
	if (b + n <= s->start + s->len) {
		*blk = b;
		return t;
	}
	return vmem_find_range(a, s->right, n, align, blk);
}

bool vmem_free(struct vmem *a, uint64_t p, uint64_t n)
{
	if (p < a->base || p + n > a->base + a->size || n > a->used)
		return false;
	int32_t l, r, t;
	vmem_split(a, a->root, p, &l, &r);
	int32_t lm = l, rm = r;
	while (lm >= 0 && a->seg[lm].right >= 0)
		lm = a->seg[lm].right;
	while (rm >= 0 && a->seg[rm].left >= 0)
		rm = a->seg[rm].left;
	if ((lm >= 0 && a->seg[lm].start + a->seg[lm].len > p) || (rm >= 0 && a->seg[rm].start < p + n)) {
		a->root = vmem_merge(a, l, r);
		return false;
	}
	uint64_t s = p, e = p + n;
	if (lm >= 0 && a->seg[lm].start + a->seg[lm].len == p) {
		s = a->seg[lm].start;
		vmem_split(a, l, s, &l, &t);
		vmem_node_free(a, t);
	}
	if (rm >= 0 && a->seg[rm].start == e) {
		e = a->seg[rm].start + a->seg[rm].len;
		vmem_split(a, r, a->seg[rm].start + 1, &t, &r);
		vmem_node_free(a, t);
	}
	a->root = vmem_merge(a, vmem_merge(a, l, vmem_node_new(a, s, e - s)), r);
	a->used -= n;
	return true;
}

struct vmem_walk {
	const struct vmem *a;
	uint64_t prev_end, free_quanta, nodes;
	char *msg;
	size_t msglen;
	bool ok;
};

static void vmem_check_node(struct vmem_walk *w, int32_t t, uint32_t parent_prio)
{
	if (t < 0 || !w->ok)
		return;
	const struct vmem_seg *s = &w->a->seg[t];
	vmem_check_node(w, s->left, s->prio);
	if (!w->ok)
		return;
	int want = MAX(s->fit, MAX(vmem_maxfit(w->a, s->left), vmem_maxfit(w->a, s->right)));
	if (s->len == 0 || s->start < w->prev_end || (w->nodes && s->start == w->prev_end) ||
	    s->start + s->len > w->a->base + w->a->size || s->prio > parent_prio ||
	    s->fit != vmem_seg_fit(s->start, s->len) || s->maxfit != want) {
		snprintf(w->msg, w->msglen, "vmem %s: free segment %#llx+%llu (node %d) misordered, "
			 "overlapping, uncoalesced or with a stale summary", w->a->name,
			 (unsigned long long)s->start, (unsigned long long)s->len, t);
		w->ok = false;
		return;
	}
	w->prev_end = s->start + s->len;
	w->free_quanta += s->len;
	w->nodes++;
	vmem_check_node(w, s->right, s->prio);
}

/* Does a free segment of the subtree t overlap [p, p + n)? */
static bool vmem_free_overlaps(const struct vmem *a, int32_t t, uint64_t p, uint64_t n)
{
	while (t >= 0) {
		const struct vmem_seg *s = &a->seg[t];
		if (s->start + s->len <= p)
			t = s->right;
		else if (s->start >= p + n)
			t = s->left;
		else
			return true;
	}
	return false;
}

bool vmem_check(const struct vmem *a, char *msg, size_t msglen)
{
	struct vmem_walk w = { a, a->base, 0, 0, msg, msglen, true };
	vmem_check_node(&w, a->root, UINT32_MAX);
	if (!w.ok)
		return false;
	if (w.free_quanta + a->used != a->size || w.nodes != a->nsegs) {
		snprintf(msg, msglen, "vmem %s: %llu free + %llu used quanta != %llu, or %llu segments != %llu",
			 a->name, (unsigned long long)w.free_quanta, (unsigned long long)a->used,
			 (unsigned long long)a->size, (unsigned long long)w.nodes, (unsigned long long)a->nsegs);
		return false;
	}
	const struct vmem *src = a->source;
	if (src && (a->base < src->base || a->base + a->size > src->base + src->size ||
		    vmem_free_overlaps(src, src->root, a->base, a->size))) {
		snprintf(msg, msglen, "vmem %s: imported span %#llx+%llu is not allocated in its source %s",
			 a->name, (unsigned long long)a->base, (unsigned long long)a->size, src->name);
		return false;
	}
	return true;
}

/* ---- arenas ---- */

struct vmem *vmem_create(const char *name, uint64_t base, uint64_t size)
{
	struct vmem *a = xmalloc(sizeof(*a));
	vmem_init(a, base, size);
	a->name = xstrdup(name);
	return a;
}

uint64_t vmem_xalloc(struct vmem *a, uint64_t n, uint64_t align)
{
	uint64_t blk = 0;
	int32_t t = n && align ? vmem_find_range(a, a->root, n, align, &blk) : SEG_NIL;
	if (t < 0)
		return VMEM_FAIL;
	vmem_take(a, t, blk, n);
	return blk;
}

struct vmem *vmem_create_import(const char *name, struct vmem *source, uint64_t size, uint64_t align)
{
	uint64_t base = vmem_xalloc(source, size, align);
	if (base == VMEM_FAIL)
		return NULL;
	struct vmem *a = vmem_create(name, base, size);
	a->source = source;
	return a;
}

void vmem_destroy(struct vmem *a)
{
	if (!a)
		return;
	if (a->source && !vmem_free(a->source, a->base, a->size))
		die("vmem %s: its span is not allocated in %s", a->name, a->source->name);
	vmem_fini(a);
	free(a->name);
	free(a);
}

uint64_t vmem_base(const struct vmem *a) { return a->base; }
uint64_t vmem_size(const struct vmem *a) { return a->size; }
uint64_t vmem_used(const struct vmem *a) { return a->used; }
uint64_t vmem_nsegs(const struct vmem *a) { return a->nsegs; }

int vmem_largest_order(const struct vmem *a)
{
	return vmem_maxfit(a, a->root);
}

