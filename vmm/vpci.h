/*
 * vpci.h - the VMM's virtio-pci transport (virtio 1.x §4.1, modern
 * only), with virtio-blk and virtio-rng behind it.
 *
 * One 64-bit memory BAR holds every virtio structure on its own page:
 *
 *   0x0000 common configuration    0x3000 notify (multiplier 4: one
 *   0x1000 ISR status                     address per queue)
 *   0x2000 device configuration    0x4000 MSI-X table, 0x5000 MSI-X PBA
 *
 * Each queue's notify address is a KVM ioeventfd served by the I/O thread
 * (or, with --no-ioeventfd, an MMIO exit served in the vCPU thread); each
 * MSI-X vector is an irqfd on a KVM MSI route.
 */
#ifndef VMM_VPCI_H
#define VMM_VPCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "msix.h"
#include "pcibus.h"
#include "virtio_pci.h"
#include "virtio_blk.h"
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
#define VPCI_MAX_QUEUES 2

struct vpci_dev;

struct vpci_queue {
	struct vpci_dev *dev;
	unsigned index;
	struct virtq vq;
	uint16_t msix_vector;
	uint16_t size_max;
	int ioeventfd; /* -1 when notifies exit to userspace */
	uint64_t notifies, requests;
	bool master_off_reported; /* notified with bus mastering off: said once */
};

struct vpci_dev {
	struct vm *vm;
	const char *name;  /* "virtio-blk" */
	uint16_t type;     /* VIRTIO_ID_* */
	uint64_t host_features, guest_features;
	uint32_t dfselect, gfselect;
	uint8_t status, isr, config_generation;
	uint16_t msix_config;
	uint16_t queue_select;
	unsigned nqueues;
	struct vpci_queue q[VPCI_MAX_QUEUES];
	struct msix msix;
	int irqfd[VPCI_MAX_QUEUES + 1];
	unsigned gsi[VPCI_MAX_QUEUES + 1];
	uint8_t device_cfg[64];
	unsigned device_cfg_len;
	struct blk_disk disk;    /* virtio-blk */
	uint64_t bar;            /* where the guest put BAR0; 0: not decoded */
	struct pci_fn pci;      /* its PCI function */
	uint16_t msix_cap, cfg_cap; /* config offsets of two capabilities */
	bool use_ioeventfd;
	bool bus_master;         /* COMMAND.MASTER: the device may touch guest memory */
	bool config_irq_held;    /* a config interrupt waits for bus mastering */
	pthread_mutex_t lock;    /* vCPU thread (registers) vs I/O thread (queues) */
};

/* Creates a device; a virtio-blk takes over `disk`, already opened
 * (blk_disk_open, before KVM is touched). Needs the irqchip; call before
 * the vCPU exists. 0, or -1 with err. */
int vpci_dev_create(struct vpci_dev *d, struct vm *vm, uint16_t type, const struct blk_disk *disk,
		    bool use_ioeventfd, char *err, size_t errlen);
/* Puts the device on the PCI bus in `slot`, with its capabilities. */
int vpci_attach(struct vpci_dev *d, unsigned slot);
/* Guest access to BAR0 at offset off. */
void vpci_bar_access(struct vpci_dev *d, uint64_t off, uint8_t *data, unsigned size, bool is_write);
/* BAR0 now decodes at addr (0: not decoded): moves the ioeventfds. */
int vpci_bar_moved(struct vpci_dev *d, uint64_t addr);
/* The PCI-side identity of the device. */
uint16_t vpci_device_id(const struct vpci_dev *d);
uint32_t vpci_class_code(const struct vpci_dev *d);

#endif
