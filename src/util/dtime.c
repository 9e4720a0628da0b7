/* dtime.c - civil dates (Howard Hinnant's days-from-civil algorithm). */
#include "darkscope/dtime.h"

#include "darkscope/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int64_t ds_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = ds_floordiv(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void ds_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = ds_floordiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

int ds_parse_date(const char *s, int64_t *day)
{
	int y, m, d, n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || s[n] != 0 || y < 1970 ||
	    y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return ds_fail(DS_E_USAGE, "bad date '%s' (want YYYY-MM-DD)", s ? s : "");
	*day = ds_days_from_civil(y, m, d);
	return 0;
}

void ds_format_date(int64_t day, char *out)
{
	int y, m, d;
	ds_civil_from_days(day, &y, &m, &d);
	unsigned uy = (unsigned)y % 10000u, um = (unsigned)m % 13u, ud = (unsigned)d % 32u;
	out[0] = (char)('0' + uy / 1000), out[1] = (char)('0' + uy / 100 % 10);
	out[2] = (char)('0' + uy / 10 % 10), out[3] = (char)('0' + uy % 10), out[4] = '-';
	out[5] = (char)('0' + um / 10), out[6] = (char)('0' + um % 10), out[7] = '-';
	out[8] = (char)('0' + ud / 10), out[9] = (char)('0' + ud % 10), out[10] = 0;
}

int ds_parse_tz(const char *s, int *hours)
{
	static const struct {
		const char *name;
		int off;
	} named[] = {
	        {"UTC", 0},           {"GMT", 0},     {"Z", 0},          {"JST", 9},
	        {"KST", 9},           {"CST", 8},     {"Asia/Tokyo", 9}, {"Asia/Seoul", 9},
	        {"Asia/Shanghai", 8}, {"Etc/UTC", 0},
	};
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strcasecmp(s, named[i].name) == 0) {
			*hours = named[i].off;
			return 0;
		}
	const char *p = s;
	if (strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0)
		p += 3;
	if (*p != '+' && *p != '-')
		goto bad;
	int sign = *p++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)p[0]))
		goto bad;
	int h = 0, mins = 0, nd = 0;
	while (isdigit((unsigned char)*p) && nd < 4)
		h = h * 10 + (*p++ - '0'), nd++;
	if (nd == 3 || nd == 4) { /* +0900 */
		mins = h % 100;
		h /= 100;
	} else if (*p == ':') {
		p++;
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
			goto bad;
		mins = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
	}
	if (*p || mins != 0 || h > 14)
		goto bad;
	*hours = sign * h;
	if (*hours < -12)
		goto bad;
	return 0;
bad:
	return ds_fail(DS_E_USAGE,
	               "bad time zone '%s' (want UTC, JST or a whole-hour offset such as +09:00)",
	               s);
}

int ds_parse_quarter(const char *s, int64_t *first, int64_t *last)
{
	int y, q, n = 0;
	if (sscanf(s, "%4d%*[Qq]%1d%n", &y, &q, &n) != 2 || s[n] || q < 1 || q > 4 || y < 1970)
		return ds_fail(DS_E_USAGE, "bad quarter '%s' (want e.g. 2014Q4)", s);
	int m0 = (q - 1) * 3 + 1;
	*first = ds_days_from_civil(y, m0, 1);
	*last = ds_days_from_civil(y, m0 + 2, days_in_month(y, m0 + 2));
	return 0;
}

double ds_elapsed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
