/*
 * pci_walk.c - the bus walk: every function on every bus behind bridges,
 * its BARs sized, recorded in the table every driver reads (pci.h's
 * pci_func_get()); then pci_alloc.c places the BARs firmware left at 0.
 *
 * It happens once. Whoever needs the bus first - pci=list, or virtio=,
 * testdev=, bar.*, cfg.write=, bench=, chaos= when they come before it -
 * calls pci_bus_ready(), which walks it; every later caller gets the same
 * table, until pci=cf8|ecam asks for a mechanism it was not walked with
 * or pci=reset undoes what it found.
 *
 * The walk is depth-first from bus 0 through PCI-to-PCI bridges, numbering
 * buses firmware left unnumbered; every loop is bounded (a bitmap of buses
 * seen, a depth limit, PCI_MAX_FUNCS). BARs are sized with decoding off.
 * All of it goes through pci_cfg_*() and does not care which mechanism is
 * in use (kvm-unit-tests' lib/pci.c is the model).
 */
#include "pci.h"

#include "lib.h"
#include "pci_alloc.h"
#include "pci_cfg.h"
#include "pci_parse.h"
#include "pci_regs.h"

#define PCI_MAX_DEPTH 16 /* bridges below bridges; real systems use a few */
#define PCI_MEMMAP_MAX 128 /* hvm_start_info memory-map entries looked at */

/* The NOINIT ones are written before read at every walk. */
static struct pci_func funcs[PCI_MAX_FUNCS] NOINIT;
static unsigned nfuncs, nfuncs_dropped;
static uint32_t buses_seen[256 / 32] NOINIT;
static unsigned next_bus; /* the next bus number to hand out; 256: none left */

static const struct hvm_start_info *boot_si;
static bool boot_scan_bios;
static enum pci_mechanism mech_wanted = PCI_MECH_AUTO; /* what the next walk uses */
static enum { WALK_NONE, WALK_DONE, WALK_FAILED } walk;

const struct pci_func *pci_func_get(unsigned index)
{
	return index < nfuncs ? &funcs[index] : NULL;
}

/* --- BAR sizing ------------------------------------------------------------- */

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
	bool keep_decoding = f->class_code >> 8 == PCI_CLASS_BRIDGE_HOST;

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

/* --- Entry point -------------------------------------------------------------- */

/* What the allocator may use: its windows (the host bridge's own where the
 * DSDT names them, an empty one where it names none: QEMU microvm's has no
 * I/O ports), minus ECAM and the memory map. */
static void pci_alloc_map_init(struct pci_alloc_map *map, const struct hvm_start_info *si)
{
	*map = (struct pci_alloc_map){ .mem_start = PCI_ALLOC_MEM_START, .mem_end = PCI_ALLOC_MEM_END,
				       .io_start = PCI_ALLOC_IO_START, .io_end = PCI_ALLOC_IO_END };
	if (pci_cfg_mechanism() == PCI_MECH_ECAM &&
	    pci_host_windows(&map->mem_start, &map->mem_end, &map->io_start, &map->io_end) &&
	    map->mem_end > PCI_ALLOC_MEM_END)
		map->mem_end = PCI_ALLOC_MEM_END;
	map->have_ecam = pci_ecam_window(&map->ecam_start, &map->ecam_end);
	if (si->version >= 1 && si->memmap_paddr) {
		map->memmap = (const void *)(uintptr_t)si->memmap_paddr;
		map->memmap_entries = si->memmap_entries < PCI_MEMMAP_MAX ? si->memmap_entries : PCI_MEMMAP_MAX;
	}
}

/* Walks the bus, through the mechanism pci_cfg_use() chose: the table,
 * BARs sized, then assigned. */
static void pci_bus_walk(const struct hvm_start_info *si)
{
	nfuncs = nfuncs_dropped = 0;
	memset(buses_seen, 0, sizeof(buses_seen));
	next_bus = 1;
	pci_bus_scan(0, 0);
	if (nfuncs_dropped)
		printf("pci: table full: %u more functions not recorded\n", nfuncs_dropped);

	struct pci_alloc_map map;
	struct pci_alloc_result res;
	pci_alloc_map_init(&map, si);
	pci_alloc_assign(funcs, nfuncs, &map, &res);
}

void pci_boot(const struct hvm_start_info *si, bool scan_bios)
{
	boot_si = si;
	boot_scan_bios = scan_bios;
}

int pci_bus_ready(void)
{
	if (walk == WALK_NONE) {
		walk = pci_cfg_use(mech_wanted, boot_si, boot_scan_bios) < 0 ? WALK_FAILED : WALK_DONE;
		if (walk == WALK_DONE)
			pci_bus_walk(boot_si);
	}
	return walk == WALK_DONE ? (int)nfuncs : -1;
}

void pci_bus_mechanism(enum pci_mechanism mech)
{
	mech_wanted = mech;
	if (walk == WALK_FAILED || (walk == WALK_DONE && mech != pci_cfg_mechanism()))
		walk = WALK_NONE;
}

void pci_bus_forget(void) { walk = WALK_NONE; }
