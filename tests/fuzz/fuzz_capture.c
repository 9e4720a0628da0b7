/* fuzz_capture.c - any bytes as a capture file: pcap or pcapng, plain,
 * gzip or zstd, every frame decoded.  Reading must end (a clean end or an
 * error), never read out of bounds, and hand out frames within their
 * capture lengths, timed between 1970 and 9999.  A plain capture read whole
 * is then split in two where ds_capture_find() says: when the first part
 * joins the second (ends exactly where it starts), the two parts must hand
 * out the very frames of the whole read.  And a plain capture read in its
 * mapping (records walked there) must hand out the frames, and end as, the
 * same bytes read as a stream (gzip, never mapped) do. */
#include "fuzz.h"

#include "darkscope/capture.h"
#include "darkscope/decode.h"
#include "darkscope/err.h"

#include <stdlib.h>
#include <zlib.h>

/* A running digest of the frames handed out: where, when, what. */
static uint64_t mix(uint64_t h, const struct ds_frame *f)
{
	uint64_t v[5] = {f->offset, (uint64_t)f->ts_sec, f->ts_nsec, f->caplen, f->linktype};
	for (int i = 0; i < 5; i++)
		h = (h ^ v[i]) * 0x100000001b3ull;
	return h;
}

/* Read c to its end: the frames' digest and count; returns the last code. */
static int read_all(struct ds_capture *c, uint64_t *h, uint64_t *n, size_t size)
{
	struct ds_frame f;
	int rc;
	while ((rc = ds_capture_next(c, &f)) == 1) {
		struct ds_pkt p;
		if ((f.caplen && !f.data) || f.ts_sec < 0 || f.ts_sec > DS_MAX_TS ||
		    f.ts_nsec >= 1000000000u)
			abort();
		ds_decode(&f, &p);
		*h = mix(*h, &f);
		/* a frame is at least its 16-byte record header (8 in an SPB) */
		if (++*n > size)
			abort();
	}
	return rc;
}

static void split_in_two(const char *path, size_t size, uint64_t whole_h, uint64_t whole_n,
                         uint64_t from)
{
	struct ds_capture c;
	uint64_t at, h = 0xcbf29ce484222325ull, n = 0;
	if (ds_capture_open(&c, path) < 0)
		abort(); /* it opened a moment ago */
	int found = ds_capture_find(&c, from, &at);
	ds_capture_close(&c);
	if (found != 1)
		return;
	if (ds_capture_open(&c, path) < 0)
		abort();
	int rc = ds_capture_range(&c, 0, at);
	if (rc == 0)
		rc = read_all(&c, &h, &n, size);
	ds_capture_close(&c);
	if (rc == -DS_E_SEAM) /* a false start, caught: the file is read whole */
		return;
	if (rc != 0) /* the whole read got past here */
		abort();
	if (ds_capture_open(&c, path) < 0)
		abort();
	rc = ds_capture_range(&c, at, 0);
	if (rc == 0)
		rc = read_all(&c, &h, &n, size);
	ds_capture_close(&c);
	if (rc != 0 || h != whole_h || n != whole_n)
		abort();
}

/* data gzipped, read as a stream: must end as the mapped read did. */
static void as_stream(const uint8_t *data, size_t size, int want_rc, uint64_t want_h,
                      uint64_t want_n)
{
	z_stream z = {0};
	uLong cap = compressBound((uLong)size) + 64;
	uint8_t *gz = malloc(cap);
	if (!gz || deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)size;
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	const char *path = fuzz_file_in(1, gz, z.total_out);
	deflateEnd(&z);
	free(gz);
	struct ds_capture c;
	uint64_t h = 0xcbf29ce484222325ull, n = 0;
	int rc = ds_capture_open(&c, path);
	if (rc == 0) {
		rc = read_all(&c, &h, &n, size);
		ds_capture_close(&c);
	}
	if (rc != want_rc || h != want_h || n != want_n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_capture c;
	const char *path = fuzz_file(data, size);
	if (ds_capture_open(&c, path) < 0)
		return 0;
	ds_capture_digest_as_read(&c);
	uint64_t h = 0xcbf29ce484222325ull, n = 0, mapped_size;
	int rc = read_all(&c, &h, &n, size);
	int mapped = ds_capture_mapped(&c, &mapped_size);
	if (rc == 0) {
		char d[33];
		ds_capture_drain(&c);
		ds_capture_digest(&c, d);
	}
	ds_capture_close(&c);
	if (mapped)
		as_stream(data, size, rc, h, n);
	if (rc == 0 && mapped && size > 8) /* the split point from the input's last bytes */
		split_in_two(path, size, h, n, (data[size - 1] << 8 | data[size - 2]) % size);
	return 0;
}
