/* mkfixtures.c - writes the captures the end-to-end tests feed to darkscope
 * and to tshark: every link type, VLAN tags, IPv4 options and fragments, the
 * IPv6 extension chain, pcap in both byte orders and resolutions, pcapng with
 * several interfaces (EPB and SPB) and two sections.
 * usage: mkfixtures DIR */
#include "synth/packet.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void w32(FILE *f, uint32_t v, int be)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(be ? v >> (24 - 8 * i) : v >> (8 * i));
	fwrite(b, 1, 4, f);
}

static void w16(FILE *f, uint16_t v, int be)
{
	uint8_t b[2] = {(uint8_t)(be ? v >> 8 : v), (uint8_t)(be ? v : v >> 8)};
	fwrite(b, 1, 2, f);
}

struct frame {
	int64_t ts;
	uint8_t d[256];
	uint32_t len;
};

static FILE *pcap_open(const char *dir, const char *name, uint32_t lt, int be, int ns)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	w32(f, ns ? 0xa1b23c4d : 0xa1b2c3d4, be);
	w16(f, 2, be);
	w16(f, 4, be);
	w32(f, 0, be);
	w32(f, 0, be);
	w32(f, 65535, be);
	w32(f, lt, be);
	return f;
}

static void pcap_rec(FILE *f, const struct frame *fr, int be, int ns)
{
	w32(f, (uint32_t)fr->ts, be);
	w32(f, ns ? 123456789u : 123456u, be);
	w32(f, fr->len, be);
	w32(f, fr->len + (fr->len > 60 ? 0 : 0), be);
	fwrite(fr->d, 1, fr->len, f);
}

static void ip4(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	inet_pton(AF_INET, s, out + 12);
}

static void ip6(const char *s, uint8_t out[16])
{
	inet_pton(AF_INET6, s, out);
}

/* An Ethernet frame from pkt_build. */
static struct frame eth(int64_t ts, const char *src, const char *dst, uint8_t proto, uint16_t dport)
{
	struct pkt_spec ps = {.proto = proto,
	                      .sport = 40000,
	                      .dport = dport,
	                      .tcp_flags = 2,
	                      .ipid = 7,
	                      .seq = 1};
	struct frame fr = {.ts = ts};
	ps.v6 = strchr(src, ':') != NULL;
	(ps.v6 ? ip6 : ip4)(src, ps.src);
	(ps.v6 ? ip6 : ip4)(dst, ps.dst);
	fr.len = (uint32_t)pkt_build(&ps, fr.d, sizeof fr.d);
	return fr;
}

/* Replace the 14-byte Ethernet header with a link header of hlen bytes. */
static struct frame relink(struct frame in, const uint8_t *hdr, uint32_t hlen)
{
	struct frame out = {.ts = in.ts};
	if (hlen)
		memcpy(out.d, hdr, hlen);
	memcpy(out.d + hlen, in.d + 14, in.len - 14);
	out.len = in.len - 14 + hlen;
	return out;
}

/* Insert VLAN tags (tpids[0] outermost) after the MAC addresses. */
static struct frame tag(struct frame in, const uint16_t *tpids, int n)
{
	struct frame out = {.ts = in.ts};
	memcpy(out.d, in.d, 12);
	uint32_t o = 12;
	for (int i = 0; i < n; i++) {
		out.d[o++] = (uint8_t)(tpids[i] >> 8), out.d[o++] = (uint8_t)tpids[i];
		out.d[o++] = 0x00, out.d[o++] = (uint8_t)(100 + i);
	}
	memcpy(out.d + o, in.d + 12, in.len - 12);
	out.len = in.len + 4u * (uint32_t)n;
	return out;
}

/* IPv4 with 8 bytes of options (NOP NOP and a 4-byte timestamp-ish option). */
static struct frame with_options(struct frame in)
{
	struct frame out = in;
	uint8_t *ip = out.d + 14;
	memmove(ip + 28, in.d + 14 + 20, in.len - 34);
	memcpy(ip, in.d + 14, 20);
	uint8_t opts[8] = {1, 1, 0x94, 4, 0, 0, 1, 0}; /* NOP NOP RouterAlert EOL pad */
	memcpy(ip + 20, opts, 8);
	ip[0] = 0x47;
	uint16_t tl = (uint16_t)(((ip[2] << 8) | ip[3]) + 8);
	ip[2] = (uint8_t)(tl >> 8), ip[3] = (uint8_t)tl;
	out.len = in.len + 8;
	return out;
}

/* Make an IPv4 frame a fragment: offset in 8-byte units, more-fragments flag. */
static struct frame frag4(struct frame in, uint16_t off, int mf)
{
	uint8_t *ip = in.d + 14;
	uint16_t v = (uint16_t)((mf ? 0x2000 : 0) | off);
	ip[6] = (uint8_t)(v >> 8), ip[7] = (uint8_t)v;
	if (off) { /* non-first: the payload is not a transport header */
		for (uint32_t i = 34; i < in.len; i++)
			in.d[i] = 0xAA;
	}
	return in;
}

/* Insert IPv6 extension headers: hop-by-hop, destination options, and a
 * fragment header (offset off, in 8-byte units) when frag >= 0. */
static struct frame ext6(struct frame in, int frag)
{
	struct frame out = in;
	uint8_t *ip = out.d + 14, nh = in.d[14 + 6];
	uint8_t ext[24];
	int n = 0;
	uint8_t hbh[8] = {60, 0, 1, 4, 0, 0, 0, 0}; /* -> dest opts */
	uint8_t dst[8] = {(uint8_t)(frag >= 0 ? 44 : nh), 0, 1, 4, 0, 0, 0, 0};
	unsigned fo = frag > 0 ? (unsigned)frag << 3 : 0;
	uint8_t fh[8] = {nh, 0, (uint8_t)(fo >> 8), (uint8_t)(fo & 0xf8), 0, 0, 0, 9};
	memcpy(ext, hbh, 8);
	memcpy(ext + 8, dst, 8);
	n = 16;
	if (frag >= 0) {
		memcpy(ext + 16, fh, 8);
		n = 24;
	}
	memmove(ip + 40 + n, in.d + 14 + 40, in.len - 54);
	memcpy(ip + 40, ext, (size_t)n);
	ip[6] = 0; /* hop-by-hop first */
	uint16_t pl = (uint16_t)(((ip[4] << 8) | ip[5]) + n);
	ip[4] = (uint8_t)(pl >> 8), ip[5] = (uint8_t)pl;
	out.len = in.len + (uint32_t)n;
	if (frag > 0)
		for (uint32_t i = 54 + (uint32_t)n; i < out.len; i++)
			out.d[i] = 0xAA;
	return out;
}

#define T0 1416787200 /* 2014-11-24T00:00:00Z */

static int mixed(struct frame *fr, int64_t t)
{
	int n = 0;
	fr[n++] = eth(t, "1.0.16.1", "198.51.100.7", 6, 23);
	fr[n++] = eth(t + 10, "8.8.8.8", "198.51.100.8", 6, 22);
	fr[n++] = eth(t + 20, "8.8.4.4", "203.0.113.9", 17, 53);
	fr[n++] = eth(t + 30, "1.0.16.1", "203.0.113.9", 1, 8);
	fr[n++] = eth(t + 3600, "2001:4860:4860::8888", "2001:db8:100::1", 6, 445);
	fr[n++] = eth(t + 3700, "2001:4860:4860::8844", "2001:db8:100::2", 58, 128);
	fr[n++] = eth(t + 3800, "2001:4860:4860::8844", "2001:db8:100::2", 17, 123);
	fr[n++] = eth(t + 7200, "1.0.16.1", "192.0.2.1", 6, 8080);
	return n;
}

static void write_all(FILE *f, const struct frame *fr, int n, int be, int ns)
{
	for (int i = 0; i < n; i++)
		pcap_rec(f, &fr[i], be, ns);
	fclose(f);
}

static void ethernet_fixture(const char *dir)
{
	struct frame fr[64];
	int n = mixed(fr, T0);
	static const uint16_t one[] = {0x8100}, two[] = {0x88a8, 0x8100};
	fr[n++] = tag(eth(T0 + 100, "1.0.16.1", "198.51.100.3", 6, 3389), one, 1);
	fr[n++] = tag(eth(T0 + 110, "8.8.8.8", "198.51.100.4", 17, 5060), two, 2);
	fr[n++] = tag(eth(T0 + 120, "2001:4860:4860::8888", "2001:db8:100::9", 6, 22), two, 2);
	fr[n++] = with_options(eth(T0 + 130, "8.8.8.8", "198.51.100.5", 6, 1433));
	fr[n++] = ext6(eth(T0 + 140, "2001:4860:4860::8888", "2001:db8:100::9", 6, 80), -1);
	/* ARP: not IP */
	struct frame arp = {.ts = T0 + 150, .len = 42};
	memset(arp.d, 0xff, 6);
	arp.d[12] = 0x08, arp.d[13] = 0x06;
	fr[n++] = arp;
	/* IPv4 header cut short by the snap length: malformed */
	struct frame cut = eth(T0 + 160, "8.8.8.8", "198.51.100.6", 6, 25);
	cut.len = 14 + 12;
	fr[n++] = cut;
	/* TCP with only 2 bytes of header: protocol without a readable port */
	struct frame tcut = eth(T0 + 170, "8.8.8.8", "198.51.100.6", 6, 25);
	tcut.len = 14 + 20 + 2;
	tcut.d[14 + 2] = 0, tcut.d[14 + 3] = 22;
	fr[n++] = tcut;
	/* GRE: no ports */
	struct frame gre = eth(T0 + 180, "8.8.8.8", "198.51.100.6", 6, 0);
	gre.d[14 + 9] = 47;
	fr[n++] = gre;
	char name[64];
	for (int be = 0; be < 2; be++)
		for (int ns = 0; ns < 2; ns++) {
			snprintf(name, sizeof name, "eth-%s-%s.pcap", be ? "be" : "le",
			         ns ? "ns" : "us");
			write_all(pcap_open(dir, name, 1, be, ns), fr, n, be, ns);
		}
}

static void fragment_fixture(const char *dir)
{
	struct frame fr[8];
	int n = 0;
	fr[n++] = frag4(eth(T0, "8.8.8.8", "198.51.100.10", 17, 53), 0, 1); /* first: has ports */
	fr[n++] = frag4(eth(T0 + 1, "8.8.8.8", "198.51.100.10", 17, 53), 185, 1);
	fr[n++] = frag4(eth(T0 + 2, "8.8.8.8", "198.51.100.10", 17, 53), 370, 0);
	fr[n++] = ext6(eth(T0 + 3, "2001:4860:4860::8888", "2001:db8:100::5", 17, 500), 0);
	fr[n++] = ext6(eth(T0 + 4, "2001:4860:4860::8888", "2001:db8:100::5", 17, 500), 181);
	write_all(pcap_open(dir, "frags.pcap", 1, 0, 0), fr, n, 0, 0);
}

static void linktype_fixtures(const char *dir)
{
	struct frame base[16], fr[16];
	int n = mixed(base, T0 + 86400);
	/* SLL: 16 bytes, protocol at 14 */
	for (int i = 0; i < n; i++) {
		uint8_t h[16] = {
		        0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 1, 0, base[i].d[12], base[i].d[13]};
		fr[i] = relink(base[i], h, 16);
	}
	write_all(pcap_open(dir, "sll.pcap", 113, 0, 0), fr, n, 0, 0);
	/* SLL2: 20 bytes, protocol at 0 */
	for (int i = 0; i < n; i++) {
		uint8_t h[20] = {base[i].d[12], base[i].d[13], 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2};
		fr[i] = relink(base[i], h, 20);
	}
	write_all(pcap_open(dir, "sll2.pcap", 276, 1, 0), fr, n, 1, 0);
	/* raw IP */
	for (int i = 0; i < n; i++)
		fr[i] = relink(base[i], NULL, 0);
	write_all(pcap_open(dir, "raw.pcap", 101, 0, 1), fr, n, 0, 1);
	/* LINKTYPE_IPV4 and LINKTYPE_IPV6: raw IP of one version each */
	int n4 = 0, n6 = 0;
	struct frame f4[16], f6[16];
	for (int i = 0; i < n; i++) {
		if (base[i].d[12] == 0x86)
			f6[n6++] = relink(base[i], NULL, 0);
		else
			f4[n4++] = relink(base[i], NULL, 0);
	}
	write_all(pcap_open(dir, "ipv4.pcap", 228, 0, 0), f4, n4, 0, 0);
	write_all(pcap_open(dir, "ipv6.pcap", 229, 1, 1), f6, n6, 1, 1);
	/* BSD null (host order) and OpenBSD loop (network order) */
	for (int i = 0; i < n; i++) {
		int v6 = base[i].d[12] == 0x86;
		uint8_t h[4] = {(uint8_t)(v6 ? 30 : 2), 0, 0, 0};
		fr[i] = relink(base[i], h, 4);
	}
	write_all(pcap_open(dir, "null.pcap", 0, 0, 0), fr, n, 0, 0);
	for (int i = 0; i < n; i++) {
		int v6 = base[i].d[12] == 0x86;
		uint8_t h[4] = {0, 0, 0, (uint8_t)(v6 ? 24 : 2)};
		fr[i] = relink(base[i], h, 4);
	}
	write_all(pcap_open(dir, "loop.pcap", 108, 1, 0), fr, n, 1, 0);
}

/* ---- pcapng ---- */

static void ng_block(FILE *f, uint32_t type, const uint8_t *body, uint32_t blen, int be)
{
	uint32_t pad = (4 - blen % 4) % 4, total = 12 + blen + pad;
	w32(f, type, be);
	w32(f, total, be);
	fwrite(body, 1, blen, f);
	static const uint8_t zero[4];
	fwrite(zero, 1, pad, f);
	w32(f, total, be);
}

static void put32(uint8_t *p, uint32_t v, int be)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(be ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v, int be)
{
	p[0] = (uint8_t)(be ? v >> 8 : v), p[1] = (uint8_t)(be ? v : v >> 8);
}

static void ng_shb(FILE *f, int be)
{
	uint8_t b[16];
	put32(b, 0x1A2B3C4D, be);
	put16(b + 4, 1, be);
	put16(b + 6, 0, be);
	memset(b + 8, 0xff, 8); /* section length unknown */
	ng_block(f, 0x0A0D0D0A, b, 16, be);
}

static void ng_idb(FILE *f, uint16_t lt, int tsresol, int be)
{
	uint8_t b[20] = {0};
	put16(b, lt, be);
	put32(b + 4, 65535, be);
	uint32_t n = 8;
	if (tsresol >= 0) {
		put16(b + 8, 9, be);
		put16(b + 10, 1, be);
		b[12] = (uint8_t)tsresol;
		put16(b + 16, 0, be); /* opt_endofopt */
		put16(b + 18, 0, be);
		n = 20;
	}
	ng_block(f, 1, b, n, be);
}

static void ng_epb(FILE *f, uint32_t ifid, uint64_t ts, const struct frame *fr, int be)
{
	uint8_t b[300];
	put32(b, ifid, be);
	put32(b + 4, (uint32_t)(ts >> 32), be);
	put32(b + 8, (uint32_t)ts, be);
	put32(b + 12, fr->len, be);
	put32(b + 16, fr->len, be);
	memcpy(b + 20, fr->d, fr->len);
	ng_block(f, 6, b, 20 + fr->len, be);
}

static void ng_spb(FILE *f, const struct frame *fr, int be)
{
	uint8_t b[300];
	put32(b, fr->len, be);
	memcpy(b + 4, fr->d, fr->len);
	ng_block(f, 3, b, 4 + fr->len, be);
}

static void pcapng_fixture(const char *dir)
{
	char path[512];
	snprintf(path, sizeof path, "%s/multi.pcapng", dir);
	FILE *f = fopen(path, "wb");
	struct frame base[16];
	int n = mixed(base, T0 + 2 * 86400);
	ng_shb(f, 0);
	ng_idb(f, 1, 9, 0);    /* 0: Ethernet, nanoseconds */
	ng_idb(f, 101, -1, 0); /* 1: raw IP, microseconds */
	ng_idb(f, 113, 3, 0);  /* 2: SLL, milliseconds */
	uint8_t nrb[4] = {0, 0, 0, 0};
	ng_block(f, 4, nrb, 4, 0); /* name resolution block: skipped */
	for (int i = 0; i < n; i++) {
		int ifc = i % 3;
		struct frame fr = base[i];
		uint64_t ts;
		if (ifc == 0) {
			ts = (uint64_t)fr.ts * 1000000000ull + 5;
		} else if (ifc == 1) {
			fr = relink(base[i], NULL, 0);
			ts = (uint64_t)fr.ts * 1000000ull + 5;
		} else {
			uint8_t h[16] = {0,
			                 0,
			                 0,
			                 1,
			                 0,
			                 6,
			                 2,
			                 0,
			                 0,
			                 0,
			                 0,
			                 0,
			                 1,
			                 0,
			                 base[i].d[12],
			                 base[i].d[13]};
			fr = relink(base[i], h, 16);
			ts = (uint64_t)fr.ts * 1000ull + 5;
		}
		ng_epb(f, (uint32_t)ifc, ts, &fr, 0);
	}
	ng_spb(f, &base[0], 0); /* simple packet block on interface 0 */
	/* a second section, big-endian, with its own interface */
	ng_shb(f, 1);
	ng_idb(f, 1, -1, 1);
	for (int i = 0; i < n; i++)
		ng_epb(f, 0, (uint64_t)(base[i].ts + 86400) * 1000000ull, &base[i], 1);
	fclose(f);
}

/* Time stamps at and past the ends of the range darkscope takes (1970 to
 * 9999), in seconds (if_tsresol 0), with if_tsoffset: bad/ holds the files
 * it refuses, away from the fixtures every test reads. */
static void ng_idb_secs(FILE *f, int64_t tsoffset)
{
	uint8_t b[36] = {0};
	put16(b, 101, 0); /* raw IP */
	put32(b + 4, 65535, 0);
	put16(b + 8, 9, 0); /* if_tsresol: seconds */
	put16(b + 10, 1, 0);
	put16(b + 16, 14, 0); /* if_tsoffset */
	put16(b + 18, 8, 0);
	put32(b + 20, (uint32_t)(uint64_t)tsoffset, 0);
	put32(b + 24, (uint32_t)((uint64_t)tsoffset >> 32), 0);
	ng_block(f, 1, b, 32, 0); /* (and opt_endofopt) */
}

static void time_fixture(const char *dir, const char *name, int64_t tsoffset, uint64_t ts)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	struct frame fr = relink(eth(T0, "8.8.8.8", "198.51.100.7", 6, 23), NULL, 0);
	ng_shb(f, 0);
	ng_idb_secs(f, tsoffset);
	ng_epb(f, 0, ts, &fr, 0);
	fclose(f);
}

static void time_fixtures(const char *dir)
{
	char bad[512];
	snprintf(bad, sizeof bad, "%s/bad", dir);
	mkdir(bad, 0755);
	time_fixture(dir, "time-last.pcapng", 0, 253402300799ull); /* 9999-12-31T23:59:59Z */
	time_fixture(bad, "time-10000.pcapng", 0, 253402300800ull);
	time_fixture(bad, "time-1969.pcapng", -3600, 1800);
	time_fixture(bad, "time-wraps.pcapng", INT64_MAX, 1ull << 63); /* 2^64 - 1 s */
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkfixtures DIR\n");
		return 2;
	}
	ethernet_fixture(argv[1]);
	fragment_fixture(argv[1]);
	linktype_fixtures(argv[1]);
	pcapng_fixture(argv[1]);
	time_fixtures(argv[1]);
	return 0;
}
