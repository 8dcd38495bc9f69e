/*
 * acpi.h - just enough ACPI to find PCI Express ECAM: RSDP -> XSDT/RSDT ->
 * MCFG, or, without one, FADT -> DSDT -> the PCI Express host bridge's
 * _CBA (QEMU microvm), every table checksummed and every length bounded.
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

enum acpi_ecam_from { ACPI_ECAM_FROM_MCFG, ACPI_ECAM_FROM_DSDT };

/* One ECAM window: an MCFG allocation (PCI Firmware Spec 3.2, §4.1.2), or
 * a host bridge's _CBA and bus range. base is the ECAM address of bus 0
 * even when start_bus is not 0. From the DSDT, the host bridge's name and
 * its windows (its _CRS: memory below 4 GiB, I/O ports) come too. */
struct acpi_ecam {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	enum acpi_ecam_from from;
	char host_name[5];
	bool windows;                /* from the DSDT: the two below are the host bridge's */
	uint64_t mem_start, mem_end; /* [start, end), empty when its _CRS names none */
	uint64_t io_start, io_end;
};

/*
 * Finds the first ECAM window for segment 0: MCFG's, else the DSDT's host
 * bridge's. scan_bios allows the legacy search for "RSD PTR " when
 * si->rsdp_paddr is 0 (pass false where there is no BIOS area to scan).
 * Prints one "acpi: ..." line saying what it found and where, or why there
 * is none. Returns false if there is no usable window.
 */
bool acpi_ecam_find(const struct hvm_start_info *si, bool scan_bios, struct acpi_ecam *out);

/* What ACPI says about the machine, for the banner; prints nothing. */
struct acpi_machine {
	bool present;     /* a valid RSDP and root table */
	char oem_id[7];   /* the root table's, trailing blanks dropped */
	bool mcfg, fadt;
	bool hw_reduced;  /* FADT: HW_REDUCED_ACPI (no fixed hardware) */
};
void acpi_machine_facts(const struct hvm_start_info *si, bool scan_bios, struct acpi_machine *out);

#endif
