/*
 * test_console_rescue.c - what the VMM prints of a guest's console buffer
 * when the guest is gone without its last flush (vmm/abi_ports.c,
 * console_rescue): the held lines, whole, on stdout with a notice on
 * stderr; nothing when the guest said no buffer or an empty one; and
 * nothing read past guest RAM, nor more than EXITLAB_CONSOLE_BUF_MAX
 * bytes, whatever the guest wrote into the address and the length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"
#include "exitlab_abi.h"
#include "layout.h"
#include "vmm.h"

#define RAM_SIZE (1u << 20)
#define BUF_GPA 0x8000u

static struct vm vm;
static char out[8192], err[8192];

/* Runs console_rescue with stdout and stderr in files, then reads them. */
static void rescue(void)
{
	FILE *o = tmpfile(), *e = tmpfile();
	int so = dup(STDOUT_FILENO), se = dup(STDERR_FILENO);
	assert_non_null(o);
	assert_non_null(e);
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(o), STDOUT_FILENO);
	dup2(fileno(e), STDERR_FILENO);
	console_rescue(&vm);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	dup2(se, STDERR_FILENO);
	close(so);
	close(se);
	memset(out, 0, sizeof(out));
	memset(err, 0, sizeof(err));
	rewind(o);
	rewind(e);
	size_t no = fread(out, 1, sizeof(out) - 1, o), ne = fread(err, 1, sizeof(err) - 1, e);
	(void)no;
	(void)ne;
	fclose(o);
	fclose(e);
}

static void tell(uint32_t gpa)
{
	memcpy(vm.ram + LAYOUT_EXITLAB_INFO + offsetof(struct exitlab_boot_info, console_buf_paddr), &gpa,
	       sizeof(gpa));
}

static void hold(uint32_t gpa, uint32_t len, const char *text)
{
	memcpy(vm.ram + gpa + offsetof(struct exitlab_console_buf, len), &len, sizeof(len));
	memcpy(vm.ram + gpa + offsetof(struct exitlab_console_buf, data), text, strlen(text));
}

static int setup(void **state)
{
	(void)state;
	vm.ram = calloc(1, RAM_SIZE);
	vm.ram_size = RAM_SIZE;
	return vm.ram ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(vm.ram);
	return 0;
}

static void held_lines_are_printed(void **state)
{
	(void)state;
	tell(BUF_GPA);
	hold(BUF_GPA, 24, "memmap: 5 entries\ntsc: 9");
	rescue();
	assert_string_equal(out, "memmap: 5 entries\ntsc: 9\n"); /* whole, the last line ended */
	assert_non_null(strstr(err, "24 bytes it had not flushed"));
}

static void no_buffer_told_prints_nothing(void **state)
{
	(void)state;
	hold(BUF_GPA, 5, "lost!");
	rescue();
	assert_string_equal(out, "");
	assert_string_equal(err, "");
}

static void an_empty_buffer_prints_nothing(void **state)
{
	(void)state;
	tell(BUF_GPA);
	hold(BUF_GPA, 0, "stale");
	rescue();
	assert_string_equal(out, "");
	assert_string_equal(err, "");
}

static void a_length_past_the_buffer_is_refused(void **state)
{
	(void)state;
	tell(BUF_GPA);
	hold(BUF_GPA, EXITLAB_CONSOLE_BUF_MAX + 1, "too long");
	rescue();
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "not shown"));
}

static void a_buffer_past_ram_is_not_read(void **state)
{
	(void)state;
	tell(RAM_SIZE - 8); /* the header fits, the data would not */
	rescue();
	assert_string_equal(out, "");
	assert_string_equal(err, "");
	tell(0xfffffff0u);
	rescue();
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(held_lines_are_printed, setup, teardown),
		cmocka_unit_test_setup_teardown(no_buffer_told_prints_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(an_empty_buffer_prints_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(a_length_past_the_buffer_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(a_buffer_past_ram_is_not_read, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
