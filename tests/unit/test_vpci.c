/*
 * test_vpci.c - the VMM's virtio-pci transport (vmm/vpci.c) on the host,
 * without /dev/kvm: a back end of the test's own records what KVM's would
 * be asked (interrupts fired, routes, notify fast paths), guest RAM is a
 * host buffer, and the guest's accesses go where the run loop sends them
 * (vpci_bar_access for BAR0, pcibus_cfg_* for config space).
 *
 * Each test puts a fresh device on the bus (its own slot) and drives the
 * common configuration the way a driver does: feature negotiation and the
 * FEATURES_OK refusal, the queue-enable lock, the VIRTIO_PCI_CAP_PCI_CFG
 * window, notifies with and without a fast path, a reset in the middle of
 * a request, bus mastering, broken rings, and the two real devices' ops
 * tables (virtio-blk's features and capacity, virtio-rng's bytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pci_regs.h"
#include "pcibus.h"
#include "virtio_blk.h"
#include "vmm.h"
#include "vpci.h"

#define RAM_SIZE (1u << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define DATA 0x10000
#define QSIZE 8
#define CC(field) offsetof(struct virtio_pci_common_cfg, field)

static struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1 };
static struct vpci_dev dev;
static unsigned next_slot = 1;

/* --- the test's back end: what KVM would have been asked ------------------- */

static unsigned fired[8], nfired;
static struct { uint64_t addr; bool assign; unsigned qi; } attach_log[16];
static unsigned nattach, routes;
static int attach_fail_at = -1; /* the call number that fails (EEXIST) */

static void be_fire(struct vpci_dev *d, unsigned v)
{
	if (nfired < 8)
		fired[nfired] = v;
	nfired++;
}

static void be_route(struct vpci_dev *d, unsigned v, uint64_t addr, uint32_t data) { routes++; }

static int be_attach(struct vpci_dev *d, unsigned qi, uint64_t addr, bool assign)
{
	if ((int)nattach == attach_fail_at) {
		nattach++;
		errno = EEXIST;
		return -1;
	}
	if (nattach < 16)
		attach_log[nattach].addr = addr, attach_log[nattach].assign = assign, attach_log[nattach].qi = qi;
	nattach++;
	return 0;
}

static const struct vpci_backend be_exits = { "MMIO exits", be_fire, be_route, NULL };
static const struct vpci_backend be_fast = { "test fast path", be_fire, be_route, be_attach };

/* --- a device of the test's own: two queues, one feature, 8 config bytes --- */

#define TEST_FEATURE 5
static unsigned requests_seen;
static uint32_t request_len = 4;

static uint64_t test_features(void *ctx) { return 1ull << TEST_FEATURE; }
static unsigned test_config(void *ctx, uint8_t *cfg, unsigned max)
{
	memcpy(cfg, "cfgbytes", 8);
	return 8;
}
static uint32_t test_request(void *ctx, unsigned qi, const struct virtq_chain *c)
{
	requests_seen++;
	return request_len;
}

static const struct vpci_ops test_ops = {
	.name = "virtio-test", .type = 42, .class_code = 0xff0000, .nqueues = 2,
	.features = test_features, .config = test_config, .request = test_request,
};

/* --- the guest's side ------------------------------------------------------- */

static uint32_t rd(uint64_t off, unsigned size)
{
	uint32_t v = 0;
	vpci_bar_access(&dev, off, (uint8_t *)&v, size, false);
	return v;
}

static void wr(uint64_t off, unsigned size, uint32_t v) { vpci_bar_access(&dev, off, (uint8_t *)&v, size, true); }

static uint32_t cfg_rd(unsigned off, unsigned size) { return pcibus_cfg_read(0, dev.pci.slot, 0, off, size); }
static void cfg_wr(unsigned off, unsigned size, uint32_t v) { pcibus_cfg_write(0, dev.pci.slot, 0, off, size, v); }

/* A fresh device of ops over be, on a slot of its own, with bus mastering
 * on and MSI-X enabled, every vector unmasked. */
static void fresh(const struct vpci_ops *ops, void *ctx, const struct vpci_backend *be)
{
	char err[128];
	memset(vm.ram, 0, RAM_SIZE);
	nfired = nattach = routes = requests_seen = 0;
	attach_fail_at = -1;
	request_len = 4;
	assert_int_equal(vpci_init(&dev, &vm, ops, ctx, be, err, sizeof(err)), 0);
	assert_int_equal(vpci_attach(&dev, PCI_BDF(0, next_slot++, 0), NULL, 0), 0);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	cfg_wr(dev.msix_cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	for (unsigned v = 0; v < dev.msix.nvec; v++) {
		wr(VPCI_MSIX_TABLE + 16 * v + PCI_MSIX_ENTRY_LOWER_ADDR, 4, 0xfee00000);
		wr(VPCI_MSIX_TABLE + 16 * v + PCI_MSIX_ENTRY_DATA, 4, 0x30 + v);
		wr(VPCI_MSIX_TABLE + 16 * v + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	}
}

/* The driver's side of §3.1.1, up to DRIVER_OK, with queue 0 set up at
 * DESC/AVAIL/USED, vector 0 for it, vector 2 for configuration. */
static void driver_ok(uint64_t features)
{
	wr(CC(device_status), 1, 0);
	wr(CC(device_status), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(CC(driver_feature_select), 4, 0);
	wr(CC(driver_feature), 4, (uint32_t)features);
	wr(CC(driver_feature_select), 4, 1);
	wr(CC(driver_feature), 4, (uint32_t)(features >> 32));
	wr(CC(device_status), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_true(rd(CC(device_status), 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	wr(CC(config_msix_vector), 2, 2);
	wr(CC(queue_select), 2, 0);
	wr(CC(queue_size), 2, QSIZE);
	wr(CC(queue_msix_vector), 2, 0);
	wr(CC(queue_desc_lo), 4, DESC);
	wr(CC(queue_driver_lo), 4, AVAIL);
	wr(CC(queue_device_lo), 4, USED);
	wr(CC(queue_enable), 2, 1);
	assert_int_equal(rd(CC(queue_enable), 2), 1);
	wr(CC(device_status), 1,
	   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

#define VERSION_1 (1ull << VIRTIO_F_VERSION_1)

/* Puts one chain on queue 0's available ring: a readable then a writable
 * buffer of len bytes each, at DATA. */
static void post_request(uint16_t avail_idx, uint32_t len)
{
	struct virtq_desc *d = (struct virtq_desc *)(vm.ram + DESC);
	struct virtq_avail *a = (struct virtq_avail *)(vm.ram + AVAIL);
	d[0] = (struct virtq_desc){ .addr = DATA, .len = len, .flags = VIRTQ_DESC_F_NEXT, .next = 1 };
	d[1] = (struct virtq_desc){ .addr = DATA + len, .len = len, .flags = VIRTQ_DESC_F_WRITE };
	a->ring[(avail_idx - 1) % QSIZE] = 0;
	a->idx = avail_idx;
}

static uint16_t used_idx(void) { return ((struct virtq_used *)(vm.ram + USED))->idx; }
static uint32_t used_len(unsigned i) { return ((struct virtq_used *)(vm.ram + USED))->ring[i].len; }

static void notify(unsigned qi) { wr(VPCI_NOTIFY + qi * VPCI_NOTIFY_MULT, 2, qi); }

/* --- tests ------------------------------------------------------------------ */

static void features_offered_by_select(void **state)
{
	fresh(&test_ops, NULL, &be_exits);
	wr(CC(device_feature_select), 4, 0);
	assert_int_equal(rd(CC(device_feature), 4), 1u << TEST_FEATURE | 1u << VIRTIO_F_EVENT_IDX);
	wr(CC(device_feature_select), 4, 1);
	assert_int_equal(rd(CC(device_feature), 4), 1u << (VIRTIO_F_VERSION_1 - 32));
	wr(CC(device_feature_select), 4, 2); /* past the 64 bits: zero */
	assert_int_equal(rd(CC(device_feature), 4), 0);
	assert_int_equal(rd(CC(num_queues), 2), 2);
	/* A 2-byte write to a 4-byte field is not that field (§4.1.3.1). */
	wr(CC(device_feature_select), 2, 0);
	assert_int_equal(rd(CC(device_feature_select), 4), 2);
}

static void features_ok_refused(void **state)
{
	static const uint8_t ad = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	fresh(&test_ops, NULL, &be_exits);

	/* A bit the device did not offer: FEATURES_OK does not stick. */
	wr(CC(device_status), 1, ad);
	wr(CC(driver_feature_select), 4, 0);
	wr(CC(driver_feature), 4, 1u << TEST_FEATURE | 1u << 7);
	wr(CC(driver_feature_select), 4, 1);
	wr(CC(driver_feature), 4, 1);
	wr(CC(device_status), 1, ad | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(rd(CC(device_status), 1), ad);

	/* Without VIRTIO_F_VERSION_1 (a legacy driver): refused too. */
	wr(CC(driver_feature_select), 4, 0);
	wr(CC(driver_feature), 4, 1u << TEST_FEATURE);
	wr(CC(driver_feature_select), 4, 1);
	wr(CC(driver_feature), 4, 0);
	wr(CC(device_status), 1, ad | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(rd(CC(device_status), 1), ad);

	/* A subset with VERSION_1: accepted, and the features are frozen. */
	wr(CC(driver_feature), 4, 1);
	wr(CC(device_status), 1, ad | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(rd(CC(device_status), 1), ad | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(dev.guest_features, VERSION_1 | 1u << TEST_FEATURE);
	wr(CC(driver_feature_select), 4, 0);
	wr(CC(driver_feature), 4, 0);
	assert_int_equal(dev.guest_features, VERSION_1 | 1u << TEST_FEATURE);
}

static void queue_enable_locks_the_queue(void **state)
{
	fresh(&test_ops, NULL, &be_exits);
	driver_ok(VERSION_1);
	wr(CC(queue_select), 2, 0);
	wr(CC(queue_size), 2, 4);
	wr(CC(queue_desc_lo), 4, 0x5000);
	wr(CC(queue_msix_vector), 2, 1);
	assert_int_equal(rd(CC(queue_size), 2), QSIZE);
	assert_int_equal(rd(CC(queue_desc_lo), 4), DESC);
	assert_int_equal(rd(CC(queue_msix_vector), 2), 0);
	/* Queue 1 is not enabled: still the driver's to set. */
	wr(CC(queue_select), 2, 1);
	assert_int_equal(rd(CC(queue_size), 2), VPCI_QUEUE_SIZE_MAX);
	assert_int_equal(rd(CC(queue_notify_off), 2), 1);
	wr(CC(queue_size), 2, 4);
	assert_int_equal(rd(CC(queue_size), 2), 4);
	/* A queue that does not exist reads as size 0 and takes nothing. */
	wr(CC(queue_select), 2, 2);
	assert_int_equal(rd(CC(queue_size), 2), 0);
	wr(CC(queue_size), 2, 4);
	wr(CC(queue_enable), 2, 1);
	assert_int_equal(rd(CC(queue_size), 2), 0);
	assert_int_equal(rd(CC(queue_enable), 2), 0);
}

static void notify_without_fast_path(void **state)
{
	fresh(&test_ops, NULL, &be_exits);
	driver_ok(VERSION_1);
	cfg_wr(PCI_BASE_ADDRESS_0, 4, 0xc0000000);
	cfg_wr(PCI_BASE_ADDRESS_0 + 4, 4, 0);
	assert_int_equal(nattach, 0); /* nothing to attach: every notify exits */
	post_request(1, 16);
	notify(0);
	assert_int_equal(requests_seen, 1);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(used_len(0), 4);
	assert_int_equal(dev.q[0].notifies, 1);
	assert_int_equal(nfired, 1);
	assert_int_equal(fired[0], 0); /* queue 0's vector */
	assert_int_equal(rd(VPCI_ISR, 1), VIRTIO_PCI_ISR_QUEUE);
	assert_int_equal(rd(VPCI_ISR, 1), 0); /* reading cleared it (§4.1.4.5) */
	/* A notify past the last queue is no queue's. */
	wr(VPCI_NOTIFY + 2 * VPCI_NOTIFY_MULT, 2, 2);
	assert_int_equal(requests_seen, 1);
}

static void fast_path_follows_the_bar(void **state)
{
	fresh(&test_ops, NULL, &be_fast);
	assert_int_equal(vpci_bar_moved(&dev, 0xc0100000), 0);
	assert_int_equal(nattach, 2);
	assert_int_equal(attach_log[0].addr, 0xc0100000 + VPCI_NOTIFY);
	assert_int_equal(attach_log[1].addr, 0xc0100000 + VPCI_NOTIFY + VPCI_NOTIFY_MULT);
	assert_true(attach_log[0].assign && attach_log[1].assign);
	assert_int_equal(vpci_bar_moved(&dev, 0xc0200000), 0); /* both out, both in */
	assert_int_equal(nattach, 6);
	assert_false(attach_log[2].assign);
	assert_int_equal(attach_log[2].addr, 0xc0100000 + VPCI_NOTIFY);
	assert_int_equal(attach_log[5].addr, 0xc0200000 + VPCI_NOTIFY + VPCI_NOTIFY_MULT);
	/* The second queue's assign fails: the first is undone, nothing is left. */
	attach_fail_at = 9;
	assert_int_equal(vpci_bar_moved(&dev, 0xc0300000), -1);
	assert_int_equal(nattach, 11);
	assert_false(attach_log[10].assign);
	assert_int_equal(attach_log[10].addr, 0xc0300000 + VPCI_NOTIFY);
	assert_int_equal(dev.bar, 0);
	/* And what the fast path delivers is served like an exit. */
	driver_ok(VERSION_1);
	post_request(1, 16);
	vpci_queue_notified(&dev, 0, 3);
	assert_int_equal(dev.q[0].notifies, 3);
	assert_int_equal(requests_seen, 1);
	vpci_queue_notified(&dev, 2, 1); /* no such queue: the first past the last */
	assert_int_equal(requests_seen, 1);
	assert_int_equal(rd(CC(device_status), 1) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
}

static void reset_mid_request(void **state)
{
	fresh(&test_ops, NULL, &be_exits);
	driver_ok(VERSION_1);
	post_request(1, 16);
	wr(CC(device_status), 1, 0); /* the driver resets before the device saw it */
	notify(0);
	assert_int_equal(requests_seen, 0);
	assert_int_equal(used_idx(), 0);
	assert_int_equal(nfired, 0);
	/* Everything is back as at power-on (§4.1.4.3.1). */
	assert_int_equal(rd(CC(device_status), 1), 0);
	assert_int_equal(rd(CC(queue_enable), 2), 0);
	assert_int_equal(rd(CC(queue_desc_lo), 4), 0);
	assert_int_equal(rd(CC(queue_size), 2), VPCI_QUEUE_SIZE_MAX);
	assert_int_equal(rd(CC(queue_msix_vector), 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(rd(CC(config_msix_vector), 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(dev.guest_features, 0);
	/* The driver starts over; the request it posts again is served once. */
	driver_ok(VERSION_1);
	memset(vm.ram + USED, 0, 0x100);
	post_request(1, 16);
	notify(0);
	assert_int_equal(requests_seen, 1);
	assert_int_equal(used_idx(), 1);
}

static void bus_master_off_holds_requests(void **state)
{
	fresh(&test_ops, NULL, &be_exits);
	driver_ok(VERSION_1);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	post_request(1, 16);
	notify(0);
	assert_int_equal(requests_seen, 0);
	assert_int_equal(used_idx(), 0);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(requests_seen, 1);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(nfired, 1);
}

/* An MSI is a memory write: a vector left pending while masked is not
 * sent when it is unmasked with bus mastering off, only once the guest
 * sets COMMAND.MASTER again. */
static void pending_vector_waits_for_bus_master(void **state)
{
	fresh(&test_ops, NULL, &be_exits);
	driver_ok(VERSION_1);
	wr(VPCI_MSIX_TABLE + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, PCI_MSIX_ENTRY_CTRL_MASKBIT); /* queue 0's vector */
	post_request(1, 16);
	notify(0);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(nfired, 0); /* masked: pending */
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	wr(VPCI_MSIX_TABLE + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	assert_int_equal(nfired, 0); /* unmasked, but no bus mastering */
	assert_true(rd(VPCI_MSIX_PBA, 4) & 1);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(nfired, 1);
	assert_int_equal(fired[0], 0);
	assert_false(rd(VPCI_MSIX_PBA, 4) & 1);
}

static void broken_ring_needs_reset(void **state)
{
	fresh(&test_ops, NULL, &be_exits);
	driver_ok(VERSION_1);
	struct virtq_desc *d = (struct virtq_desc *)(vm.ram + DESC);
	struct virtq_avail *a = (struct virtq_avail *)(vm.ram + AVAIL);
	d[0] = (struct virtq_desc){ .addr = RAM_SIZE - 4, .len = 64, .flags = VIRTQ_DESC_F_WRITE }; /* past RAM */
	a->ring[0] = 0;
	a->idx = 1;
	notify(0);
	assert_int_equal(requests_seen, 0);
	assert_true(rd(CC(device_status), 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(nfired, 1);
	assert_int_equal(fired[0], 2); /* the configuration vector */
	assert_int_equal(rd(VPCI_ISR, 1), VIRTIO_PCI_ISR_CONFIG);
	/* A driver status write keeps DEVICE_NEEDS_RESET until a reset. */
	wr(CC(device_status), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	assert_true(rd(CC(device_status), 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	wr(CC(device_status), 1, 0);
	assert_int_equal(rd(CC(device_status), 1), 0);
}

/* The VIRTIO_PCI_CAP_PCI_CFG capability's window (§4.1.4.8). */
static void pci_cfg_window(void **state)
{
	fresh(&test_ops, NULL, &be_exits);
	unsigned cap = dev.cfg_cap;
	unsigned bar = cap + offsetof(struct virtio_pci_cap, bar);
	unsigned offset = cap + offsetof(struct virtio_pci_cap, offset);
	unsigned length = cap + offsetof(struct virtio_pci_cap, length);
	unsigned data = cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);

	assert_int_equal(cfg_rd(cap + offsetof(struct virtio_pci_cap, cfg_type), 1), VIRTIO_PCI_CAP_PCI_CFG);
	cfg_wr(bar, 1, 0);
	cfg_wr(offset, 4, CC(num_queues));
	cfg_wr(length, 4, 2);
	assert_int_equal(cfg_rd(data, 4) & 0xffff, 2);
	/* A write through the window reaches the register. */
	cfg_wr(offset, 4, CC(device_status));
	cfg_wr(length, 4, 1);
	cfg_wr(data, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	assert_int_equal(rd(CC(device_status), 1), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	/* The device configuration too. */
	cfg_wr(offset, 4, VPCI_DEVICE);
	cfg_wr(length, 4, 4);
	uint32_t v = cfg_rd(data, 4);
	assert_memory_equal(&v, "cfgb", 4);
	/* Windows that name no valid place do nothing: another BAR, a length
	 * of 3, a misaligned offset, an offset past the BAR. */
	static const struct { uint8_t bar; uint32_t off, len; } bad[] = {
		{ 1, CC(device_status), 1 }, { 0, CC(device_status), 3 }, { 0, CC(num_queues) - 1, 2 },
		{ 0, VPCI_BAR_SIZE, 4 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg_wr(bar, 1, bad[i].bar);
		cfg_wr(offset, 4, bad[i].off);
		cfg_wr(length, 4, bad[i].len);
		cfg_wr(data, 4, 0xa5a5a5a5); /* no write */
		assert_int_equal(rd(CC(device_status), 1), VIRTIO_CONFIG_S_ACKNOWLEDGE);
		assert_int_equal(cfg_rd(data, 4), 0xa5a5a5a5); /* no read into the window */
	}
}

/* --- the two devices' ops tables -------------------------------------------- */

static void blk_ops_features_and_capacity(void **state)
{
	struct blk_disk disk = { .fd = -1, .read_only = true, .sectors = 2048 };
	fresh(&virtio_blk_ops, &disk, &be_exits);
	assert_int_equal(vpci_device_id(&dev), VIRTIO_PCI_DEVICE_ID_MODERN_BASE + VIRTIO_ID_BLOCK);
	assert_int_equal(cfg_rd(PCI_SUBSYSTEM_ID, 2), 0x40 + VIRTIO_ID_BLOCK);
	assert_int_equal(rd(CC(num_queues), 2), 1);
	wr(CC(device_feature_select), 4, 0);
	assert_int_equal(rd(CC(device_feature), 4),
			 1u << VIRTIO_BLK_F_FLUSH | 1u << VIRTIO_BLK_F_RO | 1u << VIRTIO_F_EVENT_IDX);
	assert_int_equal(rd(VPCI_DEVICE + offsetof(struct virtio_blk_config, capacity), 4), 2048);
	assert_int_equal(rd(VPCI_DEVICE + offsetof(struct virtio_blk_config, seg_max), 4), VIRTQ_CHAIN_MAX - 2);
}

static void rng_ops_fill_the_buffer(void **state)
{
	fresh(&virtio_rng_ops, NULL, &be_exits);
	assert_int_equal(rd(CC(num_queues), 2), 1);
	wr(CC(device_feature_select), 4, 0);
	assert_int_equal(rd(CC(device_feature), 4), 1u << VIRTIO_F_EVENT_IDX);
	vpci_tune(&dev, false, 0); /* --no-event-idx */
	assert_int_equal(rd(CC(device_feature), 4), 0);
	assert_int_equal(dev.device_cfg_len, 0);
	driver_ok(VERSION_1);
	post_request(1, 64);
	notify(0);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(used_len(0), 64);
	static const uint8_t zeros[64];
	assert_memory_not_equal(vm.ram + DATA + 64, zeros, 64);
	assert_memory_equal(vm.ram + DATA, zeros, 64); /* the readable buffer is left alone */
}

/* --- exits avoided: EVENT_IDX, the flag form, polling ------------------------ */

#define EVENT_IDX (1ull << VIRTIO_F_EVENT_IDX)
static uint16_t *used_event(void) { return virtq_used_event((struct virtq_avail *)(vm.ram + AVAIL), QSIZE); }
static uint16_t *avail_event(void) { return virtq_avail_event((struct virtq_used *)(vm.ram + USED), QSIZE); }

/* With EVENT_IDX the device interrupts only when the used index passes
 * used_event, and tells the driver through avail_event which entry it
 * wants the next notify for (§2.7.7.2, §2.7.10). */
static void event_idx_both_halves(void **state)
{
	fresh(&test_ops, NULL, &be_exits);
	driver_ok(VERSION_1 | EVENT_IDX);
	*used_event() = 1; /* interrupt when used entry 1 is written: the second */
	post_request(1, 16);
	notify(0);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(nfired, 0);
	assert_int_equal(dev.q[0].irqs_suppressed, 1);
	assert_int_equal(*avail_event(), 1); /* notify me for available entry 1 */
	post_request(2, 16);
	notify(0);
	assert_int_equal(used_idx(), 2);
	assert_int_equal(nfired, 1);
	/* A driver that moves used_event past several completions gets one
	 * interrupt for the lot. */
	*used_event() = 4;
	post_request(3, 16);
	post_request(4, 16);
	post_request(5, 16);
	notify(0);
	assert_int_equal(used_idx(), 5);
	assert_int_equal(nfired, 2);
	assert_int_equal(*avail_event(), 5);
	/* The flags are the driver's other language, ignored with EVENT_IDX. */
	((struct virtq_avail *)(vm.ram + AVAIL))->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	*used_event() = 5;
	post_request(6, 16);
	notify(0);
	assert_int_equal(nfired, 3);
}

/* Without EVENT_IDX: VIRTQ_AVAIL_F_NO_INTERRUPT, and the device's
 * VIRTQ_USED_F_NO_NOTIFY stays clear while it does not poll. */
static void flag_form_without_event_idx(void **state)
{
	fresh(&test_ops, NULL, &be_exits);
	driver_ok(VERSION_1);
	((struct virtq_avail *)(vm.ram + AVAIL))->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	post_request(1, 16);
	notify(0);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(nfired, 0);
	assert_int_equal(dev.q[0].irqs_suppressed, 1);
	assert_int_equal(*avail_event(), 0); /* not written without EVENT_IDX */
	((struct virtq_avail *)(vm.ram + AVAIL))->flags = 0;
	post_request(2, 16);
	notify(0);
	assert_int_equal(nfired, 1);
	assert_int_equal(((struct virtq_used *)(vm.ram + USED))->flags, 0);
}

/* A guest that posts while the I/O thread polls: served without a notify. */
static void *late_poster(void *arg)
{
	usleep(2000);
	post_request(2, 16);
	return NULL;
}

static void polling_serves_without_notify(void **state)
{
	for (int event_idx = 0; event_idx < 2; event_idx++) {
		fresh(&test_ops, NULL, &be_fast);
		vpci_tune(&dev, true, 20000); /* 20 ms */
		driver_ok(VERSION_1 | (event_idx ? EVENT_IDX : 0));
		post_request(1, 16);
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, late_poster, NULL), 0);
		vpci_queue_notified(&dev, 0, 1); /* returns when 20 ms pass without a request */
		pthread_join(t, NULL);
		assert_int_equal(requests_seen, 2);
		assert_int_equal(dev.q[0].notifies, 1);
		assert_int_equal(dev.q[0].polled, 1);
		/* Notifies are asked for again at the end. */
		assert_int_equal(((struct virtq_used *)(vm.ram + USED))->flags, 0);
		if (event_idx)
			assert_int_equal(*avail_event(), 2);
	}
}

/* virtio-blk with VIRTIO_BLK_F_MQ: num_queues in its configuration, a
 * notify address per queue, each queue served on its own. */
static void blk_multiqueue(void **state)
{
	static char path[] = "/tmp/exitlab-test-vpci-XXXXXX";
	char err[256];
	int fd = mkstemp(path);
	assert_true(fd >= 0 && ftruncate(fd, 8 * 512) == 0);
	close(fd);
	char spec[sizeof(path) + 16];
	snprintf(spec, sizeof(spec), "%s,queues=4", path);
	struct blk_disk disk;
	assert_int_equal(blk_disk_open(&disk, spec, err, sizeof(err)), 0);
	unlink(path);
	fresh(&virtio_blk_ops, &disk, &be_fast);
	assert_int_equal(rd(CC(num_queues), 2), 4);
	assert_int_equal(rd(VPCI_DEVICE + offsetof(struct virtio_blk_config, num_queues), 2), 4);
	wr(CC(device_feature_select), 4, 0);
	assert_true(rd(CC(device_feature), 4) & 1u << VIRTIO_BLK_F_MQ);
	assert_int_equal(dev.msix.nvec, 5);
	assert_int_equal(vpci_bar_moved(&dev, 0xc0400000), 0);
	assert_int_equal(nattach, 4);
	assert_int_equal(attach_log[3].addr, vpci_notify_addr(0xc0400000, 3));
	wr(CC(queue_select), 2, 3);
	assert_int_equal(rd(CC(queue_notify_off), 2), 3);
	blk_disk_close(&disk);
	/* Refusals at parse time: 0, 65, junk. */
	static const char *const bad[] = { "x,queues=0", "x,queues=65", "x,queues=4k", "x,serial=123456789012345678901" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(blk_disk_open(&disk, bad[i], err, sizeof(err)), -1);
		assert_non_null(strstr(err, strchr(bad[i], ',') + 1));
	}
}

static void init_refuses_bad_ops(void **state)
{
	char err[128];
	struct vpci_ops ops = test_ops;
	struct vpci_dev d;
	ops.nqueues = 0;
	assert_int_equal(vpci_init(&d, &vm, &ops, NULL, &be_exits, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "virtio-test"));
	ops.nqueues = VPCI_MAX_QUEUES + 1;
	assert_int_equal(vpci_init(&d, &vm, &ops, NULL, &be_exits, err, sizeof(err)), -1);
	ops.nqueues = 1;
	ops.request = NULL;
	assert_int_equal(vpci_init(&d, &vm, &ops, NULL, &be_exits, err, sizeof(err)), -1);
}

static int group_setup(void **state)
{
	vm.ram = calloc(1, RAM_SIZE);
	vm.ram_size = RAM_SIZE;
	return vm.ram && pcibus_init(&vm, NULL, 0) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(features_offered_by_select),
		cmocka_unit_test(features_ok_refused),
		cmocka_unit_test(queue_enable_locks_the_queue),
		cmocka_unit_test(notify_without_fast_path),
		cmocka_unit_test(fast_path_follows_the_bar),
		cmocka_unit_test(reset_mid_request),
		cmocka_unit_test(bus_master_off_holds_requests),
		cmocka_unit_test(pending_vector_waits_for_bus_master),
		cmocka_unit_test(broken_ring_needs_reset),
		cmocka_unit_test(pci_cfg_window),
		cmocka_unit_test(blk_ops_features_and_capacity),
		cmocka_unit_test(rng_ops_fill_the_buffer),
		cmocka_unit_test(event_idx_both_halves),
		cmocka_unit_test(flag_form_without_event_idx),
		cmocka_unit_test(polling_serves_without_notify),
		cmocka_unit_test(blk_multiqueue),
		cmocka_unit_test(init_refuses_bad_ops),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
