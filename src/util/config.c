/* config.c - INI parser for darkscope.conf. */
#include "darkscope/config.h"

#include "darkscope/err.h"
#include "darkscope/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ds_config_init(struct ds_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->db, sizeof cfg->db, "darkscope.db");
	snprintf(cfg->tz, sizeof cfg->tz, "UTC");
	cfg->events = (struct ds_event_opts){.threshold = 6,
	                                     .factor = 1.5,
	                                     .min_share = 0.01,
	                                     .window = 28,
	                                     .broad_share = 0.5,
	                                     .source_threshold = 3};
	return ds_config_add_sensor(cfg, "unattributed", "Unattributed") < 0 ? -DS_E_NOMEM : 0;
}

void ds_prefix_format(const struct ds_prefix *x, char *out, size_t cap)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char a[INET6_ADDRSTRLEN] = "?";
	if (x->len >= 96 && memcmp(x->addr, mapped, 12) == 0) {
		snprintf(out, cap, "%u.%u.%u.%u/%u", x->addr[12], x->addr[13], x->addr[14],
		         x->addr[15], x->len - 96);
		return;
	}
	inet_ntop(AF_INET6, x->addr, a, sizeof a);
	snprintf(out, cap, "%s/%u", a, x->len);
}

int ds_config_find_sensor(const struct ds_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->nsensors; i++)
		if (strcmp(cfg->sensors[i].name, name) == 0)
			return (int)i;
	return -1;
}

int ds_config_add_sensor(struct ds_config *cfg, const char *name, const char *alias)
{
	int i = ds_config_find_sensor(cfg, name);
	if (i >= 0)
		return i;
	if (cfg->nsensors >= DS_MAX_SENSORS)
		return ds_fail(DS_E_LIMIT, "more than %d sensors", DS_MAX_SENSORS);
	if (!*name || strlen(name) >= DS_MAX_NAME)
		return ds_fail(DS_E_CONFIG, "sensor name must be 1 to %d bytes", DS_MAX_NAME - 1);
	struct ds_sensor_def *n = realloc(cfg->sensors, (cfg->nsensors + 1) * sizeof *n);
	if (!n)
		return ds_fail(DS_E_NOMEM, "out of memory");
	cfg->sensors = n;
	struct ds_sensor_def *s = &n[cfg->nsensors];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->alias, sizeof s->alias, "%s", alias ? alias : name);
	return (int)cfg->nsensors++;
}

int ds_config_add_prefix(struct ds_config *cfg, unsigned idx, const char *text)
{
	char buf[128];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen >= sizeof buf)
		return ds_fail(DS_E_CONFIG, "bad prefix '%s'", text);
	memcpy(buf, text, alen);
	buf[alen] = 0;
	struct ds_prefix p = {.sensor = (uint16_t)idx};
	int v4 = strchr(buf, ':') == NULL, maxlen = v4 ? 32 : 128;
	if (v4) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		memcpy(p.addr, mapped, 12);
		if (inet_pton(AF_INET, buf, p.addr + 12) != 1)
			return ds_fail(DS_E_CONFIG, "bad IPv4 prefix '%s'", text);
	} else if (inet_pton(AF_INET6, buf, p.addr) != 1) {
		return ds_fail(DS_E_CONFIG, "bad IPv6 prefix '%s'", text);
	}
	long len = maxlen;
	if (slash) {
		char *end;
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || len < 0 || len > maxlen)
			return ds_fail(DS_E_CONFIG, "bad prefix length in '%s' (0 to %d)", text,
			               maxlen);
	}
	p.len = (uint8_t)(v4 ? len + 96 : len);
	for (int bit = p.len; bit < 128; bit++)
		if (p.addr[bit / 8] & (0x80 >> (bit % 8)))
			return ds_fail(DS_E_CONFIG, "prefix '%s' has host bits set", text);
	for (unsigned i = 0; i < cfg->nprefixes; i++)
		if (cfg->prefixes[i].len == p.len && !memcmp(cfg->prefixes[i].addr, p.addr, 16))
			return ds_fail(DS_E_CONFIG, "prefix '%s' is already given to sensor %s",
			               text, cfg->sensors[cfg->prefixes[i].sensor].name);
	if (cfg->nprefixes >= DS_MAX_PREFIXES)
		return ds_fail(DS_E_LIMIT, "more than %d prefixes", DS_MAX_PREFIXES);
	struct ds_prefix *n = realloc(cfg->prefixes, (cfg->nprefixes + 1) * sizeof *n);
	if (!n)
		return ds_fail(DS_E_NOMEM, "out of memory");
	cfg->prefixes = n;
	n[cfg->nprefixes++] = p;
	return 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int set_str(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

#define SECT_EVENTS (-3)

static int apply_events(struct ds_event_opts *o, const char *k, const char *v)
{
	static const struct {
		const char *key;
		double lo, hi;
	} keys[] = {
	        {"threshold", 1, 1000}, {"factor", 1.01, 1000}, {"min_share", 0, 1},
	        {"window", 7, 365},     {"broad_share", 0, 1},  {"source_threshold", 0, 1000},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(k, keys[i].key) != 0)
			continue;
		char *end;
		double x = strtod(v, &end);
		if (end == v || *end || !(x >= keys[i].lo && x <= keys[i].hi))
			return ds_fail(DS_E_CONFIG, "bad %s '%s' (%g to %g)", k, v, keys[i].lo,
			               keys[i].hi);
		switch (i) {
		case 0: o->threshold = x; break;
		case 1: o->factor = x; break;
		case 2: o->min_share = x; break;
		case 3: o->window = (int)x; break;
		case 4: o->broad_share = x; break;
		default: o->source_threshold = x; break;
		}
		return 0;
	}
	return ds_fail(DS_E_CONFIG, "unknown key '%s' in [events]", k);
}

/* Apply one key of section sect (sensor >= 0 for [sensor NAME]). */
static int apply(struct ds_config *cfg, int sensor, const char *k, const char *v)
{
	if (sensor == SECT_EVENTS)
		return apply_events(&cfg->events, k, v);
	if (sensor < 0) {
		static const struct {
			const char *key;
			size_t off, cap;
		} keys[] = {
		        {"db", offsetof(struct ds_config, db), sizeof cfg->db},
		        {"geoip", offsetof(struct ds_config, geoip), sizeof cfg->geoip},
		        {"asn", offsetof(struct ds_config, asn), sizeof cfg->asn},
		        {"services", offsetof(struct ds_config, services), sizeof cfg->services},
		        {"countries", offsetof(struct ds_config, countries), sizeof cfg->countries},
		        {"tz", offsetof(struct ds_config, tz), sizeof cfg->tz},
		};
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (strcmp(k, keys[i].key) == 0) {
				if (set_str((char *)cfg + keys[i].off, keys[i].cap, v) < 0)
					return ds_fail(DS_E_CONFIG, "value of '%s' too long", k);
				return 0;
			}
		return ds_fail(DS_E_CONFIG, "unknown key '%s' in [darkscope]", k);
	}
	if (strcmp(k, "prefix") == 0)
		return ds_config_add_prefix(cfg, (unsigned)sensor, v);
	if (strcmp(k, "alias") == 0) {
		if (set_str(cfg->sensors[sensor].alias, DS_MAX_NAME, v) < 0)
			return ds_fail(DS_E_CONFIG, "alias too long (max %d bytes)",
			               DS_MAX_NAME - 1);
		return 0;
	}
	return ds_fail(DS_E_CONFIG, "unknown key '%s' in [sensor %s]", k,
	               cfg->sensors[sensor].name);
}

static int section(struct ds_config *cfg, char *s, int *sensor)
{
	char *e = strchr(s, ']');
	if (!e || e[1])
		return ds_fail(DS_E_CONFIG, "section header must end with ']'");
	*e = 0;
	s = trim(s + 1);
	if (strcmp(s, "darkscope") == 0) {
		*sensor = -1;
		return 0;
	}
	if (strcmp(s, "events") == 0) {
		*sensor = SECT_EVENTS;
		return 0;
	}
	if (strncmp(s, "sensor", 6) == 0 && isspace((unsigned char)s[6])) {
		char *name = trim(s + 6);
		for (char *c = name; *c; c++)
			if (isspace((unsigned char)*c) || !isprint((unsigned char)*c))
				return ds_fail(DS_E_CONFIG,
				               "sensor name '%s' must be one printable word", name);
		if (strcmp(name, "unattributed") == 0)
			return ds_fail(DS_E_CONFIG, "'unattributed' is reserved");
		if (ds_config_find_sensor(cfg, name) >= 0)
			return ds_fail(DS_E_CONFIG, "sensor '%s' defined twice", name);
		int rc = ds_config_add_sensor(cfg, name, NULL);
		if (rc < 0)
			return rc;
		*sensor = rc;
		return 0;
	}
	return ds_fail(DS_E_CONFIG, "unknown section [%s]", s);
}

int ds_config_load(struct ds_config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return ds_fail(DS_E_CONFIG, "%s: cannot open: %s", path, strerror(errno));
	snprintf(cfg->path, sizeof cfg->path, "%s", path);
	char line[DS_MAX_CONFIG_LINE + 2];
	int rc = 0, sensor = -2; /* -2: before any section */
	unsigned lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			rc = ds_fail(DS_E_CONFIG, "%s:%u: line longer than %d bytes", path, lineno,
			             DS_MAX_CONFIG_LINE);
			break;
		}
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			rc = section(cfg, s, &sensor);
		} else {
			char *eq = strchr(s, '=');
			if (!eq)
				rc = ds_fail(DS_E_CONFIG, "expected 'key = value'");
			else if (sensor == -2)
				rc = ds_fail(DS_E_CONFIG, "key outside any section");
			else {
				*eq = 0;
				rc = apply(cfg, sensor, trim(s), trim(eq + 1));
			}
		}
		if (rc < 0) {
			char msg[600];
			snprintf(msg, sizeof msg, "%s", ds_lasterr());
			rc = ds_fail(DS_E_CONFIG, "%s:%u: %s", path, lineno, msg);
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = ds_fail(DS_E_CONFIG, "%s: read error", path);
	fclose(f);
	if (rc == 0 && cfg->asn[0]) /* accepted, so that a config can name it already */
		DS_WARN("config",
		        "%s: asn = %s: not used yet (sources are counted by country only)", path,
		        cfg->asn);
	return rc;
}

void ds_config_free(struct ds_config *cfg)
{
	free(cfg->sensors);
	free(cfg->prefixes);
	cfg->sensors = NULL;
	cfg->prefixes = NULL;
}
