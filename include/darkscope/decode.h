/* decode.h - frame bytes to the per-packet record.
 *
 * ds_decode() walks link layer (Ethernet with 802.1Q/802.1ad, Linux SLL and
 * SLL2, raw IPv4/IPv6, BSD null/loopback), IPv4 with options and fragments,
 * the IPv6 extension-header chain, and TCP/UDP/SCTP/DCCP/UDP-Lite ports or the
 * ICMP/ICMPv6 type.  It never reads past caplen.  A frame that is not IP gets
 * proto DS_PROTO_NONIP; one that claims to be IP but is malformed gets
 * DS_PROTO_BAD with p->why saying where it stopped. */
#ifndef DARKSCOPE_DECODE_H
#define DARKSCOPE_DECODE_H

#include "darkscope/capture.h"
#include "darkscope/record.h"

/* Fill the address, protocol and port fields of p from f (time included).
 * sensor, cc and srchash are left for later stages. */
void ds_decode(const struct ds_frame *f, struct ds_pkt *p);

#endif
