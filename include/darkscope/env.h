/* env.h - numbers the tests set through the environment (DARKSCOPE_*: a
 * store's step size, a part's rows, a writer's budget, ...), each in place
 * of a default that darkscope itself always uses. */
#ifndef DARKSCOPE_ENV_H
#define DARKSCOPE_ENV_H

#include <stddef.h>

/* The number in variable name, or dflt when it is unset or empty. */
size_t ds_env_size(const char *name, size_t dflt);

#endif
