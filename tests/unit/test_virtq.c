/*
 * test_virtq.c - the VMM's split-virtqueue code (vmm/virtq.c) against a
 * hostile guest. Guest RAM is a host buffer; each test lays out rings in it
 * the way a driver would, then checks what virtq_pop()/virtq_push() do:
 * good chains come out with the right buffers, every broken ring (loops,
 * long chains, addresses outside RAM, wrapping lengths, bad sizes, index
 * jumps, indirect descriptors, use before enable) stops the queue without
 * touching memory outside RAM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "virtq.h"
#include "vmm.h"

#define RAM_SIZE (1u << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000

static struct vm vm;
static struct virtq q;

static struct virtq_desc *desc(unsigned i) { return (struct virtq_desc *)(vm.ram + DESC) + i; }
static struct virtq_avail *avail(void) { return (struct virtq_avail *)(vm.ram + AVAIL); }
static struct virtq_used *used(void) { return (struct virtq_used *)(vm.ram + USED); }

static int setup(void **state)
{
	vm.ram = calloc(1, RAM_SIZE);
	vm.ram_size = RAM_SIZE;
	memset(&q, 0, sizeof(q));
	strcpy(q.name, "test queue");
	q.size = 8;
	q.desc_gpa = DESC;
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
	return vm.ram ? 0 : -1;
}

static int teardown(void **state)
{
	free(vm.ram);
	return 0;
}

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	*desc(i) = (struct virtq_desc){ addr, len, flags, next };
}

/* The driver makes chain `head` available. */
static void offer(uint16_t head)
{
	avail()->ring[avail()->idx % q.size] = head;
	avail()->idx++;
}

static void test_single_and_chained_buffers(void **state)
{
	struct virtq_chain c;
	assert_int_equal(virtq_enable(&q, &vm), 0);
	assert_int_equal(virtq_pop(&q, &vm, &c), 0); /* nothing offered yet */

	set_desc(0, 0x10000, 16, VIRTQ_DESC_F_NEXT, 5);
	set_desc(5, 0x20000, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	set_desc(2, 0x30000, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	set_desc(3, 0x40000, 8, 0, 0);
	offer(3);

	assert_int_equal(virtq_pop(&q, &vm, &c), 1);
	assert_int_equal(c.head, 0);
	assert_int_equal(c.nbufs, 3);
	assert_ptr_equal(c.bufs[0].base, vm.ram + 0x10000);
	assert_int_equal(c.bufs[0].len, 16);
	assert_false(c.bufs[0].writable);
	assert_ptr_equal(c.bufs[1].base, vm.ram + 0x20000);
	assert_true(c.bufs[1].writable);
	assert_int_equal(c.bufs[2].len, 1);
	assert_int_equal(virtq_pop(&q, &vm, &c), 1);
	assert_int_equal(c.head, 3);
	assert_int_equal(c.nbufs, 1);
	assert_int_equal(virtq_pop(&q, &vm, &c), 0);

	virtq_push(&q, 0, 513);
	virtq_push(&q, 3, 0);
	assert_int_equal(used()->idx, 2);
	assert_int_equal(used()->ring[0].id, 0);
	assert_int_equal(used()->ring[0].len, 513);
	assert_int_equal(used()->ring[1].id, 3);
	assert_false(q.broken);
}

static void test_indices_wrap_at_65536(void **state)
{
	struct virtq_chain c;
	assert_int_equal(virtq_enable(&q, &vm), 0);
	q.last_avail = q.used_idx = 65534;
	used()->idx = 65534;
	avail()->idx = 65534;
	set_desc(1, 0x10000, 4, 0, 0);
	for (int i = 0; i < 4; i++) {
		offer(1);
		assert_int_equal(virtq_pop(&q, &vm, &c), 1);
		virtq_push(&q, c.head, 4);
	}
	assert_int_equal(q.last_avail, 2);
	assert_int_equal(used()->idx, 2);
	assert_false(q.broken);
}

static void test_refuse_bad_sizes(void **state)
{
	static const uint16_t bad[] = { 0, 6, 100, 2048, 32768 };
	/* A device that offers at most 64: 128 is refused, 64 accepted. */
	q.max_size = 64;
	q.size = 128;
	assert_int_equal(virtq_enable(&q, &vm), -1);
	virtq_reset(&q);
	assert_int_equal(q.max_size, 64);
	q.size = 64, q.desc_gpa = DESC, q.avail_gpa = AVAIL, q.used_gpa = USED;
	assert_int_equal(virtq_enable(&q, &vm), 0);
	q.max_size = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		virtq_reset(&q);
		q.size = bad[i];
		q.desc_gpa = DESC, q.avail_gpa = AVAIL, q.used_gpa = USED;
		assert_int_equal(virtq_enable(&q, &vm), -1);
		assert_true(q.broken);
		assert_false(q.enabled);
	}
}

static void test_refuse_rings_outside_ram(void **state)
{
	q.desc_gpa = RAM_SIZE - 64; /* 8 descriptors need 128 bytes */
	assert_int_equal(virtq_enable(&q, &vm), -1);
	virtq_reset(&q);
	q.size = 8, q.desc_gpa = DESC, q.avail_gpa = UINT64_MAX - 3, q.used_gpa = USED;
	assert_int_equal(virtq_enable(&q, &vm), -1);
	virtq_reset(&q);
	q.size = 8, q.desc_gpa = DESC + 8, q.avail_gpa = AVAIL, q.used_gpa = USED; /* misaligned */
	assert_int_equal(virtq_enable(&q, &vm), -1);
	assert_string_equal(q.name, "test queue"); /* reset keeps the name */
}

static void expect_broken(void)
{
	struct virtq_chain c;
	assert_int_equal(virtq_pop(&q, &vm, &c), -1);
	assert_true(q.broken);
	assert_int_equal(virtq_pop(&q, &vm, &c), -1); /* and it stays stopped */
}

static void test_refuse_loop(void **state)
{
	assert_int_equal(virtq_enable(&q, &vm), 0);
	set_desc(0, 0x10000, 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, 0x10000, 4, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
	expect_broken();
}

static void test_refuse_chain_longer_than_queue(void **state)
{
	assert_int_equal(virtq_enable(&q, &vm), 0);
	for (unsigned i = 0; i < 8; i++)
		set_desc(i, 0x10000, 4, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % 8));
	offer(3);
	expect_broken();
}

static void test_refuse_buffer_outside_ram(void **state)
{
	assert_int_equal(virtq_enable(&q, &vm), 0);
	set_desc(0, RAM_SIZE - 8, 16, 0, 0);
	offer(0);
	expect_broken();
}

static void test_refuse_wrapping_length(void **state)
{
	assert_int_equal(virtq_enable(&q, &vm), 0);
	set_desc(0, UINT64_MAX - 100, 0x1000, 0, 0);
	offer(0);
	expect_broken();
}

static void test_refuse_avail_jump(void **state)
{
	assert_int_equal(virtq_enable(&q, &vm), 0);
	set_desc(0, 0x10000, 4, 0, 0);
	avail()->idx = 9; /* 9 new entries in a queue of 8 */
	expect_broken();
}

static void test_refuse_head_and_next_out_of_range(void **state)
{
	assert_int_equal(virtq_enable(&q, &vm), 0);
	offer(8);
	expect_broken();

	virtq_reset(&q);
	memset(vm.ram, 0, RAM_SIZE);
	q.size = 8, q.desc_gpa = DESC, q.avail_gpa = AVAIL, q.used_gpa = USED;
	assert_int_equal(virtq_enable(&q, &vm), 0);
	set_desc(0, 0x10000, 4, VIRTQ_DESC_F_NEXT, 200);
	offer(0);
	expect_broken();
}

static void test_refuse_indirect(void **state)
{
	assert_int_equal(virtq_enable(&q, &vm), 0);
	set_desc(0, 0x10000, 64, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}

static void test_refuse_notify_before_enable(void **state)
{
	expect_broken();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_and_chained_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indices_wrap_at_65536, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_bad_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_rings_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_chain_longer_than_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_buffer_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_wrapping_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_avail_jump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_head_and_next_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_notify_before_enable, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
