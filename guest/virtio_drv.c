/*
 * virtio_drv.c - the guest's virtio-pci driver core (virtio_drv.h), after virtio
 * 1.x §3.1.1 "Driver Requirements: Device Initialization", one comment per
 * step. Each queue gets one static page for its rings; requests go one at
 * a time, or in batches that share one notify (and, with EVENT_IDX, one
 * interrupt).
 *
 * Completion: with irq=poll we watch used->idx; with irq=msix we also wait
 * for the device's interrupt, whose handler (virtio_transport.c) counts it and
 * sends the EOI. Both waits are bounded.
 */
#include "virtio_drv.h"

#include "apic.h"
#include "cpu.h"
#include "lib.h"
#include "tsc.h"
#include "virtio_pci.h"

#define CFG(field) GVIRTIO_CFG(d, field)
#define WAIT_SPINS 20000000u
#define WAIT_WAKEUPS 50 /* apic_wait()s: about 5 s */
#define RESET_WAIT_MS 1000

/*
 * Ring memory: one page a queue, split into the three areas the device is
 * given the addresses of (queue_desc, queue_driver, queue_device; §2.7):
 * the descriptor table at the start, the available ring right after it,
 * the used ring on the page's second half. The device reads and writes
 * exactly there, so the split crosses the guest/VMM seam: each offset's
 * alignment (§2.7: 16, 2 and 4 bytes) and each area's room, up to the
 * event index after its ring, are frozen below for the largest queue we
 * ask for; a smaller one (a device's maximum may be less) only moves the
 * available ring down. Outside BSS: zeroed when a queue is set up, not at
 * boot.
 */
#define RING_PAGES (GVIRTIO_QUEUES_MAX + 8) /* queues, one page each: a 64-queue disk and a few more */
#define RING_PAGE_SIZE 4096
#define RING_DESC_OFF 0
#define RING_AVAIL_OFF(size) (RING_DESC_OFF + (size) * sizeof(struct virtq_desc))
#define RING_USED_OFF (RING_PAGE_SIZE / 2)
#define RING_AVAIL_BYTES(size) (sizeof(struct virtq_avail) + ((size) + 1) * sizeof(uint16_t)) /* + used_event */
#define RING_USED_BYTES(size) (sizeof(struct virtq_used) + (size) * sizeof(struct virtq_used_elem) + \
			       sizeof(uint16_t)) /* + avail_event */
_Static_assert(GVQ_SIZE && !(GVQ_SIZE & (GVQ_SIZE - 1)) && GVQ_SIZE <= VIRTQ_SIZE_MAX,
	       "virtio 2.7: a queue size is a power of two, at most 32768");
_Static_assert(RING_DESC_OFF % VIRTQ_DESC_ALIGN == 0, "virtio 2.7: the descriptor table is 16-byte aligned");
_Static_assert(RING_AVAIL_OFF(GVQ_SIZE) % VIRTQ_AVAIL_ALIGN == 0, "virtio 2.7: the available ring is 2-byte aligned");
_Static_assert(RING_AVAIL_OFF(GVQ_SIZE) + RING_AVAIL_BYTES(GVQ_SIZE) <= RING_USED_OFF,
	       "the descriptor table and the available ring fit below the used ring");
_Static_assert(RING_USED_OFF % VIRTQ_USED_ALIGN == 0, "virtio 2.7: the used ring is 4-byte aligned");
_Static_assert(RING_USED_OFF + RING_USED_BYTES(GVQ_SIZE) <= RING_PAGE_SIZE, "the used ring fits in its page");
static uint8_t ring_pages[RING_PAGES][RING_PAGE_SIZE] __attribute__((aligned(RING_PAGE_SIZE))) NOINIT;
static unsigned ring_pages_used;

static uint8_t status_read(const struct gvirtio *d) { return mmio_read8(CFG(device_status)); }
static void status_set(const struct gvirtio *d, uint8_t bits)
{
	mmio_write8(CFG(device_status), (uint8_t)(status_read(d) | bits));
}

static int gvirtio_fail(struct gvirtio *d, const char *why)
{
	printf("error: %s: %s\n", d->name, why);
	mmio_write8(CFG(device_status), status_read(d) | VIRTIO_CONFIG_S_FAILED);
	return -1;
}

static int queue_fail(struct gvirtio *d, uint16_t qi, const char *why)
{
	printf("error: %s: queue %u %s\n", d->name, qi, why);
	mmio_write8(CFG(device_status), status_read(d) | VIRTIO_CONFIG_S_FAILED);
	return -1;
}

static int queue_setup(struct gvirtio *d, uint16_t qi, uint16_t vector)
{
	struct gvq *q = &d->vq[qi];

	mmio_write16(CFG(queue_select), qi);
	uint16_t max = mmio_read16(CFG(queue_size));
	if (max == 0)
		return queue_fail(d, qi, "does not exist (queue_size 0)");
	/* A device started again (after its reset) keeps its page. */
	uint8_t *page = (uint8_t *)q->desc;
	if (!page) {
		if (ring_pages_used == RING_PAGES)
			return gvirtio_fail(d, "out of ring pages");
		page = ring_pages[ring_pages_used++];
	}
	/* The size we pick must be a power of two no larger than the device's. */
	q->size = GVQ_SIZE;
	while (q->size > max)
		q->size >>= 1;
	memset(page, 0, RING_PAGE_SIZE);
	q->desc = (struct virtq_desc *)(page + RING_DESC_OFF);
	q->avail = (struct virtq_avail *)(page + RING_AVAIL_OFF(q->size));
	q->used = (struct virtq_used *)(page + RING_USED_OFF);
	q->last_used = q->avail_idx = q->kicked = 0;
	q->index = qi;

	mmio_write16(CFG(queue_size), q->size);
	mmio_write16(CFG(queue_msix_vector), vector);
	if (vector != VIRTIO_MSI_NO_VECTOR && mmio_read16(CFG(queue_msix_vector)) != vector)
		return queue_fail(d, qi, "is without its MSI-X vector: the device refused the MSI-X vector");
	q->msix_vector = vector;
	mmio_write32(CFG(queue_desc_lo), (uint32_t)(uintptr_t)q->desc);
	mmio_write32(CFG(queue_desc_hi), 0);
	mmio_write32(CFG(queue_driver_lo), (uint32_t)(uintptr_t)q->avail);
	mmio_write32(CFG(queue_driver_hi), 0);
	mmio_write32(CFG(queue_device_lo), (uint32_t)(uintptr_t)q->used);
	mmio_write32(CFG(queue_device_hi), 0);
	/* §4.1.4.4: the queue's notify address, which must leave room for the
	 * 16-bit write inside the notify structure (64-bit product: no wrap). */
	uint64_t off = (uint64_t)mmio_read16(CFG(queue_notify_off)) * d->notify_mult;
	if (off + sizeof(uint16_t) > d->notify_len)
		return queue_fail(d, qi, "has its notify address (queue_notify_off * notify_off_multiplier) "
					 "outside the notify structure");
	q->notify = d->notify_base + (uintptr_t)off;
	mmio_write16(CFG(queue_enable), 1);
	return 0;
}

int gvirtio_reset(struct gvirtio *d)
{
	/* Write 0, and wait for the reset to finish (reads 0, §4.1.4.3.2).
	 * Every read is an exit, so the wait is bounded in time, not reads;
	 * 0xff is no status at all (reserved bits set): nobody answers. */
	mmio_write8(CFG(device_status), 0);
	uint64_t khz = tsc_khz() ? tsc_khz() : 4000000; /* unknown: take 4 GHz */
	uint64_t t0 = rdtsc_serialized(), limit = khz * RESET_WAIT_MS;
	for (uint8_t st; (st = status_read(d)) != 0;) {
		if (st == 0xff)
			return gvirtio_fail(d, "device_status reads 0xff: nothing answers at its common configuration");
		if (rdtsc_serialized() - t0 > limit)
			return gvirtio_fail(d, "did not come out of reset (device_status never read 0)");
	}
	return 0;
}

int gvirtio_start(struct gvirtio *d, uint64_t wanted, uint16_t vector)
{
	/* 1. Reset the device, and wait for the reset to finish. */
	if (gvirtio_reset(d))
		return -1;
	/* 2. ACKNOWLEDGE: we have noticed the device. */
	status_set(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	/* 3. DRIVER: we know how to drive it. */
	status_set(d, VIRTIO_CONFIG_S_DRIVER);
	/* 4. Read the device's features, 32 bits at a time, and pick ours. */
	uint64_t offered = 0;
	for (uint32_t sel = 0; sel < 2; sel++) {
		mmio_write32(CFG(device_feature_select), sel);
		offered |= (uint64_t)mmio_read32(CFG(device_feature)) << (32 * sel);
	}
	if (!(offered & (1ull << VIRTIO_F_VERSION_1)))
		return gvirtio_fail(d, "VIRTIO_F_VERSION_1 not offered: a legacy device, which this driver does not drive");
	d->features = offered & (wanted | 1ull << VIRTIO_F_VERSION_1);
	for (uint32_t sel = 0; sel < 2; sel++) {
		mmio_write32(CFG(driver_feature_select), sel);
		mmio_write32(CFG(driver_feature), (uint32_t)(d->features >> (32 * sel)));
	}
	/* 5. FEATURES_OK, then 6. read it back: the device may refuse. */
	status_set(d, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(status_read(d) & VIRTIO_CONFIG_S_FEATURES_OK))
		return gvirtio_fail(d, "the device did not accept our features (FEATURES_OK cleared)");
	d->event_idx = d->features >> VIRTIO_F_EVENT_IDX & 1;
	/* 7. Device-specific setup: the virtqueues, as many as asked for and
	 * the device has (num_queues counts them all). */
	unsigned want = d->queues_wanted ? d->queues_wanted : 1, have = mmio_read16(CFG(num_queues));
	if (have == 0) /* whatever queue 0's fields say: there is no queue to set up */
		return gvirtio_fail(d, "num_queues reads 0: the device has no virtqueues");
	d->nvq = want < have ? want : have;
	if (d->nvq > GVIRTIO_QUEUES_MAX)
		d->nvq = GVIRTIO_QUEUES_MAX;
	for (unsigned qi = 0; qi < d->nvq; qi++)
		if (queue_setup(d, (uint16_t)qi, vector))
			return -1;
	/* 8. DRIVER_OK: the device is live. */
	status_set(d, VIRTIO_CONFIG_S_DRIVER_OK);
	d->msix = vector != VIRTIO_MSI_NO_VECTOR;
	return 0;
}

static void notify_q(struct gvirtio *d, const struct gvq *q)
{
	mmio_write16(q->notify, q->index);
	d->notifies++;
}

void gvirtio_notify_q(const struct gvirtio *d, unsigned qi)
{
	mmio_write16(d->vq[qi].notify, d->vq[qi].index);
}

void gvirtio_notify(const struct gvirtio *d) { gvirtio_notify_q(d, 0); }

void gvirtio_publish(struct gvirtio *d, uint16_t head)
{
	struct gvq *q = &d->vq[0];

	q->avail->ring[q->avail->idx % q->size] = head;
	/* The descriptors and ring entry are visible before the index that
	 * publishes them, and the index before the notify (§2.7.13). */
	mb();
	q->avail->idx++;
	q->avail_idx = q->kicked = q->avail->idx;
	mb();
	gvirtio_notify(d);
}

int gvirtio_add(struct gvirtio *d, unsigned qi, const struct gvbuf *bufs, unsigned n, uint16_t first)
{
	struct gvq *q = &d->vq[qi];

	if (qi >= d->nvq || n == 0 || n > q->size || first > q->size - n ||
	    (uint16_t)(q->avail_idx - q->last_used) >= q->size)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		q->desc[first + i] = (struct virtq_desc){
			.addr = (uintptr_t)bufs[i].addr,
			.len = bufs[i].len,
			.flags = (uint16_t)((i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
					    (bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0)),
			.next = (uint16_t)(first + i + 1),
		};
	}
	q->avail->ring[q->avail_idx % q->size] = first;
	q->avail_idx++;
	return 0;
}

void gvirtio_kick(struct gvirtio *d, unsigned qi)
{
	struct gvq *q = &d->vq[qi];
	uint16_t old = q->kicked, inflight = (uint16_t)(q->avail_idx - q->last_used);

	/* Which completions may interrupt: polling wants none, MSI-X one,
	 * when the last chain in flight comes back (§2.7.7, §2.7.10). With
	 * EVENT_IDX that is used_event (a value half the index space away
	 * is none); without, the flag, all or nothing. */
	if (d->event_idx)
		*virtq_used_event(q->avail, q->size) = d->msix ? (uint16_t)(q->last_used + inflight - 1)
							       : (uint16_t)(q->last_used + 0x8000);
	else
		q->avail->flags = d->msix ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
	/* The ring entries before the index that publishes them. */
	mb();
	q->avail->idx = q->avail_idx;
	q->kicked = q->avail_idx;
	q->irqs_at_kick = d->irqs; /* interrupts come only in apic_wait(), never before this */
	/* The index before the look at what the device asked (§2.7.13). */
	mb();
	bool wanted = d->event_idx ? virtq_need_event(*(volatile uint16_t *)virtq_avail_event(q->used, q->size),
						    q->avail_idx, old)
				   : !(*(volatile uint16_t *)&q->used->flags & VIRTQ_USED_F_NO_NOTIFY);
	if (wanted)
		notify_q(d, q);
	else
		d->notifies_skipped++;
}

int gvirtio_wait(struct gvirtio *d, unsigned qi, unsigned count)
{
	struct gvq *q = &d->vq[qi];
	uint16_t target = (uint16_t)(q->last_used + count);
	uint32_t irqs_before = q->irqs_at_kick;

	/* Poll: wait for used->idx to reach the target. MSI-X: wait for the
	 * interrupt as well, which the device raises after it updates the
	 * used ring, so every completion is counted; sleep in HLT until it
	 * comes (an irqfd wakes a halted vCPU at once, while a spinning one
	 * may not look for interrupts until its next exit), with a watchdog
	 * timer as a bound. */
	for (unsigned spins = 0;; spins++) {
		uint16_t used_idx = *(volatile uint16_t *)&q->used->idx;
		bool done = (uint16_t)(used_idx - q->last_used) >= count;
		if (done && (!d->msix || d->irqs != irqs_before))
			break;
		/* Every status read is an exit: look only now and then. */
		if ((d->msix || spins % 4096 == 4095) && (status_read(d) & VIRTIO_CONFIG_S_NEEDS_RESET)) {
			printf("error: %s: the device set DEVICE_NEEDS_RESET\n", d->name);
			return -1;
		}
		if (spins == (d->msix ? WAIT_WAKEUPS : WAIT_SPINS)) {
			printf("error: %s: no completion (used index %u, %s) on queue %u\n", d->name, used_idx,
			       used_idx == q->last_used ? "unchanged" : done ? "moved, but no interrupt came"
								   : "moved, but not far enough",
			       qi);
			return -1;
		}
		if (d->msix)
			apic_wait();
		else
			cpu_relax();
	}
	mb(); /* read the used elements only after seeing the index move */
	q->last_used = target;
	return 0;
}

int64_t gvirtio_request_q(struct gvirtio *d, unsigned qi, const struct gvbuf *bufs, unsigned n)
{
	if (gvirtio_add(d, qi, bufs, n, 0)) /* one at a time: the chain starts at descriptor 0 */
		return -1;
	gvirtio_kick(d, qi);
	if (gvirtio_wait(d, qi, 1))
		return -1;
	const struct gvq *q = &d->vq[qi];
	return q->used->ring[(uint16_t)(q->last_used - 1) % q->size].len;
}

int64_t gvirtio_request(struct gvirtio *d, const struct gvbuf *bufs, unsigned n)
{
	return gvirtio_request_q(d, 0, bufs, n);
}

uint64_t gvirtio_config_read(const struct gvirtio *d, unsigned off, unsigned size)
{
	uintptr_t a = d->device_cfg + off;
	switch (size) {
	case 1: return mmio_read8(a);
	case 2: return mmio_read16(a);
	case 4: return mmio_read32(a);
	}
	/* Wider than 32 bits: two reads, which the device may change between;
	 * config_generation says whether it did (§4.1.4.3.1). A device that
	 * keeps changing gets the last try. */
	uint64_t v = 0;
	for (int tries = 0; tries < 4; tries++) {
		uint8_t gen = mmio_read8(CFG(config_generation));
		v = mmio_read32(a) | (uint64_t)mmio_read32(a + 4) << 32;
		if (mmio_read8(CFG(config_generation)) == gen)
			break;
	}
	return v;
}
