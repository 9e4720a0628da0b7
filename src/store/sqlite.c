/* sqlite.c - the embedded default store: one SQLite file (docs/store.md). */
#include "darkscope/store.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/log.h"
#include "store/segment.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCHEMA_VERSION "7"

struct sq {
	struct ds_store base;
	sqlite3 *db;
	char *path;
	sqlite3_stmt *get, *ins, *scan, *insday, *scanday;
	struct ds_buf enc;
	double wait_from; /* when begin() found the store locked */
	int said;         /* ... and said it waits */
};

/* The segment tables are rowid tables: their key (mask, hour) lives in an
 * index of its own, away from the blobs.  Stores before this had them
 * WITHOUT ROWID, where the key and the blob are one record: every seek
 * (each insert, each lookup of an hour to merge into) compared its key with
 * whole records, reading each blob's overflow pages through the WAL, some
 * 150,000 page reads for a week of interleaved sources.  Such stores are
 * read and written the same way (docs/store.md). */
static const char pragmas[] = "PRAGMA journal_mode=WAL;"
                              "PRAGMA synchronous=NORMAL;"
                              "PRAGMA cache_size=-8192;"
                              "PRAGMA mmap_size=268435456;";
static const char schema[] =
        "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
        "INSERT OR IGNORE INTO meta VALUES('format','darkscope-store');"
        "INSERT OR IGNORE INTO meta VALUES('schema_version'," SCHEMA_VERSION ");"
        "CREATE TABLE IF NOT EXISTS sensor(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
        " alias TEXT NOT NULL);"
        "INSERT OR IGNORE INTO sensor VALUES(0,'unattributed','Unattributed');"
        "CREATE TABLE IF NOT EXISTS file(digest TEXT PRIMARY KEY, path TEXT NOT NULL,"
        " packets INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, partial INTEGER NOT NULL,"
        " bytes INTEGER);"
        "CREATE TABLE IF NOT EXISTS segment(mask INTEGER NOT NULL, hour INTEGER NOT NULL,"
        " rows INTEGER NOT NULL, packets INTEGER NOT NULL, data BLOB NOT NULL,"
        " PRIMARY KEY(mask, hour));"
        "CREATE TABLE IF NOT EXISTS segday(mask INTEGER NOT NULL, day INTEGER NOT NULL,"
        " rows INTEGER NOT NULL, packets INTEGER NOT NULL, data BLOB NOT NULL,"
        " PRIMARY KEY(mask, day));";

static int sqerr(struct sq *s, const char *what)
{
	return ds_fail(DS_E_STORE, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int accepts(const char *uri)
{
	return strstr(uri, "://") == NULL;
}

static void sq_close(struct ds_store *b)
{
	struct sq *s = (struct sq *)b;
	if (!s)
		return;
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->scan);
	sqlite3_finalize(s->insday);
	sqlite3_finalize(s->scanday);
	sqlite3_close(s->db);
	ds_buf_free(&s->enc);
	free(s->path);
	free(s);
}

static int exec(struct sq *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = ds_fail(DS_E_STORE, "%s: %s", s->path, msg ? msg : "error");
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

/* The tables a store has.  Opening a store that has them all writes
 * nothing: a query does not wait for the write lock an ingest holds. */
static const char made[] = "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN"
                           " ('meta', 'sensor', 'file', 'segment', 'segday')";

/* File sizes are looked up once per file ingested (file_size_seen). */
static const char has_size_index[] = "SELECT count(*) FROM sqlite_master WHERE name='file_bytes'";
static const char size_index[] = "CREATE INDEX IF NOT EXISTS file_bytes ON file(bytes)";

/* The number a query of one count gives, or a negative code. */
static int count(struct sq *s, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL))
		return sqerr(s, "reading the schema");
	int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return n < 0 ? sqerr(s, "reading the schema") : n;
}

/* 0 when the store is this darkscope's, 1 when it is version 3 to 6 (to
 * migrate). */
static int check_version(struct sq *s)
{
	sqlite3_stmt *st;
	int rc = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT v FROM meta WHERE k='schema_version'", -1, &st, NULL))
		return sqerr(s, "reading schema version");
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(v, "3") == 0 || strcmp(v, "4") == 0 || strcmp(v, "5") == 0 ||
		    strcmp(v, "6") == 0)
			rc = 1;
		else if (strcmp(v, SCHEMA_VERSION) != 0)
			rc = ds_fail(DS_E_STORE,
			             "%s: store schema version %s, this darkscope uses %s", s->path,
			             v, SCHEMA_VERSION);
	}
	sqlite3_finalize(st);
	return rc;
}

/* The numbers in the first column of a query's rows (bound to DS_DIM_ALL). */
static int int_list(struct sq *s, const char *sql, int32_t **out, size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = 0;
	*out = NULL, *n = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL))
		return sqerr(s, "migrating");
	sqlite3_bind_int(st, 1, (int)DS_DIM_ALL);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			int32_t *x = realloc(*out, nc * sizeof *x);
			if (!x) {
				rc = ds_fail(DS_E_NOMEM, "out of memory");
				break;
			}
			*out = x, cap = nc;
		}
		(*out)[(*n)++] = (int32_t)sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	return rc;
}

/* One hour's packets of the masks of at most one dimension. */
struct hour_packets {
	struct ds_row *rows[DS_DIM_ALL];
	size_t n[DS_DIM_ALL];
};

static int hour_packets_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct hour_packets *h = ctx;
	(void)hour;
	return ds_rollup_hour_packets(rows, n, h->rows, h->n);
}

static int sq_put(struct ds_store *b, int32_t hour, unsigned dims, const struct ds_row *rows,
                  size_t n);
static int sq_scan(struct ds_store *b, unsigned dims, int32_t h0, int32_t h1, int with_sketches,
                   ds_scan_fn fn, void *ctx);

/* Schema 7 records each file's size (files of a size not seen before need
 * no digest before they are read); files stored before have none.  Hours keep
 * the full mask and the packets of the masks of at most one dimension (since
 * schema 6).  Versions 3 and 4 kept hours of every mask: their
 * hours of two dimensions are dropped.  Version 5 kept the full mask only:
 * its hours get the packets of the others.  Version 3 stores made before day
 * rollups of the full mask existed lack them (a query filtering on sensor,
 * region and port at once found no rows): those days are built. */
static int migrate(struct sq *s)
{
	int32_t *days = NULL, *hours = NULL;
	size_t nd = 0, nh = 0;
	int rc = exec(s, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	rc = int_list(s,
	              "SELECT DISTINCT (hour - ((hour % 24) + 24) % 24) / 24 FROM segment"
	              " WHERE mask=?1 EXCEPT SELECT day FROM segday WHERE mask=?1",
	              &days, &nd);
	if (rc == 0 && nd)
		rc = ds_store_build_days(&s->base, days, nd);
	int has_bytes =
	        rc ? 0
	           : count(s, "SELECT count(*) FROM pragma_table_info('file') WHERE name='bytes'");
	if (has_bytes < 0)
		rc = has_bytes;
	else if (rc == 0 && has_bytes == 0)
		rc = exec(s, "ALTER TABLE file ADD COLUMN bytes INTEGER");
	if (rc == 0)
		rc = exec(s, "DELETE FROM segment WHERE mask IN (3, 5, 6)");
	if (rc == 0)
		rc = int_list(s,
		              "SELECT hour FROM segment WHERE mask=?1 EXCEPT"
		              " SELECT hour FROM segment WHERE mask=0",
		              &hours, &nh);
	for (size_t i = 0; i < nh && rc == 0; i++) {
		struct hour_packets h = {0};
		rc = sq_scan(&s->base, DS_DIM_ALL, hours[i], hours[i] + 1, 0, hour_packets_cb, &h);
		for (unsigned d = 0; d < DS_DIM_ALL; d++) {
			if (rc == 0 && (DS_HOUR_PACKET_MASKS >> d & 1))
				rc = sq_put(&s->base, hours[i], d, h.rows[d], h.n[d]);
			free(h.rows[d]);
		}
	}
	if (rc == 0)
		rc = exec(s, "UPDATE meta SET v='" SCHEMA_VERSION "' WHERE k='schema_version'");
	free(days);
	free(hours);
	if (rc < 0) {
		exec(s, "ROLLBACK");
		return rc;
	}
	if ((rc = exec(s, "COMMIT")) == 0)
		DS_INFO("store", "%s: migrated to schema %s (%zu days and %zu hours rebuilt)",
		        s->path, SCHEMA_VERSION, nd, nh);
	return rc;
}

/* Busy handler of writes (begin(), and making or migrating a store when it
 * is opened): another process writes (an ingest holds the store for as long
 * as its files take to read); wait for it, in steps of up to 20 ms, and say
 * so once after a second. */
static int wait_writer(void *arg, int tries)
{
	struct sq *s = arg;
	if (tries == 0)
		s->wait_from = ds_elapsed();
	if (!s->said && ds_elapsed() - s->wait_from >= 1.0) {
		DS_WARN("store", "%s: another process is writing the store; waiting for it",
		        s->path);
		s->said = 1;
	}
	struct timespec ts = {0, (tries < 20 ? tries + 1 : 20) * 1000000L};
	nanosleep(&ts, NULL);
	return 1;
}

/* Writes from here on wait for another writer (wait_writer) ... */
static void writes_wait(struct sq *s)
{
	s->said = 0;
	sqlite3_busy_handler(s->db, wait_writer, s);
}

/* ... and from here on reads give up after 10 s, as they did. */
static void writes_done(struct sq *s)
{
	sqlite3_busy_timeout(s->db, 10000);
	if (s->said)
		DS_WARN("store", "%s: the other writer is done after %.1f s", s->path,
		        ds_elapsed() - s->wait_from);
}

static int sq_open(struct ds_store **out, const char *uri)
{
	struct sq *s = calloc(1, sizeof *s);
	int rc;
	if (!s || !(s->path = strdup(uri))) {
		free(s);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	s->base.ops = &ds_store_sqlite;
	if (sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = ds_fail(DS_E_STORE, "%s: cannot open store: %s", uri,
		             s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto err;
	}
	writes_wait(s); /* making or migrating a store writes */
	int old, have;
	if ((rc = exec(s, pragmas)) < 0 || (rc = have = count(s, made)) < 0 ||
	    (have < 5 && (rc = exec(s, schema)) < 0) || (rc = old = check_version(s)) < 0)
		goto err;
	if (sqlite3_prepare_v2(s->db, "SELECT data FROM segment WHERE mask=?1 AND hour=?2", -1,
	                       &s->get, NULL) ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO segment VALUES(?1,?2,?3,?4,?5)", -1,
	                       &s->ins, NULL) ||
	    sqlite3_prepare_v2(
	            s->db,
	            "SELECT hour, data FROM segment WHERE mask=?1 AND hour>=?2 AND hour<?3"
	            " ORDER BY hour",
	            -1, &s->scan, NULL) ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO segday VALUES(?1,?2,?3,?4,?5)", -1,
	                       &s->insday, NULL) ||
	    sqlite3_prepare_v2(s->db,
	                       "SELECT day, data FROM segday WHERE mask=?1 AND day>=?2 AND day<?3"
	                       " ORDER BY day",
	                       -1, &s->scanday, NULL)) {
		rc = sqerr(s, "preparing statements");
		goto err;
	}
	if (old && (rc = migrate(s)) < 0)
		goto err;
	/* (after migrating: stores before schema 7 have no file.bytes) */
	if ((rc = have = count(s, has_size_index)) < 0 ||
	    (have == 0 && (rc = exec(s, size_index)) < 0))
		goto err;
	writes_done(s);
	*out = &s->base;
	return 0;
err:
	sq_close(&s->base);
	return rc;
}

static int sq_begin(struct ds_store *b)
{
	struct sq *s = (struct sq *)b;
	writes_wait(s);
	int rc = exec(s, "BEGIN IMMEDIATE");
	writes_done(s);
	return rc;
}

static int sq_commit(struct ds_store *b)
{
	return exec((struct sq *)b, "COMMIT");
}

static int sq_rollback(struct ds_store *b)
{
	return exec((struct sq *)b, "ROLLBACK");
}

static int sq_file_seen(struct ds_store *b, const char *digest, struct ds_file_info *fi, char *path,
                        size_t pathcap)
{
	struct sq *s = (struct sq *)b;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
	            s->db,
	            "SELECT path, packets, first_ts, last_ts, partial FROM file WHERE digest=?1",
	            -1, &st, NULL))
		return sqerr(s, "looking up file");
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(fi, 0, sizeof *fi);
		snprintf(fi->digest, sizeof fi->digest, "%s", digest);
		snprintf(path, pathcap, "%s", (const char *)sqlite3_column_text(st, 0));
		fi->path = path;
		fi->packets = (uint64_t)sqlite3_column_int64(st, 1);
		fi->first_ts = sqlite3_column_int64(st, 2);
		fi->last_ts = sqlite3_column_int64(st, 3);
		fi->partial = sqlite3_column_int(st, 4);
		rc = 1;
	} else {
		rc = rc == SQLITE_DONE ? 0 : sqerr(s, "looking up file");
	}
	sqlite3_finalize(st);
	return rc;
}

static int sq_file_add(struct ds_store *b, const struct ds_file_info *fi)
{
	struct sq *s = (struct sq *)b;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO file VALUES(?1,?2,?3,?4,?5,?6,?7)", -1, &st,
	                       NULL))
		return sqerr(s, "recording file");
	sqlite3_bind_text(st, 1, fi->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fi->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)fi->packets);
	sqlite3_bind_int64(st, 4, fi->first_ts);
	sqlite3_bind_int64(st, 5, fi->last_ts);
	sqlite3_bind_int(st, 6, fi->partial);
	if (fi->bytes)
		sqlite3_bind_int64(st, 7, (sqlite3_int64)fi->bytes);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sqerr(s, "recording file");
	sqlite3_finalize(st);
	return rc;
}

static int sq_file_size_seen(struct ds_store *b, uint64_t bytes)
{
	struct sq *s = (struct sq *)b;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM file WHERE bytes=?1 OR bytes IS NULL LIMIT 1",
	                       -1, &st, NULL))
		return sqerr(s, "looking up file sizes");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)bytes);
	int rc = sqlite3_step(st);
	rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : sqerr(s, "looking up file sizes");
	sqlite3_finalize(st);
	return rc;
}

static int sq_files(struct ds_store *b, int (*fn)(void *ctx, const struct ds_file_info *fi),
                    void *ctx)
{
	struct sq *s = (struct sq *)b;
	sqlite3_stmt *st;
	int rc = 0, step;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT digest, path, packets, first_ts, last_ts, partial FROM file"
	                       " ORDER BY first_ts, path",
	                       -1, &st, NULL))
		return sqerr(s, "listing files");
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct ds_file_info fi = {
		        .path = (const char *)sqlite3_column_text(st, 1),
		        .packets = (uint64_t)sqlite3_column_int64(st, 2),
		        .first_ts = sqlite3_column_int64(st, 3),
		        .last_ts = sqlite3_column_int64(st, 4),
		        .partial = sqlite3_column_int(st, 5),
		};
		snprintf(fi.digest, sizeof fi.digest, "%s",
		         (const char *)sqlite3_column_text(st, 0));
		rc = fn(ctx, &fi);
	}
	sqlite3_finalize(st);
	return rc;
}

static int sq_sensor_id(struct ds_store *b, const char *name, const char *alias, uint16_t *id)
{
	struct sq *s = (struct sq *)b;
	sqlite3_stmt *st;
	int rc = 0;
	if (sqlite3_prepare_v2(s->db,
	                       "INSERT INTO sensor(name, alias) VALUES(?1, coalesce(?2, ?1))"
	                       " ON CONFLICT(name) DO UPDATE SET alias=coalesce(?2, alias)"
	                       " RETURNING id",
	                       -1, &st, NULL))
		return sqerr(s, "registering sensor");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (alias)
		sqlite3_bind_text(st, 2, alias, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_int64 v = sqlite3_column_int64(st, 0);
		if (v < 0 || v > 0xffff)
			rc = ds_fail(DS_E_STORE, "%s: sensor id %lld out of range", s->path,
			             (long long)v);
		*id = (uint16_t)v;
	} else {
		rc = sqerr(s, "registering sensor");
	}
	sqlite3_finalize(st);
	return rc;
}

static int sq_sensors(struct ds_store *b, struct ds_sensor_row **out, size_t *n)
{
	struct sq *s = (struct sq *)b;
	sqlite3_stmt *st;
	size_t k = 0, cap = 16;
	struct ds_sensor_row *r = malloc(cap * sizeof *r);
	if (!r)
		return ds_fail(DS_E_NOMEM, "out of memory");
	if (sqlite3_prepare_v2(s->db, "SELECT id, name, alias FROM sensor ORDER BY id", -1, &st,
	                       NULL)) {
		free(r);
		return sqerr(s, "listing sensors");
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (k == cap) {
			struct ds_sensor_row *nr = realloc(r, (cap *= 2) * sizeof *r);
			if (!nr) {
				free(r);
				sqlite3_finalize(st);
				return ds_fail(DS_E_NOMEM, "out of memory");
			}
			r = nr;
		}
		r[k].id = (uint16_t)sqlite3_column_int(st, 0);
		snprintf(r[k].name, sizeof r[k].name, "%s",
		         (const char *)sqlite3_column_text(st, 1));
		snprintf(r[k].alias, sizeof r[k].alias, "%s",
		         (const char *)sqlite3_column_text(st, 2));
		k++;
	}
	sqlite3_finalize(st);
	*out = r;
	*n = k;
	return 0;
}

/* Encode rows and write them with ins (segment or segday). */
static int write_seg(struct sq *s, sqlite3_stmt *ins, int32_t at, unsigned dims,
                     const struct ds_row *rows, size_t n)
{
	uint64_t packets = 0;
	for (size_t i = 0; i < n; i++)
		packets += rows[i].packets;
	int rc = ds_seg_encode(rows, n, dims, &s->enc);
	if (rc < 0)
		return rc;
	sqlite3_bind_int(ins, 1, (int)dims);
	sqlite3_bind_int(ins, 2, at);
	sqlite3_bind_int64(ins, 3, (sqlite3_int64)n);
	sqlite3_bind_int64(ins, 4, (sqlite3_int64)packets);
	sqlite3_bind_blob(ins, 5, s->enc.data, (int)s->enc.len, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		rc = sqerr(s, "writing segment");
	sqlite3_reset(ins);
	return rc;
}

static int sq_put_day(struct ds_store *b, int32_t day, unsigned dims, const struct ds_row *rows,
                      size_t n)
{
	return write_seg((struct sq *)b, ((struct sq *)b)->insday, day, dims, rows, n);
}

static int sq_put(struct ds_store *b, int32_t hour, unsigned dims, const struct ds_row *rows,
                  size_t n)
{
	struct sq *s = (struct sq *)b;
	struct ds_row *merged = NULL;
	struct ds_seg old = {0};
	long nm = 0;
	int rc = 0;
	sqlite3_bind_int(s->get, 1, (int)dims);
	sqlite3_bind_int(s->get, 2, hour);
	int st = sqlite3_step(s->get);
	if (st == SQLITE_ROW) {
		rc = ds_seg_decode(sqlite3_column_blob(s->get, 0),
		                   (size_t)sqlite3_column_bytes(s->get, 0), dims, 1, &old);
		if (rc == 0) {
			nm = ds_seg_merge(rows, n, old.rows, old.n, &merged);
			rc = nm < 0 ? (int)nm : 0;
		}
	} else if (st != SQLITE_DONE) {
		rc = sqerr(s, "reading segment");
	}
	sqlite3_reset(s->get);
	if (rc < 0)
		goto out;
	const struct ds_row *w = merged ? merged : rows;
	size_t nw = merged ? (size_t)nm : n;
	rc = write_seg(s, s->ins, hour, dims, w, nw);
out:
	if (merged)
		ds_rows_free(merged, (size_t)nm);
	ds_seg_free(&old);
	return rc;
}

/* Run q (segment or segday) over [a, b); unit 1 for hours, 24 for days. */
static int scan_with(struct sq *s, sqlite3_stmt *q, int unit, unsigned dims, int32_t a, int32_t b,
                     int with_sketches, ds_scan_fn fn, void *ctx)
{
	int rc = 0, st;
	sqlite3_bind_int(q, 1, (int)dims);
	sqlite3_bind_int(q, 2, a);
	sqlite3_bind_int(q, 3, b);
	while (rc == 0 && (st = sqlite3_step(q)) == SQLITE_ROW) {
		struct ds_seg seg;
		int32_t hour = sqlite3_column_int(q, 0) * unit;
		rc = ds_seg_decode(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1),
		                   dims, with_sketches, &seg);
		if (rc < 0) {
			char msg[600];
			snprintf(msg, sizeof msg, "%s", ds_lasterr());
			rc = ds_fail(DS_E_STORE, "%s: hour %d: %s", s->path, hour, msg);
			break;
		}
		rc = fn(ctx, hour, seg.rows, seg.n);
		ds_seg_free(&seg);
	}
	if (rc == 0 && st != SQLITE_DONE)
		rc = sqerr(s, "scanning segments");
	sqlite3_reset(q);
	return rc;
}

static int sq_scan(struct ds_store *b, unsigned dims, int32_t h0, int32_t h1, int with_sketches,
                   ds_scan_fn fn, void *ctx)
{
	struct sq *s = (struct sq *)b;
	return scan_with(s, s->scan, 1, dims, h0, h1, with_sketches, fn, ctx);
}

static int sq_scan_days(struct ds_store *b, unsigned dims, int32_t d0, int32_t d1,
                        int with_sketches, ds_scan_fn fn, void *ctx)
{
	struct sq *s = (struct sq *)b;
	return scan_with(s, s->scanday, 24, dims, d0, d1, with_sketches, fn, ctx);
}

static int sq_span(struct ds_store *b, int32_t *first, int32_t *last)
{
	struct sq *s = (struct sq *)b;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT min(hour), max(hour) FROM segment WHERE mask=7", -1,
	                       &st, NULL))
		return sqerr(s, "reading span");
	*first = *last = 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*first = sqlite3_column_int(st, 0);
		*last = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	return 0;
}

const struct ds_store_ops ds_store_sqlite = {
        .name = "sqlite",
        .accepts = accepts,
        .open = sq_open,
        .close = sq_close,
        .begin = sq_begin,
        .commit = sq_commit,
        .rollback = sq_rollback,
        .file_seen = sq_file_seen,
        .file_add = sq_file_add,
        .file_size_seen = sq_file_size_seen,
        .sensor_id = sq_sensor_id,
        .sensors = sq_sensors,
        .files = sq_files,
        .put = sq_put,
        .scan = sq_scan,
        .span = sq_span,
        .put_day = sq_put_day,
        .scan_days = sq_scan_days,
};
