/*
 * pci_regs.h - PCI configuration-space register offsets, bits and
 * capability IDs, under the names Linux uses (include/uapi/linux/pci_regs.h)
 * so that code here reads like the specs and like every driver out there.
 *
 * Only what exitlab decodes or programs is listed: the type 0 / type 1
 * headers, BARs, the standard capability list (PCI Local Bus 3.0 §6.7),
 * MSI and MSI-X (§6.8), the PCI Express capability and extended-capability
 * headers (PCIe Base §7.5/§7.6). Values are facts from those specs.
 *
 * Self-contained (<stdint.h> only); shared by the guest, the VMM and the
 * host tools. Offsets are bytes from the start of a function's config space;
 * everything in config space is little-endian.
 */
#ifndef PCI_REGS_H
#define PCI_REGS_H

#include <stdint.h>

/* Sizes of the three views of config space. */
#define PCI_CFG_HEADER_SIZE 64 /* the predefined header */
#define PCI_CFG_SPACE_SIZE 256 /* conventional PCI, mechanism #1 */
#define PCI_CFG_SPACE_EXP_SIZE 4096 /* PCI Express, ECAM */

/* --- Common header (both layouts) ---------------------------------------- */
#define PCI_VENDOR_ID 0x00 /* 16 bits; 0xffff: no function here */
#define PCI_DEVICE_ID 0x02 /* 16 bits */
#define PCI_COMMAND 0x04 /* 16 bits */
#define PCI_COMMAND_IO 0x0001 /* respond to I/O space accesses */
#define PCI_COMMAND_MEMORY 0x0002 /* respond to memory space accesses */
#define PCI_COMMAND_MASTER 0x0004 /* bus mastering (DMA, MSI writes) */
#define PCI_COMMAND_SPECIAL 0x0008
#define PCI_COMMAND_INVALIDATE 0x0010
#define PCI_COMMAND_VGA_PALETTE 0x0020
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_FAST_BACK 0x0200
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS 0x06 /* 16 bits */
#define PCI_STATUS_IMM_READY 0x0001
#define PCI_STATUS_INTERRUPT 0x0008 /* INTx# asserted */
#define PCI_STATUS_CAP_LIST 0x0010 /* PCI_CAPABILITY_LIST is valid */
#define PCI_STATUS_66MHZ 0x0020
#define PCI_STATUS_FAST_BACK 0x0080
#define PCI_STATUS_PARITY 0x0100
#define PCI_STATUS_DEVSEL_MASK 0x0600
#define PCI_STATUS_SIG_TARGET_ABORT 0x0800
#define PCI_STATUS_REC_TARGET_ABORT 0x1000
#define PCI_STATUS_REC_MASTER_ABORT 0x2000
#define PCI_STATUS_SIG_SYSTEM_ERROR 0x4000
#define PCI_STATUS_DETECTED_PARITY 0x8000
#define PCI_CLASS_REVISION 0x08 /* revision (8) | class code (24) << 8 */
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09 /* programming interface */
#define PCI_CLASS_DEVICE 0x0a /* sub-class (low byte), base class (high) */
#define PCI_CLASS_BRIDGE_HOST 0x0600 /* PCI_CLASS_DEVICE of a host bridge (Linux pci_ids.h) */
#define PCI_CLASS_BRIDGE_PCI 0x0604 /* ... of a PCI-to-PCI bridge */
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_TYPE_NORMAL 0
#define PCI_HEADER_TYPE_BRIDGE 1
#define PCI_HEADER_TYPE_CARDBUS 2
#define PCI_HEADER_TYPE_MFD 0x80 /* multi-function device */
#define PCI_BIST 0x0f

/* --- Base address registers (type 0: six, type 1: two) ------------------- */
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_BASE_ADDRESS_1 0x14
#define PCI_BASE_ADDRESS_2 0x18
#define PCI_BASE_ADDRESS_3 0x1c
#define PCI_BASE_ADDRESS_4 0x20
#define PCI_BASE_ADDRESS_5 0x24
#define PCI_STD_NUM_BARS 6
#define PCI_BRIDGE_NUM_BARS 2
#define PCI_BASE_ADDRESS_SPACE 0x01 /* 0 = memory, 1 = I/O */
#define PCI_BASE_ADDRESS_SPACE_IO 0x01
#define PCI_BASE_ADDRESS_SPACE_MEMORY 0x00
#define PCI_BASE_ADDRESS_MEM_TYPE_MASK 0x06
#define PCI_BASE_ADDRESS_MEM_TYPE_32 0x00 /* anywhere in 32-bit space */
#define PCI_BASE_ADDRESS_MEM_TYPE_1M 0x02 /* below 1 MiB (PCI 2.x only) */
#define PCI_BASE_ADDRESS_MEM_TYPE_64 0x04 /* 64 bits: next BAR is the top */
#define PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_BASE_ADDRESS_MEM_MASK (~(uint32_t)0x0f)
#define PCI_BASE_ADDRESS_IO_MASK (~(uint32_t)0x03)

/* --- Type 0 (endpoint) header -------------------------------------------- */
#define PCI_CARDBUS_CIS 0x28
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30 /* bit 0: decoder enable */
#define PCI_ROM_ADDRESS_ENABLE 0x01
#define PCI_ROM_ADDRESS_MASK (~(uint32_t)0x7ff)
#define PCI_CAPABILITY_LIST 0x34 /* 8 bits: offset of the first capability */
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d /* 0 none, 1..4 INTA#..INTD# */
#define PCI_MIN_GNT 0x3e
#define PCI_MAX_LAT 0x3f

/* --- Type 1 (PCI-to-PCI bridge) header ----------------------------------- */
#define PCI_PRIMARY_BUS 0x18
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBORDINATE_BUS 0x1a
#define PCI_SEC_LATENCY_TIMER 0x1b
#define PCI_IO_BASE 0x1c
#define PCI_IO_LIMIT 0x1d
#define PCI_IO_RANGE_MASK (~0x0fu) /* I/O base, limit: address bits 15:12 in 7:4 */
#define PCI_IO_RANGE_TYPE_MASK 0x0fu /* read-only: the decode width */
#define PCI_IO_RANGE_TYPE_16 0x00
#define PCI_IO_RANGE_TYPE_32 0x01 /* the UPPER16 registers are implemented */
#define PCI_SEC_STATUS 0x1e
#define PCI_MEMORY_BASE 0x20
#define PCI_MEMORY_LIMIT 0x22
#define PCI_MEMORY_RANGE_MASK (~0x0fu) /* memory base, limit: address bits 31:20 in 15:4 */
#define PCI_PREF_MEMORY_BASE 0x24
#define PCI_PREF_MEMORY_LIMIT 0x26
#define PCI_PREF_RANGE_MASK (~0x0fu)
#define PCI_PREF_RANGE_TYPE_MASK 0x0fu /* read-only: the decode width */
#define PCI_PREF_RANGE_TYPE_32 0x00
#define PCI_PREF_RANGE_TYPE_64 0x01 /* the UPPER32 registers are implemented */
#define PCI_BRIDGE_IO_GRANULE 0x1000u /* window granules (PCI-to-PCI Bridge 1.2 §3.2.5.6-9) */
#define PCI_BRIDGE_MEM_GRANULE 0x100000u
#define PCI_PREF_BASE_UPPER32 0x28
#define PCI_PREF_LIMIT_UPPER32 0x2c
#define PCI_IO_BASE_UPPER16 0x30
#define PCI_IO_LIMIT_UPPER16 0x32
#define PCI_ROM_ADDRESS1 0x38 /* the bridge's ROM BAR */
#define PCI_BRIDGE_CONTROL 0x3e /* 16 bits */
#define PCI_BRIDGE_CTL_PARITY 0x0001
#define PCI_BRIDGE_CTL_SERR 0x0002
#define PCI_BRIDGE_CTL_ISA 0x0004
#define PCI_BRIDGE_CTL_VGA 0x0008
#define PCI_BRIDGE_CTL_MASTER_ABORT 0x0020
#define PCI_BRIDGE_CTL_BUS_RESET 0x0040

/* --- Type 2 (CardBus bridge) header: only where its capability list is --- */
#define PCI_CB_CAPABILITY_LIST 0x14

/* --- Standard capability list (PCI 3.0 §6.7) ------------------------------ */
/* Each entry: ID at +0, next pointer at +1 (0 ends the list). Pointers are
 * dword aligned and lie in 0x40..0xff, after the predefined header. */
#define PCI_CAP_LIST_ID 0
#define PCI_CAP_LIST_NEXT 1
#define PCI_CAP_FLAGS 2 /* capability-specific 16-bit control word */
#define PCI_CAP_SIZEOF 4
#define PCI_CAP_ID_PM 0x01 /* Power Management */
#define PCI_CAP_ID_AGP 0x02
#define PCI_CAP_ID_VPD 0x03 /* Vital Product Data */
#define PCI_CAP_ID_SLOTID 0x04
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_CHSWP 0x06 /* CompactPCI hot swap */
#define PCI_CAP_ID_PCIX 0x07
#define PCI_CAP_ID_HT 0x08 /* HyperTransport */
#define PCI_CAP_ID_VNDR 0x09 /* Vendor specific (virtio uses it) */
#define PCI_CAP_ID_DBG 0x0a /* Debug port */
#define PCI_CAP_ID_CCRC 0x0b /* CompactPCI central resource control */
#define PCI_CAP_ID_SHPC 0x0c /* Standard hot-plug controller */
#define PCI_CAP_ID_SSVID 0x0d /* Bridge subsystem vendor/device ID */
#define PCI_CAP_ID_AGP3 0x0e
#define PCI_CAP_ID_SECDEV 0x0f /* Secure device */
#define PCI_CAP_ID_EXP 0x10 /* PCI Express */
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_SATA 0x12
#define PCI_CAP_ID_AF 0x13 /* PCI Advanced Features */
#define PCI_CAP_ID_EA 0x14 /* Enhanced Allocation */
#define PCI_CAP_ID_MAX PCI_CAP_ID_EA

/* Power Management (PCI PM 1.2 §3.2) */
#define PCI_PM_PMC 2
#define PCI_PM_CAP_VER_MASK 0x0007
#define PCI_PM_CTRL 4
#define PCI_PM_SIZEOF 8

/* Bridge subsystem IDs (PCI-to-PCI Bridge Arch 1.2 §3.2.5.13 says type 1
 * headers have no room for them, so this capability carries them). */
#define PCI_SSVID_VENDOR_ID 4
#define PCI_SSVID_DEVICE_ID 6
#define PCI_SSVID_SIZEOF 8

/* Vendor specific: ID, next, then a length byte covering the whole entry. */
#define PCI_CAP_VNDR_LEN 2

/* MSI (PCI 3.0 §6.8.1) */
#define PCI_MSI_FLAGS 2
#define PCI_MSI_FLAGS_ENABLE 0x0001
#define PCI_MSI_FLAGS_QMASK 0x000e /* log2 of vectors the function wants */
#define PCI_MSI_FLAGS_QSIZE 0x0070 /* log2 of vectors software granted */
#define PCI_MSI_FLAGS_64BIT 0x0080
#define PCI_MSI_FLAGS_MASKBIT 0x0100 /* per-vector masking */
#define PCI_MSI_ADDRESS_LO 4
#define PCI_MSI_ADDRESS_HI 8 /* 64-bit layout only */
#define PCI_MSI_DATA_32 8
#define PCI_MSI_MASK_32 12
#define PCI_MSI_PENDING_32 16
#define PCI_MSI_DATA_64 12
#define PCI_MSI_MASK_64 16
#define PCI_MSI_PENDING_64 20
#define PCI_MSI_SIZEOF_32 10 /* without mask/pending: up to data */
#define PCI_MSI_SIZEOF_64 14
#define PCI_MSI_SIZEOF_32_MASK 20
#define PCI_MSI_SIZEOF_64_MASK 24

/* MSI-X (PCI 3.0 §6.8.2) */
#define PCI_MSIX_FLAGS 2
#define PCI_MSIX_FLAGS_QSIZE 0x07ff /* table size - 1 */
#define PCI_MSIX_FLAGS_MASKALL 0x4000
#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_TABLE 4
#define PCI_MSIX_TABLE_BIR 0x00000007 /* which BAR */
#define PCI_MSIX_TABLE_OFFSET 0xfffffff8 /* offset in it, 8-byte aligned */
#define PCI_MSIX_PBA 8
#define PCI_MSIX_PBA_BIR 0x00000007
#define PCI_MSIX_PBA_OFFSET 0xfffffff8
#define PCI_CAP_MSIX_SIZEOF 12
#define PCI_MSIX_ENTRY_SIZE 16 /* one table entry: addr lo/hi, data, ctrl */
#define PCI_MSIX_ENTRY_LOWER_ADDR 0
#define PCI_MSIX_ENTRY_UPPER_ADDR 4
#define PCI_MSIX_ENTRY_DATA 8
#define PCI_MSIX_ENTRY_VECTOR_CTRL 12
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 0x00000001

/* PCI Express capability (PCIe Base §7.5.3) */
#define PCI_EXP_FLAGS 2
#define PCI_EXP_FLAGS_VERS 0x000f
#define PCI_EXP_FLAGS_TYPE 0x00f0
#define PCI_EXP_TYPE_ENDPOINT 0x0
#define PCI_EXP_TYPE_LEG_END 0x1
#define PCI_EXP_TYPE_ROOT_PORT 0x4
#define PCI_EXP_TYPE_UPSTREAM 0x5
#define PCI_EXP_TYPE_DOWNSTREAM 0x6
#define PCI_EXP_TYPE_PCI_BRIDGE 0x7
#define PCI_EXP_TYPE_PCIE_BRIDGE 0x8
#define PCI_EXP_TYPE_RC_END 0x9
#define PCI_EXP_TYPE_RC_EC 0xa
#define PCI_EXP_DEVCAP 4
#define PCI_EXP_DEVCTL 8
#define PCI_EXP_DEVSTA 10
#define PCI_CAP_EXP_ENDPOINT_SIZEOF_V1 20
#define PCI_CAP_EXP_SIZEOF 0x3c /* version 2 */

/* --- PCI Express extended capabilities (PCIe Base §7.6) ------------------ */
/* A 32-bit header at 0x100 and beyond: ID in bits 15:0, version in 19:16,
 * next offset in 31:20 (0 ends the list). A header of 0 (or all ones) at
 * 0x100 means the function has none. */
#define PCI_EXT_CAP_START 0x100
#define PCI_EXT_CAP_ID(header) ((uint16_t)((header) & 0x0000ffff))
#define PCI_EXT_CAP_VER(header) ((uint8_t)(((header) >> 16) & 0xf))
#define PCI_EXT_CAP_NEXT(header) ((uint16_t)(((header) >> 20) & 0xfff))
#define PCI_EXT_CAP_ID_ERR 0x01 /* Advanced Error Reporting */
#define PCI_EXT_CAP_ID_VC 0x02 /* Virtual Channel */
#define PCI_EXT_CAP_ID_DSN 0x03 /* Device Serial Number */
#define PCI_EXT_CAP_ID_PWR 0x04 /* Power Budgeting */
#define PCI_EXT_CAP_ID_RCLD 0x05 /* Root Complex Link Declaration */
#define PCI_EXT_CAP_ID_RCILC 0x06 /* Root Complex Internal Link Control */
#define PCI_EXT_CAP_ID_RCEC 0x07 /* Root Complex Event Collector */
#define PCI_EXT_CAP_ID_MFVC 0x08 /* Multi-Function VC */
#define PCI_EXT_CAP_ID_VC9 0x09 /* VC, when MFVC is present too */
#define PCI_EXT_CAP_ID_RCRB 0x0a /* Root Complex Register Block */
#define PCI_EXT_CAP_ID_VNDR 0x0b /* Vendor-Specific Extended */
#define PCI_EXT_CAP_ID_CAC 0x0c /* Config Access Correlation (obsolete) */
#define PCI_EXT_CAP_ID_ACS 0x0d /* Access Control Services */
#define PCI_EXT_CAP_ID_ARI 0x0e /* Alternative Routing-ID Interpretation */
#define PCI_EXT_CAP_ID_ATS 0x0f /* Address Translation Services */
#define PCI_EXT_CAP_ID_SRIOV 0x10 /* Single Root I/O Virtualization */
#define PCI_EXT_CAP_ID_MRIOV 0x11 /* Multi Root I/O Virtualization */
#define PCI_EXT_CAP_ID_MCAST 0x12 /* Multicast */
#define PCI_EXT_CAP_ID_PRI 0x13 /* Page Request Interface */
#define PCI_EXT_CAP_ID_AMD_XXX 0x14 /* reserved for AMD */
#define PCI_EXT_CAP_ID_REBAR 0x15 /* Resizable BAR */
#define PCI_EXT_CAP_ID_DPA 0x16 /* Dynamic Power Allocation */
#define PCI_EXT_CAP_ID_TPH 0x17 /* TLP Processing Hints */
#define PCI_EXT_CAP_ID_LTR 0x18 /* Latency Tolerance Reporting */
#define PCI_EXT_CAP_ID_SECPCI 0x19 /* Secondary PCI Express */
#define PCI_EXT_CAP_ID_PMUX 0x1a /* Protocol Multiplexing */
#define PCI_EXT_CAP_ID_PASID 0x1b /* Process Address Space ID */
#define PCI_EXT_CAP_ID_DPC 0x1d /* Downstream Port Containment */
#define PCI_EXT_CAP_ID_L1SS 0x1e /* L1 PM Substates */
#define PCI_EXT_CAP_ID_PTM 0x1f /* Precision Time Measurement */
#define PCI_EXT_CAP_ID_DVSEC 0x23 /* Designated Vendor-Specific */
#define PCI_EXT_CAP_ID_DLF 0x25 /* Data Link Feature */
#define PCI_EXT_CAP_ID_PL_16GT 0x26 /* Physical Layer 16.0 GT/s */
#define PCI_EXT_CAP_ID_MAX PCI_EXT_CAP_ID_PL_16GT

#endif /* PCI_REGS_H */
