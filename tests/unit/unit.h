/* unit.h - a small unit-test harness: each TEST runs in a forked child with a
 * timeout; CHECK_* print both operands on failure. */
#ifndef DARKSCOPE_TEST_UNIT_H
#define DARKSCOPE_TEST_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void unit_register(const char *name, void (*fn)(void));
extern int unit_failed;

#define TEST(name)                                                \
	static void name(void);                                   \
	__attribute__((constructor)) static void reg_##name(void) \
	{                                                         \
		unit_register(#name, name);                       \
	}                                                         \
	static void name(void)

#define UNIT_FAIL(...)                                              \
	do {                                                        \
		fprintf(stderr, "    %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                       \
		fputc('\n', stderr);                                \
		unit_failed = 1;                                    \
	} while (0)

#define CHECK(c)                                           \
	do {                                               \
		if (!(c))                                  \
			UNIT_FAIL("CHECK(%s) failed", #c); \
	} while (0)

#define CHECK_INT(a, op, b)                                                       \
	do {                                                                      \
		long long a_ = (long long)(a), b_ = (long long)(b);               \
		if (!(a_ op b_))                                                  \
			UNIT_FAIL("%s %s %s: %lld vs %lld", #a, #op, #b, a_, b_); \
	} while (0)

#define CHECK_STR(a, b)                                                          \
	do {                                                                     \
		const char *a_ = (a), *b_ = (b);                                 \
		if (strcmp(a_, b_) != 0)                                         \
			UNIT_FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b, a_, b_); \
	} while (0)

/* A temporary file path unique to this test process. */
const char *unit_tmp(const char *suffix);

#endif
