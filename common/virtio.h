/*
 * virtio.h - transport-independent virtio 1.x definitions shared by the
 * guest driver and the VMM's devices: device status and feature bits, the
 * split virtqueue layout, and the virtio-blk request format. (The PCI
 * transport is in virtio_pci.h.) Section numbers are virtio v1.2's, with
 * titles. Every layout that crosses the guest/VMM seam is frozen with
 * _Static_assert. All fields are little-endian; exitlab is x86-only.
 * Self-contained: <stdint.h>, <stddef.h>.
 */
#ifndef VIRTIO_H
#define VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* §5 "Device Types": virtio device IDs (PCI device ID = 0x1040 + id). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

/* §2.1 "Device Status Field". */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE 1    /* the guest noticed the device */
#define VIRTIO_CONFIG_S_DRIVER 2         /* ...and knows how to drive it */
#define VIRTIO_CONFIG_S_DRIVER_OK 4      /* the driver is ready */
#define VIRTIO_CONFIG_S_FEATURES_OK 8    /* feature negotiation is complete */
#define VIRTIO_CONFIG_S_NEEDS_RESET 0x40 /* the device hit an error */
#define VIRTIO_CONFIG_S_FAILED 0x80      /* the driver gave up */

/* §6 "Reserved Feature Bits" (bit numbers). */
#define VIRTIO_F_ANY_LAYOUT 27
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32     /* a modern (1.x) device: required here */
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34

/* §2.7 "Split Virtqueues". Queue size is a power of two, at most 32768. */
#define VIRTQ_SIZE_MAX 32768

/* §2.7.5 "The Virtqueue Descriptor Table". */
#define VIRTQ_DESC_F_NEXT 1     /* the chain continues at .next */
#define VIRTQ_DESC_F_WRITE 2    /* device writes (else reads) this buffer */
#define VIRTQ_DESC_F_INDIRECT 4 /* the buffer is a table of descriptors */

struct virtq_desc {
	uint64_t addr; /* guest-physical */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtio 2.7.5");
_Static_assert(offsetof(struct virtq_desc, flags) == 12, "virtio 2.7.5");

/* §2.7.6 "The Virtqueue Available Ring" (driver area): flags, idx, then
 * ring[queue_size] (and used_event with VIRTIO_F_EVENT_IDX). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
struct virtq_avail {
	uint16_t flags;
	uint16_t idx; /* where the driver puts the next entry, mod 2^16 */
	uint16_t ring[];
};
_Static_assert(offsetof(struct virtq_avail, ring) == 4, "virtio 2.7.6");

/* §2.7.8 "The Virtqueue Used Ring" (device area). */
#define VIRTQ_USED_F_NO_NOTIFY 1
struct virtq_used_elem {
	uint32_t id;  /* head of the completed descriptor chain */
	uint32_t len; /* bytes the device wrote into the chain */
};
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtio 2.7.8");
_Static_assert(offsetof(struct virtq_used, ring) == 4, "virtio 2.7.8");

/* §2.7.7, §2.7.10 (VIRTIO_F_EVENT_IDX): after the available ring's
 * entries, used_event: the driver wants an interrupt once the used index
 * passes it; after the used ring's, avail_event: the device wants a notify
 * once the available index passes it. */
static inline uint16_t *virtq_used_event(struct virtq_avail *a, uint16_t size) { return &a->ring[size]; }
static inline uint16_t *virtq_avail_event(struct virtq_used *u, uint16_t size)
{
	return (uint16_t *)(void *)&u->ring[size];
}
/* Moving an index from old to new_idx crossed event: it was one of the
 * entries old .. new_idx - 1 (mod 2^16). The one rule both sides apply,
 * the driver to its notifies and the device to its interrupts. */
static inline bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* §2.7 alignment: descriptor table 16, available ring 2, used ring 4. */
#define VIRTQ_DESC_ALIGN 16
#define VIRTQ_AVAIL_ALIGN 2
#define VIRTQ_USED_ALIGN 4

/* §5.2 "Block Device": feature bits, config, request. */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5     /* the disk is read-only */
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9  /* VIRTIO_BLK_T_FLUSH is supported */
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14
#define VIRTIO_BLK_SECTOR_SIZE 512

struct virtio_blk_config {
	uint64_t capacity; /* in 512-byte sectors */
	uint32_t size_max;
	uint32_t seg_max;
	struct {
		uint16_t cylinders;
		uint8_t heads, sectors;
	} geometry;
	uint32_t blk_size;
	struct {
		uint8_t physical_block_exp, alignment_offset;
		uint16_t min_io_size;
		uint32_t opt_io_size;
	} topology;
	uint8_t writeback, unused0;
	uint16_t num_queues; /* with VIRTIO_BLK_F_MQ */
};
_Static_assert(offsetof(struct virtio_blk_config, capacity) == 0, "virtio 5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, blk_size) == 20, "virtio 5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, num_queues) == 34, "virtio 5.2.4");
#define VIRTIO_BLK_MQ_MAX 64 /* queues the VMM offers at most (--disk FILE,queues=N) */

#define VIRTIO_BLK_T_IN 0     /* read */
#define VIRTIO_BLK_T_OUT 1    /* write */
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_ID_BYTES 20 /* GET_ID: the device ID string, zero-padded */

/* A request is a chain: this header (device reads), the data buffers, then
 * one status byte (device writes). */
struct virtio_blk_req_hdr {
	uint32_t type; /* VIRTIO_BLK_T_* */
	uint32_t reserved;
	uint64_t sector;
};
_Static_assert(sizeof(struct virtio_blk_req_hdr) == 16, "virtio 5.2.6");

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#endif
