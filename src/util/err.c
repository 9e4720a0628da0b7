/* err.c - error messages and the per-thread detail line. */
#include "darkscope/err.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const msgs[DS_E__COUNT] = {
#define DS__X(name, msg) [DS_E_##name] = msg,
        DS_ERRORS(DS__X)
#undef DS__X
};

static _Thread_local char lastbuf[1024];

const char *ds_strerror(int rc)
{
	if (rc < 0)
		rc = -rc;
	if (rc >= DS_E__COUNT)
		return "unknown error";
	return msgs[rc];
}

int ds_fail(enum ds_err code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lastbuf, sizeof lastbuf, fmt, ap);
	va_end(ap);
	return -(int)code;
}

const char *ds_lasterr(void)
{
	return lastbuf;
}
