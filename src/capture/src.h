/* src.h - byte source under the capture reader (internal to capture/).
 *
 * A plain regular file is mapped; anything else (stdin, pipes, gzip, zstd) is
 * read through a growing window, a compressed stream decompressed on a thread
 * of its own once it has given 4 MB.  Either way the reader asks for n
 * contiguous bytes at the current position and then skips past them.  The
 * digest and the raw byte count of a stream are to be asked for after
 * ds_src_drain (which stops that thread). */
#ifndef DARKSCOPE_CAPTURE_SRC_H
#define DARKSCOPE_CAPTURE_SRC_H

#include <stddef.h>
#include <stdint.h>

struct ds_src;

/* Open path ("-" = stdin).  The detail on failure names the path. */
int ds_src_open(struct ds_src **out, const char *path);

/* Make n bytes at the current position contiguous.  Returns n with *p set, a
 * smaller count (>= 0) when the input ends first, or a negative code when the
 * input is corrupt (compressed stream errors) or unreadable. */
long ds_src_get(struct ds_src *s, size_t n, const uint8_t **p);

/* Advance past n bytes already obtained with ds_src_get(). */
void ds_src_skip(struct ds_src *s, size_t n);

/* Offset of the current position in the uncompressed stream. */
uint64_t ds_src_pos(const struct ds_src *s);

/* A mapped file's bytes (*len of them), or NULL for a stream. */
const uint8_t *ds_src_map(const struct ds_src *s, size_t *len);

/* Move a mapped file's position to pos (<= its length). */
void ds_src_seek(struct ds_src *s, uint64_t pos);

/* Digest a mapped file's bytes as they are read, instead of all at once
 * when the digest is asked for (streams always digest as they read). */
int ds_src_digest_as_read(struct ds_src *s);

/* Raw (compressed) bytes of the input: a mapped file's size, or the bytes a
 * stream has read so far. */
uint64_t ds_src_raw_bytes(const struct ds_src *s);

/* Read the rest of the raw input (for the digest). */
int ds_src_drain(struct ds_src *s);

/* XXH3-128 of the raw bytes read so far, as hex. */
void ds_src_digest(struct ds_src *s, char out[33]);

void ds_src_close(struct ds_src *s);

#endif
