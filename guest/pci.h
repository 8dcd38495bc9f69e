/*
 * pci.h - the guest's PCI bus, as its users see it: config-space access
 * through mechanism #1 (ports 0xCF8/0xCFC) or ECAM (MMIO, found through
 * ACPI MCFG), the table of every function on every bus behind bridges with
 * its BARs sized and assigned, and the pci= command-line action.
 *
 * Functions are named by a 16-bit BDF (bus << 8 | device << 3 | function),
 * as in the PCI spec's routing ID. pci_bus_ready() walks the bus once and
 * fills a small static table that every driver reads with pci_func_get().
 *
 * Behind it, one file a job: pci_cfg.c (access; pci_cfg.h holds the inline
 * accessors of each mechanism), pci_walk.c (the bus walk and BAR sizing),
 * pci_alloc.c (BAR placement, host-tested) and pci_list.c (pci=).
 */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci_access.h" /* PCI_BDF() and friends */
#include "pci_regs.h"
#include "pvh.h"

#define PCI_MAX_FUNCS 64
_Static_assert(PCI_MAX_FUNCS <= 255, "struct pci_func.subtree_end is 8 bits");

enum pci_mechanism {
	PCI_MECH_AUTO, /* ECAM if ACPI has an MCFG, else mechanism #1 */
	PCI_MECH_CF8,  /* configuration mechanism #1: 256 bytes per function */
	PCI_MECH_ECAM, /* enhanced configuration access: 4096 bytes */
};

struct pci_bar {
	uint64_t addr; /* bus address (= guest-physical), 0 if none */
	uint64_t size; /* 0: not implemented, or the high half of a 64-bit BAR */
	uint8_t type; /* enum pci_parse_bar_type */
	bool prefetchable;
	bool assigned; /* the guest gave it its address (firmware had not) */
};

/* The BAR lies wholly in the low 4 GiB, all the guest's page tables map
 * (a BAR whose end would wrap past 2^64 does not). */
static inline bool pci_bar_below_4g(const struct pci_bar *b)
{
	return b->addr < (1ull << 32) && b->size <= (1ull << 32) - b->addr;
}

struct pci_func {
	uint16_t bdf;
	uint16_t vendor_id, device_id;
	uint32_t class_code; /* base << 16 | sub-class << 8 | prog-if */
	uint8_t header_type; /* raw, PCI_HEADER_TYPE_MFD included */
	uint8_t nbars; /* 6 (endpoint), 2 (bridge) */
	struct pci_bar bars[6];
	uint8_t secondary, subordinate; /* bridges: the bus range behind */
	uint8_t subtree_end; /* bridges: table index after the last function behind */
};

static inline bool pci_func_is_bridge(const struct pci_func *f)
{
	return (f->header_type & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE;
}

/* Config space of function bdf. Offsets beyond what the mechanism reaches
 * (256 for #1; buses outside MCFG's range for ECAM) read as all ones and
 * ignore writes, like an absent function. */
uint32_t pci_cfg_read32(uint16_t bdf, uint16_t off);
uint16_t pci_cfg_read16(uint16_t bdf, uint16_t off);
uint8_t pci_cfg_read8(uint16_t bdf, uint16_t off);
void pci_cfg_write32(uint16_t bdf, uint16_t off, uint32_t v);
void pci_cfg_write16(uint16_t bdf, uint16_t off, uint16_t v);
void pci_cfg_write8(uint16_t bdf, uint16_t off, uint8_t v);
/* len bytes (a multiple of 4) from off into buf, a dword at a time. */
void pci_cfg_read_block(uint16_t bdf, uint16_t off, uint8_t *buf, uint16_t len);

/* Where the walk finds ACPI: si->rsdp_paddr, else the BIOS area if
 * scan_bios (main.c knows which VMM this is). Before the first walk. */
void pci_boot(const struct hvm_start_info *si, bool scan_bios);
/* The bus, walked: the first call picks the mechanism (pci_bus_mechanism's,
 * else AUTO: ECAM if ACPI has an MCFG), enumerates every bus, sizes every
 * BAR, assigns the ones firmware left at 0 and enables their decoding;
 * later calls return the same table without touching the bus. Returns the
 * number of functions, or -1 if the mechanism asked for is not available
 * (said once). Every user of the table calls this first. */
int pci_bus_ready(void);
const struct pci_func *pci_func_get(unsigned index); /* NULL past the end */
/* pci=cf8|ecam: the mechanism of the next walk, which is due now if the
 * table was walked through the other one. */
void pci_bus_mechanism(enum pci_mechanism mech);
/* pci=reset: the table no longer says what is on the bus; walk it again. */
void pci_bus_forget(void);

/* ECAM address of (bdf, off) once pci_bus_ready() has looked for ACPI's
 * MCFG; 0 when there is no usable ECAM window (for the benchmarks). */
uintptr_t pci_ecam_address(uint16_t bdf, uint16_t off);

/* The pci=list|cf8|ecam|reset action (see main.c's table). */
int pci_action(const char *val, size_t len, bool dry_run);

#endif
