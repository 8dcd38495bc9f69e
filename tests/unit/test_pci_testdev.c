/*
 * test_pci_testdev.c - the VMM's pci-testdev (vmm/pci_testdev.c) driven the
 * way a guest drives it: config cycles through ports 0xcf8/0xcfc (every
 * byte lane) and ECAM to size and place its BARs, then BAR accesses through
 * the I/O dispatch. Checked against QEMU docs/specs/pci-testdev.rst: the
 * header of each test, the scan that stops at the first unsupported test,
 * counting of matching writes only, wide accesses decoded byte by byte.
 * With /dev/kvm, the eventfd tests' KVM ioeventfds are checked to sit at
 * BAR + offset and to move with the BAR (KVM refuses a duplicate with
 * EEXIST, which is how the test sees them); without it, that test skips,
 * saying so (tap_skip.h: cmocka's own skip() reads as a failure to prove).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "layout.h"
#include "pci_access.h"
#include "pci_regs.h"
#include "pci_testdev.h"
#include "pcibus.h"
#include "vmm.h"
#include "tap_skip.h"

#define SLOT 1
#define MEM_BAR 0xc0000000u
#define IO_BAR 0xc000u

static struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1 };
static struct pci_testdev dev;

/* --- the guest's side: mechanism #1, ECAM, BAR accesses -------------------- */

static uint32_t cf8_read(unsigned off, unsigned size)
{
	uint32_t a = PCI_CF8_ADDR(PCI_BDF(0, SLOT, 0), off), v = 0;
	io_pio(&vm, PCI_CF8_ADDRESS_PORT, (uint8_t *)&a, 4, 1, true);
	io_pio(&vm, (uint16_t)(PCI_CF8_DATA_PORT + (off & 3)), (uint8_t *)&v, size, 1, false);
	return v;
}

static void cf8_write(unsigned off, unsigned size, uint32_t v)
{
	uint32_t a = PCI_CF8_ADDR(PCI_BDF(0, SLOT, 0), off);
	io_pio(&vm, PCI_CF8_ADDRESS_PORT, (uint8_t *)&a, 4, 1, true);
	io_pio(&vm, (uint16_t)(PCI_CF8_DATA_PORT + (off & 3)), (uint8_t *)&v, size, 1, true);
}

static uint32_t ecam_read(unsigned off, unsigned size)
{
	uint32_t v = 0;
	io_mmio(&vm, LAYOUT_ECAM + PCI_ECAM_OFFSET(PCI_BDF(0, SLOT, 0), off), (uint8_t *)&v, size, false);
	return v;
}

static uint32_t bar_read(unsigned bar, uint64_t off, unsigned size)
{
	uint32_t v = 0;
	if (bar == 0)
		io_mmio(&vm, MEM_BAR + off, (uint8_t *)&v, size, false);
	else
		io_pio(&vm, (uint16_t)(IO_BAR + off), (uint8_t *)&v, size, 1, false);
	return v;
}

static void bar_write(unsigned bar, uint64_t off, unsigned size, uint32_t v)
{
	if (bar == 0)
		io_mmio(&vm, MEM_BAR + off, (uint8_t *)&v, size, true);
	else
		io_pio(&vm, (uint16_t)(IO_BAR + off), (uint8_t *)&v, size, 1, true);
}

static int setup_once(void **state)
{
	if (pcibus_init(&vm, NULL, 0) || pci_testdev_create(&dev, &vm, PCI_BDF(0, SLOT, 0), false, NULL, 0))
		return -1;
	return 0;
}

/* --- identity and BARs ------------------------------------------------------ */

static void test_identity_through_cf8_and_ecam(void **state)
{
	assert_int_equal(cf8_read(PCI_VENDOR_ID, 4), 0x00051b36);
	assert_int_equal(ecam_read(PCI_VENDOR_ID, 4), 0x00051b36);
	assert_int_equal(cf8_read(PCI_CLASS_REVISION, 4) >> 8, 0x00ff00);
	assert_int_equal(cf8_read(PCI_INTERRUPT_PIN, 1), 0);
	/* Every byte lane of 0xcfc, and words at both halves, agree with ECAM. */
	for (unsigned off = 0; off < 64; off++) {
		assert_int_equal(cf8_read(off, 1), ecam_read(off, 1));
		if (off % 2 == 0)
			assert_int_equal(cf8_read(off, 2), ecam_read(off, 2));
	}
	/* Disabled address register: the data port reads all-ones. */
	uint32_t a = PCI_CF8_ADDR(PCI_BDF(0, SLOT, 0), 0) & ~PCI_CF8_ENABLE, v = 0;
	io_pio(&vm, PCI_CF8_ADDRESS_PORT, (uint8_t *)&a, 4, 1, true);
	io_pio(&vm, PCI_CF8_DATA_PORT, (uint8_t *)&v, 4, 1, false);
	assert_int_equal(v, 0xffffffff);
}

static void test_bar_sizes_and_placement(void **state)
{
	cf8_write(PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	cf8_write(PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	cf8_write(PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	assert_int_equal(cf8_read(PCI_BASE_ADDRESS_0, 4), (uint32_t)-PCI_TESTDEV_MEM_SIZE); /* 32-bit, non-pf */
	/* 256 ports; the VMM decodes 16-bit port addresses, so the top half reads 0. */
	assert_int_equal(cf8_read(PCI_BASE_ADDRESS_1, 4), (0x10000u - PCI_TESTDEV_IO_SIZE) | PCI_BASE_ADDRESS_SPACE_IO);
	assert_int_equal(cf8_read(PCI_BASE_ADDRESS_2, 4), 0); /* no BAR2 (QEMU's membar= is off) */
	cf8_write(PCI_BASE_ADDRESS_0, 4, MEM_BAR);
	cf8_write(PCI_BASE_ADDRESS_1, 4, IO_BAR);
	assert_int_equal(bar_read(0, 0, 1), 0xff); /* decoding still off: nobody answers */
	cf8_write(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(dev.pci.bars[0].mapped, MEM_BAR);
	assert_int_equal(dev.pci.bars[1].mapped, IO_BAR);
	assert_int_equal(bar_read(0, 0, 1), 0); /* no test selected: the header reads 0 */
}

/* --- the test protocol -------------------------------------------------------- */

static void test_headers_and_scan(void **state)
{
	static const char *const names[2][3] = {
		{ "mmio-no-eventfd", "mmio-wildcard-eventfd", "mmio-datamatch-eventfd" },
		{ "portio-no-eventfd", "portio-wildcard-eventfd", "portio-datamatch-eventfd" },
	};
	for (unsigned bar = 0; bar < 2; bar++) {
		unsigned n;
		/* A guest scans from 0 until width_type is not 1, 2 or 4. */
		for (n = 0; n < 16; n++) {
			bar_write(bar, 0, 1, n);
			uint8_t w = (uint8_t)bar_read(bar, 1, 1);
			if (w != 1 && w != 2 && w != 4)
				break;
			unsigned i = bar * 3 + n;
			assert_int_equal(bar_read(bar, 0, 1), i);
			assert_int_equal(bar_read(bar, 4, 4), (bar ? 128 : 2048) + i);
			assert_int_equal(bar_read(bar, 8, 4), n == 1 ? 0xce : 0xfa);
			assert_int_equal(bar_read(bar, 12, 4), 0);
			char name[32];
			for (unsigned k = 0; k < sizeof(name); k++)
				name[k] = (char)bar_read(bar, 16 + k, 1);
			assert_string_equal(name, names[bar][n]);
			assert_int_equal(bar_read(bar, 16 + 40, 4), 0); /* past the name */
		}
		assert_int_equal(n, 3);
		assert_int_equal(bar_read(bar, 4, 4), 0); /* deselected: everything reads 0 */
	}
}

static void test_counts_matching_writes_only(void **state)
{
	/* mmio-no-eventfd: data 0xfa at 2048. */
	bar_write(0, 0, 1, 0);
	for (unsigned k = 0; k < 16; k++)
		bar_write(0, 2048, 1, 0xfa);
	bar_write(0, 2048, 1, 0x12);   /* wrong data */
	bar_write(0, 2049, 1, 0xfa);   /* wrong address */
	bar_write(0, 2048, 4, 0xfa);   /* a dword: its first byte matches */
	bar_write(0, 2047, 2, 0xfa00); /* a word ending on it: its second byte does */
	assert_int_equal(bar_read(0, 12, 4), 18);
	/* portio-wildcard-eventfd without ioeventfds: any value counts. */
	bar_write(1, 0, 1, 1);
	assert_int_equal(bar_read(1, 12, 4), 0); /* selecting restarts the count */
	bar_write(1, 132, 1, 0x00);
	bar_write(1, 132, 1, 0x5a);
	bar_write(1, 132, 1, 0xce);
	assert_int_equal(bar_read(1, 12, 4), 3);
	/* portio-datamatch-eventfd: only 0xfa. */
	bar_write(1, 0, 4, 2); /* a dword write to `test` selects by its low byte */
	bar_write(1, 133, 1, 0xce);
	bar_write(1, 133, 1, 0xfa);
	assert_int_equal(bar_read(1, 12, 4), 1);
	assert_int_equal(bar_read(1, 0, 1), 5);
}

static void test_relocation_follows_the_bar(void **state)
{
	bar_write(0, 0, 1, 0);
	cf8_write(PCI_BASE_ADDRESS_0, 4, MEM_BAR + 0x10000);
	assert_int_equal(dev.pci.bars[0].mapped, MEM_BAR + 0x10000);
	assert_int_equal(bar_read(0, 1, 1), 0xff); /* the old place is gone */
	uint32_t v = 0;
	io_mmio(&vm, MEM_BAR + 0x10000 + 1, (uint8_t *)&v, 1, false);
	assert_int_equal(v, 1); /* width_type, at the new place */
	cf8_write(PCI_BASE_ADDRESS_0, 4, MEM_BAR);
	assert_int_equal(bar_read(0, 1, 1), 1);
}

/* --- KVM ioeventfds ----------------------------------------------------------- */

/* Whether KVM already holds an ioeventfd for exactly this address, length
 * and datamatch: an identical second one is refused with EEXIST. */
static bool kvm_has_ioeventfd(int vm_fd, uint64_t addr, bool pio, bool datamatch)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	struct kvm_ioeventfd io = {
		.addr = addr, .len = 1, .fd = fd, .datamatch = 0xfa,
		.flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) | (datamatch ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0),
	};
	int r = ioctl(vm_fd, KVM_IOEVENTFD, &io), e = errno;
	if (r == 0) { /* it was not there: take ours away again */
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
		ioctl(vm_fd, KVM_IOEVENTFD, &io);
	}
	close(fd);
	return r < 0 && e == EEXIST;
}

static void test_ioeventfds_follow_test_and_bar(void **state)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC); /* main() saw it open */
	assert_true(kvm >= 0);
	struct vm kvm_vm = { .kvm_fd = kvm, .vm_fd = ioctl(kvm, KVM_CREATE_VM, 0), .vcpu_fd = -1 };
	assert_true(kvm_vm.vm_fd >= 0);
	static struct pci_testdev t;
	assert_int_equal(pci_testdev_create(&t, &kvm_vm, PCI_BDF(0, SLOT + 1, 0), true, NULL, 0), 0);
	struct pci_fn *p = &t.pci;
	/* Placed directly (these config writes do not go through the I/O table). */
	pcibus_cfg_write(0, SLOT + 1, 0, PCI_BASE_ADDRESS_0, 4, 0xd0000000);
	pcibus_cfg_write(0, SLOT + 1, 0, PCI_BASE_ADDRESS_1, 4, 0xd000);
	pcibus_cfg_write(0, SLOT + 1, 0, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(p->bars[0].mapped, 0xd0000000);

	uint8_t b = 1; /* mmio-wildcard-eventfd: test 1 at 2048 + 1 */
	io_mmio(&vm, 0xd0000000, &b, 1, true);
	assert_true(kvm_has_ioeventfd(kvm_vm.vm_fd, 0xd0000000 + 2049, false, false));
	/* Moving BAR0 moves it. */
	pcibus_cfg_write(0, SLOT + 1, 0, PCI_BASE_ADDRESS_0, 4, 0xd0100000);
	assert_false(kvm_has_ioeventfd(kvm_vm.vm_fd, 0xd0000000 + 2049, false, false));
	assert_true(kvm_has_ioeventfd(kvm_vm.vm_fd, 0xd0100000 + 2049, false, false));
	/* Turning memory decoding off removes it; on, it is back. */
	pcibus_cfg_write(0, SLOT + 1, 0, PCI_COMMAND, 2, PCI_COMMAND_IO);
	assert_false(kvm_has_ioeventfd(kvm_vm.vm_fd, 0xd0100000 + 2049, false, false));
	pcibus_cfg_write(0, SLOT + 1, 0, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_true(kvm_has_ioeventfd(kvm_vm.vm_fd, 0xd0100000 + 2049, false, false));

	b = 2; /* portio-datamatch-eventfd: test 5 at 128 + 5, data 0xfa; the MMIO one goes */
	io_pio(&vm, 0xd000, &b, 1, 1, true);
	assert_false(kvm_has_ioeventfd(kvm_vm.vm_fd, 0xd0100000 + 2049, false, false));
	assert_true(kvm_has_ioeventfd(kvm_vm.vm_fd, 0xd000 + 133, true, true));
	b = 0; /* portio-no-eventfd: nothing in KVM */
	io_pio(&vm, 0xd000, &b, 1, 1, true);
	assert_false(kvm_has_ioeventfd(kvm_vm.vm_fd, 0xd000 + 133, true, true));
	assert_false(kvm_has_ioeventfd(kvm_vm.vm_fd, 0xd000 + 131, true, true));

	/* Writes KVM would swallow are counted from the eventfd (here: by hand). */
	b = 1;
	io_pio(&vm, 0xd000, &b, 1, 1, true);
	uint64_t one = 1;
	assert_int_equal(write(t.t[4].fd, &one, sizeof(one)), sizeof(one));
	uint32_t count = 0;
	io_pio(&vm, 0xd000 + 12, (uint8_t *)&count, 4, 1, false);
	assert_int_equal(count, 0); /* as in QEMU: count is what reached the device */
	assert_int_equal(t.t[4].signals, 1);
	close(kvm_vm.vm_fd);
	close(kvm);
}

int main(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	bool kvm = fd >= 0;
	if (fd >= 0)
		close(fd);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_through_cf8_and_ecam),
		cmocka_unit_test(test_bar_sizes_and_placement),
		cmocka_unit_test(test_headers_and_scan),
		cmocka_unit_test(test_counts_matching_writes_only),
		cmocka_unit_test(test_relocation_follows_the_bar),
		TAP_UNIT_TEST_IF(kvm, test_ioeventfds_follow_test_and_bar,
				 "/dev/kvm cannot be opened: the KVM ioeventfds are not checked"),
	};
	return cmocka_run_group_tests(tests, setup_once, NULL);
}
