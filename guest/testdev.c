/*
 * testdev.c - pci-testdev from the guest (testdev.h). QEMU's
 * docs/specs/pci-testdev.rst: BAR0 (memory) and BAR1 (I/O) each start with
 * a header, struct pci_testdev_hdr (common/pci_testdev_spec.h, which the
 * VMM's model answers with too): `test` selects, `width_type` is 1, 2 or 4
 * (else there is no such test), then `offset`, `data`, `count` and a
 * NUL-terminated `name`.
 *
 * A test is run by writing `data`, `width_type` bytes wide, at `offset` in
 * the same BAR; `count` says how many writes the device saw. The header is
 * the same whether the BAR is memory or I/O; only the accessors differ.
 */
#include "testdev.h"

#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"
#include "pci.h"
#include "pci_parse.h"
#include "pci_regs.h"
#include "pci_testdev_spec.h"

#define TESTDEV_MAX_TESTS 16
#define TESTDEV_NAME_MAX 32 /* bytes of name read, its NUL included */
#define TESTDEV_HDR_SIZE (sizeof(struct pci_testdev_hdr) + TESTDEV_NAME_MAX)
#define TESTDEV_HDR(field) offsetof(struct pci_testdev_hdr, field)

/* `io` below picks the BAR: false is BAR0 (memory), true BAR1 (I/O). */
_Static_assert(PCI_TESTDEV_BAR_MEM == 0 && PCI_TESTDEV_BAR_IO == 1, "io indexes the BARs");

static uintptr_t mem_bar; /* BAR0 */
static uint16_t io_bar;   /* BAR1 */
static uint64_t bar_size[2];
static bool found;

/* The selected test, for the benchmark loop. */
static struct {
	bool io;
	unsigned width;
	uintptr_t addr; /* MMIO address or port */
	uint32_t data;
} sel;

static void hdr_write8(bool io, unsigned off, uint8_t v)
{
	if (io)
		outb((uint16_t)(io_bar + off), v);
	else
		mmio_write8(mem_bar + off, v);
}

static uint8_t hdr_read8(bool io, unsigned off)
{
	return io ? inb((uint16_t)(io_bar + off)) : mmio_read8(mem_bar + off);
}

static uint32_t hdr_read32(bool io, unsigned off)
{
	return io ? inl((uint16_t)(io_bar + off)) : mmio_read32(mem_bar + off);
}

/* Why f's BARs are not what a pci-testdev has, or NULL: BAR0 memory wholly
 * below 4 GiB (what the guest maps), BAR1 ports below 64 KiB, each with an
 * address and room for the header and test name read from it. */
static const char *testdev_bars_unusable(const struct pci_func *f)
{
	const struct pci_bar *m = &f->bars[PCI_TESTDEV_BAR_MEM], *p = &f->bars[PCI_TESTDEV_BAR_IO];

	if (f->nbars < 2 || m->type == PCI_PARSE_BAR_IO || p->type != PCI_PARSE_BAR_IO)
		return "BAR0 must be memory and BAR1 I/O";
	if (!m->addr || !p->addr)
		return "a BAR has no address";
	if (m->size < TESTDEV_HDR_SIZE || p->size < TESTDEV_HDR_SIZE)
		return "a BAR is too small for the test header";
	if (!pci_bar_below_4g(m))
		return "BAR0 is not within the mapped low 4 GiB";
	if (p->addr + p->size > 0x10000)
		return "BAR1 is beyond the 64 KiB of ports";
	return NULL;
}

static bool testdev_find(void)
{
	if (found)
		return true;
	pci_bus_ready();
	for (unsigned i = 0; pci_func_get(i); i++) {
		const struct pci_func *f = pci_func_get(i);
		if (f->vendor_id != PCI_TESTDEV_VENDOR_ID || f->device_id != PCI_TESTDEV_DEVICE_ID)
			continue;
		const char *why = testdev_bars_unusable(f);
		if (why) {
			printf("error: pci-testdev %02x:%02x.%x: %s (bar0 %s:0x%lx/0x%lx, bar1 %s:0x%lx/0x%lx)\n",
			       PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf), why,
			       pci_parse_bar_type_name(f->bars[0].type), f->bars[0].addr, f->bars[0].size,
			       pci_parse_bar_type_name(f->bars[1].type), f->bars[1].addr, f->bars[1].size);
			continue; /* another one may do */
		}
		mem_bar = (uintptr_t)f->bars[PCI_TESTDEV_BAR_MEM].addr;
		io_bar = (uint16_t)f->bars[PCI_TESTDEV_BAR_IO].addr;
		bar_size[PCI_TESTDEV_BAR_MEM] = f->bars[PCI_TESTDEV_BAR_MEM].size;
		bar_size[PCI_TESTDEV_BAR_IO] = f->bars[PCI_TESTDEV_BAR_IO].size;
		uint16_t cmd = pci_cfg_read16(f->bdf, PCI_COMMAND);
		pci_cfg_write16(f->bdf, PCI_COMMAND, cmd | PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
		found = true;
		break; /* the first usable one */
	}
	return found;
}

/* Selects test `t` of a BAR; false if there is no such test. */
static bool testdev_select(bool io, unsigned t)
{
	hdr_write8(io, TESTDEV_HDR(test), (uint8_t)t);
	unsigned w = hdr_read8(io, TESTDEV_HDR(width_type));
	uint32_t off = hdr_read32(io, TESTDEV_HDR(offset));
	/* A header pointing outside its own BAR is not followed. */
	if ((w != 1 && w != 2 && w != 4) || off > bar_size[io] || w > bar_size[io] - off)
		return false;
	sel.io = io;
	sel.width = w;
	sel.addr = (io ? io_bar : mem_bar) + off;
	sel.data = hdr_read32(io, TESTDEV_HDR(data));
	return true;
}

static void testdev_write_once(void)
{
	if (sel.io) {
		uint16_t port = (uint16_t)sel.addr;
		sel.width == 1 ? outb(port, (uint8_t)sel.data)
		: sel.width == 2 ? outw(port, (uint16_t)sel.data)
				 : outl(port, sel.data);
	} else {
		sel.width == 1 ? mmio_write8(sel.addr, (uint8_t)sel.data)
		: sel.width == 2 ? mmio_write16(sel.addr, (uint16_t)sel.data)
				 : mmio_write32(sel.addr, sel.data);
	}
}

int testdev_action(const char *val, size_t len, bool dry_run)
{
	static const char *const words[] = { "run" };

	if (word_find(val, len, WORDS(words)) < 0)
		return word_refuse("testdev", val, len, WORDS(words));
	if (dry_run)
		return EXITLAB_EXIT_OK;
	if (!testdev_find()) {
		printf("error: no pci-testdev (%04x:%04x) with both BARs assigned\n", PCI_TESTDEV_VENDOR_ID,
		       PCI_TESTDEV_DEVICE_ID);
		return EXITLAB_EXIT_FAIL;
	}
	for (int io = 0; io < 2; io++) {
		for (unsigned t = 0; t < TESTDEV_MAX_TESTS && testdev_select(io, t); t++) {
			char name[TESTDEV_NAME_MAX];
			unsigned k = 0;
			for (; k + 1 < sizeof(name); k++)
				if (!(name[k] = (char)hdr_read8(io, TESTDEV_HDR(name) + k)))
					break;
			name[k] = '\0';
			uint32_t before = hdr_read32(io, TESTDEV_HDR(count));
			for (int i = 0; i < 8; i++)
				testdev_write_once();
			printf("testdev %s: BAR%d test %u: 8 writes of 0x%x (%u bytes) at 0x%lx, count %u -> %u\n", name,
			       io, t, sel.data, sel.width, (uint64_t)sel.addr, before, hdr_read32(io, TESTDEV_HDR(count)));
		}
	}
	return EXITLAB_EXIT_OK;
}

const char *testdev_bench_prepare(bool io, unsigned index)
{
	if (!testdev_find())
		return "no pci-testdev";
	return testdev_select(io, index) ? NULL : "the device has no such test";
}

void testdev_bench_run(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		testdev_write_once();
}
