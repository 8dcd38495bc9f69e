/*
 * guest_printf.h - the guest's printf, captured, for a host test that
 * compiles a guest .c file in (after guest_libc_rename.h, with printf
 * defined as guest_printf): what the guest printed collects in guest_out,
 * NUL-terminated, guest_out_len bytes of it, cut short when full; a test
 * empties it with guest_out_clear(). Include once, after
 * guest_libc_unrename.h (it uses the host's vsnprintf).
 */
#ifndef TESTS_UNIT_GUEST_PRINTF_H
#define TESTS_UNIT_GUEST_PRINTF_H

#include <stdarg.h>
#include <stdio.h>

static char guest_out[4096];
static size_t guest_out_len;

int guest_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(guest_out + guest_out_len, sizeof(guest_out) - guest_out_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		guest_out_len += (size_t)n < sizeof(guest_out) - guest_out_len ? (size_t)n
										: sizeof(guest_out) - guest_out_len - 1;
	return n;
}

static inline void guest_out_clear(void)
{
	guest_out_len = 0;
	guest_out[0] = '\0';
}

#endif
