/*
 * abi_ports.c - the ports of the exitlab guest/VMM contract (exitlab_abi.h):
 *
 *   EXITLAB_PORT_EXIT     the guest's exit status ends the VM (QEMU's
 *                         isa-debug-exit port, so one guest runs on both);
 *   EXITLAB_PORT_CONSOLE  buffered console: the guest passes the physical
 *                         address of a struct exitlab_console_buf, we copy
 *                         out up to len bytes. The address and length come
 *                         from the guest, so both are checked before use;
 *   EXITLAB_PORT_MARK     the guest's markers (struct exitlab_mark, found
 *                         the same way), logged with --trace=mark.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "devices.h"
#include "exitlab_abi.h"
#include "io.h"
#include "layout.h"
#include "trace.h"
#include "vmm.h"

static uint32_t le32(const uint8_t *d, unsigned size)
{
	uint32_t v = 0;
	memcpy(&v, d, size < 4 ? size : 4);
	return v;
}

static void exit_port_io(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	if (!is_write) {
		memset(data, 0xff, size);
		return;
	}
	uint32_t status = le32(data, size);
	if (status > EXITLAB_EXIT_GUEST_MAX) {
		fprintf(stderr, "vmm: guest exit status %u is above %d (the runner's own codes start at 124); reporting %d\n",
			status, EXITLAB_EXIT_GUEST_MAX, EXITLAB_EXIT_GUEST_MAX);
		status = EXITLAB_EXIT_GUEST_MAX;
	}
	uart_flush();
	vm_stop(vm, (int)status);
}

static void console_port_io(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size,
			    bool is_write)
{
	static unsigned complaints;

	if (!is_write) {
		memset(data, 0xff, size);
		return;
	}
	uint32_t gpa = le32(data, size);
	const uint8_t *buf = vm_gpa_ptr(vm, gpa, sizeof(struct exitlab_console_buf));
	uint32_t len = 0;
	/* The guest chooses the address, so it may be misaligned: copy the
	 * length out, read once, rather than load it through the struct. */
	if (buf) /* once: the check below and the copy use this one value */
		memcpy(&len, buf + offsetof(struct exitlab_console_buf, len), sizeof(len));
	if (!buf || len > EXITLAB_CONSOLE_BUF_MAX) {
		if (complaints++ < 5)
			fprintf(stderr, "vmm: console: bad buffer from guest (address 0x%x, length %u): ignored\n", gpa,
				len);
		return;
	}
	uart_flush(); /* keep UART and buffered output in order */
	console_output((const char *)buf + offsetof(struct exitlab_console_buf, data), len);
}

void console_rescue(struct vm *vm)
{
	const uint8_t *info = vm_gpa_ptr(vm, LAYOUT_EXITLAB_INFO, sizeof(struct exitlab_boot_info));
	uint32_t gpa = 0, len = 0;

	/* The guest wrote both the address and the length: each read once,
	 * then checked, as a flush's are. */
	if (info)
		memcpy(&gpa, info + offsetof(struct exitlab_boot_info, console_buf_paddr), sizeof(gpa));
	const uint8_t *buf = gpa ? vm_gpa_ptr(vm, gpa, sizeof(struct exitlab_console_buf)) : NULL;
	if (buf)
		memcpy(&len, buf + offsetof(struct exitlab_console_buf, len), sizeof(len));
	if (!buf || !len)
		return;
	if (len > EXITLAB_CONSOLE_BUF_MAX) {
		fprintf(stderr, "vmm: the guest's console buffer at 0x%x says it holds %u bytes (at most %u): not shown\n",
			gpa, len, EXITLAB_CONSOLE_BUF_MAX);
		return;
	}
	const char *text = (const char *)buf + offsetof(struct exitlab_console_buf, data);
	uart_flush();
	fprintf(stderr, "vmm: the guest ended with %u bytes it had not flushed in its console buffer; they follow\n", len);
	console_output(text, len);
	if (text[len - 1] != '\n')
		console_output("\n", 1);
}

static void mark_port_io(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	static const char *const kinds[] = { "?", "begin", "end", "text" };
	struct exitlab_mark m;

	if (!is_write) {
		memset(data, 0xff, size);
		return;
	}
	if (!trace_on(TRACE_MARK))
		return;
	uint32_t gpa = le32(data, size);
	const void *src = vm_gpa_ptr(vm, gpa, sizeof(m));
	if (src)
		memcpy(&m, src, sizeof(m)); /* one copy: what is checked is what is logged */
	if (!src || m.len > EXITLAB_MARK_TEXT_MAX) {
		trace_emit(TRACE_MARK, "bad marker from guest (address 0x%x): ignored", gpa);
		return;
	}
	for (uint32_t i = 0; i < m.len; i++) /* one line, printable */
		if (m.text[i] < 0x20 || m.text[i] > 0x7e)
			m.text[i] = '?';
	trace_emit(TRACE_MARK, "%s %.*s", kinds[m.kind < 4 ? m.kind : 0], (int)m.len, m.text);
}

int abi_ports_init(struct vm *vm, char *err, size_t errlen)
{
	if (io_register(IO_PIO, EXITLAB_PORT_EXIT, 4, "exit port (isa-debug-exit)", exit_port_io, NULL, err, errlen))
		return -1;
	if (io_register(IO_PIO, EXITLAB_PORT_MARK, 4, "exitlab markers", mark_port_io, NULL, err, errlen))
		return -1;
	return io_register(IO_PIO, EXITLAB_PORT_CONSOLE, 4, "exitlab buffered console", console_port_io, NULL, err,
			   errlen);
}
