/* sketch.h - distinct-source counter: exact while small, HyperLogLog after.
 *
 * Up to DS_SPARSE_MAX distinct 32-bit source hashes are kept in an open-
 * addressing set (the first two inline, no allocation), so small counts are
 * exact.  Past that the set becomes 2^DS_HLL_P one-byte registers, estimated
 * with Ertl's improved raw estimator (unbiased over the whole range without
 * empirical tables; standard error 0.81% at P=14).  Sketches merge exactly
 * as sets (sparse+sparse) or as register maxima.
 *
 * Encoding (little-endian varints):
 *   tag = varint: 2n for a sparse set of n hashes, 1 for dense
 *   sparse: n varints, the sorted hashes delta-coded
 *   dense:  2^DS_HLL_P register bytes */
#ifndef DARKSCOPE_SKETCH_H
#define DARKSCOPE_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/buf.h"

#define DS_SKETCH_DENSE UINT32_MAX

struct ds_sketch {
	uint32_t n;   /* distinct hashes held (sparse) */
	uint32_t cap; /* 0: inline; DS_SKETCH_DENSE: registers; else set slots */
	union {
		uint32_t inl[2];
		uint32_t *set;
		uint8_t *reg;
	} u;
};

/* Add hash h.  Returns 0 or -DS_E_NOMEM (the sketch stays valid). */
int ds_sketch_add(struct ds_sketch *s, uint32_t h);

/* Add h[0..n), distinct nonzero hashes: the same sketch as n calls of
 * ds_sketch_add, with a set made once at its final size, or registers at
 * once when the sketch was empty and they are more than a set holds. */
int ds_sketch_add_many(struct ds_sketch *s, const uint32_t *h, size_t n);

/* dst |= src. */
int ds_sketch_merge(struct ds_sketch *dst, const struct ds_sketch *src);

/* Merge an encoded sketch at [p, end) into dst; *p moves past it.
 * Returns 0, -DS_E_FORMAT for a corrupt encoding, or -DS_E_NOMEM. */
int ds_sketch_merge_enc(struct ds_sketch *dst, const uint8_t **p, const uint8_t *end);

/* Skip an encoded sketch; -1 when corrupt. */
int ds_sketch_skip_enc(const uint8_t **p, const uint8_t *end);

/* Append the encoding of s to b. */
int ds_sketch_encode(const struct ds_sketch *s, struct ds_buf *b);

/* Building blocks for callers that hold hashes themselves (rollups):
 * raise registers reg[2^DS_HLL_P] for h; encode n distinct sorted hashes
 * (n <= DS_SPARSE_MAX) or a register array, exactly as ds_sketch_encode would. */
void ds_sketch_reg_add(uint8_t *reg, uint32_t h);
int ds_sketch_encode_sorted(const uint32_t *h, size_t n, struct ds_buf *b);
int ds_sketch_encode_regs(const uint8_t *reg, struct ds_buf *b);

/* Estimated (exact while sparse) number of distinct sources. */
uint64_t ds_sketch_count(const struct ds_sketch *s);

void ds_sketch_free(struct ds_sketch *s);

#endif
