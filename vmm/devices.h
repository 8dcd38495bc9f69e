/*
 * devices.h - the VMM's built-in platform devices: the COM1 16550 UART and
 * the exitlab ABI ports (exit status, buffered console). Each *_init()
 * registers its I/O ranges.
 */
#ifndef VMM_DEVICES_H
#define VMM_DEVICES_H

#include <signal.h>
#include <stddef.h>

struct vm;

/* 0, or -1 with the reason in err (errmsg.h). */
int uart_init(struct vm *vm, char *err, size_t errlen);
void uart_flush(void);
int abi_ports_init(struct vm *vm, char *err, size_t errlen);

/* Guest console output goes to stdout, whole writes, in order. */
void console_output(const char *buf, size_t len);
/* Flushes what it can (a write blocked by a reader that reads nothing is
 * cut short by the next signal) and drops all console output from then on:
 * for the end of a timed-out VM. */
void console_abandon(void);
/* The guest is gone without a last flush (a crash, a timeout): print what
 * its console buffer still holds (the boot info's console_buf_paddr says
 * where), marked as such on stderr; nothing if it holds nothing. */
void console_rescue(struct vm *vm);
/* Set by the timeout's signal handler: console writes stop blocking. */
extern volatile sig_atomic_t console_cut;

#endif
