/*
 * trace_text.h - the text trace formats (ftrace, trace-cmd report, perf
 * script, glibc mtrace) read into trace items: one kmem record each, as the
 * text said it, before the replay's rules (trace.c) decide what becomes of
 * it. .kmt files (trace_kmt.h) hold the same items. See trace_text.c.
 */
#ifndef KMS_TRACE_TEXT_H
#define KMS_TRACE_TEXT_H

#include "base.h"

struct trace_input;

#define TRACE_NAME_MAX  200          /* bytes of a cache name */
#define TRACE_WHY_MAX   160          /* bytes of a malformed line's reason */

/*
 * Strings of a trace (gfp_flags texts, cache names), each stored once and
 * named by an id from 1 up in order of first sight (0 = none). The text
 * parser interns them; a .kmt file carries them in the same order.
 */
struct trace_strtab_entry {
	size_t   off;
	uint32_t len, hash;
};

struct trace_strtab {
	char     *bytes;                 /* the strings, back to back */
	size_t    nbytes, bytes_cap;
	struct trace_strtab_entry *ent;  /* by id; ent[0] unused */
	uint32_t  count, ent_cap;        /* ids 1..count */
	uint32_t *slot;                  /* hash table of ids, 0 = empty */
	uint32_t  slot_mask;
};

void trace_strtab_init(struct trace_strtab *t);
void trace_strtab_fini(struct trace_strtab *t);
/* The id of the string p[0..n), added if new. */
uint32_t trace_strtab_intern(struct trace_strtab *t, const char *p, size_t n);
/* A new id for p[0..n), without looking for it (a .kmt's strings). */
uint32_t trace_strtab_add(struct trace_strtab *t, const char *p, size_t n);

static inline const char *trace_strtab_get(const struct trace_strtab *t, uint32_t id, size_t *n)
{
	*n = t->ent[id].len;
	return t->bytes + t->ent[id].off;
}

/* What a kmem record was. */
enum trace_item_kind {
	TI_KMALLOC,      /* kmalloc, kmalloc_node: key ptr, size bytes_req, gfp */
	TI_CACHE_ALLOC,  /* kmem_cache_alloc, ..._node: also alloc, name (0 = none printed) */
	TI_FREE,         /* kfree, kmem_cache_free: key ptr */
	TI_PAGE_ALLOC,   /* mm_page_alloc: key pfn (or page), size order, gfp */
	TI_PAGE_FREE,    /* mm_page_free, mm_page_free_batched: key, size order */
	TI_MT_ALLOC,     /* mtrace "+" and ">": key, size (no time, no CPU) */
	TI_MT_FREE,      /* mtrace "-" and "<": key */
	TI_TIME,         /* a kmem line found malformed after its timestamp was
			  * read: only its time, which may be the trace's first */
	TI_NKINDS
};

enum {
	TI_HAS_ALLOC   = 1u << 0,   /* bytes_alloc was printed (in alloc) */
	TI_OWN_SITE    = 1u << 1,   /* call_site is one of SLUB's own (trace.c rule 4c, 4d) */
	TI_OWN_CACHE   = 1u << 2,   /* name=kmem_cache_node (rule 4c, 4d) */
	TI_PAGE        = 1u << 3,   /* TI_TIME: the line was a page event */
	TI_MIGRATETYPE = 1u << 4,   /* TI_PAGE_ALLOC: migratetype was printed */
};

/* One kmem record as the trace gave it (40 bytes). Pointers and pfns are
 * keys; time is the trace's own, in ns (relative times are trace.c's). */
struct trace_item {
	uint64_t ns;           /* timestamp (every kind but TI_MT_*) */
	uint64_t key;          /* ptr, pfn or page; 0 = NULL */
	uint32_t size;         /* bytes_req, order, or mtrace size */
	uint32_t alloc;        /* bytes_alloc (TI_HAS_ALLOC) */
	uint32_t gfp;          /* string id of the gfp_flags text, 0 = none */
	uint32_t name;         /* string id of name=, 0 = none */
	int32_t  migratetype;  /* TI_MIGRATETYPE */
	uint16_t cpu;
	uint8_t  kind;         /* enum trace_item_kind */
	uint8_t  flags;        /* TI_* */
};
_Static_assert(sizeof(struct trace_item) == 40, "trace items stay 40 bytes");

enum trace_fmt { FMT_UNKNOWN, FMT_FTRACE, FMT_TRACECMD, FMT_PERF, FMT_MTRACE, FMT_NFORMATS };

extern const char *const trace_fmt_names[FMT_NFORMATS];

/* What a source (text or .kmt) counted while reading. */
struct trace_source_stats {
	uint64_t lines;        /* lines read */
	uint64_t other;        /* well-formed events of other kinds (and mtrace "!") */
	uint64_t malformed;    /* malformed lines counted (lenient, or before the file was known as a trace) */
	uint64_t recognised;   /* kmem records read, whatever became of them */
	uint64_t first_bad;    /* line number of the first malformed line */
	char     first_why[TRACE_WHY_MAX];
	enum trace_fmt fmt;
};

/* The text reader: lines of in, into items. */
struct trace_text {
	struct trace_input  *in;
	const char          *path;
	bool                 lenient;      /* count and skip malformed lines */
	bool                 page_events;  /* read page events (else: other) */
	struct trace_strtab *tab;
	struct trace_source_stats st;
	bool                 pending_error; /* err is returned after the item just given */
	char                 why[TRACE_WHY_MAX];  /* reason of the last malformed line */
	char                 err[512];     /* "FILE:LINE: reason" when next returned -1 */
};

void trace_text_init(struct trace_text *t, struct trace_input *in, const char *path, bool lenient,
		     bool page_events, struct trace_strtab *tab);

/*
 * Next item into *it. Returns 1 for an item, 0 at the end of input, -1 when
 * reading stops: a malformed line (unless lenient; lines before the file
 * shows it is a trace are counted), or a read error; t->err says why.
 */
int trace_text_next(struct trace_text *t, struct trace_item *it);

/* Rule 4b's gfp test (trace.c): __GFP_COMP without __GFP_HIGHMEM. */
bool trace_gfp_is_large_kmalloc_page(uint32_t bits);

/* Does the start of a file (buf[0..n)) look like a text trace (an ftrace or
 * trace-cmd header or event line, glibc mtrace's "= Start"): 1; like a Lua
 * script ("--", "local ", "function ", "require"): 2; neither: 0. */
int trace_text_sniff(const char *buf, size_t n);

#endif
