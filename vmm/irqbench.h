/*
 * irqbench.h - the interrupt-injection bench port (exitlab_abi.h,
 * EXITLAB_PORT_IRQ_BENCH): the guest asks, the VMM writes an irqfd and
 * says when, in the guest's own TSC where it can.
 */
#ifndef VMM_IRQBENCH_H
#define VMM_IRQBENCH_H

#include <stddef.h>
#include <stdio.h>

struct vm;

/* Needs the in-kernel irqchip (irq_chip_create) and runs before the
 * sandbox: one MSI route and its irqfd, the port. 0, or -1 with err. */
int irqbench_init(struct vm *vm, char *err, size_t errlen);
void irqbench_stats_print(FILE *out);

#endif
