/*
 * registry.c - every back end, listed once. Adding an allocator is one new
 * file in allocators/ and one line here.
 */
#include <string.h>
#include "allocator.h"

extern const struct allocator_ops buddy_ops;
extern const struct allocator_ops zone_ops;
extern const struct allocator_ops slab_ops;
extern const struct allocator_ops slub_ops;
extern const struct allocator_ops slob_ops;
extern const struct allocator_ops nta_ops;

const struct allocator_ops *const allocator_registry[] = {
	&buddy_ops,
	&zone_ops,
	&slab_ops,
	&slub_ops,
	&slob_ops,
	&nta_ops,
	NULL
};

const struct allocator_ops *allocator_lookup(const char *name)
{
	for (size_t i = 0; allocator_registry[i]; i++)
		if (strcmp(allocator_registry[i]->name, name) == 0)
			return allocator_registry[i];
	return NULL;
}
