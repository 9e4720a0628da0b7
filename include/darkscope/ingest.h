/* ingest.h - captures in, hourly rows stored: the whole ingest pipeline.
 *
 *   capture -> decode -> classify (sensor) -> geo -> aggregate -> store
 *
 * Files are read in parallel (one thread per file, up to `threads`); each
 * group of files is one store transaction, so a file is either wholly in the
 * store or not at all.  When a group has fewer files than threads, a plain
 * (uncompressed, regular) capture is split among the threads left: each reads
 * a part that starts at a record found near its share of the file, and the
 * part before must end exactly there (else the file is read again whole).
 * A file whose digest is already stored is skipped. */
#ifndef DARKSCOPE_INGEST_H
#define DARKSCOPE_INGEST_H

#include <stdint.h>

#include "darkscope/config.h"
#include "darkscope/store.h"

struct ds_ingest_opts {
	const struct ds_config *cfg;
	const char *geoip; /* database path, NULL/"" = none */
	int forced_sensor; /* config index, or -1 to attribute by prefix */
	int partial;       /* count the complete records of a cut-short file */
	int threads;       /* 0 = number of CPUs */
	size_t max_keys;   /* 0 = DS_AGG_MAX_KEYS */
	uint64_t split;    /* a plain capture of at least 2 such parts (bytes) is split
	                    * among readers left idle by fewer files; 0 = never */
	int quiet;         /* no per-file summary lines */
};

struct ds_ingest_result {
	unsigned ingested, skipped, failed;
	uint64_t packets;
	double seconds; /* wall time spent reading and counting */
};

/* Ingest files.  Returns 0 when every file was ingested or skipped, or the
 * code of the first failure (each failure printed as one line). */
int ds_ingest(struct ds_store *st, const struct ds_ingest_opts *o, char *const *files, int nfiles,
              struct ds_ingest_result *res);

#endif
