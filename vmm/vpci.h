/*
 * vpci.h - the VMM's virtio-pci transport (virtio 1.x §4.1, modern only).
 *
 * The transport owns what every virtio device has: the common
 * configuration, ISR status, the device-configuration window, notify
 * addresses, MSI-X and the VIRTIO_PCI_CAP_PCI_CFG window. What differs
 * between devices is a small table of operations (struct vpci_ops: kvmtool
 * calls its one struct virtio_ops): name, IDs, features, configuration
 * layout, queues, and the handler of one request. A new device is one
 * file with one such table (virtio_blk.c, virtio_rng.c).
 *
 * How interrupts and notifies reach the hypervisor is a second table
 * (struct vpci_backend): KVM's (irqfds, ioeventfds served by the I/O
 * thread) is vpci_kvm.c; the unit tests and the fuzzer bring their own,
 * so this file runs on a host without /dev/kvm.
 *
 * One 64-bit memory BAR holds every virtio structure on its own page:
 *
 *   0x0000 common configuration    0x3000 notify (multiplier 4: one
 *   0x1000 ISR status                     address per queue)
 *   0x2000 device configuration    0x4000 MSI-X table, 0x5000 MSI-X PBA
 */
#ifndef VMM_VPCI_H
#define VMM_VPCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "msix.h"
#include "pcibus.h"
#include "virtio.h"
#include "virtio_pci.h"
#include "virtq.h"

struct vm;

#define VPCI_BAR_SIZE 0x8000
#define VPCI_COMMON 0x0000
#define VPCI_ISR 0x1000
#define VPCI_DEVICE 0x2000
#define VPCI_NOTIFY 0x3000
#define VPCI_NOTIFY_MULT 4
#define VPCI_MSIX_TABLE 0x4000
#define VPCI_MSIX_PBA 0x5000
#define VPCI_MAX_QUEUES VIRTIO_BLK_MQ_MAX /* 64 */
#define VPCI_DEVICE_CFG_MAX 64
#define VPCI_QUEUE_SIZE_MAX 256

/* Every structure fits its page and none overlaps the next: the guest
 * learns these offsets from the capabilities built in vpci_attach(). */
_Static_assert(sizeof(struct virtio_pci_common_cfg) <= VPCI_ISR - VPCI_COMMON, "common cfg fits its page");
_Static_assert(VPCI_DEVICE_CFG_MAX <= VPCI_NOTIFY - VPCI_DEVICE, "device cfg fits its page");
_Static_assert(VPCI_MAX_QUEUES * VPCI_NOTIFY_MULT <= VPCI_MSIX_TABLE - VPCI_NOTIFY, "notify fits its page");
_Static_assert((VPCI_MAX_QUEUES + 1) * 16 <= VPCI_MSIX_PBA - VPCI_MSIX_TABLE, "MSI-X table fits its page");
_Static_assert(VPCI_MSIX_PBA + 0x1000 <= VPCI_BAR_SIZE, "the PBA page is inside BAR0");
_Static_assert((VPCI_BAR_SIZE & (VPCI_BAR_SIZE - 1)) == 0, "a BAR's size is a power of two");

struct vpci_dev;

/* One kind of virtio device. */
struct vpci_ops {
	const char *name;    /* "virtio-blk": messages, --stats, trace */
	uint16_t type;       /* VIRTIO_ID_*: PCI device ID 0x1040 + type */
	uint32_t class_code; /* PCI class, subclass, prog-if */
	unsigned nqueues;    /* at most VPCI_MAX_QUEUES; or queues(ctx), if set */
	unsigned (*queues)(void *ctx);
	/* Device feature bits the device offers besides VIRTIO_F_VERSION_1. */
	uint64_t (*features)(void *ctx);
	/* Writes the device-configuration structure (§4.1.4.6) into cfg, at
	 * most max bytes; returns its length (0: the device has none). */
	unsigned (*config)(void *ctx, uint8_t *cfg, unsigned max);
	/* Serves one chain from queue qi; returns the bytes written into its
	 * device-writable buffers (the used ring's len). Runs with the
	 * device's lock held, in the I/O thread (or the vCPU thread). */
	uint32_t (*request)(void *ctx, unsigned qi, const struct virtq_chain *c);
};

/* Where interrupts and notifies go. */
struct vpci_backend {
	const char *notify_kind; /* --stats: how notifies arrive ("ioeventfd", "MMIO exits") */
	/* Deliver MSI-X vector v now. */
	void (*irq_fire)(struct vpci_dev *d, unsigned v);
	/* The guest programmed vector v's message: (re)route it. */
	void (*irq_route)(struct vpci_dev *d, unsigned v, uint64_t addr, uint32_t data);
	/* Queue qi's notify register sits at guest-physical addr: give it a
	 * fast path (assign) or take it away. 0, or -1 with errno. NULL: no
	 * fast path, every notify is an MMIO exit into vpci_bar_access(). */
	int (*notify_attach)(struct vpci_dev *d, unsigned qi, uint64_t addr, bool assign);
};

struct vpci_queue {
	struct virtq vq;
	uint16_t msix_vector;
	uint64_t notifies, requests;
	uint64_t polled;          /* requests found by --iothread-poll, no notify */
	uint64_t irqs_suppressed; /* used-ring updates the driver wanted no interrupt for */
	bool master_off_reported; /* notified with bus mastering off: said once */
};

struct vpci_dev {
	struct vm *vm;         /* guest RAM, for the rings */
	const struct vpci_ops *ops;
	void *ctx;             /* the device's own state, for ops */
	const struct vpci_backend *be;
	const char *name;      /* ops->name */
	char label[32];        /* "virtio-blk 00:01.0", once on the bus (trace) */
	uint64_t host_features, guest_features;
	uint32_t dfselect, gfselect;
	uint8_t status, isr, config_generation;
	uint16_t msix_config;
	uint16_t queue_select;
	unsigned nqueues;
	struct vpci_queue q[VPCI_MAX_QUEUES];
	struct msix msix;
	uint8_t device_cfg[VPCI_DEVICE_CFG_MAX];
	unsigned device_cfg_len;
	uint64_t bar;            /* where the notify fast paths are; 0: nowhere */
	struct pci_fn pci;       /* its PCI function */
	uint16_t msix_cap, cfg_cap; /* config offsets of two capabilities */
	uint64_t poll_ns;        /* --iothread-poll: how long the I/O thread polls a queue */
	bool bus_master;         /* COMMAND.MASTER: the device may touch guest memory */
	bool config_irq_held;    /* a config interrupt waits for bus mastering */
	pthread_mutex_t lock;    /* vCPU thread (registers) vs I/O thread (queues) */
};

/* Sets up the transport for one device (ops with its ctx) over back end
 * be, reset as at power-on. 0, or -1 with err (bad ops). */
int vpci_init(struct vpci_dev *d, struct vm *vm, const struct vpci_ops *ops, void *ctx,
	      const struct vpci_backend *be, char *err, size_t errlen);
/* Before the guest runs: offer VIRTIO_F_EVENT_IDX or not (offered by
 * default), and poll each queue for poll_us after a request (0: never). */
void vpci_tune(struct vpci_dev *d, bool event_idx, unsigned poll_us);
/* Puts the device on the PCI bus at `bdf` (pcibus_add()), with its
 * capabilities. 0, or -1 with err. */
int vpci_attach(struct vpci_dev *d, unsigned bdf, char *err, size_t errlen);
/* Guest access to BAR0 at offset off. */
void vpci_bar_access(struct vpci_dev *d, uint64_t off, uint8_t *data, unsigned size, bool is_write);
/* BAR0 now decodes at addr (0: not decoded): moves the notify fast paths. */
int vpci_bar_moved(struct vpci_dev *d, uint64_t addr);
/* The back end saw `count` notifies of queue qi through its fast path
 * (an ioeventfd): serve the queue. */
void vpci_queue_notified(struct vpci_dev *d, unsigned qi, uint64_t count);
/* The guest-physical address of queue qi's notify register, BAR0 at bar. */
static inline uint64_t vpci_notify_addr(uint64_t bar, unsigned qi)
{
	return bar + VPCI_NOTIFY + (uint64_t)qi * VPCI_NOTIFY_MULT;
}
/* The PCI-side identity of the device. */
uint16_t vpci_device_id(const struct vpci_dev *d);
/* --stats: one line for the device. */
void vpci_stats_print(const struct vpci_dev *d, FILE *f);

/* The devices, each a struct vpci_ops over a context of its own. */
struct blk_disk;
extern const struct vpci_ops virtio_blk_ops; /* ctx: struct blk_disk (virtio_blk.c) */
extern const struct vpci_ops virtio_rng_ops; /* ctx: unused (virtio_rng.c) */

#endif
