/*
 * shadow.h - the tests' shadow map of simulated memory: one bit per byte,
 * per 4 KiB page, in a hash table of pages. It proves, independently of
 * any back end, that no two live objects share a byte. Page 0 is never
 * used (it marks an empty slot); simulated addresses never lie in it.
 */
#ifndef KMS_TEST_SHADOW_H
#define KMS_TEST_SHADOW_H
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct shadow_page {
	uint64_t pageno;     /* va >> 12, 0 = empty slot */
	uint64_t bits[64];
};

struct shadow {
	struct shadow_page *slot;
	uint64_t mask;
	uint64_t count;
};

static inline struct shadow_page *shadow_page(struct shadow *sh, uint64_t pageno)
{
	if (!sh->slot || sh->count * 10 >= (sh->mask + 1) * 7) {
		struct shadow old = *sh;
		sh->mask = old.mask ? old.mask * 2 + 1 : 1023;
		sh->slot = calloc(sh->mask + 1, sizeof(*sh->slot));
		sh->count = 0;
		for (uint64_t i = 0; old.slot && i <= old.mask; i++)
			if (old.slot[i].pageno) {
				struct shadow_page *p = shadow_page(sh, old.slot[i].pageno);
				memcpy(p->bits, old.slot[i].bits, sizeof(p->bits));
			}
		free(old.slot);
	}
	uint64_t i = (pageno * 0x9e3779b97f4a7c15ull >> 20) & sh->mask;
	while (sh->slot[i].pageno && sh->slot[i].pageno != pageno)
		i = (i + 1) & sh->mask;
	if (!sh->slot[i].pageno) {
		sh->slot[i].pageno = pageno;
		sh->count++;
	}
	return &sh->slot[i];
}

/* Set (on) or clear the bytes [va, va+len); returns false if a byte to be
 * set is already set or a byte to be cleared is not. */
static inline bool shadow_mark(struct shadow *sh, uint64_t va, uint64_t len, bool on)
{
	bool good = true;
	while (len) {
		uint64_t off = va & 4095, n = 4096 - off < len ? 4096 - off : len;
		struct shadow_page *p = shadow_page(sh, va >> 12);
		for (uint64_t b = off; b < off + n; ) {
			unsigned w = (unsigned)(b / 64), sh0 = (unsigned)(b % 64);
			uint64_t k = 64 - sh0 < off + n - b ? 64 - sh0 : off + n - b;
			uint64_t m = (k == 64 ? ~0ull : ((1ull << k) - 1)) << sh0;
			if (on) { if (p->bits[w] & m) good = false; p->bits[w] |= m; }
			else    { if ((p->bits[w] & m) != m) good = false; p->bits[w] &= ~m; }
			b += k;
		}
		va += n;
		len -= n;
	}
	return good;
}

static inline void shadow_free(struct shadow *sh)
{
	free(sh->slot);
	sh->slot = NULL;
	sh->mask = sh->count = 0;
}

#endif
