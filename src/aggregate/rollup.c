/* rollup.c - sum fine rows into the rows of coarser masks. */
#include "darkscope/aggregate.h"

#include "darkscope/buf.h"
#include "darkscope/err.h"
#include "darkscope/limits.h"
#include "darkscope/radix.h"

#include <stdlib.h>
#include <string.h>

void ds_rows_free(struct ds_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		ds_sketch_free(&rows[i].sk);
	free(rows);
}

/* ---- every coarser mask of one hour at once, by sorting (key, source) ----
 *
 * Each distinct (fine row, source hash) pair is one 64-bit element.  For a
 * mask, rows are numbered by their masked key (a group), elements become
 * (group << 32 | hash), and one radix sort leaves each group's sources sorted
 * and deduplicated: exactly the sparse encoding, with no hash sets built.
 * Groups with a dense input, or more than DS_SPARSE_MAX sources, get
 * registers. */

struct grp {
	uint64_t key, packets;
	uint8_t *reg; /* registers when the group is dense */
};

/* A row's sketch is in memory (sk) or encoded (enc, as a scan gives it). */
#define NREG ((size_t)1 << DS_HLL_P)

/* Its registers when dense, else NULL. */
static const uint8_t *dense_regs(const struct ds_row *r)
{
	if (!r->enc)
		return r->sk.cap == DS_SKETCH_DENSE ? r->sk.u.reg : NULL;
	const uint8_t *p = r->enc, *end = p + r->enclen;
	uint64_t tag;
	if (ds_getv(&p, end, &tag) < 0 || tag != 1 || (size_t)(end - p) != NREG)
		return NULL;
	return p;
}

/* How many hashes its sparse sketch holds (-1: a corrupt encoding). */
static long sparse_n(const struct ds_row *r)
{
	if (!r->enc)
		return r->sk.cap == DS_SKETCH_DENSE ? 0 : (long)r->sk.n;
	const uint8_t *p = r->enc, *end = p + r->enclen;
	uint64_t tag;
	if (ds_getv(&p, end, &tag) < 0)
		return -1;
	if (tag == 1)
		return (size_t)(end - p) == NREG ? 0 : -1;
	return tag & 1 || (tag >> 1) > r->enclen ? -1 : (long)(tag >> 1);
}

static int dense_rows_into(const struct ds_row *rows, const uint32_t *gid, size_t n, struct grp *g)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *reg = dense_regs(&rows[i]);
		if (!reg)
			continue;
		struct grp *x = &g[gid[i]];
		if (!x->reg && !(x->reg = calloc(NREG, 1)))
			return ds_fail(DS_E_NOMEM, "out of memory");
		for (size_t r = 0; r < NREG; r++)
			if (x->reg[r] < reg[r])
				x->reg[r] = reg[r];
	}
	return 0;
}

/* One mask: rows of out (enc offsets into enc, fixed up by the caller).
 * el holds (hash << 32 | row) sorted by hash; a stable counting sort by group
 * keeps each group's hashes sorted. */
static long one_mask(const struct ds_row *rows, size_t n, const uint64_t *el, size_t nel,
                     unsigned dims, struct ds_kv *kv, struct ds_kv *kvtmp, uint32_t *hs,
                     uint32_t *gid, struct ds_row *out, struct ds_buf *enc)
{
	for (size_t i = 0; i < n; i++)
		kv[i] = (struct ds_kv){ds_key_mask(rows[i].key, dims), i};
	ds_radix_sort(kv, kvtmp, n);
	size_t ng = 0;
	struct grp *g = calloc(n ? n : 1, sizeof *g);
	size_t *start = calloc(n + 2, sizeof *start);
	long rc = 0;
	if (!g || !start) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (ng == 0 || g[ng - 1].key != kv[i].key)
			g[ng++].key = kv[i].key;
		gid[kv[i].val] = (uint32_t)(ng - 1);
		g[ng - 1].packets += rows[kv[i].val].packets;
	}
	if ((rc = dense_rows_into(rows, gid, n, g)) < 0)
		goto out;
	for (size_t e = 0; e < nel; e++)
		start[gid[(uint32_t)el[e]] + 1]++;
	for (size_t k = 0; k < ng; k++)
		start[k + 1] += start[k];
	for (size_t e = 0; e < nel; e++)
		hs[start[gid[(uint32_t)el[e]]]++] = (uint32_t)(el[e] >> 32);
	/* start[k] now ends group k; group k begins where k-1 ended */
	for (size_t k = 0, b = 0; k < ng && rc == 0; b = start[k++]) {
		size_t m = 0;
		uint32_t *h = hs + b;
		for (size_t e = 0; e < start[k] - b; e++) /* drop duplicates in place */
			if (m == 0 || h[m - 1] != h[e])
				h[m++] = h[e];
		out[k] = (struct ds_row){.key = g[k].key,
		                         .packets = g[k].packets,
		                         .enc = (const uint8_t *)(uintptr_t)enc->len};
		if (!g[k].reg && m > DS_SPARSE_MAX &&
		    !(g[k].reg = calloc((size_t)1 << DS_HLL_P, 1))) {
			rc = ds_fail(DS_E_NOMEM, "out of memory");
			break;
		}
		if (g[k].reg) {
			for (size_t i = 0; i < m; i++)
				ds_sketch_reg_add(g[k].reg, h[i]);
			rc = ds_sketch_encode_regs(g[k].reg, enc);
		} else {
			rc = ds_sketch_encode_sorted(h, m, enc);
		}
		out[k].enclen = enc->len - (size_t)(uintptr_t)out[k].enc;
	}
	if (rc == 0)
		rc = (long)ng;
out:
	for (size_t k = 0; g && k < ng; k++)
		free(g[k].reg);
	free(g);
	free(start);
	return rc;
}

/* All (hash, row) elements of the sparse sketches of rows (-1: corrupt). */
static long elements(const struct ds_row *rows, size_t n, uint64_t *el)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ds_sketch *s = &rows[i].sk;
		if (rows[i].enc) {
			const uint8_t *p = rows[i].enc, *end = p + rows[i].enclen;
			uint64_t tag = 0, v, h = 0;
			ds_getv(&p, end, &tag);
			for (uint64_t j = 0; tag != 1 && j < tag >> 1; j++) {
				if (ds_getv(&p, end, &v) < 0 || h + v > UINT32_MAX)
					return -1;
				h += v;
				el[k++] = h << 32 | i;
			}
		} else if (s->cap == 0) {
			for (uint32_t j = 0; j < s->n; j++)
				el[k++] = (uint64_t)s->u.inl[j] << 32 | i;
		} else if (s->cap != DS_SKETCH_DENSE) {
			for (uint32_t j = 0; j < s->cap; j++)
				if (s->u.set[j])
					el[k++] = (uint64_t)s->u.set[j] << 32 | i;
		}
	}
	return (long)k;
}

int ds_rollup(const struct ds_row *rows, size_t n, unsigned masks, struct ds_rollups *out)
{
	memset(out, 0, sizeof *out);
	size_t nel = 0;
	for (size_t i = 0; i < n; i++) {
		long k = sparse_n(&rows[i]);
		if (k < 0)
			return ds_fail(DS_E_STORE, "corrupt sketch in row %zu", i);
		nel += (size_t)k;
	}
	uint64_t *el = malloc((nel + 1) * sizeof *el), *vtmp = malloc((nel + 1) * sizeof *vtmp);
	uint32_t *hs = malloc((nel + 1) * sizeof *hs);
	struct ds_kv *kv = malloc((n + 1) * sizeof *kv), *kvtmp = malloc((n + 1) * sizeof *kvtmp);
	uint32_t *gid = malloc((n + 1) * sizeof *gid);
	int rc = 0;
	if (!el || !hs || !vtmp || !kv || !kvtmp || !gid) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out;
	}
	long got = elements(rows, n, el);
	if (got < 0) {
		rc = ds_fail(DS_E_STORE, "corrupt sketch");
		goto out;
	}
	nel = (size_t)got;
	ds_radix_sort64(el, vtmp, nel); /* by hash (then row) */
	for (unsigned d = 0; d < DS_DIM_ALL && rc == 0; d++) {
		if (!(masks >> d & 1))
			continue;
		if (!(out->rows[d] = calloc(n + 1, sizeof **out->rows))) {
			rc = ds_fail(DS_E_NOMEM, "out of memory");
			break;
		}
		long k = one_mask(rows, n, el, nel, d, kv, kvtmp, hs, gid, out->rows[d], &out->enc);
		if (k < 0)
			rc = (int)k;
		else
			out->n[d] = (size_t)k;
	}
	/* the encodings are final: turn offsets into pointers */
	for (unsigned d = 0; d < DS_DIM_ALL && rc == 0; d++)
		for (size_t k = 0; out->rows[d] && k < out->n[d]; k++)
			out->rows[d][k].enc = out->enc.data + (uintptr_t)out->rows[d][k].enc;
out:
	free(el);
	free(hs);
	free(vtmp);
	free(kv);
	free(kvtmp);
	free(gid);
	if (rc < 0)
		ds_rollups_free(out);
	return rc;
}

int ds_rollup_packets(const struct ds_row *rows, size_t n, unsigned dims, struct ds_row **out,
                      size_t *nout)
{
	struct ds_kv *kv = malloc((n + 1) * sizeof *kv), *tmp = malloc((n + 1) * sizeof *tmp);
	struct ds_row *o = calloc(n + 1, sizeof *o);
	size_t k = 0;
	if (!kv || !tmp || !o) {
		free(kv);
		free(tmp);
		free(o);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		kv[i] = (struct ds_kv){ds_key_mask(rows[i].key, dims), rows[i].packets};
	ds_radix_sort(kv, tmp, n);
	for (size_t i = 0; i < n; i++) {
		if (k == 0 || o[k - 1].key != kv[i].key)
			o[k++].key = kv[i].key;
		o[k - 1].packets += kv[i].val;
	}
	free(kv);
	free(tmp);
	*out = o;
	*nout = k;
	return 0;
}

int ds_rollup_hour_packets(const struct ds_row *rows, size_t n, struct ds_row *out[DS_DIM_ALL],
                           size_t nout[DS_DIM_ALL])
{
	int rc = 0;
	for (unsigned d = 0; d < DS_DIM_ALL && rc == 0; d++)
		if (DS_HOUR_PACKET_MASKS >> d & 1)
			rc = ds_rollup_packets(rows, n, d, &out[d], &nout[d]);
	return rc;
}

void ds_rollups_free(struct ds_rollups *r)
{
	for (unsigned d = 0; d < DS_NMASKS; d++)
		free(r->rows[d]);
	ds_buf_free(&r->enc);
	memset(r, 0, sizeof *r);
}
