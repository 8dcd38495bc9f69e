/*
 * apic.h - the local APIC, as much as MSI-X delivery needs: turn it on,
 * say where an MSI must be aimed (address/data for this CPU and a vector),
 * and acknowledge an interrupt (EOI).
 */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include <stdint.h>

/* Enables the local APIC (xAPIC mode, MMIO at its base). NULL, or why
 * there is none: CPUID says so, or nothing answers at its base (a VMM
 * without an in-kernel irqchip). Idempotent. */
const char *apic_init(void);
/* MSI address and data that deliver `vector` to this CPU: fixed delivery,
 * edge-triggered, physical destination (Intel SDM Vol. 3 §11.11). */
uint64_t apic_msi_address(void);
uint32_t apic_msi_data(uint8_t vector);
void apic_eoi(void);
#define APIC_VERSION 0x30 /* read-only; an xAPIC's reads 0x1X in its low byte (Intel SDM Vol. 3 §11.4.8) */
/* Reads a local APIC register (offset in its 4 KiB page): one MMIO load,
 * which KVM's in-kernel APIC answers. apic_init() first. */
uint32_t apic_read(unsigned reg);
/* Turns the timer to TSC-deadline mode on `vector` (the deadline itself is
 * IA32_TSC_DEADLINE, an MSR: CPL 0). -1 if the CPU has no such mode. The
 * next apic_wait() turns the periodic watchdog back on. */
int apic_timer_deadline(uint8_t vector);
/* Sleeps until an interrupt arrives, at most about 100 ms (the next tick
 * of a periodic APIC timer watchdog). Call with interrupts off; returns
 * with them off. */
void apic_wait(void);

#endif
