/* test_store.c - segments, rollups, the aggregator, and the SQLite store. */
#include "unit.h"

#include "darkscope/aggregate.h"
#include "darkscope/analyse.h"
#include "darkscope/err.h"
#include "darkscope/limits.h"
#include "darkscope/store.h"
#include "pipeline/writer.h"
#include "store/segment.h"

#include <limits.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

static uint32_t mix32(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint32_t)x | 1;
}

/* n rows with keys spread over sensors, countries and ports; row i has
 * (i % 7) + 1 sources, row 0 has 3000 (dense). */
static struct ds_row *make_rows(size_t n)
{
	struct ds_row *r = calloc(n, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		r[i].key = ds_key((unsigned)(i % 3), (unsigned)(i % 5) * 40, 6,
		                  (uint32_t)(i * 13 % 65536));
		r[i].packets = i + 1;
		size_t ns = i == 0 ? 3000 : i % 7 + 1;
		for (size_t k = 0; k < ns; k++)
			ds_sketch_add(&r[i].sk, mix32(i * 100000 + k % 50));
	}
	/* sort by key */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && r[j - 1].key > r[j].key; j--) {
			struct ds_row t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	return r;
}

TEST(segment_round_trip_and_packets_only)
{
	size_t n = 300;
	struct ds_row *rows = make_rows(n);
	struct ds_buf b = {0};
	CHECK_INT(ds_seg_encode(rows, n, DS_DIM_ALL, &b), ==, 0);
	struct ds_seg seg;
	CHECK_INT(ds_seg_decode(b.data, b.len, DS_DIM_ALL, 1, &seg), ==, 0);
	CHECK_INT(seg.n, ==, n);
	for (size_t i = 0; i < n && i < seg.n; i++) {
		CHECK(seg.rows[i].key == rows[i].key);
		CHECK_INT(seg.rows[i].packets, ==, rows[i].packets);
		struct ds_sketch s = {0};
		const uint8_t *p = seg.rows[i].enc;
		CHECK_INT(ds_sketch_merge_enc(&s, &p, p + seg.rows[i].enclen), ==, 0);
		CHECK_INT(ds_sketch_count(&s), ==, ds_sketch_count(&rows[i].sk));
		ds_sketch_free(&s);
	}
	ds_seg_free(&seg);
	CHECK_INT(ds_seg_decode(b.data, b.len, DS_DIM_ALL, 0, &seg), ==, 0);
	CHECK(seg.rows[5].enc == NULL && seg.rows[5].packets == rows[5].packets);
	ds_seg_free(&seg);
	/* the wrong mask, a wrong version and every truncation are refused */
	CHECK_INT(ds_seg_decode(b.data, b.len, DS_DIM_PORT, 1, &seg), ==, -DS_E_STORE);
	b.data[3] = 9;
	CHECK_INT(ds_seg_decode(b.data, b.len, DS_DIM_ALL, 1, &seg), ==, -DS_E_STORE);
	CHECK(strstr(ds_lasterr(), "version 9") != NULL);
	b.data[3] = DS_SEG_VERSION;
	for (size_t cut = 0; cut < b.len; cut += 1 + cut / 8)
		if (ds_seg_decode(b.data, cut, DS_DIM_ALL, 1, &seg) == 0) {
			UNIT_FAIL("a segment cut to %zu of %zu bytes decoded", cut, b.len);
			ds_seg_free(&seg);
		}
	ds_buf_free(&b);
	ds_rows_free(rows, n);
}

/* The rollups equal a naive sum: for each mask, packets and exact sources. */
TEST(rollups_equal_a_naive_sum)
{
	size_t n = 400;
	struct ds_row *rows = make_rows(n);
	struct ds_rollups r;
	CHECK_INT(ds_rollup(rows, n, DS_COARSE_MASKS, 0, &r), ==, 0);
	for (unsigned d = 0; d < DS_DIM_ALL; d++) {
		uint64_t total = 0;
		for (size_t k = 0; k < r.n[d]; k++) {
			if (k)
				CHECK(r.rows[d][k - 1].key < r.rows[d][k].key);
			uint64_t packets = 0;
			struct ds_sketch want = {0}, got = {0};
			for (size_t i = 0; i < n; i++)
				if (ds_key_mask(rows[i].key, d) == r.rows[d][k].key) {
					packets += rows[i].packets;
					ds_sketch_merge(&want, &rows[i].sk);
				}
			const uint8_t *p = r.rows[d][k].enc;
			CHECK_INT(ds_sketch_merge_enc(&got, &p, p + r.rows[d][k].enclen), ==, 0);
			CHECK_INT(r.rows[d][k].packets, ==, packets);
			CHECK_INT(ds_sketch_count(&got), ==, ds_sketch_count(&want));
			total += packets;
			ds_sketch_free(&want);
			ds_sketch_free(&got);
		}
		CHECK_INT(total, ==, n * (n + 1) / 2);
	}
	ds_rollups_free(&r);
	ds_rows_free(rows, n);
}

/* An hour's packets by port, country, sensor and in all equal a naive sum:
 * keys ascending, each once.  Enough rows of distinct ports and countries
 * that the summing table grows several times. */
TEST(hour_packet_rollups_equal_a_naive_sum)
{
	size_t n = 20000;
	struct ds_row *rows = calloc(n, sizeof *rows);
	for (size_t i = 0; i < n; i++) /* keys ascending: sensor, country, port */
		rows[i] = (struct ds_row){.key = ds_key((unsigned)(i / 5000),
		                                        (unsigned)(i / 40 % 125), 6 + 11 * (i % 2),
		                                        (uint32_t)(mix32(i) % 9000)),
		                          .packets = 1 + i % 13};
	for (size_t i = 1; i < n; i++) /* by key */
		for (size_t j = i; j > 0 && rows[j - 1].key > rows[j].key; j--) {
			struct ds_row t = rows[j];
			rows[j] = rows[j - 1];
			rows[j - 1] = t;
		}
	struct ds_row *out[DS_DIM_ALL] = {0};
	size_t nout[DS_DIM_ALL] = {0};
	CHECK_INT(ds_rollup_hour_packets(rows, n, out, nout), ==, 0);
	for (unsigned d = 0; d < DS_DIM_ALL; d++) {
		if (!(DS_HOUR_PACKET_MASKS >> d & 1)) {
			CHECK(out[d] == NULL);
			continue;
		}
		uint64_t *key = malloc(n * sizeof *key), *pk = calloc(n, sizeof *pk);
		size_t m = 0;
		for (size_t i = 0; i < n; i++) { /* distinct masked keys, ascending */
			uint64_t k = ds_key_mask(rows[i].key, d);
			size_t j = m;
			while (j > 0 && key[j - 1] > k)
				j--;
			if (j > 0 && key[j - 1] == k) {
				pk[j - 1] += rows[i].packets;
				continue;
			}
			memmove(key + j + 1, key + j, (m - j) * sizeof *key);
			memmove(pk + j + 1, pk + j, (m - j) * sizeof *pk);
			key[j] = k, pk[j] = rows[i].packets, m++;
		}
		CHECK_INT(nout[d], ==, m);
		for (size_t k = 0; k < m && k < nout[d]; k++)
			if (out[d][k].key != key[k] || out[d][k].packets != pk[k]) {
				UNIT_FAIL("mask %u row %zu: %llx %llu, want %llx %llu", d, k,
				          (unsigned long long)out[d][k].key,
				          (unsigned long long)out[d][k].packets,
				          (unsigned long long)key[k], (unsigned long long)pk[k]);
				break;
			}
		if (d == DS_DIM_PORT)
			CHECK_INT(m, >, 4096); /* the table grew past 1024 slots */
		free(key);
		free(pk);
		free(out[d]);
	}
	free(rows);
}

/* Rolling up rows whose sketches are encoded (as a store scan gives them,
 * one of them dense) gives the same bytes as from sketches in memory; a
 * corrupt encoding is refused; only the masks asked for are built. */
TEST(rollups_of_encoded_rows_equal_rollups_of_sketches)
{
	size_t n = 300;
	struct ds_row *rows = make_rows(n), *enc = calloc(n, sizeof *enc);
	for (uint32_t k = 0; k < 20000; k++)
		ds_sketch_add(&rows[1].sk, mix32(7000000 + k));
	CHECK_INT(rows[1].sk.cap, ==, DS_SKETCH_DENSE);
	struct ds_buf b = {0};
	size_t *at = calloc(n + 1, sizeof *at);
	for (size_t i = 0; i < n; i++) {
		at[i] = b.len;
		CHECK_INT(ds_sketch_encode(&rows[i].sk, &b), ==, 0);
	}
	at[n] = b.len;
	for (size_t i = 0; i < n; i++)
		enc[i] = (struct ds_row){.key = rows[i].key,
		                         .packets = rows[i].packets,
		                         .enc = b.data + at[i],
		                         .enclen = at[i + 1] - at[i]};
	struct ds_rollups a, e;
	CHECK_INT(ds_rollup(rows, n, DS_COARSE_MASKS, 0, &a), ==, 0);
	CHECK_INT(ds_rollup(enc, n, DS_COARSE_MASKS, 0, &e), ==, 0);
	for (unsigned d = 0; d < DS_DIM_ALL; d++) {
		CHECK_INT(a.n[d], ==, e.n[d]);
		for (size_t k = 0; k < a.n[d] && k < e.n[d]; k++)
			if (a.rows[d][k].key != e.rows[d][k].key ||
			    a.rows[d][k].packets != e.rows[d][k].packets ||
			    a.rows[d][k].enclen != e.rows[d][k].enclen ||
			    memcmp(a.rows[d][k].enc, e.rows[d][k].enc, a.rows[d][k].enclen) != 0)
				UNIT_FAIL("mask %u row %zu differs", d, k);
	}
	/* said sound, the same bytes (a lone list is copied without a check) */
	struct ds_rollups t;
	CHECK_INT(ds_rollup(enc, n, DS_COARSE_MASKS, DS_ROLLUP_SOUND, &t), ==, 0);
	for (unsigned d = 0; d < DS_DIM_ALL; d++) {
		CHECK_INT(t.n[d], ==, e.n[d]);
		for (size_t k = 0; k < t.n[d] && k < e.n[d]; k++)
			if (t.rows[d][k].key != e.rows[d][k].key ||
			    t.rows[d][k].enclen != e.rows[d][k].enclen ||
			    memcmp(t.rows[d][k].enc, e.rows[d][k].enc, t.rows[d][k].enclen) != 0)
				UNIT_FAIL("sound: mask %u row %zu differs", d, k);
	}
	ds_rollups_free(&t);
	ds_rollups_free(&a);
	ds_rollups_free(&e);
	CHECK_INT(ds_rollup(enc, n, 1u << DS_DIM_PORT, 0, &e), ==, 0);
	CHECK(e.rows[DS_DIM_PORT] != NULL && e.rows[DS_DIM_CC] == NULL && e.n[DS_DIM_CC] == 0);
	ds_rollups_free(&e);
	enc[5].enclen = 1; /* a sparse list cut short */
	b.data[at[5]] = 0x7e;
	CHECK_INT(ds_rollup(enc, n, DS_COARSE_MASKS, 0, &e), ==, -DS_E_STORE);
	free(at);
	free(enc);
	ds_buf_free(&b);
	ds_rows_free(rows, n);
}

/* The union of one encoded row is its encoding; one that does not hold
 * as many hashes as its tag says, hashes past 32 bits or a repeated one is
 * refused; two rows give the encoding of their merged sketch. */
TEST(union_of_one_row_is_its_encoding)
{
	struct ds_row *rows = make_rows(3); /* row 0 dense, rows 1 and 2 sparse */
	struct ds_buf b = {0}, out = {0};
	struct ds_union u = {0};
	for (int i = 0; i < 3; i++) {
		b.len = out.len = 0;
		CHECK_INT(ds_sketch_encode(&rows[i].sk, &b), ==, 0);
		struct ds_row e = {.key = rows[i].key, .enc = b.data, .enclen = b.len};
		const struct ds_row *one = &e;
		CHECK_INT(ds_union_encode(&one, 1, &u, &out), ==, 0);
		CHECK(out.len == b.len && memcmp(out.data, b.data, b.len) == 0);
		if (i == 0)
			continue;
		uint8_t tag = b.data[0];
		b.data[0] = (uint8_t)(tag - 2); /* one hash fewer than it holds */
		CHECK_INT(ds_union_encode(&one, 1, &u, &out), ==, -DS_E_STORE);
		b.data[0] = tag;
		b.data[b.len - 1] |= 0x80; /* the last varint cut short */
		CHECK_INT(ds_union_encode(&one, 1, &u, &out), ==, -DS_E_STORE);
	}
	/* hashes past 2^32, or one repeated, are refused, alone or with another
	 * row; rows of empty sketches give an empty one */
	const uint8_t over[] = {4, 0xff, 0xff, 0xff, 0xff, 0x0f, 1};
	const uint8_t twice[] = {6, 5, 0, 3}, none[] = {0};
	struct ds_row e = {.enc = over, .enclen = sizeof over};
	const struct ds_row *one = &e, *nones[2] = {&e, &e};
	out.len = 0;
	CHECK_INT(ds_union_encode(&one, 1, &u, &out), ==, -DS_E_STORE);
	e = (struct ds_row){.enc = twice, .enclen = sizeof twice};
	CHECK_INT(ds_union_encode(&one, 1, &u, &out), ==, -DS_E_STORE);
	const struct ds_row *with[2] = {&e, &rows[1]};
	CHECK_INT(ds_union_encode(with, 2, &u, &out), ==, -DS_E_STORE);
	e = (struct ds_row){.enc = none, .enclen = sizeof none};
	struct ds_union fresh = {0};
	out.len = 0;
	CHECK_INT(ds_union_encode(nones, 2, &fresh, &out), ==, 0);
	CHECK(out.len == 1 && out.data[0] == 0);
	ds_union_free(&fresh);
	struct ds_sketch both = {0};
	ds_sketch_merge(&both, &rows[1].sk);
	ds_sketch_merge(&both, &rows[2].sk);
	b.len = out.len = 0;
	CHECK_INT(ds_sketch_encode(&both, &b), ==, 0);
	const struct ds_row *two[2] = {&rows[1], &rows[2]};
	CHECK_INT(ds_union_encode(two, 2, &u, &out), ==, 0);
	CHECK(out.len == b.len && memcmp(out.data, b.data, b.len) == 0);
	ds_sketch_free(&both);
	ds_union_free(&u);
	ds_buf_free(&b);
	ds_buf_free(&out);
	ds_rows_free(rows, 3);
}

/* Rows whose sorted lists hold hashes a + i * step for i < len (a 0 first
 * when zero), encoded one after the other into b. */
static void list_rows(struct ds_row *rows, size_t k, size_t len, uint32_t step, int zero,
                      struct ds_buf *b)
{
	uint32_t *h = malloc(len * sizeof *h);
	size_t *at = calloc(k + 1, sizeof *at);
	b->len = 0;
	for (size_t r = 0; r < k; r++) {
		for (size_t i = 0; i < len; i++) /* overlapping runs when step is small */
			h[i] = (uint32_t)(1000 + r * 37 + i * step);
		if (zero)
			h[0] = 0;
		at[r] = b->len;
		ds_sketch_encode_sorted(h, len, b);
	}
	at[k] = b->len;
	for (size_t r = 0; r < k; r++)
		rows[r] = (struct ds_row){.enc = b->data + at[r], .enclen = at[r + 1] - at[r]};
	free(h);
	free(at);
}

/* A union of more lists than it merges counts their distinct hashes only
 * up to what a sparse sketch holds: past it, registers from the hashes
 * gathered.  Each way, the bytes are those of the same union built in
 * steps of few lists (merged), and of the sketches merged. */
TEST(union_of_many_lists_is_the_union_built_in_steps)
{
	struct ds_row rows[40];
	struct ds_buf b = {0}, all = {0}, half = {0}, steps = {0};
	struct ds_union u = {0};
	/* (length, step, 0 first): 4,000 hashes, 1,560 distinct; 4,000
	 * distinct (registers); 2,400 with a hash of 0 in every list */
	const struct {
		size_t len;
		uint32_t step;
		int zero;
	} cases[] = {{100, 1, 0}, {100, 100000, 0}, {60, 3, 1}};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		list_rows(rows, 40, cases[c].len, cases[c].step, cases[c].zero, &b);
		const struct ds_row *p[40];
		for (int i = 0; i < 40; i++)
			p[i] = &rows[i];
		all.len = half.len = steps.len = 0;
		CHECK_INT(ds_union_encode(p, 40, &u, &all), ==, 0);
		/* two unions of 20 lists (merged), then the union of those two */
		CHECK_INT(ds_union_encode(p, 20, &u, &half), ==, 0);
		size_t mid = half.len;
		CHECK_INT(ds_union_encode(p + 20, 20, &u, &half), ==, 0);
		struct ds_row h2[2] = {{.enc = half.data, .enclen = mid},
		                       {.enc = half.data + mid, .enclen = half.len - mid}};
		const struct ds_row *ph[2] = {&h2[0], &h2[1]};
		CHECK_INT(ds_union_encode(ph, 2, &u, &steps), ==, 0);
		CHECK(all.len == steps.len && memcmp(all.data, steps.data, all.len) == 0);
		CHECK_INT(all.data[0] == 1, ==, c == 1); /* registers only past 2,048 */
		if (cases[c].zero)
			continue; /* (a sketch in memory takes a hash of 0 as 1) */
		struct ds_sketch merged = {0};
		for (int i = 0; i < 40; i++) {
			const uint8_t *q = rows[i].enc;
			CHECK_INT(ds_sketch_merge_enc(&merged, &q, q + rows[i].enclen), ==, 0);
		}
		steps.len = 0;
		CHECK_INT(ds_sketch_encode(&merged, &steps), ==, 0);
		CHECK(all.len == steps.len && memcmp(all.data, steps.data, all.len) == 0);
		ds_sketch_free(&merged);
	}
	ds_union_free(&u);
	ds_buf_free(&b);
	ds_buf_free(&all);
	ds_buf_free(&half);
	ds_buf_free(&steps);
}

struct emitted {
	int32_t hours[64];
	uint64_t packets[64];
	int n;
	int sorted;
};

static int record(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct emitted *e = ctx;
	uint64_t p = 0;
	for (size_t i = 0; i < n; i++) {
		p += rows[i].packets;
		if (i && rows[i - 1].key >= rows[i].key)
			e->sorted = 0;
	}
	e->hours[e->n] = hour;
	e->packets[e->n++] = p;
	return 0;
}

TEST(aggregator_emits_finished_hours_in_order)
{
	struct ds_agg a;
	struct emitted e = {.sorted = 1};
	CHECK_INT(ds_agg_init(&a, 0, 0, record, &e), ==, 0);
	struct ds_pkt p = {.proto = 6, .family = 4};
	int64_t t0 = 1000 * 3600;
	for (int h = 0; h < 6; h++)
		for (int k = 0; k < 10 + h; k++) {
			p.ts = t0 + h * 3600 + k;
			p.port = (uint32_t)k;
			p.srchash = (uint32_t)k + 1;
			CHECK_INT(ds_agg_add(&a, &p), ==, 0);
		}
	/* hours 0..2 are out once packet time reached hour 5 */
	CHECK_INT(e.n, ==, 3);
	p.ts = t0 + 1; /* a late packet for hour 0: emitted again, merged by the store */
	CHECK_INT(ds_agg_add(&a, &p), ==, 0);
	CHECK_INT(ds_agg_flush(&a), ==, 0);
	CHECK_INT(e.n, ==, 7);
	CHECK_INT(e.hours[3], ==, 1000); /* the late hour comes first: oldest first */
	CHECK_INT(e.packets[3], ==, 1);
	CHECK_INT(e.hours[6], ==, 1005);
	CHECK_INT(e.packets[6], ==, 15);
	CHECK(e.sorted);
	ds_agg_free(&a);
}

TEST(aggregator_respects_its_key_budget)
{
	struct ds_agg a;
	struct emitted e = {.sorted = 1};
	CHECK_INT(ds_agg_init(&a, 100, 0, record, &e), ==, 0);
	struct ds_pkt p = {.proto = 17, .family = 4, .ts = 5 * 3600};
	for (uint32_t k = 0; k < 250; k++) {
		p.port = k;
		CHECK_INT(ds_agg_add(&a, &p), ==, 0);
		CHECK(a.n <= 100);
	}
	CHECK_INT(ds_agg_flush(&a), ==, 0);
	uint64_t total = 0;
	for (int i = 0; i < e.n; i++)
		total += e.packets[i];
	CHECK_INT(e.n, ==, 3);
	CHECK_INT(total, ==, 250);
	ds_agg_free(&a);
}

/* One of 4 aggregators sharing a budget of 100 keys holds at most 25, and
 * counts every packet all the same; a share of 1 (or 0) changes nothing. */
TEST(aggregators_share_their_budgets)
{
	struct ds_agg a;
	struct emitted e = {.sorted = 1};
	CHECK_INT(ds_agg_init(&a, 100, 1000, record, &e), ==, 0);
	size_t pend = a.max_pend;
	ds_agg_share(&a, 1);
	ds_agg_share(&a, 0);
	CHECK_INT(a.max_keys, ==, 100);
	ds_agg_share(&a, 4);
	CHECK_INT(a.max_keys, ==, 25);
	CHECK_INT(a.max_bytes, ==, 250);
	CHECK_INT(a.max_pend, ==, pend / 4);
	struct ds_pkt p = {.proto = 17, .family = 4, .ts = 5 * 3600};
	for (uint32_t k = 0; k < 250; k++) {
		p.port = k;
		CHECK_INT(ds_agg_add(&a, &p), ==, 0);
		CHECK(a.n <= 25);
	}
	CHECK_INT(ds_agg_flush(&a), ==, 0);
	uint64_t total = 0;
	for (int i = 0; i < e.n; i++)
		total += e.packets[i];
	CHECK_INT(e.n, ==, 10);
	CHECK_INT(total, ==, 250);
	ds_agg_free(&a);
	/* a share never leaves a budget of nothing */
	CHECK_INT(ds_agg_init(&a, 3, 0, record, &e), ==, 0);
	ds_agg_share(&a, 64);
	CHECK_INT(a.max_keys, ==, 1);
	ds_agg_free(&a);
}

/* The naive aggregate: per (hour, key) a sketch built hash by hash. */
struct naive {
	int32_t hour[64];
	uint64_t key[64], packets[64];
	struct ds_sketch sk[64];
	int n, rows, bad, out_of_order;
	int32_t last_hour;
};

static int naive_at(struct naive *nv, int32_t hour, uint64_t key)
{
	for (int i = 0; i < nv->n; i++)
		if (nv->hour[i] == hour && nv->key[i] == key)
			return i;
	nv->hour[nv->n] = hour;
	nv->key[nv->n] = key;
	return nv->n++;
}

/* Each emitted row's packets and encoded sketch must be the naive ones. */
static int compare_naive(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct naive *nv = ctx;
	struct ds_buf b = {0};
	if (hour < nv->last_hour)
		nv->out_of_order++;
	nv->last_hour = hour;
	for (size_t i = 0; i < n; i++) {
		int k = naive_at(nv, hour, rows[i].key);
		b.len = 0;
		ds_sketch_encode(&nv->sk[k], &b);
		if (rows[i].packets != nv->packets[k] || rows[i].sk.cap || rows[i].sk.n ||
		    rows[i].enclen != b.len || memcmp(rows[i].enc, b.data, b.len) != 0)
			nv->bad++;
		nv->rows++;
	}
	ds_buf_free(&b);
	return 0;
}

/* Sources are held back and folded into the sketches later; whether they go
 * in at the hour's end, past a small pending budget, or one by one, every
 * emitted sketch encodes exactly as one built hash by hash: sparse sets
 * (hashes 0 and 1 the same source, as ds_sketch_add has it), keys that turn
 * dense at DS_SPARSE_MAX + 1 sources, and keys filled before and after a
 * fold. */
TEST(aggregator_sketches_equal_hash_by_hash)
{
	static const size_t budgets[] = {1, 7, 3000, 1u << 20};
	for (size_t b = 0; b < sizeof budgets / sizeof *budgets; b++) {
		struct naive nv = {.last_hour = INT32_MIN};
		struct ds_agg a;
		CHECK_INT(ds_agg_init(&a, 0, 0, compare_naive, &nv), ==, 0);
		a.max_pend = budgets[b];
		uint64_t x = 12345;
		struct ds_pkt batch[40];
		size_t nb = 0, total = 0;
		for (int h = 0; h < 3; h++)
			for (int i = 0; i < 9000; i++) {
				x = x * 6364136223846793005ull + 1442695040888963407ull;
				struct ds_pkt *p = &batch[nb++];
				*p = (struct ds_pkt){.proto = 6,
				                     .family = 4,
				                     .ts = (1000 + h) * 3600 + i % 3600};
				unsigned r = (unsigned)(x >> 33);
				p->port = r % 8 < 4 ? 0 : r % 8 - 3; /* 5 keys an hour */
				if (p->port == 0) /* one key with many sources: dense */
					p->srchash = (uint32_t)(x >> 20);
				else if (p->port == 1) /* sources 0 and 1: one source */
					p->srchash = r >> 8 & 1;
				else /* a few sources, repeated */
					p->srchash = mix32(r >> 8 & 31);
				int k = naive_at(&nv, 1000 + h, ds_key(0, 0, 6, p->port));
				nv.packets[k]++;
				ds_sketch_add(&nv.sk[k], p->srchash);
				if (nb == 40) {
					CHECK_INT(ds_agg_add_batch(&a, batch, nb), ==, 0);
					total += nb;
					nb = 0;
				}
			}
		CHECK_INT(ds_agg_add_batch(&a, batch, nb), ==, 0);
		CHECK_INT(ds_agg_flush(&a), ==, 0);
		CHECK_INT(total + nb, ==, 27000);
		CHECK_INT(nv.rows, ==, 15);
		CHECK_INT(nv.bad, ==, 0);
		CHECK_INT(nv.out_of_order, ==, 0);
		CHECK_INT(a.npend, ==, 0);
		/* the dense key; the one whose sources are 0 and 1 */
		CHECK(ds_sketch_count(&nv.sk[naive_at(&nv, 1000, ds_key(0, 0, 6, 0))]) >
		      DS_SPARSE_MAX);
		CHECK_INT(ds_sketch_count(&nv.sk[naive_at(&nv, 1000, ds_key(0, 0, 6, 1))]), ==, 1);
		for (int i = 0; i < nv.n; i++)
			ds_sketch_free(&nv.sk[i]);
		ds_agg_free(&a);
	}
}

static void hex_text(void *ctx, unsigned by, uint64_t key, char *out, size_t cap)
{
	(void)ctx, (void)by;
	snprintf(out, cap, "%016llx", (unsigned long long)key);
}

/* Rankings by port, country and sensor equal a naive sum and sort, for keys
 * at the edges of every field (the largest protocol, port, country and
 * sensor numbers), ties in key order. */
TEST(rankings_cover_every_field_value)
{
	static const unsigned sensors[] = {1, 0xffff}, ccs[] = {0, 0x3ff}, protos[] = {6, 0x1ff};
	static const uint32_t ports[] = {0, 80, 65535, 0x3ffff};
	struct ds_row rows[32];
	size_t n = 0;
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++)
			for (int c = 0; c < 2; c++)
				for (int d = 0; d < 4; d++, n++) {
					rows[n] = (struct ds_row){
					        .key = ds_key(sensors[a], ccs[b], protos[c],
					                      ports[d]),
					        .packets = 1 + (n * 7) % 5}; /* ties on purpose */
					ds_sketch_add(&rows[n].sk, (uint32_t)(n + 1) * 2654435761u);
				}
	for (size_t i = 1; i < n; i++) /* by key */
		for (size_t j = i; j > 0 && rows[j - 1].key > rows[j].key; j--) {
			struct ds_row t = rows[j];
			rows[j] = rows[j - 1];
			rows[j - 1] = t;
		}
	const char *path = unit_tmp(".db");
	struct ds_store *st;
	CHECK_INT(ds_store_open(&st, path), ==, 0);
	int32_t day = 100;
	CHECK_INT(st->ops->begin(st), ==, 0);
	CHECK_INT(st->ops->put(st, day * 24 + 5, DS_DIM_ALL, rows, n), ==, 0);
	CHECK_INT(ds_store_build_days(st, &day, 1), ==, 0);
	CHECK_INT(st->ops->commit(st), ==, 0);
	static const unsigned bys[] = {DS_DIM_PORT, DS_DIM_CC, DS_DIM_SENSOR};
	for (int k = 0; k < 3; k++) {
		/* naive: sum by masked key, then most packets first, ties by key */
		uint64_t key[32], pk[32];
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t mk = ds_key_mask(rows[i].key, bys[k]);
			size_t j = 0;
			while (j < m && key[j] != mk)
				j++;
			if (j == m)
				key[m] = mk, pk[m++] = 0;
			pk[j] += rows[i].packets;
		}
		for (size_t i = 1; i < m; i++)
			for (size_t j = i; j > 0 && (pk[j - 1] < pk[j] ||
			                             (pk[j - 1] == pk[j] && key[j - 1] > key[j]));
			     j--) {
				uint64_t t = key[j];
				key[j] = key[j - 1], key[j - 1] = t;
				t = pk[j];
				pk[j] = pk[j - 1], pk[j - 1] = t;
			}
		struct ds_period p = {.day0 = day, .day1 = day};
		struct ds_top t;
		CHECK_INT(ds_top(st, bys[k], &p, NULL, 0, 1, hex_text, NULL, &t), ==, 0);
		CHECK_INT(t.n, ==, m);
		for (size_t i = 0; i < t.n && i < m; i++)
			if (t.rows[i].key != key[i] || t.rows[i].packets != pk[i])
				UNIT_FAIL("by %u row %zu: %llx %llu, want %llx %llu", bys[k], i,
				          (unsigned long long)t.rows[i].key,
				          (unsigned long long)t.rows[i].packets,
				          (unsigned long long)key[i], (unsigned long long)pk[i]);
		ds_top_free(&t);
	}
	struct ds_period p = {.day0 = day, .day1 = day};
	struct ds_top t;
	CHECK_INT(ds_top(st, DS_DIM_PORT | DS_DIM_CC, &p, NULL, 0, 0, hex_text, NULL, &t), ==,
	          -DS_E_USAGE);
	st->ops->close(st);
	unlink(path);
	for (size_t i = 0; i < n; i++)
		ds_sketch_free(&rows[i].sk);
}

TEST(sqlite_store_merges_and_rolls_back)
{
	const char *path = unit_tmp(".db");
	struct ds_store *st;
	CHECK_INT(ds_store_open(&st, path), ==, 0);
	struct ds_row *rows = make_rows(50);
	CHECK_INT(st->ops->begin(st), ==, 0);
	CHECK_INT(st->ops->put(st, 100, DS_DIM_ALL, rows, 50), ==, 0);
	CHECK_INT(st->ops->put(st, 100, DS_DIM_ALL, rows, 50), ==, 0); /* merged: packets double */
	CHECK_INT(st->ops->commit(st), ==, 0);
	CHECK_INT(st->ops->begin(st), ==, 0);
	CHECK_INT(st->ops->put(st, 100, DS_DIM_ALL, rows, 50), ==, 0);
	CHECK_INT(st->ops->rollback(st), ==, 0); /* and this one is gone */
	struct emitted e = {.sorted = 1};
	CHECK_INT(st->ops->scan(st, DS_DIM_ALL, 0, 1000, 1, record, &e), ==, 0);
	CHECK_INT(e.n, ==, 1);
	CHECK_INT(e.packets[0], ==, 2 * 50 * 51 / 2);
	uint16_t id, id2;
	CHECK_INT(st->ops->sensor_id(st, "tokyo-1", "Domestic 1", &id), ==, 0);
	CHECK_INT(st->ops->sensor_id(st, "tokyo-1", NULL, &id2), ==, 0);
	CHECK_INT(id, ==, id2);
	CHECK_INT(id, >, 0);
	st->ops->close(st);
	ds_rows_free(rows, 50);
	/* a file that is not a store is refused in one line */
	FILE *f = fopen(path, "w");
	fputs("not a database, not at all, just some text that is long enough", f);
	fclose(f);
	CHECK_INT(ds_store_open(&st, path), ==, -DS_E_STORE);
	CHECK(strstr(ds_lasterr(), path) != NULL);
	unlink(path);
}

/* What a store's queries see: each hour of [0, 1000) and its packets, then
 * each day, as "h:p" words (a second connection's view when st is not the
 * writer's). */
static void seen(struct ds_store *st, char *out, size_t cap)
{
	struct emitted h = {.sorted = 1}, d = {.sorted = 1};
	CHECK_INT(st->ops->scan(st, DS_DIM_ALL, 0, 1000, 0, record, &h), ==, 0);
	CHECK_INT(st->ops->scan_days(st, DS_DIM_ALL, 0, 100, 0, record, &d), ==, 0);
	size_t o = 0;
	out[0] = 0;
	for (int i = 0; i < h.n && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "h%d:%llu ", h.hours[i],
		                      (unsigned long long)h.packets[i]);
	for (int i = 0; i < d.n && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "d%d:%llu ", d.hours[i] / 24,
		                      (unsigned long long)d.packets[i]);
}

/* One number from the store file itself, past the store's interface. */
static long long raw(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* rows a transaction wrote that queries do not see */
static const char unseen[] =
        "SELECT (SELECT count(*) FROM segment WHERE mask < 0 OR rowid >"
        " (SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'segment_published')) +"
        " (SELECT count(*) FROM segday WHERE mask < 0 OR rowid >"
        " (SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'segday_published'))";

/* A transaction that commits every few bytes (here after every row) stays
 * unseen by other connections until its last commit: new hours, an hour
 * merged with a stored one, a day rolled up again.  Rows of a transaction
 * that did not end (its process died) or rolled back stay unseen and go with
 * the next transaction; a second process's transaction waits for the
 * first's last commit. */
TEST(sqlite_store_stages_a_transaction_unseen_until_its_commit)
{
	setenv("DARKSCOPE_STAGE_BYTES", "1", 1); /* (this test's own process) */
	const char *path = unit_tmp(".db");
	struct ds_store *w, *q;
	char before[1024], during[1024], after[1024], own[1024], want[1024];
	struct ds_row *rows = make_rows(40);
	unsigned long long p10 = 0, p20 = 0, p40 = 0; /* packets of the first 10, 20, 40 */
	for (int i = 0; i < 40; i++)
		p10 += i < 10 ? rows[i].packets : 0, p20 += i < 20 ? rows[i].packets : 0,
		        p40 += rows[i].packets;
	CHECK_INT(ds_store_open(&w, path), ==, 0);
	CHECK_INT(ds_store_open(&q, path), ==, 0);
	CHECK_INT(w->ops->begin(w), ==, 0);
	CHECK_INT(w->ops->put(w, 100, DS_DIM_ALL, rows, 40), ==, 0);
	CHECK_INT(w->ops->put(w, 101, DS_DIM_ALL, rows, 20), ==, 0);
	CHECK_INT(w->ops->put_day(w, 4, DS_DIM_ALL, 0, rows, 40), ==, 0);
	CHECK_INT(w->ops->commit(w), ==, 0);
	seen(q, before, sizeof before);
	snprintf(want, sizeof want, "h100:%llu h101:%llu d4:%llu ", p40, p20, p40);
	CHECK_STR(before, want);

	CHECK_INT(w->ops->begin(w), ==, 0);
	CHECK_INT(w->ops->put(w, 101, DS_DIM_ALL, rows, 40), ==, 0);      /* merged: staged */
	CHECK_INT(w->ops->put(w, 200, DS_DIM_ALL, rows, 10), ==, 0);      /* new */
	CHECK_INT(w->ops->put(w, 200, DS_DIM_ALL, rows, 10), ==, 0);      /* its own, merged */
	CHECK_INT(w->ops->put_day(w, 4, DS_DIM_ALL, 0, rows, 20), ==, 0); /* again: staged */
	CHECK_INT(w->ops->put_day(w, 8, DS_DIM_ALL, 0, rows, 10), ==, 0);
	seen(q, during, sizeof during);
	CHECK_STR(during, before);
	seen(w, own, sizeof own); /* the transaction reads its own rows */
	snprintf(want, sizeof want, "h100:%llu h101:%llu h200:%llu d4:%llu d8:%llu ", p40,
	         p20 + p40, 2 * p10, p20, p10);
	CHECK_STR(own, want);
	CHECK_INT(raw(path, unseen), >=, 4); /* committed in steps, and unseen */
	CHECK_INT(w->ops->commit(w), ==, 0);
	seen(q, after, sizeof after);
	CHECK_STR(after, want);
	CHECK_INT(raw(path, unseen), ==, 0);
	CHECK_INT(raw(path, "SELECT count(*) FROM segment"), ==, 3);
	CHECK_INT(raw(path, "SELECT count(*) FROM segday"), ==, 2);

	/* a process that dies in its transaction, after commits of steps */
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct ds_store *k;
		if (ds_store_open(&k, path) < 0 || k->ops->begin(k) < 0 ||
		    k->ops->put(k, 300, DS_DIM_ALL, rows, 40) < 0 ||
		    k->ops->put(k, 101, DS_DIM_ALL, rows, 40) < 0 ||
		    k->ops->put_day(k, 12, DS_DIM_ALL, 0, rows, 40) < 0)
			_exit(1);
		_exit(0); /* no commit, no close */
	}
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK_INT(status, ==, 0);
	seen(q, during, sizeof during);
	CHECK_STR(during, after);
	CHECK_INT(raw(path, unseen), >=, 3);
	CHECK_INT(w->ops->begin(w), ==, 0); /* the next transaction clears them */
	CHECK_INT(w->ops->commit(w), ==, 0);
	CHECK_INT(raw(path, unseen), ==, 0);
	seen(q, during, sizeof during);
	CHECK_STR(during, after);

	/* one that rolls back after commits of steps */
	CHECK_INT(w->ops->begin(w), ==, 0);
	CHECK_INT(w->ops->put(w, 400, DS_DIM_ALL, rows, 40), ==, 0);
	CHECK_INT(w->ops->put(w, 100, DS_DIM_ALL, rows, 40), ==, 0);
	CHECK_INT(raw(path, unseen), >=, 2);
	CHECK_INT(w->ops->rollback(w), ==, 0);
	CHECK_INT(raw(path, unseen), ==, 0);
	seen(q, during, sizeof during);
	CHECK_STR(during, after);

	/* another process's transaction waits for this one's last commit (the
	 * process is made first: a transaction has a thread, which a fork would
	 * not take along, holding what it holds) */
	int go[2];
	CHECK_INT(pipe(go), ==, 0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct ds_store *k;
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1 || ds_store_open(&k, path) < 0 ||
		    k->ops->begin(k) < 0 || k->ops->put(k, 600, DS_DIM_ALL, rows, 5) < 0 ||
		    k->ops->commit(k) < 0)
			_exit(1);
		k->ops->close(k);
		_exit(0);
	}
	close(go[0]);
	CHECK_INT(w->ops->begin(w), ==, 0);
	CHECK_INT(w->ops->put(w, 500, DS_DIM_ALL, rows, 5), ==, 0);
	CHECK_INT(write(go[1], "g", 1), ==, 1);
	close(go[1]);
	usleep(300 * 1000);
	CHECK_INT(waitpid(pid, &status, WNOHANG), ==, 0); /* still waiting */
	CHECK_INT(w->ops->put(w, 501, DS_DIM_ALL, rows, 5), ==, 0);
	CHECK_INT(w->ops->commit(w), ==, 0);
	waitpid(pid, &status, 0);
	CHECK_INT(status, ==, 0);
	seen(q, during, sizeof during);
	unsigned long long p5 = 0;
	for (int i = 0; i < 5; i++)
		p5 += rows[i].packets;
	snprintf(want, sizeof want, "h500:%llu h501:%llu h600:%llu ", p5, p5, p5);
	CHECK(strstr(during, want) != NULL);
	CHECK_INT(raw(path, unseen), ==, 0);

	w->ops->close(w);
	q->ops->close(q);
	ds_rows_free(rows, 40);
}

/* A transaction told its end is near (ops->step) commits what it wrote so
 * far at once, unseen as a step's rows are, without a step's worth of
 * bytes; it goes on rollback, and is published by the last commit. */
TEST(sqlite_store_step_commits_what_was_written_unseen)
{
	unsetenv("DARKSCOPE_STAGE_BYTES"); /* (steps of 8 MB: none in this test) */
	const char *path = unit_tmp(".db");
	struct ds_store *w, *q;
	char got[1024], want[1024];
	struct ds_row *rows = make_rows(20);
	unsigned long long p20 = 0;
	for (int i = 0; i < 20; i++)
		p20 += rows[i].packets;
	CHECK_INT(ds_store_open(&w, path), ==, 0);
	CHECK_INT(ds_store_open(&q, path), ==, 0);
	CHECK(w->ops->step != NULL);
	for (int keep = 0; keep < 2; keep++) {
		CHECK_INT(w->ops->begin(w), ==, 0);
		CHECK_INT(w->ops->put(w, 100, DS_DIM_ALL, rows, 20), ==, 0);
		CHECK_INT(w->ops->put_day(w, 4, DS_DIM_ALL, 0, rows, 20), ==, 0);
		CHECK_INT(raw(path, unseen), ==, 0); /* not committed: not in the file */
		CHECK_INT(w->ops->step(w), ==, 0);
		CHECK_INT(raw(path, unseen), ==, 2); /* committed, unseen */
		CHECK_INT(w->ops->step(w), ==, 0);   /* (nothing new: nothing to do) */
		CHECK_INT(raw(path, unseen), ==, 2);
		seen(q, got, sizeof got);
		CHECK_STR(got, "");
		CHECK_INT(keep ? w->ops->commit(w) : w->ops->rollback(w), ==, 0);
		CHECK_INT(raw(path, unseen), ==, 0);
		seen(q, got, sizeof got);
		snprintf(want, sizeof want, "h100:%llu d4:%llu ", p20, p20);
		CHECK_STR(got, keep ? want : "");
	}
	w->ops->close(w);
	q->ops->close(q);
	ds_rows_free(rows, 20);
}

/* 1 when this process maps the file at path (a line of /proc/self/maps ends
 * with its name), 0 when not, -1 when that cannot be told. */
static int mapped(const char *path)
{
	char real[PATH_MAX], line[PATH_MAX + 128];
	FILE *f = realpath(path, real) ? fopen("/proc/self/maps", "r") : NULL;
	if (!f)
		return -1;
	size_t n = strlen(real);
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		size_t l = strcspn(line, "\n");
		found |= l > n && line[l - n - 1] == ' ' && memcmp(line + l - n, real, n) == 0;
	}
	fclose(f);
	return found;
}

/* Queries read the store through a map of it; an ingest does not.  Once its
 * log has started again, the hours an ingest merges into and the days it
 * rebuilds are read from the store file, and every page read through the
 * map stayed in its resident size (2.6 million keys in an hour peaked at
 * 236-256 MB, against 209 MB without the map). */
TEST(sqlite_ingest_reads_the_store_unmapped)
{
	const char *path = unit_tmp(".db");
	struct ds_store *st;
	struct ds_row *rows = make_rows(50);
	struct emitted e = {.sorted = 1};
	CHECK_INT(ds_store_open(&st, path), ==, 0);
	CHECK_INT(st->ops->begin(st), ==, 0);
	CHECK_INT(st->ops->put(st, 100, DS_DIM_ALL, rows, 50), ==, 0);
	CHECK_INT(st->ops->commit(st), ==, 0);
	st->ops->close(st); /* (the last connection: its log copied into the file) */
	CHECK_INT(ds_store_open(&st, path), ==, 0);
	CHECK_INT(st->ops->scan(st, DS_DIM_ALL, 0, 1000, 1, record, &e), ==, 0);
	CHECK_INT(mapped(path), ==, 1); /* a query */
	CHECK_INT(st->ops->begin(st), ==, 0);
	CHECK_INT(st->ops->put(st, 100, DS_DIM_ALL, rows, 50), ==, 0); /* merged: read */
	CHECK_INT(mapped(path), ==, 0);
	CHECK_INT(st->ops->commit(st), ==, 0);
	CHECK_INT(st->ops->scan(st, DS_DIM_ALL, 0, 1000, 1, record, &e), ==, 0);
	CHECK_INT(e.n, ==, 2);
	CHECK_INT(e.packets[1], ==, 2 * 50 * 51 / 2);
	st->ops->close(st);
	ds_rows_free(rows, 50);
	unlink(path);
}

/* A day is stored in parts: part 0 replaces all the day's parts of its mask,
 * the parts after it add to them, and a scan gives them in order, one call
 * each.  Replacing published parts is staged like any other row: queries
 * see the old parts until the commit, the transaction its new ones. */
TEST(sqlite_day_parts_replace_each_other)
{
	setenv("DARKSCOPE_STAGE_BYTES", "1", 1);
	const char *path = unit_tmp(".db");
	struct ds_store *w, *q;
	char got[1024], want[1024];
	struct ds_row *rows = make_rows(40);
	unsigned long long p[41] = {0}; /* p[i]: packets of rows[0..i) */
	for (int i = 0; i < 40; i++)
		p[i + 1] = p[i] + rows[i].packets;
	CHECK_INT(ds_store_open(&w, path), ==, 0);
	CHECK_INT(ds_store_open(&q, path), ==, 0);
	CHECK_INT(w->ops->begin(w), ==, 0);
	CHECK_INT(w->ops->put_day(w, 4, DS_DIM_ALL, 0, rows, 10), ==, 0);
	CHECK_INT(w->ops->put_day(w, 4, DS_DIM_ALL, 1, rows + 10, 15), ==, 0);
	CHECK_INT(w->ops->put_day(w, 4, DS_DIM_ALL, 2, rows + 25, 15), ==, 0);
	CHECK_INT(w->ops->put_day(w, 5, DS_DIM_ALL, 0, rows, 5), ==, 0);
	CHECK_INT(w->ops->put_day(w, 4, DS_DIM_ALL, 1, rows, 5), <, 0); /* not after its part 0 */
	CHECK_INT(w->ops->commit(w), ==, 0);
	snprintf(want, sizeof want, "d4:%llu d4:%llu d4:%llu d5:%llu ", p[10], p[25] - p[10],
	         p[40] - p[25], p[5]);
	seen(q, got, sizeof got);
	CHECK_STR(got, want);
	CHECK_INT(raw(path, "SELECT count(*) FROM segday WHERE mask = 7"), ==, 4);

	CHECK_INT(w->ops->begin(w), ==, 0);
	CHECK_INT(w->ops->put_day(w, 4, DS_DIM_ALL, 0, rows, 20), ==, 0); /* fewer parts */
	CHECK_INT(w->ops->put_day(w, 5, DS_DIM_ALL, 0, rows, 30), ==, 0); /* more */
	CHECK_INT(w->ops->put_day(w, 5, DS_DIM_ALL, 1, rows + 30, 10), ==, 0);
	seen(q, got, sizeof got);
	CHECK_STR(got, want); /* queries: the published parts */
	char own[1024];
	snprintf(own, sizeof own, "d4:%llu d5:%llu d5:%llu ", p[20], p[30], p[40] - p[30]);
	seen(w, got, sizeof got);
	CHECK_STR(got, own); /* the transaction: its own, staged */
	CHECK_INT(w->ops->put_day(w, 5, DS_DIM_ALL, 0, rows, 7), ==, 0); /* its own, again */
	snprintf(own, sizeof own, "d4:%llu d5:%llu ", p[20], p[7]);
	seen(w, got, sizeof got);
	CHECK_STR(got, own);
	CHECK_INT(w->ops->commit(w), ==, 0);
	seen(q, got, sizeof got);
	CHECK_STR(got, own);
	CHECK_INT(raw(path, "SELECT count(*) FROM segday"), ==, 2);
	w->ops->close(w);
	q->ops->close(q);
	ds_rows_free(rows, 40);
	unsetenv("DARKSCOPE_STAGE_BYTES");
}

/* An hour's parts: rows in key order across them, none of more than the
 * part size, and packets as many as were put. */
struct hour_parts {
	int calls, ordered;
	uint64_t last, packets;
	size_t most;
};

static int parts_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct hour_parts *h = ctx;
	(void)hour;
	for (size_t i = 0; i < n; i++) {
		if ((h->calls || i) && rows[i].key <= h->last)
			h->ordered = 0;
		h->last = rows[i].key;
		h->packets += rows[i].packets;
	}
	h->most = n > h->most ? n : h->most;
	h->calls++;
	return 0;
}

/* Rows put into an hour are merged into its parts one part at a time, and
 * a part that passes the part size splits: the hour stays in key order,
 * with every packet, whether the transaction rewrites its own parts or
 * stages published ones. */
TEST(sqlite_hour_parts_split_and_merge)
{
	setenv("DARKSCOPE_PART_ROWS", "10", 1);
	setenv("DARKSCOPE_STAGE_BYTES", "1", 1);
	const char *path = unit_tmp(".db");
	struct ds_store *st;
	struct ds_row *rows = make_rows(40);
	uint64_t p40 = 0, p25 = 0;
	for (int i = 0; i < 40; i++)
		p40 += rows[i].packets, p25 += i < 25 ? rows[i].packets : 0;
	CHECK_INT(ds_store_open(&st, path), ==, 0);
	CHECK_INT(st->ops->begin(st), ==, 0);
	CHECK_INT(st->ops->put(st, 100, DS_DIM_ALL, rows, 25), ==, 0);
	struct hour_parts h = {.ordered = 1};
	CHECK_INT(st->ops->scan(st, DS_DIM_ALL, 100, 101, 1, parts_cb, &h), ==, 0);
	CHECK_INT(h.calls, ==, 3);
	CHECK(h.ordered && h.most == 10 && h.packets == p25);
	CHECK_INT(st->ops->put(st, 100, DS_DIM_ALL, rows, 40), ==, 0); /* its own parts */
	h = (struct hour_parts){.ordered = 1};
	CHECK_INT(st->ops->scan(st, DS_DIM_ALL, 100, 101, 1, parts_cb, &h), ==, 0);
	CHECK_INT(h.calls, >=, 4);
	CHECK(h.ordered && h.most <= 10 && h.packets == p25 + p40);
	CHECK_INT(st->ops->commit(st), ==, 0);
	CHECK_INT(st->ops->begin(st), ==, 0);
	CHECK_INT(st->ops->put(st, 100, DS_DIM_ALL, rows + 30, 10), ==, 0); /* published: staged */
	h = (struct hour_parts){.ordered = 1};
	CHECK_INT(st->ops->scan(st, DS_DIM_ALL, 100, 101, 1, parts_cb, &h), ==, 0);
	uint64_t p10 = 0;
	for (int i = 30; i < 40; i++)
		p10 += rows[i].packets;
	CHECK(h.ordered && h.most <= 10 && h.packets == p25 + p40 + p10);
	CHECK_INT(st->ops->commit(st), ==, 0);
	h = (struct hour_parts){.ordered = 1};
	CHECK_INT(st->ops->scan(st, DS_DIM_ALL, 100, 101, 1, parts_cb, &h), ==, 0);
	CHECK(h.ordered && h.most <= 10 && h.packets == p25 + p40 + p10);
	CHECK_INT(raw(path, "SELECT count(*) FROM segment WHERE mask < 0"), ==, 0);
	CHECK_INT(raw(path, "SELECT sum(rows) FROM segment"), ==, 40);
	st->ops->close(st);
	ds_rows_free(rows, 40);
	unsetenv("DARKSCOPE_PART_ROWS");
	unsetenv("DARKSCOPE_STAGE_BYTES");
}

/* A store of schema 7 (no rows published: all of them are the store's, and
 * no parts) is migrated to 9 with every row published, each segment its part
 * 0, and answers as before. */
TEST(sqlite_store_of_schema_7_publishes_its_rows)
{
	const char *path = unit_tmp(".db");
	struct ds_store *st;
	char before[1024], after[1024];
	struct ds_row *rows = make_rows(30);
	CHECK_INT(ds_store_open(&st, path), ==, 0);
	CHECK_INT(st->ops->begin(st), ==, 0);
	CHECK_INT(st->ops->put(st, 100, DS_DIM_ALL, rows, 30), ==, 0);
	CHECK_INT(st->ops->put(st, 130, DS_DIM_ALL, rows, 30), ==, 0);
	CHECK_INT(st->ops->put_day(st, 4, DS_DIM_ALL, 0, rows, 30), ==, 0);
	CHECK_INT(st->ops->put_day(st, 5, DS_DIM_ALL, 0, rows, 30), ==, 0);
	CHECK_INT(st->ops->commit(st), ==, 0);
	seen(st, before, sizeof before);
	st->ops->close(st);
	sqlite3 *db;
	CHECK_INT(sqlite3_open(path, &db), ==, SQLITE_OK);
	CHECK_INT(sqlite3_exec(db,
	                       "DELETE FROM meta WHERE k LIKE '%_published';"
	                       "UPDATE meta SET v = '7' WHERE k = 'schema_version';"
	                       /* (tables without parts, as schema 7 had them) */
	                       "CREATE TABLE o(mask INTEGER NOT NULL, hour INTEGER NOT NULL,"
	                       " rows INTEGER NOT NULL, packets INTEGER NOT NULL,"
	                       " data BLOB NOT NULL, PRIMARY KEY(mask, hour));"
	                       "INSERT INTO o(rowid, mask, hour, rows, packets, data) SELECT"
	                       " rowid, mask, hour, rows, packets, data FROM segment;"
	                       "DROP TABLE segment; ALTER TABLE o RENAME TO segment;"
	                       "CREATE TABLE o(mask INTEGER NOT NULL, day INTEGER NOT NULL,"
	                       " rows INTEGER NOT NULL, packets INTEGER NOT NULL,"
	                       " data BLOB NOT NULL, PRIMARY KEY(mask, day));"
	                       "INSERT INTO o(rowid, mask, day, rows, packets, data) SELECT"
	                       " rowid, mask, day, rows, packets, data FROM segday;"
	                       "DROP TABLE segday; ALTER TABLE o RENAME TO segday",
	                       NULL, NULL, NULL),
	          ==, SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(ds_store_open(&st, path), ==, 0);
	seen(st, after, sizeof after);
	CHECK_STR(after, before);
	CHECK_INT(raw(path, "SELECT v FROM meta WHERE k = 'schema_version'"), ==, 9);
	CHECK_INT(raw(path, "SELECT v FROM meta WHERE k = 'segment_published'"), ==,
	          raw(path, "SELECT max(rowid) FROM segment"));
	CHECK_INT(raw(path, "SELECT count(*) FROM segment WHERE part = 0"), ==, 2 * 5);
	CHECK_INT(raw(path, unseen), ==, 0);
	st->ops->close(st);
	ds_rows_free(rows, 30);
}

/* Hour `hour` of reader r for the store writer: two rows with a source each. */
static struct ds_hourpkg *hour_pkg(int32_t hour, int r)
{
	struct ds_row rows[2] = {{.key = ds_key(1, 40, 6, 23), .packets = 3},
	                         {.key = ds_key(1, 40, 6, 445), .packets = 1}};
	struct ds_buf enc[2] = {{0}};
	for (int i = 0; i < 2; i++) {
		ds_sketch_add(&rows[i].sk, mix32((uint64_t)hour * 2 + (uint64_t)i));
		CHECK_INT(ds_sketch_encode(&rows[i].sk, &enc[i]), ==, 0);
		rows[i].enc = enc[i].data;
		rows[i].enclen = enc[i].len;
	}
	struct ds_hourpkg *p = NULL;
	CHECK_INT(ds_hourpkg_make(hour, rows, 2, &p), ==, 0);
	for (int i = 0; i < 2; i++) {
		ds_sketch_free(&rows[i].sk);
		ds_buf_free(&enc[i]);
	}
	if (p)
		p->reader = r;
	return p;
}

/* Finish writer w of st's transaction: each of the ndays days from day0
 * built once, and `hours` hours of hour_pkg stored (an hour sent twice
 * counts twice); commit and close st. */
static void writer_end(struct ds_store *st, struct ds_writer *w, int32_t day0, unsigned ndays,
                       long long hours, const char *what)
{
	double hs = 0, dsec = 0;
	unsigned built = 0;
	CHECK_INT(ds_writer_finish(w, &hs, &dsec, &built), ==, 0);
	if (built != ndays)
		UNIT_FAIL("%s: %u day rollups built, want %u", what, built, ndays);
	CHECK_INT(st->ops->commit(st), ==, 0);
	struct ds_period p = {.day0 = day0, .day1 = day0 + (int32_t)ndays - 1};
	struct ds_top t;
	CHECK_INT(ds_top(st, DS_DIM_PORT, &p, NULL, 0, 0, hex_text, NULL, &t), ==, 0);
	CHECK_INT(t.n, ==, 2);
	if (t.n == 2) {
		CHECK_INT(t.rows[0].packets, ==, hours * 3);
		CHECK_INT(t.rows[1].packets, ==, hours * 1);
	}
	ds_top_free(&t);
	st->ops->close(st);
}

/* A reader waits to queue an hour while the hours pending take more than
 * the writer's byte budget (here three hours' worth; one hour is always
 * taken), however many hours the queue has room for.  The store is slowed
 * (a commit and a pause after each row written), so that without the
 * budget the queue fills. */
TEST(writer_bounds_the_bytes_queued)
{
	setenv("DARKSCOPE_STAGE_BYTES", "1", 1);
	setenv("DARKSCOPE_STAGE_PAUSE_MS", "5", 1);
	const int32_t h0 = 16000 * 24;
	struct ds_hourpkg *one = hour_pkg(h0, 0);
	size_t pkg = one->bytes, peak[2];
	ds_hourpkg_free(one);
	CHECK_INT(pkg, >, 0);
	for (int bounded = 0; bounded < 2; bounded++) {
		char budget[32];
		snprintf(budget, sizeof budget, "%zu", bounded ? 3 * pkg : (size_t)1 << 30);
		setenv("DARKSCOPE_WRITER_BYTES", budget, 1);
		const char *path = unit_tmp(".db");
		struct ds_store *st;
		struct ds_writer *w;
		CHECK_INT(ds_store_open(&st, path), ==, 0);
		CHECK_INT(st->ops->begin(st), ==, 0);
		CHECK_INT(ds_writer_start(&w, st, 1, DS_WRITER_MAX_PENDING), ==, 0);
		for (int32_t h = h0; h < h0 + 16; h++)
			CHECK_INT(ds_writer_put(w, hour_pkg(h, 0)), ==, 0);
		ds_writer_reader_done(w, 0);
		peak[bounded] = ds_writer_peak_bytes(w);
		writer_end(st, w, h0 / 24, 1, 16, bounded ? "bounded" : "unbounded");
		unlink(path);
	}
	CHECK_INT(peak[0], >=, 8 * pkg); /* (the setup fills the queue) */
	CHECK_INT(peak[1], <=, 3 * pkg);
	unsetenv("DARKSCOPE_WRITER_BYTES");
	unsetenv("DARKSCOPE_STAGE_PAUSE_MS");
	unsetenv("DARKSCOPE_STAGE_BYTES");
}

/* One file of 3 days read in two parts, the second starting at noon of the
 * middle day.  Whichever part ends first, the middle day waits for the
 * other, which has not sent an hour of it yet: each day is built once. */
TEST(writer_builds_each_day_once_when_a_part_has_not_started)
{
	const int32_t h0 = 16000 * 24, split = h0 + 36;
	for (int first = 0; first < 2; first++) {
		const char *path = unit_tmp(".db");
		struct ds_store *st;
		CHECK_INT(ds_store_open(&st, path), ==, 0);
		CHECK_INT(st->ops->begin(st), ==, 0);
		struct ds_writer *w;
		CHECK_INT(ds_writer_start(&w, st, 2, 4), ==, 0);
		ds_writer_reader_span(w, 0, h0, split + DS_AGG_LAG_HOURS);
		ds_writer_reader_span(w, 1, split, INT32_MAX);
		for (int k = 0; k < 2; k++) {
			int r = k == 0 ? first : !first;
			int32_t a = r == 0 ? h0 : split, b = r == 0 ? split : h0 + 72;
			for (int32_t h = a; h < b; h++)
				CHECK_INT(ds_writer_put(w, hour_pkg(h, r)), ==, 0);
			ds_writer_reader_done(w, r);
			/* time for the writer to store these hours (and, without
			 * the spans, to build the middle day before the other part
			 * has sent any of it) */
			usleep(300 * 1000);
		}
		writer_end(st, w, h0 / 24, 3, 72,
		           first ? "part 1 ending first" : "part 0 ending first");
		unlink(path);
	}
}

/* A file of 4 days planned in two parts (days 0-1, days 2-3); the first
 * part is cut at hour 30 for a third reader, whose part then reaches one
 * hour into day 2, where the second part began.  Day 2 waits for the third
 * reader even after it has sent hours of day 1 (it has taken over the
 * first part's span up to the second part's start): each day is built
 * once, and the hour both sent is merged. */
TEST(writer_builds_each_day_once_when_a_part_is_cut)
{
	const int32_t h0 = 16000 * 24, second = h0 + 48, cut = h0 + 30;
	const char *path = unit_tmp(".db");
	struct ds_store *st;
	CHECK_INT(ds_store_open(&st, path), ==, 0);
	CHECK_INT(st->ops->begin(st), ==, 0);
	struct ds_writer *w;
	CHECK_INT(ds_writer_start(&w, st, 3, 4), ==, 0);
	ds_writer_reader_span(w, 0, h0, second + DS_AGG_LAG_HOURS);
	ds_writer_reader_span(w, 1, second, INT32_MAX);
	const struct {
		int r;
		int32_t from, to; /* hours [from, to) */
		int done, cut;
	} steps[] = {
	        {0, h0, h0 + 10, 0, 1},         /* then reader 0 cuts its part */
	        {1, second, h0 + 96, 1, 0},     /* the second part, all of it */
	        {0, h0 + 10, cut, 1, 0},        /* the first, up to the cut */
	        {2, cut, h0 + 40, 0, 0},        /* the part cut off, in day 1 */
	        {2, h0 + 40, second + 1, 1, 0}, /* and up to an hour of day 2 */
	};
	for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
		for (int32_t h = steps[k].from; h < steps[k].to; h++)
			CHECK_INT(ds_writer_put(w, hour_pkg(h, steps[k].r)), ==, 0);
		if (steps[k].cut)
			ds_writer_reader_handover(w, 0, 2, cut);
		if (steps[k].done)
			ds_writer_reader_done(w, steps[k].r);
		usleep(300 * 1000); /* (time to store them, and to build what is due) */
	}
	writer_end(st, w, h0 / 24, 4, 97, "a part cut");
	unlink(path);
}

/* A group of 200 files, as hourly captures make: readers past the 64th are
 * counted as the first ones are.  Reader 75 sends an hour of day 0 with no
 * span told and stays open, reader 150 (told its span) has not started,
 * and every other reader is done (199 after an hour of day 1): day 0 waits
 * for both, and is built once. */
TEST(writer_waits_for_readers_past_64)
{
	const int32_t h0 = 16000 * 24;
	const char *path = unit_tmp(".db");
	struct ds_store *st;
	CHECK_INT(ds_store_open(&st, path), ==, 0);
	CHECK_INT(st->ops->begin(st), ==, 0);
	struct ds_writer *w;
	CHECK_INT(ds_writer_start(&w, st, DS_WRITER_SLOTS + 1, 4), <, 0);
	CHECK_INT(ds_writer_start(&w, st, 200, 4), ==, 0);
	ds_writer_reader_span(w, 150, h0 + 20, INT32_MAX);
	CHECK_INT(ds_writer_put(w, hour_pkg(h0 + 1, 75)), ==, 0);
	for (int r = 0; r < 200; r++) {
		if (r == 75 || r == 150 || r == 199)
			continue;
		if (r < 10) /* (not 11: reader 75's bit, were the bits 64 wide) */
			CHECK_INT(ds_writer_put(w, hour_pkg(h0 + 3 + r, r)), ==, 0);
		ds_writer_reader_done(w, r);
	}
	CHECK_INT(ds_writer_put(w, hour_pkg(h0 + 30, 199)), ==, 0); /* (day 1) */
	ds_writer_reader_done(w, 199);
	usleep(300 * 1000); /* (time to build day 0, were it due) */
	CHECK_INT(ds_writer_put(w, hour_pkg(h0 + 20, 150)), ==, 0);
	ds_writer_reader_done(w, 150);
	usleep(300 * 1000); /* (now reader 75 alone holds day 0) */
	CHECK_INT(ds_writer_put(w, hour_pkg(h0 + 2, 75)), ==, 0);
	ds_writer_reader_done(w, 75);
	/* 10 + 3 hours of day 0 and one of day 1 */
	writer_end(st, w, h0 / 24, 2, 14, "readers past 64");
	unlink(path);
}
