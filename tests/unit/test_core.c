/* test_core.c - dates, zones, config, sensors, geo cache, sketches, radix sort, decoding. */
#include "unit.h"

#include "darkscope/aggregate.h"
#include "darkscope/classify.h"
#include "darkscope/config.h"
#include "darkscope/decode.h"
#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/geo.h"
#include "darkscope/radix.h"
#include "darkscope/sketch.h"

#include <arpa/inet.h>
#include <stddef.h>

TEST(civil_dates_round_trip)
{
	CHECK_INT(ds_days_from_civil(1970, 1, 1), ==, 0);
	CHECK_INT(ds_days_from_civil(2014, 10, 1), ==, 16344);
	CHECK_INT(ds_days_from_civil(2000, 3, 1), ==, 11017);
	for (int64_t d = -1000; d < 40000; d += 7) {
		int y, m, dd;
		ds_civil_from_days(d, &y, &m, &dd);
		CHECK_INT(ds_days_from_civil(y, m, dd), ==, d);
	}
	char buf[11];
	ds_format_date(16344, buf);
	CHECK_STR(buf, "2014-10-01");
	int64_t day;
	CHECK_INT(ds_parse_date("2016-02-29", &day), ==, 0);
	CHECK_INT(ds_parse_date("2015-02-29", &day), ==, -DS_E_USAGE);
	CHECK_INT(ds_parse_date("2015-13-01", &day), ==, -DS_E_USAGE);
	CHECK_INT(ds_parse_date("2015-1-01x", &day), ==, -DS_E_USAGE);
}

TEST(zones_and_quarters)
{
	int h;
	CHECK_INT(ds_parse_tz("UTC", &h), ==, 0);
	CHECK_INT(h, ==, 0);
	CHECK_INT(ds_parse_tz("JST", &h), ==, 0);
	CHECK_INT(h, ==, 9);
	CHECK_INT(ds_parse_tz("+09:00", &h), ==, 0);
	CHECK_INT(h, ==, 9);
	CHECK_INT(ds_parse_tz("-0500", &h), ==, 0);
	CHECK_INT(h, ==, -5);
	CHECK_INT(ds_parse_tz("UTC+3", &h), ==, 0);
	CHECK_INT(h, ==, 3);
	CHECK_INT(ds_parse_tz("+05:30", &h), <, 0); /* not a whole hour */
	CHECK_INT(ds_parse_tz("Mars/Olympus", &h), <, 0);
	int64_t a, b;
	CHECK_INT(ds_parse_quarter("2014Q4", &a, &b), ==, 0);
	CHECK_INT(a, ==, ds_days_from_civil(2014, 10, 1));
	CHECK_INT(b, ==, ds_days_from_civil(2014, 12, 31));
	CHECK_INT(ds_parse_quarter("2016Q1", &a, &b), ==, 0);
	CHECK_INT(b - a + 1, ==, 91);
	CHECK_INT(ds_parse_quarter("2014Q5", &a, &b), <, 0);
}

static const char *write_tmp(const char *text)
{
	const char *p = unit_tmp(".conf");
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	return p;
}

TEST(config_parses_the_documented_syntax)
{
	struct ds_config c;
	const char *p =
	        write_tmp("# comment\n[darkscope]\ndb = x.db\ngeoip = /g.mmdb\n\n"
	                  "[sensor tokyo-1]\nprefix = 198.51.100.0/24\nprefix = 2001:db8:100::/48\n"
	                  "alias = Domestic sensor 1\n[sensor b]\nprefix=10.0.0.0/8\n"
	                  "[events]\nthreshold = 5\nsource_threshold = 0\n");
	CHECK_INT(ds_config_init(&c), ==, 0);
	CHECK_INT(c.events.source_threshold == 3, ==, 1);
	CHECK_INT(ds_config_load(&c, p), ==, 0);
	CHECK_INT(c.events.threshold == 5, ==, 1);
	CHECK_INT(c.events.source_threshold == 0, ==, 1);
	CHECK_INT(c.events.window, ==, 28);
	CHECK_STR(c.db, "x.db");
	CHECK_STR(c.geoip, "/g.mmdb");
	CHECK_INT(c.nsensors, ==, 3);
	CHECK_STR(c.sensors[1].name, "tokyo-1");
	CHECK_STR(c.sensors[1].alias, "Domestic sensor 1");
	CHECK_STR(c.sensors[2].alias, "b");
	CHECK_INT(c.nprefixes, ==, 3);
	CHECK_INT(c.prefixes[0].len, ==, 120);
	CHECK_INT(c.prefixes[1].len, ==, 48);
	ds_config_free(&c);
	remove(p);
}

TEST(config_errors_name_file_and_line)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
	        {"[darkscope]\nbogus = 1\n", ":2: unknown key 'bogus'"},
	        {"[sensor a]\nprefix = 198.51.100.1/24\n",
	         ":2: prefix '198.51.100.1/24' has host bits set"},
	        {"[sensor a]\nprefix = 300.1.1.0/24\n", ":2: bad IPv4 prefix"},
	        {"[sensor a]\nprefix = 10.0.0.0/33\n", ":2: bad prefix length"},
	        {"[sensor a]\n[sensor a]\n", ":2: sensor 'a' defined twice"},
	        {"x = 1\n", ":1: key outside any section"},
	        {"[darkscope\n", ":1: section header must end"},
	        {"[sensor a]\nprefix = 10.0.0.0/8\n[sensor b]\nprefix = 10.0.0.0/8\n",
	         ":4: prefix '10.0.0.0/8' is already given to sensor a"},
	        {"[other]\n", ":1: unknown section [other]"},
	        {"[events]\nsource_threshold = -1\n", ":2: bad source_threshold '-1'"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ds_config c;
		const char *p = write_tmp(bad[i].text);
		ds_config_init(&c);
		CHECK_INT(ds_config_load(&c, p), ==, -DS_E_CONFIG);
		if (!strstr(ds_lasterr(), bad[i].want) || !strstr(ds_lasterr(), p))
			UNIT_FAIL("case %zu: '%s' lacks '%s'", i, ds_lasterr(), bad[i].want);
		ds_config_free(&c);
		remove(p);
	}
	struct ds_config c;
	ds_config_init(&c);
	CHECK_INT(ds_config_load(&c, "/nonexistent/x.conf"), ==, -DS_E_CONFIG);
	ds_config_free(&c);
}

static void addr(const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	if (strchr(text, ':')) {
		inet_pton(AF_INET6, text, out);
	} else {
		out[10] = out[11] = 0xff;
		inet_pton(AF_INET, text, out + 12);
	}
}

TEST(sensor_longest_prefix_wins)
{
	struct ds_config c;
	ds_config_init(&c);
	int a = ds_config_add_sensor(&c, "wide", NULL),
	    b = ds_config_add_sensor(&c, "narrow", NULL);
	CHECK_INT(ds_config_add_prefix(&c, (unsigned)a, "198.51.0.0/16"), ==, 0);
	CHECK_INT(ds_config_add_prefix(&c, (unsigned)b, "198.51.100.128/25"), ==, 0);
	CHECK_INT(ds_config_add_prefix(&c, (unsigned)b, "2001:db8:100::/48"), ==, 0);
	struct ds_sensormap m;
	uint16_t ids[3] = {0, 10, 20};
	CHECK_INT(ds_sensormap_init(&m, &c, ids, -1), ==, 0);
	struct ds_pkt p = {.family = 4};
	addr("198.51.100.200", p.dst);
	ds_classify_sensor(&m, &p);
	CHECK_INT(p.sensor, ==, 20);
	addr("198.51.100.1", p.dst);
	ds_classify_sensor(&m, &p);
	CHECK_INT(p.sensor, ==, 10);
	addr("203.0.113.1", p.dst);
	ds_classify_sensor(&m, &p);
	CHECK_INT(p.sensor, ==, 0);
	p.family = 6;
	addr("2001:db8:100:ffff::1", p.dst);
	ds_classify_sensor(&m, &p);
	CHECK_INT(p.sensor, ==, 20);
	addr("2001:db8:101::1", p.dst);
	ds_classify_sensor(&m, &p);
	CHECK_INT(p.sensor, ==, 0);
	ds_sensormap_free(&m);
	CHECK_INT(ds_sensormap_init(&m, &c, ids, a), ==, 0); /* --sensor */
	ds_classify_sensor(&m, &p);
	CHECK_INT(p.sensor, ==, 10);
	ds_sensormap_free(&m);
	ds_config_free(&c);
}

/* Longest match the slow way: bit by bit over the 128-bit forms. */
static int naive_sensor(const struct ds_config *c, const uint8_t dst[16])
{
	int best = -1, bestlen = -1;
	for (unsigned i = 0; i < c->nprefixes; i++) {
		const struct ds_prefix *x = &c->prefixes[i];
		int in = 1;
		for (int b = 0; b < x->len && in; b++)
			in = (dst[b / 8] >> (7 - b % 8) & 1) == (x->addr[b / 8] >> (7 - b % 8) & 1);
		if (in && x->len > bestlen)
			best = (int)x->sensor, bestlen = x->len;
	}
	return best;
}

/* IPv4 packets are matched against the prefixes' IPv4 forms (one by one,
 * and in batches that remember the last block): the same sensor as a
 * longest match over the 128-bit forms, for single addresses and sweeps,
 * with IPv6 prefixes that hold all of ::ffff:0:0/96 (::/0, ::/80), part of
 * it (::ffff:10.0.0.0/103), or none (2001:db8::/32), few prefixes (tested
 * without branches) and many. */
TEST(sensor_ipv4_path_matches_longest_prefix)
{
	static const char *const pfx[] = {
	        "10.0.0.0/8",          "10.1.0.0/16",         "10.1.2.0/24",
	        "10.1.2.128/25",       "::ffff:10.2.0.0/111", "::/80",
	        "2001:db8::/32",       "192.0.2.7/32",        "::ffff:0:0/96",
	        "::ffff:10.0.0.0/103", "0.0.0.0/1",           "::/0",
	        "172.16.0.0/12",       "198.51.100.0/24",     "203.0.113.0/24",
	        "100.64.0.0/10",       "2001:db8:100::/48",   "128.0.0.0/2",
	        "::ffff:192.0.2.0/120"};
	unsigned npfx = sizeof pfx / sizeof *pfx;
	uint64_t x = 7;
	for (int round = 0; round < 200; round++) {
		struct ds_config c;
		ds_config_init(&c);
		unsigned k = 1 + (unsigned)(round % 19), pick[19]; /* 1 to all 19, each once */
		for (unsigned i = 0; i < npfx; i++)
			pick[i] = i;
		for (unsigned i = 0; i < k; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			unsigned j = i + (unsigned)((x >> 33) % (npfx - i)), t = pick[i];
			pick[i] = pick[j], pick[j] = t;
			char name[16];
			snprintf(name, sizeof name, "s%u", i);
			int sid = ds_config_add_sensor(&c, name, NULL);
			CHECK_INT(ds_config_add_prefix(&c, (unsigned)sid, pfx[pick[i]]), ==, 0);
		}
		struct ds_sensormap m;
		CHECK_INT(ds_sensormap_init(&m, &c, NULL, -1), ==, 0);
		int bad = 0, badmemo = 0;
		static struct ds_pkt ps[500];
		for (int t = 0; t < 500; t++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			struct ds_pkt p = {.family = 4};
			static const char *const near[] = {
			        "10.1.2.200",   "10.1.2.3",   "10.1.9.9",
			        "10.200.0.1",   "192.0.2.7",  "192.0.2.8",
			        "198.51.100.9", "172.20.1.1", "100.100.1.1"};
			if (t > 0 && (x >> 63)) { /* a sweep: the address before, a little on */
				p = ps[t - 1];
				uint32_t a = (uint32_t)p.dst[12] << 24 | (uint32_t)p.dst[13] << 16 |
				             (uint32_t)p.dst[14] << 8 | p.dst[15];
				a += (uint32_t)(x >> 40) % 3;
				for (int b = 0; b < 4; b++)
					p.dst[12 + b] = (uint8_t)(a >> (24 - 8 * b));
			} else if (x >> 62) /* near a prefix, or anywhere */
				addr(near[(x >> 40) % 9], p.dst);
			else {
				addr("0.0.0.0", p.dst);
				uint32_t a = (uint32_t)(x >> 20);
				memcpy(p.dst + 12, &a, 4);
			}
			ds_classify_sensor(&m, &p);
			int want = naive_sensor(&c, p.dst);
			bad += p.sensor != (want < 0 ? 0 : want);
			ps[t] = p;
			ps[t].sensor = 0xffff;
		}
		CHECK_INT(bad, ==, 0);
		/* in batches of 7, a memo across them: the same sensors */
		struct ds_classify_memo memo = DS_CLASSIFY_MEMO_INIT;
		for (int t = 0; t < 500; t += 7)
			ds_classify_batch(&m, ps + t, t + 7 <= 500 ? 7 : (size_t)(500 - t), &memo);
		for (int t = 0; t < 500; t++) {
			int want = naive_sensor(&c, ps[t].dst);
			badmemo += ps[t].sensor != (want < 0 ? 0 : want);
		}
		CHECK_INT(badmemo, ==, 0);
		ds_sensormap_free(&m);
		ds_config_free(&c);
	}
}

static uint32_t mix32(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(x >> 32);
}

/* Sources that take turns (no runs of one source) each cost one database
 * lookup: the cache's sets hold several, so sources that share a set do not
 * evict each other (with one entry per set, 5,000 sources in 3 rounds made
 * about 5,400 lookups). */
TEST(geo_cache_keeps_interleaved_sources)
{
	struct ds_geo *g = NULL;
	CHECK_INT(ds_geo_open(&g, NULL), ==, 0);
	struct ds_pkt p = {.family = 4};
	memcpy(p.src, (const uint8_t[12]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 12);
	for (int round = 0; round < 3; round++)
		for (uint32_t i = 0; i < 5000; i++) {
			uint32_t a = htonl(0x0a000000u + i * 7919u);
			memcpy(p.src + 12, &a, 4);
			ds_geo_annotate(g, &p);
			CHECK_INT(p.cc, ==, DS_CC_UNKNOWN);
		}
	uint64_t hits, misses;
	ds_geo_stats(g, &hits, &misses);
	CHECK_INT(misses, ==, 5000);
	CHECK_INT(hits, ==, 10000);
	ds_geo_close(g);
}

/* A run of one source (a scanner's sweep) takes the country and hash of
 * its first packet without a lookup (hits); a non-IP frame's zero source is
 * no lookup at all, and IPv6's ::, the same bytes, is not taken for it. */
TEST(geo_run_of_one_source_is_looked_up_once)
{
	struct ds_geo *g = NULL;
	CHECK_INT(ds_geo_open(&g, NULL), ==, 0);
	struct ds_pkt p[6];
	memset(p, 0, sizeof p);
	for (int i = 0; i < 4; i++) { /* 10.0.0.1 four times */
		p[i].family = 4;
		memcpy(p[i].src, (const uint8_t[16]){[10] = 0xff, [11] = 0xff, 10, 0, 0, 1}, 16);
	}
	p[4].family = 0; /* not IP: no source */
	p[5].family = 6; /* :: */
	ds_geo_annotate_batch(g, p, 4);
	ds_geo_annotate_batch(g, p + 3, 1); /* the run goes on in the next batch */
	ds_geo_annotate_batch(g, p + 4, 2);
	uint64_t hits, misses;
	ds_geo_stats(g, &hits, &misses);
	CHECK_INT(misses, ==, 2);
	CHECK_INT(hits, ==, 4);
	for (int i = 0; i < 6; i++) {
		CHECK_INT(p[i].srchash, ==, ds_src_hash(p[i].src));
		CHECK_INT(p[i].cc, ==, DS_CC_UNKNOWN);
	}
	ds_geo_close(g);
}

/* The same for IPv6 sources: 3,000 of them, three rounds, one lookup each
 * but for the few whose set of 4 got a fifth (at most 1% more); one entry
 * per slot made 1,910 more. */
TEST(geo_cache_keeps_interleaved_ipv6_sources)
{
	struct ds_geo *g = NULL;
	CHECK_INT(ds_geo_open(&g, NULL), ==, 0);
	struct ds_pkt p = {.family = 6};
	memcpy(p.src, (const uint8_t[8]){0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0}, 8);
	for (int round = 0; round < 3; round++)
		for (uint64_t i = 0; i < 3000; i++) {
			uint64_t a = i * 0x9E3779B97F4A7C15ull;
			memcpy(p.src + 8, &a, 8);
			ds_geo_annotate(g, &p);
			CHECK_INT(p.cc, ==, DS_CC_UNKNOWN);
		}
	uint64_t hits, misses;
	ds_geo_stats(g, &hits, &misses);
	CHECK_INT(misses, <=, 3030);
	CHECK_INT(hits + misses, ==, 9000);
	ds_geo_close(g);
}

/* Misses over two rounds of n interleaved IPv4 sources, through a cache of
 * 2^bits entries over g's (empty) database. */
static uint64_t two_rounds(const struct ds_geo *g, unsigned bits, uint32_t n)
{
	struct ds_geo *c = NULL;
	if (ds_geo_open_cache(&c, g, bits) != 0)
		return 0;
	struct ds_pkt p = {.family = 4};
	memcpy(p.src, (const uint8_t[12]){[10] = 0xff, [11] = 0xff}, 12);
	for (int round = 0; round < 2; round++)
		for (uint32_t i = 0; i < n; i++) {
			uint32_t a = htonl(0x0a000000u + i * 7919u);
			memcpy(p.src + 12, &a, 4);
			ds_geo_annotate(c, &p);
		}
	uint64_t hits, misses;
	ds_geo_stats(c, &hits, &misses);
	ds_geo_close(c);
	return misses;
}

/* A reader's cache has the size asked for, within DS_GEO_CACHE_MIN_BITS..
 * DS_GEO_CACHE_BITS: 1,000 sources nearly fit in the smallest (4,096 entries) and
 * 20,000 do not, where they fit in the full one (131,072). */
TEST(geo_cache_has_the_size_asked_for)
{
	struct ds_geo *g = NULL;
	CHECK_INT(ds_geo_open(&g, NULL), ==, 0);
	/* (a few sets of 4 get a fifth) */
	CHECK_INT(two_rounds(g, DS_GEO_CACHE_MIN_BITS, 1000), <=, 1050);
	CHECK_INT(two_rounds(g, DS_GEO_CACHE_MIN_BITS, 20000), >=, 38000);
	CHECK_INT(two_rounds(g, 0, 20000), >=, 38000); /* (as the smallest) */
	CHECK_INT(two_rounds(g, DS_GEO_CACHE_BITS, 20000), <=, 20200);
	CHECK_INT(two_rounds(g, 40, 20000), <=, 20200); /* (as the largest) */
	ds_geo_close(g);
}

TEST(sketch_is_exact_while_small)
{
	struct ds_sketch s = {0};
	for (int rep = 0; rep < 3; rep++)
		for (uint64_t i = 0; i < 2000; i++)
			CHECK_INT(ds_sketch_add(&s, mix32(i)), ==, 0);
	CHECK_INT(ds_sketch_count(&s), ==, 2000);
	CHECK_INT(s.cap != DS_SKETCH_DENSE, ==, 1);
	ds_sketch_free(&s);
}

TEST(sketch_within_two_percent)
{
	static const uint64_t sizes[] = {3000, 10000, 50000, 200000, 1000000, 5000000};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		struct ds_sketch s = {0};
		for (uint64_t i = 0; i < sizes[k]; i++)
			ds_sketch_add(&s, mix32(i * 7919 + k));
		double est = (double)ds_sketch_count(&s),
		       err = (est - (double)sizes[k]) / (double)sizes[k];
		if (err > 0.02 || err < -0.02)
			UNIT_FAIL("n=%llu estimate %.0f (%.2f%%)", (unsigned long long)sizes[k],
			          est, err * 100);
		ds_sketch_free(&s);
	}
}

TEST(sketch_merge_and_encoding_round_trip)
{
	struct ds_sketch a = {0}, b = {0}, m = {0}, d = {0};
	for (uint64_t i = 0; i < 1500; i++)
		ds_sketch_add(&a, mix32(i));
	for (uint64_t i = 1000; i < 2500; i++)
		ds_sketch_add(&b, mix32(i));
	ds_sketch_merge(&m, &a);
	ds_sketch_merge(&m, &b);
	/* 2500 > sparse limit: merged set turns dense but stays close */
	uint64_t c = ds_sketch_count(&m);
	CHECK_INT(c, >, 2450);
	CHECK_INT(c, <, 2550);
	struct ds_buf buf = {0};
	CHECK_INT(ds_sketch_encode(&a, &buf), ==, 0);
	CHECK_INT(ds_sketch_encode(&m, &buf), ==, 0);
	const uint8_t *p = buf.data, *end = buf.data + buf.len;
	CHECK_INT(ds_sketch_merge_enc(&d, &p, end), ==, 0);
	CHECK_INT(ds_sketch_count(&d), ==, 1500);
	CHECK_INT(ds_sketch_merge_enc(&d, &p, end), ==, 0);
	CHECK_INT(ds_sketch_count(&d), ==, c);
	CHECK(p == end);
	/* corrupt encodings are refused, not read past their end */
	uint8_t bad[] = {0x05, 0x01};
	p = bad;
	CHECK_INT(ds_sketch_merge_enc(&d, &p, bad + sizeof bad), ==, -DS_E_FORMAT);
	uint8_t cut[] = {0x01, 0x00};
	p = cut;
	CHECK_INT(ds_sketch_merge_enc(&d, &p, cut + sizeof cut), ==, -DS_E_FORMAT);
	ds_buf_free(&buf);
	ds_sketch_free(&a);
	ds_sketch_free(&b);
	ds_sketch_free(&m);
	ds_sketch_free(&d);
}

/* (key, position) in order: a stable sort's order, to compare with */
static int by_key_then_val(const void *x, const void *y)
{
	const struct ds_kv *a = x, *b = y;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->val < b->val ? -1 : a->val > b->val;
}
static int by_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

TEST(radix_sort_orders_like_a_comparison_sort)
{
	enum { N = 70000 };
	static struct ds_kv a[N], tmp[N], want[N];
	static uint32_t v[N], t32[N], w32[N];
	/* keys that differ in every byte or few (as a rollup's: sensor, protocol
	 * and port), in bit 63, in few values (ties: stability), or not at all;
	 * sizes about the thresholds of the sorts of hashes (32, 512) and more */
	const uint64_t masks[] = {~0ull,
	                          0x1fffffffffffffull,
	                          0x7ull << 37 | 0x3full << 18 | 0xffff,
	                          0x5555555555555555ull,
	                          0x8000000000000001ull,
	                          0x0f0f0f0f0f0f0f0full,
	                          0x8421084210842108ull,
	                          0x3ull << 40,
	                          0};
	const size_t sizes[] = {2, 3, 31, 32, 33, 100, 511, 512, 513, 4095, 4096, 5000, N};
	for (size_t mi = 0; mi < sizeof masks / sizeof *masks; mi++)
		for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
			size_t n = sizes[si];
			uint64_t m = masks[mi];
			for (uint64_t i = 0; i < n; i++) {
				uint64_t r = (uint64_t)mix32(i + 1000 * mi + 7 * si) << 32 |
				             mix32(i * 3 + mi);
				a[i] = want[i] = (struct ds_kv){(r & m) | 0x40ull, i};
				if (mi == 7 && i % 5 == 0)
					a[i].key = want[i].key = 0x40; /* many ties */
			}
			qsort(want, n, sizeof *want, by_key_then_val);
			ds_radix_sort(a, tmp, n);
			if (memcmp(a, want, n * sizeof *a) != 0)
				UNIT_FAIL("mask %zu, %zu keys: not in order", mi, n);
		}
	for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
		size_t n = sizes[si];
		for (uint64_t i = 0; i < n; i++) /* hashes, some repeated, some small */
			v[i] = w32[i] =
			        i % 7 == 0 ? (uint32_t)i : mix32(i * 3 + si) | (i % 11 == 0);
		qsort(w32, n, sizeof *w32, by_u32);
		ds_radix_sort32(v, t32, n);
		if (memcmp(v, w32, n * sizeof *v) != 0)
			UNIT_FAIL("%zu hashes: not in order", n);
	}
	for (size_t n = 0; n < 600; n++) { /* every size of the small sorts */
		for (uint64_t i = 0; i < n; i++)
			v[i] = w32[i] = mix32(i + 31 * n) >> (n % 3 == 0 ? 20 : 0);
		qsort(w32, n, sizeof *w32, by_u32);
		ds_radix_sort32(v, t32, n);
		if (memcmp(v, w32, n * sizeof *v) != 0)
			UNIT_FAIL("%zu hashes: not in order", n);
	}
}

TEST(keys_pack_and_mask)
{
	uint64_t k = ds_key(513, 675, 257, 0x20000);
	CHECK_INT(ds_key_sensor(k), ==, 513);
	CHECK_INT(ds_key_cc(k), ==, 675);
	CHECK_INT(ds_key_proto(k), ==, 257);
	CHECK_INT(ds_key_port(k), ==, 0x20000);
	uint64_t m = ds_key_mask(k, DS_DIM_CC);
	CHECK_INT(ds_key_sensor(m), ==, 0);
	CHECK_INT(ds_key_cc(m), ==, 675);
	CHECK_INT(ds_key_port(m), ==, 0);
	CHECK(ds_key(1, 0, 0, 0) > ds_key(0, 675, 257, 0x3ffff));
}

/* An Ethernet frame carrying IPv4 decodes as its IP packet does alone (a
 * raw IPv4 link type, which never takes the Ethernet fast path): random
 * headers, options, lengths short of, at and past the capture, padding,
 * fragments and protocols, and captures cut anywhere. */
TEST(ethernet_ipv4_decodes_as_the_bare_packet_does)
{
	uint64_t x = 88172645463325252ull;
	int same = 0, fast = 0;
	for (int n = 0; n < 200000; n++) {
		uint8_t d[128];
		for (size_t k = 0; k < sizeof d; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			d[k] = (uint8_t)(x >> 24);
		}
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t r = (uint32_t)(x >> 16), caplen = 15 + r % 100;
		d[12] = 0x08, d[13] = 0;
		d[14] = (r >> 8) % 8 ? 0x45 : (r >> 8) % 16 ? 0x46 : 0x44; /* options, too short */
		static const uint8_t protos[] = {6, 17, 6, 17, 1, 58, 47};
		d[14 + 9] = protos[(r >> 12) % 7];
		static const uint16_t frag[] = {0, 0x4000, 0x2000, 0x2001, 0x0010, 0x1000};
		uint16_t fr = frag[(r >> 16) % 6];
		d[14 + 6] = (uint8_t)(fr >> 8), d[14 + 7] = (uint8_t)fr;
		uint32_t total = (r >> 20) % 4 ? caplen - 14 - (r >> 22) % 8 : (r >> 22) % 120;
		d[14 + 2] = (uint8_t)(total >> 8), d[14 + 3] = (uint8_t)total;
		struct ds_frame eth = {.ts_sec = 1414800000 + n,
		                       .linktype = 1,
		                       .caplen = caplen,
		                       .data = d},
		                raw = eth;
		raw.linktype = 228, raw.caplen = caplen - 14, raw.data = d + 14;
		struct ds_pkt a, b;
		memset(&a, 0xaa, sizeof a);
		memset(&b, 0x55, sizeof b);
		ds_decode(&eth, &a);
		ds_decode(&raw, &b);
		fast += d[14] == 0x45 && (fr & 0x1fff) == 0 && (d[23] == 6 || d[23] == 17) &&
		        caplen >= 48 && total >= 34 && total <= caplen - 14; /* (some of those) */
		if (memcmp(&a, &b, offsetof(struct ds_pkt, sensor)) == 0 && a.why == b.why)
			same++;
		else if (n - same < 5)
			UNIT_FAIL(
			        "frame %d (caplen %u, total %u, proto %u, frag %04x): proto %u/%u "
			        "port %u/%u sport %u/%u flags %u/%u",
			        n, caplen, total, d[23], fr, a.proto, b.proto, a.port, b.port,
			        a.sport, b.sport, a.tcp_flags, b.tcp_flags);
	}
	CHECK_INT(same, ==, 200000);
	CHECK_INT(fast, >, 20000); /* (26,139 take the fast path) */
}
