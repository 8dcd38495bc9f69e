/*
 * layout.h - the guest-physical memory map the exitlab VMM builds.
 *
 *   0x0000_0000  ----------------------------------------------- RAM
 *   0x0000_1000  boot information: hvm_start_info, memory map,
 *                module list, exitlab_boot_info, command line
 *   0x0009_f000  (end of boot-info headroom)
 *   0x000a_0000  ----------------------------------------------- hole
 *                legacy VGA/BIOS area, reserved in the memory map;
 *   0x000e_0000  ACPI tables: RSDP, XSDT, MCFG (where a BIOS-area scan
 *                for the RSDP would look, too)
 *   0x0010_0000  ----------------------------------------------- RAM
 *                the guest image (linked at 1 MiB), then free RAM
 *   mem_size     ----------------------------------------------- end
 *
 * mem_size is at most LAYOUT_RAM_MAX, so [2 GiB, 4 GiB) stays free for
 * device MMIO: the ECAM window at 0xb000_0000 (as on QEMU q35), BARs the
 * guest assigns (it has no firmware to do it), the IOAPIC at 0xfec0_0000
 * (when KVM's irqchip is there), the local APIC at 0xfee0_0000. Each range
 * is in the address-space registry (aspace.h) while it decodes.
 */
#ifndef VMM_LAYOUT_H
#define VMM_LAYOUT_H

#include "pci_access.h" /* PCI_ECAM_BUS_SIZE */

#define LAYOUT_BOOT_INFO 0x1000ull    /* struct hvm_start_info */
#define LAYOUT_MEMMAP 0x1100ull       /* struct hvm_memmap_table_entry[] */
#define LAYOUT_MEMMAP_MAX 16
#define LAYOUT_MODLIST 0x1800ull      /* struct hvm_modlist_entry[] */
#define LAYOUT_EXITLAB_INFO 0x1900ull /* struct exitlab_boot_info */
#define LAYOUT_MODNAME 0x1a00ull      /* the module's name string */
#define LAYOUT_CMDLINE 0x2000ull      /* NUL-terminated command line */
#define LAYOUT_CMDLINE_MAX 0x2000ull  /* bytes, NUL included */
#define LAYOUT_BOOT_END 0x4000ull     /* no image segment below this */

#define LAYOUT_HOLE_START 0xa0000ull
#define LAYOUT_HOLE_END 0x100000ull

#define LAYOUT_ACPI 0xe0000ull      /* RSDP, then XSDT and MCFG */
#define LAYOUT_ACPI_END 0xf0000ull

#define LAYOUT_ECAM 0xb0000000ull   /* 1 MiB per bus */
#define LAYOUT_ECAM_BUSES 16        /* bus 0 and those behind --pci-bridge (PCIBUS_MAX_BUSES) */
#define LAYOUT_ECAM_SIZE (LAYOUT_ECAM_BUSES * PCI_ECAM_BUS_SIZE)

#define LAYOUT_IOAPIC 0xfec00000ull  /* KVM's in-kernel IOAPIC (with the irqchip) */
#define LAYOUT_IOAPIC_SIZE 0x1000ull
#define LAYOUT_LAPIC 0xfee00000ull   /* the local APIC's page (IA32_APIC_BASE's reset value) */
#define LAYOUT_LAPIC_SIZE 0x1000ull

#define LAYOUT_RAM_MIN (4ull << 20)
#define LAYOUT_RAM_MAX (2ull << 30)
#define LAYOUT_RAM_DEFAULT (64ull << 20)

#endif
