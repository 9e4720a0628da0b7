/* main.c - the darkscope command: parse, load the config, dispatch. */
#include "cmd/cmd.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/log.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ds_cmd_fail(int rc)
{
	fprintf(stderr, "darkscope: %s\n", ds_lasterr());
	return rc == -DS_E_USAGE ? 2 : 1;
}

int ds_cmd_store(struct ds_ctx *c, struct ds_store **st)
{
	const char *db = c->args.val[OPT_DB] ? c->args.val[OPT_DB] : c->cfg.db;
	int rc = ds_store_open(st, db);
	return rc < 0 ? ds_cmd_fail(rc) : 0;
}

int ds_cmd_period(struct ds_ctx *c, struct ds_store *st, struct ds_period *p, int *is_quarter)
{
	const char *tz = c->args.val[OPT_TZ] ? c->args.val[OPT_TZ] : c->cfg.tz;
	int rc = ds_parse_tz(tz, &p->tz);
	*is_quarter = 0;
	if (rc < 0)
		return rc;
	if (c->args.val[OPT_QUARTER]) {
		if (c->args.val[OPT_FROM] || c->args.val[OPT_TO])
			return ds_fail(DS_E_USAGE, "give either --quarter or --from/--to");
		*is_quarter = 1;
		return ds_parse_quarter(c->args.val[OPT_QUARTER], &p->day0, &p->day1);
	}
	if (c->args.val[OPT_FROM] || c->args.val[OPT_TO]) {
		if (!c->args.val[OPT_FROM] || !c->args.val[OPT_TO])
			return ds_fail(DS_E_USAGE, "--from and --to go together");
		if ((rc = ds_parse_date(c->args.val[OPT_FROM], &p->day0)) < 0 ||
		    (rc = ds_parse_date(c->args.val[OPT_TO], &p->day1)) < 0)
			return rc;
		if (p->day1 < p->day0)
			return ds_fail(DS_E_USAGE, "--to is before --from");
		return 0;
	}
	int32_t first, last;
	if (!st || (rc = st->ops->span(st, &first, &last)) < 0)
		return rc;
	p->day0 = ds_floordiv((int64_t)first + p->tz, 24);
	p->day1 = ds_floordiv((int64_t)last + p->tz, 24);
	return 0;
}

static const struct {
	const char *name;
	int (*run)(struct ds_ctx *);
} commands[] = {
        {"ingest", ds_cmd_ingest}, {"top", ds_cmd_top},         {"series", ds_cmd_series},
        {"synth", ds_cmd_synth},   {"sensors", ds_cmd_sensors}, {"files", ds_cmd_files},
        {"events", ds_cmd_events}, {"report", ds_cmd_report},
};

int main(int argc, char **argv)
{
	struct ds_ctx c;
	int status = 2;
	/* Segments are decoded into large short-lived buffers: keep them in the
	 * heap instead of a fresh (page-faulting) mapping each time. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	if (ds_args_parse(&c.args, argc, argv) < 0) {
		fprintf(stderr, "darkscope: %s\n", ds_lasterr());
		free(c.args.pos);
		return 2;
	}
	if (c.args.cmd && strcmp(c.args.cmd, "man") == 0) {
		ds_args_man();
		free(c.args.pos);
		return 0;
	}
	if (!c.args.cmd || strcmp(c.args.cmd, "help") == 0) {
		ds_args_help(c.args.npos ? c.args.pos[0] : NULL);
		free(c.args.pos);
		return c.args.cmd ? 0 : 2;
	}
	if (c.args.val[OPT_HELP]) {
		ds_args_help(c.args.cmd);
		free(c.args.pos);
		return 0;
	}
	ds_log_level =
	        c.args.val[OPT_QUIET] ? DS_LOG_ERROR : DS_LOG_WARN + c.args.count[OPT_VERBOSE];
	if (ds_config_init(&c.cfg) < 0 ||
	    (c.args.val[OPT_CONFIG] && ds_config_load(&c.cfg, c.args.val[OPT_CONFIG]) < 0)) {
		fprintf(stderr, "darkscope: %s\n", ds_lasterr());
		status = 1;
		goto out;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, c.args.cmd) == 0) {
			status = commands[i].run(&c);
			goto out;
		}
	fprintf(stderr, "darkscope: unknown command '%s' (see darkscope help)\n", c.args.cmd);
out:
	ds_config_free(&c.cfg);
	free(c.args.pos);
	return status;
}
