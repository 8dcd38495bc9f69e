/*
 * irq.h - interrupts into the guest: KVM's in-kernel interrupt controller,
 * MSI routes (one KVM GSI per MSI/MSI-X vector a device may raise) and
 * irqfds (an eventfd per GSI: writing 1 to it injects that MSI, from any
 * thread, without stopping the vCPU).
 *
 * The irqchip is created only when a device needs interrupts (before the
 * vCPU): without one, a guest HLT exits to us and is reported, which the
 * plain boot tests rely on.
 */
#ifndef VMM_IRQ_H
#define VMM_IRQ_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* KVM_CREATE_IRQCHIP, and the IOAPIC's page in the address-space
 * registry. Call before the vCPU exists. 0, or -1 with err. */
int irq_chip_create(struct vm *vm, char *err, size_t errlen);
/* A new GSI routed to an MSI (address, data), with an irqfd bound to it.
 * Returns the irqfd, or -1. *gsi receives the GSI. The route reaches KVM
 * with irq_routes_sync() (or the next irq_msi_update()). */
int irq_msi_alloc(struct vm *vm, uint64_t addr, uint32_t data, unsigned *gsi);
/* Sends the routes allocated since the last commit, in one
 * KVM_SET_GSI_ROUTING: after setup, before the guest runs. 0, or -1 with
 * err. */
int irq_routes_sync(struct vm *vm, char *err, size_t errlen);
/* Re-points a GSI at another MSI (the guest reprogrammed the vector). */
int irq_msi_update(struct vm *vm, unsigned gsi, uint64_t addr, uint32_t data);

#endif
