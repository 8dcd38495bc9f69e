/*
 * unit_sh.h - sh(FORMAT, ...): a shell command the unit tests use to build
 * fixtures (scripts/mkfixture, truncate, ln), formatted and run; the test
 * fails if it does. Include after <cmocka.h>.
 */
#ifndef TESTS_UNIT_UNIT_SH_H
#define TESTS_UNIT_UNIT_SH_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((format(printf, 1, 2))) static inline void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

#endif
