/* test_capture.c - a capture split among readers reads every record once. */
#include "unit.h"

#include "darkscope/capture.h"
#include "darkscope/err.h"

#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

static void le32(FILE *f, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	fwrite(b, 1, 4, f);
}

static void le16(FILE *f, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	fwrite(b, 1, 2, f);
}

static void pcap_header(FILE *f)
{
	le32(f, 0xa1b2c3d4);
	le16(f, 2);
	le16(f, 4);
	le32(f, 0);
	le32(f, 0);
	le32(f, 65535);
	le32(f, 101); /* raw IP */
}

/* A record of caplen bytes: an IPv4 header whose identification is i, then
 * the byte pattern of i. */
static void pcap_record(FILE *f, uint32_t sec, uint32_t i, uint32_t caplen)
{
	le32(f, sec);
	le32(f, i % 1000000);
	le32(f, caplen);
	le32(f, caplen);
	for (uint32_t k = 0; k < caplen; k++)
		fputc(k == 4   ? (int)(i >> 8 & 255)
		      : k == 5 ? (int)(i & 255)
		               : (int)(i + k) & 255,
		      f);
}

static uint32_t len_of(uint32_t i)
{
	return 20 + (i * 7919u) % 300u;
}

/* One frame as the tests see it: where, when, how long, which. */
struct seen {
	uint64_t offset;
	int64_t ts;
	uint32_t nsec, caplen, linktype, first;
};

/* Read path whole (n = 1) or in n parts split as ingest does; every frame
 * goes to out (up to max).  Returns the count, or the first error code. */
static long read_parts(const char *path, int n, struct seen *out, long max)
{
	uint64_t at[16];
	int parts = ds_capture_split(path, n, 1, at);
	struct ds_capture c;
	long got = 0;
	for (int k = 0; k < parts; k++) {
		struct ds_frame f;
		int rc;
		if (ds_capture_open(&c, path) < 0)
			return -1;
		if (parts > 1 &&
		    (rc = ds_capture_range(&c, at[k], k + 1 < parts ? at[k + 1] : 0)) < 0) {
			ds_capture_close(&c);
			return rc;
		}
		while ((rc = ds_capture_next(&c, &f)) == 1)
			if (got < max)
				out[got++] = (struct seen){f.offset, f.ts_sec,   f.ts_nsec,
				                           f.caplen, f.linktype, f.data[0]};
		ds_capture_close(&c);
		if (rc < 0)
			return rc;
	}
	return got;
}

static void same_frames(const char *path, int n, long want)
{
	static struct seen whole[20000], parts[20000];
	long a = read_parts(path, 1, whole, 20000), b = read_parts(path, n, parts, 20000);
	CHECK_INT(a, ==, want);
	CHECK_INT(b, ==, a);
	if (a == b && a > 0)
		CHECK(memcmp(whole, parts, (size_t)a * sizeof *whole) == 0);
}

TEST(split_pcap_reads_every_record_once)
{
	const char *path = unit_tmp(".pcap");
	FILE *f = fopen(path, "wb");
	pcap_header(f);
	for (uint32_t i = 0; i < 5000; i++)
		pcap_record(f, 1414800000 + i / 10, i, len_of(i));
	fclose(f);
	for (int n = 2; n <= 7; n++)
		same_frames(path, n, 5000);
	/* the parts start where the whole read has a record */
	struct ds_capture c;
	uint64_t size, o;
	CHECK_INT(ds_capture_open(&c, path), ==, 0);
	CHECK(ds_capture_mapped(&c, &size));
	CHECK_INT(ds_capture_find(&c, size / 2, &o), ==, 1);
	ds_capture_close(&c);
	static struct seen all[6000];
	long n = read_parts(path, 1, all, 6000), hit = 0;
	for (long i = 0; i < n; i++)
		hit += all[i].offset == o;
	CHECK_INT(hit, ==, 1);
}

/* A large record whose payload holds a chain of well-formed record headers
 * where the split point falls: the part found there is no record, and the
 * part before says so instead of ending. */
TEST(split_pcap_at_a_false_record_fails_the_seam)
{
	const char *path = unit_tmp(".pcap");
	FILE *f = fopen(path, "wb");
	pcap_header(f);
	for (uint32_t i = 0; i < 100; i++)
		pcap_record(f, 1414800000, i, 60);
	/* 100 records of 76 bytes after a 24-byte header: 7624; the big one
	 * holds 40 fake records of 16 + 24 bytes, then padding */
	uint32_t big = 40 * 40 + 200;
	le32(f, 1414800001);
	le32(f, 0);
	le32(f, big);
	le32(f, big);
	for (int k = 0; k < 40; k++) {
		le32(f, 1414800001);
		le32(f, 0);
		le32(f, 24);
		le32(f, 24);
		for (int b = 0; b < 24; b++)
			fputc(0xff, f);
	}
	for (uint32_t b = 0; b < 200; b++)
		fputc(0, f);
	fclose(f);
	/* the file is 7624 + 16 + 1800 = 9440 bytes; its middle (4720) is in
	 * the real records, so look from just inside the big one's payload */
	struct ds_capture c;
	uint64_t o;
	CHECK_INT(ds_capture_open(&c, path), ==, 0);
	CHECK_INT(ds_capture_find(&c, 7624 + 17, &o), ==, 1);
	CHECK_INT(o, >, 7624 + 17); /* in the payload (the fakes parse at several shifts) */
	CHECK_INT(o, <, 9440);
	CHECK_INT(ds_capture_range(&c, 0, o), ==, 0);
	struct ds_frame fr;
	int rc;
	long got = 0;
	while ((rc = ds_capture_next(&c, &fr)) == 1)
		got++;
	CHECK_INT(rc, ==, -DS_E_SEAM);
	CHECK_INT(got, ==, 101); /* the big record is read, and ends past o */
	char want[64];
	snprintf(want, sizeof want, "ends at offset 9440, past offset %llu,",
	         (unsigned long long)o);
	CHECK(strstr(ds_lasterr(), want) != NULL);
	ds_capture_close(&c);
}

static void ng_block(FILE *f, uint32_t type, const uint8_t *body, uint32_t len)
{
	uint32_t pad = (4 - len % 4) % 4, total = 12 + len + pad;
	le32(f, type);
	le32(f, total);
	fwrite(body, 1, len, f);
	for (uint32_t k = 0; k < pad; k++)
		fputc(0, f);
	le32(f, total);
}

static void ng_shb(FILE *f)
{
	uint8_t b[16] = {0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0};
	memset(b + 8, 0xff, 8);
	ng_block(f, 0x0A0D0D0A, b, 16);
}

/* An interface of link type lt; nanosecond time stamps when ns. */
static void ng_idb(FILE *f, uint16_t lt, int ns)
{
	uint8_t b[20] = {(uint8_t)lt, (uint8_t)(lt >> 8), 0, 0, 0xff, 0xff, 0, 0};
	uint32_t len = 8;
	if (ns) { /* if_tsresol = 9, end of options */
		uint8_t o[12] = {9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0};
		memcpy(b + 8, o, 12);
		len = 20;
	}
	ng_block(f, 1, b, len);
}

/* An enhanced packet block of caplen bytes (origlen on the wire: caplen + i
 * % 3 when cut is set). */
static void ng_epb_cut(FILE *f, uint32_t ifid, uint64_t ts, uint32_t i, uint32_t caplen, int cut)
{
	uint8_t b[20 + 400];
	uint32_t w[5] = {ifid, (uint32_t)(ts >> 32), (uint32_t)ts, caplen,
	                 caplen + (cut ? i % 3 : 0)};
	for (int k = 0; k < 5; k++)
		for (int j = 0; j < 4; j++)
			b[4 * k + j] = (uint8_t)(w[k] >> (8 * j));
	for (uint32_t k = 0; k < caplen; k++)
		b[20 + k] = (uint8_t)(i + k);
	b[20] = 0x45;
	ng_block(f, 6, b, 20 + caplen);
}

static void ng_epb(FILE *f, uint32_t ifid, uint64_t ts, uint32_t i, uint32_t caplen)
{
	ng_epb_cut(f, ifid, ts, i, caplen, 0);
}

static void ng_spb(FILE *f, uint32_t caplen)
{
	uint8_t b[4 + 400] = {(uint8_t)caplen, (uint8_t)(caplen >> 8)};
	memset(b + 4, 0x45, caplen);
	ng_block(f, 3, b, 4 + caplen);
}

TEST(split_pcapng_reads_every_record_once)
{
	const char *path = unit_tmp(".pcapng");
	FILE *f = fopen(path, "wb");
	ng_shb(f);
	ng_idb(f, 101, 0);
	ng_idb(f, 1, 1);
	for (uint32_t i = 0; i < 4000; i++) {
		uint64_t sec = 1414800000 + i / 10;
		if (i % 3 == 0)
			ng_epb(f, 0, sec * 1000000 + i, i, len_of(i));
		else if (i % 3 == 1)
			ng_epb(f, 1, sec * 1000000000 + i, i, len_of(i));
		else
			ng_spb(f, len_of(i)); /* takes the last time stamp */
	}
	fclose(f);
	for (int n = 2; n <= 7; n++)
		same_frames(path, n, 4000);
}

/* A pcapng of 2000 packets that defines its second interface after 100. */
static const char *late_interface_pcapng(void)
{
	const char *path = unit_tmp(".pcapng");
	FILE *f = fopen(path, "wb");
	ng_shb(f);
	ng_idb(f, 101, 0);
	for (uint32_t i = 0; i < 2000; i++) {
		if (i == 100)
			ng_idb(f, 1, 1);
		ng_epb(f, i >= 100 ? i % 2 : 0, (1414800000ull + i) * 1000000, i, len_of(i));
	}
	fclose(f);
	return path;
}

/* An interface defined after the first packets: parts after it would start
 * with the wrong interfaces, so the part before the first seam past it fails. */
TEST(split_pcapng_with_a_late_interface_fails_the_seam)
{
	const char *path = late_interface_pcapng();
	static struct seen out[3000];
	CHECK_INT(read_parts(path, 2, out, 3000), ==, -DS_E_SEAM);
	CHECK(strstr(ds_lasterr(), "interfaces differ") != NULL);
	CHECK_INT(read_parts(path, 1, out, 3000), ==, 2000);
}

static int by_offset(const void *a, const void *b)
{
	uint64_t x = ((const struct seen *)a)->offset, y = ((const struct seen *)b)->offset;
	return (x > y) - (x < y);
}

/* Read path as ingest's readers share it: one reader from the start; every
 * `every` frames, a reader with more than `min` bytes left cuts the rest of
 * its part in two and the second half is queued for another.  The frames,
 * in file order, go to out (up to max).  Returns the count, or the first
 * error code; *cuts counts the cuts. */
static long read_cutting(const char *path, long every, uint64_t min, struct seen *out, long max,
                         int *cuts)
{
	uint64_t from[64] = {0}, to[64] = {0};
	int nparts = 1;
	long got = 0;
	*cuts = 0;
	for (int k = 0; k < nparts; k++) {
		struct ds_capture c;
		struct ds_frame f;
		uint64_t size, at;
		int rc;
		if (ds_capture_open(&c, path) < 0)
			return -1;
		if (!ds_capture_mapped(&c, &size) ||
		    (rc = ds_capture_range(&c, from[k], to[k])) < 0) {
			ds_capture_close(&c);
			return -1;
		}
		for (long i = 1; (rc = ds_capture_next(&c, &f)) == 1; i++) {
			if (got < max)
				out[got++] = (struct seen){f.offset, f.ts_sec,   f.ts_nsec,
				                           f.caplen, f.linktype, f.data[0]};
			uint64_t end = c.stop ? c.stop : size;
			if (i % every == 0 && nparts < 64 && end - c.mpos > min &&
			    ds_capture_cut(&c, c.mpos + (end - c.mpos) / 2, &at) == 1) {
				from[nparts] = at;
				to[nparts++] = end == size ? 0 : end;
				++*cuts;
			}
		}
		ds_capture_close(&c);
		if (rc < 0)
			return rc;
	}
	/* (parts were read in the order they were cut off, not the file's) */
	qsort(out, (size_t)got, sizeof *out, by_offset);
	return got;
}

/* A part cut while it is read ends exactly where the part cut off starts,
 * however often the parts are cut again: every record is read once, as a
 * whole read reads it; and a cut where no record can follow changes nothing. */
TEST(parts_cut_while_read_read_every_record_once)
{
	const char *pcap = unit_tmp(".pcap"), *ng = unit_tmp(".pcapng");
	FILE *f = fopen(pcap, "wb");
	pcap_header(f);
	for (uint32_t i = 0; i < 5000; i++)
		pcap_record(f, 1414800000 + i / 10, i, len_of(i));
	fclose(f);
	f = fopen(ng, "wb");
	ng_shb(f);
	ng_idb(f, 101, 0);
	ng_idb(f, 1, 1);
	for (uint32_t i = 0; i < 4000; i++)
		ng_epb(f, i % 2,
		       i % 2 ? (1414800000ull + i) * 1000000000 : (1414800000ull + i) * 1000000, i,
		       len_of(i));
	fclose(f);
	static struct seen whole[6000], cut[6000];
	const char *paths[] = {pcap, ng};
	for (int p = 0; p < 2; p++) {
		long a = read_parts(paths[p], 1, whole, 6000);
		CHECK_INT(a, ==, p ? 4000 : 5000);
		for (long every = 1; every <= 700; every = every * 3 + 1) {
			int cuts;
			long b = read_cutting(paths[p], every, 2000, cut, 6000, &cuts);
			CHECK_INT(b, ==, a);
			CHECK_INT(cuts, >, 2);
			if (a == b && a > 0)
				CHECK(memcmp(whole, cut, (size_t)a * sizeof *whole) == 0);
		}
	}
	struct ds_capture c;
	struct ds_frame fr;
	uint64_t size, at = 7;
	/* not before a range is given, nor at or past the part's end */
	CHECK_INT(ds_capture_open(&c, pcap), ==, 0);
	CHECK(ds_capture_mapped(&c, &size));
	CHECK_INT(ds_capture_cut(&c, size / 2, &at), ==, 0);
	CHECK_INT(ds_capture_range(&c, 0, 0), ==, 0);
	CHECK_INT(ds_capture_cut(&c, size, &at), ==, 0);
	CHECK_INT(ds_capture_cut(&c, size - 10, &at), ==, 0); /* (inside the last record) */
	CHECK_INT(at, ==, 7);
	CHECK_INT(ds_capture_cut(&c, size / 2, &at), ==, 1);
	uint64_t mid = at;
	CHECK_INT(ds_capture_cut(&c, mid + 1, &at), ==, 0); /* (past the new end) */
	CHECK_INT(ds_capture_cut(&c, mid - 5, &at), ==, 0); /* (the next record is the end) */
	CHECK_INT(at, ==, mid);
	long n = 0;
	int rc;
	while ((rc = ds_capture_next(&c, &fr)) == 1)
		n++;
	CHECK_INT(rc, ==, 0);
	CHECK_INT(n, >, 2000);
	CHECK_INT(n, <, 3000);
	ds_capture_close(&c);
}

/* A cut after an interface block that the file's leading blocks lack: the
 * part before it fails its seam, as a planned split does. */
TEST(part_cut_past_a_late_interface_fails_the_seam)
{
	const char *path = late_interface_pcapng();
	static struct seen out[3000];
	int cuts;
	CHECK_INT(read_cutting(path, 500, 2000, out, 3000, &cuts), ==, -DS_E_SEAM);
	CHECK(strstr(ds_lasterr(), "interfaces differ") != NULL);
}

TEST(compressed_captures_are_not_split)
{
	const char *path = unit_tmp(".pcap.gz");
	char cmd[1024];
	const char *plain = unit_tmp(".pcap");
	FILE *f = fopen(plain, "wb");
	pcap_header(f);
	for (uint32_t i = 0; i < 100; i++)
		pcap_record(f, 1414800000, i, 60);
	fclose(f);
	snprintf(cmd, sizeof cmd, "gzip -c %s > %s", plain, path);
	CHECK_INT(system(cmd), ==, 0);
	struct ds_capture c;
	uint64_t size, o;
	CHECK_INT(ds_capture_open(&c, path), ==, 0);
	CHECK(!ds_capture_mapped(&c, &size));
	CHECK_INT(ds_capture_find(&c, 100, &o), ==, 0);
	ds_capture_close(&c);
	CHECK_INT(ds_capture_open(&c, plain), ==, 0);
	CHECK(ds_capture_mapped(&c, &size));
	CHECK_INT(size, ==, 24 + 100 * 76);
	ds_capture_close(&c);
}

/* Where the real captures in ../shared are split, a part starts at a record:
 * 200 split points in each, every one found and none a false start (among
 * them a spoofed SYN flood, whose records of one length once made the finder
 * start 4 bytes into a record). */
TEST(split_points_in_real_captures_are_records)
{
	const char *shared = getenv("SHARED") ? getenv("SHARED") : "../shared";
	char pat[512];
	glob_t g;
	snprintf(pat, sizeof pat, "%s/data/real/*.pcap*", shared);
	if (glob(pat, 0, NULL, &g) != 0) {
		fprintf(stderr, "    (no real captures under %s: nothing to check)\n", shared);
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct ds_capture c;
		struct ds_frame f;
		uint64_t size;
		if (ds_capture_open(&c, g.gl_pathv[i]) < 0 || !ds_capture_mapped(&c, &size)) {
			UNIT_FAIL("%s: not opened and mapped", g.gl_pathv[i]);
			continue;
		}
		uint8_t *record = calloc(size + 1, 1);
		while (ds_capture_next(&c, &f) == 1)
			record[f.offset] = 1;
		ds_capture_close(&c);
		int found = 0, wrong = 0;
		for (uint64_t k = 1; k <= 200; k++) {
			uint64_t o;
			CHECK_INT(ds_capture_open(&c, g.gl_pathv[i]), ==, 0);
			if (ds_capture_find(&c, size * k / 201, &o) == 1)
				found++, wrong += !record[o];
			ds_capture_close(&c);
		}
		if (found != 200 || wrong)
			UNIT_FAIL("%s: %d of 200 split points found, %d not at a record",
			          g.gl_pathv[i], found, wrong);
		free(record);
	}
	globfree(&g);
}

/* XXH3-128 of the n bytes at p, as ds_capture_digest writes it. */
static void hex128(const void *p, size_t n, char out[33])
{
	XXH128_hash_t h = XXH3_128bits(p, n);
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64,
	         (unsigned long long)h.low64);
}

/* Read path to its end digesting as it reads (ingest's way for a file of a
 * size not stored before); stop after `records` records if >= 0, closing
 * with the digest not taken.  Returns the records read, or -1. */
static long read_digesting(const char *path, long records, char digest[33])
{
	struct ds_capture c;
	struct ds_frame f;
	long n = 0;
	int rc;
	if (ds_capture_open(&c, path) < 0 || ds_capture_digest_as_read(&c) < 0)
		return -1;
	while ((records < 0 || n < records) && (rc = ds_capture_next(&c, &f)) == 1)
		n++;
	if (records < 0) {
		if (ds_capture_drain(&c) < 0)
			n = -1;
		ds_capture_digest(&c, digest);
	}
	ds_capture_close(&c);
	return n;
}

/* A mapped file digested as it is read (ingest's way for a file of a size
 * not stored before, in 256 KB steps and, once read, in 2 MB steps) has
 * the XXH3-128 of its bytes, as ds_file_digest gives; a source closed half
 * way (a file that fails) is let go without its digest. */
TEST(digest_as_read_is_the_xxh3_128_of_the_file)
{
	const char *path = unit_tmp(".pcap");
	FILE *f = fopen(path, "wb");
	pcap_header(f);
	uint32_t i = 0;
	while (ftell(f) < (5l << 20) + 12345) /* steps of both sizes, and a rest */
		pcap_record(f, 1414800000 + i / 100, i, len_of(i)), i++;
	long size = ftell(f);
	fclose(f);
	uint8_t *all = malloc((size_t)size);
	f = fopen(path, "rb");
	CHECK_INT(fread(all, 1, (size_t)size, f), ==, size);
	fclose(f);
	char want[33], got[33] = "";
	hex128(all, (size_t)size, want);
	free(all);

	CHECK_INT(ds_file_digest(path, got), ==, 0);
	CHECK_STR(got, want);
	memset(got, 0, sizeof got);
	CHECK_INT(read_digesting(path, -1, got), ==, i);
	CHECK_STR(got, want);
	CHECK_INT(read_digesting(path, 1000, got), ==, 1000);
	CHECK_INT(read_digesting(path, 0, got), ==, 0);
}

/* An interface of link type lt with the options given (code, length, value;
 * the end of options is added). */
static void ng_idb_opts(FILE *f, uint16_t lt, const uint8_t *opts, uint32_t optlen)
{
	uint8_t b[64] = {(uint8_t)lt, (uint8_t)(lt >> 8), 0, 0, 0xff, 0xff, 0, 0};
	memcpy(b + 8, opts, optlen);
	memset(b + 8 + optlen, 0, 4);
	ng_block(f, 1, b, 8 + optlen + 4);
}

/* An obsolete packet block: a 16-bit interface, drops, time stamp, lengths. */
static void ng_opb(FILE *f, uint16_t ifid, uint64_t ts, uint32_t i, uint32_t caplen)
{
	uint8_t b[20 + 400] = {(uint8_t)ifid, (uint8_t)(ifid >> 8)};
	uint32_t w[4] = {(uint32_t)(ts >> 32), (uint32_t)ts, caplen, caplen};
	for (int k = 0; k < 4; k++)
		for (int j = 0; j < 4; j++)
			b[4 + 4 * k + j] = (uint8_t)(w[k] >> (8 * j));
	for (uint32_t k = 0; k < caplen; k++)
		b[20 + k] = (uint8_t)(i * 3 + k);
	ng_block(f, 2, b, 20 + caplen);
}

struct frames {
	struct seen f[6000];
	uint64_t sum[6000]; /* of each frame's bytes and lengths */
	uint64_t all;       /* of every frame's, past the 6000 kept too */
	long n;
	int rc;
	char err[512];
};

/* Every frame of path, and how reading it ended. */
static void read_all(const char *path, struct frames *out)
{
	struct ds_capture c;
	struct ds_frame f;
	out->n = 0;
	out->all = 0;
	out->err[0] = 0;
	if ((out->rc = ds_capture_open(&c, path)) < 0)
		return;
	while ((out->rc = ds_capture_next(&c, &f)) == 1) {
		uint64_t s = f.origlen * 1000003ull + f.offset;
		s = (s * 31 + (uint64_t)f.ts_sec) * 31 + f.ts_nsec;
		for (uint32_t k = 0; k < f.caplen; k++)
			s = s * 31 + f.data[k];
		out->all = out->all * 1000003 + s;
		if (out->n < 6000) {
			out->f[out->n] = (struct seen){f.offset, f.ts_sec,   f.ts_nsec,
			                               f.caplen, f.linktype, f.data[0]};
			out->sum[out->n] = s;
		}
		out->n++;
	}
	if (out->rc < 0) { /* the message, less the file's name */
		const char *e = strstr(ds_lasterr(), ": ");
		snprintf(out->err, sizeof out->err, "%s", e ? e : ds_lasterr());
	}
	ds_capture_close(&c);
}

/* A pcapng file read in its mapping (enhanced packet blocks taken straight
 * from it) gives the frames, and the error, that the same bytes give read
 * as a stream (gzip, never mapped): blocks of every kind, time stamps in
 * micro-, nano- and milliseconds and with an offset, a second section, and
 * at last a packet on an interface of a link type darkscope does not know
 * (defined earlier, which is no error until a packet uses it). */
TEST(mapped_pcapng_reads_as_a_stream_does)
{
	const char *path = unit_tmp(".pcapng"), *gz = unit_tmp(".pcapng.gz");
	static const uint8_t ms[] = {9, 0, 1, 0, 3, 0, 0, 0},    /* if_tsresol 10^-3 */
	        off[] = {14, 0, 8, 0, 100, 0, 0, 0, 0, 0, 0, 0}; /* if_tsoffset 100 s */
	FILE *f = fopen(path, "wb");
	ng_shb(f);
	ng_idb(f, 101, 0);                    /* 0: microseconds */
	ng_idb(f, 1, 1);                      /* 1: nanoseconds */
	ng_idb_opts(f, 113, ms, sizeof ms);   /* 2: milliseconds */
	ng_idb_opts(f, 101, off, sizeof off); /* 3: an offset */
	ng_idb(f, 147, 0);                    /* 4: a link type darkscope does not know */
	for (uint32_t i = 0; i < 5000; i++) {
		uint64_t sec = 1414800000 + i / 10;
		if (i == 2500) { /* a new section, its interfaces anew */
			ng_shb(f);
			ng_idb(f, 101, 0);
			ng_idb(f, 1, 1);
			ng_idb(f, 147, 0);
		}
		uint32_t ifc = i < 2500 ? i % 4 : i % 2;
		uint64_t ts = ifc == 1   ? sec * 1000000000 + i
		              : ifc == 2 ? sec * 1000 + i % 1000
		                         : sec * 1000000 + i;
		if (i % 7 == 3)
			ng_spb(f, len_of(i));
		else if (i % 11 == 5)
			ng_opb(f, (uint16_t)ifc, ts, i, len_of(i));
		else
			ng_epb_cut(f, ifc, ts, i, len_of(i), 1);
	}
	ng_epb(f, 2, 1414900000ull * 1000000, 1, 60); /* interface 2 of this section: 147 */
	fclose(f);
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "gzip -c %s > %s", path, gz);
	CHECK_INT(system(cmd), ==, 0);
	static struct frames mapped, stream;
	read_all(path, &mapped);
	read_all(gz, &stream);
	CHECK_INT(mapped.n, ==, 5000);
	CHECK_INT(stream.n, ==, mapped.n);
	CHECK_INT(mapped.rc, ==, -DS_E_UNSUPPORTED);
	CHECK_INT(stream.rc, ==, mapped.rc);
	CHECK_STR(mapped.err, stream.err);
	if (!strstr(mapped.err, "unsupported link type 147 (interface 2)"))
		UNIT_FAIL("the error: %s", mapped.err);
	if (mapped.n == stream.n && mapped.n > 0) {
		CHECK(memcmp(mapped.f, stream.f, (size_t)mapped.n * sizeof *mapped.f) == 0);
		CHECK(memcmp(mapped.sum, stream.sum, (size_t)mapped.n * sizeof *mapped.sum) == 0);
	}
	/* the offset is added, and milliseconds become nanoseconds */
	CHECK_INT(mapped.f[7].ts, ==, 1414800000 + 100);
	CHECK_INT(mapped.f[2].nsec, ==, 2000000);
}

/* So do the real pcapng captures in ../shared (nothing to check without). */
TEST(mapped_real_pcapng_reads_as_a_stream_does)
{
	const char *shared = getenv("SHARED") ? getenv("SHARED") : "../shared";
	char pat[512], cmd[1200];
	glob_t g;
	snprintf(pat, sizeof pat, "%s/data/real/*.pcapng", shared);
	if (glob(pat, 0, NULL, &g) != 0) {
		fprintf(stderr, "    (no real pcapng captures under %s: nothing to check)\n",
		        shared);
		return;
	}
	static struct frames mapped, stream;
	const char *gz = unit_tmp(".pcapng.gz");
	for (size_t i = 0; i < g.gl_pathc; i++) {
		snprintf(cmd, sizeof cmd, "gzip -c '%s' > %s", g.gl_pathv[i], gz);
		CHECK_INT(system(cmd), ==, 0);
		read_all(g.gl_pathv[i], &mapped);
		read_all(gz, &stream);
		CHECK(mapped.n > 0 && mapped.rc == 0);
		if (mapped.n != stream.n || mapped.all != stream.all || stream.rc != mapped.rc)
			UNIT_FAIL("%s: %ld frames (%d) mapped, %ld as a stream (%d), %s",
			          g.gl_pathv[i], mapped.n, mapped.rc, stream.n, stream.rc,
			          mapped.all == stream.all ? "the same" : "different");
	}
	globfree(&g);
}

/* A compressed capture is decompressed on a thread of its own once it has
 * given 4 MB, a few chunks ahead of the reader: a capture of 12 MB (the
 * chunks go round twice) read from gzip and from zstd gives the frames of
 * the plain file; a reader that stops early, before the thread or with it
 * running, closes it without waiting for the rest; and the digest, drained
 * after part of it was read (either way), is the XXH3-128 of the compressed
 * file's bytes. */
TEST(compressed_streams_read_as_the_plain_file)
{
	const char *plain = unit_tmp(".pcap"), *gz = unit_tmp(".pcap.gz"),
	           *zst = unit_tmp(".pcap.zst");
	FILE *f = fopen(plain, "wb");
	pcap_header(f);
	uint32_t i = 0;
	while (ftell(f) < (12l << 20))
		pcap_record(f, 1414800000 + i / 100, i, len_of(i)), i++;
	fclose(f);
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "gzip -1 -c %s > %s && zstd -q -1 -c %s > %s", plain, gz, plain,
	         zst);
	CHECK_INT(system(cmd), ==, 0);
	static struct frames a, b;
	read_all(plain, &a);
	CHECK_INT(a.n, ==, i);
	CHECK_INT(a.rc, ==, 0);
	const char *streams[] = {gz, zst};
	for (int k = 0; k < 2; k++) {
		read_all(streams[k], &b);
		CHECK_INT(b.n, ==, a.n);
		CHECK_INT(b.rc, ==, 0);
		CHECK(b.all == a.all);
		/* 100 or 40,000 frames (7 MB: the thread runs), then closed */
		struct ds_capture c;
		struct ds_frame fr;
		for (int stop = 100; stop <= 40000; stop += 39900) {
			CHECK_INT(ds_capture_open(&c, streams[k]), ==, 0);
			for (int r = 0; r < stop; r++)
				CHECK_INT(ds_capture_next(&c, &fr), ==, 1);
			ds_capture_close(&c);
		}
		/* 1,000 or 40,000 frames, then the rest drained for the digest */
		FILE *in = fopen(streams[k], "rb");
		fseek(in, 0, SEEK_END);
		long size = ftell(in);
		rewind(in);
		uint8_t *all = malloc((size_t)size);
		CHECK_INT(fread(all, 1, (size_t)size, in), ==, size);
		fclose(in);
		char want[33], got[33] = "";
		hex128(all, (size_t)size, want);
		free(all);
		for (int stop = 1000; stop <= 40000; stop += 39000) {
			CHECK_INT(ds_capture_open(&c, streams[k]), ==, 0);
			for (int r = 0; r < stop; r++)
				CHECK_INT(ds_capture_next(&c, &fr), ==, 1);
			CHECK_INT(ds_capture_drain(&c), ==, 0);
			ds_capture_digest(&c, got);
			CHECK_STR(got, want);
			CHECK_INT(ds_capture_raw_bytes(&c), ==, size);
			ds_capture_close(&c);
		}
	}
}
