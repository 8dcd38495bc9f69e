/*
 * test_guest_virtio_drv.c - the guest's virtio-pci driver core
 * (guest/virtio_drv.c), run on the host against a fake device in test
 * memory: the handshake of gvirtio_start() step by step, every refusal it
 * makes (legacy device, features refused, no queue 0, a notify address
 * outside the notify structure, an MSI-X vector refused, a reset that never
 * ends), the queue size it picks, and one request through the split queue,
 * polled and by MSI-X.
 *
 * virtio_drv.c is compiled into this test, as test_guest_lib.c does with
 * lib.c: its libc-named functions are renamed, and its printf is captured
 * so that the tests can read the driver's error lines. The driver reaches
 * the device only through the MMIO accessors of guest/cpu.h; this file
 * provides those itself (GUEST_CPU_H is defined first, so cpu.h is
 * skipped): each does the same volatile access of the same width as
 * cpu.h's, then lets the fake device react to it, as a device would (a
 * feature select loads device_feature, writing 0 to device_status resets,
 * a device may clear FEATURES_OK). The TSC is a fake clock, so the bounded
 * reset wait is deterministic. The driver itself is unchanged.
 *
 * The driver writes 0 to the high halves of the ring addresses (the guest
 * is identity-mapped below 4 GiB); the Makefile links this test without
 * PIE so that its ring pages, too, lie below 4 GiB, and the tests check
 * the full 64-bit addresses the device is given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "virtio.h"
#include "virtio_pci.h"

/* --- the fake device ------------------------------------------------------ */

#define NAME "virtio-test"

static struct fake {
	struct virtio_pci_common_cfg cfg; /* the common configuration, as MMIO */
	uint8_t notify[64];               /* the notify structure */
	uint8_t isr;
	uint8_t devcfg[16];               /* device-specific configuration */

	/* What the device offers and how it behaves (preset by each test). */
	uint32_t feature[2];      /* device_feature for select 0 and 1 */
	uint8_t after_reset;      /* device_status once 0 is written */
	bool refuse_features;     /* clears FEATURES_OK whenever it is set */
	bool refuse_vector;       /* reads NO_VECTOR back from queue_msix_vector */
	bool complete_on_notify;  /* a notify makes the device use the chain */
	uint32_t complete_len;    /* ...saying it wrote this many bytes */
	bool notify_off_per_queue; /* queue_notify_off reads notify_off_of[queue_select] */
	uint16_t notify_off_of[4];

	/* What the driver did. */
	uint32_t driver_feature[2];
	uint8_t status_log[16]; /* every value written to device_status */
	unsigned nstatus;
	unsigned status_reads;
	bool features_ok_seen;
	uint64_t features_at_ok; /* driver_feature when FEATURES_OK was first set */
	bool enabled;            /* queue_enable was written... */
	uint8_t status_at_enable; /* ...with device_status then */
	uint64_t desc_at_enable, driver_at_enable, device_at_enable;
	unsigned bad_accesses;   /* of the wrong width or misaligned */
	unsigned notifies;
	uint16_t notify_value;
} dev;

static uint64_t fake_tsc, tsc_step = 1000, fake_khz = 1000;
static struct gvirtio *live; /* the device apic_wait() may interrupt */
static bool irq_on_wait;
static unsigned apic_waits;


#define CFG_OFF(field) offsetof(struct virtio_pci_common_cfg, field)
#define CFG_SIZE(field) sizeof(((struct virtio_pci_common_cfg *)0)->field)

static uint64_t cfg64(uint32_t lo, uint32_t hi) { return (uint64_t)hi << 32 | lo; }

/* §4.1.3.1: the driver accesses each field with the field's own width. */
static void check_width(size_t off, unsigned size)
{
	static const struct {
		size_t off;
		unsigned size;
	} fields[] = {
#define F(f) { CFG_OFF(f), CFG_SIZE(f) }
		F(device_feature_select), F(device_feature), F(driver_feature_select), F(driver_feature),
		F(config_msix_vector), F(num_queues), F(device_status), F(config_generation),
		F(queue_select), F(queue_size), F(queue_msix_vector), F(queue_enable),
		F(queue_notify_off), F(queue_desc_lo), F(queue_desc_hi), F(queue_driver_lo),
		F(queue_driver_hi), F(queue_device_lo), F(queue_device_hi), F(queue_notify_data),
		F(queue_reset),
#undef F
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].off == off && fields[i].size == size)
			return;
	dev.bad_accesses++;
}

static bool in(uintptr_t a, const void *base, size_t len)
{
	return a >= (uintptr_t)base && a < (uintptr_t)base + len;
}

/* The device's side of the split queue: uses the available chain. */
static void device_use_chain(void)
{
	struct virtq_avail *avail = (struct virtq_avail *)(uintptr_t)cfg64(dev.cfg.queue_driver_lo,
									  dev.cfg.queue_driver_hi);
	struct virtq_used *used = (struct virtq_used *)(uintptr_t)cfg64(dev.cfg.queue_device_lo,
									dev.cfg.queue_device_hi);
	uint16_t size = dev.cfg.queue_size;
	uint16_t head = avail->ring[(uint16_t)(avail->idx - 1) % size];
	used->ring[used->idx % size] = (struct virtq_used_elem){ .id = head, .len = dev.complete_len };
	used->idx++;
}

/* Called after every store the driver makes. */
static void fake_wrote(uintptr_t a, unsigned size)
{
	if (in(a, dev.notify, sizeof(dev.notify))) {
		dev.notifies++;
		dev.notify_value = *(volatile uint16_t *)a;
		if (dev.complete_on_notify)
			device_use_chain();
		return;
	}
	if (!in(a, &dev.cfg, sizeof(dev.cfg)))
		return;
	size_t off = a - (uintptr_t)&dev.cfg;
	check_width(off, size);
	switch (off) {
	case CFG_OFF(device_feature_select):
		dev.cfg.device_feature = dev.cfg.device_feature_select < 2 ? dev.feature[dev.cfg.device_feature_select] : 0;
		break;
	case CFG_OFF(driver_feature):
		if (dev.cfg.driver_feature_select < 2)
			dev.driver_feature[dev.cfg.driver_feature_select] = dev.cfg.driver_feature;
		break;
	case CFG_OFF(device_status): {
		uint8_t v = dev.cfg.device_status;
		if (dev.nstatus < sizeof(dev.status_log))
			dev.status_log[dev.nstatus++] = v;
		if (v == 0) {
			dev.cfg.device_status = dev.after_reset;
			memset(dev.driver_feature, 0, sizeof(dev.driver_feature));
			dev.enabled = false;
		} else if (v & VIRTIO_CONFIG_S_FEATURES_OK) {
			if (!dev.features_ok_seen)
				dev.features_at_ok = cfg64(dev.driver_feature[0], dev.driver_feature[1]);
			dev.features_ok_seen = true;
			if (dev.refuse_features)
				dev.cfg.device_status = v & ~VIRTIO_CONFIG_S_FEATURES_OK;
		}
		break;
	}
	case CFG_OFF(queue_select):
		if (dev.notify_off_per_queue && dev.cfg.queue_select < 4)
			dev.cfg.queue_notify_off = dev.notify_off_of[dev.cfg.queue_select];
		break;
	case CFG_OFF(queue_msix_vector):
		if (dev.refuse_vector)
			dev.cfg.queue_msix_vector = VIRTIO_MSI_NO_VECTOR;
		break;
	case CFG_OFF(queue_enable):
		dev.enabled = dev.cfg.queue_enable == 1;
		dev.status_at_enable = dev.cfg.device_status;
		dev.desc_at_enable = cfg64(dev.cfg.queue_desc_lo, dev.cfg.queue_desc_hi);
		dev.driver_at_enable = cfg64(dev.cfg.queue_driver_lo, dev.cfg.queue_driver_hi);
		dev.device_at_enable = cfg64(dev.cfg.queue_device_lo, dev.cfg.queue_device_hi);
		break;
	}
}

/* Called before every load the driver makes. */
static void fake_reading(uintptr_t a, unsigned size)
{
	if (!in(a, &dev.cfg, sizeof(dev.cfg)))
		return;
	size_t off = a - (uintptr_t)&dev.cfg;
	check_width(off, size);
	if (off == CFG_OFF(device_status))
		dev.status_reads++;
}

/* --- guest/cpu.h, as far as virtio_drv.c uses it ---------------------------- */

#define GUEST_CPU_H
static inline void mmio_write8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; fake_wrote(a, 1); }
static inline void mmio_write16(uintptr_t a, uint16_t v) { *(volatile uint16_t *)a = v; fake_wrote(a, 2); }
static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; fake_wrote(a, 4); }
static inline uint8_t mmio_read8(uintptr_t a) { fake_reading(a, 1); return *(volatile uint8_t *)a; }
static inline uint16_t mmio_read16(uintptr_t a) { fake_reading(a, 2); return *(volatile uint16_t *)a; }
static inline uint32_t mmio_read32(uintptr_t a) { fake_reading(a, 4); return *(volatile uint32_t *)a; }
static inline uint64_t rdtsc_serialized(void) { return fake_tsc += tsc_step; }
static inline void cpu_relax(void) { __asm__ volatile("" ::: "memory"); }
static inline void mb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* --- the driver ------------------------------------------------------------- */

#include "guest_libc_rename.h"
#define printf(...) guest_printf(__VA_ARGS__) /* function-like: format(printf) stays */
#include "../../guest/virtio_drv.c"
#include "guest_libc_unrename.h"
#undef printf
#undef assert
#undef panic

/* --- host stubs for what the driver calls outside itself --------------------- */

void *guest_memset(void *d, int c, size_t n) { return memset(d, c, n); }

#include "guest_printf.h" /* everything the driver printed: guest_out */

uint64_t tsc_khz(void) { return fake_khz; }

void apic_wait(void)
{
	apic_waits++;
	if (irq_on_wait && live)
		live->irqs++;
}

/* --- helpers ---------------------------------------------------------------- */

#define OFFERED_LO (1u << 0 | 1u << 5 | 1u << 9 | 1u << 28) /* device-specific + INDIRECT_DESC */
#define OFFERED_HI (1u << (VIRTIO_F_VERSION_1 - 32) | 1u << (VIRTIO_F_ACCESS_PLATFORM - 32))
#define WANTED (1ull << 5 | 1ull << 9 | 1ull << 17 | 1ull << 40) /* 17 and 40 not offered */

static struct gvirtio d;

static int setup(void **state)
{
	memset(&dev, 0, sizeof(dev));
	dev.feature[0] = OFFERED_LO;
	dev.feature[1] = OFFERED_HI;
	dev.cfg.device_status = 0x0f; /* left over from an earlier driver */
	dev.cfg.queue_size = 256;
	dev.cfg.num_queues = 1;
	dev.cfg.queue_notify_off = 3;
	dev.cfg.queue_msix_vector = VIRTIO_MSI_NO_VECTOR;
	dev.complete_len = 512;
	d = (struct gvirtio){
		.name = NAME,
		.type = VIRTIO_ID_BLOCK,
		.common = (uintptr_t)&dev.cfg,
		.notify_base = (uintptr_t)dev.notify,
		.notify_mult = 4,
		.notify_len = sizeof(dev.notify),
		.isr = (uintptr_t)&dev.isr,
		.device_cfg = (uintptr_t)dev.devcfg,
	};
	ring_pages_used = 0; /* each test starts with the driver's pages free */
	fake_tsc = 0;
	tsc_step = 1000;
	fake_khz = 1000;
	live = &d;
	irq_on_wait = false;
	apic_waits = 0;
	guest_out_clear();
	return 0;
}

/* The driver printed exactly one line: its error line for this device,
 * containing `why`. */
static void expect_error(const char *why)
{
	const char *prefix = "error: " NAME ": ";
	if (strncmp(guest_out, prefix, strlen(prefix)) != 0 || !strstr(guest_out, why) ||
	    strchr(guest_out, '\n') != guest_out + guest_out_len - 1)
		fail_msg("expected one error line with \"%s\", the driver printed: \"%s\"", why, guest_out);
}

/* A refused start: -1, the error, the device marked FAILED and never live. */
static void expect_refused(int rc, const char *why)
{
	assert_int_equal(rc, -1);
	expect_error(why);
	assert_true(dev.cfg.device_status & VIRTIO_CONFIG_S_FAILED);
	assert_false(dev.cfg.device_status & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(dev.bad_accesses, 0);
}

/* --- 1. a good device --------------------------------------------------------- */

static void test_good_device(void **state)
{
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	assert_string_equal(guest_out, "");
	assert_int_equal(dev.bad_accesses, 0);

	/* Features: VERSION_1, and of the rest only what was both offered and
	 * wanted (not ACCESS_PLATFORM, INDIRECT_DESC or bit 0; not 17 or 40). */
	uint64_t offered = cfg64(OFFERED_LO, OFFERED_HI);
	assert_true(d.features & 1ull << VIRTIO_F_VERSION_1);
	assert_int_equal(d.features, 1ull << VIRTIO_F_VERSION_1 | 1ull << 5 | 1ull << 9);
	assert_int_equal(d.features & ~offered, 0);
	assert_int_equal(d.features & ~(WANTED | 1ull << VIRTIO_F_VERSION_1), 0);
	/* ...which is what the device was told, before FEATURES_OK. */
	assert_int_equal(cfg64(dev.driver_feature[0], dev.driver_feature[1]), d.features);
	assert_int_equal(dev.features_at_ok, d.features);

	/* §3.1.1, in order: reset, ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK. */
	const uint8_t A = VIRTIO_CONFIG_S_ACKNOWLEDGE, D = VIRTIO_CONFIG_S_DRIVER,
		      F = VIRTIO_CONFIG_S_FEATURES_OK, OK = VIRTIO_CONFIG_S_DRIVER_OK;
	const uint8_t want_log[] = { 0, A, A | D, A | D | F, A | D | F | OK };
	assert_int_equal(dev.nstatus, sizeof(want_log));
	assert_memory_equal(dev.status_log, want_log, sizeof(want_log));
	assert_int_equal(dev.cfg.device_status, A | D | F | OK);

	/* Queue 0: a power-of-two size within the device's, the rings where
	 * the driver keeps them, enabled last (FEATURES_OK set, not yet live). */
	assert_int_equal(dev.cfg.queue_select, 0);
	assert_int_equal(dev.cfg.queue_size, GVQ_SIZE);
	assert_int_equal(d.vq[0].size, GVQ_SIZE);
	assert_int_equal(dev.cfg.queue_enable, 1);
	assert_true(dev.enabled);
	assert_int_equal(dev.status_at_enable, A | D | F);
	if ((uintptr_t)ring_pages[0] + sizeof(ring_pages) > 1ull << 32)
		fail_msg("ring pages at %p, above 4 GiB (test linked as PIE?): the driver gives the "
			 "device only their low 32 bits", (void *)ring_pages[0]);
	assert_int_equal(cfg64(dev.cfg.queue_desc_lo, dev.cfg.queue_desc_hi), (uintptr_t)d.vq[0].desc);
	assert_int_equal(cfg64(dev.cfg.queue_driver_lo, dev.cfg.queue_driver_hi), (uintptr_t)d.vq[0].avail);
	assert_int_equal(cfg64(dev.cfg.queue_device_lo, dev.cfg.queue_device_hi), (uintptr_t)d.vq[0].used);
	assert_int_equal(dev.desc_at_enable, (uintptr_t)d.vq[0].desc);
	assert_int_equal(dev.driver_at_enable, (uintptr_t)d.vq[0].avail);
	assert_int_equal(dev.device_at_enable, (uintptr_t)d.vq[0].used);
	/* The ring layout: descriptors, then the available ring, then the used
	 * ring on the second half of the page; aligned as §2.7 requires. */
	assert_ptr_equal(d.vq[0].desc, ring_pages[0]);
	assert_ptr_equal(d.vq[0].avail, ring_pages[0] + GVQ_SIZE * sizeof(struct virtq_desc));
	assert_ptr_equal(d.vq[0].used, ring_pages[0] + 2048);
	assert_int_equal((uintptr_t)d.vq[0].desc % VIRTQ_DESC_ALIGN, 0);
	assert_int_equal((uintptr_t)d.vq[0].avail % VIRTQ_AVAIL_ALIGN, 0);
	assert_int_equal((uintptr_t)d.vq[0].used % VIRTQ_USED_ALIGN, 0);

	/* The notify address: notify_base + queue_notify_off * multiplier. */
	assert_int_equal(d.vq[0].notify, d.notify_base + 3 * 4);
	assert_false(d.msix);
	assert_int_equal(d.vq[0].msix_vector, VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(dev.cfg.queue_msix_vector, VIRTIO_MSI_NO_VECTOR);

	/* gvirtio_notify writes the queue index there, 16 bits wide. */
	memset(dev.notify, 0xaa, sizeof(dev.notify));
	gvirtio_notify(&d);
	assert_int_equal(dev.notifies, 1);
	assert_int_equal(dev.notify[12], 0);
	assert_int_equal(dev.notify[13], 0);
	assert_int_equal(dev.notify[11], 0xaa);
	assert_int_equal(dev.notify[14], 0xaa);
}

/* Several queues, each with its own queue_notify_off: gvirtio_notify_q
 * writes queue qi's index at queue qi's address, and nowhere else. */
static void test_notify_each_queue(void **state)
{
	static const uint16_t off[4] = { 3, 7, 1, 12 };
	dev.cfg.num_queues = 4;
	dev.notify_off_per_queue = true;
	memcpy(dev.notify_off_of, off, sizeof(off));
	d.queues_wanted = 4;
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	assert_int_equal(d.nvq, 4);
	for (unsigned q = 0; q < 4; q++) {
		assert_int_equal(d.vq[q].notify, d.notify_base + off[q] * 4);
		memset(dev.notify, 0xaa, sizeof(dev.notify));
		unsigned before = dev.notifies;
		gvirtio_notify_q(&d, q);
		assert_int_equal(dev.notifies, before + 1);
		assert_int_equal(dev.notify_value, q);
		for (unsigned b = 0; b < sizeof(dev.notify); b++)
			if (b / 2 != off[q] * 2)
				assert_int_equal(dev.notify[b], 0xaa);
	}
	assert_int_equal(dev.bad_accesses, 0);
}

/* gvirtio_reset: device_status 0, waited for; the queues are forgotten. */
static void test_reset_alone(void **state)
{
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	assert_true(dev.enabled);
	unsigned n = dev.nstatus;
	assert_int_equal(gvirtio_reset(&d), 0);
	assert_int_equal(dev.nstatus, n + 1);
	assert_int_equal(dev.status_log[n], 0);
	assert_int_equal(dev.cfg.device_status, 0);
	assert_false(dev.enabled);
	dev.after_reset = 0xff;
	assert_int_equal(gvirtio_reset(&d), -1);
	assert_non_null(strstr(guest_out, "device_status reads 0xff"));
}

/* A second device gets its own ring page. */
static void test_two_devices(void **state)
{
	struct gvirtio first = d;
	assert_int_equal(gvirtio_start(&first, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	assert_ptr_equal(first.vq[0].desc, ring_pages[0]);
	assert_ptr_equal(d.vq[0].desc, ring_pages[1]);
	assert_int_equal(cfg64(dev.cfg.queue_desc_lo, dev.cfg.queue_desc_hi), (uintptr_t)ring_pages[1]);
}

/* The driver has RING_PAGES ring pages; one queue more is refused. */
static void test_out_of_ring_pages(void **state)
{
	static struct gvirtio others[RING_PAGES];
	for (int i = 0; i < RING_PAGES; i++) {
		others[i] = d;
		assert_int_equal(gvirtio_start(&others[i], WANTED, VIRTIO_MSI_NO_VECTOR), 0);
		assert_ptr_equal(others[i].vq[0].desc, ring_pages[i]);
	}
	expect_refused(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), "out of ring pages");
}

/* A device started again (irq=poll, then irq=msix, ...) keeps its page:
 * more restarts than there are pages all succeed. */
static void test_restart_keeps_page(void **state)
{
	for (int i = 0; i < 6; i++) {
		assert_int_equal(gvirtio_start(&d, WANTED, i % 2 ? 3 : VIRTIO_MSI_NO_VECTOR), 0);
		assert_ptr_equal(d.vq[0].desc, ring_pages[0]);
		assert_int_equal(cfg64(dev.cfg.queue_desc_lo, dev.cfg.queue_desc_hi), (uintptr_t)ring_pages[0]);
	}
	assert_int_equal(ring_pages_used, 1);
	assert_string_equal(guest_out, "");
}

/* With MSI-X: the vector is given to queue 0 and completions wait for it. */
static void test_msix_vector(void **state)
{
	assert_int_equal(gvirtio_start(&d, WANTED, 3), 0);
	assert_int_equal(dev.cfg.queue_msix_vector, 3);
	assert_int_equal(d.vq[0].msix_vector, 3);
	assert_true(d.msix);
}

static void test_msix_vector_refused(void **state)
{
	dev.refuse_vector = true;
	expect_refused(gvirtio_start(&d, WANTED, 3), "refused the MSI-X vector");
	assert_false(dev.enabled);
}

/* --- 2. the notify address -------------------------------------------------- */

static void start_with_notify(uint16_t queue_notify_off, uint32_t mult, uint32_t len)
{
	dev.cfg.queue_notify_off = queue_notify_off;
	d.notify_mult = mult;
	d.notify_len = len;
}

#define NOTIFY_OUTSIDE "outside the notify structure"

static void expect_notify_refused(void)
{
	expect_refused(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), NOTIFY_OUTSIDE);
	assert_false(dev.enabled);
	assert_int_not_equal(dev.cfg.queue_enable, 1);
}

static void test_notify_at_end(void **state)
{
	start_with_notify(1, 4, 4); /* offset 4 of a 4-byte structure */
	expect_notify_refused();
}

static void test_notify_past_end(void **state)
{
	start_with_notify(100, 4, sizeof(dev.notify));
	expect_notify_refused();
}

static void test_notify_straddles_end(void **state)
{
	start_with_notify(1, 4, 5); /* the 16-bit write would cover bytes 4..5 */
	expect_notify_refused();
}

/* 0xffff * 0xffffffff: in 32 bits it would be 0xffff0001, inside a
 * structure of 0xffffffff bytes. */
static void test_notify_huge_product(void **state)
{
	start_with_notify(0xffff, 0xffffffff, 0xffffffff);
	expect_notify_refused();
}

/* 2 * 0x80000000 is 1 << 32: in 32 bits it would be offset 0. */
static void test_notify_product_wraps_to_zero(void **state)
{
	start_with_notify(2, 0x80000000, sizeof(dev.notify));
	expect_notify_refused();
}

static void test_notify_structure_too_small(void **state)
{
	start_with_notify(0, 4, 1); /* not even one 16-bit write fits */
	expect_notify_refused();
}

/* off + 2 == notify_len: the last 16-bit slot is fine. */
static void test_notify_boundary(void **state)
{
	start_with_notify(1, 4, 6);
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	assert_string_equal(guest_out, "");
	assert_int_equal(d.vq[0].notify, d.notify_base + 4);
	assert_true(dev.cfg.device_status & VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Multiplier 0: every queue notifies at the structure's start (§4.1.4.4). */
static void test_notify_multiplier_zero(void **state)
{
	start_with_notify(0xffff, 0, 2);
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	assert_int_equal(d.vq[0].notify, d.notify_base);
}

/* --- 3. a legacy device ----------------------------------------------------- */

static void test_no_version_1(void **state)
{
	dev.feature[1] = 1u << (VIRTIO_F_ACCESS_PLATFORM - 32);
	expect_refused(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), "VIRTIO_F_VERSION_1 not offered");
	assert_false(dev.cfg.device_status & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_false(dev.enabled);
}

/* Bit 0 of the low word is not VERSION_1 (a 32-bit mix-up would say so). */
static void test_version_1_only_in_low_word(void **state)
{
	dev.feature[0] = 1u << 0;
	dev.feature[1] = 0;
	expect_refused(gvirtio_start(&d, WANTED | 1, VIRTIO_MSI_NO_VECTOR), "VIRTIO_F_VERSION_1 not offered");
}

/* --- 4. queue 0's size -------------------------------------------------------- */

static void test_queue_size_zero(void **state)
{
	dev.cfg.queue_size = 0;
	expect_refused(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), "queue 0 does not exist (queue_size 0)");
	assert_false(dev.enabled);
}

/* num_queues 0 is no queue at all, even where queue 0's fields look like
 * one: refused before any queue is touched. */
static void test_num_queues_zero(void **state)
{
	dev.cfg.num_queues = 0;
	expect_refused(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), "num_queues reads 0: the device has no virtqueues");
	assert_false(dev.enabled);
}

/* The driver picks the largest power of two within both the device's
 * maximum and GVQ_SIZE, whatever the maximum is (even one that is not a
 * power of two, which the spec says a split queue's never is). */
static void test_queue_sizes(void **state)
{
	static const struct {
		uint16_t max, want;
	} cases[] = {
		{ 1, 1 },   { 2, 2 },   { 3, 2 },   { 7, 4 },    { 8, 8 },      { 12, 8 },
		{ 15, 8 },  { 16, 16 }, { 17, 16 }, { 33, 32 },  { 256, 32 },   { 32768, 32 }, { 0xffff, 32 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup(state);
		dev.cfg.queue_size = cases[i].max;
		if (gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR) != 0)
			fail_msg("queue_size %u refused: %s", cases[i].max, guest_out);
		if (dev.cfg.queue_size != cases[i].want || d.vq[0].size != cases[i].want)
			fail_msg("device maximum %u: driver chose %u (wrote %u), expected %u", cases[i].max,
				 d.vq[0].size, dev.cfg.queue_size, cases[i].want);
		assert_ptr_equal(d.vq[0].avail, (uint8_t *)d.vq[0].desc + cases[i].want * sizeof(struct virtq_desc));
		assert_int_equal(dev.bad_accesses, 0);
	}
}

/* --- 5. features refused ---------------------------------------------------- */

static void test_features_refused(void **state)
{
	dev.refuse_features = true;
	expect_refused(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), "did not accept our features");
	assert_false(dev.cfg.device_status & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_false(dev.enabled);
}

/* --- reset ------------------------------------------------------------------ */

static void test_reset_reads_ff(void **state)
{
	dev.after_reset = 0xff;
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), -1);
	expect_error("device_status reads 0xff");
	assert_false(dev.enabled);
}

/* A device that never finishes its reset: the wait ends after 1000 ms by
 * the TSC (tsc_khz 1000, 1000 cycles a read: about 1000 reads). */
static void test_reset_never_ends(void **state)
{
	dev.after_reset = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), -1);
	expect_error("did not come out of reset");
	assert_in_range(dev.status_reads, 1000, 1003);
	assert_false(dev.cfg.device_status & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_false(dev.enabled);
}

/* With the TSC frequency unknown the driver takes 4 GHz: 4e9 cycles. */
static void test_reset_never_ends_unknown_tsc(void **state)
{
	dev.after_reset = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	fake_khz = 0;
	tsc_step = 1000000;
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), -1);
	expect_error("did not come out of reset");
	assert_in_range(dev.status_reads, 4000, 4003);
}

/* --- requests ---------------------------------------------------------------- */

static void test_request_polled(void **state)
{
	static uint8_t hdr[16], data[512], status;
	const struct gvbuf bufs[] = {
		{ hdr, sizeof(hdr), false }, { data, sizeof(data), true }, { &status, 1, true }
	};
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	dev.complete_on_notify = true;
	dev.complete_len = 513;
	assert_int_equal(gvirtio_request(&d, bufs, 3), 513);
	assert_int_equal(dev.notifies, 1);
	assert_int_equal(dev.notify_value, 0);
	assert_int_equal(d.vq[0].avail->idx, 1);
	assert_int_equal(d.vq[0].desc[0].addr, (uintptr_t)hdr);
	assert_int_equal(d.vq[0].desc[0].flags, VIRTQ_DESC_F_NEXT);
	assert_int_equal(d.vq[0].desc[0].next, 1);
	assert_int_equal(d.vq[0].desc[1].flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
	assert_int_equal(d.vq[0].desc[1].len, 512);
	assert_int_equal(d.vq[0].desc[2].flags, VIRTQ_DESC_F_WRITE);
	/* A second request, and more descriptors than the queue has. */
	dev.complete_len = 1;
	assert_int_equal(gvirtio_request(&d, bufs, 1), 1);
	assert_int_equal(d.vq[0].avail->idx, 2);
	assert_int_equal(gvirtio_request(&d, bufs, 0), -1);
	setup(state);
	dev.cfg.queue_size = 2;
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	assert_int_equal(gvirtio_request(&d, bufs, 3), -1);
	assert_string_equal(guest_out, "");
}

static void test_request_needs_reset(void **state)
{
	uint8_t b[4];
	const struct gvbuf buf = { b, sizeof(b), true };
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	dev.cfg.device_status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	assert_int_equal(gvirtio_request(&d, &buf, 1), -1);
	expect_error("DEVICE_NEEDS_RESET");
}

static void test_request_no_completion(void **state)
{
	uint8_t b[4];
	const struct gvbuf buf = { b, sizeof(b), true };
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	assert_int_equal(gvirtio_request(&d, &buf, 1), -1);
	expect_error("no completion (used index 0, unchanged)");
}

/* --- 4. batches and suppression (EVENT_IDX and the flags) --------------------- */

static struct virtq_avail *drv_avail(void) { return d.vq[0].avail; }
static struct virtq_used *drv_used(void) { return d.vq[0].used; }

/* With EVENT_IDX the driver notifies only when the new entries cross the
 * device's avail_event, and asks for its interrupts through used_event:
 * none while polling, one for the last of a batch with MSI-X. */
static void test_event_idx_kick(void **state)
{
	uint8_t b[4];
	const struct gvbuf buf = { b, sizeof(b), true };
	dev.feature[0] |= 1u << VIRTIO_F_EVENT_IDX;
	assert_int_equal(gvirtio_start(&d, WANTED | 1ull << VIRTIO_F_EVENT_IDX, VIRTIO_MSI_NO_VECTOR), 0);
	assert_true(d.event_idx);
	/* Three chains, one kick: the device's avail_event (0) is among them. */
	for (uint16_t i = 0; i < 3; i++)
		assert_int_equal(gvirtio_add(&d, 0, &buf, 1, i), 0);
	assert_int_equal(drv_avail()->idx, 0); /* not published before the kick */
	gvirtio_kick(&d, 0);
	assert_int_equal(drv_avail()->idx, 3);
	assert_int_equal(dev.notifies, 1);
	assert_int_equal(*virtq_used_event(drv_avail(), d.vq[0].size), (uint16_t)(0 + 0x8000)); /* polling: none */
	/* The device has not moved avail_event: entries 3 and 4 do not cross it. */
	assert_int_equal(gvirtio_add(&d, 0, &buf, 1, 3), 0);
	gvirtio_kick(&d, 0);
	assert_int_equal(dev.notifies, 1);
	assert_int_equal(d.notifies_skipped, 1);
	/* It asks for entry 4 next: the kick of entry 4 notifies. */
	*virtq_avail_event(drv_used(), d.vq[0].size) = 4;
	assert_int_equal(gvirtio_add(&d, 0, &buf, 1, 4), 0);
	gvirtio_kick(&d, 0);
	assert_int_equal(dev.notifies, 2);
	assert_int_equal(d.notifies, 2);
	/* Five in flight, none back: a wait for them times out, saying so. */
	assert_int_equal(gvirtio_wait(&d, 0, 5), -1);
	expect_error("no completion (used index 0, unchanged)");
	/* All five back: the wait for five returns at once. */
	drv_used()->idx = 5;
	assert_int_equal(gvirtio_wait(&d, 0, 5), 0);
	assert_int_equal(d.vq[0].last_used, 5);
	/* The queue is full at 32 in flight: the 33rd is refused. */
	for (unsigned i = 0; i < d.vq[0].size; i++)
		assert_int_equal(gvirtio_add(&d, 0, &buf, 1, (uint16_t)i), 0);
	assert_int_equal(gvirtio_add(&d, 0, &buf, 1, 0), -1);
	/* Descriptors past the table, a queue not set up: refused. */
	setup(state);
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	assert_int_equal(gvirtio_add(&d, 0, &buf, 1, (uint16_t)d.vq[0].size), -1);
	assert_int_equal(gvirtio_add(&d, 1, &buf, 1, 0), -1);
}

static void test_event_idx_msix_batch(void **state)
{
	uint8_t b[4];
	const struct gvbuf buf = { b, sizeof(b), true };
	dev.feature[0] |= 1u << VIRTIO_F_EVENT_IDX;
	assert_int_equal(gvirtio_start(&d, WANTED | 1ull << VIRTIO_F_EVENT_IDX, 5), 0);
	for (uint16_t i = 0; i < 4; i++)
		assert_int_equal(gvirtio_add(&d, 0, &buf, 1, i), 0);
	gvirtio_kick(&d, 0);
	/* One interrupt, when the fourth chain (used entry 3) comes back. */
	assert_int_equal(*virtq_used_event(drv_avail(), d.vq[0].size), 3);
	drv_used()->idx = 4;
	irq_on_wait = true;
	assert_int_equal(gvirtio_wait(&d, 0, 4), 0);
	assert_int_equal(apic_waits, 1);
}

/* Without EVENT_IDX: VIRTQ_AVAIL_F_NO_INTERRUPT while polling, and the
 * device's VIRTQ_USED_F_NO_NOTIFY heeded. */
static void test_flag_form_kick(void **state)
{
	uint8_t b[4];
	const struct gvbuf buf = { b, sizeof(b), true };
	dev.feature[0] |= 1u << VIRTIO_F_EVENT_IDX; /* offered, not wanted: the flags */
	assert_int_equal(gvirtio_start(&d, WANTED, VIRTIO_MSI_NO_VECTOR), 0);
	assert_false(d.event_idx);
	assert_int_equal(gvirtio_add(&d, 0, &buf, 1, 0), 0);
	gvirtio_kick(&d, 0);
	assert_int_equal(drv_avail()->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(dev.notifies, 1);
	drv_used()->flags = VIRTQ_USED_F_NO_NOTIFY; /* the device polls */
	assert_int_equal(gvirtio_add(&d, 0, &buf, 1, 1), 0);
	gvirtio_kick(&d, 0);
	assert_int_equal(dev.notifies, 1);
	assert_int_equal(d.notifies_skipped, 1);
	drv_used()->flags = 0;
	assert_int_equal(gvirtio_add(&d, 0, &buf, 1, 2), 0);
	gvirtio_kick(&d, 0);
	assert_int_equal(dev.notifies, 2);
}

static void test_request_msix(void **state)
{
	uint8_t b[4];
	const struct gvbuf buf = { b, sizeof(b), true };
	assert_int_equal(gvirtio_start(&d, WANTED, 5), 0);
	dev.complete_on_notify = true;
	dev.complete_len = 4;
	irq_on_wait = true;
	assert_int_equal(gvirtio_request(&d, &buf, 1), 4);
	assert_int_equal(apic_waits, 1);
	/* The used ring moves but the interrupt never comes. */
	irq_on_wait = false;
	assert_int_equal(gvirtio_request(&d, &buf, 1), -1);
	expect_error("moved, but no interrupt came");
	assert_int_equal(apic_waits, 1 + WAIT_WAKEUPS);
}

static void test_config_read(void **state)
{
	for (unsigned i = 0; i < sizeof(dev.devcfg); i++)
		dev.devcfg[i] = (uint8_t)(0x10 + i);
	assert_int_equal(gvirtio_config_read(&d, 1, 1), 0x11);
	assert_int_equal(gvirtio_config_read(&d, 2, 2), 0x1312);
	assert_int_equal(gvirtio_config_read(&d, 4, 4), 0x17161514);
	assert_int_equal(gvirtio_config_read(&d, 8, 8), 0x1f1e1d1c1b1a1918ull);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_good_device),
		T(test_two_devices),
		T(test_notify_each_queue),
		T(test_reset_alone),
		T(test_out_of_ring_pages),
		T(test_restart_keeps_page),
		T(test_msix_vector),
		T(test_msix_vector_refused),
		T(test_notify_at_end),
		T(test_notify_past_end),
		T(test_notify_straddles_end),
		T(test_notify_huge_product),
		T(test_notify_product_wraps_to_zero),
		T(test_notify_structure_too_small),
		T(test_notify_boundary),
		T(test_notify_multiplier_zero),
		T(test_no_version_1),
		T(test_version_1_only_in_low_word),
		T(test_queue_size_zero),
		T(test_num_queues_zero),
		T(test_queue_sizes),
		T(test_features_refused),
		T(test_reset_reads_ff),
		T(test_reset_never_ends),
		T(test_reset_never_ends_unknown_tsc),
		T(test_request_polled),
		T(test_request_needs_reset),
		T(test_request_no_completion),
		T(test_request_msix),
		T(test_event_idx_kick),
		T(test_event_idx_msix_batch),
		T(test_flag_form_kick),
		T(test_config_read),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
