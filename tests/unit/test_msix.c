/*
 * test_msix.c - MSI-X masking as PCI 3.0 §6.8.2 has it (vmm/msix.c): a
 * vector fires only when MSI-X is enabled, the function is unmasked and
 * its own mask bit is clear; otherwise it is held in the PBA and fires on
 * the unmask. Table reads return what was written, the PBA ignores writes,
 * odd-sized or out-of-range accesses change nothing, and reprogramming an
 * entry's address/data reroutes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "msix.h"
#include "pci_regs.h"

static struct msix m;
static unsigned fired[8], routed;
static uint64_t last_addr;
static uint32_t last_data;

static void fire(struct msix *x, unsigned v) { fired[v]++; }
static void route(struct msix *x, unsigned v, uint64_t addr, uint32_t data)
{
	routed++;
	last_addr = addr;
	last_data = data;
}

static int setup(void **state)
{
	memset(fired, 0, sizeof(fired));
	routed = 0;
	msix_init(&m, 4, fire, route, NULL);
	return 0;
}

static void wr32(uint64_t off, uint32_t v) { msix_table_access(&m, off, (uint8_t *)&v, 4, true); }
static uint32_t rd32(uint64_t off)
{
	uint32_t v;
	msix_table_access(&m, off, (uint8_t *)&v, 4, false);
	return v;
}
static uint64_t pba(void)
{
	uint64_t v;
	msix_pba_access(&m, 0, (uint8_t *)&v, 8, false);
	return v;
}

/* Program vector v and unmask it. */
static void program(unsigned v)
{
	wr32(v * 16 + PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee00000);
	wr32(v * 16 + PCI_MSIX_ENTRY_UPPER_ADDR, 0);
	wr32(v * 16 + PCI_MSIX_ENTRY_DATA, 0x40 + v);
	wr32(v * 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
}

static void test_reset_state_is_masked(void **state)
{
	for (unsigned v = 0; v < 4; v++)
		assert_int_equal(rd32(v * 16 + 12), PCI_MSIX_ENTRY_CTRL_MASKBIT);
	msix_control_write(&m, PCI_MSIX_FLAGS_ENABLE);
	msix_notify(&m, 0);
	assert_int_equal(fired[0], 0);
	assert_int_equal(pba(), 1);
}

static void test_fires_when_enabled_and_unmasked(void **state)
{
	program(1);
	assert_int_equal(routed, 2); /* address, then data changed the route */
	assert_int_equal(last_addr, 0xfee00000);
	assert_int_equal(last_data, 0x41);
	assert_int_equal(rd32(16 + 8), 0x41);
	msix_notify(&m, 1);
	assert_int_equal(fired[1], 0); /* MSI-X not enabled: dropped */
	assert_int_equal(pba(), 0);
	msix_control_write(&m, PCI_MSIX_FLAGS_ENABLE);
	msix_notify(&m, 1);
	assert_int_equal(fired[1], 1);
	assert_int_equal(pba(), 0);
}

static void test_masked_vector_fires_on_unmask(void **state)
{
	program(2);
	msix_control_write(&m, PCI_MSIX_FLAGS_ENABLE);
	wr32(2 * 16 + 12, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	msix_notify(&m, 2);
	msix_notify(&m, 2);
	assert_int_equal(fired[2], 0);
	assert_int_equal(pba(), 1u << 2);
	wr32(2 * 16 + 12, 0); /* unmask: one interrupt for the pending bit */
	assert_int_equal(fired[2], 1);
	assert_int_equal(pba(), 0);
}

static void test_function_mask(void **state)
{
	program(0);
	program(3);
	msix_control_write(&m, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	msix_notify(&m, 0);
	msix_notify(&m, 3);
	assert_int_equal(fired[0] + fired[3], 0);
	assert_int_equal(pba(), (1u << 0) | (1u << 3));
	msix_control_write(&m, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(fired[0], 1);
	assert_int_equal(fired[3], 1);
	assert_int_equal(pba(), 0);
}

static void test_hostile_accesses(void **state)
{
	uint8_t b[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint64_t v = ~0ull;
	msix_table_access(&m, 1, b, 2, true);        /* odd size and offset */
	msix_table_access(&m, 4 * 16, b, 4, true);   /* past the last entry */
	msix_table_access(&m, 1u << 30, b, 4, false); /* far past */
	assert_int_equal(b[0], 0);
	assert_int_equal(rd32(0), 0);
	msix_pba_access(&m, 0, (uint8_t *)&v, 8, true); /* PBA is read-only */
	assert_int_equal(pba(), 0);
	msix_pba_access(&m, 4096, (uint8_t *)&v, 8, false);
	assert_int_equal(v, 0);
	msix_notify(&m, 0xffff); /* VIRTIO_MSI_NO_VECTOR */
	msix_notify(&m, 4);
	assert_int_equal(pba(), 0);
	/* Reserved vector-control bits do not stick. */
	wr32(12, 0xfffffffe);
	assert_int_equal(rd32(12), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_state_is_masked, setup),
		cmocka_unit_test_setup(test_fires_when_enabled_and_unmasked, setup),
		cmocka_unit_test_setup(test_masked_vector_fires_on_unmask, setup),
		cmocka_unit_test_setup(test_function_mask, setup),
		cmocka_unit_test_setup(test_hostile_accesses, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
