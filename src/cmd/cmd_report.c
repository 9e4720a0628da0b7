/* cmd_report.c - darkscope report: the period's report in several formats. */
#include "cmd/cmd.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/report.h"

#include <stdio.h>

int ds_cmd_report(struct ds_ctx *c)
{
	struct ds_args *a = &c->args;
	struct ds_report_opts o = {.outdir = a->val[OPT_OUT],
	                           .formats = DS_REPORT_ALL,
	                           .reveal_sensors = a->val[OPT_REVEAL] != NULL,
	                           .cfg = &c->cfg};
	struct ds_store *st = NULL;
	struct ds_labels *l = NULL;
	struct ds_period p = {0};
	int rc = 0, status;
	if (a->npos)
		rc = ds_fail(DS_E_USAGE, "unexpected argument '%s'", a->pos[0]);
	else if (!o.outdir)
		rc = ds_fail(DS_E_USAGE, "report needs --out DIR");
	else if (!a->val[OPT_QUARTER] && !(a->val[OPT_FROM] && a->val[OPT_TO]))
		rc = ds_fail(DS_E_USAGE, "report needs --quarter or --from and --to");
	else if (a->val[OPT_FORMAT])
		rc = ds_report_parse_formats(a->val[OPT_FORMAT], &o.formats);
	if (rc < 0)
		return ds_cmd_fail(rc);
	if ((status = ds_cmd_store(c, &st)) != 0)
		return status;
	double t0 = ds_elapsed();
	if ((rc = ds_labels_open(&l, c->cfg.services, c->cfg.countries, st)) == 0 &&
	    (rc = ds_cmd_period(c, st, &p, &o.is_quarter)) == 0)
		rc = ds_report_write(st, l, &p, &o);
	ds_labels_close(l);
	st->ops->close(st);
	if (rc < 0)
		return ds_cmd_fail(rc);
	if (!a->val[OPT_QUIET])
		fprintf(stderr, "report written to %s/ in %.2f s\n", o.outdir, ds_elapsed() - t0);
	return 0;
}
