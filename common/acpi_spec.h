/*
 * acpi_spec.h - the few ACPI structures that lead from the RSDP to PCI
 * Express ECAM, laid out once for both sides of the seam: the VMM builds
 * them (vmm/acpi_tables.c), the guest parses them (guest/acpi.c; a plain
 * "acpi.h" here would be shadowed by guest/acpi.h), and the guest parses
 * QEMU's too, so these are the spec's bytes, not a private format.
 *
 * The walk is RSDP -> XSDT (or, for ACPI 1.0, RSDT) -> MCFG:
 *   ACPI 6.5 §5.2.5.3 "Root System Description Pointer (RSDP) Structure"
 *     (table 5.3), found through hvm_start_info.rsdp_paddr or by the
 *     legacy search of §5.2.5.1 "Finding the RSDP on IA-PC Systems";
 *   §5.2.6 "System Description Table Header" (table 5.4), which every
 *     table but the RSDP starts with;
 *   §5.2.7 "Root System Description Table (RSDT)" (table 5.5): 32-bit
 *     table addresses; §5.2.8 "Extended System Description Table (XSDT)"
 *     (table 5.6): 64-bit ones;
 *   PCI Firmware Specification 3.2 §4.1.2 "MCFG Table Description"
 *     (tables 4-2 and 4-3): the ECAM window of each segment's bus range.
 * No MADT: the VMM publishes none (the guest finds its local APIC through
 * the APIC base MSR) and the guest reads none.
 *
 * Field names are the specs' own, in snake case. Everything is packed and
 * little-endian (x86 only), so a pointer to any byte may be cast to these
 * types: their alignment is 1. Every offset is frozen below. A table is
 * valid when its bytes sum to 0 (mod 256) over its Length; the RSDP has two
 * sums, one over its ACPI 1.0 part and one over all of it.
 * Self-contained: <stdint.h>, <stddef.h>.
 */
#ifndef ACPI_SPEC_H
#define ACPI_SPEC_H

#include <stddef.h>
#include <stdint.h>

/* Signatures (ACPI 6.5 tables 5.3, 5.5, 5.6; PCI Firmware 3.2 table 4-2). */
#define ACPI_SIG_RSDP "RSD PTR " /* 8 bytes, note the trailing space */
#define ACPI_SIG_RSDT "RSDT"
#define ACPI_SIG_XSDT "XSDT"
#define ACPI_SIG_MCFG "MCFG"

/* §5.2.5.1: where a legacy BIOS leaves the RSDP, on a 16-byte boundary:
 * the first KiB of the EBDA (its segment is the word at 0x40e of the BIOS
 * data area), or the BIOS read-only area 0xe0000-0xfffff. */
#define ACPI_EBDA_SEGMENT_PTR 0x40e
#define ACPI_EBDA_SEARCH_LEN 1024
#define ACPI_BIOS_AREA_START 0xe0000u
#define ACPI_BIOS_AREA_END 0x100000u /* exclusive */
#define ACPI_RSDP_ALIGN 16

/* §5.2.5.3, table 5.3. Revision 0 is ACPI 1.0: only the first 20 bytes
 * exist and only rsdt_address is valid; revision 2 and later add the rest. */
#define ACPI_RSDP_V1_LENGTH 20 /* what `checksum` covers */
#define ACPI_RSDP_REVISION_2 2
struct __attribute__((packed)) acpi_rsdp {
	char signature[8]; /* ACPI_SIG_RSDP */
	uint8_t checksum; /* the first ACPI_RSDP_V1_LENGTH bytes sum to 0 */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address; /* physical address of the RSDT */
	uint32_t length; /* of the whole structure (36), revision >= 2 */
	uint64_t xsdt_address; /* physical address of the XSDT, revision >= 2 */
	uint8_t extended_checksum; /* all `length` bytes sum to 0 */
	uint8_t reserved[3];
};
_Static_assert(offsetof(struct acpi_rsdp, signature) == 0, "ACPI 6.5 table 5.3");
_Static_assert(offsetof(struct acpi_rsdp, checksum) == 8, "ACPI 6.5 table 5.3");
_Static_assert(offsetof(struct acpi_rsdp, oem_id) == 9, "ACPI 6.5 table 5.3");
_Static_assert(offsetof(struct acpi_rsdp, revision) == 15, "ACPI 6.5 table 5.3");
_Static_assert(offsetof(struct acpi_rsdp, rsdt_address) == 16, "ACPI 6.5 table 5.3");
_Static_assert(offsetof(struct acpi_rsdp, length) == ACPI_RSDP_V1_LENGTH, "ACPI 6.5 table 5.3");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "ACPI 6.5 table 5.3");
_Static_assert(offsetof(struct acpi_rsdp, extended_checksum) == 32, "ACPI 6.5 table 5.3");
_Static_assert(offsetof(struct acpi_rsdp, reserved) == 33, "ACPI 6.5 table 5.3");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "ACPI 6.5 table 5.3");

/* §5.2.6, table 5.4: the header of every system description table. */
struct __attribute__((packed)) acpi_sdt_header {
	char signature[4]; /* ACPI_SIG_* */
	uint32_t length; /* of the whole table, this header included */
	uint8_t revision; /* of the table's own definition */
	uint8_t checksum; /* all `length` bytes sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4]; /* vendor ID of the tool that made the table */
	uint32_t creator_revision;
};
_Static_assert(offsetof(struct acpi_sdt_header, signature) == 0, "ACPI 6.5 table 5.4");
_Static_assert(offsetof(struct acpi_sdt_header, length) == 4, "ACPI 6.5 table 5.4");
_Static_assert(offsetof(struct acpi_sdt_header, revision) == 8, "ACPI 6.5 table 5.4");
_Static_assert(offsetof(struct acpi_sdt_header, checksum) == 9, "ACPI 6.5 table 5.4");
_Static_assert(offsetof(struct acpi_sdt_header, oem_id) == 10, "ACPI 6.5 table 5.4");
_Static_assert(offsetof(struct acpi_sdt_header, oem_table_id) == 16, "ACPI 6.5 table 5.4");
_Static_assert(offsetof(struct acpi_sdt_header, oem_revision) == 24, "ACPI 6.5 table 5.4");
_Static_assert(offsetof(struct acpi_sdt_header, creator_id) == 28, "ACPI 6.5 table 5.4");
_Static_assert(offsetof(struct acpi_sdt_header, creator_revision) == 32, "ACPI 6.5 table 5.4");
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "ACPI 6.5 table 5.4");

/* §5.2.7, table 5.5 and §5.2.8, table 5.6: a header, then one physical
 * address per table up to `length`: (length - 36) / 4 or / 8 of them. */
struct __attribute__((packed)) acpi_table_rsdt {
	struct acpi_sdt_header header; /* ACPI_SIG_RSDT, revision 1 */
	uint32_t entry[];
};
struct __attribute__((packed)) acpi_table_xsdt {
	struct acpi_sdt_header header; /* ACPI_SIG_XSDT, revision 1 */
	uint64_t entry[];
};
_Static_assert(offsetof(struct acpi_table_rsdt, entry) == 36, "ACPI 6.5 table 5.5");
_Static_assert(offsetof(struct acpi_table_xsdt, entry) == 36, "ACPI 6.5 table 5.6");
_Static_assert(sizeof(struct acpi_table_xsdt) == 36, "ACPI 6.5 table 5.6");

/* PCI Firmware 3.2 §4.1.2, table 4-3: one ECAM window. base_address is
 * where bus 0 of the segment would be, even when start_bus_number is not
 * 0: bus b's configuration space is at base_address + (b << 20). */
struct __attribute__((packed)) acpi_mcfg_allocation {
	uint64_t base_address;
	uint16_t pci_segment_group; /* "PCI Segment Group Number" */
	uint8_t start_bus_number;
	uint8_t end_bus_number; /* inclusive */
	uint32_t reserved;
};
_Static_assert(offsetof(struct acpi_mcfg_allocation, base_address) == 0, "PCI FW 3.2 table 4-3");
_Static_assert(offsetof(struct acpi_mcfg_allocation, pci_segment_group) == 8, "PCI FW 3.2 table 4-3");
_Static_assert(offsetof(struct acpi_mcfg_allocation, start_bus_number) == 10, "PCI FW 3.2 table 4-3");
_Static_assert(offsetof(struct acpi_mcfg_allocation, end_bus_number) == 11, "PCI FW 3.2 table 4-3");
_Static_assert(offsetof(struct acpi_mcfg_allocation, reserved) == 12, "PCI FW 3.2 table 4-3");
_Static_assert(sizeof(struct acpi_mcfg_allocation) == 16, "PCI FW 3.2 table 4-3");

/* Table 4-2: a header, 8 reserved bytes, then allocations up to `length`. */
struct __attribute__((packed)) acpi_table_mcfg {
	struct acpi_sdt_header header; /* ACPI_SIG_MCFG, revision 1 */
	uint8_t reserved[8];
	struct acpi_mcfg_allocation allocation[];
};
_Static_assert(offsetof(struct acpi_table_mcfg, reserved) == 36, "PCI FW 3.2 table 4-2");
_Static_assert(offsetof(struct acpi_table_mcfg, allocation) == 44, "PCI FW 3.2 table 4-2");
_Static_assert(sizeof(struct acpi_table_mcfg) == 44, "PCI FW 3.2 table 4-2");

/* The sum of len bytes at p, mod 256: 0 for a valid table. A builder
 * stores (uint8_t)-acpi_checksum(...) with the checksum byte still 0. */
static inline uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = (const uint8_t *)p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum;
}

#endif /* ACPI_SPEC_H */
