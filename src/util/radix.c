/* radix.c - byte-wise LSD radix sorts. */
#include "darkscope/radix.h"

#include <string.h>

void ds_radix_sort(struct ds_kv *a, struct ds_kv *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t cnt[8][256];
	memset(cnt, 0, sizeof cnt);
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 8; b++)
			cnt[b][(a[i].key >> (8 * b)) & 0xff]++;
	struct ds_kv *src = a, *dst = tmp;
	for (int b = 0; b < 8; b++) {
		if (cnt[b][(a[0].key >> (8 * b)) & 0xff] == n)
			continue; /* every key has this byte */
		size_t pos = 0;
		for (int v = 0; v < 256; v++) {
			size_t c = cnt[b][v];
			cnt[b][v] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[b][(src[i].key >> (8 * b)) & 0xff]++] = src[i];
		struct ds_kv *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
}

void ds_radix_sort64(uint64_t *a, uint64_t *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t cnt[8][256];
	memset(cnt, 0, sizeof cnt);
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 8; b++)
			cnt[b][(a[i] >> (8 * b)) & 0xff]++;
	uint64_t *src = a, *dst = tmp;
	for (int b = 0; b < 8; b++) {
		if (cnt[b][(a[0] >> (8 * b)) & 0xff] == n)
			continue;
		size_t pos = 0;
		for (int v = 0; v < 256; v++) {
			size_t c = cnt[b][v];
			cnt[b][v] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[b][(src[i] >> (8 * b)) & 0xff]++] = src[i];
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
}

void ds_radix_sort32(uint32_t *a, uint32_t *tmp, size_t n)
{
	if (n < 32) { /* insertion sort */
		for (size_t i = 1; i < n; i++) {
			uint32_t v = a[i];
			size_t j = i;
			for (; j > 0 && a[j - 1] > v; j--)
				a[j] = a[j - 1];
			a[j] = v;
		}
		return;
	}
	size_t cnt[4][256];
	memset(cnt, 0, sizeof cnt);
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 4; b++)
			cnt[b][(a[i] >> (8 * b)) & 0xff]++;
	uint32_t *src = a, *dst = tmp;
	for (int b = 0; b < 4; b++) {
		size_t pos = 0;
		for (int v = 0; v < 256; v++) {
			size_t c = cnt[b][v];
			cnt[b][v] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[b][(src[i] >> (8 * b)) & 0xff]++] = src[i];
		uint32_t *t = src;
		src = dst;
		dst = t;
	}
	/* four passes: the result is back in a */
}
