/* keymap.h - key -> (packets, sketch) accumulators: an open-addressing
 * index over a growing array, so entries stay in insertion order.  Pointers
 * returned by ds_keymap_get are valid until the next ds_keymap_get. */
#ifndef DARKSCOPE_KEYMAP_H
#define DARKSCOPE_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/sketch.h"

struct ds_keyacc {
	uint64_t key;
	uint64_t packets;
	struct ds_sketch sk;
};

struct ds_keyslot {
	uint64_t key;
	uint32_t idx; /* index + 1; 0 = empty */
};

struct ds_keymap {
	struct ds_keyacc *v; /* entries, in insertion order */
	size_t n, cap;
	struct ds_keyslot *slots;
	size_t nslots;
};

/* The entry of key, created zeroed if new; NULL when out of memory. */
struct ds_keyacc *ds_keymap_get(struct ds_keymap *m, uint64_t key);

/* The entry of key, or NULL. */
struct ds_keyacc *ds_keymap_find(const struct ds_keymap *m, uint64_t key);

/* Free the entries (and their sketches). */
void ds_keymap_free(struct ds_keymap *m);

#endif
