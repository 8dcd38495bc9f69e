/*
 * chaos.c - chaos=SEED[,COUNT]: a guest that attacks its VMM at random.
 *
 * From one seed (xorshift64*: the same seed replays the same run), it
 * first feeds virtio-blk's queue random descriptor chains (loops, rings
 * used as buffers, MMIO, huge lengths, indices that jump, resets in the
 * middle of a request: chaos_queue), then makes COUNT accesses of
 * every size and alignment to everything the VMM handles:
 *
 *   - ports: 0xCF8/0xCFC, COM1, the PIC and PIT, the exitlab console
 *     port, every I/O BAR, and any port at all;
 *   - config space through ECAM, at random offsets of every function
 *     on every bus of the window, and aimed at BARs: moved onto RAM,
 *     onto each other, onto the ECAM window, the LAPIC page, above 4 GiB,
 *     or sized with all ones; and COMMAND, MSI-X control, anything;
 *   - MMIO: every memory BAR (virtio registers, MSI-X tables and PBAs,
 *     passed-through pages), the ECAM window, the hole below 4 GiB, and
 *     reads of the local APIC and IOAPIC pages.
 *
 * What it must not do is hurt itself, so that it lives to the end and
 * reports: it never writes its own RAM, the exit port, the ports that
 * reset a PC (0x64, 0x92, 0xCF9) or the LAPIC, and it sends itself no
 * NMI or INIT through an MSI-X entry (both end any guest). A VMM
 * passes when the guest prints its summary and exits 0, and the VMM
 * neither crashed, nor hung, nor wrote where it must not (the tests
 * check the disk image and the passthrough fixture from outside).
 */
#include "chaos.h"

#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"
#include "pci.h"
#include "pci_parse.h"
#include "pci_regs.h"
#include "virtio_transport.h"

#define CHAOS_DEFAULT_COUNT 20000
#define CHAOS_MAX_COUNT 10000000
#define CHAOS_QUEUE_ROUNDS 200
#define CHAOS_MAX_RANGES 48
#define LAPIC_BASE 0xfee00000u
#define IOAPIC_BASE 0xfec00000u

static uint64_t chaos_state;

/* xorshift64* (Vigna): small, fast, and good enough to aim accesses. */
static uint64_t chaos_rand(void)
{
	chaos_state ^= chaos_state >> 12;
	chaos_state ^= chaos_state << 25;
	chaos_state ^= chaos_state >> 27;
	return chaos_state * 0x2545f4914f6cdd1dull;
}

/* --- 1. The rings: random chains on virtio-blk's queue 0 ------------------ */

/* What the chains point at, besides everything else. */
static struct virtio_blk_req_hdr chaos_hdr NOINIT_DMA;
static uint8_t chaos_data[4096] NOINIT_DMA;

/* A descriptor address chosen to hurt: the rings themselves, our buffers,
 * MMIO, the edges of RAM and of the address space, or anything. */
static uint64_t chaos_addr(const struct gvirtio *v, uint64_t r)
{
	switch (r % 8) {
	case 0: return (uintptr_t)v->vq[0].desc + (r >> 8) % 64;   /* the descriptor table */
	case 1: return (uintptr_t)v->vq[0].avail + (r >> 8) % 32;  /* the available ring */
	case 2: return (uintptr_t)v->vq[0].used + (r >> 8) % 64;   /* the used ring */
	case 3: return (uintptr_t)chaos_data + (r >> 8) % sizeof(chaos_data); /* a buffer of ours */
	case 4: return v->common + (r >> 8) % 64;               /* MMIO: common cfg */
	case 5: return (r >> 8) & 0xffffffffull;                /* anywhere below 4 GiB */
	case 6: return ~0ull - (r >> 8) % 0x10000;              /* the top of the space */
	default: return r;
	}
}

static uint32_t chaos_len(uint64_t r)
{
	static const uint32_t lens[] = { 0, 1, 15, 16, 17, 512, 513, 4096, 0x10000, 0x7fffffff, 0xffffffff };
	return r % 2 ? lens[(r >> 1) % ARRAY_SIZE(lens)] : (uint32_t)(r >> 32);
}

/* One round on virtio-blk's queue 0: random descriptors and ring indices,
 * notified, then the device reset. Returns the descriptors written, 0 if
 * there is no virtio-blk to attack. */
static unsigned chaos_queue(void)
{
	virtio_irq_set(false);
	struct virtio_dev *d = virtio_dev_get(&blk_dev);
	if (!d)
		return 0;
	struct gvirtio *v = &d->v;
	struct gvq *q = &v->vq[0];
	/* Random descriptors: loops, rings as buffers, MMIO, huge lengths. */
	unsigned n = 1 + (unsigned)(chaos_rand() % q->size);
	for (unsigned i = 0; i < n; i++) {
		uint64_t r = chaos_rand();
		q->desc[i] = (struct virtq_desc){ chaos_addr(v, chaos_rand()), chaos_len(chaos_rand()), (uint16_t)(r & 7),
						  (uint16_t)((uint16_t)(r >> 8) % (r & 0x800 ? 0xffff : q->size)) };
	}
	uint64_t r = chaos_rand();
	/* A good header now and then, so the requests reach the disk code. */
	if (r % 3 == 0) {
		chaos_hdr = (struct virtio_blk_req_hdr){ .type = (uint32_t)(r >> 8) % 10, .sector = (r >> 16) % 4096 };
		q->desc[0] = (struct virtq_desc){ (uintptr_t)&chaos_hdr, sizeof(chaos_hdr), VIRTQ_DESC_F_NEXT, 1 };
	}
	q->avail->ring[q->avail->idx % q->size] = (uint16_t)(r & 0x100 ? r >> 20 : 0);
	if (r & 0x200) /* used ring scribbled over, as a confused driver would */
		q->used->idx = (uint16_t)(r >> 24);
	mb();
	q->avail->idx = (uint16_t)(q->avail->idx + (r & 0x400 ? (r >> 40) % 0x20000 : 1));
	mb();
	gvirtio_notify(v);
	if (r & 0x1000) /* reset in the middle of the request */
		mmio_write8(GVIRTIO_CFG(v, device_status), 0);
	/* Let the I/O thread look, then start over from a clean device. */
	for (unsigned i = 0; i < 16; i++)
		(void)mmio_read8(GVIRTIO_CFG(v, device_status));
	d->started = false;
	return n;
}

/* --- 2. Everything else: random accesses ------------------------------------- */

enum chaos_kind { CHAOS_PIO, CHAOS_MMIO, CHAOS_MMIO_READ_ONLY };

struct chaos_range {
	uint8_t kind;
	uint64_t base, len;
};

static struct chaos_range ranges[CHAOS_MAX_RANGES];
static unsigned nranges;
static uint64_t ecam_base, ecam_len;

static void chaos_range_add(enum chaos_kind kind, uint64_t base, uint64_t len)
{
	if (nranges < CHAOS_MAX_RANGES && len)
		ranges[nranges++] = (struct chaos_range){ (uint8_t)kind, base, len };
}

/* Ports a write to which would end or reset the guest itself. */
static bool chaos_port_forbidden(uint32_t port, unsigned size)
{
	static const uint16_t bad[] = { 0x64, 0x92, 0xcf9, EXITLAB_PORT_EXIT, EXITLAB_PORT_EXIT + 1,
					EXITLAB_PORT_EXIT + 2, EXITLAB_PORT_EXIT + 3 };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (bad[i] >= port && bad[i] < port + size)
			return true;
	return false;
}

/* What the VMM handles: fixed ports, the ECAM window, every BAR found. */
static void chaos_map(void)
{
	chaos_range_add(CHAOS_PIO, PCI_CF8_ADDRESS_PORT, 8);   /* config mechanism #1: 0xcf8-0xcff */
	chaos_range_add(CHAOS_PIO, EXITLAB_PORT_COM1, 8);      /* the 16550 */
	chaos_range_add(CHAOS_PIO, EXITLAB_PORT_CONSOLE, 4);   /* buffered console */
	chaos_range_add(CHAOS_PIO, 0x20, 2);                   /* PIC */
	chaos_range_add(CHAOS_PIO, 0xa0, 2);
	chaos_range_add(CHAOS_PIO, 0x40, 4);                   /* PIT */
	chaos_range_add(CHAOS_PIO, 0, 0x10000);                /* any port */
	chaos_range_add(CHAOS_MMIO_READ_ONLY, LAPIC_BASE, 0x1000);
	chaos_range_add(CHAOS_MMIO_READ_ONLY, IOAPIC_BASE, 0x100);
	chaos_range_add(CHAOS_MMIO, 0xe0000000u, 0x1ec00000u); /* the hole below the IOAPIC */
	ecam_base = pci_ecam_address(0, 0);
	if (ecam_base) {
		unsigned bus = 0;
		while (bus < 255 && pci_ecam_address(PCI_BDF(bus + 1, 0, 0), 0))
			bus++;
		ecam_len = (uint64_t)(bus + 1) * PCI_ECAM_BUS_SIZE;
		chaos_range_add(CHAOS_MMIO, ecam_base, ecam_len);
	}
	for (unsigned i = 0; pci_func_get(i); i++) {
		const struct pci_func *f = pci_func_get(i);
		for (unsigned j = 0; j < f->nbars; j++) {
			const struct pci_bar *b = &f->bars[j];
			if (!b->size || !b->addr)
				continue;
			if (b->type == PCI_PARSE_BAR_IO)
				chaos_range_add(CHAOS_PIO, b->addr, b->size);
			else if (pci_bar_below_4g(b))
				chaos_range_add(CHAOS_MMIO, b->addr, b->size);
		}
	}
}

/* A value for a BAR register that hurts: RAM, another BAR, ECAM, the
 * LAPIC page, all ones (sizing), above 4 GiB (a 64-bit BAR's top half). */
static uint32_t chaos_bar_value(uint64_t r)
{
	const struct chaos_range *other = &ranges[(r >> 8) % nranges];
	switch (r % 7) {
	case 0: return (uint32_t)((r >> 16) & 0x3ffff000u);   /* guest RAM */
	case 1: return (uint32_t)other->base;                 /* another range */
	case 2: return (uint32_t)ecam_base;
	case 3: return LAPIC_BASE;
	case 4: return 0xffffffffu;                           /* sizing */
	case 5: return (uint32_t)(r >> 40) & 0xff;            /* a top half: above 4 GiB */
	default: return (uint32_t)(r >> 32);
	}
}

static unsigned chaos_size(uint64_t r, bool pio)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	return sizes[r % (pio ? 3 : 4)];
}

/* One access somewhere in range g, any size and alignment. */
static void chaos_access(const struct chaos_range *g, uint64_t *counts)
{
	uint64_t r = chaos_rand(), v = chaos_rand();
	bool write = r & 1 && g->kind != CHAOS_MMIO_READ_ONLY;
	unsigned size = chaos_size(r >> 1, g->kind == CHAOS_PIO);
	uint64_t a = g->base + (r >> 8) % g->len;

	if (g->kind == CHAOS_PIO) {
		uint16_t port = (uint16_t)a;
		/* Past port 0xffff the TSS's I/O bitmap ends: a #GP at CPL 3. */
		if ((uint32_t)port + size > 0x10000 || (write && chaos_port_forbidden(port, size)))
			return;
		if (write && port == EXITLAB_PORT_CONSOLE)
			v &= 0x3fffffff; /* a buffer somewhere in RAM, aligned or not */
		if (write)
			size == 1 ? outb(port, (uint8_t)v) : size == 2 ? outw(port, (uint16_t)v) : outl(port, (uint32_t)v);
		else
			(void)(size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port));
		counts[0]++;
		return;
	}
	if (a + size > (1ull << 32) || (a >= LAPIC_BASE && a < LAPIC_BASE + 0x1000 && write))
		return;
	if (write && ecam_len && a >= ecam_base && a < ecam_base + ecam_len && (r & 0x10)) {
		/* Aim at a BAR register (0x10-0x27) of this function instead. */
		a = (a & ~(uint64_t)(PCI_ECAM_FN_SIZE - 1)) + PCI_BASE_ADDRESS_0 + 4 * ((r >> 5) % PCI_STD_NUM_BARS);
		size = 4;
		v = chaos_bar_value(v);
	}
	/* An MSI-X entry's data dword (offset 8 of 16): never an NMI or INIT
	 * (delivery modes 4, 5) aimed at ourselves, fatal to any guest. */
	if (write && size >= 4 && a % PCI_MSIX_ENTRY_SIZE == PCI_MSIX_ENTRY_DATA)
		v &= ~0x700ull;
	if (write) {
		switch (size) {
		case 1: mmio_write8(a, (uint8_t)v); break;
		case 2: mmio_write16(a, (uint16_t)v); break;
		case 4: mmio_write32(a, (uint32_t)v); break;
		default: mmio_write64(a, v); break;
		}
	} else {
		switch (size) {
		case 1: (void)mmio_read8(a); break;
		case 2: (void)mmio_read16(a); break;
		case 4: (void)mmio_read32(a); break;
		default: (void)mmio_read64(a); break;
		}
	}
	bool cfg = ecam_len && a >= ecam_base && a < ecam_base + ecam_len;
	counts[cfg ? 2 : 1]++;
}

int chaos_action(const char *val, size_t len, bool dry_run)
{
	size_t comma = 0;
	uint64_t seed, count = CHAOS_DEFAULT_COUNT;

	while (comma < len && val[comma] != ',')
		comma++;
	if (!parse_u64(val, comma, &seed) ||
	    (comma < len && (!parse_u64(val + comma + 1, len - comma - 1, &count) || count > CHAOS_MAX_COUNT))) {
		printf("error: chaos: '%.*s' is not SEED[,COUNT] (COUNT up to %u)\n", (int)len, val, CHAOS_MAX_COUNT);
		return EXITLAB_EXIT_USAGE;
	}
	if (dry_run)
		return EXITLAB_EXIT_OK;
	chaos_state = seed * 0x9e3779b97f4a7c15ull + 1; /* never 0 */
	uint64_t counts[3] = { 0 }, descs = 0;
	unsigned rounds = 0;

	pci_bus_ready();
	/* 1. The rings, while the device is where enumeration put it. */
	for (; rounds < CHAOS_QUEUE_ROUNDS; rounds++) {
		unsigned n = chaos_queue();
		if (!n)
			break;
		descs += n;
	}
	/* 2. Everything else, BARs moving under it. */
	chaos_map();
	for (uint64_t i = 0; i < count; i++)
		chaos_access(&ranges[chaos_rand() % nranges], counts);
	printf("\nchaos: seed %lu: %u queue rounds (%lu descriptors), %lu accesses: %lu port, %lu MMIO, %lu config (ECAM), over %u ranges\n",
	       seed, rounds, descs, counts[0] + counts[1] + counts[2], counts[0], counts[1], counts[2], nranges);
	printf("chaos: the guest is still here\n");
	return EXITLAB_EXIT_OK;
}
