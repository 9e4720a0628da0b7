/* days.c - day rollups built from hours, and range scans that use them.
 *
 * A quarter is 92 day segments instead of 2208 hour segments.  Days are UTC
 * days; a period in another zone, or one that starts or ends mid-day, reads
 * whole days from the rollups and its ragged ends from the hours. */
#include "darkscope/store.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/keymap.h"
#include "darkscope/radix.h"

#include <stdlib.h>
#include <string.h>

static int day_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct ds_keymap *m = ctx;
	for (size_t i = 0; i < n; i++) {
		struct ds_keyacc *a = ds_keymap_get(m, rows[i].key);
		if (!a)
			return ds_fail(DS_E_NOMEM, "out of memory");
		a->packets += rows[i].packets;
		const uint8_t *p = rows[i].enc;
		int rc = ds_sketch_merge_enc(&a->sk, &p, rows[i].enc + rows[i].enclen);
		if (rc < 0)
			return ds_fail(DS_E_STORE, "corrupt sketch in hour %d", hour);
	}
	return 0;
}

/* One day of one mask: sum its hours and replace the day's rows. */
static int build_one(struct ds_store *s, int32_t day, unsigned dims)
{
	struct ds_keymap m = {0};
	struct ds_kv *kv = NULL, *tmp = NULL;
	struct ds_row *rows = NULL;
	int rc = s->ops->scan(s, dims, day * 24, day * 24 + 24, 1, day_cb, &m);
	if (rc < 0)
		goto out;
	kv = malloc((m.n + 1) * sizeof *kv);
	tmp = malloc((m.n + 1) * sizeof *tmp);
	rows = calloc(m.n + 1, sizeof *rows);
	if (!kv || !tmp || !rows) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < m.n; i++)
		kv[i] = (struct ds_kv){m.v[i].key, i};
	ds_radix_sort(kv, tmp, m.n);
	for (size_t i = 0; i < m.n; i++) {
		const struct ds_keyacc *a = &m.v[kv[i].val];
		rows[i] = (struct ds_row){.key = a->key, .packets = a->packets, .sk = a->sk};
	}
	rc = s->ops->put_day(s, day, dims, rows, m.n);
out:
	free(kv);
	free(tmp);
	free(rows); /* the sketches belong to m */
	ds_keymap_free(&m);
	return rc;
}

int ds_store_build_days(struct ds_store *s, const int32_t *days, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		for (unsigned d = 0; d < DS_NMASKS && rc == 0; d++)
			rc = build_one(s, days[i], d);
	return rc;
}

int ds_store_scan_range(struct ds_store *s, unsigned dims, int32_t h0, int32_t h1,
			int with_sketches, int use_days, ds_scan_fn fn, void *ctx)
{
	int32_t d0 = (int32_t)ds_floordiv((int64_t)h0 + 23, 24), d1 = (int32_t)ds_floordiv(h1, 24);
	if (!use_days || d0 >= d1)
		return s->ops->scan(s, dims, h0, h1, with_sketches, fn, ctx);
	int rc = s->ops->scan(s, dims, h0, d0 * 24, with_sketches, fn, ctx);
	if (rc == 0)
		rc = s->ops->scan_days(s, dims, d0, d1, with_sketches, fn, ctx);
	if (rc == 0)
		rc = s->ops->scan(s, dims, d1 * 24, h1, with_sketches, fn, ctx);
	return rc;
}
