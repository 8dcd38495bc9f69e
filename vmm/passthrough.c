/*
 * passthrough.c - config-space mediation and direct BAR mapping for a host
 * device found by pt_host.c (passthrough.h).
 *
 * Building the shadow: header bytes come from the device with the writable
 * masks of an ordinary function; each host BAR becomes a virtual BAR of the
 * same size and type; the capability list is rewritten in place, keeping
 * only allowed capabilities (their bytes stay where the device has them,
 * the next pointers skip the others, whose bytes read as zero); extended
 * capabilities are hidden. No two capabilities share a byte: one that
 * would run over another or past 0xff is clipped (vendor-specific) or
 * refused, with a message; the device's bytes are copied first and every
 * emulated register (next pointers, MSI-X Message Control, MSI flags,
 * clipped lengths) is written on top, so no copied byte can stand in for
 * one of ours.
 *
 * BAR placement is the bus's job (pcibus.c recomputes it after every
 * config write); our moved() hook then removes the old memory slots and
 * trapped ranges and installs new ones at the new address.
 */
#include "passthrough.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aspace.h"
#include "errmsg.h"
#include "io.h"
#include "kvm.h"
#include "msix.h"
#include "pci_access.h"
#include "pci_parse.h"
#include "pci_regs.h"
#include "pcibus.h"
#include "pt_host.h"
#include "trace.h"
#include "vmm.h"

#define PT_MAX 4
#define PT_PAGE 4096ull
#define PT_PIECES 3 /* memory slots per BAR: around the two trapped pages */

struct pt_trap { /* one trapped piece of a memory BAR */
	struct pt_dev *pt;
	unsigned bar;
	uint64_t off, len; /* within the BAR */
	char name[64];
	uint64_t registered; /* guest address it is registered at, 0: not */
};

struct pt_dev {
	struct pt_host host;
	struct pci_fn pci;
	struct vm *vm;
	bool unsafe_dma, warned_master;
	void *map[6];            /* resourceN, mmapped whole */
	uint64_t placed[6];      /* where the mapping is in the guest, 0: nowhere */
	unsigned slots[6][PT_PIECES]; /* KVM memory slots (the registry's numbers), 0: none */
	struct pt_trap traps[6][2]; /* MSI-X table page, PBA page */
	struct pt_trap whole[6];    /* a BAR trapped entirely (I/O, small) */
	struct msix msix;
	uint16_t msix_cap;       /* 0: none */
	uint8_t msix_bar[2];     /* table BIR, PBA BIR */
	uint32_t msix_off[2];    /* table and PBA offsets */
	uint32_t msix_host_n;    /* entries in the device's own table (>= msix.nvec) */
	uint64_t forwarded_cfg;  /* config writes that reached the device */
};

static struct pt_dev pts[PT_MAX];
static unsigned npts;

/* --- trapped BAR bytes -------------------------------------------------------- */

/* One naturally aligned load or store of n bytes (1, 2, 4 or 8) at p;
 * the value is little-endian at data, moved a byte at a time (data may
 * have any alignment). */
static void pt_mmio_piece(volatile uint8_t *p, uint8_t *data, unsigned n, bool is_write)
{
	uint64_t v = 0;

	if (is_write)
		for (unsigned i = 0; i < n; i++)
			v |= (uint64_t)data[i] << (8 * i);
	switch (n) {
	case 1: is_write ? (void)(*p = (uint8_t)v) : (void)(v = *p); break;
	case 2: is_write ? (void)(*(volatile uint16_t *)p = (uint16_t)v) : (void)(v = *(volatile uint16_t *)p); break;
	case 4: is_write ? (void)(*(volatile uint32_t *)p = (uint32_t)v) : (void)(v = *(volatile uint32_t *)p); break;
	default: is_write ? (void)(*(volatile uint64_t *)p = v) : (void)(v = *(volatile uint64_t *)p); break;
	}
	if (!is_write)
		for (unsigned i = 0; i < n; i++)
			data[i] = (uint8_t)(v >> (8 * i));
}

/* What a refused access does: reads all-ones, writes go nowhere. */
static void pt_refuse(uint8_t *data, unsigned size, bool is_write)
{
	if (!is_write)
		for (unsigned i = 0; i < size; i++)
			data[i] = 0xff;
}

/* Device bytes that trap (the rest of an MSI-X page, a BAR that cannot be
 * mapped) reach the device here, never outside the BAR: through the BAR's
 * mapping where we have one (sysfs serves memory BARs only through mmap),
 * as naturally aligned loads and stores, the widest that fit: an access
 * of any size at any offset is split (a misaligned one would be undefined
 * behaviour here, and many devices answer only aligned accesses); else
 * through pread/pwrite (I/O BARs, fixtures), which pt_host.c checked
 * cover the whole BAR. */
static void pt_forward(struct pt_dev *pt, unsigned bar, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	uint64_t bar_size = pt->host.bars[bar].size;

	if (off > bar_size || size > bar_size - off) {
		pt_refuse(data, size, is_write);
		return;
	}
	if (pt->map[bar]) {
		volatile uint8_t *p = (volatile uint8_t *)pt->map[bar];
		for (unsigned i = 0; i < size;) {
			uint64_t a = off + i;
			unsigned n = 8;
			while (n > 1 && (a % n || n > size - i))
				n /= 2;
			pt_mmio_piece(p + a, data + i, n, is_write);
			i += n;
		}
		return;
	}
	int fd = pt->host.bars[bar].fd;
	ssize_t n = fd < 0 ? -1 : is_write ? pwrite(fd, data, size, (off_t)off) : pread(fd, data, size, (off_t)off);
	if (n != (ssize_t)size && !is_write)
		pt_refuse(data, size, is_write);
}

/* Bytes of the device's own MSI-X table (i = 0) and PBA (i = 1): all of
 * its entries, not only the ones we emulate, so that none is reached. */
static uint64_t pt_msix_len(const struct pt_dev *pt, unsigned i)
{
	return i == 0 ? (uint64_t)pt->msix_host_n * PCI_MSIX_ENTRY_SIZE : (pt->msix_host_n + 63) / 64 * 8;
}

/* An access in a trapped piece: MSI-X table or PBA from the emulation,
 * everything else forwarded to the device. The device's whole table and
 * PBA are covered: entries past the ones the guest was offered read as
 * ones and drop writes. One that starts outside the table or PBA and runs
 * into it is refused, so that no byte of the device's own table is
 * reached. */
static void pt_trap_io(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	struct pt_trap *t = opaque;
	struct pt_dev *pt = t->pt;
	uint64_t bar_off = t->off + off;

	if (pt->msix_cap) {
		const uint64_t start[2] = { pt->msix_off[0], pt->msix_off[1] };
		const uint64_t len[2] = { pt_msix_len(pt, 0), pt_msix_len(pt, 1) };
		const uint64_t emulated[2] = { (uint64_t)pt->msix.nvec * PCI_MSIX_ENTRY_SIZE, (pt->msix.nvec + 63) / 64 * 8 };
		for (unsigned i = 0; i < 2; i++) {
			if (t->bar != pt->msix_bar[i] || bar_off + size <= start[i] || bar_off >= start[i] + len[i])
				continue;
			if (bar_off < start[i]) {
				guest_error("%s BAR%u: %u-byte %s at 0x%llx runs into the MSI-X %s: refused", pt->host.bdf,
					    t->bar, size, is_write ? "write" : "read", (unsigned long long)bar_off,
					    i ? "PBA" : "table");
				pt_refuse(data, size, is_write);
			} else if (bar_off - start[i] >= emulated[i]) {
				pt_refuse(data, size, is_write); /* an entry the guest was not offered */
			} else if (i == 0) {
				msix_table_access(&pt->msix, bar_off - start[i], data, size, is_write);
			} else {
				msix_pba_access(&pt->msix, bar_off - start[i], data, size, is_write);
			}
			return;
		}
	}
	if (trace_on(TRACE_PT))
		trace_emit(TRACE_PT, "%s (host %s) +0x%llx %s of %u bytes: trapped page, forwarded to the device",
			   pt->pci.bars[t->bar].name, pt->host.bdf, (unsigned long long)bar_off, is_write ? "write" : "read",
			   size);
	pt_forward(pt, t->bar, bar_off, data, size, is_write);
}

/* No interrupt path from a sysfs device to KVM (that needs VFIO): the
 * table is emulated so the guest's programming is kept and read back. */
static void pt_msix_fire(struct msix *m, unsigned v) {}

/* --- placing BARs ------------------------------------------------------------- */

/* Moves a trapped piece to base + its offset (base 0: nowhere). -1 with
 * the reason in err if it could not be registered there. */
static int pt_trap_place(struct pt_trap *t, uint64_t base, enum io_space space, char *err, size_t errlen)
{
	if (t->registered)
		io_unregister(space, t->registered);
	t->registered = 0;
	if (!base || !t->len)
		return 0;
	if (io_register(space, base + t->off, t->len, t->name, pt_trap_io, t, err, errlen))
		return -1;
	t->registered = base + t->off;
	return 0;
}

/* Removes BAR n's memory slots, from KVM and from the registry. */
static void pt_slots_drop(struct pt_dev *pt, unsigned n)
{
	for (unsigned i = 0; i < PT_PIECES; i++) {
		if (!pt->slots[n][i])
			continue;
		kvm_memslot_set(pt->vm, pt->slots[n][i], 0, 0, NULL);
		aspace_slot_remove(pt->slots[n][i]);
		if (trace_on(TRACE_PT))
			trace_emit(TRACE_PT, "%s (host %s) piece %u: memory slot %u removed", pt->pci.bars[n].name,
				   pt->host.bdf, i, pt->slots[n][i]);
		pt->slots[n][i] = 0;
	}
}

/* Maps [gpa, gpa + len) of guest memory to hva as BAR n's piece i, in a
 * memory slot the registry hands out. 0, or -1 with errno (EEXIST: KVM
 * has a slot there that the registry does not know). */
static int pt_slot_map(struct pt_dev *pt, unsigned n, unsigned i, uint64_t gpa, uint64_t len, void *hva)
{
	unsigned slot;

	if (aspace_slot_add(ASPACE_MEMSLOT, gpa, len, pt->pci.bars[n].name, &slot, NULL, 0)) {
		errno = ENOSPC;
		return -1;
	}
	if (kvm_memslot_set(pt->vm, slot, gpa, len, hva)) {
		int e = errno;
		aspace_slot_remove(slot);
		errno = e;
		return -1;
	}
	pt->slots[n][i] = slot;
	if (trace_on(TRACE_PT))
		trace_emit(TRACE_PT, "%s (host %s) piece %u: [0x%llx, 0x%llx) mapped as memory slot %u (no exits)",
			   pt->pci.bars[n].name, pt->host.bdf, i, (unsigned long long)gpa, (unsigned long long)(gpa + len),
			   slot);
	return 0;
}

static void pt_bar_moved(struct pci_fn *p, unsigned n, uint64_t addr)
{
	struct pt_dev *pt = p->opaque;
	struct pt_bar *hb = &pt->host.bars[n];

	pt_slots_drop(pt, n);
	pt->placed[n] = 0;
	enum io_space space = hb->type == PCI_PARSE_BAR_IO ? IO_PIO : IO_MMIO;
	char why[160];
	if (!pt->map[n]) { /* trapped whole: forwarded to the device */
		pt_trap_place(&pt->whole[n], 0, space, NULL, 0);
		if (addr && pci_bar_fits(p, n, addr) && pt_trap_place(&pt->whole[n], addr, space, why, sizeof(why)))
			pci_bar_refuse(p, n, addr, why);
		pt->placed[n] = pt->whole[n].registered;
		return;
	}
	for (unsigned i = 0; i < 2; i++)
		pt_trap_place(&pt->traps[n][i], 0, space, NULL, 0);
	/* Never over RAM, another BAR or memory slot, the ECAM window or the
	 * LAPIC: a memory slot would win over what is there. */
	if (!addr || !pci_bar_fits(p, n, addr))
		return;
	for (unsigned i = 0; i < 2; i++) {
		if (pt_trap_place(&pt->traps[n][i], addr, space, why, sizeof(why))) {
			/* Only a full dispatch table gets here (the BAR fits): the
			 * page would read as unclaimed, so none of the BAR decodes. */
			for (unsigned k = 0; k < 2; k++)
				pt_trap_place(&pt->traps[n][k], 0, space, NULL, 0);
			pci_bar_refuse(p, n, addr, why);
			return;
		}
	}
	pt->placed[n] = addr;
	/* Map everything but the trapped pages: up to three pieces. */
	uint64_t cuts[6] = { 0 };
	unsigned ncuts = 0;
	for (unsigned i = 0; i < 2; i++) {
		struct pt_trap *t = &pt->traps[n][i];
		if (t->len) {
			cuts[ncuts++] = t->off;
			cuts[ncuts++] = t->off + t->len;
		}
	}
	if (ncuts == 4 && cuts[2] < cuts[0]) { /* order the two holes */
		uint64_t a = cuts[0], b = cuts[1];
		cuts[0] = cuts[2], cuts[1] = cuts[3], cuts[2] = a, cuts[3] = b;
	}
	uint64_t start = 0;
	for (unsigned i = 0; i <= ncuts; i += 2) {
		uint64_t end = i < ncuts ? cuts[i] : hb->size;
		if (end > start && pt_slot_map(pt, n, i / 2, addr + start, end - start, (uint8_t *)pt->map[n] + start)) {
			if (errno != EEXIST) { /* KVM's own trouble: said, the rest goes on */
				guest_error("%s BAR%u: cannot map [0x%llx, 0x%llx) at 0x%llx: %s (left unmapped)",
					    pt->host.bdf, n, (unsigned long long)start, (unsigned long long)end,
					    (unsigned long long)addr, strerror(errno));
				goto next;
			}
			/* Another memory slot is there that the registry does not
			 * know (it refuses what it knows): none of this BAR decodes,
			 * and the bus tries again when the map changes. */
			if (!pt->pci.bars[n].retrying)
				guest_error("%s BAR%u: cannot map [0x%llx, 0x%llx) at 0x%llx: %s (another memory slot is there): left unmapped until the map changes",
					    pt->host.bdf, n, (unsigned long long)start, (unsigned long long)end,
					    (unsigned long long)addr, strerror(errno));
			pt_slots_drop(pt, n);
			for (unsigned k = 0; k < 2; k++)
				pt_trap_place(&pt->traps[n][k], 0, space, NULL, 0);
			pt->placed[n] = 0;
			pt->pci.bars[n].refused = addr;
			return;
		}
next:
		if (i < ncuts)
			start = cuts[i + 1];
	}
}

/* --- config space ------------------------------------------------------------- */

/* COMMAND: I/O and memory enable reach the device; bus master only with
 * --unsafe-dma. STATUS writes go nowhere. */
static void pt_cfg_written(struct pci_fn *p, unsigned off, unsigned size)
{
	struct pt_dev *pt = p->opaque;

	if (trace_on(TRACE_PT) && !(off < PCI_COMMAND + 2 && off + size > PCI_COMMAND))
		trace_emit(TRACE_PT, "%s (host %s) config write at 0x%03x size %u: kept in the shadow, not forwarded",
			   p->bdf, pt->host.bdf, off, size);
	if (off < PCI_COMMAND + 2 && off + size > PCI_COMMAND) {
		uint16_t guest, host;
		memcpy(&guest, p->cfg + PCI_COMMAND, 2);
		memcpy(&host, pt->host.config + PCI_COMMAND, 2);
		uint16_t fwd = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | (pt->unsafe_dma ? PCI_COMMAND_MASTER : 0);
		uint16_t want = (uint16_t)((host & ~fwd) | (guest & fwd));
		if (trace_on(TRACE_PT))
			trace_emit(TRACE_PT, "%s (host %s) COMMAND <- 0x%04x: device gets 0x%04x (was 0x%04x)%s", p->bdf,
				   pt->host.bdf, guest, want, host,
				   (guest & PCI_COMMAND_MASTER) && !pt->unsafe_dma ? ", MASTER dropped (no --unsafe-dma)"
				   : (guest & ~fwd & 0xffff) ? ", bits other than IO|MEMORY|MASTER dropped" : "");
		if ((guest & PCI_COMMAND_MASTER) && !pt->unsafe_dma && !pt->warned_master) {
			fprintf(stderr, "vmm: %s: the guest enabled bus mastering; not passed on: without an IOMMU the device could DMA anywhere in host memory (--unsafe-dma to allow)\n",
				pt->host.bdf);
			pt->warned_master = true;
		}
		if (want != host && pt->host.config_fd >= 0 &&
		    pwrite(pt->host.config_fd, &want, 2, PCI_COMMAND) == 2) {
			memcpy(pt->host.config + PCI_COMMAND, &want, 2);
			pt->forwarded_cfg++;
		}
	}
	msix_cfg_written(&pt->msix, p, pt->msix_cap, off, size);
}

static unsigned pt_cap_len(const struct pci_parse_cap *c, const uint8_t *cfg)
{
	switch (c->id) {
	case PCI_CAP_ID_MSIX: return PCI_CAP_MSIX_SIZEOF;
	case PCI_CAP_ID_VNDR: return c->len >= 3 ? c->len : 3;
	case PCI_CAP_ID_EXP: return 0x3c; /* PCIe capability, version 2 */
	case PCI_CAP_ID_MSI: {
		uint16_t flags;
		memcpy(&flags, cfg + c->offset + 2, 2);
		return 10 + ((flags & 0x80) ? 4 : 0) + ((flags & 0x100) ? 10 : 0); /* 64-bit, per-vector masking */
	}
	}
	return 0;
}

/* One capability the guest will see: where, how many bytes of the
 * device's it shows, and the parser's decode. */
struct pt_cap {
	const struct pci_parse_cap *c;
	uint16_t off, len;
};

/* Which capabilities claim their bytes first: the emulated ones (their
 * registers are the VMM's), then PCI Express, then vendor-specific (whose
 * length is whatever its cap_len byte says). */
static unsigned pt_cap_rank(uint16_t id)
{
	return id == PCI_CAP_ID_MSIX || id == PCI_CAP_ID_MSI ? 0 : id == PCI_CAP_ID_EXP ? 1 : 2;
}

/* Chooses the capabilities the guest sees, in list order, into caps[]:
 * allowed ones, each within 0x40..0xff and over bytes no other claims.
 * A vendor-specific capability that runs past 0xff or over another is
 * clipped to end where the other starts (if its three header bytes still
 * fit); any other that does is refused; each is said on stderr. */
static unsigned pt_caps_choose(const struct pt_dev *pt, const struct pci_parse_info *info, struct pt_cap *caps,
			       unsigned max)
{
	const uint8_t *hc = pt->host.config;
	struct pt_cap cand[PCI_PARSE_MAX_CAPS];
	bool ok[PCI_PARSE_MAX_CAPS] = { false };
	unsigned n = 0;

	for (unsigned i = 0; i < info->ncaps && n < PCI_PARSE_MAX_CAPS; i++) {
		const struct pci_parse_cap *c = &info->caps[i];
		unsigned len = c->extended ? 0 : pt_cap_len(c, hc);
		if (!len || c->offset < 0x40 || c->offset >= 256) /* not allowed, or in the header */
			continue;
		if (c->id == PCI_CAP_ID_MSIX && (c->kind != PCI_PARSE_CAP_MSIX || c->u.msix.table_bar > 5 ||
						 c->u.msix.pba_bar > 5)) {
			fprintf(stderr, "vmm: %s: MSI-X capability at 0x%02x: its table or PBA is in no BAR: refused\n",
				pt->host.bdf, c->offset);
			continue;
		}
		cand[n++] = (struct pt_cap){ .c = c, .off = c->offset, .len = (uint16_t)len };
	}
	for (unsigned rank = 0; rank < 3; rank++) {
		for (unsigned i = 0; i < n; i++) {
			struct pt_cap *k = &cand[i];
			if (pt_cap_rank(k->c->id) != rank)
				continue;
			bool vndr = k->c->id == PCI_CAP_ID_VNDR;
			unsigned end = k->off + k->len, fit = end;
			const char *why = NULL;
			const struct pt_cap *other = NULL;
			if (end > 256) {
				fit = 256;
				why = "runs past 0xff";
			}
			for (unsigned j = 0; j < n; j++) {
				const struct pt_cap *o = &cand[j];
				if (!ok[j] || o->off + o->len <= k->off || o->off >= fit)
					continue;
				/* o starts inside k, or k inside o (then nothing fits) */
				if (!other || o->off < other->off)
					other = o;
				fit = o->off > k->off ? o->off : k->off;
			}
			/* The same emulated capability twice: the first one is it. */
			for (unsigned j = 0; j < n && !other && rank == 0; j++)
				if (ok[j] && cand[j].c->id == k->c->id) {
					other = &cand[j];
					fit = k->off;
				}
			if (fit == end) {
				ok[i] = true;
				continue;
			}
			ok[i] = vndr && fit - k->off >= 3;
			if (other)
				fprintf(stderr, "vmm: %s: capability 0x%02x at 0x%02x (%u bytes) overlaps capability 0x%02x at 0x%02x: ",
					pt->host.bdf, k->c->id, k->off, k->len, other->c->id, other->off);
			else
				fprintf(stderr, "vmm: %s: capability 0x%02x at 0x%02x (%u bytes) %s: ", pt->host.bdf,
					k->c->id, k->off, k->len, why);
			if (ok[i]) {
				fprintf(stderr, "clipped to %u bytes\n", fit - k->off);
				k->len = (uint16_t)(fit - k->off);
			} else {
				fprintf(stderr, "refused\n");
			}
		}
	}
	unsigned m = 0;
	for (unsigned i = 0; i < n && m < max; i++)
		if (ok[i])
			caps[m++] = cand[i];
	return m;
}

static void pt_cfg_build(struct pt_dev *pt)
{
	struct pci_fn *p = &pt->pci;
	const uint8_t *hc = pt->host.config;
	static struct pci_parse_info info;
	struct pt_cap caps[48];
	uint16_t vendor, device;

	memcpy(&vendor, hc + PCI_VENDOR_ID, 2);
	memcpy(&device, hc + PCI_DEVICE_ID, 2);
	pci_fn_init(p, "passthrough", vendor, device, pt->host.class_code, hc[PCI_CLASS_REVISION]);
	memcpy(p->cfg, hc, 0x40);                       /* the header as the device has it */
	memset(p->cfg + PCI_BASE_ADDRESS_0, 0, 24);     /* BARs: virtual, set below */
	memset(p->cfg + PCI_ROM_ADDRESS, 0, 4);         /* expansion ROM: hidden */
	memset(p->cfg + PCI_COMMAND, 0, 2);             /* decoding off until the guest says */
	p->cfg[PCI_CAPABILITY_LIST] = 0;
	memset(p->w1cmask + PCI_STATUS, 0, 2);          /* STATUS writes are dropped */
	uint16_t status;
	memcpy(&status, p->cfg + PCI_STATUS, 2);
	status &= (uint16_t)~PCI_STATUS_CAP_LIST;

	for (unsigned n = 0; n < 6; n++) {
		struct pt_bar *hb = &pt->host.bars[n];
		if (!hb->size)
			continue;
		pci_fn_bar(p, n, hb->type, hb->prefetchable, hb->size, NULL, NULL);
		p->bars[n].moved = pt_bar_moved;
	}

	/* The allowed capabilities, at their own offsets, none over another:
	 * first every copied byte, then every emulated register on top. */
	pci_parse_config(hc, pt->host.config_len, &info);
	unsigned ncaps = pt_caps_choose(pt, &info, caps, sizeof(caps) / sizeof(caps[0]));
	for (unsigned i = 0; i < ncaps; i++)
		memcpy(p->cfg + caps[i].off, hc + caps[i].off, caps[i].len);
	uint16_t last = 0;
	for (unsigned i = 0; i < ncaps; i++) {
		const struct pci_parse_cap *c = caps[i].c;
		uint16_t off = caps[i].off;
		p->cfg[off + PCI_CAP_LIST_NEXT] = 0;
		if (last)
			p->cfg[last + PCI_CAP_LIST_NEXT] = (uint8_t)off;
		else
			p->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
		last = off;
		status |= PCI_STATUS_CAP_LIST;
		if (c->id == PCI_CAP_ID_VNDR) {
			p->cfg[off + PCI_CAP_FLAGS] = (uint8_t)caps[i].len; /* cap_len, as clipped */
		} else if (c->id == PCI_CAP_ID_MSIX) { /* its BIRs checked in pt_caps_choose() */
			pt->msix_cap = off;
			pt->msix_bar[0] = c->u.msix.table_bar;
			pt->msix_bar[1] = c->u.msix.pba_bar;
			pt->msix_off[0] = c->u.msix.table_offset;
			pt->msix_off[1] = c->u.msix.pba_offset;
			pt->msix_host_n = c->u.msix.table_size;
			msix_init(&pt->msix, c->u.msix.table_size < PT_MSIX_OFFERED ? c->u.msix.table_size : PT_MSIX_OFFERED,
				  pt_msix_fire, NULL, pt);
			pt->msix.name = pt->host.bdf; /* the trace's name: the host device */
			/* Enable and function mask are the guest's; the device's own
			 * MSI-X state is not touched. The guest is offered as many
			 * vectors as we emulate (at most PT_MSIX_OFFERED). */
			uint16_t ctl = (uint16_t)(pt->msix.nvec - 1);
			memcpy(p->cfg + off + PCI_MSIX_FLAGS, &ctl, 2);
			msix_cap_open(p, off);
		} else if (c->id == PCI_CAP_ID_MSI) {
			/* Emulated: the guest may program it, the device never sees it. */
			memset(p->wmask + off + 4, 0xff, caps[i].len - 4u);
			p->wmask[off + 2] = 0x71; /* enable, multiple message enable */
			p->cfg[off + 2] &= (uint8_t)~0x71;
		}
	}
	memcpy(p->cfg + PCI_STATUS, &status, 2);
	p->opaque = pt;
	p->cfg_written = pt_cfg_written;
}

/* Trapped pieces of memory BAR n: the pages holding the MSI-X table and
 * the PBA; and, for a BAR that cannot be mapped, all of it. */
static void pt_traps_plan(struct pt_dev *pt, unsigned n, unsigned bdf)
{
	struct pt_bar *hb = &pt->host.bars[n];
	static const char *const what[2] = { "MSI-X table page", "MSI-X PBA page" };

	pt->whole[n] = (struct pt_trap){ .pt = pt, .bar = n, .off = 0, .len = hb->size };
	snprintf(pt->whole[n].name, sizeof(pt->whole[n].name), "%02x:%02x.%u passthrough BAR%u (trapped)",
		 PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), n);
	for (unsigned i = 0; i < 2; i++) {
		struct pt_trap *t = &pt->traps[n][i];
		*t = (struct pt_trap){ .pt = pt, .bar = n };
		if (!pt->msix_cap || pt->msix_bar[i] != n)
			continue;
		uint64_t start = pt->msix_off[i] & ~(PT_PAGE - 1);
		uint64_t end = (pt->msix_off[i] + pt_msix_len(pt, i) + PT_PAGE - 1) & ~(PT_PAGE - 1);
		if (end > hb->size)
			end = hb->size;
		t->off = start;
		t->len = end > start ? end - start : 0;
		snprintf(t->name, sizeof(t->name), "%02x:%02x.%u passthrough BAR%u (%s)", PCI_BDF_BUS(bdf),
			 PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), n, what[i]);
	}
	/* Table and PBA pages that meet (the same page, or a large table
	 * running into the PBA's): one trap over both. */
	struct pt_trap *a = &pt->traps[n][0], *b = &pt->traps[n][1];
	if (a->len && b->len && a->off <= b->off + b->len && b->off <= a->off + a->len) {
		uint64_t lo = a->off < b->off ? a->off : b->off;
		uint64_t hi = a->off + a->len > b->off + b->len ? a->off + a->len : b->off + b->len;
		a->off = lo;
		a->len = hi - lo;
		b->len = 0;
	}
}

int passthrough_add(struct vm *vm, const struct pt_host *host, bool unsafe_dma, unsigned bdf, char *err,
		    size_t errlen)
{
	if (npts == PT_MAX)
		return errmsg(err, errlen, "--passthrough: at most %d devices", PT_MAX);
	struct pt_dev *pt = &pts[npts];
	memset(pt, 0, sizeof(*pt));
	pt->host = *host;
	pt->vm = vm;
	pt->unsafe_dma = unsafe_dma;
	pt_cfg_build(pt);
	for (unsigned n = 0; n < 6; n++) {
		struct pt_bar *hb = &pt->host.bars[n];
		if (!hb->size)
			continue;
		pt_traps_plan(pt, n, bdf);
		if (hb->mappable) {
			void *m = mmap(NULL, hb->size, PROT_READ | PROT_WRITE, MAP_SHARED, hb->fd, 0);
			if (m == MAP_FAILED)
				fprintf(stderr, "vmm: %s BAR%u: mmap of resource%u failed (%s): trapped instead\n",
					pt->host.bdf, n, n, strerror(errno));
			else
				pt->map[n] = m;
		}
	}
	if (unsafe_dma)
		fprintf(stderr, "vmm: --unsafe-dma: %s may master the bus: with no IOMMU on this path its DMA can read and write any host memory\n",
			pt->host.bdf);
	char why[160];
	if (pcibus_add(&pt->pci, bdf, why, sizeof(why)))
		return errmsg(err, errlen, "--passthrough %s: %s", pt->host.bdf, why);
	pt->pci.vm = vm;
	npts++;
	return 0;
}

void passthrough_stats(void)
{
	for (unsigned i = 0; i < npts; i++) {
		struct pt_dev *pt = &pts[i];
		for (unsigned n = 0; n < 6; n++) {
			struct pt_bar *hb = &pt->host.bars[n];
			if (!hb->size)
				continue;
			uint64_t trapped = pt->map[n] ? pt->traps[n][0].len + pt->traps[n][1].len : hb->size;
			if (!pt->placed[n]) {
				fprintf(stderr, "stats: passthrough %s at %s BAR%u: %llu KiB, not mapped at the end (not decoded, or refused)\n",
					pt->host.bdf, pt->pci.bdf, n, (unsigned long long)(hb->size >> 10));
				continue;
			}
			fprintf(stderr, "stats: passthrough %s at %s BAR%u: %llu KiB at 0x%llx, %llu KiB mapped (no exits), %llu KiB trapped\n",
				pt->host.bdf, pt->pci.bdf, n, (unsigned long long)(hb->size >> 10),
				(unsigned long long)pt->placed[n],
				(unsigned long long)((hb->size - trapped) >> 10), (unsigned long long)(trapped >> 10));
		}
		fprintf(stderr, "stats: passthrough %s: %llu config writes forwarded to the device\n", pt->host.bdf,
			(unsigned long long)pt->forwarded_cfg);
	}
}
