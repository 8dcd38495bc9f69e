/*
 * virtio_drv.h - the guest's virtio 1.x driver core over the PCI transport:
 * the device handshake, split virtqueues, and one request at a time,
 * completed by polling the used ring or by an MSI-X interrupt.
 *
 * The transport (virtio_transport.c) finds the device on the PCI bus and
 * resolves its virtio capabilities to addresses, and programs MSI-X; the
 * driver core only ever touches those addresses, so a host test
 * (test_guest_virtio_drv.c) runs it against a fake device in memory.
 */
#ifndef GUEST_VIRTIO_DRV_H
#define GUEST_VIRTIO_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio.h"
#include "virtio_pci.h"

#define GVQ_SIZE 32 /* descriptors per queue: a batch of 8 three-buffer requests */
#define GVIRTIO_QUEUES_MAX 64 /* queues a device is driven with at most (virtio-blk MQ) */

struct gvq {
	uint16_t index, size;
	uintptr_t notify;        /* this queue's notify address */
	uint16_t msix_vector;    /* VIRTIO_MSI_NO_VECTOR when polling */
	uint16_t last_used;      /* next used-ring index we have not seen */
	uint16_t avail_idx;      /* what we have put in the available ring (published at kick) */
	uint16_t kicked;         /* avail->idx as of the last kick */
	uint32_t irqs_at_kick;   /* the device's interrupt count then */
	struct virtq_desc *desc; /* guest-physical == virtual (identity map) */
	struct virtq_avail *avail;
	struct virtq_used *used;
};

struct gvirtio {
	const char *name;     /* "virtio-blk" */
	uint16_t type;        /* VIRTIO_ID_* */
	uintptr_t common;     /* struct virtio_pci_common_cfg */
	uintptr_t notify_base;
	uint64_t notify_bar_addr; /* where notify_base's BAR decodes, and which BAR, and */
	uint8_t notify_bar;       /* the capability's offset in it: notify_base's terms */
	uint32_t notify_cap_off;
	uint32_t notify_mult;
	uint32_t notify_len;  /* bytes of the notify structure at notify_base */
	uintptr_t isr;
	uintptr_t device_cfg;
	uint64_t features;    /* negotiated */
	unsigned queues_wanted; /* set by the driver: queues to set up (0: 1), as the device has them */
	unsigned nvq;         /* queues set up */
	struct gvq vq[GVIRTIO_QUEUES_MAX];
	bool msix;            /* completions by interrupt (irq=msix) */
	bool event_idx;       /* VIRTIO_F_EVENT_IDX negotiated */
	volatile uint32_t irqs; /* interrupts taken */
	uint32_t notifies, notifies_skipped; /* kicks that wrote the notify register, or did not need to */
};

/* The address of one field of d's common configuration (§4.1.4.3). */
#define GVIRTIO_CFG(d, field) ((d)->common + offsetof(struct virtio_pci_common_cfg, field))

/*
 * Resets the device and negotiates features: VIRTIO_F_VERSION_1 is
 * required, `wanted` are the other bits we can use (device-specific ones,
 * VIRTIO_F_EVENT_IDX). Sets up queues 0 .. min(queues_wanted, num_queues)
 * - 1, all with MSI-X vector `vector` (or VIRTIO_MSI_NO_VECTOR), and sets
 * DRIVER_OK. Returns 0, or -1 after printing why.
 */
int gvirtio_start(struct gvirtio *d, uint64_t wanted, uint16_t vector);
/* Resets the device (device_status 0) and waits, bounded, until it reads
 * 0: it forgets its queues and stops using our rings. 0, or -1 (said). */
int gvirtio_reset(struct gvirtio *d);

struct gvbuf {
	void *addr;
	uint32_t len;
	bool device_writes;
};

/* Puts one chain on queue 0, notifies, and waits (bounded) for the device
 * to return it. Returns the bytes the device wrote, or -1 on a timeout or
 * a device that needs a reset (printed). */
int64_t gvirtio_request(struct gvirtio *d, const struct gvbuf *bufs, unsigned n);
/* The same on queue qi. */
int64_t gvirtio_request_q(struct gvirtio *d, unsigned qi, const struct gvbuf *bufs, unsigned n);

/* A batch, in three steps: gvirtio_add() writes a chain into descriptors
 * first .. first + n - 1 of queue qi and puts it in the available ring,
 * unpublished; gvirtio_kick() publishes all added so far and notifies if
 * the device wants it (avail_event with EVENT_IDX, else unless
 * VIRTQ_USED_F_NO_NOTIFY), asking for one interrupt when the last of them
 * completes (used_event) or none when polling; gvirtio_wait() waits
 * (bounded) until `count` more chains came back. 0 or -1 (printed). */
int gvirtio_add(struct gvirtio *d, unsigned qi, const struct gvbuf *bufs, unsigned n, uint16_t first);
void gvirtio_kick(struct gvirtio *d, unsigned qi);
int gvirtio_wait(struct gvirtio *d, unsigned qi, unsigned count);

/* Makes descriptor `head` the next entry of queue 0's available ring and
 * notifies, whatever the device asked (the hostile driver's way), each step
 * ordered before the next (§2.7.13). */
void gvirtio_publish(struct gvirtio *d, uint16_t head);
/* The notify write alone, for the exit benchmarks: queue 0's, or queue
 * qi's (< nvq) at its own address (queue_notify_off * multiplier). */
void gvirtio_notify(const struct gvirtio *d);
void gvirtio_notify_q(const struct gvirtio *d, unsigned qi);

/* Reads the device-specific config at `off` (1, 2, 4 or 8 bytes). */
uint64_t gvirtio_config_read(const struct gvirtio *d, unsigned off, unsigned size);

#endif
