/* log.c - "darkscope: component: level: message" lines on stderr. */
#include "darkscope/log.h"

#include <stdarg.h>
#include <stdio.h>

int ds_log_level = DS_LOG_WARN;

static const char *const names[] = {"error", "warning", "info", "debug"};

void ds__log(enum ds_loglevel lvl, const char *comp, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "darkscope: %s: %s: %s\n", comp, names[lvl], line);
}
