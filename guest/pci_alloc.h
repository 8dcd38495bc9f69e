/*
 * pci_alloc.h - addresses for the BARs firmware left at 0, and bridge
 * windows in front of them (pci_alloc.c), after the walk has sized every
 * BAR (pci_walk.c).
 *
 * What the allocator may use is handed to it in a struct pci_alloc_map:
 * the windows, the ECAM window and the memory map, both carved out of the
 * windows. It touches the machine only through pci_cfg_*() (pci.h), with no
 * port I/O or ACPI of its own, so a host test (tests/unit/
 * test_guest_pci_alloc.c) runs this very code against a model of config
 * space.
 */
#ifndef GUEST_PCI_ALLOC_H
#define GUEST_PCI_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "pci.h"
#include "pvh.h"

/* Where unassigned BARs go (QEMU q35/pc put their 32-bit PCI hole here too;
 * the top stops short of the IOAPIC at 0xfec00000). */
#define PCI_ALLOC_MEM_START 0xc0000000ull
#define PCI_ALLOC_MEM_END 0xfec00000ull
#define PCI_ALLOC_IO_START 0xc000u
#define PCI_ALLOC_IO_END 0x10000u
#define PCI_BRIDGE_MEM_ALIGN 0x100000u /* bridge windows: 1 MiB granules */
#define PCI_BRIDGE_IO_ALIGN 0x1000u /* and 4 KiB ones for I/O */

struct pci_alloc_map {
	uint64_t mem_start, mem_end; /* [start, end): where memory BARs may go */
	uint64_t io_start, io_end;   /* and I/O BARs */
	bool have_ecam;              /* the ECAM window [ecam_start, ecam_end) */
	uint64_t ecam_start, ecam_end;
	const struct hvm_memmap_table_entry *memmap; /* every entry is carved out of */
	uint32_t memmap_entries;                     /* the memory window; RAM refuses BARs */
};

struct pci_alloc_result {
	unsigned assigned, failed;   /* BARs given an address; BARs that found no room or did not keep it */
	uint64_t mem_next, mem_end;  /* what is left of each window */
	uint64_t io_next, io_end;
};

/*
 * Over funcs[0..nfuncs), in walk order (a bridge's subtree follows it):
 * forgets the address of every memory BAR that overlaps RAM or the ECAM
 * window, and of every BAR over one before it in walk order (said), starts
 * each window above the BARs firmware placed in it and the windows bridges
 * already forward, then gives every BAR at 0 the next aligned address of
 * its window, writes it and reads it back; opens each bridge's windows
 * over what was placed behind it, and enables decoding of what was
 * assigned (bus mastering on bridges). Prints one line when anything was
 * assigned or failed; then says every bridge window read back over RAM,
 * ECAM or a window of a bridge beside it.
 */
void pci_alloc_assign(struct pci_func *funcs, unsigned nfuncs, const struct pci_alloc_map *map,
		      struct pci_alloc_result *res);

#endif
