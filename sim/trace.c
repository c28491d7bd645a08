/*
 * trace.c - replay of recorded allocation traces: the driver.
 *
 * 1. Inputs. A trace is text in one of four families (ftrace, trace-cmd
 *    report, perf script, glibc mtrace; trace_text.c, which also says how
 *    numbers are read and checked) or a .kmt file (kmemsim's binary trace,
 *    made by `kmemsim convert`; trace_kmt.c specifies it), told apart by
 *    content, never by file name; plain, on standard input, or compressed
 *    with xz, gzip or zstd (trace_input.c). Either gives trace items: one
 *    kmem record each, as the trace said it. This file turns items into
 *    engine events (3, 4), and `kmemsim convert` writes them to a .kmt.
 *
 * 2. Two threads. Reading, decompressing (a child process), parsing and
 *    the decisions of 3 and 4 run on a parser thread; the engine runs on
 *    the caller's thread and stays single-threaded. They meet in a ring of
 *    TRACE_RING batches of up to TRACE_BATCH events (trace_feed_*): the
 *    parser fills a batch and hands it over, waiting only when all are
 *    full; the engine takes batches in order and waits only when none is
 *    ready (struct trace_ring says for how long). A named cache's creation travels in the same stream, as a
 *    marker event at the place the text names the cache first, so the
 *    engine sees events and caches in exactly the order a single thread
 *    would have made them. The parser thread blocks every signal (they
 *    reach the engine's thread). The engine may stop early (trace_feed_stop:
 *    a signal, a limit): the parser then stops at its next batch or read
 *    (reads wait with poll() on a stop pipe), closes its input, and is
 *    joined. A malformed line or a read error ends the parser; what was
 *    read before it is replayed, then its message is returned. The same
 *    code runs on the caller's thread, one batch at a time, for a plain
 *    file of at most TRACE_INLINE_MAX bytes (a thread would cost more than
 *    it saves) or if the thread cannot be started.
 *
 * 3. How events map to the engine (engine.h):
 *    kmalloc, kmalloc_node               EV_ALLOC cache 0, size bytes_req
 *    kmem_cache_alloc, ..._node          EV_ALLOC of the named cache
 *    kfree, kmem_cache_free              EV_FREE key ptr (0 = kfree(NULL))
 *    mm_page_alloc                       EV_PAGE_ALLOC key pfn, size order
 *    mm_page_free, mm_page_free_batched  EV_PAGE_FREE key pfn
 *    mtrace + / >                        EV_ALLOC cache 0; - / < EV_FREE
 *  A named cache is created on first sight; its object size and alignment
 *  come from the first allocation seen (trace_cache_geometry). Old traces
 *  have no name=, so the cache is named "cache-REQ-ALLOC". If the back end
 *  refuses a cache, its allocations go to kmalloc and are counted.
 *  Page events key on pfn= (hex or decimal); without a pfn, on page=.
 *  Time is the trace's timestamp relative to the first event; mtrace has
 *  none, so its events all happen "now".
 *
 * 4. The traced kernel's own allocations. A kernel trace shows what the
 *    real allocator did, not only what its users asked for: the pages SLUB
 *    took for its slabs, the pages behind each kmalloc_large, and objects
 *    SLUB allocated for itself. Replayed as workload they would be counted
 *    twice (the simulated back end builds its own slabs for the same
 *    objects). So, unless --replay-own-slab, they are set aside: counted,
 *    not replayed. The rule follows Linux 6.18 mm/slub.c and
 *    include/linux/gfp_types.h, checked against perf recordings of a
 *    6.18.44 kernel (tests/data/perf-6.18-*):
 *  a. A new-slab page. new_slab() keeps the caller's flags & (GFP_RECLAIM_MASK
 *     | GFP_CONSTRAINT_MASK); allocate_slab() adds s->allocflags (__GFP_COMP,
 *     and __GFP_RECLAIMABLE, GFP_DMA or GFP_DMA32 by cache), __GFP_NOWARN
 *     and __GFP_NORETRY, drops __GFP_NOFAIL, and above the cache's minimum
 *     order adds __GFP_NOMEMALLOC and drops __GFP_RECLAIM, then calls
 *     alloc_slab_page(). So its mm_page_alloc has __GFP_COMP, __GFP_NOWARN
 *     and __GFP_NORETRY and no bit outside those masks (never __GFP_HIGHMEM,
 *     __GFP_MOVABLE, __GFP_ZERO, __GFP_ACCOUNT, __GFP_NOFAIL, __GFP_WRITE;
 *     page-cache readahead has HIGHMEM|MOVABLE, page tables ZERO|ACCOUNT).
 *     And the allocation that needed the slab is traced next on the same
 *     CPU: the object itself (kmalloc, kmem_cache_alloc), or first the
 *     slab's slabobj_ext vector (account_slab() -> alloc_slab_obj_exts()),
 *     or first another new-slab page (the vector's kmalloc cache needed a
 *     slab too). A page allocation with the signature whose next kmem
 *     event on its CPU is an allocation is a new-slab page, and so are the
 *     signature pages just before it on that CPU (at most TRACE_CHAIN_MAX).
 *  b. A kmalloc_large page. ___kmalloc_large_node() takes alloc_pages(flags
 *     | __GFP_COMP, get_order(size)) for sizes above KMALLOC_MAX_CACHE_SIZE
 *     (8 KiB), then __kmalloc_large_noprof() traces kmalloc with bytes_alloc
 *     = PAGE_SIZE << order. A page allocation of order >= 2 with __GFP_COMP
 *     and without __GFP_HIGHMEM whose next kmem event on its CPU is a
 *     kmalloc with bytes_req > 8192 and bytes_alloc == 4096 << order is that
 *     page; the kmalloc is the workload and is replayed. This is decided
 *     before a. (kvmalloc's kmalloc try carries __GFP_NOWARN|__GFP_NORETRY).
 *     A large kmalloc that comes through __do_kmalloc_node() is traced
 *     twice: by __kmalloc_large_node_noprof() (call_site inside the slab
 *     allocator) and again by __do_kmalloc_node() (the caller), same ptr
 *     and sizes, a microsecond apart. A kmalloc with bytes_req > 8192 whose
 *     ptr, bytes_req and bytes_alloc equal those of the kmalloc just before
 *     it on its CPU is that second trace: set aside (the first, made when
 *     the pages were taken, is replayed).
 *  c. Slab metadata objects: kmalloc and kmem_cache_alloc whose call_site
 *     function is alloc_slab_obj_exts (slabobj_ext vectors), the sheaf
 *     allocators of 6.18's per-CPU sheaves (alloc_empty_sheaf,
 *     __alloc_empty_sheaf, alloc_full_sheaf, kmem_cache_prefill_sheaf) or
 *     init_kmem_cache_nodes (the barn), and every allocation from the
 *     kmem_cache_node cache (SLUB's per-node structures).
 *  d. Frees: mm_page_free(_batched) of a set-aside page's pfn and any free
 *     of a set-aside object's ptr are set aside; so are frees to
 *     kmem_cache_node and kfrees at SLUB's own free sites (__free_slab,
 *     free_slab_obj_exts, unaccount_slab: a slab's vector; free_empty_sheaf,
 *     barn_shrink, rcu_free_sheaf, rcu_free_sheaf_nobarn,
 *     kmem_cache_return_sheaf: a sheaf; free_kmem_cache_nodes), even of
 *     objects allocated before the trace began.
 *  Function names compare without the offset and without a compiler suffix
 *  (".isra.0", ".part.0"); static helpers are listed with the callers they
 *  are inlined into in 6.18 builds. The summary counts trace_own_slab_pages,
 *  trace_own_large_kmalloc_pages, trace_own_meta_allocs, their frees, and
 *  trace_own_dup_kmallocs.
 *  The event that follows: a page allocation that may be set aside is held,
 *  with every later event of any CPU, until the next kmem event of its CPU
 *  decides it; the engine then gets them all in file order with their own
 *  times. Failed page allocations (pfn 0), events of other kinds and
 *  skipped malformed lines are not "the next event". A page still
 *  undecided at the end of the file, or when TRACE_HOLD_MAX events are
 *  held, is replayed.
 *  Limits. Pointers in 6.x ftrace text are hashed (%p), so an object cannot
 *  be placed in the slab page it came from: the rule is the signature and
 *  the sequence, no address correlation. It misses a slab page whose first
 *  try failed (the fallback at the minimum order has the caller's flags),
 *  order-0 slab pages of older kernels that set __GFP_COMP only above
 *  order 0,
 *  gfp names other than 6.18's (GFP_NOWAIT is read as 6.18 defines it,
 *  with __GFP_NOWARN), bulk and sheaf refills not followed by a traced
 *  allocation, and an interrupt's kmem event between a page and its
 *  object. It can take for a slab page a page_frag refill (order 3,
 *  __GFP_COMP|__GFP_NOWARN|__GFP_NORETRY|__GFP_NOMEMALLOC) that is followed
 *  by an allocation. Cache descriptors (kmem_cache) and names made by
 *  kmem_cache_create are replayed: a trace does not tell them from a
 *  user's objects.
 *
 * Where it departs: a page allocation the kernel failed (page NULL) and a
 * failed realloc ("!") are counted as other events, not replayed. Of
 * gfp_flags only the bits that route an allocation are kept (GFP_DMA,
 * GFP_DMA32, GFP_ACCOUNT, GFP_RECLAIMABLE: trace_gfp_parse). mm_page_alloc's
 * migratetype is read and kept in a .kmt, not replayed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "engine.h"
#include "../allocators/allocator.h"
#include "trace.h"
#include "trace_input.h"
#include "trace_kmt.h"
#include "trace_text.h"

#define CACHEMAP_SIZE   (2 * SIM_MAX_CACHES)   /* power of two, load <= 1/2 */
#define TRACE_CACHES    (CACHEMAP_SIZE / 2)    /* named caches a replay can have */
#define TRACE_HOLD_MAX  (1u << 16)   /* events held behind an undecided page (power of two) */
#define TRACE_CHAIN_MAX 4            /* undecided new-slab pages of one CPU */
#define TRACE_KMALLOC_MAX_CACHE 8192u       /* SLUB's KMALLOC_MAX_CACHE_SIZE, 4 KiB pages */
#define TRACE_RING      16           /* batches between the threads */
#define TRACE_INLINE_MAX (256 * 1024) /* plain files up to this are parsed without a thread */

void trace_cache_geometry(uint32_t bytes_req, uint32_t bytes_alloc, uint32_t *size, uint32_t *align)
{
	static const uint32_t aligns[] = { 64, 32, 16, 8 };
	for (size_t i = 0; i < ARRAY_SIZE(aligns); i++) {
		if (ALIGN_UP((uint64_t)bytes_req, aligns[i]) == bytes_alloc) {
			*size = bytes_req;
			*align = aligns[i];
			return;
		}
	}
	*size = bytes_alloc;
	*align = 8;
}

/* ---- sources: a text trace or a .kmt file ---- */

struct trace_source {
	struct trace_input      in;
	const char             *path;
	bool                    kmt;
	struct trace_text       text;
	struct trace_kmt_reader reader;
	struct trace_strtab     tab;
};

/* Open path as text or .kmt (by its first bytes). -1 with err. */
static int source_open(struct trace_source *src, const char *path, bool lenient, bool page_events,
		       char *err, size_t errlen)
{
	memset(src, 0, sizeof(*src));
	src->path = path;
	trace_strtab_init(&src->tab);
	if (trace_input_open(&src->in, path, err, errlen) != 0)
		return -1;
	const unsigned char *head;
	ssize_t n = trace_input_peek(&src->in, TRACE_KMT_MAGIC_LEN, &head);
	if (n > 0 && trace_kmt_magic(head, (size_t)n)) {
		src->kmt = true;
		if (trace_kmt_reader_open(&src->reader, &src->in, path, &src->tab) != 0) {
			char xzerr[512];
			snprintf(err, errlen, "%s", src->reader.err);
			if (trace_input_close(&src->in, true, path, xzerr, sizeof(xzerr)) != 0)
				snprintf(err, errlen, "%s", xzerr);
			trace_kmt_reader_close(&src->reader);
			trace_strtab_fini(&src->tab);
			return -1;
		}
	} else {
		/* a read error here is met again, and reported, by the first line */
		trace_text_init(&src->text, &src->in, path, lenient, page_events, &src->tab);
	}
	return 0;
}

static inline int source_next(struct trace_source *src, struct trace_item *it)
{
	return src->kmt ? trace_kmt_next(&src->reader, it) : trace_text_next(&src->text, it);
}

static const char *source_error(const struct trace_source *src)
{
	return src->kmt ? src->reader.err : src->text.err;
}

static const struct trace_source_stats *source_stats(const struct trace_source *src)
{
	return src->kmt ? &src->reader.st : &src->text.st;
}

/* Close the input (drain: check an unfinished decompressor); the strings
 * and counts stay until source_fini. */
static int source_close(struct trace_source *src, bool drain, char *err, size_t errlen)
{
	int rc = trace_input_close(&src->in, drain, src->path, err, errlen);
	if (src->kmt)
		trace_kmt_reader_close(&src->reader);
	return rc;
}

static void source_fini(struct trace_source *src)
{
	trace_strtab_fini(&src->tab);
}

/* "no kmem events" when a source ended having recognised none. */
static int source_no_events(const struct trace_source_stats *st, const char *path, char *err, size_t errlen)
{
	if (st->recognised)
		return 0;
	int n = snprintf(err, errlen, "%s: no kmem events recognised; formats read: ftrace, "
			 "trace-cmd, perf script, glibc mtrace", path);
	if (st->malformed && n > 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, " (line %llu: %s)",
			 (unsigned long long)st->first_bad, st->first_why);
	return -1;
}

/* ---- the feed: the parser side ---- */

/* Named caches seen so far: name -> local cache id (1..TRACE_CACHES).
 * Open addressing on an FNV-1a hash; never more than half full. */
struct cachemap_entry {
	char *name;
	int   id;
};

/* What becomes of a record (rule 4). */
enum trace_own {
	OWN_NO,          /* the workload's: replayed */
	OWN_WAIT,        /* a page waiting for the next kmem event of its CPU */
	OWN_SLAB_PAGE,   /* SLUB's new-slab page (4a) */
	OWN_LARGE_PAGE,  /* kmalloc_large's pages (4b) */
	OWN_META,        /* slab metadata object, or a free at SLUB's own free site (4c, 4d) */
	OWN_DUP,         /* the second trace of one large kmalloc (4b) */
};

enum { CAND_SLAB = 1, CAND_LARGE = 2 };   /* what a waiting page may turn out to be */

/* One kmem record on its way to the engine (40 bytes). */
struct trace_rec {
	uint64_t time_ns, key;
	uint32_t size;       /* bytes_req, or order */
	uint32_t gfp;        /* engine gfp (zone modifiers) */
	int32_t  cache;      /* local cache id, 0 = kmalloc */
	uint16_t cpu;
	uint8_t  kind;       /* enum event_kind */
	uint8_t  own;        /* enum trace_own */
	uint8_t  cand;       /* CAND_* of a page allocation */
};
_Static_assert(sizeof(struct trace_rec) == 40, "held records stay 40 bytes");

/* Per CPU: the undecided pages, oldest first (sequence numbers in hold),
 * and the last kmem record if it was a kmalloc (4b's second trace). */
struct trace_cpu_wait {
	uint64_t seq[TRACE_CHAIN_MAX];
	unsigned n;
	bool     last_kmalloc;
	uint64_t last_key;
	uint32_t last_req, last_alloc;
};

/* What a trace string means, worked out on its first use. */
struct trace_str_memo {
	bool     done;
	bool     unknown;      /* a gfp name that is not Linux 6.18's */
	uint32_t gfp;          /* engine gfp bits (trace_gfp_parse) */
	uint32_t bits;         /* Linux gfp bits (trace_gfp_bits) */
	int32_t  cache;        /* local cache id of it as a name; -1 = not looked up */
};

/* The batches between the threads. A side that must wait sleeps until
 * the other has done a stretch of work (the parser until the ring is half
 * empty, the engine until TRACE_RING / 4 batches are ready or the parser
 * is done), so that on a busy machine the threads wake each other once
 * per several batches, not once per batch. */
struct trace_ring {
	pthread_mutex_t    mu;
	pthread_cond_t     to_engine, to_parser;
	uint64_t           head, tail;   /* handed-over batches are slot[head..tail) mod TRACE_RING */
	bool               done;         /* the parser has finished */
	bool               stop;         /* the engine asks the parser to stop */
	bool               engine_waits, parser_waits;
	struct trace_batch slot[TRACE_RING];
};

struct trace_feed {
	/* read by both threads only before the parser starts or after it is joined */
	struct trace_source  src;
	bool                 classify;     /* rule 4 (not --replay-own-slab) */
	bool                 page_events;
	bool                 threaded;
	pthread_t            thread;
	int                  stop_pipe[2];
	struct trace_ring    ring;
	bool                 engine_holds; /* the engine has slot[head] */
	/* the parser's */
	struct trace_batch  *fill;         /* the batch being filled */
	bool                 stopping;     /* the engine stopped: produce nothing more */
	bool                 finished;     /* source ended and closed */
	int                  rc;           /* 0, or 2 with err */
	char                 err[512];
	struct trace_stats   ts;           /* counts of this side */
	bool                 have_t0;
	uint64_t             t0;           /* ns of the first event */
	struct trace_str_memo *memo;       /* by string id */
	uint32_t             nmemo;
	struct trace_rec    *hold;         /* ring of TRACE_HOLD_MAX records */
	uint64_t             hold_head, hold_tail;   /* held: sequence numbers [head, tail) */
	struct trace_cpu_wait *wait;       /* per CPU, nwait of them */
	unsigned             nwait;
	struct objtab        own_pages;    /* set-aside pfn -> flags OWN_SLAB_PAGE / OWN_LARGE_PAGE */
	struct objtab        own_objs;     /* set-aside metadata pointers */
	unsigned             ncaches;
	struct cachemap_entry cachemap[CACHEMAP_SIZE];
	char                *cache_name[TRACE_CACHES + 1];     /* by local id */
	uint64_t             cache_lookups[TRACE_CACHES + 1];  /* allocations that named it */
	uint64_t             cache_full;   /* lookups refused: too many names */
};

/* ---- handing batches over ---- */

/* Hand the full batch to the engine and take the next free one; false
 * when the engine has stopped. (Threaded only.) */
static bool feed_publish(struct trace_feed *f)
{
	struct trace_ring *r = &f->ring;
	pthread_mutex_lock(&r->mu);
	r->tail++;
	if (r->engine_waits && r->tail - r->head >= TRACE_RING / 4)
		pthread_cond_signal(&r->to_engine);
	if (r->tail - r->head == TRACE_RING) {
		r->parser_waits = true;
		while (r->tail - r->head > TRACE_RING / 2 && !r->stop)
			pthread_cond_wait(&r->to_parser, &r->mu);
		r->parser_waits = false;
	}
	bool go = !r->stop;
	pthread_mutex_unlock(&r->mu);
	f->fill = &r->slot[r->tail % TRACE_RING];
	f->fill->n = 0;
	if (!f->fill->ev)   /* first use: a short trace needs few */
		f->fill->ev = xmalloc(TRACE_BATCH * sizeof(struct event));
	return go;
}

static void feed_batch_full(struct trace_feed *f)
{
	struct trace_batch *b = f->fill;
	if (!f->threaded) {   /* one batch, made larger: an item can release thousands */
		b->cap *= 2;
		b->ev = xrealloc(b->ev, b->cap * sizeof(*b->ev));
	} else if (!feed_publish(f)) {
		f->stopping = true;
	}
}

static inline void feed_emit(struct trace_feed *f, const struct event *ev)
{
	if (__builtin_expect(f->fill->n == f->fill->cap, 0)) {
		feed_batch_full(f);
		if (f->stopping)
			return;
	}
	f->fill->ev[f->fill->n++] = *ev;
}

static void trace_emit(struct trace_feed *f, const struct trace_rec *r)
{
	struct event ev = {
		.time_ns = r->time_ns, .key = r->key, .size = r->size, .cache = r->cache,
		.cpu = r->cpu, .kind = r->kind, .gfp = r->gfp,
	};
	feed_emit(f, &ev);
}

/* ---- caches ---- */

static uint32_t fnv1a(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

/* Local cache id of a named cache, made on first sight (its marker goes
 * to the engine now, before any event after it); 0 if there are too many. */
static int trace_cache_lookup(struct trace_feed *f, const char *name, size_t n,
			      uint32_t bytes_req, uint32_t bytes_alloc)
{
	uint32_t i = fnv1a(name, n) & (CACHEMAP_SIZE - 1);
	while (f->cachemap[i].name) {
		if (strlen(f->cachemap[i].name) == n && memcmp(f->cachemap[i].name, name, n) == 0) {
			f->cache_lookups[f->cachemap[i].id]++;
			return f->cachemap[i].id;
		}
		i = (i + 1) & (CACHEMAP_SIZE - 1);
	}
	if (f->ncaches >= TRACE_CACHES) {
		f->cache_full++;
		return 0;
	}
	char *copy = xmalloc(n + 1);
	memcpy(copy, name, n);
	copy[n] = '\0';
	int id = (int)++f->ncaches;
	f->cachemap[i] = (struct cachemap_entry){ copy, id };
	f->cache_name[id] = copy;
	f->cache_lookups[id] = 1;
	uint32_t size, align;
	trace_cache_geometry(bytes_req, bytes_alloc, &size, &align);
	struct event mark = { .kind = TRACE_EV_CACHE, .cache = id, .size = size, .gfp = align };
	feed_emit(f, &mark);
	return id;
}

/* What string id means (computed on first use). */
static struct trace_str_memo *feed_memo(struct trace_feed *f, uint32_t id)
{
	if (id >= f->nmemo) {
		uint32_t n = MAX(id + 1, f->nmemo * 2);
		f->memo = xrealloc(f->memo, n * sizeof(*f->memo));
		memset(f->memo + f->nmemo, 0, (n - f->nmemo) * sizeof(*f->memo));
		f->nmemo = n;
	}
	struct trace_str_memo *m = &f->memo[id];
	if (!m->done) {
		size_t n;
		const char *s = trace_strtab_get(&f->src.tab, id, &n);
		m->done = true;
		m->gfp = trace_gfp_parse(s, n);
		m->bits = trace_gfp_bits(s, n, &m->unknown);
		m->cache = -1;
	}
	return m;
}
/* ---- rule 4: holding, deciding and setting aside ---- */

/* Hand a decided record on: set aside and counted (4), or to the engine. */
static void trace_release(struct trace_feed *f, const struct trace_rec *r)
{
	struct trace_stats *ts = &f->ts;
	struct obj o;
	if (f->classify && r->own == OWN_DUP) {
		ts->own_dup_kmallocs++;
		return;
	}
	if (f->classify && r->key != 0) {
		switch (r->kind) {
		case EV_PAGE_ALLOC:
			if (r->own == OWN_SLAB_PAGE || r->own == OWN_LARGE_PAGE) {
				struct obj *p = objtab_lookup(&f->own_pages, r->key);
				if (!p)
					p = objtab_insert(&f->own_pages, r->key);
				p->flags = r->own;
				if (r->own == OWN_SLAB_PAGE)
					ts->own_slab_pages++;
				else
					ts->own_large_pages++;
				return;
			}
			if (f->own_pages.count)
				objtab_remove(&f->own_pages, r->key, NULL);   /* its free was lost */
			break;
		case EV_PAGE_FREE:
			if (f->own_pages.count && objtab_remove(&f->own_pages, r->key, &o)) {
				if (o.flags == OWN_SLAB_PAGE)
					ts->own_slab_page_frees++;
				else
					ts->own_large_page_frees++;
				return;
			}
			break;
		case EV_ALLOC:
			if (r->own == OWN_META) {
				if (!objtab_lookup(&f->own_objs, r->key))
					objtab_insert(&f->own_objs, r->key);
				ts->own_meta_allocs++;
				return;
			}
			if (f->own_objs.count)
				objtab_remove(&f->own_objs, r->key, NULL);    /* its free was lost */
			break;
		default:   /* EV_FREE */
			if ((f->own_objs.count && objtab_remove(&f->own_objs, r->key, NULL)) || r->own == OWN_META) {
				ts->own_meta_frees++;
				return;
			}
			break;
		}
	} else if (f->classify && r->own == OWN_META) {   /* a failed metadata allocation */
		ts->own_meta_allocs += r->kind == EV_ALLOC;
		ts->own_meta_frees += r->kind == EV_FREE;
		return;
	}
	trace_emit(f, r);
}

static struct trace_rec *trace_hold_at(struct trace_feed *f, uint64_t seq)
{
	return &f->hold[seq & (TRACE_HOLD_MAX - 1)];
}

/* Release held records from the oldest while they are decided. */
static void trace_hold_drain(struct trace_feed *f)
{
	while (f->hold_head != f->hold_tail) {
		struct trace_rec *r = trace_hold_at(f, f->hold_head);
		if (r->own == OWN_WAIT)
			break;
		trace_release(f, r);
		f->hold_head++;
	}
}

/* Every page waiting on w is replayed (no allocation followed it). */
static void trace_wait_replay(struct trace_feed *f, struct trace_cpu_wait *w)
{
	for (unsigned i = 0; i < w->n; i++)
		trace_hold_at(f, w->seq[i])->own = OWN_NO;
	w->n = 0;
}

/* The next kmem record r of a CPU decides its waiting pages (4a, 4b).
 * large_alloc: r's bytes_alloc when r is a kmalloc above 8 KiB, else 0. */
static void trace_wait_decide(struct trace_feed *f, struct trace_cpu_wait *w,
			      const struct trace_rec *r, uint64_t large_alloc)
{
	if (r->kind == EV_ALLOC && r->key != 0) {
		for (unsigned i = 0; i < w->n; i++) {
			struct trace_rec *p = trace_hold_at(f, w->seq[i]);
			if (i + 1 == w->n && (p->cand & CAND_LARGE) && large_alloc == (uint64_t)PAGE_SIZE << p->size)
				p->own = OWN_LARGE_PAGE;
			else
				p->own = (p->cand & CAND_SLAB) ? OWN_SLAB_PAGE : OWN_NO;
		}
		w->n = 0;
	} else if (r->kind == EV_PAGE_ALLOC && (r->cand & CAND_SLAB)) {
		/* a chain of new-slab pages: only signature pages stay in it */
		unsigned k = 0;
		for (unsigned i = 0; i < w->n; i++) {
			struct trace_rec *p = trace_hold_at(f, w->seq[i]);
			if (p->cand & CAND_SLAB)
				w->seq[k++] = w->seq[i];
			else
				p->own = OWN_NO;
		}
		w->n = k;
		if (w->n == TRACE_CHAIN_MAX) {
			trace_hold_at(f, w->seq[0])->own = OWN_NO;
			memmove(w->seq, w->seq + 1, (TRACE_CHAIN_MAX - 1) * sizeof(w->seq[0]));
			w->n--;
		}
	} else {
		trace_wait_replay(f, w);
	}
}

/* Take one parsed record (file order): decide what waited on its CPU, then
 * hold it (it waits itself, or older records wait) or release it.
 * kmalloc: r is a kmalloc event, of bytes_alloc (0 if not printed). */
static void trace_submit(struct trace_feed *f, struct trace_rec *r, bool kmalloc,
			 uint32_t bytes_alloc)
{
	if (!f->classify) {
		trace_emit(f, r);
		return;
	}
	if (r->cpu >= f->nwait) {
		unsigned n = (unsigned)r->cpu + 1;
		f->wait = xrealloc(f->wait, n * sizeof(*f->wait));
		memset(f->wait + f->nwait, 0, (n - f->nwait) * sizeof(*f->wait));
		f->nwait = n;
	}
	struct trace_cpu_wait *w = &f->wait[r->cpu];
	bool large = kmalloc && r->key != 0 && r->size > TRACE_KMALLOC_MAX_CACHE;
	if (w->n)
		trace_wait_decide(f, w, r, large ? bytes_alloc : 0);
	if (large && w->last_kmalloc && w->last_key == r->key && w->last_req == r->size &&
	    w->last_alloc == bytes_alloc)
		r->own = OWN_DUP;
	w->last_kmalloc = kmalloc && r->key != 0;
	w->last_key = r->key;
	w->last_req = r->size;
	w->last_alloc = bytes_alloc;
	if (!r->cand && f->hold_head == f->hold_tail) {
		trace_release(f, r);
		return;
	}
	if (!f->hold)
		f->hold = xmalloc(TRACE_HOLD_MAX * sizeof(*f->hold));
	while (f->hold_tail - f->hold_head == TRACE_HOLD_MAX) {
		/* full: the oldest is a page still waiting; it is replayed */
		uint16_t cpu = trace_hold_at(f, f->hold_head)->cpu;
		trace_wait_replay(f, &f->wait[cpu]);
		trace_hold_drain(f);
	}
	if (r->cand) {
		r->own = OWN_WAIT;
		w->seq[w->n++] = f->hold_tail;
	}
	*trace_hold_at(f, f->hold_tail++) = *r;
	trace_hold_drain(f);
}

/* End of input (or of the replay): what still waits is replayed. */
static void trace_hold_flush(struct trace_feed *f)
{
	for (unsigned c = 0; c < f->nwait; c++)
		trace_wait_replay(f, &f->wait[c]);
	trace_hold_drain(f);
}


/* ---- items to records (3, 4) ---- */

/* Local cache id of a cache allocation (0: kmalloc, too many names). */
static int feed_item_cache(struct trace_feed *f, const struct trace_item *it)
{
	if (!it->name) {   /* old traces: no name= */
		char gen[48];
		int n = snprintf(gen, sizeof(gen), "cache-%u-%u", it->size, it->alloc);
		return trace_cache_lookup(f, gen, (size_t)n, it->size, it->alloc);
	}
	struct trace_str_memo *m = feed_memo(f, it->name);
	if (m->cache < 0) {
		size_t n;
		const char *name = trace_strtab_get(&f->src.tab, it->name, &n);
		m->cache = trace_cache_lookup(f, name, n, it->size, it->alloc);
	} else if (m->cache > 0) {
		f->cache_lookups[m->cache]++;
	} else {
		f->cache_full++;
	}
	return m->cache;
}

static void feed_item(struct trace_feed *f, const struct trace_item *it)
{
	bool page = it->kind == TI_PAGE_ALLOC || it->kind == TI_PAGE_FREE ||
		    (it->kind == TI_TIME && (it->flags & TI_PAGE));
	if (page && !f->page_events) {   /* a .kmt with --no-page-events (text gives none) */
		f->ts.other += it->kind != TI_TIME;
		return;
	}
	struct trace_rec r = { .own = OWN_NO, .key = it->key };
	if (it->kind != TI_MT_ALLOC && it->kind != TI_MT_FREE) {
		if (!f->have_t0) {
			f->have_t0 = true;
			f->t0 = it->ns;
		}
		r.time_ns = it->ns > f->t0 ? it->ns - f->t0 : 0;
		r.cpu = it->cpu;
	}
	switch (it->kind) {
	case TI_KMALLOC:
	case TI_CACHE_ALLOC: {
		bool own_cache = it->flags & TI_OWN_CACHE;
		/* SLUB's own cache: never made in the back end */
		if (it->kind == TI_CACHE_ALLOC && !(f->classify && own_cache))
			r.cache = feed_item_cache(f, it);
		r.kind = EV_ALLOC;
		r.size = it->size;
		r.gfp = it->gfp ? feed_memo(f, it->gfp)->gfp : 0;
		if (own_cache || (it->flags & TI_OWN_SITE))
			r.own = OWN_META;
		trace_submit(f, &r, it->kind == TI_KMALLOC, it->alloc);
		break;
	}
	case TI_FREE:
	case TI_MT_FREE:
		r.kind = EV_FREE;
		if (it->flags & (TI_OWN_CACHE | TI_OWN_SITE))
			r.own = OWN_META;
		trace_submit(f, &r, false, 0);
		break;
	case TI_MT_ALLOC:
		r.kind = EV_ALLOC;
		r.size = it->size;
		trace_submit(f, &r, false, 0);
		break;
	case TI_PAGE_ALLOC:
	case TI_PAGE_FREE:
		if (it->key == 0) {   /* the kernel's allocation failed (page NULL, pfn 0), or no page */
			f->ts.other++;
			break;
		}
		r.kind = it->kind == TI_PAGE_ALLOC ? EV_PAGE_ALLOC : EV_PAGE_FREE;
		r.size = it->size;
		if (it->kind == TI_PAGE_ALLOC && it->gfp) {
			const struct trace_str_memo *m = feed_memo(f, it->gfp);
			r.gfp = m->gfp;
			if (f->classify && trace_gfp_is_slab_page(m->bits, m->unknown))
				r.cand |= CAND_SLAB;
			if (f->classify && trace_gfp_is_large_kmalloc_page(m->bits) && it->size >= 2)
				r.cand |= CAND_LARGE;
		}
		trace_submit(f, &r, false, 0);
		break;
	default:   /* TI_TIME: only its time */
		break;
	}
}

/* The source ended (r = 0), failed (r < 0), or the engine stopped. */
static void feed_end(struct trace_feed *f, int r)
{
	int rc = 0;
	if (r < 0) {
		snprintf(f->err, sizeof(f->err), "%s", source_error(&f->src));
		rc = 2;
	}
	if (!f->stopping)
		trace_hold_flush(f);   /* what was read is replayed, even when the rest is not */
	/* A decompressor failure explains everything else: it wins. (After
	 * a stop the rest is not read: the decompressor dies of SIGPIPE.) */
	bool stopped = f->stopping || f->src.in.stopped;
	char xzerr[512];
	if (source_close(&f->src, rc != 0 && !stopped, xzerr, sizeof(xzerr)) != 0) {
		snprintf(f->err, sizeof(f->err), "%s", xzerr);
		rc = 2;
	}
	if (rc == 0 && !stopped && source_no_events(source_stats(&f->src), f->src.path, f->err, sizeof(f->err)))
		rc = 2;
	f->rc = rc;
	f->finished = true;
}

/* Produce until the source ends (threaded), or until the batch holds
 * TRACE_BATCH events (on the caller's thread). */
static void feed_run(struct trace_feed *f)
{
	struct trace_item it;
	while (!f->finished) {
		if (!f->threaded && f->fill->n >= TRACE_BATCH)
			return;
		int r = f->stopping ? 0 : source_next(&f->src, &it);
		if (r > 0)
			feed_item(f, &it);
		else
			feed_end(f, r);
	}
}

static void *feed_thread(void *arg)
{
	struct trace_feed *f = arg;
	feed_run(f);
	struct trace_ring *r = &f->ring;
	pthread_mutex_lock(&r->mu);
	if (f->fill->n && !r->stop)
		r->tail++;
	r->done = true;
	if (r->engine_waits)
		pthread_cond_signal(&r->to_engine);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* ---- the feed: the engine side ---- */

/* Start the parser thread; false if it cannot be had. */
static bool feed_thread_start(struct trace_feed *f)
{
	if (pipe2(f->stop_pipe, O_CLOEXEC) != 0)
		return false;
	struct trace_ring *r = &f->ring;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->to_engine, NULL);
	pthread_cond_init(&r->to_parser, NULL);
	for (unsigned i = 1; i < TRACE_RING; i++)
		r->slot[i] = (struct trace_batch){ 0, TRACE_BATCH, NULL };
	trace_input_stop_fd(&f->src.in, f->stop_pipe[0]);
	f->threaded = true;
	/* every signal goes to the engine's thread: the parser blocks them all */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(&f->thread, NULL, feed_thread, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e == 0)
		return true;
	f->threaded = false;
	trace_input_stop_fd(&f->src.in, -1);
	pthread_cond_destroy(&r->to_parser);
	pthread_cond_destroy(&r->to_engine);
	pthread_mutex_destroy(&r->mu);
	close(f->stop_pipe[0]);
	close(f->stop_pipe[1]);
	return false;
}

struct trace_feed *trace_feed_open(const struct params *p, const char *path, bool lenient, bool threaded,
				   char *err, size_t errlen)
{
	struct trace_feed *f = xcalloc(1, sizeof(*f));
	if (source_open(&f->src, path, lenient, p->page_events, err, errlen) != 0) {
		free(f);
		return NULL;
	}
	f->classify = !p->replay_own_slab;
	f->page_events = p->page_events;
	objtab_init(&f->own_pages);
	objtab_init(&f->own_objs);
	f->ring.slot[0] = (struct trace_batch){ 0, TRACE_BATCH, xmalloc(TRACE_BATCH * sizeof(struct event)) };
	f->fill = &f->ring.slot[0];
	/* a small plain file is parsed before a thread would have started */
	int64_t size = f->src.in.file_size;
	if (threaded && !(size >= 0 && size <= TRACE_INLINE_MAX))
		feed_thread_start(f);
	return f;
}

const struct trace_batch *trace_feed_next(struct trace_feed *f)
{
	if (!f->threaded) {
		f->fill->n = 0;   /* the engine is done with it */
		if (f->stopping)
			return NULL;
		feed_run(f);
		return f->fill->n ? f->fill : NULL;
	}
	struct trace_ring *r = &f->ring;
	const struct trace_batch *b = NULL;
	pthread_mutex_lock(&r->mu);
	if (f->engine_holds) {
		r->head++;
		f->engine_holds = false;
		if (r->parser_waits && r->tail - r->head <= TRACE_RING / 2)
			pthread_cond_signal(&r->to_parser);
	}
	if (r->head == r->tail && !r->done && !r->stop) {
		r->engine_waits = true;
		while (r->tail - r->head < TRACE_RING / 4 && !r->done && !r->stop)
			pthread_cond_wait(&r->to_engine, &r->mu);
		r->engine_waits = false;
	}
	if (r->head != r->tail && !r->stop) {
		b = &r->slot[r->head % TRACE_RING];
		f->engine_holds = true;
	}
	pthread_mutex_unlock(&r->mu);
	return b;
}

const char *trace_feed_cache_name(const struct trace_feed *f, int id)
{
	return id > 0 && (unsigned)id <= TRACE_CACHES ? f->cache_name[id] : NULL;
}

void trace_feed_stop(struct trace_feed *f)
{
	if (!f->threaded) {
		f->stopping = true;
		return;
	}
	struct trace_ring *r = &f->ring;
	pthread_mutex_lock(&r->mu);
	bool was = r->stop;
	r->stop = true;
	pthread_cond_broadcast(&r->to_parser);
	pthread_mutex_unlock(&r->mu);
	if (!was && write(f->stop_pipe[1], "", 1) < 0) {
		/* the pipe is empty and ours: a write cannot fail but by a bug */
	}
}

int trace_feed_close(struct trace_feed *f, const int32_t *sim_cache, struct trace_stats *ts,
		     char *err, size_t errlen)
{
	if (f->threaded) {
		struct trace_ring *r = &f->ring;
		pthread_mutex_lock(&r->mu);
		bool done = r->done;
		pthread_mutex_unlock(&r->mu);
		if (!done)
			trace_feed_stop(f);
		pthread_join(f->thread, NULL);
		pthread_cond_destroy(&r->to_parser);
		pthread_cond_destroy(&r->to_engine);
		pthread_mutex_destroy(&r->mu);
		close(f->stop_pipe[0]);
		close(f->stop_pipe[1]);
	} else if (!f->finished) {
		f->stopping = true;
		feed_run(f);
	}
	const struct trace_source_stats *st = source_stats(&f->src);
	*ts = f->ts;
	ts->lines = st->lines;
	ts->other += st->other;
	ts->malformed = st->malformed;
	ts->format = f->src.kmt ? "kmt" : trace_fmt_names[st->fmt];
	ts->cache_fallback = f->cache_full;
	for (unsigned id = 1; id <= f->ncaches; id++)
		if (sim_cache && sim_cache[id] < 0)
			ts->cache_fallback += f->cache_lookups[id];
	int rc = f->rc;
	if (rc)
		snprintf(err, errlen, "%s", f->err);
	else if (st->malformed)
		fprintf(stderr, "kmemsim: %s: %llu malformed lines skipped (first, line %llu: %s)\n",
			f->src.path, (unsigned long long)st->malformed, (unsigned long long)st->first_bad,
			st->first_why);
	for (unsigned i = 0; i < CACHEMAP_SIZE; i++)
		free(f->cachemap[i].name);
	for (unsigned i = 0; i < TRACE_RING; i++)
		free(f->ring.slot[i].ev);
	source_fini(&f->src);
	objtab_fini(&f->own_pages);
	objtab_fini(&f->own_objs);
	free(f->memo);
	free(f->hold);
	free(f->wait);
	free(f);
	return rc;
}

/* ---- replay and convert ---- */

int trace_replay(struct sim *s, const char *path, bool lenient,
		 struct trace_stats *ts, char *err, size_t errlen)
{
	memset(ts, 0, sizeof(*ts));
	struct trace_feed *f = trace_feed_open(s->p, path, lenient, true, err, errlen);
	if (!f)
		return 2;
	int32_t *sim_cache = xcalloc(TRACE_CACHES + 1, sizeof(*sim_cache));
	uint64_t events = 0;
	const struct trace_batch *b;
	while ((b = trace_feed_next(f)) != NULL) {
		for (unsigned i = 0; i < b->n; i++) {
			struct event ev = b->ev[i];
			if (ev.kind == TRACE_EV_CACHE) {
				/* name= is already the kernel's merged cache (its /proc/slabinfo
				 * row): the back end must not merge it again */
				sim_cache[ev.cache] = sim_cache_create(s, trace_feed_cache_name(f, ev.cache), ev.size,
								       ev.gfp, CACHE_NO_MERGE);
				continue;
			}
			if (ev.cache > 0)
				ev.cache = sim_cache[ev.cache] > 0 ? sim_cache[ev.cache] : 0;
			sim_event(s, &ev);
			events++;
		}
		/* A run stopped early (sim_stop: a signal, a limit) ends here:
		 * trace_feed_stop, then trace_feed_close as below. */
		if (sim_stopped(s)) {
			trace_feed_stop(f);
			break;
		}
	}
	int rc = trace_feed_close(f, sim_cache, ts, err, errlen);
	ts->events = events;
	if (rc == 0 && ts->cache_fallback)
		fprintf(stderr, "kmemsim: %s: %llu cache allocations went to kmalloc (%s refused their cache)\n",
			path, (unsigned long long)ts->cache_fallback, s->a->ops->name);
	free(sim_cache);
	return rc;
}

int trace_convert(const char *in_path, const char *out_path, bool lenient, FILE *report,
		  char *err, size_t errlen)
{
	if (strcmp(in_path, out_path) == 0) {
		snprintf(err, errlen, "%s: convert would overwrite its input", out_path);
		return 2;
	}
	struct trace_source src;
	if (source_open(&src, in_path, lenient, true, err, errlen) != 0)
		return 2;
	struct trace_kmt_writer w;
	if (trace_kmt_writer_open(&w, out_path, err, errlen) != 0) {
		char e2[512];
		source_close(&src, false, e2, sizeof(e2));
		source_fini(&src);
		return 2;
	}
	struct trace_item it;
	int r, rc = 0;
	while ((r = source_next(&src, &it)) > 0)
		trace_kmt_write(&w, &src.tab, &it);
	if (r < 0) {
		snprintf(err, errlen, "%s", source_error(&src));
		rc = 2;
	}
	char xzerr[512];
	if (source_close(&src, rc != 0, xzerr, sizeof(xzerr)) != 0) {
		snprintf(err, errlen, "%s", xzerr);
		rc = 2;
	}
	const struct trace_source_stats *st = source_stats(&src);
	if (rc == 0 && source_no_events(st, in_path, err, errlen))
		rc = 2;
	if (rc == 0 && trace_kmt_writer_close(&w, &src.tab, st, err, errlen) != 0)
		rc = 2;
	else if (rc != 0)
		trace_kmt_writer_abort(&w);
	if (rc == 0) {
		if (st->malformed)
			fprintf(stderr, "kmemsim: %s: %llu malformed lines skipped (first, line %llu: %s)\n",
				in_path, (unsigned long long)st->malformed, (unsigned long long)st->first_bad,
				st->first_why);
		struct stat sb;
		long long bytes = stat(out_path, &sb) == 0 ? (long long)sb.st_size : -1;
		if (report)
			fprintf(report, "%s: %llu records of %s (%llu lines) in %lld bytes, %.1f per record\n",
				out_path, (unsigned long long)w.items, src.kmt ? "kmt" : trace_fmt_names[st->fmt],
				(unsigned long long)st->lines, bytes, w.items ? (double)bytes / (double)w.items : 0.0);
	}
	source_fini(&src);
	return rc;
}

void trace_stats_report(const struct trace_stats *ts,
			void (*fn)(void *ctx, const char *key, double v), void *ctx)
{
	fn(ctx, "trace_lines", (double)ts->lines);
	fn(ctx, "trace_other_events", (double)ts->other);
	fn(ctx, "trace_malformed", (double)ts->malformed);
	fn(ctx, "trace_own_slab_pages", (double)ts->own_slab_pages);
	fn(ctx, "trace_own_slab_page_frees", (double)ts->own_slab_page_frees);
	fn(ctx, "trace_own_large_kmalloc_pages", (double)ts->own_large_pages);
	fn(ctx, "trace_own_large_kmalloc_page_frees", (double)ts->own_large_page_frees);
	fn(ctx, "trace_own_meta_allocs", (double)ts->own_meta_allocs);
	fn(ctx, "trace_own_meta_frees", (double)ts->own_meta_frees);
	fn(ctx, "trace_own_dup_kmallocs", (double)ts->own_dup_kmallocs);
}

/* ---- what a file looks like (kmemsim run's input checks) ---- */

enum trace_sniff trace_sniff_file(const char *path)
{
	size_t plen = strlen(path);
	enum trace_sniff by_name = plen > 4 && strcmp(path + plen - 4, ".lua") == 0 ?
		TRACE_SNIFF_LUA : TRACE_SNIFF_OTHER;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return by_name;
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) < 0 && errno == EINTR)
		;
	close(fd);
	if (n <= 0)
		return by_name;
	if (trace_codec_magic((const unsigned char *)buf, (size_t)n) ||
	    trace_kmt_magic((const unsigned char *)buf, (size_t)n))
		return TRACE_SNIFF_TRACE;
	switch (trace_text_sniff(buf, (size_t)n)) {
	case 1: return TRACE_SNIFF_TRACE;
	case 2: return TRACE_SNIFF_LUA;
	default: return by_name;
	}
}
