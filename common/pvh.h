/*
 * pvh.h - the PVH boot ABI: the ELF note that names the 32-bit entry point,
 * and the start-info block a VMM hands the guest in %ebx.
 *
 * These are Xen's public definitions (xen/include/public/arch-x86/hvm/
 * start_info.h and xen/include/public/elfnote.h), restated here so that the
 * guest, the VMM and the host tests agree on one copy. QEMU (-kernel),
 * Firecracker and Cloud Hypervisor implement the same contract.
 *
 * Writer: the VMM. Reader: the guest. Self-contained: <stdint.h> only.
 */
#ifndef EXITLAB_PVH_H
#define EXITLAB_PVH_H

#include <stdint.h>

/* ELF note that carries the 32-bit physical entry point (owner "Xen"). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define XEN_ELFNOTE_OWNER "Xen"

#define HVM_START_MAGIC_VALUE 0x336ec578u

/* hvm_memmap_table_entry.type: the E820 types. */
#define HVM_MEMMAP_TYPE_RAM 1
#define HVM_MEMMAP_TYPE_RESERVED 2
#define HVM_MEMMAP_TYPE_ACPI 3
#define HVM_MEMMAP_TYPE_NVS 4
#define HVM_MEMMAP_TYPE_UNUSABLE 5

/* Version 0 stops at rsdp_paddr; version 1 adds the memory map. */
struct hvm_start_info {
	uint32_t magic;          /* HVM_START_MAGIC_VALUE */
	uint32_t version;        /* 0 or 1 */
	uint32_t flags;          /* SIF_* flags (none used here) */
	uint32_t nr_modules;     /* entries at modlist_paddr */
	uint64_t modlist_paddr;  /* struct hvm_modlist_entry[nr_modules] */
	uint64_t cmdline_paddr;  /* NUL-terminated ASCII, 0 if none */
	uint64_t rsdp_paddr;     /* ACPI RSDP, 0 if none */
	uint64_t memmap_paddr;   /* struct hvm_memmap_table_entry[] (v1) */
	uint32_t memmap_entries; /* (v1) */
	uint32_t reserved;       /* must be zero */
};

struct hvm_modlist_entry {
	uint64_t paddr;         /* module start */
	uint64_t size;          /* module size in bytes */
	uint64_t cmdline_paddr; /* NUL-terminated name/cmdline, 0 if none */
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;     /* base address */
	uint64_t size;     /* in bytes */
	uint32_t type;     /* HVM_MEMMAP_TYPE_* */
	uint32_t reserved; /* must be zero */
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info size");
_Static_assert(__builtin_offsetof(struct hvm_start_info, modlist_paddr) == 16, "modlist");
_Static_assert(__builtin_offsetof(struct hvm_start_info, cmdline_paddr) == 24, "cmdline");
_Static_assert(__builtin_offsetof(struct hvm_start_info, rsdp_paddr) == 32, "rsdp");
_Static_assert(__builtin_offsetof(struct hvm_start_info, memmap_paddr) == 40, "memmap");
_Static_assert(__builtin_offsetof(struct hvm_start_info, memmap_entries) == 48, "entries");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry size");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry size");

#endif
