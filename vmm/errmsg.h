/*
 * errmsg.h - the "-1 with a message" idiom of the VMM's setup functions:
 * they fill a caller's buffer with one sentence and return -1, and main()
 * prints it and exits. Pure code (the loader) can use it without stdio
 * side effects.
 */
#ifndef VMM_ERRMSG_H
#define VMM_ERRMSG_H

#include <stddef.h>

/* Formats into err[0..errlen) (always NUL-terminated if errlen > 0) and
 * returns -1, so callers can `return errmsg(err, errlen, "...", ...)`. */
__attribute__((format(printf, 3, 4))) int errmsg(char *err, size_t errlen, const char *fmt, ...);

/* Reports something the guest did wrong ("vmm: " + the message + "\n")
 * on stderr: the first GUEST_ERRORS_SHOWN of them, then one line saying the
 * rest go unprinted, so no guest can flood the VMM's output. Thread-safe. */
#define GUEST_ERRORS_SHOWN 100
__attribute__((format(printf, 1, 2))) void guest_error(const char *fmt, ...);

#endif
