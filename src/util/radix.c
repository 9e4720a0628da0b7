/* radix.c - byte-wise LSD radix sorts, one body for every element type.
 * Passes whose byte is the same in every key are skipped.  Few 32-bit keys
 * (hashes: uniform) are spread over buckets by their top bits instead, then
 * put in order by insertion: four passes over 256 counts each cost more than
 * the sort itself below a few hundred keys. */
#include "darkscope/radix.h"

#include <string.h>

/* Sorts a[0..n) of TYPE by the unsigned key KEY(x) of NBYTES bytes, using
 * tmp; the result ends in a. */
#define DS__RADIX(name, TYPE, KEY, NBYTES)                                               \
	static void name(TYPE *a, TYPE *tmp, size_t n)                                   \
	{                                                                                \
		size_t cnt[NBYTES][256];                                                 \
		int pass[NBYTES], np = 0;                                                \
		/* the bytes where some key differs from the first: only those are       \
		 * counted and sorted (keys of 4 bytes, hashes, differ in all) */        \
		uint64_t differ = (NBYTES) > 4 ? 0 : ~0ull;                              \
		for (size_t i = 1; (NBYTES) > 4 && i < n; i++)                           \
			differ |= (uint64_t)(KEY(a[i]) ^ KEY(a[0]));                     \
		for (int b = 0; b < (NBYTES); b++)                                       \
			if (differ >> (8 * b) & 0xff)                                    \
				pass[np++] = b;                                          \
		memset(cnt, 0, (size_t)np * sizeof cnt[0]);                              \
		for (size_t i = 0; i < n; i++)                                           \
			for (int p = 0; p < ((NBYTES) > 4 ? np : (NBYTES)); p++)         \
				cnt[p][(KEY(a[i]) >> (8 * pass[p])) & 0xff]++;           \
		TYPE *src = a, *dst = tmp;                                               \
		for (int p = 0; p < np; p++) {                                           \
			int b = pass[p];                                                 \
			size_t pos = 0;                                                  \
			for (int v = 0; v < 256; v++) {                                  \
				size_t c = cnt[p][v];                                    \
				cnt[p][v] = pos;                                         \
				pos += c;                                                \
			}                                                                \
			for (size_t i = 0; i < n; i++)                                   \
				dst[cnt[p][(KEY(src[i]) >> (8 * b)) & 0xff]++] = src[i]; \
			TYPE *t = src;                                                   \
			src = dst;                                                       \
			dst = t;                                                         \
		}                                                                        \
		if (src != a)                                                            \
			memcpy(a, src, n * sizeof *a);                                   \
	}

#define KV_KEY(x)   ((x).key)
#define SELF_KEY(x) (x)
DS__RADIX(sort_kv, struct ds_kv, KV_KEY, 8)
DS__RADIX(sort_u64, uint64_t, SELF_KEY, 8)
DS__RADIX(sort_u32, uint32_t, SELF_KEY, 4)

/* Insertion sort of a[0..n): fast when few, or when nearly in order. */
static void insertion32(uint32_t *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint32_t v = a[i];
		size_t j = i;
		for (; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

#define BUCKET_N 512 /* 32-bit keys up to this many: buckets, then insertion */

/* Spread a[0..n) (1 < n <= BUCKET_N) over at least n buckets by their top
 * bits into tmp, then back into a in order by insertion: uniform keys meet
 * few others in their bucket, so the insertion moves each a step or two
 * (and any keys at all are sorted, only more slowly). */
static void bucket32(uint32_t *a, uint32_t *tmp, size_t n)
{
	uint16_t cnt[BUCKET_N + 1];
	int b = 64 - __builtin_clzll((unsigned long long)n - 1); /* 2^b >= n */
	size_t nb = (size_t)1 << b;
	memset(cnt, 0, (nb + 1) * sizeof cnt[0]);
	for (size_t i = 0; i < n; i++)
		cnt[(a[i] >> (32 - b)) + 1]++;
	for (size_t v = 1; v <= nb; v++)
		cnt[v] = (uint16_t)(cnt[v] + cnt[v - 1]);
	for (size_t i = 0; i < n; i++)
		tmp[cnt[a[i] >> (32 - b)]++] = a[i];
	memcpy(a, tmp, n * sizeof *a);
	insertion32(a, n);
}

void ds_radix_sort(struct ds_kv *a, struct ds_kv *tmp, size_t n)
{
	if (n > 1)
		sort_kv(a, tmp, n);
}

void ds_radix_sort64(uint64_t *a, uint64_t *tmp, size_t n)
{
	if (n > 1)
		sort_u64(a, tmp, n);
}

void ds_radix_sort32(uint32_t *a, uint32_t *tmp, size_t n)
{
	if (n > BUCKET_N)
		sort_u32(a, tmp, n);
	else if (n >= 32)
		bucket32(a, tmp, n);
	else
		insertion32(a, n);
}
