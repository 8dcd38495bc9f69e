/*
 * virtio_dev.c - find virtio-blk and virtio-rng on the PCI bus, start them,
 * and serve the command-line actions (virtio_dev.h).
 *
 * A device is found by its modern PCI ID (0x1040 + virtio type, §4.1.2),
 * its virtio capabilities decoded by the shared parser (pci_parse.c), and
 * each structure's address computed as BAR + offset. Devices start lazily,
 * at the first action that needs them, with completion by polling or by
 * MSI-X as irq= says. Every buffer a device reads or writes is static and
 * identity-mapped, so its virtual address is its physical address.
 */
#include "virtio_dev.h"

#include "apic.h"
#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"
#include "pci.h"
#include "pci_parse.h"
#include "pci_regs.h"
#include "trap.h"
#include "virtio_drv.h"
#include "virtio_pci.h"

#define VEC_BLK 0x30
#define VEC_RNG 0x31
/* Device-visible and scratch memory: outside BSS, nothing to clear at boot. */
#define DMA NOINIT __attribute__((aligned(64)))

struct vdev {
	struct gvirtio v;
	uint8_t vector;   /* MSI-X vector for queue 0 */
	uint64_t wanted;  /* device feature bits we can use */
	bool found, started, started_msix;
	bool broken;      /* one was on the bus, but its capabilities are unusable */
	uint16_t bdf;
	uint16_t msix_cap;    /* config offset of the MSI-X capability, 0: none */
	uintptr_t msix_table; /* its table, in a BAR */
};

static struct vdev blk = { .v = { .name = "virtio-blk", .type = VIRTIO_ID_BLOCK }, .vector = VEC_BLK,
			   .wanted = 1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_RO };
static struct vdev rng = { .v = { .name = "virtio-rng", .type = VIRTIO_ID_RNG }, .vector = VEC_RNG };
static struct vdev *const devs[] = { &blk, &rng };

static bool probed, use_msix;

static uint8_t cfg_bytes[256] DMA;
static struct pci_parse_info cfg_info DMA;
static struct virtio_blk_req_hdr req_hdr DMA;
static uint8_t req_data[4096] DMA;
static uint8_t req_status DMA;

static void vdev_irq(unsigned vector)
{
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++)
		if (devs[i]->vector == vector)
			devs[i]->v.irqs++;
	apic_eoi();
}

/* Why BAR i of f cannot hold MMIO registers for us, or NULL if it can: a
 * memory BAR with an address, wholly in the low 4 GiB the guest maps. */
static const char *vdev_bar_unusable(const struct pci_func *f, unsigned i)
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
static uintptr_t vdev_struct_addr(struct vdev *d, const struct pci_func *f, uint8_t cfg_type)
{
	/* What each structure must hold at least (Linux's vp_modern_probe
	 * checks the same): the 1.0 common fields, one 16-bit notify, the ISR. */
	static const uint32_t min_len[] = {
		[VIRTIO_PCI_CAP_COMMON_CFG] = VIRTIO_PCI_COMMON_CFG_V1_0_SIZE,
		[VIRTIO_PCI_CAP_NOTIFY_CFG] = 2,
		[VIRTIO_PCI_CAP_ISR_CFG] = 1,
		[VIRTIO_PCI_CAP_DEVICE_CFG] = 0,
	};
	const struct pci_parse_cap *c = pci_parse_virtio_find(&cfg_info, cfg_type);
	if (!c) {
		printf("error: %s: no usable %s capability\n", d->v.name, pci_parse_virtio_cfg_name(cfg_type));
		return 0;
	}
	const struct pci_parse_virtio *v = &c->u.virtio;
	const char *why = vdev_bar_unusable(f, v->bar);
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
	}
	return (uintptr_t)(bar->addr + v->offset);
}

/* Where the MSI-X table is, if the device's capability is usable: in a
 * BAR we can map, whole (PCI 3.0 §6.8.2.4: table_size entries of 16 bytes). */
static void vdev_msix_find(struct vdev *d, const struct pci_func *f)
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
		bool table = m->u.msix.table_bar > 5;
		printf("error: %s: MSI-X capability at 0x%x puts its %s in BAR%u, above 5: MSI-X not used\n",
		       d->v.name, m->offset, table ? "table" : "PBA", table ? m->u.msix.table_bar : m->u.msix.pba_bar);
		return;
	}
	const struct pci_parse_msix *x = &m->u.msix;
	const char *why = vdev_bar_unusable(f, x->table_bar);
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

static void vdev_attach(struct vdev *d, const struct pci_func *f)
{
	d->bdf = f->bdf;
	d->msix_cap = 0; /* nothing kept from a device of this type that failed */
	for (uint16_t off = 0; off < sizeof(cfg_bytes); off += 4) {
		uint32_t v = pci_cfg_read32(f->bdf, off);
		memcpy(cfg_bytes + off, &v, 4);
	}
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
	d->v.common = vdev_struct_addr(d, f, VIRTIO_PCI_CAP_COMMON_CFG);
	d->v.notify_base = vdev_struct_addr(d, f, VIRTIO_PCI_CAP_NOTIFY_CFG);
	d->v.isr = vdev_struct_addr(d, f, VIRTIO_PCI_CAP_ISR_CFG);
	d->v.device_cfg = d->v.type == VIRTIO_ID_BLOCK ? vdev_struct_addr(d, f, VIRTIO_PCI_CAP_DEVICE_CFG) : 0;
	d->found = d->v.common && d->v.notify_base && d->v.isr && (d->v.type != VIRTIO_ID_BLOCK || d->v.device_cfg);
	d->broken = !d->found;
	vdev_msix_find(d, f);
}

/* The virtio device type of f (VIRTIO_ID_*), 0 if it is not one. A
 * modern device says it in its device ID (0x1040 + type, §4.1.2.1); a
 * transitional one (0x1000-0x103f) in its subsystem device ID. */
static uint16_t vdev_type(const struct pci_func *f)
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

/* Finds the devices, once. */
void virtio_dev_probe(void)
{
	if (probed)
		return;
	probed = true;
	if (pci_bus_ready() < 0)
		return;
	for (unsigned i = 0; pci_func_get(i); i++) {
		const struct pci_func *f = pci_func_get(i);
		uint16_t type = vdev_type(f);
		for (size_t k = 0; k < ARRAY_SIZE(devs); k++)
			if (!devs[k]->found && type == devs[k]->v.type)
				vdev_attach(devs[k], f);
	}
}

/* MSI-X entry 0 aimed at this CPU and d->vector, unmasked, MSI-X enabled
 * (PCI 3.0 §6.8.2). */
static int vdev_msix_setup(struct vdev *d)
{
	if (!d->msix_cap) {
		printf("error: %s: irq=msix, but the device has no usable MSI-X capability\n", d->v.name);
		return -1;
	}
	if (apic_init()) {
		printf("error: irq=msix: this CPU has no local APIC\n");
		return -1;
	}
	trap_set_handler(d->vector, vdev_irq);
	uint64_t addr = apic_msi_address();
	mmio_write32(d->msix_table + PCI_MSIX_ENTRY_LOWER_ADDR, (uint32_t)addr);
	mmio_write32(d->msix_table + PCI_MSIX_ENTRY_UPPER_ADDR, (uint32_t)(addr >> 32));
	mmio_write32(d->msix_table + PCI_MSIX_ENTRY_DATA, apic_msi_data(d->vector));
	mmio_write32(d->msix_table + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	uint16_t ctl = pci_cfg_read16(d->bdf, d->msix_cap + PCI_MSIX_FLAGS);
	pci_cfg_write16(d->bdf, d->msix_cap + PCI_MSIX_FLAGS,
			(uint16_t)((ctl | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL));
	return 0;
}

/* The device, started in the current irq= mode; NULL (reported) if absent. */
static struct vdev *vdev_get(struct vdev *d)
{
	virtio_dev_probe();
	if (!d->found) {
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
	if (use_msix && vdev_msix_setup(d))
		return NULL;
	if (gvirtio_start(&d->v, d->wanted, use_msix ? 0 : VIRTIO_MSI_NO_VECTOR))
		return NULL;
	d->started = true;
	d->started_msix = use_msix;
	return d;
}

int virtio_irq_action(const char *val, size_t len, bool dry_run)
{
	static const char *const words[] = { "poll", "msix" };
	int k = word_find(val, len, WORDS(words));

	if (k < 0)
		return word_refuse("irq", val, len, WORDS(words));
	if (!dry_run)
		use_msix = k == 1;
	return EXITLAB_EXIT_OK;
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
		struct vdev *d = devs[i];
		virtio_dev_probe();
		if (!d->found && d->broken)
			printf("error: %s: found, but not usable (above)\n", d->v.name);
		if (d->broken || (d->found && !vdev_get(d)))
			rc = EXITLAB_EXIT_FAIL;
		if (!d->found || !d->started)
			continue;
		n++;
		printf("virtio %02x:%02x.%x %s features=0x%lx queue=0 size=%u notify=0x%lx (multiplier %u) irq=%s\n",
		       PCI_BDF_BUS(d->bdf), PCI_BDF_DEV(d->bdf), PCI_BDF_FN(d->bdf), d->v.name, d->v.features,
		       d->v.vq.size, (uint64_t)d->v.vq.notify, d->v.notify_mult,
		       d->started_msix ? "msix" : "poll");
	}
	if (!n)
		printf("virtio: no %sdevices found\n", rc ? "usable " : "");
	return rc;
}

/* One virtio-blk request on req_hdr/req_data/req_status. */
static int blk_request(uint32_t type, uint64_t sector, uint32_t nbytes, bool data_in)
{
	struct vdev *d = vdev_get(&blk);
	if (!d)
		return EXITLAB_EXIT_FAIL;
	req_hdr = (struct virtio_blk_req_hdr){ .type = type, .sector = sector };
	req_status = 0xff;
	struct gvbuf bufs[3] = { { &req_hdr, sizeof(req_hdr), false } };
	unsigned n = 1;
	if (nbytes)
		bufs[n++] = (struct gvbuf){ req_data, nbytes, data_in };
	bufs[n++] = (struct gvbuf){ &req_status, 1, true };
	if (gvirtio_request(&d->v, bufs, n) < 0) {
		d->started = false; /* a late completion must not be taken for the next one: reset first */
		return EXITLAB_EXIT_FAIL;
	}
	if (req_status != VIRTIO_BLK_S_OK) {
		printf("error: virtio-blk: sector %lu: device status %s\n", sector,
		       req_status == VIRTIO_BLK_S_IOERR	 ? "VIRTIO_BLK_S_IOERR"
		       : req_status == VIRTIO_BLK_S_UNSUPP ? "VIRTIO_BLK_S_UNSUPP"
							   : "(not set)");
		return EXITLAB_EXIT_FAIL;
	}
	return EXITLAB_EXIT_OK;
}

static void blk_report(const char *what, uint64_t sector)
{
	printf("blk: %s sector %lu ok (irq=%s, interrupts %u)\n", what, sector, use_msix ? "msix" : "poll",
	       blk.v.irqs);
}

int blk_read_action(const char *val, size_t len, bool dry_run)
{
	uint64_t sector;
	if (!parse_u64(val, len, &sector)) {
		printf("error: blk.read: '%.*s' is not a sector number\n", (int)len, val);
		return EXITLAB_EXIT_USAGE;
	}
	if (dry_run)
		return EXITLAB_EXIT_OK;
	int rc = blk_request(VIRTIO_BLK_T_IN, sector, VIRTIO_BLK_SECTOR_SIZE, true);
	if (rc)
		return rc;
	for (unsigned off = 0; off < VIRTIO_BLK_SECTOR_SIZE; off += 16) {
		char hex[16 * 3 + 1], text[17];
		for (unsigned i = 0; i < 16; i++) {
			uint8_t b = req_data[off + i];
			snprintf(hex + 3 * i, 4, "%02x ", b);
			text[i] = b >= 0x20 && b < 0x7f ? (char)b : '.';
		}
		text[16] = '\0';
		printf("blk %lu: %03x: %s |%s|\n", sector, off, hex, text);
	}
	blk_report("read", sector);
	return EXITLAB_EXIT_OK;
}

int blk_write_action(const char *val, size_t len, bool dry_run)
{
	size_t colon = 0;
	uint64_t sector;
	while (colon < len && val[colon] != ':')
		colon++;
	if (colon == len || !parse_u64(val, colon, &sector) || len - colon - 1 > VIRTIO_BLK_SECTOR_SIZE) {
		printf("error: blk.write: '%.*s' is not SECTOR:TEXT (TEXT at most 512 bytes)\n", (int)len, val);
		return EXITLAB_EXIT_USAGE;
	}
	if (dry_run)
		return EXITLAB_EXIT_OK;
	memset(req_data, 0, VIRTIO_BLK_SECTOR_SIZE);
	memcpy(req_data, val + colon + 1, len - colon - 1);
	int rc = blk_request(VIRTIO_BLK_T_OUT, sector, VIRTIO_BLK_SECTOR_SIZE, false);
	if (!rc)
		blk_report("wrote", sector);
	return rc;
}

int blk_flush_action(const char *val, size_t len, bool dry_run)
{
	if (dry_run)
		return EXITLAB_EXIT_OK;
	virtio_dev_probe();
	if (blk.found && !(vdev_get(&blk) && (blk.v.features & (1ull << VIRTIO_BLK_F_FLUSH)))) {
		printf("error: blk.flush: the device does not offer VIRTIO_BLK_F_FLUSH\n");
		return EXITLAB_EXIT_FAIL;
	}
	int rc = blk_request(VIRTIO_BLK_T_FLUSH, 0, 0, false);
	if (!rc)
		printf("blk: flush ok (irq=%s, interrupts %u)\n", use_msix ? "msix" : "poll", blk.v.irqs);
	return rc;
}

int rng_read_action(const char *val, size_t len, bool dry_run)
{
	uint64_t n;
	if (!parse_u64(val, len, &n) || n == 0 || n > sizeof(req_data)) {
		printf("error: rng.read: '%.*s' is not a byte count from 1 to %zu\n", (int)len, val, sizeof(req_data));
		return EXITLAB_EXIT_USAGE;
	}
	if (dry_run)
		return EXITLAB_EXIT_OK;
	struct vdev *d = vdev_get(&rng);
	if (!d)
		return EXITLAB_EXIT_FAIL;
	/* The device may return fewer bytes than asked: ask until we have n. */
	for (uint64_t got = 0; got < n;) {
		struct gvbuf b = { req_data + got, (uint32_t)(n - got), true };
		int64_t r = gvirtio_request(&d->v, &b, 1);
		if (r <= 0) {
			d->started = false; /* reset before the next use */
			printf("error: virtio-rng: the device returned %ld bytes\n", r);
			return EXITLAB_EXIT_FAIL;
		}
		got += (uint64_t)r;
	}
	printf("rng ");
	for (uint64_t i = 0; i < n; i += 32) {
		char hex[65];
		unsigned k = 0;
		for (; k < 32 && i + k < n; k++)
			snprintf(hex + 2 * k, 3, "%02x", req_data[i + k]);
		printf("%.*s", (int)(2 * k), hex);
	}
	printf("\nrng: read %lu bytes (irq=%s, interrupts %u)\n", n, use_msix ? "msix" : "poll", rng.v.irqs);
	return EXITLAB_EXIT_OK;
}

/* --- benchmarks ------------------------------------------------------------ */

static const char *bench_blk_start(bool msix)
{
	use_msix = msix;
	virtio_dev_probe();
	if (!blk.found)
		return "no virtio-blk device";
	return vdev_get(&blk) ? NULL : "virtio-blk did not start";
}

const char *virtio_bench_prepare_notify(void) { return bench_blk_start(use_msix); }
const char *virtio_bench_prepare_poll(void) { return bench_blk_start(false); }
const char *virtio_bench_prepare_msix(void) { return bench_blk_start(true); }

/* The notify alone: with nothing new in the ring the device finds no work,
 * so this times the exit and the wake-up of whoever serves it. */
void virtio_bench_notify(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gvirtio_notify(&blk.v);
}

/* Whole 4 KiB reads (eight sectors from sector 0), one at a time. */
void virtio_bench_blk_read(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (blk_request(VIRTIO_BLK_T_IN, 0, sizeof(req_data), true))
			panic("bench: virtio-blk read failed");
}

/* --- attack=: a hostile driver, for testing the VMM's defences ------------ */

/*
 * Each attack breaks one rule of virtio §2.7 on virtio-blk's queue 0, then
 * checks that the device noticed (DEVICE_NEEDS_RESET) instead of crashing
 * or hanging the VMM, and that a reset brings it back: one good read after.
 */
struct attack {
	const char *name;
	const char *what;
	void (*run)(struct gvirtio *v);
	bool before_enable; /* breaks queue setup itself, not a request */
};

static struct virtio_blk_req_hdr attack_hdr DMA;

/* Publishes descriptor 0 as a new chain and notifies. */
static void attack_publish(struct gvirtio *v)
{
	struct gvq *q = &v->vq;
	q->avail->ring[q->avail->idx % q->size] = 0;
	mb();
	q->avail->idx++;
	mb();
	gvirtio_notify(v);
}

static void attack_desc(struct gvirtio *v, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	v->vq.desc[i] = (struct virtq_desc){ addr, len, flags, next };
}

static void attack_loop(struct gvirtio *v)
{
	attack_desc(v, 0, (uintptr_t)&attack_hdr, sizeof(attack_hdr), VIRTQ_DESC_F_NEXT, 1);
	attack_desc(v, 1, (uintptr_t)req_data, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
	attack_publish(v);
}

static void attack_long_chain(struct gvirtio *v)
{
	/* Every descriptor of the queue in one chain, and the last points on. */
	for (unsigned i = 0; i < v->vq.size; i++)
		attack_desc(v, i, (uintptr_t)req_data, 16, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % v->vq.size));
	attack_publish(v);
}

static void attack_oob_addr(struct gvirtio *v)
{
	attack_desc(v, 0, (uintptr_t)&attack_hdr, sizeof(attack_hdr), VIRTQ_DESC_F_NEXT, 1);
	attack_desc(v, 1, 0x7fff00000000ull, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	attack_desc(v, 2, (uintptr_t)&req_status, 1, VIRTQ_DESC_F_WRITE, 0);
	attack_publish(v);
}

static void attack_len_overflow(struct gvirtio *v)
{
	attack_desc(v, 0, (uintptr_t)&attack_hdr, sizeof(attack_hdr), VIRTQ_DESC_F_NEXT, 1);
	attack_desc(v, 1, 0xfffffffffffff000ull, 0x2000, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	attack_desc(v, 2, (uintptr_t)&req_status, 1, VIRTQ_DESC_F_WRITE, 0);
	attack_publish(v);
}

static void attack_avail_jump(struct gvirtio *v)
{
	attack_desc(v, 0, (uintptr_t)&attack_hdr, sizeof(attack_hdr), 0, 0);
	v->vq.avail->idx = (uint16_t)(v->vq.avail->idx + v->vq.size + 5);
	mb();
	gvirtio_notify(v);
}

#define CFG16(v, field) ((v)->common + __builtin_offsetof(struct virtio_pci_common_cfg, field))

static void attack_bad_size(struct gvirtio *v)
{
	mmio_write16(CFG16(v, queue_select), 0);
	mmio_write16(CFG16(v, queue_size), 12); /* not a power of two */
	mmio_write16(CFG16(v, queue_enable), 1);
}

static void attack_huge_size(struct gvirtio *v)
{
	mmio_write16(CFG16(v, queue_select), 0);
	mmio_write16(CFG16(v, queue_size), 32768); /* above the device's maximum */
	mmio_write16(CFG16(v, queue_enable), 1);
}

static void attack_notify_disabled(struct gvirtio *v)
{
	/* DRIVER_OK without ever enabling the queue, then a notify. */
	mmio_write8(CFG16(v, device_status), (uint8_t)(mmio_read8(CFG16(v, device_status)) |
						       VIRTIO_CONFIG_S_DRIVER_OK));
	gvirtio_notify(v);
}

static const struct attack attacks[] = {
	{ "loop", "a descriptor chain that loops (0 -> 1 -> 0)", attack_loop, false },
	{ "long-chain", "a chain through every descriptor and on", attack_long_chain, false },
	{ "oob-addr", "a buffer outside guest RAM", attack_oob_addr, false },
	{ "len-overflow", "a buffer whose address + length wraps", attack_len_overflow, false },
	{ "avail-jump", "the available index jumps by more than the queue size", attack_avail_jump, false },
	{ "bad-size", "queue size 12, not a power of two", attack_bad_size, true },
	{ "huge-size", "queue size 32768, above the maximum", attack_huge_size, true },
	{ "notify-disabled", "a notify for a queue never enabled", attack_notify_disabled, true },
};

/* Brings the device to the point just before queue_enable (or DRIVER_OK).
 * The reset wait is bounded like every other (each read is an exit). */
static void attack_handshake_without_queue(struct gvirtio *v)
{
	mmio_write8(CFG16(v, device_status), 0);
	for (unsigned i = 0; i < 100000 && mmio_read8(CFG16(v, device_status)); i++)
		cpu_relax();
	mmio_write8(CFG16(v, device_status), VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mmio_write32(CFG16(v, driver_feature_select), 1);
	mmio_write32(CFG16(v, driver_feature), 1); /* VIRTIO_F_VERSION_1 */
	mmio_write8(CFG16(v, device_status), VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
						     VIRTIO_CONFIG_S_FEATURES_OK);
}

int attack_action(const char *val, size_t len, bool dry_run)
{
	int k = word_find(val, len, WORDS_OF(attacks, name));
	if (k < 0)
		return word_refuse("attack", val, len, WORDS_OF(attacks, name));
	const struct attack *a = &attacks[k];
	if (dry_run)
		return EXITLAB_EXIT_OK;
	use_msix = false;
	struct vdev *d = vdev_get(&blk);
	if (!d)
		return EXITLAB_EXIT_FAIL;
	printf("attack %s: %s\n", a->name, a->what);
	if (a->before_enable)
		attack_handshake_without_queue(&d->v);
	a->run(&d->v);
	/* Give the device (the VMM's I/O thread) time to look, bounded. */
	uint8_t status = 0;
	for (unsigned i = 0; i < 200000 && !(status & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		status = mmio_read8(CFG16(&d->v, device_status));
	bool noticed = status & VIRTIO_CONFIG_S_NEEDS_RESET;
	printf("attack %s: device status 0x%02x: %s\n", a->name, status,
	       noticed ? "DEVICE_NEEDS_RESET" : "no DEVICE_NEEDS_RESET");
	/* Reset and use it again: the device, and the VMM, must still work. */
	d->started = false;
	int rc = blk_request(VIRTIO_BLK_T_IN, 0, VIRTIO_BLK_SECTOR_SIZE, true);
	printf("attack %s: after a reset, a read %s\n", a->name, rc ? "failed" : "works");
	return noticed && !rc ? EXITLAB_EXIT_OK : EXITLAB_EXIT_FAIL;
}

/* --- chaos=: random rings, for the guest-side fuzzer (chaos.c) ------------ */

/* A descriptor address chosen to hurt: the rings themselves, our buffers,
 * MMIO, the edges of RAM and of the address space, or anything. */
static uint64_t chaos_addr(const struct gvirtio *v, uint64_t r)
{
	switch (r % 8) {
	case 0: return (uintptr_t)v->vq.desc + (r >> 8) % 64;   /* the descriptor table */
	case 1: return (uintptr_t)v->vq.avail + (r >> 8) % 32;  /* the available ring */
	case 2: return (uintptr_t)v->vq.used + (r >> 8) % 64;   /* the used ring */
	case 3: return (uintptr_t)req_data + (r >> 8) % sizeof(req_data);
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

unsigned virtio_chaos_queue(uint64_t (*rnd)(void))
{
	use_msix = false;
	struct vdev *d = vdev_get(&blk);
	if (!d)
		return 0;
	struct gvirtio *v = &d->v;
	struct gvq *q = &v->vq;
	/* Random descriptors: loops, rings as buffers, MMIO, huge lengths. */
	unsigned n = 1 + (unsigned)(rnd() % q->size);
	for (unsigned i = 0; i < n; i++) {
		uint64_t r = rnd();
		attack_desc(v, i, chaos_addr(v, rnd()), chaos_len(rnd()), (uint16_t)(r & 7),
			    (uint16_t)(r >> 8) % (r & 0x800 ? 0xffff : q->size));
	}
	uint64_t r = rnd();
	/* A good header now and then, so the requests reach the disk code. */
	if (r % 3 == 0) {
		attack_hdr = (struct virtio_blk_req_hdr){ .type = (uint32_t)(r >> 8) % 10, .sector = (r >> 16) % 4096 };
		attack_desc(v, 0, (uintptr_t)&attack_hdr, sizeof(attack_hdr), VIRTQ_DESC_F_NEXT, 1);
	}
	q->avail->ring[q->avail->idx % q->size] = (uint16_t)(r & 0x100 ? r >> 20 : 0);
	if (r & 0x200) /* used ring scribbled over, as a confused driver would */
		q->used->idx = (uint16_t)(r >> 24);
	mb();
	q->avail->idx = (uint16_t)(q->avail->idx + (r & 0x400 ? (r >> 40) % 0x20000 : 1));
	mb();
	gvirtio_notify(v);
	if (r & 0x1000) /* reset in the middle of the request */
		mmio_write8(CFG16(v, device_status), 0);
	/* Let the I/O thread look, then start over from a clean device. */
	for (unsigned i = 0; i < 16; i++)
		(void)mmio_read8(CFG16(v, device_status));
	d->started = false;
	return n;
}
