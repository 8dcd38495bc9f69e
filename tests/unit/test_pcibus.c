/*
 * test_pcibus.c - the VMM's PCI function model (vmm/pcibus.c) through the
 * same entry points the guest's config accesses reach: BAR sizing through
 * the writable mask (type bits kept, 64-bit halves), relocation moving the
 * decoded range, byte/word/dword accesses at every offset, absent functions
 * reading all-ones, read-only and write-1-to-clear registers, the
 * capability-list builder, a BAR refused for overlapping another device
 * that decodes once the other moves away, and one refused over RAM or the
 * LAPIC page (the address-space registry's ranges).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aspace.h"
#include "layout.h"
#include "pci_regs.h"
#include "pcibus.h"
#include "vmm.h"

static struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1 };
static struct pci_fn dev;
static unsigned moves;
static uint64_t moved_to;
static uint32_t mmio_hits;

static void bar_io(struct vm *v, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	mmio_hits++;
}

static void bar_moved(struct pci_fn *d, unsigned bar, uint64_t addr)
{
	moves++;
	moved_to = addr;
}

static int setup_once(void **state)
{
	if (pcibus_init(&vm))
		return -1;
	pci_fn_init(&dev, "test", 0x1234, 0xabcd, 0x028000, 7);
	pci_fn_bar(&dev, 0, PCI_PARSE_BAR_MEM64, true, 0x4000, bar_io, NULL);
	pci_fn_bar(&dev, 2, PCI_PARSE_BAR_MEM32, false, 0x1000, bar_io, NULL);
	pci_fn_bar(&dev, 3, PCI_PARSE_BAR_IO, false, 0x20, bar_io, NULL);
	dev.bars[0].moved = bar_moved;
	uint8_t body[6] = { 1, 2, 3, 4, 5, 6 };
	pci_fn_cap(&dev, PCI_CAP_ID_VNDR, body, 8);
	pci_fn_cap(&dev, PCI_CAP_ID_MSIX, body, 12);
	return pcibus_add(&dev, 3);
}

#define RD(off, size) pcibus_cfg_read(0, 3, 0, (off), (size))
#define WR(off, size, v) pcibus_cfg_write(0, 3, 0, (off), (size), (v))

static void test_identity_and_read_only(void **state)
{
	assert_int_equal(RD(PCI_VENDOR_ID, 2), 0x1234);
	assert_int_equal(RD(PCI_DEVICE_ID, 2), 0xabcd);
	assert_int_equal(RD(PCI_CLASS_REVISION, 4), 0x02800007);
	WR(PCI_VENDOR_ID, 4, 0);
	WR(PCI_CLASS_REVISION, 4, 0);
	assert_int_equal(RD(PCI_VENDOR_ID, 4), 0xabcd1234);
	assert_int_equal(RD(PCI_CLASS_REVISION, 4), 0x02800007);
}

static void test_every_width_at_every_offset(void **state)
{
	for (unsigned off = 0; off < 64; off++) {
		uint32_t dword = RD(off & ~3u, 4);
		uint8_t b = (uint8_t)(dword >> (8 * (off & 3)));
		assert_int_equal(RD(off, 1), b);
		if (off % 2 == 0)
			assert_int_equal(RD(off, 2), (uint16_t)(dword >> (8 * (off & 3))));
		else
			assert_int_equal(RD(off, 2), 0xffff); /* unaligned: harmless all-ones */
	}
	assert_int_equal(RD(4094, 4), 0xffffffff); /* past the end */
	assert_int_equal(RD(0, 3), 0xffffff);      /* no such width: all-ones of it */
}

static void test_absent_functions(void **state)
{
	assert_int_equal(pcibus_cfg_read(0, 9, 0, 0, 4), 0xffffffff);
	assert_int_equal(pcibus_cfg_read(0, 3, 1, 0, 2), 0xffff); /* single-function device */
	assert_int_equal(pcibus_cfg_read(1, 0, 0, 0, 1), 0xff);   /* no bus 1 */
	pcibus_cfg_write(0, 9, 0, 4, 2, 0xffff);                   /* ignored, no crash */
	assert_int_equal(pcibus_cfg_read(0, 0, 0, PCI_CLASS_REVISION + 2, 2), 0x0600); /* host bridge */
}

static void test_bar_sizing_keeps_type_bits(void **state)
{
	WR(PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	WR(PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	/* 16 KiB, 64-bit, prefetchable: size mask with type bits 0b1100. */
	assert_int_equal(RD(PCI_BASE_ADDRESS_0, 4), 0xffffc000 | PCI_BASE_ADDRESS_MEM_TYPE_64 |
							  PCI_BASE_ADDRESS_MEM_PREFETCH);
	assert_int_equal(RD(PCI_BASE_ADDRESS_1, 4), 0xffffffff);
	WR(PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	assert_int_equal(RD(PCI_BASE_ADDRESS_2, 4), 0xfffff000);
	WR(PCI_BASE_ADDRESS_3, 4, 0xffffffff);
	assert_int_equal(RD(PCI_BASE_ADDRESS_3, 4), 0x0000ffe1); /* 32 ports, I/O bit, 16-bit decode */
	WR(PCI_BASE_ADDRESS_4, 4, 0xffffffff);
	assert_int_equal(RD(PCI_BASE_ADDRESS_4, 4), 0); /* unimplemented */
}

static void test_bar_relocation_follows_command(void **state)
{
	moves = 0;
	WR(PCI_BASE_ADDRESS_0, 4, 0xc0000000);
	WR(PCI_BASE_ADDRESS_1, 4, 0);
	assert_int_equal(moves, 0); /* memory decoding is still off */
	WR(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(moves, 1);
	assert_int_equal(moved_to, 0xc0000000);
	assert_int_equal(dev.bars[0].mapped, 0xc0000000);
	uint8_t d[4];
	mmio_hits = 0;
	io_mmio(&vm, 0xc0000010, d, 4, false);
	assert_int_equal(mmio_hits, 1);
	/* Moving it: the old range stops decoding, the new one starts. */
	WR(PCI_BASE_ADDRESS_0, 4, 0xd0000000);
	assert_int_equal(moved_to, 0xd0000000);
	io_mmio(&vm, 0xc0000010, d, 4, false);
	assert_int_equal(mmio_hits, 1);
	io_mmio(&vm, 0xd0003ffc, d, 4, false);
	assert_int_equal(mmio_hits, 2);
	WR(PCI_COMMAND, 2, 0);
	assert_int_equal(moved_to, 0);
	assert_int_equal(dev.bars[0].mapped, 0);
}

static void test_status_write_one_to_clear(void **state)
{
	dev.cfg[PCI_STATUS + 1] |= PCI_STATUS_REC_MASTER_ABORT >> 8;
	WR(PCI_STATUS, 2, 0); /* writing 0 changes nothing */
	assert_true(RD(PCI_STATUS, 2) & PCI_STATUS_REC_MASTER_ABORT);
	WR(PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_CAP_LIST);
	assert_false(RD(PCI_STATUS, 2) & PCI_STATUS_REC_MASTER_ABORT);
	assert_true(RD(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST); /* read-only, not w1c */
}

static void test_capability_list(void **state)
{
	assert_int_equal(RD(PCI_CAPABILITY_LIST, 1), 0x40);
	assert_int_equal(RD(0x40, 1), PCI_CAP_ID_VNDR);
	assert_int_equal(RD(0x41, 1), 0x48);
	assert_int_equal(RD(0x42, 1), 1);
	assert_int_equal(RD(0x48, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(RD(0x49, 1), 0); /* end of the list */
	WR(0x41, 1, 0x40);                /* a guest cannot make a cycle */
	assert_int_equal(RD(0x41, 1), 0x48);
}

/* Two more devices, A at slot 4 and B at slot 5, one 4 KiB BAR each. */
static struct pci_fn dev_a, dev_b;
static unsigned hits_a, hits_b;

static void bar_io_a(struct vm *v, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	hits_a++;
}

static void bar_io_b(struct vm *v, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	hits_b++;
}

/* Runs a config write with stderr in buf (what guest_error() said). */
static void write_capturing(unsigned slot, unsigned off, unsigned size, uint32_t v, char *buf, size_t len)
{
	char path[] = "/tmp/exitlab-pcibus-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	pcibus_cfg_write(0, slot, 0, off, size, v);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ssize_t n = pread(fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	fputs(buf, stderr);
}

static void test_refused_bar_decodes_once_the_other_moves(void **state)
{
	char said[1024];
	uint8_t d[4];

	pci_fn_init(&dev_a, "a", 0x1234, 0x000a, 0xff0000, 0);
	pci_fn_bar(&dev_a, 0, PCI_PARSE_BAR_MEM32, false, 0x1000, bar_io_a, NULL);
	pci_fn_init(&dev_b, "b", 0x1234, 0x000b, 0xff0000, 0);
	pci_fn_bar(&dev_b, 0, PCI_PARSE_BAR_MEM32, false, 0x1000, bar_io_b, NULL);
	assert_int_equal(pcibus_add(&dev_a, 4), 0);
	assert_int_equal(pcibus_add(&dev_b, 5), 0);
	pcibus_cfg_write(0, 4, 0, PCI_BASE_ADDRESS_0, 4, 0xc8000000);
	pcibus_cfg_write(0, 4, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(dev_a.bars[0].mapped, 0xc8000000);

	/* B over A: refused, and the message says over what. */
	pcibus_cfg_write(0, 5, 0, PCI_BASE_ADDRESS_0, 4, 0xc8000000);
	write_capturing(5, PCI_COMMAND, 2, PCI_COMMAND_MEMORY, said, sizeof(said));
	assert_int_equal(dev_b.bars[0].mapped, 0);
	assert_non_null(strstr(said, "00:05.0 b BAR0"));
	assert_non_null(strstr(said, "overlaps 00:04.0 a BAR0 at [0xc8000000, 0xc8001000)"));
	hits_a = hits_b = 0;
	io_mmio(&vm, 0xc8000010, d, 4, false);
	assert_int_equal(hits_a, 1);
	assert_int_equal(hits_b, 0);

	/* A moves away: B's registers said all along that it decodes there. */
	pcibus_cfg_write(0, 4, 0, PCI_BASE_ADDRESS_0, 4, 0xc9000000);
	assert_int_equal(dev_a.bars[0].mapped, 0xc9000000);
	assert_int_equal(dev_b.bars[0].mapped, 0xc8000000);
	io_mmio(&vm, 0xc8000010, d, 4, false);
	assert_int_equal(hits_b, 1);
	io_mmio(&vm, 0xc9000010, d, 4, false);
	assert_int_equal(hits_a, 2);

	/* Refused again when A comes back over it, and decoding again when A
	 * stops decoding (COMMAND.MEM off): an unmap changes the map too. */
	pcibus_cfg_write(0, 5, 0, PCI_COMMAND, 2, 0);
	pcibus_cfg_write(0, 4, 0, PCI_BASE_ADDRESS_0, 4, 0xc8000000);
	pcibus_cfg_write(0, 5, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(dev_b.bars[0].mapped, 0);
	pcibus_cfg_write(0, 4, 0, PCI_COMMAND, 2, 0);
	assert_int_equal(dev_a.bars[0].mapped, 0);
	assert_int_equal(dev_b.bars[0].mapped, 0xc8000000);
	pcibus_cfg_write(0, 5, 0, PCI_COMMAND, 2, 0);
}

/* The registry's fixed ranges: a BAR over RAM or the LAPIC page is
 * refused with the one message, naming both; next to them it decodes. */
static struct pci_fn dev_c;

static void test_bar_over_ram_or_lapic_refused(void **state)
{
	char said[1024];
	unsigned slot;

	assert_int_equal(aspace_slot_add(ASPACE_RAM, 0, 0x8000000, "RAM", &slot, said, sizeof(said)), 0);
	assert_int_equal(aspace_add(ASPACE_LAPIC, LAYOUT_LAPIC, LAYOUT_LAPIC_SIZE, "LAPIC", said, sizeof(said)), 0);
	pci_fn_init(&dev_c, "c", 0x1234, 0x000c, 0xff0000, 0);
	pci_fn_bar(&dev_c, 0, PCI_PARSE_BAR_MEM32, false, 0x1000, bar_io_a, NULL);
	assert_int_equal(pcibus_add(&dev_c, 6), 0);
	pcibus_cfg_write(0, 6, 0, PCI_BASE_ADDRESS_0, 4, 0x7fff000);
	write_capturing(6, PCI_COMMAND, 2, PCI_COMMAND_MEMORY, said, sizeof(said));
	assert_int_equal(dev_c.bars[0].mapped, 0);
	assert_non_null(strstr(said, "vmm: 00:06.0 c BAR0 at [0x7fff000, 0x8000000) overlaps RAM at [0x0, 0x8000000): "
				     "left undecoded until it moves\n"));
	write_capturing(6, PCI_BASE_ADDRESS_0, 4, (uint32_t)LAYOUT_LAPIC, said, sizeof(said));
	assert_int_equal(dev_c.bars[0].mapped, 0);
	assert_non_null(strstr(said, "vmm: 00:06.0 c BAR0 at [0xfee00000, 0xfee01000) overlaps LAPIC at "
				     "[0xfee00000, 0xfee01000): left undecoded until it moves\n"));
	pcibus_cfg_write(0, 6, 0, PCI_BASE_ADDRESS_0, 4, (uint32_t)LAYOUT_LAPIC + 0x1000);
	assert_int_equal(dev_c.bars[0].mapped, LAYOUT_LAPIC + 0x1000);
	pcibus_cfg_write(0, 6, 0, PCI_BASE_ADDRESS_0, 4, 0x8000000);
	assert_int_equal(dev_c.bars[0].mapped, 0x8000000);
	pcibus_cfg_write(0, 6, 0, PCI_COMMAND, 2, 0);
	assert_int_equal(aspace_slot_remove(slot), 0);
	assert_int_equal(aspace_remove(ASPACE_LAPIC, LAYOUT_LAPIC), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_and_read_only),
		cmocka_unit_test(test_every_width_at_every_offset),
		cmocka_unit_test(test_absent_functions),
		cmocka_unit_test(test_bar_sizing_keeps_type_bits),
		cmocka_unit_test(test_bar_relocation_follows_command),
		cmocka_unit_test(test_status_write_one_to_clear),
		cmocka_unit_test(test_capability_list),
		cmocka_unit_test(test_refused_bar_decodes_once_the_other_moves),
		cmocka_unit_test(test_bar_over_ram_or_lapic_refused),
	};
	return cmocka_run_group_tests(tests, setup_once, NULL);
}
