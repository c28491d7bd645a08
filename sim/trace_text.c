/*
 * trace_text.c - the text trace formats, read into trace items.
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
 *  Each kmem record becomes one trace item (trace_text.h): the fields the
 *  replay uses, numbers read, the gfp_flags text and the cache name as
 *  string ids, whether call_site is one of SLUB's own (trace.c rule 4c/4d),
 *  and mm_page_alloc's migratetype. A failed page allocation (page NULL,
 *  pfn 0) is an item with key 0: trace.c counts it as another event.
 *
 * 2. Numbers are read in 64 bits and checked against the field's range;
 *    a value outside is refused as FILE:LINE with the value, never wrapped
 *    or cut: CPU 0..65535 (struct event), timestamp SECS[.FRACTION] with at
 *    most 9 decimals and at most 2^64-1 ns, bytes_req and bytes_alloc
 *    0..2^32-1, order 0..TRACE_ORDER_MAX, pfn 0..2^52-1 (2^64 bytes of
 *    4 KiB frames), pointers 64-bit hex, mtrace sizes 0..2^32-1. A
 *    migratetype that is not a number in int32 is left out (the replay does
 *    not use it).
 *
 * 3. Robustness: lines are scanned by hand with explicit ends (no sscanf,
 *    no NUL termination assumed); a line holding a NUL byte or longer than
 *    TRACE_LINE_MAX bytes is malformed, and every malformed line is
 *    reported as FILE:LINE: reason (--lenient counts and skips them).
 *    Malformed lines before anything shows the file is a trace (a kmem
 *    record, a format's header) are counted and reading goes on; the first
 *    of them is reported when a trace follows, "no kmem events" otherwise.
 *
 * 4. Speed. Most of a replay from text is spent here, so the common line
 *    takes a fast path: a "plain" line (no NUL, tab or CR: trace_input.c
 *    knows where those are without looking at each line) is split into
 *    key=value fields by matching the key first and finding the value's
 *    end with memchr, fields the replay does not use are skipped whole, and
 *    nothing is cleared per line. gfp_flags texts and cache names are
 *    interned, so each distinct text is decoded once (trace.c). Anything
 *    unusual on the fast path (a field without "=", a second "=" in a
 *    field) sends the line to the general tokenizer, which accepts exactly
 *    what it accepted before the fast path existed. The test build checks
 *    every line the fast path takes against the general tokenizer (an
 *    oracle that aborts on a difference), and t_trace_text compares whole
 *    replays of real and mutated lines through both paths.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
#include "trace_input.h"
#include "trace_text.h"

#define TRACE_CPU_MAX   UINT16_MAX   /* struct event's cpu */
#define TRACE_ORDER_MAX 31u          /* 2^order pages must fit in 32 bits */
#define TRACE_PFN_MAX   ((1ull << 52) - 1)  /* 2^64 bytes of 4 KiB frames */

const char *const trace_fmt_names[FMT_NFORMATS] = {
	[FMT_UNKNOWN] = NULL, [FMT_FTRACE] = "ftrace", [FMT_TRACECMD] = "trace-cmd",
	[FMT_PERF] = "perf-script", [FMT_MTRACE] = "mtrace",
};

/* ---- the string table ---- */

/* Hash of a string from its length and its first and last eight bytes:
 * two loads, whatever its length (a trace's strings differ there). */
static inline uint32_t strtab_hash(const char *p, size_t n)
{
	uint64_t a = 0, b = 0;
	if (n >= 8) {
		memcpy(&a, p, 8);
		memcpy(&b, p + n - 8, 8);
	} else {
		for (size_t i = 0; i < n; i++)
			a = a << 8 | (unsigned char)p[i];
	}
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + n) * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h ^ h >> 29);
}

static inline bool bytes_eq(const char *a, const char *b, size_t n)
{
	for (; n >= 8; a += 8, b += 8, n -= 8) {
		uint64_t x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	while (n--)
		if (*a++ != *b++)
			return false;
	return true;
}

void trace_strtab_init(struct trace_strtab *t)
{
	memset(t, 0, sizeof(*t));
}

void trace_strtab_fini(struct trace_strtab *t)
{
	free(t->bytes);
	free(t->ent);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static void strtab_slot_put(struct trace_strtab *t, uint32_t id)
{
	uint32_t i = t->ent[id].hash & t->slot_mask;
	while (t->slot[i])
		i = (i + 1) & t->slot_mask;
	t->slot[i] = id;
}

uint32_t trace_strtab_add(struct trace_strtab *t, const char *p, size_t n)
{
	if (n > UINT32_MAX || t->count == UINT32_MAX - 1)
		die("trace string table full");
	if (t->nbytes + n > t->bytes_cap || !t->bytes) {
		t->bytes_cap = MAX(t->nbytes + n, t->bytes_cap * 2 + 4096);
		t->bytes = xrealloc(t->bytes, t->bytes_cap);
	}
	if (t->count + 1 >= t->ent_cap) {
		t->ent_cap = t->ent_cap ? t->ent_cap * 2 : 64;
		t->ent = xrealloc(t->ent, t->ent_cap * sizeof(*t->ent));
	}
	uint32_t id = ++t->count;
	if (n)
		memcpy(t->bytes + t->nbytes, p, n);
	t->ent[id] = (struct trace_strtab_entry){ t->nbytes, (uint32_t)n, strtab_hash(p, n) };
	t->nbytes += n;
	if (t->slot && (uint64_t)t->count * 2 > t->slot_mask) {
		/* keep the hash table at most half full */
		free(t->slot);
		t->slot_mask = t->slot_mask * 2 + 1;
		t->slot = xcalloc((size_t)t->slot_mask + 1, sizeof(*t->slot));
		for (uint32_t i = 1; i <= t->count; i++)
			strtab_slot_put(t, i);
	} else if (t->slot) {
		strtab_slot_put(t, id);
	}
	return id;
}

uint32_t trace_strtab_intern(struct trace_strtab *t, const char *p, size_t n)
{
	if (!t->slot) {
		t->slot_mask = 255;
		t->slot = xcalloc(256, sizeof(*t->slot));
		for (uint32_t i = 1; i <= t->count; i++)
			strtab_slot_put(t, i);
	}
	uint32_t h = strtab_hash(p, n);
	for (uint32_t i = h & t->slot_mask, id; (id = t->slot[i]) != 0; i = (i + 1) & t->slot_mask) {
		const struct trace_strtab_entry *e = &t->ent[id];
		if (e->hash == h && e->len == n && bytes_eq(t->bytes + e->off, p, n))
			return id;
	}
	return trace_strtab_add(t, p, n);
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

/* Hex digit values, -1 for other bytes. */
static const signed char hex_values[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};   /* value + 1: 0 is "not a digit" */

static inline int hex_value(int c)
{
	return hex_values[(unsigned char)c] - 1;
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
	if (s.p < s.e && *s.p == '(' && (SLICE_EQ(s, "(null)") || SLICE_EQ(s, "(nil)"))) {
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

bool trace_gfp_is_large_kmalloc_page(uint32_t bits)
{
	return (bits & TRACE_GFP_COMP) && !(bits & TRACE_GFP_HIGHMEM);
}

/* ---- the reader ---- */

void trace_text_init(struct trace_text *t, struct trace_input *in, const char *path, bool lenient,
		     bool page_events, struct trace_strtab *tab)
{
	memset(t, 0, sizeof(*t));
	t->in = in;
	t->path = path;
	t->lenient = lenient;
	t->page_events = page_events;
	t->tab = tab;
}

static int malformed(struct trace_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int malformed(struct trace_text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	return -1;
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

enum trace_ev {
	TEV_KMALLOC, TEV_CACHE_ALLOC, TEV_KFREE, TEV_PAGE_ALLOC, TEV_PAGE_FREE, TEV_PAGE_FREE_BATCHED,
};

/* The kmem event of a name, -1 if none. */
static int trace_event_kind(const char *name, size_t n)
{
#define IS(lit) (memcmp(name, lit, sizeof(lit) - 1) == 0)
	switch (n) {
	case 5:  return IS("kfree") ? TEV_KFREE : -1;
	case 7:  return IS("kmalloc") ? TEV_KMALLOC : -1;
	case 12: return IS("kmalloc_node") ? TEV_KMALLOC : IS("mm_page_free") ? TEV_PAGE_FREE : -1;
	case 13: return IS("mm_page_alloc") ? TEV_PAGE_ALLOC : -1;
	case 15: return IS("kmem_cache_free") ? TEV_KFREE : -1;
	case 16: return IS("kmem_cache_alloc") ? TEV_CACHE_ALLOC : -1;
	case 20: return IS("mm_page_free_batched") ? TEV_PAGE_FREE_BATCHED : -1;
	case 21: return IS("kmem_cache_alloc_node") ? TEV_CACHE_ALLOC : -1;
	default: return -1;
	}
#undef IS
}

enum {
	KF_PTR = 1u << 0, KF_REQ = 1u << 1, KF_ALLOC = 1u << 2, KF_GFP = 1u << 3, KF_NAME = 1u << 4,
	KF_PAGE = 1u << 5, KF_PFN = 1u << 6, KF_ORDER = 1u << 7, KF_SITE = 1u << 8, KF_MIGRATETYPE = 1u << 9,
};

/* The fields of a kmem line the replay uses; a slice is valid when its
 * KF_ bit is in has (nothing is cleared per line). */
struct kmem_fields {
	unsigned has;
	struct slice ptr, bytes_req, bytes_alloc, gfp, name, page, pfn, order, site, migratetype;
};

/* Keep key=val if it is one of ours. Returns true for call_site. */
static inline bool kmem_field_set(struct kmem_fields *f, struct slice key, struct slice val)
{
	switch (key.e - key.p) {
	case 3:
		if (SLICE_EQ(key, "ptr")) { f->ptr = val; f->has |= KF_PTR; }
		else if (SLICE_EQ(key, "pfn")) { f->pfn = val; f->has |= KF_PFN; }
		break;
	case 4:
		if (SLICE_EQ(key, "name")) { f->name = val; f->has |= KF_NAME; }
		else if (SLICE_EQ(key, "page")) { f->page = val; f->has |= KF_PAGE; }
		break;
	case 5:
		if (SLICE_EQ(key, "order")) { f->order = val; f->has |= KF_ORDER; }
		break;
	case 9:
		if (SLICE_EQ(key, "bytes_req")) { f->bytes_req = val; f->has |= KF_REQ; }
		else if (SLICE_EQ(key, "call_site")) { f->site = val; f->has |= KF_SITE; return true; }
		else if (SLICE_EQ(key, "gfp_flags")) { f->gfp = val; f->has |= KF_GFP; }
		break;
	case 11:
		if (SLICE_EQ(key, "bytes_alloc")) { f->bytes_alloc = val; f->has |= KF_ALLOC; }
		else if (SLICE_EQ(key, "migratetype")) { f->migratetype = val; f->has |= KF_MIGRATETYPE; }
		break;
	default:
		break;
	}
	return false;
}

/* The general tokenizer: split "key=value key=value ..." at any blank. */
static int kmem_fields_parse(struct trace_text *t, const char *p, const char *e, struct kmem_fields *f)
{
	f->has = 0;
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
			return malformed(t, "expected key=value, got '%.*s'",
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
		after_call_site = kmem_field_set(f, key, val);
	}
	return 0;
}

/* The first ' ' or '=' in [p, e), or e: eight bytes at a time (a byte
 * is found when it XORs to zero; the lowest flag is exact). */
static inline const char *find_blank_or_eq(const char *p, const char *e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	for (; e - p >= 8; p += 8) {
		uint64_t w, a, b;
		memcpy(&w, p, 8);
		a = w ^ (ones * ' ');
		b = w ^ (ones * '=');
		uint64_t hit = (((a - ones) & ~a) | ((b - ones) & ~b)) & highs;
		if (hit)
			return p + (__builtin_ctzll(hit) >> 3);   /* the first byte is the lowest */
	}
#endif
	while (p < e && *p != ' ' && *p != '=')
		p++;
	return p;
}

/*
 * The fast tokenizer, for plain lines (blanks are spaces): each token's
 * '=' and end are found in one pass that looks for ' ' and '=' together,
 * eight bytes at a time. Returns false, having decided nothing, when the
 * line needs the general tokenizer: a token without a key (no '=', or '='
 * first) that is not a module after call_site, or a second '=' in a
 * token (trace-cmd's glued fields). Where it returns true, the general
 * tokenizer would have found the same fields.
 */
static bool kmem_fields_fast(const char *p, const char *e, struct kmem_fields *f)
{
	f->has = 0;
	bool after_call_site = false;
	for (;;) {
		while (p < e && *p == ' ')
			p++;
		if (p == e)
			return true;
		const char *tok = p, *eq = find_blank_or_eq(p, e);
		if (eq == e || *eq == ' ' || eq == tok) {
			const char *te = eq;
			if (eq < e && *eq == '=')   /* '=' first: the general tokenizer's error */
				return false;
			if (after_call_site && *tok == '[' && te[-1] == ']') {
				after_call_site = false;
				p = te;
				continue;
			}
			return false;
		}
		const char *te = find_blank_or_eq(eq + 1, e);
		if (te < e && *te == '=')
			return false;
		after_call_site = kmem_field_set(f, (struct slice){ tok, eq }, (struct slice){ eq + 1, te });
		p = te;
	}
}

#ifdef KMS_TEST
/* The test build's oracle: a line the fast tokenizer took must give the
 * general one's fields, or the fast path is wrong. */
static void kmem_fields_check(struct trace_text *t, const char *p, const char *e, const struct kmem_fields *f)
{
	struct kmem_fields g;
	const struct slice *fs[] = { &f->ptr, &f->bytes_req, &f->bytes_alloc, &f->gfp, &f->name, &f->page,
				     &f->pfn, &f->order, &f->site, &f->migratetype };
	const struct slice *gs[] = { &g.ptr, &g.bytes_req, &g.bytes_alloc, &g.gfp, &g.name, &g.page,
				     &g.pfn, &g.order, &g.site, &g.migratetype };
	const unsigned bit[] = { KF_PTR, KF_REQ, KF_ALLOC, KF_GFP, KF_NAME, KF_PAGE, KF_PFN, KF_ORDER,
				 KF_SITE, KF_MIGRATETYPE };
	bool same = kmem_fields_parse(t, p, e, &g) == 0 && g.has == f->has;
	for (size_t i = 0; same && i < ARRAY_SIZE(bit); i++)
		if ((f->has & bit[i]) && (fs[i]->p != gs[i]->p || fs[i]->e != gs[i]->e))
			same = false;
	if (!same) {
		fprintf(stderr, "trace_text: the fast tokenizer disagrees with the general one on '%.*s'\n",
			(int)(e - p), p);
		abort();
	}
}
#endif

/* A numeric field, read in 64 bits and refused (with its value) above max. */
static int need_num(struct trace_text *t, bool has, struct slice v, const char *key,
		    uint64_t max, uint64_t *out)
{
	if (!has)
		return malformed(t, "missing %s=", key);
	enum num_status ns = num_parse(v, out);
	if (ns == NUM_BAD)
		return malformed(t, "%s is not a number: '%.*s'", key, show_len(v), v.p);
	if (ns == NUM_RANGE || *out > max)
		return malformed(t, "%s too large (max %llu): '%.*s'", key, (unsigned long long)max,
				 show_len(v), v.p);
	return 0;
}

static int need_u32(struct trace_text *t, bool has, struct slice v, const char *key, uint32_t *out)
{
	uint64_t x;
	if (need_num(t, has, v, key, UINT32_MAX, &x))
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int need_ptr(struct trace_text *t, bool has, struct slice v, const char *key, uint64_t *out)
{
	if (!has)
		return malformed(t, "missing %s=", key);
	if (!parse_ptr(v, out))
		return malformed(t, "%s is not a pointer: '%.*s'", key, show_len(v), v.p);
	return 0;
}

/* Page key: the pfn when printed, else the struct page pointer. */
static int page_key(struct trace_text *t, const struct kmem_fields *f, uint64_t *key)
{
	if (f->has & KF_PFN)
		return need_num(t, true, f->pfn, "pfn", TRACE_PFN_MAX, key);
	return need_ptr(t, f->has & KF_PAGE, f->page, "pfn= or page", key);
}

/* migratetype=N (decimal, may be negative), if it is a number in int32. */
static bool parse_migratetype(struct slice v, int32_t *out)
{
	bool neg = v.p < v.e && *v.p == '-';
	uint64_t x;
	if (!parse_dec((struct slice){ v.p + neg, v.e }, &x) || x > (neg ? 0x80000000ull : 0x7fffffffull))
		return false;
	*out = neg ? (int32_t)(-(int64_t)x) : (int32_t)x;
	return true;
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

/* Rule 4c/4d (trace.c): SLUB's own allocation and free sites (Linux 6.18
 * mm/slub.c), with their lengths. */
struct own_site_name {
	const char *name;
	size_t len;
};
#define SITE(s) { s, sizeof(s) - 1 }
static const struct own_site_name own_alloc_sites[] = {
	SITE("alloc_slab_obj_exts"),                          /* a slab's slabobj_ext vector */
	SITE("alloc_empty_sheaf"), SITE("__alloc_empty_sheaf"), SITE("alloc_full_sheaf"),
	SITE("kmem_cache_prefill_sheaf"),                     /* per-CPU sheaves */
	SITE("init_kmem_cache_nodes"),                        /* the barn */
};
static const struct own_site_name own_free_sites[] = {
	SITE("__free_slab"), SITE("free_slab_obj_exts"), SITE("unaccount_slab"),   /* a slab's vector */
	SITE("free_empty_sheaf"), SITE("barn_shrink"), SITE("rcu_free_sheaf"), SITE("rcu_free_sheaf_nobarn"),
	SITE("kmem_cache_return_sheaf"),                                            /* a sheaf */
	SITE("free_kmem_cache_nodes"),                                              /* the barn */
};
#undef SITE

/* Is call_site's function ("func.isra.0+0x24/0x1f0" -> "func") in list?
 * (A name of the list holds no '+' or '.': the function is that name when
 * the site starts with it and goes on with '+', '.' or nothing.) */
static bool own_site(const struct kmem_fields *f, const struct own_site_name *list, size_t n)
{
	if (!(f->has & KF_SITE) || f->site.p == f->site.e)
		return false;
	size_t len = (size_t)(f->site.e - f->site.p);
	for (size_t i = 0; i < n; i++) {
		size_t k = list[i].len;
		if (list[i].name[0] == f->site.p[0] && len >= k && memcmp(f->site.p, list[i].name, k) == 0 &&
		    (len == k || f->site.p[k] == '+' || f->site.p[k] == '.'))
			return true;
	}
	return false;
}

/* Of a plain line: the first ':' or ' ' in [p, e), eight bytes at a time
 * (no further than the bytes that certainly hold neither). */
static inline const char *find_colon_or_blank(const char *p, const char *e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	for (; e - p >= 8; p += 8) {
		uint64_t w, a, b;
		memcpy(&w, p, 8);
		a = w ^ (ones * ':');
		b = w ^ (ones * ' ');
		if ((((a - ones) & ~a) | ((b - ones) & ~b)) & highs)
			break;
	}
#endif
	return p;
}

static int ftrace_line(struct trace_text *t, struct slice l, bool indented, bool plain,
		       struct trace_item *it, bool *got)
{
	if (header_line(l)) {
		if (t->st.fmt == FMT_UNKNOWN && l.e - l.p >= 5 && memcmp(l.p, "cpus=", 5) == 0)
			t->st.fmt = FMT_TRACECMD;
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
				return malformed(t, "CPU too large (max %u): '%.*s'", TRACE_CPU_MAX,
						 show_len((struct slice){ c + 1, d }), c + 1);
			cpu = v;
			cpu_end = d + 1;
			break;
		}
		c++;
	}
	if (!cpu_end && t->st.fmt == FMT_PERF && indented && perf_callchain_line(l))
		return 0;
	if (!cpu_end)
		return malformed(t, "not a trace line (no [CPU] field): '%.*s'", show_len(l), l.p);
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
	static const uint64_t pow10[10] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
					    100000000, 1000000000 };
	const uint64_t ns_per_s = 1000000000ull;
	uint64_t secs = 0, frac = 0;
	unsigned decimals = 0;
	bool too_large = false;
	const char *ts = c;
	for (; c < l.e && is_digit(*c); c++) {
		if (secs > UINT64_MAX / ns_per_s)
			too_large = true;
		else
			secs = secs * 10 + (unsigned)(*c - '0');
	}
	if (c == ts)
		return malformed(t, "no timestamp after the CPU field");
	if (c < l.e && *c == '.') {
		c++;
		for (; c < l.e && is_digit(*c); c++) {
			if (decimals == 9)
				return malformed(t, "timestamp with more than 9 decimals: '%.*s'",
						 show_len((struct slice){ ts, l.e }), ts);
			frac = frac * 10 + (unsigned)(*c - '0');
			decimals++;
		}
		frac *= pow10[9 - decimals];
	}
	struct slice tstamp = { ts, c };
	if (c >= l.e || *c != ':')
		return malformed(t, "timestamp not followed by ':'");
	if (too_large || secs > UINT64_MAX / ns_per_s || secs * ns_per_s > UINT64_MAX - frac)
		return malformed(t, "timestamp too large (max 18446744073.709551615 s): '%.*s'",
				 show_len(tstamp), tstamp.p);
	c++;
	while (c < l.e && is_space(*c))
		c++;
	/* EVENT: (ftrace, trace-cmd) or SYSTEM:EVENT: (perf script) */
	const char *name = c;
	if (plain)
		c = find_colon_or_blank(c, l.e);
	while (c < l.e && *c != ':' && !is_space(*c))
		c++;
	if (c == name || c >= l.e || *c != ':')
		return malformed(t, "no event name after the timestamp");
	size_t nlen = (size_t)(c - name);
	c++;
	bool kmem_system = true;
	if (c < l.e && !is_space(*c)) {
		struct slice sys = { name, name + nlen };
		name = c;
		while (c < l.e && *c != ':' && !is_space(*c))
			c++;
		if (c == name || c >= l.e || *c != ':')
			return malformed(t, "no event name after '%.*s:'", show_len(sys), sys.p);
		nlen = (size_t)(c - name);
		c++;
		kmem_system = SLICE_EQ(sys, "kmem");
		if (t->st.fmt == FMT_UNKNOWN)
			t->st.fmt = FMT_PERF;
	}
	int kind = kmem_system ? trace_event_kind(name, nlen) : -1;
	bool page_kind = kind == TEV_PAGE_ALLOC || kind == TEV_PAGE_FREE || kind == TEV_PAGE_FREE_BATCHED;
	if (kind < 0 || (page_kind && !t->page_events)) {
		t->st.recognised += kind >= 0;
		t->st.other++;
		return 0;
	}
	struct kmem_fields f;
	bool fast = plain && kmem_fields_fast(c, l.e, &f);
#ifdef KMS_TEST
	if (fast)
		kmem_fields_check(t, c, l.e, &f);
#endif
	if (!fast && kmem_fields_parse(t, c, l.e, &f) != 0)
		return -1;
	if (t->st.fmt == FMT_UNKNOWN) {
		struct slice v = (f.has & KF_PTR) ? f.ptr : (f.has & KF_PAGE) ? f.page : (struct slice){ NULL, NULL };
		t->st.fmt = v.e - v.p > 2 && v.p[0] == '0' && v.p[1] == 'x' ? FMT_TRACECMD : FMT_FTRACE;
	}
	/* From here a malformed line still gives its time (it may be t0). */
	it->ns = secs * ns_per_s + frac;
	it->cpu = (uint16_t)cpu;
	it->kind = TI_TIME;
	it->flags = page_kind ? TI_PAGE : 0;
	it->key = 0;
	it->size = it->alloc = it->gfp = it->name = 0;
	it->migratetype = 0;
	*got = true;
	uint64_t order = 0;
	switch (kind) {
	case TEV_KMALLOC:
	case TEV_CACHE_ALLOC: {
		uint32_t req, alloc = 0;
		if (need_ptr(t, f.has & KF_PTR, f.ptr, "ptr", &it->key) ||
		    need_u32(t, f.has & KF_REQ, f.bytes_req, "bytes_req", &req))
			return -1;
		if ((kind == TEV_CACHE_ALLOC || (f.has & KF_ALLOC)) &&
		    need_u32(t, f.has & KF_ALLOC, f.bytes_alloc, "bytes_alloc", &alloc))
			return -1;
		uint8_t flags = (f.has & KF_ALLOC) ? TI_HAS_ALLOC : 0;
		if (kind == TEV_CACHE_ALLOC && (f.has & KF_NAME)) {
			size_t cl = (size_t)(f.name.e - f.name.p);
			if (cl == 0 || cl > TRACE_NAME_MAX)
				return malformed(t, "cache name empty or longer than %d bytes", TRACE_NAME_MAX);
			if (SLICE_EQ(f.name, "kmem_cache_node"))
				flags |= TI_OWN_CACHE;
			it->name = trace_strtab_intern(t->tab, f.name.p, cl);
		}
		if (own_site(&f, own_alloc_sites, ARRAY_SIZE(own_alloc_sites)))
			flags |= TI_OWN_SITE;
		it->kind = kind == TEV_KMALLOC ? TI_KMALLOC : TI_CACHE_ALLOC;
		it->size = req;
		it->alloc = alloc;
		it->flags = flags;
		break;
	}
	case TEV_KFREE:
		if (need_ptr(t, f.has & KF_PTR, f.ptr, "ptr", &it->key))
			return -1;
		it->kind = TI_FREE;
		it->flags = 0;
		if ((f.has & KF_NAME) && SLICE_EQ(f.name, "kmem_cache_node"))
			it->flags |= TI_OWN_CACHE;
		if (own_site(&f, own_free_sites, ARRAY_SIZE(own_free_sites)))
			it->flags |= TI_OWN_SITE;
		break;
	case TEV_PAGE_ALLOC:
		if (page_key(t, &f, &it->key) || need_num(t, f.has & KF_ORDER, f.order, "order", TRACE_ORDER_MAX, &order))
			return -1;
		it->kind = TI_PAGE_ALLOC;
		it->size = (uint32_t)order;
		it->flags = 0;
		if ((f.has & KF_MIGRATETYPE) && parse_migratetype(f.migratetype, &it->migratetype))
			it->flags |= TI_MIGRATETYPE;
		break;
	default:   /* TEV_PAGE_FREE, TEV_PAGE_FREE_BATCHED */
		if (page_key(t, &f, &it->key))
			return -1;
		if (kind == TEV_PAGE_FREE &&
		    need_num(t, f.has & KF_ORDER, f.order, "order", TRACE_ORDER_MAX, &order))
			return -1;
		it->kind = TI_PAGE_FREE;
		it->size = (uint32_t)order;
		it->flags = 0;
		break;
	}
	if ((f.has & KF_GFP) && kind != TEV_KFREE && kind != TEV_PAGE_FREE && kind != TEV_PAGE_FREE_BATCHED)
		it->gfp = trace_strtab_intern(t->tab, f.gfp.p, (size_t)(f.gfp.e - f.gfp.p));
	t->st.recognised++;
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

static int mtrace_line(struct trace_text *t, struct slice l, struct trace_item *it, bool *got)
{
	const char *p = l.p;
	if (*p == '=')          /* "= Start", "= End" */
		return 0;
	if (*p == '@') {        /* "@ FILE:(SYM+OFF)[0xADDR] " or "@ [0xADDR] " */
		const char *q = p;
		while ((q = memchr(q, ']', (size_t)(l.e - q))) != NULL && q + 1 < l.e && !is_space(q[1]))
			q++;
		if (!q || q + 1 >= l.e)
			return malformed(t, "mtrace caller without '[ADDR] '");
		p = q + 1;
	}
	struct slice op = next_word(&p, l.e);
	struct slice a = next_word(&p, l.e);
	uint64_t key, size = 0;
	if (op.e - op.p != 1)
		return malformed(t, "unknown mtrace record '%.*s'", show_len(op), op.p);
	char o = *op.p;
	if (o != '+' && o != '-' && o != '<' && o != '>' && o != '!')
		return malformed(t, "unknown mtrace record '%c'", o >= ' ' && o < 0x7f ? o : '?');
	if (!parse_ptr(a, &key))
		return malformed(t, "mtrace address is not hex: '%.*s'", show_len(a), a.p);
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
			return malformed(t, "mtrace size is not hex: '%.*s'", show_len(sz), sz.p);
		if (ns == NUM_RANGE || size > UINT32_MAX)
			return malformed(t, "mtrace size too large (max 0xffffffff): '%.*s'", show_len(sz), sz.p);
	}
	struct slice rest = next_word(&p, l.e);
	if (rest.p != rest.e)
		return malformed(t, "trailing text '%.*s'", show_len(rest), rest.p);
	t->st.recognised++;
	if (o == '!') {         /* a realloc that failed; the old block stays */
		t->st.other++;
		return 0;
	}
	memset(it, 0, sizeof(*it));
	it->kind = o == '+' || o == '>' ? TI_MT_ALLOC : TI_MT_FREE;
	it->key = key;
	it->size = (uint32_t)size;
	*got = true;
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

/* ---- the line loop ---- */

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

/* Past the spaces at p, eight at a time (ftrace right-aligns COMM). */
static inline const char *skip_blanks(const char *p, const char *e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; e - p >= 8; p += 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		w ^= 0x2020202020202020ull;
		if (w)
			return p + (__builtin_ctzll(w) >> 3);
	}
#endif
	while (p < e && *p == ' ')
		p++;
	return p;
}

int trace_text_next(struct trace_text *t, struct trace_item *it)
{
	struct trace_source_stats *st = &t->st;
	if (t->pending_error)
		return -1;
	for (;;) {
		const char *line;
		size_t len;
		bool plain;
		int r = trace_input_line(t->in, &line, &len, &plain);
		if (r == 0)
			return 0;
		if (r < 0) {
			snprintf(t->err, sizeof(t->err), "%s: read error: %s", t->path, strerror(t->in->read_errno));
			return -1;
		}
		st->lines++;
		struct slice l = { line, line + len };
		int bad;
		bool got = false;
		const char *nul = plain ? NULL : memchr(line, '\0', len);
		if (r == 2) {
			bad = malformed(t, "line longer than %u bytes", TRACE_LINE_MAX);
		} else if (nul) {
			bad = malformed(t, "NUL byte at column %zu", (size_t)(nul - line) + 1);
		} else {
			bool indented = len > 0 && is_space(*line);
			if (plain) {
				l.p = skip_blanks(l.p, l.e);
				while (l.e > l.p && l.e[-1] == ' ')
					l.e--;
			} else {
				while (l.p < l.e && is_space(*l.p))
					l.p++;
				while (l.e > l.p && is_space(l.e[-1]))
					l.e--;
			}
			if (l.p == l.e)
				continue;
			if (*l.p == '#') {
				trace_header_note(l, t->path);
				continue;
			}
			if (st->fmt == FMT_UNKNOWN && mtrace_start(l))
				st->fmt = FMT_MTRACE;
			bad = st->fmt == FMT_MTRACE ? mtrace_line(t, l, it, &got) :
			      ftrace_line(t, l, indented, plain, it, &got);
		}
		/* a trace for sure: a kmem record read, or a format's header seen */
		bool trace_known = st->recognised || st->fmt != FMT_UNKNOWN;
		if (bad == 0) {
			if (!t->lenient && st->malformed && trace_known) {
				/* it is a trace after all: its first bad line stops it
				 * (after this line's record, as it was read) */
				snprintf(t->err, sizeof(t->err), "%s:%llu: %s", t->path,
					 (unsigned long long)st->first_bad, st->first_why);
				t->pending_error = true;
				return got ? 1 : -1;
			}
			if (got)
				return 1;
			continue;
		}
		if (!t->lenient && trace_known) {
			snprintf(t->err, sizeof(t->err), "%s:%llu: %s", t->path, (unsigned long long)st->lines, t->why);
			return -1;
		}
		/* lenient, or not yet known to be a trace: count it, read on */
		if (st->malformed++ == 0) {
			st->first_bad = st->lines;
			memcpy(st->first_why, t->why, sizeof(st->first_why));
		}
		if (got)   /* a TI_TIME item: the line's time */
			return 1;
	}
}

/* ---- what a file looks like ---- */

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

int trace_text_sniff(const char *buf, size_t n)
{
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
		if (sniff_word(l, "cpus=") || mtrace_start(l) || sniff_event_line(l))
			return 1;
		if ((l.e - l.p >= 2 && l.p[0] == '-' && l.p[1] == '-') || sniff_word(l, "local") ||
		    sniff_word(l, "function") || sniff_word(l, "require"))
			return 2;
		break;
	}
	return 0;
}
