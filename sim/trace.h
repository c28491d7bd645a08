/*
 * trace.h - replay recorded allocation traces: Linux ftrace kmem events
 * (current and old formats, raw trace text and `trace-cmd report`) and
 * glibc mtrace. The format is recognised by content; .xz files are read
 * through `xz -dc`.
 */
#ifndef KMS_TRACE_H
#define KMS_TRACE_H

#include "base.h"

struct sim;

struct trace_stats {
	uint64_t lines;        /* lines read */
	uint64_t events;       /* events handed to the engine */
	uint64_t other;        /* well-formed events of other kinds, skipped */
	uint64_t malformed;    /* malformed lines skipped (--lenient) */
	uint64_t cache_fallback; /* cache allocs sent to kmalloc: back end refused the cache */
	const char *format;    /* "ftrace", "trace-cmd", "mtrace" */
};

/*
 * Replay path into s. Returns 0 on success; on a malformed line (unless
 * lenient) or an unreadable file returns 2 with "FILE:LINE: reason" (or
 * "FILE: reason") in err. Progress goes to stderr when s->p->progress.
 * When the run is stopped (sim_stopped: a signal, a limit) it stops
 * reading and returns 0.
 */
int trace_replay(struct sim *s, const char *path, bool lenient,
		 struct trace_stats *ts, char *err, size_t errlen);

/* Zone modifiers (GFP_DMA, GFP_DMA32) of a trace's gfp_flags text:
 * "GFP_KERNEL|__GFP_DMA", or a number "0x4" (Linux's bit values). */
unsigned trace_gfp_parse(const char *s, size_t len);

/* A named cache's object size and alignment from one traced allocation:
 * the largest a in {64,32,16,8} with ALIGN(bytes_req, a) == bytes_alloc
 * gives (bytes_req, a); otherwise (bytes_alloc, 8). */
void trace_cache_geometry(uint32_t bytes_req, uint32_t bytes_alloc, uint32_t *size, uint32_t *align);

#endif
