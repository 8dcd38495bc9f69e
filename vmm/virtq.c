/*
 * virtq.c - split virtqueue, device side (virtq.h).
 *
 * Ordering (virtio §2.7.13, §2.7.8): the driver writes descriptors and the
 * available ring entry before it publishes avail->idx, so we load avail->idx
 * with acquire semantics before reading anything it covers; we write the
 * used element before publishing used->idx with a release store. Indices
 * are free-running 16-bit counters; ring slots are index % size.
 */
#include "virtq.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errmsg.h"
#include "vmm.h"

/* The queue is unusable until reset: say why, once. */
__attribute__((format(printf, 2, 3))) static int virtq_break(struct virtq *q, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!q->broken)
		guest_error("%s: guest error: %s; queue stopped until the device is reset", q->name, msg);
	q->broken = true;
	return -1;
}

int virtq_enable(struct virtq *q, const struct vm *vm)
{
	uint16_t n = q->size, max = q->max_size ? q->max_size : VIRTQ_MAX_SIZE;

	if (n == 0 || n > max || (n & (n - 1)))
		return virtq_break(q, "queue size %u: it must be a power of two from 1 to %u", n, max);
	if (q->desc_gpa % VIRTQ_DESC_ALIGN || q->avail_gpa % VIRTQ_AVAIL_ALIGN || q->used_gpa % VIRTQ_USED_ALIGN)
		return virtq_break(q, "misaligned ring (desc 0x%llx, avail 0x%llx, used 0x%llx)",
				   (unsigned long long)q->desc_gpa, (unsigned long long)q->avail_gpa,
				   (unsigned long long)q->used_gpa);
	/* Sizes per §2.7: used_event/avail_event included (2 bytes each). */
	q->desc = vm_gpa_ptr(vm, q->desc_gpa, (uint64_t)n * sizeof(struct virtq_desc));
	q->avail = vm_gpa_ptr(vm, q->avail_gpa, 4 + 2ull * n + 2);
	q->used = vm_gpa_ptr(vm, q->used_gpa, 4 + 8ull * n + 2);
	if (!q->desc || !q->avail || !q->used)
		return virtq_break(q, "ring outside guest RAM (desc 0x%llx, avail 0x%llx, used 0x%llx, size %u)",
				   (unsigned long long)q->desc_gpa, (unsigned long long)q->avail_gpa,
				   (unsigned long long)q->used_gpa, n);
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled = 0;
	q->enabled = true;
	return 0;
}

void virtq_reset(struct virtq *q)
{
	char name[sizeof(q->name)];
	uint16_t max = q->max_size;
	memcpy(name, q->name, sizeof(name));
	memset(q, 0, sizeof(*q));
	memcpy(q->name, name, sizeof(name));
	q->max_size = max;
}

int virtq_pop(struct virtq *q, const struct vm *vm, struct virtq_chain *c)
{
	if (!q->enabled)
		return virtq_break(q, "notified before the queue was enabled");
	if (q->broken)
		return -1;
	uint16_t avail_idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > q->size)
		return virtq_break(q, "available index jumped by %u, more than the queue size %u", pending, q->size);

	uint16_t head = GUEST_READ_ONCE(q->avail->ring[q->last_avail % q->size]);
	if (head >= q->size)
		return virtq_break(q, "available ring names descriptor %u of %u", head, q->size);
	c->head = head;
	c->nbufs = 0;
	/* Walk the chain: at most `size` descriptors, or it loops. */
	for (uint16_t i = head, steps = 0;; steps++) {
		if (steps == q->size || c->nbufs == VIRTQ_CHAIN_MAX)
			return virtq_break(q, "descriptor chain from %u is longer than %u: a loop?", head,
					   steps == q->size ? q->size : VIRTQ_CHAIN_MAX);
		/* One copy, field by field: the guest may change it under us. */
		struct virtq_desc d = {
			.addr = GUEST_READ_ONCE(q->desc[i].addr),
			.len = GUEST_READ_ONCE(q->desc[i].len),
			.flags = GUEST_READ_ONCE(q->desc[i].flags),
			.next = GUEST_READ_ONCE(q->desc[i].next),
		};
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return virtq_break(q, "indirect descriptor %u, but VIRTIO_F_INDIRECT_DESC was not offered", i);
		void *p = vm_gpa_ptr(vm, d.addr, d.len);
		if (!p)
			return virtq_break(q, "descriptor %u: buffer 0x%llx+%u is outside guest RAM", i,
					   (unsigned long long)d.addr, d.len);
		c->bufs[c->nbufs++] = (struct virtq_buf){ p, d.len, d.flags & VIRTQ_DESC_F_WRITE };
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= q->size)
			return virtq_break(q, "descriptor %u: next %u is past the queue size %u", i, d.next, q->size);
		i = d.next;
	}
	q->last_avail++;
	return 1;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	struct virtq_used_elem *e = &q->used->ring[q->used_idx % q->size];
	e->id = head;
	e->len = len;
	q->used_idx++;
	__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
}

bool virtq_want_interrupt(struct virtq *q)
{
	uint16_t old = q->signalled;
	q->signalled = q->used_idx;
	/* The used index is stored before the driver's wish is read: else a
	 * driver that moved used_event just now could miss its interrupt. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx)
		return virtq_need_event(GUEST_READ_ONCE(*virtq_used_event(q->avail, q->size)), q->used_idx, old);
	return !(GUEST_READ_ONCE(q->avail->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void virtq_notifications(struct virtq *q, bool on)
{
	if (!q->enabled || q->broken)
		return;
	if (q->event_idx) {
		/* On: notify for the next entry we have not seen. Off: one
		 * behind it, which no new entry crosses (until the index wraps
		 * all the way round: 65535 entries later). */
		uint16_t event = on ? q->last_avail : (uint16_t)(q->last_avail - 1);
		__atomic_store_n(virtq_avail_event(q->used, q->size), event, __ATOMIC_RELAXED);
	} else {
		uint16_t f = on ? 0 : VIRTQ_USED_F_NO_NOTIFY;
		__atomic_store_n(&q->used->flags, f, __ATOMIC_RELAXED);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* before the ring is looked at again */
}

bool virtq_pending(const struct virtq *q)
{
	return q->enabled && !q->broken && __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE) != q->last_avail;
}
