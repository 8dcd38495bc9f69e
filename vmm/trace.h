/*
 * trace.h - the VMM's event log (--trace[=CLASSES]): one line per event,
 * stamped with CLOCK_MONOTONIC (the clock `perf record -k CLOCK_MONOTONIC`
 * uses, so kernel tracepoints and these lines merge into one timeline)
 * and the thread that saw it:
 *
 *   trace 1234.567890123 vcpu exit KVM_EXIT_MMIO
 *   trace 1234.567894001 vcpu io mmio write 0xc0000000 size 2 <- 0x0 (00:01.0 virtio-blk BAR0)
 *   trace 1234.567901234 iothread virtio ...
 *
 * Classes: exit (each return from KVM_RUN and each re-entry), io (what
 * the handler of an I/O or MMIO exit was, and the value), cfg, virtio,
 * iothread, irq, pt, mark (the guest's markers, exitlab_abi.h). Off, a
 * class costs one predictable branch where it would be logged.
 */
#ifndef VMM_TRACE_H
#define VMM_TRACE_H

#include <stdbool.h>
#include <stddef.h>

enum trace_class {
	TRACE_EXIT,
	TRACE_IO,
	TRACE_CFG,
	TRACE_VIRTIO,
	TRACE_IOTHREAD,
	TRACE_IRQ,
	TRACE_PT,
	TRACE_MARK,
	TRACE_NCLASSES
};

extern unsigned trace_mask; /* bit c: class c is on */

static inline bool trace_on(enum trace_class c) { return __builtin_expect((trace_mask >> c) & 1, 0); }

/* "all", or a comma-separated list of class names, into *mask. 0, or -1
 * with err naming the class it does not know and the known ones. */
int trace_parse(const char *list, unsigned *mask, char *err, size_t errlen);
/* Starts the log (classes in mask) on standard error. */
void trace_start(unsigned mask);
/* The name this thread's events carry ("vcpu", "iothread"). */
void trace_thread(const char *name);
void trace_emit(enum trace_class c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes out what is buffered (at the end of the run, and before dying). */
void trace_flush(void);

#endif
