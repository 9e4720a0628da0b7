/* config.h - the INI configuration: global keys and sensors with prefixes.
 *
 *   [darkscope]
 *   db = darkscope.db          store path (or clickhouse://...)
 *   geoip = country.mmdb       MaxMind-format country database
 *   tz = +09:00                default time zone for days
 *   [sensor tokyo-1]
 *   prefix = 198.51.100.0/24   repeatable, IPv4 or IPv6
 *   alias = Domestic sensor 1
 *   [events]                   thresholds of `darkscope events` (docs/events.md)
 *   threshold = 6              robust z-score that opens an event
 *   factor = 1.5               ... and the least ratio over the baseline
 *   min_share = 0.01           ... and the least excess, as a share of the day's packets
 *   window = 28                days of baseline before each day
 *   broad_share = 0.5          broad when rising at this share of reporting sensors
 *
 * Sensor index 0 is always "unattributed". */
#ifndef DARKSCOPE_CONFIG_H
#define DARKSCOPE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/limits.h"

struct ds_sensor_def {
	char name[DS_MAX_NAME];
	char alias[DS_MAX_NAME];
};

struct ds_prefix {
	uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	uint8_t len;      /* 0..128 in that form (IPv4 /24 = 120) */
	uint16_t sensor;  /* index into ds_config.sensors */
};

struct ds_event_opts {
	double threshold;
	double factor;
	double min_share;
	int window;
	double broad_share;
	double source_threshold; /* least z of the change in distinct sources */
};

struct ds_config {
	char path[512];
	char db[512];
	char geoip[512];
	char asn[512];
	char services[512];
	char countries[512];
	char tz[32];
	struct ds_sensor_def *sensors; /* [0] = unattributed */
	unsigned nsensors;
	struct ds_prefix *prefixes;
	unsigned nprefixes;
	struct ds_event_opts events;
};

/* Initialise cfg with defaults and only the "unattributed" sensor. */
int ds_config_init(struct ds_config *cfg);

/* Read path into cfg (after ds_config_init).  Errors name "path:line". */
int ds_config_load(struct ds_config *cfg, const char *path);

/* Add sensor name (alias may be NULL); returns its index or a negative code. */
int ds_config_add_sensor(struct ds_config *cfg, const char *name, const char *alias);

/* Parse "a.b.c.d/n" or "x::/n" for sensor idx and add it. */
int ds_config_add_prefix(struct ds_config *cfg, unsigned idx, const char *text);

/* A prefix as text: "198.51.100.0/24" or "2001:db8:100::/48". */
void ds_prefix_format(const struct ds_prefix *p, char *out, size_t cap);

/* Index of the sensor called name, or -1. */
int ds_config_find_sensor(const struct ds_config *cfg, const char *name);

void ds_config_free(struct ds_config *cfg);

#endif
