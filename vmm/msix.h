/*
 * msix.h - an emulated MSI-X table and pending-bit array (PCI Local Bus
 * 3.0 §6.8.2), shared by the VMM's virtio devices and passthrough.
 *
 * The device raises vector v with msix_notify(); whether that becomes an
 * interrupt now, or a pending bit delivered later, follows the spec: a
 * vector masked (its own mask bit, or the function mask) while MSI-X is
 * enabled is held pending and fires when unmasked. Delivery itself is a
 * callback, so the masking logic is unit-tested without KVM; the VMM's
 * callback writes the vector's irqfd.
 */
#ifndef VMM_MSIX_H
#define VMM_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define MSIX_MAX_VECTORS 128 /* a 64-queue virtio device has 65 */

struct pci_fn;

struct msix;
typedef void msix_fire_fn(struct msix *m, unsigned vector);
/* The guest (re)programmed a vector's address/data: update its route. */
typedef void msix_route_fn(struct msix *m, unsigned vector, uint64_t addr, uint32_t data);

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct msix {
	unsigned nvec;
	bool enabled, masked; /* Message Control: MSI-X Enable, Function Mask */
	bool no_master;       /* COMMAND.MASTER clear: no message may be sent (msix_bus_master()) */
	struct msix_entry table[MSIX_MAX_VECTORS];
	uint64_t pba[(MSIX_MAX_VECTORS + 63) / 64];
	msix_fire_fn *fire;
	msix_route_fn *route;
	void *opaque;         /* for the callbacks */
	const char *name;     /* for the trace: "00:01.0 virtio-blk" (default "MSI-X") */
	uint64_t fired, held; /* counts, for --stats and tests */
	pthread_mutex_t lock; /* notify comes from the I/O thread */
};

void msix_init(struct msix *m, unsigned nvec, msix_fire_fn *fire, msix_route_fn *route, void *opaque);
/* Guest accesses to the table and PBA (offsets within each). Aligned 4- or
 * 8-byte accesses, as the spec requires; anything else reads as 0 and is
 * ignored. The PBA is read-only. */
void msix_table_access(struct msix *m, uint64_t off, uint8_t *data, unsigned size, bool is_write);
void msix_pba_access(struct msix *m, uint64_t off, uint8_t *data, unsigned size, bool is_write);
/* The guest wrote Message Control (enable and function-mask bits). */
void msix_control_write(struct msix *m, uint16_t control);
/* For a device on the PCI bus with its MSI-X capability at offset cap:
 * msix_cap_open() makes Message Control's enable and function-mask bits
 * the guest's to write; msix_cfg_written(), called after every config
 * write, passes a write that touched Message Control on to the emulation. */
void msix_cap_open(struct pci_fn *p, uint16_t cap);
void msix_cfg_written(struct msix *m, const struct pci_fn *p, uint16_t cap, unsigned off, unsigned size);
/* The device wants vector v delivered. */
void msix_notify(struct msix *m, unsigned vector);
/* The function's COMMAND.MASTER changed. An MSI-X message is a memory
 * write, which a function without bus mastering may not make: while it is
 * off nothing is sent (a notify, or a vector unmasked, leaves its pending
 * bit set), and turning it on sends what is pending and deliverable. A
 * device that never calls this is taken to master the bus. */
void msix_bus_master(struct msix *m, bool on);

#endif
