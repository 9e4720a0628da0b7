/* reader.c - classic pcap and pcapng record parsing over a byte source.
 *
 * Byte order is taken from each file's magic; every field is read with an
 * explicit order, so nothing depends on the host.  Every length is checked
 * against the block, the snap length and DS_MAX_RECORD before use. */
#include "darkscope/capture.h"

#include "capture/src.h"
#include "darkscope/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 1u
#define PCAPNG_OPB 2u
#define PCAPNG_SPB 3u
#define PCAPNG_EPB 6u

static uint32_t rd32(const uint8_t *p, int be)
{
	return ds_capture_rd32(p, be);
}

static uint16_t rd16(const uint8_t *p, int be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

const char *ds_linktype_name(uint32_t lt)
{
	switch (lt) {
	case 0: return "NULL";
	case 1: return "EN10MB";
	case 12:
	case 14:
	case 101: return "RAW";
	case 108: return "LOOP";
	case 113: return "LINUX_SLL";
	case 228: return "IPV4";
	case 229: return "IPV6";
	case 276: return "LINUX_SLL2";
	default: return NULL;
	}
}

static int check_linktype(struct ds_capture *c, uint32_t lt, unsigned iface)
{
	if (ds_linktype_name(lt))
		return 0;
	return ds_fail(DS_E_UNSUPPORTED,
	               "%s: unsupported link type %u (interface %u) at offset %llu", c->path, lt,
	               iface, (unsigned long long)ds_src_pos(c->src));
}

/* Walk c in its mapping, if it has one, from where its source is. */
static void map(struct ds_capture *c)
{
	size_t len;
	if ((c->map = ds_src_map(c->src, &len)) != NULL) {
		c->maplen = len;
		c->mpos = c->msrc = ds_src_pos(c->src);
	}
}

static int open_pcap(struct ds_capture *c, const uint8_t *h)
{
	static const struct {
		uint8_t m[4];
		int be;
		uint32_t div;
	} magics[] = {
	        {{0xd4, 0xc3, 0xb2, 0xa1}, 0, 1000000},
	        {{0xa1, 0xb2, 0xc3, 0xd4}, 1, 1000000},
	        {{0x4d, 0x3c, 0xb2, 0xa1}, 0, 1000000000},
	        {{0xa1, 0xb2, 0x3c, 0x4d}, 1, 1000000000},
	};
	for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
		if (memcmp(h, magics[i].m, 4) != 0)
			continue;
		c->fmt = DS_CAP_PCAP;
		c->swapped = magics[i].be;
		c->tsdiv = magics[i].div;
		c->snaplen = rd32(h + 16, c->swapped);
		c->linktype = rd32(h + 20, c->swapped) & 0x0FFFFFFFu;
		ds_src_skip(c->src, 24);
		map(c);
		return check_linktype(c, c->linktype, 0);
	}
	return 1; /* not classic pcap */
}

int ds_capture_open(struct ds_capture *c, const char *path)
{
	memset(c, 0, sizeof *c);
	snprintf(c->path, sizeof c->path, "%s", ds_is_stdin(path) ? "<stdin>" : path);
	int rc = ds_src_open(&c->src, path);
	if (rc < 0)
		return rc;
	const uint8_t *h;
	long n = ds_src_get(c->src, 24, &h);
	if (n < 0) {
		rc = (int)n;
		goto err;
	}
	if (n >= 4 && rd32(h, 0) == PCAPNG_SHB) {
		c->fmt = DS_CAP_PCAPNG; /* the SHB is parsed as the first block */
		map(c);
		return 0;
	}
	if (n < 24) {
		rc = ds_fail(n == 0 ? DS_E_FORMAT : DS_E_TRUNCATED,
		             "%s: %s (%ld bytes; a capture header needs 24)", c->path,
		             n == 0 ? "empty file" : "too short to be a capture", n);
		goto err;
	}
	rc = open_pcap(c, h);
	if (rc == 1)
		rc = ds_fail(DS_E_FORMAT,
		             "%s: not a pcap or pcapng capture (magic %02x%02x%02x%02x)", c->path,
		             h[0], h[1], h[2], h[3]);
	if (rc < 0)
		goto err;
	return 0;
err:
	ds_src_close(c->src);
	c->src = NULL;
	return rc;
}

static int truncated(struct ds_capture *c, uint64_t off, const char *what, size_t want, long have)
{
	return ds_fail(DS_E_TRUNCATED,
	               "%s: truncated at offset %llu: %s needs %zu bytes, %ld remain (after %llu "
	               "complete records)",
	               c->path, (unsigned long long)off, what, want, have,
	               (unsigned long long)c->records);
}

/* A part of a split capture reached its end at off: 0 when it is exactly
 * the next part's start and the interfaces are those that part starts with. */
static int seam(struct ds_capture *c, uint64_t off)
{
	if (off == c->stop && c->swapped == c->seam_swapped && c->nifaces == c->seam_nifaces &&
	    memcmp(c->ifaces, c->seam_ifaces, c->nifaces * sizeof *c->ifaces) == 0)
		return 0;
	if (off != c->stop)
		return ds_fail(DS_E_SEAM,
		               "%s: a record ends at offset %llu, past offset %llu, where the next "
		               "part was to start",
		               c->path, (unsigned long long)off, (unsigned long long)c->stop);
	return ds_fail(DS_E_SEAM, "%s: offset %llu: the interfaces differ from the file's first",
	               c->path, (unsigned long long)off);
}

/* Tell the source how far the mapped walk has gone. */
static void sync(struct ds_capture *c)
{
	if (c->map && c->mpos != c->msrc) {
		ds_src_skip(c->src, (size_t)(c->mpos - c->msrc));
		c->msrc = c->mpos;
	}
}

void ds_capture_sync(struct ds_capture *c)
{
	sync(c);
}

static int next_pcap(struct ds_capture *c, struct ds_frame *f)
{
	const uint8_t *h;
	sync(c); /* what ds_capture_next walked inline */
	uint64_t off = ds_src_pos(c->src);
	if (c->stop && off >= c->stop)
		return seam(c, off);
	long n = ds_src_get(c->src, 16, &h);
	if (n <= 0)
		return (int)n;
	if (n < 16)
		return truncated(c, off, "record header", 16, n);
	uint32_t caplen = rd32(h + 8, c->swapped), origlen = rd32(h + 12, c->swapped);
	if (caplen > DS_MAX_RECORD || (c->snaplen && caplen > c->snaplen))
		return ds_fail(
		        DS_E_FORMAT,
		        "%s: record %llu at offset %llu: length %u exceeds the snap length %u",
		        c->path, (unsigned long long)c->records + 1, (unsigned long long)off,
		        caplen, c->snaplen);
	f->ts_sec = rd32(h, c->swapped);
	/* a fraction field of a whole second or more is out of spec: the second
	 * stands, as tcpdump takes it, and the fraction becomes the second's
	 * last nanosecond */
	uint32_t frac = rd32(h + 4, c->swapped);
	f->ts_nsec = frac >= c->tsdiv ? 999999999u : c->tsdiv == 1000000 ? frac * 1000u : frac;
	f->origlen = origlen;
	n = ds_src_get(c->src, 16 + (size_t)caplen, &h);
	if (n < 0)
		return (int)n;
	if ((size_t)n < 16 + (size_t)caplen)
		return truncated(c, off, "record", 16 + (size_t)caplen, n);
	f->caplen = caplen;
	f->data = h + 16;
	f->linktype = c->linktype;
	f->offset = off;
	ds_src_skip(c->src, 16 + (size_t)caplen);
	if (c->map)
		c->mpos = c->msrc = ds_src_pos(c->src);
	return 1;
}

/* Walk pcapng options in [p, end); calls back on if_tsresol / if_tsoffset. */
static void idb_options(struct ds_capture *c, struct ds_iface *ifc, const uint8_t *p,
                        const uint8_t *end)
{
	while (end - p >= 4) {
		uint16_t code = rd16(p, c->swapped), len = rd16(p + 2, c->swapped);
		size_t padded = ((size_t)len + 3) & ~(size_t)3;
		if (code == 0 || (size_t)(end - p - 4) < padded)
			return;
		if (code == 9 && len >= 1) {
			uint8_t v = p[4];
			uint64_t div = 1;
			unsigned e = v & 0x7f;
			if (v & 0x80) {
				if (e < 63)
					div = 1ull << e;
			} else {
				for (unsigned i = 0; i < e && i < 19; i++)
					div *= 10;
			}
			ifc->tsdiv = div;
		} else if (code == 14 && len == 8) {
			uint64_t hi = rd32(p + 4, c->swapped), lo = rd32(p + 8, c->swapped);
			ifc->tsoff = (int64_t)(c->swapped ? (hi << 32 | lo) : (lo << 32 | hi));
		}
		p += 4 + padded;
	}
}

static int shb(struct ds_capture *c, uint64_t off)
{
	const uint8_t *h;
	long n = ds_src_get(c->src, 12, &h);
	if (n < 0)
		return (int)n;
	if (n < 12)
		return truncated(c, off, "section header", 12, n);
	if (memcmp(h + 8, "\x4d\x3c\x2b\x1a", 4) == 0)
		c->swapped = 0;
	else if (memcmp(h + 8, "\x1a\x2b\x3c\x4d", 4) == 0)
		c->swapped = 1;
	else
		return ds_fail(DS_E_FORMAT, "%s: offset %llu: bad pcapng byte-order magic", c->path,
		               (unsigned long long)off);
	c->nifaces = 0;
	return 0;
}

/* f's time from a pcapng time stamp; one before 1970 or past DS_MAX_TS is
 * refused. */
static int set_ts(struct ds_capture *c, const struct ds_iface *ifc, uint64_t ts, uint64_t off,
                  struct ds_frame *f)
{
	uint64_t div = ifc->tsdiv ? ifc->tsdiv : 1000000;
	__int128 sec = (__int128)(ts / div) + ifc->tsoff;
	if (sec < 0 || sec > DS_MAX_TS) {
		__int128 mag = sec < 0 ? -sec : sec;
		return ds_fail(DS_E_FORMAT,
		               "%s: offset %llu: time stamp out of range: %s%llu s from 1970-01-01 "
		               "(darkscope takes 1970 to 9999)",
		               c->path, (unsigned long long)off, sec < 0 ? "-" : "",
		               mag > UINT64_MAX ? (unsigned long long)UINT64_MAX
		                                : (unsigned long long)mag);
	}
	f->ts_sec = (int64_t)sec;
	f->ts_nsec = (uint32_t)((unsigned __int128)(ts % div) * 1000000000u / div);
	c->last_ts = f->ts_sec;
	c->last_tsn = f->ts_nsec;
	return 0;
}

/* Fill f from a packet block body; returns 1, or a negative code. */
static int packet_block(struct ds_capture *c, uint32_t type, const uint8_t *b, uint32_t blen,
                        uint64_t off, struct ds_frame *f)
{
	const uint8_t *body = b + 8;
	uint32_t room = blen - 12, hdr, ifid, caplen, origlen;
	uint64_t ts = 0;
	if (type == PCAPNG_SPB) {
		hdr = 4;
		ifid = 0;
		if (room < hdr)
			goto short_block;
		origlen = rd32(body, c->swapped);
		caplen = origlen;
		if (ifid < c->nifaces && c->ifaces[0].snaplen && caplen > c->ifaces[0].snaplen)
			caplen = c->ifaces[0].snaplen;
		if (caplen > room - hdr)
			caplen = room - hdr;
	} else {
		hdr = 20;
		if (room < hdr)
			goto short_block;
		if (type == PCAPNG_EPB) {
			ifid = rd32(body, c->swapped);
		} else {
			ifid = rd16(body, c->swapped);
		}
		ts = (uint64_t)rd32(body + 4, c->swapped) << 32 | rd32(body + 8, c->swapped);
		caplen = rd32(body + 12, c->swapped);
		origlen = rd32(body + 16, c->swapped);
		if (caplen > room - hdr)
			return ds_fail(
			        DS_E_FORMAT,
			        "%s: offset %llu: packet length %u exceeds its block (%u bytes)",
			        c->path, (unsigned long long)off, caplen, room - hdr);
	}
	if (ifid >= c->nifaces)
		return ds_fail(DS_E_FORMAT,
		               "%s: offset %llu: packet names interface %u, only %u defined",
		               c->path, (unsigned long long)off, ifid, c->nifaces);
	const struct ds_iface *ifc = &c->ifaces[ifid];
	if (caplen > DS_MAX_RECORD)
		return ds_fail(DS_E_FORMAT,
		               "%s: offset %llu: packet length %u exceeds the %u-byte limit",
		               c->path, (unsigned long long)off, caplen, DS_MAX_RECORD);
	int rc = check_linktype(c, ifc->linktype, ifid);
	if (rc < 0)
		return rc;
	if (type == PCAPNG_SPB) {
		f->ts_sec = c->last_ts;
		f->ts_nsec = c->last_tsn;
	} else if ((rc = set_ts(c, ifc, ts, off, f)) < 0) {
		return rc;
	}
	f->linktype = ifc->linktype;
	f->caplen = caplen;
	f->origlen = origlen;
	f->data = body + hdr;
	f->offset = off;
	return 1;
short_block:
	return ds_fail(DS_E_FORMAT, "%s: offset %llu: block of %u bytes too short for its type %u",
	               c->path, (unsigned long long)off, blen, type);
}

static int is_packet_block(uint32_t type)
{
	return type == PCAPNG_EPB || type == PCAPNG_SPB || type == PCAPNG_OPB;
}

/* The next frame; with headers_only, returns 2 at the first packet block
 * instead (leaving it unread), having read the blocks before it. */
static int next_pcapng_src(struct ds_capture *c, struct ds_frame *f, int headers_only)
{
	for (;;) {
		const uint8_t *b;
		uint64_t off = ds_src_pos(c->src);
		if (c->stop && off >= c->stop)
			return seam(c, off);
		long n = ds_src_get(c->src, 8, &b);
		if (n <= 0)
			return (int)n;
		if (n < 8)
			return truncated(c, off, "block header", 8, n);
		uint32_t type = rd32(b, c->swapped);
		if (headers_only && is_packet_block(type))
			return 2;
		if (type == PCAPNG_SHB) {
			int rc = shb(c, off);
			if (rc < 0)
				return rc;
			n = ds_src_get(c->src, 8, &b);
		}
		uint32_t blen = rd32(b + 4, c->swapped);
		if (blen < 12 || blen % 4 != 0 || blen > DS_MAX_BLOCK)
			return ds_fail(DS_E_FORMAT,
			               "%s: offset %llu: bad block length %u (type %u)", c->path,
			               (unsigned long long)off, blen, type);
		n = ds_src_get(c->src, blen, &b);
		if (n < 0)
			return (int)n;
		if ((size_t)n < blen)
			return truncated(c, off, "block", blen, n);
		if (rd32(b + blen - 4, c->swapped) != blen)
			return ds_fail(DS_E_FORMAT,
			               "%s: offset %llu: block trailer length differs from %u",
			               c->path, (unsigned long long)off, blen);
		int rc = 0;
		if (type == PCAPNG_IDB) {
			if (blen < 20)
				return ds_fail(DS_E_FORMAT,
				               "%s: offset %llu: interface block too short",
				               c->path, (unsigned long long)off);
			if (c->nifaces >= DS_MAX_IFACES)
				return ds_fail(DS_E_LIMIT,
				               "%s: offset %llu: more than %d interfaces", c->path,
				               (unsigned long long)off, DS_MAX_IFACES);
			struct ds_iface *ifc = &c->ifaces[c->nifaces++];
			memset(ifc, 0, sizeof *ifc);
			ifc->linktype = rd16(b + 8, c->swapped);
			ifc->snaplen = rd32(b + 12, c->swapped);
			ifc->tsdiv = 1000000;
			ifc->known = ds_linktype_name(ifc->linktype) != NULL;
			idb_options(c, ifc, b + 16, b + blen - 4);
		} else if (is_packet_block(type)) {
			rc = packet_block(c, type, b, blen, off, f);
		}
		if (rc < 0)
			return rc;
		ds_src_skip(c->src, blen);
		if (rc == 1)
			return 1;
	}
}

/* next_pcapng_src from where the mapped walk is, which goes on from where
 * it ends. */
static int next_pcapng(struct ds_capture *c, struct ds_frame *f, int headers_only)
{
	sync(c);
	int rc = next_pcapng_src(c, f, headers_only);
	if (c->map)
		c->mpos = c->msrc = ds_src_pos(c->src);
	return rc;
}

/* An enhanced packet block taken from the mapping, as packet_block takes
 * it: 1, or 0 for anything else, and for anything it would say more about
 * (a part's end, a cut, a bad length, an unknown interface or link type) or
 * whose time stamp is not in plain micro- or nanoseconds. */
static int next_epb_mapped(struct ds_capture *c, struct ds_frame *f)
{
	uint64_t off = c->mpos;
	if ((c->stop && off >= c->stop) || c->maplen - off < 32)
		return 0;
	const uint8_t *b = c->map + off;
	int be = c->swapped;
	uint32_t blen = rd32(b + 4, be);
	if (rd32(b, be) != PCAPNG_EPB || blen < 32 || blen % 4 != 0 || blen > DS_MAX_BLOCK ||
	    blen > c->maplen - off || rd32(b + blen - 4, be) != blen)
		return 0;
	uint32_t ifid = rd32(b + 8, be), caplen = rd32(b + 20, be);
	if (ifid >= c->nifaces || caplen > blen - 32 || caplen > DS_MAX_RECORD)
		return 0;
	const struct ds_iface *ifc = &c->ifaces[ifid];
	uint64_t ts = (uint64_t)rd32(b + 12, be) << 32 | rd32(b + 16, be), sec;
	uint32_t nsec;
	if (!ifc->known || ifc->tsoff != 0)
		return 0;
	if (ifc->tsdiv == 1000000) /* (divisions by constants) */
		sec = ts / 1000000, nsec = (uint32_t)(ts % 1000000) * 1000u;
	else if (ifc->tsdiv == 1000000000)
		sec = ts / 1000000000, nsec = (uint32_t)(ts % 1000000000);
	else
		return 0;
	if (sec > DS_MAX_TS)
		return 0;
	f->ts_sec = c->last_ts = (int64_t)sec;
	f->ts_nsec = c->last_tsn = nsec;
	f->linktype = ifc->linktype;
	f->caplen = caplen;
	f->origlen = rd32(b + 24, be);
	f->data = b + 28;
	f->offset = off;
	c->mpos = off + blen;
	if (c->mpos - c->msrc >= DS_CAPTURE_SYNC)
		sync(c);
	return 1;
}

int ds_capture_next_any(struct ds_capture *c, struct ds_frame *f)
{
	int rc = c->fmt == DS_CAP_PCAP             ? next_pcap(c, f)
	         : c->map && next_epb_mapped(c, f) ? 1
	                                           : next_pcapng(c, f, 0);
	if (rc == 1)
		c->records++;
	return rc;
}

int ds_capture_mapped(const struct ds_capture *c, uint64_t *size)
{
	size_t len;
	int mapped = ds_src_map(c->src, &len) != NULL;
	*size = len;
	return mapped;
}

/* Read the blocks before the first packet (pcapng) and keep the interfaces
 * they define: every part starts with them. */
static int prime(struct ds_capture *c)
{
	if (c->primed)
		return 0;
	if (c->fmt == DS_CAP_PCAPNG) {
		struct ds_frame f;
		int rc = next_pcapng(c, &f, 1);
		if (rc < 0)
			return rc;
	}
	c->primed = 1;
	c->seam_swapped = c->swapped;
	c->seam_nifaces = c->nifaces;
	memcpy(c->seam_ifaces, c->ifaces, c->nifaces * sizeof *c->ifaces);
	return 0;
}

/* Do DS_SPLIT_CHAIN classic pcap records (or all up to the end) parse from
 * m[o]?  Their time stamps must be within a day of each other and not before
 * tmin: a capture's neighbouring records are, and it is mostly in time order.
 * That rules out the commonest false start, 4 bytes into a record among
 * records of one length (a flood), where the fraction of a second reads as
 * the second and the lengths as fraction and length. */
static int pcap_chain(const struct ds_capture *c, const uint8_t *m, size_t len, size_t o,
                      int64_t tmin)
{
	int64_t t0 = 0;
	for (int k = 0; k < DS_SPLIT_CHAIN; k++) {
		if (o == len)
			return k > 0;
		if (len - o < 16)
			return 0;
		const uint8_t *h = m + o;
		int64_t sec = rd32(h, c->swapped);
		uint32_t frac = rd32(h + 4, c->swapped), caplen = rd32(h + 8, c->swapped),
		         origlen = rd32(h + 12, c->swapped);
		if (caplen > DS_MAX_RECORD || (c->snaplen && caplen > c->snaplen) ||
		    origlen < caplen || frac >= c->tsdiv || caplen > len - o - 16)
			return 0;
		if (k == 0)
			t0 = sec;
		if (sec < tmin || sec < t0 - 86400 || sec > t0 + 86400)
			return 0;
		o += 16 + (size_t)caplen;
	}
	return 1;
}

/* Do DS_SPLIT_CHAIN pcapng blocks (or all up to the end, or up to a section
 * header) parse from m[o], the first an enhanced packet block? */
static int pcapng_chain(const struct ds_capture *c, const uint8_t *m, size_t len, size_t o)
{
	for (int k = 0; k < DS_SPLIT_CHAIN; k++) {
		if (o == len)
			return k > 0;
		if (len - o < 12)
			return 0;
		uint32_t type = rd32(m + o, c->swapped), blen = rd32(m + o + 4, c->swapped);
		if (k > 0 && type == PCAPNG_SHB)
			return 1;
		if (blen < 12 || blen % 4 || blen > DS_MAX_BLOCK || blen > len - o ||
		    rd32(m + o + blen - 4, c->swapped) != blen)
			return 0;
		if (k == 0 &&
		    (type != PCAPNG_EPB || blen < 32 || rd32(m + o + 8, c->swapped) >= c->nifaces ||
		     rd32(m + o + 20, c->swapped) > blen - 32))
			return 0;
		o += blen;
	}
	return 1;
}

int ds_capture_find(struct ds_capture *c, uint64_t from, uint64_t *at)
{
	size_t len;
	const uint8_t *m = ds_src_map(c->src, &len);
	int rc = prime(c);
	if (rc < 0)
		return rc;
	if (!m)
		return 0;
	sync(c);
	uint64_t o = from > ds_src_pos(c->src) ? from : ds_src_pos(c->src);
	uint64_t end = o + DS_SPLIT_WINDOW < len ? o + DS_SPLIT_WINDOW : len;
	if (c->fmt == DS_CAP_PCAPNG) /* blocks are 4-byte aligned */
		o = (o + 3) & ~(uint64_t)3;
	int64_t tmin = 0; /* a day before the first record */
	if (c->fmt == DS_CAP_PCAP && len >= 40)
		tmin = (int64_t)rd32(m + 24, c->swapped) - 86400;
	for (; o < end; o += c->fmt == DS_CAP_PCAPNG ? 4 : 1) {
		int ok = c->fmt == DS_CAP_PCAP ? pcap_chain(c, m, len, (size_t)o, tmin)
		                               : pcapng_chain(c, m, len, (size_t)o);
		if (ok) {
			*at = o;
			return 1;
		}
	}
	return 0;
}

int ds_capture_split(const char *path, int n, uint64_t min, uint64_t *at)
{
	struct ds_capture c;
	uint64_t size;
	int parts = 1;
	at[0] = 0;
	if (n < 2 || min == 0 || ds_is_stdin(path) || ds_capture_open(&c, path) < 0)
		return 1;
	if (ds_capture_mapped(&c, &size) && size / min >= 2) {
		if (size / min < (uint64_t)n)
			n = (int)(size / min);
		for (int k = 1; k < n; k++) {
			uint64_t o;
			if (ds_capture_find(&c, size / (uint64_t)n * (uint64_t)k, &o) == 1 &&
			    o > at[parts - 1])
				at[parts++] = o;
		}
	}
	ds_capture_close(&c);
	return parts;
}

int ds_capture_range(struct ds_capture *c, uint64_t from, uint64_t to)
{
	int rc = prime(c);
	if (rc < 0)
		return rc;
	sync(c);
	if (from > ds_src_pos(c->src))
		ds_src_seek(c->src, from);
	c->mpos = c->msrc = ds_src_pos(c->src);
	c->stop = to;
	return 0;
}

int ds_capture_cut(struct ds_capture *c, uint64_t min, uint64_t *at)
{
	uint64_t end = c->stop ? c->stop : c->maplen, o;
	if (!c->map || !c->primed || min <= c->mpos || min >= end)
		return 0;
	int rc = ds_capture_find(c, min, &o);
	if (rc != 1)
		return rc;
	if (o <= c->mpos || o >= end)
		return 0;
	c->stop = o;
	*at = o;
	return 1;
}

int ds_capture_digest_as_read(struct ds_capture *c)
{
	return ds_src_digest_as_read(c->src);
}

uint64_t ds_capture_raw_bytes(const struct ds_capture *c)
{
	return ds_src_raw_bytes(c->src);
}

int ds_capture_drain(struct ds_capture *c)
{
	sync(c);
	return ds_src_drain(c->src);
}

void ds_capture_digest(struct ds_capture *c, char out[33])
{
	sync(c);
	ds_src_digest(c->src, out);
}

void ds_capture_close(struct ds_capture *c)
{
	ds_src_close(c->src);
	c->src = NULL;
}
