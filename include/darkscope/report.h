/* report.h - the period's report, written from the store alone.
 *
 * Overview (Table 1 and Figure 1 for destination ports, Table 2 and Figure 2
 * for source regions, with previous-period ranks and generated prose), one
 * section per event found by ds_events_find (its series with baseline, its
 * breakdown by region, the leading region's sub-series, its breadth), and a
 * per-sensor table with totals and gaps.  Written as one self-contained HTML
 * file, an A4 PDF, Markdown with PNG figures, and JSON with every number. */
#ifndef DARKSCOPE_REPORT_H
#define DARKSCOPE_REPORT_H

#include "darkscope/analyse.h"
#include "darkscope/config.h"
#include "darkscope/labels.h"

#define DS_REPORT_HTML 1u
#define DS_REPORT_PDF  2u
#define DS_REPORT_MD   4u
#define DS_REPORT_JSON 8u
#define DS_REPORT_ALL  15u

struct ds_report_opts {
	const char *outdir;
	unsigned formats;
	int reveal_sensors; /* show prefixes next to aliases */
	int is_quarter;     /* previous period = previous calendar quarter */
	const struct ds_config *cfg;
};

/* Parse "html,pdf,md,json" (any subset) into DS_REPORT_* bits. */
int ds_report_parse_formats(const char *s, unsigned *out);

int ds_report_write(struct ds_store *st, struct ds_labels *l, const struct ds_period *p,
                    const struct ds_report_opts *o);

#endif
