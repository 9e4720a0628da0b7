/* dtime.h - calendar arithmetic on packet time (never the wall clock).
 *
 * Days are counted from 1970-01-01; hours from the epoch.  A time zone is a
 * whole-hour offset from UTC. */
#ifndef DARKSCOPE_DTIME_H
#define DARKSCOPE_DTIME_H

#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t ds_days_from_civil(int y, int m, int d);
/* The date of day n since 1970-01-01. */
void ds_civil_from_days(int64_t n, int *y, int *m, int *d);

/* Parse "YYYY-MM-DD" into a day number; -DS_E_USAGE on a bad date. */
int ds_parse_date(const char *s, int64_t *day);
/* Format day n as "YYYY-MM-DD" into out (at least 11 bytes). */
void ds_format_date(int64_t day, char *out);

/* Parse a zone: "UTC", "Z", "JST", "+9", "+09", "+0900", "+09:00", "UTC+9",
 * "-05:00".  Sets *hours to the offset east of UTC (-12..+14). */
int ds_parse_tz(const char *s, int *hours);

/* Parse "2014Q4" into the first and last day of the quarter. */
int ds_parse_quarter(const char *s, int64_t *first, int64_t *last);

/* Seconds on the monotonic clock: for timing darkscope itself (-v, bench),
 * never for anything that is counted. */
double ds_elapsed(void);

/* Floor division for signed values. */
static inline int64_t ds_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

#endif
