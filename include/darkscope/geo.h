/* geo.h - source country from a MaxMind-format database, behind a cache.
 *
 * Any MaxMind DB with country records works: GeoLite2/DB-IP layout
 * {"country":{"iso_code":"JP"}} and ip-location-db's {"country_code":"JP"}.
 * Addresses the database does not know are "ZZ".  One ds_geo per thread: the
 * cache is not shared.  The database can be: threads that each open their
 * own cache over one opened database (ds_geo_open_cache) map it once, where
 * a mapping each would count its pages in the process's memory once each. */
#ifndef DARKSCOPE_GEO_H
#define DARKSCOPE_GEO_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/record.h"

struct ds_geo;

/* Open the database at path (NULL or "" = none: every source is ZZ).  The
 * detail on failure names the path and libmaxminddb's reason. */
int ds_geo_open(struct ds_geo **out, const char *path);

/* A new, empty cache of 2^bits IPv4 sources (a quarter as many IPv6 ones;
 * bits within DS_GEO_CACHE_MIN_BITS..DS_GEO_CACHE_BITS) over the database of
 * from, which must outlive it.  Lookups through several such caches at once,
 * in several threads, are safe: libmaxminddb only reads a database it has
 * opened. */
int ds_geo_open_cache(struct ds_geo **out, const struct ds_geo *from, unsigned bits);

/* Set p->cc and p->srchash for p->src (cached). */
void ds_geo_annotate(struct ds_geo *g, struct ds_pkt *p);

/* The same for p[0..n), overlapping the cache misses. */
void ds_geo_annotate_batch(struct ds_geo *g, struct ds_pkt *p, size_t n);

/* Country of addr (16 bytes, IPv4 mapped) straight from the database. */
uint16_t ds_geo_lookup(struct ds_geo *g, const uint8_t addr[16]);

/* The 32-bit source hash used by the sketches. */
uint32_t ds_src_hash(const uint8_t addr[16]);

/* Cache statistics since open. */
void ds_geo_stats(const struct ds_geo *g, uint64_t *hits, uint64_t *misses);

void ds_geo_close(struct ds_geo *g);

#endif
