/*
 * pcibus.c - bus 0, its host bridge, both config mechanisms, and the
 * function model (pcibus.h).
 *
 * Config accesses arrive three ways and meet in pcibus_cfg_read/write():
 * mechanism #1 (a dword address latched at 0xcf8, then 1, 2 or 4 bytes at
 * 0xcfc + (offset & 3)), ECAM (one MMIO access at 1 MiB per bus, 4 KiB per
 * function), and the unit tests. Absent functions read as all-ones and
 * ignore writes, as on real hardware, and so does anything unaligned or
 * crossing a dword (the spec leaves it undefined; we make it harmless).
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

static struct pci_fn *slots[PCI_BUS_SLOTS];
static struct pci_fn host_bridge;
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

/* Where BAR n should decode now: its registers, unless half-programmed
 * (all-ones while sizing) or wrapping; 0 if nowhere. */
static uint64_t pci_bar_target(const struct pci_fn *d, unsigned n)
{
	const struct pci_bar *b = &d->bars[n];
	uint64_t a = pci_bar_decode(d, n);

	if (a && (a + b->size < a || a + b->size - 1 > (b->type == PCI_PARSE_BAR_IO ? 0xffffu : UINT64_MAX - 1)))
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
	if (a && b->fn && (!pci_bar_fits(d, n, a) || io_register(space, a, b->size, b->name, b->fn, b->opaque))) {
		if (!b->refused)
			pci_bar_refuse(d, n, a, "no room in the dispatch table");
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
	for (unsigned s = 0; s < PCI_BUS_SLOTS; s++) {
		struct pci_fn *d = slots[s];
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

/* --- access ----------------------------------------------------------------- */

static struct pci_fn *pci_find(unsigned bus, unsigned slot, unsigned fn)
{
	return bus == 0 && fn == 0 && slot < PCI_BUS_SLOTS ? slots[slot] : NULL;
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
	size_t n = 0;
	for (size_t i = 0; i < sizeof(header) / sizeof(header[0]) && n < len; i++) {
		if (off + size <= header[i].off || off >= header[i].off + header[i].size)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "", header[i].name);
		if (off > header[i].off && n < len)
			n += (size_t)snprintf(buf + n, len - n, "+%u", off - header[i].off);
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

int pcibus_init(struct vm *vm)
{
	/* 00:00.0, a host bridge (Red Hat's "QEMU PCIe host bridge" ID). */
	pci_fn_init(&host_bridge, "host bridge", 0x1b36, 0x0008, 0x060000, 0);
	host_bridge.vm = vm;
	slots[0] = &host_bridge;
	if (io_register(IO_PIO, PCI_CF8_ADDRESS_PORT, 4, "PCI config address (0xcf8)", cf8_io, NULL) ||
	    io_register(IO_PIO, PCI_CF8_DATA_PORT, 4, "PCI config data (0xcfc)", cfc_io, NULL) ||
	    io_register_kind(ASPACE_ECAM, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, "PCI ECAM", ecam_io, NULL))
		return -1;
	return 0;
}

int pcibus_add(struct pci_fn *d, unsigned slot)
{
	if (slot == 0 || slot >= PCI_BUS_SLOTS || slots[slot])
		return -1;
	d->slot = (uint8_t)slot;
	for (unsigned n = 0; n < 6; n++)
		snprintf(d->bars[n].name, sizeof(d->bars[n].name), "00:%02x.0 %s BAR%u", slot, d->name, n);
	slots[slot] = d;
	return 0;
}

void pcibus_stats_print(void)
{
	for (unsigned s = 0; s < PCI_BUS_SLOTS; s++)
		if (slots[s] && (slots[s]->cfg_reads || slots[s]->cfg_writes))
			fprintf(stderr, "stats:   config space of 00:%02x.0 %-20s reads %8llu writes %8llu\n", s,
				slots[s]->name, (unsigned long long)slots[s]->cfg_reads,
				(unsigned long long)slots[s]->cfg_writes);
}

/* --- lspci -xxxx ------------------------------------------------------------ */

int pcibus_dump(FILE *f)
{
	for (unsigned s = 0; s < PCI_BUS_SLOTS; s++) {
		struct pci_fn *d = slots[s];
		if (!d)
			continue;
		/* lspci -F reads the BDF and ignores the rest of the line. */
		fprintf(f, "00:%02x.0 %s\n", s, d->name);
		for (unsigned off = 0; off < 4096; off += 16) {
			fprintf(f, off < 256 ? "%02x:" : "%03x:", off);
			for (unsigned i = 0; i < 16; i++)
				fprintf(f, " %02x", d->cfg[off + i]);
			fputc('\n', f);
		}
		fputc('\n', f);
	}
	return fclose(f);
}
