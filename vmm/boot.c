/*
 * boot.c - the PVH boot information: struct hvm_start_info (version 1) with
 * its memory map and command line, plus one module, the exitlab boot info,
 * through which the VMM tells the guest what it offers beyond plain PVH.
 * Everything lands at the fixed addresses of layout.h.
 */
#include "boot.h"

#include <stdio.h>
#include <string.h>

#include "exitlab_abi.h"
#include "layout.h"
#include "pvh.h"
#include "vmm.h"

int boot_cmdline_check(const char *cmdline, char *err, size_t errlen)
{
	size_t cmdlen = strlen(cmdline);

	if (cmdlen < LAYOUT_CMDLINE_MAX)
		return 0;
	snprintf(err, errlen, "command line is %zu bytes; at most %llu fit", cmdlen,
		 (unsigned long long)LAYOUT_CMDLINE_MAX - 1);
	return -1;
}

uint64_t boot_info_write(uint8_t *ram, uint64_t ram_size, const struct boot_params *p, char *err, size_t errlen)
{
	const char *cmdline = p->cmdline ? p->cmdline : "";
	size_t cmdlen = strlen(cmdline);

	if (boot_cmdline_check(cmdline, err, errlen))
		return 0;
	memcpy(ram + LAYOUT_CMDLINE, cmdline, cmdlen + 1);

	struct hvm_memmap_table_entry map[] = {
		{ 0, LAYOUT_HOLE_START, HVM_MEMMAP_TYPE_RAM, 0 },
		{ LAYOUT_HOLE_START, LAYOUT_HOLE_END - LAYOUT_HOLE_START, HVM_MEMMAP_TYPE_RESERVED, 0 },
		{ LAYOUT_HOLE_END, ram_size - LAYOUT_HOLE_END, HVM_MEMMAP_TYPE_RAM, 0 },
		{ LAYOUT_ECAM, LAYOUT_ECAM_SIZE, HVM_MEMMAP_TYPE_RESERVED, 0 },
		{ p->rom_paddr, EXITLAB_ROM_SIZE, HVM_MEMMAP_TYPE_RESERVED, 0 }, /* dropped below if none */
	};
	unsigned nmap = sizeof(map) / sizeof(map[0]) - !p->rom_paddr;
	_Static_assert(sizeof(map) / sizeof(map[0]) <= LAYOUT_MEMMAP_MAX, "memory map fits");
	memcpy(ram + LAYOUT_MEMMAP, map, sizeof(map));

	struct exitlab_boot_info info = {
		.magic = EXITLAB_BOOT_MAGIC,
		.version = EXITLAB_ABI_VERSION,
		.tsc_khz = p->tsc_khz,
		.console_port = p->console_port,
		.scratch_msr = p->scratch_msr,
		.rom_paddr = p->rom_paddr,
		.rom_size = p->rom_paddr ? EXITLAB_ROM_SIZE : 0,
		.irq_port = p->irq_port,
		.pt_count = p->pt_count,
		.pt_bdf = p->pt_bdf,
	};
	snprintf(info.vmm_version, sizeof(info.vmm_version), "%s", VMM_VERSION);
	memcpy(ram + LAYOUT_EXITLAB_INFO, &info, sizeof(info));
	memcpy(ram + LAYOUT_MODNAME, EXITLAB_BOOT_MODULE_NAME, sizeof(EXITLAB_BOOT_MODULE_NAME));

	struct hvm_modlist_entry mod = {
		.paddr = LAYOUT_EXITLAB_INFO,
		.size = sizeof(info),
		.cmdline_paddr = LAYOUT_MODNAME,
	};
	memcpy(ram + LAYOUT_MODLIST, &mod, sizeof(mod));

	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC_VALUE,
		.version = 1,
		.nr_modules = 1,
		.modlist_paddr = LAYOUT_MODLIST,
		.cmdline_paddr = LAYOUT_CMDLINE,
		.rsdp_paddr = p->rsdp_paddr,
		.memmap_paddr = LAYOUT_MEMMAP,
		.memmap_entries = nmap,
	};
	memcpy(ram + LAYOUT_BOOT_INFO, &si, sizeof(si));
	return LAYOUT_BOOT_INFO;
}
