/* query.c - top-N and series over hourly store segments. */
#include "darkscope/analyse.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"

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

static int matches(const struct ds_filter *f, uint64_t key)
{
	return !f || !f->dims || ds_key_mask(key, f->dims) == ds_key_mask(f->key, f->dims);
}

/* key -> accumulator index, open addressing. */
struct acc {
	uint64_t key;
	uint64_t packets;
	struct ds_sketch sk;
};

struct accmap {
	struct acc *v;
	size_t n, cap;      /* entries in v */
	uint32_t *slots;    /* index+1, 0 = empty */
	size_t nslots;
};

static size_t hkey(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k;
}

static struct acc *acc_get(struct accmap *m, uint64_t key)
{
	if ((m->n + 1) * 2 > m->nslots) {
		size_t ns = m->nslots ? m->nslots * 2 : 1024;
		uint32_t *sl = calloc(ns, sizeof *sl);
		if (!sl)
			return NULL;
		for (size_t i = 0; i < m->n; i++) {
			size_t j = hkey(m->v[i].key) & (ns - 1);
			while (sl[j])
				j = (j + 1) & (ns - 1);
			sl[j] = (uint32_t)i + 1;
		}
		free(m->slots);
		m->slots = sl;
		m->nslots = ns;
	}
	size_t j = hkey(key) & (m->nslots - 1);
	for (; m->slots[j]; j = (j + 1) & (m->nslots - 1))
		if (m->v[m->slots[j] - 1].key == key)
			return &m->v[m->slots[j] - 1];
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 256;
		struct acc *nv = realloc(m->v, nc * sizeof *nv);
		if (!nv)
			return NULL;
		m->v = nv;
		m->cap = nc;
	}
	struct acc *a = &m->v[m->n];
	memset(a, 0, sizeof *a);
	a->key = key;
	m->slots[j] = (uint32_t)++m->n;
	return a;
}

static void acc_free(struct accmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		ds_sketch_free(&m->v[i].sk);
	free(m->v);
	free(m->slots);
	memset(m, 0, sizeof *m);
}

struct topctx {
	struct accmap m;
	unsigned by;
	const struct ds_filter *f;
	int with_sources;
};

static int top_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct topctx *t = ctx;
	(void)hour;
	for (size_t i = 0; i < n; i++) {
		if (!matches(t->f, rows[i].key))
			continue;
		struct acc *a = acc_get(&t->m, ds_key_mask(rows[i].key, t->by));
		if (!a)
			return ds_fail(DS_E_NOMEM, "out of memory");
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

struct sortent {
	uint64_t key, packets, sources;
	char text[48];
};

static int by_packets(const void *x, const void *y)
{
	const struct sortent *a = x, *b = y;
	if (a->packets != b->packets)
		return a->packets > b->packets ? -1 : 1;
	return strcmp(a->text, b->text);
}

/* Scan and rank; *ents sorted, owned by the caller. */
static int rank(struct ds_store *st, unsigned by, const struct ds_period *p,
		const struct ds_filter *f, int with_sources, ds_keytext_fn kt, void *ktctx,
		struct sortent **ents, size_t *n)
{
	struct topctx t = {.by = by, .f = f, .with_sources = with_sources};
	int32_t h0, h1;
	ds_period_hours(p, &h0, &h1);
	int rc = st->ops->scan(st, by | (f ? f->dims : 0), h0, h1, top_cb, &t);
	if (rc < 0)
		goto out;
	struct sortent *e = calloc(t.m.n ? t.m.n : 1, sizeof *e);
	if (!e) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t.m.n; i++) {
		e[i].key = t.m.v[i].key;
		e[i].packets = t.m.v[i].packets;
		e[i].sources = with_sources ? ds_sketch_count(&t.m.v[i].sk) : 0;
		kt(ktctx, by, e[i].key, e[i].text, sizeof e[i].text);
	}
	qsort(e, t.m.n, sizeof *e, by_packets);
	*ents = e;
	*n = t.m.n;
out:
	acc_free(&t.m);
	return rc;
}

/* Total packets and sources of the filtered period (mask = filter dims). */
static int totals(struct ds_store *st, const struct ds_period *p, const struct ds_filter *f,
		  int with_sources, uint64_t *packets, uint64_t *sources)
{
	struct topctx t = {.by = 0, .f = f, .with_sources = with_sources};
	int32_t h0, h1;
	ds_period_hours(p, &h0, &h1);
	int rc = st->ops->scan(st, f ? f->dims : 0, h0, h1, top_cb, &t);
	*packets = t.m.n ? t.m.v[0].packets : 0;
	*sources = t.m.n ? ds_sketch_count(&t.m.v[0].sk) : 0;
	acc_free(&t.m);
	return rc;
}

int ds_top(struct ds_store *st, unsigned by, const struct ds_period *p, const struct ds_filter *f,
	   size_t limit, int with_sources, ds_keytext_fn kt, void *ktctx, struct ds_top *out)
{
	struct sortent *e = NULL;
	size_t n = 0;
	memset(out, 0, sizeof *out);
	int rc = rank(st, by, p, f, with_sources, kt, ktctx, &e, &n);
	if (rc == 0)
		rc = totals(st, p, f, with_sources, &out->total_packets, &out->total_sources);
	if (rc < 0) {
		free(e);
		return rc;
	}
	size_t k = limit && limit < n ? limit : n;
	out->rows = calloc(k ? k : 1, sizeof *out->rows);
	if (!out->rows) {
		free(e);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < k; i++)
		out->rows[i] = (struct ds_top_row){.key = e[i].key, .packets = e[i].packets,
						   .sources = e[i].sources, .rank = (unsigned)i + 1};
	out->n = k;
	out->nkeys = n;
	free(e);
	return 0;
}

int ds_top_previous(struct ds_store *st, unsigned by, const struct ds_period *prev,
		    const struct ds_filter *f, ds_keytext_fn kt, void *ktctx, struct ds_top *t)
{
	struct sortent *e = NULL;
	size_t n = 0;
	int rc = rank(st, by, prev, f, 0, kt, ktctx, &e, &n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < t->n; i++) {
		t->rows[i].prev_rank = 0;
		for (size_t j = 0; j < n; j++)
			if (e[j].key == t->rows[i].key) {
				t->rows[i].prev_rank = (long)j + 1;
				break;
			}
	}
	free(e);
	return 0;
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
		if (!matches(c->f, rows[i].key))
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
		rc = st->ops->scan(st, by | (f ? f->dims : 0), h0, h1, series_cb, &c);
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
