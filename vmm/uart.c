/*
 * uart.c - a 16550 UART at COM1, as much of it as a polled driver uses;
 * its register map is common/uart_16550.h, the guest driver's too.
 *
 * Transmit is immediate (THR empty is always set in LSR), receive is never
 * ready, interrupts are never raised. The divisor latch, LCR, MCR, IER and
 * the scratch register keep what the guest writes so that a driver reading
 * them back sees a real chip. Output is buffered per line, because a guest
 * writing one byte per exit would otherwise cost one write(2) per byte.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"
#include "exitlab_abi.h"
#include "io.h"
#include "uart_16550.h"
#include "vmm.h"

static struct {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	char line[256];
	size_t len;
} uart;

static bool console_gone;
volatile sig_atomic_t console_cut;

void console_output(const char *buf, size_t len)
{
	/* console_cut: the timeout's alarm came (kvm.c): a reader that reads
	 * nothing must not hold us, not even after a partial write. */
	while (len && !console_gone && !console_cut) {
		ssize_t n = write(STDOUT_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Nobody reads stdout any more (EPIPE: main() ignores
			 * SIGPIPE): the guest's output is lost, the VM is not. */
			console_gone = true;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

void console_abandon(void)
{
	uart_flush();
	console_gone = true;
}

void uart_flush(void)
{
	console_output(uart.line, uart.len);
	uart.len = 0;
}

static void uart_io(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	bool dlab = uart.lcr & UART_LCR_DLAB;
	uint8_t v = data[0];

	if (size != 1) { /* the 16550 is a byte-wide device */
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	if (is_write) {
		switch (off) {
		case UART_THR:
			if (dlab) {
				uart.dll = v;
				break;
			}
			uart.line[uart.len++] = (char)v;
			if (v == '\n' || uart.len == sizeof(uart.line))
				uart_flush();
			break;
		case UART_IER: dlab ? (void)(uart.dlm = v) : (void)(uart.ier = v & UART_IER_MASK); break;
		case UART_FCR: uart.fcr = v; break;
		case UART_LCR: uart.lcr = v; break;
		case UART_MCR: uart.mcr = v & UART_MCR_MASK; break;
		case UART_SCR: uart.scr = v; break;
		default: break; /* LSR and MSR are read-only */
		}
		return;
	}
	switch (off) {
	case UART_RBR: v = dlab ? uart.dll : 0; break; /* nothing received */
	case UART_IER: v = dlab ? uart.dlm : uart.ier; break;
	case UART_IIR: v = UART_IIR_NO_INT | ((uart.fcr & UART_FCR_ENABLE_FIFO) ? UART_IIR_FIFO_ENABLED : 0); break;
	case UART_LCR: v = uart.lcr; break;
	case UART_MCR: v = uart.mcr; break;
	case UART_LSR: v = UART_LSR_THRE | UART_LSR_TEMT; break;
	case UART_MSR: v = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS; break;
	case UART_SCR: v = uart.scr; break;
	}
	data[0] = v;
}

int uart_init(struct vm *vm, char *err, size_t errlen)
{
	return io_register(IO_PIO, EXITLAB_PORT_COM1, UART_NR_REGS, "COM1 16550 UART", uart_io, NULL, err, errlen);
}
