/*
 * acpi.h - just enough ACPI to find PCI Express ECAM: RSDP -> XSDT/RSDT ->
 * MCFG, every table checksummed and every length bounded.
 *
 * The RSDP comes from hvm_start_info.rsdp_paddr (the PVH way: QEMU's PVH
 * option ROM and the exitlab VMM fill it in) or, when that is 0 and the
 * caller allows it, from the legacy scan of the EBDA and 0xE0000-0xFFFFF.
 */
#ifndef GUEST_ACPI_H
#define GUEST_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "pvh.h"

/* One MCFG allocation (PCI Firmware Spec 3.2, §4.1.2). base is the ECAM
 * address of bus 0 even when start_bus is not 0. */
struct acpi_mcfg {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
};

/*
 * Finds the first MCFG allocation for segment 0. scan_bios allows the
 * legacy search for "RSD PTR " when si->rsdp_paddr is 0 (pass false where
 * there is no BIOS area to scan). Prints one "acpi: ..." line saying what it
 * found and where. Returns false if there is no usable MCFG.
 */
bool acpi_mcfg_find(const struct hvm_start_info *si, bool scan_bios, struct acpi_mcfg *out);

#endif
