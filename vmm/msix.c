/*
 * msix.c - MSI-X table, PBA and masking (msix.h).
 *
 * A vector is deliverable when MSI-X is enabled, the function is not
 * masked and may master the bus, and the entry's mask bit is clear.
 * msix_notify() on a vector that is not deliverable sets its pending bit;
 * any change that makes a pending vector deliverable (entry unmask,
 * function unmask, enable, bus mastering on) fires it and clears the bit. A notify while MSI-X is disabled is dropped: the device
 * would use INTx then, which our devices do not offer.
 */
#include "msix.h"

#include <stdio.h>
#include <string.h>

#include "pci_regs.h"
#include "pcibus.h"
#include "trace.h"

void msix_init(struct msix *m, unsigned nvec, msix_fire_fn *fire, msix_route_fn *route, void *opaque)
{
	memset(m, 0, sizeof(*m));
	m->nvec = nvec > MSIX_MAX_VECTORS ? MSIX_MAX_VECTORS : nvec;
	for (unsigned v = 0; v < m->nvec; v++)
		m->table[v].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT; /* masked at reset */
	m->fire = fire;
	m->route = route;
	m->opaque = opaque;
	m->name = "MSI-X";
	pthread_mutex_init(&m->lock, NULL);
}

static bool msix_deliverable(const struct msix *m, unsigned v)
{
	return m->enabled && !m->masked && !m->no_master && !(m->table[v].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static bool pending(const struct msix *m, unsigned v) { return m->pba[v / 64] >> (v % 64) & 1; }

/* Fires every pending vector that has become deliverable. Lock held. */
static void msix_flush_pending(struct msix *m)
{
	for (unsigned v = 0; v < m->nvec; v++) {
		if (pending(m, v) && msix_deliverable(m, v)) {
			m->pba[v / 64] &= ~(1ull << (v % 64));
			if (trace_on(TRACE_IRQ))
				trace_emit(TRACE_IRQ, "%s MSI-X vector %u: pending bit cleared, delivered now", m->name, v);
			m->fired++;
			m->fire(m, v);
		}
	}
}

/* An entry as the trace shows it: the message decoded for x86 (address
 * 0xfeeXXXXX: destination APIC ID in bits 19:12; data: vector in 7:0). */
static void msix_trace_entry(const struct msix *m, unsigned v, const struct msix_entry *e)
{
	uint64_t addr = (uint64_t)e->addr_hi << 32 | e->addr_lo;
	char dest[32] = " (not an APIC address)";
	if ((addr >> 20) == 0xfee)
		snprintf(dest, sizeof(dest), " (APIC ID %u)", (unsigned)(addr >> 12) & 0xff);
	trace_emit(TRACE_IRQ, "%s MSI-X entry %u: address 0x%llx%s data 0x%x (vector %u), %s", m->name, v,
		   (unsigned long long)addr, dest, e->data, e->data & 0xff,
		   e->ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT ? "masked" : "unmasked");
}

void msix_table_access(struct msix *m, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	unsigned v = (unsigned)(off / PCI_MSIX_ENTRY_SIZE);

	if ((size != 4 && size != 8) || off % size || v >= m->nvec) {
		if (!is_write)
			memset(data, 0, size);
		return;
	}
	pthread_mutex_lock(&m->lock);
	uint32_t *words = &m->table[v].addr_lo; /* the entry as 4 dwords */
	unsigned w = (unsigned)(off % PCI_MSIX_ENTRY_SIZE) / 4;
	if (!is_write) {
		memcpy(data, &words[w], size);
	} else {
		struct msix_entry before = m->table[v];
		memcpy(&words[w], data, size);
		m->table[v].ctrl &= PCI_MSIX_ENTRY_CTRL_MASKBIT; /* other bits reserved */
		struct msix_entry *e = &m->table[v];
		bool moved = e->addr_lo != before.addr_lo || e->addr_hi != before.addr_hi || e->data != before.data;
		if (trace_on(TRACE_IRQ) && (moved || e->ctrl != before.ctrl))
			msix_trace_entry(m, v, e);
		if (moved && m->route)
			m->route(m, v, (uint64_t)e->addr_hi << 32 | e->addr_lo, e->data);
		msix_flush_pending(m);
	}
	pthread_mutex_unlock(&m->lock);
}

void msix_pba_access(struct msix *m, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	if (is_write)
		return; /* read-only */
	memset(data, 0, size);
	if ((size == 4 || size == 8) && off % size == 0 && off + size <= sizeof(m->pba)) {
		pthread_mutex_lock(&m->lock);
		memcpy(data, (uint8_t *)m->pba + off, size);
		pthread_mutex_unlock(&m->lock);
	}
}

void msix_control_write(struct msix *m, uint16_t control)
{
	pthread_mutex_lock(&m->lock);
	bool enabled = control & PCI_MSIX_FLAGS_ENABLE, masked = control & PCI_MSIX_FLAGS_MASKALL;
	if (trace_on(TRACE_IRQ) && (enabled != m->enabled || masked != m->masked))
		trace_emit(TRACE_IRQ, "%s MSI-X Message Control: %s%s", m->name, enabled ? "enabled" : "disabled",
			   masked ? ", function masked" : "");
	m->enabled = enabled;
	m->masked = masked;
	msix_flush_pending(m);
	pthread_mutex_unlock(&m->lock);
}

void msix_cap_open(struct pci_fn *p, uint16_t cap)
{
	uint16_t mask = PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL;
	memcpy(p->wmask + cap + PCI_MSIX_FLAGS, &mask, 2);
}

void msix_cfg_written(struct msix *m, const struct pci_fn *p, uint16_t cap, unsigned off, unsigned size)
{
	unsigned ctl_off = cap + PCI_MSIX_FLAGS;
	uint16_t ctl;

	if (!cap || off >= ctl_off + 2 || off + size <= ctl_off)
		return;
	memcpy(&ctl, p->cfg + ctl_off, 2);
	msix_control_write(m, ctl);
}

void msix_notify(struct msix *m, unsigned v)
{
	if (v >= m->nvec)
		return; /* VIRTIO_MSI_NO_VECTOR (0xffff) or a bad vector: nothing */
	pthread_mutex_lock(&m->lock);
	if (!m->enabled) {
		/* dropped: no INTx fallback */
		if (trace_on(TRACE_IRQ))
			trace_emit(TRACE_IRQ, "%s MSI-X vector %u: MSI-X disabled, no interrupt", m->name, v);
	} else if (msix_deliverable(m, v)) {
		m->fired++;
		m->fire(m, v);
	} else {
		m->pba[v / 64] |= 1ull << (v % 64);
		m->held++;
		if (trace_on(TRACE_IRQ))
			trace_emit(TRACE_IRQ, "%s MSI-X vector %u: %s, pending bit set", m->name, v,
				   m->no_master ? "no bus mastering" : "masked");
	}
	pthread_mutex_unlock(&m->lock);
}

void msix_bus_master(struct msix *m, bool on)
{
	pthread_mutex_lock(&m->lock);
	m->no_master = !on;
	msix_flush_pending(m);
	pthread_mutex_unlock(&m->lock);
}
