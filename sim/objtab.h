/*
 * objtab.h - live objects by key: open addressing, linear probing,
 * backward-shift deletion (no tombstones). 24 bytes per slot; the table
 * grows at 70% load, so a live object costs at most ~34 bytes of host memory
 * on average and 24 bytes per slot.
 * Key 0 is never stored (it is kfree(NULL)).
 */
#ifndef KMS_OBJTAB_H
#define KMS_OBJTAB_H

#include "base.h"

struct obj {
	uint64_t key;
	uint64_t addr;     /* address from the back end (or pfn for pages) */
	uint32_t size;     /* bytes requested (order for pages) */
	uint16_t cache;    /* sim cache id (0 = kmalloc) */
	uint8_t  cpu;      /* CPU that allocated */
	uint8_t  flags;
};
_Static_assert(sizeof(struct obj) == 24, "object record must stay 24 bytes");

struct objtab {
	struct obj *slot;
	uint64_t    mask;   /* capacity - 1 (power of two) */
	uint64_t    count;
};

void objtab_init(struct objtab *t);
void objtab_fini(struct objtab *t);
struct obj *objtab_lookup(struct objtab *t, uint64_t key);
/* Insert a new key (must not be present); returns its slot, valid until the next insert/remove. */
struct obj *objtab_insert(struct objtab *t, uint64_t key);
/* Remove a key; *out receives the removed record. false if absent. */
bool objtab_remove(struct objtab *t, uint64_t key, struct obj *out);
/* Visit every live object (order is the table's, deterministic). */
void objtab_foreach(struct objtab *t, void (*fn)(void *ctx, const struct obj *o), void *ctx);

#endif
