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

/* ---- unions of sketches, and the rollups built from them ----
 *
 * A union gathers the hashes of its sparse inputs, sorts them and drops
 * repeats: exactly the sparse encoding, or registers when more than
 * DS_SPARSE_MAX remain or an input is dense.  At most UNION_CHUNK hashes are
 * gathered at once: a larger union adds them one by one to a sketch that is
 * exact up to DS_SPARSE_MAX and registers beyond, so its memory does not grow
 * with the number of hashes (a day of a large telescope has millions). */

#define NREG        ((size_t)1 << DS_HLL_P)
#define UNION_CHUNK ((size_t)1 << 18)
#define UNION_RUNS  32 /* a union of at most this many sorted lists merges them */

/* A row's sketch, encoded or in memory, as a stream of hashes. */
struct hashes {
	const struct ds_row *r;
	const uint8_t *p, *end; /* encoded: the deltas left */
	uint64_t left, h;       /* encoded: hashes left, the last one */
	uint32_t i;             /* in memory: next slot */
	const uint8_t *reg;     /* registers when dense */
};

/* Start reading r; -1 when its encoding is corrupt. */
static int hashes_open(struct hashes *it, const struct ds_row *r)
{
	memset(it, 0, sizeof *it);
	it->r = r;
	if (!r->enc) {
		if (r->sk.cap == DS_SKETCH_DENSE)
			it->reg = r->sk.u.reg;
		return 0;
	}
	uint64_t tag;
	it->p = r->enc, it->end = r->enc + r->enclen;
	if (ds_getv(&it->p, it->end, &tag) < 0)
		return -1;
	if (tag == 1) {
		if ((size_t)(it->end - it->p) != NREG)
			return -1;
		it->reg = it->p;
		return 0;
	}
	if (tag & 1 || (tag >> 1) > r->enclen)
		return -1;
	it->left = tag >> 1;
	return 0;
}

/* How many hashes a sparse sketch holds (0 when dense). */
static size_t hashes_count(const struct hashes *it)
{
	if (it->reg)
		return 0;
	if (it->r->enc)
		return it->left;
	return it->r->sk.n;
}

/* The next hash: 1 and *h, 0 at the end, -1 when corrupt. */
static int hashes_next(struct hashes *it, uint32_t *h)
{
	if (it->reg)
		return 0;
	if (it->r->enc) {
		uint64_t v;
		if (it->left == 0)
			return 0;
		if (ds_getv(&it->p, it->end, &v) < 0 || it->h + v > UINT32_MAX)
			return -1;
		it->h += v;
		it->left--;
		*h = (uint32_t)it->h;
		return 1;
	}
	const struct ds_sketch *s = &it->r->sk;
	if (s->cap == 0) {
		if (it->i >= s->n)
			return 0;
		*h = s->u.inl[it->i++];
		return 1;
	}
	while (it->i < s->cap && !s->u.set[it->i])
		it->i++;
	if (it->i >= s->cap)
		return 0;
	*h = s->u.set[it->i++];
	return 1;
}

void ds_union_free(struct ds_union *u)
{
	free(u->hs);
	free(u->reg);
	free(u->set);
	memset(u, 0, sizeof *u);
}

static int union_regs(const struct ds_row *const *rows, size_t k, struct ds_union *u,
                      struct ds_buf *enc)
{
	for (size_t i = 0; i < k; i++) {
		struct hashes it;
		uint32_t h;
		int rc;
		if (hashes_open(&it, rows[i]) < 0)
			return -1;
		if (it.reg) { /* (stored whatever it is: the loop vectorises) */
			for (size_t r = 0; r < NREG; r++)
				u->reg[r] = u->reg[r] < it.reg[r] ? it.reg[r] : u->reg[r];
			continue;
		}
		while ((rc = hashes_next(&it, &h)) == 1)
			ds_sketch_reg_add(u->reg, h);
		if (rc < 0)
			return -1;
	}
	return ds_sketch_encode_regs(u->reg, enc);
}

/* Decode the encoded sparse list of it (its deltas, in one loop) into hs,
 * or only check it when hs is NULL: -1 when corrupt (a list holds each hash
 * once, in order, below 2^32), else the hashes, *stop where they end. */
static long sparse_list(const struct hashes *it, uint32_t *hs, const uint8_t **stop)
{
	const uint8_t *q = it->p;
	uint64_t h = 0, v;
	long m = 0;
	for (uint64_t left = it->left; left > 0; left--, m++) {
		if (ds_getv(&q, it->end, &v) < 0 || (h += v) > UINT32_MAX || (m > 0 && v == 0))
			return -1;
		if (hs)
			hs[m] = (uint32_t)h;
	}
	*stop = q;
	return m;
}

/* One row's sketch as the union of itself: an encoding as ds_sketch_encode
 * writes it (a tag, then exactly as many increasing hashes as it says, or
 * the registers) is copied as it is, which is what decoding and encoding it
 * again would give.  1 when done, 0 when the general path must do it (a
 * list longer than a sparse sketch holds), -1 when corrupt. */
static int union_one(const struct ds_row *r, int sound, struct ds_buf *enc)
{
	if (!r->enc)
		return ds_sketch_encode(&r->sk, enc) < 0 ? -1 : 1;
	struct hashes it;
	if (hashes_open(&it, r) < 0)
		return -1;
	if (!it.reg) {
		const uint8_t *stop;
		if (it.left > DS_SPARSE_MAX)
			return 0;
		if (!sound && (sparse_list(&it, NULL, &stop) < 0 || stop != it.end))
			return -1;
	}
	return ds_buf_put(enc, r->enc, r->enclen) < 0 ? -1 : 1;
}

/* Append the hashes of sparse it to hs; -1 when corrupt. */
static long gather(struct hashes *it, uint32_t *hs)
{
	long m = 0;
	const uint8_t *stop;
	if (it->r->enc)
		return sparse_list(it, hs, &stop);
	uint32_t h;
	int rc;
	while ((rc = hashes_next(it, &h)) == 1)
		hs[m++] = h;
	return rc < 0 ? -1 : m;
}

/* Merge sorted x and y, each without repeats, into o without repeats. */
static size_t merge2(const uint32_t *x, size_t nx, const uint32_t *y, size_t ny, uint32_t *o)
{
	size_t i = 0, j = 0, n = 0;
	while (i < nx && j < ny) {
		uint32_t a = x[i], b = y[j];
		o[n++] = a < b ? a : b;
		i += a <= b;
		j += b <= a;
	}
	memcpy(o + n, x + i, (nx - i) * sizeof *o);
	n += nx - i;
	memcpy(o + n, y + j, (ny - j) * sizeof *o);
	return n + ny - j;
}

/* The k sorted runs a[at[i] .. at[i+1]), merged pairwise (tmp holds a
 * level) into one sorted run without repeats: returns where it is (a or
 * tmp), its length in *m.  at[] is overwritten. */
static uint32_t *merge_runs(uint32_t *a, uint32_t *tmp, size_t *at, size_t k, size_t *m)
{
	while (k > 1) {
		size_t nk = 0, o = 0;
		for (size_t i = 0; i < k; i += 2) {
			size_t start = o;
			if (i + 1 == k) {
				memcpy(tmp + o, a + at[i], (at[i + 1] - at[i]) * sizeof *a);
				o += at[i + 1] - at[i];
			} else {
				o += merge2(a + at[i], at[i + 1] - at[i], a + at[i + 1],
				            at[i + 2] - at[i + 1], tmp + o);
			}
			at[nk++] = start; /* nk <= i / 2: at[i..] is read already */
		}
		at[nk] = o;
		k = nk;
		uint32_t *t = a;
		a = tmp;
		tmp = t;
	}
	*m = at[1] - at[0];
	return a;
}

#define SET_SLOTS (2 * (size_t)DS_SPARSE_MAX) /* a power of two, at most half full */

/* Keep the distinct hashes of hs[0..m) in hs (in no order) and return how
 * many, or -1, hs untouched, as soon as more than DS_SPARSE_MAX are seen:
 * the union is registers then, which need neither a sort nor the rest. */
static long distinct_upto(struct ds_union *u, size_t m)
{
	if (!u->set && !(u->set = malloc(SET_SLOTS * sizeof *u->set)))
		return ds_fail(DS_E_NOMEM, "out of memory"), -2;
	memset(u->set, 0, SET_SLOTS * sizeof *u->set);
	size_t nd = 0, zero = 0; /* (0 marks a free slot: a hash of 0 is counted apart) */
	for (size_t i = 0; i < m; i++) {
		uint32_t h = u->hs[i];
		size_t j = h >> (32 - __builtin_ctzll(SET_SLOTS));
		if (!h) {
			nd += !zero, zero = 1;
		} else {
			for (; u->set[j] && u->set[j] != h; j = (j + 1) & (SET_SLOTS - 1))
				;
			nd += !u->set[j];
			u->set[j] = h;
		}
		if (nd > DS_SPARSE_MAX)
			return -1;
	}
	size_t k = 0;
	if (zero)
		u->hs[k++] = 0;
	for (size_t j = 0; j < SET_SLOTS; j++)
		if (u->set[j])
			u->hs[k++] = u->set[j];
	return (long)k;
}

/* Registers from hs[0..m): the union of sparse sketches holding them. */
static int regs_of(struct ds_union *u, const uint32_t *hs, size_t m, struct ds_buf *enc)
{
	memset(u->reg, 0, NREG);
	for (size_t i = 0; i < m; i++)
		ds_sketch_reg_add(u->reg, hs[i]);
	return ds_sketch_encode_regs(u->reg, enc);
}

int ds_union_encode(const struct ds_row *const *rows, size_t k, struct ds_union *u,
                    struct ds_buf *enc)
{
	if (k == 1) {
		int one = union_one(rows[0], u->sound, enc);
		if (one != 0)
			return one < 0 ? ds_fail(DS_E_STORE, "corrupt sketch") : 0;
	}
	size_t total = 0;
	int dense = 0;
	struct hashes its[UNION_RUNS]; /* the first rows' streams, opened once */
	for (size_t i = 0; i < k; i++) {
		struct hashes one, *it = i < UNION_RUNS ? &its[i] : &one;
		if (hashes_open(it, rows[i]) < 0)
			return ds_fail(DS_E_STORE, "corrupt sketch");
		dense |= it->reg != NULL;
		total += hashes_count(it);
	}
	if (!u->reg && !(u->reg = malloc(NREG)))
		return ds_fail(DS_E_NOMEM, "out of memory");
	if (!dense && total > UNION_CHUNK) { /* exact up to DS_SPARSE_MAX, registers beyond */
		struct ds_sketch sk = {0};
		int rc = 0, got = 0;
		for (size_t i = 0; i < k && rc == 0 && got >= 0; i++) {
			struct hashes it;
			uint32_t h;
			hashes_open(&it, rows[i]);
			while (rc == 0 && (got = hashes_next(&it, &h)) == 1)
				rc = ds_sketch_add(&sk, h);
		}
		if (got < 0)
			rc = ds_fail(DS_E_STORE, "corrupt sketch");
		if (rc == 0)
			rc = ds_sketch_encode(&sk, enc);
		ds_sketch_free(&sk);
		return rc;
	}
	if (!dense) {
		if (total > u->cap || !u->hs) { /* room for the hashes and the sort's scratch */
			size_t cap = total ? total : 1; /* (rows of empty sketches, too) */
			uint32_t *n2 = realloc(u->hs, 2 * cap * sizeof *n2);
			if (!n2)
				return ds_fail(DS_E_NOMEM, "out of memory");
			u->hs = n2;
			u->cap = cap;
		}
		/* few encoded lists (each sorted, without repeats) are merged, the
		 * others sorted */
		int runs = k > 0 && k <= UNION_RUNS;
		size_t m = 0, at[UNION_RUNS + 1];
		for (size_t i = 0; i < k; i++) {
			struct hashes one, *it = i < UNION_RUNS ? &its[i] : &one;
			if (it == &one)
				hashes_open(it, rows[i]);
			runs &= rows[i]->enc != NULL;
			if (i <= UNION_RUNS)
				at[i] = m;
			long got = gather(it, u->hs + m);
			if (got < 0)
				return ds_fail(DS_E_STORE, "corrupt sketch");
			m += (size_t)got;
		}
		const uint32_t *hs = u->hs;
		if (runs) {
			at[k] = m;
			hs = merge_runs(u->hs, u->hs + u->cap, at, k, &m);
		} else if (m > 1) {
			/* more than a sparse sketch holds: counted only that far */
			long d = m > DS_SPARSE_MAX ? distinct_upto(u, m) : (long)m;
			if (d == -2)
				return -DS_E_NOMEM;
			if (d == -1)
				return regs_of(u, hs, m, enc);
			m = (size_t)d;
			ds_radix_sort32(u->hs, u->hs + u->cap, m);
			size_t w = 0;
			for (size_t i = 0; i < m; i++)
				if (w == 0 || u->hs[w - 1] != u->hs[i])
					u->hs[w++] = u->hs[i];
			m = w;
		}
		if (m <= DS_SPARSE_MAX)
			return ds_sketch_encode_sorted(hs, m, enc);
		return regs_of(u, hs, m, enc); /* the merged hashes, not decoded again */
	}
	memset(u->reg, 0, NREG);
	return union_regs(rows, k, u, enc) < 0 ? ds_fail(DS_E_STORE, "corrupt sketch") : 0;
}

/* Does rolling rows sorted by the key of mask `from` up to mask `to` keep
 * their order?  Yes when every field dropped sorts below every field kept
 * (the fields sort as their bits: sensor, then country, then port). */
static int keeps_order(unsigned from, unsigned to)
{
	unsigned dropped = from & ~to;
	return to == 0 || dropped < (to & -to); /* below the lowest field kept */
}

/* Mask `dims` from rows of a finer mask (sorted by its key): as many rows as
 * groups, their sketches appended to enc (offsets, made pointers by the
 * caller once enc is final). */
static long one_mask(const struct ds_row *rows, size_t n, unsigned from, unsigned dims,
                     struct ds_kv *kv, struct ds_kv *kvtmp, const struct ds_row **members,
                     struct ds_union *u, struct ds_row **outp, struct ds_buf *enc)
{
	for (size_t i = 0; i < n; i++)
		kv[i] = (struct ds_kv){ds_key_mask(rows[i].key, dims), i};
	if (!keeps_order(from, dims))
		ds_radix_sort(kv, kvtmp, n);
	size_t ng = 0;
	for (size_t i = 0; i < n; i++)
		ng += i == 0 || kv[i].key != kv[i - 1].key;
	/* as many rows as groups: a coarse mask has far fewer than its input
	 * (each set whole below: not zeroed first) */
	struct ds_row *out = *outp = malloc((ng + 1) * sizeof *out);
	if (!out)
		return ds_fail(DS_E_NOMEM, "out of memory");
	for (size_t i = 0, g = 0; i < n; g++) {
		size_t j = i;
		uint64_t packets = 0;
		for (; j < n && kv[j].key == kv[i].key; j++) {
			/* rows taken out of order (the sort) are fetched ahead: the
			 * row some rows on, the sketch of one nearer */
			if (j + 16 < n)
				__builtin_prefetch(&rows[kv[j + 16].val]);
			if (j + 8 < n)
				__builtin_prefetch(rows[kv[j + 8].val].enc);
			members[j - i] = &rows[kv[j].val];
			packets += rows[kv[j].val].packets;
		}
		size_t at = enc->len;
		int rc = ds_union_encode(members, j - i, u, enc);
		if (rc < 0)
			return rc;
		out[g] = (struct ds_row){.key = kv[i].key,
		                         .packets = packets,
		                         .enc = (const uint8_t *)(uintptr_t)at,
		                         .enclen = enc->len - at};
		i = j;
	}
	return (long)ng;
}

/* Each coarse mask is rolled up from a finer one already built (a union of
 * unions is the union of all, so the bytes are those a rollup from the full
 * mask gives), in this order, from ds_rollup_from[mask]: the full mask to
 * (sensor, country) keeps the key's order; fewer, larger rows below it. */
const unsigned ds_rollup_order[DS_DIM_ALL] = {DS_DIM_SENSOR | DS_DIM_CC,
                                              DS_DIM_SENSOR | DS_DIM_PORT,
                                              DS_DIM_CC | DS_DIM_PORT,
                                              DS_DIM_SENSOR,
                                              DS_DIM_CC,
                                              DS_DIM_PORT,
                                              0};
const unsigned ds_rollup_from[DS_DIM_ALL] = {
        [0] = DS_DIM_SENSOR,
        [DS_DIM_PORT] = DS_DIM_CC | DS_DIM_PORT,
        [DS_DIM_CC] = DS_DIM_SENSOR | DS_DIM_CC,
        [DS_DIM_CC | DS_DIM_PORT] = DS_DIM_ALL,
        [DS_DIM_SENSOR] = DS_DIM_SENSOR | DS_DIM_CC,
        [DS_DIM_SENSOR | DS_DIM_PORT] = DS_DIM_ALL,
        [DS_DIM_SENSOR | DS_DIM_CC] = DS_DIM_ALL,
};

int ds_rollup(const struct ds_row *rows, size_t n, unsigned masks, unsigned flags,
              struct ds_rollups *out)
{
	memset(out, 0, sizeof *out);
	unsigned need = masks & DS_COARSE_MASKS; /* and the masks they come from */
	for (int i = DS_DIM_ALL; i-- > 0;)
		if (need >> ds_rollup_order[i] & 1)
			need |= 1u << ds_rollup_from[ds_rollup_order[i]];
	struct ds_kv *kv = malloc((n + 1) * sizeof *kv), *kvtmp = malloc((n + 1) * sizeof *kvtmp);
	const struct ds_row **members = malloc((n + 1) * sizeof *members);
	struct ds_union u = {0};
	int rc = 0;
	if (!kv || !kvtmp || !members)
		rc = ds_fail(DS_E_NOMEM, "out of memory");
	for (unsigned i = 0; i < DS_DIM_ALL && rc == 0; i++) {
		unsigned d = ds_rollup_order[i], f = ds_rollup_from[d];
		if (!(need >> d & 1))
			continue;
		const struct ds_row *src = f == DS_DIM_ALL ? rows : out->rows[f];
		size_t nsrc = f == DS_DIM_ALL ? n : out->n[f];
		u.sound = f != DS_DIM_ALL || (flags & DS_ROLLUP_SOUND); /* (ours, or said so) */
		long k = one_mask(src, nsrc, f, d, kv, kvtmp, members, &u, &out->rows[d],
		                  &out->enc[d]);
		if (k < 0) {
			rc = (int)k;
			break;
		}
		out->n[d] = (size_t)k;
		/* enc[d] is final: turn its offsets into pointers */
		for (size_t r = 0; r < out->n[d]; r++)
			out->rows[d][r].enc = out->enc[d].data + (uintptr_t)out->rows[d][r].enc;
	}
	for (unsigned d = 0; d < DS_DIM_ALL && rc == 0; d++)
		if ((need & ~masks) >> d & 1) { /* built only to build others from */
			free(out->rows[d]);
			out->rows[d] = NULL;
			out->n[d] = 0;
			ds_buf_free(&out->enc[d]);
		}
	free(kv);
	free(kvtmp);
	free(members);
	ds_union_free(&u);
	if (rc < 0)
		ds_rollups_free(out);
	return rc;
}

int ds_rollup_packets(const struct ds_row *rows, size_t n, unsigned dims, struct ds_row **out,
                      size_t *nout)
{
	struct ds_kv *kv = malloc((n + 1) * sizeof *kv), *tmp = malloc((n + 1) * sizeof *tmp);
	struct ds_row *o = NULL;
	size_t k = 0;
	if (kv && tmp) {
		for (size_t i = 0; i < n; i++)
			kv[i] = (struct ds_kv){ds_key_mask(rows[i].key, dims), rows[i].packets};
		if (!keeps_order(DS_DIM_ALL, dims)) /* the total and sensors need no sort */
			ds_radix_sort(kv, tmp, n);
		/* as many rows as keys: an hour of 100,000 rows has a few thousand
		 * ports, and rows made (and zeroed) for every input row cost more
		 * than the sum */
		for (size_t i = 0; i < n; i++)
			k += i == 0 || kv[i - 1].key != kv[i].key;
		o = calloc(k + 1, sizeof *o);
	}
	if (!o) {
		free(kv);
		free(tmp);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	k = 0;
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
	for (unsigned d = 0; d < DS_NMASKS; d++) {
		free(r->rows[d]);
		ds_buf_free(&r->enc[d]);
	}
	memset(r, 0, sizeof *r);
}
