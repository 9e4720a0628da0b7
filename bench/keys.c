/* keys.c - write a capture whose packets nearly all have a key of their
 * own: random sources over the whole IPv4 space (so every country), random
 * destination ports, TCP and UDP, to the bench config's four sensor blocks.
 * A telescope sees such traffic from a flood with spoofed sources and random
 * ports.  bench/run.sh ingests it to measure peak memory against the number
 * of distinct keys (sensor, country, protocol, port) an hour and a day hold.
 * usage: bench_keys OUT PACKETS HOURS */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: bench_keys OUT PACKETS HOURS\n");
		return 2;
	}
	uint64_t n = strtoull(argv[2], NULL, 10), hours = strtoull(argv[3], NULL, 10);
	FILE *f = fopen(argv[1], "wb");
	if (!f || n == 0 || hours == 0) {
		fprintf(stderr, "bench_keys: %s: cannot write, or no packets\n", argv[1]);
		return 1;
	}
	static const uint32_t blocks[4] = {0xC6336400u, 0xCB007100u, 0xC0000200u, 0xC6120000u};
	const uint32_t hdr[6] = {0xa1b2c3d4u, 2 | 4u << 16, 0, 0, 65535, 1}; /* Ethernet */
	fwrite(hdr, sizeof hdr, 1, f);
	const uint64_t t0 = 1414800000; /* 2014-11-01T00:00:00Z */
	for (uint64_t i = 0; i < n; i++) {
		uint8_t r[16 + 14 + 20 + 20];
		uint64_t x = next(), y = next();
		int tcp = (x & 0xff) < 179; /* 70% */
		size_t l4 = tcp ? 20 : 8, len = 14 + 20 + l4;
		uint64_t us = i * hours * 3600000000ull / n;
		uint32_t rec[4] = {(uint32_t)(t0 + us / 1000000), (uint32_t)(us % 1000000),
		                   (uint32_t)len, (uint32_t)len};
		memcpy(r, rec, 16);
		uint8_t *e = r + 16, *ip = e + 14, *t = ip + 20;
		memset(e, 0, 14 + 20 + l4);
		e[0] = 2, e[6] = 2, e[11] = 1;
		put16(e + 12, 0x0800);
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + l4));
		ip[8] = 64;
		ip[9] = tcp ? 6 : 17;
		put32(ip + 12, (uint32_t)(y >> 32));
		put32(ip + 16, blocks[(x >> 8) & 3] | (uint32_t)((x >> 10) & 0xff));
		put16(t, 40000 + (unsigned)((x >> 18) & 0x3ff));
		put16(t + 2, (unsigned)((x >> 32) & 0xffff));
		if (tcp) {
			t[12] = 0x50;
			t[13] = 2;
			put16(t + 14, 1024);
		} else {
			put16(t + 4, 8);
		}
		if (fwrite(r, 16 + len, 1, f) != 1) {
			fprintf(stderr, "bench_keys: %s: write failed\n", argv[1]);
			return 1;
		}
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "bench_keys: %s: write failed\n", argv[1]);
		return 1;
	}
	return 0;
}
