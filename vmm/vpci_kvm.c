/*
 * vpci_kvm.c - the virtio-pci transport's KVM back end (vpci_kvm.h).
 *
 * Interrupts: msix.c decides when a vector fires; here firing it is an
 * 8-byte write to its irqfd, and (re)programming it is a KVM MSI route
 * update (irq.c). Notifies: a queue's notify address is a 2-byte KVM
 * ioeventfd (the 16-bit queue index the driver writes), so KVM completes
 * the guest's write in the kernel and signals the eventfd; the I/O thread
 * wakes and hands the count to the transport.
 */
#include "vpci_kvm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "errmsg.h"
#include "iothread.h"
#include "irq.h"
#include "trace.h"
#include "vmm.h"

static struct vpci_kvm *kvm_of(struct vpci_dev *d) { return (struct vpci_kvm *)d; }

static void kvm_irq_fire(struct vpci_dev *d, unsigned v)
{
	struct vpci_kvm *k = kvm_of(d);
	uint64_t one = 1;
	if (trace_on(TRACE_IRQ))
		trace_emit(TRACE_IRQ, "%s vector %u: irqfd write (GSI %u)", d->label, v, k->gsi[v]);
	if (write(k->irqfd[v], &one, sizeof(one)) != sizeof(one))
		perror("vmm: virtio: irqfd write");
}

static void kvm_irq_route(struct vpci_dev *d, unsigned v, uint64_t addr, uint32_t data)
{
	struct vpci_kvm *k = kvm_of(d);
	if (irq_msi_update(d->vm, k->gsi[v], addr, data))
		fprintf(stderr, "vmm: %s: MSI route for vector %u: %s\n", d->name, v, strerror(errno));
}

static int kvm_notify_attach(struct vpci_dev *d, unsigned qi, uint64_t addr, bool assign)
{
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = 2, /* the 16-bit queue index the driver writes */
		.fd = kvm_of(d)->q[qi].ioeventfd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};
	return ioctl(d->vm->vm_fd, KVM_IOEVENTFD, &io);
}

static const struct vpci_backend kvm_ioeventfd_backend = {
	.notify_kind = "ioeventfd",
	.irq_fire = kvm_irq_fire,
	.irq_route = kvm_irq_route,
	.notify_attach = kvm_notify_attach,
};

static const struct vpci_backend kvm_exit_backend = {
	.notify_kind = "MMIO exits",
	.irq_fire = kvm_irq_fire,
	.irq_route = kvm_irq_route,
};

/* I/O thread: a queue's ioeventfd fired (the guest wrote its notify address). */
static void kvm_ioeventfd_ready(void *opaque)
{
	struct vpci_kvm_queue *q = opaque;
	uint64_t count;

	if (read(q->ioeventfd, &count, sizeof(count)) != sizeof(count))
		return;
	vpci_queue_notified(&q->k->dev, q->index, count);
}

int vpci_kvm_create(struct vpci_kvm *k, struct vm *vm, const struct vpci_ops *ops, void *ctx, bool use_ioeventfd,
		    char *err, size_t errlen)
{
	struct vpci_dev *d = &k->dev;

	if (vpci_init(d, vm, ops, ctx, use_ioeventfd ? &kvm_ioeventfd_backend : &kvm_exit_backend, err, errlen))
		return -1;
	for (unsigned i = 0; i < VPCI_MAX_QUEUES; i++) {
		struct vpci_kvm_queue *q = &k->q[i];
		q->k = k;
		q->index = i;
		q->ioeventfd = -1;
		if (!use_ioeventfd || i >= d->nqueues)
			continue;
		q->ioeventfd = eventfd(0, EFD_CLOEXEC);
		if (q->ioeventfd < 0)
			return errmsg(err, errlen, "%s queue %u: eventfd: %s", d->name, i, strerror(errno));
		if (iothread_add(q->ioeventfd, kvm_ioeventfd_ready, q))
			return errmsg(err, errlen, "%s queue %u: the I/O thread serves no more eventfds", d->name, i);
	}
	for (unsigned v = 0; v < d->msix.nvec; v++) {
		k->irqfd[v] = irq_msi_alloc(vm, 0, 0, &k->gsi[v]);
		if (k->irqfd[v] < 0)
			return errmsg(err, errlen, "%s: MSI route for vector %u: %s", d->name, v, strerror(errno));
	}
	return 0;
}
