/* labels.h - the names people read: keys, services, protocols, countries.
 *
 * Keys as text: ports "23/tcp", ICMP types "8/icmp", "128/icmpv6", non-first
 * fragments "frag/udp", protocols without ports "gre" or "proto-253", frames
 * that are not IP "non-ip", undecodable IP "malformed"; regions are ISO 3166
 * alpha-2 codes ("ZZ" unknown); sensors by name.  Service names come from the
 * IANA registry as shipped by Wireshark (or /etc/services), country names
 * from Debian's iso-codes. */
#ifndef DARKSCOPE_LABELS_H
#define DARKSCOPE_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "darkscope/store.h"

struct ds_labels;

/* Load the service and country tables (NULL paths: the default locations;
 * missing files leave those labels empty).  Sensor names come from st. */
int ds_labels_open(struct ds_labels **out, const char *services, const char *countries,
                   struct ds_store *st);
void ds_labels_close(struct ds_labels *l);

/* Key text for dimension `by` (DS_DIM_*), e.g. "23/tcp", "CN", "tokyo-1". */
void ds_label_key(void *labels, unsigned by, uint64_t key, char *out, size_t cap);

/* Human label: service name ("telnet"), country name ("China"), or sensor
 * alias; "" when none is known. */
const char *ds_label_name(const struct ds_labels *l, unsigned by, uint64_t key);

/* Display form as in the reference report: "23/TCP (telnet)", "China". */
void ds_label_display(const struct ds_labels *l, unsigned by, uint64_t key, char *out, size_t cap);

/* Parse a key of dimension `by` into its packed form. */
int ds_label_parse(const struct ds_labels *l, unsigned by, const char *text, uint64_t *key);

#endif
