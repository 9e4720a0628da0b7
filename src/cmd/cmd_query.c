/* cmd_query.c - darkscope top | series | sensors. */
#include "cmd/cmd.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct q {
	struct ds_store *st;
	struct ds_labels *labels;
	struct ds_period period;
	int is_quarter;
	struct ds_filter filter;
	unsigned by;
	enum ds_format fmt;
	size_t n;
};

static int parse_by(const char *s, unsigned *by)
{
	if (s && (strcmp(s, "ports") == 0 || strcmp(s, "port") == 0))
		*by = DS_DIM_PORT;
	else if (s && (strcmp(s, "regions") == 0 || strcmp(s, "region") == 0))
		*by = DS_DIM_CC;
	else if (s && (strcmp(s, "sensors") == 0 || strcmp(s, "sensor") == 0))
		*by = DS_DIM_SENSOR;
	else
		return ds_fail(DS_E_USAGE, "say what to rank: ports, regions or sensors");
	return 0;
}

static int add_filter(struct q *q, unsigned dim, const char *text)
{
	uint64_t k;
	if (!text)
		return 0;
	int rc = ds_label_parse(q->labels, dim, text, &k);
	if (rc < 0)
		return rc;
	q->filter.dims |= dim;
	q->filter.key |= ds_key_mask(k, dim);
	return 0;
}

static int parse_count(const char *s, size_t *n)
{
	char *end;
	long v = s ? strtol(s, &end, 10) : 5;
	if (s && (*end || v < 1 || v > 100000))
		return ds_fail(DS_E_USAGE, "bad count '%s' (1 to 100000)", s);
	*n = (size_t)v;
	return 0;
}

/* need_by: the command takes ports|regions|sensors. */
static int setup(struct ds_ctx *c, struct q *q, int need_by)
{
	struct ds_args *a = &c->args;
	memset(q, 0, sizeof *q);
	int rc = need_by ? parse_by(a->npos ? a->pos[0] : NULL, &q->by) : 0;
	if (rc == 0 && a->npos > need_by)
		rc = ds_fail(DS_E_USAGE, "unexpected argument '%s'", a->pos[need_by]);
	if (rc == 0 && a->val[OPT_FORMAT])
		rc = ds_parse_format(a->val[OPT_FORMAT], &q->fmt);
	if (rc == 0)
		rc = parse_count(a->val[OPT_N], &q->n);
	if (rc < 0)
		return ds_cmd_fail(rc);
	if ((rc = ds_cmd_store(c, &q->st)) != 0)
		return rc;
	if ((rc = ds_labels_open(&q->labels, c->cfg.services, c->cfg.countries, q->st)) < 0 ||
	    (rc = ds_cmd_period(c, q->st, &q->period, &q->is_quarter)) < 0 ||
	    (rc = add_filter(q, DS_DIM_PORT, a->val[OPT_PORT])) < 0 ||
	    (rc = add_filter(q, DS_DIM_CC, a->val[OPT_REGION])) < 0 ||
	    (rc = add_filter(q, DS_DIM_SENSOR, a->val[OPT_SENSOR])) < 0)
		return ds_cmd_fail(rc);
	return 0;
}

static void teardown(struct q *q)
{
	ds_labels_close(q->labels);
	if (q->st)
		q->st->ops->close(q->st);
}

int ds_cmd_top(struct ds_ctx *c)
{
	struct q q;
	struct ds_top t;
	int status = setup(c, &q, 1);
	if (status)
		goto out;
	int rc = ds_top(q.st, q.by, &q.period, &q.filter, q.n, 1, ds_label_key, q.labels, &t);
	if (rc == 0 && c->args.val[OPT_PREVIOUS]) {
		struct ds_period prev;
		ds_period_previous(&q.period, q.is_quarter, &prev);
		rc = ds_top_previous(q.st, q.by, &prev, &q.filter, ds_label_key, q.labels, &t);
	}
	if (rc < 0) {
		status = ds_cmd_fail(rc);
		goto out;
	}
	ds_print_top(stdout, q.fmt, q.labels, q.by, &q.period, &t,
	             c->args.val[OPT_PREVIOUS] != NULL);
	ds_top_free(&t);
out:
	teardown(&q);
	return status;
}

int ds_cmd_series(struct ds_ctx *c)
{
	struct q q;
	struct ds_series s;
	uint64_t keys[DS_MAX_MULTI];
	enum ds_step step = DS_STEP_DAY;
	const char *st = c->args.val[OPT_STEP];
	int status = setup(c, &q, 1), rc = 0;
	if (status)
		goto out;
	if (st && strcmp(st, "hour") == 0)
		step = DS_STEP_HOUR;
	else if (st && strcmp(st, "week") == 0)
		step = DS_STEP_WEEK;
	else if (st && strcmp(st, "day") != 0)
		rc = ds_fail(DS_E_USAGE, "bad step '%s' (want hour, day or week)", st);
	int nk = c->args.count[OPT_KEY];
	for (int i = 0; i < nk && rc == 0; i++)
		rc = ds_label_parse(q.labels, q.by, c->args.multi[OPT_KEY][i], &keys[i]);
	if (rc == 0)
		rc = ds_series(q.st, q.by, &q.period, &q.filter, keys, (size_t)nk, q.n, step,
		               ds_label_key, q.labels, &s);
	if (rc < 0) {
		status = ds_cmd_fail(rc);
		goto out;
	}
	ds_print_series(stdout, q.fmt, q.labels, q.by, &q.period, &s);
	ds_series_free(&s);
out:
	teardown(&q);
	return status;
}

int ds_cmd_events(struct ds_ctx *c)
{
	struct q q;
	struct ds_events ev;
	int status = setup(c, &q, 0);
	if (status)
		goto out;
	int rc = ds_events_find(q.st, &q.period, &q.filter, &c->cfg.events, ds_label_key, q.labels,
	                        &ev);
	if (rc < 0) {
		status = ds_cmd_fail(rc);
		goto out;
	}
	ds_print_events(stdout, q.fmt, q.labels, &q.period, &ev, c->args.val[OPT_N] ? q.n : 0);
	ds_events_free(&ev);
out:
	teardown(&q);
	return status;
}

int ds_cmd_sensors(struct ds_ctx *c)
{
	struct ds_store *st;
	struct ds_sensor_row *rows;
	size_t n;
	enum ds_format fmt = DS_FMT_TABLE;
	int rc = c->args.val[OPT_FORMAT] ? ds_parse_format(c->args.val[OPT_FORMAT], &fmt) : 0;
	if (rc < 0)
		return ds_cmd_fail(rc);
	if ((rc = ds_cmd_store(c, &st)) != 0)
		return rc;
	rc = st->ops->sensors(st, &rows, &n);
	st->ops->close(st);
	if (rc < 0)
		return ds_cmd_fail(rc);
	if (fmt == DS_FMT_JSON) {
		printf("{\"sensors\":[");
		for (size_t i = 0; i < n; i++) {
			printf("%s{\"id\":%u,\"name\":", i ? "," : "", rows[i].id);
			ds_json_str(stdout, rows[i].name);
			printf(",\"alias\":");
			ds_json_str(stdout, rows[i].alias);
			printf("}");
		}
		printf("]}\n");
	} else {
		for (size_t i = 0; i < n; i++)
			printf(fmt == DS_FMT_CSV ? "%u,%s,%s\n" : "%-5u %-24s %s\n", rows[i].id,
			       rows[i].name, rows[i].alias);
	}
	free(rows);
	return 0;
}

struct filesctx {
	enum ds_format fmt;
	int n;
};

static int print_file(void *ctx, const struct ds_file_info *fi)
{
	struct filesctx *c = ctx;
	char a[32], b[32];
	time_t t0 = (time_t)fi->first_ts, t1 = (time_t)fi->last_ts;
	struct tm tm;
	strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
	strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
	if (c->fmt == DS_FMT_JSON) {
		printf("%s{\"digest\":\"%s\",\"path\":", c->n ? "," : "", fi->digest);
		ds_json_str(stdout, fi->path);
		printf(",\"packets\":%llu,\"first\":\"%s\",\"last\":\"%s\",\"partial\":%s}",
		       (unsigned long long)fi->packets, a, b, fi->partial ? "true" : "false");
	} else if (c->fmt == DS_FMT_CSV) {
		printf("%s,%s,%llu,%s,%s,%d\n", fi->digest, fi->path,
		       (unsigned long long)fi->packets, a, b, fi->partial);
	} else {
		printf("%12llu  %s  %s  %s%s\n", (unsigned long long)fi->packets, a, b, fi->path,
		       fi->partial ? "  (partial)" : "");
	}
	c->n++;
	return 0;
}

int ds_cmd_files(struct ds_ctx *c)
{
	struct ds_store *st;
	struct filesctx fc = {.fmt = DS_FMT_TABLE};
	int rc = c->args.val[OPT_FORMAT] ? ds_parse_format(c->args.val[OPT_FORMAT], &fc.fmt) : 0;
	if (rc < 0)
		return ds_cmd_fail(rc);
	if ((rc = ds_cmd_store(c, &st)) != 0)
		return rc;
	if (fc.fmt == DS_FMT_JSON)
		printf("{\"files\":[");
	else if (fc.fmt == DS_FMT_CSV)
		printf("digest,path,packets,first,last,partial\n");
	rc = st->ops->files(st, print_file, &fc);
	if (fc.fmt == DS_FMT_JSON)
		printf("]}\n");
	st->ops->close(st);
	return rc < 0 ? ds_cmd_fail(rc) : 0;
}
