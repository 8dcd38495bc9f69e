/*
 * pcibus.c - the topology (bus 0, its host bridge, PCI-to-PCI bridges and
 * the buses behind them, where each function sits), both config
 * mechanisms, and the function model (pcibus.h).
 *
 * Config accesses arrive three ways and meet in pcibus_cfg_read/write():
 * mechanism #1 (a dword address latched at 0xcf8, then 1, 2 or 4 bytes at
 * 0xcfc + (offset & 3)), ECAM (one MMIO access at 1 MiB per bus, 4 KiB per
 * function), and the unit tests. Absent functions read as all-ones and
 * ignore writes, as on real hardware, and so does anything unaligned or
 * crossing a dword (the spec leaves it undefined; we make it harmless).
 *
 * Routing follows the bridges' registers (PCI-to-PCI Bridge Architecture
 * 1.2 §3.1.2.1): bus 0 is the root's; an access to bus N goes to the
 * bridge on the current bus whose secondary..subordinate holds N, to its
 * secondary bus if N is the secondary, else on down. A bridge forwards
 * memory and I/O downstream only inside its windows and with COMMAND's
 * memory or I/O bit on (§4.1-4.3), so a BAR behind bridges decodes only
 * where every bridge above it forwards its whole range; after a write to
 * a bridge, every BAR is recomputed, so moving or closing a window moves
 * or undecodes what it maps.
 *
 * BAR decoding follows the registers, not the order of writes: after every
 * config write each BAR's address is recomputed from its register(s) and
 * COMMAND's I/O and memory bits, and if it changed, the old I/O or MMIO
 * range is dropped and the new one registered. A guest may park a BAR
 * anywhere; one that would overlap another range (the address-space
 * registry's check, aspace.h) is left undecoded and reported with what it
 * overlaps, never mapped over a device, and tried
 * again whenever a BAR moves or stops decoding anywhere on the bus, so it
 * decodes as soon as its registers can be honoured.
 */
#include "pcibus.h"

#include <stdio.h>
#include <string.h>

#include "aspace.h"
#include "errmsg.h"
#include "layout.h"
#include "pci_access.h"
#include "pci_regs.h"
#include "trace.h"
#include "vmm.h"

/* Every function by the VMM's bus number and devfn, and who holds (or
 * reserved) each place, for placement and its messages. */
static struct pci_fn *fns[PCIBUS_MAX_BUSES][PCI_BUS_FNS];
static const char *owners[PCIBUS_MAX_BUSES][PCI_BUS_FNS] = { [0][0] = "the host bridge" };
static struct pci_fn host_bridge;
/* bridges[n - 1] is in front of bus n; where it sits once reserved. */
static struct pci_fn bridges[PCIBUS_MAX_BRIDGES];
static int bridge_at[PCIBUS_MAX_BRIDGES] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static unsigned nbridges;
_Static_assert(PCIBUS_MAX_BRIDGES == 8, "bridge_at's initializer");
_Static_assert(PCIBUS_MAX_BUSES <= LAYOUT_ECAM_BUSES, "every bus the VMM numbers is in the ECAM window");
static uint32_t cf8_address; /* mechanism #1's address register */

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

void pci_fn_init(struct pci_fn *d, const char *name, uint16_t vendor, uint16_t device, uint32_t class_code,
		  uint8_t revision)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	put16(d->cfg + PCI_VENDOR_ID, vendor);
	put16(d->cfg + PCI_DEVICE_ID, device);
	put32(d->cfg + PCI_CLASS_REVISION, class_code << 8 | revision);
	put16(d->cfg + PCI_SUBSYSTEM_VENDOR_ID, vendor);
	put16(d->cfg + PCI_SUBSYSTEM_ID, device);
	/* COMMAND: I/O, memory, bus master, INTx disable are the guest's. */
	put16(d->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
					      PCI_COMMAND_INTX_DISABLE);
	/* STATUS error bits are write-1-to-clear. */
	put16(d->w1cmask + PCI_STATUS, PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
					       PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
					       PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->cap_end = 0x40;
}

void pci_fn_bar(struct pci_fn *d, unsigned n, enum pci_parse_bar_type type, bool prefetchable, uint64_t size,
		 io_handler_fn *fn, void *opaque)
{
	struct pci_bar *b = &d->bars[n];
	uint8_t *reg = d->cfg + PCI_BASE_ADDRESS_0 + 4 * n;
	uint8_t *mask = d->wmask + PCI_BASE_ADDRESS_0 + 4 * n;

	*b = (struct pci_bar){ .type = (uint8_t)type, .prefetchable = prefetchable, .size = size, .fn = fn,
			       .opaque = opaque };
	if (type == PCI_PARSE_BAR_IO) {
		put32(reg, PCI_BASE_ADDRESS_SPACE_IO);
		put32(mask, (uint32_t)~(size - 1) & PCI_BASE_ADDRESS_IO_MASK & 0xffff);
		return;
	}
	uint32_t bits = (type == PCI_PARSE_BAR_MEM64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
			(prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
	put32(reg, bits);
	put32(mask, (uint32_t)~(size - 1) & PCI_BASE_ADDRESS_MEM_MASK);
	if (type == PCI_PARSE_BAR_MEM64)
		put32(mask + 4, (uint32_t)(~(size - 1) >> 32));
}

uint16_t pci_fn_cap(struct pci_fn *d, uint8_t id, const void *body, unsigned len)
{
	uint16_t off = d->cap_end;

	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	memcpy(d->cfg + off + 2, body, len - 2);
	if (d->cap_last)
		d->cfg[d->cap_last + 1] = (uint8_t)off;
	else
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	put16(d->cfg + PCI_STATUS, get16(d->cfg + PCI_STATUS) | PCI_STATUS_CAP_LIST);
	d->cap_last = off;
	d->cap_end = (uint16_t)((off + len + 3) & ~3u);
	return off;
}

/* Where BAR n decodes now, per its registers and COMMAND; 0 if nowhere. */
static uint64_t pci_bar_decode(const struct pci_fn *d, unsigned n)
{
	const struct pci_bar *b = &d->bars[n];
	uint16_t cmd = get16(d->cfg + PCI_COMMAND);
	uint32_t lo = get32(d->cfg + PCI_BASE_ADDRESS_0 + 4 * n);

	if (b->type == PCI_PARSE_BAR_IO)
		return (cmd & PCI_COMMAND_IO) ? lo & PCI_BASE_ADDRESS_IO_MASK : 0;
	if (!(cmd & PCI_COMMAND_MEMORY))
		return 0;
	uint64_t a = lo & PCI_BASE_ADDRESS_MEM_MASK;
	if (b->type == PCI_PARSE_BAR_MEM64)
		a |= (uint64_t)get32(d->cfg + PCI_BASE_ADDRESS_0 + 4 * n + 4) << 32;
	return a;
}

/* Does bridge b forward [a, a + size) of memory (or I/O) to its secondary
 * bus? Inside the I/O window, or the memory or prefetchable one, with the
 * COMMAND bit on (PCI-to-PCI Bridge 1.2 §3.2.5.6-9: base and limit hold
 * the top address bits, the limit's low bits are all ones; base above
 * limit: closed). I/O decodes 16 bits, prefetchable memory 64. */
static bool pci_bridge_forwards(const struct pci_fn *b, bool io, uint64_t a, uint64_t size)
{
	uint16_t cmd = get16(b->cfg + PCI_COMMAND);
	uint64_t last = a + size - 1, lo, hi;

	if (io) {
		lo = (uint64_t)(b->cfg[PCI_IO_BASE] & PCI_IO_RANGE_MASK) << 8;
		hi = (uint64_t)(b->cfg[PCI_IO_LIMIT] & PCI_IO_RANGE_MASK) << 8 | (PCI_BRIDGE_IO_GRANULE - 1);
		return (cmd & PCI_COMMAND_IO) && lo <= a && last <= hi;
	}
	if (!(cmd & PCI_COMMAND_MEMORY))
		return false;
	lo = (uint64_t)(get16(b->cfg + PCI_MEMORY_BASE) & PCI_MEMORY_RANGE_MASK) << 16;
	hi = (uint64_t)(get16(b->cfg + PCI_MEMORY_LIMIT) & PCI_MEMORY_RANGE_MASK) << 16 | (PCI_BRIDGE_MEM_GRANULE - 1);
	if (lo <= a && last <= hi)
		return true;
	lo = (uint64_t)(get16(b->cfg + PCI_PREF_MEMORY_BASE) & PCI_PREF_RANGE_MASK) << 16 |
	     (uint64_t)get32(b->cfg + PCI_PREF_BASE_UPPER32) << 32;
	hi = (uint64_t)(get16(b->cfg + PCI_PREF_MEMORY_LIMIT) & PCI_PREF_RANGE_MASK) << 16 |
	     (uint64_t)get32(b->cfg + PCI_PREF_LIMIT_UPPER32) << 32 | (PCI_BRIDGE_MEM_GRANULE - 1);
	return lo <= a && last <= hi;
}

/* Where BAR n should decode now: its registers, unless half-programmed
 * (all-ones while sizing), wrapping, or not forwarded by every bridge
 * above it; 0 if nowhere. */
static uint64_t pci_bar_target(const struct pci_fn *d, unsigned n)
{
	const struct pci_bar *b = &d->bars[n];
	uint64_t a = pci_bar_decode(d, n);
	bool io = b->type == PCI_PARSE_BAR_IO;

	if (a && (a + b->size < a || a + b->size - 1 > (io ? 0xffffu : UINT64_MAX - 1)))
		a = 0;
	for (unsigned bus = d->bus, hops = 0; a && bus && hops < PCIBUS_MAX_BUSES; bus = bridges[bus - 1].bus, hops++)
		if (bridge_at[bus - 1] < 0 || !pci_bridge_forwards(&bridges[bus - 1], io, a, b->size))
			a = 0;
	return a;
}

bool pci_bar_fits(struct pci_fn *d, unsigned n, uint64_t addr)
{
	struct pci_bar *b = &d->bars[n];
	char why[256];

	if (!aspace_check(b->type == PCI_PARSE_BAR_IO ? ASPACE_PIO : ASPACE_MMIO, addr, b->size, b->name, why,
			  sizeof(why)))
		return true;
	if (!b->retrying)
		guest_error("%s: left undecoded until it moves", why);
	b->refused = addr;
	return false;
}

void pci_bar_refuse(struct pci_fn *d, unsigned n, uint64_t addr, const char *why)
{
	struct pci_bar *b = &d->bars[n];

	if (!b->retrying)
		guest_error("%s at 0x%llx: %s: left undecoded", b->name, (unsigned long long)addr, why);
	b->refused = addr;
}

/* Moves BAR n to decode at a (0: nowhere). A range that overlaps another
 * is refused and reported by pci_bar_fits() (not again on a retry), and
 * left for pcibus_retry_refused(). */
static void pci_bar_place(struct pci_fn *d, unsigned n, uint64_t a, bool retrying)
{
	struct pci_bar *b = &d->bars[n];
	enum io_space space = b->type == PCI_PARSE_BAR_IO ? IO_PIO : IO_MMIO;

	if (b->mapped && b->fn)
		io_unregister(space, b->mapped);
	b->mapped = 0;
	b->refused = 0;
	b->retrying = retrying;
	/* Without fn the device places what the BAR maps itself (moved). */
	char why[160] = "";
	if (a && b->fn &&
	    (!pci_bar_fits(d, n, a) || io_register(space, a, b->size, b->name, b->fn, b->opaque, why, sizeof(why)))) {
		if (!b->refused) /* pci_bar_fits() said nothing: the table is full */
			pci_bar_refuse(d, n, a, why);
		a = 0;
	}
	b->mapped = a;
	if (b->moved) {
		b->moved(d, n, a);
		if (b->refused)
			b->mapped = 0;
	}
	b->retrying = false;
}

/* The address map changed: every BAR whose registers say it decodes but
 * that was refused is tried again (placing one frees nothing, so one pass
 * does). */
static void pcibus_retry_refused(void)
{
	for (unsigned i = 0; i < PCIBUS_MAX_BUSES * PCI_BUS_FNS; i++) {
		struct pci_fn *d = fns[i / PCI_BUS_FNS][i % PCI_BUS_FNS];
		for (unsigned n = 0; d && n < 6; n++) {
			struct pci_bar *b = &d->bars[n];
			if (b->size && b->refused && pci_bar_target(d, n) == b->refused)
				pci_bar_place(d, n, b->refused, true);
		}
	}
}

static void pci_bars_update(struct pci_fn *d)
{
	bool changed = false;

	for (unsigned n = 0; n < 6; n++) {
		struct pci_bar *b = &d->bars[n];
		if (!b->size)
			continue;
		uint64_t a = pci_bar_target(d, n);
		if (a == b->mapped) {
			if (!a) /* not wanted anywhere now, refused or not */
				b->refused = 0;
			continue;
		}
		changed |= b->mapped != 0; /* something stops decoding: room */
		pci_bar_place(d, n, a, a == b->refused);
	}
	if (changed)
		pcibus_retry_refused();
}

/* A bridge's window or COMMAND changed: what decodes behind it may too. */
static void pcibus_update_all(void)
{
	for (unsigned i = 0; i < PCIBUS_MAX_BUSES * PCI_BUS_FNS; i++)
		if (fns[i / PCI_BUS_FNS][i % PCI_BUS_FNS])
			pci_bars_update(fns[i / PCI_BUS_FNS][i % PCI_BUS_FNS]);
}

/* --- access ----------------------------------------------------------------- */

/* The function at (bus, devfn) as the guest addresses it, looked for on
 * the VMM's bus `seg`, which the guest's numbers have led to. */
static struct pci_fn *pci_route(unsigned seg, unsigned bus, unsigned devfn, unsigned depth)
{
	if (bus == (seg ? bridges[seg - 1].cfg[PCI_SECONDARY_BUS] : 0u))
		return fns[seg][devfn];
	for (unsigned n = 1; n <= nbridges && depth < PCIBUS_MAX_BUSES; n++) {
		const struct pci_fn *b = &bridges[n - 1];
		unsigned sec = b->cfg[PCI_SECONDARY_BUS], sub = b->cfg[PCI_SUBORDINATE_BUS];
		if (bridge_at[n - 1] >= 0 && fns[b->bus][PCI_BDF(0, b->slot, b->func)] == b && b->bus == seg &&
		    sec && sec <= bus && bus <= sub)
			return pci_route(n, bus, devfn, depth + 1);
	}
	return NULL;
}

static struct pci_fn *pci_find(unsigned bus, unsigned slot, unsigned fn)
{
	return bus < 256 && slot < PCI_BUS_SLOTS && fn < PCI_SLOT_FNS ? pci_route(0, bus, PCI_BDF(0, slot, fn), 0)
								      : NULL;
}

static bool pci_access_ok(unsigned off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && off % size == 0 && off + size <= 4096;
}

uint32_t pcibus_cfg_read(unsigned bus, unsigned slot, unsigned fn, unsigned off, unsigned size)
{
	struct pci_fn *d = pci_find(bus, slot, fn);
	uint32_t v = 0;

	if (!d || !pci_access_ok(off, size))
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	d->cfg_reads++;
	if (d->cfg_reading)
		d->cfg_reading(d, off, size);
	memcpy(&v, d->cfg + off, size);
	return v;
}

void pcibus_cfg_write(unsigned bus, unsigned slot, unsigned fn, unsigned off, unsigned size, uint32_t v)
{
	struct pci_fn *d = pci_find(bus, slot, fn);

	if (!d || !pci_access_ok(off, size))
		return;
	d->cfg_writes++;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i)), *c = &d->cfg[off + i];
		*c = (uint8_t)((*c & ~d->wmask[off + i]) | (b & d->wmask[off + i]));
		*c &= (uint8_t)~(b & d->w1cmask[off + i]);
	}
	if (off < PCI_BASE_ADDRESS_5 + 4 && off + size > PCI_COMMAND)
		pci_bars_update(d);
	if (d->cfg_written)
		d->cfg_written(d, off, size);
}

/* Mechanism #1: CONFIG_ADDRESS holds enable | BDF << 8 | reg (pci_access.h). */
static void cf8_io(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	if (size != 4) { /* byte accesses at 0xcf8-0xcfb are not the address register */
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	if (is_write)
		cf8_address = get32(data);
	else
		put32(data, cf8_address);
}

/* The register(s) of [off, off + size), as the trace names them: header
 * fields of a type-0 function ("BAR0", "VENDOR_ID|DEVICE_ID",
 * "SUBSYSTEM_ID+1"), or a place in a capability ("cap 0x98 MSI-X +2"), or
 * the offset. */
static const char *pci_reg_name(const struct pci_fn *d, unsigned off, unsigned size, char *buf, size_t len)
{
	static const struct { uint8_t off, size; const char *name; } header[] = {
		{ 0x00, 2, "VENDOR_ID" }, { 0x02, 2, "DEVICE_ID" }, { 0x04, 2, "COMMAND" }, { 0x06, 2, "STATUS" },
		{ 0x08, 1, "REVISION_ID" }, { 0x09, 3, "CLASS" }, { 0x0c, 1, "CACHE_LINE_SIZE" },
		{ 0x0d, 1, "LATENCY_TIMER" }, { 0x0e, 1, "HEADER_TYPE" }, { 0x0f, 1, "BIST" },
		{ 0x10, 4, "BAR0" }, { 0x14, 4, "BAR1" }, { 0x18, 4, "BAR2" }, { 0x1c, 4, "BAR3" },
		{ 0x20, 4, "BAR4" }, { 0x24, 4, "BAR5" }, { 0x28, 4, "CARDBUS_CIS" },
		{ 0x2c, 2, "SUBSYSTEM_VENDOR_ID" }, { 0x2e, 2, "SUBSYSTEM_ID" }, { 0x30, 4, "ROM_ADDRESS" },
		{ 0x34, 1, "CAPABILITY_LIST" }, { 0x35, 7, "reserved" }, { 0x3c, 1, "INTERRUPT_LINE" },
		{ 0x3d, 1, "INTERRUPT_PIN" }, { 0x3e, 1, "MIN_GNT" }, { 0x3f, 1, "MAX_LAT" },
	};
	/* A type-1 header differs from 0x10 on (PCI-to-PCI Bridge 1.2 §3.2). */
	static const struct { uint8_t off, size; const char *name; } bridge[] = {
		{ 0x18, 1, "PRIMARY_BUS" }, { 0x19, 1, "SECONDARY_BUS" }, { 0x1a, 1, "SUBORDINATE_BUS" },
		{ 0x1b, 1, "SEC_LATENCY_TIMER" }, { 0x1c, 1, "IO_BASE" }, { 0x1d, 1, "IO_LIMIT" },
		{ 0x1e, 2, "SEC_STATUS" }, { 0x20, 2, "MEMORY_BASE" }, { 0x22, 2, "MEMORY_LIMIT" },
		{ 0x24, 2, "PREF_MEMORY_BASE" }, { 0x26, 2, "PREF_MEMORY_LIMIT" }, { 0x28, 4, "PREF_BASE_UPPER32" },
		{ 0x2c, 4, "PREF_LIMIT_UPPER32" }, { 0x30, 2, "IO_BASE_UPPER16" }, { 0x32, 2, "IO_LIMIT_UPPER16" },
		{ 0x34, 1, "CAPABILITY_LIST" }, { 0x35, 3, "reserved" }, { 0x38, 4, "ROM_ADDRESS1" },
		{ 0x3c, 1, "INTERRUPT_LINE" }, { 0x3d, 1, "INTERRUPT_PIN" }, { 0x3e, 2, "BRIDGE_CONTROL" },
	};
	bool type1 = d && (d->cfg[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE;
	size_t n = 0;
	for (size_t i = 0; i < sizeof(header) / sizeof(header[0]) + sizeof(bridge) / sizeof(bridge[0]) && n < len;
	     i++) {
		bool in_bridge = i >= sizeof(header) / sizeof(header[0]);
		unsigned ro = in_bridge ? bridge[i - sizeof(header) / sizeof(header[0])].off : header[i].off;
		unsigned rs = in_bridge ? bridge[i - sizeof(header) / sizeof(header[0])].size : header[i].size;
		const char *rn = in_bridge ? bridge[i - sizeof(header) / sizeof(header[0])].name : header[i].name;
		if (in_bridge != (type1 && ro >= PCI_BASE_ADDRESS_2) || off + size <= ro || off >= ro + rs)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "", rn);
		if (off > ro && n < len)
			n += (size_t)snprintf(buf + n, len - n, "+%u", off - ro);
	}
	if (n)
		return buf;
	/* Within which capability? The list is ours (read-only to the guest),
	 * but walk it bounded anyway. */
	unsigned best = 0;
	for (unsigned p = d ? d->cfg[PCI_CAPABILITY_LIST] : 0, hops = 0; p >= 0x40 && p < 0x100 && hops < 48;
	     p = d->cfg[p + 1], hops++)
		if (p <= off && p > best)
			best = p;
	if (best && off < 0x100)
		snprintf(buf, len, "cap 0x%x %s +%u", best, pci_parse_cap_name(d->cfg[best], false), off - best);
	else
		snprintf(buf, len, "0x%03x", off);
	return buf;
}

/* One config access from either mechanism ("cf8", "ecam"), data in guest
 * byte order. */
static void pci_cfg_access(const char *mech, unsigned bus, unsigned slot, unsigned fn, unsigned reg, uint8_t *data,
			   unsigned size, bool is_write)
{
	uint32_t v = 0;

	if (size > 4) { /* 8-byte ECAM accesses: not supported, harmless */
		if (!is_write)
			memset(data, 0xff, size);
		if (trace_on(TRACE_CFG))
			trace_emit(TRACE_CFG, "%02x:%02x.%u 0x%03x %s of %u bytes (%s): not supported, %s", bus, slot, fn,
				   reg, is_write ? "write" : "read", size, mech, is_write ? "dropped" : "reads all-ones");
		return;
	}
	if (is_write) {
		memcpy(&v, data, size);
		pcibus_cfg_write(bus, slot, fn, reg, size, v);
	} else {
		v = pcibus_cfg_read(bus, slot, fn, reg, size);
		memcpy(data, &v, size);
	}
	if (trace_on(TRACE_CFG)) {
		const struct pci_fn *d = pci_find(bus, slot, fn);
		char name[80];
		pci_reg_name(d, reg, size, name, sizeof(name));
		if (!d)
			trace_emit(TRACE_CFG, "%02x:%02x.%u %s %s (%s): no function there%s", bus, slot, fn, name,
				   is_write ? "write" : "read", mech, is_write ? ", dropped" : ", reads all-ones");
		else if (!is_write)
			trace_emit(TRACE_CFG, "%02x:%02x.%u %s read (%s) -> 0x%0*x", bus, slot, fn, name, mech,
				   (int)size * 2, v);
		else {
			uint32_t now = 0;
			if (pci_access_ok(reg, size))
				memcpy(&now, d->cfg + reg, size);
			bool bar = reg >= PCI_BASE_ADDRESS_0 && reg < PCI_BASE_ADDRESS_5 + 4 && size == 4;
			trace_emit(TRACE_CFG, "%02x:%02x.%u %s write 0x%0*x (%s)%s -> reads 0x%0*x", bus, slot, fn, name,
				   (int)size * 2, v, mech, bar && v == 0xffffffffu ? " (sizing)" : "", (int)size * 2, now);
		}
	}
}

static void cfc_io(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	uint32_t a = cf8_address;

	if (!(a & PCI_CF8_ENABLE)) { /* not enabled: the access goes nowhere */
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	uint16_t bdf = PCI_CF8_BDF(a);
	pci_cfg_access("cf8", PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), PCI_CF8_REG(a) + (unsigned)off, data,
		       size, is_write);
}

static void ecam_io(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	uint16_t bdf = PCI_ECAM_BDF(off);
	pci_cfg_access("ecam", PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), PCI_ECAM_REG(off), data, size,
		       is_write);
}

/* --- the topology -------------------------------------------------------- */

int pcibus_bridge_declare(char *err, size_t errlen)
{
	if (nbridges == PCIBUS_MAX_BRIDGES)
		return errmsg(err, errlen, "--pci-bridge: at most %d bridges", PCIBUS_MAX_BRIDGES);
	return (int)++nbridges;
}

unsigned pcibus_buses(void) { return 1 + nbridges; }

static bool pci_slot_free(unsigned bus, unsigned slot)
{
	for (unsigned f = 0; f < PCI_SLOT_FNS; f++)
		if (owners[bus][PCI_BDF(0, slot, f)])
			return false;
	return true;
}

/* Is `where` a place for a new function? 0, or -1 with err. */
static int pci_place_ok(unsigned where, const char *who, char *err, size_t errlen)
{
	unsigned bus = PCI_BDF_BUS(where), devfn = where & 0xff;

	if (where > 0xffff || bus > nbridges) {
		if (!nbridges)
			return errmsg(err, errlen, "%s: no bus %02x: without --pci-bridge there is only bus 00", who,
				      bus);
		return errmsg(err, errlen, "%s: no bus %02x: the %u --pci-bridge option%s give%s bus%s 01-%02x", who,
			      bus, nbridges, nbridges == 1 ? "" : "s", nbridges == 1 ? "s" : "",
			      nbridges == 1 ? "" : "es", nbridges);
	}
	if (owners[bus][devfn])
		return errmsg(err, errlen, "%s: %02x:%02x.%u is taken by %s", who, bus, PCI_BDF_DEV(where),
			      PCI_BDF_FN(where), owners[bus][devfn]);
	return 0;
}

int pcibus_reserve(unsigned where, const char *who, char *err, size_t errlen)
{
	if (where == PCIBUS_NEXT) {
		for (unsigned s = 1; s < PCI_BUS_SLOTS && where == PCIBUS_NEXT; s++)
			if (pci_slot_free(0, s))
				where = PCI_BDF(0, s, 0);
		if (where == PCIBUS_NEXT)
			return errmsg(err, errlen, "%s: no free slot on bus 00 (it has %d)", who, PCI_BUS_SLOTS);
	}
	if (pci_place_ok(where, who, err, errlen))
		return -1;
	owners[PCI_BDF_BUS(where)][where & 0xff] = who;
	return (int)where;
}

int pcibus_reserve_bridge(unsigned secondary, unsigned where, const char *who, char *err, size_t errlen)
{
	if (secondary < 1 || secondary > nbridges || bridge_at[secondary - 1] >= 0)
		return errmsg(err, errlen, "%s: no such bridge", who);
	/* Its own bus, the bus of the bridge in front of that, ...: never its
	 * secondary (it would sit behind itself). A bridge not placed yet ends
	 * the walk; the last placement of a loop walks all of it. */
	unsigned bus = where == PCIBUS_NEXT ? 0 : PCI_BDF_BUS(where);
	for (unsigned b = bus, hops = 0; b && b <= nbridges && hops < PCIBUS_MAX_BUSES; hops++) {
		if (b == secondary)
			return errmsg(err, errlen, "%s: bus %02x is behind this bridge (it would sit behind itself)",
				      who, bus);
		if (bridge_at[b - 1] < 0)
			break;
		b = PCI_BDF_BUS((unsigned)bridge_at[b - 1]);
	}
	int at = pcibus_reserve(where, who, err, errlen);
	if (at >= 0)
		bridge_at[secondary - 1] = at;
	return at;
}

int pcibus_check(char *err, size_t errlen)
{
	for (unsigned bus = 0; bus <= nbridges; bus++)
		for (unsigned s = 0; s < PCI_BUS_SLOTS; s++)
			for (unsigned f = 1; f < PCI_SLOT_FNS && !owners[bus][PCI_BDF(0, s, 0)]; f++)
				if (owners[bus][PCI_BDF(0, s, f)])
					return errmsg(err, errlen,
						      "%s: %02x:%02x.%u has no function 0 beside it (PCI 3.0 §6.2.1: "
						      "software finds functions 1-7 through function 0)",
						      owners[bus][PCI_BDF(0, s, f)], bus, s, f);
	for (unsigned n = 1; n <= nbridges; n++)
		if (bridge_at[n - 1] < 0)
			return errmsg(err, errlen, "--pci-bridge: the bridge in front of bus %02x has no place", n);
	return 0;
}

/* A bridge's window, COMMAND or bus numbers were written. */
static void pci_bridge_written(struct pci_fn *d, unsigned off, unsigned size)
{
	if (off < PCI_CAPABILITY_LIST && off + size > PCI_COMMAND)
		pcibus_update_all();
}

/* The bridge in front of VMM bus n, a PCI-to-PCI bridge (Red Hat's "QEMU
 * PCI-PCI bridge" ID) with no BARs, no interrupt and no capabilities. */
static void pci_bridge_init(struct pci_fn *b, unsigned n)
{
	pci_fn_init(b, "pci-bridge", 0x1b36, 0x0001, PCI_CLASS_BRIDGE_PCI << 8, 0);
	b->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
	put32(b->cfg + PCI_PREF_LIMIT_UPPER32, 0); /* not a subsystem ID in a type-1 header */
	memset(b->wmask + PCI_PRIMARY_BUS, 0xff, 4); /* primary, secondary, subordinate, latency */
	b->wmask[PCI_IO_BASE] = b->wmask[PCI_IO_LIMIT] = (uint8_t)PCI_IO_RANGE_MASK;
	put16(b->w1cmask + PCI_SEC_STATUS, get16(b->w1cmask + PCI_STATUS));
	for (unsigned r = PCI_MEMORY_BASE; r <= PCI_PREF_MEMORY_LIMIT; r += 2)
		put16(b->wmask + r, (uint16_t)PCI_MEMORY_RANGE_MASK);
	b->cfg[PCI_PREF_MEMORY_BASE] = b->cfg[PCI_PREF_MEMORY_LIMIT] = PCI_PREF_RANGE_TYPE_64;
	put32(b->wmask + PCI_PREF_BASE_UPPER32, 0xffffffffu);
	put32(b->wmask + PCI_PREF_LIMIT_UPPER32, 0xffffffffu);
	put16(b->wmask + PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_PARITY | PCI_BRIDGE_CTL_SERR | PCI_BRIDGE_CTL_ISA |
						     PCI_BRIDGE_CTL_VGA | PCI_BRIDGE_CTL_MASTER_ABORT |
						     PCI_BRIDGE_CTL_BUS_RESET);
	b->cfg[PCI_INTERRUPT_PIN] = 0;
	b->cfg[PCI_SECONDARY_BUS] = b->cfg[PCI_SUBORDINATE_BUS] = (uint8_t)n;
	b->cfg_written = pci_bridge_written;
}

int pcibus_init(struct vm *vm, char *err, size_t errlen)
{
	/* 00:00.0, a host bridge (Red Hat's "QEMU PCIe host bridge" ID). */
	pci_fn_init(&host_bridge, "host bridge", 0x1b36, 0x0008, 0x060000, 0);
	host_bridge.vm = vm;
	snprintf(host_bridge.bdf, sizeof(host_bridge.bdf), "00:00.0");
	fns[0][0] = &host_bridge;
	for (unsigned n = 1; n <= nbridges; n++) {
		pci_bridge_init(&bridges[n - 1], n);
		bridges[n - 1].vm = vm;
		if (bridge_at[n - 1] < 0)
			return errmsg(err, errlen, "--pci-bridge %u: no place on the bus for it", n);
		if (pcibus_add(&bridges[n - 1], (unsigned)bridge_at[n - 1], err, errlen))
			return -1;
	}
	/* The VMM's numbering, which the guest may keep: primary is the
	 * bridge's own bus, subordinate the highest bus below it. */
	for (unsigned n = 1; n <= nbridges; n++) {
		bridges[n - 1].cfg[PCI_PRIMARY_BUS] = bridges[n - 1].bus;
		for (unsigned b = bridges[n - 1].bus, hops = 0; b && hops < PCIBUS_MAX_BUSES; b = bridges[b - 1].bus, hops++)
			if (bridges[b - 1].cfg[PCI_SUBORDINATE_BUS] < n)
				bridges[b - 1].cfg[PCI_SUBORDINATE_BUS] = (uint8_t)n;
	}
	if (io_register(IO_PIO, PCI_CF8_ADDRESS_PORT, 4, "PCI config address (0xcf8)", cf8_io, NULL, err, errlen) ||
	    io_register(IO_PIO, PCI_CF8_DATA_PORT, 4, "PCI config data (0xcfc)", cfc_io, NULL, err, errlen) ||
	    io_register_kind(ASPACE_ECAM, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, "PCI ECAM", ecam_io, NULL, err, errlen))
		return -1;
	return 0;
}

int pcibus_add(struct pci_fn *d, unsigned bdf, char *err, size_t errlen)
{
	unsigned bus = PCI_BDF_BUS(bdf), devfn = bdf & 0xff, slot = PCI_BDF_DEV(bdf);

	if (bdf > 0xffff)
		return errmsg(err, errlen, "%s: 0x%x is not a bus/device/function", d->name, bdf);
	if (bus > nbridges)
		return errmsg(err, errlen, "%s at %02x:%02x.%u: there is no bus %02x (%u bridge%s, buses 00-%02x)",
			      d->name, bus, slot, PCI_BDF_FN(bdf), bus, nbridges, nbridges == 1 ? "" : "s", nbridges);
	if (fns[bus][devfn])
		return errmsg(err, errlen, "%s at %02x:%02x.%u: the function is taken by %s", d->name, bus, slot,
			      PCI_BDF_FN(bdf), fns[bus][devfn]->name);
	d->bus = (uint8_t)bus;
	d->slot = (uint8_t)slot;
	d->func = (uint8_t)PCI_BDF_FN(bdf);
	snprintf(d->bdf, sizeof(d->bdf), "%02x:%02x.%u", bus, slot, d->func);
	for (unsigned n = 0; n < 6; n++)
		snprintf(d->bars[n].name, sizeof(d->bars[n].name), "%s %s BAR%u", d->bdf, d->name, n);
	fns[bus][devfn] = d;
	if (!owners[bus][devfn])
		owners[bus][devfn] = d->name;
	/* Function 0 says whether functions 1-7 are there (PCI 3.0 §6.2.1). */
	struct pci_fn *f0 = fns[bus][PCI_BDF(0, slot, 0)];
	bool others = false;
	for (unsigned f = 1; f < PCI_SLOT_FNS; f++)
		others |= fns[bus][PCI_BDF(0, slot, f)] != NULL;
	if (f0 && others && !f0->header_as_is)
		f0->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MFD;
	return 0;
}

void pcibus_stats_print(void)
{
	for (unsigned i = 0; i < PCIBUS_MAX_BUSES * PCI_BUS_FNS; i++) {
		const struct pci_fn *d = fns[i / PCI_BUS_FNS][i % PCI_BUS_FNS];
		if (d && (d->cfg_reads || d->cfg_writes))
			fprintf(stderr, "stats:   config space of %s %-20s reads %8llu writes %8llu\n", d->bdf, d->name,
				(unsigned long long)d->cfg_reads, (unsigned long long)d->cfg_writes);
	}
}

/* --- lspci -xxxx ------------------------------------------------------------ */

int pcibus_dump(FILE *f)
{
	/* Each function at the bus number the guest reaches it by now (the
	 * bridges' registers), else the VMM's: lspci sorts them and draws the
	 * tree (-t) from the bridges' numbers. */
	for (unsigned i = 0; i < PCIBUS_MAX_BUSES * PCI_BUS_FNS; i++) {
		const struct pci_fn *d = fns[i / PCI_BUS_FNS][i % PCI_BUS_FNS];
		if (!d)
			continue;
		unsigned bus = d->bus;
		for (unsigned b = 0; b < 256; b++)
			if (pci_find(b, d->slot, d->func) == d) {
				bus = b;
				break;
			}
		/* lspci -F reads the BDF and ignores the rest of the line. */
		fprintf(f, "%02x:%02x.%u %s\n", bus, d->slot, d->func, d->name);
		for (unsigned off = 0; off < 4096; off += 16) {
			fprintf(f, off < 256 ? "%02x:" : "%03x:", off);
			for (unsigned i2 = 0; i2 < 16; i2++)
				fprintf(f, " %02x", d->cfg[off + i2]);
			fputc('\n', f);
		}
		fputc('\n', f);
	}
	return fclose(f);
}
