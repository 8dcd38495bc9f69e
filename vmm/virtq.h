/*
 * virtq.h - the device side of a split virtqueue (virtio 1.x §2.7), for
 * the VMM's virtio devices.
 *
 * The rings live in guest memory and the guest is hostile: every index,
 * address and length read from them is checked here, in one place, before
 * a device sees it. A guest mistake never becomes a host crash: the queue
 * is marked broken (the device then sets DEVICE_NEEDS_RESET), the problem
 * is reported once, and the queue stops processing until reset.
 */
#ifndef VMM_VIRTQ_H
#define VMM_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio.h"

struct vm;

#define VIRTQ_MAX_SIZE 1024 /* what our devices offer as queue_size max */
#define VIRTQ_CHAIN_MAX 64  /* buffers one request may have */

struct virtq {
	/* Set by the device: the largest size it offers (0: VIRTQ_MAX_SIZE). */
	uint16_t max_size;
	/* Set by the driver through common cfg, checked by virtq_enable. */
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	/* Set by the device at enable: VIRTIO_F_EVENT_IDX was negotiated. */
	bool event_idx;

	/* Device state. */
	bool enabled, broken;
	uint16_t last_avail; /* next available-ring index to consume */
	uint16_t used_idx;   /* our copy of used->idx */
	uint16_t signalled;  /* used_idx when we last decided on an interrupt */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	char name[32]; /* for messages: "virtio-blk queue 0" */
};

struct virtq_buf {
	void *base;   /* host pointer into guest RAM, len bytes checked */
	uint32_t len;
	bool writable; /* the device may write it (VIRTQ_DESC_F_WRITE) */
};

struct virtq_chain {
	uint16_t head;
	unsigned nbufs;
	struct virtq_buf bufs[VIRTQ_CHAIN_MAX];
};

/* Checks the driver's size and ring addresses and maps the rings. Returns
 * 0, or -1 with the queue broken (the reason printed once). */
int virtq_enable(struct virtq *q, const struct vm *vm);
void virtq_reset(struct virtq *q);
/* Takes the next available chain: 1 if one was taken, 0 if none is
 * pending, -1 if the guest broke the queue (reason printed once). */
int virtq_pop(struct virtq *q, const struct vm *vm, struct virtq_chain *c);
/* Returns a chain to the guest with `len` bytes written into it. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* Does the driver want an interrupt for what was pushed since the last
 * call? With EVENT_IDX: the used index passed used_event (§2.7.10); else
 * unless VIRTQ_AVAIL_F_NO_INTERRUPT (§2.7.7). */
bool virtq_want_interrupt(struct virtq *q);
/* Asks the driver for notifies (on) or not (off, while the device polls):
 * avail_event with EVENT_IDX, VIRTQ_USED_F_NO_NOTIFY without. After
 * turning them on, check virtq_pending(): what the driver added in the
 * meantime got no notify. */
void virtq_notifications(struct virtq *q, bool on);
/* Are chains waiting in the available ring? */
bool virtq_pending(const struct virtq *q);

#endif
