/* capture.h - read packet records from pcap and pcapng files.
 *
 * A capture is opened from a path ("-" is standard input).  gzip and zstd
 * compression are recognised by their magic and undone on the fly; plain files
 * are mapped and read in place.  ds_capture_next() hands out one frame at a
 * time; its data pointer stays valid until the next call.  A digest of the raw
 * bytes (XXH3-128) is available once the whole input has been read. */
#ifndef DARKSCOPE_CAPTURE_H
#define DARKSCOPE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/limits.h"

struct ds_src; /* byte source: mapped file or decompressing stream */

struct ds_frame {
	int64_t ts_sec;    /* seconds since the epoch */
	uint32_t ts_nsec;  /* nanoseconds within the second */
	uint32_t linktype; /* LINKTYPE_* of the interface */
	uint32_t caplen;   /* bytes present at data */
	uint32_t origlen;  /* bytes on the wire */
	const uint8_t *data;
	uint64_t offset; /* offset of the record in the (uncompressed) stream */
};

struct ds_iface {
	uint32_t linktype;
	uint32_t snaplen;
	uint64_t tsdiv; /* timestamp units per second */
	int64_t tsoff;  /* if_tsoffset, seconds */
	int known;      /* darkscope decodes its link type */
};

enum ds_capfmt { DS_CAP_PCAP = 1, DS_CAP_PCAPNG = 2 };

struct ds_capture {
	struct ds_src *src;
	char path[512];
	enum ds_capfmt fmt;
	int swapped; /* byte order differs from the host's */
	/* classic pcap */
	uint32_t linktype, snaplen;
	uint32_t tsdiv; /* 1e6 or 1e9 */
	/* pcapng */
	struct ds_iface ifaces[DS_MAX_IFACES];
	unsigned nifaces;
	uint64_t records; /* frames handed out */
	int64_t last_ts;  /* for SPB, which has no time stamp */
	uint32_t last_tsn;
	/* a capture in a mapping: classic pcap records are walked here, pcapng
	 * enhanced packet blocks in ds_capture_next_any, and the source is told
	 * how far (for its digest and its page release) every DS_CAPTURE_SYNC
	 * bytes and before anything else reads it */
	const uint8_t *map;
	uint64_t maplen, mpos, msrc; /* the mapping; where we are; where the source is */
	/* one part of a split capture (ds_capture_range) */
	int primed;    /* the leading header blocks are read */
	uint64_t stop; /* the part ends here (0: at the end of the input) */
	int seam_swapped;
	unsigned seam_nifaces; /* the interfaces the next part starts with */
	struct ds_iface seam_ifaces[DS_MAX_IFACES];
};

/* Does path name standard input ("-")? */
static inline int ds_is_stdin(const char *path)
{
	return path[0] == '-' && path[1] == 0;
}

/* Open path ("-" = stdin) and read its file header.  On failure the detail
 * names the file and offset; nothing needs closing. */
int ds_capture_open(struct ds_capture *c, const char *path);

/* Next frame: 1 and *f filled, 0 at a clean end of input, or a negative code
 * (-DS_E_TRUNCATED when the input ends inside a record).  A classic pcap in
 * a mapping is walked inline below; every other record, and any record that
 * walk will not hand out (the end, a cut, a length past the snap length, a
 * part's end), is ds_capture_next_any's, which says why.  It takes a pcapng
 * file's enhanced packet blocks straight from the mapping too. */
int ds_capture_next_any(struct ds_capture *c, struct ds_frame *f);

/* Tell the byte source how far the mapped walk has gone (for its digest and
 * page release); the walk does so every DS_CAPTURE_SYNC bytes. */
void ds_capture_sync(struct ds_capture *c);
#define DS_CAPTURE_SYNC ((uint64_t)64 << 10)

/* A 32-bit field in the file's byte order (be: big-endian). */
static inline uint32_t ds_capture_rd32(const uint8_t *p, int be)
{
	uint32_t v;
	__builtin_memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return be ? __builtin_bswap32(v) : v;
#else
	return be ? v : __builtin_bswap32(v);
#endif
}

static inline int ds_capture_next(struct ds_capture *c, struct ds_frame *f)
{
	uint64_t off = c->mpos;
	if (!c->map || c->fmt != DS_CAP_PCAP || (c->stop && off >= c->stop) || c->maplen - off < 16)
		return ds_capture_next_any(c, f);
	const uint8_t *h = c->map + off;
	uint32_t caplen = ds_capture_rd32(h + 8, c->swapped);
	if (caplen > DS_MAX_RECORD || (c->snaplen && caplen > c->snaplen) ||
	    c->maplen - off - 16 < caplen)
		return ds_capture_next_any(c, f);
	f->ts_sec = ds_capture_rd32(h, c->swapped);
	/* a fraction of a whole second or more stands for the second's last
	 * nanosecond (as next_pcap says) */
	uint32_t frac = ds_capture_rd32(h + 4, c->swapped);
	f->ts_nsec = frac >= c->tsdiv ? 999999999u : c->tsdiv == 1000000 ? frac * 1000u : frac;
	f->origlen = ds_capture_rd32(h + 12, c->swapped);
	f->caplen = caplen;
	f->data = h + 16;
	f->linktype = c->linktype;
	f->offset = off;
	c->mpos = off + 16 + caplen;
	if (c->mpos - c->msrc >= DS_CAPTURE_SYNC)
		ds_capture_sync(c);
	c->records++;
	return 1;
}

/* Splitting one capture among readers.  Only a mapped (plain, regular) file
 * can be split: ds_capture_mapped() says whether c is one, and its size.
 *
 * ds_capture_find() looks for a record at or after offset `from` (within
 * DS_SPLIT_WINDOW bytes): a place where a chain of records parses cleanly (for
 * pcapng, starting with an enhanced packet block).  Returns 1 with *at set, 0
 * if there is none, or a negative code.  It does not move c.
 *
 * ds_capture_range() makes c read the records in [from, to) (to = 0: up to
 * the end), from and to being offsets that ds_capture_find() gave (or 0 for
 * from).  A part starts with the interfaces of the file's leading header
 * blocks.  ds_capture_next() returns 0 when c lands exactly on `to` with
 * those same interfaces; otherwise it fails with -DS_E_SEAM, and the file must
 * be read whole (the place found was not a record, or the interfaces changed
 * within the file).  Landing exactly on `to` proves it a record boundary, so a
 * split file reads the very records a whole one does. */
int ds_capture_mapped(const struct ds_capture *c, uint64_t *size);
int ds_capture_find(struct ds_capture *c, uint64_t from, uint64_t *at);
int ds_capture_range(struct ds_capture *c, uint64_t from, uint64_t to);

/* End c's part early, at a record ds_capture_find() finds at or after offset
 * `min`, so that another reader can read the rest: [*at, the part's old end)
 * with ds_capture_range().  c must have been given a range and be mapped.
 * Returns 1 with *at set, 0 when no record is found after where c is and
 * before its part's end (c is not changed), or a negative code.  The seam is
 * checked as a planned one is: c must land exactly on *at. */
int ds_capture_cut(struct ds_capture *c, uint64_t min, uint64_t *at);

/* Plan a split of path into at most n parts of at least min bytes: the
 * parts' starts go to at[] (at[0] = 0; n entries of room), each found near
 * its share of the file.  Returns the number of parts: 1 when the file
 * cannot be split (not a plain capture, too small, or no record found). */
int ds_capture_split(const char *path, int n, uint64_t min, uint64_t *at);

/* Digest the file as it is read (a cheap pass over bytes still in the
 * cache) rather than in one pass at ds_capture_digest(). */
int ds_capture_digest_as_read(struct ds_capture *c);

/* Read and digest the rest of the input (for the file digest). */
int ds_capture_drain(struct ds_capture *c);

/* Raw bytes of the input (its size once drained). */
uint64_t ds_capture_raw_bytes(const struct ds_capture *c);

/* XXH3-128 of every raw byte read so far, as 32 hex digits + NUL. */
void ds_capture_digest(struct ds_capture *c, char out[33]);

void ds_capture_close(struct ds_capture *c);

/* XXH3-128 of the raw bytes of a regular file (compressed or not). */
int ds_file_digest(const char *path, char out[33]);

/* Name of a link type ("EN10MB", ...) or NULL if darkscope cannot decode it. */
const char *ds_linktype_name(uint32_t linktype);

#endif
