/*
 * irq.c - in-kernel irqchip, MSI routing table, irqfds (irq.h).
 *
 * KVM_SET_GSI_ROUTING replaces the whole routing table, so we keep our
 * copy and send it whole after each change - but at setup only once, when
 * every route is allocated (irq_routes_sync()): a VM of 8 disks with 64
 * queues each has 520 routes, and sending a growing table 520 times cost
 * 65 ms of start-up. An irqfd may be bound to a GSI before the table has
 * it; KVM points it at the route when the table comes. GSIs below 24 belong to the
 * IOAPIC pins that KVM_CREATE_IRQCHIP sets up by default; we do not use
 * them, and start our MSI routes at 24. Updates come from the vCPU thread
 * (the guest writing an MSI-X table entry); the table is guarded anyway,
 * since routes are also allocated at setup.
 */
#include "irq.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "aspace.h"
#include "errmsg.h"
#include "layout.h"
#include "vmm.h"

#define IRQ_FIRST_MSI_GSI 24
#define IRQ_MAX_ROUTES 1024 /* 8 disks of 65 vectors, an rng, the irq bench: and room */

static struct {
	struct kvm_irq_routing hdr;
	struct kvm_irq_routing_entry e[IRQ_MAX_ROUTES];
} routes;
static pthread_mutex_t routes_lock = PTHREAD_MUTEX_INITIALIZER;
static bool routes_unsent; /* allocated since the last commit */

int irq_chip_create(struct vm *vm, char *err, size_t errlen)
{
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return errmsg(err, errlen, "KVM_CREATE_IRQCHIP: %s (virtio devices need it for MSI-X)", strerror(errno));
	/* KVM's IOAPIC now decodes its page: no BAR may go there. */
	return aspace_add(ASPACE_IOAPIC, LAYOUT_IOAPIC, LAYOUT_IOAPIC_SIZE, "IOAPIC", err, errlen);
}

static int irq_routes_commit(struct vm *vm)
{
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &routes) < 0)
		return -1;
	routes_unsent = false;
	return 0;
}

int irq_routes_sync(struct vm *vm, char *err, size_t errlen)
{
	pthread_mutex_lock(&routes_lock);
	int r = routes_unsent ? irq_routes_commit(vm) : 0;
	int e = errno;
	pthread_mutex_unlock(&routes_lock);
	return r ? errmsg(err, errlen, "KVM_SET_GSI_ROUTING of %u MSI routes: %s", routes.hdr.nr, strerror(e)) : 0;
}

static void irq_route_fill(struct kvm_irq_routing_entry *e, unsigned gsi, uint64_t addr, uint32_t data)
{
	*e = (struct kvm_irq_routing_entry){ .gsi = gsi, .type = KVM_IRQ_ROUTING_MSI };
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
}

int irq_msi_alloc(struct vm *vm, uint64_t addr, uint32_t data, unsigned *gsi)
{
	pthread_mutex_lock(&routes_lock);
	if (routes.hdr.nr == IRQ_MAX_ROUTES) {
		pthread_mutex_unlock(&routes_lock);
		errno = ENOSPC;
		return -1;
	}
	*gsi = IRQ_FIRST_MSI_GSI + routes.hdr.nr;
	irq_route_fill(&routes.e[routes.hdr.nr++], *gsi, addr, data);
	routes_unsent = true; /* sent by irq_routes_sync(), or with the next update */
	pthread_mutex_unlock(&routes_lock);

	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = *gsi };
	if (fd < 0 || ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int irq_msi_update(struct vm *vm, unsigned gsi, uint64_t addr, uint32_t data)
{
	int r = -1;

	pthread_mutex_lock(&routes_lock);
	for (unsigned i = 0; i < routes.hdr.nr; i++) {
		if (routes.e[i].gsi == gsi) {
			irq_route_fill(&routes.e[i], gsi, addr, data);
			r = irq_routes_commit(vm);
			break;
		}
	}
	pthread_mutex_unlock(&routes_lock);
	return r;
}
