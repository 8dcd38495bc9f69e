/*
 * pci_testdev.h - QEMU's PCI test device (pci-testdev, 1b36:0005, class
 * 0x00ff00), with its register interface, so that a guest can time and
 * check writes to a PCI BAR that end in VMM userspace or in a KVM
 * ioeventfd - under this VMM and under QEMU (-device pci-testdev) alike.
 *
 * Spec: QEMU docs/specs/pci-testdev.rst; IDs, BARs and the header are
 * common/pci_testdev_spec.h's, the guest driver's too. BAR0 is 4 KiB of
 * MMIO, BAR1 256 ports; each starts with the header of the selected test
 * (struct pci_testdev_hdr). The guest writes a test number to `test`, reads
 * `offset` and `data`, writes `data` at `offset`, and reads `count`.
 * Tests per BAR: 0 no-eventfd (the VMM counts the writes), 1
 * wildcard-eventfd (a KVM ioeventfd on the address, any value), 2
 * datamatch-eventfd (one that matches `data` only). Writes swallowed by an
 * ioeventfd never reach the VMM, so `count` stays 0 for them, as in QEMU;
 * the VMM counts them from the eventfd for --stats.
 */
#ifndef VMM_PCI_TESTDEV_H
#define VMM_PCI_TESTDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "pci_testdev_spec.h"
#include "pcibus.h"

enum { PCI_TESTDEV_TESTS_PER_BAR = 3, PCI_TESTDEV_TESTS = 2 * PCI_TESTDEV_TESTS_PER_BAR };

struct pci_testdev {
	struct pci_fn pci;
	int current;             /* the selected test, -1 if none */
	struct {
		uint32_t count;      /* the header's count */
		int fd;              /* eventfd; -1: no-eventfd test, or no ioeventfds */
		uint64_t fd_addr;    /* the BAR address it is assigned at in KVM, 0: not */
		uint64_t signals;    /* writes KVM turned into eventfd signals */
		uint64_t writes;     /* writes counted in userspace, in total */
	} t[PCI_TESTDEV_TESTS];
};

/* Sets up the device and puts it at `bdf` (pcibus_add()). use_ioeventfd needs a
 * real VM (vm->vm_fd); without it the eventfd tests count in userspace.
 * 0, or -1 with err. */
int pci_testdev_create(struct pci_testdev *t, struct vm *vm, unsigned bdf, bool use_ioeventfd, char *err,
		       size_t errlen);
/* One --stats line per test that saw writes. */
void pci_testdev_stats_print(struct pci_testdev *t);

#endif
