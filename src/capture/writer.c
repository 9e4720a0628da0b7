/* writer.c - pcap output through stdio, zlib or zstd. */
#include "darkscope/pcapw.h"

#include "darkscope/capture.h"
#include "darkscope/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

enum wkind { W_PLAIN, W_GZ, W_ZST };

struct ds_pcapw {
	enum wkind kind;
	FILE *f;
	gzFile gz;
	ZSTD_CCtx *z;
	uint8_t *zout;
	size_t zcap;
	char path[512];
	int err;
};

static int ends(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

static int zst_push(struct ds_pcapw *w, const void *p, size_t n, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {p, n, 0};
	size_t left;
	do {
		ZSTD_outBuffer out = {w->zout, w->zcap, 0};
		left = ZSTD_compressStream2(w->z, &out, &in, mode);
		if (ZSTD_isError(left))
			return ds_fail(DS_E_IO, "%s: zstd: %s", w->path, ZSTD_getErrorName(left));
		if (out.pos && fwrite(w->zout, 1, out.pos, w->f) != out.pos)
			return ds_fail(DS_E_IO, "%s: write failed: %s", w->path, strerror(errno));
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

static int put(struct ds_pcapw *w, const void *p, size_t n)
{
	if (w->err)
		return w->err;
	int rc = 0;
	if (w->kind == W_GZ) {
		if (gzwrite(w->gz, p, (unsigned)n) != (int)n)
			rc = ds_fail(DS_E_IO, "%s: gzip write failed", w->path);
	} else if (w->kind == W_ZST) {
		rc = zst_push(w, p, n, ZSTD_e_continue);
	} else if (fwrite(p, 1, n, w->f) != n) {
		rc = ds_fail(DS_E_IO, "%s: write failed: %s", w->path, strerror(errno));
	}
	return w->err = rc;
}

int ds_pcapw_open(struct ds_pcapw **out, const char *path, uint32_t linktype)
{
	struct ds_pcapw *w = calloc(1, sizeof *w);
	if (!w)
		return ds_fail(DS_E_NOMEM, "out of memory");
	snprintf(w->path, sizeof w->path, "%s", path);
	w->kind = ends(path, ".gz") ? W_GZ : ends(path, ".zst") ? W_ZST : W_PLAIN;
	if (w->kind == W_GZ)
		w->gz = gzopen(path, "wb6");
	else
		w->f = ds_is_stdin(path) ? stdout : fopen(path, "wb");
	if ((w->kind == W_GZ && !w->gz) || (w->kind != W_GZ && !w->f)) {
		int rc = ds_fail(DS_E_IO, "%s: cannot create: %s", path, strerror(errno));
		free(w);
		return rc;
	}
	if (w->kind == W_ZST) {
		w->zcap = ZSTD_CStreamOutSize();
		w->zout = malloc(w->zcap);
		w->z = ZSTD_createCCtx();
		if (!w->zout || !w->z) {
			ds_pcapw_close(w);
			return ds_fail(DS_E_NOMEM, "out of memory");
		}
		ZSTD_CCtx_setParameter(w->z, ZSTD_c_compressionLevel, 3);
	}
	uint8_t h[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
	uint32_t snap = 262144;
	memcpy(h + 16, &snap, 4);
	memcpy(h + 20, &linktype, 4);
	int rc = put(w, h, sizeof h);
	if (rc < 0) {
		ds_pcapw_close(w);
		return rc;
	}
	*out = w;
	return 0;
}

int ds_pcapw_write(struct ds_pcapw *w, int64_t sec, uint32_t usec, const uint8_t *data,
                   uint32_t len)
{
	uint32_t h[4] = {(uint32_t)sec, usec, len, len};
	int rc = put(w, h, sizeof h);
	return rc ? rc : put(w, data, len);
}

int ds_pcapw_close(struct ds_pcapw *w)
{
	int rc = w->err;
	if (w->kind == W_ZST && w->z && rc == 0)
		rc = zst_push(w, NULL, 0, ZSTD_e_end);
	if (w->gz && gzclose(w->gz) != Z_OK && rc == 0)
		rc = ds_fail(DS_E_IO, "%s: gzip close failed", w->path);
	if (w->f && w->f != stdout && fclose(w->f) != 0 && rc == 0)
		rc = ds_fail(DS_E_IO, "%s: close failed: %s", w->path, strerror(errno));
	if (w->f == stdout)
		fflush(stdout);
	ZSTD_freeCCtx(w->z);
	free(w->zout);
	free(w);
	return rc;
}
