/*
 * irqinject.c - interrupt injection latency (irqinject.h).
 *
 * One operation: from CPL 0 with interrupts on, the guest writes the
 * address of a struct exitlab_irq_req to the VMM's irq bench port
 * (exitlab_abi.h). During that exit the VMM writes 1 to an irqfd whose
 * MSI route points at IRQ_VECTOR, noting the host TSC of the write in the
 * guest's TSC (KVM_GET_MSRS of IA32_TSC gives it the offset); the MSI is
 * pending when the vCPU re-enters, and the handler stamps the TSC. Two
 * ways to report it:
 *
 *   correlated  handler stamp - write_tsc: the irqfd write to the handler;
 *   round_trip  handler stamp - the guest's TSC just before its OUT, minus
 *               the median cost of the same OUT to a port with nothing
 *               behind it (COM1 scratch: a plain exit and re-entry), where
 *               the VMM could not read the guest's TSC.
 *
 * Before the samples, prepare() takes CALIB requests: it measures the
 * round trip and the plain port exit, and keeps "correlated" only if the
 * VMM gave write_tsc every time and each one lies between the guest's OUT
 * and its handler (else the clocks do not agree, and it says so). During
 * the samples a write_tsc out of that order is counted (clock_violations=).
 */
#include "irqinject.h"

#include "apic.h"
#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"
#include "trap.h"

#define IRQ_VECTOR 0x3b
#define CALIB 15

static uint16_t irq_port;
static struct exitlab_irq_req req __attribute__((aligned(64)));
static volatile uint64_t irq_at; /* the handler's TSC; 0 until it runs */
static uint64_t out_at;          /* the guest's TSC just before the OUT */
static bool correlated;
static uint64_t rt_median, port_median, window_median, violations;
static const char *why_not;

void irq_inject_boot(uint16_t port) { irq_port = port; }

static void irq_bench_handler(unsigned vector)
{
	irq_at = rdtsc_serialized();
	apic_eoi();
}

/* At CPL 0: STI's shadow covers the OUT; the interrupt the VMM made
 * pending is taken on re-entry, before the NOP. */
static uint64_t r0_request(uint64_t gpa)
{
	out_at = rdtsc_serialized();
	__asm__ volatile("sti; outl %0, %w1; nop; cli" ::"a"((uint32_t)gpa), "Nd"(irq_port) : "memory");
	return 0;
}

/* The same OUT shape to a port that only exits: the plain exit's cost. */
static uint64_t r0_plain(uint64_t unused)
{
	uint64_t t0 = rdtsc_serialized();
	__asm__ volatile("sti; outb %b0, %w1; nop; cli" ::"a"(0), "Nd"(EXITLAB_PORT_COM1_SCR) : "memory");
	return rdtsc_serialized() - t0;
}

/* One request; false if the handler did not run. */
static bool request_one(void)
{
	irq_at = 0;
	req.vector = IRQ_VECTOR;
	req.flags = 0;
	req.write_tsc = 0;
	ring0_call(r0_request, (uint64_t)(uintptr_t)&req);
	for (unsigned spin = 0; !irq_at && spin < 1000; spin++)
		trap_wait_interrupt(); /* not expected: it came on re-entry */
	return irq_at != 0;
}

static void sort3(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

const char *irq_inject_prepare(void)
{
	uint64_t rt[CALIB], port[CALIB], win[CALIB];

	if (!irq_port)
		return "no irq bench port (the exitlab VMM serves one with its in-kernel irqchip: give it a virtio "
		       "device, --disk or --rng)";
	const char *why = apic_init();
	if (why)
		return why;
	trap_set_handler(IRQ_VECTOR, irq_bench_handler);
	correlated = true;
	why_not = NULL;
	for (unsigned i = 0; i < CALIB; i++) {
		if (!request_one())
			return "the VMM's MSI never reached the handler";
		rt[i] = irq_at - out_at;
		win[i] = req.window;
		if (!(req.flags & EXITLAB_IRQ_CORRELATED)) {
			correlated = false;
			why_not = "the VMM cannot read the guest's TSC (KVM_GET_MSRS of IA32_TSC failed)";
		} else if (req.write_tsc < out_at || req.write_tsc > irq_at) {
			correlated = false;
			why_not = "the VMM's write time, in the guest's TSC, is not between the guest's OUT and its handler";
		}
		port[i] = ring0_call(r0_plain, 0);
	}
	sort3(rt, CALIB);
	sort3(port, CALIB);
	sort3(win, CALIB);
	rt_median = rt[CALIB / 2];
	port_median = port[CALIB / 2];
	window_median = win[CALIB / 2];
	violations = 0;
	if (!correlated)
		printf("bench irq_inject: no clock correlation (%s): reporting the round trip minus a plain port exit\n",
		       why_not);
	return NULL;
}

uint64_t irq_inject_timed(unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!request_one())
			continue;
		if (correlated && req.write_tsc >= out_at && req.write_tsc <= irq_at) {
			sum += irq_at - req.write_tsc;
			continue;
		}
		if (correlated)
			violations++;
		uint64_t rt = irq_at - out_at;
		sum += rt > port_median ? rt - port_median : 0;
	}
	return sum;
}

void irq_inject_run(unsigned n) {}

void irq_inject_extra(void)
{
	printf(" method=%s window_cycles=%lu round_trip_cycles=%lu port_exit_cycles=%lu clock_violations=%lu",
	       correlated ? "correlated" : "round_trip", window_median, rt_median, port_median, violations);
}
