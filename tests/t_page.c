/*
 * t_page.c - the page layer's front door (sim/page.h):
 *  - page_alloc marks every frame of the block with its owner and clears
 *    the private words (even where a previous holder left values);
 *    page_free clears the owner; page_owner_set hands frames over;
 *  - private words: two per frame, independent, per frame of a block;
 *    in the test build every misuse aborts with a message (checked in a
 *    child process): a free frame, another owner kind, a wrong `old`,
 *    a word index out of range;
 *  - the registry and page_create's refusal of an unknown allocator;
 *  - the allocator-independent queries (free blocks per zone and order,
 *    zone free pages, largest free order, free pages) against an
 *    independent count walked from the frame records, over a random run;
 *  - the low watermark, worked by hand from Linux's formula;
 *  - page_report's keys equal the buddy's own counters.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "check.h"
#include "../sim/page.h"
#include "../sim/page_buddy.h"
#include "../sim/rng.h"

static struct page_layer *machine(uint64_t bytes)
{
	struct physmem_config cfg;
	char err[256];
	physmem_config_init(&cfg, bytes);
	struct page_layer *pl = page_create(&cfg, NULL, err, sizeof(err));
	if (!pl)
		die("page_create: %s", err);
	return pl;
}

static void t_alloc_marks_owner_and_clears_words(void)
{
	struct page_layer *pl = machine(64 * MIB);
	uint64_t free0 = page_free_pages(pl);
	uint32_t pfn = page_alloc(pl, 2, 0, OWNER_SLAB, 7);
	CHECK(pfn != PFN_NONE);
	CHECK_EQ(pfn & 3, 0);
	CHECK_EQ(page_free_pages(pl), free0 - 4);
	for (uint32_t i = 0; i < 4; i++) {
		CHECK_EQ(page_owner(pl, pfn + i), OWNER_SLAB);
		CHECK_EQ(page_owner_id(pl, pfn + i), 7);
		CHECK_EQ(page_private(pl, pfn + i, OWNER_SLAB, 0), 0);
		CHECK_EQ(page_private(pl, pfn + i, OWNER_SLAB, 1), 0);
		/* leave values behind: the next holder must not see them */
		page_private_set(pl, pfn + i, OWNER_SLAB, 0, 0, 100 + i);
		page_private_set(pl, pfn + i, OWNER_SLAB, 1, 0, 200 + i);
	}
	/* the two words are independent, per frame */
	CHECK_EQ(page_private(pl, pfn + 2, OWNER_SLAB, 0), 102);
	CHECK_EQ(page_private(pl, pfn + 2, OWNER_SLAB, 1), 202);
	CHECK_EQ(page_frame(pl, pfn)->state, FRAME_ALLOC_HEAD);
	CHECK_EQ(page_frame(pl, pfn)->order, 2);
	page_free(pl, pfn, 2);
	CHECK_EQ(page_free_pages(pl), free0);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_EQ(page_owner(pl, pfn + i), OWNER_NONE);
	/* the buddy hands the same lowest block out again: words are clear */
	uint32_t again = page_alloc(pl, 2, 0, OWNER_LARGE, 3);
	CHECK_EQ(again, pfn);
	for (uint32_t i = 0; i < 4; i++) {
		CHECK_EQ(page_owner(pl, again + i), OWNER_LARGE);
		CHECK_EQ(page_private(pl, again + i, OWNER_LARGE, 0), 0);
		CHECK_EQ(page_private(pl, again + i, OWNER_LARGE, 1), 0);
	}
	/* a handover: new owner and id, clear words */
	page_private_set(pl, again, OWNER_LARGE, 0, 0, 9);
	page_owner_set(pl, again, 2, OWNER_PGTABLE, 1);
	CHECK_EQ(page_owner(pl, again + 3), OWNER_PGTABLE);
	CHECK_EQ(page_owner_id(pl, again + 3), 1);
	CHECK_EQ(page_private(pl, again, OWNER_PGTABLE, 0), 0);
	page_free(pl, again, 2);
	/* an order beyond max_order fails, and takes nothing */
	CHECK_EQ(page_max_order(pl), 10);
	CHECK_EQ(page_alloc(pl, 11, 0, OWNER_PAGE, 0), PFN_NONE);
	CHECK_EQ(page_free_pages(pl), free0);
	char msg[256];
	CHECK_MSG(page_check(pl, msg, sizeof(msg)), "%s", msg);
	page_destroy(pl);
}

/* Run fn in a child; true if it aborted and its stderr contains want. */
static bool aborts_with(void (*fn)(struct page_layer *, uint32_t), struct page_layer *pl, uint32_t pfn,
			const char *want)
{
	int fd[2];
	if (pipe(fd) != 0)
		return false;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		signal(SIGABRT, SIG_DFL);
		fn(pl, pfn);
		_exit(0);   /* no abort: the misuse went unnoticed */
	}
	close(fd[1]);
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 && (n = read(fd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	close(fd[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	bool ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && strstr(buf, want);
	if (!ok)
		printf("#   child: status %#x, stderr: %.300s\n", status, buf);
	return ok;
}

static void get_free_frame(struct page_layer *pl, uint32_t pfn) { (void)page_private(pl, pfn, OWNER_SLAB, 0); }
static void get_wrong_owner(struct page_layer *pl, uint32_t pfn) { (void)page_private(pl, pfn, OWNER_LARGE, 0); }
static void set_wrong_old(struct page_layer *pl, uint32_t pfn) { page_private_set(pl, pfn, OWNER_SLAB, 0, 5, 6); }
static void get_bad_word(struct page_layer *pl, uint32_t pfn) { (void)page_private(pl, pfn, OWNER_SLAB, 2); }
static void set_tail_wrong_owner(struct page_layer *pl, uint32_t pfn) { page_private_set(pl, pfn + 3, OWNER_PGTABLE, 1, 0, 1); }

static void t_private_words_checked(void)
{
	struct page_layer *pl = machine(64 * MIB);
	uint32_t blk = page_alloc(pl, 2, 0, OWNER_SLAB, 1);
	uint32_t freed = page_alloc(pl, 0, 0, OWNER_SLAB, 1);
	page_free(pl, freed, 0);
	/* the right uses pass on every frame of the block, head or tail */
	page_private_set(pl, blk + 3, OWNER_SLAB, 1, 0, 42);
	CHECK_EQ(page_private(pl, blk + 3, OWNER_SLAB, 1), 42);
	page_private_set(pl, blk + 3, OWNER_SLAB, 1, 42, 43);   /* old = what it holds */
	CHECK_EQ(page_private(pl, blk + 3, OWNER_SLAB, 1), 43);
	CHECK(aborts_with(get_free_frame, pl, freed, "not in an allocated block"));
	CHECK(aborts_with(get_wrong_owner, pl, blk, "another owner kind"));
	CHECK(aborts_with(set_wrong_old, pl, blk, "does not hold what the caller means to overwrite"));
	CHECK(aborts_with(get_bad_word, pl, blk, "no such private word"));
	CHECK(aborts_with(set_tail_wrong_owner, pl, blk, "another owner kind"));
	/* the parent's frames are untouched by the children */
	CHECK_EQ(page_private(pl, blk + 3, OWNER_SLAB, 1), 43);
	page_free(pl, blk, 2);
	page_destroy(pl);
}

static void t_registry(void)
{
	CHECK(page_allocator_registry[0] != NULL);
	CHECK(page_allocator_lookup("buddy") == &page_buddy_ops);
	CHECK(page_allocator_lookup("nope") == NULL);
	unsigned n = 0;
	for (unsigned i = 0; page_allocator_registry[i]; i++, n++) {
		const struct page_allocator_ops *o = page_allocator_registry[i];
		CHECK(o->name && o->summary && o->create && o->destroy && o->alloc && o->free && o->free_blocks &&
		      o->free_pages && o->largest_free_order && o->watermark_low && o->check);
	}
	CHECK_EQ(n, 1);
	struct physmem_config cfg;
	char err[256] = "";
	physmem_config_init(&cfg, 64 * MIB);
	CHECK(page_create(&cfg, "nope", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "unknown page allocator 'nope'") != NULL);
	cfg.mem_bytes = 8 * MIB;   /* below the 16 MiB minimum */
	CHECK(page_create(&cfg, "buddy", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "between 16M and 1T") != NULL);
	physmem_config_init(&cfg, 64 * MIB);
	struct page_layer *pl = page_create(&cfg, "buddy", err, sizeof(err));
	CHECK(pl != NULL);
	CHECK(!strcmp(page_allocator_name(pl), "buddy"));
	CHECK(page_buddy(pl) != NULL);
	page_destroy(pl);
}

/* Free blocks per zone and order, counted from the frame records (free
 * block heads, walked block by block as metrics' snapshot does). */
static void count_free(const struct page_layer *pl, uint64_t nr[NR_ZONES][PAGE_MAX_ORDERS])
{
	const struct physmem *pm = page_physmem(pl);
	memset(nr, 0, sizeof(uint64_t) * NR_ZONES * PAGE_MAX_ORDERS);
	for (uint32_t pfn = 0; pfn < pm->nframes;) {
		const struct frame *f = page_frame(pl, pfn);
		if (f->state == FRAME_FREE_HEAD || f->state == FRAME_ALLOC_HEAD) {
			if (f->state == FRAME_FREE_HEAD) {
				int z = pfn < pm->zone_end[ZONE_DMA] ? ZONE_DMA
				      : pfn < pm->zone_end[ZONE_DMA32] ? ZONE_DMA32 : ZONE_NORMAL;
				nr[z][f->order]++;
			}
			pfn += 1u << f->order;
		} else {
			pfn++;   /* reserved */
		}
	}
}

static void t_queries_match_frames(void)
{
	struct page_layer *pl = machine(64 * MIB);
	struct rng r;
	rng_seed(&r, 5);
	enum { LIVE = 3000 };
	static struct { uint32_t pfn; unsigned order; } live[LIVE];
	unsigned nlive = 0, bad = 0;
	static uint64_t nr[NR_ZONES][PAGE_MAX_ORDERS];
	for (int i = 0; i < 6000 && bad < 5; i++) {
		if (nlive < LIVE && (nlive == 0 || rng_below(&r, 100) < 60)) {
			unsigned order = (unsigned)rng_below(&r, 4);
			unsigned gfp = rng_below(&r, 5) == 0 ? GFP_DMA : 0;
			uint32_t pfn = page_alloc(pl, order, gfp, OWNER_PAGE, 0);
			if (pfn != PFN_NONE) {
				live[nlive].pfn = pfn;
				live[nlive++].order = order;
			}
		} else {
			unsigned k = (unsigned)rng_below(&r, nlive);
			page_free(pl, live[k].pfn, live[k].order);
			live[k] = live[--nlive];
		}
		if (i % 500)
			continue;
		count_free(pl, nr);
		uint64_t pages = 0;
		int largest = -1;
		for (int z = 0; z < NR_ZONES; z++) {
			uint64_t zp = 0;
			for (unsigned o = 0; o <= page_max_order(pl); o++) {
				if (page_free_blocks(pl, (enum zone_type)z, o) != nr[z][o]) {
					bad++;
					CHECK_MSG(0, "op %d zone %d order %u: %llu free blocks, frames show %llu", i, z, o,
						  (unsigned long long)page_free_blocks(pl, (enum zone_type)z, o),
						  (unsigned long long)nr[z][o]);
				}
				zp += nr[z][o] << o;
				if (nr[z][o] && (int)o > largest)
					largest = (int)o;
			}
			CHECK_EQ(page_zone_free_pages(pl, (enum zone_type)z), zp);
			pages += zp;
		}
		CHECK_EQ(page_free_pages(pl), pages);
		CHECK_EQ(page_largest_free_order(pl), largest);
	}
	while (nlive) {
		nlive--;
		page_free(pl, live[nlive].pfn, live[nlive].order);
	}
	char msg[256];
	CHECK_MSG(page_check(pl, msg, sizeof(msg)), "%s", msg);
	page_destroy(pl);
}

/*
 * Linux's low watermark (__setup_per_zone_wmarks, min_free_kbytes =
 * sqrt(lowmem KiB * 16)), for 64 MiB: the first MiB and 4 MiB of kernel
 * image reserved leave DMA 4096 - 1280 = 2816 frames and DMA32 12288,
 * 15104 in all. min_kb = sqrt(15104 * 4 * 16) = 983.19; per zone
 * min = floor(983.19 / 4 * managed / 15104): DMA 45, DMA32 199;
 * low = min + min / 4: 56 + 248 = 304 frames.
 */
static void t_watermark_known_answer(void)
{
	struct page_layer *pl = machine(64 * MIB);
	CHECK_EQ(page_free_pages(pl), 15104);
	CHECK_EQ(page_watermark_low(pl), 304);
	page_destroy(pl);
}

struct keys { double v[3]; unsigned n; };

static void key_fn(void *ctx, const char *key, double v)
{
	struct keys *k = ctx;
	static const char *const want[3] = { "buddy_splits", "buddy_merges", "buddy_zone_fallbacks" };
	if (k->n < 3 && !strcmp(key, want[k->n]))
		k->v[k->n] = v;
	k->n++;
}

static void t_report(void)
{
	struct page_layer *pl = machine(64 * MIB);   /* DMA and DMA32 only: a plain allocation falls back */
	uint32_t a = page_alloc(pl, 0, 0, OWNER_PAGE, 0);
	uint32_t b = page_alloc(pl, 0, 0, OWNER_PAGE, 0);
	page_free(pl, a, 0);
	page_free(pl, b, 0);
	const struct buddy *bd = page_buddy(pl);
	struct keys k = { { -1, -1, -1 }, 0 };
	page_report(pl, key_fn, &k);
	CHECK_EQ(k.n, 3);
	CHECK_EQ(k.v[0], bd->st.splits);
	CHECK_EQ(k.v[1], bd->st.merges);
	CHECK_EQ(k.v[2], bd->st.fallbacks);
	CHECK(bd->st.splits > 0 && bd->st.splits == bd->st.merges);   /* all merged back */
	CHECK_EQ(bd->st.fallbacks, 2);   /* no Normal zone: both fell back to DMA32 */
	page_destroy(pl);
}

int main(void)
{
	RUN(t_alloc_marks_owner_and_clears_words);
	RUN(t_private_words_checked);
	RUN(t_registry);
	RUN(t_queries_match_frames);
	RUN(t_watermark_known_answer);
	RUN(t_report);
	return check_done();
}
