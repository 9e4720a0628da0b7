/* report.c - gather the report from the store and write it in each format. */
#include "report/report_int.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/output.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int ds_report_parse_formats(const char *s, unsigned *out)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", s);
	*out = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "html") == 0)
			*out |= DS_REPORT_HTML;
		else if (strcmp(t, "pdf") == 0)
			*out |= DS_REPORT_PDF;
		else if (strcmp(t, "md") == 0 || strcmp(t, "markdown") == 0)
			*out |= DS_REPORT_MD;
		else if (strcmp(t, "json") == 0)
			*out |= DS_REPORT_JSON;
		else
			return ds_fail(DS_E_USAGE, "bad report format '%s' (html, pdf, md, json)",
			               t);
	}
	return *out ? 0 : ds_fail(DS_E_USAGE, "no report format given");
}

void rp_cat(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	if (n + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

void rp_day(int64_t day, char *out, size_t cap) /* "3 Nov 2014" */
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int y, m, d;
	ds_civil_from_days(day, &y, &m, &d);
	snprintf(out, cap, "%d %s %d", d, mon[m - 1], y);
}

const char *rp_ordinal(long n, char *buf, size_t cap)
{
	const char *suf = (n % 100 >= 11 && n % 100 <= 13) ? "th"
	                  : n % 10 == 1                    ? "st"
	                  : n % 10 == 2                    ? "nd"
	                  : n % 10 == 3                    ? "rd"
	                                                   : "th";
	snprintf(buf, cap, "%ld%s", n, suf);
	return buf;
}

/* ---- figures ---- */

static struct rp_fig *new_fig(struct rp_report *r, const char *file, size_t n, int64_t day0)
{
	/* each figure on its own: its chart points into it, so it must not move */
	struct rp_fig **v = realloc(r->figs, (r->nfigs + 1) * sizeof *v), *f;
	if (!v)
		return NULL;
	r->figs = v;
	if (!(f = calloc(1, sizeof *f)))
		return NULL;
	r->figs[r->nfigs++] = f;
	f->c.title = f->title;
	snprintf(f->file, sizeof f->file, "%s", file);
	f->number = (int)r->nfigs;
	f->c.day0 = day0;
	f->c.n = n;
	f->c.shade0 = 1, f->c.shade1 = 0;
	return f;
}

static double *add_series(struct rp_fig *f, const char *label, int color, int dashed)
{
	if (f->ns >= RP_MAX_SERIES)
		return NULL;
	size_t k = f->ns;
	if (!(f->y[k] = calloc(f->c.n + 1, sizeof *f->y[k])))
		return NULL;
	snprintf(f->labels[k], sizeof f->labels[k], "%s", label);
	f->s[k] = (struct ds_chart_series){
	        .label = f->labels[k], .y = f->y[k], .color = color, .dashed = dashed};
	f->ns++;
	f->c.s = f->s;
	f->c.ns = f->ns;
	return f->y[k];
}

/* Figure 1 / 2: the daily packets of the top rows. */
static int top_figure(struct rp_report *r, const struct ds_series *s, unsigned by, const char *file,
                      const char *what)
{
	struct rp_fig *f = new_fig(r, file, s->npoints, r->p.day0);
	if (!f)
		return ds_fail(DS_E_NOMEM, "out of memory");
	snprintf(f->title, sizeof f->title, "Figure %d: daily packets of the top %zu %s", f->number,
	         s->nkeys, what);
	for (size_t k = 0; k < s->nkeys; k++) {
		char label[96];
		ds_label_display(r->l, by, s->keys[k], label, sizeof label);
		double *y = add_series(f, label, (int)k, 0);
		if (!y)
			return ds_fail(DS_E_NOMEM, "out of memory");
		for (size_t i = 0; i < s->npoints; i++)
			y[i] = (double)s->vals[k * s->npoints + i];
	}
	return 0;
}

void rp_event_keys(const struct rp_report *r, const struct ds_event *e, char *out, size_t cap)
{
	out[0] = 0;
	for (size_t i = 0; i < e->nkeys; i++) {
		char k[96];
		ds_label_display(r->l, e->dims & DS_DIM_PORT ? DS_DIM_PORT : DS_DIM_CC, e->keys[i],
		                 k, sizeof k);
		rp_cat(out, cap, "%s%s", i ? " and " : "", k);
	}
	if (e->dims == (DS_DIM_PORT | DS_DIM_CC)) {
		char c[96];
		ds_label_display(r->l, DS_DIM_CC, e->keys[0], c, sizeof c);
		rp_cat(out, cap, " from %s", c);
	}
}

/* Daily packets of the event's keys within filter f (a region), summed,
 * over the events' analysed days. */
static int key_series(struct rp_report *r, const struct ds_event *e, const struct ds_filter *f,
                      double *out)
{
	struct ds_period a = {
	        .day0 = r->ev.day0, .day1 = r->ev.day0 + (int64_t)r->ev.ndays - 1, .tz = r->p.tz};
	unsigned by = e->dims & DS_DIM_PORT ? DS_DIM_PORT : DS_DIM_CC;
	struct ds_series s;
	int rc = ds_series(r->st, by, &a, f, e->keys, e->nkeys, 0, DS_STEP_DAY, ds_label_key, r->l,
	                   &s);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < s.npoints; i++) {
		out[i] = 0;
		for (size_t k = 0; k < s.nkeys; k++)
			out[i] += (double)s.vals[k * s.npoints + i];
	}
	ds_series_free(&s);
	return 0;
}

/* The figures and text of one event. */
static int event_section(struct rp_report *r, size_t idx)
{
	const struct ds_event *e = &r->ev.v[idx];
	struct rp_event *x = &r->evs[idx];
	size_t off = (size_t)(r->p.day0 - r->ev.day0), n = r->ev.ndays - off;
	char keys[256], d0[32], d1[32], d2[32], name[64];
	rp_event_keys(r, e, keys, sizeof keys);
	rp_day(e->start, d0, sizeof d0);
	rp_day(e->peak, d1, sizeof d1);
	rp_day(e->end, d2, sizeof d2);
	snprintf(x->title, sizeof x->title, "%s: %s from %s%s%s", keys,
	         e->rise ? "a sharp rise" : "a sharp fall", d0, e->ongoing ? "" : " to ",
	         e->ongoing ? ", still high at the end of the period" : d2);
	/* (a) the series with its baseline, the event shaded */
	snprintf(name, sizeof name, "fig%zu-event%zu", r->nfigs + 1, idx + 1);
	struct rp_fig *f = new_fig(r, name, n, r->p.day0);
	if (!f)
		return ds_fail(DS_E_NOMEM, "out of memory");
	x->fig[x->nfig++] = r->nfigs - 1;
	snprintf(f->title, sizeof f->title, "Figure %d: daily packets of %s", f->number, keys);
	double *y = add_series(f, keys, 0, 0), *b = add_series(f, "baseline", 7, 1);
	if (!y || !b)
		return ds_fail(DS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		y[i] = e->series[off + i], b[i] = e->baseline[off + i];
	f->c.shade0 = e->start, f->c.shade1 = e->end;
	/* (b) the breakdown by region (by port for a region's event), days around it */
	int64_t w0 = e->start - 14 < r->p.day0 ? r->p.day0 : e->start - 14;
	int64_t w1 = e->end + 7 > r->p.day1 ? r->p.day1 : e->end + 7;
	if (w1 > r->ev.day0 + (int64_t)r->ev.ndays - 1)
		w1 = r->ev.day0 + (int64_t)r->ev.ndays - 1;
	unsigned by = e->dims & DS_DIM_PORT ? DS_DIM_CC : DS_DIM_PORT;
	const struct ds_ev_share *sh = by == DS_DIM_CC ? e->regions : e->ports;
	size_t nsh = by == DS_DIM_CC ? e->nregions : e->nports;
	if (nsh > 5)
		nsh = 5;
	if (nsh && w1 >= w0) {
		struct ds_period win = {.day0 = w0, .day1 = w1, .tz = r->p.tz};
		uint64_t keys2[5];
		for (size_t k = 0; k < nsh; k++)
			keys2[k] = sh[k].key;
		snprintf(name, sizeof name, "fig%zu-event%zu-%s", r->nfigs + 1, idx + 1,
		         by == DS_DIM_CC ? "regions" : "ports");
		f = new_fig(r, name, (size_t)(w1 - w0 + 1), w0);
		if (!f)
			return ds_fail(DS_E_NOMEM, "out of memory");
		x->fig[x->nfig++] = r->nfigs - 1;
		snprintf(f->title, sizeof f->title, "Figure %d: %s by source %s", f->number, keys,
		         by == DS_DIM_CC ? "region" : "port");
		for (size_t k = 0; k < nsh; k++) {
			char label[96];
			ds_label_display(r->l, by, keys2[k], label, sizeof label);
			if (!(y = add_series(f, label, (int)k, 0)))
				return ds_fail(DS_E_NOMEM, "out of memory");
		}
		/* one series query per event key, filtered on it, by the chosen values */
		for (size_t j = 0; j < e->nkeys; j++) {
			struct ds_filter fl = {.dims = e->dims, .key = e->keys[j]};
			struct ds_series s;
			int rc = ds_series(r->st, by, &win, &fl, keys2, nsh, 0, DS_STEP_DAY,
			                   ds_label_key, r->l, &s);
			if (rc < 0)
				return rc;
			for (size_t k = 0; k < s.nkeys; k++)
				for (size_t i = 0; i < s.npoints && i < f->c.n; i++)
					f->y[k][i] += (double)s.vals[k * s.npoints + i];
			ds_series_free(&s);
		}
		if (!(y = add_series(f, "other", 7, 0)))
			return ds_fail(DS_E_NOMEM, "out of memory");
		for (size_t i = 0; i < f->c.n; i++) {
			double all = e->series[(size_t)(w0 - r->ev.day0) + i], part = 0;
			for (size_t k = 0; k < nsh; k++)
				part += f->y[k][i];
			y[i] = all > part ? all - part : 0;
		}
		f->c.stacked = 1;
		f->c.shade0 = e->start, f->c.shade1 = e->end;
	}
	/* (c) a port led by one region: that region's own series and baseline */
	if (e->dims == DS_DIM_PORT && e->nregions && e->regions[0].share >= 0.4) {
		char cc[96];
		ds_label_display(r->l, DS_DIM_CC, e->regions[0].key, cc, sizeof cc);
		x->lead = e->regions[0].key;
		x->has_lead = 1;
		snprintf(name, sizeof name, "fig%zu-event%zu-lead", r->nfigs + 1, idx + 1);
		f = new_fig(r, name, n, r->p.day0);
		double *all = malloc(r->ev.ndays * sizeof *all),
		       *base = malloc(r->ev.ndays * sizeof *base);
		int rc = !f || !all || !base ? ds_fail(DS_E_NOMEM, "out of memory") : 0;
		struct ds_filter fl = {.dims = DS_DIM_CC, .key = e->regions[0].key};
		if (rc == 0)
			rc = key_series(r, e, &fl, all);
		if (rc == 0)
			rc = ds_events_baseline(&r->ev, &r->cfg->events, all, base);
		if (rc == 0) {
			x->fig[x->nfig++] = r->nfigs - 1;
			snprintf(f->title, sizeof f->title, "Figure %d: %s from %s", f->number,
			         keys, cc);
			char label[384];
			snprintf(label, sizeof label, "%s from %s", keys, cc);
			y = add_series(f, label, 1, 0);
			b = add_series(f, "baseline", 7, 1);
			if (!y || !b)
				rc = ds_fail(DS_E_NOMEM, "out of memory");
			for (size_t i = 0; rc == 0 && i < n; i++)
				y[i] = all[off + i], b[i] = base[off + i];
			f->c.shade0 = e->start, f->c.shade1 = e->end;
		}
		free(all);
		free(base);
		if (rc < 0)
			return rc;
	}
	rp_event_text(r, idx);
	return 0;
}

/* ---- sensors ---- */

static int sensors_table(struct rp_report *r)
{
	struct ds_top t;
	int rc = ds_top(r->st, DS_DIM_SENSOR, &r->p, NULL, 0, 1, ds_label_key, r->l, &t);
	if (rc < 0)
		return rc;
	struct ds_series s;
	uint64_t *keys = malloc((t.n + 1) * sizeof *keys);
	r->sens = calloc(t.n + 1, sizeof *r->sens);
	if (!keys || !r->sens) {
		free(keys);
		ds_top_free(&t);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < t.n; i++)
		keys[i] = t.rows[i].key;
	rc = ds_series(r->st, DS_DIM_SENSOR, &r->p, NULL, keys, t.n, 0, DS_STEP_DAY, ds_label_key,
	               r->l, &s);
	free(keys);
	for (size_t i = 0; rc == 0 && i < t.n; i++) {
		struct rp_sensor *x = &r->sens[r->nsens];
		ds_label_key(r->l, DS_DIM_SENSOR, t.rows[i].key, x->name, sizeof x->name);
		if (strcmp(x->name, "unattributed") == 0) {
			r->unattributed = t.rows[i].packets;
			continue;
		}
		r->nsens++;
		x->key = t.rows[i].key;
		x->packets = t.rows[i].packets;
		x->sources = t.rows[i].sources;
		snprintf(x->alias, sizeof x->alias, "%s",
		         ds_label_name(r->l, DS_DIM_SENSOR, t.rows[i].key));
		if (!x->alias[0])
			snprintf(x->alias, sizeof x->alias, "%s", x->name);
		/* gaps: days without a packet between days with some */
		const uint64_t *v = s.vals + i * s.npoints;
		size_t first = s.npoints, last = 0;
		for (size_t d = 0; d < s.npoints; d++)
			if (v[d]) {
				x->days++;
				first = d < first ? d : first;
				last = d;
			}
		for (size_t d = first; d <= last && d < s.npoints; d++) {
			if (v[d])
				continue;
			size_t e = d;
			while (e + 1 <= last && !v[e + 1])
				e++;
			char a[32], b[32];
			rp_day(r->p.day0 + (int64_t)d, a, sizeof a);
			rp_day(r->p.day0 + (int64_t)e, b, sizeof b);
			if (e == d)
				rp_cat(x->gaps, sizeof x->gaps, "%s%s", x->gaps[0] ? ", " : "", a);
			else
				rp_cat(x->gaps, sizeof x->gaps, "%s%s to %s",
				       x->gaps[0] ? ", " : "", a, b);
			d = e;
		}
		if (first > 0 && first < s.npoints) {
			char a[32];
			rp_day(r->p.day0 + (int64_t)first, a, sizeof a);
			rp_cat(x->gaps, sizeof x->gaps, "%sno data before %s",
			       x->gaps[0] ? ", " : "", a);
		}
		if (last + 1 < s.npoints && first < s.npoints) {
			char a[32];
			rp_day(r->p.day0 + (int64_t)last, a, sizeof a);
			rp_cat(x->gaps, sizeof x->gaps, "%sno data after %s",
			       x->gaps[0] ? ", " : "", a);
		}
		struct ds_filter fl = {.dims = DS_DIM_SENSOR, .key = t.rows[i].key};
		struct ds_top pt;
		if ((rc = ds_top(r->st, DS_DIM_PORT, &r->p, &fl, 3, 0, ds_label_key, r->l, &pt)) <
		    0)
			break;
		for (size_t k = 0; k < pt.n; k++) {
			char lbl[96];
			ds_label_display(r->l, DS_DIM_PORT, pt.rows[k].key, lbl, sizeof lbl);
			rp_cat(x->ports, sizeof x->ports, "%s%s (%.1f%%)", k ? ", " : "", lbl,
			       100.0 * (double)pt.rows[k].packets /
			               (double)(x->packets ? x->packets : 1));
		}
		ds_top_free(&pt);
		/* prefixes from the configuration, only when asked to reveal them */
		for (unsigned j = 0; r->opts->reveal_sensors && j < r->cfg->nprefixes; j++) {
			const struct ds_prefix *px = &r->cfg->prefixes[j];
			if (strcmp(r->cfg->sensors[px->sensor].name, x->name) != 0)
				continue;
			rp_cat(x->prefixes, sizeof x->prefixes, "%s", x->prefixes[0] ? " " : "");
			ds_prefix_format(px, x->prefixes + strlen(x->prefixes),
			                 sizeof x->prefixes - strlen(x->prefixes));
		}
	}
	if (rc == 0)
		ds_series_free(&s);
	ds_top_free(&t);
	return rc;
}

/* ---- the whole report ---- */

static int gather(struct rp_report *r)
{
	int rc;
	ds_period_previous(&r->p, r->opts->is_quarter, &r->prev);
	if ((rc = ds_top(r->st, DS_DIM_PORT, &r->p, NULL, 5, 1, ds_label_key, r->l, &r->ports)) <
	            0 ||
	    (rc = ds_top_previous(r->st, DS_DIM_PORT, &r->prev, NULL, ds_label_key, r->l,
	                          &r->ports)) < 0 ||
	    (rc = ds_top(r->st, DS_DIM_CC, &r->p, NULL, 5, 1, ds_label_key, r->l, &r->regions)) <
	            0 ||
	    (rc = ds_top_previous(r->st, DS_DIM_CC, &r->prev, NULL, ds_label_key, r->l,
	                          &r->regions)) < 0)
		return rc;
	if (r->ports.total_packets == 0)
		return ds_fail(DS_E_USAGE, "no packets stored for the period: nothing to report");
	uint64_t pk[5], rk[5];
	for (size_t i = 0; i < r->ports.n; i++)
		pk[i] = r->ports.rows[i].key;
	for (size_t i = 0; i < r->regions.n; i++)
		rk[i] = r->regions.rows[i].key;
	if ((rc = ds_series(r->st, DS_DIM_PORT, &r->p, NULL, pk, r->ports.n, 0, DS_STEP_DAY,
	                    ds_label_key, r->l, &r->sports)) < 0 ||
	    (rc = ds_series(r->st, DS_DIM_CC, &r->p, NULL, rk, r->regions.n, 0, DS_STEP_DAY,
	                    ds_label_key, r->l, &r->sregions)) < 0)
		return rc;
	if ((rc = top_figure(r, &r->sports, DS_DIM_PORT, "fig1-ports", "destination ports")) < 0 ||
	    (rc = top_figure(r, &r->sregions, DS_DIM_CC, "fig2-regions", "source regions")) < 0)
		return rc;
	if ((rc = ds_events_find(r->st, &r->p, NULL, &r->cfg->events, ds_label_key, r->l, &r->ev)) <
	    0)
		return rc;
	/* days covered: days of the period with any packet */
	struct ds_series tot;
	uint64_t zero = 0;
	if ((rc = ds_series(r->st, 0, &r->p, NULL, &zero, 1, 0, DS_STEP_DAY, ds_label_key, r->l,
	                    &tot)) < 0)
		return rc;
	for (size_t i = 0; i < tot.npoints; i++)
		r->days_covered += tot.vals[i] > 0;
	r->days = tot.npoints;
	ds_series_free(&tot);
	if ((rc = sensors_table(r)) < 0)
		return rc;
	r->evs = calloc(r->ev.n + 1, sizeof *r->evs);
	if (!r->evs)
		return ds_fail(DS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < r->ev.n && rc == 0; i++)
		rc = event_section(r, i);
	if (rc == 0)
		rp_overview_text(r);
	return rc;
}

static void release(struct rp_report *r)
{
	ds_top_free(&r->ports);
	ds_top_free(&r->regions);
	ds_series_free(&r->sports);
	ds_series_free(&r->sregions);
	ds_events_free(&r->ev);
	for (size_t i = 0; i < r->nfigs; i++) {
		for (size_t k = 0; k < r->figs[i]->ns; k++)
			free(r->figs[i]->y[k]);
		free(r->figs[i]);
	}
	free(r->figs);
	free(r->sens);
	free(r->evs);
}

int rp_path(const struct rp_report *r, const char *name, const char *ext, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s%s", r->opts->outdir, name, ext);
	return n < 0 || (size_t)n >= cap ? ds_fail(DS_E_USAGE, "output path too long") : 0;
}

int ds_report_write(struct ds_store *st, struct ds_labels *l, const struct ds_period *p,
                    const struct ds_report_opts *o)
{
	struct rp_report r = {.st = st, .l = l, .p = *p, .opts = o, .cfg = o->cfg};
	if (mkdir(o->outdir, 0777) < 0 && errno != EEXIST)
		return ds_fail(DS_E_IO, "%s: cannot create: %s", o->outdir, strerror(errno));
	int rc = gather(&r);
	char path[4096];
	/* the figures: SVG for HTML, PNG for Markdown (PDF draws them itself) */
	for (size_t i = 0; rc == 0 && i < r.nfigs; i++) {
		const struct rp_fig *f = r.figs[i];
		if (rc == 0 && (o->formats & DS_REPORT_HTML) &&
		    (rc = rp_path(&r, f->file, ".svg", path, sizeof path)) == 0)
			rc = ds_chart_svg(path, &f->c, RP_FIG_W, RP_FIG_H);
		if (rc == 0 && (o->formats & DS_REPORT_MD) &&
		    (rc = rp_path(&r, f->file, ".png", path, sizeof path)) == 0)
			rc = ds_chart_png(path, &f->c, RP_FIG_W, RP_FIG_H, 2);
	}
	if (rc == 0 && (o->formats & DS_REPORT_JSON))
		rc = rp_write_json(&r);
	if (rc == 0 && (o->formats & DS_REPORT_MD))
		rc = rp_write_md(&r);
	if (rc == 0 && (o->formats & DS_REPORT_HTML))
		rc = rp_write_html(&r);
	if (rc == 0 && (o->formats & DS_REPORT_PDF))
		rc = rp_write_pdf(&r);
	release(&r);
	return rc;
}
