/* sensor.c - destination prefix to sensor, longest prefix first. */
#include "darkscope/classify.h"

#include "darkscope/err.h"

#include <stdlib.h>
#include <string.h>

static int by_len_desc(const void *a, const void *b)
{
	const struct ds_prefix *x = a, *y = b;
	return (int)y->len - (int)x->len;
}

int ds_sensormap_init(struct ds_sensormap *m, const struct ds_config *cfg, const uint16_t *ids,
		      int forced)
{
	memset(m, 0, sizeof *m);
	m->ids = ids;
	m->forced = forced;
	if (cfg->nprefixes) {
		m->pfx = malloc(cfg->nprefixes * sizeof *m->pfx);
		if (!m->pfx)
			return ds_fail(DS_E_NOMEM, "out of memory");
		memcpy(m->pfx, cfg->prefixes, cfg->nprefixes * sizeof *m->pfx);
		qsort(m->pfx, cfg->nprefixes, sizeof *m->pfx, by_len_desc);
	}
	m->n = cfg->nprefixes;
	return 0;
}

static int in_prefix(const struct ds_prefix *x, const uint8_t *a)
{
	unsigned full = x->len / 8, rest = x->len % 8;
	if (memcmp(x->addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == x->addr[full];
}

void ds_classify_sensor(const struct ds_sensormap *m, struct ds_pkt *p)
{
	unsigned idx = 0;
	if (m->forced >= 0) {
		idx = (unsigned)m->forced;
	} else if (p->family) {
		for (unsigned i = 0; i < m->n; i++)
			if (in_prefix(&m->pfx[i], p->dst)) {
				idx = m->pfx[i].sensor;
				break;
			}
	}
	p->sensor = m->ids ? m->ids[idx] : (uint16_t)idx;
}

void ds_sensormap_free(struct ds_sensormap *m)
{
	free(m->pfx);
	m->pfx = NULL;
}
