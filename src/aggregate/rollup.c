/* rollup.c - sum fine rows into the rows of a coarser mask. */
#include "darkscope/aggregate.h"

#include "darkscope/err.h"

#include <stdlib.h>
#include <string.h>

struct ref {
	uint64_t key;
	size_t idx;
};

static int by_key(const void *x, const void *y)
{
	const struct ref *a = x, *b = y;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

void ds_rows_free(struct ds_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		ds_sketch_free(&rows[i].sk);
	free(rows);
}

long ds_rollup(const struct ds_row *rows, size_t n, unsigned dims, struct ds_row **out)
{
	struct ref *refs = malloc((n ? n : 1) * sizeof *refs);
	struct ds_row *res = calloc(n ? n : 1, sizeof *res);
	long k = 0;
	int rc = 0;
	if (!refs || !res) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto err;
	}
	for (size_t i = 0; i < n; i++)
		refs[i] = (struct ref){ds_key_mask(rows[i].key, dims), i};
	qsort(refs, n, sizeof *refs, by_key);
	for (size_t i = 0; i < n; i++) {
		if (k == 0 || res[k - 1].key != refs[i].key)
			res[k++].key = refs[i].key;
		struct ds_row *r = &res[k - 1];
		const struct ds_row *s = &rows[refs[i].idx];
		r->packets += s->packets;
		if (s->enc) {
			const uint8_t *p = s->enc;
			rc = ds_sketch_merge_enc(&r->sk, &p, s->enc + s->enclen);
		} else {
			rc = ds_sketch_merge(&r->sk, &s->sk);
		}
		if (rc < 0)
			goto err;
	}
	free(refs);
	*out = res;
	return k;
err:
	free(refs);
	ds_rows_free(res, (size_t)k);
	return rc;
}
