/* days.c - time the day rollups alone: every stored day's hours are read
 * and its rows of every mask built again, ROUNDS times, and the rows built
 * are checked against the day segments stored (key, packets, sketch bytes).
 * usage: bench_days DB [ROUNDS] */
#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cmp {
	const struct ds_day *d;
	unsigned dims;
	size_t at, bad;
};

static int compare(void *ctx, int32_t hour, const struct ds_row *rows, size_t n)
{
	struct cmp *c = ctx;
	const struct ds_row *b;
	size_t nb;
	(void)hour;
	ds_day_rows(c->d, c->dims, &b, &nb);
	for (size_t i = 0; i < n; i++, c->at++)
		if (c->at >= nb || b[c->at].key != rows[i].key ||
		    b[c->at].packets != rows[i].packets || b[c->at].enclen != rows[i].enclen ||
		    memcmp(b[c->at].enc, rows[i].enc, rows[i].enclen) != 0)
			c->bad++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_days DB [ROUNDS]\n");
		return 2;
	}
	int rounds = argc == 3 ? atoi(argv[2]) : 3;
	struct ds_store *s;
	int32_t h0, h1;
	if (ds_store_open(&s, argv[1]) < 0 || s->ops->span(s, &h0, &h1) < 0) {
		fprintf(stderr, "bench_days: %s\n", ds_lasterr());
		return 1;
	}
	int32_t d0 = (int32_t)ds_floordiv(h0, 24), d1 = (int32_t)ds_floordiv(h1, 24) + 1;
	double tread = 0, tbuild = 0;
	size_t bad = 0, rows = 0;
	for (int r = 0; r < rounds; r++) {
		double best_read = 0, best_build = 0;
		for (int32_t day = d0; day < d1; day++) {
			struct ds_day *d = NULL;
			double t0 = ds_elapsed();
			if (ds_day_read(s, day, &d) < 0) {
				fprintf(stderr, "bench_days: %s\n", ds_lasterr());
				return 1;
			}
			double t1 = ds_elapsed();
			if (ds_day_build(d) < 0) {
				fprintf(stderr, "bench_days: day %d: %s\n", day, ds_lasterr());
				return 1;
			}
			double t2 = ds_elapsed();
			best_read += t1 - t0, best_build += t2 - t1;
			for (unsigned m = 0; r == 0 && m <= DS_DIM_ALL; m++) {
				struct cmp c = {d, m, 0, 0};
				const struct ds_row *b;
				size_t nb;
				ds_day_rows(d, m, &b, &nb);
				s->ops->scan_days(s, m, day, day + 1, 1, compare, &c);
				bad += c.bad + (c.at != nb ? 1 : 0);
				rows += nb;
			}
			ds_day_free(d);
		}
		if (r == 0 || best_build < tbuild)
			tread = best_read, tbuild = best_build;
	}
	printf("%d days, %zu rows: read %.1f ms, build %.1f ms a day (best of %d); %s\n", d1 - d0,
	       rows, 1e3 * tread / (d1 - d0), 1e3 * tbuild / (d1 - d0), rounds,
	       bad ? "DIFFERENT from the stored days" : "identical to the stored days");
	s->ops->close(s);
	return bad ? 1 : 0;
}
