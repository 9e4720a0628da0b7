/* env.c - numbers the tests set through the environment. */
#include "darkscope/env.h"

#include <stdlib.h>

size_t ds_env_size(const char *name, size_t dflt)
{
	const char *v = getenv(name);
	return v && *v ? (size_t)strtoull(v, NULL, 10) : dflt;
}
