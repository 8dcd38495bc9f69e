/*
 * pci_access.h - how a configuration access names its target, on both
 * sides of the seam: the guest builds these addresses, the VMM decodes
 * them. Defined once here so the two cannot drift apart.
 *
 * A function is named by its 16-bit routing ID, the BDF (bus << 8 |
 * device << 3 | function; PCI Local Bus 3.0 §3.2.2.3.1, PCIe Base §2.2.6.2).
 *
 * Mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2): a dword with the enable bit,
 * the BDF and the dword-aligned register goes to CONFIG_ADDRESS (0xcf8);
 * the data then moves through CONFIG_DATA (0xcfc + (register & 3)).
 *
 * ECAM (PCIe Base §7.2.2): one memory access at base + (bus << 20 |
 * device << 15 | function << 12 | register): 1 MiB a bus, 4 KiB a function.
 * That is the BDF shifted left by 12.
 */
#ifndef PCI_ACCESS_H
#define PCI_ACCESS_H

#include <stdint.h>

#define PCI_BDF(bus, dev, fn) ((uint16_t)((bus) << 8 | (dev) << 3 | (fn)))
#define PCI_BDF_BUS(bdf) ((uint8_t)((bdf) >> 8))
#define PCI_BDF_DEV(bdf) ((uint8_t)(((bdf) >> 3) & 0x1f))
#define PCI_BDF_FN(bdf) ((uint8_t)((bdf) & 7))

/* --- Configuration mechanism #1 ------------------------------------------ */
#define PCI_CF8_ADDRESS_PORT 0xcf8 /* CONFIG_ADDRESS, 32 bits */
#define PCI_CF8_DATA_PORT 0xcfc /* CONFIG_DATA, 1, 2 or 4 bytes at + (reg & 3) */
#define PCI_CF8_ENABLE 0x80000000u /* bit 31: the access goes to config space */
#define PCI_CF8_ADDR(bdf, reg) (PCI_CF8_ENABLE | (uint32_t)(bdf) << 8 | ((reg) & 0xfcu))
#define PCI_CF8_BDF(addr) ((uint16_t)((addr) >> 8 & 0xffff))
#define PCI_CF8_REG(addr) ((unsigned)((addr) & 0xfc))

/* --- Enhanced configuration access mechanism (ECAM) ---------------------- */
#define PCI_ECAM_BUS_SIZE (1u << 20) /* bytes of window per bus */
#define PCI_ECAM_FN_SIZE (1u << 12) /* per function: PCI_CFG_SPACE_EXP_SIZE */
#define PCI_ECAM_OFFSET(bdf, reg) ((uint64_t)(bdf) << 12 | (reg))
#define PCI_ECAM_BDF(off) ((uint16_t)((off) >> 12 & 0xffff))
#define PCI_ECAM_REG(off) ((unsigned)((off) & 0xfff))

#endif /* PCI_ACCESS_H */
