/* analyse.h - top-N tables and time series over the store.
 *
 * A period is a range of whole local days [day0, day1] in a whole-hour time
 * zone; it covers the UTC hours [day0*24 - tz, (day1+1)*24 - tz).  Queries
 * read the smallest mask holding the grouped dimension and the filtered ones. */
#ifndef DARKSCOPE_ANALYSE_H
#define DARKSCOPE_ANALYSE_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/store.h"

struct ds_period {
	int64_t day0, day1; /* inclusive local days since 1970-01-01 */
	int tz;             /* hours east of UTC */
};

struct ds_filter {
	unsigned dims; /* which of the fields below apply (DS_DIM_*) */
	uint64_t key;  /* their values, packed as a key */
};

/* Does key pass filter f (NULL or no dims: everything does)? */
static inline int ds_filter_match(const struct ds_filter *f, uint64_t key)
{
	return !f || !f->dims || ds_key_mask(key, f->dims) == ds_key_mask(f->key, f->dims);
}

struct ds_top_row {
	uint64_t key; /* masked to the grouped dimension */
	uint64_t packets;
	uint64_t sources;
	unsigned rank;  /* 1-based */
	long prev_rank; /* 0 = absent from the previous period */
};

struct ds_top {
	struct ds_top_row *rows;
	size_t n;     /* rows returned (<= limit) */
	size_t nkeys; /* distinct keys in the period */
	uint64_t total_packets, total_sources;
};

/* The hours a period covers. */
void ds_period_hours(const struct ds_period *p, int32_t *h0, int32_t *h1);

/* The period of the same length just before p. */
void ds_period_before(const struct ds_period *p, struct ds_period *out);

/* The period a report compares p with: the previous calendar quarter when p
 * is a quarter, else the same length just before. */
void ds_period_previous(const struct ds_period *p, int is_quarter, struct ds_period *out);

/* Rank keys of dimension `by` (one DS_DIM_* bit) by packets; ties in the
 * keys' natural order (ports by protocol number then port, regions by code,
 * sensors by name via keytext).  limit 0 = all.  with_sources counts distinct sources
 * per row and in total.  out->rows is owned by the caller (ds_top_free). */
typedef void (*ds_keytext_fn)(void *ctx, unsigned by, uint64_t key, char *out, size_t cap);
int ds_top(struct ds_store *st, unsigned by, const struct ds_period *p, const struct ds_filter *f,
           size_t limit, int with_sources, ds_keytext_fn keytext, void *ktctx, struct ds_top *out);

/* Fill prev_rank of each row of t from the ranking over `prev`. */
int ds_top_previous(struct ds_store *st, unsigned by, const struct ds_period *prev,
                    const struct ds_filter *f, ds_keytext_fn keytext, void *ktctx,
                    struct ds_top *t);

void ds_top_free(struct ds_top *t);

enum ds_step { DS_STEP_HOUR, DS_STEP_DAY, DS_STEP_WEEK };

struct ds_series {
	enum ds_step step;
	size_t nkeys, npoints;
	uint64_t *keys;  /* nkeys */
	int64_t *starts; /* npoints: UTC hour (step hour) or local day of each bucket */
	uint64_t *vals;  /* nkeys * npoints, row-major by key */
};

/* Packets per bucket for keys[0..nkeys) of dimension `by`, or for the top
 * `top` keys of the period when nkeys is 0.  out is freed with ds_series_free. */
int ds_series(struct ds_store *st, unsigned by, const struct ds_period *p,
              const struct ds_filter *f, const uint64_t *keys, size_t nkeys, size_t top,
              enum ds_step step, ds_keytext_fn keytext, void *ktctx, struct ds_series *out);

void ds_series_free(struct ds_series *s);

#endif
