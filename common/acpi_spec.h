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

/* --- Beyond MCFG: where a machine without one says where ECAM is ----------
 * QEMU's microvm with pcie=on publishes no MCFG; its ECAM is named only in
 * the DSDT, by the PCI Express host bridge's _CBA (ACPI 6.5 §6.5.6), the
 * bus range in its _CRS. The DSDT is found through the FADT ("FACP";
 * ACPI 6.5 §5.2.9, table 5.9): only the fields read are given here, by
 * offset, since the table grew with every revision. */
#define ACPI_SIG_FADT "FACP"
#define ACPI_SIG_DSDT "DSDT"
#define ACPI_FADT_DSDT_OFFSET 40     /* uint32_t DSDT: physical address */
#define ACPI_FADT_FLAGS_OFFSET 112   /* uint32_t Flags (table 5.10) */
#define ACPI_FADT_X_DSDT_OFFSET 140  /* uint64_t X_DSDT, ACPI 2.0+: wins when not 0 */
#define ACPI_FADT_F_HW_REDUCED_ACPI (1u << 20) /* table 5.10: no fixed hardware (QEMU microvm) */

/* AML (ACPI 6.5 §20.2), the few encodings the guest's DSDT scan knows.
 * A NameString is an optional '\' or '^'s, then a NameSeg (4 bytes), a
 * DualNamePrefix + 2 segs, a MultiNamePrefix + count + segs, or NullName.
 * PkgLength (§20.2.4): bits 7-6 of the lead byte are how many bytes
 * follow; with none, bits 5-0 are the length, else bits 3-0 are its low
 * nibble and the bytes follow; the length counts itself. */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_ALIAS_OP 0x06
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_VAR_PACKAGE_OP 0x13
#define AML_METHOD_OP 0x14
#define AML_EXTERNAL_OP 0x15
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX 0x5b
#define AML_ROOT_CHAR '\\'
#define AML_PARENT_PREFIX '^'
#define AML_IF_OP 0xa0
#define AML_ELSE_OP 0xa1
#define AML_WHILE_OP 0xa2
#define AML_RETURN_OP 0xa4
#define AML_ONES_OP 0xff
/* after AML_EXT_OP_PREFIX */
#define AML_EXT_MUTEX_OP 0x01
#define AML_EXT_EVENT_OP 0x02
#define AML_EXT_REVISION_OP 0x30
#define AML_EXT_REGION_OP 0x80
#define AML_EXT_FIELD_OP 0x81
#define AML_EXT_DEVICE_OP 0x82
#define AML_EXT_PROCESSOR_OP 0x83
#define AML_EXT_POWER_RES_OP 0x84
#define AML_EXT_THERMAL_ZONE_OP 0x85
#define AML_EXT_INDEX_FIELD_OP 0x86
#define AML_EXT_BANK_FIELD_OP 0x87

/* The IDs of a PCI Express host bridge (PCI Firmware 3.2 §4.3.1): _HID or
 * _CID "PNP0A08", as a string or as its compressed EISA ID. */
#define ACPI_PNP_PCIE_HOST "PNP0A08"
#define ACPI_EISAID_PCIE_HOST 0x080ad041u /* EISAID("PNP0A08") as AML stores it */

/* Resource descriptors in a _CRS buffer (ACPI 6.5 §6.4): small items are
 * one tag byte (bits 6-3 type, 2-0 length) and data; large items a tag
 * with bit 7 set, a 16-bit length, data. Address space descriptors
 * (§6.4.3.5.1-3): after the 3-byte header, resource type, general flags,
 * type-specific flags, then granularity, minimum, maximum, translation and
 * length, each 2, 4 or 8 bytes wide. */
#define ACPI_RES_LARGE 0x80
#define ACPI_RES_SMALL_END_TAG 0x0f /* small type: the end of the template */
#define ACPI_RES_DWORD_ADDRESS 0x87
#define ACPI_RES_WORD_ADDRESS 0x88
#define ACPI_RES_QWORD_ADDRESS 0x8a
#define ACPI_RES_TYPE_MEMORY 0
#define ACPI_RES_TYPE_IO 1
#define ACPI_RES_TYPE_BUS 2
#define ACPI_RES_ADDR_FIELDS 3 /* bytes of data before the five numbers */

#endif /* ACPI_SPEC_H */
