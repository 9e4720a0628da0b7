/* chart.c - dated line and stacked-bar charts with cairo. */
#include "darkscope/chart.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"

#include <cairo-svg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define FONT "DejaVu Sans"

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22"};

const char *ds_chart_color(int i)
{
	return palette[(unsigned)i % (sizeof palette / sizeof palette[0])];
}

static void set_color(cairo_t *cr, int i, double alpha)
{
	unsigned r, g, b;
	sscanf(ds_chart_color(i) + 1, "%2x%2x%2x", &r, &g, &b);
	cairo_set_source_rgba(cr, r / 255.0, g / 255.0, b / 255.0, alpha);
}

/* 1, 2 or 5 times a power of ten: about `want` steps up to max. */
static double nice_step(double max, int want)
{
	double raw = max / want, p = pow(10, floor(log10(raw))), f = raw / p;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

static void count_text(double v, char *out, size_t cap)
{
	if (v >= 1e6)
		snprintf(out, cap, "%gM", v / 1e6);
	else if (v >= 1e3)
		snprintf(out, cap, "%gk", v / 1e3);
	else
		snprintf(out, cap, "%g", v);
}

static void text_at(cairo_t *cr, double x, double y, const char *s, double ax, double ay)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - e.width * ax - e.x_bearing, y - e.height * ay - e.y_bearing);
	cairo_show_text(cr, s);
}

static double value_max(const struct ds_chart *c)
{
	double m = 0;
	for (size_t i = 0; i < c->n; i++) {
		double sum = 0;
		for (size_t k = 0; k < c->ns; k++) {
			double v = c->s[k].y[i];
			if (c->stacked && !c->s[k].dashed)
				sum += v;
			else if (v > m)
				m = v;
		}
		if (sum > m)
			m = sum;
	}
	return m > 0 ? m : 1;
}

void ds_chart_draw(cairo_t *cr, double x, double y, double w, double h, const struct ds_chart *c)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	cairo_save(cr);
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, x, y, w, h);
	cairo_fill(cr);
	/* legend rows below the axis: as many entries per row as fit */
	cairo_set_font_size(cr, 9);
	double lx = 0, lrows = 1;
	for (size_t k = 0; k < c->ns; k++) {
		cairo_text_extents_t e;
		cairo_text_extents(cr, c->s[k].label, &e);
		if (lx + e.x_advance + 30 > w - 50 && lx > 0)
			lrows++, lx = 0;
		lx += e.x_advance + 30;
	}
	double left = x + 46, right = x + w - 10, top = y + 22, bottom = y + h - 26 - 14 * lrows;
	double pw = right - left, ph = bottom - top;
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	cairo_set_font_size(cr, 11);
	if (c->title)
		text_at(cr, x + w / 2, y + 4, c->title, 0.5, 0);
	double max = value_max(c), step = nice_step(max, 5);
	max = ceil(max / step) * step;
	size_t n = c->n ? c->n : 1;
	double dx = pw / (double)n;
	/* shaded event */
	if (c->shade1 >= c->shade0) {
		double a = left + (double)(c->shade0 - c->day0) * dx;
		double b = left + (double)(c->shade1 - c->day0 + 1) * dx;
		a = a < left ? left : a, b = b > right ? right : b;
		cairo_set_source_rgba(cr, 1, 0.85, 0.3, 0.35);
		cairo_rectangle(cr, a, top, b - a, ph);
		cairo_fill(cr);
	}
	/* y grid and labels */
	cairo_set_font_size(cr, 8);
	cairo_set_line_width(cr, 0.5);
	for (double v = 0; v <= max * 1.0001; v += step) {
		double yy = bottom - v / max * ph;
		cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
		cairo_move_to(cr, left, yy);
		cairo_line_to(cr, right, yy);
		cairo_stroke(cr);
		char t[32];
		count_text(v, t, sizeof t);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		text_at(cr, left - 4, yy, t, 1, 0.5);
	}
	/* x ticks: every 7 days for a month or less, else the 1st and 15th */
	for (size_t i = 0; i < c->n; i++) {
		int yr, m, d;
		ds_civil_from_days(c->day0 + (int64_t)i, &yr, &m, &d);
		int tick = c->n <= 35 ? i % 7 == 0 : (d == 1 || d == 15);
		if (!tick)
			continue;
		double xx = left + ((double)i + 0.5) * dx;
		cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
		cairo_move_to(cr, xx, bottom);
		cairo_line_to(cr, xx, bottom + 3);
		cairo_stroke(cr);
		char t[32];
		snprintf(t, sizeof t, "%s %d", mon[m - 1], d);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		text_at(cr, xx, bottom + 5, t, 0.5, 0);
	}
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	cairo_set_line_width(cr, 0.8);
	cairo_move_to(cr, left, top);
	cairo_line_to(cr, left, bottom);
	cairo_line_to(cr, right, bottom);
	cairo_stroke(cr);
	/* data */
	if (c->stacked) {
		for (size_t i = 0; i < c->n; i++) {
			double acc = 0;
			for (size_t k = 0; k < c->ns; k++) {
				if (c->s[k].dashed)
					continue;
				double v = c->s[k].y[i] > 0 ? c->s[k].y[i] : 0;
				set_color(cr, c->s[k].color, 0.9);
				cairo_rectangle(cr, left + (double)i * dx + dx * 0.1,
				                bottom - (acc + v) / max * ph, dx * 0.8,
				                v / max * ph);
				cairo_fill(cr);
				acc += v;
			}
		}
	}
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	for (size_t k = 0; k < c->ns; k++) {
		if (c->stacked && !c->s[k].dashed)
			continue;
		set_color(cr, c->s[k].color, 1);
		cairo_set_line_width(cr, c->s[k].dashed ? 1.2 : 1.5);
		double dash[] = {4, 3};
		cairo_set_dash(cr, dash, c->s[k].dashed ? 2 : 0, 0);
		for (size_t i = 0; i < c->n; i++) {
			double xx = left + ((double)i + 0.5) * dx,
			       yy = bottom - c->s[k].y[i] / max * ph;
			if (i == 0)
				cairo_move_to(cr, xx, yy);
			else
				cairo_line_to(cr, xx, yy);
		}
		cairo_stroke(cr);
	}
	cairo_set_dash(cr, NULL, 0, 0);
	/* legend */
	cairo_set_font_size(cr, 9);
	double ly = bottom + 22, lx0 = left;
	lx = lx0;
	for (size_t k = 0; k < c->ns; k++) {
		cairo_text_extents_t e;
		cairo_text_extents(cr, c->s[k].label, &e);
		if (lx + e.x_advance + 30 > x + w - 4 && lx > lx0)
			ly += 14, lx = lx0;
		set_color(cr, c->s[k].color, 1);
		if (c->stacked && !c->s[k].dashed) {
			cairo_rectangle(cr, lx, ly + 1, 14, 8);
			cairo_fill(cr);
		} else {
			double dash[] = {4, 3};
			cairo_set_dash(cr, dash, c->s[k].dashed ? 2 : 0, 0);
			cairo_set_line_width(cr, 1.5);
			cairo_move_to(cr, lx, ly + 5);
			cairo_line_to(cr, lx + 14, ly + 5);
			cairo_stroke(cr);
			cairo_set_dash(cr, NULL, 0, 0);
		}
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		text_at(cr, lx + 18, ly + 5, c->s[k].label, 0, 0.5);
		lx += e.x_advance + 30;
	}
	cairo_restore(cr);
}

int ds_chart_svg(const char *path, const struct ds_chart *c, double w, double h)
{
	cairo_surface_t *s = cairo_svg_surface_create(path, w, h);
	cairo_t *cr = cairo_create(s);
	ds_chart_draw(cr, 0, 0, w, h, c);
	cairo_destroy(cr);
	cairo_surface_finish(s);
	cairo_status_t st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	return st == CAIRO_STATUS_SUCCESS
	               ? 0
	               : ds_fail(DS_E_IO, "%s: cannot write: %s", path, cairo_status_to_string(st));
}

int ds_chart_png(const char *path, const struct ds_chart *c, double w, double h, double scale)
{
	cairo_surface_t *s =
	        cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)(w * scale), (int)(h * scale));
	cairo_t *cr = cairo_create(s);
	cairo_scale(cr, scale, scale);
	ds_chart_draw(cr, 0, 0, w, h, c);
	cairo_destroy(cr);
	cairo_status_t st = cairo_surface_write_to_png(s, path);
	cairo_surface_destroy(s);
	return st == CAIRO_STATUS_SUCCESS
	               ? 0
	               : ds_fail(DS_E_IO, "%s: cannot write: %s", path, cairo_status_to_string(st));
}
