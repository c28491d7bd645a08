/*
 * buddy_slides - the lecture's buddy example (Bos, "Dynamic memory",
 * shared/reference/003): a 1 MiB region, 64 KiB the smallest block used,
 * A 34K, B 66K, C 35K, D 67K allocated, then C, A, B, D freed.
 *
 * The region is 256 frames of 4 KiB with orders 0..8, driven through the
 * real buddy allocator (sim/page_buddy.c); each request rounds to
 * 2^order frames, so 34K takes an order-4 (64K) block as on the slide.
 * Prints the region after each step, lowest address first: allocated
 * blocks as NAME-SIZE, free blocks as SIZE. tests/t_buddy.sh compares the
 * output with tests/data/buddy_slides.expected, typed from the slide.
 */
#include <stdio.h>
#include <stdlib.h>
#include "../sim/page_buddy.h"

#define NFRAMES 256

static struct frame frames[NFRAMES];
static char owner[NFRAMES];

static void show(struct buddy *b, int t)
{
	char msg[256];
	if (!buddy_check(b, msg, sizeof(msg))) {
		fprintf(stderr, "t=%d: %s\n", t, msg);
		exit(1);
	}
	printf("t=%d:", t);
	for (uint32_t p = 0; p < NFRAMES;) {
		unsigned kib = (PAGE_SIZE << frames[p].order) / 1024;
		if (frames[p].state == FRAME_ALLOC_HEAD)
			printf(" %c-%uK", owner[p], kib);
		else
			printf(" %uK", kib);
		p += 1u << frames[p].order;
	}
	printf("\n");
}

int main(void)
{
	static const struct { char name; unsigned kib; } req[] = {
		{ 'A', 34 }, { 'B', 66 }, { 'C', 35 }, { 'D', 67 },
	};
	static const char free_order[] = { 'C', 'A', 'B', 'D' };
	struct buddy b;
	uint32_t at[4];
	int t = 0;

	buddy_init(&b, frames, NFRAMES, 8);
	buddy_zone_add(&b, ZONE_NORMAL, 0, NFRAMES);
	buddy_range_free(&b, 0, NFRAMES);
	show(&b, t++);
	for (int i = 0; i < 4; i++) {
		at[i] = buddy_alloc(&b, buddy_order_for(req[i].kib * 1024ull), 0);
		if (at[i] == PFN_NONE) {
			fprintf(stderr, "%c: allocation failed\n", req[i].name);
			return 1;
		}
		owner[at[i]] = req[i].name;
		show(&b, t++);
	}
	for (int i = 0; i < 4; i++) {
		int k = free_order[i] - 'A';
		buddy_free(&b, at[k], buddy_order_for(req[k].kib * 1024ull));
		show(&b, t++);
	}
	return 0;
}
