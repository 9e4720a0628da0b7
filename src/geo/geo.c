/* geo.c - libmaxminddb lookups with set-associative source caches. */
#include "darkscope/geo.h"

#include "darkscope/err.h"
#include "darkscope/limits.h"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* IPv4 sources have a compact cache of their own: sets of 4 entries of 8
 * bytes (half a cache line), the newest first.  With one entry per slot, two
 * busy sources of the same slot took turns evicting each other: on a capture
 * whose sources interleave (no runs of one source) 24,000 sources made 560,000
 * database lookups.  IPv6 (and non-IP) sources have sets of 4 wide entries
 * of their own, for the same reason. */
#define WAYS4 4
struct slot4 {
	uint32_t addr;
	uint16_t cc;
	uint16_t valid;
};
struct set4 {
	struct slot4 e[WAYS4];
};

struct slot {
	uint64_t a0, a1; /* the address as two words */
	uint16_t cc;
	uint16_t valid;
};
#define WAYS6 4
struct set6 {
	struct slot e[WAYS6];
};

struct ds_geo {
	MMDB_s own;       /* the database, when this cache opened it */
	const MMDB_s *db; /* the database looked up: own, or another cache's */
	int have_db, owns;
	uint64_t hits, misses;
	/* the source annotated last: a scanner's packets come in runs (79% of
	 * a synthetic sweep's, 4% of the real GreyNoise sample's), and each
	 * packet of a run takes its country and hash from here, not hashed and
	 * looked for in a set again */
	uint64_t last0, last1;
	uint32_t last_hash;
	uint16_t last_cc;
	uint8_t last_family; /* 0xff: none yet */
	/* 2^bits IPv4 entries and a quarter as many IPv6 ones, in sets */
	uint32_t mask4, mask6; /* sets - 1 */
	struct set4 *cache4;
	struct set6 *cache6;
	void *raw4, *raw6; /* as allocated (the sets start on a cache line) */
};

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* 64-bit hash of the 16 address bytes (two multiply-xorshift rounds). */
static inline uint64_t addr_hash(uint64_t a0, uint64_t a1)
{
	uint64_t x = a0 * 0x9E3779B97F4A7C15ull ^ (a1 + 0x632BE59BD9B4E019ull);
	x ^= x >> 32;
	x *= 0xD6E8FEB86659FD93ull;
	x ^= x >> 29;
	x *= 0xCA5A826395121157ull;
	return x ^ (x >> 32);
}

uint32_t ds_src_hash(const uint8_t addr[16])
{
	uint64_t a0, a1;
	memcpy(&a0, addr, 8);
	memcpy(&a1, addr + 8, 8);
	return (uint32_t)(addr_hash(a0, a1) >> 32);
}

/* bytes of zeroes starting on a cache line (NULL when out of memory), *raw
 * what to free.  calloc: a large block comes zeroed from the system, its
 * pages touched only once used, where memset touched all 2.8 MB of a full
 * cache at every open (a geo opened per input made the fuzz targets spend
 * most of their time in the kernel). */
static void *zalloc64(size_t bytes, void **raw)
{
	*raw = calloc(1, bytes + 63);
	return *raw ? (void *)(((uintptr_t)*raw + 63) & ~(uintptr_t)63) : NULL;
}

/* A geo with empty caches of 2^bits IPv4 entries (and a quarter as many
 * IPv6 ones), or NULL. */
static struct ds_geo *geo_new(unsigned bits)
{
	if (bits < DS_GEO_CACHE_MIN_BITS)
		bits = DS_GEO_CACHE_MIN_BITS;
	if (bits > DS_GEO_CACHE_BITS)
		bits = DS_GEO_CACHE_BITS;
	struct ds_geo *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	size_t n4 = ((size_t)1 << bits) / WAYS4, n6 = ((size_t)1 << (bits - 2)) / WAYS6;
	/* (sets on cache lines; sizes are multiples of 64 bytes) */
	g->cache4 = zalloc64(n4 * sizeof *g->cache4, &g->raw4);
	g->cache6 = zalloc64(n6 * sizeof *g->cache6, &g->raw6);
	if (!g->cache4 || !g->cache6) {
		free(g->raw4);
		free(g->raw6);
		free(g);
		return NULL;
	}
	g->mask4 = (uint32_t)n4 - 1;
	g->mask6 = (uint32_t)n6 - 1;
	g->last_family = 0xff;
	return g;
}

static void geo_free(struct ds_geo *g)
{
	free(g->raw4);
	free(g->raw6);
	free(g);
}

int ds_geo_open(struct ds_geo **out, const char *path)
{
	struct ds_geo *g = geo_new(DS_GEO_CACHE_BITS);
	if (!g)
		return ds_fail(DS_E_NOMEM, "out of memory");
	if (path && *path) {
		int st = MMDB_open(path, MMDB_MODE_MMAP, &g->own);
		if (st != MMDB_SUCCESS) {
			geo_free(g);
			return ds_fail(DS_E_GEO, "%s: cannot open GeoIP database: %s", path,
			               MMDB_strerror(st));
		}
		g->have_db = g->owns = 1;
		g->db = &g->own;
	}
	*out = g;
	return 0;
}

int ds_geo_open_cache(struct ds_geo **out, const struct ds_geo *from, unsigned bits)
{
	struct ds_geo *g = geo_new(bits);
	if (!g)
		return ds_fail(DS_E_NOMEM, "out of memory");
	g->db = from->db;
	g->have_db = from->have_db;
	*out = g;
	return 0;
}

static uint16_t cc_from(MMDB_entry_s *e)
{
	static const char *const paths[][3] = {
	        {"country", "iso_code", NULL},
	        {"country_code", NULL, NULL},
	        {"registered_country", "iso_code", NULL},
	};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		MMDB_entry_data_s d;
		if (MMDB_get_value(e, &d, paths[i][0], paths[i][1], paths[i][2]) != MMDB_SUCCESS ||
		    !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
			continue;
		char cc[3] = {d.utf8_string[0], d.utf8_string[1], 0};
		return ds_cc_pack(cc);
	}
	return DS_CC_UNKNOWN;
}

uint16_t ds_geo_lookup(struct ds_geo *g, const uint8_t addr[16])
{
	if (!g->have_db)
		return DS_CC_UNKNOWN;
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	const struct sockaddr *sa;
	if (memcmp(addr, v4mapped, 12) == 0) {
		memset(&s4, 0, sizeof s4);
		s4.sin_family = AF_INET;
		memcpy(&s4.sin_addr, addr + 12, 4);
		sa = (const struct sockaddr *)&s4;
	} else {
		memset(&s6, 0, sizeof s6);
		s6.sin6_family = AF_INET6;
		memcpy(&s6.sin6_addr, addr, 16);
		sa = (const struct sockaddr *)&s6;
	}
	int err = 0;
	MMDB_lookup_result_s r = MMDB_lookup_sockaddr(g->db, sa, &err);
	if (err != MMDB_SUCCESS || !r.found_entry)
		return DS_CC_UNKNOWN;
	return cc_from(&r.entry);
}

/* A source not in its set: looked up, and made the set's newest. */
static __attribute__((noinline)) uint16_t miss4(struct ds_geo *g, struct set4 *set, uint32_t v4,
                                                const uint8_t src[16])
{
	g->misses++;
	uint16_t cc = ds_geo_lookup(g, src);
	memmove(&set->e[1], &set->e[0], (WAYS4 - 1) * sizeof set->e[0]);
	set->e[0] = (struct slot4){.addr = v4, .cc = cc, .valid = 1};
	return cc;
}

static __attribute__((noinline)) uint16_t miss6(struct ds_geo *g, struct set6 *set, uint64_t a0,
                                                uint64_t a1, const uint8_t src[16])
{
	g->misses++;
	uint16_t cc = ds_geo_lookup(g, src);
	memmove(&set->e[1], &set->e[0], (WAYS6 - 1) * sizeof set->e[0]);
	set->e[0] = (struct slot){.a0 = a0, .a1 = a1, .cc = cc, .valid = 1};
	return cc;
}

/* The country of a source not annotated last: from its set, or looked up. */
static inline uint16_t country(struct ds_geo *g, const struct ds_pkt *p, uint64_t a0, uint64_t a1,
                               uint64_t h)
{
	if (!p->family) /* not IP: no source to look up (nor to keep in a set) */
		return DS_CC_UNKNOWN;
	if (p->family == 4) {
		uint32_t v4;
		memcpy(&v4, p->src + 12, 4);
		struct set4 *set = &g->cache4[h & g->mask4];
		for (int w = 0; w < WAYS4; w++)
			if (set->e[w].valid && set->e[w].addr == v4) {
				g->hits++;
				return set->e[w].cc;
			}
		return miss4(g, set, v4, p->src);
	}
	struct set6 *set = &g->cache6[h & g->mask6];
	for (int w = 0; w < WAYS6; w++)
		if (set->e[w].valid && set->e[w].a0 == a0 && set->e[w].a1 == a1) {
			g->hits++;
			return set->e[w].cc;
		}
	return miss6(g, set, a0, a1, p->src);
}

/* Annotate p, whose source is a0:a1 and hashes to h, not the last one. */
static inline void annotate_new(struct ds_geo *g, struct ds_pkt *p, uint64_t a0, uint64_t a1,
                                uint64_t h)
{
	p->srchash = (uint32_t)(h >> 32);
	p->cc = country(g, p, a0, a1, h);
	g->last0 = a0, g->last1 = a1, g->last_family = p->family;
	g->last_cc = p->cc, g->last_hash = p->srchash;
}

#define GEO_BATCH 32

void ds_geo_annotate_batch(struct ds_geo *g, struct ds_pkt *p, size_t n)
{
	uint64_t h[GEO_BATCH];
	uint32_t news[GEO_BATCH]; /* packets whose source is not the one before */
	while (n > 0) {
		size_t m = n < GEO_BATCH ? n : GEO_BATCH, nn = 0;
		uint64_t p0 = g->last0, p1 = g->last1;
		uint8_t pf = g->last_family;
		for (size_t i = 0; i < m; i++) { /* hash, and start the cache lines coming */
			uint64_t a0, a1;
			memcpy(&a0, p[i].src, 8);
			memcpy(&a1, p[i].src + 8, 8);
			if (((a0 ^ p0) | (a1 ^ p1)) == 0 && p[i].family == pf)
				continue; /* a run: annotated as the packet before it */
			p0 = a0, p1 = a1, pf = p[i].family;
			uint64_t x = h[nn] = addr_hash(a0, a1);
			news[nn++] = (uint32_t)i;
			if (p[i].family == 4)
				__builtin_prefetch(&g->cache4[x & g->mask4]);
			else /* a set of 96 bytes: both its lines */
				__builtin_prefetch(&g->cache6[x & g->mask6]),
				        __builtin_prefetch(&g->cache6[x & g->mask6].e[WAYS6 - 1]);
		}
		for (size_t i = 0, k = 0; i < m; i++) {
			if (k < nn && news[k] == i) {
				uint64_t a0, a1;
				memcpy(&a0, p[i].src, 8);
				memcpy(&a1, p[i].src + 8, 8);
				annotate_new(g, &p[i], a0, a1, h[k++]);
			} else {
				g->hits++;
				p[i].cc = g->last_cc;
				p[i].srchash = g->last_hash;
			}
		}
		p += m;
		n -= m;
	}
}

void ds_geo_annotate(struct ds_geo *g, struct ds_pkt *p)
{
	ds_geo_annotate_batch(g, p, 1);
}

void ds_geo_stats(const struct ds_geo *g, uint64_t *hits, uint64_t *misses)
{
	*hits = g->hits;
	*misses = g->misses;
}

void ds_geo_close(struct ds_geo *g)
{
	if (!g)
		return;
	if (g->owns)
		MMDB_close(&g->own);
	geo_free(g);
}
