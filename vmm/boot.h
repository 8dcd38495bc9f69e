/*
 * boot.h - write the PVH boot information into guest RAM (layout.h).
 */
#ifndef VMM_BOOT_H
#define VMM_BOOT_H

#include <stddef.h>
#include <stdint.h>

struct boot_params {
	const char *cmdline;   /* may be NULL */
	uint64_t tsc_khz;      /* 0 if unknown */
	uint16_t console_port; /* 0: no buffered console */
	uint32_t scratch_msr;  /* EXITLAB_MSR_SCRATCH if served, else 0 */
	uint64_t rsdp_paddr;   /* 0: no ACPI */
	uint64_t rom_paddr;    /* the read-only page (romslot.h), 0: none; reserved in the memory map */
	uint16_t irq_port;     /* EXITLAB_PORT_IRQ_BENCH if served, else 0 */
	uint16_t pt_count, pt_bdf; /* passthrough functions, the first one's BDF */
};

/* Does the command line fit where the guest finds it? 0, or -1 with err
 * (checked again by boot_info_write; main() asks first, before KVM). */
int boot_cmdline_check(const char *cmdline, char *err, size_t errlen);
/* Fills hvm_start_info, the memory map, the exitlab boot module and the
 * command line. Returns the start-info address, or 0 with err set. */
uint64_t boot_info_write(uint8_t *ram, uint64_t ram_size, const struct boot_params *p, char *err, size_t errlen);

#endif
