/*
 * virtio_pci.h - the virtio-over-PCI layout (virtio 1.x, modern devices):
 * how a device is recognised, the vendor-specific capabilities that say in
 * which BAR, at which offset, each virtio structure lives, and the common
 * configuration structure itself. Names follow the spec and Linux
 * include/uapi/linux/virtio_pci.h; section numbers are those of virtio v1.2
 * (the titles are quoted too, as numbering moves between versions).
 *
 * These structures mirror bytes defined by the spec, so every offset and
 * size is frozen with _Static_assert below. All multi-byte fields are
 * little-endian ("le" in the spec); exitlab runs on x86 only, so plain
 * integer types are used. Shared by the guest driver, the VMM's device
 * model and common/pci_parse.c. Self-contained: <stdint.h>, <stddef.h>.
 */
#ifndef VIRTIO_PCI_H
#define VIRTIO_PCI_H

#include <stddef.h>
#include <stdint.h>

/* §4.1.2 "PCI Device Discovery": vendor 0x1af4, device 0x1000..0x107f;
 * modern (non-transitional) device ID = 0x1040 + virtio device ID. */
#define VIRTIO_PCI_VENDOR_ID 0x1af4
#define VIRTIO_PCI_DEVICE_ID_MIN 0x1000
#define VIRTIO_PCI_DEVICE_ID_MAX 0x107f
#define VIRTIO_PCI_DEVICE_ID_MODERN_BASE 0x1040
#define VIRTIO_PCI_DEVICE_ID_TRANSITIONAL_MAX 0x103f /* 0x1000-0x103f: type in the subsystem ID */

/* §4.1.4 "Virtio Structure PCI Capabilities": values of cfg_type. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1 /* struct virtio_pci_common_cfg */
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2 /* queue notify addresses */
#define VIRTIO_PCI_CAP_ISR_CFG 3 /* one byte of ISR status */
#define VIRTIO_PCI_CAP_DEVICE_CFG 4 /* device-specific configuration */
#define VIRTIO_PCI_CAP_PCI_CFG 5 /* config-space window onto the BARs */
#define VIRTIO_PCI_CAP_SHARED_MEMORY_CFG 8 /* shared memory region */
#define VIRTIO_PCI_CAP_VENDOR_CFG 9 /* vendor data (virtio 1.3) */

/* §4.1.4: the capability every virtio structure is located by. The BAR
 * numbers 0..5 are valid; anything else is reserved and the driver must
 * ignore the capability. */
struct virtio_pci_cap {
	uint8_t cap_vndr; /* PCI_CAP_ID_VNDR */
	uint8_t cap_next; /* next capability pointer */
	uint8_t cap_len; /* length of this capability, incl. extra data */
	uint8_t cfg_type; /* VIRTIO_PCI_CAP_* */
	uint8_t bar; /* which BAR holds the structure */
	uint8_t id; /* tells apart several caps of one type */
	uint8_t padding[2];
	uint32_t offset; /* offset of the structure within the BAR */
	uint32_t length; /* length of the structure, in bytes */
};
_Static_assert(offsetof(struct virtio_pci_cap, cap_vndr) == 0, "virtio 4.1.4");
_Static_assert(offsetof(struct virtio_pci_cap, cap_next) == 1, "virtio 4.1.4");
_Static_assert(offsetof(struct virtio_pci_cap, cap_len) == 2, "virtio 4.1.4");
_Static_assert(offsetof(struct virtio_pci_cap, cfg_type) == 3, "virtio 4.1.4");
_Static_assert(offsetof(struct virtio_pci_cap, bar) == 4, "virtio 4.1.4");
_Static_assert(offsetof(struct virtio_pci_cap, id) == 5, "virtio 4.1.4");
_Static_assert(offsetof(struct virtio_pci_cap, offset) == 8, "virtio 4.1.4");
_Static_assert(offsetof(struct virtio_pci_cap, length) == 12, "virtio 4.1.4");
_Static_assert(sizeof(struct virtio_pci_cap) == 16, "virtio 4.1.4");

/* §4.1.4: 64-bit variant, used by VIRTIO_PCI_CAP_SHARED_MEMORY_CFG. */
struct virtio_pci_cap64 {
	struct virtio_pci_cap cap;
	uint32_t offset_hi;
	uint32_t length_hi;
};
_Static_assert(offsetof(struct virtio_pci_cap64, offset_hi) == 16, "virtio 4.1.4");
_Static_assert(offsetof(struct virtio_pci_cap64, length_hi) == 20, "virtio 4.1.4");
_Static_assert(sizeof(struct virtio_pci_cap64) == 24, "virtio 4.1.4");

/* §4.1.4.4 "Notification structure layout": queue q is notified by writing
 * its index to BAR[cap.bar] + cap.offset + queue_notify_off(q) *
 * notify_off_multiplier. The multiplier is 0 or an even power of two. */
struct virtio_pci_notify_cap {
	struct virtio_pci_cap cap;
	uint32_t notify_off_multiplier;
};
_Static_assert(offsetof(struct virtio_pci_notify_cap, notify_off_multiplier) == 16,
	       "virtio 4.1.4.4");
_Static_assert(sizeof(struct virtio_pci_notify_cap) == 20, "virtio 4.1.4.4");

/* §4.1.4.8 "PCI configuration access capability": the driver writes bar,
 * offset and length (1, 2 or 4) into cap, then reads or writes
 * pci_cfg_data to access the BAR through config space. Those cap fields are
 * driver-owned, so their values say nothing about the device. */
struct virtio_pci_cfg_cap {
	struct virtio_pci_cap cap;
	uint8_t pci_cfg_data[4];
};
_Static_assert(offsetof(struct virtio_pci_cfg_cap, pci_cfg_data) == 16, "virtio 4.1.4.8");
_Static_assert(sizeof(struct virtio_pci_cfg_cap) == 20, "virtio 4.1.4.8");

/* §4.1.4.3 "Common configuration structure layout", at BAR[bar] + offset of
 * the VIRTIO_PCI_CAP_COMMON_CFG capability. The first 56 bytes are virtio
 * 1.0; queue_notify_data and queue_reset were added in 1.2. */
struct virtio_pci_common_cfg {
	/* About the whole device. */
	uint32_t device_feature_select; /* read-write */
	uint32_t device_feature; /* read-only for driver */
	uint32_t driver_feature_select; /* read-write */
	uint32_t driver_feature; /* read-write */
	uint16_t config_msix_vector; /* read-write */
	uint16_t num_queues; /* read-only for driver */
	uint8_t device_status; /* read-write; writing 0 resets */
	uint8_t config_generation; /* read-only for driver */

	/* About the virtqueue selected by queue_select. */
	uint16_t queue_select; /* read-write */
	uint16_t queue_size; /* read-write */
	uint16_t queue_msix_vector; /* read-write */
	uint16_t queue_enable; /* read-write */
	uint16_t queue_notify_off; /* read-only for driver */
	uint32_t queue_desc_lo; /* read-write; 64-bit fields as two halves */
	uint32_t queue_desc_hi;
	uint32_t queue_driver_lo; /* read-write: the available ring */
	uint32_t queue_driver_hi;
	uint32_t queue_device_lo; /* read-write: the used ring */
	uint32_t queue_device_hi;
	uint16_t queue_notify_data; /* read-only for driver (1.2) */
	uint16_t queue_reset; /* read-write (1.2) */
};
#define VIRTIO_PCI_COMMON_CFG_V1_0_SIZE 56 /* without the 1.2 fields */
_Static_assert(offsetof(struct virtio_pci_common_cfg, device_feature_select) == 0, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, device_feature) == 4, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, driver_feature_select) == 8, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, driver_feature) == 12, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, config_msix_vector) == 16, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, num_queues) == 18, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, device_status) == 20, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, config_generation) == 21, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_select) == 22, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_size) == 24, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_msix_vector) == 26, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_enable) == 28, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_notify_off) == 30, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_desc_lo) == 32, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_desc_hi) == 36, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_driver_lo) == 40, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_driver_hi) == 44, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_device_lo) == 48, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_device_hi) == 52, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_notify_data) == 56, "4.1.4.3");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_reset) == 58, "4.1.4.3");
_Static_assert(sizeof(struct virtio_pci_common_cfg) == 60, "4.1.4.3");

/* §4.1.4.5 "ISR status capability": bits of the ISR byte (read clears). */
#define VIRTIO_PCI_ISR_QUEUE 0x1
#define VIRTIO_PCI_ISR_CONFIG 0x2

/* "MSI-X Vector Configuration" (§4.1.5.1.2 in v1.2): no vector assigned. */
#define VIRTIO_MSI_NO_VECTOR 0xffff

#endif /* VIRTIO_PCI_H */
