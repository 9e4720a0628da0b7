/* events.c - --event specs and the default simulated sensors. */
#include "darkscope/synth.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/labels.h"
#include "darkscope/aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ds_synth_default_sensors(struct ds_config *cfg, int n)
{
	static const struct {
		const char *name, *alias, *v4, *v6;
	} defs[] = {
	        {"tokyo-1", "Domestic sensor 1", "198.51.100.0/24", "2001:db8:100::/48"},
	        {"osaka-2", "Domestic sensor 2", "203.0.113.0/24", "2001:db8:200::/48"},
	        {"nagoya-3", "Domestic sensor 3", "192.0.2.0/24", NULL},
	        {"fukuoka-4", "Domestic sensor 4", "198.18.0.0/24", NULL},
	        {"sapporo-5", "Domestic sensor 5", "198.18.1.0/24", NULL},
	        {"sendai-6", "Domestic sensor 6", "198.18.2.0/24", NULL},
	        {"hiroshima-7", "Domestic sensor 7", "198.18.3.0/24", NULL},
	        {"naha-8", "Domestic sensor 8", "198.18.4.0/24", NULL},
	};
	if (n < 1 || n > (int)(sizeof defs / sizeof defs[0]))
		return ds_fail(DS_E_USAGE, "--sensors takes 1 to %zu",
		               sizeof defs / sizeof defs[0]);
	for (int i = 0; i < n; i++) {
		int idx = ds_config_add_sensor(cfg, defs[i].name, defs[i].alias);
		int rc = idx < 0 ? idx : ds_config_add_prefix(cfg, (unsigned)idx, defs[i].v4);
		if (rc == 0 && defs[i].v6)
			rc = ds_config_add_prefix(cfg, (unsigned)idx, defs[i].v6);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int set_ports(struct ds_synth_event *ev, const char *v)
{
	char buf[96];
	snprintf(buf, sizeof buf, "%s", v);
	ev->nports = 0;
	for (char *save = NULL, *t = strtok_r(buf, "+", &save); t; t = strtok_r(NULL, "+", &save)) {
		uint64_t k;
		if (ev->nports == 2)
			return ds_fail(DS_E_USAGE, "an event takes at most two ports");
		if (ds_label_parse(NULL, DS_DIM_PORT, t, &k) < 0 || ds_key_port(k) > 0xffff)
			return ds_fail(DS_E_USAGE, "bad event port '%s'", t);
		ev->proto[ev->nports] = (uint16_t)ds_key_proto(k);
		ev->port[ev->nports++] = (uint16_t)ds_key_port(k);
	}
	return 0;
}

static int set_field(struct ds_synth_event *ev, const struct ds_config *cfg, const char *k,
                     const char *v)
{
	char *end;
	if (strcmp(k, "port") == 0)
		return set_ports(ev, v);
	if (strcmp(k, "cc") == 0) {
		uint64_t key;
		int rc = ds_label_parse(NULL, DS_DIM_CC, v, &key);
		ev->cc = (uint16_t)ds_key_cc(key);
		return rc;
	}
	if (strcmp(k, "sensor") == 0) {
		ev->sensor = ds_config_find_sensor(cfg, v);
		return ev->sensor > 0 ? 0
		                      : ds_fail(DS_E_USAGE, "event names unknown sensor '%s'", v);
	}
	if (strcmp(k, "start") == 0)
		return ds_parse_date(v, &ev->day0);
	if (strcmp(k, "days") == 0) {
		long d = strtol(v, &end, 10);
		if (*end || d < 1 || d > 3660)
			return ds_fail(DS_E_USAGE, "bad event days '%s'", v);
		ev->days = (int)d;
		return 0;
	}
	if (strcmp(k, "sources") == 0) {
		long n = strtol(v, &end, 10);
		if (*end || n < 1 || n > 100000)
			return ds_fail(DS_E_USAGE, "bad event sources '%s' (1 to 100000)", v);
		ev->sources = (int)n;
		return 0;
	}
	if (strcmp(k, "x") == 0 || strcmp(k, "share") == 0) {
		double x = strtod(v, &end);
		if (*end || x <= 0 || x > 1000 || (k[0] == 'x' && x <= 1))
			return ds_fail(DS_E_USAGE, "bad event %s '%s'", k, v);
		*(k[0] == 'x' ? &ev->x : &ev->share) = x;
		return 0;
	}
	return ds_fail(DS_E_USAGE, "unknown event field '%s'", k);
}

int ds_synth_parse_event(const char *spec, const struct ds_config *cfg, struct ds_synth_event *ev)
{
	char buf[256];
	memset(ev, 0, sizeof *ev);
	ev->cc = DS_CC_UNKNOWN;
	ev->days = 7;
	ev->x = 4;
	snprintf(buf, sizeof buf, "%s", spec);
	char *colon = strchr(buf, ':');
	if (!colon)
		return ds_fail(DS_E_USAGE, "bad event '%s' (want KIND:field=value,...)", spec);
	*colon = 0;
	if (strcmp(buf, "surge") == 0)
		ev->kind = DS_EV_SURGE;
	else if (strcmp(buf, "region") == 0)
		ev->kind = DS_EV_REGION;
	else if (strcmp(buf, "local") == 0)
		ev->kind = DS_EV_LOCAL;
	else if (strcmp(buf, "spoofed") == 0)
		ev->kind = DS_EV_SPOOFED;
	else
		return ds_fail(DS_E_USAGE,
		               "unknown event kind '%s' (surge, region, local, spoofed)", buf);
	int have_start = 0;
	for (char *save = NULL, *t = strtok_r(colon + 1, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		if (!eq)
			return ds_fail(DS_E_USAGE, "bad event field '%s' (want name=value)", t);
		*eq = 0;
		int rc = set_field(ev, cfg, t, eq + 1);
		if (rc < 0)
			return rc;
		have_start |= strcmp(t, "start") == 0;
	}
	if (!ev->nports || !have_start)
		return ds_fail(DS_E_USAGE, "event '%s' needs port= and start=", spec);
	if (ev->kind == DS_EV_REGION && ev->cc == DS_CC_UNKNOWN)
		return ds_fail(DS_E_USAGE, "a region event needs cc=");
	if (ev->kind == DS_EV_LOCAL && ev->sensor <= 0)
		return ds_fail(DS_E_USAGE, "a local event needs sensor=");
	return 0;
}
