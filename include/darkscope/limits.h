/* limits.h - every hard cap darkscope applies to input, with its unit.
 * Anything built from file or network input is bounded by one of these. */
#ifndef DARKSCOPE_LIMITS_H
#define DARKSCOPE_LIMITS_H

/* bytes: largest packet record accepted from a capture (libpcap's own cap). */
#define DS_MAX_RECORD (256u * 1024u)
/* bytes: largest pcapng block accepted. */
#define DS_MAX_BLOCK (16u * 1024u * 1024u)
/* bytes: how far past a split point a capture split among readers is
 * searched for a record to start a part at (DS_MAX_BLOCK and more). */
#define DS_SPLIT_WINDOW (32u * 1024u * 1024u)
/* count: records that must parse in a row where a part of a split capture
 * starts (one wrong start is caught anyway: the part before does not end
 * exactly there). */
#define DS_SPLIT_CHAIN 32
/* count: pcapng interfaces per section. */
#define DS_MAX_IFACES 256
/* seconds since 1970: the latest packet time accepted (9999-12-31T23:59:59Z;
 * the earliest is 1970-01-01).  A pcapng time stamp is 64 bits in units of
 * its interface's choosing plus an offset: a record outside the range is
 * refused as corrupt rather than counted in an hour no date can name. */
#define DS_MAX_TS 253402300799LL
/* count: 802.1Q/802.1ad tags walked in one Ethernet frame. */
#define DS_MAX_VLAN 8
/* count: IPv6 extension headers walked before giving up. */
#define DS_MAX_V6_EXT 16
/* count: sensors in one configuration (id 0 is "unattributed"). */
#define DS_MAX_SENSORS 4096
/* count: darknet prefixes over all sensors. */
#define DS_MAX_PREFIXES 65536
/* bytes: longest configuration line. */
#define DS_MAX_CONFIG_LINE 4096
/* bytes: a sensor name or alias. */
#define DS_MAX_NAME 128
/* log2(entries): source-address cache in front of the GeoIP database (8
 * bytes an IPv4 entry; IPv6 ones, a quarter as many, 24): 1.8 MB.  An
 * ingest's readers have one each, smaller when there are more than
 * DS_INGEST_FULL_READERS of them, down to the MIN. */
#define DS_GEO_CACHE_BITS     17
#define DS_GEO_CACHE_MIN_BITS 12
/* HyperLogLog precision (registers = 2^P); standard error 1.04/sqrt(2^P) = 0.81%. */
#define DS_HLL_P 14
/* distinct sources a sketch keeps exactly before turning into HyperLogLog. */
#define DS_SPARSE_MAX 2048
/* hours: an hour is written out once packet time is this far past it. */
#define DS_AGG_LAG_HOURS 2
/* count: aggregation keys held in memory before a forced flush (bounds RAM;
 * override: ingest --max-keys).  The budget of an ingest's readers together:
 * each of n readers has 1/n of it, as of DS_AGG_MAX_PEND and
 * DS_AGG_MAX_SKETCH_BYTES.  A reader emitting an hour of k keys holds about
 * 160 bytes a key (its tables, the rows emitted, the writer's copy): 2^20
 * keys peaked at 258 MB on an hour of 2.6 million random keys, 2^19 at 210
 * MB; the bench week holds far fewer at a time. */
#define DS_AGG_MAX_KEYS (1u << 19)
/* count: source hashes an aggregator holds before adding them to the keys'
 * sketches (8 bytes each, and 8 more to fold them; bounds RAM). */
#define DS_AGG_MAX_PEND (1u << 20)
/* bytes: sketches an aggregator holds before a forced flush. */
#define DS_AGG_MAX_SKETCH_BYTES ((size_t)64 << 20)
/* count: readers of one ingest that each have the full geo cache; past it the
 * caches shrink, so that all of them together stay within 4 full ones. */
#define DS_INGEST_FULL_READERS 4
/* bytes: read buffer for compressed and piped input. */
#define DS_READ_CHUNK (1u << 20)
/* count: rows one query may return before truncation (-n caps it further). */
#define DS_MAX_QUERY_ROWS 100000
/* count: worker threads for ingest (-j). */
#define DS_MAX_THREADS 64
/* rows, bytes: a stored segment part (of a day: docs/store.md) ends after
 * DS_PART_ROWS rows, or at the row that brings its sketches to
 * DS_PART_BYTES; a query decodes one part at a time. */
#define DS_PART_ROWS  (1u << 16)
#define DS_PART_BYTES ((size_t)4 << 20)
/* bytes: a day whose hours take more than this in memory (rows and their
 * sketches) is rolled up in passes of DS_DAY_PASS_BYTES, not in memory
 * (the bench's week of interleaved sources takes 15 MB a day). */
#define DS_DAY_MEM_BYTES  ((size_t)24 << 20)
#define DS_DAY_PASS_BYTES ((size_t)16 << 20)
/* count: ingest readers without -j: one per CPU, at most this many.  Past 8
 * the store writer (two rollup threads) is the bottleneck, and each reader
 * holds its open hours (about 5 MB on a week of interleaved sources): 8
 * readers peaked at 201-223 MB on it, 16 at 245-274, 32 at 279. */
#define DS_DEFAULT_READERS 8
/* count: places for readers in the store writer of one ingest transaction:
 * its files, the parts of a split one, and the parts cut off for idle readers. */
#define DS_WRITER_SLOTS 256
/* count: files read in one ingest transaction at most (more than -j: a reader
 * takes the next file when it ends one; the places left are for parts). */
#define DS_GROUP_FILES (DS_WRITER_SLOTS / 2)

#endif
