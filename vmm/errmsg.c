/*
 * errmsg.c - see errmsg.h: error messages for the caller, and the
 * rate-limited report of guest errors.
 */
#include "errmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>

int errmsg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void guest_error(const char *fmt, ...)
{
	static atomic_uint shown;
	unsigned n = atomic_fetch_add(&shown, 1);
	char msg[256];
	va_list ap;

	if (n > GUEST_ERRORS_SHOWN)
		return;
	if (n == GUEST_ERRORS_SHOWN) {
		fprintf(stderr, "vmm: %d guest errors reported; further ones are not printed\n", GUEST_ERRORS_SHOWN);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmm: %s\n", msg);
}
