/*
 * fuzz_vmm_vpci.c - libFuzzer target for the VMM's virtio-pci transport
 * (vmm/vpci.c) with both real devices behind it (virtio-blk over a scratch
 * disk, virtio-rng), as a hostile guest drives it: register accesses in
 * BAR0 (common configuration, ISR, device configuration, notify, MSI-X),
 * config-space accesses (COMMAND, BAR0, MSI-X control, the PCI-cfg
 * window), stores anywhere in guest RAM (so the rings say what the input
 * says), notifies through the fast path, and a scripted driver start-up so
 * that queue processing is reached quickly. No /dev/kvm: the back end is
 * the fuzzer's own.
 *
 * The first input byte picks the device; then each 8 bytes are one step:
 * kind, size, offset (16 bits), value (32 bits). After every step the
 * transport's invariants hold or the target traps: FEATURES_OK only with
 * a subset of the offered features that includes VERSION_1; an enabled
 * queue has a power-of-two size within its maximum and rings inside RAM;
 * ISR holds only its two bits; fired vectors exist; notify fast paths sit
 * inside BAR0. ASan catches any access outside RAM (a heap block of
 * exactly RAM bytes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "pci_regs.h"
#include "pcibus.h"
#include "virtio_blk.h"
#include "vmm.h"
#include "vpci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define RAM 65536
#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .ram_size = RAM };
static struct blk_disk disk;
static struct vpci_dev devs[2], pristine[2];

static void be_fire(struct vpci_dev *d, unsigned v) { CHECK(v < d->msix.nvec); }
static void be_route(struct vpci_dev *d, unsigned v, uint64_t addr, uint32_t data) { CHECK(v < d->msix.nvec); }
static int be_attach(struct vpci_dev *d, unsigned qi, uint64_t addr, bool assign)
{
	CHECK(qi < d->nqueues);
	CHECK(addr >= d->pci.bars[0].mapped || !assign);
	return 0;
}
static const struct vpci_backend be = { "fuzz", be_fire, be_route, be_attach };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/exitlab-fuzz-vpci-XXXXXX", err[256];
	int fd = mkstemp(path);
	char spec[sizeof(path) + 16];
	snprintf(spec, sizeof(spec), "%s,queues=3", path); /* VIRTIO_BLK_F_MQ */
	if (fd < 0 || ftruncate(fd, 64 * 512) || blk_disk_open(&disk, spec, err, sizeof(err)))
		abort();
	close(fd);
	unlink(path); /* the open descriptor keeps it */
	vm.ram = malloc(RAM);
	if (!vm.ram || pcibus_init(&vm, NULL, 0) || vpci_init(&devs[0], &vm, &virtio_blk_ops, &disk, &be, err, sizeof(err)) ||
	    vpci_attach(&devs[0], PCI_BDF(0, 1, 0), err, sizeof(err)) || vpci_init(&devs[1], &vm, &virtio_rng_ops, NULL, &be, err, sizeof(err)) ||
	    vpci_attach(&devs[1], PCI_BDF(0, 2, 0), err, sizeof(err)))
		abort();
	memcpy(pristine, devs, sizeof(devs));
	return 0;
}

static void bar_access(struct vpci_dev *d, uint16_t off, unsigned size, uint32_t v, bool is_write)
{
	uint8_t buf[8] = { 0 };
	memcpy(buf, &v, 4);
	vpci_bar_access(d, off % VPCI_BAR_SIZE, buf, size, is_write);
}

#define CC(field) __builtin_offsetof(struct virtio_pci_common_cfg, field)

/* The driver's start-up (§3.1.1) with queue 0 of size 2^(v % 9) at ring
 * addresses taken from v, so the rings the input writes get served. */
static void script(struct vpci_dev *d, uint32_t v)
{
	static const uint8_t steps[] = { VIRTIO_CONFIG_S_ACKNOWLEDGE, VIRTIO_CONFIG_S_DRIVER,
					 VIRTIO_CONFIG_S_FEATURES_OK };
	uint8_t status = 0;
	bar_access(d, CC(device_status), 1, 0, true);
	for (unsigned i = 0; i < 3; i++) {
		if (steps[i] == VIRTIO_CONFIG_S_FEATURES_OK) {
			bar_access(d, CC(driver_feature_select), 4, 0, true); /* EVENT_IDX, as v says */
			bar_access(d, CC(driver_feature), 4, (v >> 16 & 1) << VIRTIO_F_EVENT_IDX, true);
			bar_access(d, CC(driver_feature_select), 4, 1, true);
			bar_access(d, CC(driver_feature), 4, 1, true); /* VERSION_1 */
		}
		status |= steps[i];
		bar_access(d, CC(device_status), 1, status, true);
	}
	bar_access(d, CC(queue_select), 2, 0, true);
	bar_access(d, CC(queue_size), 2, 1u << (v % 9), true);
	bar_access(d, CC(queue_msix_vector), 2, 0, true);
	bar_access(d, CC(queue_desc_lo), 4, (v >> 4 & 0xf) * 0x1000, true);
	bar_access(d, CC(queue_driver_lo), 4, (v >> 8 & 0xf) * 0x1000, true);
	bar_access(d, CC(queue_device_lo), 4, (v >> 12 & 0xf) * 0x1000, true);
	bar_access(d, CC(queue_enable), 2, 1, true);
	bar_access(d, CC(device_status), 1, status | VIRTIO_CONFIG_S_DRIVER_OK, true);
	for (unsigned n = 0; n < d->msix.nvec; n++) /* every vector to the LAPIC, unmasked */
		bar_access(d, VPCI_MSIX_TABLE + 16 * n + PCI_MSIX_ENTRY_LOWER_ADDR, 4, 0xfee00000, true),
		bar_access(d, VPCI_MSIX_TABLE + 16 * n + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0, true);
}

static void invariants(const struct vpci_dev *d)
{
	if (d->status & VIRTIO_CONFIG_S_FEATURES_OK)
		CHECK(!(d->guest_features & ~d->host_features) && (d->guest_features >> VIRTIO_F_VERSION_1 & 1));
	CHECK(!(d->isr & ~(VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG)));
	CHECK(d->msix_config == VIRTIO_MSI_NO_VECTOR || d->msix_config < d->msix.nvec);
	for (unsigned i = 0; i < d->nqueues; i++) {
		const struct virtq *q = &d->q[i].vq;
		CHECK(d->q[i].msix_vector == VIRTIO_MSI_NO_VECTOR || d->q[i].msix_vector < d->msix.nvec);
		if (!q->enabled)
			continue;
		CHECK(q->size && !(q->size & (q->size - 1)) && q->size <= q->max_size);
		CHECK((uint8_t *)q->desc >= vm.ram && (uint8_t *)(q->desc + q->size) <= vm.ram + RAM);
		CHECK((uint8_t *)q->used >= vm.ram && (uint8_t *)q->used + 6 + 8u * q->size <= vm.ram + RAM);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned sizes[4] = { 1, 2, 4, 8 };
	if (size < 1)
		return 0;
	struct vpci_dev *d = &devs[data[0] & 1];
	memset(vm.ram, 0, RAM);

	for (size_t i = 1; i + 8 <= size; i += 8) {
		uint8_t kind = data[i] % 8;
		unsigned sz = sizes[data[i + 1] % 4];
		uint16_t off;
		uint32_t v;
		memcpy(&off, data + i + 2, 2);
		memcpy(&v, data + i + 4, 4);
		switch (kind) {
		case 0: bar_access(d, off, sz, v, false); break;
		case 1: bar_access(d, off, sz, v, true); break;
		case 2: pcibus_cfg_read(0, d->pci.slot, 0, off % 0x1000, sz > 4 ? 4 : sz); break;
		case 3: pcibus_cfg_write(0, d->pci.slot, 0, off % 0x1000, sz > 4 ? 4 : sz, v); break;
		case 4: memcpy(vm.ram + off % (RAM - 3), &v, 4); break; /* the guest writes its rings */
		case 5: vpci_queue_notified(d, v % (d->nqueues + 1), 1 + (off & 3)); break;
		case 6: script(d, v); break;
		case 7: { /* BAR0 placed and decoding, bus mastering as the input says */
			uint64_t bar = 0xc0000000 + (uint64_t)(off & 0xff) * VPCI_BAR_SIZE;
			pcibus_cfg_write(0, d->pci.slot, 0, PCI_BASE_ADDRESS_0, 4, (uint32_t)bar);
			pcibus_cfg_write(0, d->pci.slot, 0, PCI_BASE_ADDRESS_0 + 4, 4, 0);
			pcibus_cfg_write(0, d->pci.slot, 0, PCI_COMMAND, 2, v & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
			uint16_t ctl = (uint16_t)(v >> 16) & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
			pcibus_cfg_write(0, d->pci.slot, 0, d->msix_cap + PCI_MSIX_FLAGS, 2, ctl);
			break;
		}
		}
		invariants(d);
		CHECK(!d->bar || d->bar == d->pci.bars[0].mapped);
	}
	/* Undecode BAR0 (the bus forgets its range), then back to power-on. */
	pcibus_cfg_write(0, d->pci.slot, 0, PCI_COMMAND, 2, 0);
	CHECK(d->pci.bars[0].mapped == 0 && d->bar == 0);
	memcpy(d, &pristine[d - devs], sizeof(*d));
	return 0;
}
