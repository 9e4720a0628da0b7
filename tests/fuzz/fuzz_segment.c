/* fuzz_segment.c - any bytes as a stored segment (a store damaged on disk,
 * or written by something else): decoded or refused; a decoded one's rows
 * go through everything a store read does with them (sketch merges,
 * unions, rollups, merging into another hour), each step refusing corrupt
 * sketches rather than reading past them.  A segment that decodes and whose
 * sketches are all sound encodes back to a segment that decodes to the same
 * rows. */
#include "fuzz.h"

#include "darkscope/aggregate.h"
#include "darkscope/buf.h"
#include "darkscope/sketch.h"
#include "store/segment.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_seg seg;
	unsigned dims = size > 4 ? data[4] : 0;
	if (ds_seg_decode(data, size, dims, 1, &seg) < 0)
		return 0;
	int sound = 1;
	struct ds_sketch all = {0};
	for (size_t i = 0; i < seg.n; i++) {
		const uint8_t *p = seg.rows[i].enc, *end = p + seg.rows[i].enclen;
		struct ds_sketch one = {0};
		if (ds_sketch_merge_enc(&one, &p, end) < 0)
			sound = 0; /* (bytes after a sketch in its row are not read) */
		else if (ds_sketch_merge(&all, &one) < 0)
			abort();
		ds_sketch_count(&one);
		ds_sketch_free(&one);
	}
	ds_sketch_count(&all);
	ds_sketch_free(&all);

	/* the union of every row, as a day's build takes it */
	const struct ds_row **ptrs = malloc((seg.n + 1) * sizeof *ptrs);
	if (!ptrs)
		abort();
	for (size_t i = 0; i < seg.n; i++)
		ptrs[i] = &seg.rows[i];
	struct ds_union u = {0};
	struct ds_buf enc = {0};
	if (ds_union_encode(ptrs, seg.n, &u, &enc) == 0 && !sound)
		abort(); /* a corrupt sketch went into a union unnoticed */
	ds_union_free(&u);
	ds_buf_free(&enc);
	free(ptrs);

	/* rollups, as the hours of the full mask give them */
	struct ds_rollups r;
	if (dims == DS_DIM_ALL && ds_rollup(seg.rows, seg.n, DS_COARSE_MASKS, 0, &r) == 0)
		ds_rollups_free(&r);

	/* merged into itself, as an hour already stored */
	struct ds_row *m = NULL;
	long nm = ds_seg_merge(seg.rows, seg.n, seg.rows, seg.n, &m);
	if (nm >= 0)
		ds_rows_free(m, (size_t)nm);

	/* encode and decode again */
	if (sound) {
		struct ds_buf out = {0};
		struct ds_seg again;
		if (ds_seg_encode(seg.rows, seg.n, dims, &out) < 0 ||
		    ds_seg_decode(out.data, out.len, dims, 1, &again) < 0)
			abort();
		if (again.n != seg.n)
			abort();
		for (size_t i = 0; i < seg.n; i++)
			if (again.rows[i].key != seg.rows[i].key ||
			    again.rows[i].packets != seg.rows[i].packets ||
			    again.rows[i].enclen != seg.rows[i].enclen ||
			    memcmp(again.rows[i].enc, seg.rows[i].enc, seg.rows[i].enclen) != 0)
				abort();
		ds_seg_free(&again);
		ds_buf_free(&out);
	}
	ds_seg_free(&seg);
	return 0;
}
