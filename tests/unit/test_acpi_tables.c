/*
 * test_acpi_tables.c - the VMM's RSDP -> XSDT -> MCFG (vmm/acpi_tables.c)
 * read back the way a guest reads them: the RSDP where a BIOS-area scan
 * finds it (16-byte aligned in 0xe0000-0xfffff, inside the memory map's
 * reserved hole), both RSDP checksums (ACPI 5.2.5.3: first 20 bytes, all
 * 36), each table's checksum over its length (5.2.6), the XSDT's 64-bit
 * pointer, and the MCFG allocation (PCI Firmware 4.1.2) naming the ECAM
 * window and bus range the VMM decodes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "acpi_tables.h"
#include "layout.h"

static uint8_t *ram;

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* A table at gpa: signature, a length that stays in the BIOS area, sum 0. */
static const uint8_t *table_at(uint64_t gpa, const char *sig)
{
	assert_true(gpa >= LAYOUT_ACPI && gpa + 36 <= LAYOUT_ACPI_END);
	const uint8_t *t = ram + gpa;
	assert_memory_equal(t, sig, 4);
	uint32_t len = rd32(t + 4);
	assert_true(len >= 36 && gpa + len <= LAYOUT_ACPI_END);
	assert_int_equal(sum(t, len), 0);
	return t;
}

static void test_rsdp_xsdt_mcfg(void **state)
{
	ram = calloc(1, LAYOUT_HOLE_END);
	assert_non_null(ram);
	uint64_t rsdp_at = acpi_tables_write(ram, LAYOUT_ECAM, 3);

	/* RSDP: where a scan of 0xe0000-0xfffff on 16-byte boundaries looks. */
	assert_true(rsdp_at >= 0xe0000 && rsdp_at < 0x100000 && rsdp_at % 16 == 0);
	const uint8_t *r = ram + rsdp_at;
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(sum(r, 20), 0);
	assert_int_equal(r[15], 2);           /* revision: XSDT valid */
	assert_int_equal(rd32(r + 20), 36);   /* length */
	assert_int_equal(sum(r, 36), 0);

	/* XSDT: one entry, the MCFG. */
	const uint8_t *x = table_at(rd64(r + 24), "XSDT");
	assert_int_equal(rd32(x + 4), 36 + 8);
	const uint8_t *m = table_at(rd64(x + 36), "MCFG");

	/* MCFG: header, 8 reserved bytes, one allocation. */
	assert_int_equal(rd32(m + 4), 36 + 8 + 16);
	const uint8_t *a = m + 44;
	assert_int_equal(rd64(a), LAYOUT_ECAM);
	assert_int_equal(a[8] | a[9] << 8, 0); /* segment */
	assert_int_equal(a[10], 0);            /* start bus */
	assert_int_equal(a[11], 3);            /* end bus */
	free(ram);
}

static void test_ecam_window_clear_of_ram(void **state)
{
	/* The MCFG window the VMM publishes must not cover RAM. */
	assert_true(LAYOUT_ECAM >= LAYOUT_RAM_MAX);
	assert_true(LAYOUT_ECAM + LAYOUT_ECAM_SIZE <= 0xfec00000ull); /* below the IOAPIC */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_xsdt_mcfg),
		cmocka_unit_test(test_ecam_window_clear_of_ram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
