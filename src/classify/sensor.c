/* sensor.c - destination prefix to sensor, longest prefix first.
 * Prefixes are kept as two masked 64-bit words, so a test is two ANDs; for
 * IPv4 packets, as one masked 32-bit word (the IPv4 forms of the prefixes). */
#include "darkscope/classify.h"

#include "darkscope/err.h"

#include <stdlib.h>
#include <string.h>

static int by_len_desc(const void *a, const void *b)
{
	const struct ds_prefix *x = a, *y = b;
	return (int)y->len - (int)x->len;
}

static inline uint64_t be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return v;
#else
	return __builtin_bswap64(v);
#endif
}

static uint64_t mask_bits(int bits)
{
	return bits <= 0 ? 0 : bits >= 64 ? ~0ull : ~0ull << (64 - bits);
}

int ds_sensormap_init(struct ds_sensormap *m, const struct ds_config *cfg, const uint16_t *ids,
                      int forced)
{
	memset(m, 0, sizeof *m);
	m->ids = ids;
	m->forced = forced;
	m->shift4 = 32;
	if (!cfg->nprefixes)
		return 0;
	struct ds_prefix *sorted = malloc(cfg->nprefixes * sizeof *sorted);
	m->pfx = malloc(cfg->nprefixes * sizeof *m->pfx);
	if (!sorted || !m->pfx) {
		free(sorted);
		free(m->pfx);
		m->pfx = NULL;
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	memcpy(sorted, cfg->prefixes, cfg->nprefixes * sizeof *sorted);
	qsort(sorted, cfg->nprefixes, sizeof *sorted, by_len_desc);
	for (unsigned i = 0; i < cfg->nprefixes; i++) {
		struct ds_sensormap__pfx *x = &m->pfx[i];
		x->mhi = mask_bits(sorted[i].len);
		x->mlo = mask_bits(sorted[i].len - 64);
		x->hi = be64(sorted[i].addr) & x->mhi;
		x->lo = be64(sorted[i].addr + 8) & x->mlo;
		x->sensor = sorted[i].sensor;
	}
	m->n = cfg->nprefixes;
	free(sorted);
	if (!(m->pfx4 = malloc(m->n * sizeof *m->pfx4))) {
		ds_sensormap_free(m);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	/* ::ffff:a.b.c.d is hi = 0, lo = 0x0000ffff:a.b.c.d */
	const uint64_t v4hi = 0, v4lo = 0xffffull << 32;
	for (unsigned i = 0; i < m->n; i++) {
		const struct ds_sensormap__pfx *x = &m->pfx[i];
		uint32_t mask = (uint32_t)x->mlo;
		if ((v4hi & x->mhi) != x->hi ||
		    (v4lo & x->mlo & ~(uint64_t)mask) != (x->lo & ~(uint64_t)mask))
			continue; /* holds no IPv4 address */
		m->pfx4[m->n4++] = (struct ds_sensormap__pfx4){
		        .net = (uint32_t)x->lo, .mask = mask, .sensor = x->sensor};
	}
	/* the longest IPv4 prefix's length decides the memo's blocks */
	unsigned longest = 0;
	for (unsigned i = 0; i < m->n4; i++) {
		unsigned len = (unsigned)__builtin_popcount(m->pfx4[i].mask);
		longest = len > longest ? len : longest;
	}
	m->shift4 = 32 - longest;
	return 0;
}

/* The config index of IPv4 address a: every prefix tested, shortest first,
 * without branches (the sensor a packet goes to is not predictable). */
static inline unsigned index4(const struct ds_sensormap *m, uint32_t a)
{
	unsigned idx = 0;
	for (unsigned i = m->n4; i-- > 0;) {
		const struct ds_sensormap__pfx4 *x = &m->pfx4[i];
		unsigned hit = 0u - ((a & x->mask) == x->net); /* all ones or none */
		idx = (idx & ~hit) | (x->sensor & hit);
	}
	return idx;
}

static inline uint32_t dst4(const struct ds_pkt *p)
{
	return (uint32_t)p->dst[12] << 24 | (uint32_t)p->dst[13] << 16 | (uint32_t)p->dst[14] << 8 |
	       p->dst[15];
}

void ds_classify_sensor(const struct ds_sensormap *m, struct ds_pkt *p)
{
	unsigned idx = 0;
	if (m->forced >= 0) {
		idx = (unsigned)m->forced;
	} else if (p->family == 4 && m->n4 <= 16) {
		idx = index4(m, dst4(p));
	} else if (p->family && m->n <= 16) {
		/* few prefixes: test them all, shortest first, without branches */
		uint64_t hi = be64(p->dst), lo = be64(p->dst + 8);
		for (unsigned i = m->n; i-- > 0;) {
			const struct ds_sensormap__pfx *x = &m->pfx[i];
			int hit = ((hi & x->mhi) == x->hi) & ((lo & x->mlo) == x->lo);
			idx = hit ? x->sensor : idx;
		}
	} else if (p->family) {
		uint64_t hi = be64(p->dst), lo = be64(p->dst + 8);
		for (unsigned i = 0; i < m->n; i++) {
			const struct ds_sensormap__pfx *x = &m->pfx[i];
			if ((hi & x->mhi) == x->hi && (lo & x->mlo) == x->lo) {
				idx = x->sensor;
				break;
			}
		}
	}
	p->sensor = m->ids ? m->ids[idx] : (uint16_t)idx;
}

void ds_classify_batch(const struct ds_sensormap *m, struct ds_pkt *p, size_t n,
                       struct ds_classify_memo *memo)
{
	int memo_ok = m->forced < 0 && m->n4 <= 16; /* else one by one, as always */
	for (size_t i = 0; i < n; i++) {
		if (!memo_ok || p[i].family != 4) {
			ds_classify_sensor(m, &p[i]);
			continue;
		}
		uint32_t a = dst4(&p[i]);
		uint64_t key = (uint64_t)a >> m->shift4;
		if (key != memo->key) {
			memo->key = key;
			memo->idx = index4(m, a);
		}
		p[i].sensor = m->ids ? m->ids[memo->idx] : (uint16_t)memo->idx;
	}
}

void ds_sensormap_free(struct ds_sensormap *m)
{
	free(m->pfx);
	free(m->pfx4);
	m->pfx = NULL;
	m->pfx4 = NULL;
}
