/* aggregate.h - hourly counters keyed by sensor, source country and port.
 *
 * A key packs (sensor, country, protocol, port) into 53 bits so that rows
 * sort by sensor, then country, then protocol and port.  A mask of DS_DIM_*
 * bits says which of the fields a row set keeps; the others are zero.
 *
 * ds_agg counts packets and distinct sources per (hour, key) and hands each
 * finished hour to its emit callback, sorted by key.  An hour is finished when
 * packet time has moved DS_AGG_LAG_HOURS past it, or when the table reaches its
 * key or memory budget (then everything is emitted; the store merges). */
#ifndef DARKSCOPE_AGGREGATE_H
#define DARKSCOPE_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/record.h"
#include "darkscope/sketch.h"

#define DS_DIM_PORT   1u /* protocol and destination port / ICMP type */
#define DS_DIM_CC     2u /* source country */
#define DS_DIM_SENSOR 4u /* sensor */
#define DS_DIM_ALL    7u
#define DS_NMASKS     8u

static inline uint64_t ds_key(unsigned sensor, unsigned cc, unsigned proto, uint32_t port)
{
	return (uint64_t)(sensor & 0xffff) << 37 | (uint64_t)(cc & 0x3ff) << 27 |
	       (uint64_t)(proto & 0x1ff) << 18 | (port & 0x3ffff);
}
static inline unsigned ds_key_sensor(uint64_t k)
{
	return (unsigned)(k >> 37 & 0xffff);
}
static inline unsigned ds_key_cc(uint64_t k)
{
	return (unsigned)(k >> 27 & 0x3ff);
}
static inline unsigned ds_key_proto(uint64_t k)
{
	return (unsigned)(k >> 18 & 0x1ff);
}
static inline uint32_t ds_key_port(uint64_t k)
{
	return (uint32_t)(k & 0x3ffff);
}

/* Keep only the fields of dims in k. */
static inline uint64_t ds_key_mask(uint64_t k, unsigned dims)
{
	uint64_t m = 0;
	if (dims & DS_DIM_PORT)
		m |= (1ull << 27) - 1;
	if (dims & DS_DIM_CC)
		m |= 0x3ffull << 27;
	if (dims & DS_DIM_SENSOR)
		m |= 0xffffull << 37;
	return k & m;
}

/* One aggregated row.  Rows built in memory own sk; rows read back from a
 * store instead point enc/enclen at an encoded sketch they do not own. */
struct ds_row {
	uint64_t key;
	uint64_t packets;
	struct ds_sketch sk;
	const uint8_t *enc;
	size_t enclen;
};

/* Receives the rows of one finished hour, sorted by key, each sketch encoded
 * (enc, enclen; sk empty).  The rows and their encodings stay the caller's
 * and last until the callback returns.  Returns 0, or negative: an error. */
typedef int (*ds_emit_fn)(void *ctx, int32_t hour, const struct ds_row *rows, size_t n);

struct ds_agg__hour;

struct ds_agg {
	struct ds_agg__hour *hours; /* one table per hour in flight, oldest first */
	struct ds_agg__hour *last;  /* the table the previous packet went to */
	size_t n;                   /* keys over all hours */
	size_t max_keys;            /* flush everything past this many keys */
	size_t max_bytes;           /* ... or past this many bytes of sketches */
	size_t sk_bytes;
	size_t npend;    /* source hashes not yet in sketches, over all hours */
	size_t max_pend; /* fold them into the sketches past this many */
	uint32_t *fold_h, *fold_tmp, *fold_at; /* a fold's scratch, reused */
	size_t capfold_h, capfold_tmp, capfold_at;
	struct ds_buf enc; /* the sketches of the hour being emitted */
	int32_t max_hour;
	ds_emit_fn emit;
	void *ctx;
	int err; /* first error from emit or allocation */
};

int ds_agg_init(struct ds_agg *a, size_t max_keys, size_t max_bytes, ds_emit_fn emit, void *ctx);

/* Make a one of n aggregators that share their budgets (keys, sketch bytes,
 * pending hashes): each keeps 1/n of what ds_agg_init gave it, so that their
 * memory together is bounded however many there are. */
void ds_agg_share(struct ds_agg *a, unsigned n);

/* Count p (sensor, cc and srchash set).  Returns 0 or the first error. */
int ds_agg_add(struct ds_agg *a, const struct ds_pkt *p);

/* The same for p[0..n), overlapping the cache misses. */
int ds_agg_add_batch(struct ds_agg *a, const struct ds_pkt *p, size_t n);

/* Emit every hour still held. */
int ds_agg_flush(struct ds_agg *a);

void ds_agg_free(struct ds_agg *a);

/* Free rows[0..n) and their in-memory sketches. */
void ds_rows_free(struct ds_row *rows, size_t n);

/* Masks below the full one, and those of at most one dimension (total, port,
 * region, sensor), whose hours keep packets only (no sketches). */
#define DS_COARSE_MASKS      ((1u << DS_DIM_ALL) - 1)
#define DS_HOUR_PACKET_MASKS (1u << 0 | 1u << DS_DIM_PORT | 1u << DS_DIM_CC | 1u << DS_DIM_SENSOR)

/* The union of the sketches of rows[0..k) (each encoded or in memory),
 * appended to enc encoded as ds_sketch_encode would encode it.  Scratch u
 * starts zeroed, is reused across calls and freed with ds_union_free; it
 * stays small whatever the number of hashes. */
struct ds_union {
	uint32_t *hs;
	size_t cap;
	uint8_t *reg;
	uint32_t *set; /* counts distinct hashes, up to DS_SPARSE_MAX */
	int sound;     /* set by the caller: the encodings were written here
	                  (ds_sketch_encode, a union): a lone one is copied unread */
};
int ds_union_encode(const struct ds_row *const *rows, size_t k, struct ds_union *u,
                    struct ds_buf *enc);
void ds_union_free(struct ds_union *u);

/* The rows of the coarser masks d in `masks` (bit d; DS_DIM_ALL's bit is
 * ignored) from rows of the full mask, sorted by key, computed together.
 * Each input row's sketch is in memory (sk) or encoded (enc, as a store
 * scan gives it).  rows[d] carry encoded sketches (enc) that point into
 * enc[d].  With DS_ROLLUP_SOUND in flags, the input's encodings are taken as
 * written by this program (a union's output) and not checked where they are
 * only copied; without it, a corrupt one fails the rollup.  Free with
 * ds_rollups_free. */
struct ds_rollups {
	struct ds_row *rows[DS_NMASKS];
	size_t n[DS_NMASKS];
	struct ds_buf enc[DS_NMASKS];
};
#define DS_ROLLUP_SOUND 1u
/* The order ds_rollup builds the coarse masks in, each from the finer mask
 * ds_rollup_from[mask] built before it (DS_DIM_ALL: the input). */
extern const unsigned ds_rollup_order[DS_DIM_ALL], ds_rollup_from[DS_DIM_ALL];
int ds_rollup(const struct ds_row *rows, size_t n, unsigned masks, unsigned flags,
              struct ds_rollups *out);
void ds_rollups_free(struct ds_rollups *r);

/* rows (of the full mask, sorted by key) summed by their keys masked to
 * dims, packets only: *out (sorted by key, empty sketches) has *nout rows;
 * free() it. */
int ds_rollup_packets(const struct ds_row *rows, size_t n, unsigned dims, struct ds_row **out,
                      size_t *nout);

/* The same for every mask of DS_HOUR_PACKET_MASKS: out[d], nout[d]. */
int ds_rollup_hour_packets(const struct ds_row *rows, size_t n, struct ds_row *out[DS_DIM_ALL],
                           size_t nout[DS_DIM_ALL]);

#endif
