/* packet.h - build Ethernet/IPv4|IPv6/TCP|UDP|ICMP frames with checksums. */
#ifndef DARKSCOPE_SYNTH_PACKET_H
#define DARKSCOPE_SYNTH_PACKET_H

#include <stddef.h>
#include <stdint.h>

struct pkt_spec {
	uint8_t src[16], dst[16]; /* IPv4 as ::ffff:a.b.c.d */
	int v6;
	uint8_t proto;         /* 6, 17, 1, 58 */
	uint16_t sport, dport; /* dport = ICMP type for ICMP */
	uint8_t tcp_flags;
	uint16_t ipid;
	uint32_t seq;
};

/* Write the frame into buf (at least 128 bytes); returns its length. */
size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap);

#endif
