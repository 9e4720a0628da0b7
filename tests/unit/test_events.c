/* test_events.c - the event detector on series with known answers. */
#include "unit.h"

#include "darkscope/dtime.h"
#include "darkscope/aggregate.h"
#include "darkscope/events.h"
#include "darkscope/record.h"

#include <math.h>
#include <stdlib.h>

#define N 120

static const struct ds_event_opts opts = {
        .threshold = 6, .factor = 1.5, .min_share = 0.01, .window = 28, .broad_share = 0.5};

/* A noisy level with a weekly rhythm (weekends at 70%), deterministic. */
static void background(double *x, double *total, unsigned char *valid, int64_t day0, double level)
{
	uint32_t s = 12345;
	for (int i = 0; i < N; i++) {
		s = s * 1664525u + 1013904223u;
		double noise = ((double)(s >> 8) / (1u << 24) - 0.5) * 0.2 * level;
		int dow = (int)(((day0 + i) % 7 + 7 + 3) % 7);
		x[i] = (dow >= 5 ? 0.7 : 1.0) * level + noise;
		total[i] = 20 * level;
		valid[i] = 1;
	}
}

TEST(events_quiet_series_has_none)
{
	double x[N], total[N], base[N], wf[7];
	unsigned char valid[N];
	struct ds_ev_detect d[8];
	int64_t day0 = ds_days_from_civil(2014, 9, 3);
	background(x, total, valid, day0, 1000);
	ds_events_weekdays(x, valid, N, day0, wf);
	CHECK(wf[5] < 0.85 && wf[6] < 0.85 && wf[0] > 1.0); /* the rhythm is seen */
	CHECK_INT(ds_events_detect(x, total, valid, N, day0, wf, &opts, base, d, 8), ==, 0);
	/* without the weekday factors, weekends would look like falls only if large:
	 * the same series, rhythm ignored, still gives nothing at this threshold */
	double flat[7] = {1, 1, 1, 1, 1, 1, 1};
	CHECK_INT(ds_events_detect(x, total, valid, N, day0, flat, &opts, base, d, 8), ==, 0);
}

TEST(events_step_dated_to_the_day_and_baseline_frozen)
{
	double x[N], total[N], base[N], wf[7];
	unsigned char valid[N];
	struct ds_ev_detect d[8];
	int64_t day0 = ds_days_from_civil(2014, 9, 3);
	background(x, total, valid, day0, 1000);
	ds_events_weekdays(x, valid, N, day0, wf);
	for (int i = 60; i < 68; i++) /* x5 for eight days */
		x[i] *= 5;
	long n = ds_events_detect(x, total, valid, N, day0, wf, &opts, base, d, 8);
	CHECK_INT(n, ==, 1);
	CHECK_INT(d[0].rise, ==, 1);
	CHECK_INT(d[0].start, ==, 60);
	CHECK_INT(d[0].end, ==, 67);
	CHECK_INT(d[0].ongoing, ==, 0);
	CHECK(d[0].factor > 4 && d[0].factor < 6);
	CHECK(fabs(d[0].excess - 4 * 8 * 1000 * (5 * 1.0 + 2 * 0.7) / 7) < 3500);
	/* the surge did not leak into the baseline after it */
	CHECK(base[70] < 1300);
}

TEST(events_fall_and_ongoing)
{
	double x[N], total[N], base[N], wf[7];
	unsigned char valid[N];
	struct ds_ev_detect d[8];
	int64_t day0 = ds_days_from_civil(2014, 9, 3);
	background(x, total, valid, day0, 1000);
	ds_events_weekdays(x, valid, N, day0, wf);
	for (int i = 100; i < N; i++)
		x[i] *= 0.1;
	long n = ds_events_detect(x, total, valid, N, day0, wf, &opts, base, d, 8);
	CHECK_INT(n, ==, 1);
	CHECK_INT(d[0].rise, ==, 0);
	CHECK_INT(d[0].start, ==, 100);
	CHECK_INT(d[0].ongoing, ==, 1);
}

TEST(events_small_or_missing_days_are_not_events)
{
	double x[N], total[N], base[N], wf[7];
	unsigned char valid[N];
	struct ds_ev_detect d[8];
	int64_t day0 = ds_days_from_civil(2014, 9, 3);
	background(x, total, valid, day0, 10); /* a quiet key: 10 a day */
	ds_events_weekdays(x, valid, N, day0, wf);
	for (int i = 0; i < N; i++)
		total[i] = 100000; /* ... in a busy darknet */
	x[50] = 150;               /* x15, but 0.15% of the day: below min_share */
	valid[80] = 0, x[80] = 0;  /* a day without data is no fall */
	CHECK_INT(ds_events_detect(x, total, valid, N, day0, wf, &opts, base, d, 8), ==, 0);
	x[50] = 1500; /* 1.5% of the day: an event */
	CHECK_INT(ds_events_detect(x, total, valid, N, day0, wf, &opts, base, d, 8), ==, 1);
	CHECK_INT(d[0].start, ==, 50);
}

TEST(events_region_spill_of_a_port_finding_is_folded_into_it)
{
	int64_t d = ds_days_from_civil(2014, 12, 1);
	uint64_t udp123 = ds_key(0, 0, 17, 123), nl = ds_key(0, ds_cc_pack("NL"), 0, 0);
	struct ds_events ev = {.n = 4};
	ev.v = calloc(4, sizeof *ev.v);
	/* 123/udp surges on December 1-4 */
	ev.v[0] = (struct ds_event){.rise = 1,
	                            .dims = DS_DIM_PORT,
	                            .keys = {udp123},
	                            .nkeys = 1,
	                            .start = d,
	                            .end = d + 3,
	                            .members = 3};
	/* NL rises on December 1-2, a third of it 123/udp: the surge seen from NL */
	ev.v[1] = (struct ds_event){.rise = 1,
	                            .dims = DS_DIM_CC,
	                            .keys = {nl},
	                            .nkeys = 1,
	                            .start = d,
	                            .end = d + 1,
	                            .members = 1,
	                            .nports = 1};
	ev.v[1].ports[0] = (struct ds_ev_share){.key = udp123, .share = 0.32};
	/* NL again in January (no surge then), and an NL rise led by no one port */
	ev.v[2] = ev.v[1];
	ev.v[2].start += 40, ev.v[2].end += 40;
	ev.v[3] = ev.v[1];
	ev.v[3].ports[0].share = 0.2;
	ds_events_absorb_regions(&ev);
	CHECK_INT(ev.n, ==, 3);
	CHECK_INT(ev.v[0].members, ==, 4);
	CHECK_INT(ev.v[1].dims, ==, DS_DIM_CC);
	CHECK_INT(ev.v[2].dims, ==, DS_DIM_CC);
	CHECK_INT(ev.v[1].start + ev.v[2].start, ==, 2 * d + 40); /* the two kept */
	ds_events_free(&ev);
}
