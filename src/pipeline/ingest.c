/* ingest.c - run the pipeline over files, one transaction per file group. */
#include "darkscope/ingest.h"

#include "darkscope/capture.h"
#include "darkscope/classify.h"
#include "darkscope/decode.h"
#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/geo.h"
#include "darkscope/limits.h"
#include "darkscope/log.h"
#include "pipeline/writer.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct shared {
	struct ds_store *st;
	struct ds_writer *writer; /* of the current group */
	pthread_mutex_t mu;       /* guards t_encode, geo_hits, geo_misses */
	uint64_t geo_hits, geo_misses;
	double t_encode, t_store, t_days; /* seconds spent, for -v */
	unsigned days_built;
	const struct ds_ingest_opts *o;
	const struct ds_sensormap *map;
	struct ds_geo *geo; /* the database, opened once: each reader has a cache over it */
	/* A reader out of work takes the group's next file, or else the second
	 * half of what another reader still has to read (give()), so that the
	 * readers of a group end together however its files' sizes and the
	 * threads' shares of the CPUs differ.  Guarded by cut_mu; busy readers
	 * peek at `hungry` unlocked. */
	pthread_mutex_t cut_mu;
	pthread_cond_t cut_cv;
	int hungry; /* readers waiting for a part */
	int busy;   /* parts being read or waiting for a reader */
	/* parts waiting for a reader, in order: files beyond one a thread, and
	 * parts cut off */
	struct job *offers, *last_offer;
	int noffers;
	struct job **parts; /* every part of the group, in the writer's reader order */
	int nparts;         /* parts so far */
	struct job *cuts;   /* room for the parts cut off */
	int ncuts, maxcuts;
	int readers; /* threads reading the group: they share the memory budgets */
};

struct job {
	const char *path;
	struct shared *sh;
	int reader;        /* index within its group */
	int part, nparts;  /* which part of its file this reader reads, of how many planned */
	int ncut;          /* (a file's first part) parts of the file cut off while read */
	struct job *whole; /* the job of the file's first part (itself if not split) */
	uint64_t from, to; /* a part's byte range (to = 0: to the end) */
	int no_split;      /* a split read of the file failed: read it whole */
	char digest[33];
	uint64_t bytes;  /* raw size, 0 when unknown */
	int late_digest; /* digested as it is read: no stored file has its size */
	int rc;          /* 0, or the failure code */
	double done;     /* (a thread's first part) when its last part ended, for -v */
	struct job *next_offer;
	char err[1024];
	int partial;
	uint64_t frames, nonip, bad, unattributed;
	int64_t first_ts, last_ts;
	uint64_t bad_rec, bad_off; /* the first undecodable frame: record (of the part), offset */
	const char *bad_why;
};

/* Hand one finished hour to the writer, its packets of the one-dimension
 * masks summed here, in the reader's thread. */
static int emit_hour(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct job *j = ctx;
	struct shared *sh = j->sh;
	struct ds_hourpkg *pkg;
	double t0 = ds_elapsed();
	int rc = ds_hourpkg_make(hour, rows, n, &pkg);
	if (rc < 0)
		return rc;
	pkg->reader = j->reader;
	pthread_mutex_lock(&sh->mu);
	sh->t_encode += ds_elapsed() - t0;
	pthread_mutex_unlock(&sh->mu);
	if ((rc = ds_writer_put(sh->writer, pkg)) < 0)
		ds_hourpkg_free(pkg);
	return rc;
}

static void note_bad(struct job *j, const struct ds_frame *f, const struct ds_pkt *p,
                     uint64_t recno)
{
	if (j->bad++ == 0) {
		j->bad_rec = recno;
		j->bad_off = f->offset;
		j->bad_why = p->why;
	}
}

/* Count one batch of decoded packets: per-packet statistics, then geo and
 * aggregation over the whole batch so their cache misses overlap. */
static int count_batch(struct job *j, struct ds_geo *geo, struct ds_agg *agg, struct ds_pkt *p,
                       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i].proto == DS_PROTO_NONIP)
			j->nonip++;
		if (p[i].sensor == 0)
			j->unattributed++;
		if (p[i].ts < j->first_ts)
			j->first_ts = p[i].ts;
		if (p[i].ts > j->last_ts)
			j->last_ts = p[i].ts;
	}
	j->frames += n;
	ds_geo_annotate_batch(geo, p, n);
	return ds_agg_add_batch(agg, p, n);
}

#define BATCH 32

static int32_t first_hour(const struct job *j);

/* Queue part j for the next reader out of work (with cut_mu held). */
static void offer(struct shared *sh, struct job *j)
{
	j->next_offer = NULL;
	if (sh->last_offer)
		sh->last_offer->next_offer = j;
	else
		sh->offers = j;
	sh->last_offer = j;
	sh->noffers++;
}

/* Reader j, whose capture is at `cap` in a mapping of `size` bytes, cuts
 * the rest of its part in two for a reader out of work when at least two
 * parts' worth (o->split) is left: it reads on up to a record near the
 * middle, and the other reads from there to j's end.  Returns 0 when j is
 * not to be asked again (too little left, no record found where it looked,
 * or the group has as many parts as it can have). */
static int give(struct job *j, struct ds_capture *cap, uint64_t size)
{
	struct shared *sh = j->sh;
	uint64_t end = j->to ? j->to : size, pos = cap->mpos, min = sh->o->split, at;
	if (pos >= end || end - pos < 2 * min)
		return 0;
	pthread_mutex_lock(&sh->cut_mu);
	int more = sh->ncuts < sh->maxcuts;
	if (more && sh->hungry > sh->noffers) {
		more = ds_capture_cut(cap, pos + (end - pos) / 2, &at) == 1;
		if (more) {
			struct job *w = j->whole, *nj = &sh->cuts[sh->ncuts++];
			*nj = (struct job){.path = j->path,
			                   .sh = sh,
			                   .whole = w,
			                   .part = w->nparts + w->ncut++,
			                   .nparts = 2, /* (more than one: a range to read) */
			                   .reader = sh->nparts,
			                   .from = at,
			                   .to = j->to};
			j->to = at;
			sh->parts[sh->nparts++] = nj;
			ds_writer_reader_handover(sh->writer, j->reader, nj->reader,
			                          first_hour(nj));
			offer(sh, nj);
			sh->busy++;
			pthread_cond_signal(&sh->cut_cv);
			DS_DEBUG("ingest", "%s: bytes %llu-%llu handed from reader %d to reader %d",
			         j->path, (unsigned long long)at, (unsigned long long)end,
			         j->reader, nj->reader);
		}
	}
	pthread_mutex_unlock(&sh->cut_mu);
	return more;
}

/* The reader of a part that ended (ok: it did not fail) waits for another
 * while any part is being read; NULL when none is left for it. */
static struct job *next_part(struct shared *sh, int ok)
{
	struct job *nj = NULL;
	pthread_mutex_lock(&sh->cut_mu);
	sh->busy--;
	if (ok) {
		__atomic_fetch_add(&sh->hungry, 1, __ATOMIC_RELAXED);
		while (!sh->offers && sh->busy > 0)
			pthread_cond_wait(&sh->cut_cv, &sh->cut_mu);
		if ((nj = sh->offers) != NULL) {
			if (!(sh->offers = nj->next_offer))
				sh->last_offer = NULL;
			sh->noffers--;
		}
		__atomic_fetch_sub(&sh->hungry, 1, __ATOMIC_RELAXED);
	}
	if (sh->busy == 0)
		pthread_cond_broadcast(&sh->cut_cv);
	pthread_mutex_unlock(&sh->cut_mu);
	return nj;
}

static int read_file(struct job *j, struct ds_geo *geo, struct ds_agg *agg)
{
	struct ds_capture cap;
	struct ds_frame f;
	struct ds_pkt p[BATCH];
	size_t n = 0;
	const struct ds_sensormap *map = j->sh->map;
	struct ds_classify_memo memo = DS_CLASSIFY_MEMO_INIT;
	uint64_t size = 0;
	int rc = ds_capture_open(&cap, j->path);
	if (rc < 0)
		return rc;
	/* (a part of a file read whole after a failed split is not cut) */
	int cuttable = !j->no_split && j->sh->o->split > 0 && !ds_is_stdin(j->path) &&
	               ds_capture_mapped(&cap, &size);
	if ((j->late_digest && (rc = ds_capture_digest_as_read(&cap)) < 0) ||
	    ((j->nparts > 1 || cuttable) && (rc = ds_capture_range(&cap, j->from, j->to)) < 0)) {
		ds_capture_close(&cap);
		return rc;
	}
	j->first_ts = INT64_MAX;
	j->last_ts = INT64_MIN;
	for (;;) {
		rc = ds_capture_next(&cap, &f);
		if (rc == 1) {
			ds_decode(&f, &p[n]);
			if (p[n].proto == DS_PROTO_BAD)
				note_bad(j, &f, &p[n], cap.records);
			n++;
		}
		if (n == BATCH || (rc != 1 && n)) {
			ds_classify_batch(map, p, n, &memo);
			int arc = count_batch(j, geo, agg, p, n);
			n = 0;
			if (arc < 0) {
				rc = arc;
				break;
			}
			if (cuttable && __atomic_load_n(&j->sh->hungry, __ATOMIC_RELAXED) > 0)
				cuttable = give(j, &cap, size);
		}
		if (rc != 1)
			break;
	}
	/* (a part that fails fails its file, which is then read whole: so the
	 * cut is counted and reported as it is without a split) */
	if (rc == -DS_E_TRUNCATED && j->sh->o->partial && j->nparts == 1) {
		fprintf(stderr,
		        "darkscope: %s (--partial: the %llu complete records are counted)\n",
		        ds_lasterr(), (unsigned long long)cap.records);
		j->partial = 1;
		rc = 0;
	}
	if (rc == 0)
		rc = ds_agg_flush(agg);
	if (rc == 0 && (j->late_digest || ds_is_stdin(j->path))) {
		rc = ds_capture_drain(&cap);
		ds_capture_digest(&cap, j->digest);
		j->bytes = ds_capture_raw_bytes(&cap);
	}
	ds_capture_close(&cap);
	return rc;
}

/* A reader thread: its part, then the parts cut off for it. */
static void *worker(void *arg)
{
	struct job *first = arg, *j = first;
	struct shared *sh = j->sh;
	struct ds_geo *geo = NULL;
	/* the readers' memory is bounded together, however many there are: past
	 * DS_INGEST_FULL_READERS, each has a smaller geo cache, and each has 1/n
	 * of the aggregation budgets */
	unsigned bits = DS_GEO_CACHE_BITS;
	for (int n = sh->readers; n > DS_INGEST_FULL_READERS && bits > DS_GEO_CACHE_MIN_BITS;
	     n = (n + 1) / 2)
		bits--;
	int grc = ds_geo_open_cache(&geo, sh->geo, bits);
	while (j) {
		struct ds_agg agg;
		int rc = grc;
		if (rc == 0 && (rc = ds_agg_init(&agg, sh->o->max_keys, 0, emit_hour, j)) == 0) {
			ds_agg_share(&agg, (unsigned)sh->readers);
			rc = read_file(j, geo, &agg);
			ds_agg_free(&agg);
		}
		if (rc < 0) {
			j->rc = rc;
			snprintf(j->err, sizeof j->err, "%s", ds_lasterr());
		}
		ds_writer_reader_done(sh->writer, j->reader);
		first->done = ds_elapsed();
		j = next_part(sh, rc == 0);
	}
	if (geo) {
		uint64_t h, m;
		ds_geo_stats(geo, &h, &m);
		pthread_mutex_lock(&sh->mu);
		sh->geo_hits += h;
		sh->geo_misses += m;
		pthread_mutex_unlock(&sh->mu);
	}
	ds_geo_close(geo);
	return NULL;
}

static void summary(const struct job *j)
{
	char a[32] = "-", b[32] = "-";
	if (j->frames) {
		time_t t0 = (time_t)j->first_ts, t1 = (time_t)j->last_ts;
		struct tm tm;
		strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
		strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
	}
	printf("ingested %s: %llu packets (%llu unattributed, %llu not IP, %llu undecodable), %s "
	       ".. %s%s\n",
	       ds_is_stdin(j->path) ? "<stdin>" : j->path, (unsigned long long)j->frames,
	       (unsigned long long)j->unattributed, (unsigned long long)j->nonip,
	       (unsigned long long)j->bad, a, b, j->partial ? " (partial)" : "");
	if (j->bad)
		fprintf(stderr,
		        "darkscope: %s: %llu frames could not be decoded (first: record %llu at "
		        "offset %llu: %s)\n",
		        j->path, (unsigned long long)j->bad, (unsigned long long)j->bad_rec,
		        (unsigned long long)j->bad_off, j->bad_why);
}

/* Give file j up to `want` readers when it is a plain capture of at least two
 * parts of o->split bytes (ds_capture_split).  Its first part (j itself) and
 * the others (made in extra[]) are added to readers[]; returns the number of
 * extra parts.  A file that cannot be opened here is read whole, and fails in
 * its reader. */
static int plan_parts(struct job *j, int want, struct job *extra, struct job **readers, int *nr)
{
	uint64_t at[DS_MAX_THREADS];
	j->whole = j;
	j->part = 0;
	j->nparts = 1;
	j->ncut = 0;
	j->from = j->to = 0;
	readers[(*nr)++] = j;
	int n = j->no_split ? 1 : ds_capture_split(j->path, want, j->sh->o->split, at);
	if (n < 2)
		return 0;
	j->nparts = n;
	j->to = at[1];
	for (int k = 1; k < n; k++) {
		extra[k - 1] = (struct job){.path = j->path,
		                            .sh = j->sh,
		                            .whole = j,
		                            .part = k,
		                            .nparts = n,
		                            .from = at[k],
		                            .to = k + 1 < n ? at[k + 1] : 0};
		readers[(*nr)++] = &extra[k - 1];
	}
	char list[DS_MAX_THREADS * 21] = "0";
	for (int k = 1, len = 1; k < n; k++)
		len += snprintf(list + len, sizeof list - (size_t)len, " %llu",
		                (unsigned long long)at[k]);
	DS_INFO("ingest", "%s: %d readers, from offsets %s", j->path, n, list);
	return n - 1;
}

/* Parts by file, then by offset (for qsort). */
static int by_file_order(const void *a, const void *b)
{
	const struct job *x = *(struct job *const *)a, *y = *(struct job *const *)b;
	uintptr_t wx = (uintptr_t)x->whole, wy = (uintptr_t)y->whole;
	if (wx != wy)
		return (wx > wy) - (wx < wy);
	return (x->from > y->from) - (x->from < y->from);
}

/* Add part p's counts to its file's job (parts are added in order). */
static void join_part(struct job *w, const struct job *p)
{
	if (p->rc < 0 && w->rc == 0) {
		w->rc = p->rc;
		memcpy(w->err, p->err, sizeof w->err);
	}
	if (p->bad && !w->bad) {
		w->bad_rec = w->frames + p->bad_rec;
		w->bad_off = p->bad_off;
		w->bad_why = p->bad_why;
	}
	if (p->frames) {
		w->first_ts = w->frames && w->first_ts < p->first_ts ? w->first_ts : p->first_ts;
		w->last_ts = w->frames && w->last_ts > p->last_ts ? w->last_ts : p->last_ts;
	}
	w->frames += p->frames;
	w->nonip += p->nonip;
	w->bad += p->bad;
	w->unattributed += p->unattributed;
}

/* The hour of the first record reader j will count, read ahead of it; or
 * INT32_MAX where that cannot be known without reading it (stdin), or the
 * reader would fail there (it says why itself). */
static int32_t first_hour(const struct job *j)
{
	struct ds_capture c;
	struct ds_frame f;
	int32_t h = INT32_MAX;
	if (ds_is_stdin(j->path) || ds_capture_open(&c, j->path) < 0)
		return h;
	if ((j->nparts <= 1 || ds_capture_range(&c, j->from, j->to) == 0) &&
	    ds_capture_next(&c, &f) == 1)
		h = (int32_t)ds_floordiv(f.ts_sec, 3600);
	ds_capture_close(&c);
	return h;
}

/* Tell the writer the hours each reader will send: from its first record's,
 * and for a part followed by another, up to where that one starts. */
static void tell_spans(struct ds_writer *w, struct job **rd, int nr)
{
	int32_t from[DS_WRITER_SLOTS];
	for (int i = 0; i < nr; i++)
		from[i] = first_hour(rd[i]);
	for (int i = 0; i < nr; i++) {
		int last = i + 1 == nr || rd[i + 1]->part == 0 || from[i + 1] == INT32_MAX;
		ds_writer_reader_span(w, i, from[i],
		                      last ? INT32_MAX : from[i + 1] + DS_AGG_LAG_HOURS);
	}
}

/* Read files[0..n) in one transaction, `threads` readers among them.
 * Returns 0, or -1 when some file failed (the transaction is then rolled back
 * and nothing of the group is kept). */
static int run_group(struct shared *sh, struct job **jobs, int n, int threads, int *dup_stdin)
{
	struct ds_store *st = sh->st;
	struct job *rd[DS_WRITER_SLOTS];
	struct job *extra = calloc((size_t)threads, sizeof *extra),
	           *cuts = calloc(DS_WRITER_SLOTS, sizeof *cuts);
	int nr = 0, nx = 0;
	if (!extra || !cuts) {
		free(extra);
		free(cuts);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	for (int i = 0; i < n; i++)
		nx += plan_parts(jobs[i], threads / n + (i < threads % n), extra + nx, rd, &nr);
	int rc = st->ops->begin(st);
	if (rc < 0) {
		free(extra);
		free(cuts);
		return rc;
	}
	for (int i = 0; i < nr; i++)
		rd[i]->reader = i;
	/* (a reader of the writer for each part, those cut off too) */
	if ((rc = ds_writer_start(&sh->writer, st, DS_WRITER_SLOTS, 4)) < 0) {
		st->ops->rollback(st);
		free(extra);
		free(cuts);
		return rc;
	}
	tell_spans(sh->writer, rd, nr);
	sh->parts = rd;
	sh->nparts = sh->busy = nr;
	sh->hungry = sh->noffers = sh->ncuts = 0;
	sh->offers = sh->last_offer = NULL;
	/* parts beyond one a thread wait for a reader out of work, in order
	 * (queued before any reader starts: none is cut while they wait) */
	int nth = nr < threads ? nr : threads;
	sh->readers = nth;
	for (int i = nth; i < nr; i++)
		offer(sh, rd[i]);
	sh->cuts = cuts;
	sh->maxcuts = DS_WRITER_SLOTS - nr;
	double t0 = ds_elapsed();
	pthread_t tid[DS_MAX_THREADS];
	int started[DS_MAX_THREADS] = {0};
	for (int i = 1; i < nth; i++) {
		started[i] = pthread_create(&tid[i], NULL, worker, rd[i]) == 0;
		char name[16]; /* (for top -H, perf, gdb; the first reads on the main thread) */
		snprintf(name, sizeof name, "ds-read%d", i);
		if (started[i])
			pthread_setname_np(tid[i], name);
		else { /* (its part waits for a reader that ran out of work) */
			pthread_mutex_lock(&sh->cut_mu);
			offer(sh, rd[i]);
			pthread_mutex_unlock(&sh->cut_mu);
		}
	}
	worker(rd[0]);
	for (int i = 1; i < nth; i++)
		if (started[i])
			pthread_join(tid[i], NULL);
	int wrc = ds_writer_finish(sh->writer, &sh->t_store, &sh->t_days, &sh->days_built);
	sh->writer = NULL;
	double first = INFINITY, last = 0, stored = ds_elapsed();
	for (int i = 0; i < nth; i++)
		if (i == 0 || started[i]) {
			first = rd[i]->done < first ? rd[i]->done : first;
			last = rd[i]->done > last ? rd[i]->done : last;
		}
	/* each file's parts in the file's order (those cut off came last) */
	int nparts = sh->nparts;
	for (int i = 0; i < n; i++)
		jobs[i]->nparts += jobs[i]->ncut; /* (one that fails is read again whole) */
	qsort(rd, (size_t)nparts, sizeof *rd, by_file_order);
	for (int k = 0; k < nparts; k++)
		if (rd[k]->part > 0)
			join_part(rd[k]->whole, rd[k]);
	free(extra);
	free(cuts);
	int failed = 0;
	for (int i = 0; i < n; i++)
		failed |= jobs[i]->rc < 0;
	if (wrc < 0 && !failed) { /* the store failed under a file that did not */
		st->ops->rollback(st);
		return wrc;
	}
	*dup_stdin = 0;
	if (!failed && n == 1 && ds_is_stdin(jobs[0]->path)) {
		struct ds_file_info old;
		char path[512];
		int seen = st->ops->file_seen(st, jobs[0]->digest, &old, path, sizeof path);
		if (seen != 0) {
			*dup_stdin = seen > 0;
			st->ops->rollback(st);
			return seen < 0 ? seen : 0;
		}
	}
	for (int i = 0; i < n && !failed; i++) {
		struct job *j = jobs[i];
		struct ds_file_info fi = {.path = j->path,
		                          .packets = j->frames,
		                          .first_ts = j->frames ? j->first_ts : 0,
		                          .last_ts = j->frames ? j->last_ts : 0,
		                          .partial = j->partial,
		                          .bytes = j->bytes};
		memcpy(fi.digest, j->digest, sizeof fi.digest);
		if ((rc = st->ops->file_add(st, &fi)) < 0) {
			j->rc = rc;
			snprintf(j->err, sizeof j->err, "%s", ds_lasterr());
			failed = 1;
		}
	}
	if (failed) {
		st->ops->rollback(st);
		return -1;
	}
	double tc = ds_elapsed();
	rc = st->ops->commit(st);
	/* where a group's time goes: the readers side by side, then the end
	 * that is not: the store writer's last hours and days, and the commit */
	DS_INFO("ingest",
	        "%d file%s, %d reader%s, %d part%s cut off for readers out of work: the readers "
	        "ended %.3f-%.3f s after they started, the store writer %.3f s after the last, "
	        "the commit took %.3f s",
	        n, n == 1 ? "" : "s", nth, nth == 1 ? "" : "s", nparts - nr,
	        nparts - nr == 1 ? "" : "s", first - t0, last - t0, stored - last,
	        ds_elapsed() - tc);
	return rc;
}

static int register_sensors(struct ds_store *st, const struct ds_config *cfg, uint16_t *ids)
{
	int rc = st->ops->begin(st);
	for (unsigned i = 0; i < cfg->nsensors && rc == 0; i++)
		rc = st->ops->sensor_id(st, cfg->sensors[i].name, i ? cfg->sensors[i].alias : NULL,
		                        &ids[i]);
	if (rc < 0) {
		st->ops->rollback(st);
		return rc;
	}
	return st->ops->commit(st);
}

/* The digests of the files, `threads` at a time (stdin's is known only
 * once read).  A file that cannot be read gets rc < 0 and its error. */
struct digests {
	struct job *jobs;
	int n, next;
	pthread_mutex_t mu;
};

static void *digest_worker(void *arg)
{
	struct digests *d = arg;
	for (;;) {
		pthread_mutex_lock(&d->mu);
		int i = d->next++;
		pthread_mutex_unlock(&d->mu);
		if (i >= d->n)
			return NULL;
		struct job *j = &d->jobs[i];
		if (j->late_digest || ds_is_stdin(j->path))
			continue;
		if ((j->rc = ds_file_digest(j->path, j->digest)) < 0)
			snprintf(j->err, sizeof j->err, "%s", ds_lasterr());
	}
}

/* A regular file whose size no stored file has (nor one of unknown size),
 * nor another file of the list, cannot be one ingested before: its digest is
 * taken as it is read, saving a pass over the file.  Others are digested
 * first, so that a file ingested before is skipped without reading it. */
static int plan_digests(struct ds_store *st, struct job *jobs, int n)
{
	for (int i = 0; i < n; i++) {
		struct stat sb;
		if (!ds_is_stdin(jobs[i].path) && stat(jobs[i].path, &sb) == 0 &&
		    S_ISREG(sb.st_mode) && sb.st_size > 0)
			jobs[i].bytes = (uint64_t)sb.st_size;
	}
	for (int i = 0; i < n; i++) {
		if (!jobs[i].bytes)
			continue;
		int seen = st->ops->file_size_seen(st, jobs[i].bytes);
		if (seen < 0)
			return seen;
		for (int k = 0; k < n && !seen; k++)
			seen = k != i && jobs[k].bytes == jobs[i].bytes;
		jobs[i].late_digest = !seen;
	}
	return 0;
}

static void digest_all(struct job *jobs, int n, int threads)
{
	struct digests d = {.jobs = jobs, .n = n};
	pthread_t tid[DS_MAX_THREADS];
	int started = 0;
	pthread_mutex_init(&d.mu, NULL);
	while (started < threads - 1 && started < n - 1 &&
	       pthread_create(&tid[started], NULL, digest_worker, &d) == 0)
		started++;
	digest_worker(&d);
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&d.mu);
}

/* Is files[i] (its digest known) already stored, or earlier in this list? */
static int already(struct ds_store *st, struct job *j, struct job *jobs, int i)
{
	struct ds_file_info old;
	char path[512];
	if (ds_is_stdin(j->path) || j->late_digest)
		return 0;
	int rc;
	for (int k = 0; k < i; k++)
		if (jobs[k].rc == 0 && strcmp(jobs[k].digest, j->digest) == 0) {
			printf("skipped %s: same content as %s\n", j->path, jobs[k].path);
			return 1;
		}
	rc = st->ops->file_seen(st, j->digest, &old, path, sizeof path);
	if (rc == 1)
		printf("skipped %s: already ingested as %s (%llu packets)\n", j->path, path,
		       (unsigned long long)old.packets);
	return rc;
}

int ds_ingest(struct ds_store *st, const struct ds_ingest_opts *o, char *const *files, int nfiles,
              struct ds_ingest_result *res)
{
	uint16_t *ids = calloc(o->cfg->nsensors, sizeof *ids);
	struct job *jobs = calloc(nfiles ? (size_t)nfiles : 1, sizeof *jobs);
	struct ds_sensormap map = {0};
	struct shared sh = {.st = st, .o = o, .map = &map};
	int first_err = 0, rc, threads = o->threads;
	memset(res, 0, sizeof *res);
	if (!ids || !jobs) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = register_sensors(st, o->cfg, ids)) < 0 ||
	    (rc = ds_sensormap_init(&map, o->cfg, ids, o->forced_sensor)) < 0 ||
	    (rc = ds_geo_open(&sh.geo, o->geoip)) < 0)
		goto out;
	pthread_mutex_init(&sh.mu, NULL);
	pthread_mutex_init(&sh.cut_mu, NULL);
	pthread_cond_init(&sh.cut_cv, NULL);
	if (threads <= 0) {
		threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
		if (threads > DS_DEFAULT_READERS)
			threads = DS_DEFAULT_READERS;
	}
	if (threads < 1)
		threads = 1;
	if (threads > DS_MAX_THREADS)
		threads = DS_MAX_THREADS;
	/* Pending files, in order; skipped and failed ones drop out. */
	struct job **todo = calloc(nfiles ? (size_t)nfiles : 1, sizeof *todo);
	int ntodo = 0;
	if (!todo) {
		rc = ds_fail(DS_E_NOMEM, "out of memory");
		goto out_mu;
	}
	for (int i = 0; i < nfiles; i++) {
		jobs[i].path = files[i];
		jobs[i].sh = &sh;
	}
	if ((rc = plan_digests(st, jobs, nfiles)) < 0)
		goto out_todo;
	int late = 0, piped = 0;
	for (int i = 0; i < nfiles; i++) {
		late += jobs[i].late_digest;
		piped += ds_is_stdin(jobs[i].path);
	}
	DS_INFO("ingest",
	        "file digests: %d taken while reading (a size not stored before), %d first%s", late,
	        nfiles - late - piped, piped ? ", stdin's as it is read" : "");
	digest_all(jobs, nfiles, threads);
	for (int i = 0; i < nfiles; i++) {
		int seen = jobs[i].rc < 0 ? jobs[i].rc : already(st, &jobs[i], jobs, i);
		if (seen < 0) {
			fprintf(stderr, "darkscope: %s\n",
			        jobs[i].rc < 0 ? jobs[i].err : ds_lasterr());
			jobs[i].rc = seen;
			res->failed++;
			first_err = first_err ? first_err : seen;
		} else if (seen) {
			jobs[i].rc = 1;
			res->skipped++;
		} else {
			todo[ntodo++] = &jobs[i];
		}
	}
	double t0 = ds_elapsed();
	for (int at = 0; at < ntodo;) {
		struct job *group[DS_GROUP_FILES] = {0}; /* (gcc cannot see n >= 1) */
		int n = 0;
		/* up to DS_GROUP_FILES files in one transaction, whose readers
		 * take them in turn; stdin runs alone: its digest is known only
		 * at its end */
		while (at < ntodo && n < DS_GROUP_FILES) {
			int piped_in = ds_is_stdin(todo[at]->path);
			if (piped_in && n > 0)
				break;
			group[n++] = todo[at++];
			if (piped_in)
				break;
		}
		int dup = 0;
		rc = run_group(&sh, group, n, threads, &dup);
		if (rc == 0) {
			for (int i = 0; i < n; i++) {
				if (dup) {
					printf("skipped <stdin>: already ingested\n");
					res->skipped++;
					continue;
				}
				if (!o->quiet)
					summary(group[i]);
				res->ingested++;
				res->packets += group[i]->frames;
			}
			continue;
		}
		if (rc != -1) { /* the store itself failed */
			fprintf(stderr, "darkscope: %s\n", ds_lasterr());
			first_err = first_err ? first_err : rc;
			res->failed += (unsigned)n;
			continue;
		}
		/* Report the failed files; run the others of the group again. */
		struct job *keep[DS_GROUP_FILES];
		int again = 0;
		for (int i = 0; i < n; i++) {
			struct job *j = group[i];
			if (j->rc < 0 &&
			    j->nparts > 1) /* read it again, whole: it may fail there too */
				DS_INFO("ingest", "%s: split read failed (%s); reading it whole",
				        j->path, j->err);
			else if (j->rc < 0) {
				fprintf(stderr, "darkscope: %s\n", j->err);
				res->failed++;
				first_err = first_err ? first_err : j->rc;
				continue;
			}
			struct job keepj = *j;
			memset(j, 0, sizeof *j);
			j->path = keepj.path;
			j->sh = &sh;
			j->bytes = keepj.bytes;
			j->late_digest = keepj.late_digest;
			j->no_split = keepj.no_split || keepj.rc < 0;
			memcpy(j->digest, keepj.digest, sizeof j->digest);
			keep[again++] = j;
		}
		at -= again;
		for (int i = 0; i < again; i++)
			todo[at + i] = keep[i];
	}
	res->seconds = ds_elapsed() - t0;
	DS_INFO("ingest",
	        "%.3f s: encoding %.3f s, hour segments %.3f s, day rollups %.3f s (%u built)",
	        res->seconds, sh.t_encode, sh.t_store, sh.t_days, sh.days_built);
	DS_INFO("geo", "source cache: %llu hits, %llu database lookups",
	        (unsigned long long)sh.geo_hits, (unsigned long long)sh.geo_misses);
	rc = first_err;
out_todo:
	free(todo);
out_mu:
	pthread_mutex_destroy(&sh.mu);
	pthread_mutex_destroy(&sh.cut_mu);
	pthread_cond_destroy(&sh.cut_cv);
out:
	ds_geo_close(sh.geo);
	ds_sensormap_free(&map);
	free(ids);
	free(jobs);
	return rc;
}
