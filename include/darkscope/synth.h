/* synth.h - realistic darknet traffic for demos, tests and benchmarks.
 *
 * Sources are real addresses drawn from the GeoIP database's ranges, with a
 * heavy-tailed activity and a country mix like the reference report's; the
 * port mix is heavy-tailed with a uniform long tail; volume follows a daily
 * and weekly rhythm; some traffic is backscatter.  Events can be injected
 * (docs/synth.md):
 *   surge:port=23/tcp,start=2014-11-03,days=8,x=6          broad rise on a port
 *   region:port=8080/tcp,cc=CN,start=2014-12-01,days=31,x=4  rise led by one region
 *   local:sensor=osaka-2,port=12543/tcp+12543/udp,start=2014-10-14,days=5,share=0.2,cc=JP
 *   spoofed:port=80/tcp,start=2014-11-05,days=1,share=2  every packet from a new
 *                                                          random source
 * x multiplies the port's baseline; share adds that fraction of the daily
 * total instead.  Output is deterministic for a seed. */
#ifndef DARKSCOPE_SYNTH_H
#define DARKSCOPE_SYNTH_H

#include <stdint.h>

#include "darkscope/config.h"

#define DS_SYNTH_MAX_EVENTS 32

enum ds_event_kind { DS_EV_SURGE, DS_EV_REGION, DS_EV_LOCAL, DS_EV_SPOOFED };

struct ds_synth_event {
	enum ds_event_kind kind;
	uint16_t proto[2];
	uint16_t port[2];
	int nports;
	uint16_t cc; /* region/local: source country (DS_CC_UNKNOWN = mix) */
	int sensor;  /* local: config sensor index */
	int64_t day0;
	int days;
	double x, share;
	int sources; /* how many sources send it (0: the kind's default) */
};

#define DS_SYNTH_SWEEP_MAX 256

struct ds_synth_opts {
	int64_t day0, day1; /* inclusive, UTC days */
	uint64_t seed;
	double rate;  /* mean packets per day */
	double sweep; /* mean addresses a source sweeps in a row (0: 5) */
	const char *geoip;
	const char *out;
	struct ds_synth_event ev[DS_SYNTH_MAX_EVENTS];
	int nev;
};

/* Parse one --event SPEC against cfg's sensors. */
int ds_synth_parse_event(const char *spec, const struct ds_config *cfg, struct ds_synth_event *ev);

/* Add the default sensors (documentation prefixes) to a config without any. */
int ds_synth_default_sensors(struct ds_config *cfg, int n);

/* Write the capture.  Returns packets written or a negative code. */
long long ds_synth_write(const struct ds_synth_opts *o, const struct ds_config *cfg);

#endif
