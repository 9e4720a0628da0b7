/* opts.h - every command-line option, declared once.
 *
 * The parser, `darkscope help` and `darkscope COMMAND --help` are generated
 * from DS_OPTIONS; each option lists the commands that take it. */
#ifndef DARKSCOPE_CMD_OPTS_H
#define DARKSCOPE_CMD_OPTS_H

enum {
	C_INGEST = 1,
	C_TOP = 2,
	C_SERIES = 4,
	C_SYNTH = 8,
	C_SENSORS = 16,
	C_FILES = 32,
	C_EVENTS = 64,
	C_REPORT = 128,
	C_QUERY = C_TOP | C_SERIES | C_EVENTS,
	C_PERIOD = C_QUERY | C_REPORT,
	C_STORE = C_INGEST | C_PERIOD | C_SENSORS | C_FILES,
	C_ALL = 0xffff
};

/* X(id, long name, short, argument (NULL = flag), repeatable, commands, help) */
#define DS_OPTIONS(X)                                                                              \
	X(CONFIG, "config", 'c', "FILE", 0, C_ALL, "configuration file (db, geoip, sensors)")      \
	X(DB, "db", 0, "PATH", 0, C_STORE, "store to use (overrides the config's db)")             \
	X(TZ, "tz", 0, "ZONE", 0, C_PERIOD, "time zone of days: UTC, JST, +09:00 (default UTC)")   \
	X(GEOIP, "geoip", 0, "FILE", 0, C_INGEST | C_SYNTH, "MaxMind-format country database")     \
	X(SENSOR, "sensor", 's', "NAME", 0, C_INGEST | C_QUERY,                                    \
	  "ingest: attribute every packet to sensor NAME; queries: only this sensor")              \
	X(PARTIAL, "partial", 0, NULL, 0, C_INGEST,                                                \
	  "count the complete records of a capture cut short in its last record")                  \
	X(JOBS, "jobs", 'j', "N", 0, C_INGEST,                                                     \
	  "readers at once: files, or parts of one (default: CPUs)")                               \
	X(SPLIT, "split", 0, "SIZE", 0, C_INGEST,                                                  \
	  "split a plain capture among idle readers in parts of at least SIZE (default 16M; 0: "   \
	  "never)")                                                                                \
	X(MAXKEYS, "max-keys", 0, "N", 0, C_INGEST,                                                \
	  "aggregation keys in memory, all readers together")                                      \
	X(FROM, "from", 0, "DATE", 0, C_PERIOD | C_SYNTH, "first day, YYYY-MM-DD (inclusive)")     \
	X(TO, "to", 0, "DATE", 0, C_PERIOD | C_SYNTH, "last day, YYYY-MM-DD (inclusive)")          \
	X(QUARTER, "quarter", 'q', "YYYYQN", 0, C_PERIOD | C_SYNTH,                                \
	  "a calendar quarter, e.g. 2014Q4")                                                       \
	X(N, "top", 'n', "N", 0, C_QUERY,                                                          \
	  "number of rows / series / events (default 5; events: all)")                             \
	X(PREVIOUS, "previous", 'p', NULL, 0, C_TOP, "add each row's rank in the previous period") \
	X(PORT, "port", 0, "KEY", 0, C_QUERY, "only this port key (23/tcp, 8/icmp, ...)")          \
	X(REGION, "region", 'r', "CC", 0, C_QUERY, "only sources from this region (ISO code)")     \
	X(FORMAT, "format", 'f', "FMT", 0, C_QUERY | C_SENSORS | C_FILES | C_REPORT,               \
	  "table, json or csv; report: any of html,pdf,md,json (default all)")                     \
	X(KEY, "key", 'k', "KEY", 1, C_SERIES,                                                     \
	  "a series to draw (repeatable; default: the top N)")                                     \
	X(STEP, "step", 0, "STEP", 0, C_SERIES, "hour, day or week (default day)")                 \
	X(OUT, "out", 'o', "PATH", 0, C_SYNTH | C_REPORT,                                          \
	  "synth: capture to write (.pcap, .pcap.gz, .pcap.zst); report: directory")               \
	X(REVEAL, "reveal-sensors", 0, NULL, 0, C_REPORT,                                          \
	  "name sensors by their prefixes too, not by alias only")                                 \
	X(SEED, "seed", 0, "N", 0, C_SYNTH, "random seed (default 1)")                             \
	X(RATE, "rate", 0, "N", 0, C_SYNTH,                                                        \
	  "mean packets per day over all sensors (default 20000)")                                 \
	X(SWEEP, "sweep", 0, "N", 0, C_SYNTH,                                                      \
	  "mean addresses a source sweeps in a row (default 5; 1: no runs)")                       \
	X(EVENT, "event", 'e', "SPEC", 1, C_SYNTH, "inject an event (see docs/synth.md)")          \
	X(SENSORS, "sensors", 0, "N", 0, C_SYNTH,                                                  \
	  "sensors to simulate when the config has none (default 4)")                              \
	X(WRITECONF, "write-config", 0, "FILE", 0, C_SYNTH,                                        \
	  "write a config naming the simulated sensors")                                           \
	X(PRESET, "preset", 0, "NAME", 0, C_SYNTH,                                                 \
	  "a ready scenario: 'reference' (the 2014Q4 report)")                                     \
	X(QUIET, "quiet", 0, NULL, 0, C_ALL, "print less")                                         \
	X(VERBOSE, "verbose", 'v', NULL, 0, C_ALL, "print more (repeat for debug)")                \
	X(HELP, "help", 'h', NULL, 0, C_ALL, "show help")

enum ds_optid {
#define DS__O(id, ...) OPT_##id,
	DS_OPTIONS(DS__O)
#undef DS__O
	        OPT__COUNT
};

#define DS_MAX_MULTI 64

struct ds_args {
	const char *cmd;
	const char *val[OPT__COUNT];
	int count[OPT__COUNT];
	const char *multi[OPT__COUNT][DS_MAX_MULTI];
	char **pos; /* positional arguments after the command */
	int npos;
};

/* Parse argv.  Returns 0, or prints one line and returns -DS_E_USAGE. */
int ds_args_parse(struct ds_args *a, int argc, char **argv);

/* Help for cmd (NULL = overview) on stdout. */
void ds_args_help(const char *cmd);

/* The man page (troff) on stdout, from the same tables as the help. */
void ds_args_man(void);

unsigned ds_cmd_bit(const char *cmd);

#endif
