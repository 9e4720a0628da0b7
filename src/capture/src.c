/* src.c - mapped files and decompressing streams behind one window API. */
#include "capture/src.h"

#include "darkscope/capture.h"
#include "darkscope/err.h"
#include "darkscope/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

enum kind { K_MAP, K_RAW, K_GZ, K_ZSTD };

#define NCHUNKS 4 /* of DS_READ_CHUNK bytes, decompressed ahead */
/* A stream gets its thread once it has given this many bytes (a small one,
 * most of them, is done before a thread would pay for itself). */
#define THREAD_AFTER ((uint64_t)4 << 20)

struct ds_src {
	enum kind kind;
	int fd;
	const char *path;
	/* K_MAP */
	const uint8_t *map;
	size_t maplen, mpos;
	size_t released; /* mapped bytes below this were given back */
	size_t dpos;     /* with dig: mapped bytes below this are digested */
	int digested;
	/* streams: window buf[start, end) */
	uint8_t *buf;
	size_t cap, start, end;
	uint64_t base; /* stream offset of buf[0] */
	uint8_t *in;   /* raw input chunk */
	size_t inlen, inpos;
	uint64_t rawoff; /* raw bytes read */
	int raweof, zdone;
	z_stream z;
	int zinit;
	ZSTD_DStream *zs;
	size_t zlast; /* last ZSTD_decompressStream hint: 0 = frame complete */
	XXH3_state_t *dig;
	XXH128_hash_t mapdig;
	/* A compressed stream is decompressed on a thread of its own, up to
	 * NCHUNKS chunks ahead of the reader, which copies them into its window.
	 * The thread owns the raw input and the decoder (in, z, zs, dig, rawoff)
	 * until it is stopped; the reader owns the window. */
	int threaded, can_thread; /* runs; may run (a compressed stream) */
	uint64_t made;            /* bytes given without the thread */
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *chunk[NCHUNKS];
	size_t chunklen[NCHUNKS];
	size_t chead, cnum, coff; /* the first full chunk, how many, bytes taken of it */
	int pdone, prc, pstop;    /* the thread ended (with prc); it was told to stop */
	char perr[1024];          /* the thread's error message */
};

static int read_raw(struct ds_src *s)
{
	if (s->inpos < s->inlen || s->raweof)
		return 0;
	ssize_t r;
	do
		r = read(s->fd, s->in, DS_READ_CHUNK);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return ds_fail(DS_E_IO, "%s: read error at byte %llu: %s", s->path,
		               (unsigned long long)s->rawoff, strerror(errno));
	if (r == 0) {
		s->raweof = 1;
		return 0;
	}
	XXH3_128bits_update(s->dig, s->in, (size_t)r);
	s->inlen = (size_t)r;
	s->inpos = 0;
	s->rawoff += (uint64_t)r;
	return 0;
}

/* Produce more uncompressed bytes at out[0..room), room > 0.  Returns bytes
 * made (0 at the end of the input) or a negative code. */
static long produce_into(struct ds_src *s, uint8_t *out, size_t room)
{
	for (;;) {
		int rc = read_raw(s);
		if (rc < 0)
			return rc;
		size_t avail = s->inlen - s->inpos;
		if (avail == 0 && s->raweof) {
			if (s->kind == K_GZ && s->zinit == 2)
				return ds_fail(DS_E_TRUNCATED,
				               "%s: gzip stream ends early at byte %llu", s->path,
				               (unsigned long long)s->rawoff);
			if (s->kind == K_ZSTD && s->zlast != 0)
				return ds_fail(DS_E_TRUNCATED,
				               "%s: zstd stream ends early at byte %llu", s->path,
				               (unsigned long long)s->rawoff);
			return 0;
		}
		if (s->kind == K_RAW) {
			size_t n = avail < room ? avail : room;
			memcpy(out, s->in + s->inpos, n);
			s->inpos += n;
			return (long)n;
		}
		if (s->kind == K_GZ) {
			if (s->zinit == 1 && avail == 0)
				continue;
			if (s->zinit == 1) { /* another gzip member follows */
				inflateReset(&s->z);
			}
			s->zinit = 2;
			s->z.next_in = s->in + s->inpos;
			s->z.avail_in = (uInt)avail;
			s->z.next_out = out;
			s->z.avail_out = (uInt)room;
			int zr = inflate(&s->z, Z_NO_FLUSH);
			size_t used = avail - s->z.avail_in, made = room - s->z.avail_out;
			s->inpos += used;
			if (zr == Z_STREAM_END)
				s->zinit = 1;
			else if (zr != Z_OK && zr != Z_BUF_ERROR)
				return ds_fail(
				        DS_E_FORMAT, "%s: corrupt gzip stream near byte %llu: %s",
				        s->path,
				        (unsigned long long)(s->rawoff - (s->inlen - s->inpos)),
				        s->z.msg ? s->z.msg : "inflate failed");
			if (made)
				return (long)made;
			continue;
		}
		/* K_ZSTD */
		ZSTD_inBuffer ib = {s->in + s->inpos, avail, 0};
		ZSTD_outBuffer ob = {out, room, 0};
		size_t zr = ZSTD_decompressStream(s->zs, &ob, &ib);
		if (ZSTD_isError(zr))
			return ds_fail(DS_E_FORMAT, "%s: corrupt zstd stream near byte %llu: %s",
			               s->path, (unsigned long long)(s->rawoff - (avail - ib.pos)),
			               ZSTD_getErrorName(zr));
		s->zlast = zr;
		s->inpos += ib.pos;
		if (ob.pos)
			return (long)ob.pos;
	}
}

/* The decompressing thread: fills chunks until the input ends, fails, or
 * it is told to stop. */
static void *decompress(void *arg)
{
	struct ds_src *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (s->cnum == NCHUNKS && !s->pstop)
			pthread_cond_wait(&s->cv, &s->mu);
		int stop = s->pstop;
		size_t slot = (s->chead + s->cnum) % NCHUNKS;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		size_t len = 0; /* (the slot is this thread's until it is counted) */
		long r = 1;
		if (!s->chunk[slot] && !(s->chunk[slot] = malloc(DS_READ_CHUNK))) /* (as needed) */
			r = ds_fail(DS_E_NOMEM, "%s: out of memory", s->path);
		while (r > 0 && len < DS_READ_CHUNK &&
		       (r = produce_into(s, s->chunk[slot] + len, DS_READ_CHUNK - len)) > 0)
			len += (size_t)r;
		pthread_mutex_lock(&s->mu);
		if (len) {
			s->chunklen[slot] = len;
			s->cnum++;
		}
		if (r <= 0) {
			s->pdone = 1;
			s->prc = (int)r;
			if (r < 0)
				snprintf(s->perr, sizeof s->perr, "%s", ds_lasterr());
		}
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		if (r <= 0)
			break;
	}
	pthread_mutex_lock(&s->mu);
	s->pdone = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Go on decompressing on a thread beside the reader's (or here, without
 * one): from now on the decoder and the raw input are the thread's. */
static void start_thread(struct ds_src *s)
{
	s->can_thread = 0;
	if (pthread_mutex_init(&s->mu, NULL) != 0)
		return;
	if (pthread_cond_init(&s->cv, NULL) != 0) {
		pthread_mutex_destroy(&s->mu);
		return;
	}
	s->threaded = pthread_create(&s->tid, NULL, decompress, s) == 0;
	if (!s->threaded) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
	}
}

/* Stop the thread (if it runs) and take back what it owned. */
static void stop_thread(struct ds_src *s)
{
	if (!s->threaded)
		return;
	pthread_mutex_lock(&s->mu);
	s->pstop = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->tid, NULL);
	s->threaded = 0;
}

/* More uncompressed bytes at buf[end..cap): from the thread's chunks, or
 * made here.  Returns bytes added (0 at the end) or a negative code. */
static long produce(struct ds_src *s)
{
	if (!s->threaded) {
		if (s->pstop) /* (stopped: what it made ahead is gone) */
			return 0;
		long r = produce_into(s, s->buf + s->end, s->cap - s->end);
		if (r > 0)
			s->end += (size_t)r;
		if (r > 0 && s->can_thread && (s->made += (uint64_t)r) >= THREAD_AFTER)
			start_thread(s);
		return r;
	}
	pthread_mutex_lock(&s->mu);
	while (s->cnum == 0 && !s->pdone)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->cnum == 0) {
		int rc = s->prc;
		pthread_mutex_unlock(&s->mu);
		return rc < 0 ? ds_fail((enum ds_err) - rc, "%s", s->perr) : 0;
	}
	size_t slot = s->chead;
	pthread_mutex_unlock(&s->mu);
	size_t n = s->chunklen[slot] - s->coff, room = s->cap - s->end;
	if (n > room)
		n = room;
	memcpy(s->buf + s->end, s->chunk[slot] + s->coff, n);
	s->end += n;
	s->coff += n;
	if (s->coff == s->chunklen[slot]) {
		pthread_mutex_lock(&s->mu);
		s->chead = (s->chead + 1) % NCHUNKS;
		s->cnum--;
		s->coff = 0;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	return (long)n;
}

long ds_src_get(struct ds_src *s, size_t n, const uint8_t **p)
{
	if (s->kind == K_MAP) {
		size_t avail = s->maplen - s->mpos;
		*p = s->map + s->mpos;
		return (long)(avail < n ? avail : n);
	}
	if (s->end - s->start < n) {
		if (s->start > 0) { /* compact the window */
			memmove(s->buf, s->buf + s->start, s->end - s->start);
			s->base += s->start;
			s->end -= s->start;
			s->start = 0;
		}
		if (n > s->cap) {
			size_t ncap = s->cap;
			while (ncap < n)
				ncap *= 2;
			uint8_t *nb = realloc(s->buf, ncap);
			if (!nb)
				return ds_fail(DS_E_NOMEM, "%s: out of memory", s->path);
			s->buf = nb;
			s->cap = ncap;
		}
		while (s->end - s->start < n) {
			long r = produce(s);
			if (r < 0)
				return r;
			if (r == 0)
				break;
		}
	}
	*p = s->buf + s->start;
	size_t avail = s->end - s->start;
	return (long)(avail < n ? avail : n);
}

/* Bytes of a mapped file read before the pages are unmapped again: the page
 * cache keeps them, but they stop counting against this process. */
#define RELEASE_STEP ((size_t)512 << 10)

/* Mapped bytes digested at a time, while they are still in the cache. */
#define DIGEST_STEP ((size_t)256 << 10)

/* Hand back the mapped pages more than a step behind pos, in whole steps
 * (released stays page-aligned). */
static void release_behind(struct ds_src *s, size_t pos)
{
	if (pos < s->released + 2 * RELEASE_STEP)
		return;
	size_t n = (pos - s->released - RELEASE_STEP) / RELEASE_STEP * RELEASE_STEP;
	madvise((void *)(s->map + s->released), n, MADV_DONTNEED);
	s->released += n;
}

void ds_src_skip(struct ds_src *s, size_t n)
{
	if (s->kind != K_MAP) {
		s->start += n;
		return;
	}
	s->mpos += n;
	if (s->dig && s->mpos - s->dpos >= DIGEST_STEP) {
		XXH3_128bits_update(s->dig, s->map + s->dpos, s->mpos - s->dpos);
		s->dpos = s->mpos;
	}
	release_behind(s, s->mpos);
}

uint64_t ds_src_pos(const struct ds_src *s)
{
	return s->kind == K_MAP ? s->mpos : s->base + s->start;
}

const uint8_t *ds_src_map(const struct ds_src *s, size_t *len)
{
	*len = s->kind == K_MAP ? s->maplen : 0;
	return s->kind == K_MAP ? s->map : NULL;
}

void ds_src_seek(struct ds_src *s, uint64_t pos)
{
	if (s->kind != K_MAP || pos > s->maplen)
		return;
	s->mpos = (size_t)pos;
	/* pages below are not ours to hand back: start releasing from here */
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	s->released = s->mpos / page * page;
}

int ds_src_digest_as_read(struct ds_src *s)
{
	if (s->kind != K_MAP || s->dig)
		return 0; /* streams digest every raw byte they read anyway */
	if (!(s->dig = XXH3_createState()))
		return ds_fail(DS_E_NOMEM, "%s: out of memory", s->path);
	XXH3_128bits_reset(s->dig);
	s->dpos = 0;
	if (s->mpos)
		XXH3_128bits_update(s->dig, s->map, s->mpos), s->dpos = s->mpos;
	return 0;
}

uint64_t ds_src_raw_bytes(const struct ds_src *s)
{
	return s->kind == K_MAP ? s->maplen : s->rawoff;
}

int ds_src_drain(struct ds_src *s)
{
	if (s->kind == K_MAP) {
		/* in steps, each step's pages handed back after it (the rest of a
		 * file split among readers is as large as the part read) */
		while (s->dig && s->dpos < s->maplen) {
			size_t n = s->maplen - s->dpos < RELEASE_STEP ? s->maplen - s->dpos
			                                              : RELEASE_STEP;
			XXH3_128bits_update(s->dig, s->map + s->dpos, n);
			s->dpos += n;
			release_behind(s, s->dpos);
		}
		return 0;
	}
	stop_thread(s); /* (the rest is read raw, for the digest, not decompressed) */
	while (!s->raweof) {
		s->inpos = s->inlen;
		int rc = read_raw(s);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void ds_src_digest(struct ds_src *s, char out[33])
{
	XXH128_hash_t h;
	if (s->kind == K_MAP && s->dig) {
		ds_src_drain(s);
		h = XXH3_128bits_digest(s->dig);
	} else if (s->kind == K_MAP) {
		if (!s->digested) {
			s->mapdig = XXH3_128bits(s->map, s->maplen);
			s->digested = 1;
		}
		h = s->mapdig;
	} else {
		h = XXH3_128bits_digest(s->dig);
	}
	static const char hex[] = "0123456789abcdef";
	uint64_t w[2] = {h.high64, h.low64};
	for (int i = 0; i < 32; i++)
		out[i] = hex[(w[i / 16] >> (60 - 4 * (i % 16))) & 15];
	out[32] = 0;
}

void ds_src_close(struct ds_src *s)
{
	if (!s)
		return;
	stop_thread(s);
	for (int i = 0; i < NCHUNKS; i++)
		free(s->chunk[i]);
	if (s->pstop) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
	}
	if (s->map)
		munmap((void *)s->map, s->maplen);
	if (s->zinit)
		inflateEnd(&s->z);
	ZSTD_freeDStream(s->zs);
	if (s->dig)
		XXH3_freeState(s->dig);
	if (s->fd > 0)
		close(s->fd);
	free(s->buf);
	free(s->in);
	free((void *)s->path);
	free(s);
}

static int start_stream(struct ds_src *s)
{
	s->cap = DS_READ_CHUNK;
	s->buf = malloc(s->cap);
	s->in = malloc(DS_READ_CHUNK);
	s->dig = XXH3_createState();
	if (!s->buf || !s->in || !s->dig)
		return ds_fail(DS_E_NOMEM, "%s: out of memory", s->path);
	XXH3_128bits_reset(s->dig);
	int rc = read_raw(s);
	if (rc < 0)
		return rc;
	const uint8_t *m = s->in;
	if (s->inlen >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
		s->kind = K_GZ;
		if (inflateInit2(&s->z, 15 + 16) != Z_OK)
			return ds_fail(DS_E_NOMEM, "%s: cannot start gzip decoder", s->path);
		s->zinit = 1;
	} else if (s->inlen >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
		s->kind = K_ZSTD;
		s->zs = ZSTD_createDStream();
		if (!s->zs || ZSTD_isError(ZSTD_initDStream(s->zs)))
			return ds_fail(DS_E_NOMEM, "%s: cannot start zstd decoder", s->path);
	} else {
		s->kind = K_RAW;
		return 0;
	}
	s->can_thread = 1; /* (past THREAD_AFTER bytes) */
	return 0;
}

int ds_src_open(struct ds_src **out, const char *path)
{
	int rc;
	struct ds_src *s = calloc(1, sizeof *s);
	if (!s)
		return ds_fail(DS_E_NOMEM, "%s: out of memory", path);
	s->path = strdup(ds_is_stdin(path) ? "<stdin>" : path);
	s->fd = ds_is_stdin(path) ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (!s->path || s->fd < 0) {
		rc = ds_fail(DS_E_IO, "%s: cannot open: %s", path, strerror(errno));
		goto err;
	}
	struct stat st;
	uint8_t magic[4] = {0};
	if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 4 &&
	    pread(s->fd, magic, 4, 0) == 4 && !(magic[0] == 0x1f && magic[1] == 0x8b) &&
	    !(magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, s->fd, 0);
		if (m != MAP_FAILED) {
			madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
			s->kind = K_MAP;
			s->map = m;
			s->maplen = (size_t)st.st_size;
			*out = s;
			return 0;
		}
	}
	rc = start_stream(s);
	if (rc < 0)
		goto err;
	*out = s;
	return 0;
err:
	ds_src_close(s);
	return rc;
}

int ds_file_digest(const char *path, char out[33])
{
	/* Mapped and digested in steps, each step's pages handed back after it:
	 * no copy, and the file never sits in this process's RSS as a whole. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ds_fail(DS_E_IO, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	struct ds_src s = {.kind = K_RAW, .path = path};
	int rc = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd); /* not a plain file: read it */
		goto by_read;
	}
	const uint8_t *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		goto by_read;
	madvise((void *)m, (size_t)st.st_size, MADV_SEQUENTIAL);
	XXH3_state_t *dig = XXH3_createState();
	if (!dig) {
		munmap((void *)m, (size_t)st.st_size);
		return ds_fail(DS_E_NOMEM, "out of memory");
	}
	XXH3_128bits_reset(dig);
	for (size_t off = 0; off < (size_t)st.st_size; off += RELEASE_STEP) {
		size_t n = (size_t)st.st_size - off < RELEASE_STEP ? (size_t)st.st_size - off
		                                                   : RELEASE_STEP;
		XXH3_128bits_update(dig, m + off, n);
		madvise((void *)(m + off), n, MADV_DONTNEED);
	}
	s.dig = dig;
	ds_src_digest(&s, out);
	XXH3_freeState(dig);
	munmap((void *)m, (size_t)st.st_size);
	return 0;
by_read:
	s.fd = open(path, O_RDONLY | O_CLOEXEC);
	s.in = malloc(DS_READ_CHUNK);
	s.dig = XXH3_createState();
	if (s.fd < 0)
		rc = ds_fail(DS_E_IO, "%s: cannot open: %s", path, strerror(errno));
	else if (!s.in || !s.dig)
		rc = ds_fail(DS_E_NOMEM, "out of memory");
	if (rc == 0) {
		XXH3_128bits_reset(s.dig);
		rc = ds_src_drain(&s);
	}
	if (rc == 0)
		ds_src_digest(&s, out);
	if (s.fd >= 0)
		close(s.fd);
	free(s.in);
	if (s.dig)
		XXH3_freeState(s.dig);
	return rc;
}
