/*
 * trace.c - replay of recorded allocation traces.
 *
 * 1. What it reads. Text, one record per line, in four families told apart
 *    by content (never by file name):
 *
 *  a. ftrace kmem events, as /sys/kernel/tracing/trace prints them:
 *        COMM-PID [CPU] FLAGS SECS.USECS: EVENT: key=value ...
 *     Current kernels (6.x) print call_site with %pS ("func+0x24/0x1f0",
 *     plus " [module]" for module code), hashed pointers without 0x, name=
 *     on kmem_cache_*, node= and accounted= on the allocation events, and
 *     pfn=0x... on page events. Older kernels (before 5.x/6.x) print
 *     call_site as bare hex, no name/node/accounted, separate kmalloc_node
 *     and kmem_cache_alloc_node events, ptr=(null) for NULL, and a decimal
 *     pfn. The FLAGS column and a "(TGID)" column are optional.
 *  b. `trace-cmd report` output: the same line shape after a "cpus=N"
 *     header, pointers printed as 0x..., call_site as "func+0x9f", gfp
 *     flags often as a number, and (libtraceevent's kmem plugin) sometimes
 *     a missing blank between fields ("bytes_req=56bytes_alloc=64").
 *  c. `perf script` of the kmem tracepoints (perf record -e 'kmem:...'),
 *     as tools/perf/builtin-script.c prints a sample by default
 *     (perf_sample__fprintf_start, then process_event):
 *        "%16s %7d [%03d] %12s: %*s: " COMM TID [CPU] SECS.USECS: SYS:EVENT:
 *     the event name right-aligned to the longest recorded one (perf 6.1
 *     prints the tid with %5d: blanks are not counted here), 9 decimals
 *     with --ns, then the tracepoint's fields as libtraceevent prints its
 *     format: pointers as 0x... or (nil), call_site as "func+0x9f",
 *     page= as a number (it cannot evaluate pfn_to_page), gfp_flags by
 *     name. Events of systems other than kmem are other events; the
 *     call-chain lines of `perf record -g` (an indented hex address and a
 *     symbol) are skipped.
 *  d. glibc mtrace (MALLOC_TRACE): "= Start", then per call an optional
 *     "@ CALLER[0xADDR] " prefix and "+ ADDR SIZE" (malloc), "- ADDR"
 *     (free), "< ADDR" + "> ADDR SIZE" (realloc: old freed, new allocated),
 *     "! ADDR SIZE" (failed realloc); numbers in hex.
 *  A file in which no line is a recognised kmem record is an error, not an
 *  empty run.
 *
 * 2. Compressed input. xz, gzip and zstd files, told by their magic bytes
 *    (and, when the first bytes are none of those, by a .xz/.gz/.zst name,
 *    so that the decompressor says what is wrong), are read through a child
 *    `xz -dc`, `gzip -dc` or `zstd -dc`. Its exit status is checked, so a
 *    truncated file is an error, not a short replay; if it cannot run, the
 *    message names the package. Standard input ("-") is read as text.
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
 * 5. Numbers are read in 64 bits and checked against the field's range;
 *    a value outside is refused as FILE:LINE with the value, never wrapped
 *    or cut: CPU 0..65535 (struct event), timestamp SECS[.FRACTION] with at
 *    most 9 decimals and at most 2^64-1 ns, bytes_req and bytes_alloc
 *    0..2^32-1, order 0..TRACE_ORDER_MAX, pfn 0..2^52-1 (2^64 bytes of
 *    4 KiB frames), pointers 64-bit hex, mtrace sizes 0..2^32-1.
 *
 * Where it departs: a page allocation the kernel failed (page NULL) and a
 * failed realloc ("!") are counted as other events, not replayed. Of
 * gfp_flags only the bits that route an allocation are kept (GFP_DMA,
 * GFP_DMA32, GFP_ACCOUNT, GFP_RECLAIMABLE: trace_gfp_parse).
 *
 * Robustness: lines are scanned by hand with explicit ends (no sscanf, no
 * NUL termination assumed); a line holding a NUL byte or longer than
 * TRACE_LINE_MAX bytes is malformed, and every malformed line is reported
 * as FILE:LINE: reason (--lenient counts and skips them).
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
#define TRACE_HOLD_MAX  (1u << 16)   /* events held behind an undecided page (power of two) */
#define TRACE_CHAIN_MAX 4            /* undecided new-slab pages of one CPU */
#define TRACE_CPU_MAX   UINT16_MAX   /* struct event's cpu */
#define TRACE_ORDER_MAX 31u          /* 2^order pages must fit in 32 bits */
#define TRACE_PFN_MAX   ((1ull << 52) - 1)  /* 2^64 bytes of 4 KiB frames */
#define TRACE_KMALLOC_MAX_CACHE 8192u       /* SLUB's KMALLOC_MAX_CACHE_SIZE, 4 KiB pages */

/* ---- input: plain file, stdin, or a child decompressor ---- */

struct trace_codec {
	const char   *suffix, *prog, *package;
	unsigned char magic[6], magic_len;
};

static const struct trace_codec trace_codecs[] = {
	{ ".xz",  "xz",   "xz-utils", { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6 },
	{ ".gz",  "gzip", "gzip",     { 0x1f, 0x8b }, 2 },
	{ ".zst", "zstd", "zstd",     { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
};

struct trace_input {
	int      fd;
	pid_t    child;        /* decompressor, 0 = none */
	const struct trace_codec *codec;
	bool     eof;          /* read() returned 0 */
	bool     skipping;     /* discarding the rest of an over-long line */
	char    *buf;
	size_t   start, end;   /* unread bytes are buf[start..end) */
	int      read_errno;
};

/* The codec of the first bytes of a file, if any. */
static const struct trace_codec *trace_codec_magic(const unsigned char *head, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(trace_codecs); i++)
		if (n >= trace_codecs[i].magic_len &&
		    memcmp(head, trace_codecs[i].magic, trace_codecs[i].magic_len) == 0)
			return &trace_codecs[i];
	return NULL;
}

/* The codec of a file: by its magic bytes, else by its name's suffix. */
static const struct trace_codec *trace_codec_find(int fd, const char *path)
{
	unsigned char head[6];
	struct stat st;
	ssize_t n = 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = pread(fd, head, sizeof(head), 0);
	const struct trace_codec *c = n > 0 ? trace_codec_magic(head, (size_t)n) : NULL;
	if (c)
		return c;
	size_t len = strlen(path);
	for (size_t i = 0; i < ARRAY_SIZE(trace_codecs); i++) {
		size_t sl = strlen(trace_codecs[i].suffix);
		if (len > sl && strcmp(path + len - sl, trace_codecs[i].suffix) == 0)
			return &trace_codecs[i];
	}
	return NULL;
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
	const struct trace_codec *codec = strcmp(path, "-") != 0 ? trace_codec_find(fd, path) : NULL;
	if (codec) {
		int pfd[2];
		if (pipe2(pfd, O_CLOEXEC) != 0) {
			snprintf(err, errlen, "%s: %s: pipe: %s", path, codec->prog, strerror(errno));
			close(fd);
			return -1;
		}
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0) {
			snprintf(err, errlen, "%s: %s: fork: %s", path, codec->prog, strerror(errno));
			close(fd), close(pfd[0]), close(pfd[1]);
			return -1;
		}
		if (pid == 0) {
			/* child: file on stdin, pipe on stdout (dup2 clears CLOEXEC) */
			if (dup2(fd, 0) < 0 || dup2(pfd[1], 1) < 0)
				_exit(127);
			signal(SIGPIPE, SIG_DFL);
			/* a Ctrl-C stops kmemsim, which then closes the pipe:
			 * the decompressor ends by SIGPIPE, never first with a truncated stream */
			signal(SIGINT, SIG_IGN);
			signal(SIGTERM, SIG_IGN);
			execlp(codec->prog, codec->prog, "-dc", (char *)NULL);
			_exit(127);
		}
		close(fd);
		close(pfd[1]);
		fd = pfd[0];
		in->child = pid;
		in->codec = codec;
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
	if (in->child && drain && !in->eof) {
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
	if (in->child) {
		const struct trace_codec *c = in->codec;
		int status = 0;
		while (waitpid(in->child, &status, 0) < 0 && errno == EINTR)
			;
		in->child = 0;
		if (in->eof || drain) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
				snprintf(err, errlen, "%s: %s: cannot run `%s -dc` (install %s)",
					 path, c->prog, c->prog, c->package);
				rc = -1;
			} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
				snprintf(err, errlen, "%s: %s: exit status %d (truncated or corrupt %s file)",
					 path, c->prog, WEXITSTATUS(status), c->suffix);
				rc = -1;
			} else if (WIFSIGNALED(status)) {
				snprintf(err, errlen, "%s: %s: killed by signal %d", path, c->prog, WTERMSIG(status));
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

enum num_status { NUM_OK, NUM_BAD, NUM_RANGE };

/* Decimal digits into 64 bits: NUM_RANGE past 2^64-1, never wrapped. */
static enum num_status dec_parse(struct slice s, uint64_t *out)
{
	if (s.p == s.e)
		return NUM_BAD;
	uint64_t v = 0;
	bool over = false;
	for (const char *c = s.p; c < s.e; c++) {
		if (!is_digit(*c))
			return NUM_BAD;
		unsigned d = (unsigned)(*c - '0');
		if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
			over = true;
		else
			v = v * 10 + d;
	}
	if (over)
		return NUM_RANGE;
	*out = v;
	return NUM_OK;
}

static bool parse_dec(struct slice s, uint64_t *out)
{
	return dec_parse(s, out) == NUM_OK;
}

/* A number that is hex with 0x and decimal otherwise (pfn, trace-cmd):
 * NUM_RANGE when it does not fit in 64 bits. */
static enum num_status num_parse(struct slice s, uint64_t *out)
{
	if (!(s.e - s.p >= 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')))
		return dec_parse(s, out);
	s.p += 2;
	if (s.p == s.e)
		return NUM_BAD;
	uint64_t v = 0;
	unsigned digits = 0;
	for (const char *c = s.p; c < s.e; c++) {
		int h = hex_value((unsigned char)*c);
		if (h < 0)
			return NUM_BAD;
		if (digits || h)
			digits++;
		v = v << 4 | (unsigned)h;
	}
	if (digits > 16)
		return NUM_RANGE;
	*out = v;
	return NUM_OK;
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

/*
 * show_gfp_flags() prints the composite names of include/trace/events/
 * mmflags.h first, then the single __GFP_ bits left over. Of the
 * composites in Linux 6.18's gfp_types.h only GFP_KERNEL_ACCOUNT carries
 * __GFP_ACCOUNT, only GFP_DMA / GFP_DMA32 the zone bits, and none
 * __GFP_RECLAIMABLE. trace-cmd may print the mask as a number: Linux's
 * bit values (6.18, unchanged since 4.x) are ___GFP_DMA 0x1, ___GFP_DMA32
 * 0x4, ___GFP_RECLAIMABLE 0x10, ___GFP_ACCOUNT 0x400000. A kmalloc
 * event's accounted=true is computed by the tracepoint from this same
 * mask, so it adds nothing; on kmem_cache_alloc it also reflects the
 * cache's SLAB_ACCOUNT, which does not route a named cache's objects.
 */
unsigned trace_gfp_parse(const char *str, size_t len)
{
	static const struct { const char *name; unsigned gfp; } names[] = {
		{ "GFP_DMA", GFP_DMA }, { "__GFP_DMA", GFP_DMA },
		{ "GFP_DMA32", GFP_DMA32 }, { "__GFP_DMA32", GFP_DMA32 },
		{ "GFP_KERNEL_ACCOUNT", GFP_ACCOUNT }, { "__GFP_ACCOUNT", GFP_ACCOUNT },
		{ "__GFP_RECLAIMABLE", GFP_RECLAIMABLE },
	};
	static const struct { uint64_t bit; unsigned gfp; } bits[] = {
		{ 0x1, GFP_DMA }, { 0x4, GFP_DMA32 }, { 0x10, GFP_RECLAIMABLE }, { 0x400000, GFP_ACCOUNT },
	};
	unsigned gfp = 0;
	const char *p = str, *e = str + len;
	while (p < e) {
		const char *q = memchr(p, '|', (size_t)(e - p));
		struct slice t = { p, q ? q : e };
		uint64_t v;
		if (t.e - t.p > 2 && t.p[0] == '0' && t.p[1] == 'x' && parse_hex(t, &v)) {
			for (size_t i = 0; i < ARRAY_SIZE(bits); i++)
				if (v & bits[i].bit)
					gfp |= bits[i].gfp;
		} else {
			for (size_t i = 0; i < ARRAY_SIZE(names); i++)
				if (slice_eq(t, names[i].name, strlen(names[i].name)))
					gfp |= names[i].gfp;
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

/* ---- Linux gfp bits, for rule 4 ---- */

/* Bits of include/linux/gfp_types.h, the same from 4.14 to 6.18 up to
 * ZEROTAGS (bit 9 was __GFP_ATOMIC until 6.3, unused since). The
 * config-dependent bits after it have no fixed number: they get bits of
 * their own here and are recognised by name only. */
enum {
	TRACE_GFP_DMA = 1u << 0, TRACE_GFP_HIGHMEM = 1u << 1, TRACE_GFP_DMA32 = 1u << 2,
	TRACE_GFP_MOVABLE = 1u << 3, TRACE_GFP_RECLAIMABLE = 1u << 4, TRACE_GFP_HIGH = 1u << 5,
	TRACE_GFP_IO = 1u << 6, TRACE_GFP_FS = 1u << 7, TRACE_GFP_ZERO = 1u << 8,
	TRACE_GFP_BIT9 = 1u << 9, TRACE_GFP_DIRECT_RECLAIM = 1u << 10,
	TRACE_GFP_KSWAPD_RECLAIM = 1u << 11, TRACE_GFP_WRITE = 1u << 12, TRACE_GFP_NOWARN = 1u << 13,
	TRACE_GFP_RETRY_MAYFAIL = 1u << 14, TRACE_GFP_NOFAIL = 1u << 15, TRACE_GFP_NORETRY = 1u << 16,
	TRACE_GFP_MEMALLOC = 1u << 17, TRACE_GFP_COMP = 1u << 18, TRACE_GFP_NOMEMALLOC = 1u << 19,
	TRACE_GFP_HARDWALL = 1u << 20, TRACE_GFP_THISNODE = 1u << 21, TRACE_GFP_ACCOUNT = 1u << 22,
	TRACE_GFP_ZEROTAGS = 1u << 23,
	TRACE_GFP_NUMBERED = (1u << 24) - 1,   /* bits a number in a trace can name */
	TRACE_GFP_SKIP_ZERO = 1u << 24, TRACE_GFP_SKIP_KASAN = 1u << 25, TRACE_GFP_NOLOCKDEP = 1u << 26,
	TRACE_GFP_NO_OBJ_EXT = 1u << 27, TRACE_GFP_CMA = 1u << 28,
	TRACE_GFP_RECLAIM = TRACE_GFP_DIRECT_RECLAIM | TRACE_GFP_KSWAPD_RECLAIM,
	/* what new_slab() keeps (GFP_RECLAIM_MASK | GFP_CONSTRAINT_MASK, mm/internal.h)
	 * and allocate_slab() adds (s->allocflags) */
	TRACE_GFP_SLAB_ALLOWED = TRACE_GFP_RECLAIM | TRACE_GFP_HIGH | TRACE_GFP_IO | TRACE_GFP_FS |
		TRACE_GFP_NOWARN | TRACE_GFP_RETRY_MAYFAIL | TRACE_GFP_NORETRY | TRACE_GFP_MEMALLOC |
		TRACE_GFP_NOMEMALLOC | TRACE_GFP_NOLOCKDEP | TRACE_GFP_HARDWALL | TRACE_GFP_THISNODE |
		TRACE_GFP_COMP | TRACE_GFP_RECLAIMABLE | TRACE_GFP_DMA | TRACE_GFP_DMA32,
	TRACE_GFP_SLAB_FIRST_TRY = TRACE_GFP_COMP | TRACE_GFP_NOWARN | TRACE_GFP_NORETRY,
};

/* Names as show_gfp_flags() prints them (include/trace/events/mmflags.h),
 * composites with Linux 6.18's definitions (gfp_types.h). */
static const struct {
	const char *name;
	uint32_t bits;
} trace_gfp_names[] = {
#define USER_ (TRACE_GFP_RECLAIM | TRACE_GFP_IO | TRACE_GFP_FS | TRACE_GFP_HARDWALL)
#define HIGHUSER_MOVABLE_ (USER_ | TRACE_GFP_HIGHMEM | TRACE_GFP_MOVABLE | TRACE_GFP_SKIP_KASAN)
#define TRANSHUGE_LIGHT_ ((HIGHUSER_MOVABLE_ | TRACE_GFP_COMP | TRACE_GFP_NOMEMALLOC | \
			   TRACE_GFP_NOWARN) & ~TRACE_GFP_RECLAIM)
	{ "GFP_TRANSHUGE", TRANSHUGE_LIGHT_ | TRACE_GFP_DIRECT_RECLAIM },
	{ "GFP_TRANSHUGE_LIGHT", TRANSHUGE_LIGHT_ },
	{ "GFP_HIGHUSER_MOVABLE", HIGHUSER_MOVABLE_ },
	{ "GFP_HIGHUSER", USER_ | TRACE_GFP_HIGHMEM },
	{ "GFP_USER", USER_ },
	{ "GFP_KERNEL_ACCOUNT", TRACE_GFP_RECLAIM | TRACE_GFP_IO | TRACE_GFP_FS | TRACE_GFP_ACCOUNT },
	{ "GFP_KERNEL", TRACE_GFP_RECLAIM | TRACE_GFP_IO | TRACE_GFP_FS },
	{ "GFP_NOFS", TRACE_GFP_RECLAIM | TRACE_GFP_IO },
	{ "GFP_ATOMIC", TRACE_GFP_HIGH | TRACE_GFP_KSWAPD_RECLAIM },
	{ "GFP_NOIO", TRACE_GFP_RECLAIM },
	{ "GFP_NOWAIT", TRACE_GFP_KSWAPD_RECLAIM | TRACE_GFP_NOWARN },
	{ "GFP_DMA", TRACE_GFP_DMA },
	{ "GFP_DMA32", TRACE_GFP_DMA32 },
#undef TRANSHUGE_LIGHT_
#undef HIGHUSER_MOVABLE_
#undef USER_
	{ "__GFP_DMA", TRACE_GFP_DMA }, { "__GFP_HIGHMEM", TRACE_GFP_HIGHMEM },
	{ "__GFP_DMA32", TRACE_GFP_DMA32 }, { "__GFP_MOVABLE", TRACE_GFP_MOVABLE },
	{ "__GFP_RECLAIMABLE", TRACE_GFP_RECLAIMABLE }, { "__GFP_HIGH", TRACE_GFP_HIGH },
	{ "__GFP_IO", TRACE_GFP_IO }, { "__GFP_FS", TRACE_GFP_FS }, { "__GFP_ZERO", TRACE_GFP_ZERO },
	{ "__GFP_DIRECT_RECLAIM", TRACE_GFP_DIRECT_RECLAIM },
	{ "__GFP_KSWAPD_RECLAIM", TRACE_GFP_KSWAPD_RECLAIM }, { "__GFP_RECLAIM", TRACE_GFP_RECLAIM },
	{ "__GFP_WRITE", TRACE_GFP_WRITE }, { "__GFP_NOWARN", TRACE_GFP_NOWARN },
	{ "__GFP_RETRY_MAYFAIL", TRACE_GFP_RETRY_MAYFAIL }, { "__GFP_NOFAIL", TRACE_GFP_NOFAIL },
	{ "__GFP_NORETRY", TRACE_GFP_NORETRY }, { "__GFP_MEMALLOC", TRACE_GFP_MEMALLOC },
	{ "__GFP_COMP", TRACE_GFP_COMP }, { "__GFP_NOMEMALLOC", TRACE_GFP_NOMEMALLOC },
	{ "__GFP_HARDWALL", TRACE_GFP_HARDWALL }, { "__GFP_THISNODE", TRACE_GFP_THISNODE },
	{ "__GFP_ACCOUNT", TRACE_GFP_ACCOUNT }, { "__GFP_ZEROTAGS", TRACE_GFP_ZEROTAGS },
	{ "__GFP_SKIP_ZERO", TRACE_GFP_SKIP_ZERO }, { "__GFP_SKIP_KASAN", TRACE_GFP_SKIP_KASAN },
	{ "__GFP_NOLOCKDEP", TRACE_GFP_NOLOCKDEP }, { "__GFP_NO_OBJ_EXT", TRACE_GFP_NO_OBJ_EXT },
	{ "__GFP_CMA", TRACE_GFP_CMA },
};

uint32_t trace_gfp_bits(const char *str, size_t len, bool *unknown)
{
	uint32_t bits = 0;
	const char *p = str, *e = str + len;
	*unknown = false;
	while (p < e) {
		const char *q = memchr(p, '|', (size_t)(e - p));
		struct slice t = { p, q ? q : e };
		size_t i;
		for (i = 0; i < ARRAY_SIZE(trace_gfp_names); i++)
			if (slice_eq(t, trace_gfp_names[i].name, strlen(trace_gfp_names[i].name)))
				break;
		uint64_t v;
		if (i < ARRAY_SIZE(trace_gfp_names))
			bits |= trace_gfp_names[i].bits;
		else if (SLICE_EQ(t, "0") || SLICE_EQ(t, "none"))
			;
		else if (num_parse(t, &v) == NUM_OK && !(v & ~(uint64_t)TRACE_GFP_NUMBERED))
			bits |= (uint32_t)v;
		else
			*unknown = true;
		p = q ? q + 1 : e;
	}
	return bits;
}

bool trace_gfp_is_slab_page(uint32_t bits, bool unknown)
{
	return !unknown && !(bits & ~(uint32_t)TRACE_GFP_SLAB_ALLOWED) &&
	       (bits & TRACE_GFP_SLAB_FIRST_TRY) == TRACE_GFP_SLAB_FIRST_TRY;
}

/* ---- the replay state ---- */

enum trace_fmt { FMT_UNKNOWN, FMT_FTRACE, FMT_TRACECMD, FMT_PERF, FMT_MTRACE };

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

/* One parsed kmem record on its way to the engine (40 bytes). */
struct trace_rec {
	uint64_t time_ns, key;
	uint32_t size;       /* bytes_req, or order */
	uint32_t gfp;        /* engine gfp (zone modifiers) */
	int32_t  cache;
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

struct trace_replay_state {
	struct sim          *s;
	struct trace_stats  *ts;
	enum trace_fmt       fmt;
	bool                 have_t0;
	uint64_t             t0;          /* ns of the first event */
	bool                 mtrace_realloc;  /* saw "<", expecting ">" */
	uint64_t             recognised;  /* kmem records read, whatever became of them */
	/* rule 4: set aside the traced allocator's own (not --replay-own-slab) */
	bool                 classify;
	struct trace_rec    *hold;        /* ring of TRACE_HOLD_MAX records */
	uint64_t             hold_head, hold_tail;   /* held: sequence numbers [head, tail) */
	struct trace_cpu_wait *wait;      /* per CPU, nwait of them */
	unsigned             nwait;
	struct objtab        own_pages;   /* set-aside pfn -> flags OWN_SLAB_PAGE / OWN_LARGE_PAGE */
	struct objtab        own_objs;    /* set-aside metadata pointers */
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
	/* name= is already the kernel's merged cache (its /proc/slabinfo row):
	 * the back end must not merge it again */
	st->cachemap[i].id = sim_cache_create(st->s, copy, size, align, CACHE_NO_MERGE);
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

static void trace_emit(struct trace_replay_state *st, const struct trace_rec *r)
{
	struct event ev = {
		.time_ns = r->time_ns, .key = r->key, .size = r->size, .cache = r->cache,
		.cpu = r->cpu, .kind = r->kind, .gfp = r->gfp,
	};
	sim_event(st->s, &ev);
	st->ts->events++;
}

/* ---- rule 4: holding, deciding and setting aside ---- */

/* Hand a decided record on: set aside and counted (4), or to the engine. */
static void trace_release(struct trace_replay_state *st, const struct trace_rec *r)
{
	struct trace_stats *ts = st->ts;
	struct obj o;
	if (st->classify && r->own == OWN_DUP) {
		ts->own_dup_kmallocs++;
		return;
	}
	if (st->classify && r->key != 0) {
		switch (r->kind) {
		case EV_PAGE_ALLOC:
			if (r->own == OWN_SLAB_PAGE || r->own == OWN_LARGE_PAGE) {
				struct obj *p = objtab_lookup(&st->own_pages, r->key);
				if (!p)
					p = objtab_insert(&st->own_pages, r->key);
				p->flags = r->own;
				if (r->own == OWN_SLAB_PAGE)
					ts->own_slab_pages++;
				else
					ts->own_large_pages++;
				return;
			}
			objtab_remove(&st->own_pages, r->key, NULL);   /* its free was lost */
			break;
		case EV_PAGE_FREE:
			if (objtab_remove(&st->own_pages, r->key, &o)) {
				if (o.flags == OWN_SLAB_PAGE)
					ts->own_slab_page_frees++;
				else
					ts->own_large_page_frees++;
				return;
			}
			break;
		case EV_ALLOC:
			if (r->own == OWN_META) {
				if (!objtab_lookup(&st->own_objs, r->key))
					objtab_insert(&st->own_objs, r->key);
				ts->own_meta_allocs++;
				return;
			}
			objtab_remove(&st->own_objs, r->key, NULL);    /* its free was lost */
			break;
		default:   /* EV_FREE */
			if (objtab_remove(&st->own_objs, r->key, NULL) || r->own == OWN_META) {
				ts->own_meta_frees++;
				return;
			}
			break;
		}
	} else if (st->classify && r->own == OWN_META) {   /* a failed metadata allocation */
		ts->own_meta_allocs += r->kind == EV_ALLOC;
		ts->own_meta_frees += r->kind == EV_FREE;
		return;
	}
	trace_emit(st, r);
}

static struct trace_rec *trace_hold_at(struct trace_replay_state *st, uint64_t seq)
{
	return &st->hold[seq & (TRACE_HOLD_MAX - 1)];
}

/* Release held records from the oldest while they are decided. */
static void trace_hold_drain(struct trace_replay_state *st)
{
	while (st->hold_head != st->hold_tail) {
		struct trace_rec *r = trace_hold_at(st, st->hold_head);
		if (r->own == OWN_WAIT)
			break;
		trace_release(st, r);
		st->hold_head++;
	}
}

/* Every page waiting on w is replayed (no allocation followed it). */
static void trace_wait_replay(struct trace_replay_state *st, struct trace_cpu_wait *w)
{
	for (unsigned i = 0; i < w->n; i++)
		trace_hold_at(st, w->seq[i])->own = OWN_NO;
	w->n = 0;
}

/* The next kmem record r of a CPU decides its waiting pages (4a, 4b).
 * large_alloc: r's bytes_alloc when r is a kmalloc above 8 KiB, else 0. */
static void trace_wait_decide(struct trace_replay_state *st, struct trace_cpu_wait *w,
			      const struct trace_rec *r, uint64_t large_alloc)
{
	if (r->kind == EV_ALLOC && r->key != 0) {
		for (unsigned i = 0; i < w->n; i++) {
			struct trace_rec *p = trace_hold_at(st, w->seq[i]);
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
			struct trace_rec *p = trace_hold_at(st, w->seq[i]);
			if (p->cand & CAND_SLAB)
				w->seq[k++] = w->seq[i];
			else
				p->own = OWN_NO;
		}
		w->n = k;
		if (w->n == TRACE_CHAIN_MAX) {
			trace_hold_at(st, w->seq[0])->own = OWN_NO;
			memmove(w->seq, w->seq + 1, (TRACE_CHAIN_MAX - 1) * sizeof(w->seq[0]));
			w->n--;
		}
	} else {
		trace_wait_replay(st, w);
	}
}

/* Take one parsed record (file order): decide what waited on its CPU, then
 * hold it (it waits itself, or older records wait) or release it.
 * kmalloc: r is a kmalloc event, of bytes_alloc (0 if not printed). */
static void trace_submit(struct trace_replay_state *st, struct trace_rec *r, bool kmalloc,
			 uint32_t bytes_alloc)
{
	if (!st->classify) {
		trace_emit(st, r);
		return;
	}
	if (r->cpu >= st->nwait) {
		unsigned n = (unsigned)r->cpu + 1;
		st->wait = xrealloc(st->wait, n * sizeof(*st->wait));
		memset(st->wait + st->nwait, 0, (n - st->nwait) * sizeof(*st->wait));
		st->nwait = n;
	}
	struct trace_cpu_wait *w = &st->wait[r->cpu];
	bool large = kmalloc && r->key != 0 && r->size > TRACE_KMALLOC_MAX_CACHE;
	if (w->n)
		trace_wait_decide(st, w, r, large ? bytes_alloc : 0);
	if (large && w->last_kmalloc && w->last_key == r->key && w->last_req == r->size &&
	    w->last_alloc == bytes_alloc)
		r->own = OWN_DUP;
	w->last_kmalloc = kmalloc && r->key != 0;
	w->last_key = r->key;
	w->last_req = r->size;
	w->last_alloc = bytes_alloc;
	if (!r->cand && st->hold_head == st->hold_tail) {
		trace_release(st, r);
		return;
	}
	if (!st->hold)
		st->hold = xmalloc(TRACE_HOLD_MAX * sizeof(*st->hold));
	while (st->hold_tail - st->hold_head == TRACE_HOLD_MAX) {
		/* full: the oldest is a page still waiting; it is replayed */
		uint16_t cpu = trace_hold_at(st, st->hold_head)->cpu;
		trace_wait_replay(st, &st->wait[cpu]);
		trace_hold_drain(st);
	}
	if (r->cand) {
		r->own = OWN_WAIT;
		w->seq[w->n++] = st->hold_tail;
	}
	*trace_hold_at(st, st->hold_tail++) = *r;
	trace_hold_drain(st);
}

/* End of input (or of the replay): what still waits is replayed. */
static void trace_hold_flush(struct trace_replay_state *st)
{
	for (unsigned c = 0; c < st->nwait; c++)
		trace_wait_replay(st, &st->wait[c]);
	trace_hold_drain(st);
}

/* At most 40 printable bytes of s, for messages. */
static int show_len(struct slice s)
{
	int n = 0;
	while (s.p + n < s.e && n < 40 && (unsigned char)s.p[n] >= ' ' && (unsigned char)s.p[n] < 0x7f)
		n++;
	return n;
}

/* ---- ftrace, trace-cmd and perf script ---- */

struct kmem_fields {
	struct slice ptr, bytes_req, bytes_alloc, gfp, name, page, pfn, order;
	struct slice site;     /* call_site (empty when absent) */
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
			else if (SLICE_EQ(key, "call_site")) { f->site = val; after_call_site = true; }
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

/* A numeric field, read in 64 bits and refused (with its value) above max. */
static int need_num(struct trace_replay_state *st, bool has, struct slice v, const char *key,
		    uint64_t max, uint64_t *out)
{
	if (!has)
		return malformed(st, "missing %s=", key);
	enum num_status ns = num_parse(v, out);
	if (ns == NUM_BAD)
		return malformed(st, "%s is not a number: '%.*s'", key, show_len(v), v.p);
	if (ns == NUM_RANGE || *out > max)
		return malformed(st, "%s too large (max %llu): '%.*s'", key, (unsigned long long)max,
				 show_len(v), v.p);
	return 0;
}

static int need_u32(struct trace_replay_state *st, bool has, struct slice v, const char *key,
		    uint32_t *out)
{
	uint64_t x;
	if (need_num(st, has, v, key, UINT32_MAX, &x))
		return -1;
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
	if (f->has_pfn)
		return need_num(st, true, f->pfn, "pfn", TRACE_PFN_MAX, key);
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

/* A call-chain line of `perf record -g` output: an address, a symbol and
 * "(DSO)" ("ffffffff8123abcd kmem_cache_alloc_noprof+0x1f5 ([kernel.kallsyms])"). */
static bool perf_callchain_line(struct slice l)
{
	const char *c = l.p;
	while (c < l.e && hex_value((unsigned char)*c) >= 0)
		c++;
	return c > l.p && c < l.e && is_space(*c) && l.e[-1] == ')';
}

/* Rule 4c/4d: SLUB's own allocation and free sites (Linux 6.18 mm/slub.c). */
static const char *const own_alloc_sites[] = {
	"alloc_slab_obj_exts",                                /* a slab's slabobj_ext vector */
	"alloc_empty_sheaf", "__alloc_empty_sheaf", "alloc_full_sheaf",
	"kmem_cache_prefill_sheaf",                           /* per-CPU sheaves */
	"init_kmem_cache_nodes",                              /* the barn */
};
static const char *const own_free_sites[] = {
	"__free_slab", "free_slab_obj_exts", "unaccount_slab",     /* a slab's vector */
	"free_empty_sheaf", "barn_shrink", "rcu_free_sheaf", "rcu_free_sheaf_nobarn",
	"kmem_cache_return_sheaf",                                  /* a sheaf */
	"free_kmem_cache_nodes",                                    /* the barn */
};

/* Is call_site's function ("func.isra.0+0x24/0x1f0" -> "func") in list? */
static bool own_site(struct slice site, const char *const *list, size_t n)
{
	const char *e = site.p;
	while (e < site.e && *e != '+' && *e != '.')
		e++;
	struct slice fn = { site.p, e };
	for (size_t i = 0; i < n; i++)
		if (slice_eq(fn, list[i], strlen(list[i])))
			return true;
	return false;
}

static int ftrace_line(struct trace_replay_state *st, struct slice l, bool indented)
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
		while (d < l.e && is_digit(*d)) {
			if (v <= TRACE_CPU_MAX)     /* v * 10 + 9 fits: no wrap */
				v = v * 10 + (unsigned)(*d - '0');
			d++;
		}
		if (c > l.p && is_space(c[-1]) && d > c + 1 && d < l.e && *d == ']') {
			if (v > TRACE_CPU_MAX)
				return malformed(st, "CPU too large (max %u): '%.*s'", TRACE_CPU_MAX,
						 show_len((struct slice){ c + 1, d }), c + 1);
			cpu = v;
			cpu_end = d + 1;
			break;
		}
		c++;
	}
	if (!cpu_end && st->fmt == FMT_PERF && indented && perf_callchain_line(l))
		return 0;
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
	/* timestamp: SECS[.FRACTION]: in ns, at most 2^64-1 */
	const uint64_t ns_per_s = 1000000000ull;
	uint64_t secs = 0, frac = 0, scale = ns_per_s;
	bool too_large = false;
	const char *t = c;
	for (; c < l.e && is_digit(*c); c++) {
		if (secs > UINT64_MAX / ns_per_s)
			too_large = true;
		else
			secs = secs * 10 + (unsigned)(*c - '0');
	}
	if (c == t)
		return malformed(st, "no timestamp after the CPU field");
	if (c < l.e && *c == '.') {
		c++;
		for (; c < l.e && is_digit(*c); c++) {
			if (scale == 1)
				return malformed(st, "timestamp with more than 9 decimals: '%.*s'",
						 show_len((struct slice){ t, l.e }), t);
			scale /= 10;
			frac += (unsigned)(*c - '0') * scale;
		}
	}
	struct slice tstamp = { t, c };
	if (c >= l.e || *c != ':')
		return malformed(st, "timestamp not followed by ':'");
	if (too_large || secs > UINT64_MAX / ns_per_s || secs * ns_per_s > UINT64_MAX - frac)
		return malformed(st, "timestamp too large (max 18446744073.709551615 s): '%.*s'",
				 show_len(tstamp), tstamp.p);
	c++;
	while (c < l.e && is_space(*c))
		c++;
	/* EVENT: (ftrace, trace-cmd) or SYSTEM:EVENT: (perf script) */
	const char *name = c;
	while (c < l.e && *c != ':' && !is_space(*c))
		c++;
	if (c == name || c >= l.e || *c != ':')
		return malformed(st, "no event name after the timestamp");
	size_t nlen = (size_t)(c - name);
	c++;
	bool kmem_system = true;
	if (c < l.e && !is_space(*c)) {
		struct slice sys = { name, name + nlen };
		name = c;
		while (c < l.e && *c != ':' && !is_space(*c))
			c++;
		if (c == name || c >= l.e || *c != ':')
			return malformed(st, "no event name after '%.*s:'", show_len(sys), sys.p);
		nlen = (size_t)(c - name);
		c++;
		kmem_system = SLICE_EQ(sys, "kmem");
		if (st->fmt == FMT_UNKNOWN)
			st->fmt = FMT_PERF;
	}
	int kind = -1;
	for (size_t i = 0; i < ARRAY_SIZE(trace_events) && kmem_system; i++)
		if (trace_events[i].len == nlen && memcmp(trace_events[i].name, name, nlen) == 0) {
			kind = trace_events[i].kind;
			break;
		}
	bool page_kind = kind == TEV_PAGE_ALLOC || kind == TEV_PAGE_FREE || kind == TEV_PAGE_FREE_BATCHED;
	if (kind < 0 || (page_kind && !p->page_events)) {
		st->recognised += kind >= 0;
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
	uint64_t ns = secs * ns_per_s + frac;
	if (!st->have_t0) {
		st->have_t0 = true;
		st->t0 = ns;
	}
	struct trace_rec r = { .time_ns = ns > st->t0 ? ns - st->t0 : 0, .cpu = (uint16_t)cpu, .own = OWN_NO };
	uint64_t order = 0;
	uint32_t req, alloc = 0;
	unsigned gfp = f.has_gfp ? trace_gfp_parse(f.gfp.p, (size_t)(f.gfp.e - f.gfp.p)) : 0;
	switch (kind) {
	case TEV_KMALLOC:
	case TEV_CACHE_ALLOC: {
		if (need_ptr(st, f.has_ptr, f.ptr, "ptr", &r.key) || need_u32(st, f.has_req, f.bytes_req, "bytes_req", &req))
			return -1;
		if ((kind == TEV_CACHE_ALLOC || f.has_alloc) &&
		    need_u32(st, f.has_alloc, f.bytes_alloc, "bytes_alloc", &alloc))
			return -1;
		int cache = 0;
		bool own_cache = false;
		if (kind == TEV_CACHE_ALLOC) {
			char gen[48];
			const char *cn = gen;
			size_t cl;
			if (f.has_name) {
				cn = f.name.p;
				cl = (size_t)(f.name.e - f.name.p);
				if (cl == 0 || cl > TRACE_NAME_MAX)
					return malformed(st, "cache name empty or longer than %d bytes", TRACE_NAME_MAX);
				own_cache = SLICE_EQ(f.name, "kmem_cache_node");
			} else {
				cl = (size_t)snprintf(gen, sizeof(gen), "cache-%u-%u", req, alloc);
			}
			if (!(st->classify && own_cache))   /* SLUB's own cache: never made in the back end */
				cache = trace_cache_lookup(st, cn, cl, req, alloc);
			if (cache < 0) {
				cache = 0;
				st->ts->cache_fallback++;
			}
		}
		r.kind = EV_ALLOC;
		r.size = req;
		r.cache = cache;
		r.gfp = gfp;
		if (own_cache || own_site(f.site, own_alloc_sites, ARRAY_SIZE(own_alloc_sites)))
			r.own = OWN_META;
		break;
	}
	case TEV_KFREE:
		if (need_ptr(st, f.has_ptr, f.ptr, "ptr", &r.key))
			return -1;
		r.kind = EV_FREE;
		if ((f.has_name && SLICE_EQ(f.name, "kmem_cache_node")) ||
		    own_site(f.site, own_free_sites, ARRAY_SIZE(own_free_sites)))
			r.own = OWN_META;
		break;
	case TEV_PAGE_ALLOC:
		if (page_key(st, &f, &r.key) || need_num(st, f.has_order, f.order, "order", TRACE_ORDER_MAX, &order))
			return -1;
		if (r.key == 0) {   /* the kernel's allocation failed: page NULL, pfn 0 */
			st->recognised++;
			st->ts->other++;
			return 0;
		}
		r.kind = EV_PAGE_ALLOC;
		r.size = (uint32_t)order;
		r.gfp = gfp;
		if (st->classify && f.has_gfp) {
			bool unknown;
			uint32_t bits = trace_gfp_bits(f.gfp.p, (size_t)(f.gfp.e - f.gfp.p), &unknown);
			if (trace_gfp_is_slab_page(bits, unknown))
				r.cand |= CAND_SLAB;
			if ((bits & TRACE_GFP_COMP) && !(bits & TRACE_GFP_HIGHMEM) && order >= 2)
				r.cand |= CAND_LARGE;
		}
		break;
	default:   /* TEV_PAGE_FREE, TEV_PAGE_FREE_BATCHED */
		if (page_key(st, &f, &r.key))
			return -1;
		if (kind == TEV_PAGE_FREE &&
		    need_num(st, f.has_order, f.order, "order", TRACE_ORDER_MAX, &order))
			return -1;
		if (r.key == 0) {   /* no page: nothing was freed */
			st->recognised++;
			st->ts->other++;
			return 0;
		}
		r.kind = EV_PAGE_FREE;
		r.size = (uint32_t)order;
		break;
	}
	st->recognised++;
	trace_submit(st, &r, kind == TEV_KMALLOC, alloc);
	return 0;
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
		enum num_status ns = NUM_OK;
		if (SLICE_EQ(sz, "0"))
			size = 0;
		else if (sz.e - sz.p > 2 && sz.p[0] == '0' && sz.p[1] == 'x')
			ns = num_parse(sz, &size);
		else
			ns = parse_hex(sz, &size) ? NUM_OK : NUM_BAD;
		if (ns == NUM_BAD)
			return malformed(st, "mtrace size is not hex: '%.*s'", show_len(sz), sz.p);
		if (ns == NUM_RANGE || size > UINT32_MAX)
			return malformed(st, "mtrace size too large (max 0xffffffff): '%.*s'", show_len(sz), sz.p);
	}
	struct slice rest = next_word(&p, l.e);
	if (rest.p != rest.e)
		return malformed(st, "trailing text '%.*s'", show_len(rest), rest.p);
	st->recognised++;
	struct trace_rec r = { .key = key, .own = OWN_NO };
	switch (o) {
	case '+':
	case '>':
		r.kind = EV_ALLOC;
		r.size = (uint32_t)size;
		trace_submit(st, &r, false, 0);
		break;
	case '-':
	case '<':
		r.kind = EV_FREE;
		trace_submit(st, &r, false, 0);
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
	[FMT_UNKNOWN] = NULL, [FMT_FTRACE] = "ftrace", [FMT_TRACECMD] = "trace-cmd",
	[FMT_PERF] = "perf-script", [FMT_MTRACE] = "mtrace",
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
	st->classify = !s->p->replay_own_slab;
	objtab_init(&st->own_pages);
	objtab_init(&st->own_objs);
	uint64_t first_bad = 0;
	char first_why[sizeof(st->why)] = "";
	int rc = 0, r = 0;
	const char *line;
	size_t len;
	while (!sim_stopped(s) && (r = trace_input_line(&in, &line, &len)) > 0) {
		ts->lines++;
		struct slice l = { line, line + len };
		int bad;
		const char *nul = memchr(line, '\0', len);
		if (r == 2) {
			bad = malformed(st, "line longer than %u bytes", TRACE_LINE_MAX);
		} else if (nul) {
			bad = malformed(st, "NUL byte at column %zu", (size_t)(nul - line) + 1);
		} else {
			bool indented = len > 0 && is_space(*line);
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
			bad = st->fmt == FMT_MTRACE ? mtrace_line(st, l) : ftrace_line(st, l, indented);
		}
		/* a trace for sure: a kmem record read, or a format's header seen */
		bool trace_known = st->recognised || st->fmt != FMT_UNKNOWN;
		if (bad == 0) {
			if (!lenient && ts->malformed && trace_known) {
				/* it is a trace after all: its first bad line stops it */
				snprintf(err, errlen, "%s:%llu: %s", path, (unsigned long long)first_bad, first_why);
				rc = 2;
				break;
			}
			continue;
		}
		if (!lenient && trace_known) {
			snprintf(err, errlen, "%s:%llu: %s", path, (unsigned long long)ts->lines, st->why);
			rc = 2;
			break;
		}
		/* lenient, or not yet known to be a trace: count it, read on */
		if (ts->malformed++ == 0) {
			first_bad = ts->lines;
			memcpy(first_why, st->why, sizeof(first_why));
		}
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(in.read_errno));
		rc = 2;
	}
	trace_hold_flush(st);   /* what was read is replayed, even when the rest is not */
	/* A decompressor failure explains everything else: it wins. */
	char xzerr[512];
	if (trace_input_close(&in, rc != 0, path, xzerr, sizeof(xzerr)) != 0) {
		snprintf(err, errlen, "%s", xzerr);
		rc = 2;
	}
	if (rc == 0 && st->recognised == 0) {
		int n = snprintf(err, errlen, "%s: no kmem events recognised; formats read: ftrace, "
				 "trace-cmd, perf script, glibc mtrace", path);
		if (ts->malformed && n > 0 && (size_t)n < errlen)
			snprintf(err + n, errlen - (size_t)n, " (line %llu: %s)",
				 (unsigned long long)first_bad, first_why);
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
	objtab_fini(&st->own_pages);
	objtab_fini(&st->own_objs);
	free(st->hold);
	free(st->wait);
	free(st);
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

/* "COMM-PID [CPU] ... SECS.FRAC:" */
static bool sniff_event_line(struct slice l)
{
	const char *c = l.p, *end = NULL;
	while (c < l.e && (c = memchr(c, '[', (size_t)(l.e - c))) != NULL) {
		const char *d = c + 1;
		while (d < l.e && is_digit(*d))
			d++;
		if (c > l.p && is_space(c[-1]) && d > c + 1 && d < l.e && *d == ']') {
			end = d + 1;
			break;
		}
		c++;
	}
	for (c = end; c && c < l.e; c++) {
		if (!is_digit(*c))
			continue;
		const char *d = c;
		while (d < l.e && is_digit(*d))
			d++;
		if (d < l.e && *d == '.') {
			const char *f = ++d;
			while (d < l.e && is_digit(*d))
				d++;
			if (d > f && d < l.e && *d == ':')
				return true;
		}
		c = d;
	}
	return false;
}

/* l starts with w, then a blank, '(' or a digit (cpus=2), or ends there. */
static bool sniff_word(struct slice l, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(l.e - l.p) >= n && memcmp(l.p, w, n) == 0 &&
	       ((size_t)(l.e - l.p) == n || is_space(l.p[n]) || l.p[n] == '(' || is_digit(l.p[n]));
}

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
	if (trace_codec_magic((const unsigned char *)buf, (size_t)n))
		return TRACE_SNIFF_TRACE;
	const char *p = buf, *e = buf + n;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		struct slice l = { p, nl ? nl : e };
		p = nl ? nl + 1 : e;
		while (l.p < l.e && is_space(*l.p))
			l.p++;
		while (l.e > l.p && is_space(l.e[-1]))
			l.e--;
		if (l.p == l.e || *l.p == '#')
			continue;   /* blank; ftrace's header, or a first line LuaJIT skips */
		if (sniff_word(l, "cpus=") || mtrace_start(l) ||
		    sniff_event_line(l))
			return TRACE_SNIFF_TRACE;
		if ((l.e - l.p >= 2 && l.p[0] == '-' && l.p[1] == '-') || sniff_word(l, "local") ||
		    sniff_word(l, "function") || sniff_word(l, "require"))
			return TRACE_SNIFF_LUA;
		break;
	}
	return by_name;
}
