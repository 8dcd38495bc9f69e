/*
 * tsc.c - the TSC frequency, from the most trustworthy source available:
 *
 *   1. the exitlab VMM's boot info (it asked KVM: KVM_GET_TSC_KHZ);
 *   2. CPUID 0x40000010, the hypervisor timing leaf (VMware's, also offered
 *      by QEMU with vmware-cpuid-freq=on): EAX = TSC kHz;
 *   3. CPUID 0x15, crystal clock * ratio (Intel SDM), when fully reported;
 *   4. CPUID 0x16 EAX, the nominal base frequency in MHz;
 *   5. counting TSC ticks across 10 ms of PIT channel 2 (ports 0x42, 0x43,
 *      0x61), which every PC-compatible VMM emulates.
 */
#include "tsc.h"

#include "cpu.h"
#include "lib.h"

#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_MODE 0x43
#define PIT_GATE 0x61 /* bit 0: ch2 gate, bit 1: speaker, bit 5: ch2 output */

static uint64_t khz;
static const char *source = "unknown";

static uint64_t tsc_from_pit(void)
{
	const uint32_t ticks = PIT_HZ / 100; /* 10 ms */
	uint8_t gate = inb(PIT_GATE);

	outb(PIT_GATE, (uint8_t)((gate & ~0x02) | 0x01)); /* gate on, speaker off */
	outb(PIT_MODE, 0xb0);                             /* ch2, lo/hi, mode 0 */
	outb(PIT_CH2, (uint8_t)ticks);
	outb(PIT_CH2, (uint8_t)(ticks >> 8));
	uint64_t t0 = rdtsc_serialized();
	/* Bounded: a missing PIT reads 0xff (output "high") or never rises. */
	for (uint32_t i = 0; i < 50000000u && !(inb(PIT_GATE) & 0x20); i++)
		;
	uint64_t t1 = rdtsc_serialized();
	outb(PIT_GATE, gate);
	return (t1 - t0) / 10; /* ticks per 10 ms -> kHz */
}

void tsc_init(uint64_t vmm_khz)
{
	if (vmm_khz) { /* no CPUID asked: each is an exit, tens of µs of boot on a slow host */
		khz = vmm_khz;
		source = "exitlab boot info (KVM_GET_TSC_KHZ)";
		return;
	}

	uint32_t max_basic = cpuid(0, 0).eax;
	uint32_t hv_max = 0;

	if (cpuid(1, 0).ecx & (1u << 31))
		hv_max = cpuid(0x40000000, 0).eax;

	if (hv_max >= 0x40000010 && hv_max < 0x40000100 && cpuid(0x40000010, 0).eax) {
		khz = cpuid(0x40000010, 0).eax;
		source = "CPUID 0x40000010 (hypervisor timing leaf)";
	} else if (max_basic >= 0x15 && cpuid(0x15, 0).eax && cpuid(0x15, 0).ebx && cpuid(0x15, 0).ecx) {
		struct cpuid_regs r = cpuid(0x15, 0);
		khz = (uint64_t)r.ecx * r.ebx / r.eax / 1000;
		source = "CPUID 0x15 (crystal clock ratio)";
	} else if (max_basic >= 0x16 && (cpuid(0x16, 0).eax & 0xffff)) {
		khz = (uint64_t)(cpuid(0x16, 0).eax & 0xffff) * 1000;
		source = "CPUID 0x16 (nominal base frequency)";
	} else {
		khz = tsc_from_pit();
		source = "calibrated against PIT channel 2 (10 ms)";
	}
	if (!khz) {
		khz = 1000000; /* keep the arithmetic defined; say so loudly */
		source = "unknown (assuming 1 GHz)";
	}
}

uint64_t tsc_khz(void) { return khz; }
const char *tsc_source(void) { return source; }

uint64_t tsc_cycles_to_ns10(uint64_t cycles)
{
	/* ns = cycles / (kHz / 1e6); in tenths, and without overflow for any
	 * count a benchmark sample can reach (< 2^40 cycles). */
	return cycles * 10000000u / khz;
}
