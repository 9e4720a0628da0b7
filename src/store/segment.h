/* segment.h - the encoding of one hour's rows for one mask (docs/store.md).
 *
 *   "DSG" version(1)=2  dims(1)  flags(1)=0
 *   varint n                      rows
 *   section R: varint rawlen, varint zlen (0: stored raw), bytes
 *   section S: varint rawlen, varint zlen (0: stored raw), bytes
 *   R (after zstd): n times  varint key - previous key, varint packets,
 *                            varint length of the row's sketch in S
 *   S (after zstd): the rows' sketches (sketch.h), concatenated in order
 *
 * Keeping sketches in a section of their own lets a query that needs only
 * packets (ranking, series) decompress and read R alone.
 */
#ifndef DARKSCOPE_STORE_SEGMENT_H
#define DARKSCOPE_STORE_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/aggregate.h"
#include "darkscope/buf.h"
#include "darkscope/limits.h"
#include "darkscope/sketch.h"

#define DS_SEG_VERSION 2

/* Encode rows (sorted by key; each with sk, or with enc) into out. */
int ds_seg_encode(const struct ds_row *rows, size_t n, unsigned dims, struct ds_buf *out);

/* A decoded segment: rows[] point into its buffers (enc only when decoded
 * with sketches). */
struct ds_seg {
	struct ds_row *rows;
	size_t n;
	uint8_t *r, *s; /* decompressed sections */
};

/* Decode a blob; with_sketches 0 leaves every enc NULL and S untouched.
 * A corrupt blob gives -DS_E_STORE.  Free with ds_seg_free. */
int ds_seg_decode(const uint8_t *blob, size_t len, unsigned dims, int with_sketches,
                  struct ds_seg *seg);
void ds_seg_free(struct ds_seg *seg);

/* Merge sorted a (sketches in sk, or encoded in enc) and b (encoded) into one
 * sorted set; equal keys add packets and merge sketches (new sketches, owned
 * by *out).  *out is freed with ds_rows_free. */
long ds_seg_merge(const struct ds_row *a, size_t na, const struct ds_row *b, size_t nb,
                  struct ds_row **out);

/* A segment is stored in parts (docs/store.md): the part of rows that
 * starts at `from` ends after max rows (ds_part_rows(): DS_PART_ROWS, or
 * fewer as tests set it), or after the row that brings its sketches to
 * DS_PART_BYTES (encoded ones as encoded, those in memory as held). */
size_t ds_part_rows(void);
size_t ds_part_end(const struct ds_row *rows, size_t n, size_t from, size_t max);
static inline size_t ds_row_sketch_bytes(const struct ds_row *r)
{
	if (r->enc)
		return r->enclen;
	return r->sk.cap == DS_SKETCH_DENSE ? (size_t)1 << DS_HLL_P : (size_t)r->sk.n * 4;
}

#endif
