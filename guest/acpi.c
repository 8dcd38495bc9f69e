/*
 * acpi.c - find the ECAM window the way firmware-booted code does: RSDP ->
 * XSDT (or RSDT) -> MCFG (DESIGN.md, "Boot contract").
 *
 * Tables are read in place through the identity map, so every address must
 * lie below 4 GiB (entry.S maps no more) and every length is checked before
 * it is trusted: an SDT must be at least a header and at most
 * ACPI_TABLE_MAX bytes, and its bytes must sum to 0. Layouts and names are
 * ACPI 6.5 §5.2.5 (RSDP), §5.2.6 (SDT header), §5.2.7/§5.2.8 (RSDT/XSDT)
 * and the PCI Firmware Spec 3.2 §4.1.2 (MCFG).
 */
#include "acpi.h"

#include "cpu.h"
#include "lib.h"

#define ACPI_TABLE_MAX (64 * 1024) /* no table we walk is anywhere near this */
#define ACPI_PHYS_LIMIT (1ull << 32) /* the identity map ends here */

struct __attribute__((packed)) acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum; /* over the first 20 bytes (ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision; /* 0: ACPI 1.0, RSDT only; 2: the fields below */
	uint32_t rsdt_address;
	uint32_t length; /* of the whole RSDP, 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum; /* over all `length` bytes */
	uint8_t reserved[3];
};

struct __attribute__((packed)) acpi_sdt_header {
	char signature[4];
	uint32_t length; /* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
};

/* MCFG: the header, 8 reserved bytes, then allocations to the end. */
#define ACPI_MCFG_ALLOCATIONS 44
struct __attribute__((packed)) acpi_mcfg_allocation {
	uint64_t base_address;
	uint16_t pci_segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
};

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP (ACPI 6.5 table 5.3)");
_Static_assert(__builtin_offsetof(struct acpi_rsdp, length) == 20, "RSDP v1 part is 20 bytes");
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "SDT header (ACPI 6.5 table 5.4)");
_Static_assert(sizeof(struct acpi_mcfg_allocation) == 16, "MCFG allocation (PCI FW 3.2 table 4-3)");

static uint8_t acpi_checksum(uint64_t addr, uint32_t len)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)addr;
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum += p[i];
	return sum;
}

static bool acpi_range_ok(uint64_t addr, uint64_t len)
{
	return addr && addr < ACPI_PHYS_LIMIT && len <= ACPI_PHYS_LIMIT - addr;
}

/* A valid RSDP at addr: signature and the checksum(s) its revision has. */
static bool acpi_rsdp_ok(uint64_t addr)
{
	const struct acpi_rsdp *r = (const void *)(uintptr_t)addr;

	if (!acpi_range_ok(addr, sizeof(*r)) || memcmp(r->signature, "RSD PTR ", 8) ||
	    acpi_checksum(addr, 20))
		return false;
	return r->revision < 2 || (r->length >= sizeof(*r) && acpi_checksum(addr, sizeof(*r)) == 0);
}

/* The legacy search (ACPI 6.5 §5.2.5.1): first KiB of the EBDA, then the
 * BIOS area 0xE0000-0xFFFFF, on 16-byte boundaries. */
static uint64_t acpi_rsdp_scan(void)
{
	uintptr_t bda_ebda = 0x40e; /* BDA: the EBDA's segment */
	__asm__("" : "+r"(bda_ebda)); /* GCC takes addresses below 4 KiB for NULL + n */
	uint64_t ebda = (uint64_t)mmio_read16(bda_ebda) << 4;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		for (uint64_t a = ebda; a < ebda + 1024; a += 16)
			if (acpi_rsdp_ok(a))
				return a;
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16)
		if (acpi_rsdp_ok(a))
			return a;
	return 0;
}

/* The SDT at addr if its length is sane and its checksum right, else NULL. */
static const struct acpi_sdt_header *acpi_sdt_get(uint64_t addr)
{
	const struct acpi_sdt_header *h = (const void *)(uintptr_t)addr;

	if (!acpi_range_ok(addr, sizeof(*h)) || h->length < sizeof(*h) || h->length > ACPI_TABLE_MAX ||
	    !acpi_range_ok(addr, h->length) || acpi_checksum(addr, h->length))
		return NULL;
	return h;
}

bool acpi_mcfg_find(const struct hvm_start_info *si, bool scan_bios, struct acpi_mcfg *out)
{
	uint64_t rsdp_addr = si->rsdp_paddr;
	const char *from = "hvm_start_info.rsdp_paddr";

	if (!rsdp_addr && scan_bios) {
		rsdp_addr = acpi_rsdp_scan();
		from = "a scan of the EBDA and BIOS area";
	}
	if (!rsdp_addr) {
		printf("acpi: no RSDP (hvm_start_info.rsdp_paddr is 0%s)\n",
		       scan_bios ? ", none in the BIOS area" : "");
		return false;
	}
	if (!acpi_rsdp_ok(rsdp_addr)) {
		printf("acpi: RSDP at 0x%lx (from %s) is invalid: bad signature or checksum\n", rsdp_addr, from);
		return false;
	}

	/* XSDT entries are 64-bit, RSDT entries 32-bit; same header. */
	const struct acpi_rsdp *rsdp = (const void *)(uintptr_t)rsdp_addr;
	bool x = rsdp->revision >= 2 && rsdp->xsdt_address;
	uint64_t root_addr = x ? rsdp->xsdt_address : rsdp->rsdt_address;
	const struct acpi_sdt_header *root = acpi_sdt_get(root_addr);
	const char *root_name = x ? "XSDT" : "RSDT";
	unsigned esize = x ? 8 : 4;

	if (!root || memcmp(root->signature, x ? "XSDT" : "RSDT", 4)) {
		printf("acpi: RSDP at 0x%lx (from %s): %s at 0x%lx is invalid\n", rsdp_addr, from, root_name,
		       root_addr);
		return false;
	}
	const uint8_t *entries = (const uint8_t *)root + sizeof(*root);
	unsigned n = (root->length - (uint32_t)sizeof(*root)) / esize;
	const struct acpi_sdt_header *mcfg = NULL;
	uint64_t mcfg_addr = 0;

	for (unsigned i = 0; i < n && !mcfg; i++) {
		uint64_t a = 0;
		memcpy(&a, entries + i * esize, esize);
		const struct acpi_sdt_header *h = (const void *)(uintptr_t)a;
		if (acpi_range_ok(a, sizeof(*h)) && !memcmp(h->signature, "MCFG", 4)) {
			mcfg = acpi_sdt_get(a);
			mcfg_addr = a;
		}
	}
	if (!mcfg) {
		printf("acpi: RSDP at 0x%lx (from %s), %s at 0x%lx: no valid MCFG among %u tables\n", rsdp_addr,
		       from, root_name, root_addr, n);
		return false;
	}

	/* The first allocation for segment 0 is ours. */
	for (uint32_t off = ACPI_MCFG_ALLOCATIONS; off + sizeof(struct acpi_mcfg_allocation) <= mcfg->length;
	     off += sizeof(struct acpi_mcfg_allocation)) {
		struct acpi_mcfg_allocation al;
		memcpy(&al, (const uint8_t *)mcfg + off, sizeof(al));
		if (al.pci_segment != 0 || al.start_bus > al.end_bus)
			continue;
		*out = (struct acpi_mcfg){ al.base_address, al.pci_segment, al.start_bus, al.end_bus };
		printf("acpi: RSDP at 0x%lx (from %s), %s at 0x%lx, MCFG at 0x%lx: ECAM at 0x%lx, buses %u-%u\n",
		       rsdp_addr, from, root_name, root_addr, mcfg_addr, out->base, out->start_bus, out->end_bus);
		return true;
	}
	printf("acpi: MCFG at 0x%lx has no allocation for segment 0\n", mcfg_addr);
	return false;
}
