/* cmd_synth.c - darkscope synth --out FILE [period] [--event SPEC]... */
#include "cmd/cmd.h"

#include "darkscope/dtime.h"
#include "darkscope/err.h"
#include "darkscope/synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The phenomena of the reference report (JPCERT/CC, Oct-Dec 2014). */
static const char *const reference[] = {
        "surge:port=23/tcp,start=2014-11-03,days=8,x=5",
        "surge:port=23/tcp,start=2014-12-09,days=3,x=2.5",
        "region:port=8080/tcp,cc=CN,start=2014-12-01,days=31,x=2.2",
        "region:port=8080/tcp,cc=JP,start=2014-12-05,days=27,x=1.6",
        "local:sensor=osaka-2,port=12543/tcp+12543/udp,start=2014-10-14,days=5,share=1.0,cc=JP",
};

static int write_config(const struct ds_config *cfg, const char *path, const char *geoip)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return ds_fail(DS_E_IO, "%s: cannot create", path);
	fprintf(f, "# written by darkscope synth\n[darkscope]\ndb = %s\n", cfg->db);
	if (geoip && *geoip)
		fprintf(f, "geoip = %s\n", geoip);
	for (unsigned i = 1; i < cfg->nsensors; i++) {
		fprintf(f, "\n[sensor %s]\nalias = %s\n", cfg->sensors[i].name,
		        cfg->sensors[i].alias);
		for (unsigned j = 0; j < cfg->nprefixes; j++) {
			const struct ds_prefix *x = &cfg->prefixes[j];
			if (x->sensor != i)
				continue;
			char a[64];
			ds_prefix_format(x, a, sizeof a);
			fprintf(f, "prefix = %s\n", a);
		}
	}
	return fclose(f) == 0 ? 0 : ds_fail(DS_E_IO, "%s: write failed", path);
}

int ds_cmd_synth(struct ds_ctx *c)
{
	struct ds_args *a = &c->args;
	struct ds_synth_opts o = {.seed = 1, .rate = 20000, .sweep = 5};
	int rc = 0, is_q = 0;
	const char *preset = a->val[OPT_PRESET];
	if (!a->val[OPT_OUT])
		return ds_cmd_fail(ds_fail(DS_E_USAGE, "synth needs --out FILE"));
	if (preset && strcmp(preset, "reference") != 0)
		return ds_cmd_fail(ds_fail(DS_E_USAGE, "unknown preset '%s' (reference)", preset));
	o.out = a->val[OPT_OUT];
	o.geoip = a->val[OPT_GEOIP] ? a->val[OPT_GEOIP] : c->cfg.geoip;
	if (a->val[OPT_SEED])
		o.seed = strtoull(a->val[OPT_SEED], NULL, 10);
	if (a->val[OPT_RATE] && ((o.rate = strtod(a->val[OPT_RATE], NULL)) <= 0 || o.rate > 1e9))
		return ds_cmd_fail(ds_fail(DS_E_USAGE, "bad --rate '%s'", a->val[OPT_RATE]));
	if (a->val[OPT_SWEEP] &&
	    ((o.sweep = strtod(a->val[OPT_SWEEP], NULL)) < 1 || o.sweep > DS_SYNTH_SWEEP_MAX))
		return ds_cmd_fail(ds_fail(DS_E_USAGE, "bad --sweep '%s' (1 to %d)",
		                           a->val[OPT_SWEEP], DS_SYNTH_SWEEP_MAX));
	if (c->cfg.nsensors <= 1)
		rc = ds_synth_default_sensors(&c->cfg,
		                              a->val[OPT_SENSORS] ? atoi(a->val[OPT_SENSORS]) : 4);
	struct ds_period p = {0};
	if (rc == 0 && !a->val[OPT_QUARTER] && !a->val[OPT_FROM] && !a->val[OPT_TO]) {
		if (!preset)
			rc = ds_fail(DS_E_USAGE, "synth needs a period (--quarter or --from/--to)");
		p.day0 = ds_days_from_civil(2014, 7, 1);
		p.day1 = ds_days_from_civil(2014, 12, 31);
	} else if (rc == 0) {
		rc = ds_cmd_period(c, NULL, &p, &is_q);
	}
	o.day0 = p.day0;
	o.day1 = p.day1;
	size_t npre = preset ? sizeof reference / sizeof reference[0] : 0;
	for (size_t i = 0; i < npre && rc == 0; i++)
		rc = ds_synth_parse_event(reference[i], &c->cfg, &o.ev[o.nev++]);
	for (int i = 0; i < a->count[OPT_EVENT] && rc == 0; i++) {
		if (o.nev >= DS_SYNTH_MAX_EVENTS)
			rc = ds_fail(DS_E_USAGE, "at most %d events", DS_SYNTH_MAX_EVENTS);
		else
			rc = ds_synth_parse_event(a->multi[OPT_EVENT][i], &c->cfg, &o.ev[o.nev++]);
	}
	if (rc == 0 && a->val[OPT_WRITECONF])
		rc = write_config(&c->cfg, a->val[OPT_WRITECONF], o.geoip);
	if (rc < 0)
		return ds_cmd_fail(rc);
	long long n = ds_synth_write(&o, &c->cfg);
	if (n < 0)
		return ds_cmd_fail((int)n);
	if (!a->val[OPT_QUIET])
		fprintf(stderr, "darkscope: synth: wrote %lld packets to %s\n", n, o.out);
	return 0;
}
