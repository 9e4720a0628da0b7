/* sketch.c - exact small sets that turn into HyperLogLog registers. */
#include "darkscope/sketch.h"

#include "darkscope/err.h"
#include "darkscope/limits.h"
#include "darkscope/radix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define M (1u << DS_HLL_P)
#define Q (32 - DS_HLL_P) /* bits left for the rank */

static inline uint32_t slot_of(uint32_t h, uint32_t cap)
{
	return (h * 2654435761u) >> 7 & (cap - 1);
}

static inline void reg_add(uint8_t *reg, uint32_t h)
{
	uint32_t idx = h >> Q;
	uint32_t w = h << DS_HLL_P;
	uint8_t rho = (uint8_t)(w ? __builtin_clz(w) + 1 : Q + 1);
	if (reg[idx] < rho)
		reg[idx] = rho;
}

/* Insert into a set with room; returns 1 when h was new. */
static int set_insert(uint32_t *set, uint32_t cap, uint32_t h)
{
	for (uint32_t i = slot_of(h, cap);; i = (i + 1) & (cap - 1)) {
		if (set[i] == h)
			return 0;
		if (set[i] == 0) {
			set[i] = h;
			return 1;
		}
	}
}

static int to_dense(struct ds_sketch *s)
{
	uint8_t *reg = calloc(M, 1);
	if (!reg)
		return ds_fail(DS_E_NOMEM, "out of memory");
	if (s->cap == 0) {
		for (uint32_t i = 0; i < s->n; i++)
			reg_add(reg, s->u.inl[i]);
	} else {
		for (uint32_t i = 0; i < s->cap; i++)
			if (s->u.set[i])
				reg_add(reg, s->u.set[i]);
		free(s->u.set);
	}
	s->u.reg = reg;
	s->cap = DS_SKETCH_DENSE;
	return 0;
}

/* Rehash a sparse sketch into a set of ncap slots. */
static int grow_to(struct ds_sketch *s, uint32_t ncap)
{
	uint32_t *set = calloc(ncap, sizeof *set);
	if (!set)
		return ds_fail(DS_E_NOMEM, "out of memory");
	if (s->cap == 0) {
		for (uint32_t i = 0; i < s->n; i++)
			set_insert(set, ncap, s->u.inl[i]);
	} else {
		for (uint32_t i = 0; i < s->cap; i++)
			if (s->u.set[i])
				set_insert(set, ncap, s->u.set[i]);
		free(s->u.set);
	}
	s->u.set = set;
	s->cap = ncap;
	return 0;
}

static int grow(struct ds_sketch *s)
{
	return grow_to(s, s->cap ? s->cap * 2 : 8);
}

int ds_sketch_add(struct ds_sketch *s, uint32_t h)
{
	if (h == 0)
		h = 1; /* 0 marks an empty slot */
	if (s->cap == DS_SKETCH_DENSE) {
		reg_add(s->u.reg, h);
		return 0;
	}
	if (s->cap == 0) {
		for (uint32_t i = 0; i < s->n; i++)
			if (s->u.inl[i] == h)
				return 0;
		if (s->n < 2) {
			s->u.inl[s->n++] = h;
			return 0;
		}
	} else {
		uint32_t i = slot_of(h, s->cap);
		while (s->u.set[i] && s->u.set[i] != h)
			i = (i + 1) & (s->cap - 1);
		if (s->u.set[i] == h)
			return 0;
		if ((s->n + 1) * 2 <= s->cap) {
			s->u.set[i] = h;
			s->n++;
			return 0;
		}
	}
	int rc = s->n >= DS_SPARSE_MAX ? to_dense(s) : grow(s);
	if (rc < 0)
		return rc;
	if (s->cap == DS_SKETCH_DENSE)
		reg_add(s->u.reg, h);
	else
		s->n += (uint32_t)set_insert(s->u.set, s->cap, h);
	return 0;
}

int ds_sketch_add_many(struct ds_sketch *s, const uint32_t *h, size_t n)
{
	/* the set they would grow to one by one, made at once: while they may
	 * all stay sparse, room for every one of them */
	if (s->cap != DS_SKETCH_DENSE && s->n == 0 && n > DS_SPARSE_MAX) {
		int rc = to_dense(s); /* more distinct hashes than a set holds */
		if (rc < 0)
			return rc;
	} else if (s->cap != DS_SKETCH_DENSE && s->n + n > 2 && s->n + n <= DS_SPARSE_MAX) {
		uint32_t want = s->cap ? s->cap : 8;
		while (want < 2 * (s->n + n))
			want *= 2;
		if (want != s->cap) {
			int rc = grow_to(s, want);
			if (rc < 0)
				return rc;
		}
	}
	for (size_t i = 0; i < n; i++) {
		int rc = ds_sketch_add(s, h[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int ds_sketch_merge(struct ds_sketch *dst, const struct ds_sketch *src)
{
	if (src->cap == DS_SKETCH_DENSE) {
		if (dst->cap != DS_SKETCH_DENSE) {
			int rc = to_dense(dst);
			if (rc < 0)
				return rc;
		}
		for (uint32_t i = 0; i < M; i++)
			if (dst->u.reg[i] < src->u.reg[i])
				dst->u.reg[i] = src->u.reg[i];
		return 0;
	}
	if (src->cap == 0) {
		for (uint32_t i = 0; i < src->n; i++) {
			int rc = ds_sketch_add(dst, src->u.inl[i]);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	for (uint32_t i = 0; i < src->cap; i++)
		if (src->u.set[i]) {
			int rc = ds_sketch_add(dst, src->u.set[i]);
			if (rc < 0)
				return rc;
		}
	return 0;
}

int ds_sketch_merge_enc(struct ds_sketch *dst, const uint8_t **p, const uint8_t *end)
{
	uint64_t tag, v;
	if (ds_getv(p, end, &tag) < 0)
		return -DS_E_FORMAT;
	if (tag == 1) {
		if ((size_t)(end - *p) < M)
			return -DS_E_FORMAT;
		if (dst->cap != DS_SKETCH_DENSE) {
			int rc = to_dense(dst);
			if (rc < 0)
				return rc;
		}
		const uint8_t *r = *p;
		for (uint32_t i = 0; i < M; i++)
			if (dst->u.reg[i] < r[i])
				dst->u.reg[i] = r[i];
		*p += M;
		return 0;
	}
	if (tag & 1)
		return -DS_E_FORMAT;
	uint64_t n = tag >> 1, h = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (ds_getv(p, end, &v) < 0 || h + v > UINT32_MAX)
			return -DS_E_FORMAT;
		h += v;
		int rc = ds_sketch_add(dst, (uint32_t)h);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int ds_sketch_skip_enc(const uint8_t **p, const uint8_t *end)
{
	uint64_t tag, v;
	if (ds_getv(p, end, &tag) < 0)
		return -1;
	if (tag == 1) {
		if ((size_t)(end - *p) < M)
			return -1;
		*p += M;
		return 0;
	}
	if (tag & 1)
		return -1;
	for (uint64_t i = 0, n = tag >> 1; i < n; i++)
		if (ds_getv(p, end, &v) < 0)
			return -1;
	return 0;
}

void ds_sketch_reg_add(uint8_t *reg, uint32_t h)
{
	reg_add(reg, h ? h : 1);
}

int ds_sketch_encode_sorted(const uint32_t *h, size_t n, struct ds_buf *b)
{
	int rc = ds_buf_reserve(b, 10 + 5 * n);
	if (rc < 0)
		return rc;
	uint8_t *o = b->data + b->len;
	uint64_t v = (uint64_t)n << 1;
	do {
		*o++ = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	uint32_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t d = h[i] - prev;
		prev = h[i];
		while (d > 0x7f) {
			*o++ = (uint8_t)(d | 0x80);
			d >>= 7;
		}
		*o++ = (uint8_t)d;
	}
	b->len = (size_t)(o - b->data);
	return 0;
}

int ds_sketch_encode_regs(const uint8_t *reg, struct ds_buf *b)
{
	int rc = ds_buf_putv(b, 1);
	return rc < 0 ? rc : ds_buf_put(b, reg, M);
}

int ds_sketch_encode(const struct ds_sketch *s, struct ds_buf *b)
{
	if (s->cap == DS_SKETCH_DENSE)
		return ds_sketch_encode_regs(s->u.reg, b);
	uint32_t tmp[DS_SPARSE_MAX + 2], scratch[DS_SPARSE_MAX + 2], n = 0;
	if (s->cap == 0) {
		for (uint32_t i = 0; i < s->n; i++)
			tmp[n++] = s->u.inl[i];
	} else {
		for (uint32_t i = 0; i < s->cap; i++)
			if (s->u.set[i])
				tmp[n++] = s->u.set[i];
	}
	ds_radix_sort32(tmp, scratch, n);
	return ds_sketch_encode_sorted(tmp, n, b);
}

/* Ertl, "New cardinality estimation algorithms for HyperLogLog sketches"
 * (2017): the improved raw estimator. */
static double sigma(double x)
{
	if (x == 1.0)
		return INFINITY;
	double y = 1.0, z = x, zp;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

static double tau(double x)
{
	if (x == 0.0 || x == 1.0)
		return 0.0;
	double y = 1.0, z = 1.0 - x, zp;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1.0 - x) * (1.0 - x) * y;
	} while (z != zp);
	return z / 3.0;
}

uint64_t ds_sketch_count(const struct ds_sketch *s)
{
	if (s->cap != DS_SKETCH_DENSE)
		return s->n;
	uint32_t c[Q + 2] = {0};
	for (uint32_t i = 0; i < M; i++)
		c[s->u.reg[i] > Q + 1 ? Q + 1 : s->u.reg[i]]++;
	double m = M;
	double z = m * tau(1.0 - c[Q + 1] / m);
	for (int k = Q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * sigma(c[0] / m);
	double e = (m * m / (2.0 * log(2.0))) / z;
	return (uint64_t)llround(e);
}

void ds_sketch_free(struct ds_sketch *s)
{
	if (s->cap == DS_SKETCH_DENSE)
		free(s->u.reg);
	else if (s->cap)
		free(s->u.set);
	memset(s, 0, sizeof *s);
}
