/*
 * passthrough.h - a host PCI device given to the guest: its config space
 * mediated by the VMM, its memory BARs mapped straight into guest memory.
 *
 * Config space is a shadow (pcibus.h's function model) built from the host
 * device's: BARs virtualized (the guest sizes and places them; nothing is
 * written to the device), the expansion ROM hidden, the capability chain
 * filtered to an allow-list (MSI, MSI-X, PCI Express and vendor-specific,
 * the last two read-only), STATUS writes dropped. Of COMMAND, only the I/O
 * and memory enable bits reach the device; bus mastering only with
 * --unsafe-dma, since nothing (no IOMMU on this path) would stop the
 * device's DMA from reaching any host memory.
 *
 * Memory BARs are mmapped from resourceN (MAP_SHARED) and become KVM memory
 * slots: guest loads and stores reach the device without an exit. The
 * page(s) holding the MSI-X table and PBA stay unmapped: they trap, the
 * table and PBA are served from an emulated copy (msix.c), and the other
 * bytes of those pages are forwarded to the device. BARs that cannot be
 * mapped (I/O, or not whole pages) are trapped and forwarded.
 */
#ifndef VMM_PASSTHROUGH_H
#define VMM_PASSTHROUGH_H

#include <stdbool.h>
#include <stddef.h>

#include "pt_host.h"

struct vm;

/* MSI-X vectors a passed-through device is offered at most (its own table
 * may be larger: the rest of it traps and reads as ones). */
#define PT_MSIX_OFFERED 64

/* Puts a host device, found and vetted by pt_host_open() (before KVM is
 * touched), on the bus at `bdf` (pcibus_add()); takes over `host`. 0, or
 * -1 with err. */
int passthrough_add(struct vm *vm, const struct pt_host *host, bool unsafe_dma, unsigned bdf, char *err,
		    size_t errlen);
void passthrough_stats(void);

#endif
