/*
 * pci_parse.c - decode a PCI function's config space from a byte buffer.
 *
 * Three passes over the caller's bytes: the predefined header (IDs, class,
 * BARs, bridge bus numbers), the standard capability list from
 * PCI_CAPABILITY_LIST, and the PCIe extended list from 0x100 when 4096 bytes
 * were given. Every read goes through cfg_read*(), which checks the offset
 * against the caller's length; every walk marks the dwords it visits in a
 * bitmap, so a list can neither loop nor visit more than the 48 standard or
 * 960 extended dword slots that exist.
 *
 * Errors follow Linux and pciutils where they bail out (a pointer below
 * 0x40, a loop) and the specs where a structure is unusable (virtio
 * "MUST ignore" cases, MSI-X BIR above 5). Misaligned pointers are reported
 * and then masked, as the PCI spec tells software to do, so the walk goes on.
 * Compiles freestanding and calls nothing outside this file (not even
 * memset; checked with nm at -O0..-O3), so the guest links it as is.
 */
#include "pci_parse.h"

#include "pci_regs.h"
#include "virtio_pci.h"

/* The caller's buffer; c->len is already clamped to 4096. */
struct cfg {
	const uint8_t *b;
	size_t len;
};

static uint8_t cfg_read8(const struct cfg *c, size_t off)
{
	return off < c->len ? c->b[off] : 0;
}

static uint16_t cfg_read16(const struct cfg *c, size_t off)
{
	return (uint16_t)(cfg_read8(c, off) | cfg_read8(c, off + 1) << 8);
}

static uint32_t cfg_read32(const struct cfg *c, size_t off)
{
	return (uint32_t)cfg_read16(c, off) | (uint32_t)cfg_read16(c, off + 2) << 16;
}

static void error_add(struct pci_parse_info *info, unsigned offset, enum pci_parse_error code,
		      uint32_t value)
{
	if (info->nerrors == PCI_PARSE_MAX_ERRORS) {
		info->errors_dropped++;
		return;
	}
	info->errors[info->nerrors++] =
		(struct pci_parse_err){ .offset = (uint16_t)offset, .code = code, .value = value };
}

/* Mark the error against the capability too, so helpers can skip it. */
static void cap_error(struct pci_parse_info *info, struct pci_parse_cap *cap,
		      enum pci_parse_error code, uint32_t value)
{
	cap->malformed = true;
	error_add(info, cap->offset, code, value);
}

enum pci_parse_bar_type pci_parse_bar_decode(uint32_t raw)
{
	if (raw & PCI_BASE_ADDRESS_SPACE_IO)
		return PCI_PARSE_BAR_IO;
	switch (raw & PCI_BASE_ADDRESS_MEM_TYPE_MASK) {
	case PCI_BASE_ADDRESS_MEM_TYPE_64:
		return PCI_PARSE_BAR_MEM64;
	case PCI_BASE_ADDRESS_MEM_TYPE_1M:
		return PCI_PARSE_BAR_MEM1M;
	case PCI_BASE_ADDRESS_MEM_TYPE_32:
		return PCI_PARSE_BAR_MEM32;
	default:
		return PCI_PARSE_BAR_MEM_RESERVED;
	}
}

/* BARs 0..n-1. A 64-bit BAR takes the next slot as its high half. */
static void bars_decode(const struct cfg *c, struct pci_parse_info *info, unsigned n)
{
	struct pci_parse_bar *low = NULL;

	info->nbars = n;
	for (unsigned i = 0; i < n; i++) {
		unsigned reg = PCI_BASE_ADDRESS_0 + 4 * i;
		struct pci_parse_bar *bar = &info->bars[i];

		bar->raw = cfg_read32(c, reg);
		if (low) {
			bar->type = PCI_PARSE_BAR_MEM64_HI;
			low->address |= (uint64_t)bar->raw << 32;
			low = NULL;
			continue;
		}
		bar->type = (uint8_t)pci_parse_bar_decode(bar->raw);
		if (bar->type == PCI_PARSE_BAR_IO) {
			bar->address = bar->raw & PCI_BASE_ADDRESS_IO_MASK;
			continue;
		}
		bar->address = bar->raw & PCI_BASE_ADDRESS_MEM_MASK;
		bar->prefetchable = bar->raw & PCI_BASE_ADDRESS_MEM_PREFETCH;
		if (bar->type != PCI_PARSE_BAR_MEM64)
			continue;
		if (i + 1 == n)
			error_add(info, reg, PCI_PARSE_ERR_BAR64_LAST, i);
		else
			low = bar;
	}
}

/*
 * Is [cap, cap + size) inside the standard capability area and inside the
 * bytes we were given? The first is the device's fault, the second only
 * means the capture was short (e.g. `lspci -x` shows 64 bytes).
 */
static bool cap_fits(const struct cfg *c, struct pci_parse_info *info,
		     struct pci_parse_cap *cap, unsigned size)
{
	if (cap->offset + size > PCI_CFG_SPACE_SIZE) {
		cap_error(info, cap, PCI_PARSE_ERR_CAP_OVERRUN, size);
		return false;
	}
	if (cap->offset + size > c->len) {
		error_add(info, cap->offset, PCI_PARSE_ERR_CAP_NOT_CAPTURED, cap->offset + size);
		return false;
	}
	return true;
}

static bool device_is_virtio(const struct pci_parse_info *info)
{
	return info->vendor_id == VIRTIO_PCI_VENDOR_ID &&
	       info->device_id >= VIRTIO_PCI_DEVICE_ID_MIN &&
	       info->device_id <= VIRTIO_PCI_DEVICE_ID_MAX;
}

/* Does [offset, offset + length) reach past max + 1? (Ending exactly there is
 * fine: the last byte is at max.) */
static bool range_wraps(uint64_t offset, uint64_t length, uint64_t max)
{
	return length && offset > max - (length - 1);
}

/* virtio 1.x §4.1.4: struct virtio_pci_cap and its per-type extra data. */
static void virtio_decode(const struct cfg *c, struct pci_parse_info *info,
			  struct pci_parse_cap *cap)
{
	struct pci_parse_virtio *v = &cap->u.virtio;
	unsigned at = cap->offset;

	if (cap->len < sizeof(struct virtio_pci_cap)) {
		cap_error(info, cap, PCI_PARSE_ERR_VIRTIO_CAP_LEN, cap->len);
		return;
	}
	if (!cap_fits(c, info, cap, cap->len))
		return;
	cap->kind = PCI_PARSE_CAP_VIRTIO;
	v->cfg_type = cfg_read8(c, at + offsetof(struct virtio_pci_cap, cfg_type));
	v->bar = cfg_read8(c, at + offsetof(struct virtio_pci_cap, bar));
	v->id = cfg_read8(c, at + offsetof(struct virtio_pci_cap, id));
	v->offset = cfg_read32(c, at + offsetof(struct virtio_pci_cap, offset));
	v->length = cfg_read32(c, at + offsetof(struct virtio_pci_cap, length));

	if (v->cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
		if (cap->len < sizeof(struct virtio_pci_notify_cap))
			cap_error(info, cap, PCI_PARSE_ERR_VIRTIO_NOTIFY_LEN, cap->len);
		else
			v->notify_off_multiplier = cfg_read32(
				c, at + offsetof(struct virtio_pci_notify_cap, notify_off_multiplier));
	}
	/* bar/offset/length of the PCI-cfg window are written by the driver. */
	if (v->cfg_type == VIRTIO_PCI_CAP_PCI_CFG)
		return;
	if (v->bar >= PCI_STD_NUM_BARS)
		cap_error(info, cap, PCI_PARSE_ERR_VIRTIO_BAR, v->bar);

	if (v->cfg_type != VIRTIO_PCI_CAP_SHARED_MEMORY_CFG) {
		if (range_wraps(v->offset, v->length, UINT32_MAX))
			cap_error(info, cap, PCI_PARSE_ERR_VIRTIO_OVERFLOW, (uint32_t)v->offset);
		return;
	}
	if (cap->len < sizeof(struct virtio_pci_cap64)) {
		cap_error(info, cap, PCI_PARSE_ERR_VIRTIO_CAP64_LEN, cap->len);
		return;
	}
	v->offset |= (uint64_t)cfg_read32(c, at + offsetof(struct virtio_pci_cap64, offset_hi)) << 32;
	v->length |= (uint64_t)cfg_read32(c, at + offsetof(struct virtio_pci_cap64, length_hi)) << 32;
	if (range_wraps(v->offset, v->length, UINT64_MAX))
		cap_error(info, cap, PCI_PARSE_ERR_VIRTIO_OVERFLOW, (uint32_t)v->offset);
}

/* PCI 3.0 §6.8.2: control word, then table and PBA as BIR | offset. */
static void msix_decode(const struct cfg *c, struct pci_parse_info *info,
			struct pci_parse_cap *cap)
{
	struct pci_parse_msix *m = &cap->u.msix;
	uint32_t table, pba;

	if (!cap_fits(c, info, cap, PCI_CAP_MSIX_SIZEOF))
		return;
	table = cfg_read32(c, cap->offset + PCI_MSIX_TABLE);
	pba = cfg_read32(c, cap->offset + PCI_MSIX_PBA);
	cap->kind = PCI_PARSE_CAP_MSIX;
	m->table_size = (uint16_t)((cap->flags & PCI_MSIX_FLAGS_QSIZE) + 1);
	m->enabled = cap->flags & PCI_MSIX_FLAGS_ENABLE;
	m->masked = cap->flags & PCI_MSIX_FLAGS_MASKALL;
	m->table_bar = table & PCI_MSIX_TABLE_BIR;
	m->table_offset = table & PCI_MSIX_TABLE_OFFSET;
	m->pba_bar = pba & PCI_MSIX_PBA_BIR;
	m->pba_offset = pba & PCI_MSIX_PBA_OFFSET;
	if (m->table_bar >= PCI_STD_NUM_BARS)
		cap_error(info, cap, PCI_PARSE_ERR_MSIX_BIR, m->table_bar);
	if (m->pba_bar >= PCI_STD_NUM_BARS)
		cap_error(info, cap, PCI_PARSE_ERR_MSIX_BIR, m->pba_bar);
}

/* PCI 3.0 §6.8.1: the layout's size depends on the 64-bit and mask bits. */
static void msi_decode(const struct cfg *c, struct pci_parse_info *info,
		       struct pci_parse_cap *cap)
{
	struct pci_parse_msi *m = &cap->u.msi;
	bool wide = cap->flags & PCI_MSI_FLAGS_64BIT;
	bool mask = cap->flags & PCI_MSI_FLAGS_MASKBIT;

	if (!cap_fits(c, info, cap,
		      mask ? (wide ? PCI_MSI_SIZEOF_64_MASK : PCI_MSI_SIZEOF_32_MASK)
			   : (wide ? PCI_MSI_SIZEOF_64 : PCI_MSI_SIZEOF_32)))
		return;
	cap->kind = PCI_PARSE_CAP_MSI;
	m->enabled = cap->flags & PCI_MSI_FLAGS_ENABLE;
	m->is_64bit = wide;
	m->per_vector_mask = mask;
	m->multi_capable = (cap->flags & PCI_MSI_FLAGS_QMASK) >> 1;
	m->multi_enabled = (cap->flags & PCI_MSI_FLAGS_QSIZE) >> 4;
}

/* Decode what we know of one standard capability. The walk has checked
 * that its first dword (ID, next, flags) is within the buffer. */
static void cap_decode(const struct cfg *c, struct pci_parse_info *info,
		       struct pci_parse_cap *cap)
{
	switch (cap->id) {
	case PCI_CAP_ID_VNDR:
		cap->len = cfg_read8(c, cap->offset + PCI_CAP_VNDR_LEN);
		if (device_is_virtio(info))
			virtio_decode(c, info, cap);
		else if (cap->len > PCI_CAP_VNDR_LEN)
			cap_fits(c, info, cap, cap->len);
		return;
	case PCI_CAP_ID_MSIX:
		msix_decode(c, info, cap);
		return;
	case PCI_CAP_ID_MSI:
		msi_decode(c, info, cap);
		return;
	case PCI_CAP_ID_SSVID:
		if (info->layout == PCI_HEADER_TYPE_BRIDGE && !info->has_subsystem &&
		    cap_fits(c, info, cap, PCI_SSVID_SIZEOF)) {
			info->has_subsystem = true;
			info->subsystem_vendor_id = cfg_read16(c, cap->offset + PCI_SSVID_VENDOR_ID);
			info->subsystem_id = cfg_read16(c, cap->offset + PCI_SSVID_DEVICE_ID);
		}
		return;
	case PCI_CAP_ID_PM:
		if (!cap_fits(c, info, cap, PCI_PM_SIZEOF))
			return;
		cap->kind = PCI_PARSE_CAP_PM;
		cap->u.pm.version = cap->flags & PCI_PM_CAP_VER_MASK;
		return;
	case PCI_CAP_ID_EXP:
		cap->u.exp.version = cap->flags & PCI_EXP_FLAGS_VERS;
		cap->u.exp.type = (cap->flags & PCI_EXP_FLAGS_TYPE) >> 4;
		if (cap_fits(c, info, cap, cap->u.exp.version >= 2 ? PCI_CAP_EXP_SIZEOF
								   : PCI_CAP_EXP_ENDPOINT_SIZEOF_V1))
			cap->kind = PCI_PARSE_CAP_EXP;
		return;
	default:
		return;
	}
}

static struct pci_parse_cap *cap_add(struct pci_parse_info *info, unsigned offset)
{
	struct pci_parse_cap *cap;

	if (info->ncaps == PCI_PARSE_MAX_CAPS) {
		error_add(info, offset, PCI_PARSE_ERR_CAP_TOO_MANY, PCI_PARSE_MAX_CAPS);
		return NULL;
	}
	cap = &info->caps[info->ncaps++];
	*cap = (struct pci_parse_cap){ .offset = (uint16_t)offset };
	return cap;
}

/*
 * PCI 3.0 §6.7: follow next pointers from the header's pointer. A pointer
 * error is reported at the register or capability that holds the pointer.
 */
static void caps_walk(const struct cfg *c, struct pci_parse_info *info, unsigned head)
{
	uint64_t seen = 0; /* one bit per dword of the 256-byte space */
	unsigned holder = head;
	unsigned ptr = cfg_read8(c, head);

	info->cap_ptr = (uint8_t)ptr;
	while (ptr != 0) {
		struct pci_parse_cap *cap;

		if (ptr < PCI_CFG_HEADER_SIZE) {
			error_add(info, holder, PCI_PARSE_ERR_CAP_PTR_LOW, ptr);
			return;
		}
		if (ptr & 3) {
			error_add(info, holder, PCI_PARSE_ERR_CAP_PTR_UNALIGNED, ptr);
			ptr &= ~3u;
		}
		if (seen & (1ull << (ptr / 4))) {
			error_add(info, holder, PCI_PARSE_ERR_CAP_CYCLE, ptr);
			return;
		}
		seen |= 1ull << (ptr / 4);
		if (ptr + PCI_CAP_SIZEOF > c->len) {
			error_add(info, ptr, PCI_PARSE_ERR_CAP_NOT_CAPTURED, ptr + PCI_CAP_SIZEOF);
			return;
		}
		cap = cap_add(info, ptr);
		if (!cap)
			return;
		cap->id = cfg_read8(c, ptr + PCI_CAP_LIST_ID);
		cap->flags = cfg_read16(c, ptr + PCI_CAP_FLAGS);
		cap_decode(c, info, cap);
		holder = ptr;
		ptr = cfg_read8(c, ptr + PCI_CAP_LIST_NEXT);
	}
}

/*
 * PCIe Base §7.6: a chain of 32-bit headers from 0x100. Like Linux and
 * lspci, a header of 0 or all ones ends the list without complaint.
 */
static void ext_caps_walk(const struct cfg *c, struct pci_parse_info *info)
{
	uint32_t seen[PCI_CFG_SPACE_EXP_SIZE / 4 / 32] = { 0 };
	unsigned pos = PCI_EXT_CAP_START;

	for (;;) {
		uint32_t header = cfg_read32(c, pos);
		struct pci_parse_cap *cap;
		unsigned next;

		if (header == 0 || header == 0xffffffff)
			return;
		seen[pos / 4 / 32] |= 1u << (pos / 4 % 32);
		cap = cap_add(info, pos);
		if (!cap)
			return;
		cap->id = PCI_EXT_CAP_ID(header);
		cap->version = PCI_EXT_CAP_VER(header);
		cap->extended = true;

		next = PCI_EXT_CAP_NEXT(header);
		if (next == 0)
			return;
		if (next < PCI_EXT_CAP_START) {
			cap_error(info, cap, PCI_PARSE_ERR_EXT_PTR_LOW, next);
			return;
		}
		if (next & 3) {
			cap_error(info, cap, PCI_PARSE_ERR_EXT_PTR_UNALIGNED, next);
			next &= ~3u;
		}
		if (seen[next / 4 / 32] & (1u << (next / 4 % 32))) {
			cap_error(info, cap, PCI_PARSE_ERR_EXT_CYCLE, next);
			return;
		}
		pos = next;
	}
}

unsigned pci_parse_config(const void *cfg, size_t len, struct pci_parse_info *info)
{
	struct cfg c = { cfg, len };
	unsigned head = PCI_CAPABILITY_LIST;

	*info = (struct pci_parse_info){ 0 };
	if (!cfg)
		c.len = 0;
	if (c.len > PCI_CFG_SPACE_EXP_SIZE)
		c.len = PCI_CFG_SPACE_EXP_SIZE;
	info->len = c.len;
	if (c.len < PCI_CFG_HEADER_SIZE) {
		error_add(info, 0, PCI_PARSE_ERR_CONFIG_SHORT, (uint32_t)c.len);
		return info->nerrors;
	}
	if (len != PCI_CFG_HEADER_SIZE && len != PCI_CFG_SPACE_SIZE &&
	    len != PCI_CFG_SPACE_EXP_SIZE)
		error_add(info, 0, PCI_PARSE_ERR_CONFIG_LENGTH, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);

	/* The predefined header, common to all layouts. */
	info->header_valid = true;
	info->vendor_id = cfg_read16(&c, PCI_VENDOR_ID);
	info->device_id = cfg_read16(&c, PCI_DEVICE_ID);
	info->command = cfg_read16(&c, PCI_COMMAND);
	info->status = cfg_read16(&c, PCI_STATUS);
	info->revision = cfg_read8(&c, PCI_REVISION_ID);
	info->class_code = cfg_read32(&c, PCI_CLASS_REVISION) >> 8;
	info->header_type = cfg_read8(&c, PCI_HEADER_TYPE);
	info->layout = info->header_type & PCI_HEADER_TYPE_MASK;
	info->multifunction = info->header_type & PCI_HEADER_TYPE_MFD;
	info->interrupt_line = cfg_read8(&c, PCI_INTERRUPT_LINE);
	info->interrupt_pin = cfg_read8(&c, PCI_INTERRUPT_PIN);

	switch (info->layout) {
	case PCI_HEADER_TYPE_NORMAL:
		info->has_subsystem = true;
		info->subsystem_vendor_id = cfg_read16(&c, PCI_SUBSYSTEM_VENDOR_ID);
		info->subsystem_id = cfg_read16(&c, PCI_SUBSYSTEM_ID);
		info->rom = cfg_read32(&c, PCI_ROM_ADDRESS);
		bars_decode(&c, info, PCI_STD_NUM_BARS);
		break;
	case PCI_HEADER_TYPE_BRIDGE:
		info->primary_bus = cfg_read8(&c, PCI_PRIMARY_BUS);
		info->secondary_bus = cfg_read8(&c, PCI_SECONDARY_BUS);
		info->subordinate_bus = cfg_read8(&c, PCI_SUBORDINATE_BUS);
		info->rom = cfg_read32(&c, PCI_ROM_ADDRESS1);
		bars_decode(&c, info, PCI_BRIDGE_NUM_BARS);
		break;
	case PCI_HEADER_TYPE_CARDBUS:
		head = PCI_CB_CAPABILITY_LIST;
		break;
	default: /* unknown layout: no idea where its capability pointer is */
		error_add(info, PCI_HEADER_TYPE, PCI_PARSE_ERR_HEADER_TYPE, info->header_type);
		head = 0;
		break;
	}

	if (head && (info->status & PCI_STATUS_CAP_LIST))
		caps_walk(&c, info, head);
	if (c.len >= PCI_CFG_SPACE_EXP_SIZE)
		ext_caps_walk(&c, info);
	return info->nerrors + info->errors_dropped;
}

bool pci_parse_bar_address(const struct pci_parse_info *info, unsigned index, uint64_t *address)
{
	if (index >= info->nbars || info->bars[index].type == PCI_PARSE_BAR_MEM64_HI)
		return false;
	*address = info->bars[index].address;
	return true;
}

const struct pci_parse_cap *pci_parse_cap_find(const struct pci_parse_info *info, uint16_t id,
					       bool extended)
{
	for (unsigned i = 0; i < info->ncaps; i++)
		if (info->caps[i].id == id && info->caps[i].extended == extended)
			return &info->caps[i];
	return NULL;
}

const struct pci_parse_cap *pci_parse_virtio_find(const struct pci_parse_info *info,
						  uint8_t cfg_type)
{
	for (unsigned i = 0; i < info->ncaps; i++) {
		const struct pci_parse_cap *cap = &info->caps[i];

		if (cap->kind == PCI_PARSE_CAP_VIRTIO && !cap->malformed &&
		    cap->u.virtio.cfg_type == cfg_type)
			return cap;
	}
	return NULL;
}

/* --- names ---------------------------------------------------------------- */

static const struct {
	const char *name, *text;
} error_names[PCI_PARSE_ERR_COUNT] = {
	[PCI_PARSE_OK] = { "ok", "no error" },
	[PCI_PARSE_ERR_CONFIG_SHORT] = { "config-short",
		"fewer than 64 bytes of config space: no header to decode" },
	[PCI_PARSE_ERR_CONFIG_LENGTH] = { "config-length",
		"config space is not 64, 256 or 4096 bytes long" },
	[PCI_PARSE_ERR_HEADER_TYPE] = { "header-type", "unknown header layout (not 0, 1 or 2)" },
	[PCI_PARSE_ERR_BAR64_LAST] = { "bar64-last",
		"64-bit BAR in the last slot has no register for its high half" },
	[PCI_PARSE_ERR_CAP_PTR_LOW] = { "cap-ptr-low",
		"capability pointer points into the header (below 0x40)" },
	[PCI_PARSE_ERR_CAP_PTR_UNALIGNED] = { "cap-ptr-unaligned",
		"capability pointer is not dword aligned (masked and followed)" },
	[PCI_PARSE_ERR_CAP_CYCLE] = { "cap-cycle",
		"capability pointer leads back to a capability already listed" },
	[PCI_PARSE_ERR_CAP_OVERRUN] = { "cap-overrun",
		"capability runs past the end of the 256-byte config space" },
	[PCI_PARSE_ERR_CAP_NOT_CAPTURED] = { "cap-not-captured",
		"capability lies beyond the bytes captured (dump with lspci -xxx or -xxxx)" },
	[PCI_PARSE_ERR_CAP_TOO_MANY] = { "cap-too-many", "more capabilities than the decoder keeps" },
	[PCI_PARSE_ERR_VIRTIO_CAP_LEN] = { "virtio-cap-len",
		"virtio capability shorter than struct virtio_pci_cap (16 bytes)" },
	[PCI_PARSE_ERR_VIRTIO_NOTIFY_LEN] = { "virtio-notify-len",
		"virtio notify capability shorter than struct virtio_pci_notify_cap (20 bytes)" },
	[PCI_PARSE_ERR_VIRTIO_CAP64_LEN] = { "virtio-cap64-len",
		"virtio shared-memory capability shorter than struct virtio_pci_cap64 (24 bytes)" },
	[PCI_PARSE_ERR_VIRTIO_BAR] = { "virtio-bar", "virtio capability names a BAR above 5" },
	[PCI_PARSE_ERR_VIRTIO_OVERFLOW] = { "virtio-overflow",
		"virtio capability offset + length runs past 4 GiB (2^64 for cap64)" },
	[PCI_PARSE_ERR_MSIX_BIR] = { "msix-bir", "MSI-X table or PBA BIR names a BAR above 5" },
	[PCI_PARSE_ERR_EXT_PTR_LOW] = { "ext-cap-ptr-low",
		"extended capability pointer below 0x100" },
	[PCI_PARSE_ERR_EXT_PTR_UNALIGNED] = { "ext-cap-ptr-unaligned",
		"extended capability pointer is not dword aligned (masked and followed)" },
	[PCI_PARSE_ERR_EXT_CYCLE] = { "ext-cap-cycle",
		"extended capability pointer leads back to one already listed" },
};

const char *pci_parse_error_name(unsigned code)
{
	return code < PCI_PARSE_ERR_COUNT ? error_names[code].name : "unknown-error";
}

const char *pci_parse_error_text(unsigned code)
{
	return code < PCI_PARSE_ERR_COUNT ? error_names[code].text : "unknown error code";
}

static const char *const cap_names[PCI_CAP_ID_MAX + 1] = {
	[PCI_CAP_ID_PM] = "Power Management",
	[PCI_CAP_ID_AGP] = "AGP",
	[PCI_CAP_ID_VPD] = "Vital Product Data",
	[PCI_CAP_ID_SLOTID] = "Slot ID",
	[PCI_CAP_ID_MSI] = "MSI",
	[PCI_CAP_ID_CHSWP] = "CompactPCI Hot Swap",
	[PCI_CAP_ID_PCIX] = "PCI-X",
	[PCI_CAP_ID_HT] = "HyperTransport",
	[PCI_CAP_ID_VNDR] = "Vendor Specific",
	[PCI_CAP_ID_DBG] = "Debug Port",
	[PCI_CAP_ID_CCRC] = "CompactPCI Central Resource Control",
	[PCI_CAP_ID_SHPC] = "Hot-Plug Controller",
	[PCI_CAP_ID_SSVID] = "Bridge Subsystem ID",
	[PCI_CAP_ID_AGP3] = "AGP 8x",
	[PCI_CAP_ID_SECDEV] = "Secure Device",
	[PCI_CAP_ID_EXP] = "PCI Express",
	[PCI_CAP_ID_MSIX] = "MSI-X",
	[PCI_CAP_ID_SATA] = "SATA",
	[PCI_CAP_ID_AF] = "Advanced Features",
	[PCI_CAP_ID_EA] = "Enhanced Allocation",
};

static const char *const ext_cap_names[PCI_EXT_CAP_ID_MAX + 1] = {
	[PCI_EXT_CAP_ID_ERR] = "Advanced Error Reporting",
	[PCI_EXT_CAP_ID_VC] = "Virtual Channel",
	[PCI_EXT_CAP_ID_DSN] = "Device Serial Number",
	[PCI_EXT_CAP_ID_PWR] = "Power Budgeting",
	[PCI_EXT_CAP_ID_RCLD] = "Root Complex Link Declaration",
	[PCI_EXT_CAP_ID_RCILC] = "Root Complex Internal Link Control",
	[PCI_EXT_CAP_ID_RCEC] = "Root Complex Event Collector",
	[PCI_EXT_CAP_ID_MFVC] = "Multi-Function Virtual Channel",
	[PCI_EXT_CAP_ID_VC9] = "Virtual Channel",
	[PCI_EXT_CAP_ID_RCRB] = "Root Complex Register Block",
	[PCI_EXT_CAP_ID_VNDR] = "Vendor Specific",
	[PCI_EXT_CAP_ID_CAC] = "Config Access Correlation",
	[PCI_EXT_CAP_ID_ACS] = "Access Control Services",
	[PCI_EXT_CAP_ID_ARI] = "Alternative Routing-ID Interpretation",
	[PCI_EXT_CAP_ID_ATS] = "Address Translation Services",
	[PCI_EXT_CAP_ID_SRIOV] = "Single Root I/O Virtualization",
	[PCI_EXT_CAP_ID_MRIOV] = "Multi Root I/O Virtualization",
	[PCI_EXT_CAP_ID_MCAST] = "Multicast",
	[PCI_EXT_CAP_ID_PRI] = "Page Request Interface",
	[PCI_EXT_CAP_ID_REBAR] = "Resizable BAR",
	[PCI_EXT_CAP_ID_DPA] = "Dynamic Power Allocation",
	[PCI_EXT_CAP_ID_TPH] = "TLP Processing Hints",
	[PCI_EXT_CAP_ID_LTR] = "Latency Tolerance Reporting",
	[PCI_EXT_CAP_ID_SECPCI] = "Secondary PCI Express",
	[PCI_EXT_CAP_ID_PMUX] = "Protocol Multiplexing",
	[PCI_EXT_CAP_ID_PASID] = "Process Address Space ID",
	[PCI_EXT_CAP_ID_DPC] = "Downstream Port Containment",
	[PCI_EXT_CAP_ID_L1SS] = "L1 PM Substates",
	[PCI_EXT_CAP_ID_PTM] = "Precision Time Measurement",
	[PCI_EXT_CAP_ID_DVSEC] = "Designated Vendor-Specific",
	[PCI_EXT_CAP_ID_DLF] = "Data Link Feature",
	[PCI_EXT_CAP_ID_PL_16GT] = "Physical Layer 16.0 GT/s",
};

const char *pci_parse_cap_name(uint16_t id, bool extended)
{
	const char *name = NULL;

	if (!extended && id <= PCI_CAP_ID_MAX)
		name = cap_names[id];
	else if (extended && id <= PCI_EXT_CAP_ID_MAX)
		name = ext_cap_names[id];
	return name ? name : "unknown";
}

const char *pci_parse_virtio_cfg_name(uint8_t cfg_type)
{
	switch (cfg_type) {
	case VIRTIO_PCI_CAP_COMMON_CFG: return "common";
	case VIRTIO_PCI_CAP_NOTIFY_CFG: return "notify";
	case VIRTIO_PCI_CAP_ISR_CFG: return "isr";
	case VIRTIO_PCI_CAP_DEVICE_CFG: return "device";
	case VIRTIO_PCI_CAP_PCI_CFG: return "pci-cfg";
	case VIRTIO_PCI_CAP_SHARED_MEMORY_CFG: return "shared-memory";
	case VIRTIO_PCI_CAP_VENDOR_CFG: return "vendor";
	default: return "reserved";
	}
}

const char *pci_parse_bar_type_name(unsigned type)
{
	switch (type) {
	case PCI_PARSE_BAR_MEM32: return "mem32";
	case PCI_PARSE_BAR_MEM64: return "mem64";
	case PCI_PARSE_BAR_MEM64_HI: return "mem64-upper";
	case PCI_PARSE_BAR_MEM1M: return "mem1m";
	case PCI_PARSE_BAR_MEM_RESERVED: return "mem-reserved";
	case PCI_PARSE_BAR_IO: return "io";
	default: return "unknown";
	}
}
