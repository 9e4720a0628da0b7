/* keys.c - write a capture whose packets nearly all have a key of their
 * own: random sources over the whole IPv4 space (so every country), random
 * destination ports, TCP and UDP, to the bench config's four sensor blocks.
 * A telescope sees such traffic from a flood with spoofed sources and random
 * ports.  bench/run.sh ingests it to measure peak memory against the number
 * of distinct keys (sensor, country, protocol, port) an hour and a day hold.
 * Frames are built and written as darkscope synth builds and writes them.
 * usage: bench_keys OUT PACKETS HOURS */
#include "darkscope/pcapw.h"
#include "synth/packet.h"

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

/* a.b.c.d as ::ffff:a.b.c.d */
static void v4(uint8_t out[16], uint32_t a)
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	for (int i = 0; i < 4; i++)
		out[12 + i] = (uint8_t)(a >> (24 - 8 * i));
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: bench_keys OUT PACKETS HOURS\n");
		return 2;
	}
	uint64_t n = strtoull(argv[2], NULL, 10), hours = strtoull(argv[3], NULL, 10);
	struct ds_pcapw *w;
	if (n == 0 || hours == 0) {
		fprintf(stderr, "bench_keys: no packets or no hours\n");
		return 2;
	}
	if (ds_pcapw_open(&w, argv[1], 1) < 0) {
		fprintf(stderr, "bench_keys: %s: cannot write\n", argv[1]);
		return 1;
	}
	static const uint32_t blocks[4] = {0xC6336400u, 0xCB007100u, 0xC0000200u, 0xC6120000u};
	const uint64_t t0 = 1414800000; /* 2014-11-01T00:00:00Z */
	int rc = 0;
	for (uint64_t i = 0; i < n && rc == 0; i++) {
		uint64_t x = next(), y = next();
		struct pkt_spec s = {.proto = (x & 0xff) < 179 ? 6 : 17, /* 70% TCP */
		                     .sport = (uint16_t)(40000 + ((x >> 18) & 0x3ff)),
		                     .dport = (uint16_t)(x >> 32),
		                     .tcp_flags = 0x02,
		                     .ipid = (uint16_t)y};
		v4(s.src, (uint32_t)(y >> 32));
		v4(s.dst, blocks[(x >> 8) & 3] | (uint32_t)((x >> 10) & 0xff));
		uint8_t buf[128];
		size_t len = pkt_build(&s, buf, sizeof buf);
		uint64_t us = i * hours * 3600000000ull / n;
		rc = ds_pcapw_write(w, (int64_t)(t0 + us / 1000000), (uint32_t)(us % 1000000), buf,
		                    (uint32_t)len);
	}
	if (ds_pcapw_close(w) < 0 || rc < 0) {
		fprintf(stderr, "bench_keys: %s: write failed\n", argv[1]);
		return 1;
	}
	return 0;
}
