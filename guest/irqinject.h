/*
 * irqinject.h - the irq_inject bench test: MSI injection latency, from the
 * exitlab VMM's irqfd write to the guest's handler (irqinject.c).
 */
#ifndef GUEST_IRQINJECT_H
#define GUEST_IRQINJECT_H

#include <stdint.h>

/* The VMM's irq bench port (exitlab_boot_info.irq_port), 0: none. */
void irq_inject_boot(uint16_t port);
const char *irq_inject_prepare(void);
uint64_t irq_inject_timed(unsigned n);
void irq_inject_run(unsigned n); /* nothing: the test times itself */
/* The method and what it rests on: " method=correlated window_cycles=W
 * round_trip_cycles=R port_exit_cycles=P clock_violations=V". */
void irq_inject_extra(void);

#endif
