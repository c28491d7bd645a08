/*
 * base.h - definitions every kmemsim module shares: page geometry, GFP
 * flags, failure reasons, and the few helpers (xmalloc, die) that would
 * otherwise be copied into each file.
 *
 * Keep this header small: it is included everywhere.
 */
#ifndef KMS_BASE_H
#define KMS_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define KMEMSIM_VERSION "0.1.0"
/* The git commit this binary was built from (`git describe --always
 * --dirty` at build time, by the Makefile), or "unknown". */
const char *kmemsim_git_commit(void);

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1u << PAGE_SHIFT)
#define KIB             1024ull
#define MIB             (1024ull * KIB)
#define GIB             (1024ull * MIB)

/* A pfn that names no frame. */
#define PFN_NONE        UINT32_MAX

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)  (((x) + (a) - 1) / (a) * (a))
#define DIV_ROUND_UP(x, d) (((x) + (d) - 1) / (d))
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX(a, b)       ((a) > (b) ? (a) : (b))

/*
 * GFP flags: only the bits the model acts on. Zone modifiers pick the
 * highest zone an allocation may use (Linux's gfp_zone()); ACCOUNT and
 * RECLAIMABLE pick SLUB's kmalloc-cg-N / kmalloc-rcl-N caches (Linux's
 * kmalloc_type()); the rest are carried for the record. Values are ours,
 * not Linux's bit numbers (sim/trace.c translates those).
 */
enum {
	GFP_DMA      = 1u << 0,   /* ZONE_DMA only */
	GFP_DMA32    = 1u << 1,   /* ZONE_DMA32 or below */
	GFP_ATOMIC   = 1u << 2,   /* may dip into reserves */
	GFP_MOVABLE  = 1u << 3,
	GFP_ZERO     = 1u << 4,
	GFP_NOWARN   = 1u << 5,
	GFP_ACCOUNT  = 1u << 6,   /* __GFP_ACCOUNT: charged to the memory cgroup */
	GFP_RECLAIMABLE = 1u << 7,/* __GFP_RECLAIMABLE: freeable by a shrinker */
};
/* Every bit above: what a caller (the Lua API) may pass. A new GFP bit
 * joins this mask too, or Lua scripts cannot use it. */
#define GFP_KNOWN       (GFP_DMA | GFP_DMA32 | GFP_ATOMIC | GFP_MOVABLE | GFP_ZERO | GFP_NOWARN | \
			 GFP_ACCOUNT | GFP_RECLAIMABLE)

/*
 * Why a simulated allocation failed. A failure is a result, never an
 * abort: the engine counts failures by reason and stores them.
 */
enum fail_reason {
	FAIL_NONE = 0,
	FAIL_NOMEM,        /* page allocator had no block of the order */
	FAIL_SUBMAP_FULL,  /* a fixed-size kernel submap (zone_map) is full */
	FAIL_VA,           /* no virtual range in the kernel map */
	FAIL_PGTABLE,      /* a page-table page could not be had */
	FAIL_ZONE_MAX,     /* a zone reached its maximum size (zinit max) */
	FAIL_TOO_BIG,      /* larger than the back end can ever serve */
	FAIL_CACHE_SIZE,   /* larger than the objects of the named cache it asks */
	FAIL_NREASONS
};

extern const char *const fail_reason_names[FAIL_NREASONS];

/* Print "kmemsim: msg" to stderr and exit(2). For impossible situations
 * in set-up (out of host memory), never for simulated failures. */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* argv[0..argc) as one shell command line: each word as it is when it
 * needs no quoting, else in single quotes (a ' as '\''). malloc'ed. */
char *argv_quote(int argc, char *const *argv);

/*
 * Parse a whole string as a number of 0 .. 2^64 - 1: decimal, or hex after
 * 0x; with size_suffix also "16K", "512M", "64G", "1T" (binary multiples,
 * "KiB"/"KB" spellings too). No sign, no spaces, no octal. PARSE_RANGE: a
 * well-formed number that is negative or does not fit in 64 bits (before
 * or after the suffix); PARSE_BAD: anything else that is not a number.
 */
enum parse_result { PARSE_OK, PARSE_BAD, PARSE_RANGE };
enum parse_result parse_u64(const char *s, bool size_suffix, uint64_t *out);

/* Smallest order with (PAGE_SIZE << order) >= bytes. */
static inline unsigned order_for_bytes(uint64_t bytes)
{
	unsigned order = 0;
	while (order < 64 - PAGE_SHIFT && ((uint64_t)PAGE_SIZE << order) < bytes)
		order++;
	return order;   /* 52 for bytes above 2^63: no machine has such a block */
}

static inline unsigned ilog2_u64(uint64_t x)
{
	return 63u - (unsigned)__builtin_clzll(x);
}

#endif
