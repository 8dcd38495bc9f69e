/*
 * test_pcibus.c - the VMM's PCI function model (vmm/pcibus.c) through the
 * same entry points the guest's config accesses reach: BAR sizing through
 * the writable mask (type bits kept, 64-bit halves), relocation moving the
 * decoded range, byte/word/dword accesses at every offset, absent functions
 * reading all-ones, read-only and write-1-to-clear registers, the
 * capability-list builder, a BAR refused for overlapping another device
 * that decodes once the other moves away, and one refused over RAM or the
 * LAPIC page (the address-space registry's ranges). The topology: slot
 * placement and its refusals, functions 1-7 with function 0's
 * multifunction bit through both mechanisms, PCI-to-PCI bridges (a nested
 * one too) forwarding config cycles by the bus numbers written to them,
 * and BARs behind them decoding only inside their windows.
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

/* The topology every test runs on: bridge 1 at 00:10.0 (bus 1 behind it),
 * bridge 2 at 01:02.0 (bus 2, behind bridge 1), placed before the bus is
 * set up, as main() does. */
#define BR1 PCI_BDF(0, 0x10, 0)
#define BR2 PCI_BDF(1, 2, 0)

static int setup_once(void **state)
{
	char err[256];

	if (pcibus_bridge_declare(err, sizeof(err)) != 1 || pcibus_bridge_declare(err, sizeof(err)) != 2 ||
	    pcibus_reserve_bridge(2, BR2, "bridge 2", err, sizeof(err)) != BR2 ||
	    pcibus_reserve_bridge(1, BR1, "bridge 1", err, sizeof(err)) != BR1 || pcibus_check(err, sizeof(err)) ||
	    pcibus_init(&vm, NULL, 0))
		return -1;
	pci_fn_init(&dev, "test", 0x1234, 0xabcd, 0x028000, 7);
	pci_fn_bar(&dev, 0, PCI_PARSE_BAR_MEM64, true, 0x4000, bar_io, NULL);
	pci_fn_bar(&dev, 2, PCI_PARSE_BAR_MEM32, false, 0x1000, bar_io, NULL);
	pci_fn_bar(&dev, 3, PCI_PARSE_BAR_IO, false, 0x20, bar_io, NULL);
	dev.bars[0].moved = bar_moved;
	uint8_t body[6] = { 1, 2, 3, 4, 5, 6 };
	pci_fn_cap(&dev, PCI_CAP_ID_VNDR, body, 8);
	pci_fn_cap(&dev, PCI_CAP_ID_MSIX, body, 12);
	return pcibus_add(&dev, PCI_BDF(0, 3, 0), NULL, 0);
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
	assert_int_equal(pcibus_add(&dev_a, PCI_BDF(0, 4, 0), NULL, 0), 0);
	assert_int_equal(pcibus_add(&dev_b, PCI_BDF(0, 5, 0), NULL, 0), 0);
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
	assert_int_equal(pcibus_add(&dev_c, PCI_BDF(0, 6, 0), NULL, 0), 0);
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

/* --- the topology ----------------------------------------------------------- */

static uint32_t cf8_read(unsigned bdf, unsigned off, unsigned size)
{
	uint32_t a = PCI_CF8_ADDR(bdf, off), v = 0;
	io_pio(&vm, PCI_CF8_ADDRESS_PORT, (uint8_t *)&a, 4, 1, true);
	io_pio(&vm, (uint16_t)(PCI_CF8_DATA_PORT + (off & 3)), (uint8_t *)&v, size, 1, false);
	return v;
}

static uint32_t ecam_read(unsigned bdf, unsigned off, unsigned size)
{
	uint32_t v = 0;
	io_mmio(&vm, LAYOUT_ECAM + PCI_ECAM_OFFSET(bdf, off), (uint8_t *)&v, size, false);
	return v;
}

static void ecam_write(unsigned bdf, unsigned off, unsigned size, uint32_t v)
{
	io_mmio(&vm, LAYOUT_ECAM + PCI_ECAM_OFFSET(bdf, off), (uint8_t *)&v, size, true);
}

/* Placement: what is free, what is taken and by whom, buses that are not
 * there, a bridge behind itself, a slot without function 0. */
static void test_placement(void **state)
{
	char err[256];

	assert_int_equal(pcibus_reserve(PCIBUS_NEXT, "a", err, sizeof(err)), PCI_BDF(0, 1, 0));
	assert_int_equal(pcibus_reserve(PCI_BDF(0, 2, 5), "b", err, sizeof(err)), PCI_BDF(0, 2, 5));
	/* A slot with any function taken is not "free" for the next one (nor
	 * 03-06, which the tests above took). */
	assert_int_equal(pcibus_reserve(PCIBUS_NEXT, "c", err, sizeof(err)), PCI_BDF(0, 7, 0));
	assert_int_equal(pcibus_reserve(PCI_BDF(0, 2, 5), "d", err, sizeof(err)), -1);
	assert_string_equal(err, "d: 00:02.5 is taken by b");
	assert_int_equal(pcibus_reserve(PCI_BDF(0, 0, 0), "e", err, sizeof(err)), -1);
	assert_string_equal(err, "e: 00:00.0 is taken by the host bridge");
	assert_int_equal(pcibus_reserve(PCI_BDF(3, 0, 0), "f", err, sizeof(err)), -1);
	assert_string_equal(err, "f: no bus 03: the 2 --pci-bridge options give buses 01-02");
	assert_int_equal(pcibus_reserve(PCI_BDF(2, 0, 0), "g", err, sizeof(err)), PCI_BDF(2, 0, 0));
	/* 00:02.5 has no function 0 beside it. */
	assert_int_equal(pcibus_check(err, sizeof(err)), -1);
	assert_string_equal(err, "b: 00:02.5 has no function 0 beside it (PCI 3.0 §6.2.1: software finds "
				 "functions 1-7 through function 0)");
	assert_int_equal(pcibus_reserve(PCI_BDF(0, 2, 0), "h", err, sizeof(err)), PCI_BDF(0, 2, 0));
	assert_int_equal(pcibus_check(err, sizeof(err)), 0);
	assert_int_equal(pcibus_reserve_bridge(1, PCI_BDF(0, 9, 0), "again", err, sizeof(err)), -1);
	assert_int_equal(pcibus_buses(), 3);
}

/* Functions 1-7: function 0's header type gets the multifunction bit once
 * another function of its slot is there, seen through either mechanism;
 * a function with its header as is keeps its own. */
static struct pci_fn mf0, mf3, raw0, raw2;

static void test_multifunction(void **state)
{
	pci_fn_init(&mf0, "mf0", 0x1234, 0x0f00, 0xff0000, 0);
	pci_fn_init(&mf3, "mf3", 0x1234, 0x0f03, 0xff0000, 0);
	assert_int_equal(pcibus_add(&mf0, PCI_BDF(0, 8, 0), NULL, 0), 0);
	assert_int_equal(ecam_read(PCI_BDF(0, 8, 0), PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
	assert_int_equal(pcibus_add(&mf3, PCI_BDF(0, 8, 3), NULL, 0), 0);
	char err[128];
	assert_int_equal(pcibus_add(&mf0, PCI_BDF(0, 8, 3), err, sizeof(err)), -1); /* taken, and by whom */
	assert_string_equal(err, "mf0 at 00:08.3: the function is taken by mf3");
	for (unsigned mech = 0; mech < 2; mech++) {
		uint32_t (*rd)(unsigned, unsigned, unsigned) = mech ? cf8_read : ecam_read;
		assert_int_equal(rd(PCI_BDF(0, 8, 0), PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_MFD);
		assert_int_equal(rd(PCI_BDF(0, 8, 3), PCI_VENDOR_ID, 4), 0x0f031234);
		assert_int_equal(rd(PCI_BDF(0, 8, 3), PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
		assert_int_equal(rd(PCI_BDF(0, 8, 1), PCI_VENDOR_ID, 2), 0xffff); /* absent */
	}
	assert_string_equal(mf3.bdf, "00:08.3");
	assert_string_equal(mf3.bars[0].name, "00:08.3 mf3 BAR0");

	pci_fn_init(&raw0, "raw0", 0x1234, 0x0e00, 0xff0000, 0);
	pci_fn_init(&raw2, "raw2", 0x1234, 0x0e02, 0xff0000, 0);
	raw0.header_as_is = true;
	assert_int_equal(pcibus_add(&raw0, PCI_BDF(0, 9, 0), NULL, 0), 0);
	assert_int_equal(pcibus_add(&raw2, PCI_BDF(0, 9, 2), NULL, 0), 0);
	assert_int_equal(ecam_read(PCI_BDF(0, 9, 0), PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
}

/* The bridges as the VMM numbers them, and config cycles that follow what
 * the guest writes into them (either mechanism). */
static struct pci_fn behind1, behind2;

static void test_bridge_forwarding(void **state)
{
	pci_fn_init(&behind1, "behind1", 0x1234, 0x0b01, 0xff0000, 0);
	pci_fn_init(&behind2, "behind2", 0x1234, 0x0b02, 0xff0000, 0);
	pci_fn_bar(&behind1, 0, PCI_PARSE_BAR_MEM32, false, 0x1000, bar_io, NULL);
	pci_fn_bar(&behind1, 1, PCI_PARSE_BAR_IO, false, 0x100, bar_io, NULL);
	assert_int_equal(pcibus_add(&behind1, PCI_BDF(1, 0, 0), NULL, 0), 0);
	assert_int_equal(pcibus_add(&behind2, PCI_BDF(2, 3, 0), NULL, 0), 0);
	char err[128];
	assert_int_equal(pcibus_add(&behind2, PCI_BDF(4, 0, 0), err, sizeof(err)), -1); /* no bus 4 */
	assert_string_equal(err, "behind2 at 04:00.0: there is no bus 04 (2 bridges, buses 00-02)");

	/* Type-1 header, the VMM's numbers: 00 -> 01 (01-02), 01 -> 02. */
	assert_int_equal(ecam_read(BR1, PCI_VENDOR_ID, 4), 0x00011b36);
	assert_int_equal(ecam_read(BR1, PCI_CLASS_REVISION, 4) >> 8, PCI_CLASS_BRIDGE_PCI << 8);
	assert_int_equal(ecam_read(BR1, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_BRIDGE);
	assert_int_equal(ecam_read(BR1, PCI_PRIMARY_BUS, 4) & 0xffffff, 0x020100);
	assert_int_equal(cf8_read(BR2, PCI_PRIMARY_BUS, 4) & 0xffffff, 0x020201);
	assert_int_equal(cf8_read(PCI_BDF(1, 0, 0), PCI_VENDOR_ID, 4), 0x0b011234);
	assert_int_equal(ecam_read(PCI_BDF(2, 3, 0), PCI_VENDOR_ID, 4), 0x0b021234);
	assert_int_equal(ecam_read(PCI_BDF(3, 3, 0), PCI_VENDOR_ID, 2), 0xffff);

	/* Window registers: the writable bits and the read-only type bits. */
	ecam_write(BR1, PCI_IO_BASE, 2, 0xffff);
	assert_int_equal(ecam_read(BR1, PCI_IO_BASE, 2), 0xf0f0); /* 16-bit I/O decode */
	ecam_write(BR1, PCI_IO_BASE_UPPER16, 4, 0xffffffff);
	assert_int_equal(ecam_read(BR1, PCI_IO_BASE_UPPER16, 4), 0);
	ecam_write(BR1, PCI_MEMORY_BASE, 4, 0xffffffff);
	assert_int_equal(ecam_read(BR1, PCI_MEMORY_BASE, 4), 0xfff0fff0);
	ecam_write(BR1, PCI_PREF_MEMORY_BASE, 4, 0xffffffff);
	assert_int_equal(ecam_read(BR1, PCI_PREF_MEMORY_BASE, 4), 0xfff1fff1); /* 64-bit prefetchable */
	ecam_write(BR1, PCI_PREF_BASE_UPPER32, 4, 0x12345678);
	assert_int_equal(ecam_read(BR1, PCI_PREF_BASE_UPPER32, 4), 0x12345678);
	ecam_write(BR1, PCI_PREF_BASE_UPPER32, 4, 0);
	ecam_write(BR1, PCI_IO_BASE, 2, 0);
	ecam_write(BR1, PCI_MEMORY_BASE, 4, 0);
	ecam_write(BR1, PCI_PREF_MEMORY_BASE, 4, 0);

	/* The guest renumbers: bridge 1 gets buses 05-07, bridge 2 bus 07. */
	ecam_write(BR1, PCI_SECONDARY_BUS, 1, 5);
	ecam_write(BR1, PCI_SUBORDINATE_BUS, 1, 7);
	assert_int_equal(ecam_read(PCI_BDF(1, 0, 0), PCI_VENDOR_ID, 2), 0xffff);
	assert_int_equal(ecam_read(PCI_BDF(5, 0, 0), PCI_VENDOR_ID, 4), 0x0b011234);
	assert_int_equal(ecam_read(PCI_BDF(5, 2, 0), PCI_VENDOR_ID, 4), 0x00011b36); /* bridge 2, on bus 5 */
	assert_int_equal(ecam_read(PCI_BDF(2, 3, 0), PCI_VENDOR_ID, 2), 0xffff);      /* 2 is outside 05-07 */
	ecam_write(PCI_BDF(5, 2, 0), PCI_SECONDARY_BUS, 1, 7);
	ecam_write(PCI_BDF(5, 2, 0), PCI_SUBORDINATE_BUS, 1, 7);
	assert_int_equal(cf8_read(PCI_BDF(7, 3, 0), PCI_VENDOR_ID, 4), 0x0b021234);
	/* A subordinate below the secondary forwards nothing; so does 0. */
	ecam_write(BR1, PCI_SUBORDINATE_BUS, 1, 4);
	assert_int_equal(ecam_read(PCI_BDF(5, 0, 0), PCI_VENDOR_ID, 2), 0xffff);
	ecam_write(BR1, PCI_SECONDARY_BUS, 1, 0);
	ecam_write(BR1, PCI_SUBORDINATE_BUS, 1, 0);
	assert_int_equal(ecam_read(PCI_BDF(0, 0, 0), PCI_VENDOR_ID, 4), 0x00081b36); /* bus 0: the root's */
	/* Back to the VMM's numbering. */
	ecam_write(BR1, PCI_SECONDARY_BUS, 1, 1);
	ecam_write(BR1, PCI_SUBORDINATE_BUS, 1, 2);
	ecam_write(PCI_BDF(1, 2, 0), PCI_SECONDARY_BUS, 1, 2);
	ecam_write(PCI_BDF(1, 2, 0), PCI_SUBORDINATE_BUS, 1, 2);
	assert_int_equal(ecam_read(PCI_BDF(2, 3, 0), PCI_VENDOR_ID, 4), 0x0b021234);
}

/* A BAR behind a bridge decodes only inside its window with its COMMAND
 * bit on; moving or closing the window moves or undecodes it. */
static void test_bridge_windows(void **state)
{
	unsigned b0 = PCI_BDF(1, 0, 0);
	uint8_t d[4];

	ecam_write(b0, PCI_BASE_ADDRESS_0, 4, 0xc1000000);
	ecam_write(b0, PCI_BASE_ADDRESS_1, 4, 0xd000);
	ecam_write(b0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	assert_int_equal(behind1.bars[0].mapped, 0); /* the bridge forwards nothing yet */
	assert_int_equal(behind1.bars[1].mapped, 0);

	ecam_write(BR1, PCI_MEMORY_BASE, 2, 0xc100);  /* [0xc1000000, 0xc10fffff] */
	ecam_write(BR1, PCI_MEMORY_LIMIT, 2, 0xc100);
	ecam_write(BR1, PCI_IO_BASE, 1, 0xd0);        /* [0xd000, 0xdfff] */
	ecam_write(BR1, PCI_IO_LIMIT, 1, 0xd0);
	assert_int_equal(behind1.bars[0].mapped, 0); /* window open, COMMAND.MEMORY off */
	ecam_write(BR1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(behind1.bars[0].mapped, 0xc1000000);
	assert_int_equal(behind1.bars[1].mapped, 0); /* I/O still off at the bridge */
	mmio_hits = 0;
	io_mmio(&vm, 0xc1000010, d, 4, false);
	assert_int_equal(mmio_hits, 1);
	ecam_write(BR1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	assert_int_equal(behind1.bars[1].mapped, 0xd000);

	/* Moving the window away undecodes the BAR; the BAR following it
	 * decodes again. */
	ecam_write(BR1, PCI_MEMORY_BASE, 4, 0xc200c200);
	assert_int_equal(behind1.bars[0].mapped, 0);
	io_mmio(&vm, 0xc1000010, d, 4, false);
	assert_int_equal(mmio_hits, 1);
	ecam_write(b0, PCI_BASE_ADDRESS_0, 4, 0xc20ff000); /* the window's last page */
	assert_int_equal(behind1.bars[0].mapped, 0xc20ff000);
	/* A wider window still holds it, one that ends below it does not; the
	 * prefetchable window forwards it too (a bridge forwards either). */
	ecam_write(BR1, PCI_MEMORY_BASE, 4, 0xc200c100);
	assert_int_equal(behind1.bars[0].mapped, 0xc20ff000);
	ecam_write(BR1, PCI_MEMORY_BASE, 4, 0xc100c000);
	assert_int_equal(behind1.bars[0].mapped, 0);
	ecam_write(BR1, PCI_PREF_MEMORY_BASE, 4, 0xc200c200);
	assert_int_equal(behind1.bars[0].mapped, 0xc20ff000);
	/* Closed (base above limit): nothing. */
	ecam_write(BR1, PCI_PREF_MEMORY_BASE, 4, 0x0000fff0);
	ecam_write(BR1, PCI_MEMORY_BASE, 4, 0x0000fff0);
	assert_int_equal(behind1.bars[0].mapped, 0);

	/* Behind two bridges: both must forward it. */
	pci_fn_bar(&behind2, 0, PCI_PARSE_BAR_MEM32, false, 0x1000, bar_io, NULL);
	snprintf(behind2.bars[0].name, sizeof(behind2.bars[0].name), "02:03.0 behind2 BAR0");
	ecam_write(PCI_BDF(2, 3, 0), PCI_BASE_ADDRESS_0, 4, 0xc3000000);
	ecam_write(PCI_BDF(2, 3, 0), PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ecam_write(BR2, PCI_MEMORY_BASE, 4, 0xc300c300);
	ecam_write(BR2, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(behind2.bars[0].mapped, 0); /* bridge 1's window does not hold it */
	ecam_write(BR1, PCI_MEMORY_BASE, 4, 0xc300c000);
	assert_int_equal(behind2.bars[0].mapped, 0xc3000000);
	ecam_write(BR1, PCI_COMMAND, 2, 0);
	assert_int_equal(behind2.bars[0].mapped, 0);
	assert_int_equal(behind1.bars[1].mapped, 0);
	ecam_write(PCI_BDF(2, 3, 0), PCI_COMMAND, 2, 0);
	ecam_write(b0, PCI_COMMAND, 2, 0);
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
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_multifunction),
		cmocka_unit_test(test_bridge_forwarding),
		cmocka_unit_test(test_bridge_windows),
	};
	return cmocka_run_group_tests(tests, setup_once, NULL);
}
