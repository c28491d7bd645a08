/*
 * trace.c - replay of recorded allocation traces.
 *
 * What it reads. Text, one record per line, in three families told apart by
 * content (never by file name):
 *
 *  1. ftrace kmem events, as /sys/kernel/tracing/trace prints them:
 *        COMM-PID [CPU] FLAGS SECS.USECS: EVENT: key=value ...
 *     Current kernels (6.x) print call_site with %pS ("func+0x24/0x1f0",
 *     plus " [module]" for module code), hashed pointers without 0x, name=
 *     on kmem_cache_*, node= and accounted= on the allocation events, and
 *     pfn=0x... on page events. Older kernels (before 5.x/6.x) print
 *     call_site as bare hex, no name/node/accounted, separate kmalloc_node
 *     and kmem_cache_alloc_node events, ptr=(null) for NULL, and a decimal
 *     pfn. The FLAGS column and a "(TGID)" column are optional.
 *  2. `trace-cmd report` output: the same line shape after a "cpus=N"
 *     header, pointers printed as 0x..., call_site as "func+0x9f", gfp
 *     flags often as a number, and (libtraceevent's kmem plugin) sometimes
 *     a missing blank between fields ("bytes_req=56bytes_alloc=64").
 *  3. glibc mtrace (MALLOC_TRACE): "= Start", then per call an optional
 *     "@ CALLER[0xADDR] " prefix and "+ ADDR SIZE" (malloc), "- ADDR"
 *     (free), "< ADDR" + "> ADDR SIZE" (realloc: old freed, new allocated),
 *     "! ADDR SIZE" (failed realloc); numbers in hex.
 *
 * How events map to the engine (engine.h):
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
 * Where it departs: a page allocation the kernel failed (page NULL) and a
 * failed realloc ("!") are counted as other events, not replayed. Only the
 * zone modifiers of gfp_flags are kept (GFP_DMA, GFP_DMA32).
 *
 * Robustness: lines are scanned by hand with explicit ends (no sscanf, no
 * NUL termination assumed), longer than TRACE_LINE_MAX bytes are
 * malformed, and every malformed line is reported as FILE:LINE: reason.
 * .xz input is decompressed by a child `xz -dc`; its exit status is
 * checked, so a truncated file is an error, not a short replay.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "engine.h"
#include "../allocators/allocator.h"
#include "trace.h"

#define TRACE_BUF_SIZE  (1u << 20)
#define TRACE_LINE_MAX  (64u * 1024)
#define TRACE_NAME_MAX  200
#define CACHEMAP_SIZE   (2 * SIM_MAX_CACHES)   /* power of two, load <= 1/2 */

/* ---- input: plain file, stdin, or a child xz ---- */

struct trace_input {
	int      fd;
	pid_t    xz;           /* child decompressor, 0 = none */
	bool     eof;          /* read() returned 0 */
	bool     skipping;     /* discarding the rest of an over-long line */
	char    *buf;
	size_t   start, end;   /* unread bytes are buf[start..end) */
	int      read_errno;
};

static bool path_is_xz(int fd, const char *path)
{
	size_t n = strlen(path);
	if (n > 3 && strcmp(path + n - 3, ".xz") == 0)
		return true;
	static const unsigned char magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	unsigned char head[6];
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	return pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) &&
	       memcmp(head, magic, sizeof(magic)) == 0;
}

static int trace_input_open(struct trace_input *in, const char *path, char *err, size_t errlen)
{
	memset(in, 0, sizeof(*in));
	in->fd = -1;
	int fd;
	if (strcmp(path, "-") == 0) {
		fd = dup(0);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (strcmp(path, "-") != 0 && path_is_xz(fd, path)) {
		int pfd[2];
		if (pipe2(pfd, O_CLOEXEC) != 0) {
			snprintf(err, errlen, "%s: xz: pipe: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0) {
			snprintf(err, errlen, "%s: xz: fork: %s", path, strerror(errno));
			close(fd), close(pfd[0]), close(pfd[1]);
			return -1;
		}
		if (pid == 0) {
			/* child: file on stdin, pipe on stdout (dup2 clears CLOEXEC) */
			if (dup2(fd, 0) < 0 || dup2(pfd[1], 1) < 0)
				_exit(127);
			signal(SIGPIPE, SIG_DFL);
			/* a Ctrl-C stops kmemsim, which then closes the pipe:
			 * xz ends by SIGPIPE, never first with a truncated stream */
			signal(SIGINT, SIG_IGN);
			signal(SIGTERM, SIG_IGN);
			execlp("xz", "xz", "-dc", (char *)NULL);
			_exit(127);
		}
		close(fd);
		close(pfd[1]);
		fd = pfd[0];
		in->xz = pid;
	}
	in->fd = fd;
	in->buf = xmalloc(TRACE_BUF_SIZE);
	return 0;
}

/* Wait for the decompressor; 0 if it succeeded (or there is none). When
 * drain is set, read the rest of its output first so that it can finish
 * and tell whether the stream was intact. */
static int trace_input_close(struct trace_input *in, bool drain, const char *path,
			     char *err, size_t errlen)
{
	int rc = 0;
	if (in->xz && drain && !in->eof) {
		for (;;) {
			ssize_t n = read(in->fd, in->buf, TRACE_BUF_SIZE);
			if (n > 0 || (n < 0 && errno == EINTR))
				continue;
			if (n == 0)
				in->eof = true;
			break;
		}
	}
	if (in->fd >= 0)
		close(in->fd);
	in->fd = -1;
	if (in->xz) {
		int status = 0;
		while (waitpid(in->xz, &status, 0) < 0 && errno == EINTR)
			;
		in->xz = 0;
		if (in->eof || drain) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
				snprintf(err, errlen, "%s: xz: cannot run `xz -dc` (install xz-utils)", path);
				rc = -1;
			} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
				snprintf(err, errlen, "%s: xz: exit status %d (truncated or corrupt .xz file)",
					 path, WEXITSTATUS(status));
				rc = -1;
			} else if (WIFSIGNALED(status)) {
				snprintf(err, errlen, "%s: xz: killed by signal %d", path, WTERMSIG(status));
				rc = -1;
			}
		}
	}
	free(in->buf);
	in->buf = NULL;
	return rc;
}

/*
 * Next line into *line and *len (without the newline). Returns 1 for a line,
 * 2 for a line longer than TRACE_LINE_MAX (its head is returned, the rest
 * is discarded), 0 at the end, -1 on a read error.
 */
static int trace_input_line(struct trace_input *in, const char **line, size_t *len)
{
	for (;;) {
		char *nl = in->end > in->start ? memchr(in->buf + in->start, '\n', in->end - in->start) : NULL;
		if (in->skipping) {
			if (nl) {
				in->start = (size_t)(nl - in->buf) + 1;
				in->skipping = false;
				continue;
			}
			in->start = in->end = 0;
		} else if (nl) {
			*line = in->buf + in->start;
			*len = (size_t)(nl - *line);
			in->start += *len + 1;
			if (*len > TRACE_LINE_MAX) {
				*len = TRACE_LINE_MAX;
				return 2;
			}
			return 1;
		} else if (in->end - in->start > TRACE_LINE_MAX) {
			*line = in->buf + in->start;
			*len = TRACE_LINE_MAX;
			in->start = in->end = 0;
			in->skipping = true;
			return 2;
		} else if (in->eof) {
			if (in->end == in->start)
				return 0;
			*line = in->buf + in->start;
			*len = in->end - in->start;
			in->start = in->end;
			return 1;
		}
		if (in->eof)
			return 0;
		if (in->start > 0) {
			memmove(in->buf, in->buf + in->start, in->end - in->start);
			in->end -= in->start;
			in->start = 0;
		}
		ssize_t n = read(in->fd, in->buf + in->end, TRACE_BUF_SIZE - in->end);
		if (n < 0) {
			if (errno == EINTR && sim_signal)
				return 0;      /* stopped by a signal while waiting for input */
			if (errno == EINTR)
				continue;
			in->read_errno = errno;
			return -1;
		}
		if (n == 0)
			in->eof = true;
		in->end += (size_t)n;
	}
}

/* ---- scanning helpers: a slice is [p, e) ---- */

struct slice {
	const char *p, *e;
};

static inline bool slice_eq(struct slice s, const char *lit, size_t n)
{
	return (size_t)(s.e - s.p) == n && memcmp(s.p, lit, n) == 0;
}

#define SLICE_EQ(s, lit) slice_eq((s), (lit), sizeof(lit) - 1)

static inline bool is_digit(int c) { return c >= '0' && c <= '9'; }
static inline bool is_space(int c) { return c == ' ' || c == '\t' || c == '\r'; }

static inline int hex_value(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Hex digits with an optional 0x; at most 16 digits. */
static bool parse_hex(struct slice s, uint64_t *out)
{
	if (s.e - s.p >= 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X'))
		s.p += 2;
	if (s.p == s.e || s.e - s.p > 16)
		return false;
	uint64_t v = 0;
	for (const char *c = s.p; c < s.e; c++) {
		int h = hex_value((unsigned char)*c);
		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return true;
}

static bool parse_dec(struct slice s, uint64_t *out)
{
	if (s.p == s.e)
		return false;
	uint64_t v = 0;
	for (const char *c = s.p; c < s.e; c++) {
		if (!is_digit(*c) || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (unsigned)(*c - '0');
	}
	*out = v;
	return true;
}

/* A number that is hex with 0x and decimal otherwise (pfn, trace-cmd). */
static bool parse_num(struct slice s, uint64_t *out)
{
	if (s.e - s.p >= 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X'))
		return parse_hex(s, out);
	return parse_dec(s, out);
}

/* A pointer as %p prints it: hashed or raw hex, 0x..., (null), (nil). */
static bool parse_ptr(struct slice s, uint64_t *out)
{
	if (SLICE_EQ(s, "(null)") || SLICE_EQ(s, "(nil)")) {
		*out = 0;
		return true;
	}
	return parse_hex(s, out);
}

unsigned trace_gfp_parse(const char *str, size_t len)
{
	unsigned gfp = 0;
	const char *p = str, *e = str + len;
	while (p < e) {
		const char *q = memchr(p, '|', (size_t)(e - p));
		struct slice t = { p, q ? q : e };
		uint64_t v;
		if (SLICE_EQ(t, "GFP_DMA") || SLICE_EQ(t, "__GFP_DMA"))
			gfp |= GFP_DMA;
		else if (SLICE_EQ(t, "GFP_DMA32") || SLICE_EQ(t, "__GFP_DMA32"))
			gfp |= GFP_DMA32;
		else if (t.e - t.p > 2 && t.p[0] == '0' && t.p[1] == 'x' && parse_hex(t, &v)) {
			/* Linux's bit numbers: ___GFP_DMA 0x1, ___GFP_DMA32 0x4 */
			if (v & 0x1)
				gfp |= GFP_DMA;
			if (v & 0x4)
				gfp |= GFP_DMA32;
		}
		p = q ? q + 1 : e;
	}
	return gfp;
}

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

/* ---- the replay state ---- */

enum trace_fmt { FMT_UNKNOWN, FMT_FTRACE, FMT_TRACECMD, FMT_MTRACE };

enum trace_ev {
	TEV_KMALLOC, TEV_CACHE_ALLOC, TEV_KFREE, TEV_PAGE_ALLOC, TEV_PAGE_FREE, TEV_PAGE_FREE_BATCHED,
};

static const struct {
	const char *name;
	unsigned char len, kind;
} trace_events[] = {
	{ "kmalloc", 7, TEV_KMALLOC },
	{ "kmalloc_node", 12, TEV_KMALLOC },
	{ "kmem_cache_alloc", 16, TEV_CACHE_ALLOC },
	{ "kmem_cache_alloc_node", 21, TEV_CACHE_ALLOC },
	{ "kfree", 5, TEV_KFREE },
	{ "kmem_cache_free", 15, TEV_KFREE },
	{ "mm_page_alloc", 13, TEV_PAGE_ALLOC },
	{ "mm_page_free", 12, TEV_PAGE_FREE },
	{ "mm_page_free_batched", 20, TEV_PAGE_FREE_BATCHED },
};

/* Named caches seen so far: name -> sim cache id, or -1 if refused.
 * Open addressing on an FNV-1a hash; never more than half full. */
struct cachemap_entry {
	char *name;
	int   id;
};

struct trace_replay_state {
	struct sim          *s;
	struct trace_stats  *ts;
	enum trace_fmt       fmt;
	bool                 have_t0;
	uint64_t             t0;          /* ns of the first event */
	bool                 mtrace_realloc;  /* saw "<", expecting ">" */
	unsigned             ncachemap;
	struct cachemap_entry cachemap[CACHEMAP_SIZE];
	char                 why[160];    /* reason of the last malformed line */
};

static uint32_t fnv1a(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

/* Sim cache id for a named cache, creating it on first sight; -1 if the
 * back end refused it. */
static int trace_cache_lookup(struct trace_replay_state *st, const char *name, size_t n,
			      uint32_t bytes_req, uint32_t bytes_alloc)
{
	uint32_t i = fnv1a(name, n) & (CACHEMAP_SIZE - 1);
	while (st->cachemap[i].name) {
		if (strlen(st->cachemap[i].name) == n && memcmp(st->cachemap[i].name, name, n) == 0)
			return st->cachemap[i].id;
		i = (i + 1) & (CACHEMAP_SIZE - 1);
	}
	if (st->ncachemap >= CACHEMAP_SIZE / 2)
		return -1;
	char *copy = xmalloc(n + 1);
	memcpy(copy, name, n);
	copy[n] = '\0';
	uint32_t size, align;
	trace_cache_geometry(bytes_req, bytes_alloc, &size, &align);
	st->cachemap[i].name = copy;
	st->cachemap[i].id = sim_cache(st->s, copy, size, align);
	st->ncachemap++;
	return st->cachemap[i].id;
}

static int malformed(struct trace_replay_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int malformed(struct trace_replay_state *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->why, sizeof(st->why), fmt, ap);
	va_end(ap);
	return -1;
}

static void trace_emit(struct trace_replay_state *st, unsigned kind, uint64_t key, uint32_t size,
		       int cache, unsigned cpu, unsigned gfp, uint64_t time_ns)
{
	struct event ev = {
		.time_ns = time_ns, .key = key, .size = size, .cache = cache,
		.cpu = (uint16_t)cpu, .kind = (uint16_t)kind, .gfp = gfp,
	};
	sim_event(st->s, &ev);
	st->ts->events++;
}

/* At most 40 printable bytes of s, for messages. */
static int show_len(struct slice s)
{
	int n = 0;
	while (s.p + n < s.e && n < 40 && (unsigned char)s.p[n] >= ' ' && (unsigned char)s.p[n] < 0x7f)
		n++;
	return n;
}

/* ---- ftrace and trace-cmd ---- */

struct kmem_fields {
	struct slice ptr, bytes_req, bytes_alloc, gfp, name, page, pfn, order;
	bool has_ptr, has_req, has_alloc, has_gfp, has_name, has_page, has_pfn, has_order;
};

/* Split "key=value key=value ..." into the fields we use. */
static int kmem_fields_parse(struct trace_replay_state *st, const char *p, const char *e,
			     struct kmem_fields *f)
{
	memset(f, 0, sizeof(*f));
	bool after_call_site = false;
	while (p < e) {
		while (p < e && is_space(*p))
			p++;
		if (p == e)
			break;
		const char *tok = p, *eq = NULL, *eq2 = NULL;
		for (; p < e && !is_space(*p); p++)
			if (*p == '=') {
				if (!eq)
					eq = p;
				else if (!eq2)
					eq2 = p;
			}
		if (!eq || eq == tok) {
			/* %pS of module code: "func+0x1/0x2 [module]" */
			if (after_call_site && *tok == '[' && p[-1] == ']') {
				after_call_site = false;
				continue;
			}
			return malformed(st, "expected key=value, got '%.*s'",
					 show_len((struct slice){ tok, p }), tok);
		}
		struct slice key = { tok, eq }, val = { eq + 1, p };
		/* trace-cmd's kmem plugin can drop the blank: "bytes_req=56bytes_alloc=64" */
		if (eq2) {
			const char *k2 = eq2;
			while (k2 > val.p && ((k2[-1] >= 'a' && k2[-1] <= 'z') || k2[-1] == '_'))
				k2--;
			if (k2 > val.p && k2 < eq2 && is_digit(k2[-1])) {
				val.e = k2;
				p = k2;
			}
		}
		after_call_site = false;
		switch (key.e - key.p) {
		case 3:
			if (SLICE_EQ(key, "ptr")) { f->ptr = val; f->has_ptr = true; }
			else if (SLICE_EQ(key, "pfn")) { f->pfn = val; f->has_pfn = true; }
			break;
		case 4:
			if (SLICE_EQ(key, "name")) { f->name = val; f->has_name = true; }
			else if (SLICE_EQ(key, "page")) { f->page = val; f->has_page = true; }
			break;
		case 5:
			if (SLICE_EQ(key, "order")) { f->order = val; f->has_order = true; }
			break;
		case 9:
			if (SLICE_EQ(key, "bytes_req")) { f->bytes_req = val; f->has_req = true; }
			else if (SLICE_EQ(key, "call_site")) after_call_site = true;
			else if (SLICE_EQ(key, "gfp_flags")) { f->gfp = val; f->has_gfp = true; }
			break;
		case 11:
			if (SLICE_EQ(key, "bytes_alloc")) { f->bytes_alloc = val; f->has_alloc = true; }
			break;
		default:
			break;
		}
	}
	return 0;
}

static int need_u32(struct trace_replay_state *st, bool has, struct slice v, const char *key,
		    uint32_t *out)
{
	uint64_t x;
	if (!has)
		return malformed(st, "missing %s=", key);
	if (!parse_num(v, &x))
		return malformed(st, "%s is not a number: '%.*s'", key, show_len(v), v.p);
	if (x > UINT32_MAX)
		return malformed(st, "%s too large: '%.*s'", key, show_len(v), v.p);
	*out = (uint32_t)x;
	return 0;
}

static int need_ptr(struct trace_replay_state *st, bool has, struct slice v, const char *key,
		    uint64_t *out)
{
	if (!has)
		return malformed(st, "missing %s=", key);
	if (!parse_ptr(v, out))
		return malformed(st, "%s is not a pointer: '%.*s'", key, show_len(v), v.p);
	return 0;
}

/* Page key: the pfn when printed, else the struct page pointer. */
static int page_key(struct trace_replay_state *st, const struct kmem_fields *f, uint64_t *key)
{
	if (f->has_pfn) {
		if (!parse_num(f->pfn, key))
			return malformed(st, "pfn is not a number: '%.*s'", show_len(f->pfn), f->pfn.p);
		return 0;
	}
	return need_ptr(st, f->has_page, f->page, "pfn= or page", key);
}

static bool header_line(struct slice l)
{
	/* trace-cmd report: "cpus=2", "version = 6", "CPU 3 is empty";
	 * both: "CPU:1 [LOST 42 EVENTS]" */
	size_t n = (size_t)(l.e - l.p);
	if (n >= 5 && memcmp(l.p, "cpus=", 5) == 0)
		return true;
	if (n >= 9 && memcmp(l.p, "version =", 9) == 0)
		return true;
	if (n >= 4 && memcmp(l.p, "CPU", 3) == 0 && (l.p[3] == ':' || l.p[3] == ' '))
		return true;
	return false;
}

static int ftrace_line(struct trace_replay_state *st, struct slice l)
{
	const struct params *p = st->s->p;
	if (header_line(l)) {
		if (st->fmt == FMT_UNKNOWN && l.e - l.p >= 5 && memcmp(l.p, "cpus=", 5) == 0)
			st->fmt = FMT_TRACECMD;
		return 0;
	}
	/* "COMM-PID [CPU]": the first "[digits]" preceded by a blank */
	const char *c = l.p, *cpu_end = NULL;
	uint64_t cpu = 0;
	while (c < l.e && (c = memchr(c, '[', (size_t)(l.e - c))) != NULL) {
		const char *d = c + 1;
		uint64_t v = 0;
		while (d < l.e && is_digit(*d) && v < 100000)
			v = v * 10 + (unsigned)(*d++ - '0');
		if (c > l.p && is_space(c[-1]) && d > c + 1 && d < l.e && *d == ']') {
			cpu = v;
			cpu_end = d + 1;
			break;
		}
		c++;
	}
	if (!cpu_end)
		return malformed(st, "not a trace line (no [CPU] field): '%.*s'", show_len(l), l.p);
	c = cpu_end;
	while (c < l.e && is_space(*c))
		c++;
	if (c < l.e && !is_digit(*c)) {          /* irqs-off/need-resched/... flags */
		while (c < l.e && !is_space(*c))
			c++;
		while (c < l.e && is_space(*c))
			c++;
	}
	/* timestamp: SECS[.FRACTION]: */
	uint64_t secs = 0, frac = 0, scale = 1000000000ull;
	const char *t = c;
	while (c < l.e && is_digit(*c) && secs < 1000000000ull)   /* ns fit in 64 bits */
		secs = secs * 10 + (unsigned)(*c++ - '0');
	if (c == t)
		return malformed(st, "no timestamp after the CPU field");
	if (c < l.e && *c == '.') {
		c++;
		while (c < l.e && is_digit(*c)) {
			if (scale > 1) {
				scale /= 10;
				frac += (unsigned)(*c - '0') * scale;
			}
			c++;
		}
	}
	if (c >= l.e || *c != ':')
		return malformed(st, "timestamp not followed by ':'");
	c++;
	while (c < l.e && is_space(*c))
		c++;
	const char *name = c;
	while (c < l.e && *c != ':' && !is_space(*c))
		c++;
	if (c == name || c >= l.e || *c != ':')
		return malformed(st, "no event name after the timestamp");
	size_t nlen = (size_t)(c - name);
	c++;
	int kind = -1;
	for (size_t i = 0; i < ARRAY_SIZE(trace_events); i++)
		if (trace_events[i].len == nlen && memcmp(trace_events[i].name, name, nlen) == 0) {
			kind = trace_events[i].kind;
			break;
		}
	bool page_kind = kind == TEV_PAGE_ALLOC || kind == TEV_PAGE_FREE || kind == TEV_PAGE_FREE_BATCHED;
	if (kind < 0 || (page_kind && !p->page_events)) {
		st->ts->other++;
		return 0;
	}
	struct kmem_fields f;
	if (kmem_fields_parse(st, c, l.e, &f) != 0)
		return -1;
	if (st->fmt == FMT_UNKNOWN) {
		struct slice v = f.has_ptr ? f.ptr : f.page;
		st->fmt = v.e - v.p > 2 && v.p[0] == '0' && v.p[1] == 'x' ? FMT_TRACECMD : FMT_FTRACE;
	}
	uint64_t ns = secs * 1000000000ull + frac;
	if (!st->have_t0) {
		st->have_t0 = true;
		st->t0 = ns;
	}
	uint64_t when = ns > st->t0 ? ns - st->t0 : 0;
	uint64_t key;
	uint32_t req, alloc = 0, order = 0;
	unsigned gfp = f.has_gfp ? trace_gfp_parse(f.gfp.p, (size_t)(f.gfp.e - f.gfp.p)) : 0;
	switch (kind) {
	case TEV_KMALLOC:
	case TEV_CACHE_ALLOC: {
		if (need_ptr(st, f.has_ptr, f.ptr, "ptr", &key) || need_u32(st, f.has_req, f.bytes_req, "bytes_req", &req))
			return -1;
		int cache = 0;
		if (kind == TEV_CACHE_ALLOC) {
			if (need_u32(st, f.has_alloc, f.bytes_alloc, "bytes_alloc", &alloc))
				return -1;
			char gen[48];
			const char *cn = gen;
			size_t cl;
			if (f.has_name) {
				cn = f.name.p;
				cl = (size_t)(f.name.e - f.name.p);
				if (cl == 0 || cl > TRACE_NAME_MAX)
					return malformed(st, "cache name empty or longer than %d bytes", TRACE_NAME_MAX);
			} else {
				cl = (size_t)snprintf(gen, sizeof(gen), "cache-%u-%u", req, alloc);
			}
			cache = trace_cache_lookup(st, cn, cl, req, alloc);
			if (cache < 0) {
				cache = 0;
				st->ts->cache_fallback++;
			}
		}
		trace_emit(st, EV_ALLOC, key, req, cache, (unsigned)cpu, gfp, when);
		return 0;
	}
	case TEV_KFREE:
		if (need_ptr(st, f.has_ptr, f.ptr, "ptr", &key))
			return -1;
		trace_emit(st, EV_FREE, key, 0, 0, (unsigned)cpu, 0, when);
		return 0;
	case TEV_PAGE_ALLOC:
		if (page_key(st, &f, &key) || need_u32(st, f.has_order, f.order, "order", &order))
			return -1;
		if (key == 0) {   /* the kernel's allocation failed: page NULL, pfn 0 */
			st->ts->other++;
			return 0;
		}
		trace_emit(st, EV_PAGE_ALLOC, key, order, 0, (unsigned)cpu, gfp, when);
		return 0;
	default:   /* TEV_PAGE_FREE, TEV_PAGE_FREE_BATCHED */
		if (page_key(st, &f, &key))
			return -1;
		if (kind == TEV_PAGE_FREE && need_u32(st, f.has_order, f.order, "order", &order))
			return -1;
		if (key == 0) {   /* no page: nothing was freed */
			st->ts->other++;
			return 0;
		}
		trace_emit(st, EV_PAGE_FREE, key, order, 0, (unsigned)cpu, 0, when);
		return 0;
	}
}

/* ---- glibc mtrace ---- */

static struct slice next_word(const char **pp, const char *e)
{
	const char *p = *pp;
	while (p < e && is_space(*p))
		p++;
	const char *w = p;
	while (p < e && !is_space(*p))
		p++;
	*pp = p;
	return (struct slice){ w, p };
}

static int mtrace_line(struct trace_replay_state *st, struct slice l)
{
	const char *p = l.p;
	if (*p == '=')          /* "= Start", "= End" */
		return 0;
	if (*p == '@') {        /* "@ FILE:(SYM+OFF)[0xADDR] " or "@ [0xADDR] " */
		const char *q = p;
		while ((q = memchr(q, ']', (size_t)(l.e - q))) != NULL && q + 1 < l.e && !is_space(q[1]))
			q++;
		if (!q || q + 1 >= l.e)
			return malformed(st, "mtrace caller without '[ADDR] '");
		p = q + 1;
	}
	struct slice op = next_word(&p, l.e);
	struct slice a = next_word(&p, l.e);
	uint64_t key, size = 0;
	if (op.e - op.p != 1)
		return malformed(st, "unknown mtrace record '%.*s'", show_len(op), op.p);
	char o = *op.p;
	if (o != '+' && o != '-' && o != '<' && o != '>' && o != '!')
		return malformed(st, "unknown mtrace record '%c'", o >= ' ' && o < 0x7f ? o : '?');
	if (!parse_ptr(a, &key))
		return malformed(st, "mtrace address is not hex: '%.*s'", show_len(a), a.p);
	if (o == '+' || o == '>' || o == '!') {
		struct slice sz = next_word(&p, l.e);
		if (SLICE_EQ(sz, "0"))
			size = 0;
		else if (!parse_hex(sz, &size))
			return malformed(st, "mtrace size is not hex: '%.*s'", show_len(sz), sz.p);
		if (size > UINT32_MAX)
			return malformed(st, "mtrace size too large: '%.*s'", show_len(sz), sz.p);
	}
	struct slice rest = next_word(&p, l.e);
	if (rest.p != rest.e)
		return malformed(st, "trailing text '%.*s'", show_len(rest), rest.p);
	switch (o) {
	case '+':
	case '>':
		trace_emit(st, EV_ALLOC, key, (uint32_t)size, 0, 0, 0, 0);
		break;
	case '-':
	case '<':
		trace_emit(st, EV_FREE, key, 0, 0, 0, 0, 0);
		break;
	default:   /* '!': a realloc that failed; the old block stays */
		st->ts->other++;
		break;
	}
	return 0;
}

static bool mtrace_start(struct slice l)
{
	size_t n = (size_t)(l.e - l.p);
	if (n >= 7 && memcmp(l.p, "= Start", 7) == 0)
		return true;
	if (n >= 2 && l.p[0] == '@' && l.p[1] == ' ')
		return true;
	/* no caller information: "+ 0x55d0 0x10" */
	return n >= 4 && memchr("+-<>", l.p[0], 4) && l.p[1] == ' ' && l.p[2] == '0' && l.p[3] == 'x';
}

/* ---- the driver ---- */

/* "# entries-in-buffer/entries-written: 48467/48467   #P:2": when the ring
 * buffer overwrote events, say so (frees of lost allocations will show as
 * free_unknown, allocations of lost frees as realloc_live). */
static void trace_header_note(struct slice l, const char *path)
{
	static const char tag[] = "# entries-in-buffer/entries-written:";
	size_t n = sizeof(tag) - 1;
	if ((size_t)(l.e - l.p) <= n || memcmp(l.p, tag, n) != 0)
		return;
	const char *c = l.p + n;
	while (c < l.e && is_space(*c))
		c++;
	const char *a = c;
	while (c < l.e && is_digit(*c))
		c++;
	struct slice in_buf = { a, c };
	if (c >= l.e || *c != '/')
		return;
	const char *b = ++c;
	while (c < l.e && is_digit(*c))
		c++;
	uint64_t kept, written;
	if (parse_dec(in_buf, &kept) && parse_dec((struct slice){ b, c }, &written) && kept < written)
		fprintf(stderr, "kmemsim: %s: the trace buffer overwrote %llu of %llu events; "
			"expect free_unknown and realloc_live\n", path,
			(unsigned long long)(written - kept), (unsigned long long)written);
}

static const char *const fmt_names[] = {
	[FMT_UNKNOWN] = NULL, [FMT_FTRACE] = "ftrace", [FMT_TRACECMD] = "trace-cmd", [FMT_MTRACE] = "mtrace",
};

int trace_replay(struct sim *s, const char *path, bool lenient,
		 struct trace_stats *ts, char *err, size_t errlen)
{
	struct trace_input in;
	memset(ts, 0, sizeof(*ts));
	if (trace_input_open(&in, path, err, errlen) != 0)
		return 2;
	struct trace_replay_state *st = xcalloc(1, sizeof(*st));
	st->s = s;
	st->ts = ts;
	uint64_t first_bad = 0;
	char first_why[sizeof(st->why)] = "";
	int rc = 0, r = 0;
	const char *line;
	size_t len;
	while (!sim_stopped(s) && (r = trace_input_line(&in, &line, &len)) > 0) {
		ts->lines++;
		struct slice l = { line, line + len };
		int bad;
		if (r == 2) {
			bad = malformed(st, "line longer than %u bytes", TRACE_LINE_MAX);
		} else {
			while (l.p < l.e && is_space(*l.p))
				l.p++;
			while (l.e > l.p && is_space(l.e[-1]))
				l.e--;
			if (l.p == l.e)
				continue;
			if (*l.p == '#') {
				trace_header_note(l, path);
				continue;
			}
			if (st->fmt == FMT_UNKNOWN && mtrace_start(l))
				st->fmt = FMT_MTRACE;
			bad = st->fmt == FMT_MTRACE ? mtrace_line(st, l) : ftrace_line(st, l);
		}
		if (bad == 0)
			continue;
		if (!lenient) {
			snprintf(err, errlen, "%s:%llu: %s", path, (unsigned long long)ts->lines, st->why);
			rc = 2;
			break;
		}
		if (ts->malformed++ == 0) {
			first_bad = ts->lines;
			memcpy(first_why, st->why, sizeof(first_why));
		}
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(in.read_errno));
		rc = 2;
	}
	/* A decompressor failure explains everything else: it wins. */
	char xzerr[512];
	if (trace_input_close(&in, rc != 0, path, xzerr, sizeof(xzerr)) != 0) {
		snprintf(err, errlen, "%s", xzerr);
		rc = 2;
	}
	ts->format = fmt_names[st->fmt];
	if (rc == 0 && ts->malformed)
		fprintf(stderr, "kmemsim: %s: %llu malformed lines skipped (first, line %llu: %s)\n",
			path, (unsigned long long)ts->malformed, (unsigned long long)first_bad, first_why);
	if (rc == 0 && ts->cache_fallback)
		fprintf(stderr, "kmemsim: %s: %llu cache allocations went to kmalloc (%s refused their cache)\n",
			path, (unsigned long long)ts->cache_fallback, s->a->ops->name);
	for (unsigned i = 0; i < CACHEMAP_SIZE; i++)
		free(st->cachemap[i].name);
	free(st);
	return rc;
}
