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
#include "darkscope/err.h"
#include "darkscope/limits.h"
#include "darkscope/radix.h"

#include <stdlib.h>
#include <string.h>

/* The day's hours, copied out of the scan (its buffers do not outlive the
 * callback): rows sorted by key, each sketch a sorted list or registers. */
struct hours {
	struct ds_row *rows[24];
	size_t n[24];
	uint8_t *buf[24];
	int count;
};

static int day_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct hours *h = ctx;
	size_t bytes = 0;
	(void)hour;
	if (h->count >= 24)
		return ds_fail(DS_E_STORE, "more than 24 hours in a day");
	for (size_t i = 0; i < n; i++)
		bytes += rows[i].enclen;
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
	h->rows[h->count] = r;
	h->n[h->count] = n;
	h->buf[h->count++] = b;
	return 0;
}

static void hours_free(struct hours *h)
{
	for (int i = 0; i < h->count; i++) {
		free(h->rows[i]);
		free(h->buf[i]);
	}
	h->count = 0;
}

static inline uint64_t head(const struct hours *h, const size_t *at, int i)
{
	return h->rows[i][at[i]].key;
}

static void heap_push(const struct hours *h, const size_t *at, int *heap, int *nh, int i)
{
	int c = (*nh)++;
	while (c > 0 && head(h, at, heap[(c - 1) / 2]) > head(h, at, i)) {
		heap[c] = heap[(c - 1) / 2];
		c = (c - 1) / 2;
	}
	heap[c] = i;
}

static int heap_pop(const struct hours *h, const size_t *at, int *heap, int *nh)
{
	int top = heap[0], last = heap[--*nh], c = 0;
	for (;;) {
		int l = 2 * c + 1, m = c;
		uint64_t best = head(h, at, last);
		if (l < *nh && head(h, at, heap[l]) < best)
			m = l, best = head(h, at, heap[l]);
		if (l + 1 < *nh && head(h, at, heap[l + 1]) < best)
			m = l + 1;
		if (m == c)
			break;
		heap[c] = heap[m];
		c = m;
	}
	heap[c] = last;
	return top;
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
	int rc = s->ops->scan(s, DS_DIM_ALL, day * 24, day * 24 + 24, 1, day_cb, &d->h);
	if (rc < 0) {
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
	size_t total = 0, at[24] = {0};
	int rc = 0;
	for (int i = 0; i < h->count; i++)
		total += h->n[i];
	if (!(d->out = malloc((total + 1) * sizeof *d->out))) /* (room for all; not zeroed) */
		rc = ds_fail(DS_E_NOMEM, "out of memory");
	/* a binary heap of the hours by their next key (a sort of all the
	 * hours' rows would be faster, and take 32 bytes a row more) */
	int heap[24], nh = 0;
	for (int i = 0; i < h->count; i++)
		if (h->n[i])
			heap_push(h, at, heap, &nh, i);
	while (rc == 0 && nh > 0) {
		uint64_t key = h->rows[heap[0]][at[heap[0]]].key;
		const struct ds_row *same[24];
		int k = 0;
		struct ds_row *o = &d->out[d->nout++];
		*o = (struct ds_row){.key = key, .enc = (const uint8_t *)(uintptr_t)d->enc.len};
		while (nh > 0 && h->rows[heap[0]][at[heap[0]]].key == key) {
			int i = heap_pop(h, at, heap, &nh);
			o->packets += h->rows[i][at[i]].packets;
			same[k++] = &h->rows[i][at[i]++];
			if (at[i] < h->n[i])
				heap_push(h, at, heap, &nh, i);
		}
		if (ds_union_encode(same, (size_t)k, &u, &d->enc) < 0)
			rc = ds_fail(DS_E_STORE, "corrupt sketch on day %d", d->day);
		o->enclen = d->enc.len - (size_t)(uintptr_t)o->enc;
	}
	for (size_t i = 0; rc == 0 && i < d->nout; i++)
		d->out[i].enc = d->enc.data + (uintptr_t)d->out[i].enc;
	hours_free(h); /* merged: the hours can go */
	ds_union_free(&u);
	if (rc == 0) /* (the sketches were checked by the unions above) */
		rc = ds_rollup(d->out, d->nout, DS_COARSE_MASKS, DS_ROLLUP_SOUND, &d->r);
	return rc;
}

int ds_day_write(struct ds_store *s, const struct ds_day *d)
{
	int rc = s->ops->put_day(s, d->day, DS_DIM_ALL, d->out, d->nout);
	for (unsigned m = 0; m < DS_DIM_ALL && rc == 0; m++)
		rc = s->ops->put_day(s, d->day, m, d->r.rows[m], d->r.n[m]);
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
		ds_day_free(d);
	}
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
