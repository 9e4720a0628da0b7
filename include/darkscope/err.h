/* err.h - one list of error codes and their messages.
 *
 * Functions return 0 (or a positive count) on success and a negative code from
 * this list on failure.  The failing function also records a one-line detail
 * (which file, which offset, why) with ds_fail(); callers print ds_lasterr().
 * The detail buffer is per thread. */
#ifndef DARKSCOPE_ERR_H
#define DARKSCOPE_ERR_H

#define DS_ERRORS(X)                         \
	X(OK, "success")                     \
	X(NOMEM, "out of memory")            \
	X(IO, "input/output error")          \
	X(FORMAT, "malformed input")         \
	X(TRUNCATED, "input truncated")      \
	X(UNSUPPORTED, "unsupported input")  \
	X(CONFIG, "bad configuration")       \
	X(STORE, "store error")              \
	X(USAGE, "usage error")              \
	X(NOTFOUND, "not found")             \
	X(LIMIT, "limit exceeded")           \
	X(GEO, "geolocation database error") \
	X(SEAM, "split capture does not join")

enum ds_err {
#define DS__X(name, msg) DS_E_##name,
	DS_ERRORS(DS__X)
#undef DS__X
	        DS_E__COUNT
};

/* The static message of code rc (negative or positive). */
const char *ds_strerror(int rc);

/* Record a formatted detail for this thread and return -code. */
int ds_fail(enum ds_err code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last detail recorded on this thread (never NULL). */
const char *ds_lasterr(void);

#endif
