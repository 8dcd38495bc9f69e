/*
 * uart_16550.h - the register map of a 16550 UART, once for both sides of
 * the seam: the guest's console driver (guest/console.c) programs it and
 * the VMM's model of COM1 (vmm/uart.c) answers it, so the two agree on
 * every offset and bit by construction. QEMU's serial device implements
 * the same map, which is why the guest's fallback console works there too.
 *
 * Registers are byte-wide, at base + offset; three offsets hold two
 * registers each, told apart by the direction of the access (RBR/THR,
 * IIR/FCR) or by LCR.DLAB (the divisor latch, DLL/DLM, over RBR/THR and
 * IER). Source: the National Semiconductor PC16550D datasheet (Table II,
 * "Summary of Registers"). Names are those of Linux's
 * include/uapi/linux/serial_reg.h, except that the receive and transmit
 * registers keep the datasheet's RBR and THR (Linux: UART_RX, UART_TX).
 * The port of COM1 is EXITLAB_PORT_COM1 (exitlab_abi.h): the guest's
 * contract with every VMM names it there.
 * Self-contained: no includes needed.
 */
#ifndef UART_16550_H
#define UART_16550_H

/* --- Register offsets from the base port --------------------------------- */
#define UART_RBR 0 /* in: receiver buffer (DLAB = 0) */
#define UART_THR 0 /* out: transmitter holding (DLAB = 0) */
#define UART_IER 1 /* interrupt enable (DLAB = 0) */
#define UART_IIR 2 /* in: interrupt identification */
#define UART_FCR 2 /* out: FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status, read-only */
#define UART_MSR 6 /* modem status, read-only */
#define UART_SCR 7 /* scratch: holds a byte, no side effect */
#define UART_DLL 0 /* divisor latch, low byte (DLAB = 1) */
#define UART_DLM 1 /* divisor latch, high byte (DLAB = 1) */
#define UART_NR_REGS 8 /* ports the UART decodes */

/* The baud rate is UART_BAUD_BASE / divisor: a 1.8432 MHz clock over 16. */
#define UART_BAUD_BASE 115200

/* --- IER: which events raise the interrupt ------------------------------- */
#define UART_IER_RDI 0x01 /* received data available */
#define UART_IER_THRI 0x02 /* transmitter holding register empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MSI 0x08 /* modem status */
#define UART_IER_MASK 0x0f /* the bits a 16550 implements */

/* --- IIR ----------------------------------------------------------------- */
#define UART_IIR_NO_INT 0x01 /* no interrupt pending */
#define UART_IIR_ID 0x0e /* which interrupt, when one is */
#define UART_IIR_FIFO_ENABLED 0xc0 /* both set while FCR enables the FIFOs */

/* --- FCR ----------------------------------------------------------------- */
#define UART_FCR_ENABLE_FIFO 0x01
#define UART_FCR_CLEAR_RCVR 0x02 /* self-clearing */
#define UART_FCR_CLEAR_XMIT 0x04 /* self-clearing */

/* --- LCR ----------------------------------------------------------------- */
#define UART_LCR_WLEN8 0x03 /* 8 data bits; with STOP and PARITY clear: 8N1 */
#define UART_LCR_STOP 0x04 /* 2 stop bits (1.5 with 5-bit words) */
#define UART_LCR_PARITY 0x08 /* parity enable */
#define UART_LCR_DLAB 0x80 /* divisor latch access */

/* --- MCR ----------------------------------------------------------------- */
#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08 /* gates the interrupt line on PCs */
#define UART_MCR_LOOP 0x10 /* loopback */
#define UART_MCR_MASK 0x1f /* the bits a 16550 implements */

/* --- LSR ----------------------------------------------------------------- */
#define UART_LSR_DR 0x01 /* data ready in RBR */
#define UART_LSR_OE 0x02 /* overrun error */
#define UART_LSR_PE 0x04 /* parity error */
#define UART_LSR_FE 0x08 /* framing error */
#define UART_LSR_BI 0x10 /* break interrupt */
#define UART_LSR_THRE 0x20 /* THR (or the transmit FIFO) empty: send the next byte */
#define UART_LSR_TEMT 0x40 /* transmitter empty: THR and shift register */
#define UART_LSR_FIFOE 0x80 /* an error in the receive FIFO */

/* --- MSR ----------------------------------------------------------------- */
#define UART_MSR_DCTS 0x01 /* the deltas: changed since MSR was last read */
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS 0x10 /* the lines themselves */
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

#endif /* UART_16550_H */
