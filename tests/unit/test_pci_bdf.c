/*
 * test_pci_bdf.c - common/pci_bdf.c, the one reader of [DDDD:]BB:DD.F for
 * the guest's actions, the VMM's --passthrough and pciinfo: the forms lspci
 * and sysfs write, either case, short fields; then odd strings, each of
 * which must be refused (0) or read only as far as the address goes:
 * fields too long, device above 31 or function above 7, missing parts,
 * trailing garbage, spaces, signs and 0x, and a length that ends before
 * the NUL (the parser must not read past it). Every string is copied to a
 * heap block of exactly its length, so a sanitizer build sees a stray read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pci_access.h"
#include "pci_bdf.h"

/* pci_bdf_parse on exactly the bytes of s (no NUL), from a block of
 * exactly that size. */
static size_t parse(const char *s, uint16_t *domain, uint16_t *bdf)
{
	size_t len = strlen(s);
	char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, s, len);
	size_t n = pci_bdf_parse(copy, len, domain, bdf);
	free(copy);
	return n;
}

/* s is an address, all of it, naming (domain, bus, dev, fn). */
static void accepted(const char *s, unsigned domain, unsigned bus, unsigned dev, unsigned fn)
{
	uint16_t d = 0xdead, b = 0xbeef;

	assert_int_equal(parse(s, &d, &b), strlen(s));
	assert_int_equal(d, domain);
	assert_int_equal(b, PCI_BDF(bus, dev, fn));
}

/* s does not start with an address: 0, and the outputs untouched. */
static void refused(const char *s)
{
	uint16_t d = 0xdead, b = 0xbeef;

	if (parse(s, &d, &b) != 0)
		fail_msg("'%s' was read as an address", s);
	assert_int_equal(d, 0xdead);
	assert_int_equal(b, 0xbeef);
}

/* s starts with an address n bytes long, and has more after it. */
static void prefix(const char *s, size_t n)
{
	uint16_t d, b;

	assert_int_equal(parse(s, &d, &b), n);
	assert_true(n < strlen(s));
}

static void test_lspci_forms(void **state)
{
	accepted("00:00.0", 0, 0, 0, 0);
	accepted("00:1f.3", 0, 0, 0x1f, 3);
	accepted("0000:00:02.0", 0, 0, 2, 0);
	accepted("ffff:ff:1f.7", 0xffff, 0xff, 0x1f, 7);  /* every field at its top */
	accepted("abcd:ef:10.1", 0xabcd, 0xef, 0x10, 1);
}

static void test_case_and_short_fields(void **state)
{
	accepted("ABCD:EF:1F.7", 0xabcd, 0xef, 0x1f, 7);  /* upper case */
	accepted("aBcD:eF:1f.7", 0xabcd, 0xef, 0x1f, 7);  /* mixed */
	accepted("0:1.2", 0, 0, 1, 2);                    /* one digit each */
	accepted("1:2:3.4", 1, 2, 3, 4);
	accepted("12:0:0.0", 0x12, 0, 0, 0);              /* a 2-digit domain */
	accepted("123:4:5.6", 0x123, 4, 5, 6);
}

static void test_out_of_range(void **state)
{
	refused("00:20.0");        /* device 32 */
	refused("00:ff.0");
	refused("0000:00:20.0");
	refused("00:1f.8");        /* function 8 */
	refused("00:1f.f");
	refused("00:1f.9");
}

static void test_too_long(void **state)
{
	refused("00000:00:00.0");  /* 5-digit domain */
	refused("000:00.0");       /* 3-digit bus with no domain */
	refused("0000:000:00.0");  /* 3-digit bus */
	refused("00:000.0");       /* 3-digit device */
	refused("0000:00:001.0");
	refused("100000000:00:00.0"); /* would wrap a 32-bit value */
	prefix("00:01.00", 7);     /* a second function digit is not part of it */
	prefix("0000:00:01.07", 12);
}

static void test_missing_parts(void **state)
{
	refused("");
	refused("0");
	refused("00");
	refused("00:");
	refused("00:01");
	refused("00:01.");
	refused(":01.0");
	refused("00:.0");
	refused("0000:00:01");
	refused("0000::01.0");
	refused("0000:00:.0");
	refused(".0");
	refused("00.01:0");        /* separators swapped */
	refused("0000:00:00:01.0"); /* one field too many */
	refused("00-01.0");
	refused("00:01,0");
}

static void test_trailing_and_leading(void **state)
{
	/* A prefix: the caller decides whether more may follow. */
	prefix("00:01.0x", 7);
	prefix("00:01.0 ", 7);
	prefix("0000:00:02.0/config", 12);
	prefix("00:01.0,0,0x100,4", 7);  /* the guest's bar.read= fields */
	/* Nothing may come first. */
	refused(" 00:01.0");
	refused("\t00:01.0");
	refused("+0:01.0");
	refused("-1:01.0");
	refused("0x0:01.0");
	refused("0x00:00:01.0");
	refused("g0:01.0");
}

static void test_length_bounds_the_read(void **state)
{
	const char *s = "0000:00:1f.7";
	uint16_t d = 0xdead, b = 0xbeef;

	/* Every length short of the whole string is refused, and nothing
	 * past len is read (each block is exactly len bytes). */
	for (size_t len = 0; len < strlen(s); len++) {
		char *copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, s, len);
		assert_int_equal(pci_bdf_parse(copy, len, &d, &b), 0);
		free(copy);
	}
	assert_int_equal(pci_bdf_parse(s, strlen(s), &d, &b), strlen(s));
	/* "00:01.0" cut to 6 bytes has no function. */
	assert_int_equal(pci_bdf_parse("00:01.0", 6, &d, &b), 0);
}

static void test_format(void **state)
{
	char out[PCI_BDF_STR_SIZE];

	memset(out, 'x', sizeof(out));
	pci_bdf_format(out, 0, PCI_BDF(0, 0x1f, 7));
	assert_string_equal(out, "0000:00:1f.7");
	pci_bdf_format(out, 0xabcd, PCI_BDF(0xef, 0x10, 1));
	assert_string_equal(out, "abcd:ef:10.1");  /* lower case, as sysfs names it */
	pci_bdf_format(out, 0xffff, 0xffff);
	assert_string_equal(out, "ffff:ff:1f.7");
	assert_int_equal(strlen(out) + 1, PCI_BDF_STR_SIZE);
}

static void test_round_trip(void **state)
{
	char out[PCI_BDF_STR_SIZE];

	/* Every bus, device and function, in two domains: format, then parse. */
	for (unsigned dom = 0; dom < 0x10000; dom += 0xffff) {
		for (unsigned bdf = 0; bdf < 0x10000; bdf++) {
			uint16_t d, b;
			pci_bdf_format(out, (uint16_t)dom, (uint16_t)bdf);
			assert_int_equal(pci_bdf_parse(out, strlen(out), &d, &b), 12);
			if (d != dom || b != bdf)
				fail_msg("%s read back as %04x/%04x", out, d, b);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lspci_forms),
		cmocka_unit_test(test_case_and_short_fields),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_missing_parts),
		cmocka_unit_test(test_trailing_and_leading),
		cmocka_unit_test(test_length_bounds_the_read),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
