/* query.c - top-N and series over hourly store segments. */
#include "darkscope/analyse.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/keymap.h"
#include "darkscope/radix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ds_period_hours(const struct ds_period *p, int32_t *h0, int32_t *h1)
{
	*h0 = (int32_t)(p->day0 * 24 - p->tz);
	*h1 = (int32_t)((p->day1 + 1) * 24 - p->tz);
}

void ds_period_before(const struct ds_period *p, struct ds_period *out)
{
	int64_t len = p->day1 - p->day0 + 1;
	*out = *p;
	out->day0 = p->day0 - len;
	out->day1 = p->day0 - 1;
}

void ds_period_previous(const struct ds_period *p, int is_quarter, struct ds_period *out)
{
	if (is_quarter) {
		int y, m, d;
		char buf[16];
		ds_civil_from_days(p->day0 - 1, &y, &m, &d);
		snprintf(buf, sizeof buf, "%dQ%d", y, (m - 1) / 3 + 1);
		*out = *p;
		if (ds_parse_quarter(buf, &out->day0, &out->day1) == 0)
			return;
	}
	ds_period_before(p, out);
}

struct topctx {
	struct ds_keymap m;
	unsigned by;
	const struct ds_filter *f;
	int with_sources;
	struct ds_keymap *only; /* pass 2: merge sketches of these keys only */
};

static int top_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct topctx *t = ctx;
	for (size_t i = 0; i < n; i++) {
		if (!ds_filter_match(t->f, rows[i].key))
			continue;
		uint64_t k = ds_key_mask(rows[i].key, t->by);
		struct ds_keyacc *a;
		if (t->only) {
			if (!(a = ds_keymap_find(t->only, k)))
				continue;
		} else if (!(a = ds_keymap_get(&t->m, k))) {
			return ds_fail(DS_E_NOMEM, "out of memory");
		}
		if (!t->only)
			a->packets += rows[i].packets;
		if (t->with_sources) {
			const uint8_t *p = rows[i].enc;
			int rc = ds_sketch_merge_enc(&a->sk, &p, rows[i].enc + rows[i].enclen);
			if (rc < 0)
				return ds_fail(DS_E_STORE, "corrupt sketch in hour %d", hour);
		}
	}
	return 0;
}

/* A key's packets over a period: what a ranking sorts. */
struct sortent {
	uint64_t key, packets;
};

/* Sensors sort by name on ties: they carry their text while sorted. */
struct sensorent {
	struct sortent e;
	char text[48];
};

/* Most packets first; ties by sensor name. */
static int by_packets(const void *x, const void *y)
{
	const struct sensorent *a = x, *b = y;
	if (a->e.packets != b->e.packets)
		return a->e.packets > b->e.packets ? -1 : 1;
	return strcmp(a->text, b->text);
}

static int sort_sensors(struct sortent *e, size_t n, ds_keytext_fn kt, void *ktctx)
{
	struct sensorent *s = malloc((n + 1) * sizeof *s);
	if (!s)
		return ds_fail(DS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		s[i].e = e[i];
		kt(ktctx, DS_DIM_SENSOR, e[i].key, s[i].text, sizeof s[i].text);
	}
	qsort(s, n, sizeof *s, by_packets);
	for (size_t i = 0; i < n; i++)
		e[i] = s[i].e;
	free(s);
	return 0;
}

/* e, sorted by key, to most packets first, ties in the keys' natural order
 * (ports by protocol number then port, regions by code: the packed key's
 * order): a stable radix sort by packets descending. */
static int sort_natural(struct sortent *e, size_t n)
{
	struct ds_kv *kv = malloc((n + 1) * sizeof *kv), *tmp = malloc((n + 1) * sizeof *tmp);
	struct sortent *out = malloc((n + 1) * sizeof *out);
	if (!kv || !tmp || !out) {
		free(kv);
		free(tmp);
		free(out);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		kv[i] = (struct ds_kv){UINT64_MAX - e[i].packets, i};
	ds_radix_sort(kv, tmp, n);
	for (size_t i = 0; i < n; i++)
		out[i] = e[kv[i].val];
	memcpy(e, out, n * sizeof *e);
	free(kv);
	free(tmp);
	free(out);
	return 0;
}

/* Pass 1 of a ranking: packets per value of the ranked dimension (port
 * with its protocol: 27 bits; country: 10; sensor: 16), counted in place in
 * blocks of 65,536 counters made on first use.  Rows of every segment land
 * in a few blocks (ports: one per protocol, and one for its fragments; the
 * bench quarter's fill 4), and walking the blocks gives the keys in order.
 * A hash table of the keys missed the cache on most of a quarter's 370,000
 * rows, and sorting them took a fifth of the query. */
#define RANK_BLOCK_BITS 16
#define RANK_BLOCKS     ((size_t)1 << (27 - RANK_BLOCK_BITS))

struct rankctx {
	uint64_t *block[RANK_BLOCKS];
	unsigned by, shift;
	const struct ds_filter *f;
};

/* The ranked dimension's bits in a key: where they start. */
static unsigned dim_shift(unsigned by)
{
	return by == DS_DIM_SENSOR ? 37 : by == DS_DIM_CC ? 27 : 0;
}

static int rank_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct rankctx *r = ctx;
	(void)hour;
	for (size_t i = 0; i < n; i++) {
		if (!ds_filter_match(r->f, rows[i].key))
			continue;
		uint64_t v = ds_key_mask(rows[i].key, r->by) >> r->shift;
		uint64_t **b = &r->block[v >> RANK_BLOCK_BITS];
		if (!*b && !(*b = calloc((size_t)1 << RANK_BLOCK_BITS, sizeof **b)))
			return ds_fail(DS_E_NOMEM, "out of memory");
		(*b)[v & (((uint64_t)1 << RANK_BLOCK_BITS) - 1)] += rows[i].packets;
	}
	return 0;
}

/* Packets per key over the period (no sketches read); *ents sorted, owned
 * by the caller; *total the sum. */
static int rank(struct ds_store *st, unsigned by, const struct ds_period *p,
                const struct ds_filter *f, ds_keytext_fn kt, void *ktctx, struct sortent **ents,
                size_t *n, uint64_t *total)
{
	if (by != DS_DIM_PORT && by != DS_DIM_CC && by != DS_DIM_SENSOR)
		return ds_fail(DS_E_USAGE, "a ranking is by one dimension (mask %u)", by);
	struct rankctx r = {.by = by, .shift = dim_shift(by), .f = f};
	int32_t h0, h1;
	ds_period_hours(p, &h0, &h1);
	int rc = ds_store_scan_range(st, by | (f ? f->dims : 0), h0, h1, 0, 1, rank_cb, &r);
	size_t k = 0; /* the keys counted: count them, then read them off in order */
	for (size_t hi = 0; hi < RANK_BLOCKS && rc == 0; hi++)
		for (size_t lo = 0; r.block[hi] && lo < (size_t)1 << RANK_BLOCK_BITS; lo++)
			k += r.block[hi][lo] != 0;
	struct sortent *e = rc == 0 ? malloc((k ? k : 1) * sizeof *e) : NULL;
	if (rc == 0 && !e)
		rc = ds_fail(DS_E_NOMEM, "out of memory");
	*total = 0;
	for (size_t hi = 0, at = 0; hi < RANK_BLOCKS && rc == 0; hi++)
		for (size_t lo = 0; r.block[hi] && lo < (size_t)1 << RANK_BLOCK_BITS; lo++) {
			uint64_t c = r.block[hi][lo];
			if (!c)
				continue;
			uint64_t v = (uint64_t)hi << RANK_BLOCK_BITS | lo;
			e[at++] = (struct sortent){v << r.shift, c};
			*total += c;
		}
	for (size_t hi = 0; hi < RANK_BLOCKS; hi++)
		free(r.block[hi]);
	if (rc == 0 && k > 1) /* e is in key order */
		rc = by == DS_DIM_SENSOR ? sort_sensors(e, k, kt, ktctx) : sort_natural(e, k);
	if (rc < 0) {
		free(e);
		return rc;
	}
	*ents = e;
	*n = k;
	return 0;
}

/* Distinct sources of the chosen rows (pass 2) and of the whole filtered
 * period (the mask of the filter alone). */
static int sources(struct ds_store *st, unsigned by, const struct ds_period *p,
                   const struct ds_filter *f, struct ds_top *out)
{
	struct ds_keymap chosen = {0};
	struct topctx t = {.by = by, .f = f, .with_sources = 1, .only = &chosen};
	struct topctx all = {.by = 0, .f = f, .with_sources = 1};
	int32_t h0, h1;
	int rc = 0;
	ds_period_hours(p, &h0, &h1);
	for (size_t i = 0; i < out->n && rc == 0; i++)
		if (!ds_keymap_get(&chosen, out->rows[i].key))
			rc = ds_fail(DS_E_NOMEM, "out of memory");
	if (rc == 0)
		rc = ds_store_scan_range(st, by | (f ? f->dims : 0), h0, h1, 1, 1, top_cb, &t);
	if (rc == 0)
		rc = ds_store_scan_range(st, f ? f->dims : 0, h0, h1, 1, 1, top_cb, &all);
	for (size_t i = 0; rc == 0 && i < out->n; i++) {
		const struct ds_keyacc *a = ds_keymap_find(&chosen, out->rows[i].key);
		uint64_t c = ds_sketch_count(&a->sk);
		/* an estimate above the packets is impossible: clamp it */
		out->rows[i].sources = c < out->rows[i].packets ? c : out->rows[i].packets;
	}
	if (rc == 0 && all.m.n) {
		uint64_t c = ds_sketch_count(&all.m.v[0].sk);
		out->total_sources = c < out->total_packets ? c : out->total_packets;
	}
	ds_keymap_free(&chosen);
	ds_keymap_free(&all.m);
	return rc;
}

int ds_top(struct ds_store *st, unsigned by, const struct ds_period *p, const struct ds_filter *f,
           size_t limit, int with_sources, ds_keytext_fn kt, void *ktctx, struct ds_top *out)
{
	struct sortent *e = NULL;
	size_t n = 0;
	memset(out, 0, sizeof *out);
	int rc = rank(st, by, p, f, kt, ktctx, &e, &n, &out->total_packets);
	if (rc < 0)
		return rc;
	size_t k = limit && limit < n ? limit : n;
	out->rows = calloc(k ? k : 1, sizeof *out->rows);
	if (!out->rows) {
		free(e);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < k; i++)
		out->rows[i] = (struct ds_top_row){
		        .key = e[i].key, .packets = e[i].packets, .rank = (unsigned)i + 1};
	out->n = k;
	out->nkeys = n;
	free(e);
	if (with_sources && (rc = sources(st, by, p, f, out)) < 0)
		ds_top_free(out);
	return rc;
}

int ds_top_previous(struct ds_store *st, unsigned by, const struct ds_period *prev,
                    const struct ds_filter *f, ds_keytext_fn kt, void *ktctx, struct ds_top *t)
{
	struct sortent *e = NULL;
	size_t n = 0;
	uint64_t total;
	int rc = rank(st, by, prev, f, kt, ktctx, &e, &n, &total);
	if (rc < 0)
		return rc;
	/* the rows shown, key -> row: the ranking is walked once */
	struct ds_keymap shown = {0};
	for (size_t i = 0; i < t->n && rc == 0; i++) {
		struct ds_keyacc *a = ds_keymap_get(&shown, t->rows[i].key);
		if (!a)
			rc = ds_fail(DS_E_NOMEM, "out of memory");
		else
			a->packets = i;
		t->rows[i].prev_rank = 0;
	}
	for (size_t j = 0; j < n && rc == 0; j++) {
		const struct ds_keyacc *a = ds_keymap_find(&shown, e[j].key);
		if (a)
			t->rows[a->packets].prev_rank = (long)j + 1;
	}
	ds_keymap_free(&shown);
	free(e);
	return rc;
}

void ds_top_free(struct ds_top *t)
{
	free(t->rows);
	memset(t, 0, sizeof *t);
}

/* ---- series ---- */

static int64_t week_of(int64_t day)
{
	return ds_floordiv(day + 3, 7); /* weeks start on Monday; day 0 was a Thursday */
}

struct serctx {
	struct ds_series *s;
	unsigned by;
	const struct ds_filter *f;
	int32_t h0;
	int tz;
	int64_t day0;
};

static long bucket_of(const struct serctx *c, int32_t hour)
{
	int64_t day = ds_floordiv((int64_t)hour + c->tz, 24);
	switch (c->s->step) {
	case DS_STEP_HOUR: return hour - c->h0;
	case DS_STEP_DAY: return (long)(day - c->day0);
	default: return (long)(week_of(day) - week_of(c->day0));
	}
}

static int series_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct serctx *c = ctx;
	long b = bucket_of(c, hour);
	if (b < 0 || (size_t)b >= c->s->npoints)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!ds_filter_match(c->f, rows[i].key))
			continue;
		uint64_t k = ds_key_mask(rows[i].key, c->by);
		for (size_t j = 0; j < c->s->nkeys; j++)
			if (c->s->keys[j] == k) {
				c->s->vals[j * c->s->npoints + (size_t)b] += rows[i].packets;
				break;
			}
	}
	return 0;
}

int ds_series(struct ds_store *st, unsigned by, const struct ds_period *p,
              const struct ds_filter *f, const uint64_t *keys, size_t nkeys, size_t top,
              enum ds_step step, ds_keytext_fn kt, void *ktctx, struct ds_series *out)
{
	memset(out, 0, sizeof *out);
	out->step = step;
	int rc = 0;
	if (nkeys == 0) {
		struct ds_top t;
		if ((rc = ds_top(st, by, p, f, top ? top : 5, 0, kt, ktctx, &t)) < 0)
			return rc;
		out->keys = calloc(t.n ? t.n : 1, sizeof *out->keys);
		for (size_t i = 0; out->keys && i < t.n; i++)
			out->keys[i] = t.rows[i].key;
		out->nkeys = t.n;
		ds_top_free(&t);
	} else {
		out->keys = malloc(nkeys * sizeof *out->keys);
		for (size_t i = 0; out->keys && i < nkeys; i++)
			out->keys[i] = ds_key_mask(keys[i], by);
		out->nkeys = nkeys;
	}
	int32_t h0, h1;
	ds_period_hours(p, &h0, &h1);
	if (step == DS_STEP_HOUR)
		out->npoints = (size_t)(h1 - h0);
	else if (step == DS_STEP_DAY)
		out->npoints = (size_t)(p->day1 - p->day0 + 1);
	else
		out->npoints = (size_t)(week_of(p->day1) - week_of(p->day0) + 1);
	out->starts = malloc(out->npoints * sizeof *out->starts);
	out->vals = calloc(out->nkeys * out->npoints + 1, sizeof *out->vals);
	if (!out->keys || !out->starts || !out->vals) {
		ds_series_free(out);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < out->npoints; i++) {
		if (step == DS_STEP_HOUR)
			out->starts[i] = h0 + (int64_t)i;
		else if (step == DS_STEP_DAY)
			out->starts[i] = p->day0 + (int64_t)i;
		else {
			int64_t monday = (week_of(p->day0) + (int64_t)i) * 7 - 3;
			out->starts[i] = monday < p->day0 ? p->day0 : monday;
		}
	}
	struct serctx c = {.s = out, .by = by, .f = f, .h0 = h0, .tz = p->tz, .day0 = p->day0};
	if (out->nkeys)
		rc = ds_store_scan_range(st, by | (f ? f->dims : 0), h0, h1, 0,
		                         step != DS_STEP_HOUR && p->tz == 0, series_cb, &c);
	if (rc < 0)
		ds_series_free(out);
	return rc;
}

void ds_series_free(struct ds_series *s)
{
	free(s->keys);
	free(s->starts);
	free(s->vals);
	memset(s, 0, sizeof *s);
}
