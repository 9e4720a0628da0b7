/* agg.c - open-addressing table of (hour, key) counters with hourly emit. */
#include "darkscope/aggregate.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/limits.h"
#include "darkscope/radix.h"

#include <stdlib.h>
#include <string.h>

struct ds_agg__ent {
	uint64_t key;
	int32_t hour;
	uint32_t used;
	uint64_t packets;
	struct ds_sketch sk;
};

static inline size_t slot(uint64_t key, int32_t hour, size_t cap)
{
	uint64_t x = key ^ ((uint64_t)(uint32_t)hour << 53 | (uint64_t)(uint32_t)hour);
	x ^= x >> 31;
	x *= 0x9E3779B97F4A7C15ull;
	x ^= x >> 29;
	return (size_t)x & (cap - 1);
}

static size_t sketch_bytes(const struct ds_sketch *s)
{
	if (s->cap == DS_SKETCH_DENSE)
		return 1u << DS_HLL_P;
	return (size_t)s->cap * 4;
}

int ds_agg_init(struct ds_agg *a, size_t max_keys, size_t max_bytes, ds_emit_fn emit, void *ctx)
{
	memset(a, 0, sizeof *a);
	a->max_keys = max_keys ? max_keys : DS_AGG_MAX_KEYS;
	a->max_bytes = max_bytes ? max_bytes : (size_t)64 << 20;
	a->cap = 4096;
	a->tab = calloc(a->cap, sizeof *a->tab);
	a->emit = emit;
	a->ctx = ctx;
	a->max_hour = INT32_MIN;
	a->min_hour = INT32_MAX;
	return a->tab ? 0 : ds_fail(DS_E_NOMEM, "out of memory");
}

static int rehash(struct ds_agg *a, size_t ncap)
{
	struct ds_agg__ent *nt = calloc(ncap, sizeof *nt);
	if (!nt)
		return ds_fail(DS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < a->cap; i++) {
		if (!a->tab[i].used)
			continue;
		size_t j = slot(a->tab[i].key, a->tab[i].hour, ncap);
		while (nt[j].used)
			j = (j + 1) & (ncap - 1);
		nt[j] = a->tab[i];
	}
	free(a->tab);
	a->tab = nt;
	a->cap = ncap;
	return 0;
}

/* Emit the entries of tab listed in sel[0..k) (all of one hour). */
static int emit_group(struct ds_agg *a, struct ds_kv *sel, struct ds_kv *tmp, size_t k,
		      struct ds_row *rows)
{
	int32_t hour = a->tab[sel[0].val].hour;
	for (size_t i = 0; i < k; i++)
		sel[i].key = a->tab[sel[i].val].key;
	ds_radix_sort(sel, tmp, k);
	for (size_t i = 0; i < k; i++) {
		const struct ds_agg__ent *e = &a->tab[sel[i].val];
		rows[i] = (struct ds_row){.key = e->key, .packets = e->packets, .sk = e->sk};
	}
	return a->emit(a->ctx, hour, rows, k);
}

/* Emit and drop every entry with hour <= cutoff, hour by hour. */
static int flush_upto(struct ds_agg *a, int32_t cutoff)
{
	size_t k = 0, cap = a->n ? a->n : 1;
	struct ds_kv *sel = malloc(cap * sizeof *sel), *tmp = malloc(cap * sizeof *tmp);
	struct ds_row *rows = malloc(cap * sizeof *rows);
	int rc = 0;
	if (!sel || !tmp || !rows) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < a->cap; i++)
		if (a->tab[i].used && a->tab[i].hour <= cutoff)
			sel[k++] = (struct ds_kv){(uint64_t)((int64_t)a->tab[i].hour - INT32_MIN), i};
	ds_radix_sort(sel, tmp, k);
	for (size_t i = 0; i < k && rc == 0;) {
		size_t j = i;
		while (j < k && sel[j].key == sel[i].key)
			j++;
		rc = emit_group(a, sel + i, tmp, j - i, rows);
		i = j;
	}
	int32_t newmin = INT32_MAX;
	for (size_t i = 0; i < a->cap; i++) {
		struct ds_agg__ent *e = &a->tab[i];
		if (!e->used)
			continue;
		if (e->hour <= cutoff) {
			a->sk_bytes -= sketch_bytes(&e->sk);
			ds_sketch_free(&e->sk);
			memset(e, 0, sizeof *e);
			a->n--;
		} else if (e->hour < newmin) {
			newmin = e->hour;
		}
	}
	a->min_hour = newmin;
	if (rc == 0)
		rc = rehash(a, a->cap); /* close the holes the removals left */
out:
	free(sel);
	free(tmp);
	free(rows);
	if (rc < 0 && !a->err)
		a->err = rc;
	return rc;
}

int ds_agg_flush(struct ds_agg *a)
{
	if (a->err)
		return a->err;
	return a->n ? flush_upto(a, INT32_MAX) : 0;
}

int ds_agg_add(struct ds_agg *a, const struct ds_pkt *p)
{
	int32_t hour = (int32_t)ds_floordiv(p->ts, 3600);
	if (hour > a->max_hour) {
		a->max_hour = hour;
		if (a->min_hour < hour - DS_AGG_LAG_HOURS && flush_upto(a, hour - DS_AGG_LAG_HOURS - 1) < 0)
			return a->err;
	}
	if (a->n + 1 > a->max_keys || a->sk_bytes > a->max_bytes) {
		if (flush_upto(a, INT32_MAX) < 0)
			return a->err;
	}
	if ((a->n + 1) * 2 > a->cap && rehash(a, a->cap * 2) < 0)
		return a->err = -DS_E_NOMEM;
	uint64_t key = ds_key(p->sensor, p->cc, p->proto, p->port);
	size_t i = slot(key, hour, a->cap);
	struct ds_agg__ent *e;
	for (;; i = (i + 1) & (a->cap - 1)) {
		e = &a->tab[i];
		if (!e->used) {
			e->used = 1;
			e->key = key;
			e->hour = hour;
			a->n++;
			if (hour < a->min_hour)
				a->min_hour = hour;
			break;
		}
		if (e->key == key && e->hour == hour)
			break;
	}
	e->packets++;
	uint32_t before = e->sk.cap;
	if (ds_sketch_add(&e->sk, p->srchash) < 0)
		return a->err = -DS_E_NOMEM;
	if (e->sk.cap != before) {
		a->sk_bytes += sketch_bytes(&e->sk);
		a->sk_bytes -= before == DS_SKETCH_DENSE ? (1u << DS_HLL_P) : (size_t)before * 4;
	}
	return 0;
}

void ds_agg_free(struct ds_agg *a)
{
	for (size_t i = 0; a->tab && i < a->cap; i++)
		if (a->tab[i].used)
			ds_sketch_free(&a->tab[i].sk);
	free(a->tab);
	a->tab = NULL;
}
