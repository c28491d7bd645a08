/*
 * slab.h - the pure geometry of the SLAB back end (allocators/slab.c),
 * exposed so tests can check it against known answers and real
 * /proc/slabinfo rows. The back end itself is reached only through
 * slab_ops (registry.c).
 */
#ifndef KMS_SLAB_H
#define KMS_SLAB_H

#include "../sim/base.h"

/* Cache creation flags the geometry depends on (Linux's values differ). */
enum {
	SLAB_GEOM_HWCACHE_ALIGN   = 1u << 0,  /* SLAB_HWCACHE_ALIGN (kmalloc caches) */
	SLAB_GEOM_RECLAIM_ACCOUNT = 1u << 1,  /* SLAB_RECLAIM_ACCOUNT: stop at the first order that fits */
};

/*
 * The constants of one kernel version, as data. The back end simulates
 * slab_rules_linux_2_6_32; slab_rules_linux_5_4 (freelist_idx_t, the
 * OBJFREELIST / OFF_SLAB / on-slab sequence of 4.6+) is the geometry of
 * the last SLAB kernels, checked against a real 5.4 slabinfo.
 */
struct slab_rules {
	const char *version;
	uint32_t word;           /* BYTES_PER_WORD */
	uint32_t cache_line;     /* cache_line_size(): L1 line, colour step */
	uint32_t mgmt_header;    /* sizeof(struct slab) (0: the descriptor lives in struct page) */
	uint32_t bufctl_size;    /* kmem_bufctl_t / freelist_idx_t: bytes of one free-list index */
	uint32_t off_slab_min;   /* 2.6.32: objects this size or larger start off-slab */
	uint32_t max_order;      /* KMALLOC_MAX_ORDER: highest slab order tried */
	uint32_t break_order;    /* slab_break_gfp_order / slab_max_order (1 above 32 MiB) */
	bool     objfreelist;    /* 4.6+: try OBJFREELIST, then OFF_SLAB, then on-slab */
	uint32_t max_num;        /* SLAB_OBJ_MAX_NUM (0 = no limit) */
	uint32_t obj_min_size;   /* SLAB_OBJ_MIN_SIZE (0 = none) */
};

extern const struct slab_rules slab_rules_linux_2_6_32;
extern const struct slab_rules slab_rules_linux_5_4;

struct slab_geometry {
	uint32_t objsize;      /* buffer_size: size after word and cache alignment */
	uint32_t align;        /* final alignment */
	uint32_t num;          /* objects per slab */
	uint32_t order;        /* pages per slab = 1 << order */
	uint32_t left_over;    /* bytes of the slab used by neither objects nor on-slab management */
	uint32_t mgmt_bytes;   /* struct slab + bufctl array (aligned when on-slab) */
	uint32_t colour;       /* number of colours: left_over / colour_off */
	uint32_t colour_off;   /* colour step: cache line, or align if larger */
	bool     off_slab;     /* management kept outside the slab (CFLGS_OFF_SLAB) */
	bool     objfreelist;  /* 4.6+: the free list lives in a free object (no management bytes) */
	bool     mgmt_at_end;  /* on-slab management after the objects (4.x+), not before */
};

/* Geometry of a cache of `size` bytes, alignment `align` (0 = word),
 * flags SLAB_GEOM_*. False if no slab order can hold one object.
 * Caches are taken to have no constructor (OBJFREELIST allowed). */
bool slab_geometry_compute(const struct slab_rules *r, uint32_t size, uint32_t align,
			   unsigned flags, struct slab_geometry *g);

/* enable_cpucache's defaults: per-CPU array limit and batchcount for an
 * object size, and the shared factor (0 on one CPU). */
void slab_tunables(uint32_t objsize, unsigned ncpus, uint32_t *limit, uint32_t *batchcount,
		   uint32_t *shared);

#endif
