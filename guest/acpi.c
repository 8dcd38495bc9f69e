/*
 * acpi.c - find the ECAM window the way firmware-booted code does: RSDP ->
 * XSDT (or RSDT) -> MCFG (DESIGN.md, "Boot contract"). The layouts are
 * common/acpi_spec.h's, the ones the VMM builds its tables with.
 *
 * Tables are read in place through the identity map, so every address must
 * lie below 4 GiB (entry.S maps no more) and every length is checked before
 * it is trusted: an SDT must be at least a header and at most
 * ACPI_TABLE_MAX bytes, and its bytes must sum to 0. Whoever wrote them
 * (the VMM, QEMU, firmware) is not trusted to have got them right.
 */
#include "acpi.h"

#include "acpi_spec.h"
#include "cpu.h"
#include "lib.h"

#define ACPI_TABLE_MAX (64 * 1024) /* no table we walk is anywhere near this */
#define ACPI_PHYS_LIMIT (1ull << 32) /* the identity map ends here */

/* The bytes at physical address addr, through the identity map. */
static const void *acpi_phys(uint64_t addr)
{
	return (const void *)(uintptr_t)addr;
}

static bool acpi_range_ok(uint64_t addr, uint64_t len)
{
	return addr && addr < ACPI_PHYS_LIMIT && len <= ACPI_PHYS_LIMIT - addr;
}

/* A valid RSDP at addr: signature and the checksum(s) its revision has. */
static bool acpi_rsdp_ok(uint64_t addr)
{
	const struct acpi_rsdp *r = acpi_phys(addr);

	if (!acpi_range_ok(addr, sizeof(*r)) || memcmp(r->signature, ACPI_SIG_RSDP, 8) ||
	    acpi_checksum(r, ACPI_RSDP_V1_LENGTH))
		return false;
	return r->revision < ACPI_RSDP_REVISION_2 ||
	       (r->length >= sizeof(*r) && acpi_checksum(r, sizeof(*r)) == 0);
}

/* The legacy search (ACPI 6.5 §5.2.5.1): first KiB of the EBDA, then the
 * BIOS area 0xE0000-0xFFFFF, on 16-byte boundaries. */
static uint64_t acpi_rsdp_scan(void)
{
	uintptr_t bda_ebda = ACPI_EBDA_SEGMENT_PTR; /* BDA: the EBDA's segment */
	__asm__("" : "+r"(bda_ebda)); /* GCC takes addresses below 4 KiB for NULL + n */
	uint64_t ebda = (uint64_t)mmio_read16(bda_ebda) << 4;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		for (uint64_t a = ebda; a < ebda + ACPI_EBDA_SEARCH_LEN; a += ACPI_RSDP_ALIGN)
			if (acpi_rsdp_ok(a))
				return a;
	for (uint64_t a = ACPI_BIOS_AREA_START; a < ACPI_BIOS_AREA_END; a += ACPI_RSDP_ALIGN)
		if (acpi_rsdp_ok(a))
			return a;
	return 0;
}

/* The SDT at addr if its length is sane and its checksum right, else NULL. */
static const struct acpi_sdt_header *acpi_sdt_get(uint64_t addr)
{
	const struct acpi_sdt_header *h = acpi_phys(addr);

	if (!acpi_range_ok(addr, sizeof(*h)) || h->length < sizeof(*h) || h->length > ACPI_TABLE_MAX ||
	    !acpi_range_ok(addr, h->length) || acpi_checksum(h, h->length))
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
	const struct acpi_rsdp *rsdp = acpi_phys(rsdp_addr);
	bool x = rsdp->revision >= ACPI_RSDP_REVISION_2 && rsdp->xsdt_address;
	uint64_t root_addr = x ? rsdp->xsdt_address : rsdp->rsdt_address;
	const struct acpi_sdt_header *root = acpi_sdt_get(root_addr);
	const char *root_name = x ? ACPI_SIG_XSDT : ACPI_SIG_RSDT;

	if (!root || memcmp(root->signature, root_name, 4)) {
		printf("acpi: RSDP at 0x%lx (from %s): %s at 0x%lx is invalid\n", rsdp_addr, from, root_name,
		       root_addr);
		return false;
	}
	const struct acpi_table_xsdt *xsdt = (const void *)root;
	const struct acpi_table_rsdt *rsdt = (const void *)root;
	unsigned esize = x ? sizeof(xsdt->entry[0]) : sizeof(rsdt->entry[0]);
	unsigned n = (root->length - (uint32_t)sizeof(*root)) / esize;
	const struct acpi_sdt_header *mcfg_hdr = NULL;
	uint64_t mcfg_addr = 0;

	for (unsigned i = 0; i < n && !mcfg_hdr; i++) {
		uint64_t a = x ? xsdt->entry[i] : rsdt->entry[i];
		const struct acpi_sdt_header *h = acpi_phys(a);
		if (acpi_range_ok(a, sizeof(*h)) && !memcmp(h->signature, ACPI_SIG_MCFG, 4)) {
			mcfg_hdr = acpi_sdt_get(a);
			mcfg_addr = a;
		}
	}
	if (!mcfg_hdr) {
		printf("acpi: RSDP at 0x%lx (from %s), %s at 0x%lx: no valid MCFG among %u tables\n", rsdp_addr,
		       from, root_name, root_addr, n);
		return false;
	}

	/* The first allocation for segment 0 is ours. Allocations run from
	 * the end of the fixed part to `length`; a shorter table has none. */
	const struct acpi_table_mcfg *mcfg = (const void *)mcfg_hdr;
	uint32_t nalloc = mcfg_hdr->length < sizeof(*mcfg) ? 0
			  : (mcfg_hdr->length - (uint32_t)sizeof(*mcfg)) / (uint32_t)sizeof(mcfg->allocation[0]);

	for (uint32_t i = 0; i < nalloc; i++) {
		const struct acpi_mcfg_allocation *al = &mcfg->allocation[i];
		if (al->pci_segment_group != 0 || al->start_bus_number > al->end_bus_number)
			continue;
		*out = (struct acpi_mcfg){ al->base_address, al->pci_segment_group, al->start_bus_number,
					   al->end_bus_number };
		printf("acpi: RSDP at 0x%lx (from %s), %s at 0x%lx, MCFG at 0x%lx: ECAM at 0x%lx, buses %u-%u\n",
		       rsdp_addr, from, root_name, root_addr, mcfg_addr, out->base, out->start_bus, out->end_bus);
		return true;
	}
	printf("acpi: MCFG at 0x%lx has no allocation for segment 0\n", mcfg_addr);
	return false;
}
