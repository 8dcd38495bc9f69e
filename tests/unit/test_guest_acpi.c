/*
 * test_guest_acpi.c - the guest's ACPI walk (guest/acpi.c) on the host:
 * first against the tables the VMM builds (vmm/acpi_tables.c), found
 * through hvm_start_info.rsdp_paddr and by the legacy scan, so both sides
 * of common/acpi_spec.h are checked against each other; then against
 * hostile tables, one defect per case: bad signatures and checksums, an
 * RSDP of the wrong revision or length, roots and tables too short, too
 * long or past 4 GiB, entries pointing nowhere, MCFGs with no usable
 * allocation. Each must end in the guest's one "acpi: ..." line naming
 * the defect, never in a read outside the tables' memory. Then the DSDT
 * path QEMU's microvm needs (no MCFG: FADT -> DSDT -> the PCI Express host
 * bridge's _CBA and _CRS), on AML built here: the forms QEMU and others
 * emit, and hostile AML (lengths past their parent, reserved bits, bad
 * names, unknown terms, nesting without end, a computed _CBA, every
 * truncation, random corruption), with the DSDT's last byte at the end of
 * the mapping so that a read past it crashes the test.
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
void *guest_memcpy(void *d, const void *s, size_t n) { return memcpy(d, s, n); }
int guest_strcmp(const char *a, const char *b) { return strcmp(a, b); }
int guest_snprintf(char *b, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(b, n, fmt, ap);
	va_end(ap);
	return r;
}

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
static bool find(uint64_t rsdp_paddr, bool scan, struct acpi_ecam *m)
{
	struct hvm_start_info si = { .rsdp_paddr = rsdp_paddr };

	guest_out_clear();
	return acpi_ecam_find(&si, scan, m);
}

/* The parser refused, saying `why` on its one line. */
static void refused(uint64_t rsdp_paddr, bool scan, const char *why)
{
	struct acpi_ecam m;

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
	struct acpi_ecam m;
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
	struct acpi_ecam m;
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
	struct acpi_ecam m;
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
	struct acpi_ecam m;

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
	struct acpi_ecam m;
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
	struct acpi_ecam m;
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


/* --- the DSDT path (no MCFG) -------------------------------------------------- */

#define FADT_AT 0x90400ull
#define DSDT_END PHYS_END /* the DSDT ends where the mapping does */

static uint8_t aml[8192];
static size_t aml_len;
static size_t aml_open[32];
static unsigned aml_depth;

static void emit(const void *p, size_t n)
{
	assert_true(aml_len + n <= sizeof(aml));
	memcpy(aml + aml_len, p, n);
	aml_len += n;
}
#define EMIT(...) emit((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))
static void emit_name(const char *seg) { emit(seg, 4); }
/* Opens a package: its PkgLength (3 bytes, patched at pkg_end). */
static void pkg_begin(void)
{
	aml_open[aml_depth++] = aml_len;
	EMIT(0, 0, 0);
}
static void pkg_end(void)
{
	size_t at = aml_open[--aml_depth], len = aml_len - at;
	assert_true(len < (1u << 20));
	aml[at] = (uint8_t)(0x80 | (len & 0x0f));
	aml[at + 1] = (uint8_t)(len >> 4);
	aml[at + 2] = (uint8_t)(len >> 12);
}
static void name_string(const char *seg, const char *str)
{
	EMIT(AML_NAME_OP);
	emit_name(seg);
	EMIT(AML_STRING_PREFIX);
	emit(str, strlen(str) + 1);
}
static void name_dword(const char *seg, uint32_t v)
{
	EMIT(AML_NAME_OP);
	emit_name(seg);
	EMIT(AML_DWORD_PREFIX);
	emit(&v, 4);
}

enum cba_form { CBA_METHOD, CBA_NAME, CBA_COMPUTED, CBA_NONE };

/* Scope(\_SB) { Device(PCI0) { _HID, _SEG, _CBA, _CRS } } around what
 * QEMU also puts there (a Name with a package, an OperationRegion and a
 * Field, another Device). */
static void dsdt_body(const char *hid, enum cba_form cba, uint64_t cba_value)
{
	aml_len = aml_depth = 0;
	EMIT(AML_SCOPE_OP);
	pkg_begin();
	EMIT(AML_ROOT_CHAR);
	emit_name("_SB_");
	EMIT(AML_EXT_OP_PREFIX, AML_EXT_DEVICE_OP); /* a device before it */
	pkg_begin();
	emit_name("FWCF");
	name_string("_HID", "QEMU0002");
	EMIT(AML_EXT_OP_PREFIX, AML_EXT_REGION_OP, 'E', 'R', 'E', 'G', 0x00, AML_DWORD_PREFIX, 0, 0, 0xa0, 0xfe,
	     AML_BYTE_PREFIX, 4);
	EMIT(AML_EXT_OP_PREFIX, AML_EXT_FIELD_OP, 0x0b, 'E', 'R', 'E', 'G', 0x03, 'E', 'S', 'E', 'L', 0x20);
	pkg_end();
	EMIT(AML_EXT_OP_PREFIX, AML_EXT_DEVICE_OP);
	pkg_begin();
	emit_name("PCI0");
	if (!strcmp(hid, "EISA"))
		name_dword("_HID", ACPI_EISAID_PCIE_HOST);
	else if (!strcmp(hid, "CID")) {
		name_string("_HID", "ACPI0016");
		name_string("_CID", ACPI_PNP_PCIE_HOST);
	} else
		name_string("_HID", hid);
	EMIT(AML_NAME_OP, '_', 'S', 'E', 'G', AML_ZERO_OP);
	EMIT(AML_NAME_OP, '_', 'P', 'R', 'T', AML_PACKAGE_OP, 0x04, 0x02, AML_ONE_OP, AML_ZERO_OP);
	if (cba == CBA_METHOD || cba == CBA_COMPUTED) {
		EMIT(AML_METHOD_OP);
		pkg_begin();
		emit_name("_CBA");
		EMIT(0x00, AML_RETURN_OP);
		if (cba == CBA_COMPUTED)
			EMIT(0x72 /* AddOp */, AML_ONE_OP, AML_ONE_OP, AML_ZERO_OP);
		else {
			EMIT(AML_QWORD_PREFIX);
			emit(&cba_value, 8);
		}
		pkg_end();
	} else if (cba == CBA_NAME) {
		EMIT(AML_NAME_OP, '_', 'C', 'B', 'A', AML_QWORD_PREFIX);
		emit(&cba_value, 8);
	}
	/* _CRS: WordBusNumber 0-0x3f, DWordMemory 0xc0000000-0xdfffffff, end. */
	EMIT(AML_NAME_OP, '_', 'C', 'R', 'S', AML_BUFFER_OP);
	pkg_begin();
	EMIT(AML_BYTE_PREFIX, 16 + 26 + 2);
	EMIT(ACPI_RES_WORD_ADDRESS, 13, 0, ACPI_RES_TYPE_BUS, 0x0c, 0, 0, 0, 0x00, 0x00, 0x3f, 0x00, 0, 0, 0x40, 0);
	EMIT(ACPI_RES_DWORD_ADDRESS, 23, 0, ACPI_RES_TYPE_MEMORY, 0x0c, 0x03, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff,
	     0xff, 0xdf, 0, 0, 0, 0, 0, 0, 0, 0x20);
	EMIT(0x79, 0x00);
	pkg_end();
	pkg_end(); /* PCI0 */
	pkg_end(); /* _SB */
}

/* RSDP -> XSDT [FADT] -> DSDT (the bytes in aml[], ending at DSDT_END). */
static uint64_t dsdt_tables(size_t body_len)
{
	uint64_t dsdt_at = DSDT_END - sizeof(struct acpi_sdt_header) - body_len;
	struct acpi_sdt_header *d = sdt_put(dsdt_at, ACPI_SIG_DSDT, (uint32_t)(sizeof(*d) + body_len));

	memcpy(d + 1, aml, body_len);
	sdt_seal(dsdt_at, d->length);
	struct acpi_sdt_header *f = sdt_put(FADT_AT, ACPI_SIG_FADT, 148);
	uint32_t flags = ACPI_FADT_F_HW_REDUCED_ACPI;
	memcpy((uint8_t *)f + ACPI_FADT_FLAGS_OFFSET, &flags, 4);
	memcpy((uint8_t *)f + ACPI_FADT_X_DSDT_OFFSET, &dsdt_at, 8);
	sdt_seal(FADT_AT, f->length);
	rsdp_put(RSDP_AT, 2, 0, XSDT_AT);
	xsdt_put(XSDT_AT, (const uint64_t[]){ FADT_AT }, 1);
	return dsdt_at;
}

static void test_dsdt_cba(void **state)
{
	struct acpi_ecam m;
	static const char *const hids[] = { ACPI_PNP_PCIE_HOST, "EISA", "CID" };

	for (unsigned i = 0; i < 3; i++)
		for (enum cba_form form = CBA_METHOD; form <= CBA_NAME; form++) {
			dsdt_body(hids[i], form, 0xe0000000);
			dsdt_tables(aml_len);
			if (!find(RSDP_AT, false, &m))
				fail_msg("%s, form %d: %s", hids[i], form, guest_out);
			assert_int_equal(m.base, 0xe0000000);
			assert_int_equal(m.start_bus, 0);
			assert_int_equal(m.end_bus, 0x3f);
			assert_int_equal(m.from, ACPI_ECAM_FROM_DSDT);
			assert_true(m.windows);
			assert_int_equal(m.mem_start, 0xc0000000);
			assert_int_equal(m.mem_end, 0xe0000000);
			assert_int_equal(m.io_end, 0); /* no I/O window given */
			assert_string_equal(m.host_name, "PCI0");
			assert_non_null(strstr(guest_out, "no valid MCFG among 1 tables; DSDT at 0x"));
			assert_non_null(strstr(guest_out, ": PCI Express host bridge PCI0 (PNP0A08): ECAM at 0xe0000000 "
							  "from its _CBA, buses 0-63 from its _CRS\n"));
		}
	/* The banner's facts from the same tables. */
	struct acpi_machine a;
	struct hvm_start_info si = { .rsdp_paddr = RSDP_AT };
	acpi_machine_facts(&si, false, &a);
	assert_true(a.present && a.fadt && a.hw_reduced && !a.mcfg);
}

static void test_dsdt_no_ecam(void **state)
{
	dsdt_body("PNP0A03", CBA_METHOD, 0xe0000000); /* conventional PCI: not this */
	dsdt_tables(aml_len);
	refused(RSDP_AT, false, "no PCI Express host bridge (_HID/_CID PNP0A08) of segment 0 in it: this machine gives no ECAM location\n");
	dsdt_body(ACPI_PNP_PCIE_HOST, CBA_NONE, 0);
	dsdt_tables(aml_len);
	refused(RSDP_AT, false, "host bridge PCI0 (PNP0A08) has no _CBA: no ECAM location read\n");
	dsdt_body(ACPI_PNP_PCIE_HOST, CBA_COMPUTED, 0);
	dsdt_tables(aml_len);
	refused(RSDP_AT, false, "has a _CBA method that computes its value (not a constant; not evaluated)");
	dsdt_body(ACPI_PNP_PCIE_HOST, CBA_NAME, 0xe0000123); /* not on a bus boundary */
	dsdt_tables(aml_len);
	refused(RSDP_AT, false, "_CBA 0xe0000123 (buses 0-63) is not a usable ECAM base\n");
	dsdt_body(ACPI_PNP_PCIE_HOST, CBA_NAME, 0);
	dsdt_tables(aml_len);
	refused(RSDP_AT, false, "_CBA 0x0 (buses 0-63) is not a usable ECAM base\n");
}

static void test_dsdt_tables_hostile(void **state)
{
	uint64_t dsdt_at;
	struct acpi_sdt_header *f = (void *)phys(FADT_AT);

	dsdt_body(ACPI_PNP_PCIE_HOST, CBA_METHOD, 0xe0000000);
	dsdt_at = dsdt_tables(aml_len);
	phys(dsdt_at)[40]++; /* the DSDT's AML: its sum is off */
	refused(RSDP_AT, false, "the FADT's DSDT (at 0x");
	refused(RSDP_AT, false, ") is invalid (bad signature, length or checksum): no ECAM location\n");
	dsdt_tables(aml_len);
	f->length = ACPI_FADT_DSDT_OFFSET + 2; /* neither DSDT field fits */
	sdt_seal(FADT_AT, f->length);
	refused(RSDP_AT, false, "the FADT's DSDT (at 0x0) is not given: no ECAM location\n");
	/* X_DSDT 0: the 32-bit DSDT field is used. */
	dsdt_at = dsdt_tables(aml_len);
	uint32_t lo = (uint32_t)dsdt_at;
	memset(phys(FADT_AT) + ACPI_FADT_X_DSDT_OFFSET, 0, 8);
	memcpy(phys(FADT_AT) + ACPI_FADT_DSDT_OFFSET, &lo, 4);
	sdt_seal(FADT_AT, f->length);
	struct acpi_ecam m;
	assert_true(find(RSDP_AT, false, &m));
	/* No FADT at all. */
	xsdt_put(XSDT_AT, (const uint64_t[]){ 0 }, 1);
	refused(RSDP_AT, false, "; no valid FADT, so no DSDT to look in: no ECAM location\n");
}

/* The AML at `off` (from the DSDT's start) is where the scan stopped. */
static void aml_refused(size_t len, const char *why)
{
	dsdt_tables(len);
	refused(RSDP_AT, false, why);
	if (!strstr(guest_out, "not understood") && !strstr(guest_out, "no PCI Express host bridge"))
		fail_msg("no scan message: %s", guest_out);
}

static void test_aml_hostile(void **state)
{
	/* A package longer than its parent: the Scope's PkgLength + 0x100. */
	dsdt_body(ACPI_PNP_PCIE_HOST, CBA_METHOD, 0xe0000000);
	aml[2] += 0x10;
	aml_refused(aml_len, "AML at offset 0x25 not understood (package length runs past the end of its parent");
	/* Reserved bits 5-4 in a multi-byte PkgLength. */
	dsdt_body(ACPI_PNP_PCIE_HOST, CBA_METHOD, 0xe0000000);
	aml[1] |= 0x10;
	aml_refused(aml_len, "AML at offset 0x25 not understood (PkgLength with reserved bits set)");
	/* A NameSeg that is not one. */
	dsdt_body(ACPI_PNP_PCIE_HOST, CBA_METHOD, 0xe0000000);
	aml[5] = '!';
	aml_refused(aml_len, "not understood (not a NameSeg)");
	/* A term the scan does not know, at the top. */
	dsdt_body(ACPI_PNP_PCIE_HOST, CBA_METHOD, 0xe0000000);
	aml[0] = 0x70; /* StoreOp */
	aml_refused(aml_len, "AML at offset 0x24 not understood (an AML term the scan does not know");
	/* Scopes nested 64 deep. */
	aml_len = aml_depth = 0;
	for (int i = 0; i < 20; i++) {
		EMIT(AML_SCOPE_OP);
		pkg_begin();
		emit_name("DEEP");
	}
	while (aml_depth)
		pkg_end();
	aml_refused(aml_len, "not understood (Scopes and Devices nested too deep)");
	/* Every truncation of a good DSDT, and bytes flipped at random: an
	 * answer every time, never a read past the DSDT (it ends where the
	 * mapping does). */
	dsdt_body(ACPI_PNP_PCIE_HOST, CBA_METHOD, 0xe0000000);
	size_t full = aml_len;
	uint8_t good[sizeof(aml)];
	memcpy(good, aml, full);
	struct acpi_ecam m;
	for (size_t n = 0; n < full; n++) {
		dsdt_tables(n);
		assert_false(find(RSDP_AT, false, &m));
		assert_non_null(strstr(guest_out, "acpi: "));
	}
	srand(12);
	for (int i = 0; i < 3000; i++) {
		memcpy(aml, good, full);
		for (int k = 0; k < 1 + i % 4; k++)
			aml[rand() % full] = (uint8_t)rand();
		dsdt_tables(full);
		find(RSDP_AT, false, &m);
		assert_non_null(strstr(guest_out, "acpi: "));
	}
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
		CASE(test_dsdt_cba),
		CASE(test_dsdt_no_ecam),
		CASE(test_dsdt_tables_hostile),
		CASE(test_aml_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
