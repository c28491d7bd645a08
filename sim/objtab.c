/*
 * objtab.c - the live-object table: open addressing with linear probing
 * and backward-shift deletion, so lookups never wade through tombstones
 * after millions of frees. Keys are hashed with a 64-bit finaliser
 * (trace pointers are hashed %p values but handles are sequential).
 */
#include <stdlib.h>
#include <string.h>
#include "objtab.h"

#define OBJTAB_MIN 1024

static inline uint64_t objtab_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

void objtab_init(struct objtab *t)
{
	t->slot = xcalloc(OBJTAB_MIN, sizeof(*t->slot));
	t->mask = OBJTAB_MIN - 1;
	t->count = 0;
}

void objtab_fini(struct objtab *t)
{
	free(t->slot);
	t->slot = NULL;
}

struct obj *objtab_lookup(struct objtab *t, uint64_t key)
{
	for (uint64_t i = objtab_hash(key) & t->mask;; i = (i + 1) & t->mask) {
		struct obj *o = &t->slot[i];
		if (o->key == key)
			return o;
		if (o->key == 0)
			return NULL;
	}
}

static void objtab_grow(struct objtab *t)
{
	struct obj *old = t->slot;
	uint64_t oldcap = t->mask + 1, cap = oldcap * 2;
	t->slot = xcalloc(cap, sizeof(*t->slot));
	t->mask = cap - 1;
	for (uint64_t j = 0; j < oldcap; j++) {
		if (old[j].key == 0)
			continue;
		uint64_t i = objtab_hash(old[j].key) & t->mask;
		while (t->slot[i].key != 0)
			i = (i + 1) & t->mask;
		t->slot[i] = old[j];
	}
	free(old);
}

struct obj *objtab_insert(struct objtab *t, uint64_t key)
{
	if ((t->count + 1) * 10 > (t->mask + 1) * 7)
		objtab_grow(t);
	uint64_t i = objtab_hash(key) & t->mask;
	while (t->slot[i].key != 0)
		i = (i + 1) & t->mask;
	t->count++;
	memset(&t->slot[i], 0, sizeof(t->slot[i]));
	t->slot[i].key = key;
	return &t->slot[i];
}

bool objtab_remove(struct objtab *t, uint64_t key, struct obj *out)
{
	struct obj *o = objtab_lookup(t, key);
	if (!o)
		return false;
	if (out)
		*out = *o;
	/* Backward shift: move later members of the probe run into the hole
	 * when the hole lies between their home slot and where they sit. */
	uint64_t hole = (uint64_t)(o - t->slot);
	for (uint64_t i = (hole + 1) & t->mask; t->slot[i].key != 0; i = (i + 1) & t->mask) {
		uint64_t home = objtab_hash(t->slot[i].key) & t->mask;
		if (((i - home) & t->mask) >= ((i - hole) & t->mask)) {
			t->slot[hole] = t->slot[i];
			hole = i;
		}
	}
	t->slot[hole].key = 0;
	t->count--;
	return true;
}

void objtab_foreach(struct objtab *t, void (*fn)(void *ctx, const struct obj *o), void *ctx)
{
	for (uint64_t i = 0; i <= t->mask; i++)
		if (t->slot[i].key != 0)
			fn(ctx, &t->slot[i]);
}
