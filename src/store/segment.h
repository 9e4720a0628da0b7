/* segment.h - the encoding of one hour's rows for one mask (docs/store.md).
 *
 *   "DSG" version(1)  dims(1)  codec(1: 0 raw, 1 zstd)  varint rawlen  body
 *   body (after codec): varint n, then n times:
 *       varint key - previous key, varint packets, sketch (sketch.h)
 */
#ifndef DARKSCOPE_STORE_SEGMENT_H
#define DARKSCOPE_STORE_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/aggregate.h"
#include "darkscope/buf.h"

#define DS_SEG_VERSION 1

/* Encode rows (sorted by key; each with sk, or with enc) into out. */
int ds_seg_encode(const struct ds_row *rows, size_t n, unsigned dims, struct ds_buf *out);

/* Decode a blob.  *rows point into *body (enc set); the caller frees both.
 * A corrupt blob gives -DS_E_STORE. */
int ds_seg_decode(const uint8_t *blob, size_t len, unsigned dims, struct ds_row **rows,
		  size_t *n, uint8_t **body);

/* Merge sorted a (with sk) and b (with enc) into one sorted set; equal keys
 * add packets and merge sketches (new sketches, owned by *out).  *out is freed
 * with ds_rows_free. */
long ds_seg_merge(const struct ds_row *a, size_t na, const struct ds_row *b, size_t nb,
		  struct ds_row **out);

#endif
