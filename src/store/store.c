/* store.c - backend table and the per-hour rollup writer. */
#include "darkscope/store.h"

#include "darkscope/err.h"

static const struct ds_store_ops *const backends[] = {
        &ds_store_sqlite, /* takes any path: keep last */
};

int ds_store_open(struct ds_store **out, const char *uri)
{
	for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
		if (backends[i]->accepts(uri))
			return backends[i]->open(out, uri);
	return ds_fail(DS_E_STORE, "%s: no store backend for this address", uri);
}
