/* agg.c - key counters per hour in flight, their distinct sources deferred.
 *
 * Packets arrive roughly in time order, so only a few hours are open at once;
 * an hour is emitted and freed as a whole once packet time has moved
 * DS_AGG_LAG_HOURS past it, without touching the other hours.
 *
 * Each hour keeps its keys in a dense array, found through an open-addressing
 * index.  A packet only counts itself in its key and appends (key's index,
 * source hash) to the hour's pending list: it does not touch the key's
 * sketch, whose set would miss the cache at random for each packet.  The
 * pending hashes go into the sketches a key at a time (a fold): counted by
 * key, placed by key, sorted and deduplicated, added in one go.  An hour is
 * folded when it is emitted, or every hour when the pending lists together
 * reach max_pend, so their memory stays bounded. */
#include "darkscope/aggregate.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/limits.h"
#include "darkscope/radix.h"

#include <stdlib.h>
#include <string.h>

/* A key of an hour: 24 bytes.  Its sketch is made only when its hashes are
 * folded before the hour is emitted (the pending lists filled up); most keys
 * never have one, and an hour of interleaved sources (thousands of keys, a
 * random one each packet) keeps its entries in fewer cache lines. */
struct ent {
	uint64_t key;
	uint64_t packets;
	uint32_t npend; /* hashes pending for this key */
	uint32_t sk;    /* its sketch in the hour's sks, + 1; 0: none yet */
};

/* An index slot: 8 bytes, so that an hour of many keys takes less memory.
 * A key is checked against its ent, which a packet touches anyway. */
struct slot {
	uint32_t tag;  /* the key's hash, high half */
	uint32_t idx1; /* into ents, + 1; 0 marks a free slot */
};

struct ds_agg__hour {
	int32_t hour;
	size_t cap, n; /* index slots; keys */
	struct slot *tab;
	struct ent *ents; /* n of them, room for cap / 2 */
	uint64_t *pend;   /* (key's index << 32 | hash), npend of them */
	size_t npend, cappend;
	struct ds_sketch *sks; /* the keys' sketches made so far */
	size_t nsks, capsks;
	uint64_t last_key;            /* the previous packet's (0: none), its source and index: */
	uint32_t last_hash, last_idx; /* a repeat need not wait in pend */
	struct ds_agg__hour *next;
};

static inline uint64_t mix(uint64_t k)
{
	k ^= k >> 31;
	k *= 0x9E3779B97F4A7C15ull;
	k ^= k >> 29;
	return k;
}

static inline size_t slot(uint64_t k, size_t cap)
{
	return (size_t)mix(k) & (cap - 1);
}

static size_t sketch_bytes(uint32_t cap)
{
	return cap == DS_SKETCH_DENSE ? (size_t)1 << DS_HLL_P : (size_t)cap * 4;
}

int ds_agg_init(struct ds_agg *a, size_t max_keys, size_t max_bytes, ds_emit_fn emit, void *ctx)
{
	memset(a, 0, sizeof *a);
	a->max_keys = max_keys ? max_keys : DS_AGG_MAX_KEYS;
	a->max_bytes = max_bytes ? max_bytes : DS_AGG_MAX_SKETCH_BYTES;
	a->max_pend = DS_AGG_MAX_PEND;
	a->emit = emit;
	a->ctx = ctx;
	a->max_hour = INT32_MIN;
	return 0;
}

void ds_agg_share(struct ds_agg *a, unsigned n)
{
	if (n <= 1)
		return;
	a->max_keys = a->max_keys / n ? a->max_keys / n : 1;
	a->max_bytes = a->max_bytes / n ? a->max_bytes / n : 1;
	a->max_pend = a->max_pend / n ? a->max_pend / n : 1;
}

/* Free an hour and its sketches. */
static void hour_free(struct ds_agg *a, struct ds_agg__hour *h)
{
	for (size_t i = 0; i < h->nsks; i++) {
		a->sk_bytes -= sketch_bytes(h->sks[i].cap);
		ds_sketch_free(&h->sks[i]);
	}
	free(h->sks);
	a->n -= h->n;
	a->npend -= h->npend;
	free(h->tab);
	free(h->ents);
	free(h->pend);
	free(h);
}

/* Sort h[0..n) and drop repeats; the count left.  A hash of 0 counts as 1,
 * as ds_sketch_add takes it. */
static size_t sort_unique(uint32_t *h, uint32_t *tmp, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h[i] += !h[i];
	ds_radix_sort32(h, tmp, n); /* (by insertion when few) */
	size_t k = n ? 1 : 0;
	for (size_t i = 1; i < n; i++)
		if (h[i] != h[k - 1])
			h[k++] = h[i];
	return k;
}

/* The sketch of e, made (empty) if it has none; NULL when out of memory.
 * (A pointer into h->sks: good until the next sketch is made.) */
static struct ds_sketch *sketch_of(struct ds_agg__hour *h, struct ent *e)
{
	if (e->sk)
		return &h->sks[e->sk - 1];
	if (h->nsks == h->capsks &&
	    ds_array_reserve((void **)&h->sks, &h->capsks, h->nsks + 1, sizeof *h->sks) < 0)
		return NULL;
	h->sks[h->nsks] = (struct ds_sketch){0};
	e->sk = (uint32_t)++h->nsks;
	return &h->sks[e->sk - 1];
}

/* The sketch of e with its pending hashes hs[0..n) added, appended encoded
 * to b.  A key folded for the first time (the usual case: an hour's hashes
 * fit in the pending lists) is encoded straight from its sorted hashes,
 * without building a set; the encoding is the same. */
static int encode_final(struct ds_agg__hour *h, struct ent *e, uint32_t *hs, uint32_t *tmp,
                        size_t n, struct ds_buf *b)
{
	int rc = 0;
	if (!e->sk) {
		size_t k = sort_unique(hs, tmp, n);
		if (k <= DS_SPARSE_MAX)
			return ds_sketch_encode_sorted(hs, k, b);
		/* (more than a sparse sketch holds: registers, freed once
		 * encoded, as the hour is about to be) */
		struct ds_sketch sk = {0};
		rc = ds_sketch_add_many(&sk, hs, k);
		if (rc == 0)
			rc = ds_sketch_encode(&sk, b);
		ds_sketch_free(&sk);
		return rc;
	}
	struct ds_sketch *sk = &h->sks[e->sk - 1];
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = ds_sketch_add(sk, hs[i]);
	return rc < 0 ? rc : ds_sketch_encode(sk, b);
}

/* Add an hour's pending hashes to its keys' sketches.  With enc (the hour
 * is being emitted), also encode every key's sketch into enc, its offset
 * into a->fold_at. */
static int fold(struct ds_agg *a, struct ds_agg__hour *h, struct ds_buf *enc)
{
	if (!h->npend && !enc)
		return 0;
	if (ds_array_reserve((void **)&a->fold_h, &a->capfold_h, h->npend, sizeof *a->fold_h) < 0 ||
	    ds_array_reserve((void **)&a->fold_tmp, &a->capfold_tmp, h->npend,
	                     sizeof *a->fold_tmp) < 0 ||
	    ds_array_reserve((void **)&a->fold_at, &a->capfold_at, h->n + 1, sizeof *a->fold_at) <
	            0)
		return -DS_E_NOMEM;
	/* place each key's hashes together, in key index order */
	uint32_t *at = a->fold_at, *hs = a->fold_h;
	size_t pos = 0;
	for (size_t i = 0; i < h->n; i++) {
		at[i] = (uint32_t)pos;
		pos += h->ents[i].npend;
	}
	for (size_t i = 0; i < h->npend; i++)
		hs[at[h->pend[i] >> 32]++] = (uint32_t)h->pend[i];
	pos = 0;
	int rc = 0;
	for (size_t i = 0; i < h->n && rc == 0; i++) {
		struct ent *e = &h->ents[i];
		uint32_t before = e->sk ? h->sks[e->sk - 1].cap : 0;
		if (enc) {
			at[i] = (uint32_t)enc->len;
			rc = encode_final(h, e, hs + pos, a->fold_tmp, e->npend, enc);
		} else if (e->npend) {
			struct ds_sketch *sk = sketch_of(h, e);
			if (!sk)
				rc = -DS_E_NOMEM;
			for (size_t k = 0; k < e->npend && rc == 0; k++)
				rc = ds_sketch_add(sk, hs[pos + k]);
		}
		uint32_t after = e->sk ? h->sks[e->sk - 1].cap : 0;
		if (after != before)
			a->sk_bytes += sketch_bytes(after) - sketch_bytes(before);
		pos += e->npend;
		e->npend = 0;
	}
	if (enc)
		at[h->n] = (uint32_t)enc->len;
	if (rc < 0) /* the sketches stay valid, short of some sources */
		for (size_t i = 0; i < h->n; i++)
			h->ents[i].npend = 0;
	a->npend -= h->npend;
	h->npend = 0;
	return rc;
}

static int fold_all(struct ds_agg *a)
{
	for (struct ds_agg__hour *h = a->hours; h; h = h->next) {
		int rc = fold(a, h, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Emit one hour's rows sorted by key, their sketches encoded. */
static int emit_hour(struct ds_agg *a, struct ds_agg__hour *h)
{
	a->enc.len = 0;
	int rc = fold(a, h, &a->enc);
	if (rc < 0)
		return rc;
	struct ds_kv *sel = malloc((h->n + 1) * sizeof *sel),
	             *tmp = malloc((h->n + 1) * sizeof *tmp);
	struct ds_row *rows = malloc((h->n + 1) * sizeof *rows);
	if (!sel || !tmp || !rows) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < h->n; i++)
		sel[i] = (struct ds_kv){h->ents[i].key, i};
	ds_radix_sort(sel, tmp, h->n);
	for (size_t i = 0; i < h->n; i++) {
		size_t e = sel[i].val;
		rows[i] = (struct ds_row){.key = sel[i].key,
		                          .packets = h->ents[e].packets,
		                          .enc = a->enc.data + a->fold_at[e],
		                          .enclen = a->fold_at[e + 1] - a->fold_at[e]};
	}
	if ((rc = a->emit(a->ctx, h->hour, rows, h->n)) > 0)
		rc = 0;
out:
	free(sel);
	free(tmp);
	free(rows);
	return rc;
}

/* Emit and free the hours up to cutoff, oldest first. */
static int flush_upto(struct ds_agg *a, int32_t cutoff)
{
	int rc = 0;
	while (a->hours && a->hours->hour <= cutoff) {
		struct ds_agg__hour *h = a->hours;
		if (rc == 0)
			rc = emit_hour(a, h);
		a->hours = h->next;
		if (a->last == h)
			a->last = NULL;
		hour_free(a, h);
	}
	if (rc < 0 && !a->err)
		a->err = rc;
	return rc;
}

int ds_agg_flush(struct ds_agg *a)
{
	if (a->err)
		return a->err;
	return flush_upto(a, INT32_MAX);
}

static struct ds_agg__hour *hour_get(struct ds_agg *a, int32_t hour)
{
	struct ds_agg__hour **pp = &a->hours;
	while (*pp && (*pp)->hour < hour)
		pp = &(*pp)->next;
	if (*pp && (*pp)->hour == hour)
		return *pp;
	struct ds_agg__hour *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->hour = hour;
	h->cap = 1024;
	h->tab = calloc(h->cap, sizeof *h->tab);
	h->ents = malloc(h->cap / 2 * sizeof *h->ents);
	if (!h->tab || !h->ents) {
		free(h->tab);
		free(h->ents);
		free(h);
		return NULL;
	}
	h->next = *pp;
	*pp = h;
	return h;
}

/* Double the index (and the room for keys). */
static int grow(struct ds_agg__hour *h)
{
	size_t ncap = h->cap * 2;
	struct slot *nt = calloc(ncap, sizeof *nt);
	struct ent *ne = nt ? realloc(h->ents, ncap / 2 * sizeof *ne) : NULL;
	if (!ne) {
		free(nt);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	h->ents = ne;
	for (size_t i = 0; i < h->cap; i++) {
		if (!h->tab[i].idx1)
			continue;
		size_t j = slot(ne[h->tab[i].idx1 - 1].key + 1, ncap);
		while (nt[j].idx1)
			j = (j + 1) & (ncap - 1);
		nt[j] = h->tab[i];
	}
	free(h->tab);
	h->tab = nt;
	h->cap = ncap;
	return 0;
}

/* The hour p goes to, flushing what its time or the budgets say (where it
 * is not the previous packet's hour with room: ds_agg_add_batch takes that
 * inline). */
static struct ds_agg__hour *hour_for(struct ds_agg *a, int32_t hour)
{
	struct ds_agg__hour *h = a->last;
	if (!h || h->hour != hour) {
		if (hour > a->max_hour) {
			a->max_hour = hour;
			if (flush_upto(a, hour - DS_AGG_LAG_HOURS - 1) < 0)
				return NULL;
		}
	}
	if (a->n >= a->max_keys || a->sk_bytes > a->max_bytes) {
		a->last = NULL;
		if (flush_upto(a, INT32_MAX) < 0)
			return NULL;
	}
	if (!(h = hour_get(a, hour))) {
		a->err = ds_fail(DS_E_NOMEM, "out of memory");
		return NULL;
	}
	return a->last = h;
}

/* Count a packet of key and source hash in h (not a scanner's run of the
 * packet before: ds_agg_add_batch counts those inline). */
static int add(struct ds_agg *a, struct ds_agg__hour *h, uint64_t key, uint32_t hash)
{
	if ((h->n + 1) * 2 > h->cap && grow(h) < 0)
		return a->err = -DS_E_NOMEM;
	if (h->npend == h->cappend &&
	    ds_array_reserve((void **)&h->pend, &h->cappend, h->npend + 1, sizeof *h->pend) < 0)
		return a->err = -DS_E_NOMEM;
	uint64_t m = mix(key);
	uint32_t tag = (uint32_t)(m >> 32), idx;
	for (size_t i = (size_t)m & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
		if (!h->tab[i].idx1) {
			idx = (uint32_t)h->n++;
			h->tab[i] = (struct slot){tag, idx + 1};
			h->ents[idx] = (struct ent){.key = key - 1};
			a->n++;
			break;
		}
		if (h->tab[i].tag == tag && h->ents[h->tab[i].idx1 - 1].key == key - 1) {
			idx = h->tab[i].idx1 - 1;
			break;
		}
	}
	struct ent *e = &h->ents[idx];
	e->packets++;
	e->npend++;
	h->last_key = key;
	h->last_hash = hash;
	h->last_idx = idx;
	h->pend[h->npend++] = (uint64_t)idx << 32 | hash;
	if (++a->npend >= a->max_pend) {
		int rc = fold_all(a);
		if (rc < 0)
			return a->err = rc;
	}
	return 0;
}

int ds_agg_add(struct ds_agg *a, const struct ds_pkt *p)
{
	return ds_agg_add_batch(a, p, 1);
}

#define CHUNK 64

int ds_agg_add_batch(struct ds_agg *a, const struct ds_pkt *p, size_t n)
{
	uint64_t key[CHUNK];
	int32_t hr[CHUNK];
	for (size_t at = 0; at < n; at += CHUNK) {
		size_t m = n - at < CHUNK ? n - at : CHUNK;
		const struct ds_pkt *q = p + at;
		struct ds_agg__hour *h = a->last;
		/* the keys and hours, and a prefetch of the slots of those of the
		 * current hour */
		for (size_t i = 0; i < m; i++) {
			key[i] = ds_key(q[i].sensor, q[i].cc, q[i].proto, q[i].port) + 1;
			/* (packet times are never before 1970: a division of unsigned) */
			hr[i] = q[i].ts >= 0 ? (int32_t)((uint64_t)q[i].ts / 3600)
			                     : (int32_t)ds_floordiv(q[i].ts, 3600);
			if (h && hr[i] == h->hour)
				__builtin_prefetch(&h->tab[slot(key[i], h->cap)]);
		}
		for (size_t i = 0; i < m; i++) {
			if (a->err)
				return a->err;
			/* the hour of the packet before, with room: as hour_for finds it */
			struct ds_agg__hour *ph = a->last;
			if ((!ph || ph->hour != hr[i] || a->n >= a->max_keys ||
			     a->sk_bytes > a->max_bytes) &&
			    !(ph = hour_for(a, hr[i])))
				return a->err;
			if (key[i] == ph->last_key && q[i].srchash == ph->last_hash) {
				ph->ents[ph->last_idx]
				        .packets++; /* a scanner's run, as add counts it */
				continue;
			}
			int rc = add(a, ph, key[i], q[i].srchash);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

void ds_agg_free(struct ds_agg *a)
{
	while (a->hours) {
		struct ds_agg__hour *h = a->hours;
		a->hours = h->next;
		hour_free(a, h);
	}
	a->last = NULL;
	ds_buf_free(&a->enc);
	free(a->fold_h);
	free(a->fold_tmp);
	free(a->fold_at);
	a->fold_h = a->fold_tmp = a->fold_at = NULL;
	a->capfold_h = a->capfold_tmp = a->capfold_at = 0;
}
