/* events.c - rises and falls against a robust weekly-aware baseline. */
#include "darkscope/events.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/keymap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WINDOW  365
#define MIN_HISTORY 7

static int dow(int64_t day) /* Monday = 0; day 0 (1970-01-01) was a Thursday */
{
	return (int)(((day % 7) + 7 + 3) % 7);
}

static void isort(double *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		double x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static double median(double *v, size_t n) /* sorts v */
{
	if (!n)
		return 0;
	isort(v, n);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void ds_events_weekdays(const double *total, const unsigned char *valid, size_t n, int64_t day0,
                        double wf[7])
{
	double r[7][64], tmp[7];
	size_t nr[7] = {0};
	for (int d = 0; d < 7; d++)
		wf[d] = 1;
	if (n < 21)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!valid[i])
			continue;
		size_t k = 0;
		for (size_t j = i < 3 ? 0 : i - 3; j < n && j <= i + 3; j++)
			if (valid[j])
				tmp[k++] = total[j];
		double m = median(tmp, k);
		int d = dow(day0 + (int64_t)i);
		if (m > 0 && nr[d] < 64)
			r[d][nr[d]++] = total[i] / m;
	}
	double sum = 0;
	for (int d = 0; d < 7; d++) {
		if (nr[d] < 3)
			return; /* too little to say: no rhythm */
		wf[d] = median(r[d], nr[d]);
		wf[d] = wf[d] < 0.2 ? 0.2 : wf[d] > 5 ? 5 : wf[d];
		sum += wf[d];
	}
	for (int d = 0; d < 7; d++)
		wf[d] *= 7 / sum;
}

/* Median and spread of the `window` cleaned values before t; at the start of
 * the data, of the first `window` deseasonalised values. */
static void baseline_at(const double *hist, const double *y, const unsigned char *valid, size_t n,
                        size_t t, int window, double *med, double *sig)
{
	double v[MAX_WINDOW + 1], dev[MAX_WINDOW + 1];
	size_t k = 0;
	for (size_t j = t > (size_t)window ? t - (size_t)window : 0; j < t; j++)
		if (valid[j])
			v[k++] = hist[j];
	if (k < MIN_HISTORY) {
		k = 0;
		for (size_t j = 0; j < n && j < (size_t)window; j++)
			if (valid[j] && j != t)
				v[k++] = y[j];
	}
	*med = median(v, k);
	for (size_t j = 0; j < k; j++)
		dev[j] = fabs(v[j] - *med);
	double mad = 1.4826 * median(dev, k);
	double s = mad;
	if (s < sqrt(*med)) /* counts are at least Poisson-noisy */
		s = sqrt(*med);
	if (s < 0.05 * *med)
		s = 0.05 * *med;
	*sig = s < 1 ? 1 : s;
}

long ds_events_detect(const double *x, const double *total, const unsigned char *valid, size_t n,
                      int64_t day0, const double wf[7], const struct ds_event_opts *o, double *base,
                      struct ds_ev_detect *out, size_t cap)
{
	double *hist = malloc((n + 1) * sizeof *hist), *y = malloc((n + 1) * sizeof *y);
	if (!hist || !y) {
		free(hist);
		free(y);
		return -DS_E_NOMEM;
	}
	int window = o->window > MAX_WINDOW ? MAX_WINDOW : o->window;
	for (size_t t = 0; t < n; t++)
		y[t] = x[t] / wf[dow(day0 + (int64_t)t)];
	size_t nd = 0;
	int in = 0, gap = 0;
	double med_e = 0, sig_e = 1, half = 1 + (o->factor - 1) / 2;
	struct ds_ev_detect cur = {0};
	for (size_t t = 0; t < n; t++) {
		double w = wf[dow(day0 + (int64_t)t)], med, sig;
		if (in) {
			med = med_e, sig = sig_e;
		} else {
			baseline_at(hist, y, valid, n, t, window, &med, &sig);
		}
		base[t] = med * w;
		hist[t] = y[t];
		if (!valid[t]) {
			hist[t] = med;
			continue;
		}
		double z = (y[t] - med) / sig, ex = x[t] - base[t];
		double minex = o->min_share * total[t];
		if (minex < 10)
			minex = 10;
		if (!in) {
			int up = z >= o->threshold && y[t] >= o->factor * med && ex >= minex;
			int down = z <= -o->threshold && y[t] * o->factor <= med && -ex >= minex;
			if (!up && !down)
				continue;
			in = 1, gap = 0, med_e = med, sig_e = sig;
			cur = (struct ds_ev_detect){
			        .rise = up, .start = t, .peak = t, .end = t, .z = z};
			hist[t] = med;
			continue;
		}
		int cont = cur.rise ? z >= o->threshold / 2 && y[t] >= half * med
		                    : z <= -o->threshold / 2 && y[t] * half <= med;
		if (cont) {
			gap = 0;
			cur.end = t;
			hist[t] = med;
			if (fabs(ex) > fabs(x[cur.peak] - base[cur.peak]))
				cur.peak = t, cur.z = z;
		} else if (++gap >= 2) {
			in = 0;
			/* a fall must last: one quiet day is noise or an outage */
			if (nd < cap && (cur.rise || cur.end > cur.start))
				out[nd++] = cur;
		}
	}
	if (in && nd < cap) {
		cur.ongoing = cur.end == n - 1;
		if (cur.rise || cur.end > cur.start || cur.ongoing)
			out[nd++] = cur;
	}
	for (size_t i = 0; i < nd; i++) {
		struct ds_ev_detect *d = &out[i];
		d->excess = d->expected = 0;
		for (size_t t = d->start; t <= d->end; t++)
			if (valid[t]) {
				d->excess += x[t] - base[t];
				d->expected += base[t];
			}
		d->factor = (x[d->peak] + 1) / (base[d->peak] + 1);
	}
	free(hist);
	free(y);
	return (long)nd;
}

/* ---- reading daily series from the store ---- */

struct dayscan {
	unsigned dims; /* dimensions kept in the key */
	const struct ds_filter *f;
	int tz;
	int64_t day0;
	size_t ndays;
	struct ds_keymap m; /* pass 1: packets per key */
	const long *slot;   /* pass 2: m's entry -> row of vals, -1 = not kept */
	double *vals;       /* pass 2: rows of ndays */
	/* sketches of the rows matching `want` on days [s0, s1) and [s1, s2) */
	int (*want)(void *wctx, uint64_t key);
	void *wctx;
	int64_t s0, s1, s2;
	struct ds_sketch before, during;
};

static long day_of(const struct dayscan *c, int32_t hour)
{
	return (long)(ds_floordiv((int64_t)hour + c->tz, 24) - c->day0);
}

static int totals_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct dayscan *c = ctx;
	long d = day_of(c, hour);
	if (d < 0 || (size_t)d >= c->ndays)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!ds_filter_match(c->f, rows[i].key))
			continue;
		struct ds_keyacc *a = ds_keymap_get(&c->m, ds_key_mask(rows[i].key, c->dims));
		if (!a)
			return ds_fail(DS_E_NOMEM, "out of memory");
		a->packets += rows[i].packets;
	}
	return 0;
}

static int fill_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct dayscan *c = ctx;
	long d = day_of(c, hour);
	if (d < 0 || (size_t)d >= c->ndays)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!ds_filter_match(c->f, rows[i].key))
			continue;
		const struct ds_keyacc *a =
		        ds_keymap_find(&c->m, ds_key_mask(rows[i].key, c->dims));
		long s = a ? c->slot[a - c->m.v] : -1;
		if (s >= 0)
			c->vals[(size_t)s * c->ndays + (size_t)d] += (double)rows[i].packets;
	}
	return 0;
}

static int sketch_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct dayscan *c = ctx;
	int64_t d = ds_floordiv((int64_t)hour + c->tz, 24);
	if (d < c->s0 || d >= c->s2)
		return 0;
	struct ds_sketch *sk = d < c->s1 ? &c->before : &c->during;
	for (size_t i = 0; i < n; i++) {
		if (!ds_filter_match(c->f, rows[i].key) || !c->want(c->wctx, rows[i].key))
			continue;
		const uint8_t *p = rows[i].enc;
		if (ds_sketch_merge_enc(sk, &p, rows[i].enc + rows[i].enclen) < 0)
			return ds_fail(DS_E_STORE, "corrupt sketch in hour %d", hour);
	}
	return 0;
}

struct ctx {
	struct ds_store *st;
	const struct ds_period *p;
	const struct ds_filter *f;
	const struct ds_event_opts *o;
	int32_t h0, h1; /* the analysed hours */
	int use_days;
	int64_t day0;
	size_t ndays, pstart; /* pstart: index of the period's first day */
	double *total;
	unsigned char *valid;
	double wf[7];
	uint64_t unattributed; /* its sensor key; UINT64_MAX when none */
	unsigned reporting;    /* sensors with packets in the period */
};

static int scan(struct ctx *c, unsigned dims, int with_sketches, ds_scan_fn fn, void *arg)
{
	return ds_store_scan_range(c->st, dims | (c->f ? c->f->dims : 0), c->h0, c->h1,
	                           with_sketches, c->use_days, fn, arg);
}

/* Daily packets of every key of dims with at least min_total packets:
 * *keys (nk) and *vals (nk x ndays).  Keys not matching keep(kctx, key) are skipped. */
static int matrix(struct ctx *c, unsigned dims, double min_total, int (*keep)(void *, uint64_t),
                  void *kctx, uint64_t **keys, double **vals, size_t *nk)
{
	struct dayscan s = {
	        .dims = dims, .f = c->f, .tz = c->p->tz, .day0 = c->day0, .ndays = c->ndays};
	long *slot = NULL;
	*keys = NULL, *vals = NULL, *nk = 0;
	int rc = scan(c, dims, 0, totals_cb, &s);
	if (rc == 0 && !(slot = malloc((s.m.n + 1) * sizeof *slot)))
		rc = ds_fail(DS_E_NOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; rc == 0 && i < s.m.n; i++) {
		int ok = (double)s.m.v[i].packets >= min_total &&
		         (!keep || keep(kctx, s.m.v[i].key));
		slot[i] = ok ? (long)k++ : -1;
	}
	if (rc == 0 && (!(*keys = malloc((k + 1) * sizeof **keys)) ||
	                !(*vals = calloc(k * c->ndays + 1, sizeof **vals))))
		rc = ds_fail(DS_E_NOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < s.m.n; i++)
		if (slot[i] >= 0)
			(*keys)[slot[i]] = s.m.v[i].key;
	s.slot = slot;
	s.vals = *vals;
	if (rc == 0 && k)
		rc = scan(c, dims, 0, fill_cb, &s);
	*nk = k;
	free(slot);
	ds_keymap_free(&s.m);
	if (rc < 0) {
		free(*keys);
		free(*vals);
		*keys = NULL, *vals = NULL, *nk = 0;
	}
	return rc;
}

/* ---- detections, grouping and findings ---- */

struct det {
	unsigned dims;
	uint64_t key;
	struct ds_ev_detect d;
	size_t row; /* in its matrix */
	int group;
};

struct mat {
	unsigned dims;
	uint64_t *keys;
	double *vals;
	size_t n;
};

static int overlap(const struct det *a, const struct det *b)
{
	return a->d.rise == b->d.rise && a->d.start <= b->d.end + 1 && b->d.start <= a->d.end + 1;
}

static int related(const struct det *a, const struct det *b)
{
	if (!overlap(a, b))
		return 0;
	if ((a->dims & DS_DIM_PORT) && (b->dims & DS_DIM_PORT))
		return ds_key_port(a->key) == ds_key_port(b->key) &&
		       (ds_key_proto(a->key) == 1 || ds_key_proto(a->key) == 58) ==
		               (ds_key_proto(b->key) == 1 || ds_key_proto(b->key) == 58);
	/* a region's rise explained (in good part) by a port within it */
	const struct det *r = a->dims == DS_DIM_CC ? a : b, *o = r == a ? b : a;
	return r->dims == DS_DIM_CC && o->dims == (DS_DIM_PORT | DS_DIM_CC) &&
	       ds_key_cc(r->key) == ds_key_cc(o->key) &&
	       fabs(o->d.excess) >= 0.3 * fabs(r->d.excess);
}

static int find_root(int *parent, int i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

static int scope_rank(unsigned dims) /* which detection speaks for a group */
{
	return dims == DS_DIM_PORT ? 0 : dims == DS_DIM_CC ? 1 : 2;
}

struct keyset {
	const uint64_t *keys;
	size_t n;
	unsigned dims;
};

static int in_keyset(void *ctx, uint64_t key)
{
	const struct keyset *k = ctx;
	uint64_t m = ds_key_mask(key, k->dims);
	for (size_t i = 0; i < k->n; i++)
		if (k->keys[i] == m)
			return 1;
	return 0;
}

static int by_excess(const void *x, const void *y)
{
	const struct ds_ev_share *a = x, *b = y;
	if (a->excess != b->excess)
		return a->excess > b->excess ? -1 : 1;
	return a->key < b->key ? -1 : a->key > b->key;
}

/* Median deseasonalised level of x over the window before [s0, s1], or
 * (early in the data) over the days after it too.  tmp: ndays scratch. */
static double level_outside(const struct ctx *c, const double *x, size_t s0, size_t s1, double *tmp)
{
	size_t k = 0, w = (size_t)c->o->window;
	for (size_t t = s0 > w ? s0 - w : 0; t < s0; t++)
		if (c->valid[t])
			tmp[k++] = x[t] / c->wf[dow(c->day0 + (int64_t)t)];
	for (size_t t = s1 + 1; k < MIN_HISTORY && t < c->ndays && t <= s1 + w; t++)
		if (c->valid[t])
			tmp[k++] = x[t] / c->wf[dow(c->day0 + (int64_t)t)];
	return median(tmp, k);
}

/* Excess of the event's days over each one's own baseline, per value of
 * dimension `by`, for rows of the finding's keys: sorted, largest first. */
static int breakdown(struct ctx *c, const struct ds_event *e, unsigned by, struct ds_ev_share **out,
                     size_t *nout, unsigned *rising)
{
	struct keyset ks = {e->keys, e->nkeys, e->dims};
	uint64_t *keys = NULL;
	double *vals = NULL;
	size_t nk = 0;
	*out = NULL, *nout = 0;
	int rc = matrix(c, e->dims | by, 1, in_keyset, &ks, &keys, &vals, &nk);
	struct ds_ev_share *sh = calloc(nk + 1, sizeof *sh);
	double *base = malloc((c->ndays + 1) * sizeof *base);
	double *gotv = calloc(nk + 1, sizeof *gotv), *expv = calloc(nk + 1, sizeof *expv);
	if (rc == 0 && (!sh || !base || !gotv || !expv))
		rc = ds_fail(DS_E_NOMEM, "out of memory");
	/* the same value over several keys (12543/tcp and /udp) adds up: agg
	 * numbers the values, gotv/expv sum their packets and expected packets */
	struct ds_keymap agg = {0};
	size_t s0 = (size_t)(e->start - c->day0), s1 = (size_t)(e->end - c->day0);
	for (size_t i = 0; rc == 0 && i < nk; i++) {
		if (by == DS_DIM_SENSOR && ds_key_mask(keys[i], by) == c->unattributed)
			continue; /* no sensor: not part of breadth */
		double *x = vals + i * c->ndays, exp = 0, got = 0;
		/* this key's own level before the event, carried over its days */
		double med_before = level_outside(c, x, s0, s1, base);
		for (size_t t = s0; t <= s1; t++) {
			exp += med_before * c->wf[dow(c->day0 + (int64_t)t)];
			got += x[t];
		}
		struct ds_keyacc *a = ds_keymap_get(&agg, ds_key_mask(keys[i], by));
		if (!a) {
			rc = ds_fail(DS_E_NOMEM, "out of memory");
			break;
		}
		size_t idx = (size_t)(a - agg.v);
		gotv[idx] += got;
		expv[idx] += exp;
	}
	double pos = 0;
	size_t n = agg.n;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		double got = gotv[i], exp = expv[i];
		sh[i].key = agg.v[i].key;
		sh[i].excess = (int64_t)llround(e->rise ? got - exp : exp - got);
		if (sh[i].excess > 0)
			pos += (double)sh[i].excess;
		if (rising && got > 0 &&
		    (e->rise ? got >= c->o->factor * exp : got * c->o->factor <= exp) &&
		    fabs(got - exp) >= 10)
			++*rising;
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		sh[i].share = sh[i].excess > 0 && pos > 0 ? (double)sh[i].excess / pos : 0;
	if (rc == 0) {
		qsort(sh, n, sizeof *sh, by_excess);
		*out = sh, *nout = n, sh = NULL;
	}
	ds_keymap_free(&agg);
	free(sh);
	free(base);
	free(gotv);
	free(expv);
	free(keys);
	free(vals);
	return rc;
}

static size_t copy_top(struct ds_ev_share *dst, const struct ds_ev_share *src, size_t n,
                       double upto)
{
	size_t k = 0;
	double cum = 0;
	for (size_t i = 0; i < n && k < DS_EV_MAX_SHARE && src[i].excess > 0; i++) {
		dst[k++] = src[i];
		cum += src[i].share;
		if (upto > 0 && cum >= upto)
			break;
	}
	return k;
}

static int want_keys(void *ctx, uint64_t key)
{
	return in_keyset(ctx, key);
}

/* Distinct sources during e and over as many days just before, and the
 * score of their change: the difference over the noise of two counts (their
 * sum, as for Poisson counts, plus the sketches' 0.81% standard error). */
static int sources(struct ctx *c, struct ds_event *e, struct ds_sketch *keep_before,
                   struct ds_sketch *keep_during)
{
	struct keyset ks = {e->keys, e->nkeys, e->dims};
	int64_t len = e->end - e->start + 1;
	struct dayscan s = {.f = c->f,
	                    .tz = c->p->tz,
	                    .want = want_keys,
	                    .wctx = &ks,
	                    .s0 = e->start - len,
	                    .s1 = e->start,
	                    .s2 = e->end + 1};
	int rc = scan(c, e->dims, 1, sketch_cb, &s);
	if (rc == 0) {
		e->sources = ds_sketch_count(&s.during);
		e->sources_before = s.s0 >= c->day0 ? ds_sketch_count(&s.before) : 0;
		e->excess_sources = (int64_t)e->sources - (int64_t)e->sources_before;
		double a = (double)e->sources, b = (double)e->sources_before, se = 0.0081;
		e->sources_z = s.s0 >= c->day0
		                       ? (a - b) / sqrt(a + b + 1 + se * se * (a * a + b * b))
		                       : NAN;
	}
	if (rc == 0 && keep_before && keep_during) {
		*keep_before = s.before, *keep_during = s.during;
		return 0;
	}
	ds_sketch_free(&s.before);
	ds_sketch_free(&s.during);
	return rc;
}

/* |a ∩ b| from the sketches: |a| + |b| - |a ∪ b| (never below 0). */
static double overlap_count(const struct ds_sketch *a, const struct ds_sketch *b)
{
	struct ds_sketch u = {0};
	double na = (double)ds_sketch_count(a), nb = (double)ds_sketch_count(b);
	if (ds_sketch_merge(&u, a) < 0 || ds_sketch_merge(&u, b) < 0) {
		ds_sketch_free(&u);
		return 0;
	}
	double x = na + nb - (double)ds_sketch_count(&u);
	ds_sketch_free(&u);
	return x > 0 ? x : 0;
}

/* A finding with the sketches of its sources, while findings are grouped. */
struct cand {
	struct ds_event e;
	struct ds_sketch before, during;
	int group; /* its detections' group */
};

/* Do a and b (rises at the same time, on different keys) come from the same
 * new sources?  The sources they share during, less those they already
 * shared just before, must be at least half the smaller one's new sources
 * (and those at least 30). */
static int same_sources(const struct cand *a, const struct cand *b)
{
	if (!a->e.rise || !b->e.rise || a->e.start > b->e.end + 1 || b->e.start > a->e.end + 1)
		return 0;
	double ea = (double)a->e.excess_sources, eb = (double)b->e.excess_sources;
	double least = ea < eb ? ea : eb;
	if (least < 30)
		return 0;
	double shared =
	        overlap_count(&a->during, &b->during) - overlap_count(&a->before, &b->before);
	return shared >= 0.5 * least;
}

/* Is e an event?  Its packets passed the detector; it must also bring (or
 * lose) sources, unless its packets alone are overwhelming (twice the
 * threshold): a rise carried by the sources already there is mostly one
 * busy scanner's sweep, which an analyst does not write up. */
static int convincing(const struct ctx *c, const struct ds_event *e)
{
	double zs = e->sources_z, t = c->o->source_threshold;
	if (t <= 0 || isnan(zs) || fabs(e->z) >= 2 * c->o->threshold)
		return 1;
	return e->rise ? zs >= t : zs <= -t;
}

static int enrich(struct ctx *c, struct ds_event *e, ds_keytext_fn kt, void *ktctx)
{
	struct ds_ev_share *sh;
	size_t n;
	unsigned rising = 0;
	int rc = breakdown(c, e, DS_DIM_SENSOR, &sh, &n, &rising);
	if (rc < 0)
		return rc;
	e->sensors_rising = rising;
	e->sensors_reporting = c->reporting;
	e->nsensors = copy_top(e->sensors, sh, n, 0.8);
	free(sh);
	unsigned need = (unsigned)ceil(c->o->broad_share * (double)e->sensors_reporting);
	e->broad = e->sensors_rising >= (need < 2 ? 2 : need);
	if (e->dims & DS_DIM_PORT) {
		if ((rc = breakdown(c, e, DS_DIM_CC, &sh, &n, NULL)) < 0)
			return rc;
		e->nregions = copy_top(e->regions, sh, n, 0);
		free(sh);
	} else {
		if ((rc = breakdown(c, e, DS_DIM_PORT, &sh, &n, NULL)) < 0)
			return rc;
		e->nports = copy_top(e->ports, sh, n, 0);
		free(sh);
		e->regions[0] = (struct ds_ev_share){
		        .key = e->keys[0],
		        .share = 1,
		        .excess = e->excess_packets < 0 ? -e->excess_packets : e->excess_packets};
		e->nregions = 1;
	}
	/* a readable, stable id: start, kind, first key, region */
	char a[48], r[48] = "", d[16];
	kt(ktctx, e->dims & DS_DIM_PORT ? DS_DIM_PORT : DS_DIM_CC, e->keys[0], a, sizeof a);
	if (e->dims == (DS_DIM_PORT | DS_DIM_CC))
		kt(ktctx, DS_DIM_CC, e->keys[0], r, sizeof r);
	ds_format_date(e->start, d);
	snprintf(e->id, sizeof e->id, "%s-%s%s%s%s", d, e->rise ? "" : "fall-", a, *r ? "@" : "",
	         r);
	for (char *p = e->id; *p; p++)
		if (*p == '/')
			*p = '-';
	return rc;
}

/* A region finding whose first port (30% of its excess or more) is itself a
 * finding at the same time is that port's rise seen from one region (the
 * port's own detection in that region was too small to link them): it joins
 * the port's finding. */
void ds_events_absorb_regions(struct ds_events *out)
{
	for (size_t i = 0; i < out->n;) {
		struct ds_event *r = &out->v[i], *into = NULL;
		if (r->dims == DS_DIM_CC && r->nports && r->ports[0].share >= 0.3)
			for (size_t j = 0; j < out->n && !into; j++) {
				struct ds_event *p = &out->v[j];
				if (j == i || p->dims != DS_DIM_PORT || p->rise != r->rise ||
				    p->start > r->end + 1 || r->start > p->end + 1)
					continue;
				for (size_t k = 0; k < p->nkeys; k++)
					if (p->keys[k] == ds_key_mask(r->ports[0].key, DS_DIM_PORT))
						into = p;
			}
		if (!into) {
			i++;
			continue;
		}
		into->members += r->members;
		free(r->series);
		free(r->baseline);
		out->v[i] = out->v[--out->n];
	}
}

static int by_significance(const void *x, const void *y)
{
	const struct ds_event *a = x, *b = y;
	int64_t ea = a->excess_packets < 0 ? -a->excess_packets : a->excess_packets;
	int64_t eb = b->excess_packets < 0 ? -b->excess_packets : b->excess_packets;
	if (ea != eb)
		return ea > eb ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* Turn group g's detections into one finding. */
static int finding(struct ctx *c, const struct det *dv, size_t nd, int g, const struct mat *mats,
                   struct ds_event *e)
{
	const struct det *main = NULL;
	for (size_t i = 0; i < nd; i++) {
		if (dv[i].group != g)
			continue;
		if (!main || scope_rank(dv[i].dims) < scope_rank(main->dims) ||
		    (scope_rank(dv[i].dims) == scope_rank(main->dims) &&
		     fabs(dv[i].d.excess) > fabs(main->d.excess)))
			main = &dv[i];
	}
	memset(e, 0, sizeof *e);
	e->rise = main->d.rise;
	e->dims = main->dims;
	e->series = calloc(c->ndays, sizeof *e->series);
	e->baseline = calloc(c->ndays, sizeof *e->baseline);
	double *base = malloc(c->ndays * sizeof *base);
	if (!e->series || !e->baseline || !base) {
		free(base);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	size_t s0 = SIZE_MAX, s1 = 0;
	/* the primary detections: the main one's scope (and region) */
	for (size_t i = 0; i < nd; i++) {
		const struct det *d = &dv[i];
		if (d->group != g)
			continue;
		e->members++;
		if (d->dims != main->dims ||
		    ((d->dims & DS_DIM_CC) && ds_key_cc(d->key) != ds_key_cc(main->key)))
			continue;
		if (e->nkeys < DS_EV_MAX_KEYS)
			e->keys[e->nkeys++] = d->key;
		s0 = d->d.start < s0 ? d->d.start : s0;
		s1 = d->d.end > s1 ? d->d.end : s1;
		e->ongoing |= d->d.ongoing;
	}
	/* one series for the finding: its keys summed, the baseline re-run */
	const struct mat *m = &mats[scope_rank(main->dims)];
	for (size_t i = 0; i < m->n; i++)
		for (size_t k = 0; k < e->nkeys; k++)
			if (m->keys[i] == e->keys[k])
				for (size_t t = 0; t < c->ndays; t++)
					e->series[t] += m->vals[i * c->ndays + t];
	struct ds_ev_detect d[16];
	long n = ds_events_detect(e->series, c->total, c->valid, c->ndays, c->day0, c->wf, c->o,
	                          base, d, 16);
	memcpy(e->baseline, base, c->ndays * sizeof *base);
	free(base);
	/* the summed series' own detection that covers the members' start */
	const struct ds_ev_detect *best = NULL;
	for (long i = 0; i < n; i++)
		if (d[i].rise == e->rise && d[i].start <= s1 && d[i].end >= s0)
			if (!best || fabs(d[i].excess) > fabs(best->excess))
				best = &d[i];
	if (best) {
		s0 = best->start < s0 ? best->start : s0;
		s1 = best->end > s1 ? best->end : s1;
		e->ongoing |= best->ongoing;
	}
	e->start = c->day0 + (int64_t)s0;
	e->end = c->day0 + (int64_t)s1;
	e->ongoing = e->ongoing && s1 == c->ndays - 1;
	size_t pk = s0;
	e->packets = 0;
	e->expected = 0;
	for (size_t t = s0; t <= s1; t++) {
		if (!c->valid[t])
			continue;
		e->packets += (uint64_t)e->series[t];
		e->expected += e->baseline[t];
		if (fabs(e->series[t] - e->baseline[t]) > fabs(e->series[pk] - e->baseline[pk]))
			pk = t;
	}
	e->peak = c->day0 + (int64_t)pk;
	e->factor = (e->series[pk] + 1) / (e->baseline[pk] + 1);
	e->z = best ? best->z : main->d.z;
	e->excess_packets = (int64_t)llround((double)e->packets - e->expected);
	return 0;
}

/* Which sensor key is "unattributed", and how many sensors reported. */
static int count_sensors(struct ctx *c, ds_keytext_fn kt, void *ktctx)
{
	uint64_t *keys;
	double *vals;
	size_t n;
	int rc = matrix(c, DS_DIM_SENSOR, 1, NULL, NULL, &keys, &vals, &n);
	if (rc < 0)
		return rc;
	c->unattributed = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		char name[128];
		kt(ktctx, DS_DIM_SENSOR, keys[i], name, sizeof name);
		if (strcmp(name, "unattributed") == 0) {
			c->unattributed = keys[i];
			continue;
		}
		double sum = 0;
		for (size_t t = c->pstart; t < c->ndays; t++)
			sum += vals[i * c->ndays + t];
		c->reporting += sum > 0;
	}
	free(keys);
	free(vals);
	return 0;
}

/* The findings of the groups of detections (ng of them) into v[0..*nv):
 * groups whose findings rise at the same time from the same new sources
 * (one campaign on two unrelated ports: 23/tcp and 2323/tcp from the same
 * bots) are joined first, dv[].group updated, and their finding made anew. */
static int find_all(struct ctx *c, struct det *dv, size_t nd, size_t ng, const struct mat *mats,
                    struct ds_event *v, size_t *nv)
{
	struct cand *cv = calloc(ng + 1, sizeof *cv);
	int *parent = malloc((ng + 1) * sizeof *parent);
	size_t *size = calloc(ng + 1, sizeof *size);
	size_t n = 0;
	int rc = cv && parent && size ? 0 : ds_fail(DS_E_NOMEM, "out of memory");
	*nv = 0;
	for (size_t i = 0; i < nd && rc == 0; i++) {
		if (dv[i].group != (int)i)
			continue;
		struct cand *x = &cv[n++];
		x->group = (int)i;
		if ((rc = finding(c, dv, nd, (int)i, mats, &x->e)) == 0)
			rc = sources(c, &x->e, &x->before, &x->during);
	}
	for (size_t i = 0; i < n; i++)
		parent[i] = (int)i;
	for (size_t i = 0; i < n && rc == 0; i++)
		for (size_t j = i + 1; j < n; j++)
			if (find_root(parent, (int)i) != find_root(parent, (int)j) &&
			    same_sources(&cv[i], &cv[j]))
				parent[find_root(parent, (int)i)] = find_root(parent, (int)j);
	for (size_t i = 0; i < n; i++)
		size[find_root(parent, (int)i)]++;
	for (size_t i = 0; i < n && rc == 0; i++) { /* a joined group's detections */
		int to = cv[find_root(parent, (int)i)].group;
		if (to != cv[i].group)
			for (size_t k = 0; k < nd; k++)
				if (dv[k].group == cv[i].group)
					dv[k].group = to;
	}
	for (size_t i = 0; i < n; i++) {
		int r = find_root(parent, (int)i);
		if (rc == 0 && size[r] == 1) { /* alone: its finding stands */
			v[(*nv)++] = cv[i].e;
			cv[i].e.series = cv[i].e.baseline = NULL;
		} else if (rc == 0 && (size_t)r == i) { /* joined: made anew */
			struct ds_event *e = &v[(*nv)++];
			if ((rc = finding(c, dv, nd, cv[i].group, mats, e)) == 0)
				rc = sources(c, e, NULL, NULL);
		}
		free(cv[i].e.series);
		free(cv[i].e.baseline);
		ds_sketch_free(&cv[i].before);
		ds_sketch_free(&cv[i].during);
	}
	free(cv);
	free(parent);
	free(size);
	return rc;
}

int ds_events_find(struct ds_store *st, const struct ds_period *p, const struct ds_filter *f,
                   const struct ds_event_opts *o, ds_keytext_fn kt, void *ktctx,
                   struct ds_events *out)
{
	memset(out, 0, sizeof *out);
	struct ctx c = {.st = st, .p = p, .f = f, .o = o};
	int32_t first, last;
	int rc = st->ops->span(st, &first, &last);
	if (rc < 0)
		return rc;
	if (first == 0 && last == 0)
		return 0; /* empty store */
	int64_t fday = ds_floordiv((int64_t)first + p->tz, 24);
	int64_t lday = ds_floordiv((int64_t)last + p->tz, 24);
	int64_t a0 = p->day0 - o->window, a1 = p->day1 < lday ? p->day1 : lday;
	if (a0 < fday)
		a0 = fday;
	if (a0 > p->day0)
		a0 = p->day0;
	out->pday0 = p->day0;
	if (a1 < p->day0)
		return 0; /* no data in the period */
	c.day0 = a0;
	c.ndays = (size_t)(a1 - a0 + 1);
	c.pstart = (size_t)(p->day0 - a0);
	c.h0 = (int32_t)(a0 * 24 - p->tz);
	c.h1 = (int32_t)((a1 + 1) * 24 - p->tz);
	c.use_days = p->tz == 0;
	out->day0 = c.day0;
	out->ndays = c.ndays;

	struct mat mats[3] = {
	        {.dims = DS_DIM_PORT}, {.dims = DS_DIM_CC}, {.dims = DS_DIM_PORT | DS_DIM_CC}};
	struct det *dv = NULL;
	size_t nd = 0, capd = 0;
	int *parent = NULL;
	uint64_t *tk = NULL;
	double *tv = NULL;
	size_t tn = 0;
	/* all traffic per day: which days have data, and the weekly rhythm */
	if ((rc = matrix(&c, 0, 0, NULL, NULL, &tk, &tv, &tn)) < 0)
		goto out;
	c.total = calloc(c.ndays, sizeof *c.total);
	c.valid = calloc(c.ndays, 1);
	if (!c.total || !c.valid) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out;
	}
	if (tn)
		memcpy(c.total, tv, c.ndays * sizeof *c.total);
	{
		double tmp[MAX_WINDOW * 2];
		size_t k = 0;
		for (size_t t = 0; t < c.ndays && k < sizeof tmp / sizeof tmp[0]; t++)
			if (c.total[t] > 0)
				tmp[k++] = c.total[t];
		double med = median(tmp, k);
		for (size_t t = 0; t < c.ndays; t++) /* a day with a tenth of the usual is a gap */
			c.valid[t] = c.total[t] > 0.1 * med;
		/* the store's last day is not over yet: not a day to judge */
		if (a1 == lday && ds_floordiv((int64_t)last + 1 + p->tz, 24) == lday)
			c.valid[c.ndays - 1] = 0;
	}
	ds_events_weekdays(c.total, c.valid, c.ndays, c.day0, c.wf);
	if ((rc = count_sensors(&c, kt, ktctx)) < 0)
		goto out;
	memcpy(out->weekday, c.wf, sizeof c.wf);
	double daily = 0;
	{
		size_t k = 0;
		for (size_t t = 0; t < c.ndays; t++)
			if (c.valid[t])
				daily += c.total[t], k++;
		daily = k ? daily / (double)k : 0;
	}
	/* a key whose whole history is below the least excess cannot have an event */
	double min_total = o->min_share * daily * 0.5;
	if (min_total < 10)
		min_total = 10;
	double *base = malloc((c.ndays + 1) * sizeof *base);
	if (!base) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out;
	}
	for (int s = 0; s < 3 && rc == 0; s++) {
		if ((rc = matrix(&c, mats[s].dims, min_total, NULL, NULL, &mats[s].keys,
		                 &mats[s].vals, &mats[s].n)) < 0)
			break;
		for (size_t i = 0; i < mats[s].n && rc == 0; i++) {
			struct ds_ev_detect d[32];
			long n = ds_events_detect(mats[s].vals + i * c.ndays, c.total, c.valid,
			                          c.ndays, c.day0, c.wf, o, base, d, 32);
			if (n < 0) {
				rc = ds_fail(DS_E_NOMEM, "out of memory");
				break;
			}
			for (long j = 0; j < n; j++) {
				if (d[j].start < c.pstart)
					continue; /* began before the period */
				if (nd == capd) {
					size_t nc = capd ? capd * 2 : 64;
					struct det *x = realloc(dv, nc * sizeof *x);
					if (!x) {
						rc = ds_fail(DS_E_NOMEM, "out of memory");
						break;
					}
					dv = x, capd = nc;
				}
				dv[nd++] = (struct det){.dims = mats[s].dims,
				                        .key = mats[s].keys[i],
				                        .d = d[j],
				                        .row = i};
			}
		}
	}
	free(base);
	if (rc < 0)
		goto out;
	if (!(parent = malloc((nd + 1) * sizeof *parent))) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nd; i++)
		parent[i] = (int)i;
	/* ports with ports; a region joins only the port that explains most of
	 * it, so two unrelated rises with sources in one region stay apart */
	for (size_t i = 0; i < nd; i++) {
		size_t best = SIZE_MAX;
		for (size_t j = 0; j < nd; j++) {
			if (j == i || !related(&dv[i], &dv[j]))
				continue;
			if (dv[i].dims != DS_DIM_CC && dv[j].dims != DS_DIM_CC) {
				if (j > i)
					parent[find_root(parent, (int)i)] =
					        find_root(parent, (int)j);
			} else if (dv[i].dims == DS_DIM_CC &&
			           (best == SIZE_MAX ||
			            fabs(dv[j].d.excess) > fabs(dv[best].d.excess))) {
				best = j;
			}
		}
		if (best != SIZE_MAX)
			parent[find_root(parent, (int)i)] = find_root(parent, (int)best);
	}
	size_t ng = 0;
	for (size_t i = 0; i < nd; i++) {
		dv[i].group = find_root(parent, (int)i);
		ng += dv[i].group == (int)i;
	}
	out->v = calloc(ng + 1, sizeof *out->v);
	if (!out->v) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out;
	}
	size_t nf = 0;
	rc = find_all(&c, dv, nd, ng, mats, out->v, &nf);
	for (size_t i = 0; i < nf; i++) { /* keep the convincing ones */
		struct ds_event *e = &out->v[i];
		if (rc == 0 && convincing(&c, e)) {
			out->v[out->n] = *e;
			rc = enrich(&c, &out->v[out->n++], kt, ktctx);
		} else {
			free(e->series);
			free(e->baseline);
		}
	}
	if (rc == 0) {
		ds_events_absorb_regions(out);
		qsort(out->v, out->n, sizeof *out->v, by_significance);
	}
	out->sensors_reporting = c.reporting;
	out->total = c.total, c.total = NULL;
	out->valid = c.valid, c.valid = NULL;
out:
	for (int s = 0; s < 3; s++) {
		free(mats[s].keys);
		free(mats[s].vals);
	}
	free(tk);
	free(tv);
	free(dv);
	free(parent);
	free(c.total);
	free(c.valid);
	if (rc < 0)
		ds_events_free(out);
	return rc;
}

void ds_events_free(struct ds_events *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].series);
		free(e->v[i].baseline);
	}
	free(e->v);
	free(e->total);
	free(e->valid);
	memset(e, 0, sizeof *e);
}

int ds_events_baseline(const struct ds_events *e, const struct ds_event_opts *o, const double *x,
                       double *base)
{
	struct ds_ev_detect d[16];
	long n = ds_events_detect(x, e->total, e->valid, e->ndays, e->day0, e->weekday, o, base, d,
	                          16);
	return n < 0 ? (int)n : 0;
}
