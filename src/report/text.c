/* text.c - the report's generated prose: what the tables and figures show. */
#include "report/report_int.h"

#include "darkscope/dtime.h"

#include <math.h>
#include <string.h>

void rp_period_text(const struct rp_report *r, char *out, size_t cap)
{
	char a[32], b[32];
	int y, m, d, y1, m1, d1;
	ds_civil_from_days(r->p.day0, &y, &m, &d);
	ds_civil_from_days(r->p.day1 + 1, &y1, &m1, &d1);
	if (r->opts->is_quarter) {
		snprintf(out, cap, "%d Q%d", y, (m - 1) / 3 + 1);
		return;
	}
	rp_day(r->p.day0, a, sizeof a);
	rp_day(r->p.day1, b, sizeof b);
	snprintf(out, cap, "%s to %s", a, b);
}

static const char *sensor_alias(const struct rp_report *r, uint64_t key)
{
	for (size_t i = 0; i < r->nsens; i++)
		if (r->sens[i].key == key)
			return r->sens[i].alias;
	return "an unnamed sensor";
}

static void shares_text(const struct rp_report *r, unsigned by, const struct ds_ev_share *s,
                        size_t n, char *out, size_t cap)
{
	out[0] = 0;
	for (size_t i = 0; i < n && i < 3 && s[i].share >= 0.1; i++) {
		char name[96];
		ds_label_display(r->l, by, s[i].key, name, sizeof name);
		rp_cat(out, cap, "%s%s (%.0f%%)", i == 0 ? "" : ", ", name, 100 * s[i].share);
	}
}

static void event_sentence(const struct rp_report *r, const struct ds_event *e, char *out,
                           size_t cap, int brief)
{
	char keys[256], d0[32], d1[32], d2[32], who[512];
	rp_event_keys(r, e, keys, sizeof keys);
	rp_day(e->start, d0, sizeof d0);
	rp_day(e->peak, d1, sizeof d1);
	rp_day(e->end, d2, sizeof d2);
	rp_cat(out, cap, "%s %s sharply from %s", keys, e->rise ? "rose" : "fell", d0);
	if (e->ongoing)
		rp_cat(out, cap, " and was still %s at the end of the period",
		       e->rise ? "high" : "low");
	else if (e->end > e->start)
		rp_cat(out, cap, " to %s", d2);
	else
		rp_cat(out, cap, " for one day");
	if (e->rise && e->expected < (double)(e->end - e->start + 1))
		rp_cat(out, cap,
		       ", from almost nothing before, peaking on %s (%lld packets in all)", d1,
		       (long long)e->excess_packets);
	else if (e->rise)
		rp_cat(out, cap,
		       ", peaking on %s at %.1f times its usual level (%lld packets above it)", d1,
		       e->factor, (long long)e->excess_packets);
	else
		rp_cat(out, cap, ", down to %.0f%% of its usual level on %s", 100 * e->factor, d1);
	if (e->broad) {
		rp_cat(out, cap, "; it was seen at %u of the %u sensors", e->sensors_rising,
		       e->sensors_reporting);
	} else if (e->nsensors) {
		rp_cat(out, cap, "; only %s saw it", sensor_alias(r, e->sensors[0].key));
		for (size_t i = 1; i < e->nsensors; i++)
			rp_cat(out, cap, "%s%s", i + 1 == e->nsensors ? " and " : ", ",
			       sensor_alias(r, e->sensors[i].key));
		if (!brief)
			rp_cat(out, cap, ", and no other sensor showed any notable change");
	}
	if (e->dims & DS_DIM_PORT && e->dims != (DS_DIM_PORT | DS_DIM_CC)) {
		shares_text(r, DS_DIM_CC, e->regions, e->nregions, who, sizeof who);
		if (*who)
			rp_cat(out, cap, ". Most of the increase came from %s", who);
	} else if (e->dims == DS_DIM_CC) {
		shares_text(r, DS_DIM_PORT, e->ports, e->nports, who, sizeof who);
		if (*who)
			rp_cat(out, cap, ". It was driven by %s", who);
	}
	rp_cat(out, cap, ".");
}

void rp_event_text(struct rp_report *r, size_t idx)
{
	const struct ds_event *e = &r->ev.v[idx];
	struct rp_event *x = &r->evs[idx];
	event_sentence(r, e, x->text, sizeof x->text, 0);
	if (e->sources)
		rp_cat(x->text, sizeof x->text,
		       " %llu distinct sources sent these packets, against %llu over as many days "
		       "before.",
		       (unsigned long long)e->sources, (unsigned long long)e->sources_before);
	if (e->members > 1)
		rp_cat(x->text, sizeof x->text,
		       " This finding groups %zu related detections (the same port number, or a "
		       "region and a port within it, at the same time).",
		       e->members);
	rp_cat(x->text, sizeof x->text, " Breadth: %s.",
	       e->broad ? "broad (seen across the sensors)" : "local (one sensor or a few)");
}

/* "X ranked first, as before", "Y rose from 7th to 3rd", "Z is new". */
static void ranking_text(struct rp_report *r, unsigned by, const struct ds_top *t, char *out,
                         size_t cap)
{
	char name[96], a[16], b[16];
	if (!t->n)
		return;
	const struct ds_top_row *top = &t->rows[0];
	ds_label_display(r->l, by, top->key, name, sizeof name);
	double share =
	        100.0 * (double)top->packets / (double)(t->total_packets ? t->total_packets : 1);
	rp_cat(out, cap, "The most %s %s was %s, with %.1f%% of all packets",
	       by == DS_DIM_PORT ? "targeted" : "active",
	       by == DS_DIM_PORT ? "destination port" : "source region", name, share);
	if (top->prev_rank == 1)
		rp_cat(out, cap, ", as in the previous period. ");
	else if (top->prev_rank)
		rp_cat(out, cap, ", up from %s in the previous period. ",
		       rp_ordinal(top->prev_rank, a, sizeof a));
	else
		rp_cat(out, cap, "; it did not appear in the previous period. ");
	for (size_t i = 1; i < t->n; i++) {
		const struct ds_top_row *x = &t->rows[i];
		ds_label_display(r->l, by, x->key, name, sizeof name);
		if (x->prev_rank == 0)
			rp_cat(out, cap, "%s is new (ranked %s). ", name,
			       rp_ordinal((long)x->rank, a, sizeof a));
		else if (x->prev_rank > 5)
			rp_cat(out, cap, "%s entered the top five at %s (%s before). ", name,
			       rp_ordinal((long)x->rank, a, sizeof a),
			       rp_ordinal(x->prev_rank, b, sizeof b));
		else if (x->prev_rank != (long)x->rank)
			rp_cat(out, cap, "%s moved from %s to %s. ", name,
			       rp_ordinal(x->prev_rank, a, sizeof a),
			       rp_ordinal((long)x->rank, b, sizeof b));
	}
}

void rp_overview_text(struct rp_report *r)
{
	char span[64], *p;
	size_t cap = sizeof r->overview[0];
	rp_period_text(r, span, sizeof span);
	p = r->overview[r->noverview++];
	rp_cat(p, cap,
	       "In %s, %zu sensor%s received %llu packets from %llu distinct source addresses, on "
	       "%zu "
	       "of the period's %zu days. ",
	       span, r->nsens, r->nsens == 1 ? "" : "s", (unsigned long long)r->ports.total_packets,
	       (unsigned long long)r->ports.total_sources, r->days_covered, r->days);
	ranking_text(r, DS_DIM_PORT, &r->ports, p, cap);
	/* what moved, in order of significance: the port events first */
	p = r->overview[r->noverview++];
	size_t said = 0;
	for (size_t i = 0; i < r->ev.n && said < 3; i++) {
		const struct ds_event *e = &r->ev.v[i];
		if (!(e->dims & DS_DIM_PORT))
			continue;
		if (said++)
			rp_cat(p, cap, " ");
		event_sentence(r, e, p, cap, 1);
	}
	if (!said)
		rp_cat(p, cap,
		       "No port rose or fell sharply against its baseline during the period.");
	p = r->overview[r->noverview++];
	ranking_text(r, DS_DIM_CC, &r->regions, p, cap);
	for (size_t i = 0; i < r->ev.n; i++) {
		const struct ds_event *e = &r->ev.v[i];
		char cc[96], port[96];
		if (e->dims == DS_DIM_CC) {
			event_sentence(r, e, p, cap, 1);
			rp_cat(p, cap, " ");
		} else if (e->dims == DS_DIM_PORT && e->nregions && e->regions[0].share >= 0.4) {
			ds_label_display(r->l, DS_DIM_CC, e->regions[0].key, cc, sizeof cc);
			ds_label_display(r->l, DS_DIM_PORT, e->keys[0], port, sizeof port);
			rp_cat(p, cap, "%s led the %s of %s (%.0f%% of the change). ", cc,
			       e->rise ? "rise" : "fall", port, 100 * e->regions[0].share);
		} else if (e->dims == (DS_DIM_PORT | DS_DIM_CC)) {
			ds_label_display(r->l, DS_DIM_CC, e->keys[0], cc, sizeof cc);
			ds_label_display(r->l, DS_DIM_PORT, e->keys[0], port, sizeof port);
			rp_cat(p, cap, "%s from %s %s. ", port, cc, e->rise ? "rose" : "fell");
		}
	}
}
