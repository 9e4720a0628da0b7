/* writer.h - the store writer thread of an ingest group.
 *
 * Reader threads hand over finished hours, each with every sketch encoded;
 * the writer stores them while the readers go on reading, and builds each
 * day's rollups of every mask once its readers have moved past it.  The
 * queue is bounded, so memory stays bounded. */
#ifndef DARKSCOPE_PIPELINE_WRITER_H
#define DARKSCOPE_PIPELINE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/aggregate.h"
#include "darkscope/store.h"

/* One hour for the store: its rows of the full mask, with sketches encoded
 * into fine_enc, and the packets of the masks of at most one dimension. */
struct ds_hourpkg {
	int32_t hour;
	int reader; /* which reader sent it */
	struct ds_row *rows;
	size_t n;
	struct ds_buf fine_enc;
	struct ds_row *packets[DS_DIM_ALL]; /* DS_HOUR_PACKET_MASKS: packets only */
	size_t npackets[DS_DIM_ALL];
	size_t bytes; /* rows and encodings, as queued */
	struct ds_hourpkg *next;
};

/* Build the package of one hour from its fine rows, sketches encoded (as an
 * aggregator emits them); it copies them. */
int ds_hourpkg_make(int32_t hour, const struct ds_row *rows, size_t n, struct ds_hourpkg **out);
void ds_hourpkg_free(struct ds_hourpkg *p);

struct ds_writer;

/* Hours queued at most (ds_writer_start's max_pending). */
#define DS_WRITER_MAX_PENDING 64
/* Bytes of hours queued or being stored (rows and encodings) past which a
 * reader waits to queue another (one hour is always taken): hours emitted
 * early under the readers' budgets are large, and the writer is slower than
 * the readers there.  2.6 million random keys in one hour peaked at 236-241
 * MB without it, 210 MB with it. */
#define DS_WRITER_MAX_BYTES ((size_t)32 << 20)

/* Start the writer of a group of nreaders readers (at most DS_WRITER_SLOTS).
 * It builds the day rollup of a UTC day as soon as every reader has moved
 * past that day, and at the end every day still unbuilt (or written again
 * after its build). */
int ds_writer_start(struct ds_writer **out, struct ds_store *st, int nreaders, size_t max_pending);

/* Reader r will send hours from `from` on (its first record's) up to
 * `until` (its part's end); INT32_MAX where not known.  Days it will write
 * to wait for it, so that they are built once.  Without it (or when the
 * reader strays) a day may be built before the reader's hours of it
 * arrive, and is built again then. */
void ds_writer_reader_span(struct ds_writer *w, int r, int32_t from, int32_t until);

/* Reader r hands the rest of its part from the hour `from` on (INT32_MAX:
 * not known) to reader nr, which has sent nothing: nr will send hours from
 * `from` up to where r's part was to end, and r up to `from`. */
void ds_writer_reader_handover(struct ds_writer *w, int r, int nr, int32_t from);

/* The most bytes of hours that were pending at once (DS_WRITER_MAX_BYTES,
 * or DARKSCOPE_WRITER_BYTES in tests, and one hour more at most). */
size_t ds_writer_peak_bytes(struct ds_writer *w);

/* Reader r has sent its last hour. */
void ds_writer_reader_done(struct ds_writer *w, int r);

/* Queue pkg; blocks while the queue is full.  Returns 0 (the writer owns
 * pkg) or the writer's first error (pkg is still the caller's). */
int ds_writer_put(struct ds_writer *w, struct ds_hourpkg *pkg);

/* Write what is queued, build the day rollups still due, stop the thread.
 * Adds the seconds spent writing hours and building days, and the number of
 * day rollups built (a day built twice counts twice).  Returns 0 or the first
 * error. */
int ds_writer_finish(struct ds_writer *w, double *hour_seconds, double *day_seconds,
                     unsigned *days_built);

#endif
