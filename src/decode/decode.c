/* decode.c - link, network and transport decoding with a bounded cursor. */
#include "darkscope/decode.h"

#include "darkscope/limits.h"

#include <stddef.h>
#include <string.h>

/* A cursor that cannot move past its end. */
struct cur {
	const uint8_t *p, *end;
};

static inline int need(const struct cur *c, size_t n)
{
	return (size_t)(c->end - c->p) >= n;
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

enum {
	ET_IPV4 = 0x0800,
	ET_IPV6 = 0x86DD,
	ET_VLAN = 0x8100,
	ET_QINQ = 0x88A8,
	ET_QINQ_OLD = 0x9100
};

static void bad(struct ds_pkt *p, const char *why)
{
	p->proto = DS_PROTO_BAD;
	p->port = DS_PORT_NONE;
	p->why = why;
}

static void transport(struct cur c, uint8_t proto, struct ds_pkt *p)
{
	p->proto = proto;
	switch (proto) {
	case 6:   /* TCP */
	case 17:  /* UDP */
	case 33:  /* DCCP */
	case 132: /* SCTP */
	case 136: /* UDP-Lite */
		if (!need(&c, 4)) {
			p->port = DS_PORT_NONE;
			return;
		}
		p->sport = be16(c.p);
		p->port = be16(c.p + 2);
		if (proto == 6 && need(&c, 14))
			p->tcp_flags = c.p[13];
		return;
	case 1: /* ICMP */
	case 58: /* ICMPv6 */ p->port = need(&c, 1) ? c.p[0] : DS_PORT_NONE; return;
	default: p->port = DS_PORT_NONE;
	}
}

static void ipv4(struct cur c, struct ds_pkt *p)
{
	if (!need(&c, 20))
		return bad(p, "IPv4 header cut short");
	const uint8_t *h = c.p;
	unsigned ihl = (h[0] & 15u) * 4u;
	if ((h[0] >> 4) != 4)
		return bad(p, "IP version is not 4");
	if (ihl < 20 || !need(&c, ihl))
		return bad(p, "bad IPv4 header length");
	p->family = 4;
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memcpy(p->src, mapped, 12);
	memcpy(p->src + 12, h + 12, 4);
	memcpy(p->dst, mapped, 12);
	memcpy(p->dst + 12, h + 16, 4);
	unsigned total = be16(h + 2);
	struct cur t = {c.p + ihl, c.end};
	if (total >= ihl && (size_t)(c.end - c.p) > total)
		t.end = c.p + total; /* drop Ethernet padding */
	uint16_t frag = be16(h + 6) & 0x1fff;
	if (frag != 0) {
		p->proto = h[9];
		p->port = DS_PORT_FRAG;
		return;
	}
	transport(t, h[9], p);
}

static int v6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 51 || nh == 135 || nh == 139 ||
	       nh == 140;
}

static void ipv6(struct cur c, struct ds_pkt *p)
{
	if (!need(&c, 40))
		return bad(p, "IPv6 header cut short");
	if ((c.p[0] >> 4) != 6)
		return bad(p, "IP version is not 6");
	p->family = 6;
	memcpy(p->src, c.p + 8, 16);
	memcpy(p->dst, c.p + 24, 16);
	unsigned plen = be16(c.p + 4);
	uint8_t nh = c.p[6];
	struct cur t = {c.p + 40, c.end};
	if (plen && (size_t)(t.end - t.p) > plen)
		t.end = t.p + plen;
	for (int i = 0; v6_ext(nh); i++) {
		if (i >= DS_MAX_V6_EXT || !need(&t, 8)) {
			p->proto = nh;
			p->port = DS_PORT_NONE;
			return;
		}
		size_t len;
		if (nh == 44) { /* fragment header: fixed 8 bytes */
			uint16_t off = be16(t.p + 2) & 0xfff8;
			if (off != 0) {
				p->proto = t.p[0];
				p->port = DS_PORT_FRAG;
				return;
			}
			len = 8;
		} else if (nh == 51) {
			len = ((size_t)t.p[1] + 2) * 4;
		} else {
			len = ((size_t)t.p[1] + 1) * 8;
		}
		nh = t.p[0];
		if (!need(&t, len)) {
			p->proto = nh;
			p->port = DS_PORT_NONE;
			return;
		}
		t.p += len;
	}
	if (nh == 59) { /* no next header */
		p->proto = 59;
		p->port = DS_PORT_NONE;
		return;
	}
	transport(t, nh, p);
}

static void by_version(struct cur c, struct ds_pkt *p)
{
	if (!need(&c, 1))
		return bad(p, "empty IP packet");
	switch (c.p[0] >> 4) {
	case 4: return ipv4(c, p);
	case 6: return ipv6(c, p);
	default: return bad(p, "IP version is neither 4 nor 6");
	}
}

static void by_ethertype(struct cur c, uint16_t et, struct ds_pkt *p)
{
	if (et == ET_IPV4)
		return ipv4(c, p);
	if (et == ET_IPV6)
		return ipv6(c, p);
	p->proto = DS_PROTO_NONIP;
	p->port = DS_PORT_NONE;
}

static void ethernet(struct cur c, struct ds_pkt *p)
{
	if (!need(&c, 14))
		return bad(p, "Ethernet header cut short");
	uint16_t et = be16(c.p + 12);
	c.p += 14;
	for (int i = 0; et == ET_VLAN || et == ET_QINQ || et == ET_QINQ_OLD; i++) {
		if (i >= DS_MAX_VLAN || !need(&c, 4))
			return bad(p, "VLAN tag cut short");
		et = be16(c.p + 2);
		c.p += 4;
	}
	by_ethertype(c, et, p);
}

static void null_loop(struct cur c, int network_order, struct ds_pkt *p)
{
	if (!need(&c, 4))
		return bad(p, "loopback header cut short");
	uint32_t af;
	if (network_order)
		af = (uint32_t)c.p[0] << 24 | (uint32_t)c.p[1] << 16 | (uint32_t)c.p[2] << 8 |
		     c.p[3];
	else /* the writer's byte order: accept either */
		af = c.p[0] | c.p[3];
	c.p += 4;
	if (af == 2)
		return ipv4(c, p);
	if (af == 24 || af == 28 || af == 30)
		return ipv6(c, p);
	p->proto = DS_PROTO_NONIP;
	p->port = DS_PORT_NONE;
}

/* The commonest frame, whole: Ethernet, IPv4 without options, not a later
 * fragment, TCP with its flags or UDP with its ports.  Every field is set
 * as the general path below sets it; 0 for any other frame. */
static inline int eth_ipv4_fast(const struct ds_frame *f, struct ds_pkt *p)
{
	const uint8_t *d = f->data, *h = d + 14;
	if (f->linktype != 1 || f->caplen < 14 + 20 + 14 || be16(d + 12) != ET_IPV4 || h[0] != 0x45)
		return 0;
	size_t avail = f->caplen - 14, total = be16(h + 2);
	size_t len = avail > total && total >= 20 ? total : avail; /* (less padding) */
	uint8_t proto = h[9];
	if ((be16(h + 6) & 0x1fff) != 0 ||
	    !(proto == 6 ? len >= 20 + 14 : proto == 17 && len >= 24))
		return 0;
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	p->ts = f->ts_sec;
	memcpy(p->src, mapped, 12);
	memcpy(p->src + 12, h + 12, 4);
	memcpy(p->dst, mapped, 12);
	memcpy(p->dst + 12, h + 16, 4);
	p->port = be16(h + 22);
	p->proto = proto;
	p->sport = be16(h + 20);
	p->family = 4;
	p->tcp_flags = proto == 6 ? h[33] : 0;
	p->why = NULL;
	return 1;
}

void ds_decode(const struct ds_frame *f, struct ds_pkt *p)
{
	if (eth_ipv4_fast(f, p))
		return;
	memset(p, 0, offsetof(struct ds_pkt, sensor));
	p->why = NULL;
	p->ts = f->ts_sec;
	struct cur c = {f->data, f->data + f->caplen};
	switch (f->linktype) {
	case 1: return ethernet(c, p);
	case 113:
		if (!need(&c, 16))
			return bad(p, "SLL header cut short");
		c.p += 16;
		return by_ethertype(c, be16(c.p - 2), p);
	case 276:
		if (!need(&c, 20))
			return bad(p, "SLL2 header cut short");
		c.p += 20;
		return by_ethertype(c, be16(c.p - 20), p);
	case 12:
	case 14:
	case 101:
	case 228:
	case 229: return by_version(c, p);
	case 0: return null_loop(c, 0, p);
	case 108: return null_loop(c, 1, p);
	default: p->proto = DS_PROTO_NONIP; p->port = DS_PORT_NONE;
	}
}
