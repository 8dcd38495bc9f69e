/*
 * pci_testdev.c - QEMU's pci-testdev on the VMM's PCI bus (pci_testdev.h).
 *
 * Six tests, numbered as in QEMU: 0-2 on BAR0 (MMIO), 3-5 on BAR1 (ports);
 * test i writes one byte at offset (2048 or 128) + i of its BAR. Like
 * QEMU's, the device decodes byte by byte (a wider access is that many byte
 * accesses), one test is selected at a time across both BARs, a read
 * returns the selected test's header (0 with none selected, or past the
 * name), and a number >= 3 written to `test` deselects.
 *
 * An eventfd test lives in KVM while it is selected and its BAR decodes:
 * KVM_IOEVENTFD (len 1, PIO for BAR1, DATAMATCH for datamatch-eventfd) at
 * the BAR's current address, moved when the guest moves the BAR. Reading
 * the header drains the eventfd into the signal count (QEMU clears it too).
 */
#include "pci_testdev.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "errmsg.h"
#include "pci_regs.h"
#include "vmm.h"

enum { TEST_NO_EVENTFD, TEST_WILDCARD, TEST_DATAMATCH };

#define TESTDEV_DATAMATCH 0xfa /* data of the tests that compare it */
#define TESTDEV_NOMATCH 0xce   /* data of wildcard-eventfd */

static const char *const test_names[PCI_TESTDEV_TESTS] = {
	"mmio-no-eventfd",   "mmio-wildcard-eventfd",   "mmio-datamatch-eventfd",
	"portio-no-eventfd", "portio-wildcard-eventfd", "portio-datamatch-eventfd",
};

/* Tests 0-2 are BAR0's, 3-5 BAR1's: test_bar() is the BAR number. */
_Static_assert(PCI_TESTDEV_BAR_MEM == 0 && PCI_TESTDEV_BAR_IO == 1, "QEMU's numbering of tests");
static unsigned test_bar(unsigned i) { return i / PCI_TESTDEV_TESTS_PER_BAR; }
static unsigned test_kind(unsigned i) { return i % PCI_TESTDEV_TESTS_PER_BAR; }
static uint32_t test_offset(unsigned i)
{
	return (test_bar(i) == PCI_TESTDEV_BAR_IO ? PCI_TESTDEV_IO_SIZE : PCI_TESTDEV_MEM_SIZE) / 2 + i;
}
static uint8_t test_data(unsigned i) { return test_kind(i) == TEST_WILDCARD ? TESTDEV_NOMATCH : TESTDEV_DATAMATCH; }

/* Assigns (addr != 0) or removes test i's ioeventfd. */
static int pci_testdev_ioeventfd_set(struct pci_testdev *t, unsigned i, uint64_t addr)
{
	uint64_t old = t->t[i].fd_addr;
	struct kvm_ioeventfd io = {
		.datamatch = test_data(i),
		.len = 1,
		.fd = t->t[i].fd,
		.flags = (test_bar(i) == PCI_TESTDEV_BAR_IO ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (test_kind(i) == TEST_DATAMATCH ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0),
	};

	if (t->t[i].fd < 0 || old == addr)
		return 0;
	if (old) {
		io.addr = old + test_offset(i);
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
		if (ioctl(t->pci.vm->vm_fd, KVM_IOEVENTFD, &io))
			return -1;
		io.flags &= ~(uint32_t)KVM_IOEVENTFD_FLAG_DEASSIGN;
		t->t[i].fd_addr = 0;
	}
	if (addr) {
		io.addr = addr + test_offset(i);
		if (ioctl(t->pci.vm->vm_fd, KVM_IOEVENTFD, &io))
			return -1;
		t->t[i].fd_addr = addr;
	}
	return 0;
}

/* Adds what the eventfd collected to test i's signal count. */
static void pci_testdev_drain(struct pci_testdev *t, unsigned i)
{
	uint64_t n;

	if (t->t[i].fd >= 0 && read(t->t[i].fd, &n, sizeof(n)) == sizeof(n))
		t->t[i].signals += n;
}

static void pci_testdev_select(struct pci_testdev *t, uint8_t test, unsigned bar)
{
	if (t->current >= 0) {
		unsigned c = (unsigned)t->current;
		if (pci_testdev_ioeventfd_set(t, c, 0))
			guest_error("pci-testdev: cannot remove the %s ioeventfd: %s", test_names[c],
				strerror(errno));
		pci_testdev_drain(t, c);
		t->current = -1;
	}
	if (test >= PCI_TESTDEV_TESTS_PER_BAR)
		return; /* no such test: the header reads 0, width_type too */
	unsigned i = bar * PCI_TESTDEV_TESTS_PER_BAR + test;
	t->current = (int)i;
	t->t[i].count = 0;
	pci_testdev_drain(t, i);
	if (pci_testdev_ioeventfd_set(t, i, t->pci.bars[bar].mapped))
		guest_error("pci-testdev: cannot assign the %s ioeventfd: %s", test_names[i],
			strerror(errno));
}

/* Byte `off` of the selected test's header, as QEMU reads it. */
static uint8_t pci_testdev_hdr_byte(const struct pci_testdev *t, uint64_t off)
{
	uint8_t buf[sizeof(struct pci_testdev_hdr) + 32] = { 0 };
	struct pci_testdev_hdr h;

	if (t->current < 0 || off >= sizeof(buf))
		return 0;
	unsigned i = (unsigned)t->current;
	h = (struct pci_testdev_hdr){ .test = (uint8_t)i, .width_type = 1, .offset = test_offset(i),
				      .data = test_data(i), .count = t->t[i].count };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), test_names[i], strlen(test_names[i])); /* NUL from the zeroed buffer */
	return buf[off];
}

/* Both BARs: offsets are BAR-relative; the guest's access, byte by byte. */
static void pci_testdev_access(struct pci_testdev *t, unsigned bar, uint64_t off, uint8_t *data, unsigned size,
			       bool is_write)
{
	if (!is_write && t->current >= 0)
		pci_testdev_drain(t, (unsigned)t->current);
	for (unsigned k = 0; k < size; k++) {
		uint64_t a = off + k;
		if (!is_write) {
			data[k] = pci_testdev_hdr_byte(t, a);
			continue;
		}
		if (a == offsetof(struct pci_testdev_hdr, test)) {
			pci_testdev_select(t, data[k], bar);
			continue;
		}
		if (t->current < 0)
			continue;
		unsigned i = (unsigned)t->current;
		/* The test's address in its own BAR, and the data if it matches. */
		if (test_bar(i) != bar || a != test_offset(i) ||
		    (test_kind(i) != TEST_WILDCARD && data[k] != test_data(i)))
			continue;
		t->t[i].count++;
		t->t[i].writes++;
	}
}

static void pci_testdev_mmio(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size,
			     bool is_write)
{
	pci_testdev_access(opaque, PCI_TESTDEV_BAR_MEM, off, data, size, is_write);
}

static void pci_testdev_pio(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size,
			    bool is_write)
{
	pci_testdev_access(opaque, PCI_TESTDEV_BAR_IO, off, data, size, is_write);
}

/* The bus moved BAR `bar` (addr 0: it stopped decoding): so does the
 * selected test's ioeventfd, if it lives there. */
static void pci_testdev_bar_moved(struct pci_fn *p, unsigned bar, uint64_t addr)
{
	struct pci_testdev *t = p->opaque;

	if (t->current < 0 || test_bar((unsigned)t->current) != bar)
		return;
	if (pci_testdev_ioeventfd_set(t, (unsigned)t->current, addr))
		guest_error("pci-testdev: cannot move the %s ioeventfd to 0x%llx: %s",
			test_names[t->current], (unsigned long long)addr, strerror(errno));
}

int pci_testdev_create(struct pci_testdev *t, struct vm *vm, unsigned bdf, bool use_ioeventfd, char *err,
		       size_t errlen)
{
	struct pci_fn *p = &t->pci;

	memset(t, 0, sizeof(*t));
	t->current = -1;
	for (unsigned i = 0; i < PCI_TESTDEV_TESTS; i++) {
		t->t[i].fd = -1;
		if (use_ioeventfd && test_kind(i) != TEST_NO_EVENTFD) {
			t->t[i].fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			if (t->t[i].fd < 0)
				return errmsg(err, errlen, "pci-testdev: eventfd for %s: %s", test_names[i],
					      strerror(errno));
		}
	}
	pci_fn_init(p, "pci-testdev", PCI_TESTDEV_VENDOR_ID, PCI_TESTDEV_DEVICE_ID, PCI_TESTDEV_CLASS, 0);
	p->vm = vm;
	p->opaque = t;
	p->cfg[PCI_INTERRUPT_PIN] = 0; /* no interrupt */
	pci_fn_bar(p, PCI_TESTDEV_BAR_MEM, PCI_PARSE_BAR_MEM32, false, PCI_TESTDEV_MEM_SIZE, pci_testdev_mmio, t);
	pci_fn_bar(p, PCI_TESTDEV_BAR_IO, PCI_PARSE_BAR_IO, false, PCI_TESTDEV_IO_SIZE, pci_testdev_pio, t);
	p->bars[PCI_TESTDEV_BAR_MEM].moved = pci_testdev_bar_moved;
	p->bars[PCI_TESTDEV_BAR_IO].moved = pci_testdev_bar_moved;
	return pcibus_add(p, bdf, err, errlen);
}

void pci_testdev_stats_print(struct pci_testdev *t)
{
	for (unsigned i = 0; i < PCI_TESTDEV_TESTS; i++) {
		pci_testdev_drain(t, i);
		if (t->t[i].writes || t->t[i].signals)
			fprintf(stderr, "stats: pci-testdev %s %-24s writes: %llu counted in the VMM, %llu ioeventfd signals\n",
				t->pci.bdf, test_names[i], (unsigned long long)t->t[i].writes,
				(unsigned long long)t->t[i].signals);
	}
}
