/*
 * acpi_tables.h - the minimal ACPI tables a PVH guest needs to find ECAM the way
 * firmware-booted code does: RSDP -> XSDT -> MCFG.
 */
#ifndef VMM_ACPI_TABLES_H
#define VMM_ACPI_TABLES_H

#include <stdint.h>

/* Writes the tables at LAYOUT_ACPI in guest RAM (ram[0] is guest-physical
 * 0) for an ECAM window at ecam covering buses 0..end_bus. Returns the
 * RSDP's guest-physical address. */
uint64_t acpi_tables_write(uint8_t *ram, uint64_t ecam, uint8_t end_bus);

#endif
