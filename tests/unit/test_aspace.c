/*
 * test_aspace.c - the address-space registry (vmm/aspace.c): memory slot
 * numbers handed out lowest-free (0 for RAM) and reused once freed; a
 * range over one of every kind (RAM, LAPIC, IOAPIC, ECAM, an MMIO BAR, a
 * passthrough memory slot, a port range) refused with the one message
 * naming both; ranges that only touch allowed; ports apart from memory;
 * empty and wrapping ranges refused; a range ending at 2^64 kept and
 * printed; and io.c registering in it, so its ranges are the registry's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "aspace.h"
#include "io.h"
#include "layout.h"

static char err[256];

static int reset(void **state)
{
	aspace_reset();
	err[0] = '\0';
	return 0;
}

static unsigned slot_add(uint64_t base, uint64_t len, const char *name)
{
	unsigned slot = 999;
	if (aspace_slot_add(ASPACE_MEMSLOT, base, len, name, &slot, err, sizeof(err)))
		fail_msg("slot at 0x%llx refused: %s", (unsigned long long)base, err);
	return slot;
}

static void test_slots_lowest_free_and_reused(void **state)
{
	unsigned ram = 99;

	/* Memory slots start at 1 whether or not RAM is there yet. */
	assert_int_equal(slot_add(0xd0000000, 0x1000, "a"), 1);
	assert_int_equal(aspace_slot_add(ASPACE_RAM, 0, 0x8000000, "RAM", &ram, err, sizeof(err)), 0);
	assert_int_equal(ram, 0);
	assert_int_equal(slot_add(0xd0001000, 0x1000, "b"), 2);
	assert_int_equal(slot_add(0xd0002000, 0x1000, "c"), 3);
	/* Freed: the number is the next one handed out, the lowest first. */
	assert_int_equal(aspace_slot_remove(2), 0);
	assert_int_equal(aspace_slot_remove(1), 0);
	assert_int_equal(aspace_slot_remove(1), -1);
	assert_int_equal(slot_add(0xd0001000, 0x1000, "b2"), 1);
	assert_int_equal(slot_add(0xd0000000, 0x1000, "a2"), 2);
	assert_int_equal(slot_add(0xd0003000, 0x1000, "d"), 4);
	/* ... and its range is free again too. */
	assert_int_equal(aspace_slot_remove(3), 0);
	assert_int_equal(aspace_check(ASPACE_MEMSLOT, 0xd0002000, 0x1000, "x", err, sizeof(err)), 0);
	/* A refused slot takes no number. */
	unsigned s = 99;
	assert_int_equal(aspace_slot_add(ASPACE_MEMSLOT, 0x1000, 0x1000, "in RAM", &s, err, sizeof(err)), -1);
	assert_int_equal(s, 99);
	assert_int_equal(slot_add(0xd0002000, 0x1000, "c2"), 3);
	/* RAM back after it went: slot 0 again. */
	assert_int_equal(aspace_slot_remove(0), 0);
	assert_int_equal(aspace_slot_add(ASPACE_RAM, 0, 0x8000000, "RAM", &ram, err, sizeof(err)), 0);
	assert_int_equal(ram, 0);
	/* Slots come from aspace_slot_add(), other ranges from aspace_add(). */
	assert_int_equal(aspace_add(ASPACE_MEMSLOT, 0xe0000000, 0x1000, "e", err, sizeof(err)), -1);
	assert_int_equal(aspace_slot_add(ASPACE_MMIO, 0xe0000000, 0x1000, "e", &s, err, sizeof(err)), -1);
	assert_int_equal(aspace_remove(ASPACE_MEMSLOT, 0xd0000000), -1);
}

/* One of every kind, as the VMM has them. */
static void add_one_of_each(void)
{
	unsigned slot;
	assert_int_equal(aspace_slot_add(ASPACE_RAM, 0, 0x8000000, "RAM", &slot, err, sizeof(err)), 0);
	assert_int_equal(aspace_add(ASPACE_LAPIC, LAYOUT_LAPIC, LAYOUT_LAPIC_SIZE, "LAPIC", err, sizeof(err)), 0);
	assert_int_equal(aspace_add(ASPACE_IOAPIC, LAYOUT_IOAPIC, LAYOUT_IOAPIC_SIZE, "IOAPIC", err, sizeof(err)), 0);
	assert_int_equal(aspace_add(ASPACE_ECAM, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, "PCI ECAM", err, sizeof(err)), 0);
	assert_int_equal(aspace_add(ASPACE_MMIO, 0xc0000000, 0x4000, "00:03.0 virtio-blk BAR0", err, sizeof(err)), 0);
	assert_int_equal(slot_add(0xd0000000, 0x10000, "00:07.0 passthrough BAR0"), 1);
	assert_int_equal(aspace_add(ASPACE_PIO, 0x3f8, 8, "COM1 16550 UART", err, sizeof(err)), 0);
}

static void allowed(enum aspace_kind kind, uint64_t base, uint64_t len)
{
	if (aspace_check(kind, base, len, "neighbour", err, sizeof(err)))
		fail_msg("[0x%llx, +0x%llx) refused: %s", (unsigned long long)base, (unsigned long long)len, err);
}

/* [base, base + len) as kind is refused, saying exactly `want`; as a
 * memory slot too (memory kinds), taking no slot. */
static void refused(enum aspace_kind kind, uint64_t base, uint64_t len, const char *want)
{
	err[0] = '\0';
	if (aspace_check(kind, base, len, "00:05.0 new BAR2", err, sizeof(err)) != -1)
		fail_msg("[0x%llx, +0x%llx) allowed; wanted: %s", (unsigned long long)base, (unsigned long long)len,
			 want);
	if (strcmp(err, want))
		fail_msg("said  \"%s\"\nwanted \"%s\"", err, want);
	if (aspace_add(kind, base, len, "00:05.0 new BAR2", err, sizeof(err)) != -1 || strcmp(err, want))
		fail_msg("aspace_add: \"%s\", wanted \"%s\"", err, want);
	unsigned slot = 99;
	if (kind != ASPACE_PIO && aspace_slot_add(ASPACE_MEMSLOT, base, len, "00:05.0 new BAR2", &slot, err,
						  sizeof(err)) != -1)
		fail_msg("memory slot at 0x%llx allowed", (unsigned long long)base);
	assert_int_equal(slot, 99);
}

/* Over one of each kind (and, last, over several: the lowest is named). */
static const struct {
	enum aspace_kind kind;
	uint64_t base, len;
	const char *want;
} overlaps[] = {
	{ ASPACE_MMIO, 0x7fff000, 0x2000, "00:05.0 new BAR2 at [0x7fff000, 0x8001000) overlaps RAM at [0x0, 0x8000000)" },
	{ ASPACE_MMIO, 0, 0x1000, "00:05.0 new BAR2 at [0x0, 0x1000) overlaps RAM at [0x0, 0x8000000)" },
	{ ASPACE_MMIO, 0xfee00000, 0x1000,
	  "00:05.0 new BAR2 at [0xfee00000, 0xfee01000) overlaps LAPIC at [0xfee00000, 0xfee01000)" },
	{ ASPACE_MMIO, 0xfe000000, 0x1000000, /* a large BAR over the whole page */
	  "00:05.0 new BAR2 at [0xfe000000, 0xff000000) overlaps IOAPIC at [0xfec00000, 0xfec01000)" },
	{ ASPACE_MMIO, 0xfec00ff0, 0x10,
	  "00:05.0 new BAR2 at [0xfec00ff0, 0xfec01000) overlaps IOAPIC at [0xfec00000, 0xfec01000)" },
	{ ASPACE_MMIO, 0xb00ff000, 0x1000,
	  "00:05.0 new BAR2 at [0xb00ff000, 0xb0100000) overlaps PCI ECAM at [0xb0000000, 0xb1000000)" },
	{ ASPACE_MMIO, 0xc0003ff0, 0x100,
	  "00:05.0 new BAR2 at [0xc0003ff0, 0xc00040f0) overlaps 00:03.0 virtio-blk BAR0 at [0xc0000000, 0xc0004000)" },
	{ ASPACE_MMIO, 0xd0008000, 0x1000,
	  "00:05.0 new BAR2 at [0xd0008000, 0xd0009000) overlaps 00:07.0 passthrough BAR0 at [0xd0000000, 0xd0010000)" },
	{ ASPACE_PIO, 0x3f0, 0x10, "00:05.0 new BAR2 at [0x3f0, 0x400) overlaps COM1 16550 UART at [0x3f8, 0x400)" },
	{ ASPACE_MMIO, 0xb0000000, 0x20000000,
	  "00:05.0 new BAR2 at [0xb0000000, 0xd0000000) overlaps PCI ECAM at [0xb0000000, 0xb1000000)" },
};

static void test_overlap_of_every_kind_refused_naming_both(void **state)
{
	add_one_of_each();
	for (unsigned i = 0; i < sizeof(overlaps) / sizeof(overlaps[0]); i++)
		refused(overlaps[i].kind, overlaps[i].base, overlaps[i].len, overlaps[i].want);
	/* Nothing above was added. */
	assert_null(aspace_find(ASPACE_MMIO, 0xe0000000, 0x1000));
	assert_int_equal(slot_add(0xe0000000, 0x1000, "next"), 2);
}

static void test_adjacent_ranges_allowed(void **state)
{
	add_one_of_each();
	allowed(ASPACE_MMIO, 0x8000000, 0x1000);             /* just past RAM */
	allowed(ASPACE_MMIO, 0xfedff000, 0x1000);            /* just below the LAPIC */
	allowed(ASPACE_MMIO, 0xfee01000, 0x1000);            /* just past it */
	allowed(ASPACE_MMIO, 0xfebff000, 0x1000);
	allowed(ASPACE_MMIO, 0xfec01000, 0x1000);
	allowed(ASPACE_MMIO, 0xaffff000, 0x1000);            /* ECAM */
	allowed(ASPACE_MMIO, 0xb1000000, 0x1000);
	allowed(ASPACE_MMIO, 0xc0004000, 0x1000);            /* the BAR */
	allowed(ASPACE_MMIO, 0xbfffc000, 0x4000);
	allowed(ASPACE_MEMSLOT, 0xd0010000, 0x10000);        /* the memory slot */
	allowed(ASPACE_MEMSLOT, 0xcfff0000, 0x10000);
	allowed(ASPACE_PIO, 0x3f0, 8);                       /* the port range */
	allowed(ASPACE_PIO, 0x400, 8);
	/* Ports and memory are two spaces. */
	allowed(ASPACE_PIO, 0x8000000, 0x1000);            /* RAM's addresses, as ports */
	assert_null(aspace_find(ASPACE_PIO, 0, 0x3f8));
	assert_int_equal(aspace_find(ASPACE_PIO, 0, 0x3f9)->base, 0x3f8);
	assert_int_equal(aspace_find(ASPACE_MMIO, 0x3f8, 8)->kind, ASPACE_RAM);
	/* Filling a gap exactly, between two ranges. */
	assert_int_equal(aspace_add(ASPACE_MMIO, 0xc0004000, 0x10000000 - 0x4000, "gap", err, sizeof(err)), 0);
}

static void test_empty_and_wrapping_ranges_refused(void **state)
{
	refused(ASPACE_MMIO, 0xc0000000, 0, "00:05.0 new BAR2 at 0xc0000000: an empty range");
	refused(ASPACE_PIO, 0, 0, "00:05.0 new BAR2 at 0x0: an empty range");
	refused(ASPACE_MMIO, 0xfffffffffffff000ull, 0x1001,
		"00:05.0 new BAR2 at 0xfffffffffffff000 (0x1001 bytes) runs past the end of the address space");
	refused(ASPACE_MMIO, UINT64_MAX, 2,
		"00:05.0 new BAR2 at 0xffffffffffffffff (0x2 bytes) runs past the end of the address space");
	refused(ASPACE_MMIO, 2, UINT64_MAX,
		"00:05.0 new BAR2 at 0x2 (0xffffffffffffffff bytes) runs past the end of the address space");
	allowed(ASPACE_MMIO, 1, UINT64_MAX); /* [1, 2^64): ends at the end */
	refused(ASPACE_PIO, 0xffff0000ffffffffull, UINT64_MAX,
		"00:05.0 new BAR2 at 0xffff0000ffffffff (0xffffffffffffffff bytes) runs past the end of the port space");
	/* Nothing was added: the whole space is free. */
	assert_null(aspace_find(ASPACE_MMIO, 0, UINT64_MAX));
	assert_int_equal(aspace_add(ASPACE_MMIO, 0, UINT64_MAX, "all but the last byte", err, sizeof(err)), 0);
}

static void test_range_ending_at_2_64(void **state)
{
	const uint64_t top = 0xfffffffffffff000ull;

	assert_int_equal(aspace_add(ASPACE_MMIO, top, 0x1000, "top", err, sizeof(err)), 0);
	/* The last byte is in it; the page below is not. */
	assert_int_equal(aspace_find(ASPACE_MMIO, UINT64_MAX, 1)->base, top);
	allowed(ASPACE_MMIO, top - 0x1000, 0x1000);
	refused(ASPACE_MMIO, UINT64_MAX, 1,
		"00:05.0 new BAR2 at [0xffffffffffffffff, 0x10000000000000000) overlaps top at "
		"[0xfffffffffffff000, 0x10000000000000000)");
	refused(ASPACE_MMIO, top - 0x1000, 0x2000,
		"00:05.0 new BAR2 at [0xffffffffffffe000, 0x10000000000000000) overlaps top at "
		"[0xfffffffffffff000, 0x10000000000000000)");
	/* A find that would wrap still finds it. */
	assert_non_null(aspace_find(ASPACE_MMIO, top + 0x800, 0x1000));
	assert_int_equal(aspace_find(ASPACE_MMIO, top + 0x800, UINT64_MAX)->base, top);
	assert_int_equal(aspace_remove(ASPACE_MMIO, top), 0);
	assert_null(aspace_find(ASPACE_MMIO, top, 0x1000));
	/* The whole space, as one slot. */
	unsigned slot;
	assert_int_equal(aspace_slot_add(ASPACE_MEMSLOT, 0, UINT64_MAX, "nearly all", &slot, err, sizeof(err)), 0);
	refused(ASPACE_MMIO, UINT64_MAX - 1, 2,
		"00:05.0 new BAR2 at [0xfffffffffffffffe, 0x10000000000000000) overlaps nearly all at "
		"[0x0, 0xffffffffffffffff)");
	allowed(ASPACE_MMIO, UINT64_MAX, 1);
}

static void handler(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write) {}

/* io.c's ranges are in the registry: refused where it refuses, gone from
 * it once unregistered. (Its own table is not reset, so each range here
 * is unregistered before the test ends.) */
static void test_io_registers_in_the_registry(void **state)
{
	unsigned slot;

	assert_int_equal(aspace_slot_add(ASPACE_RAM, 0, 0x8000000, "RAM", &slot, err, sizeof(err)), 0);
	assert_int_equal(io_register(IO_MMIO, 0x7fff000, 0x1000, "in RAM", handler, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "in RAM at [0x7fff000, 0x8000000) overlaps RAM at [0x0, 0x8000000)");
	assert_int_equal(io_register(IO_MMIO, 0xc0000000, 0x1000, "bar", handler, NULL, err, sizeof(err)), 0);
	assert_string_equal(aspace_find(ASPACE_MMIO, 0xc0000800, 1)->name, "bar");
	assert_int_equal(aspace_find(ASPACE_MMIO, 0xc0000800, 1)->kind, ASPACE_MMIO);
	assert_int_equal(io_register(IO_MMIO, 0xc0000800, 0x1000, "over bar", handler, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "overlaps bar at [0xc0000000, 0xc0001000)"));
	/* A port range at the same number is another space. */
	assert_int_equal(io_register(IO_PIO, 0xc000, 0x10, "ports", handler, NULL, err, sizeof(err)), 0);
	assert_int_equal(aspace_find(ASPACE_PIO, 0xc000, 1)->kind, ASPACE_PIO);
	assert_int_equal(io_register_kind(ASPACE_ECAM, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, "PCI ECAM", handler, NULL, err,
					  sizeof(err)), 0);
	assert_int_equal(aspace_find(ASPACE_MMIO, LAYOUT_ECAM, 1)->kind, ASPACE_ECAM);
	/* Not a kind io.c dispatches. */
	assert_int_equal(io_register_kind(ASPACE_MEMSLOT, 0xe0000000, 0x1000, "slot", handler, NULL, err, sizeof(err)),
			 -1);
	assert_null(aspace_find(ASPACE_MMIO, 0xe0000000, 0x1000));
	/* An empty or wrapping range is refused by the registry for io.c too. */
	assert_int_equal(io_register(IO_MMIO, 0xe0000000, 0, "empty", handler, NULL, err, sizeof(err)), -1);
	assert_int_equal(io_register(IO_MMIO, UINT64_MAX, 2, "wraps", handler, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "wraps"));

	assert_int_equal(io_unregister(IO_MMIO, 0xc0000000), 0);
	assert_null(aspace_find(ASPACE_MMIO, 0xc0000000, 0x1000));
	assert_int_equal(aspace_slot_add(ASPACE_MEMSLOT, 0xc0000000, 0x1000, "after", &slot, err, sizeof(err)), 0);
	assert_int_equal(io_unregister(IO_PIO, 0xc000), 0);
	assert_null(aspace_find(ASPACE_PIO, 0xc000, 1));
	assert_int_equal(io_unregister(IO_MMIO, LAYOUT_ECAM), 0);
	assert_null(aspace_find(ASPACE_MMIO, LAYOUT_ECAM, 1));
}

/* A full dispatch table is refused with a message saying so (not only
 * -1), and the range is not left in the registry. */
static void test_io_table_full_says_so(void **state)
{
	static char name[1024][16]; /* io.c keeps the pointer */
	unsigned n = 0;

	for (; n < 1024; n++) {
		snprintf(name[n], sizeof(name[n]), "range %u", n);
		if (io_register(IO_MMIO, 0xd0000000 + n * 0x1000ull, 0x1000, name[n], handler, NULL, err, sizeof(err)))
			break;
	}
	assert_true(n > 8 && n < 1024);
	assert_non_null(strstr(err, "no room in the dispatch table"));
	char want[32];
	snprintf(want, sizeof(want), "range %u:", n);
	assert_non_null(strstr(err, want));
	assert_null(aspace_find(ASPACE_MMIO, 0xd0000000 + n * 0x1000ull, 0x1000));
	while (n--)
		assert_int_equal(io_unregister(IO_MMIO, 0xd0000000 + n * 0x1000ull), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_slots_lowest_free_and_reused, reset),
		cmocka_unit_test_setup(test_overlap_of_every_kind_refused_naming_both, reset),
		cmocka_unit_test_setup(test_adjacent_ranges_allowed, reset),
		cmocka_unit_test_setup(test_empty_and_wrapping_ranges_refused, reset),
		cmocka_unit_test_setup(test_range_ending_at_2_64, reset),
		cmocka_unit_test_setup(test_io_registers_in_the_registry, reset),
		cmocka_unit_test_setup(test_io_table_full_says_so, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
