/* synth.c - generate a darknet capture with rhythm, heavy tails and events. */
#include "darkscope/synth.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/geo.h"
#include "darkscope/pcapw.h"
#include "darkscope/record.h"
#include "synth/packet.h"
#include "synth/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Destination services and their share of the background traffic. */
static const struct {
	uint16_t proto, port;
	double w;
} services[] = {
        {6, 23, 20},      {6, 22, 9},      {6, 445, 8.5},   {1, 8, 6},       {6, 1433, 5},
        {6, 3389, 4.5},   {6, 80, 4},      {6, 8080, 3},    {6, 2323, 2.5},  {17, 53, 2},
        {6, 443, 2},      {17, 5060, 1.8}, {6, 3306, 1.6},  {6, 21, 1.4},    {6, 25, 1.2},
        {17, 1900, 1.2},  {17, 123, 1.1},  {6, 5555, 1},    {6, 6379, 0.9},  {17, 161, 0.9},
        {6, 81, 0.8},     {6, 8443, 0.7},  {17, 137, 0.7},  {6, 5900, 0.7},  {6, 110, 0.5},
        {6, 143, 0.5},    {6, 7547, 0.5},  {6, 37215, 0.4}, {6, 52869, 0.4}, {6, 9200, 0.4},
        {17, 11211, 0.3}, {6, 10000, 0.3}, {6, 1723, 0.3},  {58, 128, 0.3},  {6, 135, 0.3},
        {6, 139, 0.3},
};
#define NSERV       (sizeof services / sizeof services[0])
#define TAIL_SHARE  0.14 /* background to uniformly random ports */
#define BACKSCATTER 0.05 /* SYN-ACK / RST replies to spoofed floods */
#define V6_SHARE    0.03

/* Source regions and their weight; the rest is spread over all others. */
static const struct {
	const char *cc;
	double w;
} regions[] = {
        {"CN", 27}, {"US", 14}, {"TW", 5.5}, {"FR", 5},   {"KR", 4}, {"RU", 4},
        {"BR", 4},  {"DE", 4},  {"JP", 3.5}, {"NL", 3},   {"IN", 3}, {"VN", 3},
        {"GB", 2},  {"IT", 2},  {"HK", 2},   {"TR", 1.5},
};
#define NREG     (sizeof regions / sizeof regions[0])
#define OTHER_W  11.5
#define NSOURCES 24000

struct source {
	uint8_t addr[16];
	uint16_t cc;
	uint8_t nports, v6;
	uint16_t ports[4]; /* indices into services, or 0xffff = random tail port */
};

struct pool {
	struct source *s;
	size_t n;
	double *cdf; /* activity, heavy-tailed */
	double *act; /* activity of each source */
};

/* The sources that scan one service, weighted by their activity. */
struct subpool {
	uint32_t *idx;
	double *cdf;
	size_t n;
};

struct gen {
	const struct ds_synth_opts *o;
	const struct ds_config *cfg;
	struct rng r;
	struct ds_geo *geo;
	struct pool bg;
	struct ds_pcapw *w;
	double serv_cdf[NSERV];
	struct subpool by_serv[NSERV + 1]; /* [NSERV] = tail-port scanners */
	long long written;
	unsigned *sens; /* sensors with an IPv4 prefix */
	unsigned nsens;
	double sweep_on; /* a sweep goes on to one more address with p = 1 - 1/mean */
};

static int draw_addr(struct gen *g, int v6, uint16_t want, struct source *s, int tries)
{
	static const uint16_t v6blocks[] = {0x2001, 0x2400, 0x2600, 0x2a00, 0x2800, 0x2c00};
	for (int t = 0; t < tries; t++) {
		memset(s->addr, 0, 16);
		if (v6) {
			uint16_t b = v6blocks[rng_below(&g->r, 6)];
			uint64_t hi = rng_next(&g->r), lo = rng_next(&g->r);
			for (int i = 0; i < 8; i++)
				s->addr[i] = (uint8_t)(hi >> (56 - 8 * i));
			for (int i = 0; i < 8; i++)
				s->addr[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
			s->addr[0] = (uint8_t)(b >> 8);
			s->addr[1] = (uint8_t)((b & 0xff) | (s->addr[1] & 0x0f));
		} else {
			uint32_t a;
			do
				a = (uint32_t)rng_next(&g->r);
			while ((a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
			       (a >> 24) >= 224 || (a >> 16) == 0xc0a8 || (a >> 20) == 0xac1 ||
			       (a >> 16) == 0xa9fe || (a >> 22) == (100u << 2 | 1));
			s->addr[10] = s->addr[11] = 0xff;
			s->addr[12] = (uint8_t)(a >> 24);
			s->addr[13] = (uint8_t)(a >> 16);
			s->addr[14] = (uint8_t)(a >> 8);
			s->addr[15] = (uint8_t)a;
		}
		s->cc = ds_geo_lookup(g->geo, s->addr);
		s->v6 = (uint8_t)v6;
		if (s->cc != DS_CC_UNKNOWN && (want == DS_CC_UNKNOWN || s->cc == want))
			return 0;
	}
	return -1;
}

static uint16_t pick_service(struct gen *g)
{
	if (rng_unit(&g->r) < TAIL_SHARE)
		return 0xffff;
	return (uint16_t)rng_pick(&g->r, g->serv_cdf, NSERV);
}

/* A pool of n sources of country cc (DS_CC_UNKNOWN: the regional mix). */
static int make_pool(struct gen *g, struct pool *p, size_t n, uint16_t cc, double alpha)
{
	p->s = calloc(n, sizeof *p->s);
	p->cdf = malloc(n * sizeof *p->cdf);
	if (!p->s || !p->cdf)
		return ds_fail(DS_E_NOMEM, "out of memory");
	double reg_cdf[NREG + 1], acc = 0;
	for (size_t i = 0; i < NREG; i++)
		reg_cdf[i] = acc += regions[i].w;
	reg_cdf[NREG] = acc += OTHER_W;
	for (size_t i = 0; i < n; i++) {
		struct source *s = &p->s[p->n];
		uint16_t want = cc;
		if (cc == DS_CC_UNKNOWN) {
			size_t r = rng_pick(&g->r, reg_cdf, NREG + 1);
			want = r < NREG ? ds_cc_pack(regions[r].cc) : DS_CC_UNKNOWN;
		}
		int v6 = rng_unit(&g->r) < V6_SHARE;
		if (draw_addr(g, v6, want, s, 200000) < 0 && draw_addr(g, 0, want, s, 2000000) < 0)
			return ds_fail(
			        DS_E_GEO,
			        "synth: the GeoIP database yields no addresses for a region");
		s->nports = (uint8_t)(1 + rng_below(&g->r, 3));
		for (int k = 0; k < s->nports; k++)
			s->ports[k] = pick_service(g);
		p->n++;
	}
	double sum = 0;
	p->act = malloc(p->n * sizeof *p->act);
	if (!p->act)
		return ds_fail(DS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < p->n; i++) {
		p->act[i] = pow(1.0 - rng_unit(&g->r), -1.0 / alpha); /* Pareto activity */
		p->cdf[i] = sum += p->act[i];
	}
	return 0;
}

/* Index the background sources by the services they scan. */
static int make_subpools(struct gen *g)
{
	for (size_t k = 0; k <= NSERV; k++) {
		struct subpool *sp = &g->by_serv[k];
		sp->idx = malloc(g->bg.n * sizeof *sp->idx);
		sp->cdf = malloc(g->bg.n * sizeof *sp->cdf);
		if (!sp->idx || !sp->cdf)
			return ds_fail(DS_E_NOMEM, "out of memory");
		double sum = 0;
		for (size_t i = 0; i < g->bg.n; i++) {
			const struct source *s = &g->bg.s[i];
			for (int j = 0; j < s->nports; j++)
				if (s->ports[j] == (k == NSERV ? 0xffff : k)) {
					sp->idx[sp->n] = (uint32_t)i;
					sp->cdf[sp->n++] = sum += g->bg.act[i];
					break;
				}
		}
		if (!sp->n) { /* nobody drew it: give it the busiest source */
			sp->idx[0] = 0;
			sp->cdf[0] = 1;
			sp->n = 1;
		}
	}
	return 0;
}

static void free_pool(struct pool *p)
{
	free(p->s);
	free(p->cdf);
	free(p->act);
	memset(p, 0, sizeof *p);
}

/* Random address inside prefix x. */
static void in_prefix(struct gen *g, const struct ds_prefix *x, uint8_t out[16])
{
	memcpy(out, x->addr, 16);
	for (int bit = x->len; bit < 128; bit++)
		if (rng_next(&g->r) & 1)
			out[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
}

static int prefix_is4(const struct ds_prefix *x)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return x->len >= 96 && memcmp(x->addr, mapped, 12) == 0;
}

static const struct ds_prefix *sensor_prefix(struct gen *g, unsigned sensor, int v6)
{
	const struct ds_prefix *found = NULL;
	for (unsigned i = 0; i < g->cfg->nprefixes; i++) {
		const struct ds_prefix *x = &g->cfg->prefixes[i];
		int is4 = prefix_is4(x);
		if (x->sensor == sensor && is4 == !v6)
			return x;
		if (x->sensor == sensor && !found)
			found = x;
	}
	return found;
}

static int emit(struct gen *g, int64_t ts, uint32_t usec, const struct source *s, unsigned sensor,
                uint16_t proto, uint16_t port, int backscatter)
{
	const struct ds_prefix *px = sensor_prefix(g, sensor, s->v6);
	struct pkt_spec ps = {.proto = (uint8_t)proto, .dport = port, .v6 = 0};
	memcpy(ps.src, s->addr, 16);
	if (!px)
		return 0;
	in_prefix(g, px, ps.dst);
	ps.v6 = !prefix_is4(px);
	if (ps.v6 != s->v6) /* a v4 source cannot reach a v6 prefix: use its v4 twin */
		return 0;
	ps.sport = (uint16_t)(1024 + rng_below(&g->r, 64511));
	ps.tcp_flags = backscatter ? (rng_unit(&g->r) < 0.7 ? 0x12 : 0x14) : 0x02;
	ps.ipid = (uint16_t)rng_next(&g->r);
	ps.seq = (uint32_t)rng_next(&g->r);
	if (backscatter) {
		ps.sport = port;
		ps.dport = (uint16_t)(1024 + rng_below(&g->r, 64511));
	}
	uint8_t buf[128];
	size_t len = pkt_build(&ps, buf, sizeof buf);
	g->written++;
	return ds_pcapw_write(g->w, ts, usec, buf, (uint32_t)len);
}

/* Background traffic: a service by its weight, then one of the sources
 * scanning it by their activity, which sweeps a few addresses of one sensor
 * (as scanners do).  Returns the packets written or a negative code. */
static int background(struct gen *g, int64_t ts, uint32_t usec, long left)
{
	unsigned sensor = g->sens[rng_below(&g->r, g->nsens)];
	if (rng_unit(&g->r) < BACKSCATTER) {
		const struct source *s = &g->bg.s[rng_pick(&g->r, g->bg.cdf, g->bg.n)];
		int rc = emit(g, ts, usec, s, sensor, 6,
		              (uint16_t)(rng_unit(&g->r) < 0.5 ? 80 : 443), 1);
		return rc < 0 ? rc : 1;
	}
	uint16_t si = pick_service(g);
	const struct subpool *sp = &g->by_serv[si == 0xffff ? NSERV : si];
	const struct source *s = &g->bg.s[sp->idx[rng_pick(&g->r, sp->cdf, sp->n)]];
	uint16_t proto, port;
	if (si == 0xffff) {
		proto = rng_unit(&g->r) < 0.8 ? 6 : 17;
		port = (uint16_t)(1 + rng_below(&g->r, 65535));
	} else {
		proto = services[si].proto;
		port = services[si].port;
		if (s->v6 && proto == 1)
			proto = 58, port = 128; /* v6 sources ping with ICMPv6 */
	}
	long burst = 1;
	while (burst < DS_SYNTH_SWEEP_MAX && g->sweep_on > 0 && rng_unit(&g->r) < g->sweep_on)
		burst++;
	if (burst > left)
		burst = left;
	for (long i = 0; i < burst; i++) {
		int rc = emit(g, ts, usec + (uint32_t)i, s, sensor, proto, port, 0);
		if (rc < 0)
			return rc;
	}
	return (int)burst;
}

/* Day-of-week and hour-of-day rhythm (mean about 1). */
static double rhythm(int64_t hour)
{
	int64_t day = ds_floordiv(hour, 24);
	int wd = (int)((day + 3) % 7); /* 0 = Monday */
	double week = wd >= 5 ? 0.86 : 1.04;
	double h = (double)(hour - day * 24);
	return week * (1.0 + 0.22 * sin(2 * M_PI * (h - 9) / 24));
}

/* Baseline packets per day of a service (for x= events). */
static double port_daily(const struct gen *g, uint16_t proto, uint16_t port)
{
	double tot = 0, w = 0;
	for (size_t i = 0; i < NSERV; i++) {
		tot += services[i].w;
		if (services[i].proto == proto && services[i].port == port)
			w = services[i].w;
	}
	double share = w > 0 ? (1 - TAIL_SHARE) * (1 - BACKSCATTER) * w / tot
	                     : TAIL_SHARE / 65535.0 * 10; /* tail ports: give them some floor */
	return g->o->rate * share;
}

/* Shape of an event over its days: a ramp up, a plateau, a ramp down. */
static double event_shape(const struct ds_synth_event *e, int64_t hour)
{
	double t = ((double)hour - (double)e->day0 * 24) / 24.0; /* days since start */
	if (t < 0 || t >= e->days)
		return 0;
	double up = t < 0.5 ? 0.3 + 1.4 * t : 1.0;
	double down = (double)e->days - t < 1 ? 0.4 + 0.6 * ((double)e->days - t) : 1.0;
	return up * down;
}

static int events_hour(struct gen *g, int64_t hour, struct pool *pools)
{
	for (int i = 0; i < g->o->nev; i++) {
		const struct ds_synth_event *e = &g->o->ev[i];
		double shape = event_shape(e, hour);
		if (shape <= 0)
			continue;
		double daily = e->share > 0 ? e->share * g->o->rate
		                            : (e->x - 1) * port_daily(g, e->proto[0], e->port[0]);
		double lambda = daily / 24.0 * shape * rhythm(hour);
		long n = rng_poisson(&g->r, lambda);
		for (long k = 0; k < n; k++) {
			const struct pool *p = &pools[i];
			const struct source *s = &p->s[rng_pick(&g->r, p->cdf, p->n)];
			struct source spoof;
			if (e->kind == DS_EV_SPOOFED) { /* a new random IPv4 source each time */
				uint32_t a = (uint32_t)rng_next(&g->r) | 0x01000000u;
				memset(&spoof, 0, sizeof spoof);
				spoof.addr[10] = spoof.addr[11] = 0xff;
				spoof.addr[12] = (uint8_t)(a >> 24),
				spoof.addr[13] = (uint8_t)(a >> 16);
				spoof.addr[14] = (uint8_t)(a >> 8), spoof.addr[15] = (uint8_t)a;
				s = &spoof;
			}
			int j = e->nports > 1 ? (int)rng_below(&g->r, (uint64_t)e->nports) : 0;
			unsigned sensor = e->kind == DS_EV_LOCAL
			                          ? (unsigned)e->sensor
			                          : g->sens[rng_below(&g->r, g->nsens)];
			uint32_t usec = (uint32_t)rng_below(&g->r, 1000000);
			int64_t ts = hour * 3600 + (int64_t)rng_below(&g->r, 3600);
			int rc = emit(g, ts, usec, s, sensor, e->proto[j], e->port[j], 0);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int run(struct gen *g, struct pool *pools)
{
	int64_t h0 = g->o->day0 * 24, h1 = (g->o->day1 + 1) * 24;
	for (int64_t h = h0; h < h1; h++) {
		double day_noise = 0.9 + 0.2 * rng_unit(&g->r);
		long n = rng_poisson(&g->r, g->o->rate / 24.0 * rhythm(h) * day_noise);
		/* background packets in time order across the hour */
		for (long k = 0; k < n;) {
			int64_t off = (int64_t)((double)k * 3600.0 / (double)n);
			int rc = background(g, h * 3600 + off, (uint32_t)rng_below(&g->r, 999000),
			                    n - k);
			if (rc < 0)
				return rc;
			k += rc;
		}
		int rc = events_hour(g, h, pools);
		if (rc < 0)
			return rc;
	}
	return 0;
}

long long ds_synth_write(const struct ds_synth_opts *o, const struct ds_config *cfg)
{
	struct gen g = {.o = o, .cfg = cfg, .sweep_on = 1 - 1 / (o->sweep > 0 ? o->sweep : 5)};
	struct pool pools[DS_SYNTH_MAX_EVENTS] = {{0}};
	int rc;
	rng_seed(&g.r, o->seed);
	double acc = 0;
	for (size_t i = 0; i < NSERV; i++)
		g.serv_cdf[i] = acc += services[i].w;
	g.sens = calloc(cfg->nsensors + 1, sizeof *g.sens);
	if (!g.sens)
		return ds_fail(DS_E_NOMEM, "out of memory");
	for (unsigned i = 1; i < cfg->nsensors; i++)
		if (sensor_prefix(&g, i, 0))
			g.sens[g.nsens++] = i;
	if (!g.nsens) {
		rc = ds_fail(DS_E_CONFIG, "synth: no sensor has a prefix to send to");
		goto out;
	}
	if (!o->geoip || !*o->geoip) {
		rc = ds_fail(DS_E_USAGE,
		             "synth needs a GeoIP database (--geoip or geoip = in the config)");
		goto out;
	}
	if ((rc = ds_geo_open(&g.geo, o->geoip)) < 0 ||
	    (rc = make_pool(&g, &g.bg, NSOURCES, DS_CC_UNKNOWN, 1.6)) < 0 ||
	    (rc = make_subpools(&g)) < 0)
		goto out;
	for (int i = 0; i < o->nev; i++)
		if ((rc = make_pool(&g, &pools[i],
		                    o->ev[i].sources                 ? (size_t)o->ev[i].sources
		                    : o->ev[i].kind == DS_EV_LOCAL   ? 300
		                    : o->ev[i].kind == DS_EV_SPOOFED ? 1
		                                                     : 3000,
		                    o->ev[i].cc, 1.5)) < 0)
			goto out;
	if ((rc = ds_pcapw_open(&g.w, o->out, 1)) < 0)
		goto out;
	rc = run(&g, pools);
	int crc = ds_pcapw_close(g.w);
	if (rc == 0)
		rc = crc;
out:
	for (int i = 0; i < o->nev; i++)
		free_pool(&pools[i]);
	free_pool(&g.bg);
	for (size_t k = 0; k <= NSERV; k++) {
		free(g.by_serv[k].idx);
		free(g.by_serv[k].cdf);
	}
	ds_geo_close(g.geo);
	free(g.sens);
	return rc < 0 ? rc : g.written;
}
