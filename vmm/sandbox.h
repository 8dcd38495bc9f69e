/*
 * sandbox.h - after setup, the VMM gives up every system call its run
 * loop and I/O thread do not need (seccomp; libseccomp writes the filter
 * at build time, tools/build/gen_sandbox_bpf.c). A call outside the list
 * kills the process with SIGSYS. --no-sandbox skips it, for debugging
 * with tools that need more (strace works either way).
 */
#ifndef VMM_SANDBOX_H
#define VMM_SANDBOX_H

#include <stddef.h>
#include <stdio.h>

/* Installs the allow-list on every thread of the process. 0, or -1 with
 * a message. */
int sandbox_enter(char *err, size_t errlen);
/* The allow-list, one line, for --show-sandbox and the README. */
void sandbox_print(FILE *f);

#endif
