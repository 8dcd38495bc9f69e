/*
 * pci_parse.h - a pure decoder of one PCI function's configuration space.
 *
 * The caller gets the bytes however it can - the guest reads dwords through
 * mechanism #1 or ECAM into a buffer, the VMM keeps a shadow copy, pciinfo
 * reads a sysfs file or an lspci dump - and hands them to pci_parse_config(),
 * which fills a fixed-size struct pci_parse_info: header fields, decoded
 * BARs, every standard and PCIe extended capability, with virtio, MSI-X,
 * MSI, PM and PCIe fields decoded. No allocation, no libc, no I/O, so the
 * guest runs the very code the host tests feed with cycles, bad pointers and
 * truncated buffers.
 *
 * Malformed input never stops the parse: each problem is recorded as a
 * specific error code with the config-space offset of the structure that
 * holds the bad field, and decoding goes on wherever it can do so safely.
 * struct pci_parse_info is a few KiB: in the guest keep it static.
 */
#ifndef PCI_PARSE_H
#define PCI_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_PARSE_MAX_CAPS 96 /* standard (at most 48 fit) + extended */
#define PCI_PARSE_MAX_ERRORS 32

/* What a BAR register holds (pci_parse_bar_decode). */
enum pci_parse_bar_type {
	PCI_PARSE_BAR_MEM32, /* 32-bit memory (also an unimplemented BAR: 0) */
	PCI_PARSE_BAR_MEM64, /* low half of a 64-bit memory BAR */
	PCI_PARSE_BAR_MEM64_HI, /* high half: the slot after a MEM64 */
	PCI_PARSE_BAR_MEM1M, /* legacy "below 1 MiB" memory type */
	PCI_PARSE_BAR_MEM_RESERVED, /* memory type 3, reserved by the spec */
	PCI_PARSE_BAR_IO, /* I/O space */
};

struct pci_parse_bar {
	uint32_t raw; /* the register as read */
	uint8_t type; /* enum pci_parse_bar_type */
	bool prefetchable;
	uint64_t address; /* with the high half for MEM64; 0 for MEM64_HI */
};

/* Which decoded fields of a capability are valid. */
enum pci_parse_cap_kind {
	PCI_PARSE_CAP_PLAIN, /* ID and position only */
	PCI_PARSE_CAP_VIRTIO, /* .u.virtio */
	PCI_PARSE_CAP_MSIX, /* .u.msix */
	PCI_PARSE_CAP_MSI, /* .u.msi */
	PCI_PARSE_CAP_PM, /* .u.pm */
	PCI_PARSE_CAP_EXP, /* .u.exp */
};

struct pci_parse_virtio {
	uint8_t cfg_type; /* VIRTIO_PCI_CAP_* */
	uint8_t bar; /* 0..5 unless a PCI_PARSE_ERR_VIRTIO_BAR was recorded */
	uint8_t id;
	uint64_t offset; /* 32-bit, or 64-bit for the cap64 (shared memory) */
	uint64_t length;
	uint32_t notify_off_multiplier; /* NOTIFY_CFG only */
};

struct pci_parse_msix {
	uint16_t table_size; /* entries: (flags & PCI_MSIX_FLAGS_QSIZE) + 1 */
	bool enabled, masked;
	uint8_t table_bar, pba_bar; /* BIR fields, 0..7 (above 5 is an error) */
	uint32_t table_offset, pba_offset; /* within that BAR, 8-byte aligned */
};

struct pci_parse_msi {
	bool enabled, is_64bit, per_vector_mask;
	uint8_t multi_capable; /* vectors wanted: 1 << multi_capable */
	uint8_t multi_enabled; /* vectors granted: 1 << multi_enabled */
};

struct pci_parse_cap {
	uint16_t offset; /* where the capability starts in config space */
	uint16_t id; /* PCI_CAP_ID_* or, if extended, PCI_EXT_CAP_ID_* */
	bool extended; /* a PCIe extended capability (offset >= 0x100) */
	uint8_t version; /* extended: the 4-bit version field */
	uint8_t len; /* vendor-specific: the cap_len byte; otherwise 0 */
	uint8_t kind; /* enum pci_parse_cap_kind */
	uint16_t flags; /* the 16-bit word at +2 (standard caps) */
	bool malformed; /* an error was recorded against its fields */
	union {
		struct pci_parse_virtio virtio;
		struct pci_parse_msix msix;
		struct pci_parse_msi msi;
		struct { uint8_t version; } pm;
		struct { uint8_t version, type; } exp; /* PCI_EXP_TYPE_* */
	} u;
};

enum pci_parse_error {
	PCI_PARSE_OK = 0,
	PCI_PARSE_ERR_CONFIG_SHORT, /* fewer than 64 bytes: no header */
	PCI_PARSE_ERR_CONFIG_LENGTH, /* not 64, 256 or 4096 bytes */
	PCI_PARSE_ERR_HEADER_TYPE, /* header layout not 0, 1 or 2 */
	PCI_PARSE_ERR_BAR64_LAST, /* 64-bit BAR in the last slot: no high half */
	PCI_PARSE_ERR_CAP_PTR_LOW, /* pointer into the header (< 0x40) */
	PCI_PARSE_ERR_CAP_PTR_UNALIGNED, /* pointer not dword aligned */
	PCI_PARSE_ERR_CAP_CYCLE, /* pointer back to a capability already seen */
	PCI_PARSE_ERR_CAP_OVERRUN, /* capability runs past offset 0xff */
	PCI_PARSE_ERR_CAP_NOT_CAPTURED, /* list goes beyond the bytes given */
	PCI_PARSE_ERR_CAP_TOO_MANY, /* more than PCI_PARSE_MAX_CAPS */
	PCI_PARSE_ERR_VIRTIO_CAP_LEN, /* virtio cap_len < 16 */
	PCI_PARSE_ERR_VIRTIO_NOTIFY_LEN, /* notify cap_len < 20 */
	PCI_PARSE_ERR_VIRTIO_CAP64_LEN, /* shared-memory cap_len < 24 */
	PCI_PARSE_ERR_VIRTIO_BAR, /* bar above 5 */
	PCI_PARSE_ERR_VIRTIO_OVERFLOW, /* offset + length past 2^32 (cap64: 2^64) */
	PCI_PARSE_ERR_MSIX_BIR, /* table or PBA BIR above 5 */
	PCI_PARSE_ERR_EXT_PTR_LOW, /* extended pointer below 0x100 */
	PCI_PARSE_ERR_EXT_PTR_UNALIGNED, /* extended pointer not dword aligned */
	PCI_PARSE_ERR_EXT_CYCLE, /* extended pointer to one already seen */
	PCI_PARSE_ERR_COUNT
};

struct pci_parse_err {
	uint16_t offset; /* the register or capability holding the bad field */
	uint16_t code; /* enum pci_parse_error */
	uint32_t value; /* the offending value (pointer, BAR number, length) */
};

struct pci_parse_info {
	size_t len; /* bytes decoded: the caller's length, at most 4096 */
	bool header_valid; /* false only when len < 64 */

	uint16_t vendor_id, device_id, command, status;
	uint8_t revision;
	uint32_t class_code; /* base << 16 | sub-class << 8 | prog-if */
	uint8_t header_type; /* the raw byte, PCI_HEADER_TYPE_MFD included */
	uint8_t layout; /* header_type & PCI_HEADER_TYPE_MASK */
	bool multifunction;
	uint8_t interrupt_line, interrupt_pin;
	uint32_t rom; /* expansion ROM BAR (types 0 and 1) */
	bool has_subsystem; /* type 0, or type 1 with a bridge SSVID capability */
	uint16_t subsystem_vendor_id, subsystem_id;
	uint8_t primary_bus, secondary_bus, subordinate_bus; /* type 1 */

	unsigned nbars; /* 6 (type 0), 2 (type 1), 0 (CardBus, unknown) */
	struct pci_parse_bar bars[6];

	uint8_t cap_ptr; /* first standard capability, 0 if none */
	unsigned ncaps; /* standard ones first, then extended, in list order */
	struct pci_parse_cap caps[PCI_PARSE_MAX_CAPS];

	unsigned nerrors; /* recorded in errors[] */
	unsigned errors_dropped; /* found after errors[] was full */
	struct pci_parse_err errors[PCI_PARSE_MAX_ERRORS];
};

/*
 * Decode len bytes of config space at cfg (64, 256 or 4096; others are
 * handled, and flagged). Extended capabilities are walked only when len >=
 * 4096. Never reads outside [cfg, cfg + len). Returns the number of errors
 * found (nerrors + errors_dropped): 0 means clean.
 */
unsigned pci_parse_config(const void *cfg, size_t len, struct pci_parse_info *info);

/* Type of a BAR register value on its own (a MEM64 high half cannot be
 * recognised without the slot before it; pci_parse_config does that). */
enum pci_parse_bar_type pci_parse_bar_decode(uint32_t raw);

/* Address of BAR index (0..nbars-1) with the high half of a 64-bit BAR;
 * false if there is no such BAR, or it is the high half of another. */
bool pci_parse_bar_address(const struct pci_parse_info *info, unsigned index,
			   uint64_t *address);

/* First capability with this ID (standard or extended), or NULL. */
const struct pci_parse_cap *pci_parse_cap_find(const struct pci_parse_info *info,
					       uint16_t id, bool extended);

/* First usable virtio capability of cfg_type (VIRTIO_PCI_CAP_*): one whose
 * fields passed every check, as the spec tells drivers to skip the rest.
 * NULL if the device has none (or is not a virtio device). */
const struct pci_parse_cap *pci_parse_virtio_find(const struct pci_parse_info *info,
						  uint8_t cfg_type);

/* Short, stable names: "cap-cycle", "MSI-X", "notify", ... Never NULL. */
const char *pci_parse_error_name(unsigned code);
const char *pci_parse_error_text(unsigned code);
const char *pci_parse_cap_name(uint16_t id, bool extended);
const char *pci_parse_virtio_cfg_name(uint8_t cfg_type);
const char *pci_parse_bar_type_name(unsigned type);

#endif /* PCI_PARSE_H */
