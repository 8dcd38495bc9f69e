/*
 * test_guest_acpi.c - the guest's ACPI walk (guest/acpi.c) on the host:
 * first against the tables the VMM builds (vmm/acpi_tables.c), found
 * through hvm_start_info.rsdp_paddr and by the legacy scan, so both sides
 * of common/acpi_spec.h are checked against each other; then against
 * hostile tables, one defect per case: bad signatures and checksums, an
 * RSDP of the wrong revision or length, roots and tables too short, too
 * long or past 4 GiB, entries pointing nowhere, MCFGs with no usable
 * allocation. Each must end in the guest's one "acpi: ..." line naming
 * the defect, never in a read outside the tables' memory.
 *
 * The guest reads tables in place through its identity map, so this test
 * maps guest-physical 0x80000-0x101000 (the EBDA and the BIOS area) at
 * the same addresses in its own address space and builds the tables
 * there; an address outside that mapping that the parser dereferenced
 * would crash the test. guest/acpi.c is compiled in as
 * test_guest_virtio_drv.c does with its driver: libc-named functions
 * renamed, printf captured, and guest/cpu.h's one accessor it uses
 * (mmio_read16, for the BIOS data area's EBDA pointer, which lies in the
 * page the host cannot map) provided here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "acpi_spec.h"
#include "acpi_tables.h"
#include "layout.h"
#include "tap_skip.h"

#define PHYS_START 0x80000ull
#define PHYS_END 0x101000ull /* a page past the BIOS area: the scan's last reads */

static uint16_t ebda_segment; /* what the BIOS data area says */

/* --- guest/cpu.h, as far as acpi.c uses it ---------------------------------- */

#define GUEST_CPU_H
static inline uint16_t mmio_read16(uintptr_t a)
{
	assert_int_equal(a, ACPI_EBDA_SEGMENT_PTR); /* the only MMIO it does */
	return ebda_segment;
}

/* --- the parser ------------------------------------------------------------- */

#include "guest_libc_rename.h"
#define printf(...) guest_printf(__VA_ARGS__) /* function-like: format(printf) stays */
#include "../../guest/acpi.c"
#include "guest_libc_unrename.h"
#undef printf
#undef assert
#undef panic

int guest_memcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }

#include "guest_printf.h"

/* --- building tables in "guest-physical" memory ----------------------------- */

static uint8_t *phys(uint64_t a)
{
	assert_true(a >= PHYS_START && a < PHYS_END);
	return (uint8_t *)(uintptr_t)a;
}

static void rsdp_put(uint64_t at, uint8_t revision, uint32_t rsdt, uint64_t xsdt)
{
	struct acpi_rsdp *r = (void *)phys(at);

	memset(r, 0, sizeof(*r));
	memcpy(r->signature, ACPI_SIG_RSDP, 8);
	r->revision = revision;
	r->rsdt_address = rsdt;
	r->length = sizeof(*r);
	r->xsdt_address = xsdt;
	r->checksum = (uint8_t)-acpi_checksum(r, ACPI_RSDP_V1_LENGTH);
	r->extended_checksum = (uint8_t)-acpi_checksum(r, sizeof(*r));
}

/* A table's header; its body goes after it, then sdt_seal(). */
static struct acpi_sdt_header *sdt_put(uint64_t at, const char *sig, uint32_t length)
{
	struct acpi_sdt_header *h = (void *)phys(at);

	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = length;
	h->revision = 1;
	return h;
}

/* Sets the checksum over `length` bytes (or over len bytes, for a table
 * whose length field lies). */
static void sdt_seal(uint64_t at, uint32_t len)
{
	struct acpi_sdt_header *h = (void *)phys(at);

	h->checksum = 0;
	h->checksum = (uint8_t)-acpi_checksum(h, len);
}

static void xsdt_put(uint64_t at, const uint64_t *entries, unsigned n)
{
	struct acpi_table_xsdt *x = (void *)sdt_put(at, ACPI_SIG_XSDT, (uint32_t)(sizeof(*x) + 8 * n));

	memcpy(x->entry, entries, 8 * n);
	sdt_seal(at, x->header.length);
}

static void mcfg_put(uint64_t at, const struct acpi_mcfg_allocation *al, unsigned n)
{
	struct acpi_table_mcfg *m = (void *)sdt_put(at, ACPI_SIG_MCFG, (uint32_t)(sizeof(*m) + sizeof(*al) * n));

	memcpy(m->allocation, al, sizeof(*al) * n);
	sdt_seal(at, m->header.length);
}

/* The usual layout of the hostile cases: RSDP, XSDT, MCFG. */
#define RSDP_AT 0x90000ull
#define XSDT_AT 0x90100ull
#define MCFG_AT 0x90200ull
#define MCFG2_AT 0x90300ull
#define ECAM_A 0xb0000000ull
#define ECAM_B 0xc0000000ull

static const struct acpi_mcfg_allocation seg0 = { .base_address = ECAM_A, .end_bus_number = 3 };

static void standard_tables(void)
{
	rsdp_put(RSDP_AT, 2, 0, XSDT_AT);
	xsdt_put(XSDT_AT, (const uint64_t[]){ MCFG_AT }, 1);
	mcfg_put(MCFG_AT, &seg0, 1);
}

/* Runs the parser; true if it found an allocation, *m then set. */
static bool find(uint64_t rsdp_paddr, bool scan, struct acpi_mcfg *m)
{
	struct hvm_start_info si = { .rsdp_paddr = rsdp_paddr };

	guest_out_clear();
	return acpi_mcfg_find(&si, scan, m);
}

/* The parser refused, saying `why` on its one line. */
static void refused(uint64_t rsdp_paddr, bool scan, const char *why)
{
	struct acpi_mcfg m;

	if (find(rsdp_paddr, scan, &m))
		fail_msg("found ECAM at 0x%llx, expected a refusal: %s", (unsigned long long)m.base, guest_out);
	if (!strstr(guest_out, why))
		fail_msg("expected '%s' in: %s", why, guest_out);
}

static void *mapped;

static int setup(void **state)
{
	memset(mapped, 0, PHYS_END - PHYS_START);
	ebda_segment = 0;
	return 0;
}

/* --- against the VMM's tables ---------------------------------------------- */

static void vmm_tables_put(uint8_t end_bus, uint64_t *rsdp_at)
{
	uint8_t *ram = calloc(1, LAYOUT_ACPI_END);

	assert_non_null(ram);
	*rsdp_at = acpi_tables_write(ram, LAYOUT_ECAM, end_bus);
	memcpy(phys(LAYOUT_ACPI), ram + LAYOUT_ACPI, LAYOUT_ACPI_END - LAYOUT_ACPI);
	free(ram);
}

static void test_vmm_tables(void **state)
{
	struct acpi_mcfg m;
	uint64_t rsdp_at;

	vmm_tables_put(5, &rsdp_at);
	assert_true(find(rsdp_at, false, &m));
	assert_int_equal(m.base, LAYOUT_ECAM);
	assert_int_equal(m.segment, 0);
	assert_int_equal(m.start_bus, 0);
	assert_int_equal(m.end_bus, 5);
	assert_non_null(strstr(guest_out, "(from hvm_start_info.rsdp_paddr), XSDT at"));
	assert_non_null(strstr(guest_out, "buses 0-5\n"));
}

static void test_vmm_tables_by_scan(void **state)
{
	struct acpi_mcfg m;
	uint64_t rsdp_at;

	vmm_tables_put(0, &rsdp_at);
	assert_true(find(0, true, &m));
	assert_int_equal(m.base, LAYOUT_ECAM);
	assert_int_equal(m.end_bus, 0);
	char want[96];
	snprintf(want, sizeof(want), "RSDP at 0x%llx (from a scan of the EBDA and BIOS area)",
		 (unsigned long long)rsdp_at);
	assert_non_null(strstr(guest_out, want));
	/* Without leave to scan, rsdp_paddr 0 is the end of it. */
	refused(0, false, "acpi: no RSDP (hvm_start_info.rsdp_paddr is 0)\n");
}

/* --- the scan --------------------------------------------------------------- */

static void test_scan_ebda_first(void **state)
{
	struct acpi_mcfg m;
	const struct acpi_mcfg_allocation other = { .base_address = ECAM_B, .end_bus_number = 1 };

	/* One RSDP in the BIOS area, another in the EBDA's first KiB. */
	standard_tables();
	memcpy(phys(0xe0000), phys(RSDP_AT), sizeof(struct acpi_rsdp));
	memset(phys(RSDP_AT), 0, sizeof(struct acpi_rsdp));
	rsdp_put(0x9fc00 + 0x3f0, 2, 0, 0x9f000);
	xsdt_put(0x9f000, (const uint64_t[]){ 0x9f100 }, 1);
	mcfg_put(0x9f100, &other, 1);
	ebda_segment = 0x9fc0;
	assert_true(find(0, true, &m));
	assert_int_equal(m.base, ECAM_B); /* the EBDA's */
	/* An EBDA pointer outside 0x80000-0x9ffff is not followed. */
	ebda_segment = 0x7fc0;
	assert_true(find(0, true, &m));
	assert_int_equal(m.base, ECAM_A);
	/* Nor is an RSDP off a 16-byte boundary. */
	memmove(phys(0xe0008), phys(0xe0000), sizeof(struct acpi_rsdp));
	refused(0, true, "acpi: no RSDP (hvm_start_info.rsdp_paddr is 0, none in the BIOS area)\n");
}

/* --- the RSDP --------------------------------------------------------------- */

static void test_rsdp_hostile(void **state)
{
	struct acpi_rsdp *r = (void *)phys(RSDP_AT);

	standard_tables();
	r->signature[7] = '!';
	refused(RSDP_AT, false, "is invalid: bad signature or checksum");
	standard_tables();
	r->checksum++;
	refused(RSDP_AT, false, "is invalid: bad signature or checksum");
	standard_tables();
	r->extended_checksum++; /* revision 2: both sums count */
	refused(RSDP_AT, false, "is invalid: bad signature or checksum");
	standard_tables();
	r->length = ACPI_RSDP_V1_LENGTH; /* too short for revision 2 */
	r->extended_checksum = 0;
	r->extended_checksum = (uint8_t)-acpi_checksum(r, sizeof(*r));
	refused(RSDP_AT, false, "is invalid: bad signature or checksum");
	/* Where the identity map does not reach: refused unread. */
	refused(0xffffffe0ull, false, "RSDP at 0xffffffe0 (from hvm_start_info.rsdp_paddr) is invalid");
	refused(0x100000000ull, false, "is invalid");
}

static void test_rsdt(void **state)
{
	struct acpi_mcfg m;

	/* Revision 0 (ACPI 1.0): the RSDT, 32-bit entries; the XSDT field
	 * is not even part of the structure. */
	struct acpi_table_rsdt *t = (void *)sdt_put(XSDT_AT, ACPI_SIG_RSDT, sizeof(*t) + 2 * 4);
	t->entry[0] = 0;
	t->entry[1] = MCFG_AT;
	sdt_seal(XSDT_AT, t->header.length);
	mcfg_put(MCFG_AT, &seg0, 1);
	rsdp_put(RSDP_AT, 0, XSDT_AT, 0);
	assert_true(find(RSDP_AT, false, &m));
	assert_int_equal(m.base, ECAM_A);
	assert_non_null(strstr(guest_out, "RSDT at 0x90100, MCFG at 0x90200"));
	/* Revision 2 with no XSDT falls back to the RSDT too. */
	rsdp_put(RSDP_AT, 2, XSDT_AT, 0);
	assert_true(find(RSDP_AT, false, &m));
	/* An RSDT where the XSDT is named is not read as one. */
	rsdp_put(RSDP_AT, 2, 0, XSDT_AT);
	refused(RSDP_AT, false, "XSDT at 0x90100 is invalid");
}

/* --- the root table --------------------------------------------------------- */

static void test_root_hostile(void **state)
{
	struct acpi_sdt_header *x = (void *)phys(XSDT_AT);

	standard_tables();
	x->checksum++;
	refused(RSDP_AT, false, "XSDT at 0x90100 is invalid");
	standard_tables();
	x->length = sizeof(*x) - 1; /* shorter than its own header */
	sdt_seal(XSDT_AT, sizeof(*x));
	refused(RSDP_AT, false, "XSDT at 0x90100 is invalid");
	standard_tables();
	x->length = 64 * 1024 + 1; /* beyond any table the guest walks, */
	sdt_seal(XSDT_AT, x->length); /* though its bytes sum right */
	refused(RSDP_AT, false, "XSDT at 0x90100 is invalid");
	x->length = 0xffffffff; /* and never summed over */
	refused(RSDP_AT, false, "XSDT at 0x90100 is invalid");
	/* Past 4 GiB, or running into it: refused unread. */
	rsdp_put(RSDP_AT, 2, 0, 0x100000000ull);
	refused(RSDP_AT, false, "XSDT at 0x100000000 is invalid");
	rsdp_put(RSDP_AT, 2, 0, 0xfffffff0ull);
	refused(RSDP_AT, false, "XSDT at 0xfffffff0 is invalid");
}

static void test_entries_hostile(void **state)
{
	struct acpi_mcfg m;
	const struct acpi_mcfg_allocation other = { .base_address = ECAM_B, .end_bus_number = 1 };

	/* Entries to nowhere, to the top of the map, to a table whose
	 * signature says MCFG but whose sum is wrong, then a good MCFG. */
	rsdp_put(RSDP_AT, 2, 0, XSDT_AT);
	xsdt_put(XSDT_AT, (const uint64_t[]){ 0, 0x100000000ull, 0xffffffe0ull, MCFG_AT, MCFG2_AT }, 5);
	mcfg_put(MCFG_AT, &seg0, 1);
	phys(MCFG_AT)[40]++;
	mcfg_put(MCFG2_AT, &other, 1);
	assert_true(find(RSDP_AT, false, &m));
	assert_int_equal(m.base, ECAM_B);
	/* Without the good one: none among the 4 that remain. */
	xsdt_put(XSDT_AT, (const uint64_t[]){ 0, 0x100000000ull, 0xffffffe0ull, MCFG_AT }, 4);
	refused(RSDP_AT, false, "XSDT at 0x90100: no valid MCFG among 4 tables");
	/* A length that ends inside an entry: only whole entries count. */
	struct acpi_sdt_header *x = (void *)phys(XSDT_AT);
	xsdt_put(XSDT_AT, (const uint64_t[]){ MCFG2_AT }, 1);
	x->length += 4;
	sdt_seal(XSDT_AT, x->length);
	assert_true(find(RSDP_AT, false, &m));
	x->length -= 5; /* 3 bytes of the one entry */
	sdt_seal(XSDT_AT, x->length);
	refused(RSDP_AT, false, "no valid MCFG among 0 tables");
}

/* --- the MCFG --------------------------------------------------------------- */

static void test_mcfg_hostile(void **state)
{
	struct acpi_mcfg m;
	struct acpi_sdt_header *h = (void *)phys(MCFG_AT);

	/* No allocations, or only part of one. */
	standard_tables();
	mcfg_put(MCFG_AT, &seg0, 0);
	refused(RSDP_AT, false, "acpi: MCFG at 0x90200 has no allocation for segment 0\n");
	mcfg_put(MCFG_AT, &seg0, 1);
	h->length -= 1;
	sdt_seal(MCFG_AT, h->length);
	refused(RSDP_AT, false, "has no allocation for segment 0");
	/* Shorter than its fixed part: nothing is read past its length. */
	h->length = sizeof(*h) + 4;
	sdt_seal(MCFG_AT, h->length);
	refused(RSDP_AT, false, "has no allocation for segment 0");
	/* Another segment, then buses backwards, then the one to use. */
	const struct acpi_mcfg_allocation al[3] = {
		{ .base_address = 0xd0000000, .pci_segment_group = 1, .end_bus_number = 255 },
		{ .base_address = 0xe0000000, .start_bus_number = 9, .end_bus_number = 8 },
		{ .base_address = ECAM_B, .start_bus_number = 2, .end_bus_number = 4 },
	};
	mcfg_put(MCFG_AT, al, 3);
	assert_true(find(RSDP_AT, false, &m));
	assert_int_equal(m.base, ECAM_B); /* bus 0's address, though the range starts at 2 */
	assert_int_equal(m.start_bus, 2);
	assert_int_equal(m.end_bus, 4);
	mcfg_put(MCFG_AT, al, 2);
	refused(RSDP_AT, false, "has no allocation for segment 0");
	/* A length that would run past 4 GiB, and one past 64 KiB. */
	mcfg_put(MCFG_AT, &seg0, 1);
	h->length = 0xffffffff;
	refused(RSDP_AT, false, "no valid MCFG among 1 tables");
	h->length = 64 * 1024 + 16;
	sdt_seal(MCFG_AT, h->length);
	refused(RSDP_AT, false, "no valid MCFG among 1 tables");
}

int main(void)
{
	mapped = mmap((void *)(uintptr_t)PHYS_START, PHYS_END - PHYS_START, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	bool ok = mapped == (void *)(uintptr_t)PHYS_START;
#define CASE(f) (ok ? (struct CMUnitTest)cmocka_unit_test_setup(f, setup) \
		    : TAP_SKIPPED(f, "cannot map 0x80000-0x101000 here (vm.mmap_min_addr, or in use)"))
	const struct CMUnitTest tests[] = {
		CASE(test_vmm_tables),
		CASE(test_vmm_tables_by_scan),
		CASE(test_scan_ebda_first),
		CASE(test_rsdp_hostile),
		CASE(test_rsdt),
		CASE(test_root_hostile),
		CASE(test_entries_hostile),
		CASE(test_mcfg_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
