/* sqlite.c - the embedded default store: one SQLite file (docs/store.md). */
#include "darkscope/store.h"

#include "darkscope/dtime.h"
#include "darkscope/env.h"
#include "darkscope/err.h"
#include "darkscope/log.h"
#include "store/segment.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define SCHEMA_VERSION "9"

struct checkpointer;

struct sq {
	struct ds_store base;
	sqlite3 *db;
	char *path;
	sqlite3_stmt *ins, *scan, *insday, *scanday;
	/* a transaction's own reads, which see its rows too: one row of a mask
	 * (getw, dayw), and scans of a mask (scanown, scandayown) or, while it
	 * stages, of its staged rows merged with the others (scanw, scandayw) */
	sqlite3_stmt *getw, *dayw, *scanw, *scandayw, *scanown, *scandayown;
	sqlite3_stmt *delday;      /* a day's parts of one mask, replaced */
	sqlite3_stmt *maxw, *delw; /* an hour's last part; its parts before one */
	int day_mask;              /* the mask put_day writes the current day's parts under */
	int32_t day_at;            /* ... that day, */
	unsigned day_dims;         /* ... of that mask */
	struct ds_buf enc;
	double wait_from; /* when begin() found the store locked */
	int said;         /* ... and said it waits */
	/* staging */
	int rowid;                /* rowid segment tables: their rows are published */
	int wal;                  /* in WAL mode: a transaction may commit in steps */
	int in_txn;               /* in a write transaction (begin() or migrating) */
	int64_t pub_seg, pub_day; /* rows published before this transaction */
	size_t step;              /* bytes of segments between commits; 0: one commit */
	int staging;              /* in a transaction that commits in steps */
	size_t unsaved;           /* bytes of segments since the last commit */
	unsigned steps;           /* commits before the last, for -v */
	size_t wal_max;           /* past this many bytes of log, a step restarts it */
	unsigned restarts;        /* ... times it did, for -v */
	int log_peak;             /* the most frames the log held, for -v */
	size_t page_bytes;        /* the store's page size */
	long pause_ms;            /* tests: a pause after each step's commit */
	int lockfd;               /* the ingest lock, held from begin to commit */
	struct checkpointer *ck;  /* the thread checkpointing the steps */
};

/* Pages of 64 KB, for a new store (one made before keeps its pages): the
 * segments are blobs of up to 4 MB, each a chain of overflow pages, written
 * and read a page a call.  A week of interleaved sources made 81,000 writes
 * of 4 KB pages; 64 KB pages took its ingest from 2.53 s to 2.21 s. */
static const char pragmas[] = "PRAGMA page_size=65536;"
                              "PRAGMA journal_mode=WAL;"
                              "PRAGMA synchronous=NORMAL;"
                              "PRAGMA cache_size=-8192;"
                              "PRAGMA mmap_size=268435456;";
/* The segment tables are rowid tables: their key (mask, hour) lives in an
 * index of its own, away from the blobs.  Stores before this had them
 * WITHOUT ROWID, where the key and the blob are one record: every seek
 * (each insert, each lookup of an hour to merge into) compared its key with
 * whole records, reading each blob's overflow pages through the WAL, some
 * 150,000 page reads for a week of interleaved sources.  Such stores are
 * read and written the same way (docs/store.md). */
static const char schema[] =
        "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
        "INSERT OR IGNORE INTO meta VALUES('format','darkscope-store');"
        "INSERT OR IGNORE INTO meta VALUES('schema_version'," SCHEMA_VERSION ");"
        "INSERT OR IGNORE INTO meta VALUES('segment_published', 0);"
        "INSERT OR IGNORE INTO meta VALUES('segday_published', 0);"
        "CREATE TABLE IF NOT EXISTS sensor(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
        " alias TEXT NOT NULL);"
        "INSERT OR IGNORE INTO sensor VALUES(0,'unattributed','Unattributed');"
        "CREATE TABLE IF NOT EXISTS file(digest TEXT PRIMARY KEY, path TEXT NOT NULL,"
        " packets INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, partial INTEGER NOT NULL,"
        " bytes INTEGER);"
        "CREATE TABLE IF NOT EXISTS segment(mask INTEGER NOT NULL, hour INTEGER NOT NULL,"
        " part INTEGER NOT NULL, rows INTEGER NOT NULL, packets INTEGER NOT NULL,"
        " data BLOB NOT NULL, PRIMARY KEY(mask, hour, part));"
        "CREATE TABLE IF NOT EXISTS segday(mask INTEGER NOT NULL, day INTEGER NOT NULL,"
        " part INTEGER NOT NULL, rows INTEGER NOT NULL, packets INTEGER NOT NULL,"
        " data BLOB NOT NULL, PRIMARY KEY(mask, day, part));";

/* The rows published (staging, below): of segment, of segday. */
#define PUBLISHED_SEG                                                                 \
	"coalesce((SELECT CAST(v AS INTEGER) FROM meta WHERE k='segment_published')," \
	" 9223372036854775807)"
#define PUBLISHED_DAY                                                                \
	"coalesce((SELECT CAST(v AS INTEGER) FROM meta WHERE k='segday_published')," \
	" 9223372036854775807)"

/* Rows a transaction that did not commit left behind: staged, or above the
 * rows published. */
static const char unstage[] = "DELETE FROM segment WHERE mask < 0 OR rowid > " PUBLISHED_SEG ";"
                              "DELETE FROM segday WHERE mask < 0 OR rowid > " PUBLISHED_DAY ";";

/* A transaction's rows become the store's: each staged row replaces the row
 * of its hour or day, and every row is published. */
static const char publish[] = "DELETE FROM segment WHERE mask >= 0 AND (mask, hour) IN"
                              " (SELECT -1 - mask, hour FROM segment WHERE mask < 0);"
                              "UPDATE segment SET mask = -1 - mask WHERE mask < 0;"
                              "DELETE FROM segday WHERE mask >= 0 AND (mask, day) IN"
                              " (SELECT -1 - mask, day FROM segday WHERE mask < 0);"
                              "UPDATE segday SET mask = -1 - mask WHERE mask < 0;"
                              "INSERT OR REPLACE INTO meta VALUES('segment_published',"
                              " (SELECT coalesce(max(rowid), 0) FROM segment));"
                              "INSERT OR REPLACE INTO meta VALUES('segday_published',"
                              " (SELECT coalesce(max(rowid), 0) FROM segday));";

static int sqerr(struct sq *s, const char *what)
{
	return ds_fail(DS_E_STORE, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int accepts(const char *uri)
{
	return strstr(uri, "://") == NULL;
}

static void checkpoint_stop(struct sq *s);

static void sq_close(struct ds_store *b)
{
	struct sq *s = (struct sq *)b;
	if (!s)
		return;
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->scan);
	sqlite3_finalize(s->insday);
	sqlite3_finalize(s->scanday);
	sqlite3_finalize(s->getw);
	sqlite3_finalize(s->dayw);
	sqlite3_finalize(s->scanw);
	sqlite3_finalize(s->scandayw);
	sqlite3_finalize(s->scanown);
	sqlite3_finalize(s->scandayown);
	sqlite3_finalize(s->delday);
	sqlite3_finalize(s->maxw);
	sqlite3_finalize(s->delw);
	checkpoint_stop(s);
	sqlite3_close(s->db);
	if (s->lockfd >= 0)
		close(s->lockfd);
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

/* 2 when the segment tables are rowid tables (see the schema). */
static const char rowid_tables[] =
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN"
        " ('segment', 'segday') AND sql NOT LIKE '%WITHOUT ROWID%'";

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

/* 0 when the store is this darkscope's, 1 when it is version 3 to 8 (to
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
		    strcmp(v, "6") == 0 || strcmp(v, "7") == 0 || strcmp(v, "8") == 0)
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

/* Schema 9 stores a segment in parts (docs/store.md): the segment tables
 * get a part column in their key.  A store before it has one part a
 * segment: each row becomes part 0, keeping its rowid (what is published
 * stays published) and its layout (WITHOUT ROWID or not).  Done before the
 * statements are prepared (they name the column), in a transaction of its
 * own; a store that has the column already is left alone. */
static int add_parts(struct sq *s)
{
	static const char *const tabs[][2] = {{"segment", "hour"}, {"segday", "day"}};
	int rc = exec(s, "BEGIN IMMEDIATE");
	for (int i = 0; i < 2 && rc == 0; i++) {
		char sql[1024];
		const char *t = tabs[i][0], *c = tabs[i][1];
		snprintf(sql, sizeof sql,
		         "SELECT count(*) FROM pragma_table_info('%s') WHERE name='part'", t);
		int has = count(s, sql);
		if (has != 0) {
			rc = has < 0 ? has : 0;
			continue;
		}
		snprintf(sql, sizeof sql,
		         "SELECT count(*) FROM sqlite_master WHERE name='%s' AND sql LIKE"
		         " '%%WITHOUT ROWID%%'",
		         t);
		int norowid = count(s, sql);
		if ((rc = norowid < 0 ? norowid : 0) < 0)
			continue;
		snprintf(sql, sizeof sql,
		         "CREATE TABLE parted(mask INTEGER NOT NULL, %s INTEGER NOT NULL,"
		         " part INTEGER NOT NULL, rows INTEGER NOT NULL, packets INTEGER NOT NULL,"
		         " data BLOB NOT NULL, PRIMARY KEY(mask, %s, part))%s;"
		         "INSERT INTO parted(%smask, %s, part, rows, packets, data)"
		         " SELECT %smask, %s, 0, rows, packets, data FROM %s;"
		         "DROP TABLE %s; ALTER TABLE parted RENAME TO %s",
		         c, c, norowid ? " WITHOUT ROWID" : "", norowid ? "" : "rowid, ", c,
		         norowid ? "" : "rowid, ", c, t, t, t);
		rc = exec(s, sql);
	}
	if (rc == 0)
		return exec(s, "COMMIT");
	exec(s, "ROLLBACK");
	return rc;
}

/* One hour's packets of the masks of at most one dimension. */
struct hour_packets {
	struct ds_row *rows[DS_DIM_ALL];
	size_t n[DS_DIM_ALL];
};

/* (an hour of a store before schema 9 is one part: one call) */
static int hour_packets_cb(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct hour_packets *h = ctx;
	(void)hour;
	if (h->rows[DS_DIM_PORT])
		return ds_fail(DS_E_STORE, "hour %d: more than one part before schema 9", hour);
	return ds_rollup_hour_packets(rows, n, h->rows, h->n);
}

static int sq_put(struct ds_store *b, int32_t hour, unsigned dims, const struct ds_row *rows,
                  size_t n);
static int sq_scan(struct ds_store *b, unsigned dims, int32_t h0, int32_t h1, int with_sketches,
                   ds_scan_fn fn, void *ctx);

/* Schema 8 publishes segment rows (see staging): every row of a store
 * before it is published.  Schema 7 records each file's size (files of a
 * size not seen before need no digest before they are read); files stored
 * before have none.  Hours keep the full mask and the packets of the masks
 * of at most one dimension (since schema 6).  Versions 3 and 4 kept hours of
 * every mask: their hours of two dimensions are dropped.  Version 5 kept the
 * full mask only: its hours get the packets of the others.  Version 3 stores
 * made before day rollups of the full mask existed lack them (a query
 * filtering on sensor, region and port at once found no rows): those days
 * are built. */
static int migrate(struct sq *s)
{
	int32_t *days = NULL, *hours = NULL;
	size_t nd = 0, nh = 0;
	int rc = exec(s, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	s->in_txn = 1;
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
	if (rc == 0 && s->rowid)
		rc = exec(s, publish);
	if (rc == 0)
		rc = exec(s, "UPDATE meta SET v='" SCHEMA_VERSION "' WHERE k='schema_version'");
	free(days);
	free(hours);
	s->in_txn = 0;
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

static void stage_setup(struct sq *s);

static int sq_open(struct ds_store **out, const char *uri)
{
	struct sq *s = calloc(1, sizeof *s);
	int rc;
	if (!s || !(s->path = strdup(uri))) {
		free(s);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	s->base.ops = &ds_store_sqlite;
	s->lockfd = -1;
	if (sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = ds_fail(DS_E_STORE, "%s: cannot open store: %s", uri,
		             s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto err;
	}
	writes_wait(s); /* making or migrating a store writes */
	int old, have;
	if ((rc = exec(s, pragmas)) < 0 || (rc = have = count(s, made)) < 0 ||
	    (have < 5 && (rc = exec(s, schema)) < 0) || (rc = old = check_version(s)) < 0 ||
	    (old && (rc = add_parts(s)) < 0))
		goto err;
	int tables = count(s, rowid_tables);
	if ((rc = tables) < 0)
		goto err;
	s->rowid = tables == 2;
	/* queries see the published rows (the filter on rowid, not its index:
	 * "+"); a store WITHOUT ROWID publishes nothing (it is not staged) */
	const char *scan_seg = s->rowid ? "SELECT hour, data FROM segment WHERE mask=?1 AND"
	                                  " hour>=?2 AND hour<?3 AND +rowid <= " PUBLISHED_SEG
	                                  " ORDER BY hour, part"
	                                : "SELECT hour, data FROM segment WHERE mask=?1 AND"
	                                  " hour>=?2 AND hour<?3 ORDER BY hour, part";
	const char *scan_day = s->rowid ? "SELECT day, data FROM segday WHERE mask=?1 AND day>=?2"
	                                  " AND day<?3 AND +rowid <= " PUBLISHED_DAY
	                                  " ORDER BY day, part"
	                                : "SELECT day, data FROM segday WHERE mask=?1 AND day>=?2"
	                                  " AND day<?3 ORDER BY day, part";
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO segment VALUES(?1,?2,?6,?3,?4,?5)",
	                       -1, &s->ins, NULL) ||
	    sqlite3_prepare_v2(s->db, scan_seg, -1, &s->scan, NULL) ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO segday VALUES(?1,?2,?6,?3,?4,?5)", -1,
	                       &s->insday, NULL) ||
	    sqlite3_prepare_v2(s->db, scan_day, -1, &s->scanday, NULL) ||
	    /* a transaction's own (staged masks are -1 - mask: ?4); a merge of
	     * two scans in order, not a sort, which would copy every blob */
	    sqlite3_prepare_v2(s->db,
	                       s->rowid ? "SELECT data, rowid, part FROM segment WHERE mask=?1 AND"
	                                  " hour=?2 AND part>=?3 AND part<?4 ORDER BY part LIMIT 1"
	                                : "SELECT data, 0, part FROM segment WHERE mask=?1 AND"
	                                  " hour=?2 AND part>=?3 AND part<?4 ORDER BY part LIMIT 1",
	                       -1, &s->getw, NULL) ||
	    sqlite3_prepare_v2(s->db,
	                       s->rowid ? "SELECT rowid FROM segday WHERE mask=?1 AND day=?2"
	                                  " ORDER BY part LIMIT 1"
	                                : "SELECT 0 FROM segday WHERE mask=?1 AND day=?2 LIMIT 1",
	                       -1, &s->dayw, NULL) ||
	    sqlite3_prepare_v2(s->db,
	                       "SELECT hour, data, 0, part FROM segment WHERE mask=?4 AND hour>=?2"
	                       " AND hour<?3 UNION ALL SELECT hour, data, 1, part FROM segment"
	                       " WHERE mask=?1 AND hour>=?2 AND hour<?3 ORDER BY 1, 3, 4",
	                       -1, &s->scanw, NULL) ||
	    sqlite3_prepare_v2(s->db,
	                       "SELECT day, data, 0, part FROM segday WHERE mask=?4 AND day>=?2"
	                       " AND day<?3 UNION ALL SELECT day, data, 1, part FROM segday"
	                       " WHERE mask=?1 AND day>=?2 AND day<?3 ORDER BY 1, 3, 4",
	                       -1, &s->scandayw, NULL) ||
	    sqlite3_prepare_v2(s->db,
	                       "SELECT hour, data FROM segment WHERE mask=?1 AND hour>=?2 AND"
	                       " hour<?3 ORDER BY hour, part",
	                       -1, &s->scanown, NULL) ||
	    sqlite3_prepare_v2(s->db,
	                       "SELECT day, data FROM segday WHERE mask=?1 AND day>=?2 AND day<?3"
	                       " ORDER BY day, part",
	                       -1, &s->scandayown, NULL) ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM segday WHERE mask=?1 AND day=?2", -1, &s->delday,
	                       NULL) ||
	    sqlite3_prepare_v2(s->db, "SELECT max(part) FROM segment WHERE mask=?1 AND hour=?2", -1,
	                       &s->maxw, NULL) ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM segment WHERE mask=?1 AND hour=?2 AND part<?3",
	                       -1, &s->delw, NULL)) {
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
	stage_setup(s);
	*out = &s->base;
	return 0;
err:
	sq_close(&s->base);
	return rc;
}

/* Staging.  An ingest's transaction runs for as long as its files take to
 * read and writes tens of megabytes.  Committed at once, its WAL is then
 * synced, copied into the database and the database synced, on one thread
 * while the others wait: 0.3-0.6 s of a 1.2-2 s ingest of 10-20 M packets
 * here.  Where another CPU can do that meanwhile, a transaction commits
 * every `step` bytes of segments instead, and a thread of its own
 * checkpoints each step while the ingest goes on.  What it wrote must stay
 * unseen until its last commit (a file is stored whole or not at all):
 *
 * - Queries see the rows published: rowid at most meta's
 *   "segment_published" ("segday_published").  A transaction's new rows
 *   get higher rowids.
 * - A row that would replace a published one (an hour merged with what was
 *   stored, a day rolled up again) is staged instead, under the mask
 *   -1 - mask, which no query asks for.
 * - The last commit publishes, in one transaction: each staged row replaces
 *   its published one, and the markers move to the highest rowids.  Staged
 *   rows are few (files that overlap in time); the new rows are not written
 *   again.
 * - Rows of a transaction that did not commit (an ingest killed) are seen by
 *   no query, and the next transaction deletes them first.  From begin to
 *   commit a transaction holds an flock on "<store>-ingest", so that no
 *   other process writes between its commits or deletes its rows as left
 *   over.
 *
 * Stores whose segment tables are WITHOUT ROWID (made before schema 7), and
 * stores not in WAL mode, commit once. */

#define STAGE_STEP ((size_t)8 << 20)
#define WAL_MAX    ((size_t)64 << 20) /* see restart_log */

static int staged_mask(unsigned dims)
{
	return -1 - (int)dims;
}

struct checkpointer {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv, idle;
	int kicks, stop, busy;
	int log; /* frames in the log at the last checkpoint */
	sqlite3 *db;
};

static void *checkpoint_run(void *arg)
{
	struct checkpointer *ck = arg;
	pthread_mutex_lock(&ck->mu);
	for (;;) {
		while (!ck->kicks && !ck->stop)
			pthread_cond_wait(&ck->cv, &ck->mu);
		if (!ck->kicks)
			break;
		ck->kicks = 0;
		ck->busy = 1;
		pthread_mutex_unlock(&ck->mu);
		/* the frames committed so far; any failure (busy) leaves them to
		 * the next step or to the last commit's own checkpoint */
		int log = -1, done = -1;
		sqlite3_wal_checkpoint_v2(ck->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
		pthread_mutex_lock(&ck->mu);
		ck->busy = 0;
		if (log >= 0)
			ck->log = log;
		pthread_cond_broadcast(&ck->idle);
	}
	pthread_mutex_unlock(&ck->mu);
	return NULL;
}

/* Frames in the log at the checkpointer's last checkpoint (0: none yet). */
static int checkpoint_log(struct checkpointer *ck)
{
	pthread_mutex_lock(&ck->mu);
	int log = ck->log;
	pthread_mutex_unlock(&ck->mu);
	return log;
}

/* Wait until the checkpointer has done what it was asked. */
static void checkpoint_wait(struct checkpointer *ck)
{
	pthread_mutex_lock(&ck->mu);
	while (ck->kicks || ck->busy)
		pthread_cond_wait(&ck->idle, &ck->mu);
	pthread_mutex_unlock(&ck->mu);
}

/* A checkpointer on a connection of its own to s's store, or NULL. */
static struct checkpointer *checkpoint_start(const struct sq *s)
{
	struct checkpointer *ck = calloc(1, sizeof *ck);
	if (!ck)
		return NULL;
	pthread_mutex_init(&ck->mu, NULL);
	pthread_cond_init(&ck->cv, NULL);
	pthread_cond_init(&ck->idle, NULL);
	if (sqlite3_open_v2(s->path, &ck->db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    /* (a connection finds the WAL on its first read) */
	    sqlite3_exec(ck->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) ==
	            SQLITE_OK &&
	    pthread_create(&ck->tid, NULL, checkpoint_run, ck) == 0)
		return ck;
	pthread_mutex_destroy(&ck->mu);
	pthread_cond_destroy(&ck->cv);
	pthread_cond_destroy(&ck->idle);
	sqlite3_close(ck->db);
	free(ck);
	return NULL;
}

/* Ask the checkpointer (started on first use) to checkpoint what is
 * committed.  Without one (it cannot be started) the frames wait for the
 * last commit's checkpoint. */
static void checkpoint_kick(struct sq *s)
{
	if (!s->ck && !(s->ck = checkpoint_start(s)))
		return;
	pthread_mutex_lock(&s->ck->mu);
	s->ck->kicks++;
	pthread_cond_signal(&s->ck->cv);
	pthread_mutex_unlock(&s->ck->mu);
}

static void checkpoint_stop(struct sq *s)
{
	struct checkpointer *ck = s->ck;
	if (!ck)
		return;
	pthread_mutex_lock(&ck->mu);
	ck->stop = 1;
	ck->kicks = 0;
	pthread_cond_signal(&ck->cv);
	pthread_mutex_unlock(&ck->mu);
	pthread_join(ck->tid, NULL);
	pthread_mutex_destroy(&ck->mu);
	pthread_cond_destroy(&ck->cv);
	pthread_cond_destroy(&ck->idle);
	sqlite3_close(ck->db);
	free(ck);
	s->ck = NULL;
}

/* Decide at open whether this store's transactions commit in steps (step,
 * and wal, pause_ms with it). */
static void stage_setup(struct sq *s)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK) {
		s->wal = sqlite3_step(st) == SQLITE_ROW &&
		         strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
		sqlite3_finalize(st);
	}
	s->pause_ms = (long)ds_env_size("DARKSCOPE_STAGE_PAUSE_MS", 0); /* tests: see store.sh */
	/* (on one CPU too: a step's syncs wait on the disk while the reader
	 * goes on, where one commit at the end makes everything wait for them) */
	size_t step = ds_env_size("DARKSCOPE_STAGE_BYTES", STAGE_STEP); /* tests: 0 = never */
	s->step = s->rowid && s->wal ? step : 0;
	s->wal_max = ds_env_size("DARKSCOPE_WAL_BYTES", WAL_MAX); /* (tests) */
	int page = count(s, "PRAGMA page_size");
	s->page_bytes = page > 0 ? (size_t)page : 4096;
}

/* Take the ingest lock (waiting for another process's transaction, as
 * begin() does): 1, or 0 without it (a store whose directory has no room
 * for the lock file is not staged, and rows left over stay unseen). */
static int ingest_lock(struct sq *s)
{
	if (s->lockfd == -2)
		return 0;
	if (s->lockfd < 0) {
		char lp[4096];
		snprintf(lp, sizeof lp, "%s-ingest", s->path);
		s->lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (s->lockfd < 0) {
			DS_INFO("store", "%s: cannot open %s (%s): ingests are not staged", s->path,
			        lp, strerror(errno));
			s->step = 0;
			s->lockfd = -2; /* (said once) */
			return 0;
		}
	}
	for (int tries = 0; flock(s->lockfd, LOCK_EX | LOCK_NB) != 0; tries++)
		wait_writer(s, tries);
	return 1;
}

/* The rows published, as the markers say: into *seg, *day. */
static int published(struct sq *s, int64_t *seg, int64_t *day)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT " PUBLISHED_SEG ", " PUBLISHED_DAY, -1, &st, NULL))
		return sqerr(s, "reading the rows published");
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : sqerr(s, "reading the rows published");
	*seg = sqlite3_column_int64(st, 0);
	*day = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return rc;
}

static void ingest_unlock(struct sq *s)
{
	if (s->lockfd >= 0)
		flock(s->lockfd, LOCK_UN);
}

/* The log is written from its start again only by a transaction that
 * begins when every frame in it is checkpointed, which a step that begins
 * right after its commit never does: the checkpointer is still at work on
 * the frames just committed.  So the log held everything an ingest wrote,
 * as much again as the store grew (110 MB for the interleaved week, whose
 * deletion at the end took 0.13 s; 1 GB beside a store that grew by 1 GB).
 * Once the log has passed wal_max, a step waits for the checkpointer and
 * checkpoints its own frames before it begins the next: the log starts
 * again (unless a query in another process still reads from it; a later
 * step tries again). */
static void restart_log(struct sq *s)
{
	int log = -1, done = -1;
	if (!s->ck)
		return;
	int seen = checkpoint_log(s->ck);
	s->log_peak = seen > s->log_peak ? seen : s->log_peak;
	if ((size_t)seen * s->page_bytes <= s->wal_max)
		return;
	checkpoint_wait(s->ck);
	sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	s->log_peak = log > s->log_peak ? log : s->log_peak;
	if (log >= 0 && log == done) {
		s->restarts++;
		pthread_mutex_lock(&s->ck->mu);
		s->ck->log = 0; /* (starts again with the next write) */
		pthread_mutex_unlock(&s->ck->mu);
	}
}

/* Commit what the steps so far wrote, and have it checkpointed meanwhile. */
static int stage_commit(struct sq *s)
{
	s->unsaved = 0;
	int rc = exec(s, "COMMIT");
	if (rc == 0 && s->pause_ms > 0) { /* (widens the gap the ingest lock covers) */
		struct timespec ts = {s->pause_ms / 1000, s->pause_ms % 1000 * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (rc == 0) {
		restart_log(s);
		rc = exec(s, "BEGIN IMMEDIATE");
	}
	if (rc < 0)
		return rc;
	s->steps++;
	checkpoint_kick(s);
	return 0;
}

/* After a row is written: commit once a step's worth has gathered. */
static int stage_step_done(struct sq *s, size_t bytes)
{
	if (!s->staging || (s->unsaved += bytes) < s->step)
		return 0;
	return stage_commit(s);
}

/* The ingest's last rows are near (the readers are done, the last days are
 * yet to be rolled up): commit what gathered since the last step, so that
 * it is checkpointed while those are built, not after the last commit. */
static int sq_step(struct ds_store *b)
{
	struct sq *s = (struct sq *)b;
	return s->staging && s->unsaved ? stage_commit(s) : 0;
}

/* An ingest reads the store without the map queries use: once the log
 * starts again, the hours it merges into and the days it rebuilds come from
 * the store file rather than the log, and every page read through the map
 * stayed in the process's resident size (2.6 million keys in one hour
 * peaked at 236-256 MB, against 209 MB read through SQLite's 8 MB cache). */
static int sq_begin(struct ds_store *b)
{
	struct sq *s = (struct sq *)b;
	int rc = exec(s, "PRAGMA mmap_size=0");
	if (rc < 0)
		return rc;
	writes_wait(s);
	int locked = s->rowid && s->wal && ingest_lock(s);
	rc = exec(s, "BEGIN IMMEDIATE");
	writes_done(s);
	if (rc == 0 && locked) /* rows an ingest that was killed left */
		rc = exec(s, unstage);
	if (rc == 0 && s->rowid)
		rc = published(s, &s->pub_seg, &s->pub_day);
	if (rc < 0) {
		if (sqlite3_get_autocommit(s->db) == 0)
			exec(s, "ROLLBACK");
		ingest_unlock(s);
		return rc;
	}
	s->in_txn = 1;
	s->staging = s->step > 0;
	s->unsaved = 0;
	s->steps = 0;
	s->restarts = 0;
	s->log_peak = 0;
	if (s->staging) /* the steps' frames are checkpointed by the checkpointer */
		sqlite3_wal_autocheckpoint(s->db, 0);
	return 0;
}

/* The end of a staged transaction: stop checkpointing beside it, and let
 * commits checkpoint again. */
static void stage_end(struct sq *s)
{
	if (!s->staging)
		return;
	s->staging = 0;
	checkpoint_stop(s);
	sqlite3_wal_autocheckpoint(s->db, 1000); /* (SQLite's default) */
	if (s->steps)
		DS_INFO("store",
		        "%s: %u commits of segments before the last; the log started again"
		        " %u times, at most %d pages (%.1f MB) in it at a step",
		        s->path, s->steps, s->restarts, s->log_peak,
		        (double)s->log_peak * (double)s->page_bytes / 1e6);
}

static int sq_commit(struct ds_store *b)
{
	struct sq *s = (struct sq *)b;
	int staged = s->staging, rc = s->rowid ? exec(s, publish) : 0;
	if (rc == 0)
		rc = exec(s, "COMMIT");
	stage_end(s);
	s->in_txn = 0;
	if (rc == 0 && staged) /* what an autocheckpoint would have done */
		sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc < 0 && sqlite3_get_autocommit(s->db) == 0)
		exec(s, "ROLLBACK");
	ingest_unlock(s);
	return rc;
}

static int sq_rollback(struct ds_store *b)
{
	struct sq *s = (struct sq *)b;
	int steps = s->staging && s->steps;
	int rc = exec(s, "ROLLBACK");
	stage_end(s);
	s->in_txn = 0;
	if (steps) { /* the rows the steps committed go too */
		if (exec(s, "BEGIN IMMEDIATE") == 0 && exec(s, unstage) == 0)
			exec(s, "COMMIT");
		else if (sqlite3_get_autocommit(s->db) == 0)
			exec(s, "ROLLBACK");
	}
	ingest_unlock(s);
	return rc;
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

/* Encode rows and write them with ins (segment or segday) under mask. */
static int write_seg(struct sq *s, sqlite3_stmt *ins, int mask, int32_t at, int part, unsigned dims,
                     const struct ds_row *rows, size_t n)
{
	uint64_t packets = 0;
	for (size_t i = 0; i < n; i++)
		packets += rows[i].packets;
	int rc = ds_seg_encode(rows, n, dims, &s->enc);
	if (rc < 0)
		return rc;
	sqlite3_bind_int(ins, 1, mask);
	sqlite3_bind_int(ins, 2, at);
	sqlite3_bind_int64(ins, 3, (sqlite3_int64)n);
	sqlite3_bind_int64(ins, 4, (sqlite3_int64)packets);
	sqlite3_bind_blob(ins, 5, s->enc.data, (int)s->enc.len, SQLITE_STATIC);
	sqlite3_bind_int(ins, 6, part);
	if (sqlite3_step(ins) != SQLITE_DONE)
		rc = sqerr(s, "writing segment");
	sqlite3_reset(ins);
	return rc < 0 ? rc : stage_step_done(s, s->enc.len);
}

/* The mask a transaction writes dims's row under, where the row it has
 * (mask m, rowid id; found = 0: none) is: staged when that row is published
 * or staged (see staging). */
static int write_mask(const struct sq *s, unsigned dims, int found, int m, int64_t id, int64_t pub)
{
	if (s->staging && found && (m < 0 || id <= pub))
		return staged_mask(dims);
	return (int)dims;
}

/* Does day `at` have parts of mask?  1 and the first one's rowid in *id,
 * or 0. */
static int probe_day(struct sq *s, int mask, int32_t at, int64_t *id)
{
	int rc = 0;
	sqlite3_bind_int(s->dayw, 1, mask);
	sqlite3_bind_int(s->dayw, 2, at);
	int st = sqlite3_step(s->dayw);
	if (st == SQLITE_ROW) {
		*id = sqlite3_column_int64(s->dayw, 0);
		rc = 1;
	} else if (st != SQLITE_DONE) {
		rc = sqerr(s, "reading segment");
	}
	sqlite3_reset(s->dayw);
	return rc;
}

/* The first part of (mask, hour) numbered from `from` and below `below`:
 * 1 with it decoded into *seg, its number in *part and its rowid in *id; 0
 * when there is none. */
static int hour_part(struct sq *s, int mask, int32_t hour, int from, int below, unsigned dims,
                     struct ds_seg *seg, int *part, int64_t *id)
{
	int rc = 0;
	sqlite3_stmt *q = s->getw;
	sqlite3_bind_int(q, 1, mask);
	sqlite3_bind_int(q, 2, hour);
	sqlite3_bind_int(q, 3, from);
	sqlite3_bind_int(q, 4, below);
	int st = sqlite3_step(q);
	if (st == SQLITE_ROW) {
		*id = sqlite3_column_int64(q, 1);
		*part = sqlite3_column_int(q, 2);
		rc = ds_seg_decode(sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0),
		                   dims, 1, seg);
		if (rc < 0) {
			char msg[600];
			snprintf(msg, sizeof msg, "%s", ds_lasterr());
			rc = ds_fail(DS_E_STORE, "%s: hour %d, part %d: %s", s->path, hour, *part,
			             msg);
		}
		rc = rc < 0 ? rc : 1;
	} else if (st != SQLITE_DONE) {
		rc = sqerr(s, "reading segment");
	}
	sqlite3_reset(q);
	return rc;
}

/* Part 0 replaces the day's parts of dims (the transaction's own, staged or
 * not; published ones are replaced when it publishes, or here when it does
 * not stage); the parts after it add to those, under the same mask. */
static int sq_put_day(struct ds_store *b, int32_t day, unsigned dims, int part,
                      const struct ds_row *rows, size_t n)
{
	struct sq *s = (struct sq *)b;
	if (part == 0) {
		int m = staged_mask(dims), found = 0;
		int64_t id = 0;
		if (s->staging) /* (its staged parts first) */
			found = probe_day(s, m, day, &id);
		if (found == 0)
			found = probe_day(s, m = (int)dims, day, &id);
		if (found < 0)
			return found;
		s->day_mask = write_mask(s, dims, found, m, id, s->pub_day);
		s->day_at = day;
		s->day_dims = dims;
		sqlite3_bind_int(s->delday, 1, s->day_mask);
		sqlite3_bind_int(s->delday, 2, day);
		int st = sqlite3_step(s->delday);
		sqlite3_reset(s->delday);
		if (st != SQLITE_DONE)
			return sqerr(s, "replacing a day");
	} else if (part < 0 || day != s->day_at || dims != s->day_dims) {
		return ds_fail(DS_E_STORE, "%s: part %d of day %d, mask %u, without its part 0",
		               s->path, part, day, dims);
	}
	return write_seg(s, s->insday, s->day_mask, day, part, dims, rows, n);
}

/* Write rows (sorted) as parts of (mask, hour), numbered from *part on. */
static int write_parts(struct sq *s, int mask, int32_t hour, unsigned dims,
                       const struct ds_row *rows, size_t n, int *part)
{
	size_t i = 0, max = ds_part_rows();
	int rc;
	do {
		size_t e = ds_part_end(rows, n, i, max);
		rc = write_seg(s, s->ins, mask, hour, (*part)++, dims, rows + i, e - i);
		i = e;
	} while (rc == 0 && i < n);
	return rc;
}

/* The first of rows[from..n) whose key is key or above (n: none). */
static size_t lower_bound(const struct ds_row *rows, size_t from, size_t n, uint64_t key)
{
	while (from < n) {
		size_t mid = from + (n - from) / 2;
		if (rows[mid].key < key)
			from = mid + 1;
		else
			n = mid;
	}
	return from;
}

/* The number of the last part of (mask, hour) into *last. */
static int last_part(struct sq *s, int mask, int32_t hour, int *last)
{
	sqlite3_bind_int(s->maxw, 1, mask);
	sqlite3_bind_int(s->maxw, 2, hour);
	int rc = sqlite3_step(s->maxw) == SQLITE_ROW ? 0 : sqerr(s, "reading segment");
	*last = sqlite3_column_int(s->maxw, 0);
	sqlite3_reset(s->maxw);
	return rc;
}

/* Rows are merged into the hour's parts one part at a time, so that no more
 * than two of them are held whatever the hour holds: each part with the new
 * rows below the next part's first key, written as one part or more (where
 * it passes a part's size).  They replace the transaction's own parts
 * (numbered after them, which are deleted then; a lone part that stays one
 * is rewritten in place), or published ones, staged. */
static int sq_put(struct ds_store *b, int32_t hour, unsigned dims, const struct ds_row *rows,
                  size_t n)
{
	struct sq *s = (struct sq *)b;
	struct ds_seg cur = {0}, next = {0};
	int m = staged_mask(dims), part = 0, np = 0, out = 0;
	int64_t id = 0, nid = 0;
	int found = s->staging ? hour_part(s, m, hour, 0, INT_MAX, dims, &cur, &part, &id) : 0;
	if (found == 0)
		found = hour_part(s, m = (int)dims, hour, 0, INT_MAX, dims, &cur, &part, &id);
	if (found <= 0)
		return found < 0 ? found : write_parts(s, (int)dims, hour, dims, rows, n, &out);
	int mask = write_mask(s, dims, 1, m, id, s->pub_seg), same = mask == m, rc = 0;
	int first = -1, in_place = 0; /* the first new part (-1: none yet) */
	size_t at = 0, max = ds_part_rows();
	for (int more = 1; rc == 0 && more;) {
		/* (the old parts only: below the new ones) */
		more = hour_part(s, m, hour, part + 1, same && first >= 0 ? first : INT_MAX, dims,
		                 &next, &np, &nid);
		if (more < 0) {
			rc = more;
			break;
		}
		size_t e = more && next.n ? lower_bound(rows, at, n, next.rows[0].key)
		           : more         ? at
		                          : n;
		struct ds_row *merged = NULL;
		long nm = ds_seg_merge(rows + at, e - at, cur.rows, cur.n, &merged);
		if (nm < 0) {
			rc = (int)nm;
			break;
		}
		if (same && !more && first < 0 &&
		    ds_part_end(merged, (size_t)nm, 0, max) == (size_t)nm) {
			in_place = 1; /* one part before and after */
			rc = write_parts(s, m, hour, dims, merged, (size_t)nm, &part);
		} else {
			if (first < 0 && !same)
				first = 0;
			else if (first < 0 && !more) /* numbered after the old ones: after cur */
				first = part + 1;
			else if (first < 0 && (rc = last_part(s, m, hour, &first)) == 0)
				first++;
			if (rc == 0) {
				if (out < first)
					out = first;
				rc = write_parts(s, mask, hour, dims, merged, (size_t)nm, &out);
			}
		}
		ds_rows_free(merged, (size_t)nm);
		ds_seg_free(&cur);
		cur = next, part = np, at = e;
		next = (struct ds_seg){0};
	}
	ds_seg_free(&cur);
	ds_seg_free(&next);
	if (rc == 0 && same && !in_place && first >= 0) { /* the old parts go */
		sqlite3_bind_int(s->delw, 1, m);
		sqlite3_bind_int(s->delw, 2, hour);
		sqlite3_bind_int(s->delw, 3, first);
		if (sqlite3_step(s->delw) != SQLITE_DONE)
			rc = sqerr(s, "replacing segment");
		sqlite3_reset(s->delw);
	}
	return rc;
}

/* Run q (segment or segday) over [a, b); unit 1 for hours, 24 for days. */
static int scan_with(struct sq *s, sqlite3_stmt *q, int unit, unsigned dims, int32_t a, int32_t b,
                     int with_sketches, ds_scan_fn fn, void *ctx)
{
	int rc = 0, st, staged = q == s->scanw || q == s->scandayw, any = 0;
	int32_t last = 0; /* the last hour with staged parts */
	sqlite3_bind_int(q, 1, (int)dims);
	sqlite3_bind_int(q, 2, a);
	sqlite3_bind_int(q, 3, b);
	if (staged)
		sqlite3_bind_int(q, 4, staged_mask(dims));
	while (rc == 0 && (st = sqlite3_step(q)) == SQLITE_ROW) {
		struct ds_seg seg;
		int32_t hour = sqlite3_column_int(q, 0) * unit;
		if (staged && sqlite3_column_int(q, 2) == 0)
			any = 1, last = hour;
		else if (staged && any && hour == last)
			continue; /* the stored parts of an hour the ingest staged */
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
	sqlite3_stmt *q = !s->in_txn ? s->scan : s->staging ? s->scanw : s->scanown;
	return scan_with(s, q, 1, dims, h0, h1, with_sketches, fn, ctx);
}

static int sq_scan_days(struct ds_store *b, unsigned dims, int32_t d0, int32_t d1,
                        int with_sketches, ds_scan_fn fn, void *ctx)
{
	struct sq *s = (struct sq *)b;
	sqlite3_stmt *q = !s->in_txn ? s->scanday : s->staging ? s->scandayw : s->scandayown;
	return scan_with(s, q, 24, dims, d0, d1, with_sketches, fn, ctx);
}

static int sq_span(struct ds_store *b, int32_t *first, int32_t *last)
{
	struct sq *s = (struct sq *)b;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       s->rowid ? "SELECT min(hour), max(hour) FROM segment WHERE mask=7"
	                                  " AND +rowid <= " PUBLISHED_SEG
	                                : "SELECT min(hour), max(hour) FROM segment WHERE mask=7",
	                       -1, &st, NULL))
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
        .step = sq_step,
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
