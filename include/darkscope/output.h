/* output.h - top tables and series as text tables, JSON or CSV. */
#ifndef DARKSCOPE_OUTPUT_H
#define DARKSCOPE_OUTPUT_H

#include <stdio.h>

#include "darkscope/analyse.h"
#include "darkscope/events.h"
#include "darkscope/labels.h"

enum ds_format { DS_FMT_TABLE, DS_FMT_JSON, DS_FMT_CSV };

int ds_parse_format(const char *s, enum ds_format *f);

/* "ports", "regions", "sensors" for a DS_DIM_* bit. */
const char *ds_dim_name(unsigned by);

void ds_print_top(FILE *out, enum ds_format fmt, struct ds_labels *l, unsigned by,
                  const struct ds_period *p, const struct ds_top *t, int previous);

void ds_print_series(FILE *out, enum ds_format fmt, struct ds_labels *l, unsigned by,
                     const struct ds_period *p, const struct ds_series *s);

/* The first `limit` events (0 = all). */
void ds_print_events(FILE *out, enum ds_format fmt, struct ds_labels *l, const struct ds_period *p,
                     const struct ds_events *e, size_t limit);

/* One event as a JSON object (the fields of `darkscope events`). */
void ds_json_event(FILE *out, struct ds_labels *l, const struct ds_event *e);

/* Write s as a JSON string literal (quotes included). */
void ds_json_str(FILE *out, const char *s);

#endif
