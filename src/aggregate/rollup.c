/* rollup.c - sum fine rows into the rows of a coarser mask. */
#include "darkscope/aggregate.h"

#include "darkscope/err.h"
#include "darkscope/radix.h"

#include <stdlib.h>
#include <string.h>

void ds_rows_free(struct ds_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		ds_sketch_free(&rows[i].sk);
	free(rows);
}

long ds_rollup(const struct ds_row *rows, size_t n, unsigned dims, struct ds_row **out)
{
	struct ds_kv *refs = malloc((n ? n : 1) * sizeof *refs), *tmp = NULL;
	struct ds_row *res = calloc(n ? n : 1, sizeof *res);
	long k = 0;
	int rc = 0, sorted = 1;
	if (!refs || !res)
		goto nomem;
	/* Masks that keep a leading part of the key (sensor, then country)
	 * leave sorted rows sorted: those need no sort. */
	for (size_t i = 0; i < n; i++) {
		refs[i] = (struct ds_kv){ds_key_mask(rows[i].key, dims), i};
		if (i && refs[i].key < refs[i - 1].key)
			sorted = 0;
	}
	if (!sorted) {
		if (!(tmp = malloc(n * sizeof *tmp)))
			goto nomem;
		ds_radix_sort(refs, tmp, n);
	}
	for (size_t i = 0; i < n; i++) {
		if (k == 0 || res[k - 1].key != refs[i].key)
			res[k++].key = refs[i].key;
		struct ds_row *r = &res[k - 1];
		const struct ds_row *s = &rows[refs[i].val];
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
	free(tmp);
	*out = res;
	return k;
nomem:
	rc = ds_fail(DS_E_NOMEM, "out of memory");
err:
	free(refs);
	free(tmp);
	ds_rows_free(res, (size_t)k);
	return rc;
}
