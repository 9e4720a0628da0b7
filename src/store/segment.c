/* segment.c - encode, decode and merge hour segments. */
#include "store/segment.h"

#include "darkscope/err.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define MAX_BODY ((size_t)1 << 30)

int ds_seg_encode(const struct ds_row *rows, size_t n, unsigned dims, struct ds_buf *out)
{
	struct ds_buf body = {0};
	int rc = ds_buf_putv(&body, n);
	uint64_t prev = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = ds_buf_putv(&body, rows[i].key - prev);
		if (rc == 0)
			rc = ds_buf_putv(&body, rows[i].packets);
		if (rc == 0)
			rc = rows[i].enc ? ds_buf_put(&body, rows[i].enc, rows[i].enclen)
					 : ds_sketch_encode(&rows[i].sk, &body);
		prev = rows[i].key;
	}
	if (rc < 0)
		goto out;
	uint8_t hdr[6] = {'D', 'S', 'G', DS_SEG_VERSION, (uint8_t)dims, 0};
	int zip = body.len > 256;
	hdr[5] = (uint8_t)zip;
	out->len = 0;
	if ((rc = ds_buf_put(out, hdr, sizeof hdr)) < 0 || (rc = ds_buf_putv(out, body.len)) < 0)
		goto out;
	if (!zip) {
		rc = ds_buf_put(out, body.data, body.len);
		goto out;
	}
	size_t bound = ZSTD_compressBound(body.len);
	if ((rc = ds_buf_reserve(out, bound)) < 0)
		goto out;
	size_t z = ZSTD_compress(out->data + out->len, bound, body.data, body.len, 1);
	if (ZSTD_isError(z)) {
		rc = ds_fail(DS_E_STORE, "segment compression failed: %s", ZSTD_getErrorName(z));
		goto out;
	}
	out->len += z;
out:
	ds_buf_free(&body);
	return rc;
}

int ds_seg_decode(const uint8_t *blob, size_t len, unsigned dims, struct ds_row **rows,
		  size_t *n, uint8_t **bodyp)
{
	const uint8_t *p = blob + 6, *end = blob + len;
	uint64_t rawlen, count, key = 0, v;
	uint8_t *body = NULL;
	struct ds_row *r = NULL;
	if (len < 7 || memcmp(blob, "DSG", 3) != 0)
		return ds_fail(DS_E_STORE, "segment: bad magic");
	if (blob[3] != DS_SEG_VERSION)
		return ds_fail(DS_E_STORE, "segment: version %u, this darkscope reads %u", blob[3],
			       DS_SEG_VERSION);
	if (blob[4] != dims || blob[5] > 1 || ds_getv(&p, end, &rawlen) < 0 || rawlen > MAX_BODY)
		goto corrupt;
	body = malloc(rawlen ? rawlen : 1);
	if (!body)
		return ds_fail(DS_E_NOMEM, "out of memory");
	if (blob[5] == 0) {
		if ((size_t)(end - p) != rawlen)
			goto corrupt;
		memcpy(body, p, rawlen);
	} else {
		size_t z = ZSTD_decompress(body, rawlen, p, (size_t)(end - p));
		if (ZSTD_isError(z) || z != rawlen)
			goto corrupt;
	}
	p = body;
	end = body + rawlen;
	if (ds_getv(&p, end, &count) < 0 || count > rawlen)
		goto corrupt;
	r = calloc(count ? count : 1, sizeof *r);
	if (!r) {
		free(body);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	for (uint64_t i = 0; i < count; i++) {
		if (ds_getv(&p, end, &v) < 0 || (i > 0 && v == 0))
			goto corrupt;
		key += v;
		r[i].key = key;
		if (ds_getv(&p, end, &r[i].packets) < 0)
			goto corrupt;
		r[i].enc = p;
		if (ds_sketch_skip_enc(&p, end) < 0)
			goto corrupt;
		r[i].enclen = (size_t)(p - r[i].enc);
	}
	if (p != end)
		goto corrupt;
	*rows = r;
	*n = count;
	*bodyp = body;
	return 0;
corrupt:
	free(r);
	free(body);
	return ds_fail(DS_E_STORE, "segment (mask %u) is corrupt", dims);
}

long ds_seg_merge(const struct ds_row *a, size_t na, const struct ds_row *b, size_t nb,
		  struct ds_row **out)
{
	struct ds_row *r = calloc(na + nb ? na + nb : 1, sizeof *r);
	size_t i = 0, j = 0, k = 0;
	int rc = 0;
	if (!r)
		return ds_fail(DS_E_NOMEM, "out of memory");
	while ((i < na || j < nb) && rc == 0) {
		struct ds_row *o = &r[k++];
		if (j >= nb || (i < na && a[i].key < b[j].key)) {
			o->key = a[i].key;
			o->packets = a[i].packets;
			rc = ds_sketch_merge(&o->sk, &a[i++].sk);
		} else if (i >= na || b[j].key < a[i].key) {
			*o = b[j++]; /* keeps enc: copied through unchanged */
		} else {
			o->key = a[i].key;
			o->packets = a[i].packets + b[j].packets;
			rc = ds_sketch_merge(&o->sk, &a[i++].sk);
			const uint8_t *p = b[j].enc;
			if (rc == 0)
				rc = ds_sketch_merge_enc(&o->sk, &p, b[j].enc + b[j].enclen);
			j++;
		}
	}
	if (rc < 0) {
		ds_rows_free(r, k);
		return rc;
	}
	*out = r;
	return (long)k;
}
