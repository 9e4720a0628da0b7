/* opts.c - parser and help generated from DS_OPTIONS. */
#include "cmd/opts.h"

#include "darkscope/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct optdef {
	const char *name;
	char shortc;
	const char *arg;
	int multi;
	unsigned cmds;
	const char *help;
};

static const struct optdef defs[OPT__COUNT] = {
#define DS__O(id, name, sc, arg, multi, cmds, help) [OPT_##id] = {name, sc, arg, multi, cmds, help},
        DS_OPTIONS(DS__O)
#undef DS__O
};

static const struct {
	const char *name;
	unsigned bit;
	const char *args;
	const char *what;
} cmds[] = {
        {"ingest", C_INGEST, "FILE...",
         "count captures (pcap, pcapng, .gz, .zst, - for stdin) into the store"},
        {"top", C_TOP, "ports|regions|sensors",
         "rank destination ports, source regions or sensors"},
        {"series", C_SERIES, "ports|regions|sensors", "packets per hour, day or week"},
        {"synth", C_SYNTH, "", "write a realistic darknet capture for a period"},
        {"sensors", C_SENSORS, "", "list the sensors the store knows"},
        {"files", C_FILES, "", "list the captures ingested (digest, packets, time span)"},
        {"events", C_EVENTS, "", "find sharp rises and falls of ports and regions"},
        {"report", C_REPORT, "", "write the period's report (HTML, PDF, Markdown, JSON)"},
};

unsigned ds_cmd_bit(const char *cmd)
{
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (cmd && strcmp(cmds[i].name, cmd) == 0)
			return cmds[i].bit;
	return 0;
}

static int find(const char *name, size_t len, char sc)
{
	for (int i = 0; i < OPT__COUNT; i++) {
		if (sc && defs[i].shortc == sc)
			return i;
		if (!sc && strlen(defs[i].name) == len && strncmp(defs[i].name, name, len) == 0)
			return i;
	}
	return -1;
}

static int set(struct ds_args *a, int id, const char *v)
{
	if (defs[id].multi) {
		if (a->count[id] >= DS_MAX_MULTI)
			return ds_fail(DS_E_USAGE, "--%s given more than %d times", defs[id].name,
			               DS_MAX_MULTI);
		a->multi[id][a->count[id]] = v;
	} else if (a->count[id] && defs[id].arg) {
		return ds_fail(DS_E_USAGE, "--%s given twice", defs[id].name);
	}
	a->count[id]++;
	a->val[id] = v ? v : "1";
	return 0;
}

int ds_args_parse(struct ds_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof *a);
	a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
	if (!a->pos)
		return ds_fail(DS_E_NOMEM, "out of memory");
	int only_pos = 0;
	for (int i = 1; i < argc; i++) {
		char *s = argv[i];
		if (only_pos || s[0] != '-' || strcmp(s, "-") == 0) {
			if (!a->cmd)
				a->cmd = s;
			else
				a->pos[a->npos++] = s;
			continue;
		}
		if (strcmp(s, "--") == 0) {
			only_pos = 1;
			continue;
		}
		int id;
		const char *v = NULL;
		if (s[1] == '-') {
			const char *eq = strchr(s + 2, '=');
			size_t len = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
			id = find(s + 2, len, 0);
			if (eq)
				v = eq + 1;
		} else {
			id = find(NULL, 0, s[1]);
			if (id >= 0 && s[2]) /* -j2, -n10 */
				v = defs[id].arg ? s + 2 : NULL, id = defs[id].arg ? id : -1;
		}
		if (id < 0)
			return ds_fail(DS_E_USAGE, "unknown option '%s' (see darkscope help)", s);
		unsigned bit = ds_cmd_bit(a->cmd);
		if (a->cmd && bit && !(defs[id].cmds & bit))
			return ds_fail(DS_E_USAGE, "option --%s does not apply to '%s'",
			               defs[id].name, a->cmd);
		if (defs[id].arg && !v) {
			if (i + 1 >= argc)
				return ds_fail(DS_E_USAGE, "option --%s needs a %s", defs[id].name,
				               defs[id].arg);
			v = argv[++i];
		} else if (!defs[id].arg && v) {
			return ds_fail(DS_E_USAGE, "option --%s takes no value", defs[id].name);
		}
		int rc = set(a, id, v);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void opt_line(int i)
{
	char left[64];
	if (defs[i].shortc)
		snprintf(left, sizeof left, "-%c, --%s%s%s", defs[i].shortc, defs[i].name,
		         defs[i].arg ? " " : "", defs[i].arg ? defs[i].arg : "");
	else
		snprintf(left, sizeof left, "    --%s%s%s", defs[i].name, defs[i].arg ? " " : "",
		         defs[i].arg ? defs[i].arg : "");
	printf("  %-28s %s\n", left, defs[i].help);
}

void ds_args_help(const char *cmd)
{
	unsigned bit = ds_cmd_bit(cmd);
	if (!bit) {
		printf("darkscope - darknet traffic monitoring\n\nusage: darkscope COMMAND "
		       "[options]\n\ncommands:\n");
		for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
			printf("  %-8s %s\n", cmds[i].name, cmds[i].what);
		printf("\nglobal options:\n");
		for (int i = 0; i < OPT__COUNT; i++)
			if (defs[i].cmds == C_ALL)
				opt_line(i);
		printf("\n'darkscope COMMAND --help' lists the options of a command.\n");
		return;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (cmds[i].bit == bit)
			printf("usage: darkscope %s [options] %s\n%s\n\noptions:\n", cmds[i].name,
			       cmds[i].args, cmds[i].what);
	for (int i = 0; i < OPT__COUNT; i++)
		if (defs[i].cmds & bit)
			opt_line(i);
}

/* Escape a help string for troff (backslashes and leading dots). */
static void troff(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s; s++)
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
}

void ds_args_man(void)
{
	printf(".TH DARKSCOPE 1 \"\" \"darkscope\" \"User Commands\"\n"
	       ".SH NAME\ndarkscope \\- darknet traffic monitoring\n"
	       ".SH SYNOPSIS\n.B darkscope\n.I COMMAND\n[options]\n.SH COMMANDS\n");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		printf(".TP\n.B %s", cmds[i].name);
		if (*cmds[i].args)
			printf(" \\fI%s\\fR", cmds[i].args);
		putchar('\n');
		troff(cmds[i].what);
		putchar('\n');
	}
	printf(".SH OPTIONS\n");
	for (int i = 0; i < OPT__COUNT; i++) {
		printf(".TP\n");
		if (defs[i].shortc)
			printf("\\fB\\-%c\\fR, ", defs[i].shortc);
		printf("\\fB\\-\\-");
		troff(defs[i].name);
		printf("\\fR");
		if (defs[i].arg)
			printf(" \\fI%s\\fR", defs[i].arg);
		putchar('\n');
		troff(defs[i].help);
		printf(" (");
		int first = 1;
		for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++)
			if (defs[i].cmds & cmds[c].bit) {
				printf("%s%s", first ? "" : ", ", cmds[c].name);
				first = 0;
			}
		printf(")\n");
	}
	printf(".SH FILES\nThe configuration (\\-\\-config) is an INI file: [darkscope] with db, "
	       "geoip,"
	       " services, countries, tz (asn is accepted and not used yet); one [sensor NAME] "
	       "section"
	       " per sensor with prefix"
	       " (repeatable) and alias.  Beside the store (db): its SQLite WAL (\\-wal, \\-shm)"
	       " and DB\\-ingest, an empty file an ingest holds a lock on while it writes (its"
	       " commits in steps).\n.SH ENVIRONMENT\nDARKSCOPE_STAGE_BYTES: bytes of segments"
	       " an ingest commits at a time (default 8 MB; 0: the whole transaction at"
	       " once).\n.SH SEE ALSO\ntshark(1), mmdblookup(1)\n");
}
