/* fuzz_ingest.c - any bytes as a capture, through what one ingest reader
 * does with it: decode, attribute to sensors, annotate sources, count per
 * hour and key (with small key, memory and pending-source budgets, so that
 * hours are also flushed early and sources folded into sketches mid-hour),
 * and encode each hour as a segment.  Every hour comes out
 * sorted by key, its segment decodes to the same rows, and the packets of
 * all hours add up to the frames read. */
#include "fuzz.h"

#include "darkscope/aggregate.h"
#include "darkscope/capture.h"
#include "darkscope/classify.h"
#include "darkscope/config.h"
#include "darkscope/decode.h"
#include "darkscope/geo.h"
#include "store/segment.h"

#include <stdlib.h>

static uint64_t emitted;

static int emit(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	(void)ctx, (void)hour;
	struct ds_buf b = {0};
	struct ds_seg seg;
	for (size_t i = 0; i < n; i++) {
		if (i && rows[i - 1].key >= rows[i].key)
			abort();
		emitted += rows[i].packets;
	}
	if (ds_seg_encode(rows, n, DS_DIM_ALL, &b) < 0 ||
	    ds_seg_decode(b.data, b.len, DS_DIM_ALL, 1, &seg) < 0 || seg.n != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if (seg.rows[i].key != rows[i].key || seg.rows[i].packets != rows[i].packets)
			abort();
	ds_seg_free(&seg);
	ds_buf_free(&b);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ds_config cfg;
	static struct ds_sensormap map;
	static uint16_t ids[3] = {0, 1, 2};
	static int ready;
	if (!ready) {
		if (ds_config_init(&cfg) < 0 || ds_config_add_sensor(&cfg, "a", NULL) < 0 ||
		    ds_config_add_sensor(&cfg, "b", NULL) < 0 ||
		    ds_config_add_prefix(&cfg, 1, "198.51.100.0/24") < 0 ||
		    ds_config_add_prefix(&cfg, 2, "2001:db8::/32") < 0 ||
		    ds_sensormap_init(&map, &cfg, ids, -1) < 0)
			abort();
		ready = 1;
	}
	struct ds_capture c;
	if (ds_capture_open(&c, fuzz_file(data, size)) < 0)
		return 0;
	struct ds_geo *g;
	struct ds_agg a;
	if (ds_geo_open(&g, NULL) < 0 || ds_agg_init(&a, 16, 1 << 16, emit, NULL) < 0)
		abort();
	a.max_pend = 5;
	struct ds_frame f;
	struct ds_pkt p[8];
	struct ds_classify_memo memo = DS_CLASSIFY_MEMO_INIT;
	size_t n = 0;
	uint64_t frames = 0;
	int rc, arc = 0;
	emitted = 0;
	while ((rc = ds_capture_next(&c, &f)) == 1 || n) {
		if (rc == 1) {
			ds_decode(&f, &p[n++]);
			frames++;
		}
		if (n == 8 || (rc != 1 && n)) {
			ds_classify_batch(&map, p, n, &memo);
			ds_geo_annotate_batch(g, p, n);
			if ((arc = ds_agg_add_batch(&a, p, n)) < 0)
				break;
			n = 0;
		}
		if (rc != 1)
			break;
	}
	if (arc == 0 && ds_agg_flush(&a) == 0 && emitted != frames)
		abort(); /* a packet lost or counted twice */
	ds_agg_free(&a);
	ds_geo_close(g);
	ds_capture_close(&c);
	return 0;
}
