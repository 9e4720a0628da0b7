/* fuzz_capture.c - any bytes as a capture file: pcap or pcapng, plain,
 * gzip or zstd, every frame decoded.  Reading must end (a clean end or an
 * error), never read out of bounds, and hand out frames within their
 * capture lengths, timed between 1970 and 9999. */
#include "fuzz.h"

#include "darkscope/capture.h"
#include "darkscope/decode.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_capture c;
	if (ds_capture_open(&c, fuzz_file(data, size)) < 0)
		return 0;
	ds_capture_digest_as_read(&c);
	struct ds_frame f;
	uint64_t n = 0;
	int rc;
	while ((rc = ds_capture_next(&c, &f)) == 1) {
		struct ds_pkt p;
		if ((f.caplen && !f.data) || f.ts_sec < 0 || f.ts_sec > DS_MAX_TS ||
		    f.ts_nsec >= 1000000000u)
			abort();
		ds_decode(&f, &p);
		/* a frame is at least its 16-byte record header (8 in an SPB) */
		if (++n > size)
			abort();
	}
	if (rc == 0) {
		char d[33];
		ds_capture_drain(&c);
		ds_capture_digest(&c, d);
	}
	ds_capture_close(&c);
	return 0;
}
