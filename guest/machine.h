/*
 * machine.h - which machine the guest runs on, from what the machine
 * itself shows (machine.c): QEMU's fw_cfg device, the host bridge at
 * 0xCF8 (or its absence), what ACPI says. Nothing is guessed: the banner's
 * "machine:" line gives the evidence it rests on.
 */
#ifndef GUEST_MACHINE_H
#define GUEST_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "pvh.h"

/* QEMU's fw_cfg device at port 0x510 answers "QEMU" to selector 0. */
bool fw_cfg_present(void);
/* Whether fw_cfg's file directory lists name (size in *size); bounded. */
bool fw_cfg_file(const char *name, uint32_t *size);

/* Prints "machine: ..." (exitlab: the exitlab VMM found its boot module). */
void machine_print(const struct hvm_start_info *si, bool exitlab, bool scan_bios);

#endif
