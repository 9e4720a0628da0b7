/* pdf.c - the report as a paginated A4 PDF: text, tables and vector figures. */
#include "report/report_int.h"

#include "darkscope/err.h"

#include <cairo-pdf.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_W 595.28
#define PAGE_H 841.89
#define MARGIN 50.0
#define TEXT_W (PAGE_W - 2 * MARGIN)
#define FONT   "DejaVu Sans"

struct pdf {
	cairo_t *cr;
	double y;
	int page;
};

static void footer(struct pdf *p)
{
	char t[32];
	cairo_text_extents_t e;
	snprintf(t, sizeof t, "%d", p->page);
	cairo_select_font_face(p->cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(p->cr, 8);
	cairo_text_extents(p->cr, t, &e);
	cairo_set_source_rgb(p->cr, 0.4, 0.4, 0.4);
	cairo_move_to(p->cr, PAGE_W / 2 - e.width / 2, PAGE_H - MARGIN / 2);
	cairo_show_text(p->cr, t);
}

static void new_page(struct pdf *p)
{
	footer(p);
	cairo_show_page(p->cr);
	p->page++;
	p->y = MARGIN;
}

static void need(struct pdf *p, double h)
{
	if (p->y + h > PAGE_H - MARGIN)
		new_page(p);
}

static void font(struct pdf *p, double size, int bold)
{
	cairo_select_font_face(p->cr, FONT, CAIRO_FONT_SLANT_NORMAL,
	                       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(p->cr, size);
	cairo_set_source_rgb(p->cr, 0.1, 0.1, 0.1);
}

/* Break s into lines of at most width, handing each to fn (NULL: only
 * count them).  Returns the number of lines. */
typedef void (*line_fn)(struct pdf *p, const char *line, int i, void *ctx);

static int wrap(struct pdf *p, const char *s, double width, line_fn fn, void *ctx)
{
	char line[2200] = "", word[512];
	int n = 0;
	for (;;) {
		size_t k = 0;
		while (*s == ' ')
			s++;
		while (*s && *s != ' ' && k + 1 < sizeof word)
			word[k++] = *s++;
		word[k] = 0;
		char trial[2200];
		snprintf(trial, sizeof trial, "%s%s%s", line, *line ? " " : "", word);
		cairo_text_extents_t e;
		cairo_text_extents(p->cr, trial, &e);
		if ((!k || e.x_advance > width) && *line) {
			if (fn)
				fn(p, line, n, ctx);
			n++;
			snprintf(line, sizeof line, "%s", word);
		} else {
			memcpy(line, trial, sizeof line);
		}
		if (!k)
			return n;
	}
}

struct textpos {
	double x, y, lead, size;
	int bold;
};

/* A cell's line: at a fixed place. */
static void cell_line(struct pdf *p, const char *line, int i, void *ctx)
{
	const struct textpos *t = ctx;
	cairo_move_to(p->cr, t->x, t->y + t->lead * i);
	cairo_show_text(p->cr, line);
}

/* A paragraph's line: below the last, on a new page when this one is full. */
static void para_line(struct pdf *p, const char *line, int i, void *ctx)
{
	const struct textpos *t = ctx;
	(void)i;
	need(p, t->lead);
	font(p, t->size, t->bold);
	cairo_move_to(p->cr, MARGIN, p->y + t->size);
	cairo_show_text(p->cr, line);
	p->y += t->lead;
}

static void paragraph(struct pdf *p, const char *s, double size, int bold, double after)
{
	struct textpos t = {.lead = size * 1.4, .size = size, .bold = bold};
	font(p, size, bold);
	wrap(p, s, TEXT_W, para_line, &t);
	p->y += after;
}

static void table(struct pdf *p, int ncol, const double *w, const char *const *cells, int nrow,
                  const char *caption)
{
	const double size = 8.5, lead = 11, pad = 3;
	need(p, 40);
	paragraph(p, caption, 9.5, 1, 2);
	for (int r = 0; r < nrow; r++) {
		int lines = 1;
		font(p, size, r == 0);
		for (int c = 0; c < ncol; c++) {
			int n = wrap(p, cells[r * ncol + c], w[c] - 2 * pad, NULL, NULL);
			lines = n > lines ? n : lines;
		}
		double h = lines * lead + 2 * pad;
		need(p, h);
		double x = MARGIN;
		for (int c = 0; c < ncol; c++) {
			if (r == 0) {
				cairo_set_source_rgb(p->cr, 0.92, 0.92, 0.92);
				cairo_rectangle(p->cr, x, p->y, w[c], h);
				cairo_fill(p->cr);
			}
			cairo_set_source_rgb(p->cr, 0.7, 0.7, 0.7);
			cairo_set_line_width(p->cr, 0.5);
			cairo_rectangle(p->cr, x, p->y, w[c], h);
			cairo_stroke(p->cr);
			font(p, size, r == 0);
			struct textpos t = {.x = x + pad, .y = p->y + pad + size, .lead = lead};
			wrap(p, cells[r * ncol + c], w[c] - 2 * pad, cell_line, &t);
			x += w[c];
		}
		p->y += h;
	}
	p->y += 10;
}

static void figure(struct pdf *p, const struct rp_fig *g)
{
	double scale = TEXT_W / RP_FIG_W, h = RP_FIG_H * scale;
	need(p, h + 8);
	cairo_save(p->cr);
	cairo_translate(p->cr, MARGIN, p->y);
	cairo_scale(p->cr, scale, scale);
	ds_chart_draw(p->cr, 0, 0, RP_FIG_W, RP_FIG_H, &g->c);
	cairo_restore(p->cr);
	p->y += h + 12;
}

static void top_table(struct pdf *p, const struct rp_report *r, unsigned by, const struct ds_top *t,
                      const char *caption)
{
	static const double w[] = {40, 175, 80, 60, 70, 70};
	char buf[6][6][160];
	const char *cells[36];
	snprintf(buf[0][0], 160, "Rank");
	snprintf(buf[0][1], 160, "%s", by == DS_DIM_PORT ? "Destination port" : "Source region");
	snprintf(buf[0][2], 160, "Packets");
	snprintf(buf[0][3], 160, "Share");
	snprintf(buf[0][4], 160, "Sources");
	snprintf(buf[0][5], 160, "Previous rank");
	size_t n = t->n < 5 ? t->n : 5;
	for (size_t i = 0; i < n; i++) {
		const struct ds_top_row *x = &t->rows[i];
		snprintf(buf[i + 1][0], 160, "%u", x->rank);
		ds_label_display(r->l, by, x->key, buf[i + 1][1], 160);
		snprintf(buf[i + 1][2], 160, "%llu", (unsigned long long)x->packets);
		snprintf(buf[i + 1][3], 160, "%.1f%%",
		         100.0 * (double)x->packets /
		                 (double)(t->total_packets ? t->total_packets : 1));
		snprintf(buf[i + 1][4], 160, "%llu", (unsigned long long)x->sources);
		if (x->prev_rank)
			snprintf(buf[i + 1][5], 160, "%ld", x->prev_rank);
		else
			snprintf(buf[i + 1][5], 160, "-");
	}
	for (size_t i = 0; i <= n; i++)
		for (int c = 0; c < 6; c++)
			cells[i * 6 + (size_t)c] = buf[i][c];
	table(p, 6, w, cells, (int)n + 1, caption);
}

static int sensor_table(struct pdf *p, const struct rp_report *r)
{
	int reveal = r->opts->reveal_sensors, ncol = reveal ? 7 : 6;
	static const double w6[] = {95, 60, 50, 35, 160, 95.28};
	static const double w7[] = {80, 80, 55, 45, 30, 130, 75.28};
	size_t nrow = r->nsens + 1;
	const char **cells = calloc(nrow * (size_t)ncol, sizeof *cells);
	char(*num)[3][32] = calloc(nrow, sizeof *num);
	if (!cells || !num) {
		free(cells);
		free(num);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	static const char *const head[] = {"Sensor", "Prefixes",  "Packets", "Sources",
	                                   "Days",   "Top ports", "Gaps"};
	for (int c = 0, k = 0; c < 7; c++)
		if (c != 1 || reveal)
			cells[k++] = head[c];
	for (size_t i = 0; i < r->nsens; i++) {
		const struct rp_sensor *s = &r->sens[i];
		const char **row = cells + (i + 1) * (size_t)ncol;
		snprintf(num[i][0], 32, "%llu", (unsigned long long)s->packets);
		snprintf(num[i][1], 32, "%llu", (unsigned long long)s->sources);
		snprintf(num[i][2], 32, "%u", s->days);
		int k = 0;
		row[k++] = s->alias;
		if (reveal)
			row[k++] = s->prefixes;
		row[k++] = num[i][0];
		row[k++] = num[i][1];
		row[k++] = num[i][2];
		row[k++] = s->ports;
		row[k++] = s->gaps[0] ? s->gaps : "none";
	}
	table(p, ncol, reveal ? w7 : w6, cells, (int)nrow, "Table 3: Sensors");
	free(cells);
	free(num);
	return 0;
}

int rp_write_pdf(const struct rp_report *r)
{
	char path[4096], span[64], buf[1024];
	if (rp_path(r, "report", ".pdf", path, sizeof path) < 0)
		return -DS_E_USAGE;
	cairo_surface_t *s = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
	struct pdf p = {.cr = cairo_create(s), .y = MARGIN, .page = 1};
	rp_period_text(r, span, sizeof span);
	snprintf(buf, sizeof buf, "Darknet traffic report: %s", span);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, buf);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "darkscope");
	paragraph(&p, buf, 18, 1, 10);
	paragraph(&p, "1. Overview", 14, 1, 4);
	for (size_t i = 0; i < r->noverview; i++)
		paragraph(&p, r->overview[i], 10, 0, 6);
	top_table(&p, r, DS_DIM_PORT, &r->ports, "Table 1: Top 5 destination ports");
	figure(&p, r->figs[0]);
	top_table(&p, r, DS_DIM_CC, &r->regions, "Table 2: Top 5 source regions");
	figure(&p, r->figs[1]);
	need(&p, 60);
	paragraph(&p, "2. Events of note", 14, 1, 4);
	if (!r->ev.n)
		paragraph(&p, "No sharp rise or fall was found in the period.", 10, 0, 6);
	for (size_t i = 0; i < r->ev.n; i++) {
		need(&p, 80);
		snprintf(buf, sizeof buf, "2.%zu %s", i + 1, r->evs[i].title);
		paragraph(&p, buf, 11, 1, 3);
		paragraph(&p, r->evs[i].text, 10, 0, 6);
		for (size_t k = 0; k < r->evs[i].nfig; k++)
			figure(&p, r->figs[r->evs[i].fig[k]]);
	}
	need(&p, 80);
	paragraph(&p, "3. Sensors", 14, 1, 4);
	int rc = sensor_table(&p, r);
	snprintf(buf, sizeof buf,
	         "Totals: %llu packets from %llu distinct sources; %zu sensors reporting; %zu of "
	         "%zu "
	         "days covered; %llu packets to no sensor's prefix.",
	         (unsigned long long)r->ports.total_packets,
	         (unsigned long long)r->ports.total_sources, r->nsens, r->days_covered, r->days,
	         (unsigned long long)r->unattributed);
	paragraph(&p, buf, 10, 0, 0);
	footer(&p);
	cairo_destroy(p.cr);
	cairo_surface_finish(s);
	cairo_status_t st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (rc == 0 && st != CAIRO_STATUS_SUCCESS)
		rc = ds_fail(DS_E_IO, "%s: cannot write: %s", path, cairo_status_to_string(st));
	return rc;
}
