/* days.c - day rollups built from hours, and range scans that use them.
 *
 * Hours are stored for the full mask only (sensor, region, port): that is
 * all an ingest writes per hour.  A day's rows of the full mask are merged
 * from its hours, and the day's rows of every coarser mask are rolled up from
 * those, once per day.  A quarter is 92 day segments instead of 2208 hour
 * segments.  Days are UTC days; a period in another zone, or one that starts
 * or ends mid-day, reads whole days from the rollups and its ragged ends from
 * the hours (rows of the full mask, which callers mask themselves). */
#include "darkscope/store.h"

#include "darkscope/dtime.h"
#include "darkscope/env.h"
#include "darkscope/err.h"
#include "darkscope/limits.h"
#include "darkscope/log.h"
#include "darkscope/radix.h"
#include "store/segment.h"

#include <stdlib.h>
#include <string.h>

/* The day's hours, copied out of the scan (its buffers do not outlive the
 * callback), a run a part: rows sorted by key, each sketch a sorted list or
 * registers.  The parts of an hour hold keys none of the others have. */
struct run {
	struct ds_row *rows;
	size_t n;
	uint8_t *buf;
};
struct hours {
	struct run *r;
	int count;
	size_t cap;
	size_t bytes, limit; /* taken so far; past limit, the day is rolled up in passes */
};

static int day_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct hours *h = ctx;
	size_t bytes = 0;
	(void)hour;
	int rc = ds_array_reserve((void **)&h->r, &h->cap, (size_t)h->count + 1, sizeof *h->r);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		bytes += rows[i].enclen;
	h->bytes += bytes + n * sizeof *rows;
	if (h->bytes > h->limit)
		return 1; /* too large to hold: ds_day_stream */
	struct ds_row *r = malloc((n + 1) * sizeof *r);
	uint8_t *b = malloc(bytes + 1);
	if (!r || !b) {
		free(r);
		free(b);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	for (size_t i = 0, off = 0; i < n; i++) {
		r[i] = rows[i];
		memcpy(b + off, rows[i].enc, rows[i].enclen);
		r[i].enc = b + off;
		off += rows[i].enclen;
	}
	h->r[h->count++] = (struct run){r, n, b};
	return 0;
}

static void hours_free(struct hours *h)
{
	for (int i = 0; i < h->count; i++) {
		free(h->r[i].rows);
		free(h->r[i].buf);
	}
	free(h->r);
	h->r = NULL;
	h->count = 0;
	h->cap = 0;
}

/* A binary heap of the runs by their next key, the key beside the run (a
 * sort of all the runs' rows would be faster, and take 32 bytes a row more). */
struct head {
	uint64_t key;
	int run;
};

/* Restore the heap below h[c], whose key went up (or which was replaced). */
static void heap_down(struct head *h, int nh, int c)
{
	struct head x = h[c];
	for (;;) {
		int l = 2 * c + 1, m = c;
		uint64_t best = x.key;
		if (l < nh && h[l].key < best)
			m = l, best = h[l].key;
		if (l + 1 < nh && h[l + 1].key < best)
			m = l + 1;
		if (m == c)
			break;
		h[c] = h[m];
		c = m;
	}
	h[c] = x;
}

/* A day being rebuilt: its hours as read, then its rows of every mask. */
struct ds_day {
	int32_t day;
	struct hours h;
	struct ds_row *out; /* the full mask, sketches in enc */
	size_t nout;
	struct ds_buf enc;
	struct ds_rollups r; /* the coarser masks */
};

int ds_day_read(struct ds_store *s, int32_t day, struct ds_day **out)
{
	struct ds_day *d = calloc(1, sizeof *d);
	if (!d)
		return ds_fail(DS_E_NOMEM, "out of memory");
	d->day = day;
	d->h.limit = ds_env_size("DARKSCOPE_DAY_MEM_BYTES", DS_DAY_MEM_BYTES);
	int rc = s->ops->scan(s, DS_DIM_ALL, day * 24, day * 24 + 24, 1, day_cb, &d->h);
	if (rc != 0) {
		ds_day_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

/* Merge the hours' sorted rows of the full mask, then roll those up into
 * every coarser mask.  Touches no store. */
int ds_day_build(struct ds_day *d)
{
	struct hours *h = &d->h;
	struct ds_union u = {0};
	size_t total = 0, k1 = (size_t)h->count + 1;
	int rc = 0;
	for (int i = 0; i < h->count; i++)
		total += h->r[i].n;
	size_t *at = calloc(k1, sizeof *at);
	struct head *heap = malloc(k1 * sizeof *heap);
	int nh = 0;
	const struct ds_row **same = malloc(k1 * sizeof *same);
	if (!(d->out = malloc((total + 1) * sizeof *d->out)) || /* (room for all; not zeroed) */
	    !at || !heap || !same)
		rc = ds_fail(DS_E_NOMEM, "out of memory");
	for (int i = 0; rc == 0 && i < h->count; i++)
		if (h->r[i].n)
			heap[nh++] = (struct head){h->r[i].rows[0].key, i};
	for (int c = nh / 2; c-- > 0;)
		heap_down(heap, nh, c);
	while (rc == 0 && nh > 0) {
		uint64_t key = heap[0].key;
		int k = 0;
		struct ds_row *o = &d->out[d->nout++];
		*o = (struct ds_row){.key = key, .enc = (const uint8_t *)(uintptr_t)d->enc.len};
		while (nh > 0 && heap[0].key == key) {
			int i = heap[0].run;
			o->packets += h->r[i].rows[at[i]].packets;
			same[k++] = &h->r[i].rows[at[i]++];
			if (at[i] < h->r[i].n)
				heap[0].key = h->r[i].rows[at[i]].key;
			else
				heap[0] = heap[--nh];
			heap_down(heap, nh, 0);
		}
		if (ds_union_encode(same, (size_t)k, &u, &d->enc) < 0)
			rc = ds_fail(DS_E_STORE, "corrupt sketch on day %d", d->day);
		o->enclen = d->enc.len - (size_t)(uintptr_t)o->enc;
	}
	for (size_t i = 0; rc == 0 && i < d->nout; i++)
		d->out[i].enc = d->enc.data + (uintptr_t)d->out[i].enc;
	free(at);
	free(heap);
	free(same);
	hours_free(h); /* merged: the hours can go */
	ds_union_free(&u);
	if (rc == 0) /* (the sketches were checked by the unions above) */
		rc = ds_rollup(d->out, d->nout, DS_COARSE_MASKS, DS_ROLLUP_SOUND, &d->r);
	return rc;
}

/* A day's rows of mask dims, in parts (an empty day: one empty part). */
static int put_parts(struct ds_store *s, int32_t day, unsigned dims, const struct ds_row *rows,
                     size_t n)
{
	int rc, part = 0;
	size_t i = 0, max = ds_part_rows();
	do {
		size_t e = ds_part_end(rows, n, i, max);
		rc = s->ops->put_day(s, day, dims, part++, rows + i, e - i);
		i = e;
	} while (rc == 0 && i < n);
	return rc;
}

int ds_day_write(struct ds_store *s, const struct ds_day *d)
{
	int rc = put_parts(s, d->day, DS_DIM_ALL, d->out, d->nout);
	for (unsigned m = 0; m < DS_DIM_ALL && rc == 0; m++)
		rc = put_parts(s, d->day, m, d->r.rows[m], d->r.n[m]);
	return rc;
}

void ds_day_rows(const struct ds_day *d, unsigned dims, const struct ds_row **rows, size_t *n)
{
	*rows = dims == DS_DIM_ALL ? d->out : d->r.rows[dims];
	*n = dims == DS_DIM_ALL ? d->nout : d->r.n[dims];
}

void ds_day_free(struct ds_day *d)
{
	if (!d)
		return;
	hours_free(&d->h);
	free(d->out);
	ds_buf_free(&d->enc);
	ds_rollups_free(&d->r);
	free(d);
}

int ds_store_build_days(struct ds_store *s, const int32_t *days, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct ds_day *d = NULL;
		if ((rc = ds_day_read(s, days[i], &d)) == 0 && (rc = ds_day_build(d)) == 0)
			rc = ds_day_write(s, d);
		else if (rc == 1)
			rc = ds_day_stream(s, days[i]);
		ds_day_free(d);
	}
	return rc;
}

/* ---- a day too large to hold, rolled up in passes ----
 *
 * Each mask of the day is built in passes over a scan: of the day's hours
 * for the full mask, of the day's full mask (just written) for the others.
 * A pass takes the rows whose keys, masked, are in [lo, hi) and keeps them
 * in a buffer (hi is unbounded at first).  When the buffer passes its
 * budget, its rows of the same masked key are merged into one (packets
 * summed, sketches unioned) if keys repeat enough for that to free half of
 * it; if they do not, or it is still more than half full, the rows of its
 * lowest keys that fill half of it are kept, and hi becomes the first key
 * let go.  At the end of the scan the buffer holds every row of [lo, hi):
 * merged, they are written in parts cut as put_parts cuts them, and the
 * next pass starts at hi.  The coarse masks are built from the finest mask
 * built before them, as ds_rollup builds them.  A union of unions is the
 * union of all, so the rows are those of the in-memory rollup, byte for
 * byte, parts and all. */

/* Rows written one at a time, in parts as ds_part_end cuts them. */
struct partw {
	struct ds_store *s;
	int32_t day;
	unsigned dims;
	int part;
	struct ds_row *rows; /* DS_PART_ROWS; enc an offset into enc until written */
	size_t n, max;
	struct ds_buf enc;
};

static int partw_flush(struct partw *w)
{
	for (size_t i = 0; i < w->n; i++)
		w->rows[i].enc = w->enc.data + (uintptr_t)w->rows[i].enc;
	int rc = w->s->ops->put_day(w->s, w->day, w->dims, w->part++, w->rows, w->n);
	w->n = 0;
	w->enc.len = 0;
	return rc;
}

static int partw_add(struct partw *w, const struct ds_row *r)
{
	w->rows[w->n++] = (struct ds_row){.key = r->key,
	                                  .packets = r->packets,
	                                  .enc = (const uint8_t *)(uintptr_t)w->enc.len,
	                                  .enclen = r->enclen};
	if (ds_buf_put(&w->enc, r->enc, r->enclen) < 0)
		return ds_fail(DS_E_NOMEM, "out of memory");
	return w->n == w->max || w->enc.len >= DS_PART_BYTES ? partw_flush(w) : 0;
}

/* One mask's passes.  The scratch of a merge is kept from one to the next
 * (and from one mask to the next): it is as large as the buffer. */
struct pass {
	int32_t day;
	unsigned dims;
	uint64_t lo, hi; /* the masked keys taken: [lo, hi), hi only when bounded */
	int bounded;
	struct ds_row *rows; /* key masked; enc an offset into arena */
	size_t n, cap;
	struct ds_buf arena;
	size_t budget;
	/* a merge's scratch, and where it puts the merged rows */
	struct ds_kv *kv, *tmp;
	const struct ds_row **members;
	struct ds_row *out;
	size_t scap, ocap;
	struct ds_buf arena2;
	struct ds_union u;
	unsigned passes, merges; /* for -v */
};

static size_t pass_bytes(const struct pass *p)
{
	return p->n * sizeof *p->rows + p->arena.len;
}

/* Sort the buffer by key into kv (the scratch grown to its size first). */
static int pass_sort(struct pass *p)
{
	size_t n = p->n, scap = p->scap;
	int rc = 0;
	if (n + 1 > scap) { /* (kv, tmp and members grow together) */
		size_t c = scap;
		if ((rc = ds_array_reserve((void **)&p->kv, &c, n + 1, sizeof *p->kv)) < 0 ||
		    (c = scap, rc = ds_array_reserve((void **)&p->tmp, &c, n + 1, sizeof *p->tmp)) <
		            0 ||
		    (c = scap, rc = ds_array_reserve((void **)&p->members, &c, n + 1,
		                                     sizeof *p->members)) < 0)
			return rc;
		p->scap = c;
	}
	if ((rc = ds_array_reserve((void **)&p->out, &p->ocap, n + 1, sizeof *p->out)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		p->kv[i] = (struct ds_kv){p->rows[i].key, i};
	ds_radix_sort(p->kv, p->tmp, n);
	return 0;
}

/* The merged (or sorted) rows in out and arena2 are the buffer now. */
static void pass_swap(struct pass *p, size_t n)
{
	struct ds_row *r = p->rows;
	size_t c = p->cap;
	struct ds_buf a = p->arena;
	p->rows = p->out, p->cap = p->ocap, p->n = n, p->arena = p->arena2;
	p->out = r, p->ocap = c, p->arena2 = a;
}

/* Merge the buffer's rows of the same key, sorted by key (kv). */
static int pass_merge(struct pass *p)
{
	size_t n = p->n, ng = 0;
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		p->rows[i].enc = p->arena.data + (uintptr_t)p->rows[i].enc;
	p->arena2.len = 0;
	for (size_t i = 0; rc == 0 && i < n;) {
		size_t j = i;
		uint64_t packets = 0;
		for (; j < n && p->kv[j].key == p->kv[i].key; j++) {
			p->members[j - i] = &p->rows[p->kv[j].val];
			packets += p->rows[p->kv[j].val].packets;
		}
		size_t at = p->arena2.len;
		if (ds_union_encode(p->members, j - i, &p->u, &p->arena2) < 0)
			rc = ds_fail(DS_E_STORE, "corrupt sketch on day %d", p->day);
		p->out[ng++] = (struct ds_row){.key = p->kv[i].key,
		                               .packets = packets,
		                               .enc = (const uint8_t *)(uintptr_t)at,
		                               .enclen = p->arena2.len - at};
		i = j;
	}
	p->merges++;
	if (rc == 0)
		pass_swap(p, ng);
	return rc;
}

/* The buffer is full.  Merge it when that frees half of it at least (keys
 * repeat); otherwise, or when it is still more than half full, keep only
 * the rows of its lowest keys that fill half of it, and take no key from
 * the first one let go (hi) for the rest of the pass. */
static int pass_full(struct pass *p)
{
	int rc = pass_sort(p);
	if (rc < 0)
		return rc;
	size_t keys = 0;
	for (size_t i = 0; i < p->n; i++)
		keys += i == 0 || p->kv[i].key != p->kv[i - 1].key;
	if (keys <= p->n / 2) {
		if ((rc = pass_merge(p)) < 0)
			return rc;
		if (pass_bytes(p) <= p->budget / 2)
			return 0;
		for (size_t i = 0; i < p->n; i++) /* (sorted and distinct now) */
			p->kv[i] = (struct ds_kv){p->rows[i].key, i};
	}
	/* keep whole keys up to half the budget (one key at least) */
	size_t keep = 0, bytes = 0;
	while (keep < p->n && (keep == 0 || bytes < p->budget / 2)) {
		size_t j = keep;
		for (; j < p->n && p->kv[j].key == p->kv[keep].key; j++)
			bytes += sizeof *p->rows + p->rows[p->kv[j].val].enclen;
		keep = j;
	}
	if (keep == p->n)
		return 0;
	p->hi = p->kv[keep].key;
	p->bounded = 1;
	p->arena2.len = 0;
	for (size_t i = 0; i < keep; i++) { /* the rows kept, in key order */
		const struct ds_row *r = &p->rows[p->kv[i].val];
		p->out[i] = *r;
		p->out[i].enc = (const uint8_t *)(uintptr_t)p->arena2.len;
		if (ds_buf_put(&p->arena2, p->arena.data + (uintptr_t)r->enc, r->enclen) < 0)
			return ds_fail(DS_E_NOMEM, "out of memory");
	}
	pass_swap(p, keep);
	return 0;
}

static int pass_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct pass *p = ctx;
	int rc;
	(void)hour;
	for (size_t i = 0; i < n; i++) {
		uint64_t k = ds_key_mask(rows[i].key, p->dims);
		if (k < p->lo || (p->bounded && k >= p->hi))
			continue;
		if ((rc = ds_array_reserve((void **)&p->rows, &p->cap, p->n + 1, sizeof *p->rows)) <
		    0)
			return rc;
		p->rows[p->n++] = (struct ds_row){.key = k,
		                                  .packets = rows[i].packets,
		                                  .enc = (const uint8_t *)(uintptr_t)p->arena.len,
		                                  .enclen = rows[i].enclen};
		if (ds_buf_put(&p->arena, rows[i].enc, rows[i].enclen) < 0)
			return ds_fail(DS_E_NOMEM, "out of memory");
		if (pass_bytes(p) > p->budget && (rc = pass_full(p)) < 0)
			return rc;
	}
	return 0;
}

/* Build the day's rows of mask dims in passes over the hours (the full
 * mask) or over the day's rows of mask `from`, and write them. */
static int stream_mask(struct ds_store *s, int32_t day, unsigned dims, unsigned from,
                       struct pass *p, struct partw *w)
{
	double t0 = ds_elapsed();
	p->day = day;
	p->dims = dims;
	p->lo = 0;
	p->passes = p->merges = 0;
	/* (the full mask's hours are as the transaction wrote them, checked as
	 * the in-memory build checks them; the rest is this day's unions) */
	p->u.sound = dims != DS_DIM_ALL;
	*w = (struct partw){.s = s,
	                    .day = day,
	                    .dims = dims,
	                    .rows = w->rows,
	                    .max = ds_part_rows(),
	                    .enc = w->enc};
	w->enc.len = 0;
	int rc = 0;
	for (int done = 0; rc == 0 && !done;) {
		p->n = 0;
		p->arena.len = 0;
		p->bounded = 0;
		rc = dims == DS_DIM_ALL
		             ? s->ops->scan(s, DS_DIM_ALL, day * 24, day * 24 + 24, 1, pass_cb, p)
		             : s->ops->scan_days(s, from, day, day + 1, 1, pass_cb, p);
		if (rc == 0 && (rc = pass_sort(p)) == 0)
			rc = pass_merge(p);
		for (size_t i = 0; rc == 0 && i < p->n; i++) {
			struct ds_row r = p->rows[i];
			r.enc = p->arena.data + (uintptr_t)r.enc;
			rc = partw_add(w, &r);
		}
		done = !p->bounded;
		p->passes++;
		p->lo = p->hi;
	}
	if (rc == 0 && (w->n || w->part == 0))
		rc = partw_flush(w);
	DS_DEBUG("store", "day %d, mask %u from %u: %u passes, %u merges, %d parts (%.2f s)", day,
	         dims, from, p->passes, p->merges, w->part, ds_elapsed() - t0);
	return rc;
}

int ds_day_stream(struct ds_store *s, int32_t day)
{
	struct pass p = {.budget = ds_env_size("DARKSCOPE_DAY_PASS_BYTES", DS_DAY_PASS_BYTES)};
	struct partw w = {0};
	int rc = (w.rows = malloc(DS_PART_ROWS * sizeof *w.rows))
	                 ? 0
	                 : ds_fail(DS_E_NOMEM, "out of memory");
	if (rc == 0)
		rc = stream_mask(s, day, DS_DIM_ALL, DS_DIM_ALL, &p, &w);
	/* each coarse mask from the finest one built before it, as ds_rollup */
	for (unsigned i = 0; i < DS_DIM_ALL && rc == 0; i++)
		rc = stream_mask(s, day, ds_rollup_order[i], ds_rollup_from[ds_rollup_order[i]], &p,
		                 &w);
	free(p.rows);
	free(p.out);
	free(p.kv);
	free(p.tmp);
	free(p.members);
	ds_buf_free(&p.arena);
	ds_buf_free(&p.arena2);
	ds_union_free(&p.u);
	free(w.rows);
	ds_buf_free(&w.enc);
	return rc;
}

/* Hours hold the full mask, and the packets (no sketches) of the masks of at
 * most one dimension.  A packets-only scan of those reads them; any other
 * scan gets the full mask's rows, which every caller masks and sums by key
 * itself (sketches merge as unions, so the result is the same as from
 * rolled-up rows, without sorting each hour). */
static int scan_hours(struct ds_store *s, unsigned dims, int32_t h0, int32_t h1, int with_sketches,
                      ds_scan_fn fn, void *ctx)
{
	if (h0 >= h1)
		return 0;
	if (!with_sketches && (DS_HOUR_PACKET_MASKS >> dims & 1))
		return s->ops->scan(s, dims, h0, h1, 0, fn, ctx);
	return s->ops->scan(s, DS_DIM_ALL, h0, h1, with_sketches, fn, ctx);
}

int ds_store_scan_range(struct ds_store *s, unsigned dims, int32_t h0, int32_t h1,
                        int with_sketches, int use_days, ds_scan_fn fn, void *ctx)
{
	int32_t d0 = (int32_t)ds_floordiv((int64_t)h0 + 23, 24), d1 = (int32_t)ds_floordiv(h1, 24);
	if (!use_days || d0 >= d1)
		return scan_hours(s, dims, h0, h1, with_sketches, fn, ctx);
	int rc = scan_hours(s, dims, h0, d0 * 24, with_sketches, fn, ctx);
	if (rc == 0)
		rc = s->ops->scan_days(s, dims, d0, d1, with_sketches, fn, ctx);
	if (rc == 0)
		rc = scan_hours(s, dims, d1 * 24, h1, with_sketches, fn, ctx);
	return rc;
}
