/* record.h - the fixed-size per-packet record.
 *
 * Decoding fills one ds_pkt per captured frame; sensor attribution and
 * geolocation annotate it; aggregation reads only this record, never the
 * packet bytes. */
#ifndef DARKSCOPE_RECORD_H
#define DARKSCOPE_RECORD_H

#include <stdint.h>

/* Pseudo protocol numbers for frames that carry no IP datagram. */
#define DS_PROTO_NONIP 256 /* ARP, LLDP, ...: not IP */
#define DS_PROTO_BAD   257 /* IP that could not be decoded (see reason) */

/* Pseudo ports: a value above 65535 says why there is no port. */
#define DS_PORT_FRAG 0x10000u /* non-first IP fragment: no transport header */
#define DS_PORT_NONE 0x20000u /* protocol without ports, or header cut short */

/* Unknown source country ("ZZ"). Country codes are (c0-'A')*26+(c1-'A'). */
#define DS_CC_UNKNOWN ((uint16_t)(25 * 26 + 25))

struct ds_pkt {
	int64_t ts;        /* packet time, seconds since the epoch (UTC) */
	uint8_t src[16];   /* source address; IPv4 as ::ffff:a.b.c.d */
	uint8_t dst[16];   /* destination address, same form */
	uint32_t port;     /* destination port, ICMP type, or DS_PORT_* */
	uint16_t proto;    /* IP protocol number or DS_PROTO_* */
	uint16_t sport;    /* source port where there is one */
	uint8_t family;    /* 4, 6, or 0 when not IP */
	uint8_t tcp_flags; /* TCP flags byte, 0 otherwise */
	uint16_t sensor;   /* sensor id (0 = unattributed), set by classify */
	uint16_t cc;       /* source country code, set by geo */
	uint32_t srchash;  /* 32-bit hash of src, set by geo (cached with cc) */
	const char *why;   /* for DS_PROTO_BAD: why decoding stopped */
};

static inline uint16_t ds_cc_pack(const char *s)
{
	if (!s || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return DS_CC_UNKNOWN;
	return (uint16_t)((s[0] - 'A') * 26 + (s[1] - 'A'));
}

static inline void ds_cc_unpack(uint16_t cc, char out[3])
{
	if (cc > DS_CC_UNKNOWN)
		cc = DS_CC_UNKNOWN;
	out[0] = (char)('A' + cc / 26);
	out[1] = (char)('A' + cc % 26);
	out[2] = 0;
}

#endif
