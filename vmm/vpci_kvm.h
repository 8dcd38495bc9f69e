/*
 * vpci_kvm.h - the KVM back end of the virtio-pci transport: each MSI-X
 * vector an irqfd on a KVM MSI route, each queue's notify address a KVM
 * ioeventfd that the I/O thread serves (or, with --no-ioeventfd, no fast
 * path: an MMIO exit served in the vCPU thread).
 */
#ifndef VMM_VPCI_KVM_H
#define VMM_VPCI_KVM_H

#include <stdbool.h>
#include <stddef.h>

#include "vpci.h"

struct vpci_kvm_queue {
	struct vpci_kvm *k;
	unsigned index;
	int ioeventfd; /* -1: notifies exit to userspace */
};

struct vpci_kvm {
	struct vpci_dev dev; /* first: the back end finds itself from the device */
	int irqfd[VPCI_MAX_QUEUES + 1];
	unsigned gsi[VPCI_MAX_QUEUES + 1];
	struct vpci_kvm_queue q[VPCI_MAX_QUEUES];
};

/* Creates a virtio device (ops over ctx) with its eventfds and MSI routes.
 * Needs the irqchip; call before the vCPU exists. 0, or -1 with err. */
int vpci_kvm_create(struct vpci_kvm *k, struct vm *vm, const struct vpci_ops *ops, void *ctx, bool use_ioeventfd,
		    char *err, size_t errlen);

#endif
