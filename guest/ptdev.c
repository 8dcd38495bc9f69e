/*
 * ptdev.c - bar.read=, bar.write=, cfg.write= (ptdev.h): a guest that pokes
 * a device's BARs and config registers directly, so that a test can see
 * where each access ends up (a passed-through BAR page in the host device
 * with no exit, the MSI-X table page in the VMM, config writes mediated).
 *
 * Values are checked in the dry run (malformed: EXITLAB_EXIT_USAGE); the
 * function and its BAR only when the action runs, after enumeration
 * (missing, unassigned, above the mapped low 4 GiB, or too small:
 * EXITLAB_EXIT_FAIL). BAR data moves as dwords wherever the address is
 * 4-byte aligned and 4 bytes remain, bytes elsewhere, the way Linux's
 * memcpy_toio does: many devices ignore byte accesses to their registers
 * (QEMU's edu answers only dword accesses below 0x80), and the PCI spec
 * wants MSI-X table entries written as dwords.
 */
#include "ptdev.h"

#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"
#include "pci.h"
#include "pci_bdf.h"
#include "pci_parse.h"
#include "pci_regs.h"

#define PTDEV_MAX_LEN 256 /* bytes per bar.read / bar.write */
#define PTDEV_MAX_FIELDS 4

/* val split at its first nfields-1 commas; the last field keeps the rest
 * (bar.write's TEXT may contain commas). False if there are fewer fields
 * or one of them is empty. */
struct fields {
	const char *s[PTDEV_MAX_FIELDS];
	size_t len[PTDEV_MAX_FIELDS];
};

static bool split_fields(const char *val, size_t len, unsigned nfields, struct fields *f)
{
	size_t start = 0;

	for (unsigned i = 0; i < nfields; i++) {
		size_t end = start;
		if (i + 1 < nfields)
			while (end < len && val[end] != ',')
				end++;
		else
			end = len;
		if (end == start || (i + 1 < nfields && end == len))
			return false;
		f->s[i] = val + start;
		f->len[i] = end - start;
		start = end + 1;
	}
	return true;
}

/* BB:DD.F in hex, as lspci prints it, the whole field (common/pci_bdf.c,
 * the VMM's reader of --passthrough too); 0000:BB:DD.F also, as the guest
 * reaches segment 0 only. */
static bool parse_bdf(const char *s, size_t len, uint16_t *bdf)
{
	uint16_t domain;

	return pci_bdf_parse(s, len, &domain, bdf) == len && domain == 0;
}

/* The function at bdf, enumerating the bus first if nothing has. */
static const struct pci_func *ptdev_func(const char *what, uint16_t bdf)
{
	pci_bus_ready();
	for (unsigned i = 0; pci_func_get(i); i++)
		if (pci_func_get(i)->bdf == bdf)
			return pci_func_get(i);
	printf("error: %s: no PCI function %02x:%02x.%x on the bus\n", what, PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf),
	       PCI_BDF_FN(bdf));
	return NULL;
}

struct bar_req {
	uint16_t bdf;
	unsigned bar;
	uint64_t off, len;
	const char *text; /* bar.write */
};

/* BDF,N,OFFSET then LEN (bar.read) or TEXT (bar.write). */
static bool parse_bar_req(const char *what, const char *val, size_t len, bool write, struct bar_req *r)
{
	struct fields f;
	uint64_t n;

	if (!split_fields(val, len, 4, &f)) {
		printf("error: %s: '%.*s' is not BB:DD.F,N,OFFSET,%s\n", what, (int)len, val, write ? "TEXT" : "LEN");
		return false;
	}
	if (!parse_bdf(f.s[0], f.len[0], &r->bdf)) {
		printf("error: %s: '%.*s' is not a bus:device.function (hex, e.g. 00:01.0)\n", what, (int)f.len[0],
		       f.s[0]);
		return false;
	}
	if (!parse_u64(f.s[1], f.len[1], &n) || n >= PCI_STD_NUM_BARS) {
		printf("error: %s: '%.*s' is not a BAR number from 0 to 5\n", what, (int)f.len[1], f.s[1]);
		return false;
	}
	r->bar = (unsigned)n;
	if (!parse_u64(f.s[2], f.len[2], &r->off)) {
		printf("error: %s: '%.*s' is not an offset (decimal or 0x hex)\n", what, (int)f.len[2], f.s[2]);
		return false;
	}
	if (write) {
		r->text = f.s[3];
		r->len = f.len[3];
	} else if (!parse_u64(f.s[3], f.len[3], &r->len)) {
		r->len = 0;
	}
	if (r->len < 1 || r->len > PTDEV_MAX_LEN) {
		printf("error: %s: '%.*s' is not %s from 1 to %d bytes\n", what, (int)f.len[3], f.s[3],
		       write ? "a text" : "a length", PTDEV_MAX_LEN);
		return false;
	}
	return true;
}

/* The BAR's base if the request fits in it, with its kind of decoding on. */
static bool bar_locate(const char *what, const struct bar_req *r, bool *io, uint64_t *base)
{
	const struct pci_func *f = ptdev_func(what, r->bdf);
	if (!f)
		return false;
	const struct pci_bar *b = &f->bars[r->bar];
	char who[24];
	snprintf(who, sizeof(who), "%02x:%02x.%x BAR%u", PCI_BDF_BUS(r->bdf), PCI_BDF_DEV(r->bdf), PCI_BDF_FN(r->bdf),
		 r->bar);

	if (r->bar >= f->nbars || !b->size || b->type == PCI_PARSE_BAR_MEM64_HI) {
		printf("error: %s: %s is not implemented\n", what, who);
		return false;
	}
	if (!b->addr) {
		printf("error: %s: %s has no address assigned\n", what, who);
		return false;
	}
	*io = b->type == PCI_PARSE_BAR_IO;
	if (!*io && !pci_bar_below_4g(b)) {
		printf("error: %s: %s at 0x%lx/0x%lx is not below 4 GiB, the guest maps only that\n", what, who,
		       b->addr, b->size);
		return false;
	}
	if (*io && b->addr + b->size > 0x10000) {
		printf("error: %s: %s at 0x%lx/0x%lx is beyond the 64 KiB of I/O ports\n", what, who, b->addr, b->size);
		return false;
	}
	if (r->off > b->size || r->len > b->size - r->off) {
		printf("error: %s: 0x%lx bytes at offset 0x%lx do not fit in %s (0x%lx bytes)\n", what, r->len, r->off,
		       who, b->size);
		return false;
	}
	uint16_t need = *io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
	uint16_t cmd = pci_cfg_read16(r->bdf, PCI_COMMAND);
	if (!(cmd & need))
		pci_cfg_write16(r->bdf, PCI_COMMAND, cmd | need);
	*base = b->addr;
	return true;
}

/* Dwords where aligned, bytes elsewhere (see the top of the file). */
static void bar_copy(bool io, uint64_t addr, uint8_t *buf, size_t len, bool write)
{
	for (size_t i = 0; i < len;) {
		uint64_t a = addr + i;
		if (a % 4 == 0 && len - i >= 4) {
			uint32_t v;
			if (write) {
				memcpy(&v, buf + i, 4);
				io ? outl((uint16_t)a, v) : mmio_write32((uintptr_t)a, v);
			} else {
				v = io ? inl((uint16_t)a) : mmio_read32((uintptr_t)a);
				memcpy(buf + i, &v, 4);
			}
			i += 4;
		} else {
			if (write)
				io ? outb((uint16_t)a, buf[i]) : mmio_write8((uintptr_t)a, buf[i]);
			else
				buf[i] = io ? inb((uint16_t)a) : mmio_read8((uintptr_t)a);
			i++;
		}
	}
}

static int bar_action(const char *what, const char *val, size_t len, bool dry_run, bool write)
{
	static uint8_t buf[PTDEV_MAX_LEN];
	static char hex[2 * PTDEV_MAX_LEN + 1];
	struct bar_req r;
	bool io;
	uint64_t base;

	if (!parse_bar_req(what, val, len, write, &r))
		return EXITLAB_EXIT_USAGE;
	if (dry_run)
		return EXITLAB_EXIT_OK;
	if (!bar_locate(what, &r, &io, &base))
		return EXITLAB_EXIT_FAIL;
	if (write)
		memcpy(buf, r.text, r.len);
	bar_copy(io, base + r.off, buf, r.len, write);
	if (write) {
		printf("bar %02x:%02x.%x bar%u+0x%lx: wrote %lu bytes\n", PCI_BDF_BUS(r.bdf), PCI_BDF_DEV(r.bdf),
		       PCI_BDF_FN(r.bdf), r.bar, r.off, r.len);
		return EXITLAB_EXIT_OK;
	}
	for (size_t i = 0; i < r.len; i++)
		snprintf(hex + 2 * i, 3, "%02x", buf[i]);
	printf("bar %02x:%02x.%x bar%u+0x%lx: %s\n", PCI_BDF_BUS(r.bdf), PCI_BDF_DEV(r.bdf), PCI_BDF_FN(r.bdf), r.bar,
	       r.off, hex);
	return EXITLAB_EXIT_OK;
}

int bar_read_action(const char *val, size_t len, bool dry_run)
{
	return bar_action("bar.read", val, len, dry_run, false);
}

int bar_write_action(const char *val, size_t len, bool dry_run)
{
	return bar_action("bar.write", val, len, dry_run, true);
}

/* cfg.write=BB:DD.F,OFFSET,SIZE,VALUE: one naturally aligned access within
 * the 4 KiB of extended config space (mechanism #1 reaches only 256 bytes;
 * beyond, writes are dropped and reads are all ones - pci.h). Note that the
 * guest's table of functions is not updated: moving a BAR this way leaves
 * bar.read/bar.write at the address enumeration gave it. */
int cfg_write_action(const char *val, size_t len, bool dry_run)
{
	struct fields f;
	uint16_t bdf;
	uint64_t off, size, v;

	if (!split_fields(val, len, 4, &f)) {
		printf("error: cfg.write: '%.*s' is not BB:DD.F,OFFSET,SIZE,VALUE\n", (int)len, val);
		return EXITLAB_EXIT_USAGE;
	}
	if (!parse_bdf(f.s[0], f.len[0], &bdf)) {
		printf("error: cfg.write: '%.*s' is not a bus:device.function (hex, e.g. 00:01.0)\n", (int)f.len[0],
		       f.s[0]);
		return EXITLAB_EXIT_USAGE;
	}
	if (!parse_u64(f.s[2], f.len[2], &size) || (size != 1 && size != 2 && size != 4)) {
		printf("error: cfg.write: size '%.*s' is not 1, 2 or 4\n", (int)f.len[2], f.s[2]);
		return EXITLAB_EXIT_USAGE;
	}
	if (!parse_u64(f.s[1], f.len[1], &off) || off % size || off > PCI_CFG_SPACE_EXP_SIZE - size) {
		printf("error: cfg.write: offset '%.*s' is not a multiple of %lu below 0x%x\n", (int)f.len[1], f.s[1],
		       size, PCI_CFG_SPACE_EXP_SIZE);
		return EXITLAB_EXIT_USAGE;
	}
	if (!parse_u64(f.s[3], f.len[3], &v) || (size < 8 && v >> (8 * size))) {
		printf("error: cfg.write: value '%.*s' does not fit in %lu bytes\n", (int)f.len[3], f.s[3], size);
		return EXITLAB_EXIT_USAGE;
	}
	if (dry_run)
		return EXITLAB_EXIT_OK;
	if (!ptdev_func("cfg.write", bdf))
		return EXITLAB_EXIT_FAIL;

	uint32_t rb;
	uint16_t o = (uint16_t)off;
	if (size == 1) {
		pci_cfg_write8(bdf, o, (uint8_t)v);
		rb = pci_cfg_read8(bdf, o);
	} else if (size == 2) {
		pci_cfg_write16(bdf, o, (uint16_t)v);
		rb = pci_cfg_read16(bdf, o);
	} else {
		pci_cfg_write32(bdf, o, (uint32_t)v);
		rb = pci_cfg_read32(bdf, o);
	}
	int w = (int)(2 * size);
	printf("cfg %02x:%02x.%x 0x%02x: wrote 0x%0*lx (%lu bytes), reads back 0x%0*x\n", PCI_BDF_BUS(bdf),
	       PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), o, w, v, size, w, rb);
	return EXITLAB_EXIT_OK;
}

/* port.write=PORT,SIZE,VALUE: one OUT of SIZE bytes (1, 2, 4) to any port,
 * aligned or not, e.g. a guest-physical address handed to a VMM's port.
 * Ports need no enumeration, so this runs anywhere. */
int port_write_action(const char *val, size_t len, bool dry_run)
{
	struct fields f;
	uint64_t port, size, v;

	if (!split_fields(val, len, 3, &f)) {
		printf("error: port.write: '%.*s' is not PORT,SIZE,VALUE\n", (int)len, val);
		return EXITLAB_EXIT_USAGE;
	}
	if (!parse_u64(f.s[1], f.len[1], &size) || (size != 1 && size != 2 && size != 4)) {
		printf("error: port.write: size '%.*s' is not 1, 2 or 4\n", (int)f.len[1], f.s[1]);
		return EXITLAB_EXIT_USAGE;
	}
	if (!parse_u64(f.s[0], f.len[0], &port) || port > 0xffff - (size - 1)) {
		printf("error: port.write: port '%.*s' is not 0 to 0x%lx\n", (int)f.len[0], f.s[0], 0xffff - (size - 1));
		return EXITLAB_EXIT_USAGE;
	}
	if (!parse_u64(f.s[2], f.len[2], &v) || v >> (8 * size)) {
		printf("error: port.write: value '%.*s' does not fit in %lu bytes\n", (int)f.len[2], f.s[2], size);
		return EXITLAB_EXIT_USAGE;
	}
	if (dry_run)
		return EXITLAB_EXIT_OK;
	if (size == 1)
		outb((uint16_t)port, (uint8_t)v);
	else if (size == 2)
		outw((uint16_t)port, (uint16_t)v);
	else
		outl((uint16_t)port, (uint32_t)v);
	printf("port 0x%lx: wrote 0x%0*lx (%lu bytes)\n", port, (int)(2 * size), v, size);
	return EXITLAB_EXIT_OK;
}
