/* fuzz_labels.c - any bytes as the label tables a configuration may name:
 * `services =` (an IANA/Wireshark services file) up to the input's first
 * NUL, `countries =` (an iso-codes JSON file) after it; then the input's
 * first bytes as keys a user types (--port, --region): loaded, parsed or
 * refused, and every key parsed prints back as a label. */
#include "fuzz.h"

#include "darkscope/aggregate.h"
#include "darkscope/labels.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	const uint8_t *rest = nul ? nul + 1 : data + size;
	const char *services = fuzz_file_in(0, data, nul ? (size_t)(nul - data) : size);
	const char *countries = fuzz_file_in(1, rest, (size_t)(data + size - rest));
	struct ds_labels *l;
	if (ds_labels_open(&l, services, countries, NULL) < 0)
		return 0;
	char key[64], out[128];
	size_t k = size < sizeof key - 1 ? size : sizeof key - 1;
	memcpy(key, data, k);
	key[k] = 0;
	for (unsigned by = DS_DIM_PORT; by <= DS_DIM_CC; by++) {
		uint64_t v;
		if (ds_label_parse(l, by, key, &v) == 0) {
			ds_label_key(l, by, v, out, sizeof out);
			ds_label_display(l, by, v, out, sizeof out);
			ds_label_name(l, by, v);
		}
	}
	ds_labels_close(l);
	return 0;
}
