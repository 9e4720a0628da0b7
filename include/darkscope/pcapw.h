/* pcapw.h - write classic pcap (microsecond, little-endian), optionally
 * compressed: the name decides (".gz" gzip, ".zst" zstd, "-" stdout). */
#ifndef DARKSCOPE_PCAPW_H
#define DARKSCOPE_PCAPW_H

#include <stdint.h>

struct ds_pcapw;

int ds_pcapw_open(struct ds_pcapw **out, const char *path, uint32_t linktype);
int ds_pcapw_write(struct ds_pcapw *w, int64_t sec, uint32_t usec, const uint8_t *data,
                   uint32_t len);
/* Flush and close; returns 0 or the first write error. */
int ds_pcapw_close(struct ds_pcapw *w);

#endif
