/*
 * mark.c - the guest's markers (exitlab_abi.h): a struct exitlab_mark in
 * our memory, its physical address written to EXITLAB_PORT_MARK. One exit
 * each; the exitlab VMM logs it with --trace=mark, QEMU drops it, and
 * perf sees the port write either way. Never inside a timed loop.
 */
#include "mark.h"

#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"

static struct exitlab_mark record NOINIT_DMA; /* written whole before each OUT; the VMM copies it */

void mark(uint32_t kind, const char *text, size_t len)
{
	record.kind = kind;
	record.len = (uint32_t)(len < EXITLAB_MARK_TEXT_MAX ? len : EXITLAB_MARK_TEXT_MAX);
	memcpy(record.text, text, record.len);
	outl(EXITLAB_PORT_MARK, (uint32_t)(uintptr_t)&record); /* identity-mapped, below 4 GiB */
}

int mark_action(const char *val, size_t len, bool dry_run)
{
	if (!dry_run)
		mark(EXITLAB_MARK_TEXT, val, len);
	return EXITLAB_EXIT_OK;
}
