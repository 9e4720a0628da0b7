/* events_out.c - `darkscope events` as a table, JSON or CSV. */
#include "darkscope/output.h"

#include "darkscope/dtime.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void keys_text(struct ds_labels *l, const struct ds_event *e, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	for (size_t i = 0; i < e->nkeys && n < cap; i++) {
		char k[48];
		ds_label_key(l, e->dims & DS_DIM_PORT ? DS_DIM_PORT : DS_DIM_CC, e->keys[i], k,
		             sizeof k);
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "+" : "", k);
	}
	if (e->dims == (DS_DIM_PORT | DS_DIM_CC) && n < cap) {
		char r[48];
		ds_label_key(l, DS_DIM_CC, e->keys[0], r, sizeof r);
		snprintf(out + n, cap - n, " from %s", r);
	}
}

static void shares_text(struct ds_labels *l, unsigned by, const struct ds_ev_share *s, size_t n,
                        size_t max, char *out, size_t cap)
{
	size_t k = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && i < max && k < cap; i++) {
		char t[128];
		ds_label_key(l, by, s[i].key, t, sizeof t);
		k += (size_t)snprintf(out + k, cap - k, "%s%s %.0f%%", i ? ", " : "", t,
		                      100 * s[i].share);
	}
}

static void json_shares(FILE *out, struct ds_labels *l, unsigned by, const struct ds_ev_share *s,
                        size_t n)
{
	fputc('[', out);
	for (size_t i = 0; i < n; i++) {
		char t[128];
		ds_label_key(l, by, s[i].key, t, sizeof t);
		fprintf(out, "%s[", i ? "," : "");
		ds_json_str(out, t);
		fprintf(out, ",%.3f]", s[i].share);
	}
	fputc(']', out);
}

void ds_json_event(FILE *out, struct ds_labels *l, const struct ds_event *e)
{
	char d0[16], d1[16], d2[16];
	ds_format_date(e->start, d0);
	ds_format_date(e->peak, d1);
	ds_format_date(e->end, d2);
	fprintf(out, "{\"id\":");
	ds_json_str(out, e->id);
	fprintf(out, ",\"keys\":[");
	for (size_t i = 0; i < e->nkeys; i++) {
		char k[48];
		ds_label_key(l, e->dims & DS_DIM_PORT ? DS_DIM_PORT : DS_DIM_CC, e->keys[i], k,
		             sizeof k);
		fprintf(out, "%s", i ? "," : "");
		ds_json_str(out, k);
	}
	fprintf(out, "],\"dimension\":\"%s\"", e->dims & DS_DIM_PORT ? "ports" : "regions");
	if (e->dims == (DS_DIM_PORT | DS_DIM_CC)) {
		char r[8];
		ds_label_key(l, DS_DIM_CC, e->keys[0], r, sizeof r);
		fprintf(out, ",\"region\":");
		ds_json_str(out, r);
	}
	char zs[32] = "null";
	if (!isnan(e->sources_z))
		snprintf(zs, sizeof zs, "%.1f", e->sources_z);
	fprintf(out,
	        ",\"kind\":\"%s\",\"start\":\"%s\",\"peak\":\"%s\",\"end\":%s%s%s,"
	        "\"last_day\":\"%s\",\"factor\":%.2f,\"z\":%.1f,\"packets\":%llu,"
	        "\"expected_packets\":%.0f,\"excess_packets\":%lld,\"sources\":%llu,"
	        "\"sources_before\":%llu,\"excess_sources\":%lld,\"sources_z\":%s,\"breadth\":\"%"
	        "s\","
	        "\"sensors_rising\":%u,\"sensors_reporting\":%u,\"members\":%zu,\"sensors\":[",
	        e->rise ? "rise" : "fall", d0, d1, e->ongoing ? "\"ongoing" : "\"",
	        e->ongoing ? "" : d2, "\"", d2, e->factor, e->z, (unsigned long long)e->packets,
	        e->expected, (long long)e->excess_packets, (unsigned long long)e->sources,
	        (unsigned long long)e->sources_before, (long long)e->excess_sources, zs,
	        e->broad ? "broad" : "local", e->sensors_rising, e->sensors_reporting, e->members);
	for (size_t i = 0; i < e->nsensors; i++) {
		char t[128];
		ds_label_key(l, DS_DIM_SENSOR, e->sensors[i].key, t, sizeof t);
		fprintf(out, "%s", i ? "," : "");
		ds_json_str(out, t);
	}
	fprintf(out, "],\"sensor_shares\":");
	json_shares(out, l, DS_DIM_SENSOR, e->sensors, e->nsensors);
	fprintf(out, ",\"top_regions\":");
	json_shares(out, l, DS_DIM_CC, e->regions, e->nregions);
	if (e->nports) {
		fprintf(out, ",\"top_ports\":");
		json_shares(out, l, DS_DIM_PORT, e->ports, e->nports);
	}
	fputc('}', out);
}

void ds_print_events(FILE *out, enum ds_format fmt, struct ds_labels *l, const struct ds_period *p,
                     const struct ds_events *e, size_t limit)
{
	size_t n = limit && limit < e->n ? limit : e->n;
	char d0[16], d1[16];
	ds_format_date(p->day0, d0);
	ds_format_date(p->day1, d1);
	if (fmt == DS_FMT_JSON) {
		fprintf(out, "{\"from\":\"%s\",\"to\":\"%s\",\"sensors_reporting\":%u,\"events\":[",
		        d0, d1, e->sensors_reporting);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(',', out);
			ds_json_event(out, l, &e->v[i]);
		}
		fprintf(out, "]}\n");
		return;
	}
	if (fmt == DS_FMT_CSV)
		fprintf(out, "id,keys,kind,start,peak,end,factor,excess_packets,excess_sources,"
		             "breadth,sensors,top_regions\n");
	else
		fprintf(out, "%zu event%s from %s to %s (%u sensors reporting)\n", e->n,
		        e->n == 1 ? "" : "s", d0, d1, e->sensors_reporting);
	for (size_t i = 0; i < n; i++) {
		const struct ds_event *v = &e->v[i];
		char keys[160], s0[16], s1[16], s2[16], sens[512], reg[512];
		keys_text(l, v, keys, sizeof keys);
		ds_format_date(v->start, s0);
		ds_format_date(v->peak, s1);
		if (v->ongoing)
			strcpy(s2, "ongoing");
		else
			ds_format_date(v->end, s2);
		shares_text(l, DS_DIM_SENSOR, v->sensors, v->nsensors, 3, sens, sizeof sens);
		shares_text(l, DS_DIM_CC, v->regions, v->nregions, 3, reg, sizeof reg);
		if (fmt == DS_FMT_CSV) {
			fprintf(out, "%s,%s,%s,%s,%s,%s,%.2f,%lld,%lld,%s,\"%s\",\"%s\"\n", v->id,
			        keys, v->rise ? "rise" : "fall", s0, s1, s2, v->factor,
			        (long long)v->excess_packets, (long long)v->excess_sources,
			        v->broad ? "broad" : "local", sens, reg);
			continue;
		}
		fprintf(out,
		        "\n%zu. %s %s: %s .. %s (peak %s), x%.2f the baseline, %+lld packets, "
		        "%+lld sources\n   %s: %s at %u of %u sensors; carried by %s\n"
		        "   regions: %s\n",
		        i + 1, keys, v->rise ? "rise" : "fall", s0, s2, s1, v->factor,
		        (long long)v->excess_packets, (long long)v->excess_sources,
		        v->broad ? "broad" : "local", v->rise ? "rising" : "falling",
		        v->sensors_rising, v->sensors_reporting, *sens ? sens : "-",
		        *reg ? reg : "-");
	}
}
