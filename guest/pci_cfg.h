/*
 * pci_cfg.h - how the guest touches config space, one mechanism at a time:
 * tiny inline accessors for configuration mechanism #1 (PCI Local Bus 3.0
 * §3.2.2.3.2: an address dword to 0xCF8, then the data at 0xCFC +
 * (register & 3)) and for ECAM (PCIe Base 4.0 §7.2.2: one memory access at
 * the window's base + the function's 4 KiB + the register), with the
 * addresses built by common/pci_access.h, the header the VMM decodes them
 * with. Each accessor is the port or memory accesses of one config access
 * and nothing more, so a benchmark loop around one times exactly its exits
 * (kvm-unit-tests' lib/x86/asm/pci.h is the model).
 *
 * pci_cfg.c chooses the mechanism and wraps these in the pci_cfg_*() calls
 * that everything else uses (pci.h). The declarations at the end are for
 * the rest of the PCI layer (pci_walk.c, pci_list.c).
 */
#ifndef GUEST_PCI_CFG_H
#define GUEST_PCI_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "pci.h"
#include "pci_access.h"
#include "pvh.h"

/* --- Mechanism #1 --------------------------------------------------------- */
static inline void pci_cf8_select(uint16_t bdf, uint16_t off)
{
	outl(PCI_CF8_ADDRESS_PORT, PCI_CF8_ADDR(bdf, off));
}
static inline uint32_t pci_cf8_read32(uint16_t bdf, uint16_t off)
{
	pci_cf8_select(bdf, off);
	return inl(PCI_CF8_DATA_PORT);
}
static inline uint16_t pci_cf8_read16(uint16_t bdf, uint16_t off)
{
	pci_cf8_select(bdf, off);
	return inw(PCI_CF8_DATA_PORT + (off & 2));
}
static inline uint8_t pci_cf8_read8(uint16_t bdf, uint16_t off)
{
	pci_cf8_select(bdf, off);
	return inb(PCI_CF8_DATA_PORT + (off & 3));
}
static inline void pci_cf8_write32(uint16_t bdf, uint16_t off, uint32_t v)
{
	pci_cf8_select(bdf, off);
	outl(PCI_CF8_DATA_PORT, v);
}
static inline void pci_cf8_write16(uint16_t bdf, uint16_t off, uint16_t v)
{
	pci_cf8_select(bdf, off);
	outw(PCI_CF8_DATA_PORT + (off & 2), v);
}
static inline void pci_cf8_write8(uint16_t bdf, uint16_t off, uint8_t v)
{
	pci_cf8_select(bdf, off);
	outb(PCI_CF8_DATA_PORT + (off & 3), v);
}

/* --- ECAM: the register's address; the access is one mmio_read/write -------- */
static inline uintptr_t pci_ecam_addr(uint64_t base, uint16_t bdf, uint16_t off)
{
	return (uintptr_t)(base + PCI_ECAM_OFFSET(bdf, off));
}

/* --- For the PCI layer ------------------------------------------------------ */

/* Makes mech the mechanism of every pci_cfg_*() from now on. AUTO asks ACPI
 * for an MCFG (once: si->rsdp_paddr, else the BIOS area if scan_bios) and
 * takes ECAM if its window is in the low 4 GiB, else mechanism #1. Prints
 * which, or why ECAM, asked for, is not there: then -1, else 0. */
int pci_cfg_use(enum pci_mechanism mech, const struct hvm_start_info *si, bool scan_bios);
/* The mechanism in use (CF8 until pci_cfg_use chose), and its name. */
enum pci_mechanism pci_cfg_mechanism(void);
const char *pci_cfg_mechanism_name(enum pci_mechanism m);
/* The ECAM window MCFG names, [*start, *end): 1 MiB a bus from bus 0's
 * address; false if there is no MCFG (or none looked for yet). */
bool pci_ecam_window(uint64_t *start, uint64_t *end);
/* The host bridge's own memory and I/O windows, where ACPI's DSDT gave
 * them along with ECAM (QEMU microvm): false, nothing written, where it
 * did not. */
bool pci_host_windows(uint64_t *mem_start, uint64_t *mem_end, uint64_t *io_start, uint64_t *io_end);

#endif
