/*
 * attack.c - attack=NAME: a hostile virtio driver, for testing the VMM's
 * defences (tests/attack-vmm.t runs each attack against the VMM built with
 * ASan and UBSan).
 *
 * Each attack breaks one rule of virtio §2.7 on virtio-blk's queue 0, then
 * checks that the device noticed (DEVICE_NEEDS_RESET) instead of crashing
 * or hanging the VMM, and that a reset brings it back: one good read after.
 * The device is started polled, as the driver would; the attack then
 * writes the rings, or the common configuration, by hand.
 */
#include "attack.h"

#include "blk.h"
#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"
#include "virtio_transport.h"

struct attack {
	const char *name;
	const char *what;
	void (*run)(struct gvirtio *v);
	bool before_enable; /* breaks queue setup itself, not a request */
};

/* The buffers the hostile chains point at. */
static struct virtio_blk_req_hdr attack_hdr NOINIT_DMA;
static uint8_t attack_data[VIRTIO_BLK_SECTOR_SIZE] NOINIT_DMA;
static uint8_t attack_status NOINIT_DMA;

/* Descriptor i of queue 0, by hand; gvirtio_publish(v, 0) then offers the
 * chain that starts at descriptor 0 and notifies. */
static void attack_desc(struct gvirtio *v, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	v->vq[0].desc[i] = (struct virtq_desc){ addr, len, flags, next };
}

static void attack_loop(struct gvirtio *v)
{
	attack_desc(v, 0, (uintptr_t)&attack_hdr, sizeof(attack_hdr), VIRTQ_DESC_F_NEXT, 1);
	attack_desc(v, 1, (uintptr_t)attack_data, sizeof(attack_data), VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
	gvirtio_publish(v, 0);
}

static void attack_long_chain(struct gvirtio *v)
{
	/* Every descriptor of the queue in one chain, and the last points on. */
	for (unsigned i = 0; i < v->vq[0].size; i++)
		attack_desc(v, i, (uintptr_t)attack_data, 16, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % v->vq[0].size));
	gvirtio_publish(v, 0);
}

static void attack_oob_addr(struct gvirtio *v)
{
	attack_desc(v, 0, (uintptr_t)&attack_hdr, sizeof(attack_hdr), VIRTQ_DESC_F_NEXT, 1);
	attack_desc(v, 1, 0x7fff00000000ull, VIRTIO_BLK_SECTOR_SIZE, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	attack_desc(v, 2, (uintptr_t)&attack_status, 1, VIRTQ_DESC_F_WRITE, 0);
	gvirtio_publish(v, 0);
}

static void attack_len_overflow(struct gvirtio *v)
{
	attack_desc(v, 0, (uintptr_t)&attack_hdr, sizeof(attack_hdr), VIRTQ_DESC_F_NEXT, 1);
	attack_desc(v, 1, 0xfffffffffffff000ull, 0x2000, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	attack_desc(v, 2, (uintptr_t)&attack_status, 1, VIRTQ_DESC_F_WRITE, 0);
	gvirtio_publish(v, 0);
}

static void attack_avail_jump(struct gvirtio *v)
{
	attack_desc(v, 0, (uintptr_t)&attack_hdr, sizeof(attack_hdr), 0, 0);
	v->vq[0].avail->idx = (uint16_t)(v->vq[0].avail->idx + v->vq[0].size + 5);
	mb();
	gvirtio_notify(v);
}

static void attack_bad_size(struct gvirtio *v)
{
	mmio_write16(GVIRTIO_CFG(v, queue_select), 0);
	mmio_write16(GVIRTIO_CFG(v, queue_size), 12); /* not a power of two */
	mmio_write16(GVIRTIO_CFG(v, queue_enable), 1);
}

static void attack_huge_size(struct gvirtio *v)
{
	mmio_write16(GVIRTIO_CFG(v, queue_select), 0);
	mmio_write16(GVIRTIO_CFG(v, queue_size), VIRTQ_SIZE_MAX); /* above the device's maximum */
	mmio_write16(GVIRTIO_CFG(v, queue_enable), 1);
}

static void attack_notify_disabled(struct gvirtio *v)
{
	/* DRIVER_OK without ever enabling the queue, then a notify. */
	mmio_write8(GVIRTIO_CFG(v, device_status), (uint8_t)(mmio_read8(GVIRTIO_CFG(v, device_status)) |
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
	mmio_write8(GVIRTIO_CFG(v, device_status), 0);
	for (unsigned i = 0; i < 100000 && mmio_read8(GVIRTIO_CFG(v, device_status)); i++)
		cpu_relax();
	mmio_write8(GVIRTIO_CFG(v, device_status), VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mmio_write32(GVIRTIO_CFG(v, driver_feature_select), 1); /* feature bits 32-63 */
	mmio_write32(GVIRTIO_CFG(v, driver_feature), 1u << (VIRTIO_F_VERSION_1 - 32));
	mmio_write8(GVIRTIO_CFG(v, device_status), VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
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
	virtio_irq_set(false);
	struct virtio_dev *d = virtio_dev_get(&blk_dev);
	if (!d)
		return EXITLAB_EXIT_FAIL;
	printf("attack %s: %s\n", a->name, a->what);
	if (a->before_enable)
		attack_handshake_without_queue(&d->v);
	a->run(&d->v);
	/* Give the device (the VMM's I/O thread) time to look, bounded. */
	uint8_t status = 0;
	for (unsigned i = 0; i < 200000 && !(status & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		status = mmio_read8(GVIRTIO_CFG(&d->v, device_status));
	bool noticed = status & VIRTIO_CONFIG_S_NEEDS_RESET;
	printf("attack %s: device status 0x%02x: %s\n", a->name, status,
	       noticed ? "DEVICE_NEEDS_RESET" : "no DEVICE_NEEDS_RESET");
	/* Reset and use it again: the device, and the VMM, must still work. */
	d->started = false;
	int rc = blk_request(VIRTIO_BLK_T_IN, 0, VIRTIO_BLK_SECTOR_SIZE, true);
	printf("attack %s: after a reset, a read %s\n", a->name, rc ? "failed" : "works");
	return noticed && !rc ? EXITLAB_EXIT_OK : EXITLAB_EXIT_FAIL;
}
