/*
 * console.c - line-buffered output over the fastest path the VMM offers,
 * plus the two ways out of the guest (guest_exit, guest_panic).
 *
 * The line buffer is an exitlab_console_buf (exitlab_abi.h) so that, with
 * the buffered console, flushing is a single 32-bit OUT of the buffer's
 * physical address: the VMM copies len bytes out of guest memory. With the
 * UART each byte costs an LSR read and a THR write, both userspace exits.
 */
#include "console.h"

#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"
#include "trap.h"
#include "uart_16550.h"

/* Outside BSS: only line.len needs a value at boot, set in console_init. */
static struct exitlab_console_buf line NOINIT_DMA; /* the VMM copies it out */
static uint16_t fast_port;
static bool held; /* console_hold(): lines wait for a full buffer or a flush */

void console_init(uint16_t port)
{
	fast_port = port;
	line.len = 0;
	held = false;
	if (fast_port)
		return;
	/* 115200 8N1, no interrupts, FIFOs on: what every 16550 model accepts. */
	outb(EXITLAB_PORT_COM1 + UART_IER, 0x00);
	outb(EXITLAB_PORT_COM1 + UART_LCR, UART_LCR_DLAB); /* the divisor latch: 115200 baud */
	outb(EXITLAB_PORT_COM1 + UART_DLL, UART_BAUD_BASE / 115200);
	outb(EXITLAB_PORT_COM1 + UART_DLM, 0);
	outb(EXITLAB_PORT_COM1 + UART_LCR, UART_LCR_WLEN8);
	outb(EXITLAB_PORT_COM1 + UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
	outb(EXITLAB_PORT_COM1 + UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
}

uint32_t console_buf_paddr(void)
{
	return fast_port ? (uint32_t)(uintptr_t)&line : 0; /* below 4 GiB: the image is at 1 MiB */
}

const char *console_kind(void)
{
	return fast_port ? "exitlab buffered console" : "COM1 16550 UART";
}

static void uart_putc(char c)
{
	/* Bounded wait: a UART that never drains must not hang the guest. */
	for (int i = 0; i < 100000; i++)
		if (inb(EXITLAB_PORT_COM1 + UART_LSR) & UART_LSR_THRE)
			break;
	outb(EXITLAB_PORT_COM1 + UART_THR, (uint8_t)c);
}

void console_flush(void)
{
	if (!line.len)
		return;
	if (fast_port) {
		barrier(); /* the buffer's bytes are in memory before the VMM reads them */
		outl(fast_port, (uint32_t)(uintptr_t)&line);
	} else {
		for (uint32_t i = 0; i < line.len; i++)
			uart_putc(line.data[i]);
	}
	line.len = 0;
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		line.data[line.len++] = s[i];
		if ((s[i] == '\n' && !held) || line.len == sizeof(line.data))
			console_flush();
	}
}

/* Formats straight into the line buffer (one copy of each byte, not
 * three), flushing first if the text might not fit, and after it if the
 * text ends a line. */
int printf(const char *fmt, ...)
{
	const size_t cap = sizeof(line.data);
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line.data + line.len, cap - line.len, fmt, ap);
	va_end(ap);
	if ((size_t)n >= cap - line.len && line.len) {
		console_flush(); /* did not fit behind what was there: again, alone */
		va_start(ap, fmt);
		n = vsnprintf(line.data, cap, fmt, ap);
		va_end(ap);
	}
	line.len += (size_t)n < cap - line.len ? (uint32_t)n : (uint32_t)(cap - 1 - line.len);
	if (line.len && line.data[line.len - 1] == '\n' && !held)
		console_flush();
	return n;
}

void console_hold(bool hold)
{
	held = hold;
	if (!hold)
		console_flush();
}

void guest_exit(uint32_t status)
{
	printf("exitlab: exit status %u\n", status);
	console_flush();
	outl(EXITLAB_PORT_EXIT, status);
	/* A VMM without the exit port: stop here rather than run on. */
	trap_halt();
}

void guest_panic(const char *file, int line_no, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("panic: %s:%d: %s\n", file, line_no, buf);
	guest_exit(EXITLAB_EXIT_FAIL);
}

void word_list_print(struct words w)
{
	for (size_t i = 0; i < w.n; i++)
		printf(" %s", word_at(w, i));
}

int word_refuse(const char *action, const char *val, size_t len, struct words w)
{
	printf("error: %s: '%.*s' is not one of:", action, (int)len, val);
	word_list_print(w);
	printf("\n");
	return EXITLAB_EXIT_USAGE;
}
