/*
 * pci.c - PCI enumeration in the guest, through either config mechanism.
 *
 * How the bus is touched is two tiny accessors per mechanism (PCI Local Bus
 * 3.0 §3.2.2.3.2 for mechanism #1, PCIe Base 4.0 §7.2.2 for ECAM); all the
 * rest - the bus walk, BAR sizing and assignment, the listing - goes through
 * pci_cfg_*() and does not care which one is in use (kvm-unit-tests'
 * lib/pci.c is the model).
 *
 * The walk is depth-first from bus 0 through PCI-to-PCI bridges, numbering
 * buses firmware left unnumbered; every loop is bounded (a bitmap of buses
 * seen, a depth limit, PCI_MAX_FUNCS). BARs are sized with decoding off.
 * Firmware such as SeaBIOS assigns every BAR; qboot (QEMU's microvm BIOS)
 * assigns none, so BARs at 0 get addresses from two bump allocators, placed
 * above anything firmware assigned, and bridge windows are opened to cover
 * what was placed behind them. Capabilities are decoded by the shared pure
 * parser, common/pci_parse.c, over the bytes read here.
 */
#include "pci.h"

#include "acpi.h"
#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"
#include "pci_parse.h"
#include "pci_regs.h"

#define PCI_MAX_DEPTH 16 /* bridges below bridges; real systems use a few */

/* Where unassigned BARs go (QEMU q35/pc put their 32-bit PCI hole here too;
 * the top stops short of the IOAPIC at 0xfec00000). The ECAM window and
 * every memory-map entry are carved out of it at run time. */
#define PCI_MEM_WINDOW_START 0xc0000000ull
#define PCI_MEM_WINDOW_END 0xfec00000ull
#define PCI_IO_WINDOW_START 0xc000u
#define PCI_IO_WINDOW_END 0x10000u
#define PCI_BRIDGE_MEM_ALIGN 0x100000u /* bridge windows: 1 MiB granules */
#define PCI_BRIDGE_IO_ALIGN 0x1000u /* and 4 KiB ones for I/O */

static enum pci_mechanism mech_used; /* CF8 or ECAM once enumerated (#1 before) */
static bool acpi_done, have_mcfg;
static struct acpi_mcfg mcfg;

/* The NOINIT ones are written before read at every enumeration. */
static struct pci_func funcs[PCI_MAX_FUNCS] NOINIT;
static unsigned nfuncs, nfuncs_dropped;
static uint32_t buses_seen[256 / 32] NOINIT;
static unsigned next_bus; /* the next bus number to hand out; 256: none left */

static uint8_t cfg_buf[PCI_CFG_SPACE_EXP_SIZE] __attribute__((aligned(4))) NOINIT;
static struct pci_parse_info cfg_info NOINIT;

/* --- Mechanism #1: an address dword to 0xCF8, then data at 0xCFC + (off & 3) */
static inline void cf8_select(uint16_t bdf, uint16_t off)
{
	outl(PCI_CF8_ADDRESS_PORT, PCI_CF8_ADDR(bdf, off));
}
static inline uint32_t cf8_read32(uint16_t bdf, uint16_t off)
{
	cf8_select(bdf, off);
	return inl(PCI_CF8_DATA_PORT);
}
static inline uint16_t cf8_read16(uint16_t bdf, uint16_t off)
{
	cf8_select(bdf, off);
	return inw(PCI_CF8_DATA_PORT + (off & 2));
}
static inline uint8_t cf8_read8(uint16_t bdf, uint16_t off)
{
	cf8_select(bdf, off);
	return inb(PCI_CF8_DATA_PORT + (off & 3));
}
static inline void cf8_write32(uint16_t bdf, uint16_t off, uint32_t v)
{
	cf8_select(bdf, off);
	outl(PCI_CF8_DATA_PORT, v);
}
static inline void cf8_write16(uint16_t bdf, uint16_t off, uint16_t v)
{
	cf8_select(bdf, off);
	outw(PCI_CF8_DATA_PORT + (off & 2), v);
}
static inline void cf8_write8(uint16_t bdf, uint16_t off, uint8_t v)
{
	cf8_select(bdf, off);
	outb(PCI_CF8_DATA_PORT + (off & 3), v);
}

/* --- ECAM: 4 KiB of MMIO per function (pci_access.h) */
static inline uintptr_t ecam_addr(uint16_t bdf, uint16_t off)
{
	return (uintptr_t)(mcfg.base + PCI_ECAM_OFFSET(bdf, off));
}

/* Can the current mechanism reach (bdf, off, width)? */
static bool pci_cfg_reachable(uint16_t bdf, uint16_t off, unsigned width)
{
	if (off & (width - 1))
		return false; /* neither mechanism does unaligned accesses */
	if (mech_used == PCI_MECH_ECAM)
		return off < PCI_CFG_SPACE_EXP_SIZE && PCI_BDF_BUS(bdf) >= mcfg.start_bus &&
		       PCI_BDF_BUS(bdf) <= mcfg.end_bus;
	return off < PCI_CFG_SPACE_SIZE;
}

uint32_t pci_cfg_read32(uint16_t bdf, uint16_t off)
{
	if (!pci_cfg_reachable(bdf, off, 4))
		return 0xffffffff;
	return mech_used == PCI_MECH_ECAM ? mmio_read32(ecam_addr(bdf, off)) : cf8_read32(bdf, off);
}

uint16_t pci_cfg_read16(uint16_t bdf, uint16_t off)
{
	if (!pci_cfg_reachable(bdf, off, 2))
		return 0xffff;
	return mech_used == PCI_MECH_ECAM ? mmio_read16(ecam_addr(bdf, off)) : cf8_read16(bdf, off);
}

uint8_t pci_cfg_read8(uint16_t bdf, uint16_t off)
{
	if (!pci_cfg_reachable(bdf, off, 1))
		return 0xff;
	return mech_used == PCI_MECH_ECAM ? mmio_read8(ecam_addr(bdf, off)) : cf8_read8(bdf, off);
}

void pci_cfg_write32(uint16_t bdf, uint16_t off, uint32_t v)
{
	if (!pci_cfg_reachable(bdf, off, 4))
		return;
	if (mech_used == PCI_MECH_ECAM)
		mmio_write32(ecam_addr(bdf, off), v);
	else
		cf8_write32(bdf, off, v);
}

void pci_cfg_write16(uint16_t bdf, uint16_t off, uint16_t v)
{
	if (!pci_cfg_reachable(bdf, off, 2))
		return;
	if (mech_used == PCI_MECH_ECAM)
		mmio_write16(ecam_addr(bdf, off), v);
	else
		cf8_write16(bdf, off, v);
}

void pci_cfg_write8(uint16_t bdf, uint16_t off, uint8_t v)
{
	if (!pci_cfg_reachable(bdf, off, 1))
		return;
	if (mech_used == PCI_MECH_ECAM)
		mmio_write8(ecam_addr(bdf, off), v);
	else
		cf8_write8(bdf, off, v);
}

const struct pci_func *pci_func_get(unsigned index)
{
	return index < nfuncs ? &funcs[index] : NULL;
}

static bool pci_func_is_bridge(const struct pci_func *f)
{
	return (f->header_type & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE;
}

/* --- BAR sizing ------------------------------------------------------------ */

/* Writes all ones, reads back the bits that stuck, restores: returns them. */
static uint32_t pci_bar_probe(uint16_t bdf, uint16_t reg, uint32_t *orig)
{
	*orig = pci_cfg_read32(bdf, reg);
	pci_cfg_write32(bdf, reg, 0xffffffff);
	uint32_t mask = pci_cfg_read32(bdf, reg);
	pci_cfg_write32(bdf, reg, *orig);
	return mask;
}

/*
 * PCI 3.0 §6.2.5.1: the size is the lowest address bit that stuck. Decoding
 * is off meanwhile, so the device never answers at the all-ones address -
 * except for host bridges, which like Linux (mmio_always_on) we leave alone.
 */
static void pci_bars_size(struct pci_func *f)
{
	uint16_t cmd = pci_cfg_read16(f->bdf, PCI_COMMAND);
	bool keep_decoding = f->class_code >> 8 == 0x0600; /* host bridge */

	if (!keep_decoding)
		pci_cfg_write16(f->bdf, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (unsigned i = 0; i < f->nbars; i++) {
		uint16_t reg = (uint16_t)(PCI_BASE_ADDRESS_0 + 4 * i);
		struct pci_bar *b = &f->bars[i];
		uint32_t orig, orig_hi;
		uint32_t mask = pci_bar_probe(f->bdf, reg, &orig);
		uint64_t m;

		if (mask == 0) /* unimplemented */
			continue;
		if (mask == 0xffffffff) { /* the function is there (it has an ID): a broken BAR */
			printf("error: pci %02x:%02x.%x: bar%u reads 0xffffffff (I/O with reserved bit 1 set): "
			       "not a BAR, ignored\n", PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf), i);
			continue;
		}
		b->type = (uint8_t)pci_parse_bar_decode(mask);
		if (b->type == PCI_PARSE_BAR_IO) {
			m = mask & PCI_BASE_ADDRESS_IO_MASK;
			b->addr = orig & PCI_BASE_ADDRESS_IO_MASK;
		} else {
			m = mask & PCI_BASE_ADDRESS_MEM_MASK;
			b->addr = orig & PCI_BASE_ADDRESS_MEM_MASK;
			b->prefetchable = mask & PCI_BASE_ADDRESS_MEM_PREFETCH;
		}
		if (b->type == PCI_PARSE_BAR_MEM64 && i + 1 < f->nbars) {
			m |= (uint64_t)pci_bar_probe(f->bdf, reg + 4, &orig_hi) << 32;
			b->addr |= (uint64_t)orig_hi << 32;
			f->bars[++i].type = PCI_PARSE_BAR_MEM64_HI;
		} else if (b->type == PCI_PARSE_BAR_MEM64) {
			b->type = PCI_PARSE_BAR_MEM32; /* no high half to size */
		}
		b->size = m & (~m + 1);
	}
	if (!keep_decoding)
		pci_cfg_write16(f->bdf, PCI_COMMAND, cmd);
}

/* --- The bus walk ------------------------------------------------------------ */

static void pci_bus_scan(unsigned bus, unsigned depth);

/* Gives the bridge at bdf (on `bus`) secondary bus `sec`, subordinate 0xff
 * for now; false if the bridge does not keep the number. */
static bool pci_bridge_number(uint16_t bdf, unsigned bus, unsigned sec)
{
	pci_cfg_write8(bdf, PCI_PRIMARY_BUS, (uint8_t)bus);
	pci_cfg_write8(bdf, PCI_SECONDARY_BUS, (uint8_t)sec);
	pci_cfg_write8(bdf, PCI_SUBORDINATE_BUS, 0xff);
	unsigned got = pci_cfg_read8(bdf, PCI_SECONDARY_BUS);
	if (got == sec)
		return true;
	/* Closed again: it must not claim buses 00-ff behind it. */
	pci_cfg_write8(bdf, PCI_SECONDARY_BUS, 0);
	pci_cfg_write8(bdf, PCI_SUBORDINATE_BUS, 0);
	printf("error: pci %02x:%02x.%x: bridge ignores its bus numbers (secondary reads %02x after writing %02x): "
	       "not walked behind\n", bus, PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), got, sec);
	return false;
}

/*
 * A PCI-to-PCI bridge (PCI-to-PCI Bridge Architecture 1.2 §3.2.5.2-4):
 * walk the bus behind it. Firmware's numbers are kept if they make sense:
 * a secondary bus above ours and not walked yet (a secondary of 0 on bus 0
 * would walk bus 0 again), a subordinate not below it. Otherwise - not
 * numbered (all 0), or numbered wrong, which is said - give it the next
 * free number with subordinate 0xff while its subtree is walked, then close
 * subordinate down to the last bus found behind it. A bridge that does not
 * keep the number it is given is not walked: it forwards nothing we know.
 */
static void pci_bridge_scan(unsigned idx, unsigned depth)
{
	struct pci_func *f = &funcs[idx];
	unsigned bus = PCI_BDF_BUS(f->bdf);
	unsigned sec = pci_cfg_read8(f->bdf, PCI_SECONDARY_BUS);
	unsigned sub = pci_cfg_read8(f->bdf, PCI_SUBORDINATE_BUS);
	bool seen = buses_seen[sec / 32] & (1u << (sec % 32));
	bool firmware_ok = sec > bus && sub >= sec && !seen;

	if (!firmware_ok && (sec || sub))
		printf("error: pci %02x:%02x.%x: bridge's buses %02x-%02x: %s; renumbering it\n", bus,
		       PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf), sec, sub,
		       sec <= bus  ? "the secondary bus is not above the bridge's own (a walk there would loop)"
		       : sub < sec ? "the subordinate bus is below the secondary"
				   : "the secondary bus was walked already");
	if (firmware_ok) {
		if (next_bus <= sub)
			next_bus = sub + 1;
		pci_bus_scan(sec, depth + 1);
	} else if (next_bus < 256 && pci_bridge_number(f->bdf, bus, next_bus)) {
		sec = next_bus++;
		pci_bus_scan(sec, depth + 1);
		sub = next_bus - 1;
		pci_cfg_write8(f->bdf, PCI_SUBORDINATE_BUS, (uint8_t)sub);
		printf("pci %02x:%02x.%x: bridge numbered: buses %02x-%02x behind it\n", bus, PCI_BDF_DEV(f->bdf),
		       PCI_BDF_FN(f->bdf), sec, sub);
	} else {
		if (next_bus == 256)
			printf("pci %02x:%02x.%x: no bus number left for the bridge\n", bus, PCI_BDF_DEV(f->bdf),
			       PCI_BDF_FN(f->bdf));
		sec = sub = 0;
	}
	f->secondary = (uint8_t)sec;
	f->subordinate = (uint8_t)sub;
	f->subtree_end = (uint8_t)nfuncs;
}

/* Records function bdf (present: vendor is not 0xffff), sizes its BARs and
 * walks the bus behind it if it is a bridge. */
static void pci_func_add(uint16_t bdf, uint8_t header_type, unsigned depth)
{
	if (nfuncs == PCI_MAX_FUNCS) {
		nfuncs_dropped++;
		return;
	}
	struct pci_func *f = &funcs[nfuncs++];
	uint32_t id = pci_cfg_read32(bdf, PCI_VENDOR_ID);

	memset(f, 0, sizeof(*f));
	f->bdf = bdf;
	f->vendor_id = (uint16_t)id;
	f->device_id = (uint16_t)(id >> 16);
	f->class_code = pci_cfg_read32(bdf, PCI_CLASS_REVISION) >> 8;
	f->header_type = header_type;
	switch (header_type & PCI_HEADER_TYPE_MASK) {
	case PCI_HEADER_TYPE_NORMAL: f->nbars = PCI_STD_NUM_BARS; break;
	case PCI_HEADER_TYPE_BRIDGE: f->nbars = PCI_BRIDGE_NUM_BARS; break;
	default: f->nbars = 0; break; /* CardBus and unknown layouts: not sized */
	}
	pci_bars_size(f);
	if (pci_func_is_bridge(f) && depth < PCI_MAX_DEPTH)
		pci_bridge_scan((unsigned)(f - funcs), depth);
	else
		f->subtree_end = (uint8_t)nfuncs;
}

/* Every device and function on one bus; functions 1-7 only if function 0
 * says it is multi-function (PCI 3.0 §6.2.1, header type bit 7). */
static void pci_bus_scan(unsigned bus, unsigned depth)
{
	if (bus > 255 || (buses_seen[bus / 32] & (1u << (bus % 32))))
		return;
	buses_seen[bus / 32] |= 1u << (bus % 32);
	for (unsigned dev = 0; dev < 32; dev++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			uint16_t bdf = PCI_BDF(bus, dev, fn);
			uint16_t vendor = pci_cfg_read16(bdf, PCI_VENDOR_ID);

			if (vendor == 0xffff || vendor == 0) { /* no function here */
				if (fn == 0)
					break;
				continue;
			}
			uint8_t hdr = pci_cfg_read8(bdf, PCI_HEADER_TYPE);
			pci_func_add(bdf, hdr, depth);
			if (fn == 0 && !(hdr & PCI_HEADER_TYPE_MFD))
				break;
		}
	}
}

/* --- BAR assignment ---------------------------------------------------------- */

struct pci_window {
	uint64_t next, end; /* bump allocator: [next, end) is free */
};
static struct pci_window mem_win, io_win;
static unsigned nassigned, nassign_failed;

/* Shrinks [lo, hi) to the larger part left when [a, b) is taken out of it. */
static void pci_window_carve(uint64_t *lo, uint64_t *hi, uint64_t a, uint64_t b)
{
	if (b <= *lo || a >= *hi)
		return;
	uint64_t below = a > *lo ? a - *lo : 0, above = b < *hi ? *hi - b : 0;
	if (below >= above)
		*hi = below ? a : *lo;
	else
		*lo = b;
}

/* The end of the ECAM window MCFG names: 1 MiB a bus. */
static uint64_t pci_ecam_end(void) { return mcfg.base + ((uint64_t)mcfg.end_bus + 1) * PCI_ECAM_BUS_SIZE; }

/* Does [a, a + size) meet [lo, hi)? One that wraps past 2^64 meets
 * everything above a. */
static bool pci_range_meets(uint64_t a, uint64_t size, uint64_t lo, uint64_t hi)
{
	return a < hi && (a + size > lo || a + size < a);
}

/* A memory BAR placed over RAM or the ECAM window (by firmware, or by a
 * device that says so) would send our stores to its "registers" there:
 * forget its address, so it is assigned afresh like one left at 0. */
static void pci_bar_check_placement(struct pci_func *f, unsigned i, const struct hvm_start_info *si)
{
	struct pci_bar *b = &f->bars[i];
	const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
	const char *what = NULL;

	if (!b->size || !b->addr || b->type == PCI_PARSE_BAR_IO)
		return;
	if (have_mcfg && pci_range_meets(b->addr, b->size, mcfg.base, pci_ecam_end()))
		what = "the ECAM window";
	for (uint32_t k = 0; !what && si->version >= 1 && e && k < si->memmap_entries && k < 128; k++)
		if (e[k].type == HVM_MEMMAP_TYPE_RAM &&
		    pci_range_meets(b->addr, b->size, e[k].addr, e[k].addr + e[k].size))
			what = "RAM";
	if (!what)
		return;
	printf("error: pci %02x:%02x.%x: bar%u at 0x%lx/0x%lx overlaps %s: not used there, reassigned\n",
	       PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf), i, b->addr, b->size, what);
	b->addr = 0;
}

/* The windows, minus ECAM and anything in the memory map, starting above
 * every BAR firmware placed in them (and not over RAM or ECAM). */
static void pci_windows_init(const struct hvm_start_info *si)
{
	uint64_t lo = PCI_MEM_WINDOW_START, hi = PCI_MEM_WINDOW_END;
	const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)si->memmap_paddr;

	if (have_mcfg)
		pci_window_carve(&lo, &hi, mcfg.base, pci_ecam_end());
	for (uint32_t i = 0; si->version >= 1 && e && i < si->memmap_entries && i < 128; i++)
		pci_window_carve(&lo, &hi, e[i].addr, e[i].addr + e[i].size);
	for (unsigned i = 0; i < nfuncs; i++)
		for (unsigned j = 0; j < funcs[i].nbars; j++)
			pci_bar_check_placement(&funcs[i], j, si);
	mem_win = (struct pci_window){ lo, hi };
	io_win = (struct pci_window){ PCI_IO_WINDOW_START, PCI_IO_WINDOW_END };
	for (unsigned i = 0; i < nfuncs; i++) {
		for (unsigned j = 0; j < funcs[i].nbars; j++) {
			const struct pci_bar *b = &funcs[i].bars[j];
			struct pci_window *w = b->type == PCI_PARSE_BAR_IO ? &io_win : &mem_win;
			uint64_t start = b->type == PCI_PARSE_BAR_IO ? PCI_IO_WINDOW_START : lo;
			if (b->size && b->addr >= start && b->addr < w->end && b->addr + b->size > w->next)
				w->next = b->addr + b->size;
		}
	}
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

/* Gives BAR i of f an address if firmware left it at 0. */
static void pci_bar_assign(struct pci_func *f, unsigned i)
{
	struct pci_bar *b = &f->bars[i];
	struct pci_window *w = b->type == PCI_PARSE_BAR_IO ? &io_win : &mem_win;
	uint16_t reg = (uint16_t)(PCI_BASE_ADDRESS_0 + 4 * i);
	uint64_t a = align_up(w->next, b->size);

	if (!b->size || b->addr || b->type == PCI_PARSE_BAR_MEM64_HI)
		return;
	if (a < w->next || a > w->end || b->size > w->end - a) {
		printf("pci %02x:%02x.%x: bar%u: no room for 0x%lx bytes of %s\n", PCI_BDF_BUS(f->bdf),
		       PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf), i, b->size, pci_parse_bar_type_name(b->type));
		nassign_failed++;
		return;
	}
	w->next = a + b->size;
	pci_cfg_write32(f->bdf, reg, (uint32_t)a); /* the low type bits are read-only */
	if (b->type == PCI_PARSE_BAR_MEM64)
		pci_cfg_write32(f->bdf, reg + 4, (uint32_t)(a >> 32));
	/* Read it back: a BAR that does not keep its address decodes elsewhere. */
	uint64_t got = pci_cfg_read32(f->bdf, reg) &
		       (b->type == PCI_PARSE_BAR_IO ? PCI_BASE_ADDRESS_IO_MASK : PCI_BASE_ADDRESS_MEM_MASK);
	if (b->type == PCI_PARSE_BAR_MEM64)
		got |= (uint64_t)pci_cfg_read32(f->bdf, reg + 4) << 32;
	if (got != a) {
		printf("error: pci %02x:%02x.%x: bar%u reads 0x%lx after we wrote 0x%lx: left unassigned\n",
		       PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf), i, got, a);
		nassign_failed++;
		return;
	}
	b->addr = a;
	b->assigned = true;
	nassigned++;
}

/* Opens a bridge's I/O or memory window to [start, end), merged with what
 * firmware had opened (PCI-to-PCI Bridge Architecture 1.2 §3.2.5.6-8). */
static void pci_bridge_window_set(uint16_t bdf, bool io, uint64_t start, uint64_t end)
{
	uint64_t old_lo, old_hi;

	if (io) {
		old_lo = (uint64_t)(pci_cfg_read8(bdf, PCI_IO_BASE) & 0xf0) << 8;
		old_hi = ((uint64_t)(pci_cfg_read8(bdf, PCI_IO_LIMIT) & 0xf0) << 8) + 0x1000;
	} else {
		old_lo = (uint64_t)(pci_cfg_read16(bdf, PCI_MEMORY_BASE) & 0xfff0) << 16;
		old_hi = ((uint64_t)(pci_cfg_read16(bdf, PCI_MEMORY_LIMIT) & 0xfff0) << 16) + 0x100000;
	}
	if (old_lo && old_lo < old_hi) { /* base 0 means never programmed */
		start = start < old_lo ? start : old_lo;
		end = end > old_hi ? end : old_hi;
	}
	if (io) {
		pci_cfg_write16(bdf, PCI_IO_BASE_UPPER16, 0);
		pci_cfg_write16(bdf, PCI_IO_LIMIT_UPPER16, 0);
		pci_cfg_write8(bdf, PCI_IO_BASE, (uint8_t)((start >> 8) & 0xf0));
		pci_cfg_write8(bdf, PCI_IO_LIMIT, (uint8_t)(((end - 1) >> 8) & 0xf0));
	} else {
		pci_cfg_write16(bdf, PCI_MEMORY_BASE, (uint16_t)((start >> 16) & 0xfff0));
		pci_cfg_write16(bdf, PCI_MEMORY_LIMIT, (uint16_t)(((end - 1) >> 16) & 0xfff0));
		/* Everything we place goes in the memory window: a never-programmed
		 * prefetchable window is closed (base above limit). */
		if (!pci_cfg_read16(bdf, PCI_PREF_MEMORY_BASE) && !pci_cfg_read16(bdf, PCI_PREF_MEMORY_LIMIT)) {
			pci_cfg_write16(bdf, PCI_PREF_MEMORY_BASE, 0xfff0);
			pci_cfg_write16(bdf, PCI_PREF_MEMORY_LIMIT, 0);
			pci_cfg_write32(bdf, PCI_PREF_BASE_UPPER32, 0);
			pci_cfg_write32(bdf, PCI_PREF_LIMIT_UPPER32, 0);
		}
	}
}

/*
 * Assigns the functions at table indexes [first, end): the table is in walk
 * order, so a bridge's subtree directly follows it. Everything behind a
 * bridge is allocated in one stretch, aligned to the window granules, and
 * the bridge's windows are opened on that stretch. Decoding is enabled for
 * the kinds of BAR that were assigned, and bus mastering on bridges.
 */
static void pci_assign_range(unsigned first, unsigned end)
{
	for (unsigned i = first; i < end; i++) {
		struct pci_func *f = &funcs[i];
		uint16_t enable = 0;

		for (unsigned j = 0; j < f->nbars; j++) {
			pci_bar_assign(f, j);
			if (f->bars[j].assigned)
				enable |= f->bars[j].type == PCI_PARSE_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
		}
		if (pci_func_is_bridge(f) && f->subtree_end > i + 1) {
			unsigned before = nassigned;
			mem_win.next = align_up(mem_win.next, PCI_BRIDGE_MEM_ALIGN);
			io_win.next = align_up(io_win.next, PCI_BRIDGE_IO_ALIGN);
			uint64_t mem_start = mem_win.next, io_start = io_win.next;

			pci_assign_range(i + 1, f->subtree_end);
			mem_win.next = align_up(mem_win.next, PCI_BRIDGE_MEM_ALIGN);
			io_win.next = align_up(io_win.next, PCI_BRIDGE_IO_ALIGN);
			if (nassigned != before && mem_win.next > mem_start) {
				pci_bridge_window_set(f->bdf, false, mem_start, mem_win.next);
				enable |= PCI_COMMAND_MEMORY;
			}
			if (nassigned != before && io_win.next > io_start) {
				pci_bridge_window_set(f->bdf, true, io_start, io_win.next);
				enable |= PCI_COMMAND_IO;
			}
			/* A bridge forwards its subtree's DMA and MSI writes upstream
			 * only as a bus master (PCI-to-PCI Bridge 1.2 §3.2.5.1). */
			enable |= PCI_COMMAND_MASTER;
			i = f->subtree_end - 1u;
		}
		if (enable)
			pci_cfg_write16(f->bdf, PCI_COMMAND, pci_cfg_read16(f->bdf, PCI_COMMAND) | enable);
	}
}

/* --- Entry points ------------------------------------------------------------ */

static const char *pci_mech_name(enum pci_mechanism m)
{
	return m == PCI_MECH_ECAM ? "ECAM" : m == PCI_MECH_CF8 ? "mechanism #1" : "auto";
}

/* ECAM is usable if MCFG named a window the identity map reaches. */
static bool pci_ecam_usable(void)
{
	return have_mcfg && mcfg.base && pci_ecam_end() <= (1ull << 32);
}

uintptr_t pci_ecam_address(uint16_t bdf, uint16_t off)
{
	return pci_ecam_usable() ? ecam_addr(bdf, off) : 0;
}

int pci_enumerate(enum pci_mechanism mech, const struct hvm_start_info *si, bool scan_bios)
{
	if (!acpi_done) {
		acpi_done = true;
		have_mcfg = acpi_mcfg_find(si, scan_bios, &mcfg);
	}
	if (mech == PCI_MECH_AUTO)
		mech = pci_ecam_usable() ? PCI_MECH_ECAM : PCI_MECH_CF8;
	if (mech == PCI_MECH_ECAM && !pci_ecam_usable()) {
		printf("error: pci: ECAM was asked for and is not available (%s)\n",
		       have_mcfg ? "its window is not below 4 GiB" : "no ACPI MCFG");
		return -1;
	}
	mech_used = mech;
	if (mech == PCI_MECH_ECAM)
		printf("pci: config access through ECAM at 0x%lx (buses %u-%u, from ACPI MCFG)\n", mcfg.base,
		       mcfg.start_bus, mcfg.end_bus);
	else
		printf("pci: config access through mechanism #1 (ports 0xcf8/0xcfc)\n");

	nfuncs = nfuncs_dropped = 0;
	memset(buses_seen, 0, sizeof(buses_seen));
	next_bus = 1;
	pci_bus_scan(0, 0);
	if (nfuncs_dropped)
		printf("pci: table full: %u more functions not recorded\n", nfuncs_dropped);

	nassigned = nassign_failed = 0;
	pci_windows_init(si);
	pci_assign_range(0, nfuncs);
	if (nassigned || nassign_failed)
		printf("pci: assigned %u BARs (%u failed) from mem 0x%lx-0x%lx, io 0x%lx-0x%lx\n", nassigned,
		       nassign_failed, mem_win.next, mem_win.end, io_win.next, io_win.end);
	return (int)nfuncs;
}

/* --- pci=list ---------------------------------------------------------------- */

/* Reads config space into cfg_buf and decodes it into cfg_info: 256 bytes,
 * and the other 3840 only for a PCIe function (one with a PCI Express
 * capability) when ECAM reaches them. Every dword is an exit: a
 * conventional function costs 64 of them, not 1024. */
static void pci_cfg_read_decode(uint16_t bdf)
{
	for (uint16_t off = 0; off < PCI_CFG_SPACE_SIZE; off += 4)
		*(uint32_t *)(cfg_buf + off) = pci_cfg_read32(bdf, off);
	pci_parse_config(cfg_buf, PCI_CFG_SPACE_SIZE, &cfg_info);
	if (mech_used != PCI_MECH_ECAM || !pci_parse_cap_find(&cfg_info, PCI_CAP_ID_EXP, false))
		return;
	for (uint16_t off = PCI_CFG_SPACE_SIZE; off < PCI_CFG_SPACE_EXP_SIZE; off += 4)
		*(uint32_t *)(cfg_buf + off) = pci_cfg_read32(bdf, off);
	pci_parse_config(cfg_buf, PCI_CFG_SPACE_EXP_SIZE, &cfg_info);
}

static void pci_cap_print(const char *who, const struct pci_parse_cap *c)
{
	char what[112] = "";

	switch (c->kind) {
	case PCI_PARSE_CAP_VIRTIO: {
		const struct pci_parse_virtio *v = &c->u.virtio;
		int n = snprintf(what, sizeof(what), " virtio %s cfg_type=%u bar=%u offset=0x%lx length=0x%lx",
				 pci_parse_virtio_cfg_name(v->cfg_type), v->cfg_type, v->bar, v->offset, v->length);
		if (v->cfg_type == 2 /* VIRTIO_PCI_CAP_NOTIFY_CFG */ && n > 0 && (size_t)n < sizeof(what))
			snprintf(what + n, sizeof(what) - (size_t)n, " notify_off_multiplier=%u",
				 v->notify_off_multiplier);
		break;
	}
	case PCI_PARSE_CAP_MSIX: {
		const struct pci_parse_msix *m = &c->u.msix;
		snprintf(what, sizeof(what), " table_size=%u table=bar%u+0x%x pba=bar%u+0x%x%s%s", m->table_size,
			 m->table_bar, m->table_offset, m->pba_bar, m->pba_offset, m->enabled ? " enabled" : "",
			 m->masked ? " masked" : "");
		break;
	}
	case PCI_PARSE_CAP_MSI: {
		const struct pci_parse_msi *m = &c->u.msi;
		snprintf(what, sizeof(what), " vectors=%u/%u%s%s%s", 1u << m->multi_enabled, 1u << m->multi_capable,
			 m->is_64bit ? " 64bit" : "", m->per_vector_mask ? " maskable" : "",
			 m->enabled ? " enabled" : "");
		break;
	}
	case PCI_PARSE_CAP_PM:
		snprintf(what, sizeof(what), " version=%u", c->u.pm.version);
		break;
	case PCI_PARSE_CAP_EXP:
		snprintf(what, sizeof(what), " version=%u type=%u", c->u.exp.version, c->u.exp.type);
		break;
	default:
		if (c->extended)
			snprintf(what, sizeof(what), " version=%u", c->version);
		break;
	}
	printf("%s cap 0x%x id=0x%0*x %s%s%s%s\n", who, c->offset, c->extended ? 4 : 2, c->id,
	       c->extended ? "ext " : "", pci_parse_cap_name(c->id, c->extended), what,
	       c->malformed ? " malformed" : "");
}

static void pci_func_print(const struct pci_func *f)
{
	char who[16];

	snprintf(who, sizeof(who), "pci %02x:%02x.%x", PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf));
	if (pci_func_is_bridge(f))
		printf("%s %04x:%04x class=%06x hdr=%u secondary=%02x subordinate=%02x\n", who, f->vendor_id,
		       f->device_id, f->class_code, f->header_type & PCI_HEADER_TYPE_MASK, f->secondary,
		       f->subordinate);
	else
		printf("%s %04x:%04x class=%06x hdr=%u%s\n", who, f->vendor_id, f->device_id, f->class_code,
		       f->header_type & PCI_HEADER_TYPE_MASK, f->header_type & PCI_HEADER_TYPE_MFD ? " mf" : "");
	for (unsigned i = 0; i < f->nbars; i++) {
		const struct pci_bar *b = &f->bars[i];
		if (!b->size || b->type == PCI_PARSE_BAR_MEM64_HI)
			continue;
		printf("%s bar%u=%s:0x%lx/0x%lx%s%s%s\n", who, i,
		       b->type == PCI_PARSE_BAR_IO ? "io" : b->type == PCI_PARSE_BAR_MEM64 ? "mem64" : "mem32", b->addr,
		       b->size, b->prefetchable ? " pf" : "", b->assigned ? " assigned" : "",
		       !pci_bar_below_4g(b) ? " above-4g" : "");
	}

	pci_cfg_read_decode(f->bdf);
	for (unsigned i = 0; i < cfg_info.ncaps; i++)
		pci_cap_print(who, &cfg_info.caps[i]);
	for (unsigned i = 0; i < cfg_info.nerrors; i++) {
		const struct pci_parse_err *e = &cfg_info.errors[i];
		printf("%s error 0x%x %s value=0x%x: %s\n", who, e->offset, pci_parse_error_name(e->code), e->value,
		       pci_parse_error_text(e->code));
	}
	if (cfg_info.errors_dropped)
		printf("%s error %u more not recorded\n", who, cfg_info.errors_dropped);
}

/*
 * pci=reset: undoes what firmware did - BARs, decoding, bridge windows and
 * bus numbers - so that the next pci=list must do it all, as it does after
 * qboot. Deepest functions first: a bridge keeps routing to its subtree
 * until that subtree is done.
 */
static void pci_reset_all(void)
{
	for (unsigned i = nfuncs; i-- > 0;) {
		const struct pci_func *f = &funcs[i];
		uint16_t cmd = pci_cfg_read16(f->bdf, PCI_COMMAND);

		if (f->class_code >> 8 == 0x0600)
			continue; /* the host bridge: leave it be */
		pci_cfg_write16(f->bdf, PCI_COMMAND,
				cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
		for (unsigned j = 0; j < f->nbars; j++)
			if (f->bars[j].size || f->bars[j].type == PCI_PARSE_BAR_MEM64_HI)
				pci_cfg_write32(f->bdf, (uint16_t)(PCI_BASE_ADDRESS_0 + 4 * j), 0);
		if (!pci_func_is_bridge(f))
			continue;
		for (uint16_t off = PCI_IO_BASE; off <= PCI_IO_LIMIT; off++)
			pci_cfg_write8(f->bdf, off, 0);
		for (uint16_t off = PCI_MEMORY_BASE; off <= PCI_IO_LIMIT_UPPER16; off += 2)
			pci_cfg_write16(f->bdf, off, 0);
		for (uint16_t off = PCI_PRIMARY_BUS; off <= PCI_SUBORDINATE_BUS; off++)
			pci_cfg_write8(f->bdf, off, 0);
	}
	printf("pci: reset BARs, decoding, bridge windows and bus numbers of %u functions\n", nfuncs);
}

int pci_action(const char *val, size_t len, bool dry_run, const struct hvm_start_info *si, bool scan_bios)
{
	static enum pci_mechanism mech = PCI_MECH_AUTO; /* what the next list uses */
	static const char *const words[] = { "list", "cf8", "ecam", "reset" };
	int k = word_find(val, len, WORDS(words));

	if (k < 0)
		return word_refuse("pci", val, len, WORDS(words));
	if (dry_run)
		return EXITLAB_EXIT_OK;
	if (k == 1 || k == 2) {
		mech = k == 1 ? PCI_MECH_CF8 : PCI_MECH_ECAM;
		return EXITLAB_EXIT_OK;
	}

	int n = pci_enumerate(mech, si, scan_bios);
	if (n < 0)
		return EXITLAB_EXIT_FAIL;
	if (k == 3) {
		pci_reset_all();
		return EXITLAB_EXIT_OK;
	}
	if (n == 0) {
		printf("pci: no devices found\n");
		return EXITLAB_EXIT_OK;
	}
	for (unsigned i = 0; i < nfuncs; i++)
		pci_func_print(&funcs[i]);
	printf("pci: %u functions through %s\n", nfuncs, pci_mech_name(mech_used));
	return EXITLAB_EXIT_OK;
}
