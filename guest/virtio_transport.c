/*
 * virtio_transport.c - the virtio-pci transport, guest side
 * (virtio_transport.h): the PCI functions that are virtio devices, their
 * virtio structures' addresses, MSI-X, and the start of a device.
 *
 * A device is found by its PCI ID (0x1040 + virtio type for a modern one,
 * a transitional one's type in its subsystem ID, virtio 1.x §4.1.2), its
 * virtio capabilities decoded by the shared parser (pci_parse.c), and
 * each structure's address computed as BAR + offset, once it is checked to
 * lie whole inside a memory BAR the guest maps. Devices start lazily, at
 * the first action that needs them, with completion by polling or by
 * MSI-X as irq= says: then the transport aims MSI-X entry 0 at this CPU
 * and counts the interrupts. Every buffer a device reads or writes is
 * static and identity-mapped, so its virtual address is its physical one.
 */
#include "virtio_transport.h"

#include "apic.h"
#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"
#include "pci.h"
#include "pci_parse.h"
#include "pci_regs.h"
#include "trap.h"
#include "virtio_pci.h"

/* The drivers, one file each: a new device type is a new file and a line here. */
static struct virtio_dev *const devs[] = { &blk_dev, &rng_dev };

static bool probed, use_msix;
static bool no_event_idx; /* virtio.event_idx=0 */

/* Written before read at every device found. */
static uint8_t cfg_bytes[PCI_CFG_SPACE_SIZE] NOINIT;
static struct pci_parse_info cfg_info NOINIT;

void virtio_irq_set(bool msix) { use_msix = msix; }
const char *virtio_irq_name(void) { return use_msix ? "msix" : "poll"; }

/* The interrupt handler of every device vector: counts it for its device. */
static void virtio_irq_count(unsigned vector)
{
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++)
		if (devs[i]->vector == vector)
			devs[i]->v.irqs++;
	apic_eoi();
}

/* Why BAR i of f cannot hold MMIO registers for us, or NULL if it can: a
 * memory BAR with an address, wholly in the low 4 GiB the guest maps. */
static const char *virtio_dev_bar_unusable(const struct pci_func *f, unsigned i)
{
	const struct pci_bar *b = &f->bars[i];

	if (i < f->nbars && b->type == PCI_PARSE_BAR_MEM64_HI)
		return "the upper half of a 64-bit BAR";
	if (i >= f->nbars || !b->size)
		return "not implemented";
	if (b->type == PCI_PARSE_BAR_IO)
		return "an I/O BAR (this driver uses memory BARs only)";
	if (!b->addr)
		return "not assigned an address";
	if (!pci_bar_below_4g(b))
		return "not within the mapped low 4 GiB";
	return NULL;
}

/* Address of one virtio structure, BAR + offset, if the guest reaches it. */
static uintptr_t virtio_dev_struct_addr(struct virtio_dev *d, const struct pci_func *f, uint8_t cfg_type)
{
	/* What each structure must hold at least (Linux's vp_modern_probe
	 * checks the same): the 1.0 common fields, one 16-bit notify, the ISR. */
	static const uint32_t min_len[] = {
		[VIRTIO_PCI_CAP_COMMON_CFG] = VIRTIO_PCI_COMMON_CFG_V1_0_SIZE,
		[VIRTIO_PCI_CAP_NOTIFY_CFG] = sizeof(uint16_t),
		[VIRTIO_PCI_CAP_ISR_CFG] = sizeof(uint8_t),
		[VIRTIO_PCI_CAP_DEVICE_CFG] = 0,
	};
	const struct pci_parse_cap *c = pci_parse_virtio_find(&cfg_info, cfg_type);
	if (!c) {
		printf("error: %s: no usable %s capability\n", d->v.name, pci_parse_virtio_cfg_name(cfg_type));
		return 0;
	}
	const struct pci_parse_virtio *v = &c->u.virtio;
	const char *why = virtio_dev_bar_unusable(f, v->bar);
	if (why) {
		printf("error: %s: %s structure is in BAR%u, which is %s\n", d->v.name,
		       pci_parse_virtio_cfg_name(cfg_type), v->bar, why);
		return 0;
	}
	if (cfg_type < ARRAY_SIZE(min_len) && v->length < min_len[cfg_type]) {
		printf("error: %s: %s structure is 0x%lx bytes, shorter than the 0x%x it must hold\n", d->v.name,
		       pci_parse_virtio_cfg_name(cfg_type), v->length, min_len[cfg_type]);
		return 0;
	}
	/* The structure must lie inside its BAR (offset and length are 32-bit:
	 * no overflow), and so in the low 4 GiB: a device that says otherwise
	 * is not touched. */
	const struct pci_bar *bar = &f->bars[v->bar];
	if (v->offset + v->length > bar->size) {
		printf("error: %s: %s structure at BAR%u+0x%lx (0x%lx bytes) runs past the end of its BAR "
		       "(0x%lx bytes)\n", d->v.name, pci_parse_virtio_cfg_name(cfg_type), v->bar, v->offset, v->length, bar->size);
		return 0;
	}
	if (cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
		d->v.notify_mult = v->notify_off_multiplier;
		d->v.notify_len = (uint32_t)v->length;
		d->v.notify_bar = v->bar;
		d->v.notify_bar_addr = bar->addr;
		d->v.notify_cap_off = (uint32_t)v->offset;
	}
	return (uintptr_t)(bar->addr + v->offset);
}

/* Where the MSI-X table is, if the device's capability is usable: in a
 * BAR we can map, whole (PCI 3.0 §6.8.2.4: table_size entries of 16 bytes). */
static void virtio_dev_msix_find(struct virtio_dev *d, const struct pci_func *f)
{
	const struct pci_parse_cap *m = pci_parse_cap_find(&cfg_info, PCI_CAP_ID_MSIX, false);
	if (!m)
		return;
	if (m->kind != PCI_PARSE_CAP_MSIX) {
		printf("error: %s: MSI-X capability at 0x%x runs past config space: MSI-X not used\n", d->v.name,
		       m->offset);
		return;
	}
	if (m->malformed) { /* the parser's only MSI-X check: a BIR above 5 */
		bool table = m->u.msix.table_bar >= PCI_STD_NUM_BARS;
		printf("error: %s: MSI-X capability at 0x%x puts its %s in BAR%u, above 5: MSI-X not used\n",
		       d->v.name, m->offset, table ? "table" : "PBA", table ? m->u.msix.table_bar : m->u.msix.pba_bar);
		return;
	}
	const struct pci_parse_msix *x = &m->u.msix;
	const char *why = virtio_dev_bar_unusable(f, x->table_bar);
	uint64_t bytes = (uint64_t)x->table_size * PCI_MSIX_ENTRY_SIZE;
	if (why) {
		printf("error: %s: MSI-X table is in BAR%u, which is %s: MSI-X not used\n", d->v.name, x->table_bar,
		       why);
		return;
	}
	if (x->table_offset + bytes > f->bars[x->table_bar].size) {
		printf("error: %s: MSI-X table (%u entries at BAR%u+0x%x) runs past the end of its BAR (0x%lx bytes): "
		       "MSI-X not used\n", d->v.name, x->table_size, x->table_bar, x->table_offset,
		       f->bars[x->table_bar].size);
		return;
	}
	d->msix_cap = m->offset;
	d->msix_table = (uintptr_t)(f->bars[x->table_bar].addr + x->table_offset);
}

static void virtio_dev_attach(struct virtio_dev *d, const struct pci_func *f)
{
	d->bdf = f->bdf;
	d->msix_cap = 0; /* nothing kept from a device of this type that failed */
	pci_cfg_read_block(f->bdf, 0, cfg_bytes, sizeof(cfg_bytes));
	pci_parse_config(cfg_bytes, sizeof(cfg_bytes), &cfg_info);
	/* A transitional device is driven like a modern one, through its
	 * virtio capabilities (as Linux's virtio-pci modern driver does), with
	 * VIRTIO_F_VERSION_1; its legacy I/O BAR is left alone. One with no
	 * capabilities at all is legacy-only: said, and not driven. */
	if (f->device_id < VIRTIO_PCI_DEVICE_ID_MODERN_BASE && !pci_parse_virtio_find(&cfg_info, VIRTIO_PCI_CAP_COMMON_CFG)) {
		printf("error: %s: %02x:%02x.%x (%04x) is a legacy-only virtio device (no virtio-pci capabilities): "
		       "not driven; this driver speaks virtio 1.x\n", d->v.name, PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf),
		       PCI_BDF_FN(f->bdf), f->device_id);
		d->broken = true;
		return;
	}
	d->v.common = virtio_dev_struct_addr(d, f, VIRTIO_PCI_CAP_COMMON_CFG);
	d->v.notify_base = virtio_dev_struct_addr(d, f, VIRTIO_PCI_CAP_NOTIFY_CFG);
	d->v.isr = virtio_dev_struct_addr(d, f, VIRTIO_PCI_CAP_ISR_CFG);
	d->v.device_cfg = d->reads_device_cfg ? virtio_dev_struct_addr(d, f, VIRTIO_PCI_CAP_DEVICE_CFG) : 0;
	d->found = d->v.common && d->v.notify_base && d->v.isr && (!d->reads_device_cfg || d->v.device_cfg);
	d->broken = !d->found;
	virtio_dev_msix_find(d, f);
}

/* The virtio device type of f (VIRTIO_ID_*), 0 if it is not one. A
 * modern device says it in its device ID (0x1040 + type, §4.1.2.1); a
 * transitional one (0x1000-0x103f) in its subsystem device ID. */
static uint16_t virtio_dev_type(const struct pci_func *f)
{
	if (f->vendor_id != VIRTIO_PCI_VENDOR_ID || f->device_id < VIRTIO_PCI_DEVICE_ID_MIN ||
	    f->device_id > VIRTIO_PCI_DEVICE_ID_MAX)
		return 0;
	if (f->device_id >= VIRTIO_PCI_DEVICE_ID_MODERN_BASE)
		return (uint16_t)(f->device_id - VIRTIO_PCI_DEVICE_ID_MODERN_BASE);
	if (f->device_id > VIRTIO_PCI_DEVICE_ID_TRANSITIONAL_MAX)
		return 0;
	return pci_cfg_read16(f->bdf, PCI_SUBSYSTEM_ID);
}

/* Counts d's functions on the bus and attaches one: by default the first
 * that is usable; once chosen (virtio_dev_choose) the which-th of its
 * type, or the last, usable or not. */
static void virtio_dev_find(struct virtio_dev *d)
{
	const struct pci_func *pick = NULL;

	d->count = 0;
	for (unsigned i = 0; pci_func_get(i); i++) {
		const struct pci_func *f = pci_func_get(i);
		if (virtio_dev_type(f) != d->v.type)
			continue;
		if (!d->chosen && !d->found) {
			virtio_dev_attach(d, f);
			d->nth = d->count;
		} else if (d->chosen && (d->which == d->count || d->which == VIRTIO_DEV_LAST)) {
			pick = f;
			d->nth = d->count;
		}
		d->count++;
	}
	if (pick)
		virtio_dev_attach(d, pick);
}

/* Finds the devices, once. */
void virtio_dev_probe(void)
{
	if (probed)
		return;
	probed = true;
	if (pci_bus_ready() < 0)
		return;
	for (size_t k = 0; k < ARRAY_SIZE(devs); k++)
		virtio_dev_find(devs[k]);
}

int virtio_dev_choose(struct virtio_dev *d, unsigned which)
{
	if (d->started && gvirtio_reset(&d->v)) /* the one driven so far lets go of the rings */
		return -1;
	d->found = d->started = d->broken = false;
	d->chosen = true;
	d->which = which;
	if (probed && pci_bus_ready() >= 0)
		virtio_dev_find(d);
	return 0;
}

/* MSI-X entry 0 aimed at this CPU and d->vector, unmasked, MSI-X enabled
 * (PCI 3.0 §6.8.2). */
static int virtio_dev_msix_setup(struct virtio_dev *d)
{
	if (!d->msix_cap) {
		printf("error: %s: irq=msix, but the device has no usable MSI-X capability\n", d->v.name);
		return -1;
	}
	const char *why = apic_init();
	if (why) {
		printf("error: irq=msix: %s\n", why);
		return -1;
	}
	trap_set_handler(d->vector, virtio_irq_count);
	uint64_t addr = apic_msi_address();
	mmio_write32(d->msix_table + PCI_MSIX_ENTRY_LOWER_ADDR, (uint32_t)addr);
	mmio_write32(d->msix_table + PCI_MSIX_ENTRY_UPPER_ADDR, (uint32_t)(addr >> 32));
	mmio_write32(d->msix_table + PCI_MSIX_ENTRY_DATA, apic_msi_data(d->vector));
	mmio_write32(d->msix_table + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	uint16_t ctl = pci_cfg_read16(d->bdf, d->msix_cap + PCI_MSIX_FLAGS);
	uint16_t want = (uint16_t)((ctl | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
	pci_cfg_write16(d->bdf, d->msix_cap + PCI_MSIX_FLAGS, want);
	/* Read it back: a function whose MSI-X stays off would never interrupt,
	 * and every wait for a completion would run to its bound. */
	uint16_t got = pci_cfg_read16(d->bdf, d->msix_cap + PCI_MSIX_FLAGS);
	if ((got & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)) != PCI_MSIX_FLAGS_ENABLE) {
		printf("error: %s: MSI-X does not turn on (Message Control reads 0x%04x after writing 0x%04x)\n",
		       d->v.name, got, want);
		return -1;
	}
	return 0;
}

/* The device, started in the current irq= mode; NULL (reported) if absent. */
struct virtio_dev *virtio_dev_get(struct virtio_dev *d)
{
	virtio_dev_probe();
	if (!d->found) {
		if (d->chosen && d->which != VIRTIO_DEV_LAST && d->which >= d->count)
			printf("error: no %s device number %u on the PCI bus (%u found, numbered from 0)\n", d->v.name,
			       d->which, d->count);
		else if (d->broken)
			printf("error: %s: found, but not usable (above)\n", d->v.name);
		else
			printf("error: no %s device found on the PCI bus\n", d->v.name);
		return NULL;
	}
	if (d->started && d->started_msix == use_msix)
		return d;
	d->started = false; /* until the (re)start below succeeds */
	/* Decode its memory BARs, and let it read and write our rings (DMA):
	 * only now that we drive it, not for every virtio function found. */
	uint16_t cmd = pci_cfg_read16(d->bdf, PCI_COMMAND);
	pci_cfg_write16(d->bdf, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (use_msix && virtio_dev_msix_setup(d))
		return NULL;
	if (gvirtio_start(&d->v, d->wanted | (no_event_idx ? 0 : 1ull << VIRTIO_F_EVENT_IDX),
			  use_msix ? 0 : VIRTIO_MSI_NO_VECTOR))
		return NULL;
	d->started = true;
	d->started_msix = use_msix;
	return d;
}

int virtio_event_idx_action(const char *val, size_t len, bool dry_run)
{
	static const char *const words[] = { "0", "1" };
	int k = word_find(val, len, WORDS(words));

	if (k < 0)
		return word_refuse("virtio.event_idx", val, len, WORDS(words));
	if (!dry_run) {
		no_event_idx = k == 0;
		for (size_t i = 0; i < ARRAY_SIZE(devs); i++)
			devs[i]->started = false; /* negotiated again at the next use */
	}
	return EXITLAB_EXIT_OK;
}

int virtio_irq_action(const char *val, size_t len, bool dry_run)
{
	static const char *const words[] = { "poll", "msix" };
	int k = word_find(val, len, WORDS(words));

	if (k < 0)
		return word_refuse("irq", val, len, WORDS(words));
	if (!dry_run)
		virtio_irq_set(k == 1);
	return EXITLAB_EXIT_OK;
}

/* Every negotiated feature bit by name (§6, and the device's own). */
static void virtio_list_features(const struct virtio_dev *d)
{
	static const struct { uint8_t bit; bool blk; const char *name; } names[] = {
		{ VIRTIO_BLK_F_SIZE_MAX, true, "BLK_F_SIZE_MAX" }, { VIRTIO_BLK_F_SEG_MAX, true, "BLK_F_SEG_MAX" },
		{ VIRTIO_BLK_F_GEOMETRY, true, "BLK_F_GEOMETRY" }, { VIRTIO_BLK_F_RO, true, "BLK_F_RO" },
		{ VIRTIO_BLK_F_BLK_SIZE, true, "BLK_F_BLK_SIZE" }, { VIRTIO_BLK_F_FLUSH, true, "BLK_F_FLUSH" },
		{ VIRTIO_BLK_F_TOPOLOGY, true, "BLK_F_TOPOLOGY" }, { VIRTIO_BLK_F_CONFIG_WCE, true, "BLK_F_CONFIG_WCE" },
		{ VIRTIO_BLK_F_MQ, true, "BLK_F_MQ" }, { VIRTIO_BLK_F_DISCARD, true, "BLK_F_DISCARD" },
		{ VIRTIO_BLK_F_WRITE_ZEROES, true, "BLK_F_WRITE_ZEROES" },
		{ VIRTIO_F_ANY_LAYOUT, false, "F_ANY_LAYOUT" }, { VIRTIO_F_INDIRECT_DESC, false, "RING_F_INDIRECT_DESC" },
		{ VIRTIO_F_EVENT_IDX, false, "RING_F_EVENT_IDX" }, { VIRTIO_F_VERSION_1, false, "F_VERSION_1" },
		{ VIRTIO_F_ACCESS_PLATFORM, false, "F_ACCESS_PLATFORM" }, { VIRTIO_F_RING_PACKED, false, "F_RING_PACKED" },
	};
	uint64_t left = d->v.features;

	printf("virtio %02x:%02x.%x %s negotiated:", PCI_BDF_BUS(d->bdf), PCI_BDF_DEV(d->bdf), PCI_BDF_FN(d->bdf),
	       d->v.name);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if ((!names[i].blk || d->v.type == VIRTIO_ID_BLOCK) && (left & (1ull << names[i].bit))) {
			printf(" VIRTIO_%s", names[i].name);
			left &= ~(1ull << names[i].bit);
		}
	for (unsigned b = 0; b < 64; b++) /* bits this list has no name for */
		if (left & (1ull << b))
			printf(" bit%u", b);
	printf("\n");
}

/* The notify address of every queue, term by term (§4.1.4.4): the BAR's
 * address, the capability's offset in it, queue_notify_off times
 * notify_off_multiplier. Selecting a queue only to read its fields
 * changes nothing; queue 0 is selected again after. */
static void virtio_list_notify(const struct virtio_dev *d)
{
	uint16_t nq = mmio_read16(GVIRTIO_CFG(&d->v, num_queues));
	for (uint16_t q = 0; q < nq && q < 16; q++) {
		mmio_write16(GVIRTIO_CFG(&d->v, queue_select), q);
		uint16_t off = mmio_read16(GVIRTIO_CFG(&d->v, queue_notify_off));
		uint64_t addr = d->v.notify_bar_addr + d->v.notify_cap_off + (uint64_t)off * d->v.notify_mult;
		printf("virtio %02x:%02x.%x %s queue %u notify: BAR%u 0x%lx + cap.offset 0x%x + queue_notify_off %u * "
		       "multiplier %u = 0x%lx\n", PCI_BDF_BUS(d->bdf), PCI_BDF_DEV(d->bdf), PCI_BDF_FN(d->bdf), d->v.name,
		       q, d->v.notify_bar, d->v.notify_bar_addr, d->v.notify_cap_off, off, d->v.notify_mult, addr);
	}
	if (nq > 16)
		printf("virtio %s: %u queues, the first 16 shown\n", d->v.name, nq);
	mmio_write16(GVIRTIO_CFG(&d->v, queue_select), 0);
}

int virtio_list_action(const char *val, size_t len, bool dry_run)
{
	static const char *const words[] = { "list" };

	if (word_find(val, len, WORDS(words)) < 0)
		return word_refuse("virtio", val, len, WORDS(words));
	if (dry_run)
		return EXITLAB_EXIT_OK;
	/* A device that is there but cannot be driven fails the action; one
	 * that is not there is no failure. */
	unsigned n = 0;
	int rc = EXITLAB_EXIT_OK;
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		struct virtio_dev *d = devs[i];
		virtio_dev_probe();
		if (!d->found && d->broken)
			printf("error: %s: found, but not usable (above)\n", d->v.name);
		if (d->broken || (d->found && !virtio_dev_get(d)))
			rc = EXITLAB_EXIT_FAIL;
		if (!d->found || !d->started)
			continue;
		n++;
		printf("virtio %02x:%02x.%x %s features=0x%lx queue=0 size=%u notify=0x%lx (multiplier %u) irq=%s\n",
		       PCI_BDF_BUS(d->bdf), PCI_BDF_DEV(d->bdf), PCI_BDF_FN(d->bdf), d->v.name, d->v.features,
		       d->v.vq[0].size, (uint64_t)d->v.vq[0].notify, d->v.notify_mult,
		       d->started_msix ? "msix" : "poll");
		virtio_list_features(d);
		if (d->v.nvq > 1)
			printf("virtio %02x:%02x.%x %s driven with %u queues\n", PCI_BDF_BUS(d->bdf), PCI_BDF_DEV(d->bdf),
			       PCI_BDF_FN(d->bdf), d->v.name, d->v.nvq);
		virtio_list_notify(d);
	}
	if (!n)
		printf("virtio: no %sdevices found\n", rc ? "usable " : "");
	return rc;
}

