/* fuzz_config.c - any bytes as a configuration file: loaded or refused,
 * and a loaded one's sensor map built. */
#include "fuzz.h"

#include "darkscope/classify.h"
#include "darkscope/config.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_config cfg;
	if (ds_config_init(&cfg) < 0)
		abort();
	if (ds_config_load(&cfg, fuzz_file(data, size)) == 0) {
		uint16_t *ids = calloc(cfg.nsensors + 1, sizeof *ids);
		struct ds_sensormap m = {0};
		for (unsigned i = 0; ids && i < cfg.nsensors; i++)
			ids[i] = (uint16_t)i;
		if (ids && ds_sensormap_init(&m, &cfg, ids, -1) == 0) {
			struct ds_pkt p = {.family = 6};
			for (unsigned i = 0; i < cfg.nprefixes; i++) {
				for (unsigned b = 0; b < 16; b++)
					p.dst[b] = cfg.prefixes[i].addr[b];
				ds_classify_sensor(&m, &p);
			}
			ds_sensormap_free(&m);
		}
		free(ids);
	}
	ds_config_free(&cfg);
	return 0;
}
