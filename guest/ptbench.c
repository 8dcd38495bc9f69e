/*
 * ptbench.c - a passthrough BAR, mapped and trapped (ptbench.h).
 *
 * The exitlab VMM maps a passthrough memory BAR into the guest as memory
 * slots, except the pages holding the MSI-X table and the PBA, which it
 * traps: the table's entries are emulated, the other bytes of those pages
 * are forwarded to the device, an exit each (vmm/passthrough.c). The
 * tests time, on the first passed-through function (exitlab_boot_info):
 *
 *   pt_bar_load / pt_bar_store  one dword at a time, 64 bytes apart, in a
 *                               mapped page of the table's BAR;
 *   pt_bar_copy                 4 KiB from that page to RAM, 8 bytes at a
 *                               time (bandwidth: bytes_per_ns=);
 *   ram_copy                    the same copy from RAM, for contrast;
 *   pt_msix_load                a load of table entry 0's Message Data
 *                               (the VMM's emulation);
 *   pt_msix_fwd                 a load of a dword on the table's page that
 *                               is neither table nor PBA (forwarded).
 *
 * pt_bar_store writes to the device: meant for fixture devices (tests/lib/
 * fixture_device.py), or one whose first free page may be scribbled on.
 * Without a passthrough device (QEMU here has no VFIO) they are skipped.
 */
#include "ptbench.h"

#include "cpu.h"
#include "lib.h"
#include "pci.h"
#include "pci_bdf.h"
#include "pci_parse.h"
#include "pci_regs.h"

#define PAGE 4096u
#define STRIDE 64u

static unsigned pt_count;
static uint16_t pt_bdf;
static uintptr_t timed_at; /* the address the last prepare chose */
static unsigned timed_bar;
static uint64_t timed_off;
static uint64_t copy_buf[PT_COPY_BYTES / 8] __attribute__((aligned(64)));
static uint64_t ram_src[PT_COPY_BYTES / 8] __attribute__((aligned(64)));
static char why[128];

void pt_bench_boot(unsigned count, uint16_t bdf)
{
	pt_count = count;
	pt_bdf = bdf;
}

/* The MSI-X table's BAR, offset and size, and the PBA's offset if in the
 * same BAR (else UINT64_MAX). NULL, or why not. */
struct msix_at {
	unsigned bar;
	uint64_t table, table_len, pba;
	uint64_t base, size; /* the BAR */
};

static const char *find(struct msix_at *m)
{
	if (!pt_count)
		return "no passthrough device (the exitlab VMM's --passthrough; QEMU here has no VFIO)";
	pci_bus_ready();
	const struct pci_func *f = NULL;
	for (unsigned i = 0; pci_func_get(i); i++)
		if (pci_func_get(i)->bdf == pt_bdf)
			f = pci_func_get(i);
	if (!f) {
		snprintf(why, sizeof(why), "the passthrough function %02x:%02x.%x is not on the bus",
			 PCI_BDF_BUS(pt_bdf), PCI_BDF_DEV(pt_bdf), PCI_BDF_FN(pt_bdf));
		return why;
	}
	uint8_t cap = 0;
	if (pci_cfg_read16(pt_bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST)
		cap = pci_cfg_read8(pt_bdf, PCI_CAPABILITY_LIST) & 0xfc;
	for (unsigned hops = 0; cap && hops < 48 && pci_cfg_read8(pt_bdf, cap) != PCI_CAP_ID_MSIX; hops++)
		cap = pci_cfg_read8(pt_bdf, cap + 1) & 0xfc;
	if (!cap || pci_cfg_read8(pt_bdf, cap) != PCI_CAP_ID_MSIX)
		return "the passthrough device has no MSI-X capability (no trapped page to compare with)";
	uint32_t t = pci_cfg_read32(pt_bdf, cap + PCI_MSIX_TABLE), p = pci_cfg_read32(pt_bdf, cap + PCI_MSIX_TABLE + 4);
	m->bar = t & PCI_MSIX_TABLE_BIR;
	m->table = t & PCI_MSIX_TABLE_OFFSET;
	m->table_len = ((pci_cfg_read16(pt_bdf, cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) + 1u) * 16u;
	m->pba = (p & 7) == m->bar ? (p & ~7u) : UINT64_MAX;
	const struct pci_bar *b = m->bar < f->nbars ? &f->bars[m->bar] : NULL;
	if (!b || !b->size || !b->addr || b->type == PCI_PARSE_BAR_IO || !pci_bar_below_4g(b)) {
		snprintf(why, sizeof(why), "the MSI-X table's BAR%u is not a memory BAR assigned below 4 GiB", m->bar);
		return why;
	}
	m->base = b->addr;
	m->size = b->size;
	uint16_t cmd = pci_cfg_read16(pt_bdf, PCI_COMMAND);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_cfg_write16(pt_bdf, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	timed_bar = m->bar;
	return NULL;
}

/* Does [start, start + len) touch the page at offset page? */
static bool on_page(uint64_t page, uint64_t start, uint64_t len)
{
	return start != UINT64_MAX && start < page + PAGE && start + len > page;
}

/* A page of the table's BAR with neither table nor PBA on it: mapped. */
const char *pt_bench_prepare_mapped(void)
{
	struct msix_at m;
	const char *w = find(&m);
	if (w)
		return w;
	for (uint64_t pg = 0; pg + PAGE <= m.size; pg += PAGE) {
		if (on_page(pg, m.table, m.table_len) || on_page(pg, m.pba, 8 * ((m.table_len / 16 + 63) / 64)))
			continue;
		timed_off = pg;
		timed_at = (uintptr_t)(m.base + pg);
		return NULL;
	}
	return "every page of the MSI-X table's BAR holds the table or the PBA (nothing mapped)";
}

const char *pt_bench_prepare_table(void)
{
	struct msix_at m;
	const char *w = find(&m);
	if (w)
		return w;
	timed_off = m.table + 8; /* entry 0, Message Data */
	timed_at = (uintptr_t)(m.base + timed_off);
	return NULL;
}

/* A dword on the table's first page past the table, not the PBA. */
const char *pt_bench_prepare_fwd(void)
{
	struct msix_at m;
	const char *w = find(&m);
	if (w)
		return w;
	uint64_t page = m.table & ~(uint64_t)(PAGE - 1);
	for (uint64_t off = (m.table + m.table_len + 3) & ~3ull; off + 4 <= page + PAGE && off + 4 <= m.size;
	     off += 4) {
		uint64_t pba_len = 8 * ((m.table_len / 16 + 63) / 64);
		if (m.pba != UINT64_MAX && off + 4 > m.pba && off < m.pba + pba_len)
			continue;
		timed_off = off;
		timed_at = (uintptr_t)(m.base + off);
		return NULL;
	}
	return "the MSI-X table fills its page: no forwarded bytes to load";
}

void pt_bench_load(unsigned n)
{
	uint32_t sum = 0;
	for (unsigned i = 0; i < n; i++)
		sum += mmio_read32(timed_at + (i * STRIDE) % PAGE);
	barrier();
	(void)sum;
}

void pt_bench_store(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		mmio_write32(timed_at + (i * STRIDE) % PAGE, i);
}

static void copy_from(uintptr_t src, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		for (unsigned i = 0; i < PT_COPY_BYTES / 8; i++)
			copy_buf[i] = mmio_read64(src + 8 * i);
	barrier();
}

void pt_bench_copy(unsigned n) { copy_from(timed_at, n); }

void pt_bench_ram_copy(unsigned n)
{
	timed_at = 0; /* no BAR in its line */
	copy_from((uintptr_t)ram_src, n);
}

void pt_bench_table_load(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)mmio_read32(timed_at);
}

void pt_bench_fwd_load(unsigned n) { pt_bench_table_load(n); }

void pt_bench_extra(void)
{
	if (timed_at)
		printf(" bdf=%02x:%02x.%x bar=%u off=0x%lx", PCI_BDF_BUS(pt_bdf), PCI_BDF_DEV(pt_bdf),
		       PCI_BDF_FN(pt_bdf), timed_bar, timed_off);
}
