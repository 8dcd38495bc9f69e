/*
 * test_pci_parse.c - unit tests for common/pci_parse.c, the config-space
 * decoder shared by the guest, the VMM and build/pciinfo.
 *
 * Each test builds a config space byte by byte (cfg_* helpers), parses it
 * and checks the decode: well-formed virtio, bridge and PCIe devices, then
 * one malformed structure per test, each of which must produce its own
 * error code at the offset of the structure holding the bad field while the
 * rest of the device still decodes. Short buffers are copied to heap blocks
 * of exactly their length, so a sanitizer build catches any stray read.
 * Last, the real configs in ../shared/corpus/pci-config/ are checked against
 * rules from the virtio and PCI specs. ../shared is the project's shared
 * folder beside the checkout; without its corpus those cases skip, saying so
 * (tap_skip.h); with it, a corpus file missing from it is a failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "pci_parse.h"
#include "pci_regs.h"
#include "virtio_pci.h"
#include "tap_skip.h"

#define CORPUS "../shared/corpus/pci-config/"

static uint8_t cfg[PCI_CFG_SPACE_EXP_SIZE];
static struct pci_parse_info info;

/* --- building config spaces ------------------------------------------------ */

static void cfg_put(unsigned off, unsigned width, uint32_t value)
{
	for (unsigned i = 0; i < width; i++)
		cfg[off + i] = (uint8_t)(value >> (8 * i));
}

/* A fresh function: IDs, class, header type, capability list present. */
static void cfg_reset(uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t header_type)
{
	memset(cfg, 0, sizeof(cfg));
	cfg_put(PCI_VENDOR_ID, 2, vendor);
	cfg_put(PCI_DEVICE_ID, 2, device);
	cfg_put(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	cfg_put(PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	cfg_put(PCI_CLASS_REVISION, 4, class_code << 8 | 0x01);
	cfg_put(PCI_HEADER_TYPE, 1, header_type);
}

static void cfg_cap(unsigned off, uint8_t id, uint8_t next, uint16_t flags)
{
	cfg_put(off + PCI_CAP_LIST_ID, 1, id);
	cfg_put(off + PCI_CAP_LIST_NEXT, 1, next);
	cfg_put(off + PCI_CAP_FLAGS, 2, flags);
}

/* struct virtio_pci_cap (virtio 1.x §4.1.4), extra data left to the caller. */
static void cfg_virtio(unsigned off, uint8_t next, uint8_t cap_len, uint8_t cfg_type,
		       uint8_t bar, uint32_t offset, uint32_t length)
{
	cfg_put(off + offsetof(struct virtio_pci_cap, cap_vndr), 1, PCI_CAP_ID_VNDR);
	cfg_put(off + offsetof(struct virtio_pci_cap, cap_next), 1, next);
	cfg_put(off + offsetof(struct virtio_pci_cap, cap_len), 1, cap_len);
	cfg_put(off + offsetof(struct virtio_pci_cap, cfg_type), 1, cfg_type);
	cfg_put(off + offsetof(struct virtio_pci_cap, bar), 1, bar);
	cfg_put(off + offsetof(struct virtio_pci_cap, offset), 4, offset);
	cfg_put(off + offsetof(struct virtio_pci_cap, length), 4, length);
}

static void cfg_ext(unsigned off, uint16_t id, uint8_t version, unsigned next)
{
	cfg_put(off, 4, (uint32_t)next << 20 | (uint32_t)version << 16 | id);
}

/*
 * A modern virtio-net function laid out like the exitlab VMM's: one 64-bit
 * prefetchable BAR 4 holding every structure, MSI-X table and PBA in BAR 1,
 * and the five vendor capabilities followed by MSI-X.
 */
static void cfg_virtio_device(void)
{
	cfg_reset(VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_ID_MODERN_BASE + 1, 0x020000, 0);
	cfg_put(PCI_BASE_ADDRESS_1, 4, 0xfebd1000);
	cfg_put(PCI_BASE_ADDRESS_4, 4, 0x0000000c); /* mem64, prefetchable */
	cfg_put(PCI_BASE_ADDRESS_5, 4, 0x00000080); /* high half: 0x80_0000_0000 */
	cfg_put(PCI_SUBSYSTEM_VENDOR_ID, 2, VIRTIO_PCI_VENDOR_ID);
	cfg_put(PCI_SUBSYSTEM_ID, 2, 0x1100);
	cfg_put(PCI_CAPABILITY_LIST, 1, 0x40);
	cfg_virtio(0x40, 0x50, 16, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0000, 0x1000);
	cfg_virtio(0x50, 0x60, 16, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 0x1000);
	cfg_virtio(0x60, 0x70, 16, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x1000);
	cfg_virtio(0x70, 0x84, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000);
	cfg_put(0x70 + offsetof(struct virtio_pci_notify_cap, notify_off_multiplier), 4, 4);
	cfg_virtio(0x84, 0x98, 20, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0);
	cfg_cap(0x98, PCI_CAP_ID_MSIX, 0x00, PCI_MSIX_FLAGS_ENABLE | 0x7ff);
	cfg_put(0x98 + PCI_MSIX_TABLE, 4, 0x00000000 | 1);
	cfg_put(0x98 + PCI_MSIX_PBA, 4, 0x00008000 | 1);
}

/* --- checking -------------------------------------------------------------- */

static unsigned parse(size_t len)
{
	return pci_parse_config(cfg, len, &info);
}

/* There is an error of this code at this offset, carrying this value. */
static void expect_error(unsigned code, unsigned offset, uint32_t value)
{
	for (unsigned i = 0; i < info.nerrors; i++) {
		if (info.errors[i].code == code && info.errors[i].offset == offset) {
			assert_int_equal(info.errors[i].value, value);
			return;
		}
	}
	for (unsigned i = 0; i < info.nerrors; i++)
		print_message("# got %s at 0x%x value 0x%x\n", pci_parse_error_name(info.errors[i].code),
			      info.errors[i].offset, info.errors[i].value);
	fail_msg("no %s error at offset 0x%x", pci_parse_error_name(code), offset);
}

static const struct pci_parse_cap *cap_at(unsigned offset)
{
	for (unsigned i = 0; i < info.ncaps; i++)
		if (info.caps[i].offset == offset)
			return &info.caps[i];
	fail_msg("no capability at 0x%x", offset);
	return NULL;
}

static void expect_virtio(unsigned offset, uint8_t cfg_type, uint8_t bar, uint64_t off,
			  uint64_t length)
{
	const struct pci_parse_cap *cap = cap_at(offset);

	assert_int_equal(cap->id, PCI_CAP_ID_VNDR);
	assert_int_equal(cap->kind, PCI_PARSE_CAP_VIRTIO);
	assert_int_equal(cap->u.virtio.cfg_type, cfg_type);
	assert_int_equal(cap->u.virtio.bar, bar);
	assert_int_equal(cap->u.virtio.offset, off);
	assert_int_equal(cap->u.virtio.length, length);
}

/* --- well-formed devices ------------------------------------------------------ */

static void test_virtio_device(void **state)
{
	const struct pci_parse_cap *notify, *msix;
	uint64_t addr;

	cfg_virtio_device();
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 0);
	assert_true(info.header_valid);
	assert_int_equal(info.vendor_id, 0x1af4);
	assert_int_equal(info.device_id, 0x1041);
	assert_int_equal(info.class_code, 0x020000);
	assert_int_equal(info.revision, 1);
	assert_int_equal(info.layout, PCI_HEADER_TYPE_NORMAL);
	assert_false(info.multifunction);
	assert_int_equal(info.subsystem_vendor_id, 0x1af4);
	assert_int_equal(info.subsystem_id, 0x1100);
	assert_int_equal(info.command, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

	assert_int_equal(info.nbars, 6);
	assert_int_equal(info.bars[1].type, PCI_PARSE_BAR_MEM32);
	assert_int_equal(info.bars[1].address, 0xfebd1000);
	assert_int_equal(info.bars[4].type, PCI_PARSE_BAR_MEM64);
	assert_true(info.bars[4].prefetchable);
	assert_int_equal(info.bars[5].type, PCI_PARSE_BAR_MEM64_HI);
	assert_true(pci_parse_bar_address(&info, 4, &addr));
	assert_int_equal(addr, 0x8000000000ull);
	assert_false(pci_parse_bar_address(&info, 5, &addr));
	assert_false(pci_parse_bar_address(&info, 6, &addr));

	assert_int_equal(info.cap_ptr, 0x40);
	assert_int_equal(info.ncaps, 6);
	expect_virtio(0x40, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0000, 0x1000);
	expect_virtio(0x50, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 0x1000);
	expect_virtio(0x60, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x1000);
	expect_virtio(0x70, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000);
	expect_virtio(0x84, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0);
	assert_int_equal(cap_at(0x70)->len, 20);

	notify = pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_NOTIFY_CFG);
	assert_ptr_equal(notify, cap_at(0x70));
	assert_int_equal(notify->u.virtio.notify_off_multiplier, 4);
	assert_null(pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_SHARED_MEMORY_CFG));

	msix = pci_parse_cap_find(&info, PCI_CAP_ID_MSIX, false);
	assert_ptr_equal(msix, cap_at(0x98));
	assert_int_equal(msix->kind, PCI_PARSE_CAP_MSIX);
	assert_int_equal(msix->u.msix.table_size, 2048); /* (0x7ff & 0x7ff) + 1 */
	assert_true(msix->u.msix.enabled);
	assert_false(msix->u.msix.masked);
	assert_int_equal(msix->u.msix.table_bar, 1);
	assert_int_equal(msix->u.msix.table_offset, 0);
	assert_int_equal(msix->u.msix.pba_bar, 1);
	assert_int_equal(msix->u.msix.pba_offset, 0x8000);
	assert_null(pci_parse_cap_find(&info, PCI_CAP_ID_MSIX, true));
}

/* Only virtio devices' vendor capabilities are virtio capabilities. */
static void test_vendor_cap_of_other_device(void **state)
{
	cfg_reset(0x8086, 0x10d3, 0x020000, 0);
	cfg_put(PCI_CAPABILITY_LIST, 1, 0x40);
	cfg_cap(0x40, PCI_CAP_ID_VNDR, 0, 0);
	cfg_put(0x40 + PCI_CAP_VNDR_LEN, 1, 4); /* 4 bytes: far too short for virtio */
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 0);
	assert_int_equal(info.ncaps, 1);
	assert_int_equal(info.caps[0].kind, PCI_PARSE_CAP_PLAIN);
	assert_int_equal(info.caps[0].len, 4);
}

static void test_bridge(void **state)
{
	const struct pci_parse_cap *cap;

	cfg_reset(0x8086, 0x7c02, 0x060400, PCI_HEADER_TYPE_BRIDGE | PCI_HEADER_TYPE_MFD);
	cfg_put(PCI_BASE_ADDRESS_0, 4, 0xfe800000);
	cfg_put(PCI_BASE_ADDRESS_1, 4, 0x00001001); /* I/O at 0x1000 */
	cfg_put(PCI_PRIMARY_BUS, 1, 0);
	cfg_put(PCI_SECONDARY_BUS, 1, 1);
	cfg_put(PCI_SUBORDINATE_BUS, 1, 5);
	cfg_put(PCI_ROM_ADDRESS1, 4, 0xfe900001);
	cfg_put(PCI_CAPABILITY_LIST, 1, 0x40);
	cfg_cap(0x40, PCI_CAP_ID_EXP, 0x80, 2 | PCI_EXP_TYPE_ROOT_PORT << 4);
	cfg_cap(0x80, PCI_CAP_ID_MSI, 0x90, PCI_MSI_FLAGS_64BIT | 2 << 1 | 1 << 4);
	cfg_cap(0x90, PCI_CAP_ID_PM, 0xa0, 3);
	cfg_cap(0xa0, PCI_CAP_ID_SSVID, 0x00, 0); /* a bridge's subsystem IDs */
	cfg_put(0xa0 + PCI_SSVID_VENDOR_ID, 2, 0x8086);
	cfg_put(0xa0 + PCI_SSVID_DEVICE_ID, 2, 0x7270);

	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 0);
	assert_int_equal(info.layout, PCI_HEADER_TYPE_BRIDGE);
	assert_true(info.multifunction);
	assert_int_equal(info.header_type, 0x81);
	assert_int_equal(info.class_code, 0x060400);
	assert_int_equal(info.primary_bus, 0);
	assert_int_equal(info.secondary_bus, 1);
	assert_int_equal(info.subordinate_bus, 5);
	assert_int_equal(info.rom, 0xfe900001);
	assert_int_equal(info.nbars, 2);
	assert_int_equal(info.bars[0].type, PCI_PARSE_BAR_MEM32);
	assert_int_equal(info.bars[0].address, 0xfe800000);
	assert_int_equal(info.bars[1].type, PCI_PARSE_BAR_IO);
	assert_int_equal(info.bars[1].address, 0x1000);

	assert_true(info.has_subsystem);
	assert_int_equal(info.subsystem_vendor_id, 0x8086);
	assert_int_equal(info.subsystem_id, 0x7270);

	assert_int_equal(info.ncaps, 4);
	cap = cap_at(0x40);
	assert_int_equal(cap->kind, PCI_PARSE_CAP_EXP);
	assert_int_equal(cap->u.exp.version, 2);
	assert_int_equal(cap->u.exp.type, PCI_EXP_TYPE_ROOT_PORT);
	cap = cap_at(0x80);
	assert_int_equal(cap->kind, PCI_PARSE_CAP_MSI);
	assert_true(cap->u.msi.is_64bit);
	assert_false(cap->u.msi.per_vector_mask);
	assert_false(cap->u.msi.enabled);
	assert_int_equal(1 << cap->u.msi.multi_capable, 4);
	assert_int_equal(1 << cap->u.msi.multi_enabled, 2);
	cap = cap_at(0x90);
	assert_int_equal(cap->kind, PCI_PARSE_CAP_PM);
	assert_int_equal(cap->u.pm.version, 3);
}

static void cfg_pcie_endpoint(void)
{
	cfg_reset(0x8086, 0x10d3, 0x020000, 0);
	cfg_put(PCI_CAPABILITY_LIST, 1, 0x40);
	cfg_cap(0x40, PCI_CAP_ID_EXP, 0, 2 | PCI_EXP_TYPE_ENDPOINT << 4);
	cfg_ext(0x100, PCI_EXT_CAP_ID_ERR, 2, 0x140);
	cfg_ext(0x140, PCI_EXT_CAP_ID_SRIOV, 1, 0x180);
	cfg_ext(0x180, PCI_EXT_CAP_ID_DSN, 1, 0);
}

static void test_pcie_extended(void **state)
{
	const struct pci_parse_cap *dsn;

	cfg_pcie_endpoint();
	assert_int_equal(parse(PCI_CFG_SPACE_EXP_SIZE), 0);
	assert_int_equal(info.ncaps, 4);
	assert_false(info.caps[0].extended);
	assert_int_equal(info.caps[0].id, PCI_CAP_ID_EXP);
	assert_true(info.caps[1].extended);
	assert_int_equal(info.caps[1].offset, 0x100);
	assert_int_equal(info.caps[1].id, PCI_EXT_CAP_ID_ERR);
	assert_int_equal(info.caps[1].version, 2);
	assert_int_equal(info.caps[2].offset, 0x140);
	assert_int_equal(info.caps[2].id, PCI_EXT_CAP_ID_SRIOV);
	dsn = pci_parse_cap_find(&info, PCI_EXT_CAP_ID_DSN, true);
	assert_non_null(dsn);
	assert_int_equal(dsn->offset, 0x180);
	assert_int_equal(dsn->version, 1);
	/* ID 3 as a standard capability is VPD, not DSN: the two spaces differ. */
	assert_null(pci_parse_cap_find(&info, PCI_EXT_CAP_ID_DSN, false));

	/* Mechanism #1 sees only 256 bytes: no extended walk, no error. */
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 0);
	assert_int_equal(info.ncaps, 1);
}

/* All 48 dword slots of 0x40..0xff in one list: the most there can be. */
static void test_longest_standard_list(void **state)
{
	cfg_reset(0x8086, 0x1234, 0xff0000, 0);
	cfg_put(PCI_CAPABILITY_LIST, 1, 0x40);
	for (unsigned off = 0x40; off < 0x100; off += 4)
		cfg_cap(off, PCI_CAP_ID_DBG, off == 0xfc ? 0 : (uint8_t)(off + 4), 0);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 0);
	assert_int_equal(info.ncaps, 48);

	cfg_put(0xfc + PCI_CAP_LIST_NEXT, 1, 0x40); /* close the ring */
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	assert_int_equal(info.ncaps, 48);
	expect_error(PCI_PARSE_ERR_CAP_CYCLE, 0xfc, 0x40);
}

/* --- malformed standard capabilities ------------------------------------------ */

static void test_cap_cycle(void **state)
{
	cfg_virtio_device();
	cfg_put(0x50 + PCI_CAP_LIST_NEXT, 1, 0x40); /* isr -> common again */
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_CAP_CYCLE, 0x50, 0x40);
	assert_int_equal(info.ncaps, 2);
	expect_virtio(0x40, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0, 0x1000);
	expect_virtio(0x50, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 0x1000);

	cfg_put(0x40 + PCI_CAP_LIST_NEXT, 1, 0x40); /* a capability pointing at itself */
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_CAP_CYCLE, 0x40, 0x40);
	assert_int_equal(info.ncaps, 1);
}

static void test_cap_ptr_low(void **state)
{
	cfg_virtio_device();
	cfg_put(PCI_CAPABILITY_LIST, 1, 0x20); /* into the BARs */
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_CAP_PTR_LOW, PCI_CAPABILITY_LIST, 0x20);
	assert_int_equal(info.ncaps, 0);
	assert_int_equal(info.bars[4].type, PCI_PARSE_BAR_MEM64); /* header still decoded */

	cfg_virtio_device();
	cfg_put(0x60 + PCI_CAP_LIST_NEXT, 1, 0x3c);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_CAP_PTR_LOW, 0x60, 0x3c);
	assert_int_equal(info.ncaps, 3);
}

static void test_cap_ptr_unaligned(void **state)
{
	cfg_virtio_device();
	cfg_put(0x50 + PCI_CAP_LIST_NEXT, 1, 0x62); /* masked to 0x60 and followed */
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_CAP_PTR_UNALIGNED, 0x50, 0x62);
	assert_int_equal(info.ncaps, 6);
	expect_virtio(0x60, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x1000);

	cfg_virtio_device();
	cfg_put(PCI_CAPABILITY_LIST, 1, 0x43);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_CAP_PTR_UNALIGNED, PCI_CAPABILITY_LIST, 0x43);
	assert_int_equal(info.ncaps, 6);
}

static void test_cap_overrun(void **state)
{
	/* MSI-X needs 12 bytes: at 0xf8 it would end at 0x104. */
	cfg_virtio_device();
	cfg_put(0x84 + PCI_CAP_LIST_NEXT, 1, 0xf8);
	cfg_cap(0xf8, PCI_CAP_ID_MSIX, 0, 0x0003);
	assert_int_equal(parse(PCI_CFG_SPACE_EXP_SIZE), 1);
	expect_error(PCI_PARSE_ERR_CAP_OVERRUN, 0xf8, PCI_CAP_MSIX_SIZEOF);
	assert_int_equal(info.ncaps, 6);
	assert_int_equal(cap_at(0xf8)->kind, PCI_PARSE_CAP_PLAIN);
	assert_true(cap_at(0xf8)->malformed);
	expect_virtio(0x84, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0);

	/* A virtio capability whose cap_len crosses 0x100. */
	cfg_virtio_device();
	cfg_put(0x60 + PCI_CAP_LIST_NEXT, 1, 0xf4);
	cfg_virtio(0xf4, 0x70, 16, VIRTIO_PCI_CAP_ISR_CFG, 4, 0, 1);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_CAP_OVERRUN, 0xf4, 16);
	assert_int_equal(cap_at(0xf4)->kind, PCI_PARSE_CAP_PLAIN);
	expect_virtio(0x70, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000); /* list goes on */
}

static void test_virtio_cap_len(void **state)
{
	cfg_virtio_device();
	cfg_put(0x40 + PCI_CAP_VNDR_LEN, 1, 12); /* common: no room for offset/length */
	cfg_put(0x70 + PCI_CAP_VNDR_LEN, 1, 16); /* notify: no room for the multiplier */
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 2);
	expect_error(PCI_PARSE_ERR_VIRTIO_CAP_LEN, 0x40, 12);
	expect_error(PCI_PARSE_ERR_VIRTIO_NOTIFY_LEN, 0x70, 16);
	assert_int_equal(cap_at(0x40)->kind, PCI_PARSE_CAP_PLAIN);
	assert_true(cap_at(0x70)->malformed);
	assert_null(pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_COMMON_CFG));
	assert_null(pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_NOTIFY_CFG));
	assert_non_null(pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_ISR_CFG));
	assert_int_equal(info.ncaps, 6);
}

static void test_virtio_bar(void **state)
{
	const struct pci_parse_cap *common;

	/* A first common cfg in reserved BAR 6, then a good one: use the good one. */
	cfg_virtio_device();
	cfg_virtio(0x40, 0x50, 16, VIRTIO_PCI_CAP_COMMON_CFG, 6, 0, 0x1000);
	cfg_virtio(0x60, 0x70, 16, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0, 0x1000);
	cfg_virtio(0x84, 0x98, 20, VIRTIO_PCI_CAP_PCI_CFG, 9, 0x10, 4); /* driver-owned */
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_VIRTIO_BAR, 0x40, 6);
	assert_int_equal(cap_at(0x40)->u.virtio.bar, 6);
	common = pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_COMMON_CFG);
	assert_ptr_equal(common, cap_at(0x60));
	assert_non_null(pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_PCI_CFG));
}

static void test_virtio_overflow(void **state)
{
	const struct pci_parse_cap *shm;

	cfg_virtio_device();
	cfg_virtio(0x60, 0x70, 16, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0xfffff000, 0x2000);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_VIRTIO_OVERFLOW, 0x60, 0xfffff000);
	/* Ending exactly at 4 GiB is fine: the last byte is 0xffffffff. */
	cfg_virtio(0x60, 0x70, 16, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0xfffff000, 0x1000);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 0);

	/* Shared memory uses struct virtio_pci_cap64: 64-bit offset and length. */
	cfg_virtio(0x84, 0xa4, 24, VIRTIO_PCI_CAP_SHARED_MEMORY_CFG, 2, 0, 0);
	cfg_put(0x84 + offsetof(struct virtio_pci_cap64, offset_hi), 4, 1);
	cfg_put(0x84 + offsetof(struct virtio_pci_cap64, length_hi), 4, 2);
	cfg_cap(0xa4, PCI_CAP_ID_MSIX, 0, 0);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 0);
	shm = pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_SHARED_MEMORY_CFG);
	assert_non_null(shm);
	assert_int_equal(shm->u.virtio.offset, 0x100000000ull);
	assert_int_equal(shm->u.virtio.length, 0x200000000ull);

	cfg_put(0x84 + offsetof(struct virtio_pci_cap64, offset_hi), 4, 0xfffffffe);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 0); /* ends exactly at 2^64 */
	cfg_put(0x84 + offsetof(struct virtio_pci_cap64, offset_hi), 4, 0xffffffff);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_VIRTIO_OVERFLOW, 0x84, 0);

	cfg_put(0x84 + PCI_CAP_VNDR_LEN, 1, 16);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_VIRTIO_CAP64_LEN, 0x84, 16);
}

static void test_msix_bir(void **state)
{
	const struct pci_parse_cap *msix;

	cfg_virtio_device();
	cfg_put(0x98 + PCI_MSIX_TABLE, 4, 0x1000 | 6);
	cfg_put(0x98 + PCI_MSIX_PBA, 4, 0x2000 | 7);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 2);
	expect_error(PCI_PARSE_ERR_MSIX_BIR, 0x98, 6);
	assert_int_equal(info.errors[1].value, 7);
	msix = cap_at(0x98);
	assert_int_equal(msix->u.msix.table_offset, 0x1000);
	assert_int_equal(msix->u.msix.pba_offset, 0x2000);
	assert_int_equal(info.ncaps, 6);
}

static void test_bar64_last(void **state)
{
	cfg_virtio_device();
	cfg_put(PCI_BASE_ADDRESS_4, 4, 0);
	cfg_put(PCI_BASE_ADDRESS_5, 4, 0xfe000004); /* 64-bit, nowhere for the top */
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_BAR64_LAST, PCI_BASE_ADDRESS_5, 5);
	assert_int_equal(info.bars[5].type, PCI_PARSE_BAR_MEM64);
	assert_int_equal(info.bars[5].address, 0xfe000000);
	assert_int_equal(info.ncaps, 6); /* capabilities unaffected */

	cfg_reset(0x8086, 0x7c02, 0x060400, PCI_HEADER_TYPE_BRIDGE);
	cfg_put(PCI_BASE_ADDRESS_1, 4, 0x0000000c); /* a bridge has only two */
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_BAR64_LAST, PCI_BASE_ADDRESS_1, 1);
}

static void test_header_type(void **state)
{
	cfg_virtio_device();
	cfg_put(PCI_HEADER_TYPE, 1, 0x7f);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 1);
	expect_error(PCI_PARSE_ERR_HEADER_TYPE, PCI_HEADER_TYPE, 0x7f);
	assert_int_equal(info.nbars, 0);
	assert_int_equal(info.ncaps, 0); /* no known place for a capability pointer */

	/* CardBus keeps its capability pointer at 0x14. */
	cfg_virtio_device();
	cfg_put(PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_CARDBUS);
	cfg_put(PCI_CB_CAPABILITY_LIST, 4, 0x98);
	assert_int_equal(parse(PCI_CFG_SPACE_SIZE), 0);
	assert_int_equal(info.ncaps, 1);
	assert_int_equal(info.caps[0].id, PCI_CAP_ID_MSIX);
}

/* --- malformed extended capabilities ------------------------------------------ */

static void test_ext_ptr_low(void **state)
{
	cfg_pcie_endpoint();
	cfg_ext(0x140, PCI_EXT_CAP_ID_SRIOV, 1, 0x0c0);
	assert_int_equal(parse(PCI_CFG_SPACE_EXP_SIZE), 1);
	expect_error(PCI_PARSE_ERR_EXT_PTR_LOW, 0x140, 0x0c0);
	assert_int_equal(info.ncaps, 3);
}

static void test_ext_ptr_unaligned(void **state)
{
	cfg_pcie_endpoint();
	cfg_ext(0x100, PCI_EXT_CAP_ID_ERR, 2, 0x142);
	assert_int_equal(parse(PCI_CFG_SPACE_EXP_SIZE), 1);
	expect_error(PCI_PARSE_ERR_EXT_PTR_UNALIGNED, 0x100, 0x142);
	assert_int_equal(info.ncaps, 4);
	assert_int_equal(info.caps[3].offset, 0x180);
}

static void test_ext_cycle(void **state)
{
	cfg_pcie_endpoint();
	cfg_ext(0x180, PCI_EXT_CAP_ID_DSN, 1, 0x100);
	assert_int_equal(parse(PCI_CFG_SPACE_EXP_SIZE), 1);
	expect_error(PCI_PARSE_ERR_EXT_CYCLE, 0x180, 0x100);
	assert_int_equal(info.ncaps, 4);
	assert_true(info.caps[3].malformed);
}

/* A chain through every extended dword: the walk stops when the array is
 * full and says so; errors beyond the array are counted, not stored. */
static void test_ext_limits(void **state)
{
	cfg_pcie_endpoint();
	for (unsigned off = 0x100; off < 0x1000; off += 4)
		cfg_ext(off, PCI_EXT_CAP_ID_VNDR, 1, off + 4 < 0x1000 ? off + 4 : 0);
	assert_int_equal(parse(PCI_CFG_SPACE_EXP_SIZE), 1);
	assert_int_equal(info.ncaps, PCI_PARSE_MAX_CAPS);
	expect_error(PCI_PARSE_ERR_CAP_TOO_MANY, 0x100 + 4 * (PCI_PARSE_MAX_CAPS - 1),
		     PCI_PARSE_MAX_CAPS);

	/* 40 misaligned pointers in a row: 40 errors, 32 kept. */
	cfg_pcie_endpoint();
	for (unsigned i = 0, off = 0x100; i <= 40; i++, off += 4)
		cfg_ext(off, PCI_EXT_CAP_ID_VNDR, 1, i == 40 ? 0 : off + 4 + 1);
	assert_int_equal(parse(PCI_CFG_SPACE_EXP_SIZE), 40);
	assert_int_equal(info.nerrors, PCI_PARSE_MAX_ERRORS);
	assert_int_equal(info.errors_dropped, 40 - PCI_PARSE_MAX_ERRORS);
	assert_int_equal(info.ncaps, 1 + 41);
}

/* --- short and odd lengths ------------------------------------------------------ */

/* Parse the first len bytes of cfg from a heap block of exactly len bytes. */
static unsigned parse_exact(size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	unsigned n;

	assert_non_null(copy);
	memcpy(copy, cfg, len);
	n = pci_parse_config(copy, len, &info);
	free(copy);
	return n;
}

static void test_truncated(void **state)
{
	static const size_t too_short[] = { 0, 1, 4, 63 };

	cfg_virtio_device();
	for (size_t i = 0; i < sizeof(too_short) / sizeof(too_short[0]); i++) {
		assert_int_equal(parse_exact(too_short[i]), 1);
		expect_error(PCI_PARSE_ERR_CONFIG_SHORT, 0, (uint32_t)too_short[i]);
		assert_false(info.header_valid);
		assert_int_equal(info.ncaps, 0);
	}
	assert_int_equal(pci_parse_config(NULL, 4096, &info), 1);
	expect_error(PCI_PARSE_ERR_CONFIG_SHORT, 0, 0);

	/* lspci -x: the header, and a list that starts beyond it. */
	assert_int_equal(parse_exact(64), 1);
	assert_true(info.header_valid);
	assert_int_equal(info.device_id, 0x1041);
	assert_int_equal(info.bars[4].type, PCI_PARSE_BAR_MEM64);
	expect_error(PCI_PARSE_ERR_CAP_NOT_CAPTURED, 0x40, 0x44);
	assert_int_equal(info.ncaps, 0);

	/* 255 bytes: odd length; a capability needing byte 0xff is not there. */
	cfg_put(0x98 + PCI_CAP_LIST_NEXT, 1, 0xf0);
	cfg_virtio(0xf0, 0, 16, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0, 4);
	assert_int_equal(parse_exact(255), 2);
	expect_error(PCI_PARSE_ERR_CONFIG_LENGTH, 0, 255);
	expect_error(PCI_PARSE_ERR_CAP_NOT_CAPTURED, 0xf0, 0x100);
	assert_int_equal(info.ncaps, 7);
	assert_int_equal(parse_exact(256), 0);

	/* Between 256 and 4096 there is no extended walk; above, it is clamped. */
	cfg_pcie_endpoint();
	assert_int_equal(parse_exact(4095), 1);
	assert_int_equal(info.ncaps, 1);
	assert_int_equal(pci_parse_config(cfg, 1u << 20, &info), 1); /* len is clamped first */
	expect_error(PCI_PARSE_ERR_CONFIG_LENGTH, 0, 1u << 20);
	assert_int_equal(info.len, 4096);
	assert_int_equal(info.ncaps, 4);
}

/* --- names and small helpers ---------------------------------------------------- */

static void test_names(void **state)
{
	for (unsigned i = 0; i < PCI_PARSE_ERR_COUNT; i++) {
		assert_string_not_equal(pci_parse_error_name(i), "unknown-error");
		assert_string_not_equal(pci_parse_error_text(i), "unknown error code");
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(pci_parse_error_name(i), pci_parse_error_name(j));
	}
	assert_string_equal(pci_parse_error_name(PCI_PARSE_ERR_COUNT), "unknown-error");
	assert_string_equal(pci_parse_error_name(PCI_PARSE_ERR_CAP_CYCLE), "cap-cycle");
	assert_string_equal(pci_parse_cap_name(PCI_CAP_ID_MSIX, false), "MSI-X");
	assert_string_equal(pci_parse_cap_name(PCI_EXT_CAP_ID_ERR, true), "Advanced Error Reporting");
	assert_string_equal(pci_parse_cap_name(0xff, false), "unknown");
	assert_string_equal(pci_parse_cap_name(0xffff, true), "unknown");
	assert_string_equal(pci_parse_virtio_cfg_name(VIRTIO_PCI_CAP_NOTIFY_CFG), "notify");
	assert_string_equal(pci_parse_virtio_cfg_name(7), "reserved");
	assert_string_equal(pci_parse_bar_type_name(PCI_PARSE_BAR_MEM64_HI), "mem64-upper");
}

static void test_bar_decode(void **state)
{
	assert_int_equal(pci_parse_bar_decode(0x00000000), PCI_PARSE_BAR_MEM32);
	assert_int_equal(pci_parse_bar_decode(0xfe000008), PCI_PARSE_BAR_MEM32);
	assert_int_equal(pci_parse_bar_decode(0x0000000c), PCI_PARSE_BAR_MEM64);
	assert_int_equal(pci_parse_bar_decode(0x000c0002), PCI_PARSE_BAR_MEM1M);
	assert_int_equal(pci_parse_bar_decode(0x00000006), PCI_PARSE_BAR_MEM_RESERVED);
	assert_int_equal(pci_parse_bar_decode(0x0000c001), PCI_PARSE_BAR_IO);
	assert_int_equal(pci_parse_bar_decode(0xffffffff), PCI_PARSE_BAR_IO);
}

/* --- the recorded corpus -------------------------------------------------------- */

/* Read a corpus file into cfg (main() registered the case: the corpus is there). */
static size_t corpus_load(const char *name)
{
	FILE *f = fopen(name, "rb");
	size_t n;

	if (!f) {
		fail_msg("%s: not found, though " CORPUS " is there (run from the repository root)", name);
	}
	n = fread(cfg, 1, sizeof(cfg), f);
	fclose(f);
	return n;
}

/* BAR sizes from a sysfs resource file ("start end flags", BARs first). */
static void corpus_bar_sizes(const char *name, uint64_t size[6])
{
	FILE *f = fopen(name, "r");
	unsigned long long start, end, flags;

	memset(size, 0, 6 * sizeof(size[0]));
	assert_non_null(f);
	for (int i = 0; i < 6 && fscanf(f, "%llx %llx %llx", &start, &end, &flags) == 3; i++)
		size[i] = end > start ? end - start + 1 : 0;
	fclose(f);
}

/* The structure lies inside its BAR, which is a memory BAR of the device. */
static void expect_in_bar(const uint64_t size[6], unsigned bar, uint64_t offset, uint64_t length)
{
	assert_in_range(bar, 0, 5);
	assert_int_not_equal(info.bars[bar].type, PCI_PARSE_BAR_MEM64_HI);
	assert_int_not_equal(info.bars[bar].type, PCI_PARSE_BAR_IO);
	assert_true(offset + length <= size[bar]);
}

/*
 * What the virtio spec requires of a modern device (virtio 1.x §4.1.2,
 * §4.1.4.x), checked on a recorded one whose virtio device ID is dev_id.
 */
static void check_corpus_virtio(const char *base, unsigned dev_id, uint8_t class_base)
{
	char path[256];
	uint64_t size[6];
	const struct pci_parse_cap *cap, *msix;
	uint32_t mult;

	snprintf(path, sizeof(path), CORPUS "%s.config.bin", base);
	assert_int_equal(corpus_load(path), PCI_CFG_SPACE_SIZE);
	snprintf(path, sizeof(path), CORPUS "%s.resource.txt", base);
	corpus_bar_sizes(path, size);

	assert_int_equal(pci_parse_config(cfg, PCI_CFG_SPACE_SIZE, &info), 0);
	assert_int_equal(info.vendor_id, VIRTIO_PCI_VENDOR_ID);
	assert_int_equal(info.device_id, VIRTIO_PCI_DEVICE_ID_MODERN_BASE + dev_id);
	assert_true(info.revision >= 1); /* non-transitional: revision 1 or higher */
	assert_true(info.subsystem_id >= 0x40);
	assert_int_equal(info.class_code >> 16, class_base);
	assert_int_equal(info.layout, PCI_HEADER_TYPE_NORMAL);
	assert_true(info.status & PCI_STATUS_CAP_LIST);
	assert_int_equal(info.caps[0].offset, cfg[PCI_CAPABILITY_LIST]);

	/* The device MUST present common, notify, ISR and PCI-cfg capabilities. */
	cap = pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_COMMON_CFG);
	assert_non_null(cap);
	assert_true(cap->u.virtio.length >= VIRTIO_PCI_COMMON_CFG_V1_0_SIZE);
	expect_in_bar(size, cap->u.virtio.bar, cap->u.virtio.offset, cap->u.virtio.length);

	cap = pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_NOTIFY_CFG);
	assert_non_null(cap);
	assert_true(cap->len >= sizeof(struct virtio_pci_notify_cap));
	mult = cap->u.virtio.notify_off_multiplier;
	assert_true(mult == 0 || ((mult & (mult - 1)) == 0 && mult % 2 == 0)); /* even power of 2 */
	assert_int_equal(cap->u.virtio.offset % 2, 0);
	assert_true(cap->u.virtio.length >= 2);
	expect_in_bar(size, cap->u.virtio.bar, cap->u.virtio.offset, cap->u.virtio.length);

	cap = pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_ISR_CFG);
	assert_non_null(cap);
	assert_true(cap->u.virtio.length >= 1);
	expect_in_bar(size, cap->u.virtio.bar, cap->u.virtio.offset, cap->u.virtio.length);

	cap = pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_DEVICE_CFG);
	assert_non_null(cap); /* both blk and net have device-specific config */
	assert_int_equal(cap->u.virtio.offset % 4, 0);
	expect_in_bar(size, cap->u.virtio.bar, cap->u.virtio.offset, cap->u.virtio.length);

	cap = pci_parse_virtio_find(&info, VIRTIO_PCI_CAP_PCI_CFG);
	assert_non_null(cap);
	assert_true(cap->len >= sizeof(struct virtio_pci_cfg_cap));

	/* MSI-X table (16 bytes a vector) and PBA (1 bit a vector) fit their BARs. */
	msix = pci_parse_cap_find(&info, PCI_CAP_ID_MSIX, false);
	assert_non_null(msix);
	assert_true(msix->u.msix.table_size >= 1);
	expect_in_bar(size, msix->u.msix.table_bar, msix->u.msix.table_offset,
		      (uint64_t)msix->u.msix.table_size * PCI_MSIX_ENTRY_SIZE);
	expect_in_bar(size, msix->u.msix.pba_bar, msix->u.msix.pba_offset,
		      (msix->u.msix.table_size + 63) / 64 * 8);
}

static void test_corpus_virtio_blk(void **state)
{
	check_corpus_virtio("0000_00_02.0", 2, 0x01); /* block device, mass storage */
}

static void test_corpus_virtio_net(void **state)
{
	check_corpus_virtio("0000_00_03.0", 1, 0x02); /* network device, network class */
}

static void test_corpus_host_bridge(void **state)
{
	assert_int_equal(corpus_load(CORPUS "0000_00_00.0.config.bin"), PCI_CFG_SPACE_EXP_SIZE);
	assert_int_equal(pci_parse_config(cfg, PCI_CFG_SPACE_EXP_SIZE, &info), 0);
	assert_int_equal(info.vendor_id, 0x8086);
	assert_int_equal(info.class_code >> 8, 0x0600); /* bridge, host bridge */
	assert_int_equal(info.layout, PCI_HEADER_TYPE_NORMAL);
	assert_false(info.status & PCI_STATUS_CAP_LIST);
	assert_int_equal(info.ncaps, 0); /* and 0x100 holds 0: no extended list */
}

#define NO_CORPUS CORPUS " is not there: ../shared, beside the checkout, is the project's shared folder"

int main(void)
{
	bool corpus = access(CORPUS, R_OK | X_OK) == 0;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virtio_device),
		cmocka_unit_test(test_vendor_cap_of_other_device),
		cmocka_unit_test(test_bridge),
		cmocka_unit_test(test_pcie_extended),
		cmocka_unit_test(test_longest_standard_list),
		cmocka_unit_test(test_cap_cycle),
		cmocka_unit_test(test_cap_ptr_low),
		cmocka_unit_test(test_cap_ptr_unaligned),
		cmocka_unit_test(test_cap_overrun),
		cmocka_unit_test(test_virtio_cap_len),
		cmocka_unit_test(test_virtio_bar),
		cmocka_unit_test(test_virtio_overflow),
		cmocka_unit_test(test_msix_bir),
		cmocka_unit_test(test_bar64_last),
		cmocka_unit_test(test_header_type),
		cmocka_unit_test(test_ext_ptr_low),
		cmocka_unit_test(test_ext_ptr_unaligned),
		cmocka_unit_test(test_ext_cycle),
		cmocka_unit_test(test_ext_limits),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bar_decode),
		TAP_UNIT_TEST_IF(corpus, test_corpus_virtio_blk, NO_CORPUS),
		TAP_UNIT_TEST_IF(corpus, test_corpus_virtio_net, NO_CORPUS),
		TAP_UNIT_TEST_IF(corpus, test_corpus_host_bridge, NO_CORPUS),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
