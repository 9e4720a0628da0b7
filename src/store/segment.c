/* segment.c - encode, decode and merge hour segments. */
#include "store/segment.h"

#include "darkscope/err.h"
#include "darkscope/env.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define MAX_BODY ((size_t)1 << 30)

/* One compression and one decompression context per thread, made on first
 * use and freed when the thread ends: ZSTD_compress and ZSTD_decompress
 * make and free one per call, which was a third of a query that reads every
 * hour of a quarter (2,208 small segments). */
struct zctx {
	ZSTD_CCtx *c;
	ZSTD_DCtx *d;
};
static pthread_key_t zkey;
static pthread_once_t zonce = PTHREAD_ONCE_INIT;
static int zkey_ok; /* else every call makes its own context, as zstd's one-shot calls do */

static void zctx_free(void *p)
{
	struct zctx *z = p;
	ZSTD_freeCCtx(z->c);
	ZSTD_freeDCtx(z->d);
	free(z);
}

static void zkey_make(void)
{
	zkey_ok = pthread_key_create(&zkey, zctx_free) == 0;
}

static struct zctx *zctx_get(void)
{
	pthread_once(&zonce, zkey_make);
	if (!zkey_ok)
		return NULL;
	struct zctx *z = pthread_getspecific(zkey);
	if (!z && (z = calloc(1, sizeof *z)) && pthread_setspecific(zkey, z) != 0) {
		free(z);
		z = NULL;
	}
	return z;
}

static ZSTD_CCtx *cctx(void)
{
	struct zctx *z = zctx_get();
	if (z && !z->c)
		z->c = ZSTD_createCCtx();
	return z ? z->c : NULL;
}

static ZSTD_DCtx *dctx(void)
{
	struct zctx *z = zctx_get();
	if (z && !z->d)
		z->d = ZSTD_createDCtx();
	return z ? z->d : NULL;
}

/* Append a section: raw length, compressed length (0 = raw), bytes. */
static int put_section(struct ds_buf *out, const struct ds_buf *sec, int zip)
{
	int rc = ds_buf_putv(out, sec->len);
	if (rc < 0)
		return rc;
	if (sec->len <= 256 || !zip) {
		if ((rc = ds_buf_putv(out, 0)) < 0)
			return rc;
		return ds_buf_put(out, sec->data, sec->len);
	}
	size_t bound = ZSTD_compressBound(sec->len);
	struct ds_buf z = {0};
	ZSTD_CCtx *c = cctx();
	if ((rc = ds_buf_reserve(&z, bound)) < 0)
		return rc;
	size_t zl = c ? ZSTD_compressCCtx(c, z.data, bound, sec->data, sec->len, 1)
	              : ZSTD_compress(z.data, bound, sec->data, sec->len, 1);
	if (ZSTD_isError(zl)) {
		ds_buf_free(&z);
		return ds_fail(DS_E_STORE, "segment compression failed: %s", ZSTD_getErrorName(zl));
	}
	if ((rc = ds_buf_putv(out, zl)) == 0)
		rc = ds_buf_put(out, z.data, zl);
	ds_buf_free(&z);
	return rc;
}

int ds_seg_encode(const struct ds_row *rows, size_t n, unsigned dims, struct ds_buf *out)
{
	struct ds_buf r = {0}, sk = {0};
	uint64_t prev = 0;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t before = sk.len;
		rc = rows[i].enc ? ds_buf_put(&sk, rows[i].enc, rows[i].enclen)
		                 : ds_sketch_encode(&rows[i].sk, &sk);
		if (rc == 0)
			rc = ds_buf_putv(&r, rows[i].key - prev);
		if (rc == 0)
			rc = ds_buf_putv(&r, rows[i].packets);
		if (rc == 0)
			rc = ds_buf_putv(&r, sk.len - before);
		prev = rows[i].key;
	}
	uint8_t hdr[6] = {'D', 'S', 'G', DS_SEG_VERSION, (uint8_t)dims, 0};
	out->len = 0;
	if (rc == 0)
		rc = ds_buf_put(out, hdr, sizeof hdr);
	if (rc == 0)
		rc = ds_buf_putv(out, n);
	if (rc == 0)
		rc = put_section(out, &r, 1);
	if (rc == 0) /* sorted hash deltas hardly compress: keep them raw */
		rc = put_section(out, &sk, 0);
	ds_buf_free(&r);
	ds_buf_free(&sk);
	return rc;
}

/* Read a section at *p; *data is a new buffer of *len bytes. */
static int get_section(const uint8_t **p, const uint8_t *end, uint8_t **data, size_t *len)
{
	uint64_t raw, zl;
	if (ds_getv(p, end, &raw) < 0 || ds_getv(p, end, &zl) < 0 || raw > MAX_BODY)
		return -1;
	size_t have = (size_t)(end - *p);
	if ((zl == 0 && raw > have) || zl > have)
		return -1;
	*data = malloc(raw ? raw : 1);
	if (!*data)
		return -1;
	if (zl == 0) {
		memcpy(*data, *p, raw);
		*p += raw;
	} else {
		ZSTD_DCtx *d = dctx();
		size_t got = d ? ZSTD_decompressDCtx(d, *data, raw, *p, zl)
		               : ZSTD_decompress(*data, raw, *p, zl);
		if (ZSTD_isError(got) || got != raw) {
			free(*data);
			*data = NULL;
			return -1;
		}
		*p += zl;
	}
	*len = raw;
	return 0;
}

/* Skip a section at *p. */
static int skip_section(const uint8_t **p, const uint8_t *end)
{
	uint64_t raw, zl;
	if (ds_getv(p, end, &raw) < 0 || ds_getv(p, end, &zl) < 0)
		return -1;
	uint64_t n = zl ? zl : raw;
	if (n > (uint64_t)(end - *p))
		return -1;
	*p += n;
	return 0;
}

void ds_seg_free(struct ds_seg *seg)
{
	free(seg->rows);
	free(seg->r);
	free(seg->s);
	memset(seg, 0, sizeof *seg);
}

int ds_seg_decode(const uint8_t *blob, size_t len, unsigned dims, int with_sketches,
                  struct ds_seg *seg)
{
	const uint8_t *p = blob + 6, *end = blob + len;
	uint64_t count, key = 0, v;
	size_t rlen = 0, slen = 0;
	memset(seg, 0, sizeof *seg);
	if (len < 7 || memcmp(blob, "DSG", 3) != 0)
		return ds_fail(DS_E_STORE, "segment: bad magic");
	if (blob[3] != DS_SEG_VERSION)
		return ds_fail(DS_E_STORE, "segment: version %u, this darkscope reads %u", blob[3],
		               DS_SEG_VERSION);
	if (blob[4] != dims || blob[5] != 0 || ds_getv(&p, end, &count) < 0 || count > MAX_BODY)
		goto corrupt;
	if (get_section(&p, end, &seg->r, &rlen) < 0)
		goto corrupt;
	if (with_sketches ? get_section(&p, end, &seg->s, &slen) < 0 : skip_section(&p, end) < 0)
		goto corrupt;
	if (p != end || count > rlen)
		goto corrupt;
	seg->rows = malloc((count ? count : 1) * sizeof *seg->rows); /* (each set whole below) */
	if (!seg->rows) {
		ds_seg_free(seg);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	const uint8_t *rp = seg->r, *rend = seg->r + rlen;
	size_t soff = 0;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t packets;
		if (ds_getv(&rp, rend, &v) < 0 || (i > 0 && v == 0))
			goto corrupt;
		key += v;
		if (ds_getv(&rp, rend, &packets) < 0 || ds_getv(&rp, rend, &v) < 0)
			goto corrupt;
		seg->rows[i] = (struct ds_row){.key = key, .packets = packets};
		if (with_sketches) {
			/* bounds only: a sketch is validated when it is merged */
			if (v > slen - soff)
				goto corrupt;
			seg->rows[i].enc = seg->s + soff;
			seg->rows[i].enclen = (size_t)v;
			soff += (size_t)v;
		}
	}
	if (rp != rend || (with_sketches && soff != slen))
		goto corrupt;
	seg->n = count;
	return 0;
corrupt:
	ds_seg_free(seg);
	return ds_fail(DS_E_STORE, "segment (mask %u) is corrupt", dims);
}

/* dst |= the row's sketch, encoded (enc) or in memory (sk). */
static int merge_row(struct ds_sketch *dst, const struct ds_row *r)
{
	if (!r->enc)
		return ds_sketch_merge(dst, &r->sk);
	const uint8_t *p = r->enc;
	return ds_sketch_merge_enc(dst, &p, r->enc + r->enclen);
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
			rc = merge_row(&o->sk, &a[i++]);
		} else if (i >= na || b[j].key < a[i].key) {
			*o = b[j++]; /* keeps enc: copied through unchanged */
		} else {
			o->key = a[i].key;
			o->packets = a[i].packets + b[j].packets;
			rc = merge_row(&o->sk, &a[i++]);
			if (rc == 0)
				rc = merge_row(&o->sk, &b[j]);
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

size_t ds_part_rows(void)
{
	size_t n = ds_env_size("DARKSCOPE_PART_ROWS", 0); /* (tests: store.sh) */
	return n && n <= DS_PART_ROWS ? n : DS_PART_ROWS;
}

size_t ds_part_end(const struct ds_row *rows, size_t n, size_t from, size_t max)
{
	size_t i = from, bytes = 0;
	while (i < n && i - from < max) {
		bytes += ds_row_sketch_bytes(&rows[i++]);
		if (bytes >= DS_PART_BYTES)
			break;
	}
	return i;
}
