/*
 * apic.c - local APIC for MSI-X (apic.h). Intel SDM Vol. 3 ch. 11:
 * IA32_APIC_BASE (MSR 0x1b) holds the base and the global enable bit; the
 * spurious-interrupt vector register's bit 8 is the software enable; EOI
 * is a write of 0 at offset 0xb0. The APIC page (0xfee00000 by default)
 * lies in the top GiB, which entry.S maps uncached. The legacy PICs are
 * masked: only MSIs reach this guest.
 */
#include "apic.h"

#include <stdbool.h>

#include "cpu.h"
#include "lib.h"
#include "trap.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1u << 11)
#define APIC_ID 0x20
#define APIC_SVR 0xf0
#define APIC_SVR_ENABLE 0x100
#define APIC_SPURIOUS_VECTOR 0x3f /* in the IDT (32-63); low nibble all ones */
#define APIC_EOI 0xb0
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_DIVIDE 0x3e0
#define APIC_TIMER_DIVIDE_BY_1 0xb
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_PERIODIC (1u << 17)
#define APIC_WATCHDOG_VECTOR 0x3e
#define APIC_LVT_TSC_DEADLINE (2u << 17) /* timer mode 10b (Intel SDM Vol. 3 §11.5.4.1) */
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
/* Periodic watchdog for apic_wait(): ~100 ms at the 1 GHz APIC bus clock
 * KVM and QEMU emulate (slower on real hardware: it only bounds a wait).
 * Armed once, not per wait: each APIC register write is an exit. A tick
 * that comes while interrupts are off waits, pending, for the next
 * apic_wait(), which then returns at once: its caller looks again. */
#define APIC_WATCHDOG_TICKS 100000000u

static uintptr_t base;

static void apic_spurious_irq(unsigned vector) {}

/* Turns the APIC on (IA32_APIC_BASE.EN) and returns its MMIO base. */
static uint64_t apic_enable_ring0(uint64_t unused)
{
	uint64_t msr = rdmsr(MSR_APIC_BASE);

	if (!(msr & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, msr | APIC_BASE_ENABLE);
	return msr & 0xfffff000u;
}

const char *apic_init(void)
{
	static char why[160];

	if (base)
		return NULL;
	if (!(cpuid(1, 0).edx & (1u << 9)))
		return "no local APIC (CPUID.1:EDX.APIC clear)";
	/* Mask every line of the legacy 8259 PICs: firmware left them mapped
	 * at vectors 8-15, where a timer tick would look like a #DF. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	uintptr_t at = (uintptr_t)ring0_call(apic_enable_ring0, 0);
	/* CPUID can say there is one where nothing decodes its page: then no
	 * interrupt would ever come, and a HLT would wait for ever. */
	uint32_t version = mmio_read32(at + APIC_VERSION);
	if ((version & 0xff) < 0x10 || (version & 0xff) > 0x1f) {
		snprintf(why, sizeof(why), "no local APIC answers at 0x%lx (its version register reads 0x%x; the "
			 "exitlab VMM makes an in-kernel irqchip for virtio devices, --disk or --rng)", (uint64_t)at,
			 version);
		return why;
	}
	base = at;
	/* A spurious interrupt (one withdrawn while being taken) needs a gate,
	 * else it would be a #GP; it is not acknowledged with an EOI. */
	trap_set_handler(APIC_SPURIOUS_VECTOR, apic_spurious_irq);
	mmio_write32(base + APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
	return NULL;
}

uint64_t apic_msi_address(void)
{
	uint32_t id = mmio_read32(base + APIC_ID) >> 24;
	return 0xfee00000u | id << 12;
}

uint32_t apic_msi_data(uint8_t vector) { return vector; }

void apic_eoi(void) { mmio_write32(base + APIC_EOI, 0); }

uint32_t apic_read(unsigned reg) { return mmio_read32(base + reg); }

static void apic_watchdog_irq(unsigned vector) { apic_eoi(); }

static bool armed; /* the watchdog runs (apic_timer_deadline() stops it) */

int apic_timer_deadline(uint8_t vector)
{
	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_TSC_DEADLINE))
		return -1;
	mmio_write32(base + APIC_LVT_TIMER, vector | APIC_LVT_TSC_DEADLINE);
	armed = false; /* the next apic_wait() puts the watchdog back */
	return 0;
}

void apic_wait(void)
{
	if (!armed) {
		trap_set_handler(APIC_WATCHDOG_VECTOR, apic_watchdog_irq);
		mmio_write32(base + APIC_TIMER_DIVIDE, APIC_TIMER_DIVIDE_BY_1);
		mmio_write32(base + APIC_LVT_TIMER, APIC_WATCHDOG_VECTOR | APIC_LVT_PERIODIC);
		mmio_write32(base + APIC_TIMER_INITIAL, APIC_WATCHDOG_TICKS);
		armed = true;
	}
	trap_wait_interrupt();
}
