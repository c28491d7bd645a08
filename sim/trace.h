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
	const char *format;    /* "ftrace", "trace-cmd", "mtrace" */
};

/*
 * Replay path into s. Returns 0 on success; on a malformed line (unless
 * lenient) or an unreadable file returns 2 with "FILE:LINE: reason" (or
 * "FILE: reason") in err. Progress goes to stderr when s->p->progress.
 */
int trace_replay(struct sim *s, const char *path, bool lenient,
		 struct trace_stats *ts, char *err, size_t errlen);

#endif
