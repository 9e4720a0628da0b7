/* labels.c - services, ICMP types, protocols, countries and sensor names. */
#include "darkscope/labels.h"

#include "darkscope/err.h"
#include "darkscope/record.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NCC (DS_CC_UNKNOWN + 1)

enum { SV_TCP, SV_UDP, SV_SCTP, SV_DCCP, SV_N };

struct ds_labels {
	char *pool; /* service names, NUL-separated */
	size_t poollen, poolcap;
	uint32_t *svc[SV_N]; /* port -> offset+1 into pool */
	char *country[NCC];
	struct ds_sensor_row *sensors;
	size_t nsensors;
};

static const struct {
	unsigned num;
	const char *name;
} protos[] = {
        {1, "icmp"},
        {2, "igmp"},
        {4, "ipip"},
        {6, "tcp"},
        {17, "udp"},
        {33, "dccp"},
        {41, "ipv6"},
        {47, "gre"},
        {50, "esp"},
        {51, "ah"},
        {58, "icmpv6"},
        {89, "ospf"},
        {103, "pim"},
        {112, "vrrp"},
        {132, "sctp"},
        {136, "udplite"},
        {DS_PROTO_NONIP, "non-ip"},
        {DS_PROTO_BAD, "malformed"},
};

static const struct {
	uint8_t v6;
	uint8_t type;
	const char *name;
} icmp_types[] = {
        {0, 0, "echo reply"},
        {0, 3, "destination unreachable"},
        {0, 4, "source quench"},
        {0, 5, "redirect"},
        {0, 8, "echo request"},
        {0, 9, "router advertisement"},
        {0, 10, "router solicitation"},
        {0, 11, "time exceeded"},
        {0, 12, "parameter problem"},
        {0, 13, "timestamp"},
        {0, 14, "timestamp reply"},
        {0, 17, "address mask request"},
        {0, 18, "address mask reply"},
        {1, 1, "destination unreachable"},
        {1, 2, "packet too big"},
        {1, 3, "time exceeded"},
        {1, 4, "parameter problem"},
        {1, 128, "echo request"},
        {1, 129, "echo reply"},
        {1, 130, "MLD query"},
        {1, 131, "MLD report"},
        {1, 133, "router solicitation"},
        {1, 134, "router advertisement"},
        {1, 135, "neighbor solicitation"},
        {1, 136, "neighbor advertisement"},
        {1, 137, "redirect"},
        {1, 143, "MLDv2 report"},
};

static const char *proto_name(unsigned p, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
		if (protos[i].num == p)
			return protos[i].name;
	snprintf(buf, cap, "proto-%u", p);
	return buf;
}

static int proto_num(const char *s, unsigned *p)
{
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
		if (strcasecmp(protos[i].name, s) == 0) {
			*p = protos[i].num;
			return 0;
		}
	char *end;
	if (strncasecmp(s, "proto-", 6) == 0) {
		long v = strtol(s + 6, &end, 10);
		if (*end == 0 && end != s + 6 && v >= 0 && v <= 255) {
			*p = (unsigned)v;
			return 0;
		}
	}
	return -1;
}

static int has_ports(unsigned p)
{
	return p == 6 || p == 17 || p == 33 || p == 132 || p == 136;
}

static int svc_index(unsigned proto)
{
	switch (proto) {
	case 6: return SV_TCP;
	case 17:
	case 136: return SV_UDP;
	case 132: return SV_SCTP;
	case 33: return SV_DCCP;
	default: return -1;
	}
}

static void add_service(struct ds_labels *l, const char *name, long port, const char *protos_)
{
	char pl[64];
	snprintf(pl, sizeof pl, "%s", protos_);
	for (char *save = NULL, *t = strtok_r(pl, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		int i = strcasecmp(t, "tcp") == 0    ? SV_TCP
		        : strcasecmp(t, "udp") == 0  ? SV_UDP
		        : strcasecmp(t, "sctp") == 0 ? SV_SCTP
		        : strcasecmp(t, "dccp") == 0 ? SV_DCCP
		                                     : -1;
		if (i < 0 || l->svc[i][port])
			continue;
		size_t len = strlen(name) + 1;
		if (l->poollen + len > l->poolcap) {
			size_t nc = l->poolcap ? l->poolcap * 2 : 65536;
			char *np = realloc(l->pool, nc);
			if (!np)
				return;
			l->pool = np;
			l->poolcap = nc;
		}
		memcpy(l->pool + l->poollen, name, len);
		l->svc[i][port] = (uint32_t)l->poollen + 1;
		l->poollen += len;
	}
}

static void load_services(struct ds_labels *l, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char name[64], spec[64];
		if (sscanf(line, "%63s %63s", name, spec) != 2)
			continue;
		char *slash = strchr(spec, '/'), *end;
		if (!slash)
			continue;
		*slash = 0;
		long port = strtol(spec, &end, 10);
		if (*end || port < 0 || port > 65535)
			continue;
		add_service(l, name, port, slash + 1);
	}
	fclose(f);
}

/* Extract "field": "value" from the JSON object [obj, objend).  Searches
 * stay within the object, so that a file of many objects is read once, not
 * once per object. */
static int json_field(const char *obj, const char *objend, const char *field, char *out, size_t cap)
{
	char pat[48];
	size_t n = (size_t)snprintf(pat, sizeof pat, "\"%s\"", field);
	const char *p = memmem(obj, (size_t)(objend - obj), pat, n);
	if (!p)
		return -1;
	p = memchr(p + n, '"', (size_t)(objend - (p + n)));
	if (!p)
		return -1;
	p++;
	size_t k = 0;
	while (*p && *p != '"' && p < objend) {
		if (*p == '\\' && p[1])
			p++;
		if (k + 1 < cap)
			out[k++] = *p;
		p++;
	}
	out[k] = 0;
	return 0;
}

static void load_countries(struct ds_labels *l, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char *text = NULL;
	size_t len = 0, cap = 0;
	char chunk[65536];
	size_t r;
	while ((r = fread(chunk, 1, sizeof chunk, f)) > 0 && len < (16u << 20)) {
		if (len + r + 1 > cap) {
			cap = (len + r + 1) * 2;
			char *nt = realloc(text, cap);
			if (!nt)
				break;
			text = nt;
		}
		memcpy(text + len, chunk, r);
		len += r;
	}
	fclose(f);
	if (!text)
		return;
	text[len] = 0;
	/* each innermost object, {...} with no brace inside: one pass over the
	 * text however the braces nest */
	for (const char *o = strchr(text, '{'), *e; o; o = strchr(e, '{')) {
		if (!(e = strpbrk(o + 1, "{}")))
			break;
		if (*e == '{')
			continue;
		char cc[8], name[256];
		if (json_field(o, e, "alpha_2", cc, sizeof cc) < 0 || strlen(cc) != 2)
			continue;
		if (json_field(o, e, "common_name", name, sizeof name) < 0 &&
		    json_field(o, e, "name", name, sizeof name) < 0)
			continue;
		uint16_t c = ds_cc_pack(cc);
		if (c != DS_CC_UNKNOWN && !l->country[c])
			l->country[c] = strdup(name);
	}
	free(text);
}

int ds_labels_open(struct ds_labels **out, const char *services, const char *countries,
                   struct ds_store *st)
{
	struct ds_labels *l = calloc(1, sizeof *l);
	if (!l)
		return ds_fail(DS_E_NOMEM, "out of memory");
	for (int i = 0; i < SV_N; i++)
		if (!(l->svc[i] = calloc(65536, sizeof(uint32_t)))) {
			ds_labels_close(l);
			return ds_fail(DS_E_NOMEM, "out of memory");
		}
	if (services && *services) {
		load_services(l, services);
	} else {
		load_services(l, "/usr/share/wireshark/services");
		load_services(l, "/etc/services");
	}
	load_countries(l, countries && *countries ? countries
	                                          : "/usr/share/iso-codes/json/iso_3166-1.json");
	l->country[DS_CC_UNKNOWN] = strdup("Unknown");
	if (st) {
		int rc = st->ops->sensors(st, &l->sensors, &l->nsensors);
		if (rc < 0) {
			ds_labels_close(l);
			return rc;
		}
	}
	*out = l;
	return 0;
}

void ds_labels_close(struct ds_labels *l)
{
	if (!l)
		return;
	for (int i = 0; i < SV_N; i++)
		free(l->svc[i]);
	for (int i = 0; i < NCC; i++)
		free(l->country[i]);
	free(l->pool);
	free(l->sensors);
	free(l);
}

static const struct ds_sensor_row *sensor_row(const struct ds_labels *l, unsigned id)
{
	for (size_t i = 0; l && i < l->nsensors; i++)
		if (l->sensors[i].id == id)
			return &l->sensors[i];
	return NULL;
}

void ds_label_key(void *labels, unsigned by, uint64_t key, char *out, size_t cap)
{
	const struct ds_labels *l = labels;
	char pb[16];
	if (by == DS_DIM_CC) {
		ds_cc_unpack((uint16_t)ds_key_cc(key), out);
	} else if (by == DS_DIM_SENSOR) {
		const struct ds_sensor_row *s = sensor_row(l, ds_key_sensor(key));
		if (s)
			snprintf(out, cap, "%s", s->name);
		else
			snprintf(out, cap, "sensor-%u", ds_key_sensor(key));
	} else {
		unsigned p = ds_key_proto(key);
		uint32_t port = ds_key_port(key);
		const char *pn = proto_name(p, pb, sizeof pb);
		if (port == DS_PORT_FRAG)
			snprintf(out, cap, "frag/%s", pn);
		else if (port > 0xffff)
			snprintf(out, cap, "%s", pn);
		else
			snprintf(out, cap, "%u/%s", (unsigned)port, pn);
	}
}

const char *ds_label_name(const struct ds_labels *l, unsigned by, uint64_t key)
{
	if (by == DS_DIM_CC) {
		const char *n = l->country[ds_key_cc(key) < NCC ? ds_key_cc(key) : DS_CC_UNKNOWN];
		return n ? n : "";
	}
	if (by == DS_DIM_SENSOR) {
		const struct ds_sensor_row *s = sensor_row(l, ds_key_sensor(key));
		return s ? s->alias : "";
	}
	unsigned p = ds_key_proto(key);
	uint32_t port = ds_key_port(key);
	if (port == DS_PORT_FRAG)
		return "fragment";
	if (port > 0xffff)
		return "";
	if (p == 1 || p == 58) {
		for (size_t i = 0; i < sizeof icmp_types / sizeof icmp_types[0]; i++)
			if (icmp_types[i].v6 == (p == 58) && icmp_types[i].type == port)
				return icmp_types[i].name;
		return "";
	}
	int si = svc_index(p);
	if (si < 0 || !l->svc[si][port])
		return "";
	return l->pool + l->svc[si][port] - 1;
}

void ds_label_display(const struct ds_labels *l, unsigned by, uint64_t key, char *out, size_t cap)
{
	char k[64];
	const char *name = ds_label_name(l, by, key);
	if (by == DS_DIM_CC) {
		ds_label_key((void *)l, by, key, k, sizeof k);
		snprintf(out, cap, "%s", *name ? name : k);
		return;
	}
	if (by == DS_DIM_SENSOR) {
		snprintf(out, cap, "%s", name);
		return;
	}
	ds_label_key((void *)l, by, key, k, sizeof k);
	for (char *c = strchr(k, '/'); c && *c; c++)
		*c = (char)toupper((unsigned char)*c);
	if (!strchr(k, '/'))
		for (char *c = k; *c; c++)
			*c = (char)toupper((unsigned char)*c);
	if (*name)
		snprintf(out, cap, "%s (%s)", k, name);
	else
		snprintf(out, cap, "%s", k);
}

int ds_label_parse(const struct ds_labels *l, unsigned by, const char *text, uint64_t *key)
{
	if (by == DS_DIM_CC) {
		if (strlen(text) != 2 || !isalpha((unsigned char)text[0]) ||
		    !isalpha((unsigned char)text[1]))
			return ds_fail(DS_E_USAGE,
			               "bad region '%s' (want an ISO 3166 code such as CN)", text);
		char cc[3] = {(char)toupper((unsigned char)text[0]),
		              (char)toupper((unsigned char)text[1]), 0};
		*key = ds_key(0, ds_cc_pack(cc), 0, 0);
		return 0;
	}
	if (by == DS_DIM_SENSOR) {
		for (size_t i = 0; l && i < l->nsensors; i++)
			if (strcmp(l->sensors[i].name, text) == 0) {
				*key = ds_key(l->sensors[i].id, 0, 0, 0);
				return 0;
			}
		return ds_fail(DS_E_USAGE, "no sensor named '%s' in the store", text);
	}
	char buf[64];
	snprintf(buf, sizeof buf, "%s", text);
	char *slash = strchr(buf, '/');
	unsigned p;
	if (!slash) {
		if (proto_num(buf, &p) < 0)
			goto bad;
		*key = ds_key(0, 0, p, DS_PORT_NONE);
		return 0;
	}
	*slash = 0;
	if (proto_num(slash + 1, &p) < 0)
		goto bad;
	if (strcasecmp(buf, "frag") == 0) {
		*key = ds_key(0, 0, p, DS_PORT_FRAG);
		return 0;
	}
	char *end;
	long port = strtol(buf, &end, 10);
	if (*end || end == buf || port < 0 || port > 65535 ||
	    ((p == 1 || p == 58) ? port > 255 : !has_ports(p)))
		goto bad;
	*key = ds_key(0, 0, p, (uint32_t)port);
	return 0;
bad:
	return ds_fail(DS_E_USAGE,
	               "bad port key '%s' (want e.g. 23/tcp, 8/icmp, 128/icmpv6, frag/udp, gre)",
	               text);
}
