/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small unit test harness printing KTAP (Documentation/dev-tools/ktap.rst
 * in the kernel's tree), in the manner of kselftest_harness.h: TEST(name)
 * { ... } defines a case, EXPECT_*() records a failure and goes on,
 * ASSERT_*() records it and leaves the case. Cases run in the order they
 * are written; mock_reset(), when a test links the mock kernel, runs
 * before each. The program exits 0 when every case passed, else 1.
 */
#ifndef _VTCP_UNIT_KTAP_H
#define _VTCP_UNIT_KTAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit_case {
	const char *name;
	void (*fn)(void);
	struct unit_case *next;
};

void unit_register(struct unit_case *c);
extern int unit_failed;		/* the running case has failed */
void mock_reset(void) __attribute__((weak));

#define TEST(name)							\
	static void test_##name(void);					\
	static struct unit_case unit_case_##name = { #name, test_##name }; \
	__attribute__((constructor)) static void unit_add_##name(void)	\
	{								\
		unit_register(&unit_case_##name);			\
	}								\
	static void test_##name(void)

#define UNIT_FAIL(fmt, ...) do {					\
		printf("# %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
		unit_failed = 1;					\
	} while (0)

#define UNIT_CMP(a, op, b, onfail) do {					\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (!(_a op _b)) {					\
			UNIT_FAIL("%s %s %s: %lld, %lld", #a, #op, #b,	\
				  _a, _b);				\
			onfail;						\
		}							\
	} while (0)

#define EXPECT_EQ(a, b)	UNIT_CMP(a, ==, b, (void)0)
#define EXPECT_NE(a, b)	UNIT_CMP(a, !=, b, (void)0)
#define EXPECT_LT(a, b)	UNIT_CMP(a, <, b, (void)0)
#define EXPECT_LE(a, b)	UNIT_CMP(a, <=, b, (void)0)
#define EXPECT_GT(a, b)	UNIT_CMP(a, >, b, (void)0)
#define EXPECT_GE(a, b)	UNIT_CMP(a, >=, b, (void)0)
#define EXPECT_TRUE(a)	UNIT_CMP(!!(a), ==, 1, (void)0)
#define EXPECT_FALSE(a)	UNIT_CMP(!!(a), ==, 0, (void)0)
#define ASSERT_EQ(a, b)	UNIT_CMP(a, ==, b, return)
#define ASSERT_NE(a, b)	UNIT_CMP(a, !=, b, return)
#define ASSERT_LE(a, b)	UNIT_CMP(a, <=, b, return)
#define ASSERT_GE(a, b)	UNIT_CMP(a, >=, b, return)
#define ASSERT_TRUE(a)	UNIT_CMP(!!(a), ==, 1, return)
#define ASSERT_FALSE(a)	UNIT_CMP(!!(a), ==, 0, return)

#define EXPECT_STREQ(a, b) do {						\
		const char *_a = (a), *_b = (b);			\
		if (strcmp(_a, _b))					\
			UNIT_FAIL("%s == %s: \"%s\", \"%s\"", #a, #b, _a, _b); \
	} while (0)

/* |a - b| <= tol, for values compared with a reference within rounding. */
#define EXPECT_NEAR(a, b, tol) do {					\
		long long _d = (long long)(a) - (long long)(b);		\
		if (_d < -(long long)(tol) || _d > (long long)(tol))	\
			UNIT_FAIL("%s near %s (within %s): %lld, %lld",	\
				  #a, #b, #tol, (long long)(a),		\
				  (long long)(b));			\
	} while (0)

#endif /* _VTCP_UNIT_KTAP_H */
