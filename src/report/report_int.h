/* report_int.h - the report's model, shared by its writers. */
#ifndef DARKSCOPE_REPORT_INT_H
#define DARKSCOPE_REPORT_INT_H

#include "darkscope/chart.h"
#include "darkscope/events.h"
#include "darkscope/report.h"

#include <stdio.h>

#define RP_MAX_SERIES 8
#define RP_FIG_W      540.0 /* points: the width of A4 text, readable when printed */
#define RP_FIG_H      250.0

struct rp_fig {
	char file[64]; /* base name of its .svg / .png */
	char title[512];
	int number;
	struct ds_chart c;
	struct ds_chart_series s[RP_MAX_SERIES];
	char labels[RP_MAX_SERIES][384];
	double *y[RP_MAX_SERIES];
	size_t ns;
};

struct rp_event {
	char title[512];
	char text[2048];
	size_t fig[3], nfig; /* into figs */
	uint64_t lead;       /* the leading region, when one led */
	int has_lead;
};

struct rp_sensor {
	uint64_t key;
	char name[128], alias[128];
	char prefixes[512]; /* only with --reveal-sensors */
	uint64_t packets, sources;
	unsigned days;
	char ports[512];
	char gaps[512];
};

struct rp_report {
	struct ds_store *st;
	struct ds_labels *l;
	struct ds_period p, prev;
	const struct ds_report_opts *opts;
	const struct ds_config *cfg;
	struct ds_top ports, regions;
	struct ds_series sports, sregions;
	struct ds_events ev;
	struct rp_event *evs;
	struct rp_fig **figs; /* each allocated alone: charts point into them */
	size_t nfigs;
	struct rp_sensor *sens;
	size_t nsens;
	uint64_t unattributed;
	size_t days, days_covered;
	char overview[4][1536]; /* paragraphs */
	size_t noverview;
};

void rp_cat(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rp_day(int64_t day, char *out, size_t cap);
const char *rp_ordinal(long n, char *buf, size_t cap);
int rp_path(const struct rp_report *r, const char *name, const char *ext, char *out, size_t cap);
/* "12543/TCP and 12543/UDP", "8080/TCP (http-alt) from China", "Japan". */
void rp_event_keys(const struct rp_report *r, const struct ds_event *e, char *out, size_t cap);
void rp_period_text(const struct rp_report *r, char *out, size_t cap);

void rp_event_text(struct rp_report *r, size_t idx);
void rp_overview_text(struct rp_report *r);

int rp_write_json(const struct rp_report *r);
int rp_write_md(const struct rp_report *r);
int rp_write_html(const struct rp_report *r);
int rp_write_pdf(const struct rp_report *r);

#endif
