/*
 * acpi_tables.c - RSDP, XSDT and MCFG (acpi_tables.h), built with the
 * layouts of common/acpi_spec.h, the ones the guest parses: the RSDP
 * (ACPI 6.5 §5.2.5.3) on a 16-byte boundary of the BIOS area, where both
 * hvm_start_info.rsdp_paddr and the legacy scan find it; an XSDT (§5.2.8)
 * with one entry; an MCFG (PCI Firmware 3.2 §4.1.2) with one allocation.
 * Each table's bytes sum to zero, the RSDP's twice (its first 20 bytes,
 * then all 36).
 */
#include "acpi_tables.h"

#include <string.h>

#include "acpi_spec.h"
#include "layout.h"

#define ACPI_RSDP_AT LAYOUT_ACPI
#define ACPI_XSDT_AT (LAYOUT_ACPI + 0x40)
#define ACPI_MCFG_AT (LAYOUT_ACPI + 0x80)
#define ACPI_XSDT_LEN (sizeof(struct acpi_table_xsdt) + 1 * sizeof(uint64_t))
#define ACPI_MCFG_LEN (sizeof(struct acpi_table_mcfg) + 1 * sizeof(struct acpi_mcfg_allocation))

_Static_assert(ACPI_RSDP_AT >= ACPI_BIOS_AREA_START && ACPI_RSDP_AT + sizeof(struct acpi_rsdp) <= ACPI_BIOS_AREA_END &&
		       ACPI_RSDP_AT % ACPI_RSDP_ALIGN == 0,
	       "the RSDP is where the legacy search (ACPI 6.5 §5.2.5.1) looks");
_Static_assert(ACPI_RSDP_AT + sizeof(struct acpi_rsdp) <= ACPI_XSDT_AT && ACPI_XSDT_AT + ACPI_XSDT_LEN <= ACPI_MCFG_AT &&
		       ACPI_MCFG_AT + ACPI_MCFG_LEN <= LAYOUT_ACPI_END,
	       "the tables do not overlap and fit their region");

/* The header every table starts with; the checksum is set last. */
static void acpi_header_fill(struct acpi_sdt_header *h, const char *sig, uint32_t length)
{
	memcpy(h->signature, sig, 4);
	h->length = length;
	h->revision = 1;
	memcpy(h->oem_id, "EXITLB", 6);
	memcpy(h->oem_table_id, "EXITLAB ", 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "XLAB", 4);
	h->creator_revision = 1;
}

uint64_t acpi_tables_write(uint8_t *ram, uint64_t ecam, uint8_t end_bus)
{
	/* The structures are packed (alignment 1): any byte of RAM will do. */
	struct acpi_table_mcfg *mcfg = (void *)(ram + ACPI_MCFG_AT);
	struct acpi_table_xsdt *xsdt = (void *)(ram + ACPI_XSDT_AT);
	struct acpi_rsdp *rsdp = (void *)(ram + ACPI_RSDP_AT);

	/* MCFG: header, 8 reserved bytes, one allocation: segment 0. */
	memset(mcfg, 0, ACPI_MCFG_LEN);
	acpi_header_fill(&mcfg->header, ACPI_SIG_MCFG, ACPI_MCFG_LEN);
	mcfg->allocation[0] = (struct acpi_mcfg_allocation){
		.base_address = ecam, .pci_segment_group = 0, .start_bus_number = 0, .end_bus_number = end_bus
	};
	mcfg->header.checksum = (uint8_t)-acpi_checksum(mcfg, ACPI_MCFG_LEN);

	/* XSDT: header, then one 64-bit pointer per table. */
	memset(xsdt, 0, ACPI_XSDT_LEN);
	acpi_header_fill(&xsdt->header, ACPI_SIG_XSDT, ACPI_XSDT_LEN);
	xsdt->entry[0] = ACPI_MCFG_AT;
	xsdt->header.checksum = (uint8_t)-acpi_checksum(xsdt, ACPI_XSDT_LEN);

	/* RSDP revision 2: the XSDT is valid (no RSDT: rsdt_address 0). */
	memset(rsdp, 0, sizeof(*rsdp));
	memcpy(rsdp->signature, ACPI_SIG_RSDP, 8);
	memcpy(rsdp->oem_id, "EXITLB", 6);
	rsdp->revision = ACPI_RSDP_REVISION_2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = ACPI_XSDT_AT;
	rsdp->checksum = (uint8_t)-acpi_checksum(rsdp, ACPI_RSDP_V1_LENGTH);
	rsdp->extended_checksum = (uint8_t)-acpi_checksum(rsdp, sizeof(*rsdp));
	return ACPI_RSDP_AT;
}
