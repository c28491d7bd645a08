/*
 * physmem.c - the modelled machine: frames, zones, reserved ranges.
 *
 * Models Linux x86-64 at boot: memblock hands every frame that is not
 * reserved to the page allocator, zone by zone (DMA < 16 MiB, DMA32 < 4 GiB,
 * Normal above): physmem_free_ranges lists those frames, and the page
 * layer's frame allocator (sim/page.c) takes them over. Departures: no
 * memory holes (the PCI hole below 4 GiB is not modelled), one NUMA node.
 *
 * The frame array is an anonymous mapping: frames the simulation never
 * touches cost no host memory, so a 1 TiB machine can be modelled if the
 * workload stays small.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "physmem.h"

const char *const zone_names[NR_ZONES] = { "DMA", "DMA32", "Normal" };

const char *const owner_names[NR_OWNERS] = {
	[OWNER_NONE] = "none", [OWNER_PAGE] = "page", [OWNER_BUDDY_OBJ] = "buddy",
	[OWNER_SLAB] = "slab", [OWNER_LARGE] = "large", [OWNER_PGTABLE] = "pgtable",
	[OWNER_RESERVE] = "reserve",
};

void physmem_config_init(struct physmem_config *cfg, uint64_t mem_bytes)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_bytes = mem_bytes;
	cfg->max_order = 10;
	/* The first MiB (BIOS, real-mode trampoline) is never used by Linux's
	 * page allocator on x86-64. */
	cfg->reserved[cfg->nreserved++] = (struct reserved_range){ 0, 1 * MIB };
	/* The kernel image: loaded at 16 MiB (CONFIG_PHYSICAL_START), about
	 * 32 MiB of text, data and bss for a distribution kernel. Small
	 * machines get a small kernel right after the first MiB. */
	if (mem_bytes >= 256 * MIB)
		cfg->reserved[cfg->nreserved++] = (struct reserved_range){ 16 * MIB, 32 * MIB };
	else
		cfg->reserved[cfg->nreserved++] = (struct reserved_range){ 1 * MIB, mem_bytes / 16 };
}

bool physmem_config_check(const struct physmem_config *cfg, char *err, size_t errlen)
{
	if (cfg->mem_bytes < PHYSMEM_MEM_MIN || cfg->mem_bytes > PHYSMEM_MEM_MAX) {
		snprintf(err, errlen, "memory size must be between 16M and 1T (got %llu bytes)",
			 (unsigned long long)cfg->mem_bytes);
		return false;
	}
	if (cfg->mem_bytes % PAGE_SIZE) {
		snprintf(err, errlen, "memory size must be a multiple of 4K");
		return false;
	}
	if (cfg->max_order < 1 || cfg->max_order > PHYSMEM_MAX_ORDER) {
		snprintf(err, errlen, "max order must be 1..%u (got %u)", PHYSMEM_MAX_ORDER, cfg->max_order);
		return false;
	}
	for (unsigned i = 0; i < cfg->nreserved; i++)
		if (cfg->reserved[i].size > cfg->mem_bytes ||   /* start + size must not wrap */
		    cfg->reserved[i].start > cfg->mem_bytes - cfg->reserved[i].size) {
			snprintf(err, errlen, "reserved range %u ends beyond memory", i);
			return false;
		}
	return true;
}

static bool physmem_reserved(const struct physmem_config *cfg, uint64_t pfn)
{
	uint64_t pa = pfn << PAGE_SHIFT;
	for (unsigned i = 0; i < cfg->nreserved; i++)
		if (pa >= cfg->reserved[i].start && pa < cfg->reserved[i].start + cfg->reserved[i].size)
			return true;
	return false;
}

struct physmem *physmem_create(const struct physmem_config *cfg)
{
	char err[128];
	if (!physmem_config_check(cfg, err, sizeof(err)))
		die("%s", err);
	struct physmem *pm = xcalloc(1, sizeof(*pm));
	pm->mem_bytes = cfg->mem_bytes;
	pm->nframes = (uint32_t)(cfg->mem_bytes >> PAGE_SHIFT);
	pm->frames_map_bytes = (size_t)pm->nframes * sizeof(struct frame);
	pm->frames = mmap(NULL, pm->frames_map_bytes, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pm->frames == MAP_FAILED)
		die("cannot map %zu bytes of frame records", pm->frames_map_bytes);

	static const uint64_t zone_limit[NR_ZONES] = { 16 * MIB, 4 * GIB, UINT64_MAX };
	uint32_t start = 0;
	for (int z = 0; z < NR_ZONES; z++) {
		uint64_t lim = MIN(zone_limit[z], cfg->mem_bytes) >> PAGE_SHIFT;
		pm->zone_start[z] = start;
		pm->zone_end[z] = (uint32_t)MAX(lim, start);
		start = pm->zone_end[z];
	}
	/* Reserved frames keep state FRAME_RESERVED (zero); mark their zone. */
	for (unsigned i = 0; i < cfg->nreserved; i++) {
		uint64_t a = cfg->reserved[i].start >> PAGE_SHIFT;
		uint64_t b = DIV_ROUND_UP(cfg->reserved[i].start + cfg->reserved[i].size, PAGE_SIZE);
		for (uint64_t pfn = a; pfn < b; pfn++) {
			if (pm->frames[pfn].owner == OWNER_NONE)
				pm->reserved_frames++;
			pm->frames[pfn].owner = OWNER_RESERVE;
		}
	}

	return pm;
}

void physmem_free_ranges(const struct physmem *pm, const struct physmem_config *cfg,
			 void (*fn)(void *ctx, enum zone_type z, uint32_t start, uint32_t end), void *ctx)
{
	for (int z = 0; z < NR_ZONES; z++) {
		if (pm->zone_start[z] == pm->zone_end[z])
			continue;
		/* Hand over maximal runs of unreserved frames. Reserved ranges
		 * are few, so test them per run boundary rather than per frame. */
		uint32_t pfn = pm->zone_start[z];
		while (pfn < pm->zone_end[z]) {
			if (physmem_reserved(cfg, pfn)) {
				pfn++;
				continue;
			}
			uint32_t end = pfn;
			while (end < pm->zone_end[z] && !physmem_reserved(cfg, end)) {
				/* jump to the next reserved boundary quickly */
				uint64_t next = pm->zone_end[z];
				for (unsigned i = 0; i < cfg->nreserved; i++) {
					uint64_t rs = cfg->reserved[i].start >> PAGE_SHIFT;
					if (rs > end && rs < next)
						next = rs;
				}
				end = (uint32_t)next;
			}
			fn(ctx, (enum zone_type)z, pfn, end);
			pfn = end;
		}
	}
}

void physmem_destroy(struct physmem *pm)
{
	if (!pm)
		return;
	munmap(pm->frames, pm->frames_map_bytes);
	free(pm);
}

void physmem_set_owner(struct physmem *pm, uint32_t pfn, unsigned order,
		       enum frame_owner owner, uint32_t owner_id)
{
	for (uint32_t i = 0; i < (1u << order); i++) {
		pm->frames[pfn + i].owner = (uint8_t)owner;
		pm->frames[pfn + i].owner_id = owner_id;
	}
}
