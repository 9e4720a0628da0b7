/* writer.c - a bounded queue of hours and the thread that stores them. */
#include "pipeline/writer.h"

#include "darkscope/dtime.h"
#include "darkscope/env.h"
#include "darkscope/err.h"
#include "darkscope/limits.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NWORKERS 2 /* one stores hours while the other builds a day */

struct worker {
	struct ds_writer *w;
	int id;
	pthread_t tid;
	int started;
};

struct ds_writer {
	struct ds_store *st;
	struct worker workers[NWORKERS];
	int32_t busy[NWORKERS]; /* the hour each worker is on (INT32_MIN: none) */
	pthread_mutex_t smu;    /* the store, days[] */
	pthread_mutex_t mu;     /* the queue, seen[], busy[], counters */
	pthread_cond_t more, room;
	struct ds_hourpkg *head, *tail;
	size_t pending, max_pending;
	size_t bytes, max_bytes, peak_bytes; /* of the hours pending */
	int done, rc;
	int stepped; /* the store was told the end is near */
	char err[1024];
	int nreaders;
	int32_t seen[DS_WRITER_SLOTS]; /* each reader's last hour sent (INT32_MAX: done) */
	/* the hours each reader will send, as far as known ahead (INT32_MAX:
	 * not known): from its first record's on, up to its part's end */
	int32_t from[DS_WRITER_SLOTS], until[DS_WRITER_SLOTS];
	struct day {
		int32_t day;
		int built;
		int building, dirty; /* being built outside smu; an hour came meanwhile */
		uint64_t readers[DS_WRITER_SLOTS / 64]; /* which readers wrote to it */
	} * days;
	size_t ndays, capdays;
	double seconds, dayseconds;
	unsigned built; /* day rollups built, a day built again counted again */
};

/* Fill p from fine rows whose sketches are encoded (an aggregator's): the
 * rows with their encodings copied (the packets of the one-dimension masks
 * are the writer's to sum: a reader's time is the ingest's).  On failure p
 * keeps what it got (ds_hourpkg_free frees it). */
static int fill(struct ds_hourpkg *p, const struct ds_row *rows, size_t n)
{
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += rows[i].enclen;
	if (!(p->rows = malloc((n + 1) * sizeof *p->rows)) || /* (each set whole) */
	    ds_buf_reserve(&p->fine_enc, bytes + 1) < 0)
		return ds_fail(DS_E_NOMEM, "out of memory");
	uint8_t *o = p->fine_enc.data;
	for (size_t i = 0; i < n; i++) {
		memcpy(o, rows[i].enc, rows[i].enclen);
		p->rows[i] = (struct ds_row){.key = rows[i].key,
		                             .packets = rows[i].packets,
		                             .enc = o,
		                             .enclen = rows[i].enclen};
		o += rows[i].enclen;
	}
	p->fine_enc.len = bytes;
	p->n = n;
	p->bytes = bytes + n * sizeof *p->rows;
	return 0;
}

int ds_hourpkg_make(int32_t hour, const struct ds_row *rows, size_t n, struct ds_hourpkg **out)
{
	struct ds_hourpkg *p = calloc(1, sizeof *p);
	int rc = p ? fill(p, rows, n) : ds_fail(DS_E_NOMEM, "out of memory");
	if (rc < 0) {
		ds_hourpkg_free(p);
		return rc;
	}
	p->hour = hour;
	*out = p;
	return 0;
}

void ds_hourpkg_free(struct ds_hourpkg *p)
{
	if (!p)
		return;
	free(p->rows);
	ds_buf_free(&p->fine_enc);
	for (unsigned d = 0; d < DS_DIM_ALL; d++)
		free(p->packets[d]);
	free(p);
}

/* Reader r wrote hours of day: its rollup is due (again). */
static int note_day(struct ds_writer *w, int32_t day, int r)
{
	for (size_t i = w->ndays; i-- > 0;)
		if (w->days[i].day == day) {
			w->days[i].built = 0;
			w->days[i].dirty |= w->days[i].building;
			w->days[i].readers[r / 64] |= 1ull << r % 64;
			return 0;
		}
	if (w->ndays == w->capdays) {
		size_t nc = w->capdays ? w->capdays * 2 : 64;
		struct day *nd = realloc(w->days, nc * sizeof *nd);
		if (!nd)
			return ds_fail(DS_E_NOMEM, "out of memory");
		w->days = nd;
		w->capdays = nc;
	}
	w->days[w->ndays] = (struct day){.day = day};
	w->days[w->ndays++].readers[r / 64] = 1ull << r % 64;
	return 0;
}

/* Has every reader that wrote to d, or will, moved past it, with none of
 * its hours still queued or being stored?  (A reader that comes back to a
 * built day marks it due again, so this only decides when.)  A reader will
 * write to d when it starts before d ends and has not sent an hour yet, or
 * its span reaches d (a part of a split file, while the part after it has
 * started on d).  A reader's last hours are still queued when it says it is
 * done.  A day built too early would be built again as the hours arrive. */
static int settled(const struct ds_writer *w, const int32_t *seen, const int32_t *from,
                   const int32_t *until, const int32_t *busy, const int32_t *queued, size_t nq,
                   const struct day *d)
{
	int64_t first = (int64_t)d->day * 24, past = first + 24 + DS_AGG_LAG_HOURS;
	for (int r = 0; r < w->nreaders; r++) {
		int will = (d->readers[r / 64] >> r % 64 & 1) ||
		           (from[r] < first + 24 &&
		            (seen[r] == INT32_MIN || (until[r] != INT32_MAX && until[r] >= first)));
		if (will && seen[r] <= past)
			return 0;
	}
	for (int k = 0; k < NWORKERS; k++)
		if (busy[k] != INT32_MIN && ds_floordiv(busy[k], 24) == d->day)
			return 0;
	for (size_t i = 0; i < nq; i++)
		if (ds_floordiv(queued[i], 24) == d->day)
			return 0;
	return 1;
}

/* Build the rollups of the settled days (all = 1: of every day still due).
 * Called with smu held; smu is let go while a day is merged and rolled up
 * (ds_day_build touches no store), so the other worker can store hours or
 * build another day meanwhile.  A day that gets an hour while it is being
 * built stays due. */
static int build_due(struct ds_writer *w, int all)
{
	int rc = 0;
	int32_t seen[DS_WRITER_SLOTS], from[DS_WRITER_SLOTS], until[DS_WRITER_SLOTS],
	        busy[NWORKERS], queued[DS_WRITER_MAX_PENDING];
	size_t nq = 0;
	pthread_mutex_lock(&w->mu);
	memcpy(seen, w->seen, sizeof seen);
	memcpy(from, w->from, sizeof from);
	memcpy(until, w->until, sizeof until);
	memcpy(busy, w->busy, sizeof busy);
	for (const struct ds_hourpkg *p = w->head; p && nq < DS_WRITER_MAX_PENDING; p = p->next)
		queued[nq++] = p->hour;
	pthread_mutex_unlock(&w->mu);
	for (size_t i = 0; i < w->ndays && rc == 0; i++) {
		struct day *d = &w->days[i];
		if (d->built || d->building ||
		    (!all && !settled(w, seen, from, until, busy, queued, nq, d)))
			continue;
		double t0 = ds_elapsed();
		struct ds_day *dd = NULL;
		d->building = 1;
		d->dirty = 0;
		rc = ds_day_read(w->st, d->day, &dd);
		if (rc == 0) {
			pthread_mutex_unlock(&w->smu);
			rc = ds_day_build(dd);
			pthread_mutex_lock(&w->smu);
		}
		if (rc == 0)
			rc = ds_day_write(w->st, dd);
		else if (rc == 1) /* too large to hold: in passes, holding the store */
			rc = ds_day_stream(w->st, d->day);
		ds_day_free(dd);
		d = &w->days[i]; /* days[] may have grown meanwhile */
		d->building = 0;
		d->built = rc == 0 && !d->dirty;
		w->dayseconds += ds_elapsed() - t0;
		w->built += rc == 0;
	}
	return rc;
}

/* Write a package (with smu held). */
static int store_hour(struct ds_writer *w, struct ds_hourpkg *p)
{
	int rc = note_day(w, (int32_t)ds_floordiv(p->hour, 24), p->reader);
	if (rc == 0) /* hours keep the full mask and packets of one dimension */
		rc = w->st->ops->put(w->st, p->hour, DS_DIM_ALL, p->rows, p->n);
	for (unsigned d = 0; d < DS_DIM_ALL && rc == 0; d++)
		if (DS_HOUR_PACKET_MASKS >> d & 1)
			rc = w->st->ops->put(w->st, p->hour, d, p->packets[d], p->npackets[d]);
	return rc;
}

void ds_writer_reader_span(struct ds_writer *w, int r, int32_t from, int32_t until)
{
	pthread_mutex_lock(&w->mu);
	w->from[r] = from;
	w->until[r] = until;
	pthread_mutex_unlock(&w->mu);
}

void ds_writer_reader_handover(struct ds_writer *w, int r, int nr, int32_t from)
{
	pthread_mutex_lock(&w->mu);
	w->from[nr] = from;
	w->until[nr] = w->until[r];
	if (from != INT32_MAX)
		w->until[r] = from + DS_AGG_LAG_HOURS;
	pthread_mutex_unlock(&w->mu);
}

void ds_writer_reader_done(struct ds_writer *w, int r)
{
	pthread_mutex_lock(&w->mu);
	w->seen[r] = INT32_MAX;
	pthread_mutex_unlock(&w->mu);
}

static void fail(struct ds_writer *w, int rc)
{
	if (rc < 0 && !w->rc) {
		w->rc = rc;
		snprintf(w->err, sizeof w->err, "%s", ds_lasterr());
	}
}

static void *run(void *arg)
{
	struct worker *me = arg;
	struct ds_writer *w = me->w;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->head && !w->done)
			pthread_cond_wait(&w->more, &w->mu);
		struct ds_hourpkg *p = w->head;
		if (!p)
			break;
		w->head = p->next;
		if (!w->head)
			w->tail = NULL;
		int failed = w->rc;
		if (w->seen[p->reader] != INT32_MAX) /* where the reader is now */
			w->seen[p->reader] = p->hour;
		w->busy[me->id] = p->hour;
		pthread_mutex_unlock(&w->mu);
		double t0 = ds_elapsed();
		int rc = 0;
		if (!failed) /* (before the store is taken: both workers at once) */
			rc = ds_rollup_hour_packets(p->rows, p->n, p->packets, p->npackets);
		if (!failed && rc == 0) {
			pthread_mutex_lock(&w->smu);
			rc = store_hour(w, p);
			pthread_mutex_lock(&w->mu);
			w->busy[me->id] = INT32_MIN;
			pthread_mutex_unlock(&w->mu);
			if (rc == 0)
				rc = build_due(w, 0);
			pthread_mutex_unlock(&w->smu);
		}
		size_t bytes = p->bytes;
		ds_hourpkg_free(p);
		double t1 = ds_elapsed();
		pthread_mutex_lock(&w->mu);
		w->busy[me->id] = INT32_MIN;
		w->seconds += t1 - t0;
		w->pending--;
		w->bytes -= bytes;
		fail(w, rc);
		pthread_cond_broadcast(&w->room);
	}
	/* the queue is done: build the days left, both workers side by side.
	 * The store saves what it has first (the first worker here asks it),
	 * to work on it while they are built. */
	int failed = w->rc, step = !w->stepped;
	w->stepped = 1;
	pthread_mutex_unlock(&w->mu);
	if (!failed) {
		double t0 = ds_elapsed();
		pthread_mutex_lock(&w->smu);
		int rc = step && w->st->ops->step ? w->st->ops->step(w->st) : 0;
		if (rc == 0)
			rc = build_due(w, 0);
		pthread_mutex_unlock(&w->smu);
		pthread_mutex_lock(&w->mu);
		w->seconds += ds_elapsed() - t0;
		fail(w, rc);
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

int ds_writer_start(struct ds_writer **out, struct ds_store *st, int nreaders, size_t max_pending)
{
	if (nreaders < 1 || nreaders > DS_WRITER_SLOTS)
		return ds_fail(DS_E_USAGE, "store writer: %d readers (1 to %d)", nreaders,
		               DS_WRITER_SLOTS);
	struct ds_writer *w = calloc(1, sizeof *w);
	if (!w)
		return ds_fail(DS_E_NOMEM, "out of memory");
	w->st = st;
	w->nreaders = nreaders;
	for (int r = 0; r < nreaders; r++)
		w->seen[r] = INT32_MIN, w->from[r] = w->until[r] = INT32_MAX;
	w->max_pending = max_pending && max_pending <= DS_WRITER_MAX_PENDING ? max_pending : 4;
	w->max_bytes = ds_env_size("DARKSCOPE_WRITER_BYTES", DS_WRITER_MAX_BYTES); /* (tests) */
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->smu, NULL);
	pthread_cond_init(&w->more, NULL);
	pthread_cond_init(&w->room, NULL);
	for (int k = 0; k < NWORKERS; k++) {
		w->busy[k] = INT32_MIN;
		w->workers[k] = (struct worker){.w = w, .id = k};
		w->workers[k].started =
		        pthread_create(&w->workers[k].tid, NULL, run, &w->workers[k]) == 0;
		char name[16]; /* (for top -H, perf, gdb) */
		snprintf(name, sizeof name, "ds-store%d", k);
		if (w->workers[k].started)
			pthread_setname_np(w->workers[k].tid, name);
	}
	if (!w->workers[0].started) {
		double a = 0, b = 0;
		unsigned c = 0;
		ds_writer_finish(w, &a, &b, &c);
		return ds_fail(DS_E_NOMEM, "cannot start the store writer thread");
	}
	*out = w;
	return 0;
}

int ds_writer_put(struct ds_writer *w, struct ds_hourpkg *pkg)
{
	pthread_mutex_lock(&w->mu);
	while ((w->pending >= w->max_pending ||
	        (w->pending > 0 && w->bytes + pkg->bytes > w->max_bytes)) &&
	       !w->rc)
		pthread_cond_wait(&w->room, &w->mu);
	int rc = w->rc;
	if (rc == 0) {
		pkg->next = NULL;
		if (w->tail)
			w->tail->next = pkg;
		else
			w->head = pkg;
		w->tail = pkg;
		w->pending++;
		w->bytes += pkg->bytes;
		w->peak_bytes = w->bytes > w->peak_bytes ? w->bytes : w->peak_bytes;
		pthread_cond_signal(&w->more);
	}
	pthread_mutex_unlock(&w->mu);
	if (rc)
		return ds_fail(DS_E_STORE, "%s", w->err);
	return 0;
}

size_t ds_writer_peak_bytes(struct ds_writer *w)
{
	pthread_mutex_lock(&w->mu);
	size_t b = w->peak_bytes;
	pthread_mutex_unlock(&w->mu);
	return b;
}

int ds_writer_finish(struct ds_writer *w, double *hour_seconds, double *day_seconds,
                     unsigned *days_built)
{
	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_cond_broadcast(&w->more);
	pthread_mutex_unlock(&w->mu);
	for (int k = 0; k < NWORKERS; k++)
		if (w->workers[k].started)
			pthread_join(w->workers[k].tid, NULL);
	int rc = w->rc;
	if (rc == 0) {
		pthread_mutex_lock(&w->smu);
		rc = build_due(w, 1);
		pthread_mutex_unlock(&w->smu);
	} else
		ds_fail(DS_E_STORE, "%s", w->err);
	*hour_seconds += w->seconds;
	*day_seconds += w->dayseconds;
	*days_built += w->built;
	free(w->days);
	pthread_mutex_destroy(&w->mu);
	pthread_mutex_destroy(&w->smu);
	pthread_cond_destroy(&w->more);
	pthread_cond_destroy(&w->room);
	free(w);
	return rc;
}
