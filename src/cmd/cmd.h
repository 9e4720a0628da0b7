/* cmd.h - what the command mains share: parsed arguments and set-up. */
#ifndef DARKSCOPE_CMD_H
#define DARKSCOPE_CMD_H

#include "cmd/opts.h"
#include "darkscope/analyse.h"
#include "darkscope/config.h"
#include "darkscope/labels.h"
#include "darkscope/store.h"

struct ds_ctx {
	struct ds_args args;
	struct ds_config cfg;
};

/* Each returns the process exit status: 0, 1 (failure) or 2 (usage). */
int ds_cmd_ingest(struct ds_ctx *c);
int ds_cmd_top(struct ds_ctx *c);
int ds_cmd_series(struct ds_ctx *c);
int ds_cmd_sensors(struct ds_ctx *c);
int ds_cmd_files(struct ds_ctx *c);
int ds_cmd_synth(struct ds_ctx *c);
int ds_cmd_events(struct ds_ctx *c);
int ds_cmd_report(struct ds_ctx *c);

/* Print "darkscope: <last error>" and return the exit status for rc. */
int ds_cmd_fail(int rc);

/* Open the store named by --db or the config. */
int ds_cmd_store(struct ds_ctx *c, struct ds_store **st);

/* The period from --quarter / --from --to, else the stored span. */
int ds_cmd_period(struct ds_ctx *c, struct ds_store *st, struct ds_period *p, int *is_quarter);

#endif
