/* agg.c - one open-addressing table of key counters per hour in flight.
 *
 * Packets arrive roughly in time order, so only a few hours are open at once;
 * an hour is emitted and freed as a whole once packet time has moved
 * DS_AGG_LAG_HOURS past it, without touching the other hours. */
#include "darkscope/aggregate.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/limits.h"
#include "darkscope/radix.h"

#include <stdlib.h>
#include <string.h>

struct ent {
	uint64_t key; /* 0 marks a free slot: stored keys are key+1 */
	uint64_t packets;
	struct ds_sketch sk;
};

struct ds_agg__hour {
	int32_t hour;
	size_t cap, n;
	struct ent *tab;
	struct ds_agg__hour *next;
};

static inline size_t slot(uint64_t k, size_t cap)
{
	k ^= k >> 31;
	k *= 0x9E3779B97F4A7C15ull;
	k ^= k >> 29;
	return (size_t)k & (cap - 1);
}

static size_t sketch_bytes(uint32_t cap)
{
	return cap == DS_SKETCH_DENSE ? (size_t)1 << DS_HLL_P : (size_t)cap * 4;
}

int ds_agg_init(struct ds_agg *a, size_t max_keys, size_t max_bytes, ds_emit_fn emit, void *ctx)
{
	memset(a, 0, sizeof *a);
	a->max_keys = max_keys ? max_keys : DS_AGG_MAX_KEYS;
	a->max_bytes = max_bytes ? max_bytes : (size_t)64 << 20;
	a->emit = emit;
	a->ctx = ctx;
	a->max_hour = INT32_MIN;
	return 0;
}

/* Free an hour; its sketches too unless the emit callback took them. */
static void hour_free(struct ds_agg *a, struct ds_agg__hour *h, int taken)
{
	for (size_t i = 0; i < h->cap; i++)
		if (h->tab[i].key) {
			a->sk_bytes -= sketch_bytes(h->tab[i].sk.cap);
			if (!taken)
				ds_sketch_free(&h->tab[i].sk);
		}
	a->n -= h->n;
	free(h->tab);
	free(h);
}

/* Emit one hour's rows sorted by key. */
static int emit_hour(struct ds_agg *a, struct ds_agg__hour *h)
{
	struct ds_kv *sel = malloc((h->n + 1) * sizeof *sel),
	             *tmp = malloc((h->n + 1) * sizeof *tmp);
	struct ds_row *rows = malloc((h->n + 1) * sizeof *rows);
	int rc = 0;
	size_t k = 0;
	if (!sel || !tmp || !rows) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < h->cap; i++)
		if (h->tab[i].key)
			sel[k++] = (struct ds_kv){h->tab[i].key - 1, i};
	ds_radix_sort(sel, tmp, k);
	for (size_t i = 0; i < k; i++) {
		const struct ent *e = &h->tab[sel[i].val];
		rows[i] = (struct ds_row){.key = sel[i].key, .packets = e->packets, .sk = e->sk};
	}
	rc = a->emit(a->ctx, h->hour, rows, k);
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
		int taken = 0;
		if (rc == 0 && (rc = emit_hour(a, h)) > 0)
			taken = 1, rc = 0;
		a->hours = h->next;
		if (a->last == h)
			a->last = NULL;
		hour_free(a, h, taken);
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
	if (!h->tab) {
		free(h);
		return NULL;
	}
	h->next = *pp;
	*pp = h;
	return h;
}

static int grow(struct ds_agg__hour *h)
{
	size_t ncap = h->cap * 2;
	struct ent *nt = calloc(ncap, sizeof *nt);
	if (!nt)
		return ds_fail(DS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < h->cap; i++) {
		if (!h->tab[i].key)
			continue;
		size_t j = slot(h->tab[i].key, ncap);
		while (nt[j].key)
			j = (j + 1) & (ncap - 1);
		nt[j] = h->tab[i];
	}
	free(h->tab);
	h->tab = nt;
	h->cap = ncap;
	return 0;
}

int ds_agg_add(struct ds_agg *a, const struct ds_pkt *p)
{
	int32_t hour = (int32_t)ds_floordiv(p->ts, 3600);
	struct ds_agg__hour *h = a->last;
	if (!h || h->hour != hour) {
		if (hour > a->max_hour) {
			a->max_hour = hour;
			if (flush_upto(a, hour - DS_AGG_LAG_HOURS - 1) < 0)
				return a->err;
		}
		if (a->n >= a->max_keys || a->sk_bytes > a->max_bytes) {
			if (flush_upto(a, INT32_MAX) < 0)
				return a->err;
		}
		if (!(h = hour_get(a, hour)))
			return a->err = ds_fail(DS_E_NOMEM, "out of memory");
		a->last = h;
	} else if (a->n >= a->max_keys || a->sk_bytes > a->max_bytes) {
		a->last = NULL;
		if (flush_upto(a, INT32_MAX) < 0)
			return a->err;
		if (!(h = a->last = hour_get(a, hour)))
			return a->err = ds_fail(DS_E_NOMEM, "out of memory");
	}
	if ((h->n + 1) * 2 > h->cap && grow(h) < 0)
		return a->err = -DS_E_NOMEM;
	uint64_t key = ds_key(p->sensor, p->cc, p->proto, p->port) + 1;
	size_t i = slot(key, h->cap);
	struct ent *e;
	for (;; i = (i + 1) & (h->cap - 1)) {
		e = &h->tab[i];
		if (e->key == key)
			break;
		if (!e->key) {
			e->key = key;
			h->n++;
			a->n++;
			break;
		}
	}
	e->packets++;
	uint32_t before = e->sk.cap;
	if (ds_sketch_add(&e->sk, p->srchash) < 0)
		return a->err = -DS_E_NOMEM;
	if (e->sk.cap != before)
		a->sk_bytes += sketch_bytes(e->sk.cap) - sketch_bytes(before);
	return 0;
}

int ds_agg_add_batch(struct ds_agg *a, const struct ds_pkt *p, size_t n)
{
	struct ds_agg__hour *h = a->last;
	if (h) /* prefetch the slots of the packets of the current hour */
		for (size_t i = 0; i < n; i++)
			if ((int32_t)ds_floordiv(p[i].ts, 3600) == h->hour)
				__builtin_prefetch(&h->tab[slot(
				        ds_key(p[i].sensor, p[i].cc, p[i].proto, p[i].port) + 1,
				        h->cap)]);
	for (size_t i = 0; i < n; i++) {
		int rc = ds_agg_add(a, &p[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void ds_agg_free(struct ds_agg *a)
{
	while (a->hours) {
		struct ds_agg__hour *h = a->hours;
		a->hours = h->next;
		hour_free(a, h, 0);
	}
	a->last = NULL;
}
