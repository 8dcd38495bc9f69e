/*
 * test_guest_lib.c - the guest's freestanding C library (guest/lib.c), run
 * on the host: its vsnprintf against glibc's snprintf (an independent
 * implementation) on every conversion the guest uses, truncation included,
 * parse_u64 on good and bad numbers, and word_find, which every action's
 * keyword list goes through, over an array of strings and over a table of
 * structs. lib.c is compiled into this test with its libc-named functions
 * renamed, so both libraries coexist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "guest_libc_rename.h"
#include "../../guest/lib.c"
#include "guest_libc_unrename.h"

/* Truncation is what some of these cases test. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* Formats with both libraries into buffers of `size` and compares the
 * text and the returned length. */
#define SAME(size, ...)                                                                                    \
	do {                                                                                               \
		char want[128], got[128];                                                                  \
		memset(want, 0x5a, sizeof(want));                                                          \
		memset(got, 0x5a, sizeof(got));                                                            \
		int wn = snprintf(want, (size), __VA_ARGS__);                                              \
		int gn = guest_snprintf(got, (size), __VA_ARGS__);                                         \
		assert_int_equal(gn, wn);                                                                  \
		assert_memory_equal(got, want, sizeof(want));                                              \
	} while (0)

static void test_integers(void **state)
{
	SAME(64, "%d %d %d", 0, -1, 2147483647);
	SAME(64, "%i|%5d|%-5d|%05d|%-3d|", -42, 42, 42, -42, 7);
	SAME(64, "%u %x %X %o", 4000000000u, 0xdeadbeefu, 0xdeadbeefu, 0755u);
	SAME(64, "%lu %ld %ld", (unsigned long)UINT64_MAX, (long)INT64_MIN, (long)INT64_MAX);
	SAME(64, "%016lx|%lx|%8lx|", 0x1234ul, 0ul, 0xabcul);
	SAME(64, "%llu %zu %zx", 123ull, (size_t)99, (size_t)0xffff);
	SAME(64, "%hu %hhu %hx", 65536 + 5, 256 + 7, 0x12345);
	SAME(64, "%*d|%-*d|", 6, 12, 6, 12);
}

static void test_strings_and_chars(void **state)
{
	SAME(64, "%s|%10s|%-10s|%.3s|%.*s|", "abc", "abc", "abc", "abcdef", 2, "abcdef");
	SAME(64, "%c%c%c %%", 'a', 'b', 'c');
	SAME(64, "literal only, no conversions at all");
	SAME(64, "%p", (void *)0x1000);
	SAME(64, "%s", "");
}

static void test_truncation(void **state)
{
	SAME(1, "hello %d", 12345);
	SAME(5, "hello %d", 12345);
	SAME(9, "hello %d", 12345);
	SAME(8, "%s and %s", "first", "second");
	SAME(4, "%08x", 0xabcu);
	/* Size 0 writes nothing at all and still counts. */
	char b[4] = "zzz";
	assert_int_equal(guest_snprintf(b, 0, "%d", 1234), 4);
	assert_string_equal(b, "zzz");
}

static void test_parse_u64(void **state)
{
	uint64_t v = 0;
	assert_true(parse_u64("0", 1, &v) && v == 0);
	assert_true(parse_u64("123", 3, &v) && v == 123);
	assert_true(parse_u64("0x1F", 4, &v) && v == 31);
	assert_true(parse_u64("18446744073709551615", 20, &v) && v == UINT64_MAX);
	assert_true(parse_u64("0xffffffffffffffff", 18, &v) && v == UINT64_MAX);
	assert_false(parse_u64("18446744073709551616", 20, &v)); /* overflow */
	assert_false(parse_u64("0x10000000000000000", 19, &v));
	assert_false(parse_u64("", 0, &v));
	assert_false(parse_u64("0x", 2, &v));
	assert_false(parse_u64("12a", 3, &v));
	assert_false(parse_u64("-1", 2, &v));
	assert_true(parse_u64("12345", 2, &v) && v == 12); /* only the first len bytes */
}

static void test_memory_routines(void **state)
{
	char a[32] = "0123456789abcdef0123456789abcde";
	guest_memmove(a + 2, a, 10); /* overlapping, forwards */
	assert_memory_equal(a, "010123456789cdef", 16);
	guest_memmove(a, a + 2, 10); /* overlapping, backwards */
	assert_memory_equal(a, "0123456789", 10);
	assert_int_equal(guest_strlen(""), 0);
	assert_int_equal(guest_strlen("exitlab"), 7);
	assert_true(guest_strcmp("abc", "abd") < 0);
	assert_int_equal(guest_strncmp("abcx", "abcy", 3), 0);
	assert_ptr_equal(guest_strchr("a=b", '='), strchr("a=b", '='));
	assert_null(guest_strchr("ab", 'z'));
	assert_true(guest_memcmp("ab", "ac", 2) < 0);
}

/* Whole words only: no prefix, no longer word, no empty one; in an array
 * of strings and in a struct table alike (the stride is the struct's). */
static void test_word_find(void **state)
{
	static const char *const words[] = { "list", "cf8", "ecam", "reset" };
	static const struct {
		int before;
		const char *name;
		char after[13];
	} table[] = { { 1, "loop", "" }, { 2, "long-chain", "" }, { 3, "l", "" } };

	assert_int_equal(word_find("list", 4, WORDS(words)), 0);
	assert_int_equal(word_find("reset", 5, WORDS(words)), 3);
	assert_int_equal(word_find("ecam pci=list", 4, WORDS(words)), 2); /* only the first len bytes */
	assert_int_equal(word_find("lis", 3, WORDS(words)), -1);
	assert_int_equal(word_find("lists", 5, WORDS(words)), -1);
	assert_int_equal(word_find("", 0, WORDS(words)), -1);
	assert_int_equal(word_find("long-chain", 10, WORDS_OF(table, name)), 1);
	assert_int_equal(word_find("l", 1, WORDS_OF(table, name)), 2);
	assert_int_equal(word_find("lo", 2, WORDS_OF(table, name)), -1);
	assert_string_equal(word_at(WORDS_OF(table, name), 2), "l");
	assert_int_equal(WORDS_OF(table, name).n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_strings_and_chars),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_memory_routines),
		cmocka_unit_test(test_word_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
