/*
 * pci_testdev_spec.h - QEMU's PCI test device (pci-testdev) as a guest sees
 * it, once for both sides of the seam: the guest's driver (guest/testdev.c)
 * finds it by these IDs and reads this header, the VMM's model
 * (vmm/pci_testdev.c) answers with them, and QEMU's own device
 * (-device pci-testdev) has the same, so one driver runs against both. (A
 * plain "pci_testdev.h" here would be shadowed by vmm/pci_testdev.h.)
 *
 * Source: QEMU docs/specs/pci-testdev.rst (the interface) and
 * hw/misc/pci-testdev.c (the sizes). BAR0 is memory, BAR1 I/O; each starts
 * with the header of the test selected on it. A guest writes a test number
 * to `test`, reads `width_type`, `offset` and `data`, writes `data`,
 * `width_type` bytes wide, at `offset` in the same BAR, and can read in
 * `count` how many such writes the device saw. Tests are numbered from 0
 * on each BAR; the first whose width_type is not 1, 2 or 4 ends the list.
 * QEMU's optional BAR2 (property membar=: 64-bit prefetchable memory with
 * nothing behind it) is not used here. All registers are little endian.
 * Self-contained: <stdint.h>, <stddef.h>.
 */
#ifndef PCI_TESTDEV_SPEC_H
#define PCI_TESTDEV_SPEC_H

#include <stddef.h>
#include <stdint.h>

#define PCI_TESTDEV_VENDOR_ID 0x1b36 /* Red Hat, Inc.: QEMU's own devices */
#define PCI_TESTDEV_DEVICE_ID 0x0005
#define PCI_TESTDEV_CLASS 0x00ff00 /* base class 0x00, sub-class 0xff: unclassified */

/* BAR roles and sizes (QEMU: twice its per-BAR test area of 2048 bytes of
 * memory and 128 ports; the tests write in the upper half). */
#define PCI_TESTDEV_BAR_MEM 0 /* 32-bit memory, not prefetchable */
#define PCI_TESTDEV_BAR_IO 1 /* I/O ports */
#define PCI_TESTDEV_MEM_SIZE 4096
#define PCI_TESTDEV_IO_SIZE 256

/* The header at offset 0 of BAR0 and of BAR1, for the selected test.
 * (QEMU's implementation stores `data` as one byte followed by three zero
 * pad bytes: the same bytes as the documented 32-bit field.) */
struct pci_testdev_hdr {
	uint8_t test; /* write-only: selects a test on this BAR */
	uint8_t width_type; /* read-only: 1, 2 or 4 bytes; anything else: no such test */
	uint8_t pad0[2];
	uint32_t offset; /* read-only: where in this BAR the test writes */
	uint32_t data; /* read-only: what it writes */
	uint32_t count; /* writes the device saw since the test was selected */
	uint8_t name[]; /* NUL-terminated, e.g. "mmio-no-eventfd" */
};
_Static_assert(offsetof(struct pci_testdev_hdr, test) == 0, "pci-testdev.rst header");
_Static_assert(offsetof(struct pci_testdev_hdr, width_type) == 1, "pci-testdev.rst header");
_Static_assert(offsetof(struct pci_testdev_hdr, offset) == 4, "pci-testdev.rst header");
_Static_assert(offsetof(struct pci_testdev_hdr, data) == 8, "pci-testdev.rst header");
_Static_assert(offsetof(struct pci_testdev_hdr, count) == 12, "pci-testdev.rst header");
_Static_assert(offsetof(struct pci_testdev_hdr, name) == 16, "pci-testdev.rst header");
_Static_assert(sizeof(struct pci_testdev_hdr) == 16, "pci-testdev.rst header");

#endif /* PCI_TESTDEV_SPEC_H */
