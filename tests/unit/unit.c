/* unit.c - runs every registered test in a child process with a timeout. */
#include "unit.h"

#include <glob.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS 256
#define TIMEOUT_S 60

int unit_failed;
struct test {
	const char *name;
	void (*fn)(void);
};
static struct test tests[MAX_TESTS];
static int ntests;

void unit_register(const char *name, void (*fn)(void))
{
	if (ntests < MAX_TESTS)
		tests[ntests++] = (struct test){name, fn};
}

const char *unit_tmp(const char *suffix)
{
	static char buf[8][256];
	static int k;
	char *b = buf[k++ % 8];
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(b, 256, "%s/ds-unit-%d-%d%s", dir, (int)getpid(), k, suffix);
	return b;
}

/* Remove the files unit_tmp named in test process pid (and the files a
 * store or a capture writer made beside them: -wal, -shm, -ingest). */
static void tmp_clean(pid_t pid)
{
	char pat[300];
	glob_t g;
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(pat, sizeof pat, "%s/ds-unit-%d-*", dir, (int)pid);
	if (glob(pat, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++)
		unlink(g.gl_pathv[i]);
	globfree(&g);
}

int main(int argc, char **argv)
{
	int pass = 0, fail = 0;
	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
			continue;
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			alarm(TIMEOUT_S);
			tests[i].fn();
			_exit(unit_failed ? 1 : 0);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		tmp_clean(pid);
		int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (ok) {
			pass++;
			printf("ok - %s\n", tests[i].name);
		} else {
			fail++;
			printf("not ok - %s%s\n", tests[i].name,
			       WIFSIGNALED(st)
			               ? (WTERMSIG(st) == SIGALRM ? " (timeout)" : " (crashed)")
			               : "");
		}
	}
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
