/* packet.c - frame construction for synth and tests. */
#include "synth/packet.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t sum(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* Transport header + payload at t; returns its length. */
static size_t transport(const struct pkt_spec *s, uint8_t *t)
{
	if (s->proto == 6) {
		memset(t, 0, 24);
		put16(t, s->sport);
		put16(t + 2, s->dport);
		t[4] = (uint8_t)(s->seq >> 24), t[5] = (uint8_t)(s->seq >> 16);
		t[6] = (uint8_t)(s->seq >> 8), t[7] = (uint8_t)s->seq;
		t[12] = 6 << 4; /* 24 bytes: MSS option */
		t[13] = s->tcp_flags;
		put16(t + 14, 65535);
		t[20] = 2, t[21] = 4;
		put16(t + 22, 1460);
		return 24;
	}
	if (s->proto == 17) {
		memset(t, 0, 16);
		put16(t, s->sport);
		put16(t + 2, s->dport);
		put16(t + 4, 16);
		memcpy(t + 8, "darkscop", 8);
		return 16;
	}
	memset(t, 0, 16); /* ICMP / ICMPv6 echo */
	t[0] = (uint8_t)s->dport;
	put16(t + 4, s->ipid);
	put16(t + 6, 1);
	memcpy(t + 8, "darkscop", 8);
	return 16;
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap)
{
	if (cap < 128)
		return 0;
	memset(buf, 0, 14);
	buf[0] = 0x02, buf[5] = 0x01; /* locally administered MACs */
	buf[6] = 0x02, buf[11] = 0x02;
	uint8_t *ip = buf + 14, *t;
	size_t tl;
	uint32_t ph;
	if (!s->v6) {
		put16(buf + 12, 0x0800);
		t = ip + 20;
		tl = transport(s, t);
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + tl));
		put16(ip + 4, s->ipid);
		ip[8] = 64 + (s->ipid & 63);
		ip[9] = s->proto;
		memcpy(ip + 12, s->src + 12, 4);
		memcpy(ip + 16, s->dst + 12, 4);
		put16(ip + 10, fold(sum(ip, 20, 0)));
		ph = sum(ip + 12, 8, 0) + s->proto + (uint32_t)tl;
		if (s->proto == 1)
			ph = 0; /* ICMPv4 has no pseudo-header */
		tl += 20;
	} else {
		put16(buf + 12, 0x86DD);
		t = ip + 40;
		tl = transport(s, t);
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)tl);
		ip[6] = s->proto;
		ip[7] = 64;
		memcpy(ip + 8, s->src, 16);
		memcpy(ip + 24, s->dst, 16);
		ph = sum(ip + 8, 32, 0) + s->proto + (uint32_t)tl;
		tl += 40;
	}
	size_t plen = tl - (size_t)(t - ip);
	int off = s->proto == 6 ? 16 : s->proto == 17 ? 6 : 2;
	put16(t + off, fold(sum(t, plen, ph)));
	return 14 + tl;
}
