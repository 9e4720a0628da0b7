/* store.h - where hourly rows live: one interface, several backends.
 *
 * A store keeps, for every hour and every mask of DS_DIM_* dimensions, the
 * rows of that hour summed over the dimensions the mask leaves out.  Ingest
 * writes through put() inside a transaction; analysis reads through scan().
 * A backend is one file filling a struct ds_store_ops and one line in the
 * table in store.c.  docs/store.md describes the SQLite schema and the
 * segment encoding. */
#ifndef DARKSCOPE_STORE_H
#define DARKSCOPE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/aggregate.h"

struct ds_store;

struct ds_file_info {
	char digest[33]; /* XXH3-128 of the raw file bytes */
	const char *path;
	uint64_t packets;
	int64_t first_ts, last_ts;
	int partial;    /* complete records only: the file was cut short */
	uint64_t bytes; /* raw size; 0 when unknown */
};

struct ds_sensor_row {
	uint16_t id;
	char name[128];
	char alias[128];
};

/* Called per part of a stored hour (or day), parts in key order, with its
 * rows sorted by key (sk empty; enc set when the scan asked for sketches,
 * NULL otherwise).  A day of many keys is stored in several parts of at most
 * DS_PART_ROWS rows, so a callback may be called several times for one hour
 * or day, with keys none of its other parts have.  Rows may be finer
 * than the mask asked for (ds_store_scan_range gives hours as rows of the
 * full mask): a callback masks keys itself and adds rows of the same masked
 * key up (sketches as unions). */
typedef int (*ds_scan_fn)(void *ctx, int32_t hour, const struct ds_row *rows, size_t n);

struct ds_store_ops {
	const char *name;
	/* Does this backend take uri?  (e.g. a "clickhouse://" prefix) */
	int (*accepts)(const char *uri);
	int (*open)(struct ds_store **out, const char *uri);
	void (*close)(struct ds_store *s);
	/* A write transaction; waits for another process's to end, however
	 * long (saying so once it has waited a second). */
	int (*begin)(struct ds_store *s);
	int (*commit)(struct ds_store *s);
	int (*rollback)(struct ds_store *s);
	/* Optional (NULL: nothing to do): a transaction whose writes are about
	 * to end soon (its last rows are few), so that a backend that commits
	 * in steps can save what it has now and work on it meanwhile.  What it
	 * saved stays unseen until commit, and goes on rollback. */
	int (*step)(struct ds_store *s);
	/* 1 and *info filled when digest was ingested before, 0 when not. */
	int (*file_seen)(struct ds_store *s, const char *digest, struct ds_file_info *info,
	                 char *path, size_t pathcap);
	int (*file_add)(struct ds_store *s, const struct ds_file_info *fi);
	/* 1 when some stored file may have this raw size (its own, or one not
	 * recorded), 0 when none has: a file of that size cannot have been
	 * ingested, so its digest can wait until it is read. */
	int (*file_size_seen)(struct ds_store *s, uint64_t bytes);
	/* Id of sensor name, created with alias if new (alias updated if given). */
	int (*sensor_id)(struct ds_store *s, const char *name, const char *alias, uint16_t *id);
	/* Every ingested file, oldest first, through fn (path valid during the call). */
	int (*files)(struct ds_store *s, int (*fn)(void *ctx, const struct ds_file_info *fi),
	             void *ctx);
	/* All sensors; *out owned by the caller (free). */
	int (*sensors)(struct ds_store *s, struct ds_sensor_row **out, size_t *n);
	/* Add rows (sorted by key, masked to dims) to the stored hour. */
	int (*put)(struct ds_store *s, int32_t hour, unsigned dims, const struct ds_row *rows,
	           size_t n);
	/* Visit hours in [h0, h1) of mask dims, in order; sketches only when
	 * with_sketches (packets-only scans are much cheaper). */
	int (*scan)(struct ds_store *s, unsigned dims, int32_t h0, int32_t h1, int with_sketches,
	            ds_scan_fn fn, void *ctx);
	/* First and last stored hour (0 when empty). */
	int (*span)(struct ds_store *s, int32_t *first, int32_t *last);
	/* Day rollups (UTC days): part 0 replaces the rows of day for mask dims,
	 * and parts 1, 2, ... (in that order, right after it, each of keys above
	 * the part before) add to them; visit days in [d0, d1) as scan() visits
	 * hours (hour = day * 24). */
	int (*put_day)(struct ds_store *s, int32_t day, unsigned dims, int part,
	               const struct ds_row *rows, size_t n);
	int (*scan_days)(struct ds_store *s, unsigned dims, int32_t d0, int32_t d1,
	                 int with_sketches, ds_scan_fn fn, void *ctx);
};

struct ds_store {
	const struct ds_store_ops *ops;
};

/* Rebuild the day rollups of days[0..n) (UTC day numbers) for every mask
 * from their hours (the full mask).  Called inside the ingest transaction. */
int ds_store_build_days(struct ds_store *s, const int32_t *days, size_t n);

/* The same for one day in three steps, so that a writer holds the store
 * only to read and to write: ds_day_read (the store), ds_day_build (no store:
 * the merge and the rollups, most of the work), ds_day_write (the store). */
struct ds_day;
/* 1 (and nothing read) when the day's hours would take more than
 * DS_DAY_MEM_BYTES in memory: ds_day_stream builds such a day. */
int ds_day_read(struct ds_store *s, int32_t day, struct ds_day **out);
int ds_day_build(struct ds_day *d);
int ds_day_write(struct ds_store *s, const struct ds_day *d);
void ds_day_free(struct ds_day *d);
/* Rebuild one day's rollups in passes over the store, in memory bounded by
 * DS_DAY_PASS_BYTES whatever the day holds (slower: each pass reads the day
 * again).  The rows are those of the three steps above. */
int ds_day_stream(struct ds_store *s, int32_t day);
/* The rows ds_day_build made for mask dims (NULL and 0 before it). */
void ds_day_rows(const struct ds_day *d, unsigned dims, const struct ds_row **rows, size_t *n);

/* Visit [h0, h1) of mask dims: whole UTC days from the day rollups of dims
 * when use_days, the hours at either end (and everything otherwise) as the
 * full mask's hours. */
int ds_store_scan_range(struct ds_store *s, unsigned dims, int32_t h0, int32_t h1,
                        int with_sketches, int use_days, ds_scan_fn fn, void *ctx);

/* Open uri with the first backend that accepts it. */
int ds_store_open(struct ds_store **out, const char *uri);

extern const struct ds_store_ops ds_store_sqlite;

#endif
