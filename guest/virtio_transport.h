/*
 * virtio_transport.h - the virtio-pci transport on the guest's side: which
 * PCI functions are virtio devices, where their virtio structures are
 * (capability -> BAR + offset), MSI-X programming, and starting a device
 * through the driver core (virtio_drv.h) in the irq= mode of the moment.
 * Also the two actions about all devices at once, irq= and virtio=list.
 *
 * A driver (blk.c, rng.c: one file each) owns one struct virtio_dev,
 * named in the transport's list of drivers, and asks virtio_dev_get() for
 * it, started, before each use.
 */
#ifndef GUEST_VIRTIO_TRANSPORT_H
#define GUEST_VIRTIO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_drv.h"

/* The devices' MSI-X vectors, one each (32-63 are devices', trap_vectors.h). */
#define VIRTIO_VECTOR_BLK 0x30
#define VIRTIO_VECTOR_RNG 0x31

struct virtio_dev {
	struct gvirtio v;     /* the driver core's view: name, type, addresses, queue */
	uint8_t vector;       /* MSI-X vector for queue 0 */
	uint64_t wanted;      /* device feature bits the driver can use */
	bool reads_device_cfg; /* the driver needs the device-specific configuration */
	bool found, started, started_msix;
	bool broken;          /* one was on the bus, but its capabilities are unusable */
	bool chosen;          /* which names the function to drive (else: the first usable one) */
	unsigned which;       /* of the functions of this type, in bus-walk order; VIRTIO_DEV_LAST */
	unsigned count;       /* functions of this type the probe saw */
	unsigned nth;         /* the attached one's place among them (0 the first) */
	uint16_t bdf;
	uint16_t msix_cap;    /* config offset of the MSI-X capability, 0: none */
	uintptr_t msix_table; /* its table, in a BAR */
};

/* The drivers' devices (blk.c, rng.c), which the probe looks for. */
extern struct virtio_dev blk_dev, rng_dev;

/* Finds the virtio devices on the PCI bus (pci_bus_ready()), once. */
void virtio_dev_probe(void);
/* From now on d is the which-th function of its type in bus-walk order
 * (0 the first; VIRTIO_DEV_LAST the last), not the first usable one. The
 * one driven until now is reset first, so that it stops using the rings
 * the next one gets. 0, or -1 if that reset failed (said). */
#define VIRTIO_DEV_LAST (~0u)
int virtio_dev_choose(struct virtio_dev *d, unsigned which);
/* The device, found and started in the current irq= mode (restarted if it
 * was started in the other, or reset since: a driver that leaves a device
 * in a state it cannot trust clears d->started). NULL, said, if it is not
 * on the bus or does not start. */
struct virtio_dev *virtio_dev_get(struct virtio_dev *d);

/* How completions are awaited from now on (irq=poll|msix; poll at boot),
 * and its name for the drivers' report lines. */
void virtio_irq_set(bool msix);
const char *virtio_irq_name(void);

int virtio_irq_action(const char *val, size_t len, bool dry_run);
/* virtio.event_idx=0|1: offer VIRTIO_F_EVENT_IDX to the devices (1, the
 * default) or drive them with the flag form of suppression. */
int virtio_event_idx_action(const char *val, size_t len, bool dry_run);
int virtio_list_action(const char *val, size_t len, bool dry_run);

#endif
