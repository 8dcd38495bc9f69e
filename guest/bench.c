/*
 * bench.c - time one kind of exit at a time.
 *
 * Each test is an operation that causes (or, for the baseline, does not
 * cause) one VM exit. A sample is a batch of operations between two
 * serialized TSC reads: BATCH of them by default, or with bench.single=1
 * exactly one, for the distribution of individual exits. A test takes
 * `samples` samples after a warm-up batch. The timing itself is not free
 * (under a software KVM, RDTSC and LFENCE may trap too), so the median cost
 * of timing an empty batch of the same size is measured and subtracted
 * from every sample. Per test the report gives the per-operation cost at
 * the minimum, the 1st, 10th, 50th, 90th and 99th percentiles and the
 * maximum, in cycles and in nanoseconds:
 *
 *   bench NAME iters=N cycles=C ns=X.Y
 *         p10_ns=.. p90_ns=.. min_ns=.. p1_ns=.. p99_ns=.. max_ns=..
 *         p10_cycles=.. p90_cycles=.. min_cycles=.. p1_cycles=.. p99_cycles=.. max_cycles=..
 *         batch=B samples=S
 *
 * (one line; cycles= and ns= are the median). With bench.raw=1 every
 * sample follows, as cycles per batch with the overhead subtracted, a few
 * to a line:
 *
 *   bench-raw NAME batch=B from=K CYCLES,CYCLES,...
 *
 * scripts/bench reads exactly these lines from every VMM. Each test's
 * closest kvm-unit-tests `vmexit` test is listed in docs/benchmarks.md.
 */
#include "bench.h"

#include "apic.h"
#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"
#include "pci.h"
#include "pci_cfg.h"
#include "pci_regs.h"
#include "testdev.h"
#include "trap.h"
#include "tsc.h"
#include "blk.h"
#include "irqinject.h"
#include "ptbench.h"

#define BATCH 512 /* operations per sample, unless a test says fewer */
#define MAX_SAMPLES 4095
#define RAW_PER_LINE 16 /* bench-raw samples per console line */
#define FAULT_BATCH 64 /* fresh pages per sample of fault_touch */

struct bench_test {
	const char *name;
	const char *what;
	void (*run)(unsigned n); /* performs n operations */
	/* Finds and readies what the test touches; NULL if nothing to do, else
	 * returns NULL when ready or a reason to skip the test. */
	const char *(*prepare)(void);
	unsigned batch; /* operations per sample; 0: BATCH */
	bool in_ring0;  /* runs through ring0_call: its cost (the ring0 test's) is subtracted */
	/* Times itself: returns the cycles of what it measures over n
	 * operations (not the wall time of the batch); NULL: run() is timed. */
	uint64_t (*timed)(unsigned n);
	/* The exits the test avoids or makes, counted by the driver (notify
	 * writes, interrupts taken): reported per operation. NULL: none. */
	void (*counts)(uint64_t *notifies, uint64_t *interrupts);
	/* Bytes an operation moves: the line gets bytes_per_ns= (at the
	 * median) too. 0: none. */
	unsigned bytes;
	/* Prints more " key=value" fields of the line (how it was measured,
	 * what was touched). NULL: none. */
	void (*extra)(void);
};

static unsigned samples = 31;
static bool single, raw; /* bench.single=1, bench.raw=1 */
/* Scratch for one test's samples; fully written before it is read, so it
 * lives outside BSS (nothing to clear at boot). Two: the raw samples in
 * the order taken, and a sorted copy for the percentiles. */
static uint64_t samples_buf[MAX_SAMPLES] NOINIT;
static uint64_t sorted_buf[MAX_SAMPLES] NOINIT;
static uint64_t overhead; /* median cycles of an empty batch of BATCH */
static uint32_t scratch_msr; /* EXITLAB_MSR_SCRATCH when the VMM serves it */
static uint64_t (*self_timed)(unsigned n); /* the test being sampled times itself */

static void run_tsc(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		barrier();
}

static void run_cpuid(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)cpuid(0, 0);
}

static uint64_t ring0_nop(uint64_t arg) { return arg; }

/* Not an exit on hardware virtualization: INT3 to the guest's own ring 0
 * and IRETQ back, what every HLT and MSR access of the guest pays on top. */
static void run_ring0(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)ring0_call(ring0_nop, i);
}

/* The UART scratch register: a userspace-emulated port with no side
 * effect, in the exitlab VMM and in QEMU alike. */
static void run_pio_write(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		outb(EXITLAB_PORT_COM1_SCR, (uint8_t)i);
}

static void run_pio_read(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)inb(EXITLAB_PORT_COM1_SCR);
}

/* Exits KVM finishes in the kernel, with no VMM userspace: a port of the
 * 8259 PIC and a register of the local APIC, both emulated in the kernel
 * when the VMM asks for an in-kernel irqchip (KVM_CREATE_IRQCHIP; QEMU's
 * default with KVM). The PIC's interrupt mask (port 0x21) reads back what
 * apic_init() wrote; the APIC's version register (0x30) is read-only. */
#define PIC_MASTER_IMR 0x21

static void run_pio_kernel(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)inb(PIC_MASTER_IMR);
}

/* Is there an 8259 to time? Its mask must keep a value written to it (an
 * unclaimed port reads all ones); apic_init() has masked every line, and
 * that is what the test reads. */
static const char *prepare_pio_kernel(void)
{
	(void)apic_init(); /* for the masking: the PIC is timed with or without an APIC */
	outb(PIC_MASTER_IMR, 0xfb);
	uint8_t got = inb(PIC_MASTER_IMR);
	outb(PIC_MASTER_IMR, 0xff);
	return got == 0xfb ? NULL : "no 8259 PIC answers at port 0x21 (no in-kernel irqchip: the exitlab VMM makes one for virtio devices)";
}

/* An xAPIC's version register reads 0x1X in its low byte (Intel SDM Vol. 3
 * §11.4.8); an unclaimed address does not. */
static const char *prepare_mmio_kernel(void)
{
	return apic_init(); /* which reads the version register, the test's */
}

static void run_mmio_kernel(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)apic_read(APIC_VERSION);
}

/* MSRs need CPL 0, so each access is a ring0_call(); the test subtracts
 * the ring0 test's median (the same call with an empty function) and says
 * so (minus_ring0_cycles=). IA32_APIC_BASE is an MSR KVM answers in the
 * kernel; the scratch MSR (exitlab_abi.h) is one the exitlab VMM has KVM
 * send to its userspace. */
#define MSR_IA32_APIC_BASE 0x1b

static uint64_t r0_rdmsr_apic_base(uint64_t arg) { return rdmsr(MSR_IA32_APIC_BASE) + arg; }
static uint64_t r0_rdmsr_scratch(uint64_t arg) { return rdmsr(scratch_msr) + arg; }
static uint64_t r0_wrmsr_scratch(uint64_t arg)
{
	wrmsr(scratch_msr, arg);
	return 0;
}

static void run_msr_kernel(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)ring0_call(r0_rdmsr_apic_base, i);
}

static void run_msr_user(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)ring0_call(r0_rdmsr_scratch, i);
}

static void run_msr_user_write(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)ring0_call(r0_wrmsr_scratch, i);
}

static const char *prepare_msr_user(void)
{
	return scratch_msr ? NULL : "no userspace MSR advertised (the exitlab VMM serves one: exitlab_boot_info.scratch_msr)";
}

/* Wake-up latency: the local APIC timer in TSC-deadline mode, a deadline
 * WAKE_AHEAD_US ahead, HLT; the handler stamps the TSC. One operation is
 * the time from the deadline to the handler: KVM's timer (an hrtimer on
 * the host), the injection, the vCPU leaving its halt, the guest's IDT
 * path. During the halt the VMM's vCPU thread sits in KVM_RUN: the
 * in-kernel APIC does it all. The deadline is far enough ahead that the
 * halt has begun before it passes (arming is CPL 0 code, which this host
 * emulates slowly). */
#define VEC_TIMER_BENCH 0x32
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define WAKE_AHEAD_US 200

static volatile uint64_t woke_at; /* TSC in the handler; 0 until it runs */
static uint64_t wake_ahead;       /* WAKE_AHEAD_US in TSC cycles */

static void timer_bench_irq(unsigned vector)
{
	woke_at = rdtsc_serialized();
	apic_eoi();
}

static uint64_t r0_arm_deadline(uint64_t tsc)
{
	wrmsr(MSR_IA32_TSC_DEADLINE, tsc);
	return 0;
}

static uint64_t timed_timer_wake(unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		woke_at = 0;
		uint64_t deadline = rdtsc_serialized() + wake_ahead;
		ring0_call(r0_arm_deadline, deadline);
		while (!woke_at)
			trap_wait_interrupt(); /* STI; HLT; CLI at CPL 0 */
		sum += woke_at > deadline ? woke_at - deadline : 0;
	}
	return sum;
}

static const char *prepare_timer_wake(void)
{
	const char *why = prepare_mmio_kernel(); /* an in-kernel APIC answers */
	if (why)
		return why;
	if (!tsc_khz())
		return "the TSC frequency is unknown";
	if (apic_timer_deadline(VEC_TIMER_BENCH))
		return "no TSC-deadline timer (CPUID.1:ECX bit 24 clear)";
	trap_set_handler(VEC_TIMER_BENCH, timer_bench_irq);
	wake_ahead = tsc_khz() * WAKE_AHEAD_US / 1000;
	return NULL;
}

static void run_none(unsigned n) {}

/* First touch of a fresh guest page: KVM's page-fault path (and the host's
 * own, for the anonymous memory behind guest RAM). Each operation writes
 * one byte to a page nothing has touched yet, from the top of the highest
 * RAM region below 2 GiB down to FRESH_MAX below it, never into the image;
 * once used up, the test is skipped (one run per boot). */
#define FRESH_MAX (64ull << 20)
#define PAGE 4096

extern char __image_end[]; /* linker/guest.ld */
static uint64_t fresh_next, fresh_end;

static void fresh_find(const struct hvm_start_info *si)
{
	if (!si || si->version < 1 || !si->memmap_paddr)
		return;
	const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
	uint64_t floor = ((uint64_t)(uintptr_t)__image_end + (2u << 20) - 1) & ~((2ull << 20) - 1);
	for (uint32_t i = 0; i < si->memmap_entries && i < 128; i++) {
		uint64_t lo = e[i].addr, hi = e[i].addr + e[i].size;
		if (e[i].type != HVM_MEMMAP_TYPE_RAM || hi > (2ull << 30) || hi <= floor || hi <= fresh_end)
			continue;
		lo = lo > floor ? lo : floor;
		lo = hi - lo > FRESH_MAX ? hi - FRESH_MAX : lo;
		fresh_next = (lo + PAGE - 1) & ~(uint64_t)(PAGE - 1);
		fresh_end = hi & ~(uint64_t)(PAGE - 1);
	}
}

static void run_fault_touch(unsigned n)
{
	for (unsigned i = 0; i < n && fresh_next < fresh_end; i++, fresh_next += PAGE)
		*(volatile uint8_t *)(uintptr_t)fresh_next = 1;
}

static char fresh_why[96];

static const char *prepare_fault_touch(void)
{
	uint64_t need = (uint64_t)(samples + 1) * (single ? 1 : FAULT_BATCH) * PAGE;
	if (fresh_end - fresh_next >= need)
		return NULL;
	snprintf(fresh_why, sizeof(fresh_why), "%lu fresh pages left, %lu needed (one run per boot)",
		 (fresh_end - fresh_next) / PAGE, need / PAGE);
	return fresh_why;
}

/* The read-only page (exitlab_abi.h, EXITLAB_ROM_*: a KVM_MEM_READONLY
 * slot above RAM): rom_read loads a dword at memory speed, rom_write
 * stores one, and each store is an MMIO exit to the VMM, which drops it.
 * One dword per operation, 64 bytes apart, through the page. After the
 * stores, the page is read back against its pattern: dropped=yes if it
 * kept it (the line says so). */
static uintptr_t rom_at;
static bool rom_changed;

static const char *prepare_rom(void)
{
	if (!rom_at)
		return "no read-only page (the exitlab VMM's exitlab_boot_info.rom_paddr: a KVM_MEM_READONLY slot)";
	if (mmio_read32(rom_at) != EXITLAB_ROM_PATTERN(0))
		return "the read-only page does not hold its pattern";
	rom_changed = false;
	return NULL;
}

static void run_rom_read(unsigned n)
{
	uint32_t sum = 0;
	for (unsigned i = 0; i < n; i++)
		sum += mmio_read32(rom_at + (i * 64) % EXITLAB_ROM_SIZE);
	barrier();
	(void)sum;
}

static void run_rom_write(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		mmio_write32(rom_at + (i * 64) % EXITLAB_ROM_SIZE, ~0u);
	for (unsigned i = 0; i < n && i < EXITLAB_ROM_SIZE / 64; i++)
		if (mmio_read32(rom_at + i * 64) != EXITLAB_ROM_PATTERN(i * 16))
			rom_changed = true;
}

static void rom_write_extra(void) { printf(" dropped=%s", rom_changed ? "no" : "yes"); }

/* Mechanism #1: address to 0xCF8, then a dword from 0xCFC (two exits). */
static void run_cfg_cf8(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		(void)pci_cf8_read32(PCI_BDF(0, 0, 0), PCI_VENDOR_ID); /* 00:00.0's vendor and device ID */
	}
}

static uintptr_t ecam_host_bridge;

static const char *prepare_cfg_ecam(void)
{
	pci_bus_ready(); /* the walk finds ECAM on the way */
	ecam_host_bridge = pci_ecam_address(0, 0);
	return ecam_host_bridge ? NULL : "no ECAM (no ACPI MCFG below 4 GiB)";
}

/* ECAM: one MMIO load (one exit). */
static void run_cfg_ecam(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)mmio_read32(ecam_host_bridge);
}

/* pci-testdev: test 0 of each BAR ends in the VMM, 1 and 2 in ioeventfds. */
static const char *prep_mmio0(void) { return testdev_bench_prepare(false, 0); }
static const char *prep_mmio1(void) { return testdev_bench_prepare(false, 1); }
static const char *prep_mmio2(void) { return testdev_bench_prepare(false, 2); }
static const char *prep_io0(void) { return testdev_bench_prepare(true, 0); }
static const char *prep_io1(void) { return testdev_bench_prepare(true, 1); }
static const char *prep_io2(void) { return testdev_bench_prepare(true, 2); }

static const struct bench_test tests[] = {
	{ "tsc", "no exit: the cost of the timing loop itself", run_tsc, NULL, 0, false, NULL, NULL, 0, NULL },
	{ "cpuid", "CPUID leaf 0, always intercepted", run_cpuid, NULL, 0, false, NULL, NULL, 0, NULL },
	{ "ring0", "ring0_call: INT3 to the guest's CPL 0 and IRETQ back (no VMM involved)", run_ring0, NULL, 0, false, NULL, NULL, 0, NULL },
	{ "msr_kernel", "RDMSR of IA32_APIC_BASE, answered in the kernel (ring0_call's cost subtracted)", run_msr_kernel,
	  NULL, 0, true, NULL, NULL, 0, NULL },
	{ "msr_user", "RDMSR of the VMM's scratch MSR, answered in its userspace (ring0_call subtracted)", run_msr_user,
	  prepare_msr_user, 0, true, NULL, NULL, 0, NULL },
	{ "msr_user_write", "WRMSR of the VMM's scratch MSR, in its userspace (ring0_call subtracted)",
	  run_msr_user_write, prepare_msr_user, 0, true, NULL, NULL, 0, NULL },
	{ "pio_write", "OUT to COM1 scratch, handled in VMM userspace", run_pio_write, NULL, 0, false, NULL, NULL, 0, NULL },
	{ "pio_read", "IN from COM1 scratch, handled in VMM userspace", run_pio_read, NULL, 0, false, NULL, NULL, 0, NULL },
	{ "pio_kernel", "IN from the PIC's mask register (0x21), handled in KVM's in-kernel PIC", run_pio_kernel,
	  prepare_pio_kernel, 0, false, NULL, NULL, 0, NULL },
	{ "mmio_kernel", "load of the local APIC's version register, handled in KVM's in-kernel APIC",
	  run_mmio_kernel, prepare_mmio_kernel, 0, false, NULL, NULL, 0, NULL },
	{ "cfg_cf8", "config dword read of 00:00.0 through 0xCF8/0xCFC", run_cfg_cf8, NULL, 0, false, NULL, NULL, 0, NULL },
	{ "cfg_ecam", "config dword read of 00:00.0 through ECAM (MMIO)", run_cfg_ecam, prepare_cfg_ecam, 0, false, NULL, NULL, 0, NULL },
	{ "tdev_mmio", "pci-testdev MMIO write, no eventfd (VMM userspace)", testdev_bench_run, prep_mmio0, 0, false, NULL, NULL, 0, NULL },
	{ "tdev_mmio_wild", "pci-testdev MMIO write, wildcard ioeventfd", testdev_bench_run, prep_mmio1, 0, false, NULL, NULL, 0, NULL },
	{ "tdev_mmio_match", "pci-testdev MMIO write, datamatch ioeventfd", testdev_bench_run, prep_mmio2, 0, false, NULL, NULL, 0, NULL },
	{ "tdev_io", "pci-testdev port write, no eventfd (VMM userspace)", testdev_bench_run, prep_io0, 0, false, NULL, NULL, 0, NULL },
	{ "tdev_io_wild", "pci-testdev port write, wildcard ioeventfd", testdev_bench_run, prep_io1, 0, false, NULL, NULL, 0, NULL },
	{ "tdev_io_match", "pci-testdev port write, datamatch ioeventfd", testdev_bench_run, prep_io2, 0, false, NULL, NULL, 0, NULL },
	{ "fault_touch", "first write to a fresh guest page: KVM's (and the host's) page-fault path", run_fault_touch,
	  prepare_fault_touch, FAULT_BATCH, false, NULL, NULL, 0, NULL },
	{ "timer_wake", "TSC-deadline timer to its handler, out of HLT (in-kernel APIC)", run_none, prepare_timer_wake,
	  16, false, timed_timer_wake, NULL, 0, NULL },
	{ "notify", "virtio-blk queue notify write (ioeventfd unless --no-ioeventfd)", blk_bench_notify,
	  blk_bench_prepare_notify, 0, false, NULL, NULL, 0, blk_bench_extra },
	{ "blk_read_poll", "virtio-blk 4 KiB read, notify to used ring, polled", blk_bench_read,
	  blk_bench_prepare_poll, 16, false, NULL, blk_bench_counts, 0, blk_bench_extra },
	{ "blk_read_msix", "virtio-blk 4 KiB read, notify to MSI-X interrupt", blk_bench_read,
	  blk_bench_prepare_msix, 16, false, NULL, blk_bench_counts, 0, blk_bench_extra },
	{ "blk_batch_poll", "virtio-blk 512-byte reads, 8 per kick, polled (per request)", blk_bench_batch,
	  blk_bench_prepare_poll, 16, false, NULL, blk_bench_counts, 0, blk_bench_extra },
	{ "blk_batch_msix", "virtio-blk 512-byte reads, 8 per kick, MSI-X (per request)", blk_bench_batch,
	  blk_bench_prepare_msix, 16, false, NULL, blk_bench_counts, 0, blk_bench_extra },
	{ "blk_burst_poll", "virtio-blk 512-byte reads, bursts of 8 each kicked, polled (per request)",
	  blk_bench_burst, blk_bench_prepare_poll, 16, false, NULL, blk_bench_counts, 0, blk_bench_extra },
	{ "rom_read", "load from the read-only page (KVM_MEM_READONLY slot): memory speed", run_rom_read, prepare_rom,
	  0, false, NULL, NULL, 0, NULL },
	{ "rom_write", "store to the read-only page: an MMIO exit to the VMM each, dropped", run_rom_write,
	  prepare_rom, 0, false, NULL, NULL, 0, rom_write_extra },
	{ "pt_bar_load", "dword load from a mapped page of a passthrough BAR: no exit", pt_bench_load,
	  pt_bench_prepare_mapped, 0, false, NULL, NULL, 0, pt_bench_extra },
	{ "pt_bar_store", "dword store to a mapped page of a passthrough BAR: no exit (writes the device)",
	  pt_bench_store, pt_bench_prepare_mapped, 0, false, NULL, NULL, 0, pt_bench_extra },
	{ "pt_bar_copy", "4 KiB copy from a mapped page of a passthrough BAR to RAM (bandwidth)", pt_bench_copy,
	  pt_bench_prepare_mapped, 16, false, NULL, NULL, PT_COPY_BYTES, pt_bench_extra },
	{ "ram_copy", "the same 4 KiB copy from RAM, for contrast", pt_bench_ram_copy, NULL, 16, false, NULL, NULL,
	  PT_COPY_BYTES, NULL },
	{ "pt_msix_load", "load of a passthrough MSI-X table entry: trapped page, emulated by the VMM",
	  pt_bench_table_load, pt_bench_prepare_table, 0, false, NULL, NULL, 0, pt_bench_extra },
	{ "pt_msix_fwd", "load from the trapped MSI-X page outside table and PBA: forwarded to the device",
	  pt_bench_fwd_load, pt_bench_prepare_fwd, 0, false, NULL, NULL, 0, pt_bench_extra },
	{ "irq_inject", "MSI through the VMM's irqfd to the guest's handler (method= says how it is timed)",
	  irq_inject_run, irq_inject_prepare, 16, false, irq_inject_timed, NULL, 0, irq_inject_extra },
};

static void sort_u64(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned j = i;
		for (; j && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void print_ns(const char *label, uint64_t batch_cycles, unsigned batch)
{
	uint64_t ns10 = tsc_cycles_to_ns10(batch_cycles) / batch;
	printf(" %s=%lu.%lu", label, ns10 / 10, ns10 % 10);
}

/* Set around a test with counts: what bench_sample() counted. */
static void (*sample_counts)(uint64_t *notifies, uint64_t *interrupts);
static uint64_t counted[2];

/* Batch times of `run`, in the order taken, minus `over` (the timing
 * overhead), into cycles[0..samples). */
static void bench_sample(void (*run)(unsigned), unsigned batch, uint64_t over, uint64_t *cycles)
{
	if (self_timed) {
		(void)self_timed(batch); /* warm-up */
		for (unsigned s = 0; s < samples; s++)
			cycles[s] = self_timed(batch);
		return;
	}
	run(batch); /* warm-up: caches, TLB, the VMM's first-touch paths */
	uint64_t before[2];
	if (sample_counts)
		sample_counts(&before[0], &before[1]);
	for (unsigned s = 0; s < samples; s++) {
		uint64_t t0 = rdtsc_serialized();
		run(batch);
		uint64_t dt = rdtsc_serialized() - t0;
		cycles[s] = dt > over ? dt - over : 0;
	}
	if (sample_counts) { /* over the timed batches only */
		sample_counts(&counted[0], &counted[1]);
		counted[0] -= before[0];
		counted[1] -= before[1];
	}
}

/* The sorted copy's value at percentile pct (nearest rank below: for an
 * odd count, 50 is the median). */
static uint64_t pctl(unsigned pct) { return sorted_buf[(samples - 1) * pct / 100]; }

static void sort_samples(void)
{
	memcpy(sorted_buf, samples_buf, samples * sizeof(sorted_buf[0]));
	sort_u64(sorted_buf, samples);
}

/* The median cost of timing an empty batch of this size. */
static uint64_t bench_overhead(unsigned batch)
{
	bench_sample(run_tsc, batch, 0, samples_buf);
	sort_samples();
	return sorted_buf[samples / 2];
}

static const struct {
	const char *label; /* min, p1, ... as printed */
	unsigned pct;
} points[] = { { "p10", 10 }, { "p90", 90 }, { "min", 0 }, { "p1", 1 }, { "p99", 99 }, { "max", 100 } };

/* A count per operation, three decimals: " notifies_per_op=0.125". */
static void print_per_op(const char *label, uint64_t count, uint64_t ops)
{
	uint64_t milli = ops ? count * 1000 / ops : 0;
	printf(" %s=%lu.%03lu", label, milli / 1000, milli % 1000);
}

static void bench_report(const struct bench_test *t, unsigned batch, uint64_t minus_ring0, const uint64_t *counts)
{
	const char *name = t->name;
	char label[16];

	printf("bench %s iters=%u cycles=%lu", name, samples * batch, sorted_buf[samples / 2] / batch);
	print_ns("ns", sorted_buf[samples / 2], batch);
	for (size_t i = 0; i < ARRAY_SIZE(points); i++) {
		snprintf(label, sizeof(label), "%s_ns", points[i].label);
		print_ns(label, pctl(points[i].pct), batch);
	}
	for (size_t i = 0; i < ARRAY_SIZE(points); i++)
		printf(" %s_cycles=%lu", points[i].label, pctl(points[i].pct) / batch);
	if (minus_ring0)
		printf(" minus_ring0_cycles=%lu", minus_ring0 / batch);
	if (counts) {
		print_per_op("notifies_per_op", counts[0], (uint64_t)samples * batch);
		print_per_op("interrupts_per_op", counts[1], (uint64_t)samples * batch);
	}
	uint64_t med_ns10 = tsc_cycles_to_ns10(sorted_buf[samples / 2]);
	if (t->bytes && med_ns10) /* bytes per ns at the median: bytes * batch / (ns10 / 10) */
		print_per_op("bytes_per_ns", (uint64_t)t->bytes * batch * 10, med_ns10);
	if (t->extra)
		t->extra();
	printf(" batch=%u samples=%u\n", batch, samples);
	for (unsigned from = 0; raw && from < samples; from += RAW_PER_LINE) {
		printf("bench-raw %s batch=%u from=%u ", name, batch, from);
		for (unsigned k = from; k < samples && k < from + RAW_PER_LINE; k++)
			printf(k == from ? "%lu" : ",%lu", samples_buf[k]);
		printf("\n");
	}
}

static void bench_one(const struct bench_test *t)
{
	const char *why = t->prepare ? t->prepare() : NULL;
	if (why) {
		printf("bench %s skipped: %s\n", t->name, why);
		return;
	}
	unsigned batch = single ? 1 : t->batch ? t->batch : BATCH;
	uint64_t over = batch == BATCH ? overhead : bench_overhead(batch);
	uint64_t ring0 = 0;

	if (t->in_ring0) { /* the median batch of empty ring0_calls, timed the same way */
		bench_sample(run_ring0, batch, over, samples_buf);
		sort_samples();
		ring0 = sorted_buf[samples / 2];
	}
	self_timed = t->timed;
	sample_counts = t->counts;
	bench_sample(t->run, batch, over + ring0, samples_buf);
	sample_counts = NULL;
	self_timed = NULL;
	sort_samples();
	bench_report(t, batch, ring0, t->counts ? counted : NULL);
}

int bench_action(const char *list, size_t len, bool dry_run)
{
	static const char *const whole[] = { "help", "all" }; /* values that are not a list */
	int w = word_find(list, len, WORDS(whole));
	bool all = w == 1;

	if (w == 0) {
		for (size_t i = 0; !dry_run && i < ARRAY_SIZE(tests); i++)
			printf("bench test %-10s %s\n", tests[i].name, tests[i].what);
		return EXITLAB_EXIT_OK;
	}

	if (!dry_run) {
		overhead = bench_overhead(BATCH);
		printf("bench: %u samples of %u operations per test, TSC %lu kHz, timing overhead %lu cycles/batch (subtracted)\n",
		       samples, single ? 1 : BATCH, tsc_khz(), single ? bench_overhead(1) : overhead);
	}
	for (size_t i = 0; all && i < ARRAY_SIZE(tests); i++)
		if (!dry_run)
			bench_one(&tests[i]);
	for (size_t start = 0; !all && start < len;) {
		size_t end = start;
		while (end < len && list[end] != ',')
			end++;
		int k = word_find(list + start, end - start, WORDS_OF(tests, name));
		if (k < 0) {
			printf("error: bench: unknown test '%.*s'; known:", (int)(end - start), list + start);
			word_list_print(WORDS_OF(tests, name));
			printf(" all\n");
			return EXITLAB_EXIT_USAGE;
		}
		if (!dry_run)
			bench_one(&tests[k]);
		start = end + 1;
	}
	return EXITLAB_EXIT_OK;
}

void bench_boot(const struct exitlab_boot_info *bi, const struct hvm_start_info *si)
{
	scratch_msr = bi && bi->version >= 2 ? bi->scratch_msr : 0;
	if (bi && bi->version >= 3) { /* a version-3 VMM's module is 64 bytes */
		rom_at = bi->rom_size >= EXITLAB_ROM_SIZE && bi->rom_paddr < (1ull << 32) ? (uintptr_t)bi->rom_paddr : 0;
		irq_inject_boot(bi->irq_port);
		pt_bench_boot(bi->pt_count, bi->pt_bdf);
	}
	fresh_find(si);
}

int bench_samples_action(const char *val, size_t len, bool dry_run)
{
	uint64_t n;

	if (!parse_u64_in("bench.samples", val, len, 3, MAX_SAMPLES, &n))
		return EXITLAB_EXIT_USAGE;
	if (!dry_run)
		samples = (unsigned)n;
	return EXITLAB_EXIT_OK;
}

/* bench.single=0|1 and bench.raw=0|1. */
static int bench_flag(const char *what, bool *flag, const char *val, size_t len, bool dry_run)
{
	static const char *const words[] = { "0", "1" };
	int k = word_find(val, len, WORDS(words));

	if (k < 0)
		return word_refuse(what, val, len, WORDS(words));
	if (!dry_run)
		*flag = k == 1;
	return EXITLAB_EXIT_OK;
}

int bench_single_action(const char *val, size_t len, bool dry_run)
{
	return bench_flag("bench.single", &single, val, len, dry_run);
}

int bench_raw_action(const char *val, size_t len, bool dry_run)
{
	return bench_flag("bench.raw", &raw, val, len, dry_run);
}
