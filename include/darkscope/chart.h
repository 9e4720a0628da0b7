/* chart.h - the report's figures, drawn with cairo.
 *
 * One drawing routine renders a chart into any cairo context, so the same
 * figure goes into an SVG (for HTML), a PNG (for Markdown) and a PDF page.
 * The x axis is dated (local days); the y axis counts packets. */
#ifndef DARKSCOPE_CHART_H
#define DARKSCOPE_CHART_H

#include <cairo.h>
#include <stddef.h>
#include <stdint.h>

struct ds_chart_series {
	const char *label;
	const double *y; /* n values */
	int color;       /* palette index */
	int dashed;      /* a baseline */
};

struct ds_chart {
	const char *title;
	int64_t day0; /* local day of the first point */
	size_t n;
	const struct ds_chart_series *s;
	size_t ns;
	int stacked;            /* stacked daily bars instead of lines */
	int64_t shade0, shade1; /* shaded days, inclusive (shade1 < shade0: none) */
};

/* Draw c into the rectangle (x, y, w, h) of cr, in cr's units (points). */
void ds_chart_draw(cairo_t *cr, double x, double y, double w, double h, const struct ds_chart *c);

/* Write c as an SVG or PNG file of w x h points (PNG: scale pixels per point). */
int ds_chart_svg(const char *path, const struct ds_chart *c, double w, double h);
int ds_chart_png(const char *path, const struct ds_chart *c, double w, double h, double scale);

/* The palette colour i as "#rrggbb". */
const char *ds_chart_color(int i);

#endif
