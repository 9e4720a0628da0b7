/* write.c - the report as JSON, Markdown and one self-contained HTML file. */
#include "report/report_int.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static FILE *open_out(const struct rp_report *r, const char *name, char *path, size_t cap)
{
	if (rp_path(r, name, "", path, cap) < 0)
		return NULL;
	FILE *f = fopen(path, "w");
	if (!f)
		ds_fail(DS_E_IO, "%s: cannot create: %s", path, strerror(errno));
	return f;
}

static int close_out(FILE *f, const char *path)
{
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return ds_fail(DS_E_IO, "%s: write error", path);
	return 0;
}

static void prev_text(long prev, char *out, size_t cap)
{
	if (prev)
		snprintf(out, cap, "%ld", prev);
	else
		snprintf(out, cap, "-");
}

/* ---- JSON ---- */

static void json_top(FILE *f, const struct rp_report *r, unsigned by, const struct ds_top *t)
{
	fprintf(f, "{\"by\":\"%s\",\"total_packets\":%llu,\"total_sources\":%llu,\"rows\":[",
	        ds_dim_name(by), (unsigned long long)t->total_packets,
	        (unsigned long long)t->total_sources);
	for (size_t i = 0; i < t->n; i++) {
		char key[96], disp[160];
		ds_label_key(r->l, by, t->rows[i].key, key, sizeof key);
		ds_label_display(r->l, by, t->rows[i].key, disp, sizeof disp);
		fprintf(f, "%s{\"rank\":%u,\"key\":", i ? "," : "", t->rows[i].rank);
		ds_json_str(f, key);
		fprintf(f, ",\"label\":");
		ds_json_str(f, ds_label_name(r->l, by, t->rows[i].key));
		fprintf(f, ",\"display\":");
		ds_json_str(f, disp);
		fprintf(f, ",\"packets\":%llu,\"sources\":%llu,\"previous_rank\":",
		        (unsigned long long)t->rows[i].packets,
		        (unsigned long long)t->rows[i].sources);
		if (t->rows[i].prev_rank)
			fprintf(f, "%ld}", t->rows[i].prev_rank);
		else
			fprintf(f, "null}");
	}
	fprintf(f, "]}");
}

static void json_fig(FILE *f, const struct rp_fig *g)
{
	char d0[16];
	ds_format_date(g->c.day0, d0);
	fprintf(f, "{\"number\":%d,\"file\":", g->number);
	ds_json_str(f, g->file);
	fprintf(f, ",\"title\":");
	ds_json_str(f, g->title);
	fprintf(f, ",\"kind\":\"%s\",\"first_day\":\"%s\",\"days\":%zu",
	        g->c.stacked ? "stacked" : "lines", d0, g->c.n);
	if (g->c.shade1 >= g->c.shade0) {
		char a[16], b[16];
		ds_format_date(g->c.shade0, a);
		ds_format_date(g->c.shade1, b);
		fprintf(f, ",\"shaded\":[\"%s\",\"%s\"]", a, b);
	}
	fprintf(f, ",\"series\":[");
	for (size_t k = 0; k < g->ns; k++) {
		fprintf(f, "%s{\"label\":", k ? "," : "");
		ds_json_str(f, g->labels[k]);
		fprintf(f, ",\"baseline\":%s,\"values\":[", g->s[k].dashed ? "true" : "false");
		for (size_t i = 0; i < g->c.n; i++)
			fprintf(f, "%s%.1f", i ? "," : "", g->y[k][i]);
		fprintf(f, "]}");
	}
	fprintf(f, "]}");
}

int rp_write_json(const struct rp_report *r)
{
	char path[4096], d0[16], d1[16], p0[16], p1[16];
	FILE *f = open_out(r, "report.json", path, sizeof path);
	if (!f)
		return -DS_E_IO;
	ds_format_date(r->p.day0, d0);
	ds_format_date(r->p.day1, d1);
	ds_format_date(r->prev.day0, p0);
	ds_format_date(r->prev.day1, p1);
	fprintf(f,
	        "{\"from\":\"%s\",\"to\":\"%s\",\"tz_hours\":%d,\"previous\":{\"from\":\"%s\","
	        "\"to\":"
	        "\"%s\"},\"totals\":{\"packets\":%llu,\"sources\":%llu,\"sensors_reporting\":%zu,"
	        "\"unattributed_packets\":%llu,\"days\":%zu,\"days_covered\":%zu},\"overview\":[",
	        d0, d1, r->p.tz, p0, p1, (unsigned long long)r->ports.total_packets,
	        (unsigned long long)r->ports.total_sources, r->nsens,
	        (unsigned long long)r->unattributed, r->days, r->days_covered);
	for (size_t i = 0; i < r->noverview; i++) {
		if (i)
			fputc(',', f);
		ds_json_str(f, r->overview[i]);
	}
	fprintf(f, "],\"table1\":");
	json_top(f, r, DS_DIM_PORT, &r->ports);
	fprintf(f, ",\"table2\":");
	json_top(f, r, DS_DIM_CC, &r->regions);
	fprintf(f, ",\"figures\":[");
	for (size_t i = 0; i < r->nfigs; i++) {
		if (i)
			fputc(',', f);
		json_fig(f, r->figs[i]);
	}
	fprintf(f, "],\"events\":[");
	for (size_t i = 0; i < r->ev.n; i++) {
		fprintf(f, "%s{\"title\":", i ? "," : "");
		ds_json_str(f, r->evs[i].title);
		fprintf(f, ",\"text\":");
		ds_json_str(f, r->evs[i].text);
		fprintf(f, ",\"figures\":[");
		for (size_t k = 0; k < r->evs[i].nfig; k++)
			fprintf(f, "%s%d", k ? "," : "", r->figs[r->evs[i].fig[k]]->number);
		fprintf(f, "],\"event\":");
		ds_json_event(f, r->l, &r->ev.v[i]);
		fprintf(f, "}");
	}
	fprintf(f, "],\"sensors\":[");
	for (size_t i = 0; i < r->nsens; i++) {
		const struct rp_sensor *s = &r->sens[i];
		fprintf(f, "%s{\"name\":", i ? "," : "");
		ds_json_str(f, s->name);
		fprintf(f, ",\"alias\":");
		ds_json_str(f, s->alias);
		if (r->opts->reveal_sensors) {
			fprintf(f, ",\"prefixes\":");
			ds_json_str(f, s->prefixes);
		}
		fprintf(f, ",\"packets\":%llu,\"sources\":%llu,\"days\":%u,\"top_ports\":",
		        (unsigned long long)s->packets, (unsigned long long)s->sources, s->days);
		ds_json_str(f, s->ports);
		fprintf(f, ",\"gaps\":");
		ds_json_str(f, s->gaps);
		fputc('}', f);
	}
	fprintf(f, "]}\n");
	return close_out(f, path);
}

/* ---- Markdown ---- */

static void md_top(FILE *f, const struct rp_report *r, unsigned by, const struct ds_top *t)
{
	fprintf(f, "| Rank | %s | Packets | Share | Sources | Previous rank |\n",
	        by == DS_DIM_PORT ? "Destination port" : "Source region");
	fprintf(f, "| ---: | --- | ---: | ---: | ---: | ---: |\n");
	for (size_t i = 0; i < t->n; i++) {
		char disp[160], prev[16];
		ds_label_display(r->l, by, t->rows[i].key, disp, sizeof disp);
		prev_text(t->rows[i].prev_rank, prev, sizeof prev);
		fprintf(f, "| %u | %s | %llu | %.1f%% | %llu | %s |\n", t->rows[i].rank, disp,
		        (unsigned long long)t->rows[i].packets,
		        100.0 * (double)t->rows[i].packets /
		                (double)(t->total_packets ? t->total_packets : 1),
		        (unsigned long long)t->rows[i].sources, prev);
	}
	fputc('\n', f);
}

static void md_fig(FILE *f, const struct rp_fig *g)
{
	fprintf(f, "![%s](%s.png)\n\n*%s*\n\n", g->title, g->file, g->title);
}

int rp_write_md(const struct rp_report *r)
{
	char path[4096], span[64];
	FILE *f = open_out(r, "report.md", path, sizeof path);
	if (!f)
		return -DS_E_IO;
	rp_period_text(r, span, sizeof span);
	fprintf(f, "# Darknet traffic report: %s\n\n## 1. Overview\n\n", span);
	for (size_t i = 0; i < r->noverview; i++)
		fprintf(f, "%s\n\n", r->overview[i]);
	fprintf(f, "**Table 1: Top 5 destination ports**\n\n");
	md_top(f, r, DS_DIM_PORT, &r->ports);
	md_fig(f, r->figs[0]);
	fprintf(f, "**Table 2: Top 5 source regions**\n\n");
	md_top(f, r, DS_DIM_CC, &r->regions);
	md_fig(f, r->figs[1]);
	fprintf(f, "## 2. Events of note\n\n");
	if (!r->ev.n)
		fprintf(f, "No sharp rise or fall was found in the period.\n\n");
	for (size_t i = 0; i < r->ev.n; i++) {
		fprintf(f, "### 2.%zu %s\n\n%s\n\n", i + 1, r->evs[i].title, r->evs[i].text);
		for (size_t k = 0; k < r->evs[i].nfig; k++)
			md_fig(f, r->figs[r->evs[i].fig[k]]);
	}
	fprintf(f,
	        "## 3. Sensors\n\n| Sensor |%s Packets | Sources | Days with data | Top ports | "
	        "Gaps |\n| --- |%s ---: | ---: | ---: | --- | --- |\n",
	        r->opts->reveal_sensors ? " Prefixes |" : "",
	        r->opts->reveal_sensors ? " --- |" : "");
	for (size_t i = 0; i < r->nsens; i++) {
		const struct rp_sensor *s = &r->sens[i];
		fprintf(f, "| %s |", s->alias);
		if (r->opts->reveal_sensors)
			fprintf(f, " %s |", s->prefixes);
		fprintf(f, " %llu | %llu | %u | %s | %s |\n", (unsigned long long)s->packets,
		        (unsigned long long)s->sources, s->days, s->ports,
		        s->gaps[0] ? s->gaps : "none");
	}
	fprintf(f,
	        "\nTotals: %llu packets from %llu distinct sources; %zu sensors reporting; %zu of "
	        "%zu days covered; %llu packets to no sensor's prefix.\n",
	        (unsigned long long)r->ports.total_packets,
	        (unsigned long long)r->ports.total_sources, r->nsens, r->days_covered, r->days,
	        (unsigned long long)r->unattributed);
	return close_out(f, path);
}

/* ---- HTML ---- */

static void html_str(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

/* Inline the figure's SVG, its ids made unique in the page (cairo names
 * glyphs and clips the same way in every file). */
static int html_svg(FILE *f, const struct rp_report *r, const struct rp_fig *g)
{
	char path[4096], pre[16];
	if (rp_path(r, g->file, ".svg", path, sizeof path) < 0)
		return -DS_E_USAGE;
	FILE *in = fopen(path, "r");
	if (!in)
		return ds_fail(DS_E_IO, "%s: cannot read: %s", path, strerror(errno));
	fseek(in, 0, SEEK_END);
	long n = ftell(in);
	rewind(in);
	char *buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, in) != (size_t)n) {
		free(buf);
		fclose(in);
		return ds_fail(DS_E_IO, "%s: cannot read", path);
	}
	fclose(in);
	buf[n] = 0;
	snprintf(pre, sizeof pre, "f%d-", g->number);
	char *s = strstr(buf, "<svg");
	fprintf(f, "<figure>\n");
	static const char *const pats[] = {"id=\"", "href=\"#", "url(#"};
	while (s && *s) {
		char *best = NULL;
		size_t bl = 0;
		for (size_t i = 0; i < 3; i++) {
			char *h = strstr(s, pats[i]);
			if (h && (!best || h < best))
				best = h, bl = strlen(pats[i]);
		}
		if (!best) {
			fputs(s, f);
			break;
		}
		fwrite(s, 1, (size_t)(best - s) + bl, f);
		fputs(pre, f);
		s = best + bl;
	}
	fprintf(f, "<figcaption>");
	html_str(f, g->title);
	fprintf(f, "</figcaption>\n</figure>\n");
	free(buf);
	return 0;
}

static void html_top(FILE *f, const struct rp_report *r, unsigned by, const struct ds_top *t,
                     const char *caption)
{
	fprintf(f,
	        "<table>\n<caption>%s</caption>\n<thead><tr><th>Rank</th><th>%s</th>"
	        "<th>Packets</th><th>Share</th><th>Sources</th><th>Previous "
	        "rank</th></tr></thead>\n"
	        "<tbody>\n",
	        caption, by == DS_DIM_PORT ? "Destination port" : "Source region");
	for (size_t i = 0; i < t->n; i++) {
		char disp[160], prev[16];
		ds_label_display(r->l, by, t->rows[i].key, disp, sizeof disp);
		prev_text(t->rows[i].prev_rank, prev, sizeof prev);
		fprintf(f, "<tr><td>%u</td><td>", t->rows[i].rank);
		html_str(f, disp);
		fprintf(f, "</td><td>%llu</td><td>%.1f%%</td><td>%llu</td><td>%s</td></tr>\n",
		        (unsigned long long)t->rows[i].packets,
		        100.0 * (double)t->rows[i].packets /
		                (double)(t->total_packets ? t->total_packets : 1),
		        (unsigned long long)t->rows[i].sources, prev);
	}
	fprintf(f, "</tbody>\n</table>\n");
}

int rp_write_html(const struct rp_report *r)
{
	char path[4096], span[64];
	FILE *f = open_out(r, "report.html", path, sizeof path);
	if (!f)
		return -DS_E_IO;
	rp_period_text(r, span, sizeof span);
	fprintf(f,
	        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	        "<title>Darknet traffic report: %s</title>\n<style>\n"
	        "body{font-family:'DejaVu "
	        "Sans',Helvetica,Arial,sans-serif;max-width:50em;margin:2em "
	        "auto;padding:0 1em;color:#222;line-height:1.45}\n"
	        "h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em}\n"
	        "table{border-collapse:collapse;margin:1em 0;width:100%%;font-size:.92em}\n"
	        "caption{font-weight:bold;text-align:left;padding-bottom:.4em}\n"
	        "th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;"
	        "overflow-wrap:anywhere}\n"
	        "td:nth-child(n+3){text-align:right}\n.sensors td{text-align:left}\n"
	        "figure{margin:1em 0}figure svg{width:100%%;height:auto;display:block}\n"
	        "figcaption{font-style:italic;font-size:.9em;text-align:center}\n"
	        "@media print{body{max-width:none}figure,table{break-inside:avoid}}\n"
	        "</style>\n</head>\n<body>\n<h1>Darknet traffic report: %s</h1>\n"
	        "<h2>1. Overview</h2>\n",
	        span, span);
	for (size_t i = 0; i < r->noverview; i++) {
		fprintf(f, "<p>");
		html_str(f, r->overview[i]);
		fprintf(f, "</p>\n");
	}
	int rc = 0;
	html_top(f, r, DS_DIM_PORT, &r->ports, "Table 1: Top 5 destination ports");
	rc = html_svg(f, r, r->figs[0]);
	html_top(f, r, DS_DIM_CC, &r->regions, "Table 2: Top 5 source regions");
	if (rc == 0)
		rc = html_svg(f, r, r->figs[1]);
	fprintf(f, "<h2>2. Events of note</h2>\n");
	if (!r->ev.n)
		fprintf(f, "<p>No sharp rise or fall was found in the period.</p>\n");
	for (size_t i = 0; i < r->ev.n && rc == 0; i++) {
		fprintf(f, "<section class=\"event\" id=\"");
		html_str(f, r->ev.v[i].id);
		fprintf(f, "\">\n<h3>2.%zu ", i + 1);
		html_str(f, r->evs[i].title);
		fprintf(f, "</h3>\n<p>");
		html_str(f, r->evs[i].text);
		fprintf(f, "</p>\n");
		for (size_t k = 0; k < r->evs[i].nfig && rc == 0; k++)
			rc = html_svg(f, r, r->figs[r->evs[i].fig[k]]);
		fprintf(f, "</section>\n");
	}
	fprintf(f,
	        "<h2>3. Sensors</h2>\n<table class=\"sensors\">\n<caption>Table 3: Sensors"
	        "</caption>\n<thead><tr><th>Sensor</th>%s<th>Packets</th><th>Sources</th>"
	        "<th>Days</th><th>Top ports</th><th>Gaps</th></tr></thead>\n<tbody>\n",
	        r->opts->reveal_sensors ? "<th>Prefixes</th>" : "");
	for (size_t i = 0; i < r->nsens; i++) {
		const struct rp_sensor *s = &r->sens[i];
		fprintf(f, "<tr><td>");
		html_str(f, s->alias);
		if (r->opts->reveal_sensors) {
			fprintf(f, "</td><td>");
			html_str(f, s->prefixes);
		}
		fprintf(f, "</td><td>%llu</td><td>%llu</td><td>%u</td><td>",
		        (unsigned long long)s->packets, (unsigned long long)s->sources, s->days);
		html_str(f, s->ports);
		fprintf(f, "</td><td>");
		html_str(f, s->gaps[0] ? s->gaps : "none");
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f,
	        "</tbody>\n</table>\n<p>Totals: %llu packets from %llu distinct sources; %zu "
	        "sensors reporting; %zu of %zu days covered; %llu packets to no sensor's "
	        "prefix.</p>\n</body>\n</html>\n",
	        (unsigned long long)r->ports.total_packets,
	        (unsigned long long)r->ports.total_sources, r->nsens, r->days_covered, r->days,
	        (unsigned long long)r->unattributed);
	int rc2 = close_out(f, path);
	return rc < 0 ? rc : rc2;
}
