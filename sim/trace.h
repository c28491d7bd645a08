/*
 * trace.h - replay recorded allocation traces: Linux ftrace kmem events
 * (current and old formats, raw trace text, `trace-cmd report` and `perf
 * script`), glibc mtrace, and .kmt files (kmemsim's binary trace, made by
 * trace_convert). The format is recognised by content; xz, gzip and zstd
 * files (told by their magic bytes) are read through `xz -dc`, `gzip -dc`
 * and `zstd -dc`. By default the traced kernel's own slab pages and slab
 * metadata allocations are set aside, not replayed (trace.c). Parsing runs
 * on a thread of its own, feeding the engine batches of events (trace.c
 * section 2).
 */
#ifndef KMS_TRACE_H
#define KMS_TRACE_H

#include <stdio.h>
#include "base.h"

struct sim;
struct params;
struct event;

struct trace_stats {
	uint64_t lines;        /* lines read (of a .kmt: of the text it was made from) */
	uint64_t events;       /* events handed to the engine */
	uint64_t other;        /* well-formed events of other kinds, skipped */
	uint64_t malformed;    /* malformed lines skipped (--lenient) */
	uint64_t cache_fallback; /* cache allocs sent to kmalloc: back end refused the cache */
	/* Set aside, not replayed (the traced allocator's own; trace.c rule 4): */
	uint64_t own_slab_pages, own_slab_page_frees;   /* SLUB's new-slab pages */
	uint64_t own_large_pages, own_large_page_frees; /* pages of kmalloc_large */
	uint64_t own_meta_allocs, own_meta_frees;       /* slab-internal metadata objects */
	uint64_t own_dup_kmallocs;   /* second traces of one large kmalloc */
	const char *format;    /* "ftrace", "trace-cmd", "perf-script", "mtrace", "kmt" (NULL: none seen) */
};

/*
 * Replay path into s. Returns 0 on success; on a malformed line (unless
 * lenient), an unreadable or corrupt file, or a file in which no line is a
 * kmem record, returns 2 with "FILE:LINE: reason" (or "FILE: reason") in
 * err. Progress goes to stderr when s->p->progress.
 * When the run is stopped (sim_stopped: a signal, a limit) it stops
 * reading and returns 0.
 */
int trace_replay(struct sim *s, const char *path, bool lenient,
		 struct trace_stats *ts, char *err, size_t errlen);

/*
 * Convert the trace in_path (any format above, compressed or not) into the
 * .kmt file out_path: every kmem record, parsed once (trace_kmt.c). With
 * lenient, malformed lines are counted (and the count kept in the file);
 * otherwise the first stops it. Returns 0 and, if report is set, prints
 * one line about the file to it; 2 with "FILE:LINE: reason" (or "FILE:
 * reason") in err, out_path removed.
 */
int trace_convert(const char *in_path, const char *out_path, bool lenient, FILE *report,
		  char *err, size_t errlen);

/*
 * The feed: the events of a trace, parsed on a thread of its own
 * (threaded; else on the caller's, one batch per trace_feed_next), in
 * batches, for an engine on the caller's thread. trace_replay is its user;
 * tests/bench_replay.c another. Events are sim_event()'s, except that a
 * cache is a local id (1..) and that markers of kind TRACE_EV_CACHE come
 * first: "create local cache ev.cache, named trace_feed_cache_name(),
 * of size ev.size and alignment ev.gfp" (sim_cache_create with
 * CACHE_NO_MERGE); its events name the local id.
 */
#define TRACE_EV_CACHE 0x100
#define TRACE_BATCH    1024    /* events per batch handed over */

struct trace_batch {
	unsigned      n, cap;
	struct event *ev;
};

struct trace_feed;

/* Open path for p's replay mode (--replay-own-slab, --no-page-events);
 * NULL with "FILE: reason" in err. */
struct trace_feed *trace_feed_open(const struct params *p, const char *path, bool lenient, bool threaded,
				   char *err, size_t errlen);
/* The next batch (valid until the next call); NULL at the end, or once
 * stopped. */
const struct trace_batch *trace_feed_next(struct trace_feed *f);
const char *trace_feed_cache_name(const struct trace_feed *f, int id);
/* Stop early (a signal, a limit): the parser ends at its next batch or
 * read; trace_feed_next returns NULL from now on. */
void trace_feed_stop(struct trace_feed *f);
/* Wait for the parser and free the feed; ts gets its counts (sim_cache:
 * the engine's id of each local cache, -1 if refused, counted in
 * cache_fallback; NULL if none were made). Returns 0, or 2 with the
 * reason reading stopped (as trace_replay). */
int trace_feed_close(struct trace_feed *f, const int32_t *sim_cache, struct trace_stats *ts,
		     char *err, size_t errlen);

/* Every trace_* summary key of ts but trace_format, as fn(ctx, key, value). */
void trace_stats_report(const struct trace_stats *ts,
			void (*fn)(void *ctx, const char *key, double v), void *ctx);

/* What a file looks like from its first bytes (for `kmemsim run`'s input
 * checks): a kmem trace (xz/gzip/zstd or .kmt magic, an ftrace or trace-cmd header,
 * an event line, glibc mtrace's "= Start"), a Lua script (named *.lua, or a
 * first line that only Lua starts with: "--", "local ", "function ",
 * "require"), or neither (unreadable files too). */
enum trace_sniff { TRACE_SNIFF_OTHER, TRACE_SNIFF_TRACE, TRACE_SNIFF_LUA };
enum trace_sniff trace_sniff_file(const char *path);

/* Linux's gfp bits (the 4.14..6.18 layout of include/linux/gfp_types.h,
 * TRACE_GFP_* in trace_text.c) of a trace's gfp_flags text: names as
 * show_gfp_flags prints them ("GFP_NOFS|__GFP_NOWARN") or a number
 * ("0x152c4a"). *unknown is set when a name is not Linux 6.18's. */
uint32_t trace_gfp_bits(const char *s, size_t len, bool *unknown);

/* SLUB's new-slab signature (trace.c rule 4a) of a page allocation's gfp. */
bool trace_gfp_is_slab_page(uint32_t bits, bool unknown);

/* Zone modifiers (GFP_DMA, GFP_DMA32) of a trace's gfp_flags text:
 * "GFP_KERNEL|__GFP_DMA", or a number "0x4" (Linux's bit values). */
unsigned trace_gfp_parse(const char *s, size_t len);

/* A named cache's object size and alignment from one traced allocation:
 * the largest a in {64,32,16,8} with ALIGN(bytes_req, a) == bytes_alloc
 * gives (bytes_req, a); otherwise (bytes_alloc, 8). */
void trace_cache_geometry(uint32_t bytes_req, uint32_t bytes_alloc, uint32_t *size, uint32_t *align);

#endif
