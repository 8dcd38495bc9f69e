/*
 * pci_alloc.c - where the BARs firmware left at 0 go (pci_alloc.h).
 *
 * Firmware such as SeaBIOS assigns every BAR; qboot (QEMU's microvm BIOS)
 * assigns none. So BARs at 0 get addresses from two bump allocators, one
 * for memory and one for I/O, each starting above anything firmware placed
 * in its window; a BAR is aligned to its size (PCI 3.0 §6.2.5.1), a 64-bit
 * one gets both halves. The memory window has the ECAM window and every
 * memory-map entry carved out of it, and a BAR firmware (or a hostile
 * device) put over RAM or ECAM is forgotten and placed afresh. Everything
 * behind a bridge is placed in one stretch, aligned to the bridge's window
 * granules, and the bridge's windows are opened on that stretch.
 *
 * One walk's allocation is one struct pci_alloc, on the stack: nothing is
 * kept between calls, so the host test can run one after another.
 */
#include "pci_alloc.h"

#include "lib.h"
#include "pci_parse.h"
#include "pci_regs.h"

struct pci_window {
	uint64_t next, end; /* bump allocator: [next, end) is free */
};

struct pci_alloc {
	struct pci_func *funcs;
	struct pci_window mem, io;
	unsigned assigned, failed;
};

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

/* Does [a, a + size) meet [lo, hi)? One that wraps past 2^64 meets
 * everything above a. */
static bool pci_range_meets(uint64_t a, uint64_t size, uint64_t lo, uint64_t hi)
{
	return a < hi && (a + size > lo || a + size < a);
}

/* A memory BAR placed over RAM or the ECAM window (by firmware, or by a
 * device that says so) would send our stores to its "registers" there:
 * forget its address, so it is assigned afresh like one left at 0. */
static void pci_bar_check_placement(struct pci_func *f, unsigned i, const struct pci_alloc_map *map)
{
	struct pci_bar *b = &f->bars[i];
	const struct hvm_memmap_table_entry *e = map->memmap;
	const char *what = NULL;

	if (!b->size || !b->addr || b->type == PCI_PARSE_BAR_IO)
		return;
	if (map->have_ecam && pci_range_meets(b->addr, b->size, map->ecam_start, map->ecam_end))
		what = "the ECAM window";
	for (uint32_t k = 0; !what && k < map->memmap_entries; k++)
		if (e[k].type == HVM_MEMMAP_TYPE_RAM &&
		    pci_range_meets(b->addr, b->size, e[k].addr, e[k].addr + e[k].size))
			what = "RAM";
	if (!what)
		return;
	printf("error: pci %02x:%02x.%x: bar%u at 0x%lx/0x%lx overlaps %s: not used there, reassigned\n",
	       PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf), i, b->addr, b->size, what);
	b->addr = 0;
}

/* Two BARs firmware (or lying devices) left over each other would both
 * answer the same cycles: the later one in walk order is forgotten, said
 * naming both, and assigned afresh. Only BARs already checked (earlier
 * functions, earlier BARs of this one) are compared. */
static void pci_bar_check_overlap(struct pci_func *funcs, unsigned fi, unsigned bi)
{
	struct pci_bar *b = &funcs[fi].bars[bi];

	if (!b->size || !b->addr || b->type == PCI_PARSE_BAR_MEM64_HI)
		return;
	for (unsigned i = 0; i <= fi; i++)
		for (unsigned j = 0; j < (i == fi ? bi : funcs[i].nbars); j++) {
			const struct pci_bar *o = &funcs[i].bars[j];
			uint64_t o_end = o->addr + o->size < o->addr ? UINT64_MAX : o->addr + o->size; /* one ending at 2^64 */
			if (!o->size || !o->addr || o->type == PCI_PARSE_BAR_MEM64_HI ||
			    (o->type == PCI_PARSE_BAR_IO) != (b->type == PCI_PARSE_BAR_IO) ||
			    !pci_range_meets(b->addr, b->size, o->addr, o_end))
				continue;
			uint16_t f = funcs[fi].bdf, g = funcs[i].bdf;
			printf("error: pci %02x:%02x.%x: bar%u at 0x%lx/0x%lx overlaps pci %02x:%02x.%x bar%u at 0x%lx/0x%lx: "
			       "not used there, reassigned\n", PCI_BDF_BUS(f), PCI_BDF_DEV(f), PCI_BDF_FN(f), bi, b->addr,
			       b->size, PCI_BDF_BUS(g), PCI_BDF_DEV(g), PCI_BDF_FN(g), j, o->addr, o->size);
			b->addr = 0;
			return;
		}
}

/* --- bridge windows, as their registers say -------------------------------- */

enum pci_window_kind { PCI_WIN_IO, PCI_WIN_MEM, PCI_WIN_PREF, PCI_WIN_KINDS };
static const char *const pci_window_name[PCI_WIN_KINDS] = { "I/O", "memory", "prefetchable" };

/* Window k of the bridge at bdf, [*lo, *hi] (inclusive), read back from
 * its registers (PCI-to-PCI Bridge Architecture 1.2 §3.2.5.6-10): false if
 * it is closed (base above limit) or the bridge forwards no cycle of that
 * kind (COMMAND's I/O or memory enable is off). */
static bool pci_bridge_window_get(uint16_t bdf, enum pci_window_kind k, uint64_t *lo, uint64_t *hi)
{
	if (!(pci_cfg_read16(bdf, PCI_COMMAND) & (k == PCI_WIN_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
		return false;
	if (k == PCI_WIN_IO) {
		uint8_t base = pci_cfg_read8(bdf, PCI_IO_BASE), limit = pci_cfg_read8(bdf, PCI_IO_LIMIT);
		*lo = (uint64_t)(base & PCI_IO_RANGE_MASK) << 8;
		*hi = (uint64_t)(limit & PCI_IO_RANGE_MASK) << 8 | (PCI_BRIDGE_IO_ALIGN - 1);
		if ((base & PCI_IO_RANGE_TYPE_MASK) == PCI_IO_RANGE_TYPE_32) {
			*lo |= (uint64_t)pci_cfg_read16(bdf, PCI_IO_BASE_UPPER16) << 16;
			*hi |= (uint64_t)pci_cfg_read16(bdf, PCI_IO_LIMIT_UPPER16) << 16;
		}
		return *lo <= *hi;
	}
	uint16_t reg = k == PCI_WIN_MEM ? PCI_MEMORY_BASE : PCI_PREF_MEMORY_BASE;
	uint16_t base = pci_cfg_read16(bdf, reg), limit = pci_cfg_read16(bdf, (uint16_t)(reg + 2));
	*lo = (uint64_t)(base & PCI_MEMORY_RANGE_MASK) << 16;
	*hi = (uint64_t)(limit & PCI_MEMORY_RANGE_MASK) << 16 | (PCI_BRIDGE_MEM_ALIGN - 1);
	if (k == PCI_WIN_PREF && (base & PCI_PREF_RANGE_TYPE_MASK) == PCI_PREF_RANGE_TYPE_64) {
		*lo |= (uint64_t)pci_cfg_read32(bdf, PCI_PREF_BASE_UPPER32) << 32;
		*hi |= (uint64_t)pci_cfg_read32(bdf, PCI_PREF_LIMIT_UPPER32) << 32;
	}
	return *lo <= *hi;
}

/*
 * After assignment: every window a bridge forwards, read back, must not
 * lie over RAM or the ECAM window (memory ones), nor over a window of the
 * same space of a bridge outside its own subtree (nested windows are how
 * bridges below bridges work; two side by side that overlap would both
 * claim the same cycles). Said, naming both ranges: the guest cannot
 * move windows a bridge does not keep, and what is behind it may not be
 * reached. Each window is read once (every read an exit).
 */
static void pci_bridge_windows_check(const struct pci_alloc *a, unsigned nfuncs, const struct pci_alloc_map *map)
{
	struct { uint64_t lo, hi; bool open; } w[PCI_MAX_FUNCS][PCI_WIN_KINDS];
	const struct hvm_memmap_table_entry *e = map->memmap;

	for (unsigned i = 0; i < nfuncs && i < PCI_MAX_FUNCS; i++)
		for (unsigned k = 0; k < PCI_WIN_KINDS; k++)
			w[i][k].open = pci_func_is_bridge(&a->funcs[i]) &&
				       pci_bridge_window_get(a->funcs[i].bdf, k, &w[i][k].lo, &w[i][k].hi);
	for (unsigned i = 0; i < nfuncs && i < PCI_MAX_FUNCS; i++) {
		uint16_t bdf = a->funcs[i].bdf;
		for (unsigned k = 0; k < PCI_WIN_KINDS; k++) {
			if (!w[i][k].open)
				continue;
			uint64_t lo = w[i][k].lo, hi = w[i][k].hi;
			const struct hvm_memmap_table_entry *ram = NULL;
			for (uint32_t m = 0; k != PCI_WIN_IO && !ram && m < map->memmap_entries; m++)
				if (e[m].type == HVM_MEMMAP_TYPE_RAM && e[m].size && lo < e[m].addr + e[m].size && hi >= e[m].addr)
					ram = &e[m];
			if (ram)
				printf("error: pci %02x:%02x.%x: bridge %s window 0x%lx-0x%lx overlaps RAM 0x%lx-0x%lx\n",
				       PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), pci_window_name[k], lo, hi,
				       ram->addr, ram->addr + ram->size - 1);
			if (k != PCI_WIN_IO && map->have_ecam && lo < map->ecam_end && hi >= map->ecam_start)
				printf("error: pci %02x:%02x.%x: bridge %s window 0x%lx-0x%lx overlaps the ECAM window "
				       "0x%lx-0x%lx\n", PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf),
				       pci_window_name[k], lo, hi, map->ecam_start, map->ecam_end - 1);
			for (unsigned j = a->funcs[i].subtree_end; j < nfuncs && j < PCI_MAX_FUNCS; j++)
				for (unsigned k2 = 0; k2 < PCI_WIN_KINDS; k2++) {
					if (!w[j][k2].open || (k == PCI_WIN_IO) != (k2 == PCI_WIN_IO) ||
					    w[j][k2].lo > hi || w[j][k2].hi < lo)
						continue;
					uint16_t other = a->funcs[j].bdf;
					printf("error: pci %02x:%02x.%x: bridge %s window 0x%lx-0x%lx overlaps the %s window "
					       "0x%lx-0x%lx of the bridge at %02x:%02x.%x\n", PCI_BDF_BUS(other),
					       PCI_BDF_DEV(other), PCI_BDF_FN(other), pci_window_name[k2], w[j][k2].lo,
					       w[j][k2].hi, pci_window_name[k], lo, hi, PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf),
					       PCI_BDF_FN(bdf));
				}
		}
	}
}

/* The windows, minus ECAM and anything in the memory map, starting above
 * every BAR firmware placed in them (and not over RAM or ECAM) and every
 * window a bridge forwards already (firmware's, or a device's own idea):
 * what is placed on the bus above must not land in a bridge's window. */
static void pci_windows_init(struct pci_alloc *a, unsigned nfuncs, const struct pci_alloc_map *map)
{
	uint64_t lo = map->mem_start, hi = map->mem_end;
	const struct hvm_memmap_table_entry *e = map->memmap;

	if (map->have_ecam)
		pci_window_carve(&lo, &hi, map->ecam_start, map->ecam_end);
	for (uint32_t i = 0; i < map->memmap_entries; i++)
		pci_window_carve(&lo, &hi, e[i].addr, e[i].addr + e[i].size);
	for (unsigned i = 0; i < nfuncs; i++)
		for (unsigned j = 0; j < a->funcs[i].nbars; j++) {
			pci_bar_check_placement(&a->funcs[i], j, map);
			pci_bar_check_overlap(a->funcs, i, j);
		}
	a->mem = (struct pci_window){ lo, hi };
	a->io = (struct pci_window){ map->io_start, map->io_end };
	for (unsigned i = 0; i < nfuncs; i++) {
		for (unsigned j = 0; j < a->funcs[i].nbars; j++) {
			const struct pci_bar *b = &a->funcs[i].bars[j];
			struct pci_window *w = b->type == PCI_PARSE_BAR_IO ? &a->io : &a->mem;
			uint64_t start = b->type == PCI_PARSE_BAR_IO ? map->io_start : lo;
			if (b->size && b->addr >= start && b->addr < w->end && b->addr + b->size > w->next)
				w->next = b->addr + b->size;
		}
		for (unsigned k = 0; pci_func_is_bridge(&a->funcs[i]) && k < PCI_WIN_KINDS; k++) {
			struct pci_window *w = k == PCI_WIN_IO ? &a->io : &a->mem;
			uint64_t wlo, whi;
			/* One that starts below the window but reaches into it counts
			 * too; one up to 2^64 - 1 leaves no room, not a wrap to 0. */
			if (pci_bridge_window_get(a->funcs[i].bdf, k, &wlo, &whi) && wlo < w->end && whi >= w->next)
				w->next = whi >= w->end - 1 ? w->end : whi + 1;
		}
	}
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

/* Gives BAR i of f an address if firmware left it at 0. */
static void pci_bar_assign(struct pci_alloc *al, struct pci_func *f, unsigned i)
{
	struct pci_bar *b = &f->bars[i];
	struct pci_window *w = b->type == PCI_PARSE_BAR_IO ? &al->io : &al->mem;
	uint16_t reg = (uint16_t)(PCI_BASE_ADDRESS_0 + 4 * i);
	uint64_t a = align_up(w->next, b->size);

	if (!b->size || b->addr || b->type == PCI_PARSE_BAR_MEM64_HI)
		return;
	if (a < w->next || a > w->end || b->size > w->end - a) {
		printf("pci %02x:%02x.%x: bar%u: no room for 0x%lx bytes of %s\n", PCI_BDF_BUS(f->bdf),
		       PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf), i, b->size, pci_parse_bar_type_name(b->type));
		al->failed++;
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
		al->failed++;
		return;
	}
	b->addr = a;
	b->assigned = true;
	al->assigned++;
}

/* Opens a bridge's I/O or memory window to [start, end), merged with what
 * firmware had opened (PCI-to-PCI Bridge Architecture 1.2 §3.2.5.6-8). */
static void pci_bridge_window_set(uint16_t bdf, bool io, uint64_t start, uint64_t end)
{
	uint64_t old_lo, old_hi;

	if (io) {
		old_lo = (uint64_t)(pci_cfg_read8(bdf, PCI_IO_BASE) & PCI_IO_RANGE_MASK) << 8;
		old_hi = ((uint64_t)(pci_cfg_read8(bdf, PCI_IO_LIMIT) & PCI_IO_RANGE_MASK) << 8) + PCI_BRIDGE_IO_ALIGN;
	} else {
		old_lo = (uint64_t)(pci_cfg_read16(bdf, PCI_MEMORY_BASE) & PCI_MEMORY_RANGE_MASK) << 16;
		old_hi = ((uint64_t)(pci_cfg_read16(bdf, PCI_MEMORY_LIMIT) & PCI_MEMORY_RANGE_MASK) << 16) +
			 PCI_BRIDGE_MEM_ALIGN;
	}
	if (old_lo && old_lo < old_hi) { /* base 0 means never programmed */
		start = start < old_lo ? start : old_lo;
		end = end > old_hi ? end : old_hi;
	}
	if (io) {
		pci_cfg_write16(bdf, PCI_IO_BASE_UPPER16, 0);
		pci_cfg_write16(bdf, PCI_IO_LIMIT_UPPER16, 0);
		pci_cfg_write8(bdf, PCI_IO_BASE, (uint8_t)((start >> 8) & PCI_IO_RANGE_MASK));
		pci_cfg_write8(bdf, PCI_IO_LIMIT, (uint8_t)(((end - 1) >> 8) & PCI_IO_RANGE_MASK));
	} else {
		pci_cfg_write16(bdf, PCI_MEMORY_BASE, (uint16_t)((start >> 16) & PCI_MEMORY_RANGE_MASK));
		pci_cfg_write16(bdf, PCI_MEMORY_LIMIT, (uint16_t)(((end - 1) >> 16) & PCI_MEMORY_RANGE_MASK));
		/* Everything we place goes in the memory window: a never-programmed
		 * prefetchable window is closed (base above limit). Its low four
		 * bits are the read-only type (1: 64-bit), not the address. */
		if (!(pci_cfg_read16(bdf, PCI_PREF_MEMORY_BASE) & PCI_PREF_RANGE_MASK) &&
		    !(pci_cfg_read16(bdf, PCI_PREF_MEMORY_LIMIT) & PCI_PREF_RANGE_MASK)) {
			pci_cfg_write16(bdf, PCI_PREF_MEMORY_BASE, (uint16_t)PCI_PREF_RANGE_MASK);
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
static void pci_assign_range(struct pci_alloc *a, unsigned first, unsigned end)
{
	for (unsigned i = first; i < end; i++) {
		struct pci_func *f = &a->funcs[i];
		uint16_t enable = 0;

		for (unsigned j = 0; j < f->nbars; j++) {
			pci_bar_assign(a, f, j);
			if (f->bars[j].assigned)
				enable |= f->bars[j].type == PCI_PARSE_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
		}
		if (pci_func_is_bridge(f) && f->subtree_end > i + 1) {
			unsigned before = a->assigned;
			a->mem.next = align_up(a->mem.next, PCI_BRIDGE_MEM_ALIGN);
			a->io.next = align_up(a->io.next, PCI_BRIDGE_IO_ALIGN);
			uint64_t mem_start = a->mem.next, io_start = a->io.next;

			pci_assign_range(a, i + 1, f->subtree_end);
			a->mem.next = align_up(a->mem.next, PCI_BRIDGE_MEM_ALIGN);
			a->io.next = align_up(a->io.next, PCI_BRIDGE_IO_ALIGN);
			if (a->assigned != before && a->mem.next > mem_start) {
				pci_bridge_window_set(f->bdf, false, mem_start, a->mem.next);
				enable |= PCI_COMMAND_MEMORY;
			}
			if (a->assigned != before && a->io.next > io_start) {
				pci_bridge_window_set(f->bdf, true, io_start, a->io.next);
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

void pci_alloc_assign(struct pci_func *funcs, unsigned nfuncs, const struct pci_alloc_map *map,
		      struct pci_alloc_result *res)
{
	struct pci_alloc a = { .funcs = funcs };

	pci_windows_init(&a, nfuncs, map);
	pci_assign_range(&a, 0, nfuncs);
	pci_bridge_windows_check(&a, nfuncs, map);
	if (a.assigned || a.failed)
		printf("pci: assigned %u BARs (%u failed) from mem 0x%lx-0x%lx, io 0x%lx-0x%lx\n", a.assigned,
		       a.failed, a.mem.next, a.mem.end, a.io.next, a.io.end);
	*res = (struct pci_alloc_result){ a.assigned, a.failed, a.mem.next, a.mem.end, a.io.next, a.io.end };
}
