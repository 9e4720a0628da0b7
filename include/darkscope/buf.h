/* buf.h - a growable byte buffer with a hard cap, and varints.
 * ds_buf_put* return 0 or -DS_E_NOMEM / -DS_E_LIMIT; the buffer owns data. */
#ifndef DARKSCOPE_BUF_H
#define DARKSCOPE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct ds_buf {
	uint8_t *data;
	size_t len, cap, max; /* max = 0: 1 GiB; set it before the first put */
};

/* Make room for extra more bytes: the buffer grows (never past max), or
 * -DS_E_LIMIT / -DS_E_NOMEM. */
int ds_buf_grow(struct ds_buf *b, size_t extra);

/* ds_buf_grow where the room is not there yet.  Inline: the sketch and
 * segment encoders reserve room for every varint they write.  (cap never
 * exceeds max, so room within cap is within max.) */
static inline int ds_buf_reserve(struct ds_buf *b, size_t extra)
{
	return extra <= b->cap - b->len ? 0 : ds_buf_grow(b, extra);
}

int ds_buf_put(struct ds_buf *b, const void *p, size_t n);

/* Room for n elements of size bytes in the array *p of *cap (doubling from
 * 1024); 0 or -DS_E_NOMEM, *p unchanged then. */
int ds_array_reserve(void **p, size_t *cap, size_t n, size_t size);
void ds_buf_free(struct ds_buf *b);

/* Append v as a LEB128 varint. */
static inline int ds_buf_putv(struct ds_buf *b, uint64_t v)
{
	int rc = ds_buf_reserve(b, 10);
	if (rc < 0)
		return rc;
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		b->data[b->len++] = c | (v ? 0x80 : 0);
	} while (v);
	return 0;
}

/* Read a varint from [*p, end); -1 when cut short or overlong. */
static inline int ds_getv(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t c = *(*p)++;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

#endif
