/* keymap.c - key -> accumulator, open addressing over an array.  Each slot
 * holds the key beside the index, so a lookup touches one cache line. */
#include "darkscope/keymap.h"

#include <stdlib.h>
#include <string.h>

static inline size_t hkey(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k;
}

static int regrow(struct ds_keymap *m)
{
	size_t ns = m->nslots ? m->nslots * 2 : 1024;
	struct ds_keyslot *sl = calloc(ns, sizeof *sl);
	if (!sl)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		size_t j = hkey(m->v[i].key) & (ns - 1);
		while (sl[j].idx)
			j = (j + 1) & (ns - 1);
		sl[j] = (struct ds_keyslot){m->v[i].key, (uint32_t)i + 1};
	}
	free(m->slots);
	m->slots = sl;
	m->nslots = ns;
	return 0;
}

struct ds_keyacc *ds_keymap_get(struct ds_keymap *m, uint64_t key)
{
	if ((m->n + 1) * 2 > m->nslots && regrow(m) < 0)
		return NULL;
	size_t j = hkey(key) & (m->nslots - 1);
	for (; m->slots[j].idx; j = (j + 1) & (m->nslots - 1))
		if (m->slots[j].key == key)
			return &m->v[m->slots[j].idx - 1];
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 256;
		struct ds_keyacc *nv = realloc(m->v, nc * sizeof *nv);
		if (!nv)
			return NULL;
		m->v = nv;
		m->cap = nc;
	}
	struct ds_keyacc *a = &m->v[m->n];
	memset(a, 0, sizeof *a);
	a->key = key;
	m->slots[j] = (struct ds_keyslot){key, (uint32_t)++m->n};
	return a;
}

struct ds_keyacc *ds_keymap_find(const struct ds_keymap *m, uint64_t key)
{
	if (!m->nslots)
		return NULL;
	for (size_t j = hkey(key) & (m->nslots - 1); m->slots[j].idx; j = (j + 1) & (m->nslots - 1))
		if (m->slots[j].key == key)
			return &m->v[m->slots[j].idx - 1];
	return NULL;
}

void ds_keymap_free(struct ds_keymap *m)
{
	for (size_t i = 0; i < m->n; i++)
		ds_sketch_free(&m->v[i].sk);
	free(m->v);
	free(m->slots);
	memset(m, 0, sizeof *m);
}
