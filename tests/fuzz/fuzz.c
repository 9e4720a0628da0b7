/* fuzz.c - inputs as memory files, so the readers see real paths. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

const char *fuzz_file_in(unsigned slot, const uint8_t *data, size_t size)
{
	static int fd[2] = {-1, -1};
	static char path[2][64];
	if (slot > 1)
		abort();
	if (fd[slot] < 0) {
		if ((fd[slot] = memfd_create("darkscope-fuzz", 0)) < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path[slot], sizeof path[slot], "/proc/self/fd/%d", fd[slot]);
	}
	if (ftruncate(fd[slot], 0) < 0 ||
	    (size && pwrite(fd[slot], data, size, 0) != (ssize_t)size)) {
		perror("fuzz input");
		abort();
	}
	return path[slot];
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
	return fuzz_file_in(0, data, size);
}
