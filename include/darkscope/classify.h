/* classify.h - per-packet annotations decided from the record alone.
 *
 * Sensor attribution: the sensor whose darknet prefix holds the destination
 * (longest prefix wins); packets to no prefix go to sensor 0, "unattributed".
 * A forced sensor (ingest --sensor) overrides the prefixes. */
#ifndef DARKSCOPE_CLASSIFY_H
#define DARKSCOPE_CLASSIFY_H

#include "darkscope/config.h"
#include "darkscope/record.h"

struct ds_sensormap__pfx {
	uint64_t hi, lo, mhi, mlo; /* network and mask as two big-endian words */
	uint16_t sensor;
};

struct ds_sensormap__pfx4 {
	uint32_t net, mask; /* host order */
	uint16_t sensor;
};

struct ds_sensormap {
	struct ds_sensormap__pfx *pfx; /* sorted longest first */
	unsigned n;
	/* the same prefixes as IPv4 ones, for the addresses ::ffff:0:0/96 that
	 * IPv4 packets carry: one 32-bit test each, and only those that can hold
	 * an IPv4 address (a shorter IPv6 prefix over all of them is 0/0) */
	struct ds_sensormap__pfx4 *pfx4;
	unsigned n4;
	/* every IPv4 prefix is at most 32 - shift4 bits long, so the sensor of
	 * an IPv4 address is that of its top 32 - shift4 bits (the memo's key) */
	unsigned shift4;
	const uint16_t *ids; /* config index -> store id; NULL = identity */
	int forced;          /* >= 0: every packet goes to this config index */
};

/* Build the lookup from cfg.  ids maps a config sensor index to the id used
 * downstream (borrowed; must outlive m).  Returns 0 or -DS_E_NOMEM. */
int ds_sensormap_init(struct ds_sensormap *m, const struct ds_config *cfg, const uint16_t *ids,
                      int forced);

/* Set p->sensor from p->dst. */
void ds_classify_sensor(const struct ds_sensormap *m, struct ds_pkt *p);

/* The last IPv4 destination block classified by one thread, and its sensor:
 * a scanner's sweep sends packet after packet into one sensor's block. */
struct ds_classify_memo {
	uint64_t key; /* UINT64_MAX: none yet */
	unsigned idx;
};
#define DS_CLASSIFY_MEMO_INIT \
	{                     \
		UINT64_MAX, 0 \
	}

/* ds_classify_sensor over p[0..n), an IPv4 packet of the block before it
 * taking its sensor from memo (exact: see shift4). */
void ds_classify_batch(const struct ds_sensormap *m, struct ds_pkt *p, size_t n,
                       struct ds_classify_memo *memo);

void ds_sensormap_free(struct ds_sensormap *m);

#endif
