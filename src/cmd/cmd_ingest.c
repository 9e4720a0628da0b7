/* cmd_ingest.c - darkscope ingest [--sensor NAME] [--partial] FILE... */
#include "cmd/cmd.h"

#include "darkscope/err.h"
#include "darkscope/geo.h"
#include "darkscope/ingest.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A size: digits, then K, M or G (powers of 1024) or nothing. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (end == s || *end || errno || s[0] == '-' || v > UINT64_MAX >> shift)
		return ds_fail(DS_E_USAGE, "--split: not a size: '%s' (bytes, or with K, M or G)",
		               s);
	*out = (uint64_t)v << shift;
	return 0;
}

int ds_cmd_ingest(struct ds_ctx *c)
{
	struct ds_args *a = &c->args;
	/* Ingest allocates and frees arrays of tens of MB in several threads
	 * (hour tables, day rollups).  Unlike the queries (main.c), hand the
	 * large ones back to the system when freed, and keep few arenas: with an
	 * arena per thread and the queries' thresholds, a realistic capture
	 * ingested by two readers kept 280 MB resident (now about 210 MB; one
	 * arena saves a little more but the threads then wait on its lock). */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	mallopt(M_ARENA_MAX, 4);
	if (a->npos == 0)
		return ds_cmd_fail(ds_fail(DS_E_USAGE, "ingest needs at least one capture file"));
	struct ds_ingest_opts o = {
	        .cfg = &c->cfg,
	        .geoip = a->val[OPT_GEOIP] ? a->val[OPT_GEOIP] : c->cfg.geoip,
	        .forced_sensor = -1,
	        .partial = a->val[OPT_PARTIAL] != NULL,
	        .threads = a->val[OPT_JOBS] ? atoi(a->val[OPT_JOBS]) : 0,
	        .max_keys = a->val[OPT_MAXKEYS] ? strtoul(a->val[OPT_MAXKEYS], NULL, 10) : 0,
	        .quiet = a->val[OPT_QUIET] != NULL,
	        .split = (uint64_t)16 << 20,
	};
	if (a->val[OPT_SPLIT]) {
		int rc = parse_size(a->val[OPT_SPLIT], &o.split);
		if (rc < 0)
			return ds_cmd_fail(rc);
	}
	if (a->val[OPT_SENSOR]) {
		o.forced_sensor = ds_config_find_sensor(&c->cfg, a->val[OPT_SENSOR]);
		if (o.forced_sensor < 0)
			o.forced_sensor = ds_config_add_sensor(&c->cfg, a->val[OPT_SENSOR], NULL);
		if (o.forced_sensor < 0)
			return ds_cmd_fail(o.forced_sensor);
	}
	/* A bad geo database is fatal before any file is read. */
	if (o.geoip && *o.geoip) {
		struct ds_geo *g;
		int rc = ds_geo_open(&g, o.geoip);
		if (rc < 0)
			return ds_cmd_fail(rc);
		ds_geo_close(g);
	}
	struct ds_store *st;
	int rc = ds_cmd_store(c, &st);
	if (rc)
		return rc;
	struct ds_ingest_result res;
	rc = ds_ingest(st, &o, a->pos, a->npos, &res);
	st->ops->close(st);
	if (rc < 0 && res.failed == 0) /* before any file: not said yet */
		fprintf(stderr, "darkscope: %s\n", ds_lasterr());
	if (!o.quiet)
		fprintf(stderr,
		        "darkscope: %u ingested, %u skipped, %u failed; %llu packets in %.3f s\n",
		        res.ingested, res.skipped, res.failed, (unsigned long long)res.packets,
		        res.seconds);
	return rc < 0 ? 1 : 0;
}
