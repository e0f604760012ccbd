/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP output for C selftests, in the manner of the kernel's kselftest.h:
 * a plan, one "ok"/"not ok" line per case, exit 0 (all passed), 1 (some
 * failed, or fewer cases ran than planned) or 4 (every case skipped),
 * which is what selftests/run_tests reads.
 */
#ifndef _VTCP_KTAP_H
#define _VTCP_KTAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

static unsigned int ksft_n, ksft_pass, ksft_fail, ksft_skip, ksft_plan;

static inline void ksft_print_header(void)
{
	printf("TAP version 13\n");
}

static inline void ksft_set_plan(unsigned int plan)
{
	ksft_plan = plan;
	printf("1..%u\n", plan);
}

static inline void ksft_print_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static inline void ksft_vresult(const char *status, const char *fmt,
				va_list ap)
{
	printf("%s %u ", status, ++ksft_n);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

static inline void ksft_test_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ksft_vresult(ok ? "ok" : "not ok", fmt, ap);
	va_end(ap);
	if (ok)
		ksft_pass++;
	else
		ksft_fail++;
}

static inline void ksft_test_result_skip(const char *fmt, ...)
{
	va_list ap;

	printf("ok %u # SKIP ", ++ksft_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	ksft_skip++;
}

static inline int ksft_finished(void)
{
	printf("# Totals: pass:%u fail:%u skip:%u\n",
	       ksft_pass, ksft_fail, ksft_skip);
	if (ksft_n != ksft_plan) {
		printf("# planned %u cases, ran %u: the test did not run them all\n",
		       ksft_plan, ksft_n);
		return KSFT_FAIL;
	}
	if (ksft_fail)
		return KSFT_FAIL;
	if (ksft_skip && !ksft_pass)
		return KSFT_SKIP;
	return KSFT_PASS;
}

/* Check that a call failed with the wanted errno, and say what it got. */
#define ksft_expect_errno(call, want, name)				\
	do {								\
		long r_ = (long)(call);					\
		int e_ = errno;						\
		bool ok_ = r_ == -1 && e_ == (want);			\
		if (!ok_)						\
			ksft_print_msg("%s: got %ld (%s), want %s\n",	\
				       name, r_,			\
				       r_ == -1 ? strerror(e_) : "success", \
				       strerror(want));			\
		ksft_test_result(ok_, "%s", name);			\
	} while (0)

#endif /* _VTCP_KTAP_H */
