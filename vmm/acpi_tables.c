/*
 * acpi_tables.c - RSDP, XSDT and MCFG (acpi_tables.h). Layouts from the ACPI spec
 * (5.2.5.3 RSDP, 5.2.6 system description table header, 5.2.8 XSDT) and
 * the PCI Firmware spec (4.1.2 MCFG); each table's bytes sum to zero, the
 * RSDP twice (its first 20 bytes, then all 36).
 */
#include "acpi_tables.h"

#include <stddef.h>
#include <string.h>

#include "layout.h"

struct __attribute__((packed)) acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;  /* 2: ACPI 2.0+, XSDT valid */
	uint32_t rsdt_address;
	uint32_t length;   /* 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum; /* over all 36 bytes */
	uint8_t reserved[3];
};

struct __attribute__((packed)) acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
};

struct __attribute__((packed)) acpi_mcfg_alloc {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
};

_Static_assert(sizeof(struct acpi_rsdp) == 36, "ACPI 5.2.5.3");
_Static_assert(sizeof(struct acpi_header) == 36, "ACPI 5.2.6");
_Static_assert(sizeof(struct acpi_mcfg_alloc) == 16, "PCI firmware 4.1.2");

static uint8_t acpi_sum(const void *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + ((const uint8_t *)p)[i]);
	return (uint8_t)-s;
}

static void acpi_header_fill(struct acpi_header *h, const char *sig, uint32_t length)
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
	const uint64_t rsdp_at = LAYOUT_ACPI, xsdt_at = LAYOUT_ACPI + 0x40, mcfg_at = LAYOUT_ACPI + 0x80;

	/* MCFG: header, 8 reserved bytes, one allocation. */
	uint8_t *mcfg = ram + mcfg_at;
	uint32_t mcfg_len = sizeof(struct acpi_header) + 8 + sizeof(struct acpi_mcfg_alloc);
	struct acpi_mcfg_alloc alloc = { .base = ecam, .segment = 0, .start_bus = 0, .end_bus = end_bus };
	memset(mcfg, 0, mcfg_len);
	acpi_header_fill((struct acpi_header *)mcfg, "MCFG", mcfg_len);
	memcpy(mcfg + sizeof(struct acpi_header) + 8, &alloc, sizeof(alloc));
	((struct acpi_header *)mcfg)->checksum = acpi_sum(mcfg, mcfg_len);

	/* XSDT: header, then one 64-bit pointer per table. */
	uint8_t *xsdt = ram + xsdt_at;
	uint32_t xsdt_len = sizeof(struct acpi_header) + 8;
	memset(xsdt, 0, xsdt_len);
	acpi_header_fill((struct acpi_header *)xsdt, "XSDT", xsdt_len);
	memcpy(xsdt + sizeof(struct acpi_header), &mcfg_at, 8);
	((struct acpi_header *)xsdt)->checksum = acpi_sum(xsdt, xsdt_len);

	struct acpi_rsdp rsdp = { .revision = 2, .length = sizeof(rsdp), .xsdt_address = xsdt_at };
	memcpy(rsdp.signature, "RSD PTR ", 8);
	memcpy(rsdp.oem_id, "EXITLB", 6);
	rsdp.checksum = acpi_sum(&rsdp, 20);
	rsdp.extended_checksum = acpi_sum(&rsdp, sizeof(rsdp));
	memcpy(ram + rsdp_at, &rsdp, sizeof(rsdp));
	_Static_assert(LAYOUT_ACPI + 0x80 + 60 <= LAYOUT_ACPI_END, "ACPI tables fit");
	return rsdp_at;
}
