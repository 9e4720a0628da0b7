/* buf.c - capped growable buffer. */
#include "darkscope/buf.h"

#include "darkscope/err.h"

#include <stdlib.h>
#include <string.h>

int ds_buf_grow(struct ds_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : (size_t)1 << 30;
	if (extra > max - b->len)
		return ds_fail(DS_E_LIMIT, "buffer would exceed %zu bytes", max);
	if (b->len + extra <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + extra)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	uint8_t *n = realloc(b->data, ncap);
	if (!n)
		return ds_fail(DS_E_NOMEM, "out of memory");
	b->data = n;
	b->cap = ncap;
	return 0;
}

int ds_buf_put(struct ds_buf *b, const void *p, size_t n)
{
	int rc = ds_buf_reserve(b, n);
	if (rc < 0)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void ds_buf_free(struct ds_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

int ds_array_reserve(void **p, size_t *cap, size_t n, size_t size)
{
	if (n <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 1024;
	while (ncap < n)
		ncap *= 2;
	void *q = ncap <= SIZE_MAX / size ? realloc(*p, ncap * size) : NULL;
	if (!q)
		return ds_fail(DS_E_NOMEM, "out of memory");
	*p = q;
	*cap = ncap;
	return 0;
}
