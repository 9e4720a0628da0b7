/* events.h - sharp rises and falls in the daily series, found by machine.
 *
 * Every port, every region and every port within a region is followed day by
 * day against a robust baseline: the median of the previous `window` days
 * (after removing the weekly rhythm of all traffic), with the scaled median
 * absolute deviation as its spread (docs/events.md says why).  A day opens
 * an event when it stands `threshold` spreads above (or below) the baseline,
 * `factor` times over it, and its excess is at least `min_share` of the day's
 * packets; the baseline is then frozen until the series returns.  Detections
 * on the same port number, or on a region and a port within that region, that
 * overlap in time are grouped into one finding, and findings that rise at the
 * same time from the same new sources are joined.  A finding is kept when its
 * distinct sources changed too (`source_threshold`) or its packets alone are
 * overwhelming; it is then broken down by sensor (breadth) and by region (or
 * by port, for a region). */
#ifndef DARKSCOPE_EVENTS_H
#define DARKSCOPE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/analyse.h"
#include "darkscope/config.h"

#define DS_EV_MAX_KEYS  4
#define DS_EV_MAX_SHARE 8

struct ds_ev_share {
	uint64_t key; /* sensor, region or port key (masked) */
	double share; /* of the excess packets */
	int64_t excess;
};

struct ds_event {
	char id[128];
	int rise;      /* 1 rise, 0 fall */
	unsigned dims; /* DS_DIM_PORT, DS_DIM_CC, or both (a port within a region) */
	uint64_t keys[DS_EV_MAX_KEYS]; /* masked to dims; ports of one finding share a number */
	size_t nkeys;
	int64_t start, peak, end; /* local days; end = last day above the baseline */
	int ongoing;              /* still above the baseline on the period's last day */
	double factor;            /* peak day over its baseline */
	double z;                 /* robust score of the peak day */
	uint64_t packets;         /* over the event's days */
	double expected;          /* the baseline over the same days */
	int64_t excess_packets, excess_sources;
	uint64_t sources, sources_before; /* distinct, during and just before (same length) */
	double sources_z; /* (sources - sources_before) over its noise; NAN without a before */
	int broad;
	unsigned sensors_rising, sensors_reporting;
	struct ds_ev_share sensors[DS_EV_MAX_SHARE]; /* carrying most of the excess */
	size_t nsensors;
	struct ds_ev_share regions[DS_EV_MAX_SHARE]; /* top regions of the excess */
	size_t nregions;
	struct ds_ev_share ports[DS_EV_MAX_SHARE]; /* a region's event: its top ports */
	size_t nports;
	size_t members; /* detections grouped into this finding */
	/* the finding's daily series over the analysed days and its baseline */
	double *series, *baseline;
};

struct ds_events {
	struct ds_event *v; /* most significant (largest excess) first */
	size_t n;
	int64_t day0;         /* first analysed day (baseline history before the period) */
	size_t ndays;         /* analysed days: series[] and baseline[] length */
	int64_t pday0;        /* the period */
	double weekday[7];    /* the weekly rhythm removed (Monday first) */
	double *total;        /* ndays: all packets of each analysed day */
	unsigned char *valid; /* ndays: 0 for days without (complete) data */
	unsigned sensors_reporting;
};

/* Find the events of period p (filtered by f, may be NULL).  keytext names
 * keys in ids.  out is freed with ds_events_free. */
int ds_events_find(struct ds_store *st, const struct ds_period *p, const struct ds_filter *f,
                   const struct ds_event_opts *o, ds_keytext_fn keytext, void *ktctx,
                   struct ds_events *out);

void ds_events_free(struct ds_events *e);

/* Fold each region finding whose first port (30% of its excess or more) is
 * a port finding at the same time into that finding (a port's rise seen from
 * one region). */
void ds_events_absorb_regions(struct ds_events *e);

/* The expected values base[0..ndays) of a series over e's analysed days. */
int ds_events_baseline(const struct ds_events *e, const struct ds_event_opts *o, const double *x,
                       double *base);

/* One detection in one series (indexes into it). */
struct ds_ev_detect {
	int rise;
	size_t start, peak, end;
	int ongoing;
	double factor, z, excess, expected;
};

/* Run the detector over x[0..n) (day0 = local day of x[0]; total[i] the day's
 * packets over all keys; valid[i] 0 for days without data).  base[i]
 * receives the expected value of each day.  Returns the detections written
 * to out (at most cap), or a negative code. */
long ds_events_detect(const double *x, const double *total, const unsigned char *valid, size_t n,
                      int64_t day0, const double wf[7], const struct ds_event_opts *o, double *base,
                      struct ds_ev_detect *out, size_t cap);

/* Weekday factors (Monday first, mean 1) of a daily series of all traffic. */
void ds_events_weekdays(const double *total, const unsigned char *valid, size_t n, int64_t day0,
                        double wf[7]);

#endif
