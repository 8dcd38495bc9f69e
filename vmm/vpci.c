/*
 * vpci.c - the virtio-pci transport (vpci.h): common configuration, ISR,
 * device configuration, notifies, MSI-X and the PCI-cfg window, for any
 * device described by a struct vpci_ops, over any struct vpci_backend.
 *
 * The guest reaches the device three ways: common configuration and ISR
 * and device config through MMIO exits into vpci_bar_access() (vCPU
 * thread); queue notifies through the back end's fast path (an ioeventfd
 * that wakes the I/O thread, which calls vpci_queue_notified()) or an MMIO
 * exit; and interrupts the other way, through msix.c and the back end.
 * d->lock keeps the two threads from seeing a half-reset device.
 *
 * Common configuration follows §4.1.4.3: feature words through their
 * select registers, FEATURES_OK refused for features we did not offer or
 * without VIRTIO_F_VERSION_1, writing 0 to device_status resets the
 * device, queue_enable maps and checks the rings (virtq.c). A guest error
 * in a ring sets DEVICE_NEEDS_RESET and raises the configuration vector.
 */
#include "vpci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "errmsg.h"
#include "pci_regs.h"
#include "trace.h"
#include "vmm.h"

#define CC(field) __builtin_offsetof(struct virtio_pci_common_cfg, field)
#define CC_SIZE(field) sizeof(((struct virtio_pci_common_cfg *)0)->field)

uint16_t vpci_device_id(const struct vpci_dev *d) { return (uint16_t)(VIRTIO_PCI_DEVICE_ID_MODERN_BASE + d->ops->type); }

/* --- interrupts ----------------------------------------------------------- */

static void vpci_msix_fire(struct msix *m, unsigned v)
{
	struct vpci_dev *d = m->opaque;
	d->be->irq_fire(d, v);
}

static void vpci_msix_route(struct msix *m, unsigned v, uint64_t addr, uint32_t data)
{
	struct vpci_dev *d = m->opaque;
	d->be->irq_route(d, v, addr, data);
}

/* Raises vector v for queue qi's used ring (qi < 0: a configuration
 * change); msix.c's trace says whether it is sent, held or dropped. */
static void vpci_interrupt(struct vpci_dev *d, uint16_t v, int qi)
{
	if (trace_on(TRACE_IRQ)) {
		char why[32];
		if (qi < 0)
			snprintf(why, sizeof(why), "configuration change");
		else
			snprintf(why, sizeof(why), "queue %d used", qi);
		if (v >= d->msix.nvec)
			trace_emit(TRACE_IRQ, "%s %s: no MSI-X vector set, no interrupt", d->label,
				   why);
		else
			trace_emit(TRACE_IRQ, "%s %s: vector %u", d->label, why, v);
	}
	msix_notify(&d->msix, v);
}

/* The device hit a guest error: DEVICE_NEEDS_RESET and a config interrupt. */
static void vpci_needs_reset(struct vpci_dev *d)
{
	d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	d->isr |= VIRTIO_PCI_ISR_CONFIG;
	if (trace_on(TRACE_VIRTIO))
		trace_emit(TRACE_VIRTIO, "%s device_status |= DEVICE_NEEDS_RESET", d->label);
	/* An MSI is a memory write: without bus mastering it waits. */
	if (d->bus_master)
		vpci_interrupt(d, d->msix_config, -1);
	else
		d->config_irq_held = true;
}

/* --- queues ----------------------------------------------------------------- */

/* The chain as the trace shows it: head, then each buffer's guest address,
 * length and direction. */
static void vpci_trace_chain(const struct vpci_dev *d, unsigned qi, const struct virtq_chain *c)
{
	char line[400];
	int n = snprintf(line, sizeof(line), "%s queue %u: popped chain head %u, %u descriptor%s:", d->name, qi,
			 c->head, c->nbufs, c->nbufs == 1 ? "" : "s");
	for (unsigned i = 0; i < c->nbufs && n > 0 && (size_t)n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " [0x%llx len %u %s]",
			      (unsigned long long)((const uint8_t *)c->bufs[i].base - d->vm->ram), c->bufs[i].len,
			      c->bufs[i].writable ? "WRITE" : "read");
	trace_emit(TRACE_IOTHREAD, "%s", line);
}

/* Serves every chain the guest made available on queue qi. Lock held.
 * While the I/O thread polls the queue (`polling`) the driver is asked for
 * no notifies; else notifies are asked for again before the last look at
 * the ring, so that an entry added meanwhile is not left unseen. */
static unsigned vpci_queue_service_locked(struct vpci_dev *d, unsigned qi, bool polling)
{
	struct vpci_queue *q = &d->q[qi];
	struct virtq_chain c;
	unsigned served = 0;
	int r;

	if (!(d->status & VIRTIO_CONFIG_S_DRIVER_OK) || (d->status & VIRTIO_CONFIG_S_NEEDS_RESET))
		return 0;
	/* Without bus mastering a function may not touch memory (PCI 3.0
	 * §6.2.2): the rings stay as they are, and the requests wait until
	 * the guest sets COMMAND.MASTER again (vpci_cfg_written). */
	if (!d->bus_master) {
		if (!q->master_off_reported)
			guest_error("%s: queue %u notified with bus mastering off: requests wait until the guest sets it",
				    d->name, qi);
		q->master_off_reported = true;
		return 0;
	}
	do {
		while ((r = virtq_pop(&q->vq, d->vm, &c)) == 1) {
			if (trace_on(TRACE_IOTHREAD))
				vpci_trace_chain(d, qi, &c);
			uint32_t len = d->ops->request(d->ctx, qi, &c);
			virtq_push(&q->vq, c.head, len);
			if (trace_on(TRACE_IOTHREAD))
				trace_emit(TRACE_IOTHREAD, "%s queue %u: used ring idx %u <- head %u len %u", d->name, qi,
					   q->vq.used_idx, c.head, len);
			q->requests++;
			served++;
		}
		if (r < 0)
			break;
		virtq_notifications(&q->vq, !polling);
	} while (!polling && virtq_pending(&q->vq));
	if (r < 0)
		vpci_needs_reset(d);
	if (!served)
		return 0;
	if (virtq_want_interrupt(&q->vq)) {
		d->isr |= VIRTIO_PCI_ISR_QUEUE;
		vpci_interrupt(d, q->msix_vector, (int)qi);
	} else {
		q->irqs_suppressed++;
		if (trace_on(TRACE_IRQ))
			trace_emit(TRACE_IRQ, "%s queue %u used: no interrupt, the driver asked for none (%s)", d->label, qi,
				   q->vq.event_idx ? "used_event not passed" : "VIRTQ_AVAIL_F_NO_INTERRUPT");
	}
	return served;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --iothread-poll: after serving a notify, the I/O thread keeps looking at
 * the available ring, notifies off, until d->poll_ns pass without a new
 * request; then notifies go back on, and one last look closes the race. */
static void vpci_queue_poll(struct vpci_dev *d, unsigned qi)
{
	struct vpci_queue *q = &d->q[qi];
	uint64_t deadline = now_ns() + d->poll_ns;

	pthread_mutex_lock(&d->lock);
	virtq_notifications(&q->vq, false);
	pthread_mutex_unlock(&d->lock);
	while (now_ns() < deadline) {
		pthread_mutex_lock(&d->lock);
		unsigned n = virtq_pending(&q->vq) ? vpci_queue_service_locked(d, qi, true) : 0;
		pthread_mutex_unlock(&d->lock);
		if (n) {
			q->polled += n;
			deadline = now_ns() + d->poll_ns;
		}
	}
	pthread_mutex_lock(&d->lock);
	vpci_queue_service_locked(d, qi, false); /* notifies on, and the last look */
	pthread_mutex_unlock(&d->lock);
	if (trace_on(TRACE_IOTHREAD))
		trace_emit(TRACE_IOTHREAD, "%s queue %u: polling ended after %llu ns without a request; notifies on",
			   d->label, qi, (unsigned long long)d->poll_ns);
}

void vpci_queue_notified(struct vpci_dev *d, unsigned qi, uint64_t count)
{
	if (qi >= d->nqueues)
		return;
	if (trace_on(TRACE_IOTHREAD))
		trace_emit(TRACE_IOTHREAD, "%s queue %u: notify (%llu signal%s)", d->label, qi,
			   (unsigned long long)count, count == 1 ? "" : "s");
	pthread_mutex_lock(&d->lock);
	d->q[qi].notifies += count;
	unsigned n = vpci_queue_service_locked(d, qi, false);
	pthread_mutex_unlock(&d->lock);
	if (n && d->poll_ns)
		vpci_queue_poll(d, qi);
}

/* --- common configuration ------------------------------------------------- */

static void vpci_reset_locked(struct vpci_dev *d)
{
	for (unsigned i = 0; i < d->nqueues; i++) {
		virtq_reset(&d->q[i].vq);
		d->q[i].msix_vector = VIRTIO_MSI_NO_VECTOR;
		d->q[i].vq.size = VPCI_QUEUE_SIZE_MAX;
	}
	d->guest_features = 0;
	d->dfselect = d->gfselect = 0;
	d->status = 0;
	d->isr = 0;
	d->config_irq_held = false;
	d->queue_select = 0;
	d->msix_config = VIRTIO_MSI_NO_VECTOR;
}

/* The register file as the guest sees it now. */
static void vpci_common_snapshot(const struct vpci_dev *d, struct virtio_pci_common_cfg *c)
{
	const struct vpci_queue *q = d->queue_select < d->nqueues ? &d->q[d->queue_select] : NULL;

	memset(c, 0, sizeof(*c));
	c->device_feature_select = d->dfselect;
	c->device_feature = d->dfselect < 2 ? (uint32_t)(d->host_features >> (32 * d->dfselect)) : 0;
	c->driver_feature_select = d->gfselect;
	c->driver_feature = d->gfselect < 2 ? (uint32_t)(d->guest_features >> (32 * d->gfselect)) : 0;
	c->config_msix_vector = d->msix_config;
	c->num_queues = (uint16_t)d->nqueues;
	c->device_status = d->status;
	c->config_generation = d->config_generation;
	c->queue_select = d->queue_select;
	if (q) { /* a queue that does not exist reads as size 0 (§4.1.4.3) */
		c->queue_size = q->vq.size;
		c->queue_msix_vector = q->msix_vector;
		c->queue_enable = q->vq.enabled;
		c->queue_notify_off = (uint16_t)d->queue_select;
		c->queue_desc_lo = (uint32_t)q->vq.desc_gpa;
		c->queue_desc_hi = (uint32_t)(q->vq.desc_gpa >> 32);
		c->queue_driver_lo = (uint32_t)q->vq.avail_gpa;
		c->queue_driver_hi = (uint32_t)(q->vq.avail_gpa >> 32);
		c->queue_device_lo = (uint32_t)q->vq.used_gpa;
		c->queue_device_hi = (uint32_t)(q->vq.used_gpa >> 32);
	}
}

static void set_half(uint64_t *v, bool hi, uint32_t x)
{
	*v = hi ? (*v & 0xffffffffull) | (uint64_t)x << 32 : (*v & ~0xffffffffull) | x;
}

/* device_status as names: "ACKNOWLEDGE|DRIVER" ("0" for a reset). */
static const char *status_names(uint8_t v, char *buf, size_t len)
{
	static const struct { uint8_t bit; const char *name; } bits[] = {
		{ VIRTIO_CONFIG_S_ACKNOWLEDGE, "ACKNOWLEDGE" }, { VIRTIO_CONFIG_S_DRIVER, "DRIVER" },
		{ VIRTIO_CONFIG_S_FEATURES_OK, "FEATURES_OK" }, { VIRTIO_CONFIG_S_DRIVER_OK, "DRIVER_OK" },
		{ VIRTIO_CONFIG_S_NEEDS_RESET, "DEVICE_NEEDS_RESET" }, { VIRTIO_CONFIG_S_FAILED, "FAILED" },
	};
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (v & bits[i].bit)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "|" : "", bits[i].name);
	uint8_t other = v & (uint8_t)~(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
				       VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED);
	if (other || !v)
		snprintf(buf + n, n < len ? len - n : 0, n ? "|0x%x" : "%#x", other);
	return buf;
}

static void vpci_status_write(struct vpci_dev *d, uint8_t v)
{
	if (v == 0) {
		vpci_reset_locked(d);
		if (trace_on(TRACE_VIRTIO))
			trace_emit(TRACE_VIRTIO, "%s device reset", d->label);
		return;
	}
	/* FEATURES_OK only for a subset of what we offered, VERSION_1 included. */
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && !(d->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((d->guest_features & ~d->host_features) || !(d->guest_features & (1ull << VIRTIO_F_VERSION_1)))) {
		v &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
		if (trace_on(TRACE_VIRTIO))
			trace_emit(TRACE_VIRTIO, "%s FEATURES_OK refused: driver features 0x%llx, offered 0x%llx%s",
				   d->label, (unsigned long long)d->guest_features,
				   (unsigned long long)d->host_features,
				   d->guest_features & (1ull << VIRTIO_F_VERSION_1) ? "" : " (no VIRTIO_F_VERSION_1)");
	}
	d->status = (uint8_t)(v | (d->status & VIRTIO_CONFIG_S_NEEDS_RESET));
}

/* The driver-writable fields of the common configuration (§4.1.4.3), at
 * their own width: any other write is ignored (§4.1.3.1). */
static const struct common_field {
	uint16_t off, size;
	const char *name;
} common_fields[] = {
#define F(f) { CC(f), CC_SIZE(f), #f }
	F(device_feature_select), F(driver_feature_select), F(driver_feature), F(config_msix_vector),
	F(device_status), F(queue_select), F(queue_size), F(queue_msix_vector), F(queue_enable),
	F(queue_desc_lo), F(queue_desc_hi), F(queue_driver_lo), F(queue_driver_hi),
	F(queue_device_lo), F(queue_device_hi),
#undef F
};

static void vpci_trace_common_write(const struct vpci_dev *d, const struct common_field *f, uint64_t off, uint32_t v,
				    unsigned size)
{
	char names[96];
	if (!f)
		trace_emit(TRACE_VIRTIO, "%s common cfg +0x%llx size %u <- 0x%x: not a writable field at that width, ignored",
			   d->label, (unsigned long long)off, size, v);
	else if (f->off == CC(device_status))
		trace_emit(TRACE_VIRTIO, "%s device_status <- %s", d->label,
			   status_names((uint8_t)v, names, sizeof(names)));
	else if (f->off == CC(queue_select) || f->off == CC(queue_size) || f->off == CC(queue_enable) ||
		 f->off == CC(device_feature_select) || f->off == CC(driver_feature_select))
		trace_emit(TRACE_VIRTIO, "%s %s <- %u", d->label, f->name, v);
	else if (f->off >= CC(queue_size) && d->queue_select < d->nqueues)
		trace_emit(TRACE_VIRTIO, "%s %s <- 0x%x (queue %u)", d->label, f->name, v,
			   d->queue_select);
	else
		trace_emit(TRACE_VIRTIO, "%s %s <- 0x%x", d->label, f->name, v);
}

static void vpci_common_write(struct vpci_dev *d, uint64_t off, uint32_t v, unsigned size)
{
	const struct common_field *f = NULL;
	for (size_t i = 0; i < sizeof(common_fields) / sizeof(common_fields[0]) && !f; i++)
		if (common_fields[i].off == off && common_fields[i].size == size)
			f = &common_fields[i];
	if (trace_on(TRACE_VIRTIO))
		vpci_trace_common_write(d, f, off, v, size);
	if (!f)
		return; /* read-only field, or not the field's width (§4.1.3.1): ignored */

	struct vpci_queue *q = d->queue_select < d->nqueues ? &d->q[d->queue_select] : NULL;
	bool queue_locked = q && q->vq.enabled; /* §4.1.4.3.2: no changes once enabled */
	switch (off) {
	case CC(device_feature_select): d->dfselect = v; break;
	case CC(driver_feature_select): d->gfselect = v; break;
	case CC(driver_feature):
		if (d->gfselect < 2 && !(d->status & VIRTIO_CONFIG_S_FEATURES_OK))
			set_half(&d->guest_features, d->gfselect == 1, v);
		break;
	case CC(config_msix_vector):
		d->msix_config = v < d->msix.nvec ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
		break;
	case CC(device_status): vpci_status_write(d, (uint8_t)v); break;
	case CC(queue_select): d->queue_select = (uint16_t)v; break;
	default:
		if (!q || queue_locked) {
			if (trace_on(TRACE_VIRTIO))
				trace_emit(TRACE_VIRTIO, "%s %s ignored: %s", d->label, f->name,
					   q ? "the queue is enabled (§4.1.4.3.2)" : "queue_select names no queue");
			break;
		}
		switch (off) {
		case CC(queue_size): q->vq.size = (uint16_t)v; break;
		case CC(queue_msix_vector):
			q->msix_vector = v < d->msix.nvec ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
			break;
		case CC(queue_desc_lo): set_half(&q->vq.desc_gpa, false, v); break;
		case CC(queue_desc_hi): set_half(&q->vq.desc_gpa, true, v); break;
		case CC(queue_driver_lo): set_half(&q->vq.avail_gpa, false, v); break;
		case CC(queue_driver_hi): set_half(&q->vq.avail_gpa, true, v); break;
		case CC(queue_device_lo): set_half(&q->vq.used_gpa, false, v); break;
		case CC(queue_device_hi): set_half(&q->vq.used_gpa, true, v); break;
		case CC(queue_enable):
			if (v != 1)
				break;
			q->vq.event_idx = d->guest_features >> VIRTIO_F_EVENT_IDX & 1;
			if (virtq_enable(&q->vq, d->vm)) {
				vpci_needs_reset(d);
				break;
			}
			if (trace_on(TRACE_VIRTIO))
				trace_emit(TRACE_VIRTIO, "%s queue %u enabled: size %u desc 0x%llx driver 0x%llx device 0x%llx",
					   d->label, d->queue_select, q->vq.size,
					   (unsigned long long)q->vq.desc_gpa, (unsigned long long)q->vq.avail_gpa,
					   (unsigned long long)q->vq.used_gpa);
			break;
		}
	}
}

void vpci_bar_access(struct vpci_dev *d, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	uint32_t v = 0;

	if (is_write)
		memcpy(&v, data, size < 4 ? size : 4);
	else
		memset(data, 0, size);
	if (off >= VPCI_MSIX_TABLE && off < VPCI_MSIX_TABLE + MSIX_MAX_VECTORS * 16) {
		msix_table_access(&d->msix, off - VPCI_MSIX_TABLE, data, size, is_write);
		return;
	}
	if (off >= VPCI_MSIX_PBA && off < VPCI_MSIX_PBA + 0x1000) {
		msix_pba_access(&d->msix, off - VPCI_MSIX_PBA, data, size, is_write);
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (off < VPCI_COMMON + sizeof(struct virtio_pci_common_cfg)) {
		if (is_write) {
			vpci_common_write(d, off, v, size);
		} else {
			struct virtio_pci_common_cfg c;
			vpci_common_snapshot(d, &c);
			memcpy(data, (uint8_t *)&c + off, off + size <= sizeof(c) ? size : sizeof(c) - off);
		}
	} else if (off == VPCI_ISR && !is_write) {
		data[0] = d->isr; /* reading clears it (§4.1.4.5) */
		d->isr = 0;
	} else if (off >= VPCI_DEVICE && off - VPCI_DEVICE < d->device_cfg_len && !is_write) {
		uint64_t o = off - VPCI_DEVICE;
		memcpy(data, d->device_cfg + o, o + size <= d->device_cfg_len ? size : d->device_cfg_len - o);
	} else if (off >= VPCI_NOTIFY && off < VPCI_NOTIFY + (uint64_t)d->nqueues * VPCI_NOTIFY_MULT && is_write) {
		/* A notify that KVM did not turn into an ioeventfd signal: served
		 * right here, in the vCPU thread (--no-ioeventfd). */
		unsigned qi = (unsigned)(off - VPCI_NOTIFY) / VPCI_NOTIFY_MULT;
		if (trace_on(TRACE_IOTHREAD))
			trace_emit(TRACE_IOTHREAD, "%s queue %u: notify (MMIO exit, no ioeventfd)", d->label, qi);
		d->q[qi].notifies++;
		vpci_queue_service_locked(d, qi, false);
	}
	pthread_mutex_unlock(&d->lock);
}

/* --- placement -------------------------------------------------------------- */

int vpci_bar_moved(struct vpci_dev *d, uint64_t addr)
{
	int (*attach)(struct vpci_dev *, unsigned, uint64_t, bool) = d->be->notify_attach;

	if (addr == d->bar)
		return 0;
	/* d->bar follows what the back end has: after a failed step the next
	 * move starts from the truth, not from where we wished to be. */
	for (unsigned i = 0; attach && d->bar && i < d->nqueues; i++)
		if (attach(d, i, vpci_notify_addr(d->bar, i), false))
			return -1;
	d->bar = 0;
	for (unsigned i = 0; attach && addr && i < d->nqueues; i++) {
		if (attach(d, i, vpci_notify_addr(addr, i), true)) {
			int e = errno;
			while (i--)
				attach(d, i, vpci_notify_addr(addr, i), false);
			errno = e;
			return -1;
		}
	}
	d->bar = addr;
	return 0;
}

int vpci_init(struct vpci_dev *d, struct vm *vm, const struct vpci_ops *ops, void *ctx,
	      const struct vpci_backend *be, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	unsigned nq = ops->queues ? ops->queues(ctx) : ops->nqueues;
	if (!nq || nq > VPCI_MAX_QUEUES || !ops->request || !be->irq_fire || !be->irq_route)
		return errmsg(err, errlen, "%s: %u queues (at most %u), or an operation missing", ops->name, nq,
			      VPCI_MAX_QUEUES);
	d->vm = vm;
	d->ops = ops;
	d->ctx = ctx;
	d->be = be;
	d->name = ops->name;
	d->nqueues = nq;
	d->host_features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_EVENT_IDX |
			   (ops->features ? ops->features(ctx) : 0);
	d->device_cfg_len = ops->config ? ops->config(ctx, d->device_cfg, sizeof(d->device_cfg)) : 0;
	if (d->device_cfg_len > sizeof(d->device_cfg))
		return errmsg(err, errlen, "%s: device configuration of %u bytes (at most %zu)", ops->name,
			      d->device_cfg_len, sizeof(d->device_cfg));
	pthread_mutex_init(&d->lock, NULL);
	for (unsigned i = 0; i < d->nqueues; i++) {
		struct vpci_queue *q = &d->q[i];
		q->vq.max_size = VPCI_QUEUE_SIZE_MAX;
		snprintf(q->vq.name, sizeof(q->vq.name), "%s queue %u", d->name, i);
	}
	/* One MSI-X vector per queue plus one for configuration changes. */
	msix_init(&d->msix, d->nqueues + 1, vpci_msix_fire, vpci_msix_route, d);
	msix_bus_master(&d->msix, d->bus_master); /* COMMAND is 0 at reset: no messages yet */
	vpci_reset_locked(d);
	return 0;
}

void vpci_tune(struct vpci_dev *d, bool event_idx, unsigned poll_us)
{
	if (!event_idx)
		d->host_features &= ~(1ull << VIRTIO_F_EVENT_IDX);
	d->poll_ns = (uint64_t)poll_us * 1000;
}

void vpci_stats_print(const struct vpci_dev *d, FILE *f)
{
	uint64_t notifies = 0, requests = 0, polled = 0, suppressed = 0;
	for (unsigned i = 0; i < d->nqueues; i++) {
		notifies += d->q[i].notifies;
		requests += d->q[i].requests;
		polled += d->q[i].polled;
		suppressed += d->q[i].irqs_suppressed;
	}
	fprintf(f, "stats: %s at %s: notifies %llu (%s), requests %llu, interrupts %llu sent, %llu held pending, "
		"%llu not wanted by the driver, %llu requests found by polling%s\n",
		d->name, d->pci.bdf, (unsigned long long)notifies, d->be->notify_kind, (unsigned long long)requests,
		(unsigned long long)d->msix.fired, (unsigned long long)d->msix.held, (unsigned long long)suppressed,
		(unsigned long long)polled, d->status & VIRTIO_CONFIG_S_NEEDS_RESET ? ", DEVICE_NEEDS_RESET" : "");
	if (d->nqueues > 1)
		for (unsigned i = 0; i < d->nqueues; i++)
			fprintf(f, "stats: %s at %s queue %u: notifies %llu, requests %llu\n", d->name, d->pci.bdf, i,
				(unsigned long long)d->q[i].notifies, (unsigned long long)d->q[i].requests);
}

/* --- on the PCI bus --------------------------------------------------------- */

static void vpci_bar_io(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	vpci_bar_access(opaque, off, data, size, is_write);
}

static void vpci_bar_relocated(struct pci_fn *p, unsigned bar, uint64_t addr)
{
	struct vpci_dev *d = p->opaque;
	if (vpci_bar_moved(d, addr))
		guest_error("%s: cannot move the notify fast paths to 0x%llx: %s (notifies will exit)", d->name,
			    (unsigned long long)addr, strerror(errno));
}

/* The VIRTIO_PCI_CAP_PCI_CFG window (§4.1.4.8): an access to pci_cfg_data
 * is a BAR access of cap.length bytes at cap.offset in BAR cap.bar. A
 * window that does not name a valid place in BAR0 does nothing. */
static void vpci_cfg_window(struct vpci_dev *d, unsigned off, bool is_write)
{
	unsigned data = d->cfg_cap + __builtin_offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	struct virtio_pci_cfg_cap c;

	if (off != data)
		return;
	memcpy(&c, d->pci.cfg + d->cfg_cap, sizeof(c));
	if (c.cap.bar == 0 && (c.cap.length == 1 || c.cap.length == 2 || c.cap.length == 4) &&
	    c.cap.offset % c.cap.length == 0 && c.cap.offset < VPCI_BAR_SIZE)
		vpci_bar_access(d, c.cap.offset, d->pci.cfg + data, c.cap.length, is_write);
}

/* Config writes with side effects: COMMAND's bus master bit, MSI-X
 * Message Control, the window. */
static void vpci_cfg_written(struct pci_fn *p, unsigned off, unsigned size)
{
	struct vpci_dev *d = p->opaque;

	if (off <= PCI_COMMAND && off + size > PCI_COMMAND) {
		pthread_mutex_lock(&d->lock);
		bool was = d->bus_master;
		d->bus_master = p->cfg[PCI_COMMAND] & PCI_COMMAND_MASTER;
		if (d->bus_master != was)
			msix_bus_master(&d->msix, d->bus_master); /* sends what is pending, when on */
		if (d->bus_master && !was) { /* what waited for it */
			if (d->config_irq_held)
				msix_notify(&d->msix, d->msix_config);
			d->config_irq_held = false;
			for (unsigned i = 0; i < d->nqueues; i++)
				if (d->q[i].vq.enabled) /* a queue never enabled has nothing waiting */
					vpci_queue_service_locked(d, i, false);
		}
		pthread_mutex_unlock(&d->lock);
	}
	msix_cfg_written(&d->msix, p, d->msix_cap, off, size);
	vpci_cfg_window(d, off, true);
}

static void vpci_cfg_reading(struct pci_fn *p, unsigned off, unsigned size)
{
	vpci_cfg_window((struct vpci_dev *)p->opaque, off, false);
}

int vpci_attach(struct vpci_dev *d, unsigned bdf, char *err, size_t errlen)
{
	struct pci_fn *p = &d->pci;

	pci_fn_init(p, d->name, VIRTIO_PCI_VENDOR_ID, vpci_device_id(d), d->ops->class_code, 1);
	/* §4.1.2.1: a non-transitional device's subsystem ID is 0x40 or above. */
	uint16_t subsystem = (uint16_t)(0x40 + d->ops->type);
	memcpy(p->cfg + PCI_SUBSYSTEM_ID, &subsystem, sizeof(subsystem));
	p->opaque = d;
	p->vm = d->vm;
	snprintf(d->label, sizeof(d->label), "%s %02x:%02x.%u", d->name, PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf),
		 PCI_BDF_FN(bdf));
	d->msix.name = d->label;
	p->cfg_written = vpci_cfg_written;
	p->cfg_reading = vpci_cfg_reading;
	pci_fn_bar(p, 0, PCI_PARSE_BAR_MEM64, false, VPCI_BAR_SIZE, vpci_bar_io, d);
	p->bars[0].moved = vpci_bar_relocated;

	struct { uint8_t id; uint32_t off, len; } structs[] = {
		{ VIRTIO_PCI_CAP_COMMON_CFG, VPCI_COMMON, sizeof(struct virtio_pci_common_cfg) },
		{ VIRTIO_PCI_CAP_NOTIFY_CFG, VPCI_NOTIFY, d->nqueues * VPCI_NOTIFY_MULT },
		{ VIRTIO_PCI_CAP_ISR_CFG, VPCI_ISR, 1 },
		{ VIRTIO_PCI_CAP_DEVICE_CFG, VPCI_DEVICE, d->device_cfg_len },
	};
	for (size_t i = 0; i < sizeof(structs) / sizeof(structs[0]); i++) {
		if (!structs[i].len)
			continue; /* virtio-rng has no device configuration */
		struct virtio_pci_notify_cap c = {
			.cap = { .cap_len = structs[i].id == VIRTIO_PCI_CAP_NOTIFY_CFG ? 20 : 16,
				 .cfg_type = structs[i].id, .bar = 0, .offset = structs[i].off,
				 .length = structs[i].len },
			.notify_off_multiplier = VPCI_NOTIFY_MULT,
		};
		pci_fn_cap(p, PCI_CAP_ID_VNDR, (uint8_t *)&c + 2, c.cap.cap_len);
	}
	struct virtio_pci_cfg_cap cc = { .cap = { .cap_len = sizeof(cc), .cfg_type = VIRTIO_PCI_CAP_PCI_CFG } };
	d->cfg_cap = pci_fn_cap(p, PCI_CAP_ID_VNDR, (uint8_t *)&cc + 2, sizeof(cc));
	/* The driver picks bar, offset and length, and moves data. */
	memset(p->wmask + d->cfg_cap + __builtin_offsetof(struct virtio_pci_cap, bar), 0xff, 1);
	memset(p->wmask + d->cfg_cap + __builtin_offsetof(struct virtio_pci_cap, offset), 0xff, 8);
	memset(p->wmask + d->cfg_cap + __builtin_offsetof(struct virtio_pci_cfg_cap, pci_cfg_data), 0xff, 4);

	/* MSI-X: table size - 1, then table and PBA (BIR 0) on their own pages. */
	uint8_t msix[10];
	uint16_t flags = (uint16_t)(d->msix.nvec - 1);
	uint32_t table = VPCI_MSIX_TABLE, pba = VPCI_MSIX_PBA;
	memcpy(msix, &flags, 2);
	memcpy(msix + 2, &table, 4);
	memcpy(msix + 6, &pba, 4);
	d->msix_cap = pci_fn_cap(p, PCI_CAP_ID_MSIX, msix, 12);
	msix_cap_open(p, d->msix_cap);
	return pcibus_add(p, bdf, err, errlen);
}
