/* output.c - table, JSON and CSV writers for query results. */
#include "darkscope/output.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"

#include <string.h>

int ds_parse_format(const char *s, enum ds_format *f)
{
	if (strcmp(s, "table") == 0)
		*f = DS_FMT_TABLE;
	else if (strcmp(s, "json") == 0)
		*f = DS_FMT_JSON;
	else if (strcmp(s, "csv") == 0)
		*f = DS_FMT_CSV;
	else
		return ds_fail(DS_E_USAGE, "bad format '%s' (want table, json or csv)", s);
	return 0;
}

const char *ds_dim_name(unsigned by)
{
	return by == DS_DIM_PORT ? "ports" : by == DS_DIM_CC ? "regions" : "sensors";
}

void ds_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(out, "\\u%04x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

static void csv_str(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void tz_text(int tz, char *out, size_t cap)
{
	if (tz == 0)
		snprintf(out, cap, "UTC");
	else
		snprintf(out, cap, "%c%02d:00", tz < 0 ? '-' : '+', tz < 0 ? -tz : tz);
}

static const char *heading(unsigned by)
{
	return by == DS_DIM_PORT ? "Destination port"
	       : by == DS_DIM_CC ? "Source region"
	                         : "Sensor";
}

static void top_table(FILE *out, struct ds_labels *l, unsigned by, const struct ds_period *p,
                      const struct ds_top *t, int previous)
{
	char d0[11], d1[11], tz[16], disp[160];
	ds_format_date(p->day0, d0);
	ds_format_date(p->day1, d1);
	tz_text(p->tz, tz, sizeof tz);
	fprintf(out, "Top %zu %s, %s to %s (%s): %llu packets from %llu sources\n\n", t->n,
	        ds_dim_name(by), d0, d1, tz, (unsigned long long)t->total_packets,
	        (unsigned long long)t->total_sources);
	fprintf(out, "%-5s %-36s %12s %7s %10s", "Rank", heading(by), "Packets", "Share",
	        "Sources");
	if (previous)
		fprintf(out, " %9s", "Previous");
	fputc('\n', out);
	for (size_t i = 0; i < t->n; i++) {
		const struct ds_top_row *r = &t->rows[i];
		ds_label_display(l, by, r->key, disp, sizeof disp);
		if (by == DS_DIM_SENSOR) {
			char k[64];
			ds_label_key(l, by, r->key, k, sizeof k);
			if (strcmp(k, disp) != 0) {
				char both[160];
				snprintf(both, sizeof both, "%.100s (%.50s)", disp, k);
				snprintf(disp, sizeof disp, "%s", both);
			}
		}
		double share = t->total_packets
		                       ? 100.0 * (double)r->packets / (double)t->total_packets
		                       : 0;
		fprintf(out, "%-5u %-36s %12llu %6.1f%% %10llu", r->rank, disp,
		        (unsigned long long)r->packets, share, (unsigned long long)r->sources);
		if (previous) {
			if (r->prev_rank)
				fprintf(out, " %9ld", r->prev_rank);
			else
				fprintf(out, " %9s", "-");
		}
		fputc('\n', out);
	}
}

void ds_print_top(FILE *out, enum ds_format fmt, struct ds_labels *l, unsigned by,
                  const struct ds_period *p, const struct ds_top *t, int previous)
{
	char d0[11], d1[11], key[64], tz[16];
	ds_format_date(p->day0, d0);
	ds_format_date(p->day1, d1);
	tz_text(p->tz, tz, sizeof tz);
	if (fmt == DS_FMT_TABLE) {
		top_table(out, l, by, p, t, previous);
		return;
	}
	if (fmt == DS_FMT_CSV) {
		fprintf(out, "rank,key,label,packets,sources%s\n",
		        previous ? ",previous_rank" : "");
		for (size_t i = 0; i < t->n; i++) {
			const struct ds_top_row *r = &t->rows[i];
			ds_label_key(l, by, r->key, key, sizeof key);
			fprintf(out, "%u,", r->rank);
			csv_str(out, key);
			fputc(',', out);
			csv_str(out, ds_label_name(l, by, r->key));
			fprintf(out, ",%llu,%llu", (unsigned long long)r->packets,
			        (unsigned long long)r->sources);
			if (previous) {
				if (r->prev_rank)
					fprintf(out, ",%ld", r->prev_rank);
				else
					fputc(',', out);
			}
			fputc('\n', out);
		}
		return;
	}
	fprintf(out,
	        "{\"by\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"tz\":\"%s\",\"total_packets\":%llu,"
	        "\"total_sources\":%llu,\"rows\":[",
	        ds_dim_name(by), d0, d1, tz, (unsigned long long)t->total_packets,
	        (unsigned long long)t->total_sources);
	for (size_t i = 0; i < t->n; i++) {
		const struct ds_top_row *r = &t->rows[i];
		ds_label_key(l, by, r->key, key, sizeof key);
		fprintf(out, "%s{\"rank\":%u,\"key\":", i ? "," : "", r->rank);
		ds_json_str(out, key);
		fputs(",\"label\":", out);
		ds_json_str(out, ds_label_name(l, by, r->key));
		fprintf(out, ",\"packets\":%llu,\"sources\":%llu", (unsigned long long)r->packets,
		        (unsigned long long)r->sources);
		if (previous) {
			if (r->prev_rank)
				fprintf(out, ",\"previous_rank\":%ld", r->prev_rank);
			else
				fputs(",\"previous_rank\":null", out);
		}
		fputc('}', out);
	}
	fputs("]}\n", out);
}

static void point_label(const struct ds_series *s, const struct ds_period *p, size_t i, char *out,
                        size_t cap)
{
	if (s->step != DS_STEP_HOUR) {
		ds_format_date(s->starts[i], out);
		return;
	}
	int64_t local = s->starts[i] + p->tz;
	char d[11], tz[16];
	ds_format_date(ds_floordiv(local, 24), d);
	if (p->tz == 0)
		snprintf(tz, sizeof tz, "Z");
	else
		tz_text(p->tz, tz, sizeof tz);
	snprintf(out, cap, "%sT%02d:00%s", d, (int)(local - ds_floordiv(local, 24) * 24), tz);
}

static const char *step_name(enum ds_step s)
{
	return s == DS_STEP_HOUR ? "hour" : s == DS_STEP_DAY ? "day" : "week";
}

void ds_print_series(FILE *out, enum ds_format fmt, struct ds_labels *l, unsigned by,
                     const struct ds_period *p, const struct ds_series *s)
{
	char d0[11], d1[11], key[64], when[40];
	ds_format_date(p->day0, d0);
	ds_format_date(p->day1, d1);
	if (fmt == DS_FMT_JSON) {
		fprintf(out,
		        "{\"by\":\"%s\",\"step\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"series\":[",
		        ds_dim_name(by), step_name(s->step), d0, d1);
		for (size_t k = 0; k < s->nkeys; k++) {
			ds_label_key(l, by, s->keys[k], key, sizeof key);
			fprintf(out, "%s{\"key\":", k ? "," : "");
			ds_json_str(out, key);
			fputs(",\"label\":", out);
			ds_json_str(out, ds_label_name(l, by, s->keys[k]));
			fputs(",\"points\":[", out);
			for (size_t i = 0; i < s->npoints; i++) {
				point_label(s, p, i, when, sizeof when);
				fprintf(out, "%s[\"%s\",%llu]", i ? "," : "", when,
				        (unsigned long long)s->vals[k * s->npoints + i]);
			}
			fputs("]}", out);
		}
		fputs("]}\n", out);
		return;
	}
	if (fmt == DS_FMT_CSV) {
		fputs("key,label,time,packets\n", out);
		for (size_t k = 0; k < s->nkeys; k++) {
			ds_label_key(l, by, s->keys[k], key, sizeof key);
			for (size_t i = 0; i < s->npoints; i++) {
				point_label(s, p, i, when, sizeof when);
				csv_str(out, key);
				fputc(',', out);
				csv_str(out, ds_label_name(l, by, s->keys[k]));
				fprintf(out, ",%s,%llu\n", when,
				        (unsigned long long)s->vals[k * s->npoints + i]);
			}
		}
		return;
	}
	fprintf(out, "%-22s",
	        s->step == DS_STEP_HOUR  ? "Hour"
	        : s->step == DS_STEP_DAY ? "Day"
	                                 : "Week of");
	for (size_t k = 0; k < s->nkeys; k++) {
		ds_label_key(l, by, s->keys[k], key, sizeof key);
		fprintf(out, " %12s", key);
	}
	fputc('\n', out);
	for (size_t i = 0; i < s->npoints; i++) {
		point_label(s, p, i, when, sizeof when);
		fprintf(out, "%-22s", when);
		for (size_t k = 0; k < s->nkeys; k++)
			fprintf(out, " %12llu", (unsigned long long)s->vals[k * s->npoints + i]);
		fputc('\n', out);
	}
}
