/* fuzz_geo.c - any bytes as a GeoIP database (--geoip names any file):
 * opened or refused, and an opened one's lookups give a country or ZZ for
 * fixed IPv4 and IPv6 sources and for ones taken from the input itself. */
#include "fuzz.h"

#include "darkscope/geo.h"
#include "darkscope/record.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_geo *g;
	if (ds_geo_open(&g, fuzz_file(data, size)) < 0)
		return 0;
	static const uint8_t fixed[][16] = {
	        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 0, 16, 1},
	        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 8, 8, 8, 8},
	        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 255, 255, 255, 255},
	        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0},
	        {0x20, 0x01, 0x48, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
	        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	         0xff, 0xff},
	        {0},
	};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (ds_geo_lookup(g, fixed[i]) > DS_CC_UNKNOWN)
			abort();
	for (size_t at = 0; at + 16 <= size && at < 4096; at += 509) {
		uint8_t a[16];
		memcpy(a, data + at, 16);
		if (ds_geo_lookup(g, a) > DS_CC_UNKNOWN)
			abort();
	}
	ds_geo_close(g);
	return 0;
}
