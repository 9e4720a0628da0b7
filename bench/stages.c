/* stages.c - time the ingest pipeline stage by stage on one capture, each
 * run adding one stage: read, +decode, +classify, +geo, +aggregate (no
 * store).  usage: bench_stages FILE GEOIP */
#include "darkscope/aggregate.h"
#include "darkscope/capture.h"
#include "darkscope/classify.h"
#include "darkscope/config.h"
#include "darkscope/decode.h"
#include "darkscope/dtime.h"
#include "darkscope/geo.h"

#include <stdio.h>
#include <time.h>

static int drop(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	(void)ctx, (void)hour, (void)rows, (void)n;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench_stages FILE GEOIP\n");
		return 2;
	}
	static const char *names[] = {"read", "+decode",    "+classify",
	                              "+geo", "+aggregate", "batched"};
	struct ds_config cfg;
	ds_config_init(&cfg);
	ds_config_add_prefix(&cfg, (unsigned)ds_config_add_sensor(&cfg, "a", NULL),
	                     "198.51.100.0/24");
	ds_config_add_prefix(&cfg, (unsigned)ds_config_add_sensor(&cfg, "b", NULL),
	                     "203.0.113.0/24");
	struct ds_sensormap map;
	ds_sensormap_init(&map, &cfg, NULL, -1);
	for (int stage = 0; stage < 6; stage++) {
		struct ds_capture c;
		struct ds_frame f;
		struct ds_pkt p;
		struct ds_geo *geo;
		struct ds_agg agg;
		ds_geo_open(&geo, argv[2]);
		ds_agg_init(&agg, 0, 0, drop, NULL);
		if (ds_capture_open(&c, argv[1]) < 0)
			return 1;
		double t0 = ds_elapsed();
		uint64_t n = 0, x = 0;
		struct ds_pkt batch[32];
		struct ds_classify_memo memo = DS_CLASSIFY_MEMO_INIT;
		size_t nb = 0;
		while (stage == 5) { /* the pipeline as ingest runs it */
			int rc = ds_capture_next(&c, &f);
			if (rc == 1) {
				ds_decode(&f, &batch[nb++]);
				n++;
			}
			if (nb == 32 || (rc != 1 && nb)) {
				ds_classify_batch(&map, batch, nb, &memo);
				ds_geo_annotate_batch(geo, batch, nb);
				ds_agg_add_batch(&agg, batch, nb);
				nb = 0;
			}
			if (rc != 1)
				break;
		}
		while (stage < 5 && ds_capture_next(&c, &f) == 1) {
			n++;
			x += f.caplen;
			if (stage >= 1)
				ds_decode(&f, &p), x += p.port;
			if (stage >= 2)
				ds_classify_sensor(&map, &p), x += p.sensor;
			if (stage >= 3)
				ds_geo_annotate(geo, &p), x += p.cc;
			if (stage >= 4)
				ds_agg_add(&agg, &p);
		}
		double dt = ds_elapsed() - t0;
		printf("%-11s %llu packets in %.3f s: %6.2f Mpps (%llu)\n", names[stage],
		       (unsigned long long)n, dt, (double)n / dt / 1e6,
		       (unsigned long long)(x & 1));
		ds_capture_close(&c);
		ds_agg_free(&agg);
		ds_geo_close(geo);
	}
	ds_sensormap_free(&map);
	ds_config_free(&cfg);
	return 0;
}
