/*
 * test_guest_pci_alloc.c - the guest's BAR allocator (guest/pci_alloc.c)
 * on the host: BARs placed in their windows, aligned to their size, above
 * firmware's; 64-bit BARs given both halves; a bridge's subtree placed in
 * one stretch with its windows opened over it; and the refusals: no room,
 * a BAR that does not keep its address, BARs over RAM or ECAM (forgotten
 * and placed afresh), windows with RAM, ECAM and the memory map carved out;
 * and bridge windows read back: over RAM, ECAM or a window of a bridge
 * beside them said, nested ones not, and nothing placed inside them.
 *
 * pci_alloc.c is compiled in, as test_guest_virtio_drv.c does with
 * virtio_drv.c, its printf captured (guest_printf.h). It reaches the machine
 * only through pci_cfg_*(), which this file provides over a small model of
 * config space: 256 bytes a function, BARs that keep only the address bits
 * their size allows (a read-only one none) and read their type bits in the
 * rest, all else plain memory. Each test checks what the allocator decided
 * (the table) and what it wrote (the model).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "guest_libc_rename.h"
#define printf(...) guest_printf(__VA_ARGS__) /* function-like: format(printf) stays */
#include "../../guest/pci_alloc.c"
#include "guest_libc_unrename.h"
#undef printf
#undef assert
#undef panic

/* --- the config-space model ------------------------------------------------ */

#define MODEL_FUNCS 8

static struct model_fn {
	uint16_t bdf;
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	uint32_t bar_keeps[PCI_STD_NUM_BARS]; /* the bits of each BAR register a write sets */
	uint32_t bar_fixed[PCI_STD_NUM_BARS]; /* and what the others read: the type bits */
} model[MODEL_FUNCS];
static unsigned nmodel;

#include "guest_printf.h" /* guest_out: everything the allocator printed */

static struct model_fn *model_find(uint16_t bdf)
{
	for (unsigned i = 0; i < nmodel; i++)
		if (model[i].bdf == bdf)
			return &model[i];
	return NULL;
}

static uint32_t model_read(uint16_t bdf, uint16_t off, unsigned size)
{
	struct model_fn *m = model_find(bdf);
	uint32_t v = 0;

	assert_true(off % size == 0 && off + size <= PCI_CFG_SPACE_SIZE);
	if (!m)
		return size == 4 ? 0xffffffff : (1u << 8 * size) - 1;
	memcpy(&v, m->cfg + off, size);
	return v;
}

static void model_write(uint16_t bdf, uint16_t off, unsigned size, uint32_t v)
{
	struct model_fn *m = model_find(bdf);

	assert_true(off % size == 0 && off + size <= PCI_CFG_SPACE_SIZE);
	assert_non_null(m); /* the allocator writes only to functions it was given */
	if (off >= PCI_BASE_ADDRESS_0 && off < PCI_BASE_ADDRESS_0 + 4 * PCI_STD_NUM_BARS &&
	    !((m->cfg[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE &&
	      off >= PCI_BASE_ADDRESS_0 + 4 * PCI_BRIDGE_NUM_BARS)) {
		assert_int_equal(size, 4); /* BARs are written whole */
		unsigned i = (off - PCI_BASE_ADDRESS_0) / 4;
		v = (v & m->bar_keeps[i]) | m->bar_fixed[i];
	}
	memcpy(m->cfg + off, &v, size);
}

uint32_t pci_cfg_read32(uint16_t bdf, uint16_t off) { return model_read(bdf, off, 4); }
uint16_t pci_cfg_read16(uint16_t bdf, uint16_t off) { return (uint16_t)model_read(bdf, off, 2); }
uint8_t pci_cfg_read8(uint16_t bdf, uint16_t off) { return (uint8_t)model_read(bdf, off, 1); }
void pci_cfg_write32(uint16_t bdf, uint16_t off, uint32_t v) { model_write(bdf, off, 4, v); }
void pci_cfg_write16(uint16_t bdf, uint16_t off, uint16_t v) { model_write(bdf, off, 2, v); }
void pci_cfg_write8(uint16_t bdf, uint16_t off, uint8_t v) { model_write(bdf, off, 1, v); }

static uint32_t cfg32(uint16_t bdf, uint16_t off) { return model_read(bdf, off, 4); }
static uint16_t cfg16(uint16_t bdf, uint16_t off) { return (uint16_t)model_read(bdf, off, 2); }
static uint8_t cfg8(uint16_t bdf, uint16_t off) { return (uint8_t)model_read(bdf, off, 1); }

/* --- the table, as the walk (pci_walk.c) leaves it ----------------------------- */

static struct pci_func funcs[MODEL_FUNCS];
static unsigned nfuncs;

/* A function in the table and in the model; header type 0 or 1. */
static struct pci_func *fn_add(uint16_t bdf, uint8_t header_type)
{
	struct pci_func *f = &funcs[nfuncs++];
	struct model_fn *m = &model[nmodel++];

	*f = (struct pci_func){ .bdf = bdf, .vendor_id = 0x1234, .device_id = 0x5678, .header_type = header_type,
				.nbars = header_type == PCI_HEADER_TYPE_BRIDGE ? PCI_BRIDGE_NUM_BARS : PCI_STD_NUM_BARS,
				.subtree_end = (uint8_t)nfuncs };
	m->bdf = bdf;
	m->cfg[PCI_HEADER_TYPE] = header_type;
	return f;
}

/* BAR i of f: its sized type and size, the address firmware left (0: none),
 * and the register's bits as the device has them. A 64-bit BAR takes i + 1
 * too, as its upper half. */
static void bar_set(struct pci_func *f, unsigned i, enum pci_parse_bar_type type, uint64_t size, uint64_t addr)
{
	struct model_fn *m = model_find(f->bdf);
	uint32_t flags = type == PCI_PARSE_BAR_IO      ? PCI_BASE_ADDRESS_SPACE_IO
			 : type == PCI_PARSE_BAR_MEM64 ? PCI_BASE_ADDRESS_MEM_TYPE_64
						       : PCI_BASE_ADDRESS_MEM_TYPE_32;
	uint32_t lo = (uint32_t)addr | flags, hi = (uint32_t)(addr >> 32);

	f->bars[i] = (struct pci_bar){ .addr = addr, .size = size, .type = (uint8_t)type };
	m->bar_keeps[i] = (uint32_t)~(size - 1) & (type == PCI_PARSE_BAR_IO ? PCI_BASE_ADDRESS_IO_MASK
									      : PCI_BASE_ADDRESS_MEM_MASK);
	m->bar_fixed[i] = flags;
	memcpy(m->cfg + PCI_BASE_ADDRESS_0 + 4 * i, &lo, 4);
	if (type == PCI_PARSE_BAR_MEM64) {
		f->bars[i + 1] = (struct pci_bar){ .type = PCI_PARSE_BAR_MEM64_HI };
		m->bar_keeps[i + 1] = (uint32_t)~((size - 1) >> 32);
		memcpy(m->cfg + PCI_BASE_ADDRESS_0 + 4 * (i + 1), &hi, 4);
	}
}

/* The low 64 MiB of RAM and an ECAM window of one bus at 0xb0000000, as
 * the exitlab VMM's memory map has them. */
static struct hvm_memmap_table_entry memmap[8] = {
	{ .addr = 0, .size = 0xa0000, .type = HVM_MEMMAP_TYPE_RAM },
	{ .addr = 0xa0000, .size = 0x60000, .type = HVM_MEMMAP_TYPE_RESERVED },
	{ .addr = 0x100000, .size = 0x3f00000, .type = HVM_MEMMAP_TYPE_RAM },
	{ .addr = 0xb0000000, .size = 0x100000, .type = HVM_MEMMAP_TYPE_RESERVED },
};
static struct pci_alloc_map map;
static struct pci_alloc_result res;

static int setup(void **state)
{
	memset(model, 0, sizeof(model));
	memset(funcs, 0, sizeof(funcs));
	nmodel = nfuncs = 0;
	guest_out_clear();
	map = (struct pci_alloc_map){ .mem_start = PCI_ALLOC_MEM_START, .mem_end = PCI_ALLOC_MEM_END,
				      .io_start = PCI_ALLOC_IO_START, .io_end = PCI_ALLOC_IO_END,
				      .have_ecam = true, .ecam_start = 0xb0000000, .ecam_end = 0xb0100000,
				      .memmap = memmap, .memmap_entries = 4 };
	return 0;
}

static void run(void) { pci_alloc_assign(funcs, nfuncs, &map, &res); }

static void printed(const char *line)
{
	if (!strstr(guest_out, line))
		fail_msg("no line '%s' in:\n%s", line, guest_out);
}

/* --- the tests ------------------------------------------------------------------ */

/* Each BAR at the next address of its window aligned to its size; what is
 * written is what the table says; decoding of both kinds turned on. */
static void test_windows_and_alignment(void **state)
{
	struct pci_func *f = fn_add(PCI_BDF(0, 1, 0), PCI_HEADER_TYPE_NORMAL);
	bar_set(f, 0, PCI_PARSE_BAR_MEM32, 0x1000, 0);
	bar_set(f, 1, PCI_PARSE_BAR_MEM32, 0x10000, 0); /* aligned up past the first */
	bar_set(f, 2, PCI_PARSE_BAR_IO, 0x20, 0);
	bar_set(f, 3, PCI_PARSE_BAR_IO, 0x100, 0);
	run();
	assert_int_equal(res.assigned, 4);
	assert_int_equal(res.failed, 0);
	assert_int_equal(f->bars[0].addr, 0xc0000000);
	assert_int_equal(f->bars[1].addr, 0xc0010000);
	assert_int_equal(f->bars[2].addr, 0xc000);
	assert_int_equal(f->bars[3].addr, 0xc100);
	for (unsigned i = 0; i < 4; i++) {
		assert_true(f->bars[i].assigned);
		assert_int_equal(f->bars[i].addr % f->bars[i].size, 0);
	}
	assert_int_equal(cfg32(f->bdf, PCI_BASE_ADDRESS_0), 0xc0000000);
	assert_int_equal(cfg32(f->bdf, PCI_BASE_ADDRESS_1), 0xc0010000);
	assert_int_equal(cfg32(f->bdf, PCI_BASE_ADDRESS_2), 0xc000 | PCI_BASE_ADDRESS_SPACE_IO);
	assert_int_equal(cfg32(f->bdf, PCI_BASE_ADDRESS_3), 0xc100 | PCI_BASE_ADDRESS_SPACE_IO);
	assert_int_equal(cfg16(f->bdf, PCI_COMMAND), PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(res.mem_next, 0xc0020000);
	assert_int_equal(res.mem_end, PCI_ALLOC_MEM_END);
	assert_int_equal(res.io_next, 0xc200);
	printed("pci: assigned 4 BARs (0 failed) from mem 0xc0020000-0xfec00000, io 0xc200-0x10000\n");
}

/* Firmware's BARs stay where they are, and the window starts above the
 * highest of them inside it; one outside the window does not move it. */
static void test_firmware_bars_kept(void **state)
{
	struct pci_func *a = fn_add(PCI_BDF(0, 1, 0), PCI_HEADER_TYPE_NORMAL);
	struct pci_func *b = fn_add(PCI_BDF(0, 2, 0), PCI_HEADER_TYPE_NORMAL);
	bar_set(a, 0, PCI_PARSE_BAR_MEM32, 0x4000, 0xc0100000);
	bar_set(a, 1, PCI_PARSE_BAR_MEM32, 0x1000, 0x80000000); /* below the window: not RAM, kept */
	bar_set(a, 2, PCI_PARSE_BAR_IO, 0x40, 0xd000);
	bar_set(b, 0, PCI_PARSE_BAR_MEM32, 0x1000, 0);
	bar_set(b, 1, PCI_PARSE_BAR_IO, 0x40, 0);
	run();
	assert_int_equal(res.assigned, 2);
	assert_int_equal(a->bars[0].addr, 0xc0100000);
	assert_int_equal(a->bars[1].addr, 0x80000000);
	assert_int_equal(a->bars[2].addr, 0xd000);
	assert_false(a->bars[0].assigned || a->bars[1].assigned || a->bars[2].assigned);
	assert_int_equal(cfg16(a->bdf, PCI_COMMAND), 0); /* firmware's decoding is firmware's */
	assert_int_equal(b->bars[0].addr, 0xc0104000);
	assert_int_equal(b->bars[1].addr, 0xd040);
	assert_int_equal(cfg32(b->bdf, PCI_BASE_ADDRESS_0), 0xc0104000);
}

/* A 64-bit BAR: both dwords written, the upper half (0 below 4 GiB) too;
 * the upper half is never placed on its own. */
static void test_bar64(void **state)
{
	struct pci_func *f = fn_add(PCI_BDF(0, 3, 0), PCI_HEADER_TYPE_NORMAL);
	bar_set(f, 0, PCI_PARSE_BAR_MEM64, 0x100000, 0);
	bar_set(f, 2, PCI_PARSE_BAR_MEM64, 0x4000, 0);
	model_find(f->bdf)->cfg[PCI_BASE_ADDRESS_3] = 0xaa; /* stale upper half: must be cleared */
	run();
	assert_int_equal(res.assigned, 2);
	assert_int_equal(f->bars[0].addr, 0xc0000000);
	assert_int_equal(f->bars[2].addr, 0xc0100000);
	assert_false(f->bars[1].assigned || f->bars[3].assigned);
	assert_int_equal(cfg32(f->bdf, PCI_BASE_ADDRESS_0), 0xc0000000 | PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(cfg32(f->bdf, PCI_BASE_ADDRESS_1), 0);
	assert_int_equal(cfg32(f->bdf, PCI_BASE_ADDRESS_2), 0xc0100000 | PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(cfg32(f->bdf, PCI_BASE_ADDRESS_3), 0);
	assert_int_equal(cfg16(f->bdf, PCI_COMMAND), PCI_COMMAND_MEMORY);
}

/* A 64-bit BAR whose upper half does not read back 0, and a BAR that keeps
 * no address bits at all: both left unassigned, said, counted as failed. */
static void test_bar_that_does_not_keep_its_address(void **state)
{
	struct pci_func *f = fn_add(PCI_BDF(0, 4, 0), PCI_HEADER_TYPE_NORMAL);
	bar_set(f, 0, PCI_PARSE_BAR_MEM64, 0x1000, 0);
	model_find(f->bdf)->bar_keeps[1] = 0; /* reads 1, whatever is written */
	model_find(f->bdf)->bar_fixed[1] = 1;
	bar_set(f, 2, PCI_PARSE_BAR_MEM32, 0x1000, 0);
	model_find(f->bdf)->bar_keeps[2] = 0;
	run();
	assert_int_equal(res.assigned, 0);
	assert_int_equal(res.failed, 2);
	assert_int_equal(f->bars[0].addr, 0);
	assert_int_equal(f->bars[2].addr, 0);
	assert_int_equal(cfg16(f->bdf, PCI_COMMAND), 0);
	printed("error: pci 00:04.0: bar0 reads 0x1c0000000 after we wrote 0xc0000000: left unassigned\n");
	printed("error: pci 00:04.0: bar2 reads 0x0 after we wrote 0xc0001000: left unassigned\n");
}

/* Behind a bridge, in one stretch on 1 MiB (memory) and 4 KiB (I/O)
 * granules, the bridge's windows opened over it, its never-programmed
 * prefetchable window closed; the next function after the subtree starts
 * after the stretch. A bridge with nothing placed behind it opens no
 * window, but still masters the bus for its subtree. */
static void test_bridge_windows(void **state)
{
	struct pci_func *br = fn_add(PCI_BDF(0, 1, 0), PCI_HEADER_TYPE_BRIDGE);
	struct pci_func *ep = fn_add(PCI_BDF(1, 0, 0), PCI_HEADER_TYPE_NORMAL);
	br->subtree_end = (uint8_t)nfuncs;
	br->secondary = br->subordinate = 1;
	bar_set(ep, 0, PCI_PARSE_BAR_MEM32, 0x1000, 0);
	bar_set(ep, 1, PCI_PARSE_BAR_IO, 0x10, 0);
	struct pci_func *after = fn_add(PCI_BDF(0, 2, 0), PCI_HEADER_TYPE_NORMAL);
	bar_set(after, 0, PCI_PARSE_BAR_MEM32, 0x1000, 0);
	bar_set(after, 1, PCI_PARSE_BAR_IO, 0x10, 0);
	struct pci_func *empty = fn_add(PCI_BDF(0, 3, 0), PCI_HEADER_TYPE_BRIDGE);
	struct pci_func *ep2 = fn_add(PCI_BDF(2, 0, 0), PCI_HEADER_TYPE_NORMAL);
	empty->subtree_end = (uint8_t)nfuncs;
	bar_set(ep2, 0, PCI_PARSE_BAR_MEM32, 0x1000, 0x80000000); /* firmware's, outside the window */
	/* br's prefetchable window is 64-bit: never programmed, base and limit
	 * read 0x0001, the type bits alone; it must be closed all the same. */
	model_write(br->bdf, PCI_PREF_MEMORY_BASE, 2, 0x0001);
	model_write(br->bdf, PCI_PREF_MEMORY_LIMIT, 2, 0x0001);
	run();

	assert_int_equal(res.assigned, 4);
	assert_int_equal(ep->bars[0].addr, 0xc0000000);
	assert_int_equal(ep->bars[1].addr, 0xc000);
	assert_int_equal(cfg16(br->bdf, PCI_MEMORY_BASE), 0xc000);
	assert_int_equal(cfg16(br->bdf, PCI_MEMORY_LIMIT), 0xc000); /* [0xc0000000, 0xc00fffff] */
	assert_int_equal(cfg8(br->bdf, PCI_IO_BASE), 0xc0);
	assert_int_equal(cfg8(br->bdf, PCI_IO_LIMIT), 0xc0); /* [0xc000, 0xcfff] */
	assert_int_equal(cfg16(br->bdf, PCI_IO_BASE_UPPER16), 0);
	assert_int_equal(cfg16(br->bdf, PCI_PREF_MEMORY_BASE), 0xfff0); /* closed: base above limit */
	assert_int_equal(cfg16(br->bdf, PCI_PREF_MEMORY_LIMIT), 0);
	assert_int_equal(cfg16(br->bdf, PCI_COMMAND), PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(cfg16(ep->bdf, PCI_COMMAND), PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	/* After the stretch, not inside it. */
	assert_int_equal(after->bars[0].addr, 0xc0100000);
	assert_int_equal(after->bars[1].addr, 0xd000);
	/* The bridge with firmware's device behind: master, no window. */
	assert_int_equal(cfg16(empty->bdf, PCI_COMMAND), PCI_COMMAND_MASTER);
	assert_int_equal(cfg16(empty->bdf, PCI_MEMORY_BASE), 0);
	assert_int_equal(cfg16(empty->bdf, PCI_MEMORY_LIMIT), 0);
}

/* A window firmware had opened is widened to cover both. */
static void test_bridge_window_merged(void **state)
{
	struct pci_func *br = fn_add(PCI_BDF(0, 1, 0), PCI_HEADER_TYPE_BRIDGE);
	struct pci_func *ep = fn_add(PCI_BDF(1, 0, 0), PCI_HEADER_TYPE_NORMAL);
	br->subtree_end = (uint8_t)nfuncs;
	uint16_t base = 0xe000, limit = 0xe010; /* firmware's [0xe0000000, 0xe01fffff] */
	memcpy(model_find(br->bdf)->cfg + PCI_MEMORY_BASE, &base, 2);
	memcpy(model_find(br->bdf)->cfg + PCI_MEMORY_LIMIT, &limit, 2);
	bar_set(ep, 0, PCI_PARSE_BAR_MEM32, 0x1000, 0);
	run();
	assert_int_equal(ep->bars[0].addr, 0xc0000000);
	assert_int_equal(cfg16(br->bdf, PCI_MEMORY_BASE), 0xc000);
	assert_int_equal(cfg16(br->bdf, PCI_MEMORY_LIMIT), 0xe010);
}

/* Firmware's BARs over RAM or over the ECAM window are forgotten (said)
 * and placed afresh in the window; one over the legacy hole, which is not
 * RAM, stays. */
static void test_refuses_ram_and_ecam(void **state)
{
	struct pci_func *f = fn_add(PCI_BDF(0, 1, 0), PCI_HEADER_TYPE_NORMAL);
	bar_set(f, 0, PCI_PARSE_BAR_MEM32, 0x100000, 0x100000);  /* RAM */
	bar_set(f, 1, PCI_PARSE_BAR_MEM32, 0x1000, 0x3fff000);  /* the last page of RAM */
	bar_set(f, 2, PCI_PARSE_BAR_MEM32, 0x1000, 0xb0000000); /* ECAM */
	bar_set(f, 3, PCI_PARSE_BAR_MEM32, 0x1000, 0xb00ff000); /* the last page of ECAM */
	bar_set(f, 4, PCI_PARSE_BAR_MEM32, 0x1000, 0xa0000);    /* the legacy hole: reserved, kept */
	run();
	printed("error: pci 00:01.0: bar0 at 0x100000/0x100000 overlaps RAM: not used there, reassigned\n");
	printed("error: pci 00:01.0: bar1 at 0x3fff000/0x1000 overlaps RAM");
	printed("error: pci 00:01.0: bar2 at 0xb0000000/0x1000 overlaps the ECAM window");
	printed("error: pci 00:01.0: bar3 at 0xb00ff000/0x1000 overlaps the ECAM window");
	assert_int_equal(res.assigned, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_true(f->bars[i].assigned);
		assert_true(f->bars[i].addr >= PCI_ALLOC_MEM_START && f->bars[i].addr < PCI_ALLOC_MEM_END);
		assert_int_equal(cfg32(f->bdf, (uint16_t)(PCI_BASE_ADDRESS_0 + 4 * i)), f->bars[i].addr);
	}
	assert_int_equal(f->bars[0].addr, 0xc0000000);
	assert_int_equal(f->bars[4].addr, 0xa0000);
	assert_false(f->bars[4].assigned);
}

/* The window has RAM, ECAM and reserved ranges carved out of it, keeping
 * the larger part: RAM reaching into its bottom raises its start, a
 * reserved range near its top lowers its end, ECAM inside it the same. */
static void test_window_carved(void **state)
{
	memmap[4] = (struct hvm_memmap_table_entry){ .addr = 0x4000000, .size = 0xc0000000 - 0x4000000 + 0x10000000,
						     .type = HVM_MEMMAP_TYPE_RAM }; /* RAM up to 0xd0000000 */
	memmap[5] = (struct hvm_memmap_table_entry){ .addr = 0xf0000000, .size = 0x1000000,
						     .type = HVM_MEMMAP_TYPE_RESERVED };
	map.memmap_entries = 6;
	map.ecam_start = 0xe0000000;
	map.ecam_end = 0xf0000000;
	struct pci_func *f = fn_add(PCI_BDF(0, 1, 0), PCI_HEADER_TYPE_NORMAL);
	bar_set(f, 0, PCI_PARSE_BAR_MEM32, 0x1000, 0);
	run();
	assert_int_equal(f->bars[0].addr, 0xd0000000);
	assert_int_equal(res.mem_end, 0xe0000000);
}

/* No room left: said, counted, the register untouched, the rest still
 * placed. */
static void test_no_room(void **state)
{
	map.mem_end = map.mem_start + 0x3000;
	map.io_end = map.io_start + 0x100;
	struct pci_func *f = fn_add(PCI_BDF(0, 5, 0), PCI_HEADER_TYPE_NORMAL);
	bar_set(f, 0, PCI_PARSE_BAR_MEM32, 0x4000, 0);
	bar_set(f, 1, PCI_PARSE_BAR_MEM32, 0x2000, 0);
	bar_set(f, 2, PCI_PARSE_BAR_MEM32, 0x2000, 0); /* aligned at 0xc0002000: 0x1000 left */
	bar_set(f, 3, PCI_PARSE_BAR_IO, 0x200, 0);
	run();
	assert_int_equal(res.assigned, 1);
	assert_int_equal(res.failed, 3);
	assert_int_equal(f->bars[1].addr, 0xc0000000);
	assert_int_equal(f->bars[0].addr, 0);
	assert_int_equal(f->bars[2].addr, 0);
	assert_int_equal(f->bars[3].addr, 0);
	assert_int_equal(cfg32(f->bdf, PCI_BASE_ADDRESS_0), 0);
	assert_int_equal(cfg32(f->bdf, PCI_BASE_ADDRESS_3), PCI_BASE_ADDRESS_SPACE_IO);
	printed("pci 00:05.0: bar0: no room for 0x4000 bytes of mem32\n");
	printed("pci 00:05.0: bar2: no room for 0x2000 bytes of mem32\n");
	printed("pci 00:05.0: bar3: no room for 0x200 bytes of io\n");
	assert_int_equal(cfg16(f->bdf, PCI_COMMAND), PCI_COMMAND_MEMORY);
}

/* A BAR that fills what is left of its window fits; one byte less does
 * not, and nothing fits after a full window. */
static void test_exact_fit(void **state)
{
	map.mem_end = map.mem_start + 0x2000;
	map.io_end = map.io_start + 0xff;
	struct pci_func *f = fn_add(PCI_BDF(0, 6, 0), PCI_HEADER_TYPE_NORMAL);
	bar_set(f, 0, PCI_PARSE_BAR_MEM32, 0x2000, 0);
	bar_set(f, 1, PCI_PARSE_BAR_MEM32, 0x10, 0);
	bar_set(f, 2, PCI_PARSE_BAR_IO, 0x100, 0);
	run();
	assert_int_equal(f->bars[0].addr, 0xc0000000);
	assert_int_equal(res.mem_next, res.mem_end);
	assert_int_equal(f->bars[1].addr, 0);
	assert_int_equal(f->bars[2].addr, 0);
	assert_int_equal(res.assigned, 1);
	assert_int_equal(res.failed, 2);
}

/* Nothing to do: nothing written, nothing printed. */
static void test_nothing_to_place(void **state)
{
	struct pci_func *f = fn_add(PCI_BDF(0, 0, 0), PCI_HEADER_TYPE_NORMAL);
	bar_set(f, 0, PCI_PARSE_BAR_MEM32, 0x1000, 0xc0000000);
	run();
	assert_int_equal(res.assigned + res.failed, 0);
	assert_int_equal(guest_out_len, 0);
	assert_int_equal(cfg16(f->bdf, PCI_COMMAND), 0);
	assert_int_equal(res.mem_next, 0xc0001000);
}

/* Two BARs left over each other: the first in walk order keeps its place,
 * the other is forgotten (said, naming both) and assigned afresh; memory
 * and I/O spaces are apart, and a BAR touching another is no overlap. */
static void test_overlapping_bars_reassigned(void **state)
{
	struct pci_func *a = fn_add(PCI_BDF(0, 1, 0), PCI_HEADER_TYPE_NORMAL);
	struct pci_func *b = fn_add(PCI_BDF(0, 2, 0), PCI_HEADER_TYPE_NORMAL);
	bar_set(a, 0, PCI_PARSE_BAR_MEM32, 0x2000, 0xc0000000);
	bar_set(a, 1, PCI_PARSE_BAR_IO, 0x100, 0xc000);
	bar_set(b, 0, PCI_PARSE_BAR_MEM64, 0x1000, 0xc0001000); /* inside a's bar0 */
	bar_set(b, 2, PCI_PARSE_BAR_MEM32, 0x1000, 0xc0002000); /* touches a's end: fine */
	bar_set(b, 3, PCI_PARSE_BAR_IO, 0x100, 0xc000);         /* a's ports */
	run();
	printed("error: pci 00:02.0: bar0 at 0xc0001000/0x1000 overlaps pci 00:01.0 bar0 at 0xc0000000/0x2000: "
		"not used there, reassigned\n");
	printed("error: pci 00:02.0: bar3 at 0xc000/0x100 overlaps pci 00:01.0 bar1 at 0xc000/0x100: not used there, "
		"reassigned\n");
	assert_int_equal(a->bars[0].addr, 0xc0000000);
	assert_int_equal(a->bars[1].addr, 0xc000);
	assert_int_equal(b->bars[2].addr, 0xc0002000);
	assert_int_equal(b->bars[0].addr, 0xc0003000); /* above everything kept, aligned */
	assert_int_equal(b->bars[3].addr, 0xc100);
	assert_int_equal(res.assigned, 2);
}

/* Two 64-bit BARs left at the very top, both ending at 2^64: their end
 * wraps to 0, and they overlap all the same. */
static void test_overlapping_bars_at_top(void **state)
{
	struct pci_func *a = fn_add(PCI_BDF(0, 1, 0), PCI_HEADER_TYPE_NORMAL);
	struct pci_func *b = fn_add(PCI_BDF(0, 2, 0), PCI_HEADER_TYPE_NORMAL);
	bar_set(a, 0, PCI_PARSE_BAR_MEM64, 0x8000, 0xffffffffffff8000ull);
	bar_set(b, 0, PCI_PARSE_BAR_MEM64, 0x8000, 0xffffffffffff8000ull);
	run();
	printed("error: pci 00:02.0: bar0 at 0xffffffffffff8000/0x8000 overlaps pci 00:01.0 bar0 at "
		"0xffffffffffff8000/0x8000: not used there, reassigned\n");
	assert_int_equal(a->bars[0].addr, 0xffffffffffff8000ull);
	assert_int_equal(b->bars[0].addr, 0xc0000000);
}

/* A bridge's open, forwarded memory window: [base, limit] in MiB. */
static void window_set(struct pci_func *br, uint16_t reg, uint32_t base_mib, uint32_t limit_mib, uint16_t cmd)
{
	model_write(br->bdf, reg, 2, (uint16_t)(base_mib << 4));
	model_write(br->bdf, (uint16_t)(reg + 2), 2, (uint16_t)(limit_mib << 4));
	model_write(br->bdf, PCI_COMMAND, 2, cmd);
}

/* Windows a bridge forwards are read back after assignment: one over RAM,
 * one over ECAM, and two bridges side by side claiming the same range are
 * said, naming both ranges; the same window with decoding off is not. */
static void test_bridge_windows_checked(void **state)
{
	struct pci_func *a = fn_add(PCI_BDF(0, 1, 0), PCI_HEADER_TYPE_BRIDGE);
	struct pci_func *b = fn_add(PCI_BDF(0, 2, 0), PCI_HEADER_TYPE_BRIDGE);
	struct pci_func *off = fn_add(PCI_BDF(0, 3, 0), PCI_HEADER_TYPE_BRIDGE);
	window_set(a, PCI_MEMORY_BASE, 0xc00, 0xc00, PCI_COMMAND_MEMORY);
	window_set(a, PCI_PREF_MEMORY_BASE, 0, 63, PCI_COMMAND_MEMORY); /* RAM */
	window_set(b, PCI_MEMORY_BASE, 0xb00, 0xc00, PCI_COMMAND_MEMORY); /* ECAM, and a's */
	model_write(b->bdf, PCI_PREF_MEMORY_BASE, 2, 0xfff0);           /* closed */
	window_set(off, PCI_MEMORY_BASE, 0, 0xc00, 0);                   /* all of it, not forwarded */
	model_write(off->bdf, PCI_PREF_MEMORY_BASE, 2, 0xfff0);
	run();
	printed("error: pci 00:01.0: bridge prefetchable window 0x0-0x3ffffff overlaps RAM 0x0-0x9ffff\n");
	printed("error: pci 00:02.0: bridge memory window 0xb0000000-0xc00fffff overlaps the ECAM window "
		"0xb0000000-0xb00fffff\n");
	printed("error: pci 00:02.0: bridge memory window 0xb0000000-0xc00fffff overlaps the memory window "
		"0xc0000000-0xc00fffff of the bridge at 00:01.0\n");
	assert_null(strstr(guest_out, "pci 00:03.0"));
	assert_null(strstr(guest_out, "bridge memory window 0xc0000000-0xc00fffff overlaps")); /* said once, by b */
}

/* A window inside its parent bridge's is how bridges nest: not said. */
static void test_nested_windows_fine(void **state)
{
	struct pci_func *up = fn_add(PCI_BDF(0, 1, 0), PCI_HEADER_TYPE_BRIDGE);
	struct pci_func *down = fn_add(PCI_BDF(1, 0, 0), PCI_HEADER_TYPE_BRIDGE);
	up->subtree_end = down->subtree_end = (uint8_t)nfuncs;
	for (struct pci_func *br = up; br; br = br == up ? down : NULL) {
		window_set(br, PCI_MEMORY_BASE, 0xc00, br == up ? 0xc0f : 0xc00, PCI_COMMAND_MEMORY);
		model_write(br->bdf, PCI_PREF_MEMORY_BASE, 2, 0xfff0);
	}
	run();
	assert_null(strstr(guest_out, "error"));
}

/* A BAR on the bus is placed above a window a bridge already forwards,
 * not inside it (where the bridge would claim its cycles too); so too for
 * a window that starts below the allocator's but reaches into it. */
static void test_placed_beside_open_window(void **state)
{
	static const struct { uint32_t base_mib, limit_mib; } windows[] = { { 0xc00, 0xc01 }, { 0xbf0, 0xc01 } };

	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		setup(state);
		struct pci_func *br = fn_add(PCI_BDF(0, 1, 0), PCI_HEADER_TYPE_BRIDGE);
		struct pci_func *ep = fn_add(PCI_BDF(0, 2, 0), PCI_HEADER_TYPE_NORMAL);
		window_set(br, PCI_MEMORY_BASE, windows[i].base_mib, windows[i].limit_mib, PCI_COMMAND_MEMORY);
		model_write(br->bdf, PCI_PREF_MEMORY_BASE, 2, 0xfff0);
		bar_set(ep, 0, PCI_PARSE_BAR_MEM32, 0x1000, 0);
		run();
		assert_int_equal(ep->bars[0].addr, 0xc0200000);
		assert_null(strstr(guest_out, "error"));
	}
}

/* A 64-bit prefetchable window up to the top of the address space (limit
 * 0xffffffff_ffffffff) leaves no room above it; the allocator's next
 * address must not wrap to 0, where it would place a BAR over RAM. */
static void test_window_to_top_of_memory(void **state)
{
	struct pci_func *br = fn_add(PCI_BDF(0, 1, 0), PCI_HEADER_TYPE_BRIDGE);
	struct pci_func *ep = fn_add(PCI_BDF(0, 2, 0), PCI_HEADER_TYPE_NORMAL);
	model_write(br->bdf, PCI_MEMORY_BASE, 2, 0xfff0); /* closed */
	window_set(br, PCI_PREF_MEMORY_BASE, 0xc00, 0xfff, PCI_COMMAND_MEMORY);
	model_write(br->bdf, PCI_PREF_MEMORY_BASE, 2, 0xc000 | PCI_PREF_RANGE_TYPE_64);
	model_write(br->bdf, PCI_PREF_MEMORY_LIMIT, 2, 0xfff0 | PCI_PREF_RANGE_TYPE_64);
	model_write(br->bdf, PCI_PREF_LIMIT_UPPER32, 4, 0xffffffffu);
	bar_set(ep, 0, PCI_PARSE_BAR_MEM32, 0x1000, 0);
	run();
	assert_int_equal(ep->bars[0].addr, 0);
	assert_false(ep->bars[0].assigned);
	printed("pci 00:02.0: bar0: no room for 0x1000 bytes of mem32\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_windows_and_alignment, setup),
		cmocka_unit_test_setup(test_firmware_bars_kept, setup),
		cmocka_unit_test_setup(test_bar64, setup),
		cmocka_unit_test_setup(test_bar_that_does_not_keep_its_address, setup),
		cmocka_unit_test_setup(test_bridge_windows, setup),
		cmocka_unit_test_setup(test_bridge_window_merged, setup),
		cmocka_unit_test_setup(test_refuses_ram_and_ecam, setup),
		cmocka_unit_test_setup(test_window_carved, setup),
		cmocka_unit_test_setup(test_no_room, setup),
		cmocka_unit_test_setup(test_exact_fit, setup),
		cmocka_unit_test_setup(test_nothing_to_place, setup),
		cmocka_unit_test_setup(test_overlapping_bars_reassigned, setup),
		cmocka_unit_test_setup(test_overlapping_bars_at_top, setup),
		cmocka_unit_test_setup(test_bridge_windows_checked, setup),
		cmocka_unit_test_setup(test_nested_windows_fine, setup),
		cmocka_unit_test_setup(test_placed_beside_open_window, setup),
		cmocka_unit_test_setup(test_window_to_top_of_memory, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
