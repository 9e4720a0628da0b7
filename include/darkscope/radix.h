/* radix.h - stable LSD radix sort of (key, value) pairs by key.
 * Passes whose byte is the same for every key are skipped. */
#ifndef DARKSCOPE_RADIX_H
#define DARKSCOPE_RADIX_H

#include <stddef.h>
#include <stdint.h>

struct ds_kv {
	uint64_t key;
	uint64_t val;
};

/* Sort a[0..n) by key using tmp (n entries of scratch).  The result is in a. */
void ds_radix_sort(struct ds_kv *a, struct ds_kv *tmp, size_t n);

/* Sort n 64-bit values (scratch tmp of n entries).  The result is in a. */
void ds_radix_sort64(uint64_t *a, uint64_t *tmp, size_t n);

/* Sort n 32-bit values in place (scratch tmp of n entries). */
void ds_radix_sort32(uint32_t *a, uint32_t *tmp, size_t n);

#endif
