/*
 * console.h - the guest's console: the exitlab buffered console when the VMM
 * advertises one (one exit per line), else the COM1 16550 UART (two exits
 * per byte: LSR poll + THR write). Output is line-buffered either way,
 * except while held: the boot's report lines go out as one write (one
 * exit instead of a dozen) before the first action runs.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void console_init(uint16_t fast_port);
void console_write(const char *s, size_t n);
void console_flush(void);
const char *console_kind(void);
/* Where lines wait for a flush (the buffered console's buffer), for the
 * VMM to print if the guest dies first; 0 with the UART. */
uint32_t console_buf_paddr(void);
/* Hold lines back (until the buffer fills), or stop holding and flush. */
void console_hold(bool hold);

#endif
